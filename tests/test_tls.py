"""Security profiles 2 and 3 over real TLS on 127.0.0.1: the harness's contexts in both roles, every bad certificate
refused by the peer next to the good one that passes, and the findings SEC-2/SEC-3/SEC-4 both ends record.
Every server is stopped at test end; every wait has a deadline."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from harness.config import Settings
from harness.failures import OcppFailure
from harness.ocppj import RpcSession, default_store
from harness.ocppj.monitor import handshake_findings
from harness.pki import KeyKind, PkiFactory, Variant
from harness.roles.station import StationRole
from harness.transcript import Transcript
from harness.transport import ClientOptions, Handshake, HandshakeRefused, OcppConnection, OcppServer, TlsRefused, connect, tls

PASSWORD = "Abcdefghij0123456789"
SERIAL = "SN-0001"
DEADLINE = 5.0


class Csms:
    """The harness's CSMS side: records every handshake, answers Heartbeat."""

    def __init__(self, context: ssl.SSLContext, *, profile: int, **options: Any) -> None:
        self.handshakes: list[Handshake] = []
        self.changed = asyncio.Event()
        self.server = OcppServer(self.on_connect, ssl=context, on_handshake=self.record,
                                 authenticate=(lambda i, p: p == PASSWORD) if profile == 2 else None, **options)

    def record(self, hs: Handshake) -> None:
        # the monitor judges the recorded facts (what `ocpp-harness validate` reads) as it judged the live handshake
        assert sorted(map(str, handshake_findings(json.loads(json.dumps(hs.to_json()))))) == sorted(map(str, hs.findings))
        self.handshakes.append(hs)
        self.changed.set()

    async def on_connect(self, ws: Any, hs: Handshake) -> None:
        async def answer(call: Any, record: Any) -> dict[str, Any]:
            return {"currentTime": "2026-01-01T00:00:00Z"}

        await OcppConnection(ws, RpcSession(default_store()), Transcript(), answer).run()

    async def handshake(self, matches: Callable[[Handshake], bool]) -> Handshake:
        """The first recorded handshake that `matches`, waiting for it until the deadline."""
        async with asyncio.timeout(DEADLINE):
            while True:
                for hs in self.handshakes:
                    if matches(hs):
                        return hs
                self.changed.clear()
                await self.changed.wait()


Start = Callable[..., Awaitable[Csms]]


@pytest.fixture
async def start_csms() -> AsyncIterator[Start]:
    """Start a CSMS side on 127.0.0.1; every one started is stopped when the test ends."""
    started: list[Csms] = []

    async def start(context: ssl.SSLContext, *, profile: int, **options: Any) -> Csms:
        csms = Csms(context, profile=profile, **options)
        await csms.server.start()
        started.append(csms)
        assert csms.server.url.startswith("wss://127.0.0.1:")
        return csms

    yield start
    for csms in started:
        await csms.server.stop()


async def heartbeat(ws: Any) -> None:
    """One CALL and its CALLRESULT over the connection, then a clean close."""
    async def no_calls(call: Any, record: Any) -> None:
        return None

    client = OcppConnection(ws, RpcSession(default_store()), Transcript(), no_calls)
    reader = asyncio.create_task(client.run())
    answer = await client.call("Heartbeat", {})
    assert answer.kind == "CALLRESULT"
    await client.close()
    await asyncio.wait_for(reader, DEADLINE)


def is_tls_failure(hs: Handshake) -> bool:
    return hs.tls_failure is not None


# ---- the working profiles --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["rsa", "ec"])
async def test_profile2_is_basic_auth_over_tls_with_a_good_server_certificate(tmp_path: Any, start_csms: Start,
                                                                             kind: KeyKind) -> None:
    pki = PkiFactory(tmp_path, key_kind=kind)
    csms = await start_csms(pki.server_context(2), profile=2)
    sessions: list[tls.TlsSession] = []
    ws = await connect(csms.server.url, "CS1", ClientOptions(ssl=pki.client_context(2), password=PASSWORD,
                                                             on_tls=sessions.append))
    await heartbeat(ws)
    hs = await csms.handshake(lambda h: h.identity == "CS1")
    assert hs.status == 101 and hs.auth_verdict == "ok" and hs.findings == []
    assert hs.tls is not None and hs.tls.version == "TLSv1.3" and hs.client_cn is None  # no client certificate
    assert hs.to_json()["tls"]["version"] == "TLSv1.3"
    [session] = sessions
    assert session.findings == () and session.peer_cn == "127.0.0.1" and session.peer_organization


