"""Block M, certificate management (M03 list, M04 delete, M05 install) with the Charging Station under test: the
harness plays the CSMS. The certificates are real ones of the run's PKI (harness/pki): extra CA certificates the
cases install and delete again, so no connection depends on them. Every case removes what it installed, also
after a failure.
"""

from __future__ import annotations

from harness import (
    CsmsRole,
    NotApplicable,
    PreconditionNotMet,
    StationControl,
    booted,
    certificate_info,
    states,
    testcase,
)

CSMS_ROOT, MANUFACTURER_ROOT, MO_ROOT = "CSMSRootCertificate", "ManufacturerRootCertificate", "MORootCertificate"
SUPPORTS_TLS = "the Charging Station supports security profile 2 or 3"


async def _installed_then_listed(csms: CsmsRole, kinds: dict[str, str], *, step: str) -> None:
    """Memory / reusable state CertificateInstalled for each kind (a new CA certificate of the run's PKI each), then
    GetInstalledCertificates for those kinds (one request naming them all); every installed one is deleted again."""
    installed: dict[str, dict[str, str]] = {}
    try:
        for kind, name in kinds.items():
            pem = (await states.new_csms_root(csms, name)).pem if kind == CSMS_ROOT else csms.pki.ca_certificate(name)
            installed[kind] = await states.certificate_installed(csms, kind, pem)
        if len(installed) == 1:
            [(kind, hash_data)] = installed.items()
            await states.get_installed_certificates(csms, kind, hash_data, step=step)
            return
        with csms.step(f"{step}Reusable state GetInstalledCertificates for {' AND '.join(installed)}: Accepted, "
                       "each installed certificate listed with its type"):
            answer = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": list(installed)})
            problems = [] if answer.get("status") == "Accepted" else [f"status {answer.get('status')}"]
            problems += [f"no entry {kind} with certificateHashData {hash_data}" for kind, hash_data in installed.items()
                         if not states.certificate_listed(answer, hash_data, kind)]
            if problems:
                raise csms.failure("GetInstalledCertificateIds does not report the installed certificates",
                                   message="\n".join(problems), actual=str(answer)[:800], rules=("SEQ",))
    finally:
        for kind, hash_data in installed.items():
            await states.uninstall_certificate(csms, hash_data, kind)


@testcase("TC_M_02_CS", notes="Prerequisite: signed firmware updates (a ManufacturerRootCertificate is what verifies "
                              "them); the certificate is a new CA of the run's PKI, deleted again at the end.")
async def test_TC_M_02_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _installed_then_listed(csms, {MANUFACTURER_ROOT: "m02-mf"}, step="2. ")


@testcase("TC_M_12_CS")
async def test_TC_M_12_CS(csms: CsmsRole, sut: StationControl) -> None:
    csms.require_security_support(2, 3, prerequisite=SUPPORTS_TLS)
    await booted(csms, sut)
    await _installed_then_listed(csms, {CSMS_ROOT: "m12-csms"}, step="1. ")


@testcase("TC_M_13_CS")
async def test_TC_M_13_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _installed_then_listed(csms, {MANUFACTURER_ROOT: "m13-mf"}, step="1. ")


@testcase("TC_M_17_CS")
async def test_TC_M_17_CS(csms: CsmsRole, sut: StationControl) -> None:
    csms.require_security_support(2, 3, prerequisite=SUPPORTS_TLS)
    await booted(csms, sut)
    await _installed_then_listed(csms, {CSMS_ROOT: "m17-csms", MANUFACTURER_ROOT: "m17-mf"}, step="1. ")


@testcase("TC_M_07_CS")
async def test_TC_M_07_CS(csms: CsmsRole, sut: StationControl) -> None:
    csms.require_security_support(2, 3, prerequisite=SUPPORTS_TLS)
    await booted(csms, sut)
    if (await csms.read_variable("SecurityCtrlr.AdditionalRootCertificateCheck")) == "true":
        raise NotApplicable("prerequisite: the station does not have AdditionalRootCertificateCheck implemented "
                            "with value true; it has")
    expired = csms.pki.expired_ca_certificate("m07")
    hash_data = certificate_info(expired).hash_data
    accepted = False
    try:
        with csms.step("1-2. InstallCertificateRequest CSMSRootCertificate with an expired certificate; the station "
                       "responds Rejected"):
            answer = await csms.call_ok("InstallCertificate", {"certificateType": CSMS_ROOT, "certificate": expired})
            accepted = answer.get("status") == "Accepted"
            if answer.get("status") != "Rejected":
                raise csms.failure("the station did not reject an expired CSMSRootCertificate",
                                   expected="InstallCertificateResponse status Rejected",
                                   actual=str(answer)[:400], requirements=("M05.FR.07",), rules=("SEQ",))
        with csms.step("3-4. GetInstalledCertificateIdsRequest CSMSRootCertificate; Accepted, and the expired "
                       "certificate is not listed"):
            answer = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]},
                                        {"status": "Accepted"})
            if states.certificate_listed(answer, hash_data, CSMS_ROOT):
                accepted = True
                raise csms.failure("the station lists the expired CSMSRootCertificate it was asked to install",
                                   expected="no entry with its certificateHashData", actual=str(answer)[:800],
                                   requirements=("M05.FR.07",), rules=("SEQ",))
    finally:
        if accepted:
            await states.uninstall_certificate(csms, hash_data, "expired CSMSRootCertificate")


