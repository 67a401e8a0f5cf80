"""Block B Provisioning, SUT = Charging Station: network connection profiles (B09, B10) and the connector states
after an offline period (B04), as the Part 6 tables run them with the errata 2025-04 / 2025-06.

The configuration slot is <Configured configurationSlot> or <Configured configurationSlot2>, whichever the active
profile does not use (OCPPCommCtrlr.ActiveNetworkProfile, else the first entry of NetworkConfigurationPriority);
the priority written is "<new slot>,<active slot>". The new profile points at a further listener of the harness at
the station's own security profile ("an ocppCsmsUrl that is not currently active"); where the table wants the
station unable to connect there (TC_B_46_CS), that listener is closed before the reset. A station that moved ends
with the control adapter's `restore-network-profile`, as TC_A_19_CS does.
"""

from __future__ import annotations

from typing import Any

from harness import CsmsRole, OneOf, PreconditionNotMet, StationControl, booted, certificate_info, states, testcase

PRIORITY = "OCPPCommCtrlr.NetworkConfigurationPriority"


def _slots(value: str | None) -> list[int]:
    try:
        return [int(part) for part in (value or "").split(",") if part.strip()]
    except ValueError:
        return []


async def _slots_in_use(csms: CsmsRole) -> tuple[int, int, str]:
    """(the active slot, the slot the new profile goes to, the priority as it was)."""
    value = await csms.read_variable(PRIORITY)
    priority = _slots(value)
    if not priority:
        raise csms.failure("the station does not report OCPPCommCtrlr.NetworkConfigurationPriority as a list of "
                           "configuration slots", actual=repr(value), rules=("SEQ",))
    active_value = await csms.read_variable("OCPPCommCtrlr.ActiveNetworkProfile")
    active = int(active_value) if active_value and active_value.isdigit() else priority[0]
    configured = csms.configured
    if configured.configuration_slot == configured.configuration_slot2:
        raise PreconditionNotMet("configured.configuration_slot and configuration_slot2 are the same slot",
                                 fix="give the SUT profile two different configuration slots of the station")
    new = configured.configuration_slot2 if configured.configuration_slot2 != active else configured.configuration_slot
    return active, new, str(value)


def _profile(csms: CsmsRole, url: str) -> dict[str, Any]:
    return {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url,
            "securityProfile": csms.settings.station.security.profile,
            "messageTimeout": csms.configured.message_timeout, "ocppInterface": csms.configured.ocpp_interface}


@testcase("TC_B_43_CS")
async def test_TC_B_43_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    with csms.step("1-2. SetNetworkProfileRequest configurationSlot 999 with the configured connection data; the "
                   "station answers Rejected"):
        await csms.call_ok("SetNetworkProfile", {"configurationSlot": 999, "connectionData": _profile(csms, csms.url)},
                           {"status": "Rejected"})


async def _migrate(csms: CsmsRole, url: str, numbers: tuple[str, str, str]) -> tuple[int, int]:
    """Steps 1-6: SetNetworkProfile (Accepted), NetworkConfigurationPriority "<new>,<active>" (Accepted or
    RebootRequired), ResetRequest OnIdle (errata 2025-06: always; Accepted). Returns (active, new) slot."""
    active, slot, original = await _slots_in_use(csms)
    with csms.step(f"{numbers[0]}. SetNetworkProfileRequest configurationSlot {slot} (active: {active}), ocppCsmsUrl "
                   f"{url}; the station answers Accepted"):
        await csms.call_ok("SetNetworkProfile", {"configurationSlot": slot, "connectionData": _profile(csms, url)},
                           {"status": "Accepted"})
    with csms.step(f"{numbers[1]}. SetVariablesRequest NetworkConfigurationPriority = {slot},{active}; Accepted or "
                   "RebootRequired"):
        await csms.call_ok("SetVariables", {"setVariableData": [{
            "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"},
            "attributeValue": f"{slot},{active}"}]},
            {"setVariableResult": [{"attributeStatus": OneOf("Accepted", "RebootRequired")}]})
        csms.configuration.originals.setdefault(PRIORITY, original)  # put back at the end of the case
    return active, slot


