"""The transports over real loopback WebSockets: handshake rules (RPC-02, RPC-03, SEC-5), recording on disk."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from harness.ocppj import RpcSession, default_store
from harness.ocppj.monitor import handshake_findings
from harness.transcript import Transcript
from harness.transport import ClientOptions, Handshake, HandshakeRefused, OcppConnection, OcppServer, connect

PASSWORD = "Abcdefghij0123456789"


class Server:
    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.handshakes: list[Handshake] = []
        self.reported = asyncio.Event()  # set by each handshake report
        self.server = OcppServer(self.on_connect, known=lambda i: i.startswith("CS"),
                                 authenticate=lambda i, p: p == PASSWORD, on_handshake=self.record)

    def record(self, hs: Handshake) -> None:
        # the monitor judges the recorded facts (what `ocpp-harness validate` reads) as it judged the live handshake
        assert sorted(map(str, handshake_findings(json.loads(json.dumps(hs.to_json()))))) == sorted(map(str, hs.findings))
        self.handshakes.append(hs)
        self.reported.set()

    async def on_connect(self, ws: Any, hs: Handshake) -> None:
        async def answer(call: Any, record: Any) -> dict[str, Any]:
            return {"currentTime": "2026-01-01T00:00:00Z"}

        await OcppConnection(ws, RpcSession(default_store()), self.transcript, answer).run()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    s = Server(Transcript(tmp_path / "server.jsonl"))
    await s.server.start()
    yield s
    await s.server.stop()


async def test_unknown_identity_gets_404(server: Server) -> None:
    with pytest.raises(HandshakeRefused) as refused:
        await connect(server.server.url, "NOT-KNOWN", ClientOptions(password=PASSWORD))
    assert refused.value.status == 404


@pytest.mark.parametrize(("identity", "seen"), [("", ""), ("NOT:1", "NOT:1")])
async def test_an_identity_that_breaks_rpc02_is_judged_as_sent(server: Server, identity: str, seen: str) -> None:
    """`<endpoint>/` carries no identity (not the endpoint's last path segment); ':' is the Basic Auth separator."""
    with pytest.raises(HandshakeRefused) as refused:
        await connect(server.server.url, identity, ClientOptions(password=PASSWORD, username="CS1"))
    assert refused.value.status == 404
    hs = server.handshakes[-1]
    assert hs.identity == seen and [f.rule for f in hs.findings] == ["RPC-02"]


async def test_a_lax_server_names_such_a_station_by_its_basic_auth_user(tmp_path: Path) -> None:
    """The CSMS simulator's fault `accept_malformed_identity`: what a lax CSMS does, still judged RPC-02."""
    lax = Server(Transcript(tmp_path / "lax.jsonl"))
    lax.server.lax_identity = True
    await lax.server.start()
    try:
        for identity in ("", "CS1:1"):
            ws = await connect(lax.server.url, identity, ClientOptions(password=PASSWORD, username="CS1"))
            await ws.close()
            assert lax.handshakes[-1].identity == "CS1" and lax.handshakes[-1].status == 101
            assert [f.rule for f in lax.handshakes[-1].findings] == ["RPC-02"]
    finally:
        await lax.server.stop()


async def test_wrong_password_gets_401_and_a_sec5_finding_without_the_password(server: Server) -> None:
    with pytest.raises(HandshakeRefused) as refused:
        await connect(server.server.url, "CS1", ClientOptions(password="WrongWrongWrong12345"))
    assert refused.value.status == 401
    hs = server.handshakes[-1]
    assert hs.auth_verdict == "bad-password" and any(f.rule == "SEC-5" for f in hs.findings)
    assert "WrongWrongWrong12345" not in json.dumps(hs.to_json()) + "".join(f.text for f in hs.findings)


@pytest.mark.parametrize(("options", "text"), [
    (ClientOptions(password=PASSWORD, username="CS1-other"), "differs from the identity"),
    (ClientOptions(password="short"), "16 to 40"),
    (ClientOptions(password=None), "no Authorization header"),
])
async def test_basic_auth_rules(server: Server, options: ClientOptions, text: str) -> None:
    with pytest.raises(HandshakeRefused):
        await connect(server.server.url, "CS1", options)
    assert any(text in f.text and f.rule == "SEC-5" for f in server.handshakes[-1].findings)


async def test_a_refused_attempt_is_reported_once_and_not_kept(server: Server) -> None:
    """A station refused all day (404, 401) must not make the server grow: each refusal is reported, then gone."""
    for identity, password in (("NOT-KNOWN", PASSWORD), ("CS1", "WrongWrongWrong12345")) * 3:
        with pytest.raises(HandshakeRefused):
            await connect(server.server.url, identity, ClientOptions(password=password))
    assert [h.status for h in server.handshakes] == [404, 401] * 3
    assert server.server._handshakes == {}


async def test_a_broken_upgrade_request_is_kept_with_its_password_masked(server: Server) -> None:
    token = base64.b64encode(f"CS1:{PASSWORD}".encode()).decode()
    request = (f"GET /ocpp/CS1 HTTP/1.1\r\nHost: 127.0.0.1\r\nauthorization:  Basic {token}\r\n"
               "Sec-WebSocket-Protocol: ocpp2.0.1\r\n\r\n").encode()  # no Upgrade header: not a WebSocket request
    reader, writer = await asyncio.open_connection("127.0.0.1", server.server.port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)  # the server answers and closes
    writer.close()
    assert answer.startswith(b"HTTP/1.1 426")
    await asyncio.wait_for(server.reported.wait(), 10)
    failed = [h for h in server.handshakes if h.status == 0]
    assert len(failed) == 1 and any(f.rule == "RPC-01" and "missing Connection header" in f.text
                                    for f in failed[0].findings), failed
    shown = json.dumps(failed[0].to_json())
    assert token not in shown and PASSWORD not in shown
    assert base64.b64decode(failed[0].to_json()["received_b64"]) == request.replace(
        f"authorization:  Basic {token}".encode(), b"authorization: ********")


async def test_no_common_subprotocol_is_closed_without_the_header(server: Server) -> None:
    ws = await connect(server.server.url, "CS1", ClientOptions(password=PASSWORD, subprotocols=["ocpp0.1"]))
    assert ws.subprotocol is None
    await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == 1002
    assert any(f.rule == "RPC-03" for f in server.handshakes[-1].findings)


async def test_both_offered_selects_ocpp201_and_every_frame_is_on_disk(server: Server, tmp_path: Path) -> None:
    ws = await connect(server.server.url, "CS1", ClientOptions(password=PASSWORD, subprotocols=["ocpp0.1", "ocpp2.0.1"]))
    assert ws.subprotocol == "ocpp2.0.1"
    client = OcppConnection(ws, RpcSession(default_store()), Transcript(), lambda c, r: asyncio.sleep(0))  # type: ignore[arg-type,return-value]
    reader = asyncio.create_task(client.run())
    answer = await client.call("Heartbeat", {})
    assert answer.kind == "CALLRESULT"
    broken = await client.send_raw("[2,")
    assert broken is not None and broken.message_id == "-1" and broken.kind == "CALLERROR"
    # the server's transcript is on disk already, line by line, before anything is closed
    lines = [json.loads(line) for line in (tmp_path / "server.jsonl").read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["CALL", "CALLRESULT", "INVALID", "CALLERROR"]
    assert lines[2]["raw"] == "[2," and lines[2]["findings"][0]["rule"] == "RPC-05"
    await client.close()
    await reader
