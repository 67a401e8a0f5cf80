"""The built-in Charging Station simulator: the default SUT when the harness plays the CSMS (DESIGN.md §8).

A real OCPP 2.0.1 peer over a real WebSocket. It boots (waiting out Pending and Rejected for their interval),
reports every connector, sends heartbeats, serves GetVariables / SetVariables / GetBaseReport from its device model,
reboots on Reset and sends what TriggerMessage asks for. Each switch of `StationFaults` breaks one rule, so the
self-tests can prove that the matching check of the harness catches it.

Shape: one runner task connects and reconnects (`_main`); per connection a session task boots and then keeps the
heartbeat (`_session`); answers to the CSMS come from `_on_call`, and whatever they start (a reboot, a triggered
message) runs in a tracked task once the answer is on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import ssl
import string
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from ssl import SSLContext
from typing import Any

from harness.errors import TransportSetupError
from harness.ocppj import Call, CallError, CallResult, RpcSession, default_store
from harness.ocppj.defaults import now_iso, station_default
from harness.pki import PkiFactory
from harness.simulators.availability import lock_variables
from harness.simulators.certificates import CertificateStore
from harness.simulators.charging import Charging, connector_reports
from harness.simulators.customer_info import CustomerInformation
from harness.simulators.data_transfer import custom_data_refusal, data_transfer_answer
from harness.simulators.device_model import (
    ACTIVE_NETWORK_PROFILE,
    BASIC_AUTH_PASSWORD,
    CERTIFICATE_ENTRIES,
    HEARTBEAT_INTERVAL,
    NETWORK_PRIORITY,
    OFFLINE_THRESHOLD,
    SECURITY_PROFILE,
    Attribute,
    DeviceModel,
    Variable,
    VarKey,
)
from harness.simulators.faults import bad_input_reply
from harness.simulators.firmware import FirmwareUpdater
from harness.simulators.legal_choices import shaper
from harness.simulators.logs import StationLogs
from harness.simulators.network_profiles import Checks, NetworkProfile, NetworkProfiles
from harness.transcript import Record, Transcript
from harness.transport import (
    CallTimeout,
    ClientOptions,
    ConnectionLost,
    HandshakeRefused,
    OcppConnection,
    TlsRefused,
    connect,
)
from harness.transport.client import station_url
from harness.transport.tls import TlsFailure, client_context

SUBPROTOCOL = "ocpp2.0.1"
# OpenSSL's reason codes for a TLS version the station will not speak (its own, or the CSMS's alert has PROTOCOL_VERSION)
_OLD_VERSION = {"UNSUPPORTED_PROTOCOL", "WRONG_VERSION_NUMBER", "NO_PROTOCOLS_AVAILABLE", "VERSION_TOO_LOW"}
Answer = Mapping[str, Any] | CallError | None


def _password(length: int = 20) -> str:
    """A random alphanumeric password; 20 characters sit inside the 16-40 range of security profile 1."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


