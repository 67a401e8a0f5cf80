"""Every simulator fault switch is claimed by a self-test (the check it breaks is proven), and the fault table
reads a `make faults` JUnit right: a failed proof is marked, not counted as caught."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from fault_claims import claims, other_proofs, switches  # noqa: E402
from fault_table import claims_table  # noqa: E402


def test_every_fault_switch_has_a_proof() -> None:
    claimed = {c.fault for c in claims()} | set(other_proofs())
    assert not set(switches()) - claimed, f"fault switches no self-test proves: {sorted(set(switches()) - claimed)}"
    assert not claimed - set(switches()), f"claims name switches that do not exist: {sorted(claimed - set(switches()))}"


def test_a_switch_no_test_names_is_reported(tmp_path: Path) -> None:
    import fault_claims

    real, unproven = fault_claims.switches, "nobody_" + "proves_this"  # a name no test file holds, this one included
    fault_claims.switches = lambda: {**real(), unproven: "station"}  # type: ignore[assignment]
    try:
        assert unproven not in {c.fault for c in claims()} | set(other_proofs())
    finally:
        fault_claims.switches = real  # type: ignore[assignment]


def test_the_table_marks_a_failed_or_missing_proof(tmp_path: Path) -> None:
    first, second = claims()[:2]
    junit = tmp_path / "faults.xml"
    junit.write_text(
        "<testsuites><testsuite>"
        f'<testcase classname="tests.{first.module}" name="test_fault_is_caught[{first.fault}]"/>'
        f'<testcase classname="tests.{second.module}" name="test_fault_is_caught[{second.fault}]">'
        '<failure message="not caught"/></testcase>'
        "</testsuite></testsuites>")
    table, count = claims_table([junit])
    row = {line.split("|")[2].strip(" `"): line for line in table.splitlines()[2:]}
    assert "| caught |" in row[first.fault]
    assert "**failed**" in row[second.fault]
    assert table.count("| caught |") == 1 and count["caught"] == 1 and count["failed"] == 1
    assert count["not run"] == len(claims()) - 2  # every other proof did not run in that JUnit
