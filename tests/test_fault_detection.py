"""Every check the suite claims, proven: a simulator fault switch makes exactly the matching case fail, with a
message that names the rule or requirement; the clean run of the same cases passes (test_suite_loopback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from suite_runner import prove_caught, run_suite, sample

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")
# Checks beyond a case's Part 6 table only warn by default; the fault runs make them fail so each is proven.
STRICT = ("--ocpp-policy=beyond_part6=fail",)

# fault switch -> (test case ids that must fail, texts the failure message must contain)
# (TLS fault switches show only at security profile 2 or 3: tests/test_security_profiles.py TLS_FAULTS runs those,
# e.g. accept_invalid_server_cert -> TC_A_05_CS, accept_invalid_client_cert -> TC_A_08_CSMS.)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the Charging Station simulator misbehaves (the harness plays the CSMS)
    "bad_boot_payload": (("TC_B_01_CS",), ("RPC-12", "$.chargingStation", "vendorName")),
    "bad_boot_reason": (("TC_B_01_CS",), ("RPC-12", "$.reason")),
    "no_subprotocol": (("TC_A_01_CS",), ("RPC-03",)),
    "wrong_password": (("TC_A_01_CS",), ("SEC-5", "password")),
    "bad_auth_user": (("TC_A_01_CS",), ("SEC-5", "user name")),
    "short_password": (("TC_A_01_CS",), ("SEC-5", "characters")),
    "ignore_retry_interval": (("TC_B_03_CS",), ("TIMING", "B03.FR.02")),
    "send_while_rejected": (("TC_B_03_CS",), ("forbidden message", "B03.FR.02")),
    "skip_status_notification": (("TC_B_01_CS", "TC_B_02_CS", "TC_B_03_CS", "TC_B_20_CS"), ("StatusNotification",)),
    "reuse_message_id": (("TC_B_01_CS",), ("RPC-14",)),
    "long_message_id": (("TC_B_01_CS",), ("RPC-13",)),
    "heartbeat_too_fast": (("TC_B_01_CS",), ("TIMING", "B01.FR.04")),
    "bad_get_variables_enum": (("TC_B_06_CS",), ("RPC-12", "attributeStatus")),
    "no_reboot_on_reset": (("TC_B_20_CS",), ("no BootNotification",)),
    "ignore_trigger": (("TC_B_02_CS",), ("BootNotification", "reason Triggered")),
    # boot states (B02, B03) and the device model (B05-B07) as TC_B_02/03/06/09/20/30_CS check them
    "send_while_pending": (("TC_B_02_CS",), ("B02.FR.02", "Heartbeat")),
    "start_while_pending": (("TC_B_02_CS",), ("RequestStartTransaction", "expected 'Rejected'")),
    "reject_boot_trigger": (("TC_B_02_CS",), ("TriggerMessage", "NotImplemented")),
    "refuse_base_report": (("TC_B_02_CS",), ("GetBaseReport", "expected 'Accepted'")),
    "truncated_report": (("TC_B_02_CS",), ("no NotifyReport",)),
    "reject_offline_threshold": (("TC_B_02_CS", "TC_B_09_CS"), ("SetVariables", "Rejected")),
    "get_variables_rejected": (("TC_B_02_CS", "TC_B_06_CS"), ("GetVariables", "Rejected")),
    "set_variables_not_stored": (("TC_B_06_CS",), ("attributeValue", "'300'")),
    "variables_wrong_type": (("TC_B_06_CS", "TC_B_09_CS"), ("attributeType", "Target")),
    "variables_wrong_names": (("TC_B_06_CS", "TC_B_09_CS"), ("variable.name", "offlinethreshold")),
    "variables_status_info_error": (("TC_B_06_CS", "TC_B_09_CS"), ("attributeStatusInfo", "InternalError")),
    "reset_boot_reason_power_up": (("TC_B_20_CS",), ("BootReason", "RemoteReset")),
    "no_security_error_while_rejected": (("TC_B_30_CS",), ("SecurityError", "B03.FR.08")),
    "silent_on_bad_input": (("RPC_01_CS", "RPC_01_CSMS", "RPC_11_CS", "RPC_11_CSMS"), ("did not answer",)),
    "wrong_error_code": (("RPC_02_CS", "RPC_05_CS", "RPC_12_CS", "RPC_02_CSMS", "RPC_05_CSMS", "RPC_12_CSMS"),
                         ("GenericError",)),
    "error_code_1_6_spelling": (("RPC_05_CS", "RPC_05_CSMS"), ("RPC-16", "1.6")),
    "error_details_as_string": (("RPC_02_CS", "RPC_02_CSMS"), ("CALLERROR that breaks RPC-07", "errorDetails is str")),
    "minus_one_for_readable_id": (("RPC_05_CS", "RPC_05_CSMS"), ("with message id '-1' instead of 'rpc05-", "RPC-14")),
    # the CSMS simulator misbehaves (the harness plays a Charging Station)
    "bad_boot_enum": (("TC_B_01_CSMS",), ("RPC-12", "$.status")),
    "bad_boot_time": (("TC_B_01_CSMS",), ("RPC-12", "$.currentTime")),
    "accept_bad_password": (("TC_A_03_CSMS",), ("refuse",)),
    "accept_unknown_station": (("RPC_09_CSMS",), ("unknown station identity", "RPC-03")),
    "accept_malformed_identity": (("RPC_10_CSMS",), ("RPC-02", "empty station identity", "holding ':'")),
    "accept_wrong_user": (("TC_A_02_CSMS",), ("refuse",)),
    "keep_without_subprotocol": (("TC_B_58_CSMS",), ("upgraded", "RPC-03")),
    "upgrade_without_subprotocol": (("TC_B_58_CSMS",), ("upgraded", "errata 2025-04")),
    "no_security_error": (("TC_B_30_CSMS",), ("SecurityError",)),
    "always_accept_boot": (("TC_B_02_CSMS", "TC_B_30_CSMS", "TC_B_31_CSMS"), ("$.status", "got 'Accepted'")),
    "stay_not_accepted": (("TC_B_02_CSMS", "TC_B_31_CSMS"), ("$.status", "expected 'Accepted'")),
    "request_other_variable": (("TC_B_06_CSMS", "TC_B_09_CSMS"), ("OfflineThreshold", "HeartbeatInterval")),
    "set_target_attribute": (("TC_B_09_CSMS",), ("attributeType", "Target")),
    "set_wrong_value": (("TC_B_09_CSMS",), ("attributeValue", "1230")),
    "reset_with_evse": (("TC_B_20_CSMS",), ("evseId",)),
    "reset_immediate": (("TC_B_20_CSMS",), ("OnIdle", "Immediate")),
    "wrong_trigger_message": (("TC_B_31_CSMS",), ("requestedMessage", "Heartbeat")),
    "no_response": (("TC_B_01_CSMS",), ("did not answer Heartbeat",)),
    # transactions, authorization and offline behaviour (issue 3)
    "seqno_gap": (("TC_E_15_CS",), ("TX-1", "never arrived")),  # a case that sees the transaction end
    "no_offline_flag": (("TC_E_40_CS",), ("E11", "offline true")),
    "no_tx_retry": (("TC_E_50_CS",), ("E13", "TransactionEvent")),
    "ignore_backoff": (("TC_B_57_CS",), ("TIMING", "RPC-17")),
    "start_for_blocked_token": (("TC_C_06_CS",), ("forbidden message", "C01", "Blocked")),
    "no_stopped_reason": (("TC_F_08_CS",), ("stoppedReason",)),
    "first_event_updated": (("TC_E_09_CS",), ("TX-2",)),
    "no_id_token_info": (("TC_E_04_CSMS",), ("$.idTokenInfo", "missing")),
    "reject_seqno_zero": (("TC_E_53_CSMS",), ("CALLERROR",)),
    # remote control, availability, clock-aligned meter values, reconnection (F01-F06, G03, J01, Part 4 §5.3)
    "reject_remote_start": (("TC_F_01_CS", "TC_F_02_CS"), ("RequestStartTransaction", "$.status")),
    "no_remote_start_id": (("TC_F_01_CS",), ("remoteStartId",)),
    "skip_remote_authorize": (("TC_F_02_CS",), ("Authorize",)),
    "no_charging_state_event": (("TC_F_01_CS", "TC_F_02_CS", "TC_F_08_CS", "TC_G_11_CS"),
                                ("ChargingStateChanged, Charging",)),
    "reject_remote_stop": (("TC_F_08_CS",), ("RequestStopTransaction", "$.status")),
    "remote_stop_as_local": (("TC_F_08_CS",), ("triggerReason RemoteStop",)),
    "reject_unknown_trigger": (("TC_F_27_CS",), ("TriggerMessage", "NotImplemented")),
    "unlock_fails": (("TC_F_06_CS",), ("UnlockConnector", "Unlocked")),
    "availability_ignores_transaction": (("TC_G_11_CS",), ("ChangeAvailability", "Scheduled")),
    "unavailable_while_scheduled": (("TC_G_11_CS",), ("G03", "while its transaction was still running")),
    "forget_scheduled_availability": (("TC_G_11_CS",), ("connector Unavailable for EVSE 1",)),
    "aligned_wrong_context": (("TC_J_01_CS",), ("Sample.Clock", "Sample.Periodic")),
    "aligned_missing_measurand": (("TC_J_01_CS",), ("lack a configured measurand", "Energy.Active.Import.Register")),
    "aligned_skip_interval": (("TC_J_01_CS",), ("TIMING", "interval between clock-aligned timestamps")),
    "aligned_off_boundary": (("TC_J_01_CS",), ("J01", "not on an interval boundary")),
    "no_backoff_doubling": (("TC_B_57_CS",), ("TIMING", "step 7")),
    "ignore_seqno_gap": (("TC_E_31_CSMS",), ("no GetTransactionStatus",)),
    "transaction_status_without_id": (("TC_E_31_CSMS",), ("does not name the transaction", "E14.FR.03")),
    "reject_transaction_events": (("TC_E_03_CSMS", "TC_E_04_CSMS", "TC_E_09_CSMS", "TC_E_15_CSMS", "TC_E_31_CSMS",
                                   "TC_E_39_CSMS", "TC_E_53_CSMS", "TC_F_01_CSMS", "TC_F_02_CSMS", "TC_G_11_CSMS"),
                                  ("TransactionEvent with CALLERROR InternalError",)),
    "refuse_valid_token": (("TC_E_03_CSMS", "TC_E_04_CSMS", "TC_F_02_CSMS", "TC_G_11_CSMS"),
                           ("$.idTokenInfo.status", "Invalid")),
    "meter_values_error": (("TC_J_01_CSMS",), ("MeterValues with CALLERROR InternalError",)),
    "ignore_operator_requests": (("TC_F_27_CSMS",), ("no TriggerMessage",)),
    "remote_start_wrong_token": (("TC_F_01_CSMS", "TC_F_02_CSMS"), ("configured valid idToken", "$.idToken.idToken")),
    "request_wrong_evse": (("TC_F_06_CSMS", "TC_G_03_CSMS", "TC_G_11_CSMS"), ("$.evse",)),
    "availability_with_connector": (("TC_G_03_CSMS", "TC_G_11_CSMS"), ("connectorId",)),
    # certificate management (issue 4; the A02 cases need security profile 3: tests/test_security_profiles.py)
    "wrong_certificate_hash": (("TC_M_18_CS",), ("GetInstalledCertificateIds", "certificateHashData")),
    "forget_manufacturer_root": (("TC_M_18_CS",), ("no entry ManufacturerRootCertificate",)),
    "keep_deleted_certificate": (("TC_M_20_CS",), ("still reports",)),
    "list_certificate_types": (("TC_M_18_CSMS",), ("GetInstalledCertificateIds", "certificateType")),
    "delete_certificate_sha256_only": (("TC_M_20_CSMS",), ("SHA384", "M04.FR.07")),
    # the Basic Auth password (A01)
    "accept_short_password": (("TC_A_10_CS",), ("did not reject a BasicAuthPassword of 8 characters", "SEC-5")),
    "keep_old_password": (("TC_A_09_CS",), ("did not authenticate with the new password", "SEC-5")),
    "password_before_accept": (("TC_A_10_CSMS",), ("refused the connection", "401")),
    "set_short_password": (("TC_A_09_CSMS",), ("breaks the password rules", "12 characters")),
    "set_long_password": (("TC_A_09_CSMS",), ("longer than the edition's 40 characters",)),
    # security profile upgrade (A05; accept_downgrade needs profile 2: tests/test_security_profiles.py)
    "ignore_network_priority": (("TC_A_19_CS",), ("SEC-6", "came back with its old network profile")),
    "keep_lower_profile_slot": (("TC_A_19_CS",), ("still holds the slot of the lower security profile", "A05.FR.06")),
    "fallback_to_lower_profile": (("TC_A_19_CS",), ("tried to connect at security profile 1 again", "A05.FR.06")),
    "upgrade_without_root": (("TC_A_20_CS",), ("SEC-6", "no CSMSRootCertificate", "A05.FR.02")),
    "refuse_network_slot": (("TC_A_20_CS",), ("another reason than the missing CSMSRootCertificate", "InvalidConfSlot")),
    "set_network_profile_lower": (("TC_A_19_CSMS",), ("SEC-6", "securityProfile 0 is not higher than the current 1")),
    "accept_old_profile": (("TC_A_19_CSMS",), ("SEC-6", "accepted a connection at the old security profile 1")),
    "network_profile_other_interface": (("TC_A_19_CSMS",), ("ocppInterface 'Wireless0'", "messageTimeout")),
    # log retrieval (N01 GetLog)
    "log_wrong_request_id": (("TC_N_25_CS",), ("wrong requestId", "N01")),
    "log_without_filename": (("TC_N_25_CS",), ("GetLogResponse names no file", "filename")),
    "uploaded_without_upload": (("TC_N_25_CS",), ("reported Uploaded but no log file arrived", "N01")),
    "security_log_as_diagnostics": (("TC_N_35_CS",), ("SecurityLog names none of the security events",
                                                     "StartupOfTheDevice")),
    "bad_log_location": (("TC_N_25_CSMS",), ("log.remoteLocation", "is not a URL")),
    "wrong_log_type": (("TC_N_35_CSMS",), ("logType 'DiagnosticsLog'", "SecurityLog")),
    "refuse_log_upload": (("TC_N_25_CSMS",), ("did not take the log upload", "500")),
    # secure firmware update (L01)
    "install_unverified_firmware": (("TC_L_06_CS",), ("signature does not verify", "InvalidSignature")),
    "firmware_wrong_request_id": (("TC_L_01_CS", "TC_L_06_CS", "TC_L_07_CS"), ("requestId", "L01.FR.10")),
    "report_downloaded_when_missing": (("TC_L_07_CS",), ("DownloadFailed", "L01.FR.30")),
    "no_firmware_security_event": (("TC_L_01_CS", "TC_L_06_CS"), ("SecurityEventNotification",)),
    "skip_downloaded_status": (("TC_L_01_CS", "TC_L_06_CS"), ("missing (or out of order): Downloaded", "L01.FR.01")),
    # a station that fakes the whole success sequence also fails TC_L_06_CS and TC_L_07_CS (they report it installed)
    "fake_firmware_download": (("TC_L_01_CS",), ("without downloading it", "L01.FR.01")),
    "no_reconnect_after_firmware": (("TC_L_01_CS",), ("reconnect after the update",)),
    "firmware_leaves_unavailable": (("TC_L_01_CS",), ("connector Available",)),
    "pending_after_firmware_boot": (("TC_L_01_CSMS",), ("BootNotification", "$.status")),
    "unsigned_firmware_update": (("TC_L_01_CSMS",), ("not a secure firmware update", "signature", "L01.FR.11")),
    "badly_signed_firmware_update": (("TC_L_01_CSMS",), ("does not verify", "L01.FR.12")),
    "missing_firmware_image": (("TC_L_01_CSMS",), ("could not be downloaded", "404")),
}

# fault switch -> (test case ids that must pass with a warning, texts one warning must contain): a deviation Part 6
# tolerates, so the case keeps its verdict and the report names what was expected (scripts/fault_table.py counts
# these warnings as the catch).
WARNED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "refuse_auth_with_403": (("TC_A_02_CSMS", "TC_A_03_CSMS"), ("SEC-5", "with HTTP 403", "expected HTTP 401")),
}


@pytest.mark.parametrize("fault", sorted(WARNED))
def test_fault_is_warned(fault: str, tmp_path: Path) -> None:
    must_warn, texts = WARNED[fault]
    result = run_suite(tmp_path, *must_warn, faults=(fault,), extra=FAST)
    for case_id in must_warn:
        assert result.verdicts.get(case_id) == "passed", (
            f"{fault}: {case_id} should pass but was {result.verdicts.get(case_id)}\n{result.output[-3000:]}")
        warned = result.warnings[case_id]
        assert any(all(t in w for t in texts) for w in warned), f"{fault}: no warning of {case_id} names {texts}: {warned}"


# One or two switches per area (boot, RPC framework, device model, transactions, offline, remote control,
# availability, meter values, certificates, network profiles, firmware, logs; both simulators): `make test` proves
# these, `make faults` (OCPP_ALL_FAULTS=1) every switch; docs/fault-table.md has the whole-suite table.
SAMPLE = {"bad_boot_reason", "no_subprotocol", "wrong_password", "ignore_retry_interval", "send_while_pending",
          "no_security_error_while_rejected", "variables_wrong_type", "silent_on_bad_input", "error_details_as_string",
          "seqno_gap", "no_offline_flag", "no_tx_retry", "start_for_blocked_token", "reject_remote_start",
          "forget_scheduled_availability", "aligned_skip_interval", "no_backoff_doubling", "wrong_certificate_hash",
          "keep_lower_profile_slot", "install_unverified_firmware", "log_without_filename", "heartbeat_too_fast",
          "accept_bad_password", "keep_without_subprotocol", "ignore_seqno_gap", "reject_seqno_zero",
          "availability_with_connector", "set_short_password", "list_certificate_types", "unsigned_firmware_update",
          "wrong_log_type", "accept_malformed_identity", "reset_with_evse"}


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, FAULTS[fault], extra=(*FAST, *STRICT))


@pytest.mark.parametrize(("fault", "case", "check"), [
    ("heartbeat_too_fast", "TC_B_01_CS", "B01.FR.04"),  # its table checks no Heartbeat
    ("reset_boot_reason_power_up", "TC_B_20_CS", "BootReason"),  # its table checks no boot reason
])
def test_a_check_beyond_part6_only_warns_by_default(fault: str, case: str, check: str, tmp_path: Path) -> None:
    """A station that does only what the table demands passes the case as the official Test System would; the
    summary still lists the finding of the check beyond the table, as a warning."""
    result = run_suite(tmp_path, case, faults=(fault,), extra=FAST)
    assert result.verdicts.get(case) == "passed", result.output[-3000:]
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert [b["id"] for b in summary["beyond_part6"]] == [case], summary["beyond_part6"]
    assert check in summary["beyond_part6"][0]["reason"]
    assert "Beyond Part 6" in (tmp_path / "reports" / "summary.md").read_text()


# Blocks C and D (authorization, the local authorization list): switch -> (cases that must fail, texts). Apart from
# FAULTS so that a switch FAULTS proves on one case is proven here on the authorization cases that check it too.
AUTHORIZATION_FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the Charging Station simulator misbehaves
    "start_for_invalid_token": (("TC_C_02_CS",), ("forbidden message", "C01.FR.02", "Invalid")),
    "authorize_wrong_token_type": (("TC_C_02_CS", "TC_C_06_CS", "TC_C_39_CS"),
                                   ("Authorize", "$.idToken.type")),
    "skip_authorize": (("TC_C_02_CS", "TC_C_37_CS"), ("no Authorize",)),
    "authorize_cached_token": (("TC_C_08_CS",), ("C12.FR.02", "LocalPreAuthorize")),
    "no_offline_authorization": (("TC_C_21_CS", "TC_C_26_CS"), ("TransactionEvent",)),
    "charge_on_after_invalid_id": (("TC_C_26_CS",), ("SuspendedEVSE",)),
    "ignore_group_id": (("TC_C_39_CS",), ("StopAuthorized",)),
    "stop_event_without_id_token": (("TC_C_39_CS",), ("does not name the idToken",)),
    "reject_clear_cache": (("TC_C_37_CS",), ("ClearCache", "$.status")),
    "fail_local_list": (("TC_D_01_CS",), ("SendLocalList", "$.status")),
    "wrong_local_list_version": (("TC_D_01_CS",), ("GetLocalListVersion", "$.versionNumber")),
    "no_offline_flag": (("TC_C_21_CS", "TC_C_26_CS"), ("offline true", "$.offline")),
    "no_status_after_reconnect": (("TC_C_26_CS",), ("Occupied",)),
    # the CSMS simulator misbehaves
    "accept_unknown_token": (("TC_C_02_CSMS",), ("$.idTokenInfo.status", "Accepted")),
    "accept_blocked_token": (("TC_C_06_CSMS",), ("$.idTokenInfo.status", "Accepted")),
    "no_id_token_info": (("TC_C_08_CSMS", "TC_C_39_CSMS"), ("$.idTokenInfo",)),
    "group_id_in_authorize_only": (("TC_C_39_CSMS",), ("TransactionEvent", "$.idTokenInfo.groupIdToken")),
    "no_clear_cache": (("TC_C_37_CSMS",), ("ClearCache",)),
    "empty_local_list": (("TC_D_01_CSMS",), ("$.localAuthorizationList",)),
    "local_list_without_info": (("TC_D_01_CSMS",), ("idTokenInfo: missing",)),
    "local_list_version_zero": (("TC_D_01_CSMS",), ("$.versionNumber",)),
    "differential_local_list": (("TC_D_01_CSMS",), ("$.updateType",)),
}


AUTHORIZATION_SAMPLE = {"authorize_cached_token", "charge_on_after_invalid_id", "accept_unknown_token",
                        "group_id_in_authorize_only", "empty_local_list"}


@pytest.mark.parametrize("fault", sample(AUTHORIZATION_FAULTS, AUTHORIZATION_SAMPLE))
def test_authorization_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, AUTHORIZATION_FAULTS[fault], extra=(*FAST, *STRICT))


@pytest.mark.parametrize(("fault", "case"), [("keep_old_password", "TC_A_09_CS"), ("accept_short_password", "TC_A_10_CS")])
def test_a_failed_password_case_gives_the_station_its_password_back(fault: str, case: str, tmp_path: Path) -> None:
    """A password case that fails leaves the station with the run's password: the cases after it still connect
    (a failed TC_A_09_CS once left the station holding a password the harness had invented)."""
    result = run_suite(tmp_path, case, "TC_A_01_CS", "TC_B_01_CS", faults=(fault,), extra=FAST)
    assert result.verdicts == {case: "failed", "TC_A_01_CS": "passed", "TC_B_01_CS": "passed"}, result.output[-3000:]
    assert not list(tmp_path.glob("reports*/LEFTOVER-*")), "the cleanup left a password file behind"