@dataclass
class StationFaults:
    """Each switch breaks one rule; all off is a conforming station."""

    bad_boot_payload: bool = False  # BootNotification without chargingStation.vendorName (schema-invalid)
    bad_boot_reason: bool = False  # BootNotification reason "Foo"
    no_subprotocol: bool = False  # offers ["ocpp1.6"] instead of ocpp2.0.1
    wrong_password: bool = False  # Basic Auth with another (valid-looking) password
    ignore_retry_interval: bool = False  # after Pending / Rejected, boots again at once instead of after `interval`
    send_while_rejected: bool = False  # sends a Heartbeat while Rejected
    skip_status_notification: bool = False  # no StatusNotification after an accepted boot (nor when triggered)
    reuse_message_id: bool = False  # each CALL reuses the id of the previous one
    long_message_id: bool = False  # 40-character message ids (36 is the maximum)
    wrong_error_code: bool = False  # answers bad input with GenericError instead of the prescribed code
    silent_on_bad_input: bool = False  # does not answer bad input at all
    error_code_1_6_spelling: bool = False  # FormationViolation / OccurenceConstraintViolation (OCPP 1.6 spelling)
    error_details_as_string: bool = False  # bad input answered with the right code, errorDetails a string
    minus_one_for_readable_id: bool = False  # bad input answered with message id "-1" although the id was readable
    bad_get_variables_enum: bool = False  # GetVariables attributeStatus "Fine"
    no_reboot_on_reset: bool = False  # accepts Reset, never reboots
    ignore_trigger: bool = False  # accepts TriggerMessage, never sends the message
    heartbeat_too_fast: bool = False  # heartbeats at a quarter of the interval
    bad_auth_user: bool = False  # Basic Auth user name differs from the identity
    short_password: bool = False  # an 8-character Basic Auth password
    # transactions, authorization and offline behaviour
    seqno_gap: bool = False  # the second TransactionEvent of a transaction skips a seqNo
    no_offline_flag: bool = False  # events queued while offline go out without offline: true
    no_offline_queue: bool = False  # a TransactionEvent of a moment offline is dropped, never queued (E12.FR.01)
    no_tx_retry: bool = False  # a TransactionEvent answered with CALLERROR is dropped, never retried
    ignore_backoff: bool = False  # reconnects at once after a connection loss (no RetryBackOff wait)
    start_for_blocked_token: bool = False  # a token the CSMS calls Blocked starts charging anyway
    # authorization (C01-C15) and the local authorization list (D01)
    start_for_invalid_token: bool = False  # a token the CSMS calls Invalid starts charging anyway
    authorize_wrong_token_type: bool = False  # AuthorizeRequest names the presented idToken with type KeyCode
    skip_authorize: bool = False  # never sends AuthorizeRequest: every presented token is taken as Accepted
    authorize_cached_token: bool = False  # asks the CSMS about a cached Accepted token despite LocalPreAuthorize
    no_offline_authorization: bool = False  # offline, authorizes no token at all (LocalAuthorizeOffline ignored)
    charge_on_after_invalid_id: bool = False  # StopTxOnInvalidId false: keeps charging past MaxEnergyOnInvalidId
    ignore_group_id: bool = False  # another token of the starting token's group may not stop the transaction
    stop_event_without_id_token: bool = False  # the StopAuthorized event does not name the token presented
    reject_clear_cache: bool = False  # answers ClearCache with Rejected
    fail_local_list: bool = False  # answers SendLocalList with Failed
    wrong_local_list_version: bool = False  # GetLocalListVersion answers one below the version it holds
    differential_keeps_version: bool = False  # a Differential SendLocalList is applied, its versionNumber not kept
    no_version_check: bool = False  # a Differential SendLocalList older than its list is Accepted (no VersionMismatch)
    reject_empty_full_list: bool = False  # a Full SendLocalList without entries is answered Failed
    list_status_misread: bool = False  # online, reads every Local Authorization List entry as Invalid, asks nobody
    list_refusal_final: bool = False  # online, a list entry that is not Accepted is refused, the CSMS not asked
    cache_over_list: bool = False  # offline, the Authorization Cache is asked before the Local Authorization List
    offline_list_any_status: bool = False  # offline, any token on the list is authorized, whatever its status
    local_list_lost_on_reboot: bool = False  # the Local Authorization List and its version are gone after a reboot
    version_while_disabled: bool = False  # GetLocalListVersion names its version with LocalAuthListCtrlr disabled
    no_status_after_reconnect: bool = False  # a connector change while offline is not reported once back online
    no_stopped_reason: bool = False  # TransactionEvent Ended without stoppedReason
    first_event_updated: bool = False  # a transaction's first TransactionEvent is Updated, not Started
    no_backoff_doubling: bool = False  # reconnects after RetryBackOffWaitMinimum every time, never doubling it
    # remote control, availability and clock-aligned meter values (F01-F06, G03, J01)
    reject_remote_start: bool = False  # RequestStartTransaction answered Rejected
    no_remote_start_id: bool = False  # the TransactionEvent with triggerReason RemoteStart lacks remoteStartId
    skip_remote_authorize: bool = False  # remote start without AuthorizeRequest though AuthorizeRemoteStart is true
    reject_remote_stop: bool = False  # RequestStopTransaction answered Rejected
    remote_stop_as_local: bool = False  # a remote stop is reported as triggerReason StopAuthorized, stoppedReason Local
    no_charging_state_event: bool = False  # energy flows without a TransactionEvent ChargingStateChanged / Charging
    reject_unknown_trigger: bool = False  # TriggerMessage for a message it does not implement: Rejected
    unlock_fails: bool = False  # UnlockConnector answered UnlockFailed
    availability_ignores_transaction: bool = False  # ChangeAvailability Inoperative during a transaction: Accepted, at once
    unavailable_while_scheduled: bool = False  # answers Scheduled, yet reports Unavailable while the transaction runs
    forget_scheduled_availability: bool = False  # answers Scheduled and never makes the EVSE Unavailable
    aligned_wrong_context: bool = False  # clock-aligned MeterValues with context Sample.Periodic
    aligned_missing_measurand: bool = False  # clock-aligned MeterValues leave out the first configured measurand
    aligned_skip_interval: bool = False  # clock-aligned MeterValues on every second interval boundary only
    aligned_off_boundary: bool = False  # clock-aligned MeterValues stamped half an interval after the boundary
    # block J meter values (J01, J02; harness/simulators/charging.py)
    aligned_tx_wrong_trigger: bool = False  # those clock-aligned TransactionEvents say triggerReason MeterValuePeriodic
    aligned_during_transaction: bool = False  # AlignedDataCtrlr.SendDuringIdle true: still sends during a transaction
    ended_no_meter_value: bool = False  # the Ended TransactionEvent carries no meterValue
    ended_wrong_context: bool = False  # the Ended event's clock values say Sample.Periodic, its sampled ones Sample.Clock
    ended_uneven_interval: bool = False  # every second TxEnded value of the Ended event is stamped half an interval late
    ended_missing_measurand: bool = False  # the Ended event's TxEnded values leave out the first configured measurand
    ended_no_transaction_end: bool = False  # the Ended event has no Transaction.End reading
    unsigned_readings: bool = False  # SignReadings true: the readings carry no signedMeterValue
    bad_public_key: bool = False  # signedMeterValue.publicKey is neither "" nor base64
    begin_missing_measurand: bool = False  # the Transaction.Begin reading leaves out the first TxStartedMeasurand
    begin_wrong_context: bool = False  # the start reading says Sample.Periodic, not Transaction.Begin
    sampled_wrong_trigger: bool = False  # periodic TransactionEvents say triggerReason MeterValueClock
    sampled_wrong_context: bool = False  # periodic TransactionEvent values say Sample.Clock
    sampled_missing_measurand: bool = False  # periodic values leave out the first TxUpdatedMeasurand
    sampled_skip_interval: bool = False  # periodic TransactionEvents on every second TxUpdatedInterval only
    # security profile 3
    station_wrong_cn_cert: bool = False  # presents a station certificate whose CN is not its serial number
    # security profiles 2 and 3: what the station must refuse (A00.FR.308-311, A00.FR.313-316)
    accept_invalid_server_cert: bool = False  # connects whatever server certificate the CSMS presents
    station_accept_old_tls: bool = False  # agrees TLS 1.1 when the CSMS offers nothing newer
    no_invalid_csms_cert_event: bool = False  # refuses an invalid CSMS certificate without InvalidCsmsCertificate
    no_invalid_tls_version_event: bool = False  # refuses TLS < 1.2 without the InvalidTLSVersion security event
    # secure firmware update (L01)
    install_unverified_firmware: bool = False  # a signature that does not verify: SignatureVerified, installs anyway
    firmware_wrong_request_id: bool = False  # FirmwareStatusNotification carries requestId + 1
    report_downloaded_when_missing: bool = False  # reports Downloaded when every download attempt failed
    no_firmware_security_event: bool = False  # no InvalidFirmwareSignature / FirmwareUpdated security events
    fake_firmware_download: bool = False  # reports Downloading ... Installed without downloading or verifying
    skip_downloaded_status: bool = False  # never sends FirmwareStatusNotification Downloaded
    accept_unsigned_firmware: bool = False  # UpdateFirmware without signature and signingCertificate: Accepted
    install_broken_firmware: bool = False  # an image its installer should refuse is reported Installed
    accept_untrusted_firmware_certificate: bool = False  # a signingCertificate of no trusted root: Accepted
    firmware_ignores_install_time: bool = False  # installs at once: no InstallScheduled for a later installDateTime
    firmware_ignores_retrieve_time: bool = False  # downloads at once: no DownloadScheduled for a later retrieveDateTime
    reject_second_firmware: bool = False  # a new UpdateFirmware during a download: Rejected, though it can cancel
    accept_uncancelable_firmware: bool = False  # cannot cancel the running update, answers Accepted all the same
    canceled_firmware_old_request_id: bool = False  # after AcceptedCanceled reports with the canceled requestId
    firmware_ignores_transaction: bool = False  # downloads a firmware update during a transaction (NOT AQ-7)
    activate_during_transaction: bool = False  # reports the new firmware Installed while a transaction runs
    no_unavailable_pending_firmware: bool = False  # AllowNewSessionsPendingFirmwareUpdate false: idle connectors
    #                                                stay Available while the update waits (L01.FR.07)
    # certificate management (A02, M03-M05)
    accept_any_certificate: bool = False  # CertificateSigned with an invalid certificate is Accepted anyway
    no_csr_retry: bool = False  # never repeats SignCertificate when CertificateSigned does not come
    early_csr_retry: bool = False  # repeats SignCertificate after half of CertSigningWaitMinimum
    csr_retry_no_doubling: bool = False  # repeats SignCertificate after CertSigningWaitMinimum each time (A02.FR.18)
    repeat_rejected_csr: bool = False  # sends SignCertificate again at once after the CSMS Rejected it
    keep_old_station_certificate: bool = False  # after CertificateSigned goes on presenting its old certificate
    forget_manufacturer_root: bool = False  # InstallCertificate ManufacturerRootCertificate: Accepted, not stored
    certificate_chain_omitted: bool = False  # GetInstalledCertificateIds Accepted without the (optional) chain
    # the Basic Auth password (A01)
    accept_short_password: bool = False  # takes a BasicAuthPassword of any length
    keep_old_password: bool = False  # accepts a new BasicAuthPassword and goes on using the old one
    wrong_certificate_hash: bool = False  # GetInstalledCertificateIds reports a wrong issuerKeyHash
    keep_deleted_certificate: bool = False  # DeleteCertificate answers Accepted and keeps the certificate
    delete_station_certificate: bool = False  # DeleteCertificate of its own ChargingStationCertificate: Accepted
    accept_expired_certificate: bool = False  # InstallCertificate of an expired CA certificate: Accepted, installed
    skip_root_signature_check: bool = False  # AdditionalRootCertificateCheck true, installs an unrelated CSMS root
    keep_old_csms_root: bool = False  # a connection validated with a new CSMS root succeeded; keeps the old root
    no_root_fallback: bool = False  # the new CSMS root fails to validate the CSMS: keeps trying it, no fallback
    ids_ignore_type: bool = False  # GetInstalledCertificateIds lists every certificate, whatever certificateType asks
    delete_unknown_accepted: bool = False  # DeleteCertificate of a certificate it does not hold: Accepted
    # network connection profiles (A05, B09, B10)
    accept_downgrade: bool = False  # accepts a network profile of a lower security profile (and its priority)
    upgrade_without_root: bool = False  # accepts an upgrade to security profile 2/3 with no CSMSRootCertificate
    upgrade_without_station_certificate: bool = False  # accepts an upgrade to profile 3 with no station certificate
    ignore_network_priority: bool = False  # after a reboot reconnects with the old profile, not the first entry
    keep_lower_profile_slot: bool = False  # after an upgrade keeps the lower profile's slot in the priority (A05.FR.06)
    fallback_to_lower_profile: bool = False  # reports the old slot gone, still falls back to it when the new fails
    refuse_network_slot: bool = False  # refuses every SetNetworkProfile: reasonCode InvalidConfSlot
    no_reconnect_after_firmware: bool = False  # activates a new firmware without a reboot or a new connection
    firmware_leaves_unavailable: bool = False  # reports its connectors Unavailable after installing, never Available
    # log retrieval (N01, harness/simulators/logs.py)
    log_wrong_request_id: bool = False  # LogStatusNotification carries another requestId than the GetLog's
    uploaded_without_upload: bool = False  # reports Uploading, Uploaded and uploads nothing
    security_log_as_diagnostics: bool = False  # asked for the SecurityLog, uploads the diagnostics log
    log_without_filename: bool = False  # GetLogResponse Accepted without a filename
    log_no_retries: bool = False  # a failed log upload is given up at once (GetLog retries / retryInterval ignored)
    no_log_cancel: bool = False  # a GetLog during an upload: Accepted, the first upload is not canceled
    no_canceled_status: bool = False  # cancels an upload without LogStatusNotification AcceptedCanceled
    # customer information (N09, N10; harness/simulators/customer_info.py)
    customer_info_rejected: bool = False  # CustomerInformation answered Rejected
    customer_info_no_data: bool = False  # reports no data of a customer it holds data of
    customer_info_not_cleared: bool = False  # clear true: Accepted, the data stays
    customer_info_endless_tbc: bool = False  # every NotifyCustomerInformation says tbc true (no last part)
    customer_info_no_notify: bool = False  # CustomerInformation Accepted, no NotifyCustomerInformation follows
    customer_info_wrong_request_id: bool = False  # NotifyCustomerInformation carries requestId + 1
    # boot states (B02, B03) and the device model (B05, B06, B07)
    send_while_pending: bool = False  # sends a Heartbeat while Pending
    start_while_pending: bool = False  # RequestStartTransaction while Pending is Accepted (a transaction starts)
    reject_boot_trigger: bool = False  # TriggerMessage(BootNotification) while Pending is Rejected
    no_security_error_while_rejected: bool = False  # answers the CSMS's requests normally while Rejected
    refuse_base_report: bool = False  # GetBaseReport is Rejected
    truncated_report: bool = False  # a base report stops after its first NotifyReport, which says more follows
    reset_boot_reason_power_up: bool = False  # after a Reset, boots with reason PowerUp instead of RemoteReset
    get_variables_rejected: bool = False  # every getVariableResult is Rejected
    reject_offline_threshold: bool = False  # Get/SetVariables of OCPPCommCtrlr.OfflineThreshold are Rejected
    set_variables_not_stored: bool = False  # SetVariables is Accepted and changes nothing
    variables_wrong_type: bool = False  # get/setVariableResult carry attributeType Target
    variables_wrong_names: bool = False  # get/setVariableResult name the variable in lower case
    variables_status_info_error: bool = False  # get/setVariableResult carry attributeStatusInfo InternalError
    # block E transactions: start and stop points, EV-side disconnect, transaction status, retries
    energy_start_at_plug_in: bool = False  # TxStartPoint EnergyTransfer: starts at plug-in (EVConnected), not at energy
    unsigned_start_value: bool = False  # TxStartPoint DataSigned: the Transaction.Begin value carries no signature
    bay_start_as_cable: bool = False  # TxStartPoint ParkingBayOccupancy: starts at plug-in, not when the EV drives in
    no_bay_stop: bool = False  # TxStopPoint ParkingBayOccupancy: the EV leaving the bay does not end the transaction
    power_path_stop_updated: bool = False  # TxStopPoint PowerPathClosed / EnergyTransfer: a stop does not end it
    energy_stop_wrong_state: bool = False  # TxStopPoint EnergyTransfer: the EV suspends; Ended says SuspendedEV
    ev_side_keeps_transaction: bool = False  # an EV-side disconnect never ends it (StopTxOnEVSideDisconnect ignored)
    ev_side_no_resume: bool = False  # the EV reconnected at its side: no energy again
    not_ready_as_charging: bool = False  # an EV not ready for energy when it connects is charged anyway
    remote_authorize_when_disabled: bool = False  # DisableRemoteAuthorization true: still sends AuthorizeRequest
    no_deauthorize_on_invalid: bool = False  # StopTxOnInvalidId true: a token answered Invalid does not end it
    status_unknown_ongoing: bool = False  # GetTransactionStatus: an unknown transactionId is reported ongoing
    status_queue_hidden: bool = False  # GetTransactionStatus: messagesInQueue false while events are queued
    status_indicator_without_id: bool = False  # GetTransactionStatus without transactionId: ongoingIndicator false
    resend_after_success: bool = False  # a TransactionEvent answered after a retry is sent once more
    no_ev_connect_timeout: bool = False  # EVConnectionTimeOut never expires: an authorization without EV stays
    # block C coverage: the authorization cache, GroupId and the Master Pass (C01, C09-C12, C15, C16)
    trust_cached_refusal: bool = False  # a token cached as not Accepted is refused without AuthorizeRequest
    post_authorize_despite_disable: bool = False  # DisablePostAuthorize true (cache's or list's), still asks the CSMS
    ignore_cache_lifetime: bool = False  # cache entries never expire (AuthCacheCtrlr.LifeTime ignored)
    pre_authorize_always: bool = False  # takes a cached Accepted token without asking although LocalPreAuthorize is false
    cache_ignores_transaction_response: bool = False  # the idTokenInfo of a TransactionEventResponse is not cached
    start_for_refused_token: bool = False  # a token the CSMS calls Expired, Unknown, Invalid … starts charging anyway
    stop_with_any_token: bool = False  # any accepted token stops a running transaction
    group_stop_ignores_status: bool = False  # a token of the group stops the transaction even when not Accepted
    no_deauthorize: bool = False  # StopTxOnInvalidId true: a transaction whose token is refused goes on charging
    ignore_max_energy: bool = False  # StopTxOnInvalidId false: stops offering energy at once (MaxEnergyOnInvalidId ignored)
    master_pass_starts: bool = False  # a Master Pass token starts a transaction
    master_pass_stops_one: bool = False  # a Master Pass (no UI) stops only the first transaction
    master_pass_wrong_reason: bool = False  # a Master Pass stop ends with stoppedReason Local
    cache_lost_on_reboot: bool = False  # the authorization cache is empty after a reboot
    clear_disabled_cache: bool = False  # ClearCache is Accepted while AuthCacheCtrlr.Enabled is false
    # block G availability and connector status (G01, G03-G05; harness/simulators/availability.py), block P data
    # transfer and customData (P01, P03; data_transfer.py), TC_K_38_CS (F01.FR.12/13)
    no_occupied_status: bool = False  # an EV plugged in: the connector is never reported Occupied
    no_available_after_unplug: bool = False  # the EV unplugged: the connector is never reported Available
    availability_rejected_when_unchanged: bool = False  # ChangeAvailability to the state already in: Rejected
    ignore_operative: bool = False  # ChangeAvailability Operative: Accepted, and everything stays as it was
    reject_station_availability: bool = False  # ChangeAvailability for the whole station (no evse): Rejected
    reject_connector_availability: bool = False  # ChangeAvailability for one connector: Rejected
    station_inoperative_spares_idle: bool = False  # station Inoperative during a transaction: idle EVSEs stay Available
    forget_availability_on_reboot: bool = False  # after a reboot every EVSE and connector is operative again
    availability_persists_station_wide: bool = False  # after a reboot an EVSE's / connector's Inoperative covers all
    report_connector_zero: bool = False  # after a boot also a StatusNotification for evseId 0, connectorId 0
    no_lock_failure_event: bool = False  # a cable that cannot lock: no NotifyEvent ConnectorPlugRetentionLock Problem
    charge_without_lock: bool = False  # a cable that cannot lock: reports the Problem, and charges anyway
    accept_data_transfer: bool = False  # DataTransfer of an unknown vendor: Accepted
    reject_custom_data: bool = False  # a request with customData: CALLERROR PropertyConstraintViolation
    reject_charging_profile_start: bool = False  # RequestStartTransaction with a chargingProfile: Rejected
    # block F remote control and TriggerMessage (F02, F03, F05, F06; testcases/test_f_remote_cs.py)
    ev_timeout_as_deauthorized: bool = False  # EVConnectionTimeOut ends the transaction with triggerReason Deauthorized
    accept_unknown_remote_stop: bool = False  # RequestStopTransaction for an unknown transactionId: Accepted
    unlock_during_transaction: bool = False  # UnlockConnector during an authorized transaction: Unlocked
    unlock_unknown_connector: bool = False  # UnlockConnector for a connector it does not have: UnlockFailed
    triggered_context_periodic: bool = False  # triggered MeterValues / TransactionEvent: context Sample.Periodic
    triggered_meter_values_evse_zero: bool = False  # MeterValues triggered for one EVSE report evseId 0
    trigger_first_evse_only: bool = False  # a TriggerMessage without evse is answered for the first EVSE only
    triggered_event_periodic: bool = False  # a triggered TransactionEvent has triggerReason MeterValuePeriodic
    triggered_status_idle: bool = False  # triggered Log/FirmwareStatusNotification: Idle while it uploads/downloads
    triggered_idle_as_done: bool = False  # triggered while idle: LogStatusNotification Uploaded, Firmware… Installed
    triggered_status_available: bool = False  # a triggered StatusNotification says Available whatever the state
    accept_boot_trigger: bool = False  # TriggerMessage(BootNotification) once accepted: Accepted (and no boot)
    # block B coverage (GetVariables / SetVariables, base reports, reset, network profiles)
    unknown_as_rejected: bool = False  # an unknown component or variable: attributeStatus Rejected, not Unknown…
    attribute_type_as_actual: bool = False  # an attribute type the variable lacks is served as its Actual value
    accept_malformed_value: bool = False  # SetVariables takes a value whatever its data type (B05.FR.07 ignored)
    read_only_accepted: bool = False  # SetVariables of a ReadOnly variable: Accepted (nothing changes)
    report_without_characteristics: bool = False  # base reports leave variableCharacteristics out
    report_seq_from_one: bool = False  # the NotifyReports of a base report count seqNo from 1
    report_missing_required: bool = False  # base reports leave out the required OCPPCommCtrlr.OfflineThreshold
    config_report_read_only: bool = False  # a ConfigurationInventory also lists ReadOnly variables
    report_write_only_value: bool = False  # base reports give the value of a WriteOnly variable
    summary_without_evse: bool = False  # a SummaryInventory reports only the ChargingStation's AvailabilityState
    report_unsupported_anyway: bool = False  # answers a report NotSupported and sends NotifyReports all the same
    reset_ignores_transaction: bool = False  # ResetRequest OnIdle during a transaction: Accepted, reboots at once
    immediate_reset_wrong_reason: bool = False  # a ResetRequest Immediate ends transactions with stoppedReason Reboot
    scheduled_reset_as_remote: bool = False  # the reboot a scheduled (OnIdle) reset waited for boots RemoteReset
    accept_evse_reset: bool = False  # a ResetRequest for one EVSE (not supported): Accepted, nothing happens
    accept_any_slot: bool = False  # SetNetworkProfile to a configuration slot it does not have: Accepted
    no_network_fallback: bool = False  # never moves on to the next NetworkConfigurationPriority entry
    changed_only_after_offline: bool = False  # back online after OfflineThreshold: reports only changed connectors
    reject_reset: bool = False  # every ResetRequest Rejected (the whole station, and per EVSE with variant evse_reset)
    evse_reset_ignores_transaction: bool = False  # a reset of an EVSE that charges: Accepted (not Scheduled / Rejected)
    ignore_installed_roots: bool = False  # a new network profile is trusted with the factory CSMS roots only


