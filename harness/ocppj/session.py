"""The RPC session of one WebSocket connection, sans-I/O: correlation, id and synchronicity rules, schemas.

Feed every received message to `receive()`; it returns the frame, every finding, and the CALLERROR to send back
when the message is a request the harness must refuse. Build every outgoing frame with `call()`, `result()`,
`error()` or `raw()`; they return the text to send and register what must be answered. No I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.ocppj.errorcodes import ErrorCode
from harness.ocppj.findings import Finding, Severity, finding
from harness.ocppj.frames import (
    CALL,
    Call,
    CallError,
    CallResult,
    Frame,
    Parsed,
    Strictness,
    parse,
    serialize,
)
from harness.ocppj.schemas import Kind, SchemaStore


@dataclass
class Inbound:
    """One received message, judged."""

    parsed: Parsed
    findings: list[Finding] = field(default_factory=list)
    reply: CallError | None = None  # the CALLERROR the harness answers with, when the message is a bad request
    request: Call | None = None  # for a response: the CALL it answers

    @property
    def frame(self) -> Frame | None:
        return self.parsed.frame

    @property
    def valid(self) -> bool:
        return self.frame is not None and not any(f.severity is Severity.FAIL for f in self.findings)


@dataclass
class Outbound:
    """One frame to send: its text and the findings the harness's own frame carries (for deliberate bad input)."""

    text: str
    frame: Frame | None
    findings: list[Finding] = field(default_factory=list)
    awaits: str | None = None  # for a raw CALL: the message id its answer will carry


def empty_optionals(payload: Any, path: str = "$") -> list[str]:
    """JSON paths of values that are `{}` or `[]` below the top level (RPC-11: absent, not empty), in document order.

    Iterative, so a payload nested as deep as the JSON decoder allows cannot exhaust the stack."""
    found: list[str] = []
    todo: list[tuple[Any, str, bool]] = [(payload, path, False)]
    while todo:
        value, where, nested = todo.pop()
        if nested and (value == {} or value == []):
            found.append(where)
        elif isinstance(value, dict):
            todo.extend(reversed([(v, f"{where}.{k}", True) for k, v in value.items()]))
        elif isinstance(value, list):
            todo.extend(reversed([(v, f"{where}[{i}]", False) for i, v in enumerate(value)]))  # items: not optional
    return found


