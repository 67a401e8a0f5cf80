"""The SUT profile (DESIGN.md §6): one YAML file describes the system under test. A leaf, like `config`.

The model here is pure data (pydantic); reading YAML with line numbers is `harness.usecase.loader`'s job (only it
imports yaml). Secrets never live in a profile: a password or token field names the environment variable that
holds it, so a profile can be attached to a report as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

SutKind = Literal["station", "csms"]
Adapter = Literal["builtin", "http", "shell", "prompt"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Endpoint(_Model):
    """Where the two sides meet. Station SUT: where the harness CSMS listens. CSMS SUT: the CSMS's URL."""

    host: str = Field("127.0.0.1", description="station SUT: address the harness CSMS listens on")
    port: int = Field(0, ge=0, le=65535, description="station SUT: port the harness CSMS listens on (0 = any free)")
    url: str = Field("", description="CSMS SUT: ws:// or wss:// endpoint URL; the station identity is appended, or put where "
                     "the URL says `{identity}` (…/ocpp/{identity}/)")


class Security(_Model):
    profile: Literal[1, 2, 3] = Field(1, description="OCPP security profile: 1 Basic Auth, 2 TLS + Basic Auth, "
                                                     "3 mutual TLS")
    password_env: str = Field("OCPP_STATION_PASSWORD",
                              description="environment variable holding the Basic Auth password (never the "
                                          "password itself)")
    trusted_ca: list[str] = Field(default_factory=list,
                                  description="PEM files of the CAs of the SUT's own certificate, trusted beside the "
                                              "harness's roots: a CSMS's server certificate (profiles 2, 3), a "
                                              "station's client certificate (3); relative to the profile file")
    supported: list[Literal[1, 2, 3]] = Field(
        default_factory=list, description="every security profile the SUT supports, for the Part 6 prerequisites "
                                          "'supports security profile N' (e.g. TC_M_01_CS: 2 or 3); empty: only "
                                          "`profile`, the one in use, is known")

    def supports(self, *levels: int) -> bool:
        """Whether the SUT supports one of `levels`: the profile in use, or one the profile lists as supported."""
        return any(level == self.profile or level in self.supported for level in levels)


class Evse(_Model):
    id: int = Field(ge=1, description="EVSE id")
    connectors: int = Field(1, ge=1, description="how many connectors it has")


class IdToken(_Model):
    id_token: str = Field(alias="idToken", max_length=36, description="the token's value")
    type: str = Field("ISO14443", description="IdTokenEnumType: Central, eMAID, ISO14443, ISO15693, KeyCode, "
                                              "Local, MacAddress, NoAuthorization")
    group_id_token: str | None = Field(None, alias="groupIdToken", description="the group it belongs to, if any")

    def wire(self) -> dict[str, str]:
        """The IdTokenType of a request."""
        return {"idToken": self.id_token, "type": self.type}


