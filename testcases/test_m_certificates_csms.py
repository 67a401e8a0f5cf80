"""Block M, certificate management (M03 list, M04 delete, M05 install) with the CSMS under test: the harness plays
the Charging Station. The CSMS is made to send its requests through the control adapter ("Manual Action: trigger
the CSMS to ..."); the harness answers as each table says.
"""

from __future__ import annotations

from typing import Any

from harness import (
    ANY,
    BadCertificate,
    CsmsControl,
    StationRole,
    certificate_hash,
    certificate_info,
    same_hash,
    station_booted,
    testcase,
)

CSMS_ROOT, MANUFACTURER_ROOT = "CSMSRootCertificate", "ManufacturerRootCertificate"


async def _install(station: StationRole, sut: CsmsControl, kind: str, status: str = "Accepted",
                   step: str = "1-2") -> str:
    """Reusable state CertificateInstalled (Table 709) for `kind`, answered `status`: the CSMS is made to send
    InstallCertificateRequest; it must be of that type and carry a certificate (PEM X.509: what the harness can tell
    of "the configured certificate"). Returns the PEM."""
    install = station.expect("InstallCertificate", {"certificate": ANY}, respond={"status": status})
    with station.step(f"Manual Action: trigger the CSMS to send InstallCertificateRequest with certificateType {kind}"):
        await sut.trigger(station.identity, "InstallCertificate", {"certificateType": kind})
    with station.step(f"{step}. InstallCertificateRequest certificateType {kind} with a PEM X.509 certificate; the "
                      f"harness responds {status}"):
        record = await station.received(install)
        payload: dict[str, Any] = dict(record.frame.payload)  # type: ignore[union-attr]
        if payload.get("certificateType") != kind:
            raise station.failure(f"the CSMS's InstallCertificateRequest is not for a {kind}",
                                  expected=f"certificateType {kind}", actual=record.raw[:400], rules=("SEQ",))
        pem = str(payload["certificate"])
        try:
            certificate_info(pem)
        except BadCertificate as exc:
            raise station.failure("the CSMS sent no usable certificate", message=str(exc), actual=pem[:300],
                                  rules=("SEC-4",)) from None
    return pem


async def _listing(station: StationRole, sut: CsmsControl, kind: str, answer: dict[str, Any]) -> None:
    """Reusable state GetInstalledCertificates (Table 708) / TC_M_19_CSMS: the CSMS is made to ask for `kind`; its
    request must name exactly that type; the harness answers `answer`."""
    listing = station.expect("GetInstalledCertificateIds", respond=answer)
    with station.step(f"Manual Action: trigger the CSMS to send GetInstalledCertificateIdsRequest with certificateType "
                      f"{kind}"):
        await sut.trigger(station.identity, "GetInstalledCertificateIds", {"certificateType": [kind]})
    listed = ", certificateHashDataChain " + ("omitted" if "certificateHashDataChain" not in answer else
                                              f"with the {kind} it holds")
    with station.step(f"1-2. GetInstalledCertificateIdsRequest certificateType {kind}; the harness responds "
                      f"{answer['status']}{listed}"):
        record = await station.received(listing)
        kinds = record.frame.payload.get("certificateType")  # type: ignore[union-attr]
        if kinds != [kind]:
            raise station.failure(f"the CSMS's GetInstalledCertificateIdsRequest does not ask for {kind}",
                                  expected=f"certificateType [{kind!r}]", actual=record.raw[:400], rules=("SEQ",))


@testcase("TC_M_02_CSMS")
async def test_TC_M_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _install(station, sut, MANUFACTURER_ROOT)


@testcase("TC_M_05_CSMS")
async def test_TC_M_05_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _install(station, sut, CSMS_ROOT, status="Failed")


@testcase("TC_M_13_CSMS", notes="The ManufacturerRootCertificate the harness reports is a CA of the run's PKI.")
async def test_TC_M_13_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    assert station.pki is not None
    held = certificate_info(station.pki.ca_certificate("harness-manufacturer")).hash_data
    await _listing(station, sut, MANUFACTURER_ROOT, {"status": "Accepted", "certificateHashDataChain": [
        {"certificateType": MANUFACTURER_ROOT, "certificateHashData": held}]})


@testcase("TC_M_19_CSMS")
async def test_TC_M_19_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _listing(station, sut, MANUFACTURER_ROOT, {"status": "NotFound"})


@testcase("TC_M_21_CSMS")
async def test_TC_M_21_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    pem = await _install(station, sut, CSMS_ROOT, step="Reusable state CertificateInstalled: 1-2")
    entry = {"certificateType": CSMS_ROOT, "certificateHashData": certificate_hash(pem, "SHA256")}
    listing = station.expect("GetInstalledCertificateIds", respond={"status": "Accepted",
                                                                    "certificateHashDataChain": [entry]})
    delete = station.expect("DeleteCertificate", {"certificateHashData": ANY}, respond={"status": "Failed"})
    with station.step("Manual Action: request the CSMS to send a DeleteCertificateRequest"):
        await sut.trigger(station.identity, "DeleteCertificate", {})
    with station.step("1-2. GetInstalledCertificateIdsRequest, certificateType containing CSMSRootCertificate or "
                      "omitted; the harness responds Accepted with the certificate (SHA256)"):
        record = await station.received(listing)
        kinds = record.frame.payload.get("certificateType")  # type: ignore[union-attr]
        if kinds is not None and CSMS_ROOT not in kinds:
            raise station.failure("the CSMS asked for other certificate types than CSMSRootCertificate",
                                  expected="certificateType containing CSMSRootCertificate, or omitted",
                                  actual=record.raw[:400], rules=("SEQ",))
    with station.step("3-4. DeleteCertificateRequest with the certificateHashData returned at step 2; the harness "
                      "responds Failed"):
        record = await station.received(delete)
        hash_data = record.frame.payload["certificateHashData"]  # type: ignore[union-attr]
        if not isinstance(hash_data, dict) or not same_hash(hash_data, entry["certificateHashData"]):
            raise station.failure("DeleteCertificateRequest is not for the certificateHashData the station returned",
                                  expected=str(entry["certificateHashData"]), actual=str(hash_data),
                                  requirements=("M04.FR.07",), rules=("SEQ",))
