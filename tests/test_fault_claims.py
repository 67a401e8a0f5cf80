"""Every simulator fault switch is claimed by a self-test (the check it breaks is proven), and the fault table
reads a `make faults` JUnit right: a failed proof is marked, not counted as caught."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from fault_claims import OTHER_PROOFS, claims, switches  # noqa: E402
from fault_table import claims_table  # noqa: E402


def test_every_fault_switch_has_a_proof() -> None:
    claimed = {c.fault for c in claims()} | set(OTHER_PROOFS)
    assert not set(switches()) - claimed, f"fault switches no self-test proves: {sorted(set(switches()) - claimed)}"
    assert not claimed - set(switches()), f"claims name switches that do not exist: {sorted(claimed - set(switches()))}"


def test_the_table_marks_a_failed_or_missing_proof(tmp_path: Path) -> None:
    first, second = claims()[:2]
    junit = tmp_path / "faults.xml"
    junit.write_text(
        "<testsuites><testsuite>"
        f'<testcase classname="tests.{first.module}" name="test_fault_is_caught[{first.fault}]"/>'
        f'<testcase classname="tests.{second.module}" name="test_fault_is_caught[{second.fault}]">'
        '<failure message="not caught"/></testcase>'
        "</testsuite></testsuites>")
    table, bad = claims_table([junit])
    row = {line.split("|")[2].strip(" `"): line for line in table.splitlines()[2:]}
    assert "| caught |" in row[first.fault]
    assert "**failed**" in row[second.fault]
    assert table.count("| caught |") == 1 and bad >= len(claims()) - 1  # every other proof did not run
