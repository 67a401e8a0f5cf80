"""A05 Upgrade Charging Station Security Profile (with B09 SetNetworkProfile, B10 NetworkConfigurationPriority) with
the Charging Station under test: the harness plays the CSMS.

The cases follow their Part 6 tables with the errata: the configuration slot is <Configured configurationSlot> or
<Configured configurationSlot2>, whichever the active profile does not use (OCPPCommCtrlr.ActiveNetworkProfile,
else the first entry of NetworkConfigurationPriority), and the priority written is "<new slot>,<active slot>".
The harness opens a further listener at the security profile the new network profile names, so the station has
somewhere real to go. A station that really upgraded refuses the way back over OCPP, so a case that moved it ends
with the control adapter's `restore-network-profile` (a lab action).
"""

from __future__ import annotations

from typing import Any

from harness import (
    ANY,
    CsmsRole,
    OneOf,
    PreconditionNotMet,
    Record,
    StationControl,
    certificate_info,
    same_hash,
    states,
    testcase,
)

PRIORITY = "OCPPCommCtrlr.NetworkConfigurationPriority"
CSMS_ROOT = "CSMSRootCertificate"
# statusInfo reasonCodes that name another cause of a SetNetworkProfile refusal than the certificate A05 is about
# (Part 2 errata 2025-01: B09.FR.04 NoSecurityDowngrade, B09.FR.05 InvalidConfSlot; Appendix 5 for the others)
OTHER_CAUSES = frozenset({"InvalidConfSlot", "NoSecurityDowngrade", "InvalidURL", "MissingParam", "UnsupportedParam"})


def _slots(value: str | None) -> list[int]:
    try:
        return [int(part) for part in (value or "").split(",") if part.strip()]
    except ValueError:
        return []


async def _get(csms: CsmsRole, key: str) -> str | None:
    """One GetVariables of `Component.Variable`, read anew (a case step, not the cached configuration read)."""
    component, _, variable = key.partition(".")
    answer = await csms.call_ok("GetVariables", {"getVariableData": [
        {"component": {"name": component}, "variable": {"name": variable}}]},
        {"getVariableResult": [{"attributeStatus": ANY}]})
    result = answer["getVariableResult"][0]
    value = result.get("attributeValue")
    return str(value) if result.get("attributeStatus") == "Accepted" and value is not None else None


async def _slots_in_use(csms: CsmsRole) -> tuple[int, int]:
    """(the active slot, the slot a new profile goes to): ActiveNetworkProfile where implemented, else the first
    entry of NetworkConfigurationPriority; the new one is whichever configured slot that is not."""
    priority = _slots(await csms.read_variable(PRIORITY))
    if not priority:
        raise csms.failure("the station does not report OCPPCommCtrlr.NetworkConfigurationPriority as a list of "
                           "configuration slots", actual=repr(await csms.read_variable(PRIORITY)), rules=("SEC-6",))
    active_value = await csms.read_variable("OCPPCommCtrlr.ActiveNetworkProfile")
    active = int(active_value) if active_value and active_value.isdigit() else priority[0]
    configured = csms.configured
    if configured.configuration_slot == configured.configuration_slot2:
        raise PreconditionNotMet("configured.configuration_slot and configuration_slot2 are the same slot",
                                 fix="give the SUT profile two different configuration slots of the station")
    new = configured.configuration_slot2 if configured.configuration_slot2 != active else configured.configuration_slot
    return active, new


def _profile(csms: CsmsRole, url: str, security: int) -> dict[str, Any]:
    return {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url, "securityProfile": security,
            "messageTimeout": csms.configured.message_timeout, "ocppInterface": csms.configured.ocpp_interface}


async def _set_priority(csms: CsmsRole, value: str) -> dict[str, Any]:
    """SetVariables NetworkConfigurationPriority; its setVariableResult."""
    answer = await csms.call_ok("SetVariables", {"setVariableData": [{
        "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"},
        "attributeValue": value}]}, {"setVariableResult": [{"attributeStatus": ANY}]})
    return dict(answer["setVariableResult"][0])


