"""Block N (log retrieval N01, customer information N09 / N10): every check proven. A simulator fault switch makes
exactly the matching case fail, with a message that names what was expected; the clean run of the same cases
passes (test_suite_loopback). The pattern of tests/test_fault_detection.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import prove_caught, sample

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")
STRICT = ("--ocpp-policy=beyond_part6=fail",)  # the checks beyond a table fail too, so each is proven

# fault switch -> (test case ids that must fail, texts the failure message must contain)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the Charging Station simulator misbehaves (the harness plays the CSMS)
    "log_no_retries": (("TC_N_26_CS",), ("timing", "3 retries")),
    "log_wrong_request_id": (("TC_N_36_CS",), ("wrong requestId",)),
    "no_log_cancel": (("TC_N_36_CS",), ("GetLog", "AcceptedCanceled")),
    "no_canceled_status": (("TC_N_36_CS",), ("LogStatusNotification", "AcceptedCanceled")),
    "customer_info_rejected": (("TC_N_27_CS", "TC_N_32_CS", "TC_N_62_CS"), ("CustomerInformation", "$.status")),
    "customer_info_no_data": (("TC_N_27_CS", "TC_N_30_CS", "TC_N_62_CS"), ("data not empty",)),
    "customer_info_not_cleared": (("TC_N_62_CS",), ("data empty", "after clearing")),
    "customer_info_endless_tbc": (("TC_N_27_CS", "TC_N_28_CS", "TC_N_30_CS"), ("NotifyCustomerInformation",)),
    "customer_info_no_notify": (("TC_N_28_CS", "TC_N_31_CS", "TC_N_32_CS"), ("NotifyCustomerInformation",)),
    "customer_info_wrong_request_id": (("TC_N_27_CS", "TC_N_31_CS"), ("wrong requestId",)),
    # the CSMS simulator misbehaves (the harness plays a Charging Station)
    "customer_info_wrong_token": (("TC_N_27_CSMS", "TC_N_29_CSMS", "TC_N_31_CSMS"), ("idToken",)),
    "customer_info_no_report": (("TC_N_28_CSMS", "TC_N_30_CSMS", "TC_N_62_CSMS"), ("report False, expected True",)),
    "customer_info_no_clear": (("TC_N_30_CSMS", "TC_N_32_CSMS", "TC_N_46_CSMS"), ("clear False, expected True",)),
    "remove_keeps_info": (("TC_N_46_CSMS",), ("does not remove the cleared idToken", "without idTokenInfo")),
    "local_list_version_zero": (("TC_N_46_CSMS",), ("does not remove the cleared idToken", "$.versionNumber")),
    "customer_info_two_identifiers": (("TC_N_62_CSMS",), ("idToken", "<absent>")),
    "notify_customer_info_error": (("TC_N_27_CSMS", "TC_N_32_CSMS"), ("NotifyCustomerInformation", "CALLERROR")),
    "csms_log_status_error": (("TC_N_36_CSMS",), ("LogStatusNotification", "CALLERROR")),
    "ignore_operator_requests": (("TC_N_34_CSMS",), ("GetLog",)),
}

# `make test` proves these (one per kind of check and simulator); `make faults` (OCPP_ALL_FAULTS=1) every switch
SAMPLE = {"no_canceled_status", "customer_info_no_data", "customer_info_no_clear"}


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, FAULTS[fault], extra=(*FAST, *STRICT))
