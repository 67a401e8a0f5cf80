"""The built-in CSMS simulator: the default SUT when the harness plays a Charging Station (DESIGN.md §8).

A real minimal CSMS on 127.0.0.1. It knows its stations and their Basic Auth passwords (HTTP 404 / 401
otherwise), accepts, holds (Pending) or rejects boots as configured, refuses other requests from a station it has
not accepted with CALLERROR SecurityError, answers everything else schema-valid, and sends whatever request an
operator (the control adapter) asks for. Each fault switch of `CsmsFaults` breaks exactly one rule, so the
self-tests can prove that the matching check of the harness catches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import string
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from http import HTTPStatus
from pathlib import Path
from ssl import SSLContext
from typing import Any, Literal, cast, get_args

from harness.ocppj import Call, CallError, CallResult, RpcSession, default_store
from harness.ocppj.defaults import csms_default, now_iso
from harness.pki import CsrRejected, PkiFactory
from harness.profile import IdTokens
from harness.simulators.availability import operator_availability
from harness.simulators.data_transfer import custom_data_refusal, data_transfer_answer
from harness.simulators.faults import bad_input_reply
from harness.simulators.firmware import FirmwareHost
from harness.simulators.legal_choices import shaper
from harness.simulators.log_requests import CsmsLogs
from harness.simulators.meter_values import meter_value_refusal
from harness.transcript import Record, Transcript
from harness.transport import CallTimeout, ConnectionLost, Handshake, OcppConnection, OcppServer, ServerSocket

BootStatus = Literal["Accepted", "Pending", "Rejected"]
_BOOT_STATUSES: tuple[str, ...] = get_args(BootStatus)


def _password(length: int = 20) -> str:
    """A random alphanumeric password; 20 characters sit inside the 16-40 passwordString range of security
    profile 1."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


