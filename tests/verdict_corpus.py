"""The verdict-accuracy corpus (issue 12, done when): scripted SUT behaviours and the verdict each must get.

LEGAL rows are conformant but unusual choices (a simulator variant, a fault switch whose deviation Part 6 tolerates,
a scripted CSMS taking a reading Part 4 allows, a profile policy): every case they run must pass (one row: be not
applicable, naming why), with the warning named where the behaviour is beyond a Part 6 table. DEFECT rows break a
rule: every case they run must fail, and the failure's headline (its first line) must contain the texts named.

tests/test_verdict_corpus.py runs a sample in `make test` and every row with OCPP_ALL_FAULTS=1;
scripts/verdict_corpus.py runs every row and writes docs/verdict-corpus.md (behaviour -> expected -> actual).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from scripted_csms import SILENT, run_cases, scripted_csms
from suite_runner import ROOT, SuiteResult, run_suite

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")
STRICT = ("--ocpp-policy=beyond_part6=fail",)  # a check beyond a case's table fails (the fault tables' runs)

Kind = Literal["legal", "defect"]
How = Literal["station variant", "CSMS variant", "station fault switch", "CSMS fault switch", "scripted CSMS",
              "profile policy"]


@dataclass(frozen=True)
class Row:
    id: str
    kind: Kind
    does: str  # what the SUT does, in one line
    how: How
    cases: tuple[str, ...]
    faults: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()  # further options of the child run (a policy, the strictness)
    script: str | None = None  # a SCRIPTS entry: the scripted CSMS that plays the SUT
    policies: tuple[tuple[str, Any], ...] = ()  # the scripted CSMS's profile policies
    profile: str | None = None  # a PROFILES entry: the station profile the row needs (a claimed feature)
    headline: tuple[str, ...] = ()  # defect: texts the headline (first line of the failure) must contain
    names: tuple[str, ...] = ()  # defect: texts the whole failure must contain (the rule, the field, the value)
    warning: tuple[str, ...] = ()  # legal: texts one warn finding of each case must contain
    expected: str = ""  # the verdict of every case; "" = passed for legal rows, failed for defects

    @property
    def verdict(self) -> str:
        return self.expected or ("passed" if self.kind == "legal" else "failed")

    @property
    def command(self) -> str:
        """How to run the row by hand (the scripted CSMS rows only through the corpus test)."""
        if self.script is not None:
            return f"pytest tests/test_verdict_corpus.py -k {self.id}"
        opts = [*(f"--ocpp-sim-fault={f}" for f in self.faults), *(f"--ocpp-sim-variant={v}" for v in self.variants),
                *self.extra]
        return " ".join(["pytest testcases", *opts, "-k", "'" + " or ".join(self.cases) + "'"])


# ---- the scripted CSMS behaviours (what tests/test_framework_readings.py proves one by one) ----------------------
Script = Callable[[Any], "str | object | None"]


def _long_id_answered(frame: Any) -> str | None:
    if isinstance(frame, list) and len(frame) == 4 and frame[0] == 2 and len(str(frame[1])) > 36:
        return f'[3,"{frame[1]}",{{}}]'
    return None


def _long_id_refused_with(code: str) -> Script:
    def script(frame: Any) -> str | None:
        if isinstance(frame, list) and len(frame) == 4 and frame[0] == 2 and len(str(frame[1])) > 36:
            return f'[4,"{frame[1]}","{code}","message id too long",{{}}]'
        return None
    return script


def _extra_property_as(code: str) -> Script:
    def script(frame: Any) -> str | None:
        if isinstance(frame, list) and len(frame) == 4 and isinstance(frame[3], dict) and "harnessBogusField" in frame[3]:
            return f'[4,"{frame[1]}","{code}","unexpected property",{{}}]'
        return None
    return script


def _not_an_array(silent_on: str, code: str = "RpcFrameworkError") -> Script:
    def script(frame: Any) -> str | object | None:
        if isinstance(frame, dict | str) or frame == [2]:
            return SILENT if json.dumps(frame, separators=(",", ":")) == silent_on else f'[4,"-1","{code}","",{{}}]'
        return None
    return script


def _silent_to_unknown_type(frame: Any) -> object | None:
    return SILENT if isinstance(frame, list) and frame[:1] == [7] else None


def _second_concurrent_call_refused(frame: Any) -> str | None:
    if isinstance(frame, list) and len(frame) == 4 and str(frame[1]).startswith("rpc08-2-"):
        return f'[4,"{frame[1]}","GenericError","one CALL at a time",{{}}]'
    return None


def _answer(action: str, answer: str) -> Script:
    def script(frame: Any) -> str | None:
        if isinstance(frame, list) and len(frame) == 4 and frame[0] == 2 and frame[2] == action:
            return answer.replace("{id}", str(frame[1]))
        return None
    return script


# name -> (script, how it refuses bad Basic Auth: None lets everyone in, "close" drops the TCP connection)
SCRIPTS: dict[str, tuple[Script, int | Literal["close"] | None]] = {
    "long_id_answered": (_long_id_answered, None),
    "long_id_protocol_error": (_long_id_refused_with("ProtocolError"), None),
    "extra_property_occurrence": (_extra_property_as("OccurrenceConstraintViolation"), None),
    "extra_property_property": (_extra_property_as("PropertyConstraintViolation"), None),
    "extra_property_1_6": (_extra_property_as("OccurenceConstraintViolation"), None),
    "silent_to_string_frame": (_not_an_array(silent_on='"x"'), None),
    "format_violation_to_non_array": (_not_an_array(silent_on="", code="FormatViolation"), None),
    "silent_to_unknown_type": (_silent_to_unknown_type, None),
    "second_call_refused": (_second_concurrent_call_refused, None),
    "auth_refused_by_close": (lambda frame: None, "close"),
    "boot_answered_id_minus_one": (_answer("BootNotification", '[4,"-1","FormatViolation","",{}]'), None),
    "status_refused_1_6_code": (_answer("StatusNotification", '[4,"{id}","FormationViolation","no",{}]'), None),
}


# ---- profiles a row needs ---------------------------------------------------------------------------------------
def _station_profile(folder: Path, old: str, new: str) -> Path:
    text = (ROOT / "profiles" / "builtin-station.yaml").read_text()
    if text.count(old) != 1:
        raise ValueError(f"builtin-station.yaml: no single {old!r} to change")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "builtin-station.yaml"
    path.write_text(text.replace(old, new))
    return path


PROFILES: dict[str, Callable[[Path], Path]] = {
    "fixed cable (HFS-2)": lambda folder: _station_profile(folder, "\n  HFS-1: true", "\n  HFS-1: false\n  HFS-2: true"),
    "Master Pass UI (C-07)": lambda folder: _station_profile(folder, "\npics:\n", "\npics:\n  C-07: true\n"),
}


def _legal_variant(name: str, does: str, *cases: str, csms: bool = False, **more: Any) -> Row:
    return Row(name, "legal", does, "CSMS variant" if csms else "station variant", cases, variants=(name,), **more)


def _defect(fault: str, does: str, cases: tuple[str, ...], headline: tuple[str, ...], names: tuple[str, ...] = (),
            *, csms: bool = False, extra: tuple[str, ...] = ()) -> Row:
    return Row(fault, "defect", does, "CSMS fault switch" if csms else "station fault switch", cases, faults=(fault,),
               extra=extra, headline=headline, names=names)


def _scripted(row_id: str, kind: Kind, does: str, cases: tuple[str, ...], **more: Any) -> Row:
    return Row(row_id, kind, does, "scripted CSMS", cases, script=row_id, **more)


ROWS: list[Row] = [
    # ---- LEGAL: simulator variants (the SUT chose otherwise; Part 6 passes it) --------------------------------
    _legal_variant("availability_by_notify_event", "reports connector states only by NotifyEvent AvailabilityState",
                   "TC_B_01_CS", "TC_C_26_CS"),
    _legal_variant("read_only_tx_points", "has TxStartPoint / TxStopPoint ReadOnly (SetVariables Rejected)",
                   "TC_C_02_CS", "TC_C_39_CS"),
    _legal_variant("no_local_pre_authorize", "lacks AuthCtrlr.LocalPreAuthorize (GetVariables UnknownVariable)",
                   "TC_C_02_CS", "TC_C_06_CS", "TC_C_39_CS"),
    _legal_variant("boot_trigger_not_implemented", "answers TriggerMessage(BootNotification) NotImplemented (F06)",
                   "TC_B_02_CS"),
    _legal_variant("fixed_cable", "has a permanently attached cable: the EV-side disconnect frees the connector",
                   "TC_E_27_CS", profile="fixed cable (HFS-2)"),
    _legal_variant("master_pass_ui", "has a Master Pass UI: the user selects the transactions to stop",
                   "TC_C_47_CS", "TC_C_48_CS", profile="Master Pass UI (C-07)"),
    _legal_variant("no_plug_retention_lock", "has no ConnectorPlugRetentionLock (TC_G_20_CS: not applicable)",
                   "TC_G_20_CS", expected="not applicable"),
    _legal_variant("custom_data_everywhere", "adds customData to every CALL and answer it sends",
                   "TC_B_01_CS", "TC_B_06_CS", "TC_F_01_CS", "TC_M_18_CS", "TC_P_03_CS"),
    _legal_variant("status_info_in_answers", "adds statusInfo (reasonCode NoError) to every Accepted answer",
                   "TC_B_20_CS", "TC_F_01_CS", "TC_G_11_CS", "TC_N_25_CS"),
    _legal_variant("slow_answers", "answers every request 1.5 s late (inside the message timeout)",
                   "TC_B_06_CS", "TC_F_01_CS"),
    _legal_variant("duplicate_status_notifications", "reports each connector state twice after a boot or trigger",
                   "TC_B_01_CS", "TC_B_20_CS", "TC_G_11_CS"),
    _legal_variant("late_reconnect", "reconnects as late as its back-off allows, also after a reboot",
                   "TC_A_09_CS", "TC_B_20_CS", "TC_B_57_CS"),
    _legal_variant("full_boot_payload", "sends BootNotification with every optional field (modem iccid, imsi)",
                   "TC_B_01_CS", "TC_B_20_CS"),
    _legal_variant("minimal_boot_payload", "sends BootNotification with the required fields only (no serialNumber, "
                   "firmwareVersion)", "TC_B_01_CS", "TC_B_20_CS", "TC_B_02_CS"),
    _legal_variant("extra_measurands", "adds Voltage and Current.Import to its transaction meter values",
                   "TC_F_01_CS", "TC_E_15_CS"),
    _legal_variant("pending_interval_zero", "answers Pending / Rejected with interval 0", "TC_B_02_CSMS",
                   "TC_B_30_CSMS", csms=True),
    _legal_variant("provision_while_pending", "reads the station's OfflineThreshold while it is Pending",
                   "TC_B_02_CSMS", "TC_B_31_CSMS", csms=True),
    _legal_variant("csms_custom_data_everywhere", "adds customData to every CALL and answer it sends",
                   "TC_B_01_CSMS", "TC_E_04_CSMS", "TC_F_01_CSMS", "TC_M_18_CSMS", "TC_P_03_CSMS", csms=True),
    _legal_variant("csms_status_info_in_answers", "adds statusInfo (reasonCode NoError) to every Accepted answer",
                   "TC_B_01_CSMS", "TC_B_02_CSMS", csms=True),
    _legal_variant("csms_slow_answers", "answers every request 1.5 s late (inside the message timeout)",
                   "TC_B_01_CSMS", "TC_E_04_CSMS", csms=True),
    _legal_variant("other_heartbeat_interval", "accepts the boot with twice the configured heartbeat interval",
                   "TC_B_01_CSMS", csms=True),
    _legal_variant("id_token_info_extras", "sends idTokenInfo with cacheExpiryDateTime, chargingPriority, language1, "
                   "personalMessage", "TC_E_03_CSMS", "TC_E_04_CSMS", "TC_C_39_CSMS", csms=True),
    # ---- LEGAL: deviations Part 6 tolerates (a warning names what was expected) -------------------------------
    Row("reset_boot_reason_power_up", "legal", "boots with reason PowerUp after a Reset (B11 says RemoteReset)",
        "station fault switch", ("TC_B_20_CS",), faults=("reset_boot_reason_power_up",),
        warning=("BootReason", "RemoteReset")),
    Row("heartbeat_too_fast", "legal", "sends Heartbeat four times as often as the interval (TC_B_01_CS checks none)",
        "station fault switch", ("TC_B_01_CS",), faults=("heartbeat_too_fast",), warning=("B01.FR.04",)),
    Row("refuse_auth_with_403", "legal", "refuses bad Basic Auth with HTTP 403 (Part 6 asks only for a refusal)",
        "CSMS fault switch", ("TC_A_02_CSMS", "TC_A_03_CSMS"), faults=("refuse_auth_with_403",),
        warning=("SEC-5", "with HTTP 403", "expected HTTP 401")),
    _scripted("auth_refused_by_close", "legal", "refuses bad Basic Auth by closing the TCP connection, no HTTP status",
              ("TC_A_02_CSMS", "TC_A_03_CSMS"), warning=("SEC-5", "no HTTP status", "expected HTTP 401")),
    # ---- LEGAL: readings of Part 4 (scripted CSMS) and profile policies ----------------------------------------
    _scripted("long_id_answered", "legal", "answers a CALL with a 41-character message id normally (Part 4 limits "
              "the sender only)", ("RPC_04_CSMS",)),
    _scripted("long_id_protocol_error", "legal", "refuses a 41-character message id with ProtocolError",
              ("RPC_04_CSMS",)),
    _scripted("extra_property_occurrence", "legal", "refuses a forbidden property with OccurrenceConstraintViolation",
              ("RPC_07_CSMS",)),
    _scripted("extra_property_property", "legal", "refuses a forbidden property with PropertyConstraintViolation",
              ("RPC_07_CSMS",)),
    Row("extra_property_1_6_compat", "legal", "spells the code OccurenceConstraintViolation (1.6) under compat "
        "strictness", "profile policy", ("RPC_07_CSMS",), script="extra_property_1_6",
        extra=("--ocpp-strictness=compat",), warning=("RPC-16",)),
    Row("silence_to_string_frame_allowed", "legal", "ignores a JSON string frame where its profile lists 'silence'",
        "profile policy", ("RPC_11_CSMS",), script="silent_to_string_frame",
        policies=(("rpc.reply.not_an_array", ["RpcFrameworkError", "silence"]),)),
    Row("silence_to_unknown_type_allowed", "legal", "ignores an unknown MessageTypeId (§4.1.3) where its profile "
        "lists 'silence'", "profile policy", ("RPC_03_CSMS",), script="silent_to_unknown_type",
        policies=(("rpc.reply.unknown_message_type", ["MessageTypeNotSupported", "silence"]),)),
    _scripted("second_call_refused", "legal", "refuses a second concurrent CALL with a CALLERROR (RPC-15 binds the "
              "sender)", ("RPC_08_CSMS",)),
    # ---- DEFECTS: fault switches, blocks A-P, both roles --------------------------------------------------------
    _defect("wrong_password", "connects with a wrong Basic Auth password", ("TC_A_01_CS",), ("did not authenticate",),
            ("SEC-5", "password")),
    _defect("accept_bad_password", "accepts a connection with a wrong password", ("TC_A_03_CSMS",), ("refuse",),
            csms=True),
    _defect("keep_old_password", "keeps using its old password after SetVariables BasicAuthPassword",
            ("TC_A_09_CS",), ("new password",)),
    _defect("set_short_password", "sets a BasicAuthPassword of fewer than 16 characters", ("TC_A_09_CSMS",),
            ("password",), csms=True),
    _defect("keep_lower_profile_slot", "keeps the lower security profile's slot after an upgrade", ("TC_A_19_CS",),
            ("slot",)),
    _defect("accept_old_profile", "accepts a connection at the old security profile after an upgrade",
            ("TC_A_19_CSMS",), ("old security profile",), csms=True),
    _defect("bad_boot_reason", "sends BootNotification with reason 'Foo'", ("TC_B_01_CS",), ("reason",), ("RPC-12", "$.reason")),
    _defect("ignore_retry_interval", "retries a Rejected boot before the interval", ("TC_B_03_CS",),
            ("BootNotification retry after Rejected",), ("TIMING", "B03.FR.02"), extra=STRICT),
    _defect("send_while_pending", "sends Heartbeat while Pending (beyond the table: failed with beyond_part6=fail)",
            ("TC_B_02_CS",), ("Heartbeat",), ("B02.FR.02",), extra=STRICT),
    _defect("no_reboot_on_reset", "answers Reset Accepted and never reboots", ("TC_B_20_CS",), ("BootNotification",)),
    _defect("bad_boot_time", "answers BootNotification with a currentTime without time zone", ("TC_B_01_CSMS",),
            ("BootNotification", "not valid OCPP 2.0.1"), ("RPC-12", "$.currentTime"), csms=True),
    _defect("always_accept_boot", "accepts a station it was told to keep Pending", ("TC_B_02_CSMS",),
            ("the answer to BootNotification",), ("$.status", "got 'Accepted'"), csms=True),
    _defect("reset_with_evse", "sends a station-wide Reset with an evseId", ("TC_B_20_CSMS",), ("Reset",), ("evseId",),
            csms=True),
    _defect("silent_on_bad_input", "does not answer malformed JSON", ("RPC_01_CS",), ("did not answer",)),
    _defect("error_details_as_string", "answers bad input with errorDetails as a string", ("RPC_02_CSMS",),
            ("RPC-07",), csms=True),
    _defect("minus_one_for_readable_id", "answers with message id '-1' though the id was readable", ("RPC_05_CS",),
            ("'-1'",)),
    _defect("accept_malformed_identity", "accepts an empty station identity and one holding ':'", ("RPC_10_CSMS",),
            ("identity",), csms=True),
    _defect("start_for_invalid_token", "starts a transaction for an Invalid idToken", ("TC_C_02_CS",), ("Invalid",)),
    _defect("accept_unknown_token", "accepts an unknown idToken", ("TC_C_02_CSMS",), ("the answer to Authorize",),
            ("$.idTokenInfo.status", "Accepted"), csms=True),
    _defect("wrong_local_list_version", "reports another local list version than it was sent", ("TC_D_01_CS",),
            ("GetLocalListVersion",), ("$.versionNumber",)),
    _defect("empty_local_list", "sends a full local list without entries", ("TC_D_01_CSMS",),
            ("SendLocalListRequest", "full list"), ("$.localAuthorizationList",), csms=True),
    _defect("seqno_gap", "skips a seqNo in a transaction's events", ("TC_E_15_CS",), ("seqNo",), ("TX-1", "never arrived")),
    _defect("no_id_token_info", "answers TransactionEvent with an idToken without idTokenInfo", ("TC_E_04_CSMS",),
            ("the answer to TransactionEvent",), ("$.idTokenInfo", "missing"), csms=True),
    _defect("ignore_seqno_gap", "does not ask GetTransactionStatus after a seqNo gap", ("TC_E_31_CSMS",),
            ("GetTransactionStatus",), csms=True),
    _defect("reject_remote_start", "rejects a valid RequestStartTransaction", ("TC_F_01_CS",),
            ("RequestStartTransaction",), ("$.status",)),
    _defect("remote_start_wrong_token", "starts remotely with another idToken than configured", ("TC_F_01_CSMS",),
            ("idToken",), csms=True),
    _defect("forget_scheduled_availability", "forgets a scheduled Unavailable after the transaction", ("TC_G_11_CS",),
            ("no StatusNotification or NotifyEvent",), ("connector Unavailable for EVSE 1",)),
    _defect("availability_with_connector", "names a connectorId in an EVSE-level ChangeAvailability",
            ("TC_G_03_CSMS",), ("ChangeAvailabilityRequest", "whole EVSE"), ("connectorId",), csms=True),
    _defect("aligned_skip_interval", "sends clock-aligned meter values every other interval", ("TC_J_01_CS",),
            ("interval",), extra=STRICT),
    _defect("meter_values_error", "answers MeterValues with CALLERROR InternalError", ("TC_J_01_CSMS",),
            ("MeterValues",), csms=True),
    _defect("install_unverified_firmware", "installs firmware whose signature does not verify", ("TC_L_06_CS",),
            ("signature",), ("InvalidSignature",)),
    _defect("unsigned_firmware_update", "sends UpdateFirmware without a signature", ("TC_L_01_CSMS",),
            ("not a secure firmware update",), ("signature", "L01.FR.11"), csms=True),
    _defect("wrong_certificate_hash", "reports wrong certificate hashes", ("TC_M_18_CS",),
            ("GetInstalledCertificateIds",)),
    # the chain is optional in the schema: its absence must fail the case as the SUT's, never crash it (issue 12)
    _defect("certificate_chain_omitted", "answers GetInstalledCertificateIds Accepted without certificateHashDataChain",
            ("TC_M_18_CS",), ("GetInstalledCertificateIds",), ("ManufacturerRootCertificate",)),
    _defect("list_certificate_types", "asks GetInstalledCertificateIds for other certificate types",
            ("TC_M_18_CSMS",), ("GetInstalledCertificateIds",), ("certificateType",), csms=True),
    _defect("log_without_filename", "answers GetLog Accepted without a filename", ("TC_N_25_CS",),
            ("GetLogResponse names no file",), ("filename",)),
    _defect("wrong_log_type", "asks for a DiagnosticsLog where a SecurityLog is due", ("TC_N_35_CSMS",),
            ("SecurityLog",), csms=True),
    _defect("reject_custom_data", "refuses a valid SetVariables because it carries customData", ("TC_P_03_CS",),
            ("refused a valid SetVariables",)),
    _defect("csms_accept_data_transfer", "accepts a DataTransfer of an unknown vendor", ("TC_P_02_CSMS",),
            ("DataTransfer",), csms=True),
    # ---- DEFECTS: scripted CSMS (odd answers the built-in simulators never give) -------------------------------
    _scripted("extra_property_1_6", "defect", "spells the code OccurenceConstraintViolation (1.6) under strict "
              "strictness", ("RPC_07_CSMS",), headline=("RPC-16",), names=("1.6",)),
    _scripted("silent_to_string_frame", "defect", "does not answer a JSON string frame", ("RPC_11_CSMS",),
              headline=("did not answer bad input", '"x"')),
    _scripted("format_violation_to_non_array", "defect", "answers a frame that is not an array with FormatViolation",
              ("RPC_11_CSMS",), headline=("wrong CALLERROR code 'FormatViolation'",)),
    _scripted("boot_answered_id_minus_one", "defect", "answers a valid BootNotification with a CALLERROR with id '-1'",
              ("RPC_02_CSMS",), headline=("with message id '-1' instead of",)),
    _scripted("status_refused_1_6_code", "defect", "refuses a valid StatusNotification with CALLERROR "
              "FormationViolation", ("RPC_02_CSMS",),
              headline=("refused a valid StatusNotification with CALLERROR FormationViolation",)),
]


@dataclass
class Outcome:
    row: Row
    verdicts: dict[str, str]  # case id -> passed / failed / skipped / error (not applicable: skipped)
    headlines: dict[str, str]
    warnings: dict[str, list[str]]
    problems: list[str]  # why the row's expectation is not met; empty when it is

    @property
    def actual(self) -> str:
        shown = []
        for case in self.row.cases:
            verdict = self.verdicts.get(case, "not run")
            if verdict == "skipped" and "not applicable" in self.headlines.get(case, ""):
                verdict = "not applicable"
            shown.append(f"{case}: {verdict}")
        return ", ".join(shown)


def _expected_verdict(row: Row, verdict: str, message: str) -> bool:
    if row.verdict == "not applicable":
        return verdict == "skipped" and "not applicable" in message
    return verdict == row.verdict


def headline(message: str) -> str:
    """The first line of a failure as a vendor reads it (JUnit's text starts with the exception's class)."""
    return re.sub(r"^(?:\w+\.)+\w+: ", "", message.strip().split("\n")[0])


def judge(row: Row, result: SuiteResult) -> Outcome:
    """Whether every case of `row` got the verdict, headline and warning the row expects."""
    headlines = {case: headline(result.messages.get(case, "")) for case in result.verdicts}
    problems = []
    for case in row.cases:
        verdict, message = result.verdicts.get(case, "not run"), result.messages.get(case, "")
        if not _expected_verdict(row, verdict, message):
            problems.append(f"{case}: {verdict}, expected {row.verdict}: {message[:1500]}")
            continue
        missing = [t for t in row.headline if t not in headlines.get(case, "")]
        if missing:
            problems.append(f"{case}: the headline {headlines.get(case, '')!r} does not name {missing}")
        unnamed = [t for t in row.names if t not in message]
        if unnamed:
            problems.append(f"{case}: the failure does not name {unnamed}: {message[:1500]}")
        warned = result.warnings.get(case, [])
        if row.warning and not any(all(t in w for t in row.warning) for w in warned):
            problems.append(f"{case}: no warning names {list(row.warning)}: {warned}")
    if not result.verdicts:
        problems.append(f"no case ran:\n{result.output[-3000:]}")
    return Outcome(row, result.verdicts, headlines, result.warnings, problems)


def run_row(row: Row, tmp: Path) -> Outcome:
    """Run the row's cases in a child pytest against its SUT and judge them."""
    tmp.mkdir(parents=True, exist_ok=True)
    if row.script is not None:
        return judge(row, asyncio.run(_scripted_run(row, tmp)))
    extra = [*FAST, *row.extra]
    if row.profile is not None:
        extra.append(f"--ocpp-sut={PROFILES[row.profile](tmp / 'profiles')}")
    result = run_suite(tmp, *row.cases, faults=row.faults, variants=row.variants, extra=tuple(extra))
    return judge(row, result)


async def _scripted_run(row: Row, tmp: Path) -> SuiteResult:
    assert row.script is not None
    script, bad_auth = SCRIPTS[row.script]
    async with scripted_csms(script, bad_auth=bad_auth) as url:
        return await run_cases(tmp, url, *row.cases, policies=dict(row.policies), extra=row.extra)


def by_id() -> dict[str, Row]:
    rows = {row.id: row for row in ROWS}
    if len(rows) != len(ROWS):
        raise ValueError("two corpus rows have the same id")
    return rows
