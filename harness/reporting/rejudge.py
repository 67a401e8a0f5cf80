"""Re-judge a recorded transcript offline against the current rules (`ocpp-harness validate`).

Every recorded frame, both directions and in order, goes through a fresh `RpcSession` per connection exactly as
`harness.transport.connection.OcppConnection` feeds the live one: what the SUT sent to `receive()` (its exact
bytes), what the harness sent to `call()` / `result()` / `error()`, or `raw()` for a frame the harness sent as-is.
A recorded timeout expires the CALL, as the live connection does, so a late answer is judged late again.

What the session cannot see offline is carried over as recorded, not re-judged: findings of events (handshake,
TLS, close, timeouts, the status monitor), findings of monitors beyond one frame (the transaction invariants
TX-1..TX-4), a text frame the WebSocket layer refused as invalid UTF-8 before the session saw it, and on a
connection opened before the transcript began (a "resume" event) the reuse of message ids (RPC-14) and the
answers to CALLs made before it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field

from harness.ocppj import Call, CallError, CallResult, Finding, Frame, RpcSession, SchemaStore, Severity
from harness.ocppj.frames import CALL, Strictness, parse, serialize
from harness.transcript import Record

# The rules `parse()` and `RpcSession` judge frame by frame (harness/ocppj/frames.py, session.py).
FRAME_RULES = frozenset({"DT-1", "RPC-05", "RPC-06", "RPC-07", "RPC-08", "RPC-10", "RPC-11", "RPC-12", "RPC-13",
                         "RPC-14", "RPC-15", "RPC-16", "TIMING"})


@dataclass
class Rejudged:
    records: list[Record]  # the transcript with today's findings (re-judged, and carried over as recorded)
    new: list[tuple[Record, Finding]] = field(default_factory=list)  # judged now, not at the time
    gone: list[tuple[Record, Finding]] = field(default_factory=list)  # recorded at the time, not judged now
    carried: list[tuple[Record, Finding]] = field(default_factory=list)  # recorded, not re-judgeable offline
    frames: int = 0  # frames fed through the session

    def failures(self) -> list[tuple[Record, Finding]]:
        """FAIL findings on what the SUT sent or did (the harness's own deliberate frames aside, as in
        `Transcript.failures`)."""
        return [(r, f) for r in self.records for f in r.findings
                if r.direction != "tx" and f.severity is Severity.FAIL]


def _key(f: Finding) -> tuple[str, str, str, str]:
    return f.rule, f.severity.value, f.path, f.text


def _sent(session: RpcSession, text: str, strictness: Strictness) -> tuple[list[Finding], Frame | None,
                                                                           Call | None]:
    """Judge a frame the harness sent. The answer to the peer's CALL went through `result()` / `error()` (which
    check it and mark the CALL answered); everything else is judged as `raw()` judges a frame sent as-is: the
    harness's own CALLs then register as outstanding the same way. (A well-formed CALL the harness built with
    `call()` would also be judged for overlapping its own outstanding CALL and reusing its own id; on the
    harness's own frames those findings never count for the SUT's verdict.)"""
    frame = parse(text, strictness=strictness).frame
    canonical = frame is not None and serialize(frame) == text
    if canonical and isinstance(frame, CallResult) and frame.message_id in session.unanswered:
        request = session.unanswered[frame.message_id]
        return session.result(request, frame.payload).findings, frame, request
    if canonical and isinstance(frame, CallError):
        return session.error(frame).findings, frame, None
    out = session.raw(text)
    return out.findings, out.frame, None


def rejudge(records: list[Record], schemas: SchemaStore, *, strictness: Strictness = "strict") -> Rejudged:
    """Judge every frame of `records` again; compare with the findings recorded with them."""
    result = Rejudged(records=[])
    sessions: dict[int, RpcSession] = {}
    resumed: set[int] = set()  # connections opened before this transcript began: their earlier CALLs are unknown
    answered = _answered(records, strictness)
    for record in records:
        if record.direction == "event" or (record.direction == "rx" and record.data is not None and not record.binary):
            if record.event == "resume":
                resumed.add(record.conn)
            message_id = record.detail.get("message_id")
            if record.event == "timeout" and record.conn in sessions and isinstance(message_id, str):
                sessions[record.conn].expire(message_id)
            result.records.append(record)
            result.carried += [(record, f) for f in record.findings]
            continue
        session = sessions.setdefault(record.conn, RpcSession(schemas, strictness=strictness))
        if record.direction == "rx":
            if record.conn in resumed and _answers_unknown_call(session, record, strictness):
                result.records.append(record)  # its CALL went before this transcript: the recorded verdict stands
                result.carried += [(record, f) for f in record.findings]
                continue
            rules = FRAME_RULES
            never = [m for m in session.unanswered if (record.conn, m) not in answered]
            if never and parse(record.raw, strictness=strictness).message_type == CALL:
                # The harness left the peer's CALL unanswered on purpose; live, it stopped counting for RPC-15
                # after the SUT's message timeout, a moment the transcript does not hold: RPC-15 stays as recorded.
                for message_id in never:
                    session.unanswered.pop(message_id)
                rules = FRAME_RULES - {"RPC-15"}
            if record.conn in resumed:
                rules = rules - {"RPC-14"}  # the ids the SUT used before this transcript began are not in it
            inbound = session.receive(record.data if record.binary and record.data is not None else record.raw)
            fresh, frame, request = [f for f in inbound.findings if f.rule in rules], inbound.frame, inbound.request
        else:
            rules = FRAME_RULES
            fresh, frame, request = _sent(session, record.raw, strictness)
        result.frames += 1
        carried = [f for f in record.findings if f.rule not in rules]
        then = Counter(_key(f) for f in record.findings if f.rule in rules)
        now = Counter(_key(f) for f in fresh)
        judged = dataclasses.replace(record, frame=frame, request=request, findings=[*fresh, *carried])
        result.records.append(judged)
        result.carried += [(judged, f) for f in carried]
        result.new += [(judged, f) for f in fresh if now[_key(f)] > then[_key(f)]]
        result.gone += [(judged, f) for f in record.findings if f.rule in rules and then[_key(f)] > now[_key(f)]]
    return result


def _answered(records: list[Record], strictness: Strictness) -> set[tuple[int, str]]:
    """(connection, message id) of every response the harness sent."""
    ids: set[tuple[int, str]] = set()
    for r in records:
        if r.direction == "tx":
            parsed = parse(r.raw, strictness=strictness)
            if parsed.message_type in (3, 4) and parsed.message_id is not None:
                ids.add((r.conn, parsed.message_id))
    return ids


def _answers_unknown_call(session: RpcSession, record: Record, strictness: Strictness) -> bool:
    parsed = parse(record.raw, strictness=strictness)
    return (isinstance(parsed.frame, CallResult | CallError) and parsed.message_id not in session.outstanding
            and parsed.message_id not in session.expired)