@dataclass
class StationVariants:
    """Legal choices a real station makes differently (Part 6 passes each): the simulator can make them, so the
    self-tests prove the harness does not fail a conformant station that chose otherwise. Not faults."""

    availability_by_notify_event: bool = False  # connector states by NotifyEvent AvailabilityState, never StatusNotification
    read_only_tx_points: bool = False  # TxCtrlr.TxStartPoint / TxStopPoint are ReadOnly (SetVariables: Rejected)
    start_at_authorized: bool = False  # TxCtrlr.TxStartPoint is Authorized out of the box (a token starts it)
    start_at_bay: bool = False  # TxCtrlr.TxStartPoint is ParkingBayOccupancy out of the box (a bay sensor starts it)
    list_disable_post_authorize: bool = False  # implements LocalAuthListCtrlr.DisablePostAuthorize (LA-3), false
    no_local_pre_authorize: bool = False  # AuthCtrlr.LocalPreAuthorize not implemented (GetVariables: UnknownVariable)
    boot_trigger_not_implemented: bool = False  # TriggerMessage(BootNotification) is NotImplemented (F06 allows it)
    # block E
    fixed_cable: bool = False  # a permanently attached cable (HFS-2): the EV-side disconnect frees the connector
    # block C coverage
    master_pass_ui: bool = False  # a Master Pass UI (C-07, C16.FR.01): the user selects what to stop; its profile
    #                               must claim C-07 instead of C-08
    # block G (harness/simulators/availability.py)
    no_plug_retention_lock: bool = False  # no ConnectorPlugRetentionLock in the device model (TC_G_20_CS: not applicable)
    # block B coverage
    no_summary_inventory: bool = False  # no SummaryInventory base report (C-56 false; its profile must not claim it)
    # block L
    firmware_not_cancelable: bool = False  # cannot cancel a running firmware update (NOT C-60): Rejected, goes on;
    #                                        its profile must not claim C-60
    # block M
    additional_root_check: bool = False  # SecurityCtrlr.AdditionalRootCertificateCheck true (AS-2): a new
    #                                      CSMSRootCertificate must be signed by the installed one (M05.FR.11)
    # the verdict-accuracy corpus (issue 12, tests/verdict_corpus.py)
    custom_data_everywhere: bool = False  # customData at the root of every CALL and answer it sends (P: always allowed)
    status_info_in_answers: bool = False  # statusInfo (reasonCode NoError) beside every Accepted status it answers
    slow_answers: bool = False  # every answer to a CSMS request leaves SLOW_ANSWER s late (inside any message timeout)
    duplicate_status_notifications: bool = False  # each connector state report (after a boot, reconnect, trigger) twice
    late_reconnect: bool = False  # reconnects as late as its back-off allows: the whole RetryBackOffRandomRange, and
    #                               RetryBackOffWaitMinimum also after a reboot
    full_boot_payload: bool = False  # BootNotification with every optional field (chargingStation.modem: iccid, imsi)
    minimal_boot_payload: bool = False  # BootNotification with the required fields only (no serialNumber, firmware)
    extra_measurands: bool = False  # transaction meter values also carry Voltage and Current.Import (not configured)
    minimal_answers: bool = False  # every answer with only the fields its schema requires (no case may crash on it)
    evse_reset: bool = False  # a reset per EVSE (C-13, B11.FR.08; its profile must claim C-13)
    firmware_after_transactions: bool = False  # downloads no firmware during a transaction either (NOT AQ-7)
    firmware_during_transaction: bool = False  # installs firmware during a transaction, activates it with a new
    #                                            connection, no reboot (C-43; its profile must claim C-43)


# How late an answer of a `slow_answers` simulator is: well inside the message timeout of any run (the harness's
# --ocpp-timeout is at least 3 s in its own tests, 10 s by default).
SLOW_ANSWER = 1.5


@dataclass
class StationConfig:
    identity: str = "SIM-CS-001"
    csms_url: str = "ws://127.0.0.1:9000/ocpp"  # base URL; the identity is appended (RPC-02)
    password: str | None = field(default_factory=_password)  # Basic Auth; None: no Authorization header
    serial_number: str = "SIM-SN-0001"
    model: str = "HarnessSim"
    vendor: str = "OpenOCPPHarness"
    firmware: str = "1.0.0"
    evses: list[int] = field(default_factory=lambda: [1, 1])  # connectors per EVSE: EVSE 1 and 2, one each
    heartbeat_interval: int = 60  # until a BootNotificationResponse (or SetVariables) says otherwise
    call_timeout: float = 10.0  # how long a CALL of the station waits for its answer
    reconnect_delay: float = 0.2  # pause before reconnecting, and before retrying a failed BootNotification
    faults: StationFaults = field(default_factory=StationFaults)
    variants: StationVariants = field(default_factory=StationVariants)
    security_profile: int = 1  # 2: TLS + Basic Auth, 3: mutual TLS (then `password` is None)
    tls: SSLContext | None = field(default=None, repr=False)  # wss://: trusts the CSMS root; SP3: its certificate
    pki: PkiFactory | None = field(default=None, repr=False)  # where its keys and CSRs live; its CSO issuer
    report: Callable[[str], None] | None = field(default=None, repr=False)  # told what happens (`simulate station`)


@dataclass
class StationState:
    """Where the station stands; read by tests and by the harness's control adapter."""

    boot_status: str | None = None  # status of the last BootNotificationResponse; None before the first
    boot_interval: int | None = None  # its `interval`
    boot_reason: str = "PowerUp"  # reason of the next (or running) BootNotification
    needs_boot: bool = True  # False from an Accepted boot until a reboot or a SecurityError
    startup_event: str | None = "StartupOfTheDevice"  # SecurityEvent to report after the next Accepted boot
    heartbeats: int = 0  # Heartbeats sent
    # security events of refused TLS handshakes, (type, techInfo), sent on the next accepted connection (A04)
    security_events: list[tuple[str, str]] = field(default_factory=list)


