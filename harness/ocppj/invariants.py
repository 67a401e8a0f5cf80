"""Transaction invariants the monitor checks on every TransactionEvent a station sends, in every test (issue 3).

Sans-I/O like the rest of the core: frames and wall-clock times in, findings out. One instance per station
identity for the whole session, because a transaction outlives connections (that is the point of the offline
rules). Part 6 §2.1 tool rules: events may arrive out of order but `seqNo` must be sequential; the first event of
a transaction is `Started`; events the station queued while offline carry `offline: true`; an `Ended` event names
its `stoppedReason` unless the reason is Local.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness.ocppj.findings import Finding, Severity, finding
from harness.ocppj.frames import Call

# triggerReason of an Ended event -> the stoppedReason it implies (all but Local must be sent).
_IMPLIED_STOP = {"EVCommunicationLost": "EVDisconnected", "EVDeparted": "EVDisconnected", "RemoteStop": "Remote",
                 "Deauthorized": "DeAuthorized", "EVConnectTimeout": "Timeout", "EnergyLimitReached": "EnergyLimitReached",
                 "SOCLimitReached": "SOCLimitReached", "TimeLimitReached": "TimeLimitReached",
                 "StopAuthorized": "Local", "AbnormalCondition": None, "ResetCommand": None}


@dataclass
class _Transaction:
    first_type: str
    # seqNo -> payload (a retry repeats it), or its digest when carried over from an earlier transcript (`seed`)
    seq_nos: dict[int, Any] = field(default_factory=dict)
    ended: bool = False


class TransactionInvariants:
    """Feed it every CALL the station sends (`inspect`), and each new connection (`connection_opened`)."""

    def __init__(self, *, clock_tolerance: float = 4.0) -> None:
        self.clock_tolerance = timedelta(seconds=clock_tolerance)
        self.transactions: dict[str, _Transaction] = {}
        self._opened: dict[int, datetime] = {}  # connection number -> when it opened (UTC)

    def state(self) -> dict[str, Any]:
        """What the invariants know of the session's transactions so far, as JSON, to carry into a transcript that
        begins in the middle of the session (`seed`): each transaction's events as digests (what `ocpp-harness
        validate` needs to judge the next events as the live monitor did)."""
        return {tx_id: {"first": tx.first_type, "ended": tx.ended,
                        "seq": {str(n): p if isinstance(p, str) else _digest(p) for n, p in tx.seq_nos.items()}}
                for tx_id, tx in self.transactions.items()}

    def seed(self, state: dict[str, Any]) -> None:
        """Start from a state `state()` recorded (the transactions known before a transcript began)."""
        self.transactions = {
            str(tx_id): _Transaction(first_type=str(t.get("first")), ended=bool(t.get("ended")),
                                     seq_nos={int(n): str(p) for n, p in t.get("seq", {}).items()})
            for tx_id, t in state.items() if isinstance(t, dict)}

    def connection_opened(self, conn: int, at: datetime) -> None:
        self._opened[conn] = at

    def inspect(self, conn: int, call: Call) -> list[Finding]:
        """Findings for one CALL of the station (only TransactionEvent has invariants here)."""
        if call.action != "TransactionEvent":
            return []
        payload = call.payload
        info = payload.get("transactionInfo") or {}
        tx_id, seq_no, event = info.get("transactionId"), payload.get("seqNo"), payload.get("eventType")
        if not isinstance(tx_id, str) or not isinstance(seq_no, int) or not isinstance(event, str):
            return []  # schema-invalid: RPC-12 already says so
        findings = self._offline_flag(conn, payload)
        tx = self.transactions.get(tx_id)
        if tx is None:
            tx = self.transactions[tx_id] = _Transaction(first_type=event)
            if event != "Started":
                findings.append(finding("TX-2", Severity.FAIL, f"first TransactionEvent of transaction {tx_id} is "
                                                               f"{event}, not Started", path="$.eventType"))
        findings += self._sequence(tx_id, tx, seq_no, payload)
        if event == "Ended":
            tx.ended = True
            findings += self._stopped_reason(tx_id, payload, info)
            findings += self._gaps(tx_id, tx)
        return findings

    def _offline_flag(self, conn: int, payload: dict[str, Any]) -> list[Finding]:
        opened = self._opened.get(conn)
        stamp = _parse(payload.get("timestamp"))
        if opened is None or stamp is None or payload.get("offline") is True:
            return []
        if stamp < opened - self.clock_tolerance:
            return [finding("TX-3", Severity.FAIL,
                            f"event of {stamp.isoformat()} happened before this connection opened "
                            f"({opened.isoformat()}, tolerance {self.clock_tolerance.total_seconds():g} s), so it was "
                            "queued while offline, but it lacks offline: true", path="$.offline")]
        return []

    @staticmethod
    def _sequence(tx_id: str, tx: _Transaction, seq_no: int, payload: dict[str, Any]) -> list[Finding]:
        findings: list[Finding] = []
        earlier = tx.seq_nos.get(seq_no)
        if earlier is not None and not _same_event(earlier, payload):
            findings.append(finding("TX-1", Severity.FAIL, f"seqNo {seq_no} of transaction {tx_id} used again for "
                                                           "a different event (a retry repeats the same event)",
                                    path="$.seqNo"))
        if tx.ended and earlier is None:
            findings.append(finding("TX-1", Severity.FAIL, f"event seqNo {seq_no} after transaction {tx_id} ended",
                                    path="$.seqNo"))
        tx.seq_nos.setdefault(seq_no, payload)
        return findings

    @staticmethod
    def _gaps(tx_id: str, tx: _Transaction) -> list[Finding]:
        """At Ended every seqNo from the first to the last has arrived (queued events come before newer ones)."""
        seen = sorted(tx.seq_nos)
        missing = sorted(set(range(seen[0], seen[-1] + 1)) - set(seen))
        if not missing:
            return []
        return [finding("TX-1", Severity.FAIL, f"transaction {tx_id} ended with seqNo {seen[-1]} but seqNo "
                                               f"{', '.join(map(str, missing))} never arrived", path="$.seqNo",
                        missing=missing)]

    @staticmethod
    def _stopped_reason(tx_id: str, payload: dict[str, Any], info: dict[str, Any]) -> list[Finding]:
        if "stoppedReason" in info:
            return []
        implied = _IMPLIED_STOP.get(str(payload.get("triggerReason")))
        if implied is None or implied == "Local":
            return []
        return [finding("TX-4", Severity.FAIL, f"Ended event of transaction {tx_id} (triggerReason "
                                               f"{payload.get('triggerReason')}) has no stoppedReason; only a Local "
                                               f"stop may omit it (expected {implied})",
                        path="$.transactionInfo.stoppedReason")]


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _same_event(earlier: Any, payload: dict[str, Any]) -> bool:
    """The same event again (a retry): `earlier` is the payload, or its digest in a state carried over (`state`)."""
    return _digest(payload) == earlier if isinstance(earlier, str) else bool(earlier == payload)


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None