def _ws_url(url: str) -> bool:
    """A ws:// or wss:// URL with a host and, if any, a valid port (`{identity}` may stand in its path)."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("ws", "wss") and bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:
        return False


def _token(value: str, group: str | None = None) -> IdToken:
    return IdToken(id_token=value, type="ISO14443", group_id_token=group)


class IdTokens(_Model):
    """Tokens the test cases present (Part 6 <Configured valid_idtoken_idtoken> and friends)."""

    valid: IdToken = Field(default_factory=lambda: _token("VALID-TOKEN-01", "GROUP-01"),
                           description="<Configured valid_idtoken_idtoken/_type>: a token the CSMS accepts")
    valid2: IdToken = Field(default_factory=lambda: _token("VALID-TOKEN-02"),
                            description="a second valid token, not in the group of `valid`")
    group: IdToken = Field(default_factory=lambda: _token("GROUP-TOKEN-01", "GROUP-01"),
                           description="valid, same groupIdToken as `valid` (C09)")
    invalid: IdToken = Field(default_factory=lambda: _token("INVALID-TOKEN"),
                             description="<Configured invalid_idtoken_idtoken/_type>: the CSMS answers Invalid")
    unknown: IdToken = Field(default_factory=lambda: _token("UNKNOWN-TOKEN-99"),
                             description="a token the CSMS has never seen")
    blocked: IdToken = Field(default_factory=lambda: _token("BLOCKED-TOKEN"),
                             description="<Configured blocked_idtoken_idtoken/_type>: the CSMS answers Blocked")
    expired: IdToken = Field(default_factory=lambda: _token("EXPIRED-TOKEN"),
                             description="<Configured expired_idtoken_idtoken/_type>: the CSMS answers Expired")
    master_pass: IdToken | None = Field(None, description="MasterPassGroupId token, when the SUT has one")

    def info(self, id_token: Mapping[str, Any]) -> dict[str, Any]:
        """IdTokenInfo a CSMS holding this token list answers: valid ones Accepted (with their group), the others
        their named status; a token the list does not have is Unknown."""
        value = id_token.get("idToken")
        for name, status in (("valid", "Accepted"), ("valid2", "Accepted"), ("group", "Accepted"),
                             ("master_pass", "Accepted"), ("invalid", "Invalid"), ("blocked", "Blocked"),
                             ("expired", "Expired")):
            token: IdToken | None = getattr(self, name)
            if token is not None and token.id_token == value:
                info: dict[str, Any] = {"status": status}
                if token.group_id_token and status == "Accepted":
                    info["groupIdToken"] = {"idToken": token.group_id_token, "type": "Central"}
                return info
        return {"status": "Unknown"}


class SimulatedStation(_Model):
    """A station `ocpp-harness simulate csms --profile` knows."""

    identity: str = Field(description="the station identity, the last segment of the URL it connects to")
    password_env: str | None = Field(None, description="environment variable with its Basic Auth password (never "
                                                       "the password); none: security profile 3 only")
    serial_number: str | None = Field(None, description="the CN its security profile 3 certificate must have "
                                                        "(default: the identity)")
    boot_status: Literal["Accepted", "Pending", "Rejected"] = Field("Accepted", description="how its "
                                                                                          "BootNotification is answered")


class CsmsSimulatorProfile(_Model):
    """What `ocpp-harness simulate csms --profile FILE` plays: a lab's prepared CSMS."""

    stations: list[SimulatedStation] = Field(min_length=1, description="the stations it knows")
    id_tokens: IdTokens = Field(default_factory=lambda: IdTokens(), description="its token table (C01): valid, "
                                                                                "blocked, expired …; others Unknown")
    heartbeat_interval: int = Field(60, ge=1, description="the interval it answers an Accepted boot with")


