"""The hostile SUT: every case of `hostile_corpus` against both roles of the harness, over loopback WebSockets.

For each input: nothing escapes the harness's connection task (no logged handler failure, no stray task
exception), nothing hangs past DEADLINE, the transcript names the rule broken, and it keeps every byte the harness
read (compared with what the peer sent; bytes that are not UTF-8 text are kept in `Record.data`, and on disk as
`data_b64`). Property tests then throw arbitrary text and JSON at the sans-I/O frame parser and schema validator.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.connection import Connection
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

import harness
from harness.config import Settings
from harness.errors import TransportSetupError
from harness.ocppj import RULES, CallError, Parsed, RpcSession, default_store, parse
from harness.roles.csms import CsmsEndpoint
from harness.roles.station import StationRole
from harness.transcript import Record, Transcript
from harness.transport import CallTimeout, ConnectionLost, HandshakeRefused, OcppConnection
from tests.hostile_corpus import CASES, ID, MAX_SIZE, BadText, Case, Message

DEADLINE = 10.0  # seconds for one case, handshake timeouts and floods included
CALL_TIMEOUT = 0.3  # the harness's deadline for an answer to its CALL
OPEN_TIMEOUT = 0.3  # the harness's deadline for a peer to complete the opening handshake
HARNESS_CALL = {"csms": ("ClearCache", {}), "station": ("Heartbeat", {})}


def test_harness_is_imported_from_this_checkout() -> None:
    assert Path(harness.__file__).resolve().parent == Path(__file__).resolve().parent.parent / "harness"


# ---- the misbehaving peer -------------------------------------------------------------------------------------------
async def _send(ws: Connection, message: Message) -> None:
    if isinstance(message, BadText):
        await ws.send(bytes(message), text=True)  # no UTF-8 check on the way out
    else:
        await ws.send(message)


def _with_id(message: Message, message_id: str) -> Message:
    if isinstance(message, BadText):
        return BadText(message.replace(ID.encode(), message_id.encode()))
    if isinstance(message, bytes):
        return message.replace(ID.encode(), message_id.encode())
    return message.replace(ID, message_id)


async def play(ws: Connection, case: Case, harness_done: asyncio.Event, sent: list[Message]) -> None:
    """What the hostile peer does on its open WebSocket connection (`sent` collects what went out)."""
    with contextlib.suppress(ConnectionClosed):
        script = case.script
        if script == "abort-idle":
            ws.transport.abort()
            return
        if script == "abort-partial":
            ws.transport.write(b"\x81")  # FIN + text opcode, then nothing: half a frame header
            ws.transport.abort()
            return
        message_id = ""
        if script != "send":
            call = json.loads(await ws.recv())  # the harness's CALL
            message_id = call[1]
        for message in case.messages:
            message = _with_id(message, message_id)
            sent.append(message)
            await _send(ws, message)
        if script == "silent":
            await harness_done.wait()  # never answer; leave once the harness has given up
        if script.startswith("close:"):
            await ws.close(int(script.partition(":")[2]), "hostile close")
        elif script == "abort":
            ws.transport.abort()
        else:
            await ws.close()


def _accept_key(request: bytes) -> str:
    key = next(line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
               if line.lower().startswith(b"sec-websocket-key:"))
    return base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC11B85").digest()).decode()


async def hostile_csms_handshake(how: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                                 done: asyncio.Event, wrote: bytearray) -> None:
    """A CSMS that accepts TCP but never completes the WebSocket opening handshake."""
    request = await reader.readuntil(b"\r\n\r\n")
    upgrade = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    answers = {
        "garbage": b"garbage\r\n\r\n",
        "http-200": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "101-no-accept": upgrade + b"\r\n",
        "101-bad-accept": upgrade + b"Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
        "101-wrong-subprotocol": upgrade + f"Sec-WebSocket-Accept: {_accept_key(request)}\r\n".encode()
        + b"Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n",
        "slow-headers": b"HTTP/1.1 101 Switching Protocols\r\n",
    }
    if how in answers:
        writer.write(answers[how])
        wrote += answers[how]
        await writer.drain()
    if how in ("silent", "slow-headers"):
        await done.wait()
    writer.close()


async def hostile_station_handshake(how: str, port: int, done: asyncio.Event, wrote: bytearray) -> None:
    """A station that opens TCP to the harness CSMS but never completes the opening handshake."""
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    requests = {
        "partial-request-line": b"GET /ocpp/SIM-CS-001 HT",
        "garbage": b"\x16\x03\x01\x00\xa5garbage\r\n\r\n",
        "no-upgrade": b"GET /ocpp/SIM-CS-001 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "bad-version": b"GET /ocpp/SIM-CS-001 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
        "headers-never-end": b"GET /ocpp/SIM-CS-001 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n",
    }
    if how in requests:
        writer.write(requests[how])
        wrote += requests[how]
        await writer.drain()
    if how != "close-at-once":
        await done.wait()
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


# ---- running one case against one role of the harness ------------------------------------------------------------
async def until(transcript: Transcript, predicate: Callable[[Record], bool]) -> None:
    """Until a record matching `predicate` is in the transcript (no polling, no sleeps)."""
    if any(predicate(r) for r in transcript.records):
        return
    seen = asyncio.Event()
    unsubscribe = transcript.subscribe(lambda r: seen.set() if predicate(r) else None)
    try:
        await seen.wait()
    finally:
        unsubscribe()


async def harness_call(conn: OcppConnection, role: str) -> Record | Exception:
    """The harness's own CALL; a bad or missing answer is a documented result, not a crash."""
    action, payload = HARNESS_CALL[role]
    try:
        return await conn.call(action, payload, timeout=CALL_TIMEOUT)
    except (CallTimeout, ConnectionLost) as exc:
        return exc


