"""The harness acting as CSMS (the SUT is a Charging Station).

`CsmsEndpoint` is the WebSocket server, alive for the whole session so the station stays connected between
tests, as with the OCA test tool. Each test gets a `CsmsRole`: a conversation bound to the station's identity,
which takes over the live connection and every new one while the test runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.config import Settings
from harness.expect import CallExpectation
from harness.ocppj import Call, CallError, RpcSession, SchemaStore, Severity
from harness.ocppj.defaults import csms_default, now_iso
from harness.ocppj.findings import finding
from harness.ocppj.invariants import TransactionInvariants
from harness.roles.conversation import Conversation, StepReporter
from harness.transcript import Record, Transcript
from harness.transport import Handshake, OcppConnection, OcppServer, ServerSocket


class CsmsRole(Conversation):
    """One test's conversation with the Charging Station under test."""

    def __init__(self, endpoint: CsmsEndpoint, transcript: Transcript, *, reporter: StepReporter | None = None,
                 requirements: tuple[str, ...] = ()) -> None:
        super().__init__(transcript, endpoint.settings, self._default, profile=endpoint.settings.station,
                         reporter=reporter, requirements=requirements)
        self.endpoint = endpoint
        self.identity = endpoint.identity

    @property
    def url(self) -> str:
        """Where the station connects (without its identity)."""
        return self.endpoint.server.url

    def _default(self, action: str, payload: dict[str, Any]) -> Mapping[str, Any] | None:
        return csms_default(action, payload, heartbeat_interval=self.configured.heartbeat_interval)

    def boot_response(self, status: str = "Accepted", interval: int | None = None) -> dict[str, Any]:
        """A BootNotificationResponse; interval defaults to the heartbeat (Accepted) or retry interval."""
        if interval is None:
            interval = (self.configured.heartbeat_interval if status == "Accepted"
                        else self.configured.boot_retry_interval)
        return {"currentTime": now_iso(), "interval": interval, "status": status}

    def is_booted(self) -> bool:
        """Connected, and the last BootNotification on this connection was answered Accepted."""
        conn = self.connection
        return conn is not None and not conn.closed.is_set() and self.endpoint.boot_status.get(conn.conn) == "Accepted"

    def connectors(self) -> list[tuple[int, int]]:
        """(evseId, connectorId) of every connector of the station, from the SUT settings."""
        return [(evse, c) for evse, count in enumerate(self.settings.station.connectors, start=1)
                for c in range(1, count + 1)]

    def expect_connector_status(self, status: str = "Available") -> list[CallExpectation]:
        """One StatusNotification expectation per connector (the station reports all after (re)connecting)."""
        return [self.expect("StatusNotification", {"evseId": e, "connectorId": c, "connectorStatus": status},
                            description=f"StatusNotification {status} for EVSE {e} connector {c}")
                for e, c in self.connectors()]

    def handshakes(self) -> list[Record]:
        return [r for r in self.transcript.records if r.event == "handshake"]