class Configured(_Model):
    """Part 6 <Configured …> values the test cases use. Seconds unless named otherwise. `other` takes the rest."""

    evse_id: int = Field(1, ge=1, description="<Configured evseId>: the EVSE the transaction cases use")
    connector_id: int = Field(1, ge=1, description="<Configured connectorId>: its connector")
    heartbeat_interval: int = Field(10, gt=0, description="<Configured HeartbeatInterval>: the interval the harness "
                                                          "CSMS gives in BootNotificationResponse")
    boot_retry_interval: int = Field(2, gt=0, description="interval the harness CSMS gives with Pending/Rejected")
    retry_back_off_wait_minimum: int = Field(1, ge=0, description="<Configured RetryBackOffWaitMinimum>: "
                                                                  "OCPPCommCtrlr.RetryBackOffWaitMinimum")
    retry_back_off_random_range: int = Field(0, ge=0)
    retry_back_off_repeat_times: int = Field(2, ge=0)
    offline_window: float = Field(3.0, gt=0, description="how long the harness CSMS refuses reconnects when a test "
                                                         "takes the station offline")
    message_attempts_transaction_event: int = Field(3, ge=1, description="<Configured message_attempts_transaction_"
                                                        "event>: OCPPCommCtrlr.MessageAttempts (TransactionEvent)")
    message_attempt_interval_transaction_event: int = Field(1, ge=0, description="<Configured message_attempts_"
                                                                    "transaction_event_interval>: OCPPCommCtrlr."
                                                                    "MessageAttemptInterval (TransactionEvent)")
    message_timeout: int = Field(3, gt=0, description="<Configured messageTimeout>: OCPPCommCtrlr.MessageTimeout "
                                                      "the timeout tests set")
    ev_connection_timeout: int = Field(5, gt=0, description="<Configured ev_connection_timeout>: "
                                                            "TxCtrlr.EVConnectionTimeOut")
    tx_updated_interval: int = Field(2, ge=0, description="<Configured transaction_updated_metervalues_interval>: "
                                                          "SampledDataCtrlr.TxUpdatedInterval the tests set")
    tx_updated_measurands: str = Field("Energy.Active.Import.Register",
                                       description="<Configured transaction_updated_metervalues_measurands>")
    aligned_data_interval: int = Field(2, ge=0, description="<Configured clock-aligned meter values interval>: "
                                                            "AlignedDataCtrlr.Interval the tests set")
    aligned_tx_ended_interval: int = Field(2, ge=0, description="<Configured clock_aligned_tx_ended_meter_values_"
                                           "interval>: AlignedDataCtrlr.TxEndedInterval (TC_J_03_CS, TC_J_04_CS)")
    sampled_tx_ended_interval: int = Field(2, ge=0, description="<Configured sampled_tx_ended_meter_values_interval>: "
                                           "SampledDataCtrlr.TxEndedInterval (TC_J_10_CS, TC_J_11_CS)")
    transaction_duration: float = Field(1.0, ge=0, description="<Configured transaction duration>: how long a test "
                                                               "lets energy flow before stopping")
    max_time_deviation: float = Field(4.0, ge=0, description="<Configured max time deviation>: allowed clock "
                                                             "deviation of timestamps (s)")
    reboot_time: float = Field(60.0, gt=0, description="how long the station may take from a Reset or power cycle "
                                                       "to its BootNotification")
    firmware_update_time: float = Field(60.0, gt=0, description="how long the station may take from UpdateFirmware "
                                                               "to its last FirmwareStatusNotification (L01)")
    cert_signing_wait_minimum: int = Field(3, gt=0, description="<Configured CertSigningWaitMinimum>: "
                                                                "SecurityCtrlr.CertSigningWaitMinimum in TC_A_23_CS")
    configuration_slot: int = Field(1, ge=0, description="<Configured configurationSlot>: a NetworkConnectionProfile "
                                                         "slot of the station (A05, B09)")
    configuration_slot2: int = Field(2, ge=0, description="<Configured configurationSlot2>: a second slot; the A05 "
                                                          "cases use whichever of the two the active profile is not in")
    ocpp_interface: str = Field("Wired0", description="<Configured ocppInterface>: connectionData.ocppInterface of a "
                                                      "SetNetworkProfile (station SUT: what the harness sends; CSMS "
                                                      "SUT: what the CSMS must send, TC_A_19_CSMS)")
    ocpp_csms_url: str | None = Field(None, description="<Configured ocppCsmsUrl>: connectionData.ocppCsmsUrl the CSMS "
                                                        "must send in TC_B_42_CSMS; unset: any URL")
    long_operation_timeout: float = Field(20.0, gt=0, description="<Configured long operation timeout>: how long "
                                                                  "TC_A_19_CS watches that an upgraded station does "
                                                                  "not come back at security profile 1")
    firmware_signature: str | None = Field(None, description="<Configured signature>: the firmware.signature the CSMS "
                                                             "sends in TC_L_01_CSMS; unset: only its presence is "
                                                             "checked")
    firmware_signing_certificate: str | None = Field(None, description="<Configured signingCertificate>: the PEM the "
                                                                       "CSMS sends in TC_L_01_CSMS; unset: only its "
                                                                       "presence is checked")
    invalid_firmware_location: str | None = Field(None, description="<Configured invalid firmware location>: an "
                                                  "image the station downloads and fails to install (TC_L_08_CS); "
                                                  "unset: the harness serves one only the built-in station knows")
    invalid_firmware_signature: str | None = Field(None, description="<Configured invalid firmware signature>: its "
                                                   "real signature (Base64)")
    invalid_firmware_signing_certificate: str | None = Field(None, description="<Configured invalid firmware "
                                                             "signingCertificate>: a PEM the station trusts")
    install_offset_period: float = Field(3.0, gt=0, description="<Configured Install Offset Period>: how far ahead "
                                                                "the installDateTime of TC_L_02 lies (station SUT: "
                                                                "what the harness sends; CSMS SUT: what it asks for)")
    download_offset_period: float = Field(3.0, gt=0, description="<Configured Download Offset Period>: how far ahead "
                                                                 "the retrieveDateTime of TC_L_03 lies (both roles, "
                                                                 "as install_offset_period)")
    local_list_version: int = Field(2, gt=0, description="<Configured versionNumber>: the version of the full Local "
                                                        "Authorization List block D installs (TC_D_01_CS sends it); "
                                                        "TC_D_06_CS needs it above 1")
    # block G, P and TC_K_38_CS
    data_transfer_vendor_id: str = Field("org.openchargealliance.octt", description="<Configured vendorId>: the "
                                         "DataTransferRequest vendorId of TC_P_02_CSMS (one the CSMS does not "
                                         "implement)")
    data_transfer_message_id: str = Field("TestMessageId", description="<Configured messageId>: the "
                                          "DataTransferRequest messageId of TC_P_01_CS / TC_P_02_CSMS (unused)")
    number_phases: int = Field(3, ge=1, le=3, description="<Configured numberPhases>: numberPhases of a charging "
                                                         "schedule period (TC_K_38_CS)")
    charging_rate_unit: Literal["A", "W"] = Field("A", description="<Configured chargingRateUnit>: the unit of a "
                                                                   "charging schedule (TC_K_38_CS; errata 2025-09: "
                                                                   "limits are 6 A, or 6 A x 230 V per phase in W)")
    # block B (provisioning)
    offline_threshold: int = Field(5, gt=2, description="<Configured offlineThreshold>: OCPPCommCtrlr.OfflineThreshold "
                                                         "of TC_B_11_CS, TC_B_51_CS and TC_B_52_CS (s; the B04 cases "
                                                         "stay offline 2 s more, or less, than this)")
    retry_interval: int = Field(2, ge=1, description="<Configured retryInterval>: the GetLog retryInterval of "
                                                   "TC_N_26_CS (3 retries: the case lasts 3 times this)")
    log_type: Literal["DiagnosticsLog", "SecurityLog", "DataCollectorLog"] = Field(
        "DiagnosticsLog", description="<Configured logType>: the logType of TC_N_34_CS / TC_N_36_CS")
    customer_identifier: str = Field("OpenChargeAlliance", max_length=64,
                                     description="<Configured customerIdentifier>: the customer the lab stores at "
                                                 "the station (TC_N_62_CS); the CSMS must ask for it (TC_N_62_CSMS)")
    other: dict[str, str | int | float | bool] = Field(default_factory=dict)


