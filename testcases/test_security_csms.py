"""Blocks A (A00 a valid TLS connection, A01 BasicAuthPassword, A02 the station certificate) and M (M03-M05 the
installed certificates) with the CSMS under test: the harness plays the Charging Station.

Each case follows its Part 6 table, errata applied; what a table does not check is marked beyond Part 6. The CSMS
is made to send its requests through the control adapter ("Manual Action: trigger the CSMS to ...").
"""

from __future__ import annotations

from typing import Any

from harness import (
    ABSENT,
    ANY,
    BadCertificate,
    CsmsControl,
    OcppFailure,
    PreconditionNotMet,
    StationRole,
    certificate_hash,
    certificate_info,
    now_iso,
    same_hash,
    states,
    station_booted,
    testcase,
)

PASSWORD = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}
CSMS_ROOT = "CSMSRootCertificate"
HASH_ALGORITHMS = ("SHA256", "SHA384", "SHA512")
# A02.FR.? / errata 2025-01: a BasicAuthPassword has 16 characters at least and at most the station's
# BasicAuthPassword maxLimit, which may be set between 40 and 64; the edition's 40 is a check beyond Part 6
PASSWORD_MIN, PASSWORD_MAX, EDITION_MAX = 16, 64, 40
# A00.FR.318: the four TLS 1.2 suites a CSMS supports (OpenSSL names)
CSMS_SUITES = ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "AES128-GCM-SHA256",
               "AES256-GCM-SHA384")


def _installed(station: StationRole) -> list[dict[str, Any]]:
    """The harness station's certificate store: the CSMS roots it trusts (the run's, and the CSMS profile's own CAs)."""
    assert station.pki is not None
    return [{"certificateType": CSMS_ROOT, "certificateHashData": certificate_info(pem).hash_data}
            for pem in station.pki.csms_roots()]


async def _installed_root(station: StationRole, sut: CsmsControl, step: str = "") -> str:
    """Reusable state *CertificateInstalled* (SUT = CSMS, Table 709): the CSMS is made to install a
    CSMSRootCertificate; its InstallCertificateRequest must be of that type and carry a certificate (PEM X.509:
    what the harness can tell of "the configured certificate"). Answered Accepted; returns the PEM."""
    install = station.expect("InstallCertificate", {"certificateType": CSMS_ROOT, "certificate": ANY},
                             respond={"status": "Accepted"})
    with station.step(f"{step}Reusable state CertificateInstalled: Manual Action: trigger the CSMS to install a "
                      "CSMSRootCertificate"):
        await sut.trigger(station.identity, "InstallCertificate", {"certificateType": CSMS_ROOT})
    with station.step(f"{step}InstallCertificateRequest certificateType CSMSRootCertificate with a PEM X.509 "
                      "certificate; the harness responds Accepted"):
        record = await station.received(install)
        pem = str(record.frame.payload["certificate"])  # type: ignore[union-attr]
        try:
            info = certificate_info(pem)
        except BadCertificate as exc:
            raise station.failure("the CSMS sent no usable certificate", message=str(exc), actual=pem[:300],
                                  rules=("SEC-4",)) from None
    with station.beyond_part6("M05 CA certificate", "the CSMSRootCertificate is a CA certificate"):
        if not info.is_ca:
            raise station.failure("the CSMSRootCertificate is not a CA certificate", actual=pem[:300],
                                  rules=("SEC-4",))
    return pem


@testcase("TC_M_01_CSMS")
async def test_TC_M_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _installed_root(station, sut, "1. ")


@testcase("TC_M_18_CSMS")
async def test_TC_M_18_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    listing = station.expect("GetInstalledCertificateIds", {"certificateType": ABSENT},
                             respond={"status": "Accepted", "certificateHashDataChain": _installed(station)})
    with station.step("Manual Action: trigger the CSMS to send GetInstalledCertificateIdsRequest without "
                      "certificateType"):
        await sut.trigger(station.identity, "GetInstalledCertificateIds", {})
    with station.step("1-2. GetInstalledCertificateIdsRequest with certificateType omitted; the harness responds "
                      "Accepted with the hash data of every certificate it holds"):
        await station.received(listing)


@testcase("TC_M_20_CSMS",
          notes="Steps 1-5 once per hash algorithm (SHA256, SHA384, SHA512): the station reports the certificate "
                "the CSMS just installed, hashed with that algorithm, and the CSMS must delete it by that hash.")
