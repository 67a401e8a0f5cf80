"""Block A (A00) with the CSMS under test: what the CSMS must refuse over TLS (security profiles 2 and 3). The
harness plays the Charging Station.

Part 6 step tables are not in the reference material: the steps follow A00 (A00.FR.314/315: the CSMS terminates
a connection below TLS 1.2; A00.FR.403/405/407: under profile 3 it verifies the station certificate and terminates
the connection when it is invalid) and the test mechanics of Part 6. The harness station stays connected with its
valid TLS; each wrong connection is an extra one (`station.probe`) that must be refused, and the valid connection
must keep working after it.
"""

from __future__ import annotations

from harness import CsmsControl, Record, StationRole, bad_variants, station_booted, testcase

BAD_CLIENT_CERTIFICATES = "tls.invalid_client_certificates"


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


async def _still_served(station: StationRole) -> None:
    """The valid connection is untouched by the refused one: a Heartbeat is answered on it."""
    await station.call_ok("Heartbeat", {})


@testcase("TC_A_06_CSMS", "TLS - server-side certificate - TLS version too low", usecases=("A00",),
          requirements=("A00.FR.313", "A00.FR.314", "A00.FR.315"), security=(2, 3),
          notes="The probe offers TLS 1.1 only (OpenSSL at security level 0, CBC suites); under profile 3 it "
                "presents the valid station certificate. Limit: TLS 1.0 and SSL are not probed.")
async def test_TC_A_06_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    assert station.pki is not None
    context = station.pki.client_context(station.security_profile, station.serial_number, old_tls="only")
    with station.step("1-2. The harness opens another connection offering TLS 1.1 only; the CSMS terminates it "
                      "(A00.FR.315)"):
        probe = await station.probe(station.options(ssl=context), "TLS 1.1 only")
        _refused(station, probe, "TLS 1.1", ("SEC-2",))
    with station.step("3. The station's valid connection still works: HeartbeatRequest; the CSMS responds"):
        await _still_served(station)


@testcase("TC_A_08_CSMS", "TLS - Client-side certificate - Invalid certificate", usecases=("A00",),
          profiles=("AdvSec",), requirements=("A00.FR.403", "A00.FR.405", "A00.FR.407", "A00.FR.502", "A00.FR.506"),
          security=(3,),
          notes="The invalid station certificates come from SUT-profile policy tls.invalid_client_certificates "
                "(default all: expired, not yet valid, unknown CA, RSA 1024 bits, CN not the serial number, "
                "SHA-1), one extra connection each. Refused means no WebSocket: a TLS alert, a closed connection "
                "or an HTTP error status.")
async def test_TC_A_08_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    assert station.pki is not None
    for variant in bad_variants(station.policy(BAD_CLIENT_CERTIFICATES), source=f"policy {BAD_CLIENT_CERTIFICATES}"):
        what = f"an invalid station certificate ({variant.value})"
        context = station.pki.client_context(3, station.serial_number, variant)
        with station.step(f"{variant.value}: 1-2. The harness opens another connection presenting {what}; the "
                          "CSMS terminates it (A00.FR.407)"):
            probe = await station.probe(station.options(ssl=context), what)
            _refused(station, probe, what, ("SEC-3",))
        with station.step(f"{variant.value}: 3. The station's valid connection still works: HeartbeatRequest"):
            await _still_served(station)
