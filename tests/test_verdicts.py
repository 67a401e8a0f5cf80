"""Verdicts for CI: the summary per certification profile and the gating policy's exit code, on real runs
against the simulators (a faulty one fails a mandatory case; a policy decides whether that fails the build)."""

from __future__ import annotations

import json
from pathlib import Path

from suite_runner import ROOT, run_suite

from harness.reporting.verdicts import GatingPolicy, Verdict, gate, summarize, to_markdown

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1")
GATE = ROOT / "profiles" / "gate.yaml"


def _case(case_id: str, severity: str, outcome: str, profiles: tuple[str, ...] = ("Core",)) -> Verdict:
    return Verdict(case_id, "title", "CS", severity, profiles, (), outcome, "why")  # type: ignore[arg-type]


def test_gate_classes_and_profile_filter() -> None:
    results = [_case("TC_X_01_CS", "mandatory", "passed"), _case("TC_X_02_CS", "conditional", "failed"),
               _case("TC_X_03_CS", "mandatory", "needs_decision"), _case("TC_X_04_CS", "mandatory", "failed",
                                                                         ("LocalAuth",))]
    strict = gate(results, GatingPolicy())
    assert strict.exit_code == 1 and [f.split()[0] for f in strict.failures] == ["TC_X_04_CS"]
    assert {w.split()[0] for w in strict.warnings} == {"TC_X_02_CS", "TC_X_03_CS"}
    core_only = gate(results, GatingPolicy(profiles=["Core"]))
    assert core_only.exit_code == 0 and not core_only.failures
    everything = gate(results, GatingPolicy(fail_on=["*.failed"], warn_on=[]))
    assert everything.exit_code == 1 and len(everything.failures) == 2


def test_summary_counts_per_profile_and_severity() -> None:
    results = [_case("TC_X_01_CS", "mandatory", "passed"), _case("TC_X_02_CS", "mandatory", "not_applicable"),
               _case("TC_X_03_CS", "conditional", "failed", ("Core", "LocalAuth"))]
    summary = summarize(results, about={"station": "S"}, gate_result=gate(results, GatingPolicy()))
    profiles = summary["profiles"]
    assert profiles["Core"]["mandatory"]["passed"] == 1  # type: ignore[index]
    assert profiles["Core"]["mandatory"]["not_applicable"] == 1  # type: ignore[index]
    assert profiles["LocalAuth"]["conditional"]["failed"] == 1  # type: ignore[index]
    assert summary["not_applicable"] == [{"id": "TC_X_02_CS", "reason": "why"}]
    text = to_markdown(summary)
    assert "gate PASSED" in text and "| LocalAuth | conditional | 0 | 1 |" in text


def _summary(tmp: Path) -> dict[str, object]:
    return json.loads((tmp / "reports" / "summary.json").read_text())  # type: ignore[no-any-return]


def test_a_failed_mandatory_case_fails_the_gate(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "TC_C_02_CSMS", "TC_B_01_CSMS", faults=("accept_unknown_token",),
                       extra=(*FAST, f"--ocpp-gate={GATE}"))
    assert result.verdicts == {"TC_C_02_CSMS": "failed", "TC_B_01_CSMS": "passed"}, result.output[-2000:]
    assert result.returncode == 1
    summary = _summary(tmp_path)
    assert [f["id"] for f in summary["failed"]] == ["TC_C_02_CSMS"]  # type: ignore[index, union-attr]
    assert summary["gate"]["exit_code"] == 1  # type: ignore[index]
    assert "FAILS THE BUILD  TC_C_02_CSMS (mandatory.failed)" in result.output
    assert "gate FAILED" in (tmp_path / "reports" / "summary.md").read_text()


def test_a_policy_that_only_warns_lets_the_build_pass(tmp_path: Path) -> None:
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text("fail_on: ['*.error']\nwarn_on: ['mandatory.failed']\n")
    result = run_suite(tmp_path, "TC_C_02_CSMS", faults=("accept_unknown_token",),
                       extra=(*FAST, f"--ocpp-gate={lenient}"))
    assert result.verdicts == {"TC_C_02_CSMS": "failed"}, result.output[-2000:]
    assert result.returncode == 0, "the policy says a failed mandatory case only warns"
    assert "warning          TC_C_02_CSMS (mandatory.failed)" in result.output


