"""Re-judge a recorded transcript offline against the current rules (`ocpp-harness validate`).

The monitor (`harness.ocppj.monitor`) that judged the live connection judges the transcript again, fed the same
events from what the transcript recorded: each handshake (its facts, the Authorization header reduced to
`AuthFacts`, never the password), each TLS session or failed TLS handshake (its facts), a connection opened (its
time, for TX-3), every frame both ways in order (what the SUT sent as its exact bytes; what the harness sent from
its text, see `Monitor.sent`), a timeout, a close (code, reason and cause), a text frame that was not UTF-8. So
handshake, TLS, close, RPC-01..RPC-16, DT-1, WS-1, TIMING, TX-1..TX-4 and ST-1 are all judged again.

What one transcript cannot hold is carried over as recorded, not re-judged:
- a test case's transcript begins in the middle of the station's session. The CSMS role records, as the case
  begins, what the monitor knows of the station's transactions (event "monitor_state": each transaction's first
  event type, whether it ended, its seqNos with a digest of each event); validate starts from it and judges
  TX-1..TX-4 exactly. In a transcript without it, a transaction whose first event here is not Started may have
  begun before: TX-1 and TX-2 of its events stay as recorded; TX-3 and TX-4 are judged.
- a connection opened before the transcript began (a "resume" event) keeps as recorded the reuse of message ids
  (RPC-14) and the answers to CALLs made before it.
- a CALL the harness left unanswered on purpose stops counting for RPC-15 after the SUT's message timeout: the
  transcript records that moment (event "released"); one from an older harness without it keeps RPC-15 as recorded
  after such a CALL.
- ST-1 (every connector reported after an accepted boot) is judged at a deadline, a moment only the live run has:
  the transcript records that judgement (event "monitor", with the connectors wanted) whether it found anything or
  not, and validate judges again there from the frames since the accepted boot. A judgement whose boot is in an
  earlier transcript (it went to the lobby's), or one an older harness recorded without the connectors, stays as
  recorded.
- an event recorded by an older harness without the facts the monitor needs: as recorded.
Per-run policies applied when recording (a TLS finding outside TC_A_04..08 is lowered to a warning once per run,
`usecase.tls_findings`) keep what the monitor judged in the finding's `extra.monitor`; the comparison uses it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.ocppj import Call, CallError, CallResult, Finding, RpcSession, SchemaStore, Severity
from harness.ocppj.frames import CALL, Strictness, parse
from harness.ocppj.monitor import (
    Monitor,
    handshake_findings,
    judge_tls_session,
    refusal_findings,
    undecodable,
)
from harness.transcript import Record

# The rules the monitor judges frame by frame (harness/ocppj/frames.py, session.py, invariants.py).
FRAME_RULES = frozenset({"DT-1", "RPC-05", "RPC-06", "RPC-07", "RPC-08", "RPC-10", "RPC-11", "RPC-12", "RPC-13",
                         "RPC-14", "RPC-15", "RPC-16", "TIMING", "TX-1", "TX-2", "TX-3", "TX-4"})


@dataclass
class Rejudged:
    records: list[Record]  # the transcript with today's findings (re-judged, and carried over as recorded)
    new: list[tuple[Record, Finding]] = field(default_factory=list)  # judged now, not at the time
    gone: list[tuple[Record, Finding]] = field(default_factory=list)  # recorded at the time, not judged now
    carried: list[tuple[Record, Finding]] = field(default_factory=list)  # recorded, not re-judgeable offline
    frames: int = 0  # frames fed through the monitor
    events: int = 0  # events (handshake, TLS, timeout, close, ...) judged again by the monitor

    def failures(self) -> list[tuple[Record, Finding]]:
        """FAIL findings on what the SUT sent or did (the harness's own deliberate frames aside, as in
        `Transcript.failures`)."""
        return [(r, f) for r in self.records for f in r.findings
                if r.direction != "tx" and f.severity is Severity.FAIL]


def _key(f: Finding) -> tuple[str, str, str, str]:
    judged = f.extra.get("monitor") if isinstance(f.extra.get("monitor"), dict) else None
    if judged is not None:  # lowered by a per-run policy when recorded: compare what the monitor judged
        return f.rule, str(judged.get("severity")), f.path, str(judged.get("text"))
    return f.rule, f.severity.value, f.path, f.text


def _event_findings(monitor: Monitor, record: Record) -> list[Finding] | None:
    """The monitor's findings on an event record, or None when the record cannot be judged again offline."""
    d, conn = record.detail, record.conn
    if record.direction == "rx":  # a text frame the WebSocket layer refused as not UTF-8
        return undecodable(record.data or b"")
    if record.event == "handshake":
        return handshake_findings(d) if "auth_facts" in d else None
    if record.event == "tls":
        return judge_tls_session(d) if "certificate" in d else None
    if record.event in ("refused", "unreachable"):
        failure = d.get("tls_failure")
        return None if failure is not None and "facts" not in failure else refusal_findings(d)
    if record.event in ("open", "resume"):
        opened = _time(d.get("opened_at"))
        if opened is not None:
            monitor.opened(conn, opened)
            tolerance = d.get("clock_tolerance")
            if monitor.invariants is not None and isinstance(tolerance, int | float):
                monitor.invariants.clock_tolerance = timedelta(seconds=tolerance)
        return [] if not record.findings else None
    if record.event == "monitor_state":
        if monitor.invariants is not None and isinstance(d.get("transactions"), dict):
            monitor.invariants.seed(d["transactions"])
        return []
    if record.event == "released":
        message_id = d.get("message_id")
        if isinstance(message_id, str):
            monitor.release(conn, message_id)
        return []
    if record.event == "timeout":
        message_id, action, after = d.get("message_id"), d.get("action"), d.get("after")
        if not isinstance(message_id, str) or not isinstance(after, int | float):
            return None
        return monitor.timeout(conn, message_id, str(action), after, silence_allowed=bool(d.get("silence_allowed")))
    if record.event == "monitor" and d.get("rule") == "ST-1":
        wanted, within = d.get("wanted"), d.get("within")
        if not isinstance(wanted, list) or not isinstance(within, int | float):
            return None
        return monitor.connectors_reported(conn, [(int(e), int(c)) for e, c in wanted], within)
    if record.event == "close":
        cause = d.get("cause")
        return monitor.closed(conn, d.get("code"), str(d.get("reason") or ""),
                              cause if cause in ("too_big", "protocol", "utf8") else None, str(d.get("cause_text", "")))
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _compare(result: Rejudged, record: Record, fresh: Sequence[Finding], rules: frozenset[str] | None,
             **changes: Any) -> None:
    """Record `fresh` (the monitor's findings now) against the findings recorded with `record`; recorded findings
    outside `rules` (None: all rules) are carried over as recorded."""
    judged_rules = (lambda f: True) if rules is None else (lambda f: f.rule in rules)
    fresh = [f for f in fresh if judged_rules(f)]
    carried = [f for f in record.findings if not judged_rules(f)]
    then = Counter(_key(f) for f in record.findings if judged_rules(f))
    now = Counter(_key(f) for f in fresh)
    judged = dataclasses.replace(record, findings=[*fresh, *carried], **changes)
    result.records.append(judged)
    result.carried += [(judged, f) for f in carried]
    result.new += [(judged, f) for f in fresh if now[_key(f)] > then[_key(f)]]
    result.gone += [(judged, f) for f in record.findings if judged_rules(f) and then[_key(f)] > now[_key(f)]]


