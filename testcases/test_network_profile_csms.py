"""A05 Upgrade Charging Station Security Profile with the CSMS under test: the harness plays the Charging Station.

The case follows Part 6 TC_A_19_CSMS with errata 2024-09 (no ocppCsmsUrl validation; at security profile 2 the
harness first renews its certificate, which it then uses at 3) and 2025-04 (reconnect at the new profile at the
end). The CSMS picks the slot and its URL for the higher profile; the harness reconnects there, boots, and finds
the old profile refused.
"""

from __future__ import annotations

from typing import Any

from harness import ANY, ClientOptions, CsmsControl, HandshakeRefused, StationRole, states, station_booted, testcase
from harness.errors import PreconditionNotMet, TransportSetupError

PRIORITY = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"}}


def _profile_problems(station: StationRole, payload: dict[str, Any], current: int, target: int) -> list[str]:
    """What a SetNetworkProfileRequest of an upgrade from `current` to `target` gets wrong (step 1 validations)."""
    data = payload.get("connectionData", {})
    configured = station.configured
    problems = []
    security = data.get("securityProfile")
    if not isinstance(security, int) or security <= current:
        problems.append(f"securityProfile {security!r} is not higher than the current {current}")
    elif security != target:
        problems.append(f"securityProfile {security} is not the {target} the operator asked for")
    if data.get("messageTimeout") != configured.message_timeout:
        problems.append(f"messageTimeout {data.get('messageTimeout')!r} is not the configured "
                        f"{configured.message_timeout}")
    if data.get("ocppInterface") != configured.ocpp_interface:
        problems.append(f"ocppInterface {data.get('ocppInterface')!r} is not the configured "
                        f"{configured.ocpp_interface!r}")
    if data.get("ocppTransport") != "JSON" or data.get("ocppVersion") != "OCPP20":
        problems.append(f"ocppTransport {data.get('ocppTransport')!r} / ocppVersion {data.get('ocppVersion')!r}: "
                        "JSON / OCPP20 expected")
    if not isinstance(payload.get("configurationSlot"), int):
        problems.append(f"configurationSlot {payload.get('configurationSlot')!r} is not a slot number")
    return problems


async def _connect_at(station: StationRole, options: ClientOptions, url: str) -> None:
    """Connect to the URL the CSMS gave at the new security profile; a failure (not a harness error) when nothing
    answers there."""
    try:
        await station.connect(options, url=url)
    except TransportSetupError as exc:
        raise station.failure("the ocppCsmsUrl of the CSMS's SetNetworkProfileRequest cannot be reached",
                              message=str(exc)[:300], actual=url, rules=("SEC-6",)) from None


def _priority_answer(payload: dict[str, Any]) -> dict[str, Any]:
    return {"setVariableResult": [{"component": d["component"], "variable": d["variable"], "attributeStatus": "Accepted"}
                                  for d in payload["setVariableData"]]}


async def _security_profile_back(station: StationRole, sut: CsmsControl, current: int, target: int,
                                 passed: bool) -> None:
    """Cleanup of TC_A_19_CSMS: the CSMS expects the station at its old security profile again (a control action).
    When that fails, the CSMS's left-over state is recorded beside the reports (the following cases end as error
    naming it): an error of this case when it had passed, else a note (the first failure stays the verdict)."""
    try:
        await sut.configure_security_profile(station.identity, current)
    except Exception as exc:  # the lab's control action failed, however: the state is lost, say which
        path = station.leave_secret("SecurityProfile", f"the CSMS may expect it at security profile {target}, "
                                                       f"not {current}")
        problem = (f"could not configure the CSMS to expect {station.identity} at security profile {current} again "
                   f"({type(exc).__name__}: {exc}); recorded in {path}")
        station.transcript.note(f"cleanup: {problem}")
        if passed:
            raise PreconditionNotMet(problem, fix=f"configure the CSMS to expect {station.identity} at security "
                                                  f"profile {current}, then delete {path}") from None


@testcase("TC_A_19_CSMS", security=(1, 2),
          notes="The CSMS is asked for a profile one security profile higher; it chooses the slot and its URL for "
                "that profile. The harness reconnects there with TLS (and at 3 with the certificate it renewed).")
async def test_TC_A_19_CSMS(station: StationRole, sut: CsmsControl) -> None:
    current = station.security_profile
    target = current + 1
    await station_booted(station)
    new_options = station.options_at(target)
    if current == 2:
        chain, key = await states.station_renew_certificate(station, sut)
        new_options = station.options_with_certificate(chain, key)
    request = station.expect("SetNetworkProfile", respond={"status": "Accepted"})
    with station.step(f"Manual Action: request the CSMS to set a new NetworkConnectionProfile with security profile "
                      f"{target}"):
        await sut.trigger(station.identity, "SetNetworkProfile", {"connectionData": {"securityProfile": target}})
    with station.step("1-2. SetNetworkProfileRequest: configured messageTimeout and ocppInterface, JSON, OCPP20, "
                      f"securityProfile {target}; the harness responds Accepted"):
        record = await station.received(request)
        payload: dict[str, Any] = dict(record.frame.payload) if record.frame is not None else {}  # type: ignore[union-attr]
        problems = _profile_problems(station, payload, current, target)
        if problems:
            raise station.failure("the CSMS's SetNetworkProfileRequest does not upgrade the security profile as "
                                  "configured", message="\n".join(problems), actual=str(payload)[:800],
                                  rules=("SEC-6",))
        slot, url = payload["configurationSlot"], str(payload["connectionData"].get("ocppCsmsUrl", ""))
    priority = station.expect("SetVariables", {"setVariableData": [{**PRIORITY, "attributeValue": ANY}]},
                              respond=_priority_answer)
    with station.step("Manual Action: request the CSMS to change NetworkConfigurationPriority to one that contains "
                      "the new slot"):
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
    passed = False
    with station.step("Manual Action: request the CSMS to reboot the Charging Station"):
        await sut.trigger(station.identity, "Reset", {"type": "Immediate"})
    with station.step("5-6. ResetRequest; the harness responds Accepted"):
        await station.received(reset)
    try:
        with station.step(f"7-8. The harness reconnects to {url} at security profile {target}; the CSMS accepts the "
                          "connection"):
            await station.disconnect()
            await _connect_at(station, new_options, url)
        with station.step("9. Reusable state Booted over the new connection: BootNotification Accepted"):
            await station.boot("PowerUp", {"status": "Accepted"})
            await station.report_connectors()
        with station.step(f"10-11. The harness connects at its old security profile {current}; the CSMS does not "
                          "accept the connection"):
            await station.disconnect()
            old = await station.try_connect(station.options())
            if not isinstance(old, HandshakeRefused):
                raise station.failure(f"the CSMS accepted a connection at the old security profile {current} after "
                                      f"the station was upgraded to {target}",
                                      expected="the connection refused", actual=f"connected to {station.csms_url}",
                                      rules=("SEC-6",))
        with station.step(f"12. The harness connects at security profile {target} again (errata 2025-04); post "
                          "scenario: connected"):
            await _connect_at(station, new_options, url)
        passed = True
    finally:
        with station.step(f"Cleanup: Manual Action configure the CSMS to expect the station at security profile "
                          f"{current} again"):
            await station.disconnect()
            await _security_profile_back(station, sut, current, target, passed)