class CsmsEndpoint:
    """The harness's CSMS server for one station identity; routes each connection to the active conversation."""

    def __init__(self, settings: Settings, schemas: SchemaStore, password: str | None, *,
                 lobby_transcript: Path | None = None) -> None:
        self.settings = settings
        self.schemas = schemas
        self.identity = settings.station.identity
        self._password = password
        interval = settings.station.configured.heartbeat_interval
        self.lobby = Conversation(Transcript(lobby_transcript, name="between tests"), settings,
                                  lambda a, p: csms_default(a, p, heartbeat_interval=interval), profile=settings.station)
        self.active: Conversation = self.lobby
        endpoint = settings.station.endpoint
        self.server = OcppServer(self._on_connect, host=endpoint.host, port=endpoint.port,
                                 known=lambda identity: identity == self.identity,
                                 authenticate=self._authenticate if password is not None else None,
                                 on_handshake=self._on_handshake)
        self.connection: OcppConnection | None = None
        self.connection_count = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.boot_status: dict[int, str] = {}  # connection number -> status of the last BootNotification answer
        # Invariants over the station's whole session (a transaction outlives its connections).
        self.invariants = TransactionInvariants(clock_tolerance=settings.station.configured.max_time_deviation)
        self._reported: dict[int, set[tuple[int, int]]] = {}  # connection -> connectors reported since its boot

    def _authenticate(self, identity: str, password: str) -> bool:
        return password == self._password

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        if self.connection is not None and not self.connection.closed.is_set():
            await self.connection.close(1001, "harness stopping")
        await self.server.stop()
        self.lobby.transcript.close()

    def begin(self, transcript: Transcript, *, reporter: StepReporter | None = None,
              requirements: tuple[str, ...] = ()) -> CsmsRole:
        """Start a test's conversation; the live connection (if any) moves over to it."""
        role = CsmsRole(self, transcript, reporter=reporter, requirements=requirements)
        self.active = role
        if self.connection is not None and not self.connection.closed.is_set():
            role.attach(self.connection, take_calls=False)
            transcript.add(self.connection.conn, "event", event="resume",
                           detail={"note": "connection opened before this test"})
        return role

    def end(self, role: CsmsRole) -> None:
        """The test is over: the live connection goes back to the lobby (default answers)."""
        if self.active is role:
            self.active = self.lobby
            if self.connection is not None and not self.connection.closed.is_set():
                self.lobby.attach(self.connection, take_calls=False)
        role.transcript.close()

    async def _route(self, call: Call, record: Record) -> Mapping[str, Any] | CallError | None:
        """Answer through the active conversation, remembering how each BootNotification was answered."""
        answer = await self.active.on_call(call, record)
        conn = self.connection
        if conn is not None and conn.conn == record.conn:
            if call.action == "BootNotification" and isinstance(answer, Mapping):
                self.boot_status[conn.conn] = str(answer.get("status"))
                if answer.get("status") == "Accepted":
                    self._expect_connector_reports(conn)
            elif call.action == "StatusNotification" and conn.conn in self._reported:
                self._reported[conn.conn].add((int(call.payload["evseId"]), int(call.payload["connectorId"])))
        return answer

    def _expect_connector_reports(self, conn: OcppConnection) -> None:
        """ST-1: after an accepted boot every connector is reported within the timeout (judged at the deadline
        while the connection lives; into the conversation active at the boot, the lobby once that one ended)."""
        self._reported[conn.conn] = set()
        conv = self.active
        timing = self.settings.timing
        wanted = {(e, c) for e, count in enumerate(self.settings.station.connectors, start=1)
                  for c in range(1, count + 1)}

        def judge() -> None:
            reported = self._reported.pop(conn.conn, set())
            missing = sorted(wanted - reported)
            if not missing or conn.closed.is_set():
                return
            text = ", ".join(f"EVSE {e} connector {c}" for e, c in missing)
            target = conv if not conv.transcript.closed else self.lobby
            target.transcript.add(conn.conn, "event", event="monitor", detail={"rule": "ST-1"}, findings=[
                finding("ST-1", Severity.FAIL, f"no StatusNotification for {text} within "
                                               f"{timing.default_timeout:g} s of the accepted boot")])

        asyncio.get_running_loop().call_later(timing.default_timeout + timing.tolerance, judge)

    def _on_handshake(self, hs: Handshake) -> None:
        self.active.transcript.add(0, "event", event="handshake", detail=hs.to_json(), findings=hs.findings)

    async def _on_connect(self, ws: ServerSocket, hs: Handshake) -> None:
        conv = self.active
        conn = OcppConnection(ws, RpcSession(self.schemas, strictness=self.settings.strictness), conv.transcript,
                              self._route, identity=hs.identity, call_timeout=self.settings.timing.default_timeout,
                              inspect=self.invariants.inspect)
        self.invariants.connection_opened(conn.conn, datetime.now(UTC))
        previous = self.connection
        self.connection = conn
        self.connection_count += 1
        conv.transcript.add(conn.conn, "event", event="open", detail={"identity": hs.identity,
                                                                      "subprotocol": ws.subprotocol})
        if previous is not None and not previous.closed.is_set():
            # A station reconnecting while its old connection is open: keep the newest (Part 4 §3 practice).
            task = asyncio.create_task(previous.close(1000, "superseded by a new connection"))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        conv.attach(conn, take_calls=False)
        try:
            await conn.run()
        finally:
            self.active.detach(conn)
            if self.connection is conn:
                self.connection = None