async def test_TC_M_20_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    for algorithm in HASH_ALGORITHMS:
        pem = await _installed_root(station, sut, f"{algorithm}: 1. ")
        entry = {"certificateType": CSMS_ROOT, "certificateHashData": certificate_hash(pem, algorithm)}
        listing = station.expect("GetInstalledCertificateIds", respond={"status": "Accepted",
                                                                        "certificateHashDataChain": [entry]})
        delete = station.expect("DeleteCertificate", {"certificateHashData": ANY}, respond={"status": "Accepted"})
        with station.step(f"{algorithm}: Manual Action: request the CSMS to send a DeleteCertificateRequest"):
            await sut.trigger(station.identity, "DeleteCertificate", {})
        with station.step(f"{algorithm}: 2-3. GetInstalledCertificateIdsRequest, certificateType CSMSRootCertificate "
                          f"or omitted; the harness responds with the certificate hashed with {algorithm}"):
            record = await station.received(listing)
            kinds = record.frame.payload.get("certificateType")  # type: ignore[union-attr]
            if kinds is not None and CSMS_ROOT not in kinds:
                raise station.failure("the CSMS asked for other certificate types than CSMSRootCertificate",
                                      expected="certificateType containing CSMSRootCertificate, or omitted",
                                      actual=record.raw[:400], rules=("SEQ",))
        with station.step(f"{algorithm}: 4-5. DeleteCertificateRequest with the certificateHashData returned at step "
                          "3; the harness responds Accepted"):
            record = await station.received(delete)
            hash_data = record.frame.payload["certificateHashData"]  # type: ignore[union-attr]
            if not isinstance(hash_data, dict) or not same_hash(hash_data, entry["certificateHashData"]):
                raise station.failure(f"DeleteCertificateRequest is not for the certificateHashData ({algorithm}) the "
                                      "station returned", expected=str(entry["certificateHashData"]),
                                      actual=str(hash_data), requirements=("M04.FR.07",), rules=("SEQ",))


# ---- A01 BasicAuthPassword ---------------------------------------------------------------------------------------
async def _reconnect_and_boot(station: StationRole, password: str | None, step: str) -> None:
    """The station connects again with `password`; BootNotification (Accepted) and its connectors."""
    with station.step(f"{step}. The harness connects again with the password; the CSMS upgrades the connection"):
        await station.disconnect()
        await station.connect(station.options(password=password))
    with station.step("5-6. BootNotificationRequest; the CSMS responds Accepted"):
        await station.boot("PowerUp", {"status": "Accepted"})
    with station.step("7-8. The harness reports the state of every connector; the CSMS responds"):
        await station.report_connectors()


def _password_rules(station: StationRole, new: str) -> None:
    if not PASSWORD_MIN <= len(new) <= PASSWORD_MAX:
        raise station.failure("the new BasicAuthPassword breaks the password rules",
                              message=f"{len(new)} characters; {PASSWORD_MIN} to the station's maxLimit "
                                      f"(at most {PASSWORD_MAX}, errata 2025-01) required", rules=("SEC-5",))
    with station.beyond_part6("BasicAuthPassword maxLimit 40", f"the new BasicAuthPassword fits the edition's "
                                                               f"{EDITION_MAX} characters"):
        if len(new) > EDITION_MAX:
            raise station.failure("the new BasicAuthPassword is longer than the edition's 40 characters",
                                  message=f"{len(new)} characters; only a station whose maxLimit allows it takes "
                                          "it", rules=("SEC-5",))


async def _password_back(station: StationRole, sut: CsmsControl, original: str | None, held: str,
                         passed: bool) -> None:
    """Cleanup: make the CSMS set the harness station's original password again (it holds `held`) and connect
    with it. If that fails, `held` is left in a private file: an error of the case when it had passed, else a note
    (the first failure stays the verdict)."""
    if original is None or held == original:
        return
    with station.step("Cleanup: the CSMS sets the original password again; the harness connects with it"):
        try:
            await station.disconnect()
            await station.connect(station.options(password=held))
            restore = station.expect("SetVariables", {"setVariableData": [{**PASSWORD}]},
                                     respond={"setVariableResult": [{**PASSWORD, "attributeStatus": "Accepted"}]})
            await sut.trigger(station.identity, "SetVariables", {"setVariableData": [{**PASSWORD,
                                                                                      "attributeValue": original}]})
            await station.received(restore)
            await station.disconnect()
            await station.connect(station.options(password=original))
        except OcppFailure as exc:
            path = station.leave_secret("BasicAuthPassword", held)
            problem = (f"could not make the CSMS take the original password again ({exc.title}); the password it "
                       f"may hold for {station.identity} is in {path} (mode 0600)")
            station.transcript.note(f"cleanup: {problem}")
            if passed:
                raise PreconditionNotMet(problem, fix="set the station's password in the CSMS back by hand") from None


@testcase("TC_A_09_CSMS", security=(1, 2))
async def test_TC_A_09_CSMS(station: StationRole, sut: CsmsControl) -> None:
    original = station.password
    held = original or ""
    await station_booted(station)
    change = station.expect("SetVariables", {"setVariableData": [{**PASSWORD, "attributeValue": ANY}]},
                            respond=lambda call: {"setVariableResult": [{**PASSWORD, "attributeStatus": "Accepted"}]})
    passed = False
    try:
        with station.step("Manual Action: trigger the CSMS to set a new BasicAuthPassword"):
            await sut.trigger(station.identity, "SetVariables", {"setVariableData": "BasicAuthPassword"})
        with station.step("1-2. SetVariablesRequest SecurityCtrlr.BasicAuthPassword = <NewPassword>; the harness "
                          "responds Accepted"):
            record = await station.received(change)
            new = str(record.frame.payload["setVariableData"][0]["attributeValue"])  # type: ignore[union-attr]
            station.transcript.redact(new)
            held = new
            _password_rules(station, new)
        await _reconnect_and_boot(station, new, "3-4")
        passed = True
    finally:
        await _password_back(station, sut, original, held, passed)


