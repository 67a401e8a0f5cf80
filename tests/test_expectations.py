"""Matchers and the expectation engine, fed by hand (no sockets)."""

from __future__ import annotations

import asyncio
import json

import pytest

from harness.expect import CallExpectation, Expectations, check_interval
from harness.failures import OcppFailure
from harness.matchers import ABSENT, ANY, AnyItem, IsType, OneOf, Regex, TimeWithin, difference
from harness.ocppj import RpcSession, default_store
from harness.ocppj.defaults import now_iso
from harness.transcript import Transcript


def feed(t: Transcript, e: Expectations, session: RpcSession, text: str) -> None:
    inbound = session.receive(text)
    session.unanswered.clear()
    e.offer(t.add(1, "rx", text, frame=inbound.frame, findings=inbound.findings))


def test_difference_names_each_mismatch() -> None:
    actual = {"status": "Accepted", "interval": 5, "nested": {"a": 1}, "when": now_iso()}
    assert difference({"status": "Accepted", "interval": IsType(int), "when": TimeWithin(5), "x": ABSENT}, actual) == []
    diffs = difference({"status": OneOf("Pending", "Rejected"), "interval": IsType(str), "nested": {"a": 2},
                        "missing": ANY, "when": Regex(r"\d{4}")}, actual)
    assert len(diffs) == 5
    assert any(d.startswith("$.nested.a: expected 2, got 1") for d in diffs)
    assert difference({"x": ABSENT}, {"x": 1}) == ["$.x: expected absent, got 1"]
    assert difference({"n": 1}, {"n": True}) != []  # bool is not a number here


async def test_expect_matches_partially_and_reports_near_misses() -> None:
    t, s = Transcript(), RpcSession(default_store())
    e = Expectations(t)
    exp = e.expect("Heartbeat")
    wrong = e.expect("BootNotification", {"reason": "PowerUp"})
    feed(t, e, s, json.dumps([2, "1", "BootNotification", {"reason": "Triggered",
                                                           "chargingStation": {"model": "m", "vendorName": "v"}}]))
    feed(t, e, s, '[2,"2","Heartbeat",{}]')
    assert (await e.wait(exp, 1)).action == "Heartbeat"
    with pytest.raises(OcppFailure, match="not as expected") as failure:
        await e.wait(wrong, 0.05)
    assert "$.reason: expected 'PowerUp', got 'Triggered'" in str(failure.value)


async def test_backlog_serves_a_late_expectation_and_invalid_frames_fail() -> None:
    t, s = Transcript(), RpcSession(default_store())
    e = Expectations(t)
    feed(t, e, s, '[2,"1","Heartbeat",{}]')
    assert (await e.wait(e.expect("Heartbeat"), 0.01)).seq == 1
    feed(t, e, s, '[2,"2","StatusNotification",{"timestamp":"yesterday"}]')
    with pytest.raises(OcppFailure, match=r"not valid OCPP 2\.0\.1") as failure:
        await e.wait(e.expect("StatusNotification"), 0.01)
    assert "RPC-12" in str(failure.value)


async def test_forbidden_message_fails_the_wait_at_once() -> None:
    t, s = Transcript(), RpcSession(default_store())
    e = Expectations(t)
    boot = e.expect("BootNotification")
    e.forbid("*", unless=("BootNotification",), reason="Pending", until=boot)
    asyncio.get_running_loop().call_soon(feed, t, e, s, '[2,"1","Heartbeat",{}]')
    with pytest.raises(OcppFailure, match="forbidden message: Heartbeat"):
        await e.wait(boot, 30)  # fails long before its deadline


async def test_silence_fails_at_the_deadline_naming_what_came_instead() -> None:
    t, s = Transcript(), RpcSession(default_store())
    e = Expectations(t)
    exp = e.expect("BootNotification")
    feed(t, e, s, '[2,"1","Heartbeat",{}]')
    with pytest.raises(OcppFailure, match=r"no BootNotification from the SUT within 0\.05 s") as failure:
        await e.wait(exp, 0.05)
    assert "received instead: Heartbeat" in str(failure.value)


def test_check_interval() -> None:
    assert "measured 10.50 s" in check_interval(10.5, expected=10, tolerance=1, what="heartbeat")
    with pytest.raises(OcppFailure, match="TIMING"):
        check_interval(2, expected=10, tolerance=1, what="heartbeat")
    assert check_interval(30, expected=10, tolerance=1, what="retry", minimum_only=True)


# ---- issue 11 / 12: alternatives, shared observations, answered backlog, deadlines ---------------------------------
def _status(message_id: str, evse: int, status: str) -> str:
    return json.dumps([2, message_id, "StatusNotification", {"timestamp": now_iso(), "connectorStatus": status,
                                                             "evseId": evse, "connectorId": 1}])


def _availability(message_id: str, *connectors: tuple[int, str]) -> str:
    data = [{"eventId": n, "timestamp": now_iso(), "trigger": "Delta", "actualValue": status,
             "eventNotificationType": "HardWiredNotification", "variable": {"name": "AvailabilityState"},
             "component": {"name": "Connector", "evse": {"id": evse, "connectorId": 1}}}
            for n, (evse, status) in enumerate(connectors, 1)]
    return json.dumps([2, message_id, "NotifyEvent", {"generatedAt": now_iso(), "seqNo": 0, "eventData": data}])


