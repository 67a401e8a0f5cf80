"""Block D (the Local Authorization List, D01/D02): every check proven. A simulator fault switch makes exactly the
matching cases fail, with a message that names what was expected; the clean run of the same cases passes
(test_suite_loopback). The pattern of tests/test_fault_detection.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import ROOT, prove_caught, run_suite, sample, station_profile

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")

# fault switch -> (test case ids that must fail, texts the failure message must contain)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the Charging Station simulator misbehaves (the harness plays the CSMS)
    "differential_keeps_version": (("TC_D_02_CS", "TC_D_03_CS", "TC_D_05_CS"),
                                   ("GetLocalListVersion", "$.versionNumber")),
    "no_version_check": (("TC_D_06_CS",), ("SendLocalList", "VersionMismatch")),
    "reject_empty_full_list": (("TC_D_04_CS",), ("SendLocalList", "$.status")),
    "local_list_lost_on_reboot": (("TC_D_07_CS",), ("GetLocalListVersion", "D01.FR.10")),
    "wrong_local_list_version": (("TC_D_02_CS", "TC_D_08_CS"), ("GetLocalListVersion", "$.versionNumber")),
    # the CSMS simulator misbehaves (the harness plays a station)
    "local_list_version_zero": (("TC_D_02_CSMS", "TC_D_03_CSMS"), ("$.versionNumber", "one above 1")),
    "empty_local_list": (("TC_D_02_CSMS",), ("$.localAuthorizationList: missing",)),
    "full_list_not_emptied": (("TC_D_04_CSMS",), ("$.localAuthorizationList", "expected none")),
    "remove_keeps_info": (("TC_D_03_CSMS",), ("idTokenInfo: present",)),
    "ignore_operator_requests": (("TC_D_09_CSMS",), ("no GetLocalListVersion",)),
}
SAMPLE = {"no_version_check", "remove_keeps_info"}


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, FAULTS[fault], extra=FAST)


@pytest.mark.parametrize(("fault", "verdict"), [((), "passed"), (("version_while_disabled",), "failed")])
def test_version_of_a_disabled_list(fault: tuple[str, ...], verdict: str, tmp_path: Path) -> None:
    """TC_D_10_CS: a station that holds no list answers 0 whether the list is enabled or not, so the fault only
    shows after TC_D_08_CS has installed one (the order of a whole suite run): then the disabled list's version
    must still be 0 (D02.FR.03)."""
    result = run_suite(tmp_path, "TC_D_08_CS", "TC_D_10_CS", faults=fault, extra=FAST)
    assert result.verdicts == {"TC_D_08_CS": "passed", "TC_D_10_CS": verdict}, result.output[-3000:]
    if fault:
        assert "GetLocalListVersion" in result.messages["TC_D_10_CS"], result.messages["TC_D_10_CS"][:3000]


@pytest.mark.parametrize(("fault", "verdict"), [((), "passed"), (("ignore_operator_requests",), "failed")])
def test_version_asked_by_a_csms_that_claims_it(fault: tuple[str, ...], verdict: str, tmp_path: Path) -> None:
    """TC_D_08_CSMS applies to a CSMS that claims LA-2 (the built-in profile does not): with a profile that does,
    the CSMS simulator asks the version when told to and passes; one that never sends the request fails."""
    csms = station_profile(tmp_path / "profiles", claims=("LA-2",), base=ROOT / "profiles" / "builtin-csms.yaml",
                           name="builtin-csms.yaml")
    extra = (*FAST, f"--ocpp-sut={ROOT / 'profiles' / 'builtin-station.yaml'}", f"--ocpp-sut={csms}")
    result = run_suite(tmp_path, "TC_D_08_CSMS", faults=fault, extra=extra)
    assert result.verdicts == {"TC_D_08_CSMS": verdict}, result.output[-3000:]
    if fault:
        assert "no GetLocalListVersion" in result.messages["TC_D_08_CSMS"], result.messages["TC_D_08_CSMS"][:3000]