async def test_profile2_still_refuses_a_wrong_password_over_tls(pki: PkiFactory, start_csms: Start) -> None:
    csms = await start_csms(pki.server_context(2), profile=2)
    with pytest.raises(HandshakeRefused) as refused:
        await connect(csms.server.url, "CS1", ClientOptions(ssl=pki.client_context(2), password="x" * 20))
    assert refused.value.status == 401
    hs = await csms.handshake(lambda h: h.identity == "CS1")
    assert hs.auth_verdict == "bad-password" and hs.tls is not None


@pytest.mark.parametrize("kind", ["rsa", "ec"])
async def test_profile3_is_mutual_tls_without_basic_auth_and_records_the_station_cn(tmp_path: Any, start_csms: Start,
                                                                                   kind: KeyKind) -> None:
    pki = PkiFactory(tmp_path, key_kind=kind)
    csms = await start_csms(pki.server_context(3), profile=3)
    ws = await connect(csms.server.url, SERIAL, ClientOptions(ssl=pki.client_context(3, SERIAL)))
    await heartbeat(ws)
    hs = await csms.handshake(lambda h: h.identity == SERIAL)
    assert hs.status == 101 and hs.client_cn == SERIAL and hs.auth_verdict == "none" and hs.findings == []


async def test_profile3_checks_the_cn_against_the_serial_number_not_the_identity(pki: PkiFactory,
                                                                                 start_csms: Start) -> None:
    csms = await start_csms(pki.server_context(3), profile=3, serial_number={"CS-7": "SN-7"}.get)
    ws = await connect(csms.server.url, "CS-7", ClientOptions(ssl=pki.client_context(3, "SN-7")))
    await ws.close()
    hs = await csms.handshake(lambda h: h.identity == "CS-7")
    assert hs.status == 101 and hs.client_cn == "SN-7" and hs.findings == []


@pytest.mark.parametrize("suite", tls.OCPP_TLS12_SUITES)
async def test_the_csms_side_agrees_each_allowed_suite_over_tls12(pki: PkiFactory, start_csms: Start,
                                                                 suite: str) -> None:
    csms = await start_csms(pki.server_context(2), profile=2)
    only = tls.client_context(pki.csms_root_path, suites=[suite], maximum=ssl.TLSVersion.TLSv1_2)
    sessions: list[tls.TlsSession] = []
    ws = await connect(csms.server.url, "CS1", ClientOptions(ssl=only, password=PASSWORD, on_tls=sessions.append))
    await ws.close()
    assert sessions[0].version == "TLSv1.2" and sessions[0].cipher == suite and sessions[0].findings == ()