def _booted_expectations(csms: CsmsRole) -> tuple[Any, list[Any], Any]:
    mark = csms.mark()
    boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"), after=mark,
                       answer_near_miss=True)
    statuses = csms.expect_connector_status("Available", after=mark)
    event = csms.expect("SecurityEventNotification", {"type": OneOf("StartupOfTheDevice", "ResetOrReboot")},
                        after=mark, shared=True)
    return boot, statuses, event


async def _booted_on(csms: CsmsRole, expectations: tuple[Any, list[Any], Any], mark: int, url: str, what: str,
                     within: float, number: str) -> None:
    """Reusable state Booted, the station connected to `url` (the first accepted connection after `mark`)."""
    boot, statuses, event = expectations
    with csms.step(f"{number}. Reusable state Booted: the station connects to {what}; BootNotification Accepted, "
                   "connectors, security event"):
        handshake = await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101,
                                           after=mark, within=within, what="the station to reconnect")
        at = handshake.detail.get("listener") or csms.url
        if at != url:
            raise csms.failure(f"after the Reset the station connected to {at}, not to {what}",
                               expected=f"a connection to {url}", actual=f"a connection to {at}",
                               requirements=("B10.FR.04",), rules=("SEQ",))
        await csms.received(boot, within=csms.reboot_wait())
        for exp in statuses:
            await csms.received(exp)
        await csms.received(event)


async def _restore(csms: CsmsRole, sut: StationControl) -> None:
    """Lab action restore-network-profile; returns once the station booted again on the main listener."""
    mark = len(csms.transcript.records)
    await sut.restore_network_profile()
    handshake = await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101
                                       and "listener" not in r.detail, after=mark, within=csms.reboot_wait(),
                                       what="the station to come back on its original network profile")
    await csms.wait_record(lambda r: r.direction == "tx" and r.action == "BootNotification", after=handshake.seq,
                           what="the station to boot again on its original network profile")


@testcase("TC_B_45_CS", notes="The new profile points at a further listener of the harness at the same security "
                              "profile; the control adapter's restore-network-profile puts the station back.")
async def test_TC_B_45_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    url = await csms.open_listener(csms.settings.station.security.profile)
    moved = False
    try:
        await _migrate(csms, url, ("1-2", "3-4", "5-6"))
        mark = len(csms.transcript.records)
        expectations = _booted_expectations(csms)
        with csms.step("5-6. ResetRequest OnIdle (errata 2025-06: always sent); the station answers Accepted"):
            moved = True
            await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Accepted"})
        await _booted_on(csms, expectations, mark, url, "the new profile's endpoint", csms.reboot_wait(), "7")
    finally:
        if moved:
            with csms.step("Cleanup: Manual Action restore the station's original network profile; it boots again"):
                await _restore(csms, sut)
        await csms.close_listener(url)


@testcase("TC_B_46_CS", notes="The endpoint of the new profile is a listener of the harness that is closed before "
                              "the Reset: the station cannot connect there and falls back to the previous profile "
                              "after NetworkProfileConnectionAttempts (2).")
async def test_TC_B_46_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"OCPPCommCtrlr.NetworkProfileConnectionAttempts": 2})
    url = await csms.open_listener(csms.settings.station.security.profile)
    await _migrate(csms, url, ("1-2", "3-4", "5-6"))
    await csms.close_listener(url)  # step 7: nothing answers there
    mark = len(csms.transcript.records)
    expectations = _booted_expectations(csms)
    with csms.step("5-6. ResetRequest OnIdle (errata 2025-06: always sent); the station answers Accepted"):
        await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Accepted"})
    csms.transcript.note(f"steps 7-8: nothing answers at the new profile's endpoint {url}; the harness accepts the "
                         "station on the previous profile")
    within = csms.configured.long_operation_timeout + csms.reboot_wait()
    await _booted_on(csms, expectations, mark, csms.url, "the previous profile (the harness's main endpoint)",
                     within, "9")


@testcase("TC_B_49_CS", notes="The new profile's endpoint is closed before the Reset; the harness refuses the "
                              "station's first attempt on the previous profile, accepts the next.")
