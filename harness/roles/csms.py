"""The harness acting as CSMS (the SUT is a Charging Station).

`CsmsEndpoint` is the WebSocket server, alive for the whole session so the station stays connected between
tests, as with the OCA test tool. Each test gets a `CsmsRole`: a conversation bound to the station's identity,
which takes over the live connection and every new one while the test runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from ssl import SSLContext
from typing import Any

from harness.config import Settings
from harness.errors import ConfigError
from harness.expect import CallExpectation
from harness.ocppj import Call, CallError, RpcSession, SchemaStore, Severity
from harness.ocppj.defaults import csms_default, now_iso
from harness.ocppj.findings import finding
from harness.ocppj.invariants import TransactionInvariants
from harness.pki import PkiFactory
from harness.profile import SutProfile
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
        # TxCtrlr start/stop points as this test configured them (the reusable states follow them).
        self.tx_start_points: tuple[str, ...] = ()
        self.tx_stop_points: tuple[str, ...] = ()
        self.transactions: dict[str, list[Record]] = {}  # transactionId -> its TransactionEvents in this test
        self.evse_transaction: dict[int, str] = {}  # EVSE id -> the transaction running on it
        transcript.subscribe(self._track)

    @property
    def url(self) -> str:
        """Where the station connects (without its identity)."""
        return self.endpoint.server.url

    @property
    def pki(self) -> PkiFactory:
        """The run's PKI: the CSMS root, the CA that signs the station's CSRs, further CAs to install."""
        if self.endpoint.pki is None:
            raise self.failure("no PKI in this run", message="the harness CSMS was started without its PKI")
        return self.endpoint.pki

    @property
    def serial_number(self) -> str | None:
        """The station's serial number from its profile: the CN of its certificate."""
        return self.settings.station.serial_number

    async def open_listener(self, security_profile: int) -> str:
        """A further listener of the harness CSMS at `security_profile` on another 127.0.0.1 port (e.g. the target
        of a SetNetworkProfile, A05); its URL. It serves this station like the main one; closed by
        `close_listener` or at the end of the session."""
        server = await self.endpoint.open_listener(security_profile)
        self.transcript.note(f"harness CSMS listens at security profile {security_profile} on {server.url}")
        return server.url

    async def close_listener(self, url: str) -> None:
        await self.endpoint.close_listener(url)

    async def reconnect(self, within: float | None = None) -> Record:
        """Close the live connection (1000) and wait for the station to connect again; the new handshake record."""
        conn = self.live()
        mark = len(self.transcript.records)
        await conn.close(1000, "harness CSMS closes the connection")
        handshake = await self.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101,
                                           after=mark, within=within, what="the station to connect again")
        await self.wait_record(lambda r: r.event == "open", after=handshake.seq, within=within,
                               what="the new connection to open")
        return handshake

    async def probe_tls(self, context: SSLContext, what: str, within: float | None = None) -> Record:
        """Make the station's next TLS handshake a probe with `context` (a bad server certificate, TLS 1.1 only):
        close the live connection, wait for the station to try again, serve normally after. The probe is the TLS
        handshake alone, closed either way; its handshake record has `tls_failure` (with who refused and why)
        when it failed and `tls` when the station completed it."""
        mark = len(self.transcript.records)
        self.endpoint.server.tls_probe = context
        try:
            conn = self.endpoint.connection
            if conn is not None and not conn.closed.is_set():
                await conn.close(1000, f"harness CSMS: the next handshake is a TLS probe ({what})")
            return await self.wait_record(lambda r: r.event == "handshake" and bool(r.detail.get("probe")),
                                          after=mark, within=within or self.reconnect_wait(),
                                          what=f"the station to reconnect to {what}")
        finally:
            self.endpoint.server.tls_probe = None

    def reconnect_wait(self, attempts: int = 1) -> float:
        """How long the station may take to reconnect after `attempts` failed attempts in a row: its configured
        RetryBackOff wait, doubled per attempt (Part 4 §5.3), plus the random range and the timeout."""
        configured = self.configured
        doublings = min(attempts, configured.retry_back_off_repeat_times)
        wait = configured.retry_back_off_wait_minimum * (1 << doublings) + configured.retry_back_off_random_range
        return float(wait) + self.settings.timing.default_timeout

    def _default(self, action: str, payload: dict[str, Any]) -> Mapping[str, Any] | None:
        if action == "Authorize" or (action == "TransactionEvent" and "idToken" in payload):
            return {"idTokenInfo": self.id_token_info(payload["idToken"])}
        return csms_default(action, payload, heartbeat_interval=self.configured.heartbeat_interval)

    def id_token_info(self, id_token: Mapping[str, Any]) -> dict[str, Any]:
        """How the harness CSMS judges a token: by the station profile's token list (unknown: status Unknown)."""
        return self.tokens.info(id_token)

    async def configure(self, values: Mapping[str, str | int | bool]) -> None:
        """Part 6 "Configuration State": SetVariables for `Component.Variable` (or `Component.Variable[instance]`)
        keys; every one must be Accepted. TxCtrlr start/stop points are remembered for the reusable states."""
        data = [{**_variable_ref(key), "attributeValue": str(value).lower() if isinstance(value, bool) else str(value)}
                for key, value in values.items()]
        with self.step("Configuration state: " + ", ".join(f"{k} = {v}" for k, v in values.items())):
            answer = await self.call_ok("SetVariables", {"setVariableData": data})
            refused = [r for r in answer.get("setVariableResult", []) if r.get("attributeStatus") != "Accepted"]
            if refused:
                raise self.failure("the station did not accept the configuration the test case needs",
                                   message="\n".join(f"{r['component']['name']}.{r['variable']['name']}: "
                                                     f"{r.get('attributeStatus')}" for r in refused),
                                   rules=("SEQ",))
        for key, value in values.items():
            if key == "TxCtrlr.TxStartPoint":
                self.tx_start_points = tuple(str(value).split(","))
            elif key == "TxCtrlr.TxStopPoint":
                self.tx_stop_points = tuple(str(value).split(","))

    async def read_variable(self, key: str) -> str | None:
        """GetVariables for one `Component.Variable[instance]`: its Actual value, None when not Accepted."""
        answer = await self.call_ok("GetVariables", {"getVariableData": [_variable_ref(key)]})
        results = answer.get("getVariableResult") or [{}]
        value = results[0].get("attributeValue")
        return str(value) if results[0].get("attributeStatus") == "Accepted" and value is not None else None

    def _track(self, record: Record) -> None:
        if record.direction != "rx" or record.action != "TransactionEvent" or not isinstance(record.frame, Call):
            return
        payload = record.frame.payload
        tx_id = str(payload.get("transactionInfo", {}).get("transactionId"))
        self.transactions.setdefault(tx_id, []).append(record)
        evse = payload.get("evse", {}).get("id")
        if isinstance(evse, int) and payload.get("eventType") != "Ended":
            self.evse_transaction[evse] = tx_id
        if payload.get("eventType") == "Ended":
            for key in [k for k, v in self.evse_transaction.items() if v == tx_id]:
                del self.evse_transaction[key]

    async def go_offline(self, *, refuse: int | None = None) -> None:
        """Take the station offline the way Part 6 does (see CsmsEndpoint.go_offline)."""
        await self.endpoint.go_offline(refuse=refuse)

    def go_online(self) -> None:
        self.endpoint.go_online()

    def transaction_on(self, evse: int) -> str | None:
        """The id of the transaction running on `evse` (seen in this test), if any."""
        return self.evse_transaction.get(evse)

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
                 lobby_transcript: Path | None = None, pki: PkiFactory | None = None) -> None:
        self.settings = settings
        self.schemas = schemas
        self.identity = settings.station.identity
        self.pki = pki
        # Security profile 3 authenticates the station by its certificate alone: no Basic Auth (A00.FR.402).
        self.security_profile = settings.station.security.profile
        self._password = password if self.security_profile < 3 else None
        self._station_password = password  # for a listener below profile 3 when the main one is at 3
        interval = settings.station.configured.heartbeat_interval
        self.lobby = Conversation(Transcript(lobby_transcript, name="between tests"), settings,
                                  lambda a, p: csms_default(a, p, heartbeat_interval=interval), profile=settings.station)
        self.active: Conversation = self.lobby
        self.server = self._new_server(settings.station.endpoint.port, _server_tls(settings, pki),
                                       self._authenticate if self._password is not None else None, self._on_handshake)
        self.listeners: dict[str, OcppServer] = {}  # further listeners a test opened (URL -> server)
        self.connection: OcppConnection | None = None
        self.connection_count = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.boot_status: dict[int, str] = {}  # connection number -> status of the last BootNotification answer
        self._offline = False  # refusing reconnects until go_online()
        self._refuse_left: int | None = None  # refusing this many more reconnects
        # Invariants over the station's whole session (a transaction outlives its connections).
        self.invariants = TransactionInvariants(clock_tolerance=settings.station.configured.max_time_deviation)
        self._reported: dict[int, set[tuple[int, int]]] = {}  # connection -> connectors reported since its boot
        # every SecurityEventNotification of the session, whichever case saw it (its security log holds them, N01)
        self.security_events: list[dict[str, Any]] = []

    def _admits(self, identity: str) -> bool:
        """Whether a handshake may go on: the known identity, and not inside an offline window (refused: 404)."""
        if identity != self.identity:
            return False
        if self._refuse_left is not None and self._refuse_left > 0:
            self._refuse_left -= 1
            if self._refuse_left == 0:
                self._refuse_left = None
            return False
        return not self._offline

    async def go_offline(self, *, refuse: int | None = None) -> None:
        """Part 6: "The OCTT closes the WebSocket connection and does not accept a reconnect": close the live
        connection and refuse every reconnect until `go_online()` (or only the next `refuse` attempts)."""
        if refuse is None:
            self._offline = True
        else:
            self._refuse_left = refuse
        conn = self.connection
        self.active.transcript.note("harness CSMS goes offline" + (f" (refusing {refuse} reconnect(s))"
                                                                   if refuse is not None else ""))
        if conn is not None and not conn.closed.is_set():
            await conn.close(1000, "harness CSMS going offline")

    def go_online(self) -> None:
        """Accept reconnects again."""
        self._offline, self._refuse_left = False, None
        self.active.transcript.note("harness CSMS accepts reconnects again")

    def _authenticate(self, identity: str, password: str) -> bool:
        return password == self._password

    def _authenticate_any(self, identity: str, password: str) -> bool:
        """Basic Auth on a further listener: the current password, also when the main listener needs none (3)."""
        return password == (self._password if self._password is not None else self._station_password)

    def use_password(self, password: str) -> None:
        """From now on the station authenticates with `password` (A01: the CSMS set a new BasicAuthPassword)."""
        if self._password is not None:
            self._password = password

    async def start(self) -> None:
        await self.server.start()

    async def open_listener(self, security_profile: int) -> OcppServer:
        """Another server for the same station at `security_profile`: ws:// (1), wss:// with the run PKI's server
        certificate (2), and the station certificate required (3); Basic Auth with the current password below 3."""
        if security_profile >= 2 and self.pki is None:
            raise ConfigError(f"a listener at security profile {security_profile} needs the run's PKI")
        ssl = self.pki.server_context(security_profile) if self.pki is not None and security_profile >= 2 else None
        where: list[str] = []  # the URL, known once the server listens; the handshakes on it name it

        def on_handshake(hs: Handshake) -> None:
            self.active.transcript.add(0, "event", event="handshake", detail={**hs.to_json(), "listener": where[0]},
                                       findings=hs.findings)

        server = self._new_server(0, ssl, self._authenticate_any if security_profile < 3 else None, on_handshake)
        await server.start()
        where.append(server.url)
        self.listeners[server.url] = server
        return server

    def _new_server(self, port: int, ssl: SSLContext | None, authenticate: Callable[[str, str], bool] | None,
                    on_handshake: Callable[[Handshake], None]) -> OcppServer:
        """A listener for the station under test on the profile's host: the main one, or a further one."""
        return OcppServer(self._on_connect, host=self.settings.station.endpoint.host, port=port, known=self._admits,
                          authenticate=authenticate, on_handshake=on_handshake, ssl=ssl,
                          serial_number=lambda identity: self.settings.station.serial_number or identity,
                          tls_handshake_timeout=self.settings.timing.default_timeout)

    async def close_listener(self, url: str) -> None:
        server = self.listeners.pop(url, None)
        if server is not None:
            await server.stop()

    async def stop(self) -> None:
        if self.connection is not None and not self.connection.closed.is_set():
            await self.connection.close(1001, "harness stopping")
        for url in list(self.listeners):
            await self.close_listener(url)
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
        """The test is over: the live connection goes back to the lobby (default answers); an offline window the
        test left open closes, so the next test finds the station able to connect."""
        if self._offline or self._refuse_left is not None:
            self.go_online()
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
            elif call.action == "SecurityEventNotification":
                self.security_events.append(dict(call.payload))
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
                              inspect=self.invariants.inspect, peer_timeout=_peer_timeout(self.settings.station,
                                                                                          self.settings))
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


def _server_tls(settings: Settings, pki: PkiFactory | None) -> SSLContext | None:
    """wss:// under security profile 2 (server certificate) and 3 (and the station's certificate, CN = its serial
    number); plain ws:// under profile 1."""
    profile = settings.station.security.profile
    if profile < 2:
        return None
    if pki is None:
        raise ConfigError(f"the station profile asks for security profile {profile}: the harness CSMS needs the "
                          "run's PKI (PkiFactory) for its server certificate")
    return pki.server_context(profile)


def _variable_ref(key: str) -> dict[str, Any]:
    """`Component.Variable` or `Component.Variable[instance]` as the component / variable of a request."""
    component, _, variable = key.partition(".")
    name, _, instance = variable.partition("[")
    ref: dict[str, Any] = {"component": {"name": component}, "variable": {"name": name}}
    if instance:
        ref["variable"]["instance"] = instance.rstrip("]")
    return ref


def _peer_timeout(profile: SutProfile, settings: Settings) -> float:
    """When the SUT may give up on a CALL the harness leaves unanswered: its configured MessageTimeout, less the
    timing tolerance (its clock starts when it sends, ours when the frame arrives)."""
    return max(0.0, profile.configured.message_timeout - settings.timing.tolerance)
