"""The harness acting as a Charging Station (the SUT is a CSMS).

Each test gets a `StationRole`: it opens its own connections (a test may open several, or set the handshake up
wrong on purpose), sends the station's messages and answers the CSMS's requests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from ssl import SSLContext, TLSVersion
from typing import Any

from harness.config import Settings
from harness.errors import ConfigError, TransportSetupError
from harness.ocppj import RpcSession, SchemaStore
from harness.ocppj.defaults import now_iso, station_default
from harness.ocppj.monitor import refusal_findings
from harness.pki import PkiFactory
from harness.profile import IdToken
from harness.roles.conversation import Conversation, StepReporter
from harness.transcript import Record, Transcript
from harness.transport import ClientOptions, HandshakeRefused, OcppConnection, TlsRefused, connect, opening_json
from harness.transport.client import station_url
from harness.transport.tls import TlsSession, client_context

STATION_INFO = {"model": "OCPP-Harness", "vendorName": "OpenOCPPHarness", "serialNumber": "HARNESS-SN-0001",
                "firmwareVersion": "0.1.0"}


class StationRole(Conversation):
    """One test's conversation with the CSMS under test."""

    def __init__(self, settings: Settings, schemas: SchemaStore, transcript: Transcript, *, csms_url: str,
                 password: str | None, evses: list[int] | None = None, reporter: StepReporter | None = None,
                 requirements: tuple[str, ...] = (), pki: PkiFactory | None = None) -> None:
        super().__init__(transcript, settings, self._default, profile=settings.csms, reporter=reporter,
                         requirements=requirements)
        self.schemas = schemas
        self.csms_url = csms_url
        self.identity = settings.csms.identity
        self.serial_number = settings.csms.serial_number or STATION_INFO["serialNumber"]
        self.security_profile = settings.csms.security.profile
        # Security profile 3 authenticates the station by its certificate alone: no Basic Auth (A00.FR.402).
        self.password = password if self.security_profile < 3 else None
        self.evses = evses if evses is not None else [1]
        self._tasks: set[asyncio.Task[None]] = set()
        self._tls: SSLContext | None = None
        self.pki = pki  # the run's PKI: the CSMS root it trusts, its CSRs' keys (A02)
        if self.security_profile >= 2:
            if pki is None:
                raise ConfigError(f"the CSMS profile asks for security profile {self.security_profile}: the "
                                  "harness's station needs the run's PKI (PkiFactory) for its TLS context")
            self._tls = pki.client_context(self.security_profile, self.serial_number)

    def _default(self, action: str, payload: dict[str, Any]) -> Mapping[str, Any] | None:
        return station_default(action, payload)

    def options(self, **overrides: Any) -> ClientOptions:
        """Client options of a well-behaved station; a test overrides what it sets wrong on purpose."""
        values: dict[str, Any] = {"password": self.password, "open_timeout": self.settings.timing.default_timeout}
        if self._tls is not None:
            values.update(ssl=self._tls, on_tls=self._record_tls)
        values.update(overrides)
        return ClientOptions(**values)

    def options_at(self, security_profile: int, **overrides: Any) -> ClientOptions:
        """Client options of a well-behaved station at another security profile than its own (A05: the profile a
        SetNetworkProfile upgraded it to): TLS from 2 on, the station certificate and no Basic Auth at 3."""
        values: dict[str, Any] = {"password": self.password if security_profile < 3 else None,
                                  "open_timeout": self.settings.timing.default_timeout}
        if security_profile >= 2:
            if self.pki is None:
                raise ConfigError(f"security profile {security_profile} needs the run's PKI (PkiFactory)")
            values.update(ssl=self.pki.client_context(security_profile, self.serial_number), on_tls=self._record_tls)
        values.update(overrides)
        return ClientOptions(**values)

    def options_with_certificate(self, chain_pem: str, key_path: Path, **overrides: Any) -> ClientOptions:
        """Client options at security profile 3 presenting another station certificate than the run's own: the
        one a CSMS signed for the key of `key_path` (A02, RenewChargingStationCertificate), CN = serial number."""
        if self.pki is None:
            raise ConfigError("a station certificate needs the run's PKI (PkiFactory)")
        chain_path = key_path.with_name(key_path.name.replace(".key.pem", "") + ".signed-chain.pem")
        chain_path.write_text(chain_pem)
        context = client_context(self.pki.csms_trust_path, certificate=(chain_path, key_path))
        values: dict[str, Any] = {"password": None, "open_timeout": self.settings.timing.default_timeout,
                                  "ssl": context, "on_tls": self._record_tls}
        values.update(overrides)
        return ClientOptions(**values)

    def options_with_suite(self, suite: str) -> ClientOptions:
        """Client options offering one TLS 1.2 cipher suite alone (OpenSSL name): whether the CSMS agrees it
        (A00.FR.318: a CSMS supports all four suites it names)."""
        if self.pki is None or self.security_profile < 2:
            raise ConfigError("a cipher suite probe needs TLS (security profile 2 or 3) and the run's PKI")
        certificate = None
        if self.security_profile == 3:
            own = self.pki.station(self.serial_number)
            certificate = (own.cert_path, own.key_path)
        context = client_context(self.pki.csms_trust_path, certificate=certificate, suites=(suite,),
                                 maximum=TLSVersion.TLSv1_2)
        return ClientOptions(password=self.password, open_timeout=self.settings.timing.default_timeout, ssl=context)

    def _record_tls(self, session: TlsSession) -> None:
        """The judged TLS session of a connection just opened (security profiles 2 and 3), with its findings."""
        self.transcript.add(0, "event", event="tls", detail={"peer": "csms", **session.to_json()},
                            findings=list(session.findings))

    async def connect(self, options: ClientOptions | None = None, *, identity: str | None = None,
                      url: str | None = None) -> OcppConnection:
        """Open a connection (to `url`, by default the CSMS's); an OcppFailure when the CSMS refuses it."""
        result = await self.try_connect(options, identity=identity, url=url)
        if isinstance(result, TlsRefused):
            rules = tuple(sorted({f.rule for f in result.findings})) or ("SEC-2",)
            judged = "\n".join(f.one_line() for f in result.findings)
            raise self.failure("the TLS handshake with the CSMS failed" if result.findings else
                               "the CSMS refused the TLS handshake of a valid station", actual=str(result),
                               message=judged or result.failure.reason, rules=rules)
        if isinstance(result, HandshakeRefused):
            if result.status in (401, 403) or result.status is None:
                raise self.failure("the CSMS refused the connection of a valid station", actual=str(result),
                                   rules=("RPC-03",) if result.status is None else ("SEC-5",))
            # Not an authentication refusal: say what it is (a wrong path is the usual cause, not the password).
            raise self.failure(f"the CSMS answered HTTP {result.status} {result.reason} to the opening handshake of a "
                               "valid station (not an authentication refusal)", actual=str(result), rules=("RPC-01",),
                               message=f"URL {station_url(url or self.csms_url, identity or self.identity)}; if the "
                                       "CSMS expects the identity elsewhere in its path, write `{identity}` there in "
                                       "the profile's endpoint.url")
        return result

    async def try_connect(self, options: ClientOptions | None = None, *, identity: str | None = None,
                          url: str | None = None, refusal_expected: bool = False) -> OcppConnection | HandshakeRefused:
        """Open a connection, or return how the CSMS refused it (the refusal is recorded too).

        `refusal_expected`: the test wants this attempt refused, so a CSMS that closes the connection without any
        HTTP answer has refused it (a warning: RFC 6455 §4.2.2 asks for an HTTP error status), not broken the
        handshake."""
        opts = options or self.options()
        ident = self.identity if identity is None else identity  # "" on purpose: a URL with no identity (RPC-02)
        detail = {"identity": ident, "offered": list(opts.subprotocols),
                  "auth_user": (ident if opts.username is None else opts.username) if opts.password else None,
                  **({"url": url} if url else {})}
        try:
            ws = await connect(url or self.csms_url, ident, opts)
        except TlsRefused as refused:  # the TLS handshake failed: who refused and why, judged
            self.transcript.add(0, "event", event="refused", detail={**detail, "status": refused.status,
                                                                     "reason": refused.reason,
                                                                     "tls_failure": refused.failure.to_json()},
                                findings=refused.findings)
            return refused
        except HandshakeRefused as refused:
            # A 4xx/5xx status is the CSMS's answer (a test may want it); anything else is a broken handshake:
            # the monitor judges it from these facts (refusal_findings).
            facts = {**detail, "status": refused.status, "reason": refused.reason, **opening_json(refused.received),
                     **({"refusal_expected": True} if refusal_expected else {})}
            self.transcript.add(0, "event", event="refused", detail=facts, findings=refusal_findings(facts))
            return refused
        except TransportSetupError as exc:  # nothing listening, or no handshake answer before open_timeout
            facts = {**detail, "reason": str(exc)}
            self.transcript.add(0, "event", event="unreachable", detail=facts, findings=refusal_findings(facts))
            raise
        conn = OcppConnection(ws, RpcSession(self.schemas, strictness=self.settings.strictness), self.transcript,
                              self.on_call, identity=ident, call_timeout=self.settings.timing.default_timeout,
                              peer_timeout=max(0.0, self.settings.csms.configured.message_timeout
                                               - self.settings.timing.tolerance))
        self.transcript.add(conn.conn, "event", event="open", detail={**detail, "subprotocol": ws.subprotocol})
        self.attach(conn)
        task = asyncio.create_task(self._run(conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return conn

    async def probe(self, options: ClientOptions, what: str) -> Record:
        """One extra connection set up wrong on purpose (an invalid certificate, TLS 1.1 only), to see whether the
        CSMS refuses it; closed at once when the CSMS accepts it, never used for OCPP. The record (event "probe")
        says `accepted`, the HTTP status, the reason and the TLS facts; no finding: the test judges."""
        sessions: list[TlsSession] = []
        opts = dataclasses.replace(options, on_tls=sessions.append)
        detail: dict[str, Any] = {"identity": self.identity, "what": what}
        try:
            ws = await connect(self.csms_url, self.identity, opts)
        except TlsRefused as refused:
            detail.update(accepted=False, status=None, reason=refused.reason, tls_failure=refused.failure.to_json())
        except HandshakeRefused as refused:
            detail.update(accepted=False, status=refused.status, reason=refused.reason)
        else:
            detail.update(accepted=True, status=101, reason="the CSMS completed the opening handshake")
            await ws.close(1000, "probe over")
        if sessions:
            detail["tls"] = sessions[0].to_json()
        return self.transcript.add(0, "event", event="probe", detail=detail)

    async def _run(self, conn: OcppConnection) -> None:
        try:
            await conn.run()
        finally:
            self.detach(conn)

    async def disconnect(self) -> None:
        if self.connection is not None and not self.connection.closed.is_set():
            await self.connection.close(1000, "station going away")

    async def close(self) -> None:
        """End of test: close every connection this test opened."""
        for conn in self._connections:
            if not conn.closed.is_set():
                await conn.close(1000, "test finished")
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self.transcript.close()

    # ---- the station's usual messages ------------------------------------------------------------------------
    async def boot(self, reason: str = "PowerUp", expect: Mapping[str, Any] | None = None, *,
                   within: float | None = None) -> dict[str, Any]:
        """Send BootNotification; the CSMS's answer (checked against `expect`, partially)."""
        # Part 6: <Configured model> and <Configured vendorName> (the CSMS profile's, where it names them); the serial
        # number of the CSMS profile: under security profile 3 it is the CN of the station certificate
        station = {**STATION_INFO, "serialNumber": self.serial_number,
                   **({"model": self.profile.model} if self.profile.model else {}),
                   **({"vendorName": self.profile.vendor} if self.profile.vendor else {}),
                   **({"firmwareVersion": self.profile.firmware_version} if self.profile.firmware_version else {})}
        return await self.call_ok("BootNotification", {"reason": reason, "chargingStation": station},
                                  expect, within=within)

    async def report_connectors(self, status: str = "Available") -> None:
        """A StatusNotification for every connector, as a station does after (re)connecting."""
        for evse_id, count in enumerate(self.evses, start=1):
            for connector_id in range(1, count + 1):
                await self.call_ok("StatusNotification", {"timestamp": now_iso(), "connectorStatus": status,
                                                          "evseId": evse_id, "connectorId": connector_id}, {})

    async def status(self, evse: int, connector: int, status: str) -> None:
        """StatusNotification for one connector."""
        await self.call_ok("StatusNotification", {"timestamp": now_iso(), "connectorStatus": status, "evseId": evse,
                                                  "connectorId": connector}, {})

    async def authorize(self, token: IdToken, expect: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """AuthorizeRequest for `token`; the CSMS's answer (checked against `expect`, partially)."""
        return await self.call_ok("Authorize", {"idToken": token.wire()}, expect)

    def transaction(self, evse: int = 1, connector: int = 1) -> StationTransaction:
        """A new transaction of the harness's station (Part 6 §3.1: TxStartPoint EVConnected,Authorized)."""
        return StationTransaction(self, evse, connector)


@dataclass
class StationTransaction:
    """One transaction the harness's station reports: its id, the next seqNo, an energy register that grows."""

    role: StationRole
    evse: int
    connector: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    seq_no: int = 0
    energy: float = 0.0
    events: list[dict[str, Any]] = field(default_factory=list)  # what was sent, in order

    def payload(self, event_type: str, trigger: str, *, charging_state: str | None = None,
                id_token: IdToken | None = None, stopped_reason: str | None = None, offline: bool = False,
                remote_start_id: int | None = None, timestamp: str | None = None,
                with_evse: bool = False) -> dict[str, Any]:
        """The next TransactionEventRequest (seqNo taken); `evse` on the first event (`with_evse`: on this one
        too), meter values on each."""
        self.energy += 0.0 if event_type == "Started" else 150.0
        context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(event_type, "Sample.Periodic")
        info: dict[str, Any] = {"transactionId": self.id}
        if charging_state is not None:
            info["chargingState"] = charging_state
        if stopped_reason is not None:
            info["stoppedReason"] = stopped_reason
        if remote_start_id is not None:
            info["remoteStartId"] = remote_start_id
        payload: dict[str, Any] = {
            "eventType": event_type, "timestamp": timestamp or now_iso(), "triggerReason": trigger,
            "seqNo": self.seq_no, "transactionInfo": info,
            "meterValue": [{"timestamp": timestamp or now_iso(), "sampledValue": [
                {"value": self.energy, "context": context, "measurand": "Energy.Active.Import.Register"}]}]}
        if not self.events or with_evse:
            payload["evse"] = {"id": self.evse, "connectorId": self.connector}
        if id_token is not None:
            payload["idToken"] = id_token.wire()
        if offline:
            payload["offline"] = True
        self.seq_no += 1
        self.events.append(payload)
        return payload

    async def event(self, event_type: str, trigger: str, expect: Mapping[str, Any] | None = None,
                    **fields: Any) -> dict[str, Any]:
        """Send the next TransactionEvent; the CSMS's answer (checked against `expect`, partially)."""
        return await self.role.call_ok("TransactionEvent", self.payload(event_type, trigger, **fields), expect)
