"""Block L (secure firmware update, L01) coverage, and TC_A_21_CS / TC_M_23_CS: every check proven. A simulator
fault switch makes exactly the matching case fail, with a message that names what was expected. The pattern of
tests/test_faults_p.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import run_suite, sample

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")

REBOOTING_CSMS = ("TC_L_02_CSMS", "TC_L_03_CSMS", "TC_L_09_CSMS", "TC_L_10_CSMS", "TC_L_11_CSMS", "TC_L_13_CSMS")

# fault switch -> (test case ids that must fail, texts the failure message must contain)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the CSMS under test
    "firmware_times_now": (("TC_L_02_CSMS", "TC_L_03_CSMS"), ("does not schedule the update", "L01.FR.15")),
    "unsigned_firmware_update": (("TC_L_13_CSMS",), ("configured signing certificate", "signingCertificate")),
    "pending_after_firmware_boot": (REBOOTING_CSMS, ("BootNotification", "$.status", "Accepted")),
}

SAMPLE = {"firmware_times_now"}


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