async def run_as_csms(case: Case, transcript: Transcript, wrote: bytearray) -> list[Message]:
    """The harness plays CSMS (its real endpoint); the hostile peer is a station."""
    settings = Settings()
    settings.timing.default_timeout = CALL_TIMEOUT
    endpoint = CsmsEndpoint(settings, default_store(), password=None)
    endpoint.server.max_size = MAX_SIZE
    endpoint.server.open_timeout = OPEN_TIMEOUT
    await endpoint.start()
    role = endpoint.begin(transcript)
    done = asyncio.Event()
    sent: list[Message] = []
    try:
        if case.script.startswith("hs:"):
            peer = asyncio.create_task(hostile_station_handshake(case.script[3:], endpoint.server.port, done, wrote))
            await until(transcript, lambda r: r.event == "handshake")
            done.set()
            await peer
            return sent
        url = f"{endpoint.server.url}/{settings.station.identity}"
        async with ws_connect(url, subprotocols=["ocpp2.0.1"], max_size=None, max_queue=None, ping_interval=None) as ws:  # type: ignore[list-item]
            conn = await role.wait_connected(DEADLINE)
            peer = asyncio.create_task(play(ws, case, done, sent))
            if case.script not in ("send", "abort-idle", "abort-partial"):
                await harness_call(conn, "csms")
            done.set()
            await peer
            await conn.closed.wait()
    finally:
        endpoint.end(role)
        await endpoint.stop()
    return sent


async def run_as_station(case: Case, transcript: Transcript, wrote: bytearray) -> list[Message]:
    """The harness plays a station (its real role); the hostile peer is a CSMS."""
    settings = Settings()
    settings.timing.default_timeout = CALL_TIMEOUT
    done = asyncio.Event()
    sent: list[Message] = []
    if case.script.startswith("hs:"):
        server = await asyncio.start_server(lambda r, w: hostile_csms_handshake(case.script[3:], r, w, done, wrote),
                                            "127.0.0.1", 0)
    else:
        server = await serve(lambda ws: play(ws, case, done, sent), "127.0.0.1", 0,  # type: ignore[arg-type]
                             subprotocols=["ocpp2.0.1"], max_size=None, max_queue=None, ping_interval=None)  # type: ignore[list-item]
    port = next(iter(server.sockets)).getsockname()[1]
    role = StationRole(settings, default_store(), transcript, csms_url=f"ws://127.0.0.1:{port}/ocpp", password=None)
    try:
        if case.script.startswith("hs:"):
            with contextlib.suppress(TransportSetupError):
                refused = await role.try_connect(role.options(open_timeout=OPEN_TIMEOUT, max_size=MAX_SIZE))
                assert isinstance(refused, HandshakeRefused), "a broken handshake must not give a connection"
            done.set()
            return sent
        conn = await role.connect(role.options(max_size=MAX_SIZE))
        tasks = set(role._tasks)  # the connection's reader task: must end without an exception
        if case.script not in ("send", "abort-idle", "abort-partial"):
            await harness_call(conn, "station")
        done.set()
        await conn.closed.wait()
        await asyncio.wait(tasks)
        for task in tasks:
            assert task.exception() is None, f"the connection task crashed: {task.exception()!r}"
    finally:
        done.set()
        await role.close()
        server.close()
        await server.wait_closed()
    return sent


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    """Whatever reaches the event loop's exception handler during the test (a task that died unobserved)."""
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield errors
    loop.set_exception_handler(previous)