async def _wait(event: asyncio.Event, timeout: float | None) -> bool:
    """Whether `event` is set within `timeout` seconds (None: no limit). `asyncio.timeout`, not `wait_for`: on
    Python 3.11 `wait_for` swallows a cancellation that races the event, and `stop()` must always win."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()
    return event.is_set()


@dataclass
class PendingEvent:
    """A TransactionEvent in the outbox: its payload and the delivery attempts that failed so far."""

    payload: dict[str, Any]
    attempts: int = 0


class NotAccepted(Exception):
    """The CSMS answered CALLERROR SecurityError: it does not consider this station accepted (any more)."""


class StationSimulator:
    """An OCPP 2.0.1 Charging Station: `await start()`, let the CSMS drive it, `await stop()`."""

    def __init__(self, config: StationConfig | None = None) -> None:
        self.config = config or StationConfig()
        self.faults = self.config.faults
        security = (self.config.security_profile if self.config.password is not None or self.config.tls is not None
                    else 0)
        self.model = DeviceModel(self.config.evses, heartbeat_interval=self.config.heartbeat_interval,
                                 security_profile=security, password=self.config.password)
        if self.config.variants.read_only_tx_points:
            for name in ("TxStartPoint", "TxStopPoint"):
                self.model.variables[VarKey("TxCtrlr", name)].attributes["Actual"].mutability = "ReadOnly"
        if self.config.variants.start_at_authorized or self.config.variants.start_at_bay:
            start = "Authorized" if self.config.variants.start_at_authorized else "ParkingBayOccupancy"
            self.model.put(VarKey("TxCtrlr", "TxStartPoint"), start)
        if self.config.variants.list_disable_post_authorize:
            self.model.variables[VarKey("LocalAuthListCtrlr", "DisablePostAuthorize")] = Variable(
                "boolean", {"Actual": Attribute("false", "ReadWrite")})
        if self.config.variants.no_local_pre_authorize:
            del self.model.variables[VarKey("AuthCtrlr", "LocalPreAuthorize")]  # never pre-authorizes locally
        if not self.config.variants.no_plug_retention_lock:
            self.model.variables.update(lock_variables(self.config.evses))  # G05
        self.transcript = Transcript(name=f"station simulator {self.config.identity}")
        self.state = StationState()
        self.transcript.subscribe(self._boot_answered)
        self.conn: OcppConnection | None = None  # the live connection, if any
        self.connected = asyncio.Event()  # set while an OCPP 2.0.1 connection is open
        self.booted = asyncio.Event()  # set while the last BootNotification was Accepted
        self.boot_count = 0  # BootNotifications sent
        self.errors: list[Exception] = []  # the simulator's own failures; `stop()` raises the first
        self._attempted = asyncio.Event()  # the first connection attempt is over (open, or refused)
        self._reboot_reason: str | None = None  # a reboot waiting for the next connection
        self._nudge = asyncio.Event()  # wakes the heartbeat loop: interval changed, or acceptance lost
        self._triggered = asyncio.Event()  # TriggerMessage(BootNotification) ends a Pending wait
        self._idle = asyncio.Event()  # a transaction ended or a cable was unplugged (firmware waiting for it)
        self._accepted_at = 0.0  # loop time of the last Accepted boot: the heartbeat timer starts there
        self._last_id: str | None = None
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.charging = Charging(self.config.evses, self.model, link=self, faults=self.faults,
                                 by_event=self.config.variants.availability_by_notify_event)
        self.charging.fixed_cable = self.config.variants.fixed_cable
        self.charging.master_pass_ui = self.config.variants.master_pass_ui
        self.charging.extra_measurands = self.config.variants.extra_measurands
        self.outbox: deque[PendingEvent] = deque()  # TransactionEvents not yet delivered, oldest first
        self._online = asyncio.Event()  # set while booted and announced: messages may go out
        self._outbox_wake = asyncio.Event()  # an event was queued, or the station came online
        self._outbox_drained = asyncio.Event()  # the outbox is empty (a reset waits for it before rebooting)
        self.certificates = CertificateStore(self.config.serial_number, self.config.pki)
        if self.config.pki is not None:  # installed at manufacturing: the CSMS root it connects with, and its CSO CA
            for root in self.config.pki.csms_roots():
                self.certificates.install(root, "CSMSRootCertificate")
            self.certificates.issuers.append(self.config.pki.station_ca_path.read_text())
        if self.config.variants.additional_root_check:
            self.model.variables[VarKey("SecurityCtrlr", "AdditionalRootCertificateCheck")] = Variable(
                "boolean", {"Actual": Attribute("true", "ReadOnly")})
            self.certificates.additional_root_check = not self.faults.skip_root_signature_check
        self._renewal: asyncio.Task[None] | None = None  # SignCertificate until CertificateSigned comes (A02)
        self._trying_root = False  # the connection being opened validates with a newly installed CSMS root (M05)
        self._password_changed = False  # a SetVariables just set BasicAuthPassword: reconnect after answering
        self.network = NetworkProfiles(NetworkProfile(self.config.csms_url, security),
                                       keep_active=self.faults.ignore_network_priority,
                                       keep_lower=self.faults.keep_lower_profile_slot,
                                       hidden_fallback=self.faults.fallback_to_lower_profile,
                                       no_fallback=self.faults.no_network_fallback)
        self.logs = StationLogs(self.config.identity, self.faults, tls=self._upload_tls)  # GetLog (N01)
        self.customers = CustomerInformation(self.charging.auth, self.faults)  # N09, N10
        self.firmware = FirmwareUpdater(self, self.faults, trusted=self._firmware_roots,
                                        tls=client_context(self.config.pki.csms_trust_path) if self.config.pki else None,
                                        download_timeout=self.config.call_timeout,
                                        cancelable=not self.config.variants.firmware_not_cancelable,
                                        download_in_transaction=not self.config.variants.firmware_after_transactions,
                                        install_in_transaction=self.config.variants.firmware_during_transaction)

    # ---- life cycle --------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the station; returns once the first connection attempt is over: open (`connected` is set) or
        refused (a fault switch, or a CSMS that says no; the station keeps retrying)."""
        if self._runner is None:
            self._runner = asyncio.create_task(self._main(), name=f"station {self.config.identity}")
            for work in (self._deliver_events(), self.charging.clock_aligned(), self.charging.sampled()):
                self._keep(work, "running its timers and outbox")
        await self._attempted.wait()

    async def stop(self) -> None:
        """Close the connection (1000) and end every task; raises the simulator's first own failure, if any."""
        runner, self._runner = self._runner, None
        self._stopping = True
        conn = self.conn
        if conn is not None and not conn.closed.is_set():
            await conn.close(1000, "station stopping")
        tasks = [*self._tasks, *([runner] if runner is not None else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.charging.close()
        self.connected.clear()
        self.transcript.close()
        if self.errors:
            raise self.errors[0]

    async def remove_station_certificate(self) -> None:
        """Lab action (Part 5 AQ-3): the ChargingStationCertificate is gone; a security profile 3 connection can no
        longer be made (A05.FR.03 refuses an upgrade to it)."""
        self.certificates.station_chain = None
        self.certificates.station_key = None
        self.note("lab action: the ChargingStationCertificate was removed")

    async def power_cycle(self) -> None:
        """Part 6 manual action: power off (the connection closes, 1000), power on (connect, boot "PowerUp").
        Returns once the old connection is closed."""
        await self._reboot("PowerUp")

    async def restore_network_profile(self) -> None:
        """Lab action: back to the network profile the station was installed with, then a power cycle (a real
        station refuses a downgrade over OCPP, so a test that upgraded it restores it this way)."""
        self.network.restore()
        self.model.put(NETWORK_PRIORITY, "1")
        await self._reboot("PowerUp")

    async def _reboot(self, reason: str) -> None:
        self._reboot_reason = reason
        if self.faults.cache_lost_on_reboot:
            self.charging.auth.clear_cache()
        if self.faults.local_list_lost_on_reboot:
            self.charging.auth.forget_local_list()
        self.network.rebooted()
        self.charging.availability.rebooted()  # G03.FR.08 / G04.FR.09: what was set stays
        self.charging.apply_availability()
        self.booted.clear()
        conn = self.conn
        if conn is not None and not conn.closed.is_set():
            await conn.close(1000, "rebooting")

    # ---- connecting --------------------------------------------------------------------------------------------
    def _options(self, profile: NetworkProfile) -> ClientOptions:
        f, user = self.faults, None
        password = self.config.password if profile.security_profile < 3 else None
        if f.wrong_password or f.bad_auth_user or f.short_password:
            password = password or _password()
        if f.wrong_password:
            password = _password()  # 20 random characters: valid-looking, and not the configured one
        if f.short_password and password is not None:
            password = password[:8]
        if f.bad_auth_user:
            user = self.config.identity + "X"
        return ClientOptions(subprotocols=["ocpp1.6"] if f.no_subprotocol else [SUBPROTOCOL], password=password,
                             username=user, open_timeout=self.config.call_timeout,
                             ssl=self._tls_for(profile.security_profile, profile))

    def _tls_for(self, security: int, profile: NetworkProfile | None = None) -> SSLContext | None:
        """TLS of a connection at `security`: what the station was installed with for its own profile; for an
        upgraded one, trust in the CSMS root (profile 3: presenting the station certificate CertificateSigned
        installed). Under AdditionalRootCertificateCheck a newly installed CSMS root is tried alone first."""
        if security < 2:
            return None
        pending = self.certificates.pending_root
        self._trying_root = pending is not None and self.config.pki is not None
        if self._trying_root:
            return self._root_context(str(pending), security)
        pki = self.config.pki
        if (security == self.config.security_profile and pki is not None and profile is not None
                and not self.faults.ignore_installed_roots
                and profile != self.network.initial and self.certificates.trusted("CSMSRootCertificate")):
            # a network profile set over OCPP (B10 / M05: a new CSMS with a new root) also trusts every
            # CSMSRootCertificate installed since
            bundle = pki.run_dir / f"{self.config.identity}-trusted-csms-roots.pem"
            bundle.write_text("".join([*pki.csms_roots(), *self.certificates.trusted("CSMSRootCertificate")]))
            own = pki.station(self.config.serial_number)
            certificate = (self._station_certificate_files() or (own.cert_path, own.key_path)) if security == 3 \
                else None
            return client_context(bundle, certificate=certificate)
        if security == self.config.security_profile or self.config.pki is None:
            return self.config.tls
        return client_context(self.config.pki.csms_trust_path,
                              certificate=self._station_certificate_files() if security == 3 else None)

    def _root_context(self, root: str, security: int) -> SSLContext:
        """Trust in `root` alone (not self-signed: a partial chain ends there), with the station certificate at 3."""
        assert self.config.pki is not None
        path = self.config.pki.run_dir / f"{self.config.identity}-csms-root-in-use.pem"
        path.write_text(root)
        certificate = None
        if security == 3:
            own = self.config.pki.station(self.config.serial_number)
            certificate = self._station_certificate_files() or (own.cert_path, own.key_path)
        context = client_context(path, certificate=certificate)
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        return context

    def _station_certificate_files(self) -> tuple[Path, Path] | None:
        """(chain, key) files of the station certificate installed by CertificateSigned, if any."""
        store = self.certificates
        if store.station_chain is None or store.station_key is None:
            return None
        chain_path = store.station_key.with_name(store.station_key.name.replace(".key.pem", ".chain.pem"))
        chain_path.write_text(store.station_chain)
        return chain_path, store.station_key

    async def _main(self) -> None:
        """Connect, serve the connection until it closes, wait, again; until cancelled. A reboot reconnects after
        `reconnect_delay`; a lost or refused connection after the RetryBackOff wait (Part 4 §5.3), which doubles
        per failed attempt up to RetryBackOffRepeatTimes and starts over once a connection opens."""
        failures = 0
        while not self._stopping:
            opened = False
            profile = self.network.target
            self._say(f"connecting to {station_url(profile.url, self.config.identity)}")
            try:
                ws = await connect(profile.url, self.config.identity, self._options(profile))
            except (HandshakeRefused, TransportSetupError) as exc:
                self._say(f"not connected: {exc}")
                self.transcript.add(0, "event", event="refused", detail={"error": str(exc), "url": profile.url})
                self.network.failed(self.model.number("OCPPCommCtrlr", "NetworkProfileConnectionAttempts"))
                if isinstance(exc, TlsRefused):
                    self._tls_refused(exc.failure)
                    if self._trying_root and not self.faults.no_root_fallback:  # M05.FR.14: back to the old root
                        self.note("the new CSMS root did not validate the CSMS certificate: falling back")
                        self.certificates.pending_root = None
            else:
                opened, failures = True, 0
                if self._trying_root:  # M05.FR.13: the new root works; the old one goes
                    root = self.certificates.root_replaced(remove_old=not self.faults.keep_old_csms_root)
                    self.config.tls = self._root_context(root, profile.security_profile)
                    self.model.put(CERTIFICATE_ENTRIES, str(len(self.certificates.installed)))
                self.network.opened()
                self.model.put(SECURITY_PROFILE, str(profile.security_profile))
                self.model.put(ACTIVE_NETWORK_PROFILE, str(self.network.active))
                self.model.put(NETWORK_PRIORITY, self.network.priority_value)
                conn = OcppConnection(ws, RpcSession(default_store()), self.transcript, self._on_call,
                                      identity=self.config.identity, call_timeout=self.config.call_timeout,
                                      bad_input_reply=bad_input_reply(self.faults),
                                      shape=shaper(custom_data=self.config.variants.custom_data_everywhere,
                                                   status_info=self.config.variants.status_info_in_answers,
                                                   minimal=self.config.variants.minimal_answers),
                                      answer_delay=SLOW_ANSWER if self.config.variants.slow_answers else 0.0)
                self._say(f"connected (security profile {profile.security_profile})")
                try:
                    await self._serve(conn)
                except Exception as exc:  # a bug of the simulator: keep it for stop(), keep the station alive
                    self._failed("serving a connection", exc)
                if not self._stopping:
                    self._say("connection closed")
            self._attempted.set()
            if opened and self._reboot_reason is not None:
                delay = self.config.reconnect_delay
                if self.config.variants.late_reconnect:
                    delay = max(delay, self.model.number("OCPPCommCtrlr", "RetryBackOffWaitMinimum"))
            else:
                delay, failures = self._backoff(failures), failures + 1
            if not self._stopping:
                self._say(f"reconnecting in {delay:.1f} s")
            await asyncio.sleep(delay)  # allow-sleep: the station's reconnect wait (reboot or back-off)

    def _backoff(self, failures: int) -> float:
        """RetryBackOffWaitMinimum doubled per earlier failed attempt (at most RetryBackOffRepeatTimes times),
        plus a random part up to RetryBackOffRandomRange."""
        if self.faults.ignore_backoff:
            return self.config.reconnect_delay
        wait = self.model.number("OCPPCommCtrlr", "RetryBackOffWaitMinimum")
        repeat = self.model.number("OCPPCommCtrlr", "RetryBackOffRepeatTimes")
        spread = self.model.number("OCPPCommCtrlr", "RetryBackOffRandomRange")
        if self.faults.no_backoff_doubling:
            failures = 0
        extra = spread if self.config.variants.late_reconnect else random.uniform(0, spread)
        return max(float(wait * 2 ** min(failures, repeat)) + extra, self.config.reconnect_delay)

    async def _serve(self, conn: OcppConnection) -> None:
        self.transcript.add(conn.conn, "event", event="open",
                            detail={"url": self.network.target.url, "subprotocol": conn.subprotocol})
        reader = asyncio.create_task(conn.run())
        session: asyncio.Task[None] | None = None
        try:
            if self._stopping:
                return
            if conn.subprotocol != SUBPROTOCOL:
                # RPC-03: no OCPP 2.0.1 agreed. The CSMS should close; if it does not, the station does.
                self._attempted.set()
                await _wait(conn.closed, self.config.call_timeout)
                return
            if self._reboot_reason is not None:
                self.state.boot_reason, self._reboot_reason = self._reboot_reason, None
                self.state.needs_boot = True
                self.state.startup_event = ("StartupOfTheDevice" if self.state.boot_reason == "PowerUp"
                                            else "ResetOrReboot")
            self.conn = conn
            self.connected.set()
            self._attempted.set()
            session = asyncio.create_task(self._session(conn))
            await conn.closed.wait()
        finally:
            if self.conn is conn:
                self.conn = None
                self.connected.clear()
                self._online.clear()
            if session is not None:
                session.cancel()
                await asyncio.gather(session, return_exceptions=True)
            if not conn.closed.is_set():
                if self._stopping:
                    await conn.close(1000, "station stopping")
                else:
                    await conn.close(1002, "OCPP 2.0.1 was not agreed")
            await reader

    # ---- what the station sends --------------------------------------------------------------------------------
    def _next_id(self) -> str:
        message_id = str(uuid.uuid4())
        if self.faults.long_message_id:
            message_id += uuid.uuid4().hex[:4]  # 40 characters
        if self.faults.reuse_message_id and self._last_id is not None:
            message_id = self._last_id
        self._last_id = message_id
        return message_id

    async def _call(self, conn: OcppConnection, action: str, payload: Mapping[str, Any]) -> Record | None:
        """Send one CALL; the record of its answer, or None when none came in time.

        Raises ConnectionLost when the connection is gone, and NotAccepted on CALLERROR SecurityError (the CSMS
        does not consider the station accepted) after marking that a new boot is needed.
        """
        try:
            if action == "SecurityEventNotification":
                self.logs.record_security_event(dict(payload))  # the security log holds what it reported
            record = await conn.call(action, payload, message_id=self._next_id(), timeout=self._message_timeout())
        except CallTimeout as exc:
            self.transcript.note(f"station simulator: {exc}")
            return None
        frame = record.frame
        if isinstance(frame, CallError) and frame.error_code == "SecurityError" and action != "BootNotification":
            self.state.needs_boot = True
            self.booted.clear()
            self._online.clear()
            self._nudge.set()
            raise NotAccepted(f"{action} answered with SecurityError")
        return record

    async def _session(self, conn: OcppConnection) -> None:
        """Boot when needed, announce, keep the heartbeat; after a SecurityError wait the interval and boot again."""
        try:
            while True:
                booting = self.state.needs_boot
                if booting:
                    await self._boot(conn)  # returns once Accepted
                with contextlib.suppress(NotAccepted):
                    self._online.set()  # accepted: from now on the station talks (its queue too)
                    self._outbox_wake.set()
                    await self._announce(conn, booted=booting)
                    await self._heartbeats(conn)  # returns when the acceptance is lost
                self._online.clear()
                await asyncio.sleep(self._retry_interval())  # allow-sleep: wait out `interval` before a new boot
        except ConnectionLost:
            return  # the connection closed: `_main` reconnects
        except Exception as exc:  # a bug of the simulator: keep it for stop()
            self._failed("running the session", exc)

    def _retry_interval(self) -> float:
        if self.faults.ignore_retry_interval:
            return self.config.reconnect_delay
        return float(max(self.state.boot_interval or 0, 1))

    def _boot_payload(self, reason: str) -> dict[str, Any]:
        station: dict[str, Any] = {"model": self.config.model, "vendorName": self.config.vendor,
                                   "serialNumber": self.config.serial_number,
                                   "firmwareVersion": self.config.firmware}
        if self.faults.bad_boot_payload:
            del station["vendorName"]
        if self.config.variants.minimal_boot_payload:
            station = {"model": station["model"], "vendorName": station["vendorName"]}
        if self.config.variants.full_boot_payload:
            station["modem"] = {"iccid": "8931440400012345678", "imsi": "204043000012345"}
        return {"reason": "Foo" if self.faults.bad_boot_reason else reason, "chargingStation": station}

    async def _boot(self, conn: OcppConnection) -> None:
        """BootNotification until Accepted (B01-B03): Pending / Rejected wait `interval`, Pending also ends early on
        TriggerMessage(BootNotification); nothing else is sent meanwhile (unless a fault switch says so)."""
        while True:
            self._triggered.clear()
            record = await self._call(conn, "BootNotification", self._boot_payload(self.state.boot_reason))
            self.boot_count += 1
            frame = record.frame if record is not None else None
            if not isinstance(frame, CallResult):  # CALLERROR or no answer: try again shortly
                await asyncio.sleep(self.config.reconnect_delay)  # allow-sleep: retry after a failed boot
                continue
            status, interval = frame.payload.get("status"), frame.payload.get("interval")
            self._say(f"BootNotification ({self.state.boot_reason}): {status}, interval {interval} s")
            self.state.boot_status = str(status)
            self.state.boot_interval = interval if isinstance(interval, int) else None
            if status == "Accepted":
                if isinstance(interval, int) and interval > 0:
                    self.model.put(HEARTBEAT_INTERVAL, str(interval))
                self.state.needs_boot = False
                self.logs.note(f"BootNotification ({self.state.boot_reason}) accepted")
                self._accepted_at = asyncio.get_running_loop().time()
                self.booted.set()
                return
            if (status == "Rejected" and self.faults.send_while_rejected) or (
                    status == "Pending" and self.faults.send_while_pending):
                with contextlib.suppress(NotAccepted):
                    await self._call(conn, "Heartbeat", {})
            if await _wait(self._triggered, self._retry_interval()):  # a timer: the interval is the rule
                self.state.boot_reason = "Triggered"

    async def _announce(self, conn: OcppConnection, *, booted: bool = True) -> None:
        """After an Accepted boot (or a reconnect): every connector's status, then the startup security event (Part
        6 Booted), then the events of TLS handshakes it refused meanwhile."""
        if not booted and self.faults.changed_only_after_offline:
            changed = self.charging.unreported()
            await self._report_connectors(conn, only=changed)
        elif booted or not self.faults.no_status_after_reconnect:
            await self._report_connectors(conn)
        if booted and self.faults.report_connector_zero:
            await self._call(conn, "StatusNotification", {"timestamp": now_iso(), "connectorStatus": "Available",
                                                          "evseId": 0, "connectorId": 0})
        event, self.state.startup_event = self.state.startup_event, None
        if event is not None:
            await self._call(conn, "SecurityEventNotification", {"type": event, "timestamp": now_iso()})
        while self.state.security_events:
            kind, info = self.state.security_events[0]
            await self._security_event(conn, kind, info)
            self.state.security_events.pop(0)

    def _tls_refused(self, failure: TlsFailure) -> None:
        """Remember the security event a refused TLS handshake calls for: an invalid CSMS certificate
        (A00.FR.310) or a TLS version below 1.2 (A00.FR.316); once per kind until it is sent."""
        code = failure.code or ""
        if failure.refused_by == "harness" and failure.verify_code is not None:
            kind, muted = "InvalidCsmsCertificate", self.faults.no_invalid_csms_cert_event
        elif "PROTOCOL_VERSION" in code or code in _OLD_VERSION:
            kind, muted = "InvalidTLSVersion", self.faults.no_invalid_tls_version_event
        else:
            return
        if not muted and all(kind != pending for pending, _ in self.state.security_events):
            self.state.security_events.append((kind, failure.reason))

    def _heartbeat_period(self) -> float:
        interval = float(self.model.heartbeat_interval)
        return interval / 4 if self.faults.heartbeat_too_fast else interval

    async def _heartbeats(self, conn: OcppConnection) -> None:
        """A Heartbeat every interval from the Accepted boot on; returns when the acceptance is lost."""
        loop = asyncio.get_running_loop()
        last = self._accepted_at
        while not self.state.needs_boot:
            self._nudge.clear()
            due = max(0.0, last + self._heartbeat_period() - loop.time())
            if not await _wait(self._nudge, due):  # not woken early (interval changed, acceptance lost): beat
                await self._call(conn, "Heartbeat", {})
                self.state.heartbeats += 1
                last = loop.time()

    def _connectors(self, evse: Mapping[str, Any] | None = None) -> list[tuple[int, int]]:
        """(evseId, connectorId) of every connector, or of those `evse` ({id, connectorId?}) names."""
        return [(e, c) for e, count in enumerate(self.config.evses, start=1) for c in range(1, count + 1)
                if evse is None or (e == evse.get("id") and evse.get("connectorId", c) == c)]

    async def _report_connectors(self, conn: OcppConnection, evse: Mapping[str, Any] | None = None, *,
                                 triggered: bool = False, only: set[tuple[int, int]] | None = None) -> None:
        statuses = self.charging.statuses()
        wanted = {key: statuses[key] for key in self._connectors(evse) if only is None or key in only}
        if triggered and self.faults.triggered_status_available:
            wanted = dict.fromkeys(wanted, "Available")
        if self.faults.skip_status_notification:
            self.charging.reported(wanted)  # the fault: not sent, and no later change report makes up for it
            return
        for action, payload in connector_reports(wanted, by_event=self.config.variants.availability_by_notify_event):
            await self._call(conn, action, payload)
            if self.config.variants.duplicate_status_notifications and action == "StatusNotification":
                await self._call(conn, action, {**payload, "timestamp": now_iso()})
        self.charging.reported(wanted)
        now = self.charging.statuses()
        if any(now[key] != statuses[key] for key in wanted):
            # the world changed while these were on their way (a driver unplugged meanwhile): that change looked
            # like none against the older report, so it is sent now, once the charging logic is free (only a real
            # change: a report that was wrong on purpose, a fault, stays uncorrected)
            self.charging.later(_no_change)

    # ---- what the CSMS asks ------------------------------------------------------------------------------------
    async def _on_call(self, call: Call, record: Record) -> Answer:
        """The answer to one CSMS request; what it starts (reboot, triggered messages) runs after it is sent.
        A request on a connection that is not the live OCPP 2.0.1 one only gets the polite default."""
        conn = self.conn
        if conn is None or conn.conn != record.conn:
            return self._default(call)
        refused = self._while_not_accepted(call)
        if refused is None:
            refused = custom_data_refusal(call, self.faults.reject_custom_data)
        if refused is not None:
            return refused
        match call.action:
            case "DataTransfer":
                return data_transfer_answer(self.faults.accept_data_transfer)
            case "GetVariables" | "SetVariables":
                answer = self._variables(call, record)
                if self._password_changed:  # A01: the new password is used from a new connection on, at once
                    self._password_changed = False
                    self._after_answer(conn, call, partial(self._reconnect, conn, "the new BasicAuthPassword"))
                return answer
            case "GetBaseReport":
                return self._base_report(conn, call)
            case "Reset":
                return self._reset(conn, call)
            case "TriggerMessage":
                return self._trigger(conn, call)
            case "InstallCertificate" | "GetInstalledCertificateIds" | "DeleteCertificate" | "CertificateSigned":
                return self._certificate_call(conn, call)
            case "SetNetworkProfile":
                return self._set_network_profile(call)
            case "GetLog":
                return self.logs.get_log(dict(call.payload), partial(self._notify_on, conn),
                                         partial(self._after_answer, conn, call))
            case "CustomerInformation":
                return self.customers.request(dict(call.payload), partial(self._notify_on, conn),
                                              partial(self._after_answer, conn, call))
            case "UpdateFirmware":
                answer, work = self.firmware.request(call.payload)
                if work is not None:
                    self._after_answer(conn, call, work)
                return answer
        return self._charging_call(call)

    def _boot_answered(self, record: Record) -> None:
        """The boot status as soon as the CSMS's answer arrives, before `_boot` resumes: a request right behind
        that answer (TC_B_30_CS sends one at once after Rejected) is judged by it."""
        if (record.direction == "rx" and isinstance(record.frame, CallResult) and record.request is not None
                and record.request.action == "BootNotification"):
            self.state.boot_status = str(record.frame.payload.get("status"))

    def _while_not_accepted(self, call: Call) -> Answer | None:
        """The answer a station that is not accepted gives instead of its usual one, or None: while Rejected every
        request is refused with CALLERROR SecurityError (B03.FR.08); while Pending no transaction starts."""
        if not self.state.needs_boot:
            return None
        if self.state.boot_status == "Rejected" and not self.faults.no_security_error_while_rejected:
            return CallError(call.message_id, "SecurityError", "the CSMS rejected this station's BootNotification", {})
        if (self.state.boot_status == "Pending" and call.action == "RequestStartTransaction"
                and not self.faults.start_while_pending):
            return {"status": "Rejected"}
        return None

    def _certificate_call(self, conn: OcppConnection, call: Call) -> Answer:
        """M03-M05 and the end of A02: the certificate store."""
        p, store = call.payload, self.certificates
        match call.action:
            case "InstallCertificate":
                if self.faults.forget_manufacturer_root and p["certificateType"] == "ManufacturerRootCertificate":
                    return {"status": "Accepted"}
                status, reason = store.install(p["certificate"], p["certificateType"],
                                               any_validity=self.faults.accept_expired_certificate)
                self.model.put(CERTIFICATE_ENTRIES, str(len(store.installed)))
                answer: dict[str, Any] = {"status": status}
                if reason:
                    answer["statusInfo"] = {"reasonCode": "InvalidCertificate", "additionalInfo": reason[:512]}
                return answer
            case "GetInstalledCertificateIds":
                chains = store.ids(None if self.faults.ids_ignore_type else p.get("certificateType"))
                if self.faults.wrong_certificate_hash:
                    for chain in chains:
                        chain["certificateHashData"]["issuerKeyHash"] = "0" * 64
                if self.faults.certificate_chain_omitted:
                    return {"status": "Accepted"}
                return {"status": "Accepted", "certificateHashDataChain": chains} if chains else {"status": "NotFound"}
            case "DeleteCertificate":
                if self.faults.keep_deleted_certificate:
                    return {"status": "Accepted"}
                status = store.delete(p["certificateHashData"], own_deletable=self.faults.delete_station_certificate)
                self.model.put(CERTIFICATE_ENTRIES, str(len(store.installed)))
                if status == "NotFound" and self.faults.delete_unknown_accepted:
                    status = "Accepted"
                return {"status": status}
        # CertificateSigned
        if self.faults.accept_any_certificate:
            problems, store.pending_key = [], None
        else:
            problems = store.certificate_signed(p["certificateChain"])
        if self._renewal is not None:
            self._renewal.cancel()
            self._renewal = None
        if problems:
            self.transcript.note("station simulator: CertificateSigned refused: " + "; ".join(problems))
            self._after_answer(conn, call, partial(self._security_event, conn, "InvalidChargingStationCertificate",
                                                   "; ".join(problems)))
            return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidCertificate",
                                                         "additionalInfo": "; ".join(problems)[:512]}}
        if self._use_station_certificate():  # A02.FR.08/09: a new TLS connection with the new certificate
            self._after_answer(conn, call, partial(self._reconnect, conn, "the new station certificate"))
        return {"status": "Accepted"}

    def _firmware_roots(self) -> list[str]:
        """Who may sign firmware: the root installed at manufacturing (the run's PKI issues the firmware signing
        certificate under its CSMS root) and any ManufacturerRootCertificate installed since."""
        factory = self.config.pki.csms_roots() if self.config.pki is not None else []
        return factory + self.certificates.trusted("ManufacturerRootCertificate")

    def _use_station_certificate(self) -> bool:
        """From the next connection on, present the new certificate (security profile 3, A02.FR.09); whether it
        does (a reconnect shows it)."""
        if self.config.security_profile < 3 or self.config.pki is None or self.faults.keep_old_station_certificate:
            return False
        files = self._station_certificate_files()
        if files is None:
            return False
        self.config.tls = client_context(self.config.pki.csms_trust_path, certificate=files)
        return True

    # ---- network connection profiles (A05, B09, B10) -----------------------------------------------------------
    def _checks(self) -> Checks:
        return Checks(current=int(self.model.actual(SECURITY_PROFILE)),
                      has_root=bool(self.certificates.trusted("CSMSRootCertificate")),
                      has_station_certificate=(self.certificates.station_chain is not None
                                               or self.config.security_profile >= 3
                                               or self.faults.upgrade_without_station_certificate),
                      allow_downgrade=self.faults.accept_downgrade,
                      skip_root_check=self.faults.upgrade_without_root)

    def _set_network_profile(self, call: Call) -> Answer:
        """B09: validate and store the profile in its slot; it is used after NetworkConfigurationPriority names it
        and the station reboots."""
        slot, data = call.payload["configurationSlot"], call.payload["connectionData"]
        reason = self.network.refuse_profile(slot, data, self._checks())
        if self.faults.accept_any_slot and reason is not None and reason.startswith("configurationSlot"):
            return {"status": "Accepted"}  # the fault: a slot it does not have, "stored" nowhere
        if self.faults.refuse_network_slot:
            reason = f"configurationSlot {slot} is not a slot of this station"
        if reason is not None:
            self.note(f"SetNetworkProfile refused: {reason}")
            return {"status": "Rejected", "statusInfo": {"reasonCode": self.network.reason_code(reason),
                                                         "additionalInfo": reason[:512]}}
        self.network.store(slot, data)
        return {"status": "Accepted"}

    def _set_priority(self, item: dict[str, Any]) -> tuple[dict[str, Any], VarKey | None]:
        """SetVariables NetworkConfigurationPriority: every slot named holds a profile the station may use
        (A05.FR.02-04); the new order applies from the next reboot."""
        reason = self.network.refuse_priority(str(item.get("attributeValue", "")), self._checks())
        if reason is None or item.get("attributeType", "Actual") != "Actual":
            result, changed = self.model.set(item)
            if changed == NETWORK_PRIORITY:
                self.network.set_priority(self.model.actual(NETWORK_PRIORITY))
            return result, changed
        self.note(f"NetworkConfigurationPriority refused: {reason}")
        return {"component": item["component"], "variable": item["variable"], "attributeStatus": "Rejected",
                "attributeStatusInfo": {"reasonCode": "InvalidNetworkConf", "additionalInfo": reason[:512]}}, None

    async def _security_event(self, conn: OcppConnection, kind: str, info: str = "") -> None:
        payload: dict[str, Any] = {"type": kind, "timestamp": now_iso()}
        if info:
            payload["techInfo"] = info[:255]
        await self._call(conn, "SecurityEventNotification", payload)

    async def _renew_certificate(self, conn: OcppConnection) -> None:
        """A02: SignCertificate with a fresh CSR; when no CertificateSigned follows within CertSigningWaitMinimum,
        again, the wait doubling each time (A02.FR.17/18). CertSigningRepeatTimes counts the doublings: Part 6
        TC_A_23_CS sets it to 1 and wants resends after WaitMinimum and after twice that, so RepeatTimes + 1
        resends in all."""
        wait = float(self.model.number("SecurityCtrlr", "CertSigningWaitMinimum"))
        repeat = self.model.number("SecurityCtrlr", "CertSigningRepeatTimes")
        for attempt in range(repeat + 2):
            try:
                accepted = await self._sign_request(conn)
                if not accepted and self.faults.repeat_rejected_csr and attempt == 0:
                    await self._sign_request(conn)
                if not accepted or self.faults.no_csr_retry or attempt == repeat + 1:
                    return
            except (ConnectionLost, NotAccepted):
                return
            delay = wait / 2 if self.faults.early_csr_retry else wait if self.faults.csr_retry_no_doubling \
                else wait * 2 ** attempt
            await asyncio.sleep(delay)  # allow-sleep: the A02.FR.17 timer; cancelled by CertificateSigned

    async def _sign_request(self, conn: OcppConnection) -> bool:
        """One SignCertificate with a fresh CSR; whether the CSMS Accepted it."""
        csr = self.certificates.new_csr(self.model.actual(VarKey("SecurityCtrlr", "OrganizationName")))
        record = await self._call(conn, "SignCertificate", {"csr": csr, "certificateType": "ChargingStationCertificate"})
        frame = record.frame if record is not None else None
        # Rejected (or no answer): the CSMS does not want to sign now (TC_A_15); no timer runs
        return isinstance(frame, CallResult) and frame.payload.get("status") == "Accepted"

    def _charging_call(self, call: Call) -> Answer:
        """Requests about authorization, transactions and availability (blocks C-G)."""
        p, charging = call.payload, self.charging
        match call.action:
            case "RequestStartTransaction":
                return charging.remote_start(p)
            case "RequestStopTransaction":
                return charging.remote_stop(p["transactionId"])
            case "ChangeAvailability":
                return charging.change_availability(p)
            case "UnlockConnector":
                return charging.unlock(p["evseId"], p["connectorId"])
            case "GetTransactionStatus":
                tx_id = p.get("transactionId")
                queued = any(tx_id is None or e.payload["transactionInfo"]["transactionId"] == tx_id
                             for e in self.outbox)
                answer: dict[str, Any] = {"messagesInQueue": queued and not self.faults.status_queue_hidden}
                if tx_id is not None:
                    answer["ongoingIndicator"] = charging.ongoing(tx_id) or self.faults.status_unknown_ongoing
                elif self.faults.status_indicator_without_id:
                    answer["ongoingIndicator"] = False
                return answer
            case "SendLocalList":
                f = self.faults
                if f.fail_local_list or (f.reject_empty_full_list and p["updateType"] == "Full"
                                         and not p.get("localAuthorizationList")):
                    return {"status": "Failed"}
                status = charging.auth.send_local_list(p, check_version=not f.no_version_check,
                                                       keep_version=not (f.differential_keeps_version
                                                                         and p["updateType"] == "Differential"))
                self.model.put(VarKey("LocalAuthListCtrlr", "Entries"), str(len(charging.auth.local_list)))
                return {"status": status}
            case "GetLocalListVersion":
                version = charging.auth.list_version
                if not self.model.flag("LocalAuthListCtrlr", "Enabled") and not self.faults.version_while_disabled:
                    version = 0  # D02.FR.03: no list in use
                return {"versionNumber": max(version - 1, 0) if self.faults.wrong_local_list_version else version}
            case "ClearCache":
                disabled = not self.model.flag("AuthCacheCtrlr", "Enabled") and not self.faults.clear_disabled_cache
                if disabled or self.faults.reject_clear_cache:
                    return {"status": "Rejected"}
                charging.auth.clear_cache()
                return {"status": "Accepted"}
        return self._default(call)

    @staticmethod
    def _default(call: Call) -> Answer:
        answer = station_default(call.action, call.payload)
        if answer is None:  # an action known to OCPP but only ever sent by a Charging Station
            return CallError(call.message_id, "NotSupported", f"{call.action} is not a request a Charging Station "
                                                              "accepts", {})
        return answer

    def _variables(self, call: Call, record: Record) -> Answer:
        """GetVariables / SetVariables (B05, B06), within DeviceDataCtrlr.ItemsPerMessage and BytesPerMessage."""
        get = call.action == "GetVariables"
        items: list[dict[str, Any]] = call.payload["getVariableData" if get else "setVariableData"]
        most, size = self.model.limit("ItemsPerMessage", call.action), self.model.limit("BytesPerMessage", call.action)
        if len(items) > most:
            return CallError(call.message_id, "OccurrenceConstraintViolation",
                             f"{len(items)} items; DeviceDataCtrlr.ItemsPerMessage[{call.action}] is {most}", {})
        if len(record.raw.encode()) > size:
            return CallError(call.message_id, "FormatViolation",
                             f"message exceeds DeviceDataCtrlr.BytesPerMessage[{call.action}] = {size}", {})
        if get:
            results = [self._refused_item(d) or self._get_item(d) for d in items]
            if self.faults.bad_get_variables_enum:
                for result in results:
                    result["attributeStatus"] = "Fine"
            if self.faults.get_variables_rejected:
                for result in results:
                    result["attributeStatus"] = "Rejected"
                    result.pop("attributeValue", None)
            return {"getVariableResult": self._garbled(results)}
        answered = [self._set_item(d) for d in items]
        self.charging.variables_changed()
        for _, changed in answered:
            if changed == HEARTBEAT_INTERVAL:
                self._nudge.set()  # the heartbeat timer follows the new interval at once
            elif changed == BASIC_AUTH_PASSWORD and not self.faults.keep_old_password:
                self.config.password = self.model.actual(BASIC_AUTH_PASSWORD)  # used from the next connection on
                self._password_changed = True
            elif changed == BASIC_AUTH_PASSWORD:
                self._password_changed = True  # reconnects, with the old password (fault keep_old_password)
        return {"setVariableResult": self._garbled([result for result, _ in answered])}

    def _get_item(self, item: dict[str, Any]) -> dict[str, Any]:
        result = self.model.get(item)
        if self.faults.attribute_type_as_actual and result["attributeStatus"] == "NotSupportedAttributeType":
            actual = self.model.get({k: v for k, v in item.items() if k != "attributeType"})
            result = {**actual, "attributeType": item["attributeType"]}
        return result

    def _set_item(self, item: dict[str, Any]) -> tuple[dict[str, Any], VarKey | None]:
        """One setVariableResult and the key of the value it changed (None if none)."""
        result, changed = self._set_item_as_model_says(item)
        status, key = result.get("attributeStatus"), VarKey.of(item["component"], item["variable"])
        f, variable = self.faults, self.model.variables.get(key)
        if f.attribute_type_as_actual and status == "NotSupportedAttributeType":
            actual, changed = self.model.set({k: v for k, v in item.items() if k != "attributeType"})
            result = {**actual, "attributeType": item["attributeType"]}
        elif status == "Rejected" and variable is not None:
            read_only = variable.attributes["Actual"].mutability == "ReadOnly"
            if f.read_only_accepted and read_only:
                result = {**result, "attributeStatus": "Accepted"}
            elif f.accept_malformed_value and not read_only:
                self.model.put(key, str(item.get("attributeValue", "")))
                result, changed = {**result, "attributeStatus": "Accepted"}, key
        return result, changed

    def _set_item_as_model_says(self, item: dict[str, Any]) -> tuple[dict[str, Any], VarKey | None]:
        refused = self._refused_item(item)
        if refused is not None:
            return refused, None
        key = VarKey.of(item["component"], item["variable"])
        if key == NETWORK_PRIORITY:
            return self._set_priority(item)
        if key == BASIC_AUTH_PASSWORD and self.faults.accept_short_password:
            self.model.put(key, str(item.get("attributeValue", "")))
            return {"component": item["component"], "variable": item["variable"], "attributeStatus": "Accepted"}, key
        if self.faults.set_variables_not_stored:
            kind = item.get("attributeType")
            return {"component": item["component"], "variable": item["variable"], "attributeStatus": "Accepted",
                    **({"attributeType": kind} if kind else {})}, None
        return self.model.set(item)

    def _refused_item(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """Fault `reject_offline_threshold`: the result refusing OCPPCommCtrlr.OfflineThreshold; None otherwise."""
        if not self.faults.reject_offline_threshold or VarKey.of(item["component"], item["variable"]) != OFFLINE_THRESHOLD:
            return None
        return {"component": item["component"], "variable": item["variable"], "attributeStatus": "Rejected"}

    def _garbled(self, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Get/SetVariables results as the fault switches break them (the same list, changed in place)."""
        for result in results:
            if self.faults.unknown_as_rejected and result["attributeStatus"] in ("UnknownComponent", "UnknownVariable"):
                result["attributeStatus"] = "Rejected"
            if self.faults.variables_wrong_type:
                result["attributeType"] = "Target"
            if self.faults.variables_wrong_names:
                result["variable"] = {**result["variable"], "name": str(result["variable"].get("name", "")).lower()}
            if self.faults.variables_status_info_error:
                result["attributeStatusInfo"] = {"reasonCode": "InternalError"}
        return results

    async def _reconnect(self, conn: OcppConnection, why: str) -> None:
        """Close the connection (1000) so the next one uses `why`; `_main` reconnects after its back-off."""
        self.note(f"reconnecting with {why}")
        if not conn.closed.is_set():
            await conn.close(1000, f"reconnecting with {why}")

    def _base_report(self, conn: OcppConnection, call: Call) -> Answer:
        """GetBaseReport (B07): Accepted, then NotifyReport in chunks of ItemsPerMessage[GetReport]."""
        base, f = call.payload["reportBase"], self.faults
        if f.refuse_base_report:
            return {"status": "Rejected"}
        unsupported = base == "SummaryInventory" and (self.config.variants.no_summary_inventory
                                                      or f.report_unsupported_anyway)
        if unsupported and not f.report_unsupported_anyway:
            return {"status": "NotSupported", "statusInfo": {"reasonCode": "UnsupportedParam"}}
        data = self.model.report("FullInventory" if f.config_report_read_only else base)
        if base == "SummaryInventory":
            data = [d for d in data if d["variable"]["name"] == "AvailabilityState"
                    and (not f.summary_without_evse or d["component"]["name"] == "ChargingStation")]
        for entry in data:
            if f.report_without_characteristics:
                del entry["variableCharacteristics"]
            if f.report_write_only_value:
                for attribute in entry["variableAttribute"]:
                    if attribute["mutability"] == "WriteOnly":
                        attribute["value"] = "********"
        if f.report_missing_required:
            data = [d for d in data if VarKey.of(d["component"], d["variable"]) != OFFLINE_THRESHOLD]
        if not data:
            return {"status": "EmptyResultSet"}
        request_id, chunk = call.payload["requestId"], self.model.limit("ItemsPerMessage", "GetReport")
        first = 1 if f.report_seq_from_one else 0

        async def send() -> None:
            generated = now_iso()
            parts = [data[i:i + chunk] for i in range(0, len(data), chunk)]
            last = 0 if f.truncated_report else len(parts) - 1  # the fault stops after the first part
            for seq, part in enumerate(parts[:last + 1]):
                await self._call(conn, "NotifyReport", {"requestId": request_id, "generatedAt": generated,
                                                        "seqNo": seq + first, "tbc": seq < len(parts) - 1,
                                                        "reportData": part})

        self._after_answer(conn, call, send)
        if unsupported:
            return {"status": "NotSupported", "statusInfo": {"reasonCode": "UnsupportedParam"}}
        return {"status": "Accepted"}

    def _reset(self, conn: OcppConnection, call: Call) -> Answer:
        """Reset (B11/B12) of the whole station: at once when no transaction runs; Immediate ends the transactions
        first (their events delivered before the reboot); OnIdle answers Scheduled and reboots (ScheduledReset)
        once the last one has ended. A reset per EVSE is not supported (C-13 false)."""
        f = self.faults
        if f.reject_reset:
            return {"status": "Rejected"}
        if "evseId" in call.payload:
            if self.config.variants.evse_reset:
                return self._reset_evse(call.payload["evseId"], call.payload["type"])
            if f.accept_evse_reset or (f.evse_reset_ignores_transaction and call.payload["evseId"] in self.charging.busy()):
                return {"status": "Accepted"}
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnsupportedRequest",
                                                         "additionalInfo": "no reset per EVSE"}}
        if f.no_reboot_on_reset:
            return {"status": "Accepted"}
        reason = "PowerUp" if f.reset_boot_reason_power_up else "RemoteReset"
        if not self.charging.busy() or f.reset_ignores_transaction:
            self._after_answer(conn, call, partial(self._reboot, reason))
            return {"status": "Accepted"}
        if call.payload["type"] == "Immediate":
            async def immediate() -> None:
                await self.charging.act(self.charging.end_for_reset)
                await self._reboot_when_delivered(reason)

            self._after_answer(conn, call, immediate)
            return {"status": "Accepted"}
        self.charging.when_idle = partial(self._reboot_when_delivered,
                                          reason if f.scheduled_reset_as_remote else "ScheduledReset")
        return {"status": "Scheduled"}

    def _reset_evse(self, evse_id: int, kind: str) -> Answer:
        """B11.FR.08 / B12.FR.07-08 (variant evse_reset): an idle EVSE resets at once (nothing the CSMS sees); one
        that charges answers Scheduled (OnIdle) or ends its transaction first (Immediate)."""
        if evse_id not in self.charging.evses:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse"}}
        if evse_id not in self.charging.busy() or self.faults.evse_reset_ignores_transaction:
            self.note(f"EVSE {evse_id} resets")
            return {"status": "Accepted"}
        if kind == "Immediate":
            self.charging.later(partial(self.charging.end_for_reset, evse_id))
            return {"status": "Accepted"}
        self.note(f"EVSE {evse_id} resets once its transaction has ended")
        return {"status": "Scheduled"}

    async def _reboot_when_delivered(self, reason: str) -> None:
        """Reboot once the outbox has delivered the transactions' last events (within the message timeout)."""
        await _wait(self._outbox_drained, self._message_timeout())
        await self._reboot(reason)

    def _trigger(self, conn: OcppConnection, call: Call) -> Answer:
        """TriggerMessage (F06). BootNotification is only triggerable while Pending (TC_F_26: Rejected once
        accepted); everything else only once accepted (nothing but BootNotification before, B02.FR.02)."""
        requested = call.payload["requestedMessage"]
        evse: Mapping[str, Any] | None = call.payload.get("evse")
        pending = self.state.boot_status == "Pending" and self.state.needs_boot
        accepted = self.booted.is_set()
        send: Callable[[], Awaitable[None]]
        match requested:
            case "BootNotification":
                if self.config.variants.boot_trigger_not_implemented:
                    return {"status": "NotImplemented"}
                if self.faults.accept_boot_trigger and accepted and not pending:
                    return {"status": "Accepted"}  # the fault: accepted, and nothing is sent
                if not pending or self.faults.reject_boot_trigger:
                    return {"status": "Rejected"}
                send = self._wake_boot
            case "Heartbeat":
                send = partial(self._send_simple, conn, "Heartbeat", {})
            case "StatusNotification":
                if evse is not None and not self._connectors(evse):
                    return {"status": "Rejected"}
                send = partial(self._report_connectors, conn, evse, triggered=True)
            case "MeterValues":
                ids = [evse["id"]] if evse is not None else self._trigger_evses()
                if not all(0 <= i <= len(self.config.evses) for i in ids):
                    return {"status": "Rejected"}
                send = partial(self._meter_values, conn, ids, one=evse is not None)
            case "TransactionEvent":  # F06.FR.07: the transaction of the EVSE, or of every EVSE
                ids = self.charging.running([evse["id"]] if evse is not None else self._trigger_evses())
                if not ids:
                    return {"status": "Rejected"}
                send = partial(self.charging.act, partial(self.charging.triggered, ids))
            case "LogStatusNotification":
                send = partial(self._send_simple, conn, requested, self._triggered_status(self.logs.status_payload(),
                                                                                          "Uploading", "Uploaded"))
            case "FirmwareStatusNotification":  # L01.FR.25/26
                send = partial(self._send_simple, conn, requested, self._triggered_status(
                    self.firmware.trigger_payload(), "Downloading", "Installed"))
            case "SignChargingStationCertificate":
                if self.config.pki is None:
                    return {"status": "Rejected"}  # no key store: cannot make a CSR
                send = partial(self._start_renewal, conn)
            case _:
                return {"status": "Rejected" if self.faults.reject_unknown_trigger else "NotImplemented"}
        if requested != "BootNotification" and not accepted:
            return {"status": "Rejected"}
        if not self.faults.ignore_trigger:
            self._after_answer(conn, call, send)
        return {"status": "Accepted"}

    def _trigger_evses(self) -> list[int]:
        """The EVSEs a TriggerMessage without evse is about: all (the fault: only the first)."""
        return [1] if self.faults.trigger_first_evse_only else list(range(1, len(self.config.evses) + 1))

    def _triggered_status(self, payload: dict[str, Any], busy: str, done: str) -> dict[str, Any]:
        """A triggered Log/FirmwareStatusNotification as the fault switches spoil it."""
        if self.faults.triggered_status_idle and payload.get("status") == busy:
            return {"status": "Idle"}
        if self.faults.triggered_idle_as_done and payload.get("status") == "Idle":
            return {"status": done}
        return payload

    async def _start_renewal(self, conn: OcppConnection) -> None:
        if self._renewal is not None:
            self._renewal.cancel()
        self._renewal = asyncio.create_task(self._renew_certificate(conn))
        self._tasks.add(self._renewal)
        self._renewal.add_done_callback(self._tasks.discard)

    async def _wake_boot(self) -> None:
        self._triggered.set()  # the Pending wait of `_boot` ends; it sends the BootNotification, reason Triggered

    async def _send_simple(self, conn: OcppConnection, action: str, payload: dict[str, Any]) -> None:
        await self._call(conn, action, payload)

    async def _notify_on(self, conn: OcppConnection, action: str, payload: dict[str, Any]) -> None:
        """A status report of a background job (log upload): on the connection it started on, else the live one."""
        live = conn if not conn.closed.is_set() else self.conn
        if live is not None:
            await self._call(live, action, payload)

    def _upload_tls(self) -> SSLContext | None:
        """For https:// log locations: trust the run's PKI root (the harness's receiver uses its server
        certificate); under security profile 3 also present the station certificate, like the OCPP connection."""
        if self.config.tls is not None:
            return self.config.tls
        return client_context(self.config.pki.csms_trust_path) if self.config.pki is not None else None

    async def _meter_values(self, conn: OcppConnection, evse_ids: list[int], *, one: bool = False) -> None:
        context = "Sample.Periodic" if self.faults.triggered_context_periodic else "Trigger"
        for evse_id in evse_ids:
            reported = 0 if one and self.faults.triggered_meter_values_evse_zero else evse_id
            await self._call(conn, "MeterValues", {"evseId": reported, "meterValue": [{
                "timestamp": now_iso(),
                "sampledValue": [{"value": 0.0, "context": context, "measurand": "Energy.Active.Import.Register"}],
            }]})

    # ---- the physical world (Part 6 manual actions; the control API calls these) ---------------------------
    async def plug_in(self, evse_id: int = 1, connector_id: int = 1, lock_fails: bool = False) -> None:
        await self.charging.act(partial(self.charging.plug_in, evse_id, connector_id, lock_fails))

    async def unplug(self, evse_id: int = 1, connector_id: int = 1) -> None:
        await self.charging.act(partial(self.charging.unplug, evse_id, connector_id))
        self._idle.set()  # a firmware update waiting for the driver to leave looks again

    async def present_token(self, id_token: str, token_type: str = "ISO14443", evse_id: int | None = None) -> None:
        await self.charging.act(partial(self.charging.present_token, {"idToken": id_token, "type": token_type},
                                        evse_id))

    async def set_fault(self, evse_id: int, connector_id: int, faulted: bool) -> None:
        await self.charging.act(partial(self.charging.set_fault, evse_id, connector_id, faulted))

    async def select_transactions(self, evse_ids: list[int] | None = None) -> None:
        await self.charging.act(partial(self.charging.master_pass_select, evse_ids))

    async def store_customer_identifier(self, identifier: str) -> None:
        """The lab stores a record of customer `identifier` at the station (TC_N_62_CS memory state)."""
        self.customers.store(identifier)

    async def suspend_ev(self, evse_id: int = 1) -> None:
        await self.charging.act(partial(self.charging.suspend_ev, evse_id))

    async def resume_ev(self, evse_id: int = 1) -> None:
        await self.charging.act(partial(self.charging.resume_ev, evse_id))

    async def ev_side(self, evse_id: int = 1, connector_id: int = 1, connected: bool = False) -> None:
        await self.charging.act(partial(self.charging.ev_side, evse_id, connector_id, connected))

    async def parking_bay(self, evse_id: int = 1, occupied: bool = True) -> None:
        await self.charging.act(partial(self.charging.parking_bay, evse_id, occupied))

    # ---- the link the charging logic uses ----------------------------------------------------------------------
    def online(self) -> bool:
        return self._online.is_set() and self.conn is not None

    def _message_timeout(self) -> float:
        return float(self.model.number("OCPPCommCtrlr", "MessageTimeout", "Default"))

    async def request(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        conn = self.conn
        if conn is None or not self.online():
            return None
        try:
            record = await self._call(conn, action, payload)
        except (ConnectionLost, NotAccepted):
            return None
        frame = record.frame if record is not None else None
        return dict(frame.payload) if isinstance(frame, CallResult) else None

    async def notify(self, action: str, payload: dict[str, Any]) -> bool:
        conn = self.conn
        if conn is None or not self.online():
            return False
        try:
            await self._call(conn, action, payload)
        except (ConnectionLost, NotAccepted):
            return False
        return True

    def queue_event(self, payload: dict[str, Any]) -> None:
        if payload.get("eventType") == "Ended":
            self._idle.set()  # a firmware update waiting for the transactions looks again
        if not self.online() and self.faults.no_offline_queue:
            self.note(f"TransactionEvent {payload['eventType']} seqNo {payload['seqNo']} dropped: offline (fault)")
            return
        if not self.online() and not self.faults.no_offline_flag:
            payload["offline"] = True  # E11/E12: it happened while the CSMS could not hear it
        self.outbox.append(PendingEvent(payload))
        self._outbox_drained.clear()
        self._outbox_wake.set()

    def note(self, text: str) -> None:
        self.transcript.note(f"station simulator: {text}")

    def _say(self, text: str) -> None:
        """Tell whoever runs the station by itself what happens (`ocpp-harness simulate station` prints it)."""
        if self.config.report is not None:
            self.config.report(text)

    async def report_connectors_as(self, status: str) -> None:
        """Every connector reported in `status` (the firmware fault that leaves them Unavailable)."""
        conn = self.conn
        states = dict.fromkeys(self._connectors(), status)
        for action, payload in connector_reports(states, by_event=self.config.variants.availability_by_notify_event):
            if conn is not None:
                with contextlib.suppress(ConnectionLost, NotAccepted):
                    await self._call(conn, action, payload)

    def busy(self) -> bool:
        """A transaction runs, or a driver is not done yet (a cable still plugged in)."""
        return any(e.tx is not None or e.plugged for e in self.charging.evses.values())

    async def until_idle(self) -> None:
        while self.busy():  # the transactions end through the CSMS's and the driver's actions
            self._idle.clear()
            await self._idle.wait()

    async def pending_update(self) -> None:
        """L01.FR.07: with AllowNewSessionsPendingFirmwareUpdate false, the connectors without a transaction are
        reported Unavailable while the update waits."""
        if self.model.flag("ChargingStation", "AllowNewSessionsPendingFirmwareUpdate") or \
                self.faults.no_unavailable_pending_firmware:
            return
        idle = {(e.id, c): "Unavailable" for e in self.charging.evses.values() if e.tx is None and e.operative
                for c, connector in e.connectors.items() if not connector.plugged and not connector.faulted}
        conn = self.conn
        for action, payload in connector_reports(idle, by_event=self.config.variants.availability_by_notify_event):
            if conn is not None:
                with contextlib.suppress(ConnectionLost, NotAccepted):
                    await self._call(conn, action, payload)

    async def reconnect_to_activate(self) -> None:
        """The firmware updater's activation during a transaction (C-43): a new connection, no reboot."""
        conn = self.conn
        self._online.clear()
        if conn is not None:
            await self._reconnect(conn, "the new firmware")
        await self._online.wait()

    async def reboot_to_activate(self) -> None:
        """The firmware updater's reboot (L01 InstallRebooting): boot reason FirmwareUpdate; returns once the
        station is booted and talking again."""
        self._online.clear()
        await self._reboot("FirmwareUpdate")
        await self._online.wait()

    async def _deliver_events(self) -> None:
        """The outbox: TransactionEvents in order, one at a time, whenever online (E12). A CALLERROR or no
        answer is retried after MessageAttemptInterval × attempts so far, MessageAttempts times in all (E13)."""
        while True:
            conn = self.conn
            if not self.outbox or conn is None or not self.online():
                if not self.outbox:
                    self._outbox_drained.set()
                self._outbox_wake.clear()
                await self._outbox_wake.wait()
                continue
            item = self.outbox[0]
            try:
                record = await self._call(conn, "TransactionEvent", item.payload)
            except (ConnectionLost, NotAccepted):
                if not self.faults.no_offline_flag:
                    item.payload["offline"] = True  # it waits for the next connection: queued while offline
                continue
            frame = record.frame if record is not None else None
            if isinstance(frame, CallResult):
                if self.faults.resend_after_success and item.attempts > 0:
                    item.attempts = -1  # the fault: once more after the answer
                    continue
                self.outbox.popleft()
                self.charging.answered(item.payload, frame.payload)
                continue
            item.attempts += 1
            attempts = self.model.number("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent")
            if item.attempts >= attempts or (self.faults.no_tx_retry and isinstance(frame, CallError)):
                self.outbox.popleft()
                self.note(f"TransactionEvent seqNo {item.payload['seqNo']} dropped after {item.attempts} "
                          "failed attempt(s)")
                continue
            interval = self.model.number("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent")
            await asyncio.sleep(interval * item.attempts)  # allow-sleep: E13 retry interval of the station

    # ---- tasks -------------------------------------------------------------------------------------------------
    def _keep(self, work: Awaitable[None], what: str) -> None:
        """Run a long-lived task of the station; a crash in it is kept for stop()."""

        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed(what, exc)

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _after_answer(self, conn: OcppConnection, call: Call, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` once the answer to `call` is on the wire (a reboot must not swallow its own answer, and a
        triggered message must follow the TriggerMessageResponse); not at all if the connection closes first."""

        async def later() -> None:
            if not await conn.sent_before_close(call.message_id):
                return
            try:
                await work()
            except (ConnectionLost, NotAccepted):
                pass  # the connection is gone, or the CSMS no longer accepts us: the session loop handles both
            except Exception as exc:
                self._failed(f"answering {call.action}", exc)

        task = asyncio.create_task(later())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _failed(self, what: str, exc: Exception) -> None:
        self.errors.append(exc)
        self.transcript.note(f"station simulator failed while {what}: {exc!r}")


__all__ = ["StationConfig", "StationFaults", "StationSimulator", "StationState"]


async def _no_change() -> None:
    """A change of the world that changes nothing: `Charging.act` then reports what differs from the last report."""
