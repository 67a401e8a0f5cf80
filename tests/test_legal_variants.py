"""A SUT that made every legal choice differently at once passes every case Part 6 lets it run (issue "Faithful to
the official Part 6", done when): the built-in station with all its variants together (connector states only by
NotifyEvent, read-only TxStartPoint/TxStopPoint, no LocalPreAuthorize, TriggerMessage BootNotification
NotImplemented …) runs every CS case, the built-in CSMS with all its variants every CSMS case. A case the station's
own values rule out ends as not applicable, naming why; none fails. (The fault switches prove the other side:
a station that breaks a table's tool validation still fails.)"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from suite_runner import ROOT, run_suite

from harness.simulators import CsmsVariants, StationVariants

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-n", "2")
# Variants a SUT profile must declare (a fixed cable is HFS-2, a Master Pass screen C-07): their own tests run them
# with a profile that says so (tests/test_faults_e.py, test_faults_c.py)
NEEDS_ITS_PROFILE = {"fixed_cable", "master_pass_ui"}
# Variants that only make every answer late (1.5 s): with all cases at once the run would take hours; each has its
# corpus row (tests/verdict_corpus.py) and ran the whole suite of its role when it was added.
SLOW = {"slow_answers", "csms_slow_answers"}
SUTS = tuple(f"--ocpp-sut={ROOT / 'profiles' / name}" for name in ("builtin-station.yaml", "builtin-csms.yaml"))


@pytest.mark.parametrize(("role", "variants"), [
    ("cs", tuple(f.name for f in dataclasses.fields(StationVariants) if f.name not in NEEDS_ITS_PROFILE | SLOW)),
    ("csms", tuple(f.name for f in dataclasses.fields(CsmsVariants) if f.name not in SLOW)),
])
def test_every_legal_choice_at_once_passes_every_case(role: str, variants: tuple[str, ...], tmp_path: Path) -> None:
    result = run_suite(tmp_path, variants=variants, extra=(*FAST, *SUTS, f"--ocpp-role={role}"), timeout=900)
    assert result.verdicts, result.output[-3000:]
    wrong = {k: v for k, v in result.verdicts.items() if v not in ("passed", "skipped")}
    assert not wrong, "\n\n".join(f"{k}: {v}: {result.messages.get(k, '')[:1500]}" for k, v in wrong.items())
    skipped = {k: result.messages.get(k, "") for k, v in result.verdicts.items() if v == "skipped"}
    unexplained = {k: m for k, m in skipped.items() if "not applicable" not in m}
    assert not unexplained, unexplained
