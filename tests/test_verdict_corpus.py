"""The verdict-accuracy corpus (tests/verdict_corpus.py): each legal but unusual behaviour passes, each defect fails
with the right headline. `make test` runs a sample (one row of each kind per SUT role); OCPP_ALL_FAULTS=1 every row.
scripts/verdict_corpus.py runs them all into docs/verdict-corpus.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import sample
from verdict_corpus import by_id, run_row

SAMPLE = {"custom_data_everywhere", "csms_custom_data_everywhere", "seqno_gap", "status_refused_1_6_code"}

def test_the_corpus_has_30_rows_of_each_kind_spread_over_both_roles() -> None:
    rows = by_id().values()
    legal = [r for r in rows if r.kind == "legal"]
    defects = [r for r in rows if r.kind == "defect"]
    assert len([r for r in legal if r.verdict == "passed"]) >= 30 and len(defects) >= 30
    assert all(r.headline for r in defects), [r.id for r in defects if not r.headline]
    for kind in (legal, defects):
        roles = {"CSMS" if c.endswith("_CSMS") else "CS" for r in kind for c in r.cases}
        assert roles == {"CS", "CSMS"}, roles
    blocks = {c.split("_")[1] for r in defects for c in r.cases if c.startswith("TC_")}
    assert blocks >= set("ABCDEFGJLMNP"), sorted(blocks)

@pytest.mark.parametrize("row_id", sample(by_id(), SAMPLE))
def test_row_gets_its_verdict(row_id: str, tmp_path: Path) -> None:
    outcome = run_row(by_id()[row_id], tmp_path)
    assert not outcome.problems, f"{row_id} ({outcome.row.kind}): " + "\n\n".join(outcome.problems)