PARAMS = [pytest.param(case, role, id=f"{role}-{case.name}") for case in CASES for role in case.roles]


@pytest.mark.parametrize(("case", "role"), PARAMS)
async def test_hostile_input(case: Case, role: str, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                             loop_errors: list[dict[str, Any]]) -> None:
    caplog.set_level(logging.ERROR)
    transcript = Transcript(tmp_path / "transcript.jsonl")
    async with asyncio.timeout(DEADLINE):  # no hang
        wrote = bytearray()  # what a peer that breaks the opening handshake sent
        sent = await (run_as_csms if role == "csms" else run_as_station)(case, transcript, wrote)
    transcript.close()

    # no crash: nothing logged as a failed handler, nothing left to the loop's exception handler
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert loop_errors == []
    assert not any("harness failed" in str(r.detail.get("text", "")) for r in transcript.records)

    # a named finding
    found = {f.rule for r in transcript.records for f in r.findings}
    assert found <= RULES.keys()
    assert case.rule in found, f"expected {case.rule}, recorded {sorted(found)}:\n" + "\n".join(transcript.tail(12))

    # every byte the harness read is kept, in order, in memory and on disk
    received = [r for r in transcript.records if r.direction == "rx"]
    assert [r.wire() for r in received] == Case.kept(sent)
    lines = [json.loads(line) for line in (tmp_path / "transcript.jsonl").read_text(encoding="utf-8").splitlines()]
    on_disk = [base64.b64decode(line["data_b64"]) if "data_b64" in line else line["raw"].encode()
               for line in lines if line["direction"] == "rx"]
    assert on_disk == Case.kept(sent)
    # ...and so is every byte of an opening handshake that broke, in the record of that handshake
    if case.script.startswith("hs:"):
        kept = [base64.b64decode(line["detail"]["received_b64"]) for line in lines
                if line.get("kind") in ("handshake", "refused") and "received_b64" in line.get("detail", {})]
        assert kept == ([bytes(wrote)] if wrote else []), json.dumps(lines)


# ---- properties of the sans-I/O core ------------------------------------------------------------------------------
NO_DB = settings(database=None, deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=30)
frame_like = st.tuples(st.sampled_from([2, 3, 4, 5, "2", None]), st.text(max_size=40) | st.integers(),
                       st.sampled_from(["Heartbeat", "BootNotification", "NoSuch", ""]) | json_values,
                       json_values, json_values).flatmap(lambda t: st.integers(0, 5).map(lambda n: list(t[:n])))


def _check_parsed(parsed: Parsed) -> None:
    assert isinstance(parsed, Parsed)
    assert {f.rule for f in parsed.findings} <= RULES.keys()
    reply = parsed.reply()
    assert reply is None or isinstance(reply, CallError)
    if parsed.frame is None:  # nothing usable came out: the findings say why
        assert parsed.findings


@NO_DB
@given(st.text())
def test_parse_never_raises_on_any_text(text: str) -> None:
    _check_parsed(parse(text))


@NO_DB
@given(st.binary())
def test_parse_never_raises_on_any_bytes(data: bytes) -> None:
    _check_parsed(parse(data))


@NO_DB
@given(frame_like)
def test_parse_and_session_never_raise_on_frame_like_json(value: list[Any]) -> None:
    text = json.dumps(value)
    _check_parsed(parse(text))
    inbound = RpcSession(default_store()).receive(text)
    assert {f.rule for f in inbound.findings} <= RULES.keys()


ACTIONS = sorted(default_store().actions)


@NO_DB
@given(st.sampled_from(ACTIONS), st.sampled_from(["Request", "Response"]), json_values)
def test_schema_validation_never_raises(action: str, kind: str, payload: Any) -> None:
    violations = default_store().validate(action, kind, payload)  # type: ignore[arg-type]
    assert all(v.path.startswith("$") and v.message for v in violations)
    if not isinstance(payload, dict):
        assert violations  # every OCPP payload is an object


@NO_DB
@given(st.sampled_from(ACTIONS), st.integers(1, 2000), st.sampled_from(["[", '{"a":']))
def test_schema_validation_survives_any_nesting(action: str, depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    payload = json.loads('{"x":' + opener * depth + ("" if opener == "[" else "1") + closer * depth + "}") \
        if depth < 900 else {"x": "deep"}
    default_store().validate(action, "Request", payload)
    _check_parsed(parse('[2,"p","' + action + '",{"x":' + opener * depth + ("" if opener == "[" else "1")
                        + closer * depth + "}]"))
