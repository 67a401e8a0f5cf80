"""Block A (A01, A02) and M (M03-M05) with the CSMS under test: the harness plays the Charging Station.

Part 6 step tables are not in the reference material: steps follow the use cases and name their requirements at
use-case level where the FR number is not known. The CSMS is made to send its requests through the control
adapter ("Manual Action: trigger the CSMS to ...").
"""

from __future__ import annotations

from typing import Any

from harness import (
    ANY,
    AbsentOr,
    BadCertificate,
    CsmsControl,
    StationRole,
    certificate_info,
    chain_problems,
    now_iso,
    same_hash,
    split_pem,
    station_booted,
    testcase,
)

PASSWORD = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}


def _installed(station: StationRole) -> list[dict[str, Any]]:
    """The harness station's certificate store: the CSMS roots it trusts (the run's, and the CSMS profile's own CAs)."""
    assert station.pki is not None
    return [{"certificateType": "CSMSRootCertificate", "certificateHashData": certificate_info(pem).hash_data}
            for pem in station.pki.csms_roots()]


def _hash_problems(hash_data: dict[str, Any]) -> list[str]:
    problems = []
    if hash_data.get("hashAlgorithm") not in ("SHA256", "SHA384", "SHA512"):
        problems.append(f"hashAlgorithm {hash_data.get('hashAlgorithm')!r}")
    for key in ("issuerNameHash", "issuerKeyHash", "serialNumber"):
        value = str(hash_data.get(key, ""))
        if not value or any(c not in "0123456789abcdefABCDEF" for c in value):
            problems.append(f"{key} {value!r} is not hexadecimal")
    return problems


@testcase("TC_M_01_CSMS", "Install CA certificate - CSMSRootCertificate", usecases=("M05",),
          requirements=("M05.FR.01",))
async def test_TC_M_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    install = station.expect("InstallCertificate", {"certificateType": "CSMSRootCertificate", "certificate": ANY},
                             respond={"status": "Accepted"})
    with station.step("Manual Action: trigger the CSMS to install a CSMSRootCertificate"):
        await sut.trigger(station.identity, "InstallCertificate", {"certificateType": "CSMSRootCertificate"})
    with station.step("1-2. InstallCertificateRequest with a PEM X.509 CA certificate; the harness responds "
                      "Accepted"):
        record = await station.received(install)
        pem = record.frame.payload["certificate"]  # type: ignore[union-attr]
        try:
            info = certificate_info(pem)
        except BadCertificate as exc:
            raise station.failure("the CSMS sent no usable certificate", message=str(exc), actual=pem[:300],
                                  rules=("SEC-4",)) from None
        if not info.is_ca:
            raise station.failure("the CSMSRootCertificate is not a CA certificate", actual=pem[:300],
                                  rules=("SEC-4",))


@testcase("TC_M_18_CSMS", "Retrieve certificates from Charging Station - All certificateTypes", usecases=("M03",),
          requirements=("M03.FR.01",))
async def test_TC_M_18_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    listing = station.expect("GetInstalledCertificateIds", respond={"status": "Accepted",
                                                                    "certificateHashDataChain": _installed(station)})
    with station.step("Manual Action: trigger the CSMS to retrieve all installed certificates"):
        await sut.trigger(station.identity, "GetInstalledCertificateIds", {})
    with station.step("1-2. GetInstalledCertificateIdsRequest (certificateType omitted or every type); the harness "
                      "responds Accepted with its certificates"):
        await station.received(listing)


@testcase("TC_M_20_CSMS", "Delete a certificate from a Charging Station - Success", usecases=("M04",),
          requirements=("M04.FR.01",),
          notes="The CSMS first learns the installed certificates (GetInstalledCertificateIds), then deletes one; "
                "its certificateHashData must be one the station reported.")
