"""Block A (A00) with the Charging Station under test: what the station must refuse over TLS (security profiles 2
and 3). The harness plays the CSMS.

The harness's next handshake is a *probe* (`csms.probe_tls`): the TLS handshake alone, with the bad certificate or
TLS 1.1, every byte OpenSSL writes sent to the station (alerts too), then closed either way; the station must not
complete it. Then the harness serves its valid certificate again and the station connects again.
"""

from __future__ import annotations

from harness import CsmsRole, OneOf, Record, StationControl, Variant, bad_variants, testcase

BAD_SERVER_CERTIFICATES = "tls.invalid_server_certificates"
# the invalid server certificates of Part 6 (TC_A_05_CS errata 2025-02: also one not valid yet); the others are
# checks of the harness's own (A00.FR.502 key size, A00.FR.506 SHA-1), beyond Part 6
PART6_VARIANTS = {Variant.UNKNOWN_CA, Variant.EXPIRED, Variant.WRONG_CN, Variant.NOT_YET_VALID}
BEYOND = {Variant.WEAK_KEY: "A00.FR.502", Variant.SHA1: "A00.FR.506"}


async def _refused(csms: CsmsRole, probe: Record, what: str, rules: tuple[str, ...]) -> None:
    """The probe's verdict: the station must not have completed the TLS handshake."""
    tls, failure = probe.detail.get("tls"), probe.detail.get("tls_failure") or {}
    if tls:
        raise csms.failure(f"the station completed the TLS handshake with {what}",
                           message=f"TLS {tls.get('version')} {tls.get('cipher')}: the station must terminate the "
                                   "connection", actual=str(tls), rules=rules)
    if failure.get("refused_by") == "harness":  # the harness refused the station: the probe proved nothing
        raise csms.failure("the harness refused the station's TLS handshake before it could judge the probe",
                           message=str(failure.get("reason")), actual=str(failure), rules=rules)
    csms.transcript.note(f"the station refused {what}: {failure.get('reason')}")


async def _back(csms: CsmsRole, after: Record) -> Record:
    """The station connects again with the harness's valid TLS (its back-off doubled once by the refusal)."""
    csms.back_off_timer(after.mono, doublings=1)
    handshake = await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101,
                                       after=after.seq, within=csms.reconnect_wait(2),
                                       what="the station to reconnect with the valid certificate")
    await csms.wait_record(lambda r: r.event == "open", after=handshake.seq, what="the new connection to open")
    return handshake


async def _invalid_certificate(csms: CsmsRole, variant: Variant) -> None:
    """Steps 4-11 of TC_A_05_CS (errata 2024-11) for one invalid server certificate."""
    profile = csms.settings.station.security.profile
    what = f"an invalid server certificate ({variant.value})"
    with csms.step(f"{variant.value}: 4-6. The harness aborts the connection; on the station's next TLS handshake "
                   f"it presents {what}"):
        probe = await csms.probe_tls(csms.pki.server_context(profile, variant), what)
    with csms.step(f"{variant.value}: 7. The station deems the certificate invalid and terminates the connection"):
        await _refused(csms, probe, what, ("SEC-2", "SEC-4"))
    event = csms.expect("SecurityEventNotification", {"type": "InvalidCsmsCertificate"}, after=probe,
                        description=f"InvalidCsmsCertificate after the {variant.value} certificate")
    with csms.step(f"{variant.value}: 8-9. The harness presents its valid certificate; the station reconnects"):
        await _back(csms, probe)
    with csms.step(f"{variant.value}: 10-11. SecurityEventNotificationRequest InvalidCsmsCertificate; the harness "
                   "responds"):
        await csms.received(event, within=csms.settings.timing.default_timeout)


@testcase("TC_A_05_CS", security=(2, 3),
          notes="Invalid server certificates from policy tls.invalid_server_certificates (default all): unknown CA, "
                "expired, not yet valid, CN not the host (Part 6 with errata 2025-02); RSA 1024 bits and SHA-1 are "
                "checks beyond Part 6. Errata 2025-02's wildcard certificate is not presented.")
