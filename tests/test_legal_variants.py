"""A SUT that made every legal choice differently at once passes every case Part 6 lets it run (issue "Faithful to
the official Part 6", done when): the built-in station with all its variants together (connector states only by
NotifyEvent, read-only TxStartPoint/TxStopPoint, TriggerMessage BootNotification
NotImplemented …) runs every CS case, the built-in CSMS with all its variants every CSMS case. A case the station's
own values rule out ends as not applicable, naming why; none fails. (The fault switches prove the other side:
a station that breaks a table's tool validation still fails.)"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from suite_runner import ROOT, run_suite

from harness.simulators import CsmsVariants, StationVariants

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-n", "2")
# Variants a SUT profile must declare, since Part 5 makes cases depend on them (a fixed cable HFS-2, a Master Pass
# screen C-07, a reset per EVSE C-13, the SummaryInventory C-56, a cancelable firmware update C-60, firmware during a
# transaction C-43 / AQ-7, AdditionalRootCertificateCheck AS-2): the default profile claims otherwise; their own
# tests run each with a profile that says so (tests/test_faults_b/c/e/l/m.py)
NEEDS_ITS_PROFILE = {"fixed_cable", "master_pass_ui", "evse_reset", "no_summary_inventory", "firmware_not_cancelable",
                     "firmware_after_transactions", "firmware_during_transaction", "additional_root_check"}
# Variants that only make every answer late (1.5 s): with all cases at once the run would take hours; each has its
# corpus row (tests/verdict_corpus.py) and ran the whole suite of its role when it was added.
SLOW = {"slow_answers", "csms_slow_answers"}
# Answers with only what their schemas require: legal for the schema, yet many tables check an optional field (the
# case fails, rightly); what they prove is that no case crashes on a missing optional field (the test below)
MINIMAL = {"minimal_answers", "csms_minimal_answers"}
# A required variable the station leaves out (Part 2: AuthCtrlr.LocalPreAuthorize is required): the cases that read
# it must cope (tests/test_authorization_variants.py), yet TC_B_13/B_53_CS rightly fail such a station (B07.FR.08)
DROPS_REQUIRED = {"no_local_pre_authorize"}
# A TxStartPoint of their own (Authorized, ParkingBayOccupancy; read-only beside read_only_tx_points): the tables
# condition steps on it, and one validation fails a legal station there: the Deauthorized state (errata 2025-04)
# wants chargingState EVConnected or SuspendedEVSE, while a station that starts at Authorized and refuses the token
# before an EV is in reports Idle (TC_C_34_CS). Each is proven by the cases it exists for (tests/test_faults_c.py).
OWN_START_POINT = {"start_at_authorized", "start_at_bay"}
SUTS = tuple(f"--ocpp-sut={ROOT / 'profiles' / name}" for name in ("builtin-station.yaml", "builtin-csms.yaml"))


@pytest.mark.parametrize(("role", "variants"), [
    ("cs", tuple(f.name for f in dataclasses.fields(StationVariants)
                 if f.name not in NEEDS_ITS_PROFILE | SLOW | MINIMAL | DROPS_REQUIRED | OWN_START_POINT)),
    ("csms", tuple(f.name for f in dataclasses.fields(CsmsVariants) if f.name not in SLOW | MINIMAL)),
])
def test_every_legal_choice_at_once_passes_every_case(role: str, variants: tuple[str, ...], tmp_path: Path) -> None:
    result = run_suite(tmp_path, variants=variants, extra=(*FAST, *SUTS, f"--ocpp-role={role}"), timeout=900)
    assert result.verdicts, result.output[-3000:]
    wrong = {k: v for k, v in result.verdicts.items() if v not in ("passed", "skipped")}
    assert not wrong, "\n\n".join(f"{k}: {v}: {result.messages.get(k, '')[:1500]}" for k, v in wrong.items())
    skipped = {k: result.messages.get(k, "") for k, v in result.verdicts.items() if v == "skipped"}
    unexplained = {k: m for k, m in skipped.items() if "not applicable" not in m}
    assert not unexplained, unexplained


# what a harness crash looks like in a case's failure: a Python exception, not the harness's explanation
CRASH = re.compile(r"^(KeyError|TypeError|AttributeError|IndexError|ValueError|RuntimeError|NameError|"
                   r"UnboundLocalError|AssertionError)\b", re.M)


def test_no_case_crashes_on_answers_without_optional_fields(tmp_path: Path) -> None:
    """Both simulators answer every request with only the fields its schema requires (variants minimal_answers,
    csms_minimal_answers). Many tables check an optional field, so cases fail; none may end in a Python exception
    of the harness (TC_M_18_CS once raised KeyError 'certificateHashDataChain', blaming the harness for the SUT)."""
    result = run_suite(tmp_path, variants=tuple(sorted(MINIMAL)), extra=(*FAST, *SUTS), timeout=900)
    assert result.verdicts, result.output[-3000:]
    crashed = {k: m for k, m in result.messages.items() if CRASH.search(m.split("\n", 1)[0])}
    assert not crashed, "\n\n".join(f"{k}: {m[:1500]}" for k, m in crashed.items())
    assert "failed" in result.verdicts.values(), "the variant should break some table's optional-field check"
