"""A scripted CSMS: a SUT whose answers a test chooses, for what the built-in simulators never do on purpose (a
tolerated reading of Part 4, an odd answer to a valid request).

It is a plain WebSocket server on 127.0.0.1 that answers as Part 4 prescribes (the harness's own sans-I/O session
judges each frame: bad input gets its CALLERROR, a valid CALL a schema-valid default) unless the test's `script`
returns another answer for a frame. The suite runs against it in a child pytest (`run_cases`) through a SUT profile
that names its URL, as a lab's CSMS would be.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal

from suite_runner import SuiteResult, run_suite
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from harness.ocppj import Call, RpcSession, default_store, serialize
from harness.ocppj.defaults import csms_default

IDENTITY = "SCRIPTED-CS-1"
PASSWORD = "ScriptedCsmsSecret0123"
# The frame as parsed JSON (None when it is not JSON) -> the text to answer with, SILENT for none, or None for
# what a conforming CSMS answers.
Script = Callable[[Any], "str | object | None"]
SILENT = object()


def _prescribed(session: RpcSession, text: str) -> str | None:
    inbound = session.receive(text)
    if inbound.reply is not None:
        return serialize(inbound.reply)
    if isinstance(inbound.frame, Call):
        session.unanswered.pop(inbound.frame.message_id, None)
        return json.dumps([3, inbound.frame.message_id, csms_default(inbound.frame.action, inbound.frame.payload)
                           or {}])
    return None


def _credentials_ok(request: Request) -> bool:
    expected = base64.b64encode(f"{IDENTITY}:{PASSWORD}".encode()).decode()
    return request.headers.get("Authorization") == f"Basic {expected}" and request.path.endswith(f"/{IDENTITY}")


@asynccontextmanager
async def scripted_csms(script: Script = lambda frame: None, *,
                        bad_auth: int | Literal["close"] | None = None) -> AsyncIterator[str]:
    """Serve a scripted CSMS until the block ends; yields its endpoint URL (without the identity).

    `bad_auth`: how it refuses an upgrade request without the profile's identity and password: an HTTP status, or
    "close" (the TCP connection, no HTTP answer at all); None lets everyone in."""

    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        if bad_auth is None or _credentials_ok(request):
            return None
        if bad_auth == "close":
            connection.transport.abort()
            return connection.respond(HTTPStatus.BAD_REQUEST, "")  # never reaches the aborted socket
        return connection.respond(HTTPStatus(bad_auth), "refused\n")

    async def handler(ws: ServerConnection) -> None:
        session = RpcSession(default_store())
        try:
            async for message in ws:
                text = message if isinstance(message, str) else message.decode("utf-8", errors="replace")
                try:
                    frame = json.loads(text)
                except ValueError:
                    frame = None
                answer = script(frame)
                if answer is None:
                    answer = _prescribed(session, text)
                else:
                    session.receive(text)  # keep the session's view of the conversation
                if isinstance(answer, str):
                    await ws.send(answer)
        except ConnectionClosed:
            pass

    async with serve(handler, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp2.0.1")], ping_interval=None,
                     process_request=process_request) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ocpp"


async def run_cases(tmp: Path, url: str, *cases: str, policies: dict[str, Any] | None = None,
                    extra: tuple[str, ...] = ()) -> SuiteResult:
    """The named CSMS cases in a child pytest against the scripted CSMS at `url` (the loop keeps serving)."""
    return await asyncio.to_thread(_run, tmp, url, cases, policies or {}, extra)


def _run(tmp: Path, url: str, cases: tuple[str, ...], policies: dict[str, Any], extra: tuple[str, ...]) -> SuiteResult:
    tmp.mkdir(parents=True, exist_ok=True)
    profile = tmp / "scripted-csms.yaml"
    profile.write_text(json.dumps({  # YAML is a superset of JSON
        "kind": "csms", "identity": IDENTITY, "endpoint": {"url": url}, "evses": [{"id": 1}],
        "security": {"profile": 1, "password_env": "SCRIPTED_CSMS_PASSWORD"}, "policies": policies}))
    return run_suite(tmp, *cases, extra=("-o", "ocpp_timeout=3", f"--ocpp-sut={profile}", "--ocpp-role=csms", *extra),
                     env={"SCRIPTED_CSMS_PASSWORD": PASSWORD})


def findings(tmp: Path, case: str) -> list[dict[str, Any]]:
    """Every finding in the case's transcript."""
    path = tmp / "reports" / "transcripts" / f"{case}.jsonl"
    return [f for line in path.read_text().splitlines() for f in json.loads(line).get("findings", [])]
