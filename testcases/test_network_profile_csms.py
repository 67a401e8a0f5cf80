"""A05 Upgrade Charging Station Security Profile with the CSMS under test: the harness plays the Charging Station.

Part 6 step tables are not in the reference material: the steps follow A05 / B09 / B10 and the three manual actions
of the upgrade (set a new NetworkConnectionProfile one security profile higher, put its slot in
NetworkConfigurationPriority, reboot the station). The CSMS picks the slot and gives its own URL for the higher
profile; the harness then reconnects there at that profile and boots, and finds the old profile refused.
"""

from __future__ import annotations

from typing import Any

from harness import ANY, CsmsControl, HandshakeRefused, StationRole, station_booted, testcase
from harness.errors import TransportSetupError

PRIORITY = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"}}


def _profile_problems(payload: dict[str, Any], current: int, target: int) -> list[str]:
    """What a SetNetworkProfileRequest of an upgrade from `current` to `target` gets wrong."""
    data = payload.get("connectionData", {})
    problems = []
    security = data.get("securityProfile")
    if not isinstance(security, int) or security <= current:
        problems.append(f"securityProfile {security!r} is not higher than the current {current}")
    elif security != target:
        problems.append(f"securityProfile {security} is not the {target} the operator asked for")
    url = str(data.get("ocppCsmsUrl", ""))
    scheme = "wss://" if isinstance(security, int) and security >= 2 else "ws://"
    if not url.startswith(scheme):
        problems.append(f"ocppCsmsUrl {url[:120]!r} is not a {scheme} URL (security profile {security})")
    if not isinstance(payload.get("configurationSlot"), int) or payload["configurationSlot"] < 0:
        problems.append(f"configurationSlot {payload.get('configurationSlot')!r} is not a slot number")
    if not isinstance(data.get("messageTimeout"), int) or data["messageTimeout"] <= 0:
        problems.append(f"messageTimeout {data.get('messageTimeout')!r} is not a positive number of seconds")
    if data.get("ocppTransport") != "JSON" or data.get("ocppVersion") != "OCPP20":
        problems.append(f"ocppTransport {data.get('ocppTransport')!r} / ocppVersion {data.get('ocppVersion')!r}: "
                        "JSON / OCPP20 expected")
    return problems


async def _connect_at(station: StationRole, security: int, url: str) -> None:
    """Connect to the URL the CSMS gave at the new security profile; a failure (not a harness error) when nothing
    answers there."""
    try:
        await station.connect(station.options_at(security), url=url)
    except TransportSetupError as exc:
        raise station.failure("the ocppCsmsUrl of the CSMS's SetNetworkProfileRequest cannot be reached",
                              message=str(exc)[:300], actual=url, rules=("SEC-6",)) from None


def _priority_answer(payload: dict[str, Any]) -> dict[str, Any]:
    return {"setVariableResult": [{"component": d["component"], "variable": d["variable"], "attributeStatus": "Accepted"}
                                  for d in payload["setVariableData"]]}


@testcase("TC_A_19_CSMS", "Upgrade Charging Station Security Profile - Accepted", usecases=("A05", "B09", "B10"),
          requirements=("A05.FR.04", "B09.FR.01"), security=(1, 2),
          notes="The CSMS is asked for a profile one security profile higher; it chooses the slot and its URL for "
                "that profile. The harness reconnects there with TLS (and at 3 its station certificate).")
async def test_TC_A_19_CSMS(station: StationRole, sut: CsmsControl) -> None:
    current = station.security_profile
    target = current + 1
    await station_booted(station)
    request = station.expect("SetNetworkProfile", respond={"status": "Accepted"})
    with station.step(f"Manual Action: request the CSMS to set a new NetworkConnectionProfile with security profile "
                      f"{target}"):
        await sut.trigger(station.identity, "SetNetworkProfile", {"connectionData": {"securityProfile": target}})
    with station.step("1-2. SetNetworkProfileRequest: securityProfile one higher, ocppCsmsUrl of that profile, a "
                      "configurationSlot, messageTimeout, JSON / OCPP20; the harness responds Accepted"):
        record = await station.received(request)
        payload: dict[str, Any] = dict(record.frame.payload) if record.frame is not None else {}  # type: ignore[union-attr]
        problems = _profile_problems(payload, current, target)
        if problems:
            raise station.failure("the CSMS's SetNetworkProfileRequest does not upgrade the security profile",
                                   message="\n".join(problems), actual=str(payload)[:800], rules=("SEC-6",))
        slot, url = payload["configurationSlot"], payload["connectionData"]["ocppCsmsUrl"]
    priority = station.expect("SetVariables", {"setVariableData": [{**PRIORITY, "attributeValue": ANY}]},
                              respond=_priority_answer)
    with station.step("Manual Action: request the CSMS to put the new slot first in NetworkConfigurationPriority"):
        await sut.trigger(station.identity, "SetVariables", {"setVariableData": [{**PRIORITY,
                                                                                  "attributeValue": str(slot)}]})
    with station.step(f"3-4. SetVariablesRequest OCPPCommCtrlr.NetworkConfigurationPriority containing slot {slot}; "
                      "the harness responds Accepted"):
        record = await station.received(priority)
        value = str(record.frame.payload["setVariableData"][0]["attributeValue"])  # type: ignore[union-attr]
        if str(slot) not in value.split(","):
            raise station.failure("NetworkConfigurationPriority does not contain the new profile's slot",
                                  expected=f"a list containing {slot}", actual=value, rules=("SEC-6",))
    reset = station.expect("Reset", respond={"status": "Accepted"})
    with station.step("Manual Action: request the CSMS to reboot the Charging Station"):
        await sut.trigger(station.identity, "Reset", {"type": "Immediate"})
    with station.step("5-6. ResetRequest; the harness responds Accepted"):
        await station.received(reset)
    try:
        with station.step(f"7-8. The harness reboots and connects to {url} at security profile {target}; the CSMS "
                          "accepts the connection"):
            await station.disconnect()
            await _connect_at(station, target, url)
        with station.step("9. Reusable state Booted over the new connection: BootNotification Accepted"):
            await station.boot("RemoteReset", {"status": "Accepted"})
            await station.report_connectors()
        with station.step(f"10-11. The harness connects again at its old security profile {current}; the CSMS does "
                          "not accept the connection"):
            await station.disconnect()
            old = await station.try_connect(station.options())
            if not isinstance(old, HandshakeRefused):
                raise station.failure(f"the CSMS accepted a connection at the old security profile {current} after "
                                      f"the station was upgraded to {target}",
                                      expected="the connection refused", actual=f"connected to {station.csms_url}",
                                      rules=("SEC-6",))
        with station.step(f"12-13. The harness connects at security profile {target} again; the CSMS accepts it"):
            await _connect_at(station, target, url)
    finally:
        with station.step(f"Cleanup: Manual Action configure the CSMS to expect the station at security profile "
                          f"{current} again"):
            await station.disconnect()
            await sut.configure_security_profile(station.identity, current)