@testcase("TC_A_10_CSMS", security=(1, 2))
async def test_TC_A_10_CSMS(station: StationRole, sut: CsmsControl) -> None:
    original = station.password
    await station_booted(station)
    change = station.expect("SetVariables", {"setVariableData": [{**PASSWORD, "attributeValue": ANY}]},
                            respond={"setVariableResult": [{**PASSWORD, "attributeStatus": "Rejected"}]})
    new = ""
    try:
        with station.step("Manual Action: trigger the CSMS to set a new BasicAuthPassword"):
            await sut.trigger(station.identity, "SetVariables", {"setVariableData": "BasicAuthPassword"})
        with station.step("1-2. SetVariablesRequest SecurityCtrlr.BasicAuthPassword; the harness responds Rejected"):
            record = await station.received(change)
            new = str(record.frame.payload["setVariableData"][0]["attributeValue"])  # type: ignore[union-attr]
            station.transcript.redact(new)
        await _reconnect_and_boot(station, original, "3-4")
    except OcppFailure:
        if new:  # a CSMS that took the refused password: give it the original one back
            await _password_back(station, sut, original, new, passed=False)
        raise


# ---- A02 SignCertificate / CertificateSigned (security profile 3) ------------------------------------------------
@testcase("TC_A_11_CSMS", security=(3,))
async def test_TC_A_11_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    with station.step("1. Memory state RenewChargingStationCertificate"):
        chain, key = await states.station_renew_certificate(station, sut)
    with station.step("2-3. The harness disconnects and connects again with the new certificate (errata 2024-09); "
                      "the CSMS accepts the connection"):
        await station.disconnect()
        await station.connect(station.options_with_certificate(chain, key))


@testcase("TC_A_14_CSMS", security=(3,))
async def test_TC_A_14_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    with station.step("1-6. TriggerMessage SignChargingStationCertificate (Accepted); SignCertificateRequest, which "
                      "the CSMS answers Accepted; CertificateSignedRequest, which the harness answers Rejected"):
        await states.station_renew_certificate(station, sut, answer="Rejected")
    with station.step("7-8. SecurityEventNotificationRequest InvalidChargingStationCertificate (errata 2024-09); the "
                      "CSMS responds"):
        await station.call_ok("SecurityEventNotification", {"type": "InvalidChargingStationCertificate",
                                                            "timestamp": now_iso()}, {})


# ---- A00 TLS with a valid certificate (security profiles 2 and 3) -------------------------------------------------
async def _tls_boot(station: StationRole, *, client_certificate: bool) -> None:
    mark = len(station.transcript.records)
    with station.step("1-6. The harness drops its connection and connects anew: TLS 1.2 or higher, the CSMS "
                      "certificate (key size, PEM, serial number, CN = host)" +
                      (", the harness presents its station certificate" if client_certificate else "")):
        await station.disconnect()
        await station.connect()
        sessions = [r for r in station.transcript.records[mark:] if r.event == "tls"]
        if not sessions:
            raise station.failure("no TLS session was set up with the CSMS", rules=("SEC-2",))
        problems = [f.one_line() for f in sessions[-1].findings]
        if problems:
            raise station.failure("the CSMS's TLS does not meet the security profile", message="\n".join(problems),
                                  actual=str(sessions[-1].detail), rules=tuple(sorted({f.rule for f in
                                                                                      sessions[-1].findings})))
    with station.step("Step 3 validation: the CSMS agrees each of the four cipher suites of A00.FR.318 (one "
                      "connection offering each alone; the valid connection is opened again after them)"):
        await station.disconnect()
        refused = []
        for suite in CSMS_SUITES:
            probe = await station.probe(station.options_with_suite(suite), f"cipher suite {suite} alone")
            if not probe.detail.get("tls"):
                refused.append(f"{suite}: {probe.detail.get('reason')}")
        if refused:
            raise station.failure("the CSMS does not support every cipher suite of A00.FR.318",
                                  message="\n".join(refused), requirements=("A00.FR.318",), rules=("SEC-2",))
        await station.connect()
    with station.step("7-8. BootNotificationRequest reason PowerUp; the CSMS responds Accepted"):
        await station.boot("PowerUp", {"status": "Accepted"})
    with station.step("9-10. The harness reports the state of every connector; the CSMS responds"):
        await station.report_connectors()


@testcase("TC_A_04_CSMS", security=(2, 3))
async def test_TC_A_04_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _tls_boot(station, client_certificate=station.security_profile == 3)


@testcase("TC_A_07_CSMS", security=(3,))
async def test_TC_A_07_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _tls_boot(station, client_certificate=True)
