"""Block B, SUT = CSMS (testcases/test_b_operations_csms.py): every check proven. A CSMS simulator fault switch
makes exactly the matching case fail, with a message that names what was expected. The pattern of
tests/test_fault_detection.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import prove_caught, sample

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")

# fault switch -> (test case ids that must fail, texts the failure message must contain)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # B05 / B06: several variables in one request
    "request_other_variable": (("TC_B_07_CSMS", "TC_B_10_CSMS"),
                               ("does not ask for what the operator wanted", "OCPPCommCtrlr.OfflineThreshold")),
    "set_target_attribute": (("TC_B_10_CSMS",), ("does not ask for what the operator wanted", "attributeType")),
    "set_wrong_value": (("TC_B_10_CSMS",), ("does not ask for what the operator wanted", "attributeValue")),
    # B07 base reports
    "base_report_wrong_base": (("TC_B_12_CSMS", "TC_B_13_CSMS"), ("not the report the operator asked for",
                                                                  "reportBase 'SummaryInventory'")),
    "base_report_negative_id": (("TC_B_12_CSMS", "TC_B_13_CSMS"), ("not the report the operator asked for",
                                                                   "requestId -1")),
    "notify_report_error": (("TC_B_12_CSMS", "TC_B_13_CSMS"), ("refused a valid NotifyReport",)),
    # B11 / B12 resets
    "reset_immediate": (("TC_B_21_CSMS", "TC_B_25_CSMS", "TC_B_26_CSMS"),
                        ("not the reset the operator asked for", "type")),
    "reset_on_idle": (("TC_B_22_CSMS", "TC_B_27_CSMS"), ("not the reset the operator asked for", "type")),
    "reset_other_evse": (("TC_B_25_CSMS", "TC_B_26_CSMS", "TC_B_27_CSMS"),
                         ("not the reset the operator asked for", "evseId")),
    "pending_after_reset_boot": (("TC_B_21_CSMS", "TC_B_22_CSMS"), ("BootNotification", "Accepted")),
    "reject_transaction_events": (("TC_B_21_CSMS", "TC_B_27_CSMS"), ("refused a valid TransactionEvent",)),
    # B09 network connection profiles
    "network_profile_other_slot": (("TC_B_42_CSMS",), ("not the configured profile", "configurationSlot")),
    "network_profile_other_interface": (("TC_B_42_CSMS",), ("not the configured profile", "ocppInterface",
                                                            "messageTimeout")),
    "network_profile_wrong_transport": (("TC_B_42_CSMS",), ("not the configured profile", "ocppTransport")),
    "set_network_profile_lower": (("TC_B_42_CSMS",), ("not the configured profile", "securityProfile")),
    "ignore_operator_requests": (("TC_B_44_CSMS",), ("SetNetworkProfileRequest",)),
}

SAMPLE = {"reset_other_evse", "request_other_variable"}


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, FAULTS[fault], extra=FAST)
