"""Block B (provisioning) with a Charging Station under test: every check of the coverage cases proven. A simulator
fault switch makes exactly the matching cases fail, with a message that names what was expected; the clean run of
the same cases passes (test_suite_loopback). The pattern of tests/test_fault_detection.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import run_suite, sample

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")
STRICT = ("--ocpp-policy=beyond_part6=fail",)  # the checks beyond a table fail too, so each is proven

# fault switch -> (test case ids that must fail, texts the failure message must contain)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # GetVariables / SetVariables (B05, B06)
    "variables_wrong_type": (("TC_B_07_CS", "TC_B_10_CS"), ("attributeType", "Target")),
    "variables_wrong_names": (("TC_B_07_CS", "TC_B_10_CS"), ("VariableResult for OCPPCommCtrlr.OfflineThreshold",)),
    "unknown_as_rejected": (("TC_B_32_CS", "TC_B_33_CS", "TC_B_35_CS", "TC_B_36_CS"),
                            ("attributeStatus", "Rejected")),
    "attribute_type_as_actual": (("TC_B_34_CS", "TC_B_37_CS"), ("NotSupportedAttributeType",)),
    "accept_malformed_value": (("TC_B_11_CS",), ("did not reject an invalidly formatted value", "B05.FR.07")),
    "read_only_accepted": (("TC_B_39_CS",), ("read-only", "Rejected")),
}

# `make test` proves these (one per kind of check); `make faults` (OCPP_ALL_FAULTS=1) every switch
SAMPLE = {"accept_malformed_value"}


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    must_fail, texts = FAULTS[fault]
    result = run_suite(tmp_path, *must_fail, faults=(fault,), extra=(*FAST, *STRICT))
    for case_id in must_fail:
        assert result.verdicts.get(case_id) == "failed", (
            f"{fault}: {case_id} should fail but was {result.verdicts.get(case_id)}\n{result.output[-3000:]}")
        message = result.messages[case_id]
        for text in texts:
            assert text in message, f"{fault}: the failure of {case_id} does not name {text!r}:\n{message[:3000]}"
