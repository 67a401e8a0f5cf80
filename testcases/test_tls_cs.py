"""Block A (A00) with the Charging Station under test: what the station must refuse over TLS (security profiles 2
and 3). The harness plays the CSMS.

Part 6 step tables are not in the reference material: the steps follow A00 (A00.FR.308-311: the station checks
the CSMS certificate, terminates the connection on an invalid one and reports InvalidCsmsCertificate; A00.FR.313-316:
TLS 1.2 or newer only, InvalidTLSVersion otherwise) and the test mechanics of Part 6 (§2.8 of
conformance-rules.md). The harness's next handshake is a *probe* (`csms.probe_tls`): the TLS handshake alone, with
the bad certificate or TLS 1.1, every byte OpenSSL writes sent to the station (alerts too), then closed either way;
the station must not complete it. Then the harness serves its valid certificate again and the station, once back,
must report the security event.
"""

from __future__ import annotations

from harness import CsmsRole, Record, StationControl, bad_variants, testcase

BAD_SERVER_CERTIFICATES = "tls.invalid_server_certificates"
OLD_TLS_EVENT = "tls.invalid_tls_version_event"


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
    handshake = await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101,
                                       after=after.seq, within=csms.reconnect_wait(2),
                                       what="the station to reconnect with the valid certificate")
    await csms.wait_record(lambda r: r.event == "open", after=handshake.seq, what="the new connection to open")
    return handshake


@testcase("TC_A_05_CS", "TLS - server-side certificate - Invalid certificate", usecases=("A00",),
          requirements=("A00.FR.308", "A00.FR.309", "A00.FR.310", "A00.FR.311", "A00.FR.502", "A00.FR.506"),
          security=(2, 3),
          notes="The invalid server certificates come from SUT-profile policy tls.invalid_server_certificates "
                "(default all: expired, not yet valid, unknown CA, RSA 1024 bits, wrong CN/host, SHA-1), one "
                "probe each; each refusal must be followed by SecurityEventNotification InvalidCsmsCertificate "
                "once the station is back.")
async def test_TC_A_05_CS(csms: CsmsRole, sut: StationControl) -> None:
    profile = csms.settings.station.security.profile
    for variant in bad_variants(csms.policy(BAD_SERVER_CERTIFICATES), source=f"policy {BAD_SERVER_CERTIFICATES}"):
        what = f"an invalid server certificate ({variant.value})"
        event = csms.expect("SecurityEventNotification", {"type": "InvalidCsmsCertificate"},
                            description=f"InvalidCsmsCertificate after the {variant.value} certificate")
        with csms.step(f"{variant.value}: 1-3. The harness closes the connection; on the station's next TLS "
                       f"handshake it presents {what}"):
            probe = await csms.probe_tls(csms.pki.server_context(profile, variant), what)
        with csms.step(f"{variant.value}: 4. The station terminates the TLS handshake (A00.FR.308-311)"):
            await _refused(csms, probe, what, ("SEC-2", "SEC-4"))
        with csms.step(f"{variant.value}: 5-6. The harness presents its valid certificate; the station reconnects"):
            back = await _back(csms, probe)
        with csms.step(f"{variant.value}: 7-8. SecurityEventNotificationRequest InvalidCsmsCertificate "
                       "(A00.FR.310); the harness responds"):
            await csms.received(event, within=csms.settings.timing.default_timeout)
        csms.transcript.note(f"{variant.value}: refused, back on connection of handshake {back.seq}, event sent")


@testcase("TC_A_06_CS", "TLS - server-side certificate - TLS version too low", usecases=("A00",),
          requirements=("A00.FR.313", "A00.FR.314", "A00.FR.316"), security=(2, 3),
          notes="The probe speaks TLS 1.1 only (OpenSSL at security level 0, CBC suites): a station that offers "
                "only TLS 1.2+ gets a protocol_version alert, one that agrees TLS 1.1 fails. The InvalidTLSVersion "
                "event is required unless policy tls.invalid_tls_version_event is 'optional'. Limit: TLS 1.0 and "
                "SSL are not probed.")
async def test_TC_A_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    profile = csms.settings.station.security.profile
    what = "TLS 1.1 only"
    required = csms.policy(OLD_TLS_EVENT) != "optional"
    event = csms.expect("SecurityEventNotification", {"type": "InvalidTLSVersion"},
                        description="InvalidTLSVersion after the TLS 1.1 probe") if required else None
    with csms.step("1-2. The harness closes the connection; on the station's next TLS handshake it offers TLS 1.1 "
                   "only"):
        probe = await csms.probe_tls(csms.pki.server_context(profile, old_tls="only"), what)
    with csms.step("3. The station terminates the TLS handshake: no TLS below 1.2 (A00.FR.313, A00.FR.314)"):
        await _refused(csms, probe, "TLS 1.1", ("SEC-2",))
    with csms.step("4-5. The harness offers TLS 1.2 or newer again; the station reconnects"):
        await _back(csms, probe)
    if event is not None:
        with csms.step("6-7. SecurityEventNotificationRequest InvalidTLSVersion (A00.FR.316); the harness responds"):
            await csms.received(event, within=csms.settings.timing.default_timeout)