async def test_TC_M_20_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    reported = _installed(station)
    listing = station.expect("GetInstalledCertificateIds", respond={"status": "Accepted",
                                                                    "certificateHashDataChain": reported})
    with station.step("Manual Action: trigger the CSMS to retrieve the installed certificates"):
        await sut.trigger(station.identity, "GetInstalledCertificateIds", {})
        await station.received(listing)
    delete = station.expect("DeleteCertificate", {"certificateHashData": ANY}, respond={"status": "Accepted"})
    with station.step("Manual Action: trigger the CSMS to delete the certificate"):
        await sut.trigger(station.identity, "DeleteCertificate", {})
    with station.step("1-2. DeleteCertificateRequest with the certificateHashData of a reported certificate; "
                      "the harness responds Accepted"):
        record = await station.received(delete)
        hash_data = record.frame.payload["certificateHashData"]  # type: ignore[union-attr]
        problems = _hash_problems(hash_data)
        if not any(same_hash(hash_data, c["certificateHashData"]) for c in reported):
            problems.append("it is not the hash data of any certificate the station reported")
        if problems:
            raise station.failure("DeleteCertificateRequest names no installed certificate", message="\n".join(problems),
                                  actual=str(hash_data), rules=("SEQ",))


async def _reconnect(station: StationRole, password: str | None) -> None:
    await station.live().close(1000, "station reconnects with its credentials")
    await station.connect(station.options(password=password))
    await station.call_ok("Heartbeat", {})  # the CSMS still knows the station as accepted: no new boot needed


@testcase("TC_A_09_CSMS", "Update Charging Station Password for HTTP Basic Authentication - Accepted",
          usecases=("A01",), requirements=("A01.FR.01", "A01.FR.02"), security=(1, 2))
async def test_TC_A_09_CSMS(station: StationRole, sut: CsmsControl) -> None:
    original = station.password
    await station_booted(station)
    change = station.expect("SetVariables", {"setVariableData": [{**PASSWORD, "attributeValue": ANY}]},
                            respond=lambda call: {"setVariableResult": [{**PASSWORD, "attributeStatus": "Accepted"}]})
    with station.step("Manual Action: trigger the CSMS to set a new BasicAuthPassword"):
        await sut.trigger(station.identity, "SetVariables", {"setVariableData": "BasicAuthPassword"})
    with station.step("1-2. SetVariablesRequest SecurityCtrlr.BasicAuthPassword (16-40 characters); Accepted"):
        record = await station.received(change)
        new = str(record.frame.payload["setVariableData"][0]["attributeValue"])  # type: ignore[union-attr]
        if not 16 <= len(new) <= 40:
            raise station.failure("the new BasicAuthPassword breaks the password rules",
                                  message=f"{len(new)} characters; 16-40 required", rules=("SEC-5",))
    with station.step("3. The station reconnects with the new password: the CSMS accepts it"):
        await _reconnect(station, new)
    restore = station.expect("SetVariables", {"setVariableData": [{**PASSWORD}]},
                             respond={"setVariableResult": [{**PASSWORD, "attributeStatus": "Accepted"}]})
    with station.step("Cleanup: the CSMS sets the original password again"):
        await sut.trigger(station.identity, "SetVariables", {"setVariableData": [{**PASSWORD,
                                                                                  "attributeValue": original}]})
        await station.received(restore)
        await _reconnect(station, original)


@testcase("TC_A_10_CSMS", "Update Charging Station Password for HTTP Basic Authentication - Rejected",
          usecases=("A01",), requirements=("A01.FR.01",), security=(1, 2),
          notes="The station rejects the new password; the CSMS must go on accepting the old one.")
async def test_TC_A_10_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    change = station.expect("SetVariables", {"setVariableData": [{**PASSWORD, "attributeValue": ANY}]},
                            respond={"setVariableResult": [{**PASSWORD, "attributeStatus": "Rejected"}]})
    with station.step("Manual Action: trigger the CSMS to set a new BasicAuthPassword"):
        await sut.trigger(station.identity, "SetVariables", {"setVariableData": "BasicAuthPassword"})
    with station.step("1-2. SetVariablesRequest SecurityCtrlr.BasicAuthPassword; the harness responds Rejected"):
        await station.received(change)
    with station.step("3. The station reconnects with its old password: the CSMS accepts it"):
        await _reconnect(station, station.password)


async def _sign(station: StationRole, sut: CsmsControl) -> tuple[str, Any]:
    """SignCertificateRequest with a fresh CSR (CN = the serial number); the CSMS must accept it."""
    assert station.pki is not None
    request = station.pki.new_csr(station.serial_number)
    await station.call_ok("SignCertificate", {"csr": request.csr_pem, "certificateType": "ChargingStationCertificate"},
                          {"status": "Accepted"})
    return request.csr_pem, request.key_path


