"""The CSMS-role WebSocket server: identity from the URL path, subprotocol per RPC-03, Basic Auth per SEC-5.

Every handshake, accepted or refused, is reported to `on_handshake` with its findings, so the conversation's
transcript shows why a station was refused; so is one that never completes (nothing, or no valid HTTP
upgrade request, within `open_timeout`): status 0 and an RPC-01 finding. The password is checked and then
forgotten: only the user name and the verdict are kept.

With an `ssl` context (security profiles 2 and 3, see `tls.py`) the server runs each TLS handshake itself before
websockets sees a byte, so every failed one is reported too, as a Handshake with `tls_failure` and status 0: a
certificate OpenSSL refused, a peer that refused ours, a peer that hung up. A completed one is judged (`tls`), and
under profile 3 a station whose certificate CN is not its serial number is refused with HTTP 403 (A00.FR.405/407).

`ssl` may be swapped while the server runs (the next handshakes use the new context), and `tls_probe`, while set,
turns every new connection into a probe: the TLS handshake alone with that context (a bad certificate, TLS 1.1),
every byte OpenSSL writes sent (alerts too), then closed; reported as a Handshake with `probe` set. That is how a
test sees whether a station refuses what it must refuse (TC_A_05_CS, TC_A_06_CS).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from ssl import SSLContext, SSLObject
from typing import Any
from urllib.parse import unquote

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from harness.errors import TransportSetupError
from harness.ocppj.findings import Finding
from harness.ocppj.monitor import (
    AuthFacts,
    auth_facts,
    handshake_findings,
    judge_auth,
    judge_identity,
    judge_subprotocol,
)
from harness.transport.opening import keep_opening, opening_json
from harness.transport.tls import TlsFailure, TlsSession, classify_failure, read_session, refuses_the_station
from harness.transport.tls_probe import ProbeResult, probe_handshake

SUBPROTOCOL = Subprotocol("ocpp2.0.1")
ServerSocket = ServerConnection  # what `on_connect` receives; named here so no other layer imports websockets


@dataclass
class Handshake:
    """What the server learned from one opening handshake (never the password)."""

    identity: str
    path: str
    offered: list[str]
    remote: str
    auth_user: str | None = None
    auth_verdict: str = "none"  # none | ok | bad-password | bad-user | malformed | missing
    status: int = 101  # HTTP status answered; 0 when the TLS handshake failed before any HTTP
    subprotocol: str | None = None
    findings: list[Finding] = field(default_factory=list)
    tls: TlsSession | None = None  # the judged TLS session, under security profile 2 or 3
    tls_failure: TlsFailure | None = None  # why the TLS handshake failed (then identity and path are unknown)
    probe: bool = False  # a TLS probe (OcppServer.tls_probe): the handshake alone, closed after it either way
    received: bytes = field(default=b"", repr=False)  # a failed handshake: what the station sent (opening.py)
    auth: AuthFacts | None = None  # the Authorization header's facts (never the password), once judged
    failure: str | None = None  # why the opening handshake never completed
    headers: list[tuple[str, str]] = field(default_factory=list)  # the upgrade request's, Authorization masked

    @property
    def client_cn(self) -> str | None:
        """Subject CN of the station's certificate (profile 3), for the CSMS role to check against its serial."""
        return self.tls.peer_cn if self.tls is not None else None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"identity": self.identity, "path": self.path, "offered": self.offered, "remote": self.remote,
                "auth_user": self.auth_user, "auth": self.auth_verdict, "status": int(self.status),
                "subprotocol": self.subprotocol}
        if self.tls is not None:
            data.update(tls=self.tls.to_json())
        if self.tls_failure is not None:
            data.update(tls_failure=self.tls_failure.to_json())
        if self.probe:
            data.update(probe=True)
        if self.headers:
            data.update(headers=[list(h) for h in self.headers])
        # always present: it says the record holds the facts the monitor judges (an older one did not)
        data.update(auth_facts=self.auth.to_json() if self.auth is not None else None)
        if self.failure is not None:
            data.update(failure=self.failure)
        data.update(opening_json(self.received))
        return data


Authenticate = Callable[[str, str], bool]  # (identity, password) -> accepted