def test_contexts_are_tls12_minimum_offer_only_the_allowed_tls12_suites_and_no_compression(pki: PkiFactory) -> None:
    expected = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
                "ECDHE-RSA-AES256-GCM-SHA384", "AES128-GCM-SHA256", "AES256-GCM-SHA384"}
    for context in (pki.server_context(2), pki.server_context(3), pki.client_context(2), pki.client_context(3, SERIAL)):
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
        assert {c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"} == expected
        assert context.options & ssl.OP_NO_COMPRESSION
    assert pki.server_context(3).verify_mode == ssl.CERT_REQUIRED
    assert pki.server_context(2).verify_mode == ssl.CERT_NONE
    assert pki.client_context(2).verify_mode == ssl.CERT_REQUIRED and pki.client_context(2).check_hostname


# ---- the harness as a station: every bad CSMS certificate refused (the good one passes, above) ------------------
@pytest.mark.parametrize(("variant", "rule", "because"), [
    (Variant.EXPIRED, "SEC-2", "certificate has expired"),
    (Variant.NOT_YET_VALID, "SEC-2", "certificate is not yet valid"),
    (Variant.UNKNOWN_CA, "SEC-2", "self-signed certificate in certificate chain"),
    (Variant.WRONG_CN, "SEC-2", "IP address mismatch"),
    (Variant.WEAK_KEY, "SEC-4", "key too weak"),
    (Variant.SHA1, "SEC-4", "digest algorithm too weak"),
])
async def test_the_station_side_refuses_each_bad_csms_certificate(pki: PkiFactory, start_csms: Start,
                                                                  variant: Variant, rule: str, because: str) -> None:
    csms = await start_csms(pki.server_context(2, variant), profile=2)
    with pytest.raises(TlsRefused) as refused:
        await connect(csms.server.url, "CS1", ClientOptions(ssl=pki.client_context(2), password=PASSWORD))
    failure = refused.value.failure
    assert failure.refused_by == "harness" and because in failure.reason
    assert [f.rule for f in refused.value.findings] == [rule]
    # The CSMS side sees the station hang up inside the TLS handshake: recorded, and no finding against the station.
    hs = await csms.handshake(is_tls_failure)
    assert hs.status == 0 and hs.identity == "" and hs.findings == []
    assert hs.tls_failure is not None and hs.tls_failure.refused_by == "peer"
    assert "closed the connection during the TLS handshake" in hs.tls_failure.reason


async def test_a_csms_named_by_its_san_dns_name_passes_whatever_its_cn(pki: PkiFactory, start_csms: Start) -> None:
    csms = await start_csms(pki.server_context(2), profile=2)
    sessions: list[tls.TlsSession] = []
    by_name = csms.server.url.replace("127.0.0.1", "localhost")  # SAN localhost matches; the CN is 127.0.0.1
    ws = await connect(by_name, "CS1", ClientOptions(ssl=pki.client_context(2), password=PASSWORD,
                                                     on_tls=sessions.append))
    await ws.close()
    assert sessions[0].findings == () and "DNS:localhost" in sessions[0].peer_san


async def test_an_ip_literal_endpoint_is_judged_by_the_san_ip_not_the_cn(tmp_path: Path, start_csms: Start) -> None:
    """A CSMS certificate for a DNS name (CN csms.example) that also lists 127.0.0.1 as a SAN IP: TLS verifies the
    IP literal by the SAN, and so does the judgement (the CN used to be compared with '127.0.0.1': SEC-4)."""
    named = PkiFactory(tmp_path / "pki", host="csms.example")
    csms = await start_csms(named.server_context(2), profile=2)
    sessions: list[tls.TlsSession] = []
    ws = await connect(csms.server.url, "CS1", ClientOptions(ssl=named.client_context(2), password=PASSWORD,
                                                             on_tls=sessions.append))
    await ws.close()
    assert sessions[0].peer_cn == "csms.example" and "IP:127.0.0.1" in sessions[0].peer_san
    assert sessions[0].findings == ()


async def test_a_csms_certificate_that_does_not_name_the_expected_host_is_sec4(pki: PkiFactory,
                                                                               start_csms: Start) -> None:
    csms = await start_csms(pki.server_context(2), profile=2)
    sessions: list[tls.TlsSession] = []
    ws = await connect(csms.server.url, "CS1", ClientOptions(ssl=pki.client_context(2), password=PASSWORD,
                                                             on_tls=sessions.append, expected_cn="csms.example"))
    await ws.close()
    [found] = sessions[0].findings
    assert found.rule == "SEC-4" and "A00.FR.510" in found.ref and "'csms.example'" in found.text
    assert "IP:127.0.0.1" in found.text


@pytest.mark.parametrize("expected", [None, "csms.example"])
async def test_tls_findings_at_the_end_of_a_case_are_headlined_as_tls(pki: PkiFactory, start_csms: Start,
                                                                      expected: str | None) -> None:
    """The monitor's end-of-case failure names a certificate finding as one (it read "frames that break OCPP-J
    rules"); a certificate that names the host leaves nothing to report."""
    csms = await start_csms(pki.server_context(2), profile=2)
    role = StationRole(Settings(), default_store(), Transcript(), csms_url=csms.server.url, password=PASSWORD)
    try:
        await role.connect(role.options(ssl=pki.client_context(2), on_tls=role._record_tls, expected_cn=expected))
        if expected is None:
            role.check_findings()
            return
        with pytest.raises(OcppFailure) as failed:
            role.check_findings()
        assert failed.value.title.startswith("the CSMS has TLS / certificate findings (SEC-4): CSMS certificate "
                                             "does not name the host 'csms.example'"), failed.value.title
        assert "frame" not in failed.value.title and failed.value.rules == ("SEC-4",)
    finally:
        await role.close()


@pytest.mark.parametrize(("host", "cn", "sans", "named"), [
    ("127.0.0.1", "csms.example", [("IP Address", "127.0.0.1")], True),
    ("127.0.0.1", "127.0.0.1", [("DNS", "csms.example")], False),  # an IP literal: never by the CN
    ("127.0.0.1", "127.0.0.1", [], False),
    ("::1", None, [("IP Address", "0:0:0:0:0:0:0:1")], True),
    ("csms.example", "other.example", [("DNS", "CSMS.example")], True),
    ("csms.example", "csms.example", [("DNS", "other.example")], False),  # a SAN DNS name: the CN is not looked at
    ("csms.example", "csms.example", [("IP Address", "127.0.0.1")], True),  # no SAN DNS name: the CN counts
    ("a.csms.example", None, [("DNS", "*.csms.example")], True),
    ("a.b.csms.example", None, [("DNS", "*.csms.example")], False),  # '*' is one label
    ("csms.example", None, [("DNS", "*.csms.example")], False),
])
def test_names_host_judges_as_tls_does(host: str, cn: str | None, sans: list[tuple[str, str]], named: bool) -> None:
    assert tls.names_host(host, cn, sans) is named


# ---- the harness as a CSMS: every bad station certificate refused (the good one passes, above) ------------------
@pytest.mark.parametrize(("variant", "rule", "because"), [
    (Variant.EXPIRED, "SEC-3", "certificate has expired"),
    (Variant.NOT_YET_VALID, "SEC-3", "certificate is not yet valid"),
    (Variant.UNKNOWN_CA, "SEC-3", "self-signed certificate in certificate chain"),
    (Variant.WEAK_KEY, "SEC-4", "key too weak"),
    (Variant.SHA1, "SEC-4", "digest algorithm too weak"),
])
async def test_the_csms_side_refuses_each_bad_station_certificate_in_the_tls_handshake(
        pki: PkiFactory, start_csms: Start, variant: Variant, rule: str, because: str) -> None:
    csms = await start_csms(pki.server_context(3), profile=3)
    # TLS 1.3: the station finishes first; the CSMS's refusal shows to it as a close without an HTTP answer.
    with pytest.raises(HandshakeRefused):
        await connect(csms.server.url, SERIAL, ClientOptions(ssl=pki.client_context(3, SERIAL, variant)))
    hs = await csms.handshake(is_tls_failure)
    assert hs.status == 0 and hs.tls_failure is not None and hs.tls_failure.refused_by == "harness"
    assert because in hs.tls_failure.reason
    [found] = hs.findings
    assert found.rule == rule and because in found.text
    assert not any(h.identity == SERIAL for h in csms.handshakes)  # no HTTP request ever reached the server


async def test_a_station_whose_cn_is_not_its_serial_number_is_refused_with_sec3(pki: PkiFactory,
                                                                               start_csms: Start) -> None:
    csms = await start_csms(pki.server_context(3), profile=3)
    with pytest.raises(HandshakeRefused) as refused:
        await connect(csms.server.url, SERIAL, ClientOptions(ssl=pki.client_context(3, SERIAL, Variant.WRONG_CN)))
    assert refused.value.status == 403
    hs = await csms.handshake(lambda h: h.identity == SERIAL)
    assert hs.status == 403 and hs.client_cn == f"NOT-{SERIAL}"
    [found] = hs.findings
    assert found.rule == "SEC-3" and f"CN 'NOT-{SERIAL}' is not the station serial number '{SERIAL}'" in found.text
    assert "A00.FR.405" in found.ref


async def test_profile3_without_a_client_certificate_is_refused_with_sec3(pki: PkiFactory, start_csms: Start) -> None:
    csms = await start_csms(pki.server_context(3), profile=3)
    with pytest.raises(HandshakeRefused):
        await connect(csms.server.url, SERIAL, ClientOptions(ssl=pki.client_context(2)))
    hs = await csms.handshake(is_tls_failure)
    [found] = hs.findings
    assert found.rule == "SEC-3" and "no client certificate" in found.text


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
async def test_a_tls11_station_is_refused_with_sec2(pki: PkiFactory, start_csms: Start) -> None:
    try:  # TLS 1.1 needs SHA-1 handshake signatures: only OpenSSL's security level 0 allows them
        old = tls.client_context(pki.csms_root_path, suites=["AES128-SHA"], minimum=ssl.TLSVersion.TLSv1_1,
                                 maximum=ssl.TLSVersion.TLSv1_1, security_level=0)
    except (ValueError, ssl.SSLError) as exc:
        pytest.skip(f"this OpenSSL cannot make a TLS 1.1 client: {exc}")
    csms = await start_csms(pki.server_context(2), profile=2)
    with pytest.raises(TlsRefused) as refused:
        await connect(csms.server.url, "CS1", ClientOptions(ssl=old, password=PASSWORD))
    assert refused.value.failure.refused_by == "peer" and refused.value.findings == []
    hs = await csms.handshake(is_tls_failure)
    [found] = hs.findings
    assert found.rule == "SEC-2" and "A00.FR.313" in found.ref


async def test_plain_ws_against_the_tls_endpoint_is_refused_with_sec2(pki: PkiFactory, start_csms: Start) -> None:
    csms = await start_csms(pki.server_context(2), profile=2)
    with pytest.raises(HandshakeRefused):
        await connect(csms.server.url.replace("wss://", "ws://"), "CS1",
                      ClientOptions(password=PASSWORD, open_timeout=DEADLINE))
    hs = await csms.handshake(is_tls_failure)
    assert [f.rule for f in hs.findings] == ["SEC-2"] and hs.auth_verdict == "none"  # no password was judged


async def test_a_silent_peer_is_cut_off_at_the_tls_handshake_deadline(pki: PkiFactory, start_csms: Start) -> None:
    csms = await start_csms(pki.server_context(2), profile=2, tls_handshake_timeout=0.2)
    _, writer = await asyncio.open_connection("127.0.0.1", csms.server.port)
    try:
        hs = await csms.handshake(is_tls_failure)
    finally:
        writer.close()
    assert hs.tls_failure is not None and hs.tls_failure.refused_by == "peer" and hs.remote.startswith("127.0.0.1:")


# ---- SignCertificate end to end --------------------------------------------------------------------------------
async def test_a_certificate_from_sign_csr_works_for_mutual_tls(pki: PkiFactory, start_csms: Start) -> None:
    request = pki.new_csr("SN-CSR", kind="ec")
    chain = pki.sign_csr(request.csr_pem, expected_cn="SN-CSR")
    (pki.run_dir / "sn-csr.chain.pem").write_text(chain)
    context = tls.client_context(pki.csms_root_path, certificate=(pki.run_dir / "sn-csr.chain.pem", request.key_path))
    csms = await start_csms(pki.server_context(3), profile=3)
    ws = await connect(csms.server.url, "SN-CSR", ClientOptions(ssl=context))
    await ws.close()
    hs = await csms.handshake(lambda h: h.identity == "SN-CSR")
    assert hs.status == 101 and hs.client_cn == "SN-CSR" and hs.findings == []


# ---- TLS probes: what a station must refuse (TC_A_05_CS, TC_A_06_CS) -------------------------------------------
async def test_a_probe_offering_only_tls11_sends_the_station_the_protocol_version_alert(pki: PkiFactory,
                                                                                      start_csms: Start) -> None:
    csms = await start_csms(pki.server_context(2), profile=2)
    csms.server.tls_probe = pki.server_context(2, old_tls="only")
    with pytest.raises(TlsRefused) as refused:
        await connect(csms.server.url, "CS1", ClientOptions(ssl=pki.client_context(2), password=PASSWORD))
    assert "PROTOCOL_VERSION" in (refused.value.failure.code or "")  # the alert reached the station
    hs = await csms.handshake(lambda h: h.probe)
    assert hs.tls is None and hs.tls_failure is not None and hs.tls_failure.refused_by == "peer"
    assert hs.findings == [] and hs.to_json()["probe"] is True  # refusing is right: no finding


async def test_a_probe_the_station_completes_is_recorded_with_its_version_and_closed(pki: PkiFactory,
                                                                                  start_csms: Start) -> None:
    csms = await start_csms(pki.server_context(2), profile=2)
    csms.server.tls_probe = pki.server_context(2, old_tls="only")
    with pytest.raises(HandshakeRefused):  # TLS 1.1 agreed, then closed before any HTTP answer
        await connect(csms.server.url, "CS1", ClientOptions(ssl=pki.client_context(2, old_tls="accept"),
                                                            password=PASSWORD))
    hs = await csms.handshake(lambda h: h.probe)
    assert hs.tls is not None and hs.tls.version == "TLSv1.1" and hs.status == 0
    assert [f.rule for f in hs.findings] == ["SEC-2"]


@pytest.mark.parametrize("variant", [v for v in Variant if v is not Variant.GOOD])
async def test_a_probe_with_an_invalid_server_certificate_is_refused_then_the_valid_one_serves(
        pki: PkiFactory, start_csms: Start, variant: Variant) -> None:
    csms = await start_csms(pki.server_context(3), profile=3)
    csms.server.tls_probe = pki.server_context(3, variant)
    with pytest.raises(TlsRefused) as refused:
        await connect(csms.server.url, SERIAL, ClientOptions(ssl=pki.client_context(3, SERIAL)))
    assert refused.value.failure.refused_by == "harness" and refused.value.failure.verify_code is not None
    hs = await csms.handshake(lambda h: h.probe)
    assert hs.tls is None and hs.tls_failure is not None and hs.tls_failure.refused_by == "peer"
    csms.server.tls_probe = None
    await heartbeat(await connect(csms.server.url, SERIAL, ClientOptions(ssl=pki.client_context(3, SERIAL))))
