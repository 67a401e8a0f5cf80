"""Block P (DataTransfer, customData): every check proven. A simulator fault switch makes exactly the matching case
fail, with a message that names what was expected. The pattern of tests/test_fault_detection.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import prove_caught, sample

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")

# fault switch -> (test case ids that must fail, texts the failure message must contain)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "accept_data_transfer": (("TC_P_01_CS",), ("DataTransfer", "$.status", "Accepted")),
    "reject_custom_data": (("TC_P_03_CS",), ("refused a valid SetVariables", "customData")),
    "csms_accept_data_transfer": (("TC_P_02_CSMS",), ("DataTransfer", "$.status", "Accepted")),
    "csms_reject_custom_data": (("TC_P_03_CSMS",), ("refused a valid StatusNotification", "customData")),
}

SAMPLE = {"reject_custom_data", "csms_accept_data_transfer"}


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, FAULTS[fault], extra=FAST)