async def test_TC_B_49_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"OCPPCommCtrlr.NetworkProfileConnectionAttempts": 1,
                          "OCPPCommCtrlr.RetryBackOffRepeatTimes": 0, "OCPPCommCtrlr.RetryBackOffRandomRange": 0,
                          "OCPPCommCtrlr.RetryBackOffWaitMinimum": csms.configured.retry_back_off_wait_minimum})
    url = await csms.open_listener(csms.settings.station.security.profile)
    await _migrate(csms, url, ("1-2", "3-4", "5-6"))
    await csms.close_listener(url)
    mark = len(csms.transcript.records)
    expectations = _booted_expectations(csms)
    with csms.step("5-6. ResetRequest OnIdle; the station answers Accepted"):
        await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Accepted"})
        await csms.go_offline(refuse=1)
    with csms.step("7-10. The station tries the new profile (nothing answers), then the previous one: refused"):
        await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") != 101, after=mark,
                               within=csms.configured.long_operation_timeout + csms.reboot_wait(),
                               what="the station to try the previous profile")
    within = csms.configured.long_operation_timeout + csms.reboot_wait()
    await _booted_on(csms, expectations, mark, csms.url, "the previous profile after RetryBackOffWaitMinimum",
                     within, "11-13")


NEW_ROOT = "csms-root-2"  # <Configured (new) CSMS Root certificate 2>: a further CA of the run's PKI


@testcase("TC_B_50_CS", security=(2, 3),
          notes="<Configured (new) CSMS Root certificate 2> is a further root of the run's PKI (signed by the run's "
                "CSMS root at a station with AdditionalRootCertificateCheck true, whose certificates the harness then "
                "presents for the rest of the run, as in TC_M_30_CS); the new profile's "
                "endpoint is a further listener of the harness whose server certificate that root issued. The "
                "control adapter's restore-network-profile puts the station back; the root is deleted again.")
async def test_TC_B_50_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    security = csms.settings.station.security.profile
    with csms.step("Memory state CertificateInstalled: CSMSRootCertificate <Configured (new) CSMS Root certificate 2>"):
        new_root = await states.new_csms_root(csms, NEW_ROOT)
        root = await states.certificate_installed(csms, "CSMSRootCertificate", new_root.pem)
    url = await csms.open_listener(security, ssl=new_root.server_context(csms.pki, security))
    moved = False
    try:
        await _migrate(csms, url, ("1-2", "3-4", "5-6"))
        mark = len(csms.transcript.records)
        expectations = _booted_expectations(csms)
        with csms.step("5-6. ResetRequest OnIdle; the station answers Accepted"):
            moved = True
            await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Accepted"})
        await _booted_on(csms, expectations, mark, url, "the new endpoint, its server certificate issued by the new "
                         "CSMS root (steps 7-8)", csms.reboot_wait(), "7-9")
    finally:
        if moved and new_root.successor:
            # M05.FR.13: having connected with the new root, the station drops the others; the chain (leaf, new
            # root) validates with either, so the harness presents it from now on (as TC_M_30_CS does), and the
            # new root, maybe the station's only one now, stays installed
            csms.endpoint.server.ssl = new_root.server_context(csms.pki, security)
            csms.transcript.note("AdditionalRootCertificateCheck true: the harness's endpoint presents certificates "
                                 f"of the new CSMS root {NEW_ROOT!r} for the rest of the run; the root stays installed")
        if moved:
            with csms.step("Cleanup: Manual Action restore the station's original network profile; it boots again"):
                await _restore(csms, sut)
        if not (moved and new_root.successor):
            with csms.cleanup("DeleteCertificateRequest for <Configured (new) CSMS Root certificate 2>"):
                await csms.call("DeleteCertificate", {"certificateHashData": root})
        await csms.close_listener(url)


SUCCESSOR_ROOT = "b47"  # <Configured (new) CSMS Root certificate 2>, signed by the old root


@testcase("TC_B_47_CS", security=(2, 3),
          notes="<Configured (new) CSMS Root certificate 2> is a further CA of the run's PKI that the run's CSMS root "
                "signed; the new profile's endpoint is a further listener of the harness presenting the usual server "
                "certificate (issued by the old root), which a station checking with the new root refuses.")
