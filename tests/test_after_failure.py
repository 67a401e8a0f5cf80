"""A case that fails half-way leaves the station busy; the harness brings it back to idle so the next case fails
only for its own reasons (and `--ocpp-after-failure=leave` keeps it as it was, which proves the cleanup matters)."""

from __future__ import annotations

import pytest

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
"""


def _run_cases(pytester: pytest.Pytester, cases: str, *options: str, timeout: int = 3) -> pytest.RunResult:
    """`cases` as a test file of a station-role run against the built-in station, in a child pytest."""
    pytester.makeini(INI)
    pytester.makepyfile(test_cases=cases)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ocpp-role=cs", f"--ocpp-timeout={timeout}",
                                         "-rf", *options)


# Two station cases in one run: the first fails with the EV plugged in and a transaction running; the second needs
# an idle EVSE 1 (plugging in must report Occupied and start a transaction).
CASES = '''
from harness import CsmsRole, StationControl, states, testcase


@testcase("TC_E_03_CS", "fails half-way through a transaction")
async def test_TC_E_03_CS(csms: CsmsRole, sut: StationControl) -> None:
    await states.booted(csms, sut)
    await csms.configure({"TxCtrlr.TxStartPoint": "EVConnected"})
    await states.ev_connected_pre_session(csms, sut)
    await states.authorized(csms, sut)
    raise csms.failure("deliberate failure with the EV plugged in and a transaction running")


@testcase("TC_E_04_CS", "needs an idle EVSE 1")
async def test_TC_E_04_CS(csms: CsmsRole, sut: StationControl) -> None:
    await states.booted(csms, sut)
    await csms.configure({"TxCtrlr.TxStartPoint": "EVConnected", "TxCtrlr.TxStopPoint": "EVConnected"})
    await states.ev_connected_pre_session(csms, sut)
    await states.ev_disconnected(csms, sut)
'''


@pytest.mark.parametrize(("mode", "second"), [("idle", "passed"), ("leave", "failed")])
def test_a_failed_case_does_not_fail_the_next_one(pytester: pytest.Pytester, mode: str, second: str) -> None:
    result = _run_cases(pytester, CASES, f"--ocpp-after-failure={mode}", "--junitxml=junit.xml")
    text = result.stdout.str()
    outcomes = {name: ("failed" if f"FAILED test_cases.py::{name}" in text else "passed")
                for name in ("test_TC_E_03_CS", "test_TC_E_04_CS")}
    assert outcomes == {"test_TC_E_03_CS": "failed", "test_TC_E_04_CS": second}, text[-3000:]
    assert "deliberate failure" in text
    transcript = (pytester.path / "reports" / "transcripts" / "TC_E_03_CS.jsonl").read_text()
    if mode == "idle":
        assert "After the failure: return the station to idle" in transcript
        assert "RequestStopTransaction" in transcript and "was Occupied" in transcript
    else:
        assert "return the station to idle" not in transcript
        assert "Occupied" in text  # the second case failed because EVSE 1 was still busy


# The first case leaves the station in back-off (it refused two reconnects); the second sends at once, with no
# Booted state: it must wait for the station's reconnect, not fail in 0.0 s with "the SUT is not connected".
BACKOFF_CASES = '''
from harness import CsmsRole, StationControl, states, testcase


@testcase("TC_B_06_CS")
async def test_TC_B_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    await states.booted(csms, sut)
    await csms.go_offline(refuse=2)


@testcase("TC_B_09_CS")
async def test_TC_B_09_CS(csms: CsmsRole, sut: StationControl) -> None:
    await csms.call_ok("GetVariables", {"getVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})
'''


def test_a_case_waits_for_a_station_still_in_back_off(pytester: pytest.Pytester) -> None:
    result = _run_cases(pytester, BACKOFF_CASES)
    result.assert_outcomes(passed=2)
    transcript = (pytester.path / "reports" / "transcripts" / "TC_B_09_CS.jsonl").read_text()
    assert "waiting for SIM-CS-001 on ws://127.0.0.1" in transcript


# A case that fails, then cannot undo what it installed (its cleanup fails too): the case's own failure is the
# headline, the cleanup's trouble a transcript note (a `finally` would otherwise replace the first exception).
CLEANUP_CASES = '''
from harness import CsmsRole, StationControl, states, testcase


@testcase("TC_M_01_CS", "fails, and its cleanup fails too")
async def test_TC_M_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    await states.booted(csms, sut)
    try:
        raise csms.failure("the real reason of this case")
    finally:
        with csms.cleanup("DeleteCertificateRequest for what the case installed"):
            raise csms.failure("the SUT is not connected")
'''


def test_a_failing_cleanup_does_not_replace_the_cases_failure(pytester: pytest.Pytester) -> None:
    result = _run_cases(pytester, CLEANUP_CASES)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["FAILED *TC_M_01_CS* - *the real reason of this case*"])
    assert "the SUT is not connected" not in "\n".join(line for line in result.outlines if line.startswith("FAILED"))
    transcript = (pytester.path / "reports" / "transcripts" / "TC_M_01_CS.jsonl").read_text()
    assert "cleanup did not complete (the SUT is not connected)" in transcript


# Two transactions of one group, on EVSE 1 and 2: the driver of the second presents their own token (no EVSE named,
# as a station-wide reader or a lab's control adapter does): the station stops that driver's transaction, not the
# first one its group may also stop (TC_E_45_CS once found the wrong one after an earlier case).
TWO_DRIVERS_CASES = '''
from harness import CsmsRole, StationControl, states, testcase


@testcase("TC_E_01_CS", "two drivers of one group; the second stops their own transaction")
async def test_TC_E_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    await states.booted(csms, sut)
    await states.authorized(csms, sut, csms.tokens.valid, evse=1)
    await states.energy_transfer_started(csms, sut, evse=1)
    await states.authorized(csms, sut, csms.tokens.group, evse=2)
    await states.energy_transfer_started(csms, sut, evse=2)
    first, second = csms.transaction_on(1), csms.transaction_on(2)
    mark = csms.mark()
    stopped = csms.expect("TransactionEvent", {"triggerReason": "StopAuthorized"}, after=mark)
    await sut.present_token(csms.tokens.group)
    record = await csms.received(stopped)
    stopped_tx = record.frame.payload["transactionInfo"]["transactionId"]
    if stopped_tx != second:
        raise csms.failure(f"the station stopped {stopped_tx} (EVSE 1: {first}), not the second driver's {second}")
'''


def test_a_driver_stops_their_own_transaction_of_two(pytester: pytest.Pytester) -> None:
    result = _run_cases(pytester, TWO_DRIVERS_CASES, timeout=5)
    result.assert_outcomes(passed=1)