def test_not_applicable_cases_are_listed_with_their_reason(tmp_path: Path) -> None:
    profile = tmp_path / "no-cache.yaml"
    profile.write_text((ROOT / "profiles" / "builtin-station.yaml").read_text().replace("C-49: true", "C-49: false"))
    result = run_suite(tmp_path, "TC_C_08_CS", "TC_B_06_CS", extra=(*FAST, f"--ocpp-sut={profile}",
                                                                    f"--ocpp-gate={GATE}"))
    assert result.verdicts == {"TC_C_08_CS": "skipped", "TC_B_06_CS": "passed"}, result.output[-2000:]
    assert result.returncode == 0
    summary = _summary(tmp_path)
    [entry] = summary["not_applicable"]  # type: ignore[misc]
    assert entry["id"] == "TC_C_08_CS" and "C-49" in entry["reason"], entry
    assert summary["profiles"]["Core"]["conditional"]["not_applicable"] == 1  # type: ignore[index]


def test_a_bad_policy_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("fail_on: ['mandatory.failed']\nfail_when: always\n")
    result = run_suite(tmp_path, "TC_B_06_CS", extra=(*FAST, f"--ocpp-gate={bad}"))
    assert result.returncode == 4, result.output[-2000:]
    assert "gating policy is not valid" in result.output and "bad.yaml:2" in result.output


def test_the_summary_says_what_was_run_and_keeps_failures_and_errors_apart(tmp_path: Path) -> None:
    """Issue 12: summary.md lists failures and errors apart, each failure with its headline and key difference;
    names only the SUTs tested; carries the date, harness version, edition/errata and security profile; JUnit
    carries the headline too."""
    profile = tmp_path / "station.yaml"  # a lab profile that breaks TC_E_40_CS's precondition: an error, not a failure
    profile.write_text((ROOT / "profiles" / "builtin-station.yaml").read_text().replace(
        "retry_back_off_wait_minimum: 2", "retry_back_off_wait_minimum: 1"))
    result = run_suite(tmp_path, "TC_C_02_CS", "TC_E_40_CS", faults=("bad_boot_reason",),
                       extra=(*FAST, f"--ocpp-sut={profile}", "--ocpp-role=cs"))
    assert set(result.verdicts) == {"TC_C_02_CS", "TC_E_40_CS"}, result.output[-3000:]
    summary = _summary(tmp_path)
    # pytest's JUnit calls any exception of the case's body a <failure>; the verdict (and its JUnit property) knows
    # a precondition the lab has not met is an error, not the SUT's failure
    assert {c["id"]: c["outcome"] for c in summary["cases"]} == {"TC_C_02_CS": "failed", "TC_E_40_CS": "error"}  # type: ignore[union-attr, index]
    about = summary["about"]
    assert set(about) >= {"date", "harness", "specification", "station"} and "CSMS" not in about  # type: ignore[operator]
    assert "errata up to 2025-09" in about["specification"] and "security profile 1" in about["station"]  # type: ignore[index]
    failed, errors = summary["failed"], summary["errors"]
    assert [f["id"] for f in failed] == ["TC_C_02_CS"] and [e["id"] for e in errors] == ["TC_E_40_CS"]  # type: ignore[union-attr]
    assert failed[0]["difference"].startswith("$.reason") and "RPC-12" in failed[0]["rules"]  # type: ignore[index]
    assert "retry_back_off_wait_minimum" in errors[0]["precondition"]  # type: ignore[index]
    assert failed[0]["reproduce"].startswith("ocpp-harness validate ")  # type: ignore[index]
    text = (tmp_path / "reports" / "summary.md").read_text()
    assert text.index("## Failed") < text.index("## Errors")
    assert "**TC_C_02_CS**" in text and "`$.reason" in text
    junit = (tmp_path / "junit.xml").read_text()
    assert 'name="ocpp_headline"' in junit and 'name="ocpp_outcome" value="failed"' in junit
    assert 'name="ocpp_outcome" value="error"' in junit
