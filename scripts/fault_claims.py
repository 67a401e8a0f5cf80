"""The fault-switch claims of the self-tests, in one place: which test cases each simulator fault switch must make
fail (or warn), collected from the FAULTS tables of tests/test_fault_detection.py, tests/test_security_profiles.py
and every tests/test_faults_*.py. Used by scripts/fault_table.py and tests/test_fault_claims.py.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from harness.simulators.csms import CsmsFaults  # noqa: E402
from harness.simulators.station import StationFaults  # noqa: E402


@dataclass(frozen=True)
class Claim:
    fault: str
    module: str  # the self-test module that proves it
    cases: tuple[str, ...]  # the test cases it must make fail (or warn, for `warned`)
    texts: tuple[str, ...]  # what the failure message must name
    warned: bool = False  # a deviation Part 6 tolerates: caught by a warning, the verdict stays
    security: int | None = None  # the security profile it needs (TLS switches)


# switches proven by a test of their own shape rather than a FAULTS table: fault -> the self-test that proves it
OTHER_PROOFS = {
    "not_ready_as_charging": "tests/test_faults_e.py (TC_E_38_CS with and without the switch)",
    "no_ev_connect_timeout": "tests/test_faults_e.py (TC_E_27_CS with and without the switch)",
    "report_unsupported_anyway": "tests/test_faults_b.py::test_a_station_without_the_summary_inventory_passes_tc_b_15",
    "accept_uncancelable_firmware": "tests/test_faults_l.py (UNCANCELABLE: TC_L_11_CS with a station without C-60)",
    "skip_root_signature_check": "tests/test_faults_m.py (TC_M_09_CS with AdditionalRootCertificateCheck)",
    "keep_old_csms_root": "tests/test_faults_m.py::test_reconnect_with_a_new_csms_root (TC_M_30_CS at security profile 2)",
    "no_root_fallback": "tests/test_faults_m.py::test_reconnect_with_a_new_csms_root (TC_M_31_CS at security profile 2)",
    "slow_response": "tests/test_csms_simulator.py::test_fault_slow_response (the harness station's call timeout)",
}


def switches() -> dict[str, str]:
    """Every fault switch of both simulators -> 'station' / 'csms'."""
    return {**{f.name: "station" for f in dataclasses.fields(StationFaults)},
            **{f.name: "csms" for f in dataclasses.fields(CsmsFaults)}}


def _modules() -> list[str]:
    return ["test_fault_detection", "test_security_profiles",
            *sorted(p.stem for p in (ROOT / "tests").glob("test_faults_*.py"))]


def claims() -> list[Claim]:
    out: list[Claim] = []
    for name in _modules():
        module = importlib.import_module(name)
        for attr, table in vars(module).items():
            if (not attr.endswith("FAULTS") and attr != "WARNED") or not isinstance(table, dict):
                continue
            for fault, value in table.items():
                if attr == "TLS_FAULTS":
                    security, cases, texts = value
                    out.append(Claim(fault, name, tuple(cases), tuple(texts), security=security))
                else:
                    cases, texts = value
                    out.append(Claim(fault, name, tuple(cases), tuple(texts), warned=attr == "WARNED"))
    return out
