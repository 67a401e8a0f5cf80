"""Blocks A (A00 a valid TLS connection, A01 BasicAuthPassword, A02 the station certificate) and M (M03-M05 the
installed certificates) with the Charging Station under test: the harness plays the CSMS.

Each case follows its Part 6 table, errata applied; what a table does not check is marked beyond Part 6. Every
case that changes the station's password or certificates puts them back when it ends, also after a failure.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from harness import (
    ANY,
    CsmsRole,
    OcppFailure,
    OneOf,
    PreconditionNotMet,
    Record,
    StationControl,
    Variant,
    booted,
    certificate_info,
    check_interval,
    split_pem,
    states,
    testcase,
)

PASSWORD = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}
CSMS_ROOT, MANUFACTURER_ROOT = "CSMSRootCertificate", "ManufacturerRootCertificate"
SUPPORTS_TLS = "the Charging Station supports security profile 2 or 3"


def _new_password(length: int = 24) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


# ---- M03-M05 the installed certificates -------------------------------------------------------------------------
@testcase("TC_M_01_CS")
async def test_TC_M_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    csms.require_security_support(2, 3, prerequisite=SUPPORTS_TLS)
    pem = (await states.new_csms_root(csms, "m01")).pem
    installed: dict[str, str] | None = None
    try:
        with csms.step("1. Memory state CertificateInstalled for a new CSMSRootCertificate (Root 2)"):
            installed = await states.certificate_installed(csms, CSMS_ROOT, pem)
        await states.get_installed_certificates(csms, CSMS_ROOT, installed, step="2. ")
    finally:
        if installed is not None:
            await states.uninstall_certificate(csms, installed, "CSMSRootCertificate")


@testcase("TC_M_18_CS",
          notes="Memory state: a new CSMSRootCertificate and a new ManufacturerRootCertificate of the run's PKI, "
                "deleted again at the end.")
async def test_TC_M_18_CS(csms: CsmsRole, sut: StationControl) -> None:
    csms.require_security_support(2, 3, prerequisite=SUPPORTS_TLS)
    wanted = {CSMS_ROOT: (await states.new_csms_root(csms, "m18-csms")).pem, MANUFACTURER_ROOT: csms.pki.ca_certificate("m18-mf")}
    installed: dict[str, dict[str, str]] = {}
    try:
        with csms.step("Memory state CertificateInstalled for CSMSRootCertificate and for ManufacturerRootCertificate"):
            for kind, pem in wanted.items():
                installed[kind] = await states.certificate_installed(csms, kind, pem)
        with csms.step("1-2. GetInstalledCertificateIdsRequest with certificateType omitted; Accepted, with an entry "
                       "for each of the two roots (type and certificateHashData)"):
            answer = await csms.call_ok("GetInstalledCertificateIds", {}, {"status": OneOf("Accepted", "NotFound")})
            problems = [] if answer.get("status") == "Accepted" else [f"status {answer.get('status')}"]
            problems += [f"no entry {kind} with certificateHashData {hash_data}" for kind, hash_data in installed.items()
                         if not states.certificate_listed(answer, hash_data, kind)]
            if problems:
                raise csms.failure("GetInstalledCertificateIds does not report the installed certificates (its "
                                   "certificateHashData and type)", message="\n".join(problems),
                                   actual=str(answer)[:800], rules=("SEQ",))
    finally:
        for kind, hash_data in installed.items():
            await states.uninstall_certificate(csms, hash_data, kind)


@testcase("TC_M_20_CS",
          notes="The certificate deleted is a CSMSRootCertificate the case installs first (no connection depends "
                "on it), where Part 6 may pick any the station lists.")
async def test_TC_M_20_CS(csms: CsmsRole, sut: StationControl) -> None:
    csms.require_security_support(2, 3, prerequisite=SUPPORTS_TLS)
    pem = (await states.new_csms_root(csms, "m20")).pem
    installed: dict[str, str] | None = None
    deleted = False
    try:
        with csms.step("Before: Reusable state CertificateInstalled for a CSMSRootCertificate of the harness"):
            installed = await states.certificate_installed(csms, CSMS_ROOT, pem)
        await states.get_installed_certificates(csms, CSMS_ROOT, installed, step="1. ")
        with csms.step("2-3. DeleteCertificateRequest with the certificateHashData returned at step 1; Accepted"):
            await csms.call_ok("DeleteCertificate", {"certificateHashData": installed}, {"status": "Accepted"})
            deleted = True
        await states.get_installed_certificates(csms, CSMS_ROOT, installed, present=False, step="4. ")
    finally:
        if installed is not None and not deleted:
            await states.uninstall_certificate(csms, installed, "CSMSRootCertificate")


@testcase("TC_M_23_CS",
          notes="Prerequisite: the run's CSMSRootCertificate is installed first where the station does not list it "
                "(and deleted again at the end).")
async def test_TC_M_23_CS(csms: CsmsRole, sut: StationControl) -> None:
    csms.require_security_support(3, prerequisite="the Charging Station supports security profile 3")
    root_pem = csms.pki.csms_root_path.read_text()
    root_hash = certificate_info(root_pem).hash_data
    added: dict[str, str] | None = None
    try:
        with csms.step("Prerequisite: a valid CSMSRootCertificate is installed"):
            listed = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]},
                                        {"status": OneOf("Accepted", "NotFound")})
            if not states.certificate_listed(listed, root_hash):
                added = await states.certificate_installed(csms, CSMS_ROOT, root_pem)
        chain = await states.renew_charging_station_certificate(csms)
        parts = split_pem(chain)  # the leaf, then its issuer (whose key issuerKeyHash is of)
        own = certificate_info(parts[0], parts[1] if len(parts) > 1 else None).hash_data
        with csms.step("1. Reusable state GetInstalledCertificates with certificateType omitted: Accepted"):
            await csms.call_ok("GetInstalledCertificateIds", {}, {"status": "Accepted"})
        with csms.step("2-3. DeleteCertificateRequest with the certificateHashData of the ChargingStationCertificate "
                       "generated before; the station responds NotFound or Failed"):
            answer = await csms.call_ok("DeleteCertificate", {"certificateHashData": own}, {"status": ANY})
            if answer.get("status") not in ("NotFound", "Failed"):
                raise csms.failure("the station let the CSMS delete its own ChargingStationCertificate",
                                   expected="DeleteCertificateResponse NotFound or Failed (M04.FR.06)",
                                   actual=str(answer), requirements=("M04.FR.06",), rules=("SEQ",))
    finally:
        if added is not None:
            await states.uninstall_certificate(csms, added, "CSMSRootCertificate")


# ---- A01 BasicAuthPassword ---------------------------------------------------------------------------------------
async def _set_password(csms: CsmsRole, value: str) -> str:
    """SetVariables SecurityCtrlr.BasicAuthPassword; the attributeStatus."""
    answer = await csms.call_ok("SetVariables", {"setVariableData": [{**PASSWORD, "attributeValue": value}]},
                                {"setVariableResult": [{"attributeStatus": ANY}]})
    return str(answer["setVariableResult"][0]["attributeStatus"])


def _authenticated(csms: CsmsRole, handshake: Record, which: str) -> None:
    if handshake.detail.get("status") != 101 or handshake.detail.get("auth") != "ok":
        raise csms.failure(f"the station did not authenticate with the {which} password",
                           message=f"HTTP Basic Auth {handshake.detail.get('auth')}, HTTP status "
                                   f"{handshake.detail.get('status')}",
                           expected=f"Authorization: Basic <identity>:<{which} BasicAuthPassword>",
                           actual=f"auth {handshake.detail.get('auth')}", rules=("SEC-5",))


async def _password_back(csms: CsmsRole, original: str, suspect: str) -> str | None:
    """Cleanup of a case that gave the station `suspect`: let it in with either password, set `original` again and
    see it reconnect with it. None when done; else what went wrong (the password is then left in a private file)."""
    endpoint = csms.endpoint
    endpoint.use_password(original)
    endpoint.tolerate_passwords(suspect)
    try:
        for attempt in range(3):  # a station reconnecting after the change may drop the connection meanwhile
            if not csms.is_booted():
                await csms.await_reconnect()
            mark = csms.mark()
            try:
                status = await _set_password(csms, original)
                break
            except OcppFailure:
                if attempt == 2:
                    raise
        endpoint.tolerate_passwords()
        if status not in ("Accepted", "RebootRequired"):
            raise csms.failure(f"the station answered {status} to its original password")

        async def reset() -> None:
            await csms.call("Reset", {"type": "OnIdle"})

        handshake = await states.reconnected(csms, mark, "the station to connect again with its original password",
                                      force=reset if status == "RebootRequired" else None, refused_too=True)
        _authenticated(csms, handshake, "original")
        if not csms.is_booted():
            await csms.wait_booted_again()
        return None
    except Exception as exc:  # reported and kept in a private file; the case's own verdict stands
        endpoint.tolerate_passwords(suspect)  # so the station is not locked out for the rest of the run
        path = csms.leave_secret("BasicAuthPassword", suspect)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return (f"could not put the original BasicAuthPassword back ({first}); the station may still hold the "
                f"password the harness set, written to {path} (mode 0600); set it back by hand")


async def _password_cleanup(csms: CsmsRole, original: str, suspect: str | None, passed: bool) -> None:
    if suspect is None:
        return
    with csms.step("Cleanup: the station's original BasicAuthPassword again"):
        problem = await _password_back(csms, original, suspect)
    if problem is not None:
        csms.transcript.note(f"cleanup: {problem}")
        if passed:
            raise PreconditionNotMet(problem, fix="set SecurityCtrlr.BasicAuthPassword back by hand")


@testcase("TC_A_09_CS", security=(1, 2))
async def test_TC_A_09_CS(csms: CsmsRole, sut: StationControl, station_password: str) -> None:
    new = _new_password()
    csms.transcript.redact(new)
    suspect: str | None = None
    passed = False
    try:
        mark = csms.mark()
        with csms.step("1-2. SetVariablesRequest SecurityCtrlr.BasicAuthPassword = <NewPassword>; Accepted or "
                       "RebootRequired"):
            suspect = new  # from here on the station may hold it
            status = await _set_password(csms, new)
            if status not in ("Accepted", "RebootRequired"):
                suspect = None
                raise csms.failure("the station did not take the new BasicAuthPassword",
                                   expected="attributeStatus Accepted or RebootRequired", actual=status,
                                   rules=("SEC-5",))
            csms.endpoint.use_password(new)
        boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"), after=mark,
                           answer_near_miss=True)
        statuses = csms.expect_connector_status("Available", after=mark)

        async def reset() -> None:  # RebootRequired: the new password counts from the next reboot
            await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Accepted"})

        with csms.step("3-4. The station sends its HTTP upgrade request with the new password; the harness "
                       "validates it and upgrades the connection"):
            handshake = await states.reconnected(csms, mark, "the station to connect again with the new password",
                                          force=reset if status == "RebootRequired" else None, refused_too=True)
            _authenticated(csms, handshake, "new")
        if status == "RebootRequired":
            with csms.step("5-8. BootNotificationRequest (Accepted) and the state of every connector"):
                await csms.received(boot, within=csms.reboot_wait())
                for exp in statuses:
                    await csms.received(exp)
        passed = True
    finally:
        await _password_cleanup(csms, station_password, suspect, passed)


@testcase("TC_A_10_CS", security=(1, 2))
async def test_TC_A_10_CS(csms: CsmsRole, sut: StationControl, station_password: str) -> None:
    short = _new_password(8)
    csms.transcript.redact(short)
    suspect: str | None = None
    passed = False
    try:
        with csms.step("1-2. SetVariablesRequest BasicAuthPassword = a password of 8 characters (under 16); the "
                       "station responds Rejected"):
            status = await _set_password(csms, short)
            if status != "Rejected":
                suspect = short if status in ("Accepted", "RebootRequired") else None
                raise csms.failure("the station did not reject a BasicAuthPassword of 8 characters",
                                   expected="attributeStatus Rejected (16 characters at least)", actual=status,
                                   rules=("SEC-5",))
        mark = csms.mark()
        with csms.step("3-5. The station connects again with its old password; Reusable state Booted (ResetRequest "
                       "OnIdle)"):
            try:
                await booted(csms, sut, reset="OnIdle")
            except OcppFailure:
                since = mark.seq if mark is not None else 0
                refused = [r for r in csms.transcript.records if r.seq > since and r.event == "handshake"
                           and r.detail.get("auth") not in ("ok", "none")]
                if refused:
                    _authenticated(csms, refused[0], "old")
                raise
        passed = True
    finally:
        await _password_cleanup(csms, station_password, suspect, passed)


# ---- A02 SignCertificate / CertificateSigned (security profile 3) ------------------------------------------------
async def _sign_request(csms: CsmsRole, status: str = "Accepted", *, trigger: bool = True,
                        after: Record | None = None, within: float | None = None) -> Record:
    """The station's SignCertificateRequest, answered with `status`; with `trigger`, asked for by TriggerMessage
    SignChargingStationCertificate first (which the station must answer Accepted)."""
    request = csms.expect("SignCertificate", {"csr": ANY}, respond={"status": status}, after=after)
    if trigger:
        await csms.call_ok("TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"},
                           {"status": "Accepted"})
    return await csms.received(request, within)


@testcase("TC_A_11_CS", security=(3,))
async def test_TC_A_11_CS(csms: CsmsRole, sut: StationControl) -> None:
    with csms.step("1. Memory state RenewChargingStationCertificate for certificateType ChargingStationCertificate"):
        await states.renew_charging_station_certificate(csms)


@testcase("TC_A_14_CS", security=(3,))
async def test_TC_A_14_CS(csms: CsmsRole, sut: StationControl) -> None:
    with csms.step("1-4. TriggerMessageRequest SignChargingStationCertificate (Accepted); SignCertificateRequest "
                   "with a CSR (RFC 2986 PEM; RSA/DSA >= 2048 bits, EC >= 224); the harness responds Accepted"):
        states.sign_station_csr(csms, await _sign_request(csms))
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


@testcase("TC_A_15_CS", security=(3,))
async def test_TC_A_15_CS(csms: CsmsRole, sut: StationControl) -> None:
    with csms.step("1-4. TriggerMessageRequest SignChargingStationCertificate (Accepted); SignCertificateRequest; "
                   "the harness responds Rejected"):
        first = await _sign_request(csms, "Rejected")
    wait = await csms.read_variable("SecurityCtrlr.CertSigningWaitMinimum")
    seconds = int(wait) if wait and wait.isdigit() else csms.settings.timing.default_timeout
    watch = min(float(seconds), csms.settings.timing.default_timeout) + csms.settings.timing.tolerance
    reason = "the CSMS rejected the request; there is nothing to wait for"
    with csms.beyond_part6("A02.FR.17", f"no SignCertificateRequest again within {watch:g} s: after a Rejected one "
                                        "there is no CertificateSigned to wait for"):
        again = [r for r in csms.transcript.records if r.seq > first.seq and r.direction == "rx"
                 and r.message_type == 2 and r.action == "SignCertificate"]
        if again:  # already there while the harness was still answering the first one
            raise csms.failure(f"forbidden message: SignCertificate: {reason}", actual=again[0].raw[:400],
                               rules=("SEQ",))
        await csms.expect_none("SignCertificate", within=watch, reason=reason)


def _signed_after(csms: CsmsRole, later: Record, earlier: Record, wait: float, what: str,
                  requirement: str) -> None:
    csms.transcript.note(check_interval(later.mono - earlier.mono, expected=wait,
                                        tolerance=csms.settings.timing.tolerance, minimum_only=True, what=what,
                                        requirements=(requirement,)))


@testcase("TC_A_23_CS", security=(3,),
          notes="Errata 2025-02: a CertificateSignedRequest for each of the three CSRs; each may be Accepted or "
                "Rejected, at least one Accepted.")
async def test_TC_A_23_CS(csms: CsmsRole, sut: StationControl) -> None:
    wait = csms.configured.cert_signing_wait_minimum
    await csms.configure({"SecurityCtrlr.CertSigningWaitMinimum": wait, "SecurityCtrlr.CertSigningRepeatTimes": 1})
    margin = csms.settings.timing.tolerance + csms.settings.timing.default_timeout
    with csms.step("1-4. TriggerMessageRequest SignChargingStationCertificate (Accepted); SignCertificateRequest "
                   "with a CSR meeting the rules; the harness responds Accepted and sends no CertificateSigned"):
        first = await _sign_request(csms)
        chains = [states.sign_station_csr(csms, first)]
    with csms.step(f"5-7. The station sends SignCertificateRequest again, not before CertSigningWaitMinimum "
                   f"({wait} s); Accepted"):
        csms.sut_timer(wait, "the station's resend after CertSigningWaitMinimum", since=first.mono)
        second = await _sign_request(csms, trigger=False, after=first, within=wait + margin)
        _signed_after(csms, second, first, wait, "the first SignCertificate resent after CertSigningWaitMinimum",
                      "A02.FR.17")
        chains.append(states.sign_station_csr(csms, second))
    with csms.step(f"8-10. The station sends SignCertificateRequest a third time, not before twice "
                   f"CertSigningWaitMinimum ({2 * wait} s); Accepted"):
        csms.sut_timer(2 * wait, "the station's resend after twice CertSigningWaitMinimum", since=second.mono)
        third = await _sign_request(csms, trigger=False, after=second, within=2 * wait + margin)
        _signed_after(csms, third, second, 2 * wait, "the second resend after twice CertSigningWaitMinimum",
                      "A02.FR.18")
        chains.append(states.sign_station_csr(csms, third))
    with csms.step("11-16. CertificateSignedRequest with the certificate for the CSR of step 3, then 6, then 9; "
                   "each Accepted or Rejected, at least one Accepted"):
        answers: list[dict[str, Any]] = []
        for chain in chains:
            answers.append(await csms.call_ok("CertificateSigned", {
                "certificateChain": chain, "certificateType": "ChargingStationCertificate"},
                {"status": OneOf("Accepted", "Rejected")}))
        if not any(a.get("status") == "Accepted" for a in answers):
            raise csms.failure("the station accepted none of the three certificates issued for its CSRs",
                               expected="at least one CertificateSignedResponse Accepted",
                               actual=", ".join(str(a.get("status")) for a in answers), rules=("SEQ",))


# ---- A00 TLS with a valid certificate (security profiles 2 and 3) -------------------------------------------------
async def _tls_boot(csms: CsmsRole, sut: StationControl, *, client_certificate: bool) -> None:
    """State Booting: the station opens a new TLS connection (the harness power cycles it), boots Accepted and
    reports its connectors."""
    mark = csms.mark()
    boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"), after=mark,
                       answer_near_miss=True)
    statuses = csms.expect_connector_status("Available", after=mark)
    with csms.step("State Booting: Manual Action: power cycle the Charging Station, so it opens a new TLS connection"):
        await sut.power_cycle()
    with csms.step("1-6. TLS handshake: TLS 1.2 or higher, the cipher suites of A00.FR.318" +
                   (", the station certificate (key size, PEM, serial number, CN = serial number)"
                    if client_certificate else "") + "; the WebSocket upgrade"):
        handshake = await csms.wait_record(lambda r: r.event == "handshake", after=mark.seq if mark else 0,
                                           within=csms.reboot_wait(), what="the station to open a new connection")
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
    with csms.step("7-8. BootNotificationRequest over the TLS connection; the harness responds Accepted"):
        await csms.received(boot, within=csms.reboot_wait())
    with csms.step("9-10. The station reports the state of every connector (Available)"):
        for exp in statuses:
            await csms.received(exp)


@testcase("TC_A_04_CS", security=(2, 3))
async def test_TC_A_04_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _tls_boot(csms, sut, client_certificate=False)


@testcase("TC_A_07_CS", security=(3,))
async def test_TC_A_07_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _tls_boot(csms, sut, client_certificate=True)