@testcase("TC_M_19_CS")
async def test_TC_M_19_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    with csms.step("Before: GetInstalledCertificateIdsRequest MORootCertificate; each one listed is deleted"):
        answer = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": [MO_ROOT]})
        chain = answer.get("certificateHashDataChain")
        for entry in chain if isinstance(chain, list) else []:
            if (isinstance(entry, dict) and entry.get("certificateType") == MO_ROOT
                    and isinstance(entry.get("certificateHashData"), dict)):
                await csms.call_ok("DeleteCertificate", {"certificateHashData": entry["certificateHashData"]},
                                   {"status": "Accepted"})
    with csms.step("1-2. GetInstalledCertificateIdsRequest MORootCertificate; status NotFound, "
                   "certificateHashDataChain omitted"):
        answer = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": [MO_ROOT]},
                                    {"status": "NotFound"})
        if "certificateHashDataChain" in answer:
            raise csms.failure("GetInstalledCertificateIdsResponse NotFound carries a certificateHashDataChain",
                               expected="certificateHashDataChain omitted", actual=str(answer)[:400],
                               requirements=("M03.FR.02",), rules=("SEQ",))


@testcase("TC_M_22_CS", notes="The unknown certificate is a CA of the run's PKI that was never installed.")
async def test_TC_M_22_CS(csms: CsmsRole, sut: StationControl) -> None:
    csms.require_security_support(2, 3, prerequisite=SUPPORTS_TLS)
    await booted(csms, sut)
    with csms.step("1. Reusable state GetInstalledCertificates for CSMSRootCertificate: Accepted"):
        await csms.call_ok("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]}, {"status": "Accepted"})
    unknown = certificate_info(csms.pki.ca_certificate("m22-never-installed")).hash_data
    with csms.step("2-3. DeleteCertificateRequest with the certificateHashData of an unknown certificate; the station "
                   "responds NotFound"):
        await csms.call_ok("DeleteCertificate", {"certificateHashData": unknown}, {"status": "NotFound"})


@testcase("TC_M_09_CS",
          notes="<Configured CSMSRootCertificate>: a self-signed CA of the run's PKI, not signed by the station's "
                "CSMS root; <configured old CSMS Root certificate>: the root the station trusts for the harness "
                "(the run's CSMS root).")
async def test_TC_M_09_CS(csms: CsmsRole, sut: StationControl) -> None:
    csms.require_security_support(2, 3, prerequisite=SUPPORTS_TLS)
    await booted(csms, sut)
    if (await csms.read_variable("SecurityCtrlr.AdditionalRootCertificateCheck")) != "true":
        raise NotApplicable("prerequisite: SecurityCtrlr.AdditionalRootCertificateCheck implemented with value true; "
                            "the station does not have it so")
    unrelated = csms.pki.ca_certificate("m09-unrelated")
    hash_data = certificate_info(unrelated).hash_data
    old = certificate_info(csms.pki.csms_roots()[0]).hash_data
    accepted = False
    try:
        with csms.step("1-2. InstallCertificateRequest CSMSRootCertificate with a certificate not signed by the "
                       "installed CSMS root; the station responds Rejected"):
            answer = await csms.call_ok("InstallCertificate", {"certificateType": CSMS_ROOT, "certificate": unrelated})
            accepted = answer.get("status") == "Accepted"
            if answer.get("status") != "Rejected":
                raise csms.failure("the station did not reject a CSMSRootCertificate its installed root did not sign",
                                   message="AdditionalRootCertificateCheck true: a new CSMSRootCertificate must be "
                                           "signed by the one installed",
                                   expected="InstallCertificateResponse status Rejected", actual=str(answer)[:400],
                                   requirements=("M05.FR.11",), rules=("SEQ",))
        with csms.step("3-4. GetInstalledCertificateIdsRequest CSMSRootCertificate; Accepted, with the old CSMS root "
                       "still listed"):
            answer = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]},
                                        {"status": "Accepted"})
            if not states.certificate_listed(answer, old, CSMS_ROOT):
                raise csms.failure("the station no longer lists its old CSMSRootCertificate",
                                   expected=f"an entry CSMSRootCertificate with certificateHashData {old}",
                                   actual=str(answer)[:800], requirements=("M05.FR.10",), rules=("SEQ",))
    finally:
        if accepted:
            await states.uninstall_certificate(csms, hash_data, "unrelated CSMSRootCertificate")


