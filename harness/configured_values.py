"""Where each Part 6 `<Configured …>` value comes from when the harness runs a case.

Part 6 leaves many values to the lab ("<Configured evseId>", "<Configured transaction duration>", …). Each one is
either a SUT profile key (the lab writes it), read from the SUT at run time, chosen by the harness (certificates it
generates, ids it makes up), or used only by a certification profile the harness does not run yet. The names are the
Part 6 spellings; the reference page docs/reference/configured.md is generated from this table and
tests/test_configured_values.py checks that every profile key named here exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from harness.profile import SutProfile

Source = Literal["profile", "read", "harness", "later"]


@dataclass(frozen=True)
class ConfiguredValue:
    part6: tuple[str, ...]  # the Part 6 names (and spellings) of the value
    source: Source
    where: str  # profile: a dotted key path (`evses[1]` indexes a list); otherwise what provides it
    note: str = ""


def _p(names: str, key: str, note: str = "") -> ConfiguredValue:
    return ConfiguredValue(tuple(n.strip() for n in names.split(";")), "profile", key, note)


def _r(names: str, where: str, note: str = "") -> ConfiguredValue:
    return ConfiguredValue(tuple(n.strip() for n in names.split(";")), "read", where, note)


def _h(names: str, where: str, note: str = "") -> ConfiguredValue:
    return ConfiguredValue(tuple(n.strip() for n in names.split(";")), "harness", where, note)


def _later(names: str, profile: str) -> ConfiguredValue:
    return ConfiguredValue(tuple(n.strip() for n in names.split(";")), "later", f"{profile} certification profile",
                           "not implemented yet: the cases that use it are not in the harness")


CONFIGURED_VALUES: tuple[ConfiguredValue, ...] = (
    # identity, EVSEs and connectors
    _p("ChargingStationId", "identity"),
    _p("vendorName", "vendor"),
    _p("model", "model"),
    _p("evseId", "configured.evse_id"),
    _p("connectorId", "configured.connector_id"),
    _p("second Connector", "evses[1]", "the second EVSE of `evses` (its connector 1)"),
    _p("EVSE count; number of evse", "evses", "how many entries `evses` has"),
    # id tokens
    _p("valid_idtoken_idToken; valid_idtoken_type; valid idToken fields; valid_idtoken", "id_tokens.valid"),
    _p("valid_idtoken2_idToken; valid_idtoken2_type; valid idToken fields2; valid_idtoken2", "id_tokens.valid2"),
    _p("invalid_idtoken_idToken; invalid_idtoken_type; invalid idToken fields", "id_tokens.invalid"),
    _p("blocked_idtoken_idToken; blocked_idtoken_type; blocked idToken fields", "id_tokens.blocked"),
    _p("expired_idtoken_idToken; expired_idtoken_type; expired idToken fields", "id_tokens.expired"),
    _p("groupIdToken; group_idtoken; groupId", "id_tokens.group",
       "a token of the group; its groupIdToken is the group"),
    _p("masterpass_idtoken_idToken; masterpass_idtoken_type; MasterPass idToken", "id_tokens.master_pass"),
    _p("MasterPassGroupId", "id_tokens.master_pass.groupIdToken"),
    _p("versionNumber", "configured.local_list_version"),
    # connection and security
    _p("securityProfile", "security.profile"),
    _p("BasicAuthPassword", "security.password_env", "the name of the environment variable that holds it"),
    _p("ocppCsmsUrl", "configured.ocpp_csms_url",
       "where the station connects is `endpoint` (station SUT: where the harness CSMS listens; CSMS SUT: its url)"),
    _p("configurationSlot", "configured.configuration_slot"),
    _p("configurationSlot2", "configured.configuration_slot2"),
    _p("ocppInterface", "configured.ocpp_interface"),
    _p("messageTimeout; message timeout", "configured.message_timeout"),
    _p("HeartbeatInterval", "configured.heartbeat_interval"),
    _p("offlineThreshold", "configured.offline_threshold"),
    _p("RetryBackOffWaitMinimum; RetryBackOffWaitMinimum_duration", "configured.retry_back_off_wait_minimum"),
    _p("CertSigningWaitMinimum", "configured.cert_signing_wait_minimum"),
    _p("long operation time out", "configured.long_operation_timeout"),
    _h("server certificate; invalid server certificate; client certificate; invalid client certificate; "
       "CSMS root certificate; new CSMS root certificate; old CSMS root certificate; CSR; country; organization; "
       "organizationalUnit", "harness.pki",
       "generated per run by the harness's own PKI (`security.trusted_ca` adds the lab's roots)"),
    # transactions and meter values
    _p("transaction duration", "configured.transaction_duration"),
    _p("max time deviation", "configured.max_time_deviation"),
    _p("ev_connection_timeout", "configured.ev_connection_timeout"),
    _p("message_attempts_transaction_event", "configured.message_attempts_transaction_event"),
    _p("message_attempts_transaction_event_interval", "configured.message_attempt_interval_transaction_event"),
    _p("transaction_updated_metervalues_interval; sampled meter values interval",
       "configured.tx_updated_interval"),
    _p("transaction_updated_metervalues_measurands", "configured.tx_updated_measurands"),
    _p("clock-aligned meter values interval; clock aligned metervalues interval", "configured.aligned_data_interval"),
    _p("clock_aligned_tx_ended_meter_values_interval", "configured.aligned_tx_ended_interval"),
    _p("sampled_tx_ended_meter_values_interval", "configured.sampled_tx_ended_interval"),
    _r("TxStartPoint; TxStopPoint", "TxCtrlr.TxStartPoint / TxStopPoint (GetVariables)",
       "read at the start of a case; written only where the table's configuration state says so"),
    _h("transactionId", "the station's TransactionEventRequest", "taken from the transaction the case started"),
    # firmware, logs, data transfer
    _p("signature", "configured.firmware_signature"),
    _p("signingCertificate; valid firmware signingCertificate", "configured.firmware_signing_certificate"),
    _h("firmware_location; firmware location", "harness.fileserver",
       "the harness's HTTP(S) file server serves a firmware it signs itself"),
    _p("invalid firmware location", "configured.invalid_firmware_location",
       "unset: the harness serves an image the station must refuse"),
    _p("invalid firmware signature", "configured.invalid_firmware_signature"),
    _p("invalid firmware signingCertificate", "configured.invalid_firmware_signing_certificate"),
    _p("install offset period", "configured.install_offset_period"),
    _p("download offset period", "configured.download_offset_period"),
    _h("log_location", "log_receiver fixture", "the harness's upload location (GetLog)"),
    _p("logType", "configured.log_type"),
    _p("retryInterval", "configured.retry_interval"),
    _p("customerIdentifier", "configured.customer_identifier"),
    _p("vendorId", "configured.data_transfer_vendor_id"),
    _p("messageId", "configured.data_transfer_message_id"),
    # smart charging values K_38 uses
    _p("numberPhases", "configured.number_phases"),
    _p("chargingRateUnit", "configured.charging_rate_unit"),
    _later("stackLevel; chargingProfileId; chargingProfilePurpose; chargingLimitSource; recurrencyKind; "
           "startPeriod; charging schedule duration; chargingProfile; duration", "Smart Charging"),
    _later("threshold monitor component variable; threshold monitor value; delta monitor component variable; "
           "severity; variableMonitoringId", "Advanced Device Management"),
    _later("priority; state; message; language; format; content; displayMessage2Id; cost",
           "Advanced User Interface"),
    _later("reservationId; expiryDateTime", "Reservation"),
    _later("contract_certificate; values from mock EV", "ISO 15118 Support"),
)


# Configured keys that are not a Part 6 <Configured …> value: how the harness itself paces a case
HARNESS_TIMING: dict[str, str] = {
    "boot_retry_interval": "the interval the harness CSMS gives with a Pending or Rejected boot",
    "offline_window": "how long the harness CSMS refuses reconnects when a case takes the station offline",
    "retry_back_off_random_range": "OCPPCommCtrlr.RetryBackOffRandomRange, to bound reconnect waits",
    "retry_back_off_repeat_times": "OCPPCommCtrlr.RetryBackOffRepeatTimes, to bound reconnect waits",
    "reboot_time": "how long a station may take from a Reset or power cycle to its BootNotification",
    "firmware_update_time": "how long a station may take from UpdateFirmware to its last status",
    "other": "free-form values for a lab's own cases",
}


def profile_field(path: str) -> tuple[str, Any]:
    """The description and default of the SUT profile key `path` (`a.b`, `evses[1]`); KeyError if none."""
    model: type[BaseModel] | None = SutProfile
    description, default = "", None
    for part in path.split("."):
        name = part.split("[", 1)[0]
        if model is None:
            raise KeyError(path)
        fields = {info.alias or key: (key, info) for key, info in model.model_fields.items()}
        fields.update({key: (key, info) for key, info in model.model_fields.items()})
        if name not in fields:
            raise KeyError(path)
        _, info = fields[name]
        description = info.description or ""
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        model = next((arg for arg in _types(info.annotation) if isinstance(arg, type) and issubclass(arg, BaseModel)),
                     None)
    return description, default


def _types(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", None)
    return [annotation] if not args else [t for arg in args for t in _types(arg)]


def by_source(source: Source) -> list[ConfiguredValue]:
    return [value for value in CONFIGURED_VALUES if value.source == source]
