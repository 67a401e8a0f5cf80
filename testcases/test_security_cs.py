"""Block A (A01, A02) and M (M03-M05) with the Charging Station under test: the harness plays the CSMS.

Part 6 step tables are not in the reference material: steps follow the use cases A01, A02, M03, M04, M05 and name
their requirements at use-case level where the FR number is not known.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from harness import (
    ANY,
    CsmsRole,
    CsrRejected,
    OneOf,
    Record,
    StationControl,
    Variant,
    certificate_info,
    check_interval,
    same_hash,
    testcase,
)

PASSWORD = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}
ROOT_TYPES = ("V2GRootCertificate", "MORootCertificate", "CSMSRootCertificate", "V2GCertificateChain",
              "ManufacturerRootCertificate")


def _new_password(length: int = 24) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


async def _installed(csms: CsmsRole, kinds: list[str] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"certificateType": kinds} if kinds else {}
    return await csms.call_ok("GetInstalledCertificateIds", payload, {"status": OneOf("Accepted", "NotFound")})


def _listed(answer: dict[str, Any], hash_data: dict[str, str], kind: str | None = None) -> bool:
    return any(same_hash(c.get("certificateHashData", {}), hash_data) and (kind is None or c.get("certificateType") == kind)
               for c in answer.get("certificateHashDataChain", []))


async def _install_extra_root(csms: CsmsRole, name: str) -> dict[str, str]:
    """Memory state CertificateInstalled: a CSMSRootCertificate of the run's PKI that no connection depends on."""
    pem = csms.pki.ca_certificate(name)
    await csms.call_ok("InstallCertificate", {"certificateType": "CSMSRootCertificate", "certificate": pem},
                       {"status": "Accepted"})
    return certificate_info(pem).hash_data


@testcase("TC_M_01_CS", "Install CA certificate - CSMSRootCertificate", usecases=("M05",),
          requirements=("M05.FR.01", "M05.FR.02"))
async def test_TC_M_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    pem = csms.pki.ca_certificate("m01")
    expected = certificate_info(pem).hash_data
    with csms.step("1-2. InstallCertificateRequest CSMSRootCertificate; the station responds Accepted"):
        await csms.call_ok("InstallCertificate", {"certificateType": "CSMSRootCertificate", "certificate": pem},
                           {"status": "Accepted"})
    with csms.step("3-4. GetInstalledCertificateIdsRequest CSMSRootCertificate lists the new root"):
        answer = await _installed(csms, ["CSMSRootCertificate"])
        if not _listed(answer, expected, "CSMSRootCertificate"):
            raise csms.failure("the installed CSMSRootCertificate is not reported by GetInstalledCertificateIds",
                               expected=f"certificateHashData {expected}", actual=str(answer)[:800],
                               rules=("SEQ",))
    with csms.step("Cleanup: DeleteCertificateRequest for the new root"):
        await csms.call_ok("DeleteCertificate", {"certificateHashData": expected}, {"status": "Accepted"})


@testcase("TC_M_18_CS", "Retrieve certificates from Charging Station - All certificateTypes", usecases=("M03",),
          requirements=("M03.FR.01", "M03.FR.02", "M03.FR.03"))
async def test_TC_M_18_CS(csms: CsmsRole, sut: StationControl) -> None:
    with csms.step("Memory state CertificateInstalled: a CSMSRootCertificate the harness knows"):
        expected = await _install_extra_root(csms, "m18")
    with csms.step("1-2. GetInstalledCertificateIdsRequest without certificateType (all types); Accepted"):
        answer = await _installed(csms)
        if answer.get("status") != "Accepted":
            raise csms.failure("the station answered NotFound although a certificate is installed",
                               actual=str(answer)[:800], rules=("SEQ",))
    with csms.step("3. Every entry is a CertificateHashDataChainType of a requested type; the installed root is "
                   "listed with SHA256 hashes of its issuer name and key, and its serial number"):
        problems = [f"certificateType {c.get('certificateType')!r}" for c in answer["certificateHashDataChain"]
                    if c.get("certificateType") not in ROOT_TYPES]
        if not _listed(answer, expected, "CSMSRootCertificate"):
            problems.append(f"no entry with certificateHashData {expected}")
        if problems:
            raise csms.failure("GetInstalledCertificateIds does not report the installed certificates correctly",
                               message="\n".join(problems), actual=str(answer)[:800], rules=("SEQ",))
    with csms.step("Cleanup: DeleteCertificateRequest for the root"):
        await csms.call_ok("DeleteCertificate", {"certificateHashData": expected}, {"status": "Accepted"})


