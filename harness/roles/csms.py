"""The harness acting as CSMS (the SUT is a Charging Station).

`CsmsEndpoint` is the WebSocket server, alive for the whole session so the station stays connected between
tests, as with the OCA test tool. Each test gets a `CsmsRole`: a conversation bound to the station's identity,
which takes over the live connection and every new one while the test runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from ssl import SSLContext
from typing import Any

from harness.config import Settings
from harness.errors import ConfigError
from harness.expect import Alternative, CallExpectation
from harness.failures import OcppFailure
from harness.matchers import ANY, AnyItem
from harness.ocppj import Call, CallError, RpcSession, SchemaStore
from harness.ocppj.defaults import csms_default, now_iso
from harness.ocppj.monitor import Monitor, connector_reports
from harness.pki import PkiFactory
from harness.profile import IdToken, SutProfile
from harness.roles.configuration import Contains, IfImplemented, IfWritable, StationConfiguration, Wanted
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
        # What this case read and wrote of the station's device model (restored when the case ends).
        self.configuration = StationConfiguration(self.call_ok, self.transcript.note)
        # TxCtrlr start/stop points as the station has them (None: not read yet; see `tx_points`)
        self.tx_start_points: tuple[str, ...] | None = None
        self.tx_stop_points: tuple[str, ...] | None = None
        self.transactions: dict[str, list[Record]] = {}  # transactionId -> its TransactionEvents in this test
        self.evse_transaction: dict[int, str] = {}  # EVSE id -> the transaction running on it
        self.authorized: dict[int, IdToken] = {}  # EVSE id -> the token the reusable state Authorized presented
        self._boot_default: tuple[str, int | None] | None = None  # see `answering_boot`
        self._token_answers: dict[str, dict[str, Any]] = {}  # idToken -> IdTokenInfo the case answers (block C)
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

    async def open_listener(self, security_profile: int, *, ssl: SSLContext | None = None) -> str:
        """A further listener of the harness CSMS at `security_profile` on another 127.0.0.1 port (e.g. the target
        of a SetNetworkProfile, A05); its URL. It serves this station like the main one; closed by
        `close_listener` or at the end of the session. `ssl`: another server TLS context than the run's (e.g.
        server certificates under a further CSMS root, `pki.server_context_under`)."""
        server = await self.endpoint.open_listener(security_profile, ssl=ssl)
        self.transcript.note(f"harness CSMS listens at security profile {security_profile} on {server.url}")
        return server.url

    async def close_listener(self, url: str) -> None:
        await self.endpoint.close_listener(url)

    async def reconnect(self, within: float | None = None) -> Record:
        """Close the live connection (1000) and wait for the station to connect again; the new handshake record."""
        conn = self.live()
        mark = len(self.transcript.records)
        await conn.close(1000, "harness CSMS closes the connection")
        self.back_off_timer(time.monotonic())
        handshake = await self.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101,
                                           after=mark, within=within, what="the station to connect again")
        await self.wait_record(lambda r: r.event == "open", after=handshake.seq, within=within,
                               what="the new connection to open")
        return handshake

    async def call_unless_closed(self, action: str, payload: Mapping[str, Any], *,
                                 within: float | None = None) -> Record | None:
        """Send a CALL; the record of the station's answer, or None when the station is not connected or closes the
        connection instead of answering (Part 6 sends some requests only to a station that stays connected, e.g.
        TC_B_30_CS). Silence still fails."""
        conn = self.connection
        if conn is None or conn.closed.is_set():
            return None
        try:
            return await self.call(action, payload, within=within)
        except OcppFailure:
            if conn.closed.is_set():
                return None
            raise

    async def probe_tls(self, context: SSLContext, what: str, within: float | None = None, *,
                        reconnect: Callable[[], Awaitable[None]] | None = None) -> Record:
        """Make the station's next TLS handshake a probe with `context` (a bad server certificate, TLS 1.1 only):
        close the live connection (or let `reconnect` make the station connect anew, e.g. a power cycle), wait for
        the station to try again, serve normally after. The probe is the TLS handshake alone, closed either way;
        its handshake record has `tls_failure` (with who refused and why) when it failed and `tls` when the
        station completed it."""
        mark = len(self.transcript.records)
        self.endpoint.server.tls_probe = context
        try:
            conn = self.endpoint.connection
            if reconnect is not None:
                await reconnect()
            elif conn is not None and not conn.closed.is_set():
                await conn.close(1000, f"harness CSMS: the next handshake is a TLS probe ({what})")
                self.back_off_timer(time.monotonic())
            return await self.wait_record(lambda r: r.event == "handshake" and bool(r.detail.get("probe")),
                                          after=mark, within=within or self.reconnect_wait(),
                                          what=f"the station to reconnect to {what}")
        finally:
            self.endpoint.server.tls_probe = None

    def reboot_wait(self) -> float:
        """How long a reboot may take, from the Reset or power cycle to the BootNotification: the profile's
        configured reboot time, plus the tolerance."""
        return self.configured.reboot_time + self.settings.timing.tolerance

    async def await_reconnect(self) -> None:
        """A station that is not connected (in back-off after an earlier case took it offline) is waited for, up
        to its configured back-off, so the case does not fail for what the one before did. Says what it waits
        for; returns either way (the caller decides what a still-missing station means)."""
        if self.connection is not None:
            return
        limit = self.reconnect_wait(self.configured.retry_back_off_repeat_times)
        self.say(f"waiting for {self.identity} on {self.url} (its back-off allows up to {limit:g} s)")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit):
                conn = await self.wait_connected(limit)
                while not self.is_booted() and not conn.closed.is_set():
                    await self.wait_record(lambda r: r.direction == "tx" and r.action == "BootNotification",
                                           what="its BootNotification to be answered", within=limit)

    async def ready(self) -> OcppConnection:
        """A station in back-off after an earlier case is waited for (up to its configured back-off), so a case
        that sends first does not fail for what the one before did (issue: one case's trouble stays inside it)."""
        if self.connection is None or self.connection.closed.is_set():
            await self.await_reconnect()
        return self.live()

    async def transaction_events(self, transaction: str, *, after: Record | None, until: Callable[[Record], bool],
                                 what: str, within: float | None = None) -> list[Record]:
        """The TransactionEvents of `transaction` after `after`, up to and including the first for which `until`
        holds (a reusable state's optional and required events, judged together afterwards)."""
        seen: list[Record] = []
        start = after.seq if after is not None else 0

        def wanted(record: Record) -> bool:
            if (record.direction != "rx" or record.action != "TransactionEvent" or record.seq <= start
                    or not isinstance(record.frame, Call)):
                return False
            if record.frame.payload.get("transactionInfo", {}).get("transactionId") != transaction:
                return False
            if record not in seen:
                seen.append(record)
            return until(record)

        await self.wait_record(wanted, what=what, after=start, within=within)
        return seen

    def reconnect_wait(self, attempts: int = 1) -> float:
        """How long the station may take to reconnect after `attempts` failed attempts in a row: its configured
        RetryBackOff wait, doubled per attempt (Part 4 §5.3), plus the random range and the timeout."""
        configured = self.configured
        doublings = min(attempts, configured.retry_back_off_repeat_times)
        wait = configured.retry_back_off_wait_minimum * (1 << doublings) + configured.retry_back_off_random_range
        return float(wait) + self.settings.timing.default_timeout

    @contextlib.contextmanager
    def answering_boot(self, status: str, interval: int | None = None) -> Iterator[None]:
        """While inside, a BootNotification that no expectation claims is answered `status` (not Accepted): a
        station that retries at its interval while the case is still busy with its Pending phase stays Pending."""
        previous, self._boot_default = self._boot_default, (status, interval)
        try:
            yield
        finally:
            self._boot_default = previous

    def _default(self, action: str, payload: dict[str, Any]) -> Mapping[str, Any] | None:
        if action == "BootNotification" and self._boot_default is not None:
            return self.boot_response(*self._boot_default)
        if action == "Authorize" or (action == "TransactionEvent" and "idToken" in payload):
            return {"idTokenInfo": self.id_token_info(payload["idToken"])}
        return csms_default(action, payload, heartbeat_interval=self.configured.heartbeat_interval)

    def id_token_info(self, id_token: Mapping[str, Any]) -> dict[str, Any]:
        """How the harness CSMS judges a token: as the case said (`answer_token`), else by the station profile's
        token list (unknown: status Unknown)."""
        given = self._token_answers.get(str(id_token.get("idToken")))
        return dict(given) if given is not None else self.tokens.info(id_token)

    def answer_token(self, token: IdToken, info: Mapping[str, Any] | None) -> None:
        """From now on in this case, every AuthorizeRequest and TransactionEventRequest naming `token` that no
        expectation answers gets idTokenInfo `info` (a table's "the OCTT responds … Invalid" for a token the
        profile calls valid); None: by the token list again."""
        if info is None:
            self._token_answers.pop(token.id_token, None)
        else:
            self._token_answers[token.id_token] = dict(info)

    async def configure(self, values: Mapping[str, Wanted]) -> dict[str, str | None]:
        """Part 6 "Configuration State" (see `harness.roles.configuration`): read, write what differs, restore at
        the end of the case; the values in force afterwards. TxCtrlr start/stop points are remembered for the
        reusable states, whether the case wrote them or the station kept its own."""
        shown = ", ".join(f"{k} = {_shown(v)}" for k, v in values.items())
        with self.step(f"Configuration state: {shown}"):
            result = await self.configuration.apply(values)
        self._points_from(result)
        return result

    async def read_variable(self, key: str) -> str | None:
        """The station's Actual value of one `Component.Variable[instance]` (None when not Accepted); read once per
        case, or known from what the case configured."""
        return (await self.configuration.read(key))[key]

    async def tx_points(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """TxCtrlr.TxStartPoint and TxStopPoint as the station has them (read at the first need in a case)."""
        if self.tx_start_points is None or self.tx_stop_points is None:
            self._points_from(await self.configuration.read("TxCtrlr.TxStartPoint", "TxCtrlr.TxStopPoint"))
        return self.tx_start_points or (), self.tx_stop_points or ()

    def _points_from(self, values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            if key == "TxCtrlr.TxStartPoint":
                self.tx_start_points = tuple(m for m in (value or "").split(",") if m)
            elif key == "TxCtrlr.TxStopPoint":
                self.tx_stop_points = tuple(m for m in (value or "").split(",") if m)

    async def restore_configuration(self) -> list[str]:
        """End of the case: put back every variable it changed (never raises: cleanup reports, it does not judge)."""
        if not self.configuration.originals:
            return []
        try:
            async with asyncio.timeout(self.settings.timing.default_timeout):
                await self.wait_booted_again()
                return await self.configuration.restore()
        except Exception as exc:  # reported in the case's transcript and report, never raised
            kept = ", ".join(f"{k} (was {v!r})" for k, v in self.configuration.originals.items())
            return [f"could not restore {kept}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"]

    async def wait_booted_again(self) -> None:
        """Until the station is connected and accepted (after a reboot the case caused), or the caller's deadline."""
        while not self.is_booted():
            await self.wait_record(lambda r: r.direction == "tx" and r.action == "BootNotification"
                                   and r.message_type == 3, what="the station to boot again",
                                   after=self.transcript.records[-1].seq if self.transcript.records else 0)

    def _track(self, record: Record) -> None:
        if record.direction != "rx" or record.action != "TransactionEvent" or not isinstance(record.frame, Call):
            return
        payload = record.frame.payload
        tx_id = str(payload.get("transactionInfo", {}).get("transactionId"))
        self.transactions.setdefault(tx_id, []).append(record)
        evse = payload.get("evse", {}).get("id")
        if isinstance(evse, int) and payload.get("eventType") != "Ended":
            self.evse_transaction[evse] = tx_id
        on = evse if isinstance(evse, int) else next((k for k, v in self.evse_transaction.items() if v == tx_id), None)
        token = payload.get("idToken")
        if on is not None and payload.get("triggerReason") in ("Authorized", "RemoteStart") and isinstance(token, dict):
            # the driver is authorized, however the case got there (a reusable state, or the case's own steps);
            # a token that is not one (a schema-invalid frame) is the monitor's finding, not a crash here
            with contextlib.suppress(ValueError):
                self.authorized.setdefault(on, IdToken.model_validate({"idToken": token.get("idToken", ""),
                                                                       "type": token.get("type", "ISO14443")}))
        if payload.get("eventType") == "Ended":
            for key in [k for k, v in self.evse_transaction.items() if v == tx_id]:
                del self.evse_transaction[key]
                self.authorized.pop(key, None)

    async def go_offline(self, *, refuse: int | None = None) -> None:
        """Take the station offline the way Part 6 does (see CsmsEndpoint.go_offline)."""
        await self.endpoint.go_offline(refuse=refuse)

    def go_online(self, *, reconnect_awaited: bool = True) -> None:
        """Accept reconnects again. The station's back-off (RetryBackOffWaitMinimum, from the close) is a required
        wait of the reconnect the case then waits for, when this case read or wrote the value in force (the
        profile's <Configured> value need not be the station's; unknown, nothing is declared: a lower bound).
        `reconnect_awaited=False`: a cleanup that does not wait for the reconnect."""
        closed_at = self.endpoint.offline_since
        self.endpoint.go_online()
        if reconnect_awaited and closed_at is not None:
            self.back_off_timer(closed_at)

    def back_off_timer(self, since: float, *, doublings: int = 0) -> None:
        """Declare the station's back-off before its next reconnect attempt (`sut_timer`): RetryBackOffWaitMinimum
        from `since` (a close, a refused attempt), doubled `doublings` times up to RetryBackOffRepeatTimes, when
        this case read or wrote the values in force (the profile's <Configured> value need not be the station's;
        unknown, nothing is declared: the required wait stays a lower bound)."""
        known = self.configuration.known
        minimum = known.get("OCPPCommCtrlr.RetryBackOffWaitMinimum")
        repeat = known.get("OCPPCommCtrlr.RetryBackOffRepeatTimes") if doublings else "0"
        if minimum is None or not minimum.isdigit() or repeat is None or not repeat.isdigit():
            return
        times = 2 ** min(doublings, int(repeat))
        self.sut_timer(int(minimum) * times, "the station's back-off before it reconnects (RetryBackOffWaitMinimum"
                       + (f" × {times})" if times > 1 else ")"), since=since)

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
        """Connected, and the station's last BootNotification was answered Accepted (on this connection or an
        earlier one: a station reconnecting after a connection loss stays accepted without booting again)."""
        conn = self.connection
        return conn is not None and not conn.closed.is_set() and self.endpoint.accepted

    def connectors(self) -> list[tuple[int, int]]:
        """(evseId, connectorId) of every connector of the station, from the SUT settings."""
        return [(evse, c) for evse, count in enumerate(self.settings.station.connectors, start=1)
                for c in range(1, count + 1)]

    def expect_connector_status(self, status: str = "Available", *, after: Record | None = None,
                                evse: int | None = None, wide: bool = False,
                                levels: tuple[str, ...] | None = None) -> list[CallExpectation]:
        """One connector-state expectation per connector (of `evse`, or of the station): Part 6's "the Charging
        Station notifies the CSMS about the state of its connectors" (after a boot, every connector)."""
        return [self.expect_status(e, c, status, after=after, wide=wide, levels=levels) for e, c in self.connectors()
                if evse is None or e == evse]

    def expect_status(self, evse: int, connector: int, status: str | None, *, after: Record | None = None,
                      wide: bool = False, levels: tuple[str, ...] | None = None) -> CallExpectation:
        """The station reports `status` for one connector, as Part 6's tool validations accept it:
        StatusNotificationRequest, or NotifyEventRequest with an AvailabilityState Delta event of that Connector
        (`wide`: also of its EVSE or of the whole ChargingStation, as reusable state Unavailable allows; `levels`:
        exactly the components a table names, e.g. ("EVSE", "Connector")). `status` None: any state. Shared:
        one NotifyEvent may report several connectors, and the CALL stays the default responder's."""
        state = ANY if status is None else status
        return self.expect("StatusNotification", {"evseId": evse, "connectorId": connector, "connectorStatus": state},
                           alternatives=availability_events(evse, connector, state, wide=wide, levels=levels),
                           shared=True, after=after,
                           description=f"connector {status or 'state'} for EVSE {evse} connector {connector} "
                                       "(StatusNotification or NotifyEvent AvailabilityState)")

    async def receive_status(self, evse: int, connector: int, status: str, *, after: Record | None = None,
                             within: float | None = None, wide: bool = False) -> Record:
        """Wait for the station to report `status` for one connector (see `expect_status`)."""
        return await self.received(self.expect_status(evse, connector, status, after=after, wide=wide), within)

    def session_connector_states(self) -> dict[tuple[int, int], str]:
        """The last state the station reported for each connector in the whole session (this case and those
        before it): what the Test System knows of the connectors (Part 6 post-scenario validations)."""
        return dict(self.endpoint.connector_states)

    def connector_state(self, evse: int, connector: int) -> str | None:
        """The last state this test saw reported for one connector (StatusNotification or NotifyEvent)."""
        state = None
        for record in self.transcript.records:
            if record.direction == "rx" and isinstance(record.frame, Call):
                for e, c, status in connector_reports(record.frame.action, record.frame.payload):
                    if (e, c) == (evse, connector):
                        state = status
        return state

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
        self._tolerated: frozenset[str] = frozenset()  # further passwords a cleanup accepts (tolerate_passwords)
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
        self.accepted = False  # the station's last BootNotification, on any connection, was answered Accepted
        self._offline = False  # refusing reconnects until go_online()
        self._refuse_left: int | None = None  # refusing this many more reconnects
        self.offline_since: float | None = None  # monotonic time go_offline() closed the connection
        # The monitor of the station's whole session: every connection's rules, and the transaction invariants
        # (a transaction outlives its connections).
        self.monitor = Monitor(schemas, strictness=settings.strictness, transactions=True,
                               clock_tolerance=settings.station.configured.max_time_deviation)
        # every SecurityEventNotification of the session, whichever case saw it (its security log holds them, N01)
        self.security_events: list[dict[str, Any]] = []
        # (evseId, connectorId) -> the last state the station reported for it in the session, whichever case saw it
        self.connector_states: dict[tuple[int, int], str] = {}

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
            self.offline_since = time.monotonic()
            await conn.close(1000, "harness CSMS going offline")

    def go_online(self) -> None:
        """Accept reconnects again."""
        self._offline, self._refuse_left, self.offline_since = False, None, None
        self.active.transcript.note("harness CSMS accepts reconnects again")

    def _authenticate(self, identity: str, password: str) -> bool:
        return password == self._password or password in self._tolerated

    def tolerate_passwords(self, *passwords: str) -> None:
        """Also accept these passwords until called again (empty: none): a cleanup that does not know which
        password the station holds after a failed BasicAuthPassword change lets it back in with either."""
        self._tolerated = frozenset(passwords)

    def _authenticate_any(self, identity: str, password: str) -> bool:
        """Basic Auth on a further listener: the current password, also when the main listener needs none (3)."""
        return password == (self._password if self._password is not None else self._station_password) \
            or password in self._tolerated

    def use_password(self, password: str) -> None:
        """From now on the station authenticates with `password` (A01: the CSMS set a new BasicAuthPassword)."""
        if self._password is not None:
            self._password = password

    async def start(self) -> None:
        await self.server.start()

    async def open_listener(self, security_profile: int, *, ssl: SSLContext | None = None) -> OcppServer:
        """Another server for the same station at `security_profile`: ws:// (1), wss:// with the run PKI's server
        certificate (2; or the `ssl` context given), and the station certificate required (3); Basic Auth with
        the current password below 3."""
        if security_profile >= 2 and self.pki is None and ssl is None:
            raise ConfigError(f"a listener at security profile {security_profile} needs the run's PKI")
        if ssl is None and self.pki is not None and security_profile >= 2:
            ssl = self.pki.server_context(security_profile)
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
        # the monitor's knowledge of the station's transactions so far: a transcript begins mid-session, and
        # `ocpp-harness validate` starts from this to judge TX-1..TX-4 as the live monitor did
        invariants = self.monitor.invariants
        transcript.add(0, "event", event="monitor_state",
                       detail={"transactions": invariants.state() if invariants is not None else {}})
        if self.connection is not None and not self.connection.closed.is_set():
            role.attach(self.connection, take_calls=False)
            transcript.add(self.connection.conn, "event", event="resume",
                           detail={"note": "connection opened before this test",
                                   "opened_at": self.connection.opened_at.isoformat(),
                                   "clock_tolerance": self.settings.station.configured.max_time_deviation})
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
        for evse, connector, state in connector_reports(call.action, call.payload):
            self.connector_states[(evse, connector)] = state
        conn = self.connection
        if conn is not None and conn.conn == record.conn:
            if call.action == "BootNotification" and isinstance(answer, Mapping):
                self.boot_status[conn.conn] = str(answer.get("status"))
                self.accepted = answer.get("status") == "Accepted"
                if answer.get("status") == "Accepted":
                    self._expect_connector_reports(conn)
            elif call.action == "SecurityEventNotification":
                self.security_events.append(dict(call.payload))
        return answer

    def _expect_connector_reports(self, conn: OcppConnection) -> None:
        """ST-1: after an accepted boot every connector is reported within the timeout. The monitor collects the
        reports; at the deadline, while the connection lives, its judgement is recorded (findings or none, so
        `validate` judges again at the same point) into the conversation active at the boot, the lobby once that
        one ended."""
        self.monitor.boot_accepted(conn.conn)
        conv = self.active
        timing = self.settings.timing
        wanted = [(e, c) for e, count in enumerate(self.settings.station.connectors, start=1)
                  for c in range(1, count + 1)]

        def judge() -> None:
            found = self.monitor.connectors_reported(conn.conn, wanted, timing.default_timeout)
            if found is None or conn.closed.is_set():
                return
            target = conv if not conv.transcript.closed else self.lobby
            target.transcript.add(conn.conn, "event", event="monitor", findings=found, detail={
                "rule": "ST-1", "wanted": [list(w) for w in wanted], "within": timing.default_timeout})

        asyncio.get_running_loop().call_later(timing.default_timeout + timing.tolerance, judge)

    def _on_handshake(self, hs: Handshake) -> None:
        self.active.transcript.add(0, "event", event="handshake", detail=hs.to_json(), findings=hs.findings)

    async def _on_connect(self, ws: ServerSocket, hs: Handshake) -> None:
        conv = self.active
        conn = OcppConnection(ws, RpcSession(self.schemas, strictness=self.settings.strictness), conv.transcript,
                              self._route, identity=hs.identity, call_timeout=self.settings.timing.default_timeout,
                              monitor=self.monitor, peer_timeout=_peer_timeout(self.settings.station,
                                                                                          self.settings))
        previous = self.connection
        self.connection = conn
        self.connection_count += 1
        conv.transcript.add(conn.conn, "event", event="open", detail={"identity": hs.identity,
                                                                      "subprotocol": ws.subprotocol,
                                                                      "opened_at": conn.opened_at.isoformat(),
                                                                      "clock_tolerance": self.settings.station
                                                                      .configured.max_time_deviation})
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


def availability_events(evse: int, connector: int, status: Any, *, wide: bool = False,
                        levels: tuple[str, ...] | None = None) -> tuple[Alternative, ...]:
    """NotifyEvent alternatives to a StatusNotification: an AvailabilityState Delta event with `status` for the
    Connector (and, `wide`, for its EVSE or the ChargingStation; `levels`: exactly these components), in any
    entry of eventData."""
    named: dict[str, dict[str, Any]] = {
        "Connector": {"name": "Connector", "evse": {"id": evse, "connectorId": connector}},
        "EVSE": {"name": "EVSE", "evse": {"id": evse}}, "ChargingStation": {"name": "ChargingStation"}}
    chosen = levels if levels is not None else ("Connector", "EVSE", "ChargingStation") if wide else ("Connector",)
    components: list[dict[str, Any]] = [named[level] for level in chosen]
    return tuple(("NotifyEvent", {"eventData": AnyItem({"trigger": "Delta", "actualValue": status, "component": c,
                                                          "variable": {"name": "AvailabilityState"}})})
                 for c in components)


def _shown(value: Wanted) -> str:
    """A configuration value as a step title shows it."""
    if isinstance(value, IfImplemented):
        return f"{_shown(value.value)} (if implemented)"
    if isinstance(value, IfWritable):
        return f"{_shown(value.value)} (if ReadWrite)"
    if isinstance(value, Contains):
        return f"contains {value.member}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _peer_timeout(profile: SutProfile, settings: Settings) -> float:
    """When the SUT may give up on a CALL the harness leaves unanswered: its configured MessageTimeout, less the
    timing tolerance (its clock starts when it sends, ours when the frame arrives)."""
    return max(0.0, profile.configured.message_timeout - settings.timing.tolerance)