# ---- TC_M_31_CS / TC_M_30_CS: AdditionalRootCertificateCheck, reconnecting with a new CSMS root ------------------
async def _additional_root_check(csms: CsmsRole) -> None:
    """The prerequisites: the check implemented with value true; and the station holds the run's CSMS root (the
    new root the case installs is signed by it, and the old root the case looks for is it)."""
    if (await csms.read_variable("SecurityCtrlr.AdditionalRootCertificateCheck")) != "true":
        raise NotApplicable("prerequisite: SecurityCtrlr.AdditionalRootCertificateCheck implemented with value true; "
                            "the station does not have it so")
    if not await states.holds_run_csms_root(csms):
        raise PreconditionNotMet("the station does not hold the run's CSMS root as CSMSRootCertificate: the new root "
                                 "of this case is signed by it",
                                 fix="install the harness PKI's CSMS root at the station (or run with its PKI)")


async def _reset_and_reconnect(csms: CsmsRole, *, falls_back: bool) -> None:
    """Steps 1-2 ResetRequest OnIdle (Accepted), the TLS handshake(s) with the certificate the harness now presents,
    and the reusable state Booted over the connection that succeeds."""
    mark = csms.mark()
    boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"), after=mark,
                       answer_near_miss=True)
    statuses = csms.expect_connector_status("Available", after=mark)
    with csms.step("1-2. ResetRequest OnIdle; the station responds Accepted"):
        await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Accepted"})
    title = ("3-5. The harness presents a CSMS certificate of the old root: the station's attempt with the new root "
             "fails, it validates again with the old root and connects" if falls_back else
             "3-4. The harness presents a CSMS certificate signed by the new root; the station validates it and "
             "connects")
    with csms.step(title):
        since = mark.seq if mark is not None else 0
        handshake = await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101,
                                           after=since, within=csms.reboot_wait() + csms.reconnect_wait(3),
                                           what="the station to connect again over TLS")
        refused = [r for r in csms.transcript.records if since < r.seq < handshake.seq and r.event == "handshake"]
        csms.transcript.note(f"{len(refused)} handshake(s) failed before the one that succeeded")
    with csms.step(f"{6 if falls_back else 5}. Reusable state Booted: BootNotification Accepted, the connectors"):
        await csms.received(boot, within=csms.reboot_wait())
        for exp in statuses:
            await csms.received(exp)


async def _old_root_listed(csms: CsmsRole, numbers: str, *, listed: bool) -> None:
    old = certificate_info(csms.pki.csms_roots()[0]).hash_data
    with csms.step(f"{numbers}. GetInstalledCertificateIdsRequest CSMSRootCertificate; Accepted, the old CSMS root "
                   + ("still listed" if listed else "no longer listed")):
        answer = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]},
                                    {"status": "Accepted"})
        if states.certificate_listed(answer, old, CSMS_ROOT) != listed:
            raise csms.failure("the station " + ("no longer lists" if listed else "still lists") + " the old "
                               "CSMSRootCertificate", expected=("an" if listed else "no") + " entry CSMSRootCertificate "
                               f"with certificateHashData {old}", actual=str(answer)[:800],
                               requirements=("M05.FR.14",) if listed else ("M05.FR.13",), rules=("SEQ",))


@testcase("TC_M_31_CS", security=(2, 3),
          notes="<Configured (new) CSMS Root certificate 2>: a CA of the run's PKI signed by its CSMS root; the "
                "harness goes on presenting its usual server certificate (of the old root).")
async def test_TC_M_31_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _additional_root_check(csms)
    await states.certificate_installed(csms, CSMS_ROOT, csms.pki.successor_root("m31"))
    await _reset_and_reconnect(csms, falls_back=True)
    await _old_root_listed(csms, "7-8", listed=True)


@testcase("TC_M_30_CS", security=(2, 3),
          notes="<Configured new CSMS Root certificate 2>: a CA of the run's PKI signed by its CSMS root. From the "
                "reset on, the harness presents a server certificate issued by it (chain: leaf, new root) for the "
                "rest of the run: valid for a station trusting either root, so later cases still connect.")
async def test_TC_M_30_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _additional_root_check(csms)
    await states.certificate_installed(csms, CSMS_ROOT, csms.pki.successor_root("m30"))
    if csms.settings.station.security.profile == 3:
        with csms.step("Memory state RenewChargingStationCertificate (security profile 3)"):
            await states.renew_charging_station_certificate(csms)
    csms.endpoint.server.ssl = csms.pki.successor_server_context("m30", csms.settings.station.security.profile)
    await _reset_and_reconnect(csms, falls_back=False)
    await _old_root_listed(csms, "6-7", listed=False)