class RpcSession:
    """Rules that need memory of the connection: RPC-08, -12, -14, -15 on top of the frame rules of `parse()`."""

    def __init__(self, schemas: SchemaStore, *, strictness: Strictness = "strict") -> None:
        self.schemas = schemas
        self.strictness = strictness
        self.outstanding: dict[str, Call] = {}  # our CALLs awaiting the peer's answer
        self.unanswered: dict[str, Call] = {}  # the peer's CALLs we have not answered yet
        self.expired: dict[str, Call] = {}  # our CALLs given up on (timeout)
        self._peer_ids: dict[str, Call] = {}  # every CALL id the peer used on this connection
        self._own_ids: set[str] = set()

    # ---- receiving -------------------------------------------------------------------------------------------
    def receive(self, data: str | bytes) -> Inbound:
        parsed = parse(data, strictness=self.strictness)
        inbound = Inbound(parsed=parsed, findings=list(parsed.findings))
        frame = parsed.frame
        if isinstance(frame, Call):
            self._receive_call(inbound, frame)
        elif parsed.message_type == CALL and parsed.message_id is not None and parsed.reply_code is None:
            inbound.reply = parsed.reply()
        elif parsed.message_type in (3, 4) and parsed.message_id is not None:
            self._receive_response(inbound, parsed)
        if inbound.reply is None:
            inbound.reply = parsed.reply()
        return inbound

    def _receive_call(self, inbound: Inbound, call: Call) -> None:
        parsed = inbound.parsed
        if not self.schemas.knows(call.action):
            inbound.findings.append(finding("RPC-08", Severity.FAIL, _unknown_action_text(call.action, self.schemas),
                                            path="$[2]"))
            parsed.reject(ErrorCode.NOT_IMPLEMENTED, f"Action {call.action[:100]!r} is not known")
        if self.unanswered:
            pending = next(iter(self.unanswered.values()))
            inbound.findings.append(finding(
                "RPC-15", Severity.FAIL,
                f"CALL {call.action} sent while the peer's CALL {pending.action} (id {pending.message_id!r}) "
                "is not answered yet"))
        previous = self._peer_ids.get(call.message_id)
        if previous is not None:
            if previous.action == call.action and _same(previous.payload, call.payload):
                inbound.findings.append(finding("RPC-14", Severity.INFO,
                                                "retried CALL reuses its message id (allowed, errata 2024-09)"))
            else:
                inbound.findings.append(finding(
                    "RPC-14", Severity.FAIL,
                    f"message id {call.message_id!r} already used by the peer for {previous.action}", path="$[1]"))
        self._peer_ids[call.message_id] = call
        self._check_payload(inbound, call.action, "Request", call.payload)
        if parsed.reply_code is None:
            self.unanswered[call.message_id] = call

    def _receive_response(self, inbound: Inbound, parsed: Parsed) -> None:
        message_id = parsed.message_id
        assert message_id is not None
        request = self.outstanding.pop(message_id, None)
        if request is None:
            late = self.expired.pop(message_id, None)
            if late is not None:
                inbound.request = late
                inbound.findings.append(finding("TIMING", Severity.FAIL,
                                                f"answer to {late.action} arrived after the harness gave up on it"))
                self._check_error_code(inbound, late)
            else:
                inbound.findings.append(finding(
                    "RPC-14", Severity.FAIL, f"response id {message_id!r} matches no outstanding CALL", path="$[1]"))
            return
        inbound.request = request
        if isinstance(parsed.frame, CallResult):
            self._check_payload(inbound, request.action, "Response", parsed.frame.payload)
        self._check_error_code(inbound, request)

    def _check_error_code(self, inbound: Inbound, request: Call) -> None:
        """Table 8: NotImplemented says the action is unknown, NotSupported that it is known but not supported.
        No SHALL binds the choice (Table 7's own example answers an unimplemented action NotSupported), so a
        known action answered NotImplemented is a warning."""
        frame = inbound.frame
        if (isinstance(frame, CallError) and frame.error_code == ErrorCode.NOT_IMPLEMENTED.value
                and self.schemas.knows(request.action)):
            inbound.findings.append(finding(
                "RPC-16", Severity.WARN, f"CALLERROR NotImplemented answers {request.action}, an OCPP 2.0.1 action: "
                "NotImplemented means the action is unknown; a known action that is not supported is NotSupported "
                "(Part 4 Table 8)", path="$[2]"))

    def _check_payload(self, inbound: Inbound, action: str, kind: Kind, payload: dict[str, Any]) -> None:
        violations = self.schemas.validate(action, kind, payload)
        for v in violations:
            inbound.findings.append(finding("RPC-12", Severity.FAIL, f"{action}{kind}: {v.message}", path=v.path,
                                            keyword=v.keyword))
        if violations and kind == "Request":
            first = violations[0]
            inbound.parsed.reject(first.error_code, f"{first.path}: {first.message}"[:255])
        for path in empty_optionals(payload) if inbound.parsed.has_empty_values else ():
            inbound.findings.append(finding("RPC-11", Severity.FAIL,
                                            "optional field present but empty; leave it out instead", path=path))

    # ---- sending ---------------------------------------------------------------------------------------------
    def call(self, call: Call) -> Outbound:
        """Register our CALL as outstanding and serialize it."""
        out = Outbound(serialize(call), call)
        if self.outstanding:
            pending = next(iter(self.outstanding.values()))
            out.findings.append(finding("RPC-15", Severity.FAIL,
                                        f"harness sends {call.action} while its {pending.action} is outstanding"))
        if call.message_id in self._own_ids:
            out.findings.append(finding("RPC-14", Severity.FAIL, f"harness reuses message id {call.message_id!r}"))
        self._own_ids.add(call.message_id)
        self.outstanding[call.message_id] = call
        for v in self.schemas.validate(call.action, "Request", call.payload):
            out.findings.append(finding("RPC-12", Severity.FAIL, f"{call.action}Request: {v.message}", path=v.path))
        return out

    def result(self, request: Call, payload: dict[str, Any]) -> Outbound:
        self.unanswered.pop(request.message_id, None)
        frame = CallResult(request.message_id, payload)
        out = Outbound(serialize(frame), frame)
        for v in self.schemas.validate(request.action, "Response", payload):
            out.findings.append(finding("RPC-12", Severity.FAIL, f"{request.action}Response: {v.message}",
                                        path=v.path))
        return out

    def error(self, frame: CallError) -> Outbound:
        self.unanswered.pop(frame.message_id, None)
        return Outbound(serialize(frame), frame)

    def raw(self, text: str) -> Outbound:
        """A frame the harness sends as-is (deliberately broken input): judged like any frame, CALLs registered."""
        parsed = parse(text, strictness=self.strictness)
        out = Outbound(text, parsed.frame, list(parsed.findings))
        if parsed.message_type not in (3, 4):
            # Anything but a response is answered: a CALL, or a CALLERROR for broken input, with id "-1" when the
            # id cannot be read (RPC-09).
            message_id = parsed.message_id if parsed.message_id is not None else "-1"
            self.outstanding[message_id] = Call(message_id, parsed.action or "?", {})
            out.awaits = message_id
        if isinstance(parsed.frame, Call) and self.schemas.knows(parsed.frame.action):
            for v in self.schemas.validate(parsed.frame.action, "Request", parsed.frame.payload):
                out.findings.append(finding("RPC-12", Severity.FAIL, v.message, path=v.path))
        return out

    def expire(self, message_id: str) -> None:
        """Give up on our CALL (timeout): a later answer is reported as late, not as unknown."""
        call = self.outstanding.pop(message_id, None)
        if call is not None:
            self.expired[message_id] = call


def _same(a: Any, b: Any) -> bool:
    """Equal payloads; a payload nested too deeply to compare counts as different."""
    try:
        return bool(a == b)
    except RecursionError:
        return False


def _unknown_action_text(action: str, schemas: SchemaStore) -> str:
    if action.endswith("Request") and schemas.knows(action[: -len("Request")]):
        return f"action {action!r} carries the 'Request' suffix; the action is {action[:-7]!r}"
    folded = {a.lower(): a for a in schemas.actions}
    if action.lower() in folded:
        return f"action {action!r} is spelled with the wrong case; actions are case-sensitive: {folded[action.lower()]!r}"
    return f"action {action[:100]!r} is not an OCPP 2.0.1 message"