async def test_TC_B_47_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    security = csms.settings.station.security.profile
    await csms.configure({"OCPPCommCtrlr.NetworkProfileConnectionAttempts": 1})
    old_root = csms.pki.csms_root_path.read_text()
    with csms.step("Memory state CertificateInstalled: CSMSRootCertificate <Configured (new) CSMS Root certificate 2>, "
                   "signed by the old CSMS root"):
        new_root = await states.certificate_installed(csms, "CSMSRootCertificate",
                                                      csms.pki.successor_root(SUCCESSOR_ROOT))
    url = await csms.open_listener(security)
    try:
        await _migrate(csms, url, ("1-2", "3-4", "5-6"))
        mark = len(csms.transcript.records)
        expectations = _booted_expectations(csms)
        with csms.step("5-6. ResetRequest OnIdle; the station answers Accepted"):
            await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Accepted"})
        csms.transcript.note("steps 7-9: at the new endpoint the harness presents a CSMS certificate of the old root, "
                             "which the station refuses with the new root; it goes back to the previous profile")
        within = csms.configured.long_operation_timeout + csms.reboot_wait()
        await _booted_on(csms, expectations, mark, csms.url, "the previous profile, checked with the old (fallback) "
                         "CSMS root", within, "10")
        with csms.step("11-12. GetInstalledCertificateIdsRequest CSMSRootCertificate; Accepted, the old CSMS root "
                       "among them"):
            answer = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]},
                                        {"status": "Accepted"})
            if not states.certificate_listed(answer, certificate_info(old_root).hash_data, "CSMSRootCertificate"):
                raise csms.failure("the old CSMS root is not installed after the station fell back to it",
                                   expected="a certificateHashDataChain entry CSMSRootCertificate with the old root's "
                                            "hash data", actual=repr(answer)[:600], requirements=("M05.FR.16",),
                                   rules=("SEQ",))
    finally:
        with csms.cleanup("DeleteCertificateRequest for <Configured (new) CSMS Root certificate 2>"):
            await csms.call("DeleteCertificate", {"certificateHashData": new_root})
        await csms.close_listener(url)


async def _offline_status(csms: CsmsRole, sut: StationControl, longer: bool) -> tuple[int, int]:
    """Steps 1-3 of TC_B_51/52_CS: offline, the EV plugged in meanwhile, back online (after the threshold has
    passed: TC_B_51_CS; the station's back-off decides in TC_B_52_CS)."""
    threshold = csms.configured.offline_threshold
    await csms.configure({"OCPPCommCtrlr.OfflineThreshold": threshold,
                          "OCPPCommCtrlr.RetryBackOffWaitMinimum": threshold + 2 if longer else threshold - 2,
                          "OCPPCommCtrlr.RetryBackOffRandomRange": 0})
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    with csms.step("1. The harness closes the WebSocket connection and does not accept a reconnect"):
        await csms.go_offline()
    with csms.step(f"2. Manual Action: connect the EV at EVSE {evse} connector {connector}"):
        await sut.plug_in(evse, connector)
    if longer:
        await csms.hold(threshold, "the offline threshold is exceeded before the harness accepts the station again")
    return evse, connector


@testcase("TC_B_51_CS")
async def test_TC_B_51_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    mark = csms.mark()
    evse, connector = await _offline_status(csms, sut, longer=True)
    wanted = {(e, c): "Occupied" if (e, c) == (evse, connector) else "Available" for e, c in csms.connectors()}
    expectations = [csms.expect_status(e, c, s, after=mark) for (e, c), s in sorted(wanted.items())]
    with csms.step("3. The harness accepts the station's reconnection, the offline threshold exceeded"):
        csms.go_online()
        await csms.wait_connected(within=csms.reconnect_wait())
    shown = ", ".join(f"EVSE {e} connector {c} {s}" for (e, c), s in sorted(wanted.items()))
    with csms.step(f"4-5. The station reports the state of every connector: {shown}"):
        for exp in expectations:
            await csms.received(exp)


@testcase("TC_B_52_CS")
async def test_TC_B_52_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    mark = csms.mark()
    evse, connector = await _offline_status(csms, sut, longer=False)
    occupied = csms.expect_status(evse, connector, "Occupied", after=mark)
    with csms.step("3. The harness accepts the station's reconnection"):
        csms.go_online()
        await csms.wait_connected(within=csms.reconnect_wait())
    with csms.step(f"4-5. The station reports EVSE {evse} connector {connector} Occupied"):
        await csms.received(occupied)