@testcase("TC_M_20_CS", "Delete a certificate from a Charging Station - Success", usecases=("M04",),
          requirements=("M04.FR.01", "M04.FR.02"))
async def test_TC_M_20_CS(csms: CsmsRole, sut: StationControl) -> None:
    with csms.step("Memory state CertificateInstalled: a CSMSRootCertificate the harness knows"):
        expected = await _install_extra_root(csms, "m20")
    with csms.step("1-2. DeleteCertificateRequest with its certificateHashData; the station responds Accepted"):
        await csms.call_ok("DeleteCertificate", {"certificateHashData": expected}, {"status": "Accepted"})
    with csms.step("3-4. GetInstalledCertificateIdsRequest CSMSRootCertificate: the deleted root is gone"):
        answer = await _installed(csms, ["CSMSRootCertificate"])
        if _listed(answer, expected):
            raise csms.failure("the station still reports the certificate it said it deleted",
                               expected="no entry with the deleted hash", actual=str(answer)[:800], rules=("SEQ",))


# ---- A01 BasicAuthPassword ---------------------------------------------------------------------------------------
@testcase("TC_A_09_CS", "Update Charging Station Password for HTTP Basic Authentication - Accepted",
          usecases=("A01",), requirements=("A01.FR.01", "A01.FR.02", "A01.FR.03"), security=(1, 2),
          notes="The harness closes the connection after the Accepted SetVariables, so a station that keeps its "
                "connection open is judged on its next one; the old password is restored at the end.")
async def test_TC_A_09_CS(csms: CsmsRole, sut: StationControl, station_password: str) -> None:
    new = _new_password()
    csms.transcript.redact(new)
    try:
        with csms.step("1-2. SetVariablesRequest SecurityCtrlr.BasicAuthPassword = a new 24-character password; "
                       "Accepted"):
            await csms.call_ok("SetVariables", {"setVariableData": [{**PASSWORD, "attributeValue": new}]},
                               {"setVariableResult": [{"attributeStatus": "Accepted"}]})
            csms.endpoint.use_password(new)
        with csms.step("3. The station reconnects with the new password (Basic Auth accepted)"):
            handshake = await csms.reconnect()
            if handshake.detail.get("auth") != "ok":
                raise csms.failure("the station did not authenticate with the new password",
                                   actual=f"auth {handshake.detail.get('auth')}", rules=("SEC-5",))
    finally:
        with csms.step("Cleanup: restore the original password"):
            if csms.connection is not None and not csms.connection.closed.is_set():
                await csms.call_ok("SetVariables", {"setVariableData": [{**PASSWORD,
                                                                          "attributeValue": station_password}]})
            csms.endpoint.use_password(station_password)


@testcase("TC_A_10_CS", "Update Charging Station Password for HTTP Basic Authentication - Rejected",
          usecases=("A01",), requirements=("A01.FR.04",), security=(1, 2),
          notes="A password of 8 characters breaks the 16-character minimum of BasicAuthPassword; the station must "
                "reject it and keep authenticating with the old one.")
async def test_TC_A_10_CS(csms: CsmsRole, sut: StationControl) -> None:
    short = _new_password(8)
    csms.transcript.redact(short)
    with csms.step("1-2. SetVariablesRequest BasicAuthPassword with an 8-character password; Rejected"):
        await csms.call_ok("SetVariables", {"setVariableData": [{**PASSWORD, "attributeValue": short}]},
                           {"setVariableResult": [{"attributeStatus": OneOf("Rejected", "NotSupportedAttributeType")}]})
    with csms.step("3. The station still authenticates with its old password"):
        handshake = await csms.reconnect()
        if handshake.detail.get("auth") != "ok":
            raise csms.failure("after the rejected change the station no longer authenticates with its password",
                               actual=f"auth {handshake.detail.get('auth')}", rules=("SEC-5",))