async def test_TC_A_05_CS(csms: CsmsRole, sut: StationControl) -> None:
    await csms.await_reconnect()
    active = await csms.read_variable("OCPPCommCtrlr.ActiveNetworkProfile")
    priority = await csms.read_variable("OCPPCommCtrlr.NetworkConfigurationPriority")
    only = active or (priority or "").split(",")[0]
    wanted: dict[str, int | str] = {"OCPPCommCtrlr.NetworkProfileConnectionAttempts": 3}
    if only:  # errata 2025-02: the priority holds the active profile only
        wanted["OCPPCommCtrlr.NetworkConfigurationPriority"] = only
    await csms.configure(wanted)
    # the back-off in force, so the reconnect waits below count as the station's timers (scripts/wall_ratio.py)
    await csms.configuration.read("OCPPCommCtrlr.RetryBackOffWaitMinimum", "OCPPCommCtrlr.RetryBackOffRepeatTimes")
    with csms.step("1-3. The harness aborts the connection; the station reconnects (valid certificate)"):
        await csms.reconnect(within=csms.reconnect_wait())
    for variant in bad_variants(csms.policy(BAD_SERVER_CERTIFICATES), source=f"policy {BAD_SERVER_CERTIFICATES}"):
        if variant in PART6_VARIANTS:
            await _invalid_certificate(csms, variant)
        else:
            with csms.beyond_part6(BEYOND.get(variant, variant.value),
                                   f"the station refuses a server certificate {variant.value} and reports it"):
                await _invalid_certificate(csms, variant)


@testcase("TC_A_06_CS", security=(2, 3),
          notes="The probe speaks TLS 1.1 only (OpenSSL at security level 0, CBC suites) to the first handshake after "
                "a power cycle. Limit: TLS 1.0 and SSL are not probed.")
async def test_TC_A_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    profile = csms.settings.station.security.profile
    what = "TLS 1.1 only"
    await csms.configure({"OCPPCommCtrlr.NetworkProfileConnectionAttempts": 1})
    mark = csms.mark()
    boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"), after=mark,
                       answer_near_miss=True)
    statuses = csms.expect_connector_status("Available", after=mark)
    startup = csms.expect("SecurityEventNotification", {"type": OneOf("StartupOfTheDevice", "ResetOrReboot")},
                          after=mark, shared=True, description="SecurityEventNotification StartupOfTheDevice or "
                                                               "ResetOrReboot")
    old_tls = csms.expect("SecurityEventNotification", {"type": "InvalidTLSVersion"}, after=mark, shared=True,
                          description="InvalidTLSVersion after the TLS 1.1 probe")
    with csms.step("1-2. Manual Action: power cycle the station; its TLS handshake is answered with TLS 1.1 only"):
        probe = await csms.probe_tls(csms.pki.server_context(profile, old_tls="only"), what,
                                     within=csms.reboot_wait(), reconnect=sut.power_cycle)
    with csms.step("3. The station notices the TLS version below 1.2 and terminates the connection"):
        await _refused(csms, probe, "TLS 1.1", ("SEC-2",))
    with csms.step("4-9. The harness offers TLS 1.2 or newer again; the station connects"):
        await _back(csms, probe)
    with csms.step("10-11. BootNotificationRequest; the harness responds Accepted"):
        await csms.received(boot, within=csms.reboot_wait())
    with csms.step("12-13. The station reports the state of every connector"):
        for exp in statuses:
            await csms.received(exp)
    with csms.step("14-15. SecurityEventNotificationRequest StartupOfTheDevice or ResetOrReboot"):
        await csms.received(startup)
    with csms.beyond_part6("A00.FR.316", "SecurityEventNotification InvalidTLSVersion (steps 16-17, optional in "
                                         "Part 6: the station may not see why the handshake failed)"):
        await csms.received(old_tls, within=csms.settings.timing.default_timeout)