@testcase("TC_A_11_CSMS", "Update Charging Station Certificate by request of CSMS - Success - Charging Station "
          "Certificate", usecases=("A02", "F06"), profiles=("AdvSec",), requirements=("A02.FR.02", "A02.FR.06"))
async def test_TC_A_11_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    signed = station.expect("CertificateSigned", {"certificateChain": ANY,
                                                  "certificateType": AbsentOr("ChargingStationCertificate")},
                            respond={"status": "Accepted"})
    with station.step("1-2. SignCertificateRequest with a CSR (CN = serial number); the CSMS responds Accepted"):
        _, key_path = await _sign(station, sut)
    with station.step("3-4. CertificateSignedRequest with a certificate for the CSR's key, CN = serial number, "
                      "SHA-256, valid now; the harness responds Accepted"):
        record = await station.received(signed)
        chain = record.frame.payload["certificateChain"]  # type: ignore[union-attr]
        bundle = split_pem(chain)
        problems = chain_problems(chain, trusted=bundle[1:] or None, expected_cn=station.serial_number,
                                  key_path=key_path)
        if problems:
            raise station.failure("the CSMS signed no valid certificate for the station", message="\n".join(problems),
                                  actual=chain[:600], rules=("SEC-4",))


@testcase("TC_A_14_CSMS", "Update Charging Station Certificate by request of CSMS - Invalid certificate",
          usecases=("A02",), profiles=("AdvSec",), requirements=("A02.FR.07",),
          notes="The station refuses the certificate (Rejected) and reports InvalidChargingStationCertificate; the "
                "CSMS must take both.")
async def test_TC_A_14_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    signed = station.expect("CertificateSigned", {"certificateChain": ANY},
                            respond={"status": "Rejected", "statusInfo": {"reasonCode": "InvalidCertificate"}})
    with station.step("1-2. SignCertificateRequest; the CSMS responds Accepted"):
        await _sign(station, sut)
    with station.step("3-4. CertificateSignedRequest; the harness responds Rejected"):
        await station.received(signed)
    with station.step("5-6. SecurityEventNotificationRequest InvalidChargingStationCertificate; the CSMS responds"):
        await station.call_ok("SecurityEventNotification", {"type": "InvalidChargingStationCertificate",
                                                            "timestamp": now_iso()}, {})


# ---- A00 TLS with a valid certificate (security profiles 2 and 3) -------------------------------------------------
async def _tls_boot(station: StationRole, *, client_certificate: bool) -> None:
    mark = len(station.transcript.records)
    with station.step("1. TLS handshake: TLS 1.2 or higher, an A00.FR.318 suite, the CSMS certificate (CN = host)" +
                      (", the harness presents its station certificate" if client_certificate else "")):
        await station.connect()
        sessions = [r for r in station.transcript.records[mark:] if r.event == "tls"]
        if not sessions:
            raise station.failure("no TLS session was set up with the CSMS", rules=("SEC-2",))
        problems = [f.one_line() for f in sessions[-1].findings]
        if problems:
            raise station.failure("the CSMS's TLS does not meet the security profile", message="\n".join(problems),
                                  actual=str(sessions[-1].detail), rules=tuple(sorted({f.rule for f in
                                                                                      sessions[-1].findings})))
    with station.step("2. BootNotificationRequest over the TLS connection; the CSMS responds Accepted"):
        await station.boot("PowerUp", {"status": "Accepted"})


@testcase("TC_A_04_CSMS", "TLS - server-side certificate - Valid certificate", usecases=("A00",),
          requirements=("A00.FR.307", "A00.FR.313", "A00.FR.318"), security=(2,))
async def test_TC_A_04_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _tls_boot(station, client_certificate=False)


@testcase("TC_A_07_CSMS", "TLS - Client-side certificate - valid certificate", usecases=("A00",),
          profiles=("AdvSec",), requirements=("A00.FR.403", "A00.FR.405"), security=(3,))
async def test_TC_A_07_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _tls_boot(station, client_certificate=True)