@dataclass
class CsmsFaults:
    """Each switch breaks one rule; all off is a conforming CSMS."""

    bad_boot_enum: bool = False  # BootNotificationResponse status "Maybe"
    bad_boot_time: bool = False  # BootNotificationResponse currentTime without a time zone
    accept_unknown_station: bool = False  # no HTTP 404 for an unknown identity (any password then passes)
    accept_malformed_identity: bool = False  # an empty identity, or one holding ':', taken as its Basic Auth user
    accept_bad_password: bool = False  # no HTTP 401 for a wrong password
    accept_wrong_user: bool = False  # no HTTP 401 when the Basic Auth user name is not the identity
    refuse_auth_with_403: bool = False  # refuses bad Basic Auth with HTTP 403, not 401
    keep_without_subprotocol: bool = False  # keeps a connection with no agreed subprotocol open
    no_security_error: bool = False  # answers a Rejected / Pending station's requests normally
    wrong_error_code: bool = False  # answers bad input with GenericError
    silent_on_bad_input: bool = False  # does not answer bad input at all
    error_code_1_6_spelling: bool = False  # FormationViolation / OccurenceConstraintViolation
    error_details_as_string: bool = False  # bad input answered with the right code, errorDetails a string
    minus_one_for_readable_id: bool = False  # bad input answered with message id "-1" although the id was readable
    reuse_message_id: bool = False  # all its CALLs carry one message id
    no_response: bool = False  # never answers Heartbeat
    slow_response: bool = False  # answers every request only after call_timeout + 1 s
    accept_unknown_token: bool = False  # Authorize / TransactionEvent: an unknown (or invalid) idToken is Accepted
    accept_blocked_token: bool = False  # Authorize / TransactionEvent: a blocked idToken is Accepted
    # authorization (C09, C11) and the local authorization list (D01)
    group_id_in_authorize_only: bool = False  # TransactionEventResponse idTokenInfo without the groupIdToken
    no_clear_cache: bool = False  # an operator's "send ClearCache" sends nothing
    empty_local_list: bool = False  # the full local list it sends has no entries
    local_list_without_info: bool = False  # its local list entries carry no idTokenInfo
    local_list_version_zero: bool = False  # its full local list has versionNumber 0
    differential_local_list: bool = False  # sends its local list as updateType Differential
    full_list_not_emptied: bool = False  # asked for an empty full list, sends its whole token table
    remove_keeps_info: bool = False  # asked to remove tokens (entries without idTokenInfo), sends them with one
    no_id_token_info: bool = False  # TransactionEventResponse without idTokenInfo though the request had an idToken
    reject_seqno_zero: bool = False  # CALLERROR for a transaction starting at seqNo 0 after the station's first one
    reject_transaction_events: bool = False  # CALLERROR InternalError for every TransactionEvent
    refuse_valid_token: bool = False  # Authorize / TransactionEvent: a token its table accepts is Invalid
    ignore_seqno_gap: bool = False  # a seqNo gap in a transaction's events: no GetTransactionStatus (E14)
    transaction_status_without_id: bool = False  # that GetTransactionStatus names no transactionId
    meter_values_error: bool = False  # CALLERROR InternalError for every MeterValues
    # what it sends for an operator (remote start, unlock, availability, trigger: F01-F06, G03)
    ignore_operator_requests: bool = False  # takes an operator's request and never sends it
    remote_start_wrong_token: bool = False  # RequestStartTransaction with another idToken than the operator's
    request_wrong_evse: bool = False  # UnlockConnector / ChangeAvailability name the EVSE after the operator's
    availability_with_connector: bool = False  # ChangeAvailability for an EVSE also names connectorId 1
    # security profiles 2 and 3
    csms_expired_cert: bool = False  # serves an expired server certificate
    accept_invalid_client_cert: bool = False  # SP3: takes any client certificate (asks for none, checks none)
    csms_accept_old_tls: bool = False  # agrees TLS 1.1 with a station that offers nothing newer
    # secure firmware update (L01): what it puts into an UpdateFirmware it completes itself
    unsigned_firmware_update: bool = False  # no signature and no signingCertificate
    badly_signed_firmware_update: bool = False  # the signature does not match the image it serves
    missing_firmware_image: bool = False  # the location answers 404
    firmware_times_now: bool = False  # drops the operator's retrieveDateTime / installDateTime: an update right now
    # certificate management and the Basic Auth password (A01, A02, M03-M05)
    no_certificate_signed: bool = False  # accepts SignCertificate and never sends CertificateSigned
    certificate_signed_without_type: bool = False  # CertificateSigned leaves certificateType out
    sign_with_untrusted_ca: bool = False  # signs CSRs with a CA its own TLS listener does not trust
    trigger_v2g_certificate: bool = False  # asked to trigger SignChargingStationCertificate, triggers SignV2GCertificate
    list_certificate_types: bool = False  # GetInstalledCertificateIds names every type instead of leaving it out
    pending_after_firmware_boot: bool = False  # answers a BootNotification with reason FirmwareUpdate with Pending
    sign_for_other_key: bool = False  # CertificateSigned carries a certificate for another key than the CSR's
    password_before_accept: bool = False  # uses a new BasicAuthPassword before the station accepted it
    set_short_password: bool = False  # a new BasicAuthPassword of 12 characters (16 is the minimum)
    set_long_password: bool = False  # a new BasicAuthPassword of 50 characters (fits 64, not the 40 of the edition)
    delete_certificate_sha256_only: bool = False  # DeleteCertificate says hashAlgorithm SHA256 whatever it was told
    install_wrong_certificate_type: bool = False  # an operator's InstallCertificate goes out as CSMSRootCertificate
    certificate_ids_wrong_type: bool = False  # an operator's GetInstalledCertificateIds asks for CSMSRootCertificate
    delete_other_certificate: bool = False  # DeleteCertificate names another serialNumber than the station listed
    csms_rsa_only: bool = False  # serves its RSA server certificate alone: no ECDSA cipher suite (A00.FR.318)
    # security profile upgrade (A05)
    set_network_profile_lower: bool = False  # SetNetworkProfile carries a security profile below the one asked for
    accept_old_profile: bool = False  # still accepts a station at its old security profile after it upgraded
    network_profile_other_interface: bool = False  # SetNetworkProfile: ocppInterface Wireless0, messageTimeout + 1
    # log retrieval (N01, harness/simulators/log_requests.py)
    bad_log_location: bool = False  # GetLog log.remoteLocation is a bare path, not a URL
    wrong_log_type: bool = False  # GetLog asks for the DiagnosticsLog whatever the operator chose
    refuse_log_upload: bool = False  # its log receiver answers every upload with HTTP 500
    # boot states and operator requests (B02, B03, B05, B06, B11)
    upgrade_without_subprotocol: bool = False  # upgrades a connection with no agreed subprotocol (then closes it)
    always_accept_boot: bool = False  # answers every BootNotification Accepted, whatever it was configured to answer
    stay_not_accepted: bool = False  # once it answered Pending / Rejected, keeps doing so though told to accept
    request_other_variable: bool = False  # Get/SetVariables an operator asks for name HeartbeatInterval instead
    set_target_attribute: bool = False  # SetVariables an operator asks for carry attributeType Target
    set_wrong_value: bool = False  # SetVariables an operator asks for carry another attributeValue
    reset_with_evse: bool = False  # a Reset an operator asks for carries evseId 1
    reset_immediate: bool = False  # a Reset an operator asks for is of type Immediate
    wrong_trigger_message: bool = False  # a TriggerMessage an operator asks for requests a Heartbeat
    trigger_without_evse: bool = False  # a TriggerMessage an operator asks for goes out without its evse (F06)
    # block E transactions (testcases/test_e_transactions_csms.py)
    stop_wrong_transaction: bool = False  # a RequestStopTransaction an operator asks for names another transactionId
    transaction_status_wrong_id: bool = False  # an operator's GetTransactionStatus: another id, or one added if none
    # block C coverage (C01, C12, C16)
    accept_expired_token: bool = False  # Authorize / TransactionEvent: an expired idToken is Accepted
    master_pass_without_group: bool = False  # a Master Pass token is Accepted without its groupIdToken
    # block G availability (harness/simulators/availability.py), block P data transfer and customData
    availability_inverted: bool = False  # an operator's ChangeAvailability goes out with the other operationalStatus
    station_availability_evse_zero: bool = False  # ChangeAvailability for the whole station names evse.id 0
    availability_without_connector: bool = False  # ChangeAvailability for one connector leaves evse.connectorId out
    notify_event_error: bool = False  # CALLERROR InternalError for every NotifyEvent
    csms_accept_data_transfer: bool = False  # DataTransfer of an unknown vendor: Accepted
    csms_reject_custom_data: bool = False  # a request with customData: CALLERROR PropertyConstraintViolation
    # block J meter values (harness/simulators/meter_values.py): CALLERROR InternalError for a TransactionEvent …
    csms_reject_clock_values: bool = False  # … with triggerReason MeterValueClock
    csms_reject_periodic_values: bool = False  # … with triggerReason MeterValuePeriodic
    csms_reject_begin_values: bool = False  # … carrying a Transaction.Begin value
    csms_reject_ended_values: bool = False  # … Ended with more than one meterValue
    csms_reject_signed_values: bool = False  # … carrying a signedMeterValue
    # block N: log retrieval and customer information (N01, N09, N10)
    csms_log_status_error: bool = False  # CALLERROR InternalError for LogStatusNotification AcceptedCanceled
    customer_info_wrong_token: bool = False  # an operator's CustomerInformation names another idToken
    customer_info_no_report: bool = False  # an operator's CustomerInformation goes out with report false
    customer_info_no_clear: bool = False  # an operator's CustomerInformation goes out with clear false
    customer_info_two_identifiers: bool = False  # a CustomerInformation for a customerIdentifier also names an idToken
    notify_customer_info_error: bool = False  # CALLERROR InternalError for every NotifyCustomerInformation
    # block B coverage (B05-B07, B09, B11, B12): operator requests and the boot after a reset
    pending_after_reset_boot: bool = False  # a BootNotification with reason ScheduledReset or RemoteReset: Pending
    reset_on_idle: bool = False  # a Reset an operator asks for is of type OnIdle
    reset_other_evse: bool = False  # a Reset of an EVSE an operator asks for names the next EVSE
    base_report_wrong_base: bool = False  # a GetBaseReport an operator asks for says reportBase SummaryInventory
    base_report_negative_id: bool = False  # a GetBaseReport an operator asks for carries requestId -1
    network_profile_other_slot: bool = False  # SetNetworkProfile names the slot after the one asked for
    network_profile_wrong_transport: bool = False  # SetNetworkProfile says ocppTransport SOAP, ocppVersion OCPP15
    notify_report_error: bool = False  # CALLERROR InternalError for every NotifyReport


