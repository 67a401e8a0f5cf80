"""The station simulator's network connection profiles (B09, B10, A05): the rules alone, then the simulator moving
to the profile first in NetworkConfigurationPriority after a reset, falling back when it cannot connect there, and
going back with the lab's restore-network-profile."""

from __future__ import annotations

from typing import Any

import pytest
from test_station_simulator import Lab, TinyCsms, booted, event, lab, rx_call

from harness.ocppj import Call
from harness.simulators.network_profiles import Checks, NetworkProfile, NetworkProfiles

__all__ = ["lab"]  # the fixture, used by the tests below

pytestmark = pytest.mark.filterwarnings("error")


def data(url: str = "wss://127.0.0.1:1/ocpp", security: int = 2) -> dict[str, Any]:
    return {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url, "securityProfile": security,
            "messageTimeout": 30, "ocppInterface": "Wired0"}


@pytest.mark.parametrize(("slot", "connection", "checks", "reason"), [
    (2, data(), Checks(current=1, has_root=True, has_station_certificate=False), None),
    (2, data(security=1), Checks(current=2, has_root=True, has_station_certificate=False), "lower than the current"),
    (2, data(security=1), Checks(current=2, has_root=True, has_station_certificate=False, allow_downgrade=True), None),
    (2, data(), Checks(current=1, has_root=False, has_station_certificate=False), "A05.FR.02"),
    (2, data(), Checks(current=1, has_root=False, has_station_certificate=False, skip_root_check=True), None),
    (2, data(security=3), Checks(current=2, has_root=True, has_station_certificate=False), None),  # A05.FR.03: the
    # priority refuses it (test_priority_needs_a_station_certificate_for_profile_3)
    (1, data(), Checks(current=1, has_root=True, has_station_certificate=False), "in use"),
    (7, data(), Checks(current=1, has_root=True, has_station_certificate=False), "not one of"),
    (2, {**data(), "ocppTransport": "SOAP"}, Checks(current=1, has_root=True, has_station_certificate=False), "JSON"),
])
def test_set_network_profile_rules(slot: int, connection: dict[str, Any], checks: Checks, reason: str | None) -> None:
    profiles = NetworkProfiles(NetworkProfile("ws://127.0.0.1:2/ocpp", checks.current))
    refused = profiles.refuse_profile(slot, connection, checks)
    assert (refused is None) if reason is None else (refused is not None and reason in refused), refused


def test_priority_needs_a_station_certificate_for_profile_3() -> None:
    profiles = NetworkProfiles(NetworkProfile("ws://old/ocpp", 1))
    profiles.store(2, data("wss://new/ocpp", security=3))
    assert "A05.FR.03" in (profiles.refuse_priority("2,1", Checks(1, True, False)) or "")
    assert profiles.refuse_priority("2,1", Checks(1, True, True)) is None


def test_priority_reboot_fallback_and_restore() -> None:
    checks = Checks(current=1, has_root=True, has_station_certificate=False)
    profiles = NetworkProfiles(NetworkProfile("ws://old/ocpp", 1))
    assert "hold no network connection profile" in (profiles.refuse_priority("2,1", checks) or "")
    profiles.store(2, data("wss://new/ocpp"))
    assert profiles.refuse_priority("2,1", checks) is None
    profiles.set_priority("2,1")
    assert profiles.target.url == "ws://old/ocpp"  # the new order applies from the next reboot
    profiles.rebooted()
    assert profiles.target.url == "wss://new/ocpp"
    profiles.failed(2)
    assert profiles.target.url == "wss://new/ocpp"
    profiles.failed(2)  # NetworkProfileConnectionAttempts reached: the next entry
    assert profiles.target.url == "ws://old/ocpp"
    assert "lower than the current" in (profiles.refuse_priority("1", Checks(2, True, False)) or "")
    profiles.restore()
    assert (profiles.priority, profiles.target.url, sorted(profiles.slots)) == ([1], "ws://old/ocpp", [1])


async def test_reset_moves_to_the_first_priority_and_restore_comes_back(lab: Lab) -> None:
    csms, station = await lab.start()
    await booted(csms)
    other = TinyCsms()
    await other.server.start()
    try:
        assert await csms.call("SetNetworkProfile", {"configurationSlot": 2,
                                                     "connectionData": data(other.url, 1)}) == {"status": "Accepted"}
        results = (await csms.call("SetVariables", {"setVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"},
             "attributeValue": "2,1"}]}))["setVariableResult"]
        assert results[0]["attributeStatus"] == "RebootRequired"
        assert await csms.call("Reset", {"type": "Immediate"}) == {"status": "Accepted"}
        boot = await other.next(rx_call("BootNotification"))
        assert isinstance(boot.frame, Call) and boot.frame.payload["reason"] == "RemoteReset"
        await station.restore_network_profile()
        await other.next(event("close"))
        back = await csms.next(rx_call("BootNotification"))
        assert isinstance(back.frame, Call) and back.frame.payload["reason"] == "PowerUp"
        assert csms.failures() == [] and other.failures() == []
    finally:
        if other.conn is not None and not other.conn.closed.is_set():
            await other.conn.close()
        await other.server.stop()


async def test_unreachable_new_profile_falls_back_to_the_previous_one(lab: Lab) -> None:
    csms, station = await lab.start()
    await booted(csms)

    def item(variable: str, value: str) -> dict[str, Any]:
        return {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": variable}, "attributeValue": value}

    await csms.call("SetVariables", {"setVariableData": [item("RetryBackOffWaitMinimum", "0"),
                                                         item("NetworkProfileConnectionAttempts", "2")]})
    dead = "ws://127.0.0.1:9/ocpp"  # the discard port: nothing listens, the connection is refused
    assert await csms.call("SetNetworkProfile", {"configurationSlot": 3,
                                                 "connectionData": data(dead, 1)}) == {"status": "Accepted"}
    await csms.call("SetVariables", {"setVariableData": [item("NetworkConfigurationPriority", "3,1")]})
    assert await csms.call("Reset", {"type": "Immediate"}) == {"status": "Accepted"}
    boot = await csms.next(rx_call("BootNotification"))
    assert isinstance(boot.frame, Call) and boot.frame.payload["reason"] == "RemoteReset"
    refused = [r for r in station.transcript.records if r.event == "refused"]
    assert [r.detail["url"] for r in refused] == [dead, dead], refused
    assert csms.failures() == []