async def _restore(csms: CsmsRole, sut: StationControl) -> None:
    """Lab action restore-network-profile; returns once the station booted again on the main listener."""
    mark = len(csms.transcript.records)
    await sut.restore_network_profile()
    handshake = await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101
                                       and "listener" not in r.detail, after=mark, within=csms.reboot_wait(),
                                       what="the station to come back on its original network profile")
    await csms.wait_record(lambda r: r.direction == "tx" and r.action == "BootNotification", after=handshake.seq,
                           what="the station to boot again on its original network profile")


def _security_problems(handshake: Record, security: int) -> list[str]:
    """What the connection shows against `security`: TLS from 2 on, the station certificate (no Basic Auth) at 3,
    Basic Auth accepted below 3."""
    detail = handshake.detail
    tls = detail.get("tls") or {}
    problems = [f.one_line() for f in handshake.findings]
    if security >= 2 and not tls:
        problems.append("no TLS session")
    if security == 3 and not tls.get("peer_cn"):
        problems.append("no station certificate presented")
    if security < 3 and detail.get("auth") != "ok":
        problems.append(f"Basic Auth {detail.get('auth')}")
    return problems


async def _root_for_upgrade(csms: CsmsRole) -> dict[str, str] | None:
    """Memory state CertificateInstalled (security profile 1 -> 2): the run's CSMSRootCertificate, which the new
    listener's server certificate chains to. Returns its hash data when the station did not have it before (the
    case deletes it again), else None."""
    pem = csms.pki.csms_root_path.read_text()
    hash_data = certificate_info(pem).hash_data
    listed = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]},
                                {"status": OneOf("Accepted", "NotFound")})
    had = states.certificate_listed(listed, hash_data)
    await states.certificate_installed(csms, CSMS_ROOT, pem)
    return None if had else hash_data


async def _reconnect_at(csms: CsmsRole, mark: int, url: str, target: int) -> None:
    """Steps 7-8: the station's first accepted connection after the Reset must be to `url` at `target`."""
    handshake = await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101,
                                       after=mark, within=csms.reboot_wait(), what="the station to reconnect")
    if handshake.detail.get("listener") != url:
        refused = [f"{r.detail.get('listener')}: status {r.detail.get('status')} "
                   + "; ".join(f.one_line() for f in r.findings)
                   for r in csms.transcript.records[mark:] if r.event == "handshake"
                   and r.detail.get("listener") == url]
        raise csms.failure("after the Reset the station came back with its old network profile, not the new one "
                           "first in NetworkConfigurationPriority",
                           expected=f"a connection to {url} at security profile {target}",
                           actual=f"a connection to {csms.url}" + (f"; refused on {url}: {refused}" if refused else ""),
                           rules=("SEC-6",))
    problems = _security_problems(handshake, target)
    if problems:
        raise csms.failure(f"the new connection does not meet security profile {target}", message="\n".join(problems),
                           actual=str(handshake.detail.get("tls")), rules=("SEC-6", "SEC-2" if target == 2 else "SEC-3"))


async def _no_way_back(csms: CsmsRole, url: str) -> None:
    """Errata 2025-06 steps 15-18 (upgrade 1 -> 2): the harness closes the connection and serves no profile-2
    connection for the <Configured long operation timeout>; the station must not come back at profile 1 (the
    harness's original listener); then it serves profile 2 again and the station reconnects there."""
    wait = csms.configured.long_operation_timeout
    mark = csms.mark()
    since = mark.seq if mark is not None else 0

    def at_profile_1(record: Record) -> bool:
        return record.seq > since and record.event == "handshake" and record.detail.get("listener") != url

    with csms.step(f"15-16. The harness closes the connection and accepts no connection for {wait:g} s (long "
                   "operation timeout); the station does not reconnect at security profile 1"):
        await csms.go_offline()
        await csms.hold(wait, "the configured long operation timeout")
    with csms.step("17-18. The harness serves security profile 2 again; the station reconnects there"):
        csms.go_online()
        try:
            await csms.wait_record(lambda r: at_profile_1(r) or (r.event == "handshake" and r.detail.get("status") == 101
                                                                  and r.detail.get("listener") == url),
                                   after=since, within=csms.reconnect_wait(csms.configured.retry_back_off_repeat_times),
                                   what="the station to reconnect at security profile 2")
        finally:
            back = [r for r in csms.transcript.records if at_profile_1(r)]
            if back:
                raise csms.failure("after upgrading to security profile 2 the station tried to connect at security "
                                   "profile 1 again", expected="no connection attempt at security profile 1",
                                   actual=f"a handshake at {csms.url}: auth {back[0].detail.get('auth')}, HTTP status "
                                          f"{back[0].detail.get('status')}", requirements=("A05.FR.06",),
                                   rules=("SEC-6",))