def _connector(e: Expectations, evse: int, status: str = "Available") -> CallExpectation:
    alternatives = (("NotifyEvent", {"eventData": AnyItem({"actualValue": status, "component": {
        "name": "Connector", "evse": {"id": evse, "connectorId": 1}}})}),)
    return e.expect("StatusNotification", {"evseId": evse, "connectorStatus": status}, alternatives=alternatives,
                    shared=True)


async def test_one_notify_event_satisfies_every_connector_it_reports() -> None:
    t, s = Transcript(), RpcSession(default_store())
    e = Expectations(t)
    first, second = _connector(e, 1), _connector(e, 2)
    feed(t, e, s, _availability("1", (1, "Available"), (2, "Available")))
    assert (await e.wait(first, 0.01)).seq == (await e.wait(second, 0.01)).seq == 1
    assert [r.action for r in e.backlog] == ["NotifyEvent"]  # observed, not claimed: still the default's


async def test_a_status_notification_is_the_other_alternative_and_misses_are_named() -> None:
    t, s = Transcript(), RpcSession(default_store())
    e = Expectations(t)
    feed(t, e, s, _status("1", 1, "Occupied"))
    exp = _connector(e, 1)  # registered after the frames: a shared expectation looks at the whole test
    feed(t, e, s, _availability("2", (1, "Faulted")))
    with pytest.raises(OcppFailure, match="not as expected") as failure:
        await e.wait(exp, 0.05)
    assert "Faulted" in str(failure.value)
    feed(t, e, s, _status("3", 1, "Available"))
    assert (await e.wait(_connector(e, 1), 0.01)).message_id == "3"


async def test_an_answering_expectation_is_never_met_by_a_call_answered_before() -> None:
    """Issue 12: a late BootNotification answered Accepted by default must not pass for the one the case answers
    Rejected; the failure names the early one."""
    t, s = Transcript(), RpcSession(default_store())
    e = Expectations(t)
    boot = json.dumps([2, "1", "BootNotification", {"reason": "PowerUp",
                                                    "chargingStation": {"model": "m", "vendorName": "v"}}])
    feed(t, e, s, boot)
    rejected = e.expect("BootNotification", respond={"status": "Rejected"})
    with pytest.raises(OcppFailure, match="no BootNotification") as failure:
        await e.wait(rejected, 0.05)
    assert "came before this step and was answered by default" in str(failure.value)
    assert e.expect("BootNotification").future.done()  # an observing expectation may still take it


async def test_a_near_miss_gets_the_answer_the_step_intends_when_asked() -> None:
    t, s = Transcript(), RpcSession(default_store())
    e = Expectations(t)
    e.expect("BootNotification", {"reason": "Triggered"}, respond={"status": "Accepted"}, answer_near_miss=True)
    plain = Expectations(Transcript())
    plain.expect("BootNotification", {"reason": "Triggered"}, respond={"status": "Accepted"})
    boot = json.dumps([2, "1", "BootNotification", {"reason": "PowerUp",
                                                    "chargingStation": {"model": "m", "vendorName": "v"}}])
    inbound = s.receive(boot)
    answered = e.offer(t.add(1, "rx", boot, frame=inbound.frame, findings=inbound.findings))
    assert answered is not None and answered.respond == {"status": "Accepted"}
    assert plain.offer(t.add(1, "rx", boot, frame=inbound.frame, findings=inbound.findings)) is None


async def test_a_deadline_runs_from_the_wait_not_from_the_registration() -> None:
    """Issue 12: TC_B_03_CS registered the connector expectations before the Rejected interval; a station that
    reported 33 ms after its retry failed "within 10 s"."""
    t, s = Transcript(), RpcSession(default_store())
    e = Expectations(t)
    exp = e.expect("Heartbeat")
    exp.registered -= 60  # as if registered a minute ago
    waiting = asyncio.ensure_future(e.wait(exp, 0.5))
    await asyncio.sleep(0)
    feed(t, e, s, '[2,"1","Heartbeat",{}]')
    assert (await waiting).action == "Heartbeat"


async def test_a_schema_invalid_call_is_named_instead_of_silence() -> None:
    """Issue 12: an expected CALL that arrives schema-invalid read 'no RequestStartTransaction within 10 s'."""
    t, s = Transcript(), RpcSession(default_store())
    e = Expectations(t)
    exp = e.expect("BootNotification")
    text = json.dumps([2, "1", "BootNotification", {"reason": "Foo", "chargingStation": {"model": "m",
                                                                                        "vendorName": "v"}}])
    inbound = s.receive(text)
    t.add(1, "rx", text, frame=inbound.frame, findings=inbound.findings)  # refused by the session: never offered
    with pytest.raises(OcppFailure, match="BootNotification arrived but is not valid") as failure:
        await e.wait(exp, 0.05)
    assert "$.reason:" in str(failure.value) and "RPC-12" in failure.value.rules
    headline = str(failure.value).split("\n")[0]
    assert headline.startswith("BootNotification arrived but is not valid OCPP 2.0.1") and ": $.reason: " in headline, \
        headline


async def test_the_label_of_a_wait_names_a_matcher_payload() -> None:
    """An expectation whose payload is a matcher (not a dict) is named in the waiting line, not a TypeError (a wait
    of 30 s or more announces its label: TC_E_51_CS crashed on it)."""
    from harness.matchers import Where

    exp = CallExpectation("TransactionEvent", Where(lambda p: p.get("offline") is True, "offline: true"))  # type: ignore[arg-type]
    assert exp.label().startswith("TransactionEvent ") and "offline: true" in exp.label()
    assert CallExpectation("Heartbeat", {"x": 1}).label() == "Heartbeat {'x': 1}"
