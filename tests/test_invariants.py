"""The transaction invariants of the monitor (sans-I/O): each rule fires on exactly its misbehaviour and stays
quiet for a conforming transaction, including an offline one replayed after a reconnect and a retried event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harness.ocppj import Call
from harness.ocppj.invariants import TransactionInvariants

T0 = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def event(seq: int, kind: str = "Updated", *, tx: str = "tx-1", at: datetime = T0, trigger: str = "MeterValuePeriodic",
          offline: bool | None = None, **info: Any) -> Call:
    payload: dict[str, Any] = {"eventType": kind, "timestamp": at.isoformat().replace("+00:00", "Z"),
                               "triggerReason": trigger, "seqNo": seq,
                               "transactionInfo": {"transactionId": tx, **info}}
    if offline is not None:
        payload["offline"] = offline
    return Call(f"m{seq}-{kind}", "TransactionEvent", payload)


def rules(monitor: TransactionInvariants, conn: int, *calls: Call) -> list[str]:
    return [f.rule for call in calls for f in monitor.inspect(conn, call)]


def test_a_conforming_transaction_has_no_finding() -> None:
    monitor = TransactionInvariants()
    monitor.connection_opened(1, T0 - timedelta(minutes=5))
    assert rules(monitor, 1, event(0, "Started", trigger="Authorized"), event(1), event(1),  # a retry repeats seqNo 1
                 event(2, "Ended", trigger="StopAuthorized")) == []


def test_a_seq_no_gap_is_found_when_the_transaction_ends() -> None:
    monitor = TransactionInvariants()
    findings = [f for c in (event(0, "Started"), event(2), event(3, "Ended", trigger="StopAuthorized"))
                for f in monitor.inspect(1, c)]
    assert [f.rule for f in findings] == ["TX-1"]
    assert "seqNo 1 never arrived" in findings[0].text


def test_a_seq_no_reused_for_another_event_is_found() -> None:
    monitor = TransactionInvariants()
    assert rules(monitor, 1, event(0, "Started"), event(1, trigger="ChargingStateChanged"),
                 event(1, trigger="MeterValuePeriodic")) == ["TX-1"]


def test_a_transaction_that_does_not_start_with_started_is_found() -> None:
    assert rules(TransactionInvariants(), 1, event(0, "Updated")) == ["TX-2"]


def test_an_event_from_before_the_connection_needs_the_offline_flag() -> None:
    monitor = TransactionInvariants(clock_tolerance=4)
    monitor.connection_opened(1, T0 - timedelta(minutes=10))
    assert rules(monitor, 1, event(0, "Started", at=T0 - timedelta(minutes=9))) == []
    monitor.connection_opened(2, T0)  # reconnect after an offline period
    queued = event(1, at=T0 - timedelta(seconds=30))
    assert rules(monitor, 2, queued) == ["TX-3"]
    assert rules(monitor, 2, event(2, at=T0 - timedelta(seconds=20), offline=True)) == []
    assert rules(monitor, 2, event(3, at=T0 - timedelta(seconds=3))) == []  # inside the clock tolerance


def test_ended_without_stopped_reason_is_found_unless_local() -> None:
    monitor = TransactionInvariants()
    assert rules(monitor, 1, event(0, "Started", tx="a"), event(1, "Ended", tx="a", trigger="RemoteStop")) == ["TX-4"]
    assert rules(monitor, 1, event(0, "Started", tx="b"),
                 event(1, "Ended", tx="b", trigger="RemoteStop", stoppedReason="Remote")) == []
    assert rules(monitor, 1, event(0, "Started", tx="c"), event(1, "Ended", tx="c", trigger="StopAuthorized")) == []


def test_an_event_after_the_end_is_found() -> None:
    monitor = TransactionInvariants()
    assert rules(monitor, 1, event(0, "Started"), event(1, "Ended", trigger="StopAuthorized"), event(2)) == ["TX-1"]
