"""Block P (DataTransfer, customData): every check proven. A simulator fault switch makes exactly the matching case
fail, with a message that names what was expected. The pattern of tests/test_fault_detection.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import run_suite, sample

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
    must_fail, texts = FAULTS[fault]
    result = run_suite(tmp_path, *must_fail, faults=(fault,), extra=FAST)
    for case_id in must_fail:
        assert result.verdicts.get(case_id) == "failed", (
            f"{fault}: {case_id} should fail but was {result.verdicts.get(case_id)}\n{result.output[-3000:]}")
        message = result.messages[case_id]
        for text in texts:
            assert text in message, f"{fault}: the failure of {case_id} does not name {text!r}:\n{message[:3000]}"