@dataclass
class CsmsVariants:
    """Legal choices a real CSMS makes differently (Part 6 passes each), so the self-tests prove the harness does
    not fail a conformant CSMS that chose otherwise. Not faults."""

    pending_interval_zero: bool = False  # Pending / Rejected with interval 0 (the station picks its own wait)
    provision_while_pending: bool = False  # while a station is Pending, reads its OfflineThreshold (GetVariables)
    # the verdict-accuracy corpus (issue 12, tests/verdict_corpus.py)
    csms_custom_data_everywhere: bool = False  # customData at the root of every CALL and answer it sends
    csms_status_info_in_answers: bool = False  # statusInfo (reasonCode NoError) beside every Accepted status it answers
    csms_slow_answers: bool = False  # every answer to the station leaves SLOW_ANSWER s late (inside any message timeout)
    csms_minimal_answers: bool = False  # every answer with only the fields its schema requires (no case may crash)
    other_heartbeat_interval: bool = False  # Accepted with twice the configured heartbeat interval (its own choice)
    list_update_by_operator: bool = False  # after clearing a token's customer information, updates the list only when asked
    id_token_info_extras: bool = False  # idTokenInfo with its optional fields: cacheExpiryDateTime, chargingPriority,
    #                                     language1, personalMessage


# How late an answer of a `csms_slow_answers` CSMS is: well inside the message timeout of any run.
SLOW_ANSWER = 1.5


@dataclass
class CsmsConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: pick a free port; `CsmsSimulator.url` tells which
    stations: dict[str, str] = field(default_factory=lambda: {"SIM-CS-001": _password(),
                                                               "HARNESS-CS-001": _password()})  # identity -> password
    require_auth: bool = True  # security profile 1: HTTP Basic Authentication
    heartbeat_interval: int = 60  # `interval` sent with Accepted
    boot_status: dict[str, BootStatus] = field(default_factory=dict)  # identity -> answer; Accepted when absent
    boot_retry_interval: int = 2  # `interval` sent with Pending / Rejected
    call_timeout: float = 10.0  # how long its own CALLs wait for the station's answer
    tokens: IdTokens = field(default_factory=IdTokens)  # the CSMS's token table (C01): unknown ones are Unknown
    faults: CsmsFaults = field(default_factory=CsmsFaults)
    variants: CsmsVariants = field(default_factory=CsmsVariants)
    tls: SSLContext | None = field(default=None, repr=False)  # wss:// (security profiles 2 and 3)
    serial_numbers: dict[str, str] = field(default_factory=dict)  # identity -> the CN its SP3 certificate must have
    pki: PkiFactory | None = field(default=None, repr=False)  # signs CSRs (A02), gives the root it installs (M05)
    log_dir: Path | None = None  # where its log receiver keeps uploads (GetLog); None: a temporary directory
    network_message_timeout: int = 30  # connectionData.messageTimeout of the SetNetworkProfile it sends (A05)
    ocpp_interface: str = "Wired0"  # connectionData.ocppInterface likewise
    report: Callable[[str], None] | None = field(default=None, repr=False)  # told what happens (`simulate csms`)


@dataclass
class CsmsStationState:
    """What the CSMS knows of one station; kept across its connections, like a real CSMS's database."""

    boot_status: BootStatus | None = None  # status of the last BootNotificationResponse (None: never booted)
    boot: dict[str, Any] | None = None  # payload of the last BootNotificationRequest
    boots: int = 0  # BootNotifications answered so far
    conn: OcppConnection | None = None  # the live connection, if any
    connectors: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # (evseId, connectorId) -> last
    last_heartbeat: float | None = None  # time.monotonic() of the last Heartbeat
    transactions: dict[str, str] = field(default_factory=dict)  # transactionId -> last eventType
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)  # notified on connect/close/boot
    certificates: list[dict[str, Any]] = field(default_factory=list)  # last GetInstalledCertificateIds answer
    security_profile: int = 0  # the lowest security profile it is accepted at: raised by an upgrade (A05)
    connection_security: int = 0  # security profile of the live connection
    log_statuses: list[dict[str, Any]] = field(default_factory=list)  # LogStatusNotification payloads, in order
    seq_nos: dict[str, int] = field(default_factory=dict)  # transactionId -> highest seqNo received