# ---- A02 SignCertificate / CertificateSigned ---------------------------------------------------------------------
def _sign(csms: CsmsRole, csr: str) -> str:
    try:
        return csms.pki.sign_csr(csr, expected_cn=csms.serial_number)
    except CsrRejected as exc:
        raise csms.failure("the station's CSR cannot be signed", message=str(exc), actual=csr[:400],
                           rules=("SEC-4",)) from None


async def _sign_request(csms: CsmsRole, status: str = "Accepted", *, trigger: bool = True,
                        after: Record | None = None, within: float | None = None) -> Record:
    request = csms.expect("SignCertificate", {"csr": ANY}, respond={"status": status}, after=after)
    if trigger:
        await csms.call_ok("TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"},
                           {"status": "Accepted"})
    return await csms.received(request, within)


@testcase("TC_A_11_CS", "Update Charging Station Certificate by request of CSMS - Success - Charging Station "
          "Certificate", usecases=("A02", "F06"), profiles=("AdvSec",),
          requirements=("A02.FR.02", "A02.FR.06", "A02.FR.08", "F06.FR.12"))
async def test_TC_A_11_CS(csms: CsmsRole, sut: StationControl) -> None:
    with csms.step("1-4. TriggerMessage SignChargingStationCertificate; SignCertificateRequest with a CSR "
                   "(CN = serial number, key >= 2048 bit); the harness responds Accepted"):
        record = await _sign_request(csms)
        assert record.frame is not None
        chain = _sign(csms, record.frame.payload["csr"])  # type: ignore[union-attr]
    with csms.step("5-6. CertificateSignedRequest with the signed chain; the station responds Accepted"):
        await csms.call_ok("CertificateSigned", {"certificateChain": chain,
                                                 "certificateType": "ChargingStationCertificate"},
                           {"status": "Accepted"})
    if csms.settings.station.security.profile == 3:
        with csms.step("7. On its next connection the station presents the new certificate (A02.FR.09)"):
            handshake = await csms.reconnect()
            presented = str(handshake.detail.get("tls", {}).get("peer_serial") or "").lower().lstrip("0")
            issued = certificate_info(chain).serial_hex
            if presented != issued:
                raise csms.failure("the station did not switch to its new certificate",
                                   expected=f"certificate serial {issued}", actual=f"serial {presented or 'none'}",
                                   rules=("SEC-3",))


@testcase("TC_A_14_CS", "Update Charging Station Certificate by request of CSMS - Invalid certificate",
          usecases=("A02",), profiles=("AdvSec",), requirements=("A02.FR.06", "A02.FR.07"))
async def test_TC_A_14_CS(csms: CsmsRole, sut: StationControl) -> None:
    with csms.step("1-4. TriggerMessage SignChargingStationCertificate; SignCertificateRequest; Accepted"):
        await _sign_request(csms)
    serial = csms.serial_number or "unknown-serial"
    invalid = csms.pki.station(serial, Variant.UNKNOWN_CA).chain_pem
    event = csms.expect("SecurityEventNotification", {"type": "InvalidChargingStationCertificate"})
    with csms.step("5-6. CertificateSignedRequest with a certificate of an unknown CA; the station responds "
                   "Rejected"):
        await csms.call_ok("CertificateSigned", {"certificateChain": invalid,
                                                 "certificateType": "ChargingStationCertificate"},
                           {"status": "Rejected"})
    with csms.step("7-8. SecurityEventNotificationRequest InvalidChargingStationCertificate"):
        await csms.received(event)


@testcase("TC_A_15_CS", "Update Charging Station Certificate by request of CSMS - SignCertificateRequest Rejected",
          usecases=("A02",), profiles=("AdvSec",), requirements=("A02.FR.05",),
          notes="After a Rejected SignCertificate no CertificateSigned is pending: the station must not repeat the "
                "request on the CertSigningWaitMinimum timer (set to 3 s for the check).")
