"""A05 Upgrade Charging Station Security Profile (with B09 SetNetworkProfile, B10 NetworkConfigurationPriority) with
the Charging Station under test: the harness plays the CSMS.

Part 6 step tables are not in the reference material: the steps follow A05 and B09 and name the requirements known
by number (A05.FR.02 no upgrade to 2/3 without a CSMSRootCertificate, A05.FR.03 none to 3 without a
ChargingStationCertificate, A05.FR.04 Accepted otherwise, A05.FR.05 / B10.FR.04 after a reboot the first entry of
NetworkConfigurationPriority, B09.FR.01 a valid profile is stored). Where the standard leaves the layer open, a
refusal is accepted either at SetNetworkProfile (B09) or at the SetVariables of the priority (A05).

The harness opens a further listener at the target security profile (its own PKI's server certificate), so the
upgraded station has somewhere real to go. A station that really upgraded refuses the way back over OCPP, so each
case ends with the control adapter's `restore-network-profile` (a lab action) whenever the station took a new profile.
"""

from __future__ import annotations

from typing import Any

from harness import ANY, CsmsRole, CsrRejected, OneOf, Record, StationControl, certificate_info, same_hash, testcase
from harness.errors import ConfigError

PRIORITY = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"}}


def _slots(value: str | None) -> list[int]:
    try:
        return [int(part) for part in (value or "").split(",") if part.strip()]
    except ValueError:
        return []


async def _priority(csms: CsmsRole) -> tuple[str, int]:
    """The station's NetworkConfigurationPriority and a configuration slot it does not use (the next number)."""
    value = await csms.read_variable("OCPPCommCtrlr.NetworkConfigurationPriority")
    slots = _slots(value)
    if value is None or not slots:
        raise csms.failure("the station does not report OCPPCommCtrlr.NetworkConfigurationPriority as a list of "
                           "configuration slots", actual=repr(value), rules=("SEC-6",))
    return value, max(slots) + 1


def _profile(csms: CsmsRole, url: str, security: int) -> dict[str, Any]:
    return {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url, "securityProfile": security,
            "messageTimeout": csms.configured.message_timeout, "ocppInterface": "Wired0"}


async def _set_priority(csms: CsmsRole, value: str) -> str:
    """SetVariables NetworkConfigurationPriority; the attributeStatus."""
    answer = await csms.call_ok("SetVariables", {"setVariableData": [{**PRIORITY, "attributeValue": value}]},
                                {"setVariableResult": [{"attributeStatus": ANY}]})
    return str(answer["setVariableResult"][0]["attributeStatus"])


async def _renew_certificate(csms: CsmsRole) -> None:
    """Memory state RenewChargingStationCertificate (A02): security profile 3 needs a ChargingStationCertificate."""
    request = csms.expect("SignCertificate", {"csr": ANY}, respond={"status": "Accepted"})
    await csms.call_ok("TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"}, {"status": "Accepted"})
    record = await csms.received(request)
    csr = str(record.frame.payload["csr"]) if record.frame is not None else ""  # type: ignore[union-attr]
    try:
        chain = csms.pki.sign_csr(csr, expected_cn=csms.serial_number)
    except CsrRejected as exc:
        raise csms.failure("the station's CSR cannot be signed", message=str(exc), actual=csr[:400],
                           rules=("SEC-4",)) from None
    await csms.call_ok("CertificateSigned", {"certificateChain": chain, "certificateType": "ChargingStationCertificate"},
                       {"status": "Accepted"})


async def _restore(csms: CsmsRole, sut: StationControl) -> None:
    """Lab action restore-network-profile; returns once the station booted again on the main listener."""
    mark = len(csms.transcript.records)
    await sut.restore_network_profile()
    handshake = await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101
                                       and "listener" not in r.detail, after=mark,
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