class Control(_Model):
    """How the harness performs Part 6 "Manual Action"s on the SUT (DESIGN.md §6)."""

    adapter: Adapter = Field("prompt", description="builtin: in-process simulator; http: the JSON convention of "
                                                   "the README; shell: a command per action; prompt: ask a person")
    url: str = Field("", description="http: base URL of the lab's control API (empty with builtin: the "
                                     "simulator's own)")
    token_env: str | None = Field(None, description="http: env var with a bearer token for the control API")
    command: list[str] = Field(default_factory=list,
                               description="shell: argv; {action} and {params} (JSON) are substituted")
    timeout: float = Field(60.0, gt=0, description="seconds one action may take (a person needs more)")
    remote_start: bool = Field(False, description="use RequestStartTransaction where Part 6 allows it instead of "
                                                  "presenting a token at the station")

    @model_validator(mode="after")
    def _complete(self) -> Control:
        if self.adapter == "shell" and not self.command:
            raise ValueError("adapter 'shell' needs `command` (an argv list)")
        return self


class PoolMember(_Model):
    """One SUT of a pool of the same model: what differs from the profile's own identity, endpoint and control."""

    identity: str = Field(description="its Charging Station identity")
    serial_number: str = Field("", description="its serial number (security profile 3 certificate CN)")
    endpoint: Endpoint | None = Field(None, description="station: where its harness CSMS listens; CSMS: its URL")
    control_url: str = Field("", description="its control API (http adapter)")


