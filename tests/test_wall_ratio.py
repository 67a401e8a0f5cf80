"""Required waits (scripts/wall_ratio.py): what a case declares it must wait — `hold`, a negative check's window
(`expect_none`), and the part still to run of a timer the SUT keeps (`sut_timer`, `aligned_timer`,
`back_off_timer`) — is read back from its
transcript, so the suite's wall/required ratio counts them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import wall_ratio

CASE = '''
import time

from harness import CsmsRole, StationControl, testcase


@testcase("TC_B_06_CS", "declares its waits")
async def test_TC_B_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    await csms.ready()
    csms.sut_timer(2.0, "a station timer started half a second ago", since=time.monotonic() - 0.5)
    csms.sut_timer(1.0, "a station timer already over", since=time.monotonic() - 5)
    await csms.expect_none("Authorize", within=0.2, reason="nobody presents a token")
    await csms.hold(0.1, "the table says so")
    csms.aligned_timer(1.0, 2, "two clock-aligned moments")
    csms.back_off_timer(time.monotonic(), doublings=1)  # the values in force are not known: nothing declared
    await csms.configuration.read("OCPPCommCtrlr.RetryBackOffWaitMinimum", "OCPPCommCtrlr.RetryBackOffRepeatTimes")
    await csms.reconnect()  # the back-off in force (the built-in station: 1 s) from the close
'''


def test_declared_waits_are_read_back(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = session\n"
                     "asyncio_default_test_loop_scope = session\n")
    pytester.makepyfile(test_cases=CASE)
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ocpp-role=cs", f"--ocpp-reports-dir={reports}")
    result.assert_outcomes(passed=1)
    case = wall_ratio.read_cases([reports])["TC_B_06_CS"]
    aligned = case.required - (1.5 + 0.2 + 0.1 + 1.0)  # the next whole second, then one more
    assert 1.0 - 0.05 < aligned <= 2.0 + 0.05, case.waits
    assert len(case.waits) == 5 and "already over" not in " ".join(case.waits)
    assert "back-off before it reconnects (RetryBackOffWaitMinimum)" in case.waits[4]
    assert "no Authorize (nobody presents a token)" in case.waits[1]