def check_basic_auth(header: str | None, identity: str, authenticate: Authenticate | None,
                     *, password_max: int = 40) -> tuple[str, str | None, list[Finding]]:
    """Judge an Authorization header: (verdict, user name, findings). Verdict "ok" when accepted. The header is
    reduced to its facts (the password compared, then forgotten) and the monitor judges them."""
    facts = auth_facts(header, None if authenticate is None else lambda password: authenticate(identity, password))
    return judge_auth(facts, identity, password_max=password_max)


class OcppServer:
    """A WebSocket server on 127.0.0.1 for the CSMS role and the CSMS simulator."""

    def __init__(
        self,
        on_connect: Callable[[ServerConnection, Handshake], Awaitable[None]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        known: Callable[[str], bool] = lambda identity: True,
        authenticate: Authenticate | None = None,
        on_handshake: Callable[[Handshake], None] = lambda hs: None,
        max_size: int = 1 << 20,
        ssl: SSLContext | None = None,
        close_without_subprotocol: bool = True,
        refuse_without_subprotocol: bool = False,
        require_user_match: bool = True,
        open_timeout: float = 10.0,
        serial_number: Callable[[str], str | None] | None = None,
        tls_handshake_timeout: float = 10.0,
        lax_identity: bool = False,
        auth_refusal: HTTPStatus = HTTPStatus.UNAUTHORIZED,
    ) -> None:
        self.on_connect = on_connect
        self.host = host
        self.port = port
        self.known = known
        self.authenticate = authenticate
        self.on_handshake = on_handshake
        self.max_size = max_size
        self.ssl = ssl
        # Both True for a conforming CSMS; the CSMS simulator's fault switches turn them off.
        self.close_without_subprotocol = close_without_subprotocol
        # TC_B_58_CSMS (errata 2025-04): refuse the upgrade itself (HTTP 400) when no offered subprotocol is ocpp2.0.1
        self.refuse_without_subprotocol = refuse_without_subprotocol
        self.require_user_match = require_user_match
        # A lax CSMS (the CSMS simulator's fault `accept_malformed_identity`): a URL identity that breaks RPC-02 is
        # replaced by the Basic Auth user name, so such a station gets in under that name.
        self.lax_identity = lax_identity
        self.auth_refusal = auth_refusal  # the status for refused Basic Auth: 401 (the simulator's fault: 403)
        self.open_timeout = open_timeout  # seconds a station may take to complete its opening handshake
        # Profile 3: the serial number the station certificate's CN must equal (A00.FR.405); the identity when
        # not given; None from the callable leaves the check to the role (e.g. against BootNotification).
        self.serial_number = serial_number or (lambda identity: identity)
        self.tls_handshake_timeout = tls_handshake_timeout
        self.tls_probe: SSLContext | None = None  # while set, each new TLS connection is only a probe (see above)
        self._server: Server | None = None
        self._handshakes: dict[int, Handshake] = {}
        self._tls_handshakes: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"{'wss' if self.ssl else 'ws'}://{self.host}:{self.port}/ocpp"

    async def start(self) -> None:
        # With TLS, websockets gets plain TCP and the connection class below does the handshake (no ssl= here).
        judged = _judged_connection(self._handshake_failed)
        connection_class = _tls_first(self, self.ssl, judged) if self.ssl is not None else judged
        try:
            self._server = await serve(self._handler, self.host, self.port, subprotocols=[SUBPROTOCOL],
                                       select_subprotocol=self._select, process_request=self._process_request,
                                       max_size=self.max_size, ping_interval=None,
                                       open_timeout=self.open_timeout, create_connection=connection_class)
        except OSError as exc:
            raise TransportSetupError(f"cannot listen on {self.host}:{self.port}: {exc}") from exc
        sock = next(iter(self._server.sockets))
        self.port = sock.getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tls_handshakes):  # handshakes still running: their transports are closed
            task.cancel()
        await asyncio.gather(*self._tls_handshakes, return_exceptions=True)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        raw_identity = path.rsplit("/", 1)[-1]  # after the last '/': empty for "<endpoint>/" (no identity)
        identity = unquote(raw_identity)
        offered = _offered(request.headers)
        remote = ":".join(str(p) for p in connection.remote_address[:2]) if connection.remote_address else "?"
        hs = Handshake(identity=identity, path=path, offered=offered, remote=remote,
                       headers=[(k, "********" if k.lower() in ("authorization", "cookie") else v[:200])
                                for k, v in request.headers.raw_items()][:50])
        self._handshakes[id(connection)] = hs
        if bad_identity := judge_identity(identity):
            hs.findings.extend(bad_identity)
            user = _basic_auth_user(request.headers.get("Authorization")) if self.lax_identity else None
            if user:
                identity = hs.identity = user
        if not self.known(identity):
            return self._refuse(connection, hs, HTTPStatus.NOT_FOUND, "Unknown charging station\n")
        if self.refuse_without_subprotocol and SUBPROTOCOL not in offered:
            hs.findings.extend(judge_subprotocol(offered))
            return self._refuse(connection, hs, HTTPStatus.BAD_REQUEST, "ocpp2.0.1 subprotocol required\n")
        ssl_object = connection.transport.get_extra_info("ssl_object")
        if isinstance(ssl_object, SSLObject):
            hs.tls = read_session(ssl_object, peer="station", expected_cn=self.serial_number(identity))
            hs.findings.extend(hs.tls.findings)
            if refuses_the_station(hs.tls):
                return self._refuse(connection, hs, HTTPStatus.FORBIDDEN,
                                    "Certificate CN is not the station serial number\n")
        authenticate = self.authenticate
        hs.auth = auth_facts(request.headers.get("Authorization"),
                             None if authenticate is None else lambda password: authenticate(identity, password))
        verdict, user, findings = judge_auth(hs.auth, identity)
        hs.auth_user, hs.auth_verdict = user, verdict
        hs.findings.extend(findings)
        refused = verdict != "ok" and not (verdict == "bad-user" and not self.require_user_match)
        if self.authenticate is not None and refused:
            response = self._refuse(connection, hs, self.auth_refusal, f"{self.auth_refusal.phrase}\n")
            if self.auth_refusal is HTTPStatus.UNAUTHORIZED:
                response.headers["WWW-Authenticate"] = 'Basic realm="OCPP"'
            return response
        return None

    def _refuse(self, connection: ServerConnection, hs: Handshake, status: HTTPStatus, body: str) -> Response:
        """Answer the upgrade request with `status`, reported now; its record is dropped here, as no handler will
        take it (else every refused attempt of a long run would stay in memory)."""
        self._handshakes.pop(id(connection), None)
        hs.status = status
        self.on_handshake(hs)
        return connection.respond(status, body)

    def _handshake_failed(self, connection: ServerConnection, why: str) -> None:
        """A station that opened TCP but never completed the opening handshake: reported like a refusal."""
        remote = ":".join(str(p) for p in connection.remote_address[:2]) if connection.remote_address else "?"
        hs = self._handshakes.pop(id(connection), None) or Handshake(identity="", path="", offered=[], remote=remote)
        hs.status = 0
        hs.received = bytes(getattr(connection, "opening", b""))
        hs.failure = why
        hs.findings = handshake_findings(hs.to_json())
        self.on_handshake(hs)

    def _tls_failed(self, failure: TlsFailure, remote: str) -> None:
        self.on_handshake(Handshake(identity="", path="", offered=[], remote=remote, status=0,
                                    findings=list(failure.findings), tls_failure=failure))

    def _probed(self, result: ProbeResult, remote: str) -> None:
        findings = list(result.session.findings if result.session else result.failure.findings if result.failure
                        else ())
        self.on_handshake(Handshake(identity="", path="", offered=[], remote=remote, status=0, findings=findings,
                                    tls=result.session, tls_failure=result.failure, probe=True))

    def _select(self, connection: ServerConnection, subprotocols: Sequence[Subprotocol]) -> Subprotocol | None:
        # RPC-03: agree on ocpp2.0.1, or answer without the header (and close right after, in the handler).
        return SUBPROTOCOL if SUBPROTOCOL in subprotocols else None

    async def _handler(self, connection: ServerConnection) -> None:
        hs = self._handshakes.pop(id(connection), None)
        if hs is None:  # cannot happen: process_request runs first
            hs = Handshake("", "", [], "")
        hs.subprotocol = connection.subprotocol
        if connection.subprotocol != SUBPROTOCOL:
            hs.findings.extend(judge_subprotocol(hs.offered))
            if self.close_without_subprotocol:
                self.on_handshake(hs)
                await connection.close(1002, "ocpp2.0.1 subprotocol required")
                return
        self.on_handshake(hs)
        await self.on_connect(connection, hs)