def rejudge(records: list[Record], schemas: SchemaStore, *, strictness: Strictness = "strict") -> Rejudged:
    """Judge every event and frame of `records` again; compare with the findings recorded with them."""
    result = Rejudged(records=[])
    monitor = Monitor(schemas, strictness=strictness, transactions=True)
    resumed: set[int] = set()  # connections opened before this transcript began: their earlier CALLs are unknown
    opened: set[int] = set()  # connections whose opening time is known (TX-3 can be judged)
    answered = _answered(records, strictness)
    # a harness that records when the peer's unanswered CALL stops counting (event "released") lets RPC-15 be
    # judged exactly; an older transcript keeps RPC-15 as recorded after a CALL the harness never answered
    releases = any(r.event == "released" for r in records)
    # a transcript that starts from the monitor's state of the station's transactions (event "monitor_state") judges
    # TX-1..TX-4 exactly; without it a transaction whose first event here is not Started may have begun before
    seeded = any(r.event == "monitor_state" for r in records)
    for record in records:
        if record.direction == "event" or (record.direction == "rx" and record.data is not None and not record.binary):
            if record.event == "resume":
                resumed.add(record.conn)
            if record.event in ("open", "resume") and "opened_at" in record.detail:
                opened.add(record.conn)
            fresh = _event_findings(monitor, record)
            if fresh is None:
                result.records.append(record)
                result.carried += [(record, f) for f in record.findings]
            else:
                result.events += 1
                _compare(result, record, fresh, None)
            continue
        session = monitor.session(record.conn)
        if record.direction == "rx":
            if record.conn in resumed and _answers_unknown_call(session, record, strictness):
                result.records.append(record)  # its CALL went before this transcript: the recorded verdict stands
                result.carried += [(record, f) for f in record.findings]
                continue
            rules = FRAME_RULES
            never = [m for m in session.unanswered if (record.conn, m) not in answered]
            if never and not releases and parse(record.raw, strictness=strictness).message_type == CALL:
                # The harness left the peer's CALL unanswered on purpose; live, it stopped counting for RPC-15
                # after the SUT's message timeout, a moment the transcript does not hold: RPC-15 stays as recorded.
                for message_id in never:
                    session.unanswered.pop(message_id)
                rules = FRAME_RULES - {"RPC-15"}
            if record.conn in resumed:
                rules = rules - {"RPC-14"}  # the ids the SUT used before this transcript began are not in it
            if record.conn not in opened:
                rules = rules - {"TX-3"}  # when the connection opened is not recorded
            inbound = monitor.received(record.conn, record.data if record.binary and record.data is not None
                                       else record.raw)
            if not seeded and _began_before(monitor, inbound.frame):
                rules = rules - {"TX-1", "TX-2"}  # the transaction's earlier events are not in this transcript
            fresh, frame, request = inbound.findings, inbound.frame, inbound.request
        else:
            rules = FRAME_RULES
            fresh, frame, request = monitor.sent(record.conn, record.raw)
        result.frames += 1
        _compare(result, record, fresh, rules, frame=frame, request=request)
    return result


def _began_before(monitor: Monitor, frame: Any) -> bool:
    """A TransactionEvent of a transaction whose first event in this transcript is not Started."""
    if monitor.invariants is None or not isinstance(frame, Call) or frame.action != "TransactionEvent":
        return False
    tx_id = (frame.payload.get("transactionInfo") or {}).get("transactionId")
    tx = monitor.invariants.transactions.get(tx_id) if isinstance(tx_id, str) else None
    return tx is not None and tx.first_type != "Started"


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
