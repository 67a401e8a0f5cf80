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


def other_proofs() -> dict[str, str]:
    """Switches proven by a self-test of their own shape (a variant with and without the switch, a profile that
    claims a feature) rather than a FAULTS table: fault -> the test files that name it."""
    names = set(switches())
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for name in names:
            if f'"{name}"' in text or f"{name}=True" in text:
                found.setdefault(name, []).append(f"tests/{path.name}")
    return {name: ", ".join(files) for name, files in found.items()}


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