@testcase("TC_A_19_CS", "Upgrade Charging Station Security Profile - Accepted", usecases=("A05", "B09", "B10"),
          requirements=("A05.FR.04", "A05.FR.05", "B09.FR.01", "B10.FR.04"), security=(1, 2),
          notes="The harness opens a listener at the next security profile and points a new network profile at it; "
                "at security profile 2 it first renews the station certificate (profile 3 needs one). The control "
                "adapter's restore-network-profile puts the station back afterwards.")
async def test_TC_A_19_CS(csms: CsmsRole, sut: StationControl) -> None:
    target = csms.settings.station.security.profile + 1
    if target == 3:
        with csms.step("Memory state RenewChargingStationCertificate: the station gets a ChargingStationCertificate "
                       "of the run's PKI"):
            await _renew_certificate(csms)
    url = await csms.open_listener(target)
    moved = False
    try:
        with csms.step("Read OCPPCommCtrlr.NetworkConfigurationPriority: the slots in use"):
            priority, slot = await _priority(csms)
        with csms.step(f"1-2. SetNetworkProfileRequest configurationSlot {slot}, securityProfile {target}, "
                       f"ocppCsmsUrl {url}; the station responds Accepted (B09.FR.01)"):
            await csms.call_ok("SetNetworkProfile", {"configurationSlot": slot,
                                                     "connectionData": _profile(csms, url, target)},
                               {"status": "Accepted"})
        with csms.step(f"3-4. SetVariablesRequest NetworkConfigurationPriority = {slot},{priority}; Accepted "
                       "(A05.FR.04; RebootRequired also fits: it applies after the reset)"):
            status = await _set_priority(csms, f"{slot},{priority}")
            if status not in ("Accepted", "RebootRequired"):
                raise csms.failure("the station refused the new profile's slot in NetworkConfigurationPriority",
                                   expected="Accepted", actual=status, rules=("SEC-6",))
        boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"))
        mark = len(csms.transcript.records)
        with csms.step("5-6. ResetRequest Immediate; the station responds Accepted"):
            moved = True
            await csms.call_ok("Reset", {"type": "Immediate"}, {"status": "Accepted"})
        with csms.step(f"7. The station reconnects to {url} at security profile {target}, the first entry of "
                       "NetworkConfigurationPriority (A05.FR.05, B10.FR.04)"):
            handshake = await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101,
                                               after=mark, what="the station to reconnect after the Reset")
            if handshake.detail.get("listener") != url:
                refused = [f"{r.detail.get('listener')}: status {r.detail.get('status')} "
                           + "; ".join(f.one_line() for f in r.findings)
                           for r in csms.transcript.records[mark:] if r.event == "handshake"
                           and r.detail.get("listener") == url]
                raise csms.failure("after the Reset the station came back with its old network profile, not the "
                                   "new one first in NetworkConfigurationPriority",
                                   expected=f"a connection to {url} at security profile {target}",
                                   actual=f"a connection to {csms.url}" + (f"; refused on {url}: {refused}"
                                                                            if refused else ""),
                                   rules=("SEC-6",))
            problems = _security_problems(handshake, target)
            if problems:
                raise csms.failure(f"the new connection does not meet security profile {target}",
                                   message="\n".join(problems), actual=str(handshake.detail.get("tls")),
                                   rules=("SEC-6", "SEC-2" if target == 2 else "SEC-3"))
        with csms.step("8-9. BootNotificationRequest over the new connection; the harness responds Accepted"):
            await csms.received(boot)
    finally:
        if moved:
            with csms.step("Cleanup: Manual Action restore the station's original network profile; it boots again"):
                await _restore(csms, sut)
        await csms.close_listener(url)


