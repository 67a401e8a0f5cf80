"""The CSMS simulator's side of GetLog (N01): it hosts its own log receiver, fills in what an operator's "send
GetLog" leaves open (requestId, log.remoteLocation), and keeps the uploads it got (the
LogStatusNotifications are kept per station, CsmsStationState.log_statuses).

The receiver starts on the first GetLog (most runs never ask for a log) and stores uploads under `directory`
(a temporary one, removed at stop, when none is configured). Fault switches (CsmsFaults): `bad_log_location`
sends a remoteLocation that is no URL, `wrong_log_type` asks for the DiagnosticsLog whatever the operator chose,
`refuse_log_upload` answers every upload with HTTP 500.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from ssl import SSLContext
from typing import Any, Protocol

from harness.fileserver import LogReceiver, Upload


class LogRequestFaults(Protocol):
    bad_log_location: bool
    wrong_log_type: bool
    refuse_log_upload: bool


@dataclass
class CsmsLogs:
    faults: LogRequestFaults
    directory: Path | None = None  # where uploads are kept; None: a temporary directory
    tls: SSLContext | None = field(default=None, repr=False)  # https:// receiver (security profiles 2 and 3)
    receiver: LogReceiver | None = None
    _next_request: int = 1
    _temporary: Path | None = None

    async def _receiver(self) -> LogReceiver:
        if self.receiver is None:
            if self.directory is None:
                self._temporary = self.directory = Path(tempfile.mkdtemp(prefix="csms-sim-logs-"))
            self.receiver = LogReceiver(self.directory, ssl=self.tls,
                                        fail_with=500 if self.faults.refuse_log_upload else None)
            await self.receiver.start()
        return self.receiver

    async def complete(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """GetLog as the operator asked, with a fresh requestId and this CSMS's upload location where missing."""
        out = dict(payload)
        out.setdefault("logType", "DiagnosticsLog")
        if self.faults.wrong_log_type:
            out["logType"] = "DiagnosticsLog"
        if "requestId" not in out:
            out["requestId"], self._next_request = self._next_request, self._next_request + 1
        log = dict(out.get("log") or {})
        if "remoteLocation" not in log:
            receiver = await self._receiver()
            location = receiver.url_for(out["requestId"])
            if self.faults.bad_log_location:
                location = location.split("://", 1)[1].split("/", 1)[1]  # "logs/<id>/": a path, no scheme or host
            log["remoteLocation"] = location
        out["log"] = log
        return out

    @property
    def uploads(self) -> list[Upload]:
        return self.receiver.uploads if self.receiver is not None else []

    async def stop(self) -> None:
        if self.receiver is not None:
            await self.receiver.stop()
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
