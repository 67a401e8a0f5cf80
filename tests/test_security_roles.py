"""The harness roles under security profiles 2 and 3, in process over real TLS on 127.0.0.1.

Harness as CSMS: each station handshake lands in the running test's transcript as a `handshake` record, also a
TLS handshake that failed (status 0, `tls_failure`, SEC-3 finding) and a certificate whose CN is not the serial
number (HTTP 403, SEC-3). Harness as station: the TLS session (or the TLS refusal with its SEC-2 finding) is
recorded. Every server is stopped at test end; every wait has a deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from harness.config import Settings
from harness.errors import ConfigError
from harness.ocppj import default_store
from harness.pki import PkiFactory, Variant
from harness.profile import Security, builtin_csms_profile, builtin_station_profile
from harness.roles import CsmsEndpoint, StationRole
from harness.simulators.csms import CsmsConfig, CsmsSimulator
from harness.transcript import Record, Transcript
from harness.transport import ClientOptions, HandshakeRefused, TlsRefused, connect

SERIAL = "SIM-SN-0001"
IDENTITY = "SIM-CS-001"
PASSWORD = "Abcdefghij0123456789"
DEADLINE = 5.0


def settings(security: int) -> Settings:
    station, csms = builtin_station_profile(), builtin_csms_profile()
    station.security = Security(profile=security)
    csms.security = Security(profile=security)
    return Settings(station=station, csms=csms)


@pytest.fixture
async def endpoint(pki: PkiFactory) -> AsyncIterator[Callable[[int], Any]]:
    started: list[CsmsEndpoint] = []

    async def start(security: int) -> CsmsEndpoint:
        ep = CsmsEndpoint(settings(security), default_store(), PASSWORD, pki=pki)
        await ep.start()
        started.append(ep)
        return ep

    yield start
    for ep in started:
        await ep.stop()


async def handshake(transcript: Transcript, after: int = 0) -> Record:
    """The first handshake record after `after`, waiting for it until the deadline."""
    arrived = asyncio.Event()
    unsubscribe = transcript.subscribe(lambda r: arrived.set())
    try:
        async with asyncio.timeout(DEADLINE):
            while True:
                found = [r for r in transcript.records[after:] if r.event == "handshake"]
                if found:
                    return found[0]
                arrived.clear()
                await arrived.wait()
    finally:
        unsubscribe()


async def test_harness_csms_records_every_station_tls_handshake_in_the_test_transcript(
        pki: PkiFactory, endpoint: Callable[[int], Any]) -> None:
    ep: CsmsEndpoint = await endpoint(3)
    assert ep.server.url.startswith("wss://127.0.0.1:")
    role = ep.begin(Transcript(name="test"))
    try:
        # a good station certificate: accepted without Basic Auth, the session judged and recorded
        ws = await connect(ep.server.url, IDENTITY, ClientOptions(ssl=pki.client_context(3, SERIAL)))
        good = await handshake(role.transcript)
        assert good.detail["status"] == 101 and good.detail["auth"] == "none" and not good.findings
        assert good.detail["tls"]["peer_cn"] == SERIAL
        await ws.close()
        # a certificate of an unknown CA: the TLS handshake fails and is recorded, with SEC-3
        mark = len(role.transcript.records)
        with pytest.raises((TlsRefused, HandshakeRefused)):
            await connect(ep.server.url, IDENTITY, ClientOptions(ssl=pki.client_context(3, SERIAL, Variant.UNKNOWN_CA)))
        failed = await handshake(role.transcript, mark)
        assert failed.detail["status"] == 0 and failed.detail["tls_failure"]["refused_by"] == "harness"
        assert [f.rule for f in failed.findings] == ["SEC-3"]
        # a certificate whose CN is not the serial number: HTTP 403, with SEC-3
        mark = len(role.transcript.records)
        with pytest.raises(HandshakeRefused) as refused:
            await connect(ep.server.url, IDENTITY, ClientOptions(ssl=pki.client_context(3, SERIAL, Variant.WRONG_CN)))
        assert refused.value.status == 403
        wrong = await handshake(role.transcript, mark)
        assert wrong.detail["status"] == 403 and [f.rule for f in wrong.findings] == ["SEC-3"]
        assert "serial number" in wrong.findings[0].text
    finally:
        ep.end(role)


async def test_harness_csms_profile2_wants_basic_auth_over_tls(pki: PkiFactory, endpoint: Callable[[int], Any]) -> None:
    ep: CsmsEndpoint = await endpoint(2)
    role = ep.begin(Transcript(name="test"))
    try:
        with pytest.raises(HandshakeRefused) as refused:
            await connect(ep.server.url, IDENTITY, ClientOptions(ssl=pki.client_context(2), password="x" * 20))
        assert refused.value.status == 401
        hs = await handshake(role.transcript)
        assert hs.detail["auth"] == "bad-password" and hs.detail["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
        assert "x" * 20 not in repr(hs.detail)  # the password is judged, never kept
    finally:
        ep.end(role)


async def test_endpoint_without_the_run_pki_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="security profile 2"):
        CsmsEndpoint(settings(2), default_store(), PASSWORD)


@pytest.mark.parametrize(("variant", "refused"), [(Variant.GOOD, False), (Variant.EXPIRED, True)])
async def test_harness_station_records_the_tls_session_or_the_refusal(pki: PkiFactory, tmp_path: Path,
                                                                       variant: Variant, refused: bool) -> None:
    run = settings(3)
    sim = CsmsSimulator(CsmsConfig(stations={run.csms.identity: PASSWORD}, require_auth=False,
                                   tls=pki.server_context(3, variant),
                                   serial_numbers={run.csms.identity: run.csms.serial_number}))
    await sim.start()
    role = StationRole(run, default_store(), Transcript(tmp_path / "t.jsonl"), csms_url=sim.url, password=PASSWORD,
                       pki=pki)
    try:
        assert role.options().password is None  # profile 3: the certificate alone authenticates
        result = await role.try_connect()
        if refused:
            assert isinstance(result, TlsRefused)
            [record] = [r for r in role.transcript.records if r.event == "refused"]
            assert record.detail["tls_failure"]["refused_by"] == "harness"
            assert [f.rule for f in record.findings] == ["SEC-2"] and "expired" in record.findings[0].text
        else:
            assert not isinstance(result, HandshakeRefused)
            [record] = [r for r in role.transcript.records if r.event == "tls"]
            assert record.detail["peer_cn"] == "127.0.0.1" and not record.findings
            await role.boot("PowerUp", {"status": "Accepted"})
    finally:
        await role.close()
        await sim.stop()