@testcase("TC_A_19_CS", security=(1, 2),
          notes="The new profile points at a further listener of the harness at the next security profile; the "
                "control adapter's restore-network-profile puts the station back afterwards.")
async def test_TC_A_19_CS(csms: CsmsRole, sut: StationControl) -> None:
    current = csms.settings.station.security.profile
    target = current + 1
    root: dict[str, str] | None = None
    if current == 1:
        with csms.step("Memory state CertificateInstalled: the CSMSRootCertificate of the new listener"):
            root = await _root_for_upgrade(csms)
    else:
        await states.renew_charging_station_certificate(csms)
    url = await csms.open_listener(target)
    moved = False
    try:
        active, slot = await _slots_in_use(csms)
        with csms.step(f"1-2. SetNetworkProfileRequest configurationSlot {slot} (active: {active}), securityProfile "
                       f"{target}, ocppCsmsUrl {url}; the station responds Accepted"):
            await csms.call_ok("SetNetworkProfile", {"configurationSlot": slot,
                                                     "connectionData": _profile(csms, url, target)},
                               {"status": "Accepted"})
        with csms.step(f"3-4. SetVariablesRequest NetworkConfigurationPriority = {slot},{active}; Accepted or "
                       "RebootRequired"):
            result = await _set_priority(csms, f"{slot},{active}")
            if result.get("attributeStatus") not in ("Accepted", "RebootRequired"):
                raise csms.failure("the station refused the new profile's slot in NetworkConfigurationPriority",
                                   expected="Accepted or RebootRequired", actual=str(result), rules=("SEC-6",))
        mark = len(csms.transcript.records)
        last = csms.mark()
        boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"), after=last,
                           answer_near_miss=True)
        statuses = csms.expect_connector_status("Available", after=last)
        event = csms.expect("SecurityEventNotification", {"type": OneOf("StartupOfTheDevice", "ResetOrReboot")},
                            after=last, shared=True)
        with csms.step("5-6. ResetRequest OnIdle (errata 2025-06: always sent); the station responds Accepted"):
            moved = True
            await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Accepted"})
        with csms.step(f"7-8. The station reconnects at security profile {target}, to the new profile first in "
                       "NetworkConfigurationPriority; the harness accepts it"):
            await _reconnect_at(csms, mark, url, target)
        with csms.step("9. Reusable state Booted: BootNotification Accepted, the connectors, the security event"):
            await csms.received(boot, within=csms.reboot_wait())
            for exp in statuses:
                await csms.received(exp)
            await csms.received(event)
        with csms.step(f"10-11. GetVariablesRequest SecurityCtrlr.SecurityProfile: {target}"):
            level = await _get(csms, "SecurityCtrlr.SecurityProfile")
            if level != str(target):
                raise csms.failure("SecurityCtrlr.SecurityProfile does not report the new security profile",
                                   expected=str(target), actual=repr(level), requirements=("A05.FR.04",),
                                   rules=("SEC-6",))
        with csms.step(f"12-13. GetVariablesRequest NetworkConfigurationPriority: slot {active} of the lower "
                       "security profile is gone"):
            value = await _get(csms, PRIORITY)
            if active in _slots(value):
                raise csms.failure("NetworkConfigurationPriority still holds the slot of the lower security profile",
                                   expected=f"a list without slot {active}", actual=repr(value),
                                   requirements=("A05.FR.06",), rules=("SEC-6",))
        if current == 1:
            await _no_way_back(csms, url)
    finally:
        if moved:
            with csms.step("Cleanup: Manual Action restore the station's original network profile; it boots again"):
                csms.go_online(reconnect_awaited=False)
                await _restore(csms, sut)
        if root is not None:
            with csms.cleanup("DeleteCertificateRequest for the CSMSRootCertificate the case installed"):
                await csms.call("DeleteCertificate", {"certificateHashData": root})
        await csms.close_listener(url)