class SutProfile(_Model):
    """One system under test: a Charging Station (the harness plays the CSMS) or a CSMS (it plays a station)."""

    kind: SutKind = Field(description="station: a Charging Station under test (the harness plays the CSMS); csms: "
                                      "a CSMS under test (the harness plays a station)")
    name: str = Field("", description="a name for the reports")
    builtin: bool = Field(False, description="the harness's built-in simulator plays this SUT")
    identity: str = Field(description="the Charging Station identity (station SUT: the SUT's; CSMS SUT: the one the "
                                      "harness's station uses)")
    serial_number: str = Field("", description="the station's serial number: the CN of its certificate at security "
                                                "profile 3")
    vendor: str = Field("", description="<Configured vendorName> (reports; BootNotification of the harness's station)")
    model: str = Field("", description="<Configured model>")
    firmware_version: str = Field("", description="for the reports")
    endpoint: Endpoint = Field(default_factory=lambda: Endpoint(), description="<Configured ocppCsmsUrl>: where the "
                                                                          "two sides meet")
    security: Security = Field(default_factory=lambda: Security())
    evses: list[Evse] = Field(default_factory=lambda: [Evse(id=1), Evse(id=2)],
                              description="the EVSEs, ids 1, 2, … in order, with their number of connectors")
    id_tokens: IdTokens = Field(default_factory=lambda: IdTokens())
    configured: Configured = Field(default_factory=lambda: Configured())
    pics: dict[str, bool] = Field(default_factory=dict, description="Part 5 features claimed: C-xx, AQ-x, HFS-x, "
                                                                    "LA-x … of the SUT's role (the catalogue's "
                                                                    "features); absent means not claimed")
    policies: dict[str, Any] = Field(default_factory=dict, description="answers for spec-silent points (README)")
    control: Control = Field(default_factory=lambda: Control())
    pool: list[PoolMember] = Field(default_factory=list,
                                   description="several SUTs of this model for a parallel run (pytest -n N, "
                                               "pytest-xdist): worker gwK tests entry K, so N entries serve N workers")

    def member(self, index: int) -> SutProfile:
        """This profile for pool entry `index` (identity, serial number, endpoint and control URL replaced)."""
        entry = self.pool[index]
        control = self.control.model_copy(update={"url": entry.control_url or self.control.url})
        return self.model_copy(update={
            "identity": entry.identity, "serial_number": entry.serial_number or self.serial_number,
            "endpoint": entry.endpoint or self.endpoint, "control": control,
            "name": f"{self.name or self.identity} [{entry.identity}]", "pool": []})

    @model_validator(mode="after")
    def _consistent(self) -> SutProfile:
        ids = [e.id for e in self.evses]
        if ids != list(range(1, len(ids) + 1)):
            raise ValueError(f"evses: ids must be 1, 2, … in order; got {ids}")
        if self.kind == "csms" and not self.builtin and not self.endpoint.url:
            raise ValueError("a CSMS profile needs endpoint.url (ws://… or wss://…)")
        if self.kind == "csms" and self.endpoint.url and not _ws_url(self.endpoint.url):
            raise ValueError(f"endpoint.url {self.endpoint.url!r} is not a ws:// or wss:// URL with a host")
        if self.control.adapter == "builtin" and not self.builtin:
            raise ValueError("control.adapter 'builtin' only works with builtin: true")
        if self.control.adapter == "http" and not (self.control.url or self.builtin):
            raise ValueError("control.adapter 'http' needs control.url")
        return self  # `pics` keys are checked against the catalogue where the file is read (usecase.loader)

    @property
    def connectors(self) -> list[int]:
        """Connectors per EVSE, EVSE 1 first (the simulators' layout format)."""
        return [e.connectors for e in self.evses]

    def masked(self) -> dict[str, Any]:
        """The profile as a report attachment (DESIGN.md §9). Its own fields hold env var names, never secrets,
        but free-form parts (policies, `configured.other`, URLs) could: values under a secret-sounding key and
        the password of a URL's user info are replaced by MASK."""
        masked: dict[str, Any] = _mask(self.model_dump(mode="json", by_alias=True))
        return masked


MASK = "********"
# key names whose values are secrets (`*_env` keys name a variable instead); an id token is not a secret
_SECRET_KEY = re.compile(r"^token$|(^|_)(pass|password|passwd|secret|private_key|api_key|apikey|credentials?|"
                         r"bearer|auth_token|access_token)$", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^/@:\s]*):[^/@\s]*@", re.IGNORECASE)