def _judged_connection(report: Callable[[ServerConnection, str], None]) -> type[ServerConnection]:
    """A ServerConnection that reports a handshake which times out or breaks before `process_request` saw it
    (websockets drops those silently)."""

    class JudgedConnection(ServerConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.opening = bytearray()  # what the station sent until its upgrade request was read

        def data_received(self, data: bytes) -> None:
            if self.request is None:
                keep_opening(self.opening, data)
            super().data_received(data)

        async def handshake(self, *args: Any, **kwargs: Any) -> None:
            try:
                await super().handshake(*args, **kwargs)
            except asyncio.CancelledError:  # open_timeout ran out (or the server is stopping)
                # A refused request (e.g. 426, no Upgrade header) waits here too while the station holds on.
                report(self, f"no valid HTTP upgrade request ({self.protocol.handshake_exc})"
                       if self.protocol.handshake_exc is not None else
                       "no complete HTTP upgrade request before the open timeout")
                raise
            if self.request is None or self.protocol.handshake_exc is not None:
                report(self, f"no valid HTTP upgrade request ({self.protocol.handshake_exc or 'connection closed'})")

    return JudgedConnection


def _basic_auth_user(header: str | None) -> str | None:
    """The user name of a Basic Authorization header, None when there is none to read."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")[0] or None
    except (binascii.Error, UnicodeDecodeError):
        return None


def _offered(headers: Headers) -> list[str]:
    return [p.strip() for value in headers.get_all("Sec-WebSocket-Protocol") for p in value.split(",") if p.strip()]


def _tls_first(server: OcppServer, context: SSLContext, base: type[ServerConnection]) -> type[ServerConnection]:
    """A websockets connection class that runs the TLS handshake itself (`loop.start_tls`) before websockets sees
    the connection. asyncio's own TLS server drops a failed handshake silently; here each failure reaches
    `server._tls_failed`, including a peer that hangs up without an alert (what an asyncio peer does)."""

    class TlsFirstConnection(base):  # type: ignore[valid-type, misc]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            transport.pause_reading()  # not one TLS byte may reach the HTTP parser
            task = self.loop.create_task(self._tls_handshake(transport))
            server._tls_handshakes.add(task)
            task.add_done_callback(server._tls_handshakes.discard)

        async def _tls_handshake(self, tcp: asyncio.Transport) -> None:
            peer = tcp.get_extra_info("peername")
            remote = ":".join(str(p) for p in peer[:2]) if peer else "?"
            if server.tls_probe is not None:
                result = await probe_handshake(tcp, server.tls_probe, timeout=server.tls_handshake_timeout)
                server._probed(result, remote)
                return
            gate = _Gate()
            try:  # server.ssl, not the context at start: a test may swap it for the next handshakes
                encrypted = await self.loop.start_tls(tcp, gate, server.ssl or context, server_side=True,
                                                      ssl_handshake_timeout=server.tls_handshake_timeout)
                if encrypted is None:
                    raise ConnectionResetError("the transport closed during the TLS handshake")
            except Exception as exc:  # every failed handshake is a result to record, whatever it raised
                tcp.abort()
                server._tls_failed(classify_failure(exc, peer="station"), remote)
                return
            encrypted.set_protocol(self)
            super().connection_made(encrypted)
            gate.hand_over(self)

    return TlsFirstConnection


class _Gate(asyncio.Protocol):
    """Keeps what arrives between the end of the TLS handshake and the moment websockets takes over."""

    def __init__(self) -> None:
        self._data: list[bytes] = []
        self._eof = False
        self._lost: tuple[Exception | None] | None = None

    def data_received(self, data: bytes) -> None:
        self._data.append(data)

    def eof_received(self) -> None:
        self._eof = True

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = (exc,)

    def hand_over(self, protocol: asyncio.Protocol) -> None:
        for data in self._data:
            protocol.data_received(data)
        if self._eof:
            protocol.eof_received()
        if self._lost is not None:
            protocol.connection_lost(self._lost[0])
