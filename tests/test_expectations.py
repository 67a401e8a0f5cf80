"""Matchers and the expectation engine, fed by hand (no sockets)."""

from __future__ import annotations

import asyncio
import json

import pytest

from harness.expect import Expectations, check_interval
from harness.failures import OcppFailure
from harness.matchers import ABSENT, ANY, IsType, OneOf, Regex, TimeWithin, difference
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
