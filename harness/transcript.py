"""The transcript: every frame of a conversation with time, direction, raw text, parse result and findings.

Each record is appended to a JSON-lines file and flushed as it happens, so a crash or a timeout loses nothing.
Listeners (the expectation engine) are told of each new record. No secrets are recorded: handshake records carry
the user name of Basic Auth, never the password, and a password set over OCPP (SetVariables
SecurityCtrlr.BasicAuthPassword, A01) or registered with `redact()` is replaced by `********` in every record
written or kept: secrets win over byte-exactness there.

Every byte received is kept. A text message is `raw` as it came. A message that is not valid UTF-8 text (a binary
frame, or a text frame with invalid UTF-8, which the WebSocket layer refuses with close code 1007) also keeps its
exact bytes in `data`; `raw` then shows them decoded leniently (U+FFFD for what is not UTF-8) and the JSON line
carries `"data_b64"`, the bytes in Base64. `Record.wire()` gives back the bytes as they were on the wire.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

import orjson

from harness.ocppj import Call, CallError, CallResult, Finding, Frame, Severity

Direction = Literal["rx", "tx", "event"]  # rx: from the SUT; tx: from the harness; event: connection life cycle


@dataclass
class Record:
    seq: int
    time: float  # wall clock, seconds since the epoch
    mono: float  # monotonic clock, for measuring intervals
    conn: int  # connection number within the conversation (1, 2, ... after reconnects)
    direction: Direction
    raw: str  # the message as received or sent (binary data decoded leniently, see `binary`)
    frame: Frame | None = None
    request: Call | None = None  # for a response: the CALL it answers
    findings: list[Finding] = field(default_factory=list)
    binary: bool = False
    data: bytes | None = None  # the exact bytes, when `raw` cannot hold them (binary or invalid UTF-8)
    event: str | None = None  # for direction "event": "open", "close", "refused", "note"
    detail: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None  # readable id, also of a broken frame
    message_type: int | None = None  # 2, 3, 4 as read, also of a broken frame

    @property
    def action(self) -> str | None:
        if isinstance(self.frame, Call):
            return self.frame.action
        return self.request.action if self.request is not None else None

    @property
    def kind(self) -> str:
        if self.direction == "event":
            return self.event or "event"
        if isinstance(self.frame, Call):
            return "CALL"
        if isinstance(self.frame, CallResult):
            return "CALLRESULT"
        if isinstance(self.frame, CallError):
            return "CALLERROR"
        return "INVALID"

    def wire(self) -> bytes:
        """The message exactly as it was on the wire."""
        return self.data if self.data is not None else self.raw.encode("utf-8", errors="surrogatepass")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "seq": self.seq,
            "time": _iso(self.time),
            "conn": self.conn,
            "direction": self.direction,
            "kind": self.kind,
        }
        if self.action:
            data["action"] = self.action
        if self.direction != "event":
            data["raw"] = self.raw
        if self.binary:
            data["binary"] = True
        if self.data is not None:
            data["data_b64"] = base64.b64encode(self.data).decode("ascii")
        if self.findings:
            data["findings"] = [f.to_json() for f in self.findings]
        if self.detail:
            data["detail"] = self.detail
        return data

    def short(self, width: int = 160) -> str:
        arrow = {"rx": "SUT→harness", "tx": "harness→SUT", "event": "event"}[self.direction]
        body = self.raw if self.direction != "event" else f"{self.event} {json.dumps(self.detail)}"
        if len(body) > width:
            body = body[: width - 1] + "…"
        mark = " !" if any(f.severity is Severity.FAIL for f in self.findings) else ""
        return f"#{self.seq} c{self.conn} {arrow}{mark} {body}"


MASK = "********"


def _passwords_in(data: Any) -> list[str]:
    """BasicAuthPassword values (A01) anywhere in `data`: a SetVariableData-shaped object at any depth, in a
    SetVariables payload or in the detail of an event (a control action telling a CSMS what to send)."""
    if isinstance(data, list):
        return [p for item in data for p in _passwords_in(item)]
    if not isinstance(data, dict):
        return []
    found = [p for value in data.values() for p in _passwords_in(value)]
    variable, value = data.get("variable"), data.get("attributeValue")
    if isinstance(variable, dict) and variable.get("name") == "BasicAuthPassword" and isinstance(value, str) \
            and len(value) >= 4:
        found.append(value)
    return found


_second: list[Any] = [None, ""]  # last whole second formatted: strftime on every frame is measurable


def _iso(t: float) -> str:
    whole = int(t)
    if _second[0] != whole:
        _second[0], _second[1] = whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    return f"{_second[1]}.{int((t - whole) * 1000):03d}Z"


def _line(data: dict[str, Any]) -> bytes:
    """One JSON line of the transcript file (orjson: the record of a large frame is most of the monitor's cost;
    the stdlib for what it refuses, e.g. text holding lone surrogates)."""
    try:
        return orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE)
    except (TypeError, orjson.JSONEncodeError):
        return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8", errors="surrogatepass")


Listener = Callable[[Record], None]


class Transcript:
    """An append-only list of records, mirrored line by line to `path` when one is given."""

    def __init__(self, path: Path | None = None, *, name: str = "") -> None:
        self.name = name
        self.path = path
        self.records: list[Record] = []
        self._listeners: list[Listener] = []
        self._file: IO[bytes] | None = None
        self._secrets: set[str] = set()
        # how a finding counts in this transcript, given its record's detail (e.g. a TLS finding on a connection
        # that opened, outside the TLS cases: a warning); None: as it is
        self.judge: Callable[[Finding, dict[str, Any]], Finding] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("wb")

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def add(self, conn: int, direction: Direction, raw: str = "", *, frame: Frame | None = None,
            request: Call | None = None, findings: list[Finding] | None = None, binary: bool = False,
            data: bytes | None = None, event: str | None = None, detail: dict[str, Any] | None = None,
            message_id: str | None = None, message_type: int | None = None) -> Record:
        if frame is not None:
            message_id, message_type = frame.message_id, frame.message_type
            if isinstance(frame, Call) and frame.action == "SetVariables":  # the only request that carries one
                self._secrets.update(_passwords_in(frame.payload))
        if detail:
            self._secrets.update(_passwords_in(detail))
        if self._secrets:
            raw, data = self._masked(raw), self._masked_bytes(data)
            if detail:
                detail = json.loads(self._masked(json.dumps(detail, ensure_ascii=False)))
        judged = [self.judge(f, detail or {}) for f in findings or ()] if self.judge else list(findings or ())
        record = Record(seq=len(self.records) + 1, time=time.time(), mono=time.monotonic(), conn=conn,
                        direction=direction, raw=raw, frame=frame, request=request, findings=judged,
                        binary=binary, data=data, event=event, detail=dict(detail or {}), message_id=message_id,
                        message_type=message_type)
        self.records.append(record)
        if self._file is not None:
            self._file.write(_line(record.to_json()))
            self._file.flush()  # every frame on disk at once: a crash loses nothing
        for listener in list(self._listeners):
            listener(record)
        return record

    def redact(self, secret: str) -> None:
        """Never write `secret` (a password the harness is about to send) into this transcript."""
        if len(secret) >= 4:
            self._secrets.add(secret)

    def _masked(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def _masked_bytes(self, data: bytes | None) -> bytes | None:
        if data is None:
            return None
        for secret in self._secrets:
            data = data.replace(secret.encode(), MASK.encode())
        return data

    def note(self, text: str, **detail: Any) -> Record:
        """A harness-side annotation (a manual action, an operator's answer) in time order with the frames."""
        return self.add(0, "event", event="note", detail={"text": text, **detail})

    def findings(self, *, include_own: bool = False) -> list[tuple[Record, Finding]]:
        """Every finding with its record: on what the SUT sent or did (frames, handshakes); the harness's own
        (deliberately bad) frames only with `include_own`."""
        return [(r, f) for r in self.records for f in r.findings if include_own or r.direction != "tx"]

    def failures(self) -> list[tuple[Record, Finding]]:
        return [(r, f) for r, f in self.findings() if f.severity is Severity.FAIL]

    def tail(self, n: int = 8) -> list[str]:
        return [r.short() for r in self.records[-n:]]

    @property
    def closed(self) -> bool:
        """The file is closed: records added now would not reach the disk."""
        return self.path is not None and self._file is None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


# ---- reading a transcript file back -------------------------------------------------------------------------------
_DIRECTIONS = ("rx", "tx", "event")


def record_from_json(data: Any) -> Record:
    """A record as `Record.to_json` wrote it: the wire bytes (`raw`, or `data_b64` when `raw` could not hold them),
    its findings and details. The frame itself is not restored: parse `wire()` again to judge it.
    Raises ValueError naming what is wrong."""
    if not isinstance(data, dict):
        raise ValueError(f"a record is a JSON object, not {type(data).__name__}")
    try:
        seq, conn, direction = data["seq"], data["conn"], data["direction"]
    except KeyError as exc:
        raise ValueError(f"field {exc.args[0]!r} missing") from None
    if not isinstance(seq, int) or not isinstance(conn, int) or direction not in _DIRECTIONS:
        raise ValueError("seq and conn are integers; direction is rx, tx or event")
    raw = data.get("raw", "")
    if not isinstance(raw, str):
        raise ValueError("raw is a string")
    blob: bytes | None = None
    if "data_b64" in data:
        try:
            blob = base64.b64decode(str(data["data_b64"]), validate=True)
        except ValueError:
            raise ValueError("data_b64 is not Base64") from None
    findings: list[Finding] = []
    for item in data.get("findings", []):
        try:
            findings.append(Finding(rule=str(item["rule"]), severity=Severity(item["severity"]),
                                    text=str(item.get("text", "")), ref=str(item.get("ref", "")),
                                    path=str(item.get("path", "$")), extra=dict(item.get("extra", {}))))
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"finding {item!r:.80} is not rule/severity/text") from None
    stamp = data.get("time")
    try:
        when = datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        when = 0.0
    detail = data.get("detail", {})
    return Record(seq=seq, time=when, mono=0.0, conn=conn, direction=direction, raw=raw, findings=findings,
                  binary=bool(data.get("binary", False)), data=blob,
                  event=str(data.get("kind")) if direction == "event" else None,
                  detail=detail if isinstance(detail, dict) else {})


def read_transcript(path: Path) -> tuple[list[Record], list[str]]:
    """The records of a JSON-lines transcript, and one problem per line that is not a record ("line N: what").
    Raises OSError when the file cannot be read, UnicodeDecodeError when it is not text."""
    records: list[Record] = []
    problems: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(record_from_json(json.loads(line)))
            except (ValueError, RecursionError) as exc:
                problems.append(f"line {number}: {str(exc)[:200]}")
    return records, problems