class CsmsSimulator:
    """A minimal OCPP 2.0.1 CSMS: `await start()`, let stations connect to `url`, drive it, `await stop()`."""

    def __init__(self, config: CsmsConfig | None = None) -> None:
        self.config = config or CsmsConfig()
        self.faults = self.config.faults
        self.transcript = Transcript(name="csms simulator")
        self.stations: dict[str, CsmsStationState] = {}
        self._fixed_id = str(uuid.uuid4())  # the one id every CALL carries under `reuse_message_id`
        self._report_ids = itertools.count(1)  # requestId of the GetBaseReports it sends (B07)
        self._tasks: set[asyncio.Task[None]] = set()
        self.upgrade_servers: dict[int, OcppServer] = {}  # security profile -> its listener (A05 upgrades)
        base = 1 if self.config.tls is None else 2 if self.config.require_auth else 3
        # GetLog (N01): its own upload location, HTTPS with its server certificate when it serves wss://
        self.logs = CsmsLogs(self.faults, self.config.log_dir,
                             self.config.pki.server_context(2) if self.config.pki and self.config.tls else None)
        self.firmware = FirmwareHost(self.config.pki, self.faults, tls=self.config.tls is not None)
        self.server = self._new_server(self.config.port, base, self.config.tls, basic_auth=self.config.require_auth)

    # ---- life cycle ----------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Where stations connect, without their identity (ws://127.0.0.1:PORT/ocpp)."""
        return self.server.url

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        """Close every station's connection, then the server; returns when nothing of it is left running."""
        for state in self.stations.values():
            if state.conn is not None and not state.conn.closed.is_set():
                await state.conn.close(1001, "CSMS shutting down")
        await self.server.stop()
        for server in self.upgrade_servers.values():
            await server.stop()
        await self.logs.stop()
        await self.firmware.stop()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self.transcript.close()

    # ---- the handshake -------------------------------------------------------------------------------------------
    async def listener(self, security_profile: int) -> OcppServer:
        """Its listener at `security_profile` (started on first use, on another port): where a SetNetworkProfile
        sends a station it upgrades. wss:// with the run PKI's server certificate from 2 on, the station's
        certificate required at 3 (then no Basic Auth)."""
        if security_profile in self.upgrade_servers:
            return self.upgrade_servers[security_profile]
        pki = self.config.pki
        ssl = pki.server_context(security_profile) if pki is not None and security_profile >= 2 else None
        server = self._new_server(0, security_profile, ssl, basic_auth=security_profile < 3)
        await server.start()
        self.upgrade_servers[security_profile] = server
        return server

    def _known(self, identity: str) -> bool:
        return self.faults.accept_unknown_station or identity in self.config.stations

    def _new_server(self, port: int, security_profile: int, ssl: SSLContext | None, *, basic_auth: bool) -> OcppServer:
        """A listener of this CSMS (its main one, or one at another security profile): every listener answers with
        the same rules and the same fault switches."""
        return OcppServer(
            self._on_connect, host=self.config.host, port=port, known=partial(self._known_at, security_profile),
            authenticate=self._authenticate if basic_auth else None, on_handshake=self._on_handshake,
            close_without_subprotocol=not self.faults.keep_without_subprotocol,
            refuse_without_subprotocol=not (self.faults.keep_without_subprotocol
                                            or self.faults.upgrade_without_subprotocol),
            require_user_match=not self.faults.accept_wrong_user, ssl=ssl,
            lax_identity=self.faults.accept_malformed_identity,
            auth_refusal=HTTPStatus.FORBIDDEN if self.faults.refuse_auth_with_403 else HTTPStatus.UNAUTHORIZED,
            serial_number=lambda identity: self.config.serial_numbers.get(identity, identity))

    def _known_at(self, security_profile: int, identity: str) -> bool:
        """Known, and not below the security profile the station was upgraded to (A05: no way back; HTTP 404)."""
        state = self.stations.get(identity)  # no state made up for identities that merely knock
        floor = state.security_profile if state is not None else 0
        return self._known(identity) and (security_profile >= floor or self.faults.accept_old_profile)

    def _authenticate(self, identity: str, password: str) -> bool:
        if identity not in self.config.stations:  # only reachable with `accept_unknown_station`
            return self.faults.accept_unknown_station
        expected = self.config.stations[identity].encode()  # bytes: compare_digest refuses non-ASCII str
        return self.faults.accept_bad_password or secrets.compare_digest(expected, password.encode())

    def _on_handshake(self, hs: Handshake) -> None:
        self.transcript.add(0, "event", event="handshake", detail=hs.to_json(), findings=hs.findings)

    async def _on_connect(self, ws: ServerSocket, hs: Handshake) -> None:
        """Serve one accepted connection for as long as it lives; the newest connection of an identity wins."""
        identity = hs.identity
        state = self.station(identity)

        async def on_call(call: Call, record: Record) -> Mapping[str, Any] | CallError | None:
            return await self._answer(identity, state, call)

        variants = self.config.variants
        conn = OcppConnection(ws, RpcSession(default_store()), self.transcript, on_call, identity=identity,
                              call_timeout=self.config.call_timeout, bad_input_reply=bad_input_reply(self.faults),
                              shape=shaper(custom_data=variants.csms_custom_data_everywhere,
                                           status_info=variants.csms_status_info_in_answers,
                                           minimal=variants.csms_minimal_answers),
                              answer_delay=SLOW_ANSWER if variants.csms_slow_answers else 0.0)
        self.transcript.add(conn.conn, "event", event="open",
                            detail={"identity": identity, "subprotocol": hs.subprotocol})
        previous = state.conn
        if previous is not None and not previous.closed.is_set():
            self._spawn(previous.close(1000, "superseded by a new connection"))
        state.conn = conn
        state.connection_security = 3 if hs.client_cn else 2 if hs.tls is not None else 1
        self._say(f"station {identity} connected (security profile {state.connection_security})")
        await self._notify(state)
        try:
            await conn.run()
        finally:
            self._say(f"station {identity} disconnected")
            if state.conn is conn:
                state.conn = None
                await self._notify(state)

    def _say(self, text: str) -> None:
        """Tell whoever runs the CSMS by itself what happens (`ocpp-harness simulate csms` prints it)."""
        if self.config.report is not None:
            self.config.report(text)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- answering the station -----------------------------------------------------------------------------------
    async def _answer(self, identity: str, state: CsmsStationState, call: Call) -> Mapping[str, Any] | CallError | None:
        if self.faults.slow_response:
            await asyncio.sleep(self.config.call_timeout + 1)  # allow-sleep: fault switch delays the answer on purpose
        if call.action == "BootNotification":
            boot = await self._boot(identity, state, call.payload)
            if boot["status"] == "Pending" and self.config.variants.provision_while_pending and state.conn:
                self._spawn(self._provision(identity, state.conn, call.message_id))
            return boot
        if state.boot_status in ("Rejected", "Pending") and not self.faults.no_security_error:
            # B03.FR.07 (Rejected) and B02.FR.09 (Pending): nothing but BootNotification until the boot is accepted.
            return CallError(call.message_id, "SecurityError", "Boot not accepted", {})
        if call.action == "Heartbeat" and self.faults.no_response:
            return None
        refused = custom_data_refusal(call, self.faults.csms_reject_custom_data)
        if refused is not None:
            return refused
        if call.action == "DataTransfer":
            return data_transfer_answer(self.faults.csms_accept_data_transfer)
        refused = meter_value_refusal(call, self.faults)
        if refused is not None:
            return refused
        if (call.action == "NotifyCustomerInformation" and self.faults.notify_customer_info_error) or (
                call.action == "LogStatusNotification" and call.payload.get("status") == "AcceptedCanceled"
                and self.faults.csms_log_status_error):
            return CallError(call.message_id, "InternalError", f"{call.action} could not be processed", {})
        if call.action == "NotifyEvent" and self.faults.notify_event_error:
            return CallError(call.message_id, "InternalError", "NotifyEvent could not be processed", {})
        if call.action == "NotifyReport" and self.faults.notify_report_error:
            return CallError(call.message_id, "InternalError", "NotifyReport could not be processed", {})
        if (call.action == "TransactionEvent" and self.faults.reject_transaction_events) or (
                call.action == "MeterValues" and self.faults.meter_values_error):
            return CallError(call.message_id, "InternalError", f"{call.action} could not be processed", {})
        if call.action == "TransactionEvent":
            self._watch_sequence(identity, state, call.payload)
        if call.action in ("Authorize", "TransactionEvent"):
            return self._authorization(state, call)
        if call.action == "SignCertificate":
            return self._sign(identity, call.payload)
        answer = csms_default(call.action, call.payload, heartbeat_interval=self.config.heartbeat_interval)
        if answer is None:  # an action known to OCPP but only ever sent by a CSMS
            return CallError(call.message_id, "NotSupported", f"{call.action} is not a request a CSMS accepts", {})
        self._remember(state, call)
        return answer

    def _authorization(self, state: CsmsStationState, call: Call) -> dict[str, Any] | CallError:
        """Authorize and TransactionEvent: judged by the token table, transactions booked per station."""
        payload = call.payload
        if call.action == "TransactionEvent":
            if self.faults.reject_seqno_zero and payload["seqNo"] == 0 and state.transactions:
                return CallError(call.message_id, "PropertyConstraintViolation",
                                 "seqNo 0: this CSMS expects the numbering of the previous transaction to go on", {})
            self._remember(state, call)
            if "idToken" not in payload or self.faults.no_id_token_info:
                return {}
        info = self.config.tokens.info(payload["idToken"])
        if (info["status"] in ("Unknown", "Invalid") and self.faults.accept_unknown_token) or (
                info["status"] == "Blocked" and self.faults.accept_blocked_token):
            info = {"status": "Accepted"}
        if info["status"] == "Expired" and self.faults.accept_expired_token:
            info = {"status": "Accepted"}
        master = self.config.tokens.master_pass
        if master is not None and master.id_token == payload["idToken"].get("idToken") and (
                self.faults.master_pass_without_group):
            info.pop("groupIdToken", None)
        if call.action == "TransactionEvent" and self.faults.group_id_in_authorize_only:
            info.pop("groupIdToken", None)
        if info["status"] == "Accepted" and self.faults.refuse_valid_token:
            info = {"status": "Invalid"}
        if self.config.variants.id_token_info_extras:
            expiry = datetime.now(UTC) + timedelta(days=1)
            info = {**info, "cacheExpiryDateTime": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"), "chargingPriority": 0,
                    "language1": "en", "personalMessage": {"format": "UTF8", "content": "Welcome"}}
        return {"idTokenInfo": info}

    def _watch_sequence(self, identity: str, state: CsmsStationState, payload: Mapping[str, Any]) -> None:
        """E14: a seqNo skipped in a transaction's events means the station still holds some; ask it about that
        transaction (GetTransactionStatus, once this event is answered)."""
        info, seq = payload.get("transactionInfo"), payload.get("seqNo")
        if not isinstance(info, Mapping) or not isinstance(seq, int):
            return
        tx_id = str(info.get("transactionId"))
        last = state.seq_nos.get(tx_id)
        state.seq_nos[tx_id] = seq if last is None else max(last, seq)
        if last is not None and seq > last + 1 and not self.faults.ignore_seqno_gap:
            self._spawn(self._transaction_status(identity, tx_id))

    async def _transaction_status(self, identity: str, transaction_id: str) -> None:
        with contextlib.suppress(ConnectionLost, CallTimeout):
            payload = {} if self.faults.transaction_status_without_id else {"transactionId": transaction_id}
            await self.send(identity, "GetTransactionStatus", payload)

    async def _boot(self, identity: str, state: CsmsStationState, payload: dict[str, Any]) -> dict[str, Any]:
        status = self.config.boot_status.get(identity, "Accepted")
        if self.faults.always_accept_boot:
            status = "Accepted"
        elif self.faults.stay_not_accepted and state.boot_status in ("Pending", "Rejected"):
            status = state.boot_status
        if self.faults.pending_after_firmware_boot and payload.get("reason") == "FirmwareUpdate":
            status = "Pending"
        if self.faults.pending_after_reset_boot and payload.get("reason") in ("ScheduledReset", "RemoteReset"):
            status = "Pending"
        state.boot_status, state.boot = status, payload
        state.boots += 1
        self._say(f"BootNotification of {identity} ({payload.get('reason')}): answered {status}")
        if status == "Accepted" and state.connection_security > state.security_profile:
            state.security_profile = state.connection_security  # first boot, or after an upgrade: no way back
        await self._notify(state)
        interval = self.config.heartbeat_interval if status == "Accepted" else self.config.boot_retry_interval
        if status == "Accepted" and self.config.variants.other_heartbeat_interval:
            interval *= 2
        if status != "Accepted" and self.config.variants.pending_interval_zero:
            interval = 0
        current = now_iso().removesuffix("Z") if self.faults.bad_boot_time else now_iso()
        answered = "Maybe" if self.faults.bad_boot_enum else status
        return {"currentTime": current, "interval": interval, "status": answered}

    async def _provision(self, identity: str, conn: OcppConnection, boot_id: str) -> None:
        """B02: what a CSMS does with a station it holds Pending: read its configuration, once the
        BootNotificationResponse is out (the station answers, or it is gone)."""
        if not await conn.sent_before_close(boot_id):
            return
        with contextlib.suppress(ConnectionLost, CallTimeout):
            await self.get_variables(identity, [("OCPPCommCtrlr", "OfflineThreshold")])

    def _sign(self, identity: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A02: check and sign the CSR with the station CA, then send CertificateSigned (after this answer)."""
        pki = self.config.pki
        if pki is None:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "NoPKI"}}
        if self.faults.sign_with_untrusted_ca:
            pki = PkiFactory(pki.run_dir / "untrusted-ca")
        try:
            chain = pki.sign_csr(payload["csr"], expected_cn=self.config.serial_numbers.get(identity))
        except CsrRejected as exc:
            self.transcript.note(f"CSMS simulator: CSR of {identity} rejected: {exc}")
            return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidCSR", "additionalInfo": str(exc)[:512]}}
        if self.faults.sign_for_other_key:
            chain = pki.station(self.config.serial_numbers.get(identity, identity)).chain_pem
        if not self.faults.no_certificate_signed:
            use = payload.get("certificateType", "ChargingStationCertificate")
            self._spawn(self._certificate_signed(identity, chain, use))
        return {"status": "Accepted"}

    async def _certificate_signed(self, identity: str, chain: str, use: str) -> None:
        payload = {"certificateChain": chain} if self.faults.certificate_signed_without_type else {
            "certificateChain": chain, "certificateType": use}
        with contextlib.suppress(ConnectionLost, CallTimeout):
            await self.send(identity, "CertificateSigned", payload)

    def _completed(self, identity: str, action: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """What an operator's "send X" leaves to the CSMS: the root it installs (M05), the certificate it deletes
        (M04: the first one the station listed), a new BasicAuthPassword (A01)."""
        out = dict(payload)
        state = self.station(identity)
        if action == "InstallCertificate" and "certificate" not in out and self.config.pki is not None:
            out.setdefault("certificateType", "CSMSRootCertificate")
            out["certificate"] = (self.config.pki.ca_certificate("csms-sim-manufacturer")
                                  if out["certificateType"] == "ManufacturerRootCertificate"
                                  else self.config.pki.csms_root_path.read_text())
            if self.faults.install_wrong_certificate_type:
                out["certificateType"] = "CSMSRootCertificate"
        elif action == "GetInstalledCertificateIds" and "certificateType" in out and self.faults.certificate_ids_wrong_type:
            out["certificateType"] = ["CSMSRootCertificate"]
        elif action == "GetInstalledCertificateIds" and "certificateType" not in out and self.faults.list_certificate_types:
            out["certificateType"] = ["V2GRootCertificate", "MORootCertificate", "CSMSRootCertificate",
                                      "V2GCertificateChain", "ManufacturerRootCertificate"]
        elif (action == "TriggerMessage" and out.get("requestedMessage") == "SignChargingStationCertificate"
              and self.faults.trigger_v2g_certificate):
            out["requestedMessage"] = "SignV2GCertificate"
        elif action == "DeleteCertificate" and "certificateHashData" not in out and state.certificates:
            out["certificateHashData"] = state.certificates[0]["certificateHashData"]
        elif action == "SetVariables" and out.get("setVariableData") == "BasicAuthPassword":
            length = 12 if self.faults.set_short_password else 50 if self.faults.set_long_password else 20
            out["setVariableData"] = [{"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
                                       "attributeValue": _password(length)}]
        return self._misrequested(action, out)

    def _misrequested(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """An operator's request as the fault switches spoil it (B05, B06, B11, F06)."""
        f = self.faults
        key = {"GetVariables": "getVariableData", "SetVariables": "setVariableData"}.get(action)
        if key is not None and isinstance(payload.get(key), list):
            items = [dict(item) for item in payload[key]]
            for item in items:
                if f.request_other_variable:
                    item["variable"] = {"name": "HeartbeatInterval"}
                if action == "SetVariables" and f.set_target_attribute:
                    item["attributeType"] = "Target"
                if action == "SetVariables" and f.set_wrong_value:
                    item["attributeValue"] = f"{item.get('attributeValue', '')}0"
            payload = {**payload, key: items}
        if action == "Reset":
            payload = {**payload, **({"evseId": 1} if f.reset_with_evse else {}),
                       **({"type": "Immediate"} if f.reset_immediate else {}),
                       **({"type": "OnIdle"} if f.reset_on_idle else {})}
            if f.reset_other_evse and isinstance(payload.get("evseId"), int):
                payload["evseId"] += 1
        if action == "GetBaseReport":  # B07: the CSMS picks the requestId
            payload = {"requestId": next(self._report_ids), **payload}
            if f.base_report_wrong_base:
                payload["reportBase"] = "SummaryInventory"
            if f.base_report_negative_id:
                payload["requestId"] = -1
        if action == "TriggerMessage" and f.wrong_trigger_message:
            payload = {**payload, "requestedMessage": "Heartbeat"}
        if action == "TriggerMessage" and f.trigger_without_evse:
            payload = {k: v for k, v in payload.items() if k != "evse"}
        return payload

    async def _local_list(self, conn: OcppConnection, payload: Mapping[str, Any]) -> dict[str, Any]:
        """D01: what an operator's "send a full local list" leaves to the CSMS: it asks the station's version first
        (GetLocalListVersion), then sends its whole token table, each token with its IdTokenInfo, one version up.
        The operator may choose the updateType and the entries (none, or tokens without idTokenInfo to remove)."""
        if "localAuthorizationList" in payload and "versionNumber" in payload:
            return dict(payload)
        version = 0
        with contextlib.suppress(CallTimeout):
            record = await conn.call("GetLocalListVersion", {}, message_id=self._message_id())
            if isinstance(record.frame, CallResult) and isinstance(record.frame.payload.get("versionNumber"), int):
                version = record.frame.payload["versionNumber"]
        tokens = self.config.tokens
        entries = [{"idToken": token.wire(), "idTokenInfo": tokens.info(token.wire())}
                   for token in (tokens.valid, tokens.valid2, tokens.group, tokens.master_pass, tokens.invalid,
                                 tokens.blocked, tokens.expired) if token is not None]
        if self.faults.local_list_without_info:
            entries = [{"idToken": e["idToken"]} for e in entries]
        out = {"versionNumber": 0 if self.faults.local_list_version_zero else version + 1,
               "updateType": "Differential" if self.faults.differential_local_list else "Full",
               **({} if self.faults.empty_local_list else {"localAuthorizationList": entries}), **payload}
        asked = payload.get("localAuthorizationList")
        if asked is not None:  # the operator named the entries: none (an empty list), or ones to remove (no info)
            if not asked and self.faults.full_list_not_emptied:
                out["localAuthorizationList"] = entries
            if self.faults.remove_keeps_info:
                out["localAuthorizationList"] = [e if "idTokenInfo" in e else
                                                 {**e, "idTokenInfo": tokens.info(e["idToken"])}
                                                 for e in out["localAuthorizationList"]]
        if not out.get("localAuthorizationList"):
            out.pop("localAuthorizationList", None)  # an empty list is no list (the schema wants one entry at least)
        return out

    async def _delete_installed(self, identity: str, payload: Mapping[str, Any],
                                timeout: float | None) -> dict[str, Any]:
        """M04 as Part 6 TC_M_20_CSMS has it: an operator's "delete a certificate" makes the CSMS ask the station
        for its CSMSRootCertificates first, then delete the first one with the hash data the station returned."""
        if "certificateHashData" in payload:
            return dict(payload)
        await self.send(identity, "GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]}, timeout)
        out = dict(payload)
        listed = self.station(identity).certificates
        if listed:
            out["certificateHashData"] = dict(listed[0]["certificateHashData"])
            if self.faults.delete_certificate_sha256_only:
                out["certificateHashData"]["hashAlgorithm"] = "SHA256"
            if self.faults.delete_other_certificate:
                serial = str(out["certificateHashData"]["serialNumber"])
                out["certificateHashData"]["serialNumber"] = serial[:-1] + ("1" if serial.endswith("0") else "0")
        return out

    async def _network_profile(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A05/B09: what an operator's "set a network profile of security profile N" leaves to the CSMS: the slot,
        its own URL at that profile (a listener of its own), the transport, version and timeout."""
        data = dict(payload.get("connectionData", {}))
        security = int(data.get("securityProfile", 1))
        if self.faults.set_network_profile_lower:
            security -= 2
        data["securityProfile"] = security
        if self.faults.network_profile_other_interface:
            data.update(ocppInterface="Wireless0", messageTimeout=self.config.network_message_timeout + 1)
        if self.faults.network_profile_wrong_transport:
            data.update(ocppTransport="SOAP", ocppVersion="OCPP15")
        if "ocppCsmsUrl" not in data:
            data["ocppCsmsUrl"] = (await self.listener(max(security, 1))).url
        for key, value in (("ocppVersion", "OCPP20"), ("ocppTransport", "JSON"),
                           ("ocppInterface", self.config.ocpp_interface),
                           ("messageTimeout", self.config.network_message_timeout)):
            data.setdefault(key, value)
        out = {"configurationSlot": 2, **payload, "connectionData": data}
        if self.faults.network_profile_other_slot:
            out["configurationSlot"] = int(out["configurationSlot"]) + 1
        return out

    def _learn(self, identity: str, action: str, payload: Mapping[str, Any], record: Record) -> None:
        """Keep what an answer teaches: the certificate list (M03), a password the station accepted (A01)."""
        answer = record.frame.payload if isinstance(record.frame, CallResult) else None
        if action == "GetInstalledCertificateIds" and answer is not None:
            self.station(identity).certificates = list(answer.get("certificateHashDataChain", []))
        if action == "SetVariables":
            results = answer.get("setVariableResult", []) if answer is not None else []
            for i, item in enumerate(payload.get("setVariableData", [])):
                if item.get("variable", {}).get("name") != "BasicAuthPassword":
                    continue
                accepted = i < len(results) and results[i].get("attributeStatus") == "Accepted"
                if accepted or self.faults.password_before_accept:
                    self.config.stations[identity] = str(item["attributeValue"])

    @staticmethod
    def _remember(state: CsmsStationState, call: Call) -> None:
        payload = call.payload
        if call.action == "StatusNotification":
            state.connectors[(payload["evseId"], payload["connectorId"])] = payload
        elif call.action == "Heartbeat":
            state.last_heartbeat = time.monotonic()
        elif call.action == "TransactionEvent":
            state.transactions[payload["transactionInfo"]["transactionId"]] = payload["eventType"]
        elif call.action == "LogStatusNotification":
            state.log_statuses.append(dict(payload))

    @staticmethod
    async def _notify(state: CsmsStationState) -> None:
        """Wake the waiters of `state` (wait_connected, wait_boot): they re-check what they wait for."""
        async with state.changed:
            state.changed.notify_all()

    # ---- what an operator makes it do ----------------------------------------------------------------------------
    def station(self, identity: str) -> CsmsStationState:
        """The state the CSMS keeps of `identity` (created empty on first use)."""
        return self.stations.setdefault(identity, CsmsStationState())

    def set_boot_status(self, identity: str, status: str) -> None:
        """How the next BootNotification of `identity` is answered: Accepted, Pending or Rejected."""
        if status not in _BOOT_STATUSES:
            raise ValueError(f"boot status {status!r} is not one of {', '.join(_BOOT_STATUSES)}")
        self.config.boot_status[identity] = cast(BootStatus, status)

    def set_security_profile(self, identity: str, security_profile: int) -> None:
        """The lowest security profile `identity` is accepted at (an operator's reset after an upgrade test)."""
        if security_profile not in (1, 2, 3):
            raise ValueError(f"security profile {security_profile!r} is not 1, 2 or 3")
        self.station(identity).security_profile = security_profile

    def connected(self, identity: str) -> bool:
        conn = self.station(identity).conn
        return conn is not None and not conn.closed.is_set()

    async def wait_connected(self, identity: str, timeout: float) -> None:
        """Until `identity` has a live connection; TimeoutError at the deadline."""
        state = self.station(identity)
        async with asyncio.timeout(timeout), state.changed:
            await state.changed.wait_for(lambda: self.connected(identity))

    async def wait_boot(self, identity: str, timeout: float, *, after: int | None = None) -> dict[str, Any]:
        """The payload of the next BootNotification of `identity` (TimeoutError at the deadline).

        "Next" counts from the call, or from `after` (a `station(identity).boots` value read earlier), so a boot
        that races the call is not missed.
        """
        state = self.station(identity)
        seen = state.boots if after is None else after
        async with asyncio.timeout(timeout), state.changed:
            await state.changed.wait_for(lambda: state.boots > seen)
        assert state.boot is not None
        return state.boot

    async def send(self, identity: str, action: str, payload: Mapping[str, Any],
                   timeout: float | None = None) -> Record:
        """Send a CALL to a connected station; the record of its answer (CALLRESULT, CALLERROR or broken).

        Raises ConnectionLost when the station is not connected, CallTimeout when it does not answer in time.
        """
        conn = self.station(identity).conn
        if conn is None or conn.closed.is_set():
            raise ConnectionLost(f"station {identity!r} is not connected to the CSMS simulator; cannot send {action}")
        if action == "ClearCache" and self.faults.no_clear_cache:
            return self.transcript.note("CSMS simulator: the operator's ClearCache is not sent (fault no_clear_cache)")
        message_id = self._message_id()
        if action == "SendLocalList":
            payload = await self._local_list(conn, payload)
        if action == "SetNetworkProfile":
            payload = await self._network_profile(payload)
        if action == "UpdateFirmware":
            payload = await self.firmware.complete(payload)  # L01: its own image, signed, on its own server
        if action == "DeleteCertificate":
            payload = await self._delete_installed(identity, payload, timeout)
        payload = self._completed(identity, action, payload)
        if action == "GetLog":
            payload = await self.logs.complete(payload)
        record = await conn.call(action, payload, timeout=timeout, message_id=message_id)
        self._learn(identity, action, payload, record)
        if action == "CustomerInformation":
            self._after_clear(identity, payload, record)
        return record

    def _after_clear(self, identity: str, payload: Mapping[str, Any], record: Record) -> None:
        """A cleared idToken leaves the station's Local Authorization List too (TC_N_46_CSMS): once the station
        accepted a CustomerInformation that clears a token, a differential update removes it (an entry without
        idTokenInfo); variant list_update_by_operator: only when the operator asks for it (Part 6 allows both)."""
        token = payload.get("idToken")
        accepted = isinstance(record.frame, CallResult) and record.frame.payload.get("status") == "Accepted"
        if payload.get("clear") is True and isinstance(token, dict) and accepted and \
                not self.config.variants.list_update_by_operator:
            self._spawn(self._unlist(identity, dict(token)))

    async def _unlist(self, identity: str, token: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionLost, CallTimeout):
            await self.send(identity, "SendLocalList", {"updateType": "Differential",
                                                        "localAuthorizationList": [{"idToken": token}]})

    def _message_id(self) -> str | None:
        """The id of its next CALL: the one fixed id under `reuse_message_id`, else a fresh one (None)."""
        return self._fixed_id if self.faults.reuse_message_id else None

    async def operator_request(self, identity: str, action: str, payload: Mapping[str, Any]) -> Record | None:
        """What an operator asks the CSMS to send (the control API's `send`); the station's answer, if sent."""
        if self.faults.ignore_operator_requests:
            self.transcript.note(f"CSMS simulator: the operator's {action} is taken and never sent (fault)")
            return None
        return await self.send(identity, action, _operator_payload(self.faults, action, payload))

    async def get_variables(self, identity: str, items: list[tuple[str, str]], timeout: float | None = None) -> Record:
        """GetVariables for (component, variable) pairs."""
        return await self.send(identity, "GetVariables", {"getVariableData": [
            {"component": {"name": c}, "variable": {"name": v}} for c, v in items]}, timeout)

    async def set_variables(self, identity: str, items: list[tuple[str, str, str]],
                            timeout: float | None = None) -> Record:
        """SetVariables for (component, variable, value) triples."""
        return await self.send(identity, "SetVariables", {"setVariableData": [
            {"component": {"name": c}, "variable": {"name": v}, "attributeValue": value} for c, v, value in items]},
            timeout)

    async def reset(self, identity: str, type: str = "OnIdle", evse_id: int | None = None,
                    timeout: float | None = None) -> Record:
        payload: dict[str, Any] = {"type": type}
        if evse_id is not None:
            payload["evseId"] = evse_id
        return await self.send(identity, "Reset", payload, timeout)

    async def trigger_message(self, identity: str, requested_message: str, evse: Mapping[str, int] | None = None,
                              timeout: float | None = None) -> Record:
        payload: dict[str, Any] = {"requestedMessage": requested_message}
        if evse is not None:
            payload["evse"] = dict(evse)
        return await self.send(identity, "TriggerMessage", payload, timeout)


def _customer_information(faults: CsmsFaults, payload: dict[str, Any]) -> dict[str, Any]:
    """N09/N10: an operator's CustomerInformation with a fresh requestId and report / clear false where not given;
    then as the fault switches spoil it."""
    out = {"requestId": secrets.randbelow(1_000_000), "report": False, "clear": False, **payload}
    if faults.customer_info_no_report:
        out["report"] = False
    if faults.customer_info_no_clear:
        out["clear"] = False
    if faults.customer_info_wrong_token and isinstance(out.get("idToken"), dict):
        out["idToken"] = {**out["idToken"], "idToken": "NOT-" + str(out["idToken"].get("idToken", ""))}
    if faults.customer_info_two_identifiers and "customerIdentifier" in out:
        out.setdefault("idToken", {"idToken": "VALID-TOKEN-01", "type": "ISO14443"})
    return out


def _operator_payload(faults: CsmsFaults, action: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """An operator's request as a faulty CSMS sends it (unchanged when no switch applies)."""
    out = dict(payload)
    if action == "RequestStartTransaction" and faults.remote_start_wrong_token and isinstance(out.get("idToken"), dict):
        out["idToken"] = {**out["idToken"], "idToken": "NOT-" + str(out["idToken"].get("idToken", ""))}
    if action == "RequestStopTransaction" and faults.stop_wrong_transaction:
        out["transactionId"] = "NOT-" + str(out.get("transactionId", ""))
    if action == "GetTransactionStatus" and faults.transaction_status_wrong_id:
        out["transactionId"] = "NOT-" + str(out.get("transactionId", "a-transaction"))
    if action == "UnlockConnector" and faults.request_wrong_evse:
        out["evseId"] = int(out.get("evseId", 0)) + 1
    if action == "CustomerInformation":
        out = _customer_information(faults, out)
    if action == "ChangeAvailability":
        out = operator_availability(faults, out)
    if action == "ChangeAvailability" and isinstance(out.get("evse"), dict):
        evse = dict(out["evse"])
        if faults.request_wrong_evse:
            evse["id"] = int(evse.get("id", 0)) + 1
        if faults.availability_with_connector:
            evse.setdefault("connectorId", 1)
        out["evse"] = evse
    return out