async def _profile_refused(csms: CsmsRole, level: int, *, wrong: str, expected: str) -> None:
    """Steps 1-4 of TC_A_20/TC_A_22: a network profile at `level` (a listener of the harness) is Rejected at
    SetNetworkProfile or, if that was Accepted, at the NetworkConfigurationPriority that would use it. `wrong` says
    what accepting it means. The priority is left as it was found."""
    url = await csms.open_listener(level)
    original: str | None = None
    try:
        with csms.step("Read OCPPCommCtrlr.NetworkConfigurationPriority: the slots in use"):
            priority, slot = await _priority(csms)
        with csms.step(f"1-2. SetNetworkProfileRequest slot {slot}, securityProfile {level}, ocppCsmsUrl {url}; "
                       "Rejected (or Accepted, then the priority is refused)"):
            answer = await csms.call_ok("SetNetworkProfile", {"configurationSlot": slot,
                                                              "connectionData": _profile(csms, url, level)},
                                        {"status": OneOf("Accepted", "Rejected")})
        if answer["status"] == "Accepted":
            with csms.step(f"3-4. SetVariablesRequest NetworkConfigurationPriority = {slot},{priority}; the station "
                           "responds Rejected"):
                status = await _set_priority(csms, f"{slot},{priority}")
                if status in ("Accepted", "RebootRequired"):
                    original = priority
                    raise csms.failure(wrong, message=f"SetNetworkProfile Accepted, NetworkConfigurationPriority "
                                                      f"{slot},{priority} {status}",
                                       expected=expected, actual=status, rules=("SEC-6",))
    finally:
        if original is not None:
            with csms.step("Cleanup: the previous NetworkConfigurationPriority"):
                await _set_priority(csms, original)
        await csms.close_listener(url)


@testcase("TC_A_20_CS", "Upgrade Charging Station Security Profile - No valid CSMSRootCertificate installed",
          usecases=("A05", "B09"), requirements=("A05.FR.02",), security=(1,),
          notes="Memory state: the run PKI's CSMSRootCertificate is deleted first and installed again at the end; a "
                "station with other CSMS roots (which the harness could not give back) ends the case as an error. "
                "Refused at SetNetworkProfile or at the priority.")
async def test_TC_A_20_CS(csms: CsmsRole, sut: StationControl) -> None:
    with csms.step("Memory state: no CSMSRootCertificate installed (GetInstalledCertificateIds, DeleteCertificate "
                   "for each)"):
        listed = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]},
                                    {"status": OneOf("Accepted", "NotFound")})
        deleted = [c["certificateHashData"] for c in listed.get("certificateHashDataChain", [])
                   if c.get("certificateType") == "CSMSRootCertificate"]
        root = csms.pki.csms_root_path.read_text()
        foreign = [h for h in deleted if not same_hash(h, certificate_info(root).hash_data)]
        if foreign:  # deleting them would leave the station without roots nobody can give back
            raise ConfigError("TC_A_20_CS needs a station without CSMSRootCertificates, and this one has "
                              f"{len(foreign)} the harness cannot install again after the test (serial numbers "
                              f"{[h.get('serialNumber') for h in foreign]}); remove them by hand first")
        for hash_data in deleted:
            await csms.call_ok("DeleteCertificate", {"certificateHashData": hash_data}, {"status": "Accepted"})
    try:
        await _profile_refused(csms, 2, wrong="the station accepted an upgrade to security profile 2 although no "
                                              "CSMSRootCertificate is installed", expected="Rejected (A05.FR.02)")
    finally:
        if deleted:
            with csms.step("Cleanup: the run PKI's CSMSRootCertificate again"):
                await csms.call_ok("InstallCertificate", {"certificateType": "CSMSRootCertificate", "certificate": root},
                                   {"status": "Accepted"})


@testcase("TC_A_22_CS", "Upgrade Charging Station Security Profile - Downgrade security profile - Rejected",
          usecases=("A05", "B09"), requirements=("B09.FR.02",), security=(2, 3),
          notes="A05: a security profile may not be lowered over OCPP. Refused at SetNetworkProfile (B09.FR.02) or, "
                "if that was Accepted, at the SetVariables of the priority.")
async def test_TC_A_22_CS(csms: CsmsRole, sut: StationControl) -> None:
    lower = csms.settings.station.security.profile - 1
    await _profile_refused(csms, lower, wrong=f"the station accepted a downgrade to security profile {lower}",
                           expected="Rejected (no downgrade over OCPP)")