async def _no_csms_root(csms: CsmsRole) -> tuple[list[dict[str, Any]], str]:
    """TC_A_20_CS prerequisite: no CSMSRootCertificate on the station. The run PKI's root is deleted (and installed
    again by the caller); another one the harness could not give back makes the case an error."""
    root = csms.pki.csms_root_path.read_text()
    listed = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]},
                                {"status": OneOf("Accepted", "NotFound")})
    chain = listed.get("certificateHashDataChain")
    found = [c["certificateHashData"] for c in (chain if isinstance(chain, list) else [])
             if isinstance(c, dict) and c.get("certificateType") == CSMS_ROOT and isinstance(c.get("certificateHashData"), dict)]
    foreign = [h for h in found if not same_hash(h, certificate_info(root).hash_data)]
    if foreign:  # deleting them would leave the station without roots nobody can give back
        raise PreconditionNotMet(f"TC_A_20_CS needs a station without a CSMSRootCertificate, and this one has "
                                 f"{len(foreign)} the harness cannot install again afterwards (serial numbers "
                                 f"{[h.get('serialNumber') for h in foreign]})", fix="remove them by hand first")
    for hash_data in found:
        await csms.call_ok("DeleteCertificate", {"certificateHashData": hash_data}, {"status": "Accepted"})
    return found, root


@testcase("TC_A_20_CS", security=(1,),
          notes="The run PKI's CSMSRootCertificate is deleted first and installed again at the end. A refusal of "
                "SetNetworkProfile whose reasonCode names another cause (e.g. InvalidConfSlot) does not count as "
                "the one A05.FR.02 asks for.")
async def test_TC_A_20_CS(csms: CsmsRole, sut: StationControl) -> None:
    csms.require_security_support(2, 3, prerequisite="the Charging Station supports at least two security "
                                                      "profiles, one of which is 1")
    active, slot = await _slots_in_use(csms)
    await csms.configure({PRIORITY: str(active)})
    with csms.step("Prerequisite: no CSMSRootCertificate installed (GetInstalledCertificateIds, DeleteCertificate)"):
        deleted, root = await _no_csms_root(csms)
    url = await csms.open_listener(2)
    original: str | None = None
    try:
        with csms.step(f"1-2. SetNetworkProfileRequest configurationSlot {slot}, securityProfile 2, ocppCsmsUrl {url}; "
                       "Accepted or Rejected (errata 2025-04)"):
            answer = await csms.call_ok("SetNetworkProfile", {"configurationSlot": slot,
                                                              "connectionData": _profile(csms, url, 2)},
                                        {"status": OneOf("Accepted", "Rejected")})
            reason = (answer.get("statusInfo") or {}).get("reasonCode") if isinstance(answer.get("statusInfo"),
                                                                                     dict) else None
            if answer["status"] == "Rejected" and reason in OTHER_CAUSES:
                raise csms.failure("the station refused the network profile for another reason than the missing "
                                   "CSMSRootCertificate", message=f"reasonCode {reason}: "
                                   f"{(answer.get('statusInfo') or {}).get('additionalInfo', '')}; configurationSlot "
                                   f"{slot} comes from the SUT profile (configured.configuration_slot/_slot2)",
                                   expected="Accepted, or Rejected because no CSMSRootCertificate is installed",
                                   actual=str(answer), requirements=("A05.FR.02",), rules=("SEC-6",))
        with csms.step(f"3-4. SetVariablesRequest NetworkConfigurationPriority = {slot},{active}; the station "
                       "responds Rejected"):
            result = await _set_priority(csms, f"{slot},{active}")
            if result.get("attributeStatus") != "Rejected":
                if result.get("attributeStatus") in ("Accepted", "RebootRequired"):
                    original = str(active)
                raise csms.failure("the station accepted an upgrade to security profile 2 although no "
                                   "CSMSRootCertificate is installed",
                                   message=f"SetNetworkProfile {answer['status']}, NetworkConfigurationPriority "
                                           f"{slot},{active} {result.get('attributeStatus')}",
                                   expected="Rejected (A05.FR.02)", actual=str(result), requirements=("A05.FR.02",),
                                   rules=("SEC-6",))
    finally:
        if original is not None:
            with csms.step("Cleanup: the previous NetworkConfigurationPriority"):
                await _set_priority(csms, original)
        if deleted:
            with csms.step("Cleanup: the run PKI's CSMSRootCertificate again"):
                await csms.call("InstallCertificate", {"certificateType": CSMS_ROOT, "certificate": root})
        await csms.close_listener(url)