async def test_TC_A_15_CS(csms: CsmsRole, sut: StationControl) -> None:
    await csms.configure({"SecurityCtrlr.CertSigningWaitMinimum": 3})
    with csms.step("1-4. TriggerMessage SignChargingStationCertificate; SignCertificateRequest; the harness "
                   "responds Rejected"):
        await _sign_request(csms, "Rejected")
    with csms.step("5. No further SignCertificateRequest within CertSigningWaitMinimum"):
        await csms.expect_none("SignCertificate", within=3 + 2 * csms.settings.timing.tolerance,
                               reason="the CSMS rejected the request; there is nothing to wait for")


@testcase("TC_A_23_CS", "Update Charging Station Certificate by request of CSMS - CertificateSignedRequest Timeout",
          usecases=("A02", "F06"), profiles=("AdvSec",), requirements=("A02.FR.17", "A02.FR.18"))
async def test_TC_A_23_CS(csms: CsmsRole, sut: StationControl) -> None:
    wait = 3
    await csms.configure({"SecurityCtrlr.CertSigningWaitMinimum": wait, "SecurityCtrlr.CertSigningRepeatTimes": 2})
    with csms.step("1-4. TriggerMessage SignChargingStationCertificate; SignCertificateRequest; Accepted; the "
                   "harness sends no CertificateSignedRequest"):
        first = await _sign_request(csms)
    with csms.step(f"5-6. After CertSigningWaitMinimum ({wait} s) the station sends SignCertificateRequest again"):
        second = await _sign_request(csms, trigger=False, after=first,
                                     within=wait * 2 + csms.settings.timing.default_timeout)
        csms.transcript.note(check_interval(second.mono - first.mono, expected=wait,
                                            tolerance=csms.settings.timing.tolerance, minimum_only=True,
                                            what="SignCertificate repeated after CertSigningWaitMinimum",
                                            requirements=("A02.FR.17",)))
    with csms.step("7-8. CertificateSignedRequest with the signed chain; Accepted"):
        assert second.frame is not None
        chain = _sign(csms, second.frame.payload["csr"])  # type: ignore[union-attr]
        await csms.call_ok("CertificateSigned", {"certificateChain": chain,
                                                 "certificateType": "ChargingStationCertificate"},
                           {"status": "Accepted"})


# ---- A00 TLS with a valid certificate (security profiles 2 and 3) -------------------------------------------------
async def _tls_boot(csms: CsmsRole, sut: StationControl, *, client_certificate: bool) -> None:
    boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"))
    mark = len(csms.transcript.records)
    with csms.step("Manual Action: power cycle the Charging Station, so it opens a new TLS connection"):
        await sut.power_cycle()
    with csms.step("1. TLS handshake: TLS 1.2 or higher, an A00.FR.318 cipher suite" +
                   (", the station certificate with CN = serial number" if client_certificate else "")):
        handshake = await csms.wait_record(lambda r: r.event == "handshake", after=mark,
                                           what="the station to open a new connection")
        tls = handshake.detail.get("tls") or {}
        problems = [f.one_line() for f in handshake.findings]
        if handshake.detail.get("status") != 101 or not tls:
            problems.append(f"no TLS session (HTTP status {handshake.detail.get('status')})")
        if client_certificate and not tls.get("peer_cn"):
            problems.append("the station presented no certificate")
        if problems:
            raise csms.failure("the station's TLS connection does not meet security profile "
                               f"{csms.settings.station.security.profile}", message="\n".join(problems),
                               actual=str(tls), rules=("SEC-2", "SEC-3") if client_certificate else ("SEC-2",))
    with csms.step("2-3. BootNotificationRequest over the TLS connection; the harness responds Accepted"):
        await csms.received(boot)


@testcase("TC_A_04_CS", "TLS - server-side certificate - Valid certificate", usecases=("A00",),
          requirements=("A00.FR.306", "A00.FR.312", "A00.FR.318"), security=(2,))
async def test_TC_A_04_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _tls_boot(csms, sut, client_certificate=False)


@testcase("TC_A_07_CS", "TLS - Client-side certificate - valid certificate", usecases=("A00",), profiles=("AdvSec",),
          requirements=("A00.FR.402", "A00.FR.405", "A00.FR.318"), security=(3,))
async def test_TC_A_07_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _tls_boot(csms, sut, client_certificate=True)
