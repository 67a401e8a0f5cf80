"""Block A (A00) with the CSMS under test: what the CSMS must refuse over TLS (security profiles 2 and 3). The
harness plays the Charging Station.

As in Part 6 the harness first drops its connection, tries the wrong connection (`station.probe`: TLS 1.1 only, or
an invalid station certificate), which the CSMS must refuse, then connects with its valid TLS and boots.
"""

from __future__ import annotations

from harness import CsmsControl, Record, StationRole, Variant, bad_variants, testcase

BAD_CLIENT_CERTIFICATES = "tls.invalid_client_certificates"
# the invalid station certificates of Part 6; the others are checks of the harness's own, beyond Part 6
PART6_VARIANTS = {Variant.UNKNOWN_CA, Variant.EXPIRED, Variant.WRONG_CN}
BEYOND = {Variant.NOT_YET_VALID: "A00.FR.407", Variant.WEAK_KEY: "A00.FR.502", Variant.SHA1: "A00.FR.506"}


def _refused(station: StationRole, probe: Record, what: str, rules: tuple[str, ...]) -> None:
    detail = probe.detail
    if detail.get("accepted"):
        tls = detail.get("tls") or {}
        raise station.failure(f"the CSMS accepted a connection with {what}",
                              message=f"WebSocket opened (HTTP 101) over TLS {tls.get('version')} "
                                      f"{tls.get('cipher')}; the CSMS must terminate the connection",
                              actual=str(detail), rules=rules)
    failure = detail.get("tls_failure") or {}
    if failure.get("refused_by") == "harness":  # the harness refused the CSMS: the probe proved nothing
        raise station.failure("the harness refused the CSMS's TLS before it could judge the probe",
                              message=str(failure.get("reason")), actual=str(detail), rules=rules)
    station.transcript.note(f"the CSMS refused {what}: {detail.get('reason')}")


async def _valid_boot(station: StationRole, step: str) -> None:
    """The valid connection after the refused one: TLS 1.2 or newer with the valid certificate, BootNotification
    reason PowerUp (Accepted), the state of every connector."""
    with station.step(f"{step}. The harness connects with TLS 1.2 or newer and its valid certificate; the CSMS "
                      "upgrades the connection"):
        await station.connect()
    with station.step("BootNotificationRequest reason PowerUp; the CSMS responds Accepted"):
        await station.boot("PowerUp", {"status": "Accepted"})
    with station.step("The harness reports the state of every connector; the CSMS responds"):
        await station.report_connectors()


@testcase("TC_A_06_CSMS", security=(2, 3),
          notes="The probe offers TLS 1.1 only (OpenSSL at security level 0, CBC suites); under profile 3 it "
                "presents the valid station certificate. Limit: TLS 1.0 and SSL are not probed.")
async def test_TC_A_06_CSMS(station: StationRole, sut: CsmsControl) -> None:
    assert station.pki is not None
    context = station.pki.client_context(station.security_profile, station.serial_number, old_tls="only")
    with station.step("1-2. The harness drops its connection and connects offering TLS 1.1 only; the CSMS "
                      "terminates the connection"):
        await station.disconnect()
        probe = await station.probe(station.options(ssl=context), "TLS 1.1 only")
        _refused(station, probe, "TLS 1.1", ("SEC-2",))
    await _valid_boot(station, "3-8")


async def _invalid_certificate(station: StationRole, variant: Variant) -> None:
    """One execution of TC_A_08_CSMS with one invalid station certificate."""
    assert station.pki is not None
    what = f"an invalid station certificate ({variant.value})"
    context = station.pki.client_context(3, station.serial_number, variant)
    with station.step(f"{variant.value}: 1-4. The harness connects presenting {what}; the CSMS terminates the "
                      "connection"):
        await station.disconnect()
        probe = await station.probe(station.options(ssl=context), what)
        _refused(station, probe, what, ("SEC-3",))
    await _valid_boot(station, f"{variant.value}: 5-10")


@testcase("TC_A_08_CSMS", security=(3,),
          notes="Invalid station certificates from policy tls.invalid_client_certificates (default all): unknown "
                "CA, expired, CN not the serial number (Part 6); not yet valid, RSA 1024 bits and SHA-1 are checks "
                "beyond Part 6. Refused means no WebSocket: a TLS alert, a closed connection or an HTTP error.")
async def test_TC_A_08_CSMS(station: StationRole, sut: CsmsControl) -> None:
    for variant in bad_variants(station.policy(BAD_CLIENT_CERTIFICATES), source=f"policy {BAD_CLIENT_CERTIFICATES}"):
        if variant in PART6_VARIANTS:
            await _invalid_certificate(station, variant)
        else:
            with station.beyond_part6(BEYOND.get(variant, variant.value),
                                      f"the CSMS refuses a station certificate {variant.value}"):
                await _invalid_certificate(station, variant)
