"""The station simulator's logs and GetLog (N01): what it uploads, where, how often, and what it reports.

The simulator keeps two logs: a security log (every SecurityEventNotification it sent, with its timestamp) and a
diagnostics log (lines about its own life: boots, connections, uploads). On an Accepted GetLog it answers with the
file name, then in the background sends LogStatusNotification Uploading, uploads the file of the requested
`logType` (only the entries between `oldestTimestamp` and `latestTimestamp`) to `log.remoteLocation`, retries
`retries` times `retryInterval` seconds apart, and ends with Uploaded or UploadFailure, always with the request's
`requestId`. A GetLog that arrives while an upload runs cancels that upload and is answered AcceptedCanceled.

Fault switches (on StationFaults) bend exactly one of these: `log_wrong_request_id`, `uploaded_without_upload`,
`security_log_as_diagnostics`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ssl import SSLContext
from typing import Any, Protocol

from harness.fileserver import TransferError, upload
from harness.matchers import parse_datetime
from harness.ocppj.defaults import now_iso

DEFAULT_RETRIES = 1  # when GetLog says nothing: one retry (N01 leaves the number to the station)
DEFAULT_RETRY_INTERVAL = 1  # seconds, likewise
UPLOAD_TIMEOUT = 30.0


class LogFaults(Protocol):
    log_wrong_request_id: bool
    uploaded_without_upload: bool
    security_log_as_diagnostics: bool
    log_without_filename: bool
    log_no_retries: bool
    no_log_cancel: bool
    no_canceled_status: bool


@dataclass(frozen=True)
class LogEntry:
    at: dt.datetime
    text: str

    def line(self) -> str:
        return f"{self.at.isoformat().replace('+00:00', 'Z')} {self.text}\n"


@dataclass
class RunningUpload:
    """The upload under way: its GetLog requestId and the task doing it."""

    request_id: int
    task: asyncio.Task[None]


# Sends one station CALL (LogStatusNotification); returns once answered. The station supplies it.
Notify = Callable[[str, dict[str, Any]], Awaitable[object]]


class StationLogs:
    """The two logs of the station simulator and its GetLog handling."""

    def __init__(self, identity: str, faults: LogFaults, *, tls: Callable[[], SSLContext | None]) -> None:
        self.identity = identity
        self.faults = faults
        self._tls = tls  # trusts the run's PKI root: the harness's HTTPS log receiver
        self.security: list[LogEntry] = []
        self.diagnostics: list[LogEntry] = [self._entry(f"station {identity} log started")]
        self.current: RunningUpload | None = None

    @staticmethod
    def _entry(text: str, at: str | None = None) -> LogEntry:
        when = parse_datetime(at) if at else None
        return LogEntry(when or dt.datetime.now(dt.UTC), text)

    # ---- what goes into the logs ---------------------------------------------------------------------------
    def record_security_event(self, payload: dict[str, Any]) -> None:
        """A SecurityEventNotification the station sent (its type, timestamp and techInfo)."""
        info = payload.get("techInfo")
        text = f"SecurityEvent {payload.get('type')}" + (f" techInfo={info}" if info else "")
        self.security.append(self._entry(text, payload.get("timestamp")))

    def note(self, text: str) -> None:
        self.diagnostics.append(self._entry(text))

    def content(self, log_type: str, oldest: dt.datetime | None, latest: dt.datetime | None) -> bytes:
        """The file of `log_type`, only the entries within [oldest, latest] (N01: the timestamps bound the log)."""
        security = log_type == "SecurityLog" and not self.faults.security_log_as_diagnostics
        entries = self.security if security else self.diagnostics
        kind = "SecurityLog" if security else "DiagnosticsLog"
        chosen = [e for e in entries if (oldest is None or e.at >= oldest) and (latest is None or e.at <= latest)]
        header = f"# {kind} of Charging Station {self.identity}, generated {now_iso()}\n"
        return (header + "".join(e.line() for e in chosen)).encode()

    # ---- GetLog (N01) ----------------------------------------------------------------------------------------
    def get_log(self, payload: dict[str, Any], notify: Notify,
                after_answer: Callable[[Callable[[], Awaitable[None]]], None]) -> dict[str, Any]:
        """The GetLogResponse; the upload starts once it is on the wire (`after_answer`)."""
        params: dict[str, Any] = payload["log"]
        request_id: int = payload["requestId"]
        log_type: str = payload["logType"]
        try:
            oldest = _timestamp(params.get("oldestTimestamp"))
            latest = _timestamp(params.get("latestTimestamp"))
        except ValueError as exc:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidValue", "additionalInfo": str(exc)}}
        status = "Accepted"
        canceled: int | None = None
        if self.current is not None and not self.current.task.done() and not self.faults.no_log_cancel:
            self.current.task.cancel()  # N01: a new request cancels the ongoing upload
            self.note(f"upload for request {self.current.request_id} canceled by request {request_id}")
            status, canceled = "AcceptedCanceled", self.current.request_id
        kind = "security" if log_type == "SecurityLog" else "diagnostics"
        filename = f"{self.identity}-{kind}-{request_id}.log"
        retries = 0 if self.faults.log_no_retries else payload.get("retries", DEFAULT_RETRIES)
        interval = payload.get("retryInterval", DEFAULT_RETRY_INTERVAL)
        data = self.content(log_type, oldest, latest)

        async def run() -> None:
            if canceled is not None and not self.faults.no_canceled_status:  # N01.FR.12: the canceled one's status
                await notify("LogStatusNotification", {"status": "AcceptedCanceled",
                                                       "requestId": self._reported(canceled)})
            task = asyncio.ensure_future(self._upload(notify, request_id, params["remoteLocation"], filename, data,
                                                      max(retries, 0), max(interval, 0)))
            self.current = RunningUpload(request_id, task)
            try:
                await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # the station is stopping (its own task was cancelled, and the upload with it)
                # else a newer GetLog canceled this upload: nothing more to report for it

        after_answer(run)
        return {"status": status} if self.faults.log_without_filename else {"status": status, "filename": filename}

    def status_payload(self) -> dict[str, Any]:
        """TriggerMessage(LogStatusNotification): Uploading with the requestId while an upload runs, else Idle."""
        if self.current is not None and not self.current.task.done():
            return {"status": "Uploading", "requestId": self._reported(self.current.request_id)}
        return {"status": "Idle"}

    def _reported(self, request_id: int) -> int:
        return request_id + 1 if self.faults.log_wrong_request_id else request_id

    async def _upload(self, notify: Notify, request_id: int, location: str, filename: str, data: bytes,
                      retries: int, interval: int) -> None:
        rid = self._reported(request_id)
        await notify("LogStatusNotification", {"status": "Uploading", "requestId": rid})
        if self.faults.uploaded_without_upload:
            await notify("LogStatusNotification", {"status": "Uploaded", "requestId": rid})
            return
        for attempt in range(retries + 1):
            try:
                await upload(location, filename, data, ssl=self._tls(), timeout=UPLOAD_TIMEOUT)
            except TransferError as exc:
                self.note(f"upload {attempt + 1} of {retries + 1} for request {request_id} failed: {exc}")
                if attempt < retries:
                    await asyncio.sleep(interval)  # allow-sleep: the GetLog retryInterval between attempts
                continue
            self.note(f"uploaded {filename} ({len(data)} bytes) for request {request_id}")
            await notify("LogStatusNotification", {"status": "Uploaded", "requestId": rid})
            return
        await notify("LogStatusNotification", {"status": "UploadFailure", "requestId": rid})


def _timestamp(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"not a date-time: {value!r}")
    return parsed