@testcase("TC_A_21_CS", security=(1, 2),
          notes="Prerequisites: the control adapter's remove-station-certificate (AQ-3) and the run PKI's "
                "CSMSRootCertificate (installed where missing, deleted again at the end).")
async def test_TC_A_21_CS(csms: CsmsRole, sut: StationControl) -> None:
    csms.require_security_support(3, prerequisite="the Charging Station supports security profile 3 (the second "
                                                  "connectionData slot is configured for it)")
    with csms.step("Prerequisite: Manual Action remove the station's ChargingStationCertificate"):
        await sut.remove_station_certificate()
    with csms.step("Prerequisite: a valid CSMSRootCertificate is installed"):
        root = await _root_for_upgrade(csms)
    url = await csms.open_listener(3)
    original: str | None = None
    try:
        active, slot = await _slots_in_use(csms)
        with csms.step(f"1-2. SetNetworkProfileRequest configurationSlot {slot} (active: {active}), securityProfile 3 "
                       f"(errata 2025-02), ocppCsmsUrl {url}; the station responds Accepted"):
            await csms.call_ok("SetNetworkProfile", {"configurationSlot": slot,
                                                     "connectionData": _profile(csms, url, 3)},
                               {"status": "Accepted"})
        with csms.step(f"3-4. SetVariablesRequest NetworkConfigurationPriority = {slot},{active}; the station "
                       "responds Rejected"):
            result = await _set_priority(csms, f"{slot},{active}")
            if result.get("attributeStatus") != "Rejected":
                if result.get("attributeStatus") in ("Accepted", "RebootRequired"):
                    original = str(active)
                raise csms.failure("the station accepted an upgrade to security profile 3 although it has no valid "
                                   "ChargingStationCertificate", expected="setVariableResult[0].attributeStatus "
                                   "Rejected (A05.FR.03)", actual=str(result), requirements=("A05.FR.03",),
                                   rules=("SEC-6",))
    finally:
        if original is not None:
            with csms.step("Cleanup: the previous NetworkConfigurationPriority"):
                await _set_priority(csms, original)
        if root is not None:
            with csms.cleanup("DeleteCertificateRequest for the CSMSRootCertificate the case installed"):
                await csms.call("DeleteCertificate", {"certificateHashData": root})
        await csms.close_listener(url)


@testcase("TC_A_22_CS", security=(2, 3))
async def test_TC_A_22_CS(csms: CsmsRole, sut: StationControl) -> None:
    active, slot = await _slots_in_use(csms)
    url = await csms.open_listener(1)
    try:
        with csms.step(f"1-2. SetNetworkProfileRequest configurationSlot {slot} (active: {active}), securityProfile 1 "
                       f"(errata 2025-02), ocppCsmsUrl {url}; the station responds Rejected"):
            answer = await csms.call_ok("SetNetworkProfile", {"configurationSlot": slot,
                                                              "connectionData": _profile(csms, url, 1)},
                                        {"status": ANY})
            if answer.get("status") != "Rejected":
                raise csms.failure("the station accepted a downgrade to security profile 1",
                                   expected="SetNetworkProfileResponse Rejected (B09.FR.04)", actual=str(answer),
                                   requirements=("B09.FR.04",), rules=("SEC-6",))
    finally:
        await csms.close_listener(url)
