"""The authorization cases (blocks C and D, SUT = station) pass a station that made another legal choice, as the
official Test System would: the built-in station simulator runs them with each of its variants. Among them a
station without AuthCtrlr.LocalPreAuthorize (Part 6 §2.1 only assumes it is false), which TC_C_02/06/39_CS
must not need."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import run_suite

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1")
CASES = ("TC_C_02_CS", "TC_C_06_CS", "TC_C_08_CS", "TC_C_21_CS", "TC_C_26_CS", "TC_C_37_CS", "TC_C_39_CS",
         "TC_D_01_CS")


@pytest.mark.parametrize("variant", ["no_local_pre_authorize", "read_only_tx_points", "availability_by_notify_event"])
def test_authorization_cases_pass_a_station_that_chose_otherwise(variant: str, tmp_path: Path) -> None:
    result = run_suite(tmp_path, *CASES, variants=(variant,), extra=FAST)
    failed = {k: v for k, v in result.verdicts.items() if v != "passed"}
    assert result.verdicts == dict.fromkeys(CASES, "passed"), (
        "\n\n".join(f"{k}: {v}: {result.messages.get(k, '')[:1500]}" for k, v in failed.items())
        or result.output[-3000:])