def _mask(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key) for v in value]
    if isinstance(value, str):
        if _SECRET_KEY.search(key) and value:
            return MASK
        return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}:{MASK}@", value)
    return value


# ---- PICS conditions ----------------------------------------------------------------------------------------------
_FEATURE = re.compile(r"[A-Z]{1,3}-\d+(?:\.\d+)?")
_TOKEN = re.compile(r"\s*(?:(?P<feature>[A-Z]{1,3}-\d+(?:\.\d+)?)|(?P<op>AND|OR|NOT|\(|\)))", re.IGNORECASE)


class PicsCondition:
    """A Part 5 condition such as `C-01 AND (C-09.1 OR NOT AQ-2)`: parsed once, evaluated per profile."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._tokens = self._lex(text)
        self._pos = 0
        self._tree = self._or()
        if self._pos != len(self._tokens):
            raise ValueError(f"PICS condition {text!r}: unexpected {self._tokens[self._pos]!r}")

    @property
    def features(self) -> list[str]:
        return [t for t in self._tokens if _FEATURE.fullmatch(t)]

    def holds(self, claimed: dict[str, bool]) -> bool:
        return self._eval(self._tree, claimed)

    def explain(self, claimed: dict[str, bool]) -> str:
        """Why it does not hold: each feature with what the profile says."""
        said = ", ".join(f"{f} {'yes' if claimed.get(f) else 'no'}" for f in dict.fromkeys(self.features))
        return f"needs {self.text}; profile says {said}"

    @staticmethod
    def _lex(text: str) -> list[str]:
        tokens, pos = [], 0
        text = text.rstrip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:
                raise ValueError(f"PICS condition {text!r}: cannot read {text[pos:].strip()!r}")
            tokens.append((match.group("feature") or match.group("op")).upper())
            pos = match.end()
        return tokens

    def _take(self, token: str) -> bool:
        if self._pos < len(self._tokens) and self._tokens[self._pos] == token:
            self._pos += 1
            return True
        return False

    def _or(self) -> Any:
        node = self._and()
        while self._take("OR"):
            node = ("OR", node, self._and())
        return node

    def _and(self) -> Any:
        node = self._not()
        while self._take("AND"):
            node = ("AND", node, self._not())
        return node

    def _not(self) -> Any:
        if self._take("NOT"):
            return ("NOT", self._not())
        if self._take("("):
            node = self._or()
            if not self._take(")"):
                raise ValueError(f"PICS condition {self.text!r}: missing ')'")
            return node
        if self._pos < len(self._tokens) and _FEATURE.fullmatch(self._tokens[self._pos]):
            self._pos += 1
            return self._tokens[self._pos - 1]
        got = self._tokens[self._pos] if self._pos < len(self._tokens) else "the end"
        raise ValueError(f"PICS condition {self.text!r}: expected a feature id, got {got!r}")

    def _eval(self, node: Any, claimed: dict[str, bool]) -> bool:
        if isinstance(node, str):
            return bool(claimed.get(node, False))
        if node[0] == "NOT":
            return not self._eval(node[1], claimed)
        left, right = self._eval(node[1], claimed), self._eval(node[2], claimed)
        return left and right if node[0] == "AND" else left or right


def profile_json_schema() -> dict[str, Any]:
    """The JSON Schema of a profile file, for editor completion (`ocpp-harness` writes it to profiles/)."""
    schema = SutProfile.model_json_schema(by_alias=True)
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["title"] = "OCPP 2.0.1 conformance harness: SUT profile"
    return schema


# ---- the built-in simulators' profiles (also shipped as profiles/builtin-*.yaml; a self-test keeps them equal) ----
# What the station simulator implements, in Part 5's terms (harness/usecase/catalogue.json lists them all):
# ISO14443 tokens presented and sent in RequestStartTransaction, configurable TxStart/StopPoint (every value),
# AuthorizeRemoteStart either way, the CertSigningWait* retries, a removable CSMS root, security profile 1, and a
# detachable cable it can unlock.
BUILTIN_STATION_PICS = {"C-01": True, "C-02": True, "C-06": True, "C-09.1": True, "C-09.2": True, "C-10.2": True,
                        "C-30": True, "C-36": True, "C-48": True, "C-48.1": True, "C-48.2": True, "C-49": True,
                        "C-51": True, "C-52": True, "C-61": True, "AS-3": True, "AQ-1": True, "HFS-1": True,
                        # block E: every start and stop point, EV-side disconnect both ways, DisableRemoteAuthorization
                        "C-06.1": True, "C-06.2": True, "C-09.3": True, "C-09.4": True, "C-09.5": True, "C-09.6": True,
                        "C-10.1": True, "C-10.3": True, "C-10.4": True, "C-10.5": True, "C-12.1": True, "C-12.2": True,
                        "AQ-9": True, "C-58": True,
                        # block C coverage: MaxEnergyOnInvalidId, Master Pass without UI, cache LifeTime and
                        # DisablePostAuthorize
                        "C-03": True, "C-08": True, "C-53": True, "C-59": True,
                        # block F: TriggerMessage of each kind Part 5 names
                        "C-29": True, "C-29.1": True, "C-29.2": True, "C-29.3": True, "C-29.4": True, "C-29.5": True,
                        "C-29.6": True,
                        # block B coverage: the SummaryInventory base report
                        "C-56": True,
                        # block J: AlignedDataSendDuringIdle, measurands for every list, signed meter values
                        "C-28": True, "C-40": True, "C-42": True,
                        # block L: it can cancel a running firmware update (L01.FR.24); its station certificate
                        # can be removed by a lab action (TC_A_21_CS)
                        "C-60": True, "AQ-3": True,
                        # block N: cancelling a log upload, customer information by customerIdentifier
                        "C-57": True, "C-14": True,
                        # AllowNewSessionsPendingFirmwareUpdate; downloads during a transaction, installs after it
                        "C-20": True, "AQ-7": True}
# the Master Pass token (C16) both built-in simulators know; its group is the station's MasterPassGroupId
BUILTIN_MASTER_PASS = IdToken(id_token="MASTER-PASS-01", type="ISO14443", group_id_token="MASTER-GROUP")
BUILTIN_CSMS_PICS = {"C-11": True, "C-16": True, "C-44": True,
                     # block F: it triggers each kind of message Part 5 names for a CSMS
                     "C-29": True, "C-29.1": True, "C-29.2": True, "C-29.3": True, "C-29.4": True, "C-29.5": True,
                     "C-15": True,  # scheduled firmware updates (an operator's retrieve/installDateTime)
                     "C-14": True,  # customer information by customerIdentifier
                     # block B coverage: EVSE resets, ConfigurationInventory / FullInventory reports on an operator's
                     # request, several variables in one Get/SetVariablesRequest
                     "C-13": True, "C-17": True, "C-45": True, "C-46": True, "C-50": True, "C-50.2": True}


def builtin_station_profile() -> SutProfile:
    return SutProfile(kind="station", name="Built-in station simulator", builtin=True, identity="SIM-CS-001",
                      serial_number="SIM-SN-0001", vendor="OpenOCPPHarness", model="HarnessSim",
                      firmware_version="1.0.0",
                      security=Security(password_env="OCPP_STATION_PASSWORD", supported=[1, 2, 3]),
                      configured=Configured(retry_back_off_wait_minimum=2, tx_updated_interval=1, reboot_time=10,
                                            long_operation_timeout=10.0),
                      id_tokens=IdTokens(master_pass=BUILTIN_MASTER_PASS),
                      pics=dict(BUILTIN_STATION_PICS), control=Control(adapter="http", timeout=15.0))


def builtin_csms_profile() -> SutProfile:
    return SutProfile(kind="csms", name="Built-in CSMS simulator", builtin=True, identity="HARNESS-CS-001",
                      serial_number="HARNESS-SN-0001", vendor="OpenOCPPHarness", model="OCPP-Harness",
                      firmware_version="0.1.0",
                      security=Security(password_env="OCPP_HARNESS_STATION_PASSWORD", supported=[1, 2, 3]),
                      evses=[Evse(id=1)], pics=dict(BUILTIN_CSMS_PICS),
                      id_tokens=IdTokens(master_pass=BUILTIN_MASTER_PASS), control=Control(adapter="http", timeout=15.0))
