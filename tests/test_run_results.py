"""What `ocpp-harness run` leaves (issue 13): one combined verdict over the security-profile passes, each pass
visible, and a fresh results folder per run that keeps what spans runs (the Allure history)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "run", "--role", "csms", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout)


def _allure_names(folder: Path) -> list[str]:
    return sorted(json.loads(f.read_text())["name"] for f in (folder / "allure-results").glob("*-result.json"))


def test_a_run_over_the_security_profiles_gives_one_combined_verdict(tmp_path: Path) -> None:
    cases = {"TC_B_06_CSMS": 1, "TC_A_04_CSMS": 2, "TC_A_11_CSMS": 3}  # each case's lowest security profile
    proc = run("--passes", "--reports", str(tmp_path), "--", "-k", " or ".join(cases))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {c["id"]: (c["outcome"], c["security_profile"]) for c in summary["cases"]} == {
        i: ("passed", level) for i, level in cases.items()}
    assert [(p["pass"], p["cases"], p["passed"]) for p in summary["passes"]] == [
        (f"security profile {level}", 1, 1) for level in (1, 2, 3)]
    markdown = (tmp_path / "summary.md").read_text()
    assert "## Passes" in markdown and "| security profile 3 | 1 | 1 | 0 |" in markdown
    assert markdown.count("# OCPP 2.0.1 conformance summary") == 1
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    suites = {s.get("name"): [c.get("name") for c in s.iter("testcase")] for s in junit.iter("testsuite")}
    assert suites == {f"ocpp-harness: security profile {level}": [f"test_{i}"] for i, level in cases.items()}
    assert junit.get("tests") == "3" and junit.get("failures") == "0"
    assert len(_allure_names(tmp_path)) == 3  # the passes share one Allure results folder: one report
    for level in (1, 2, 3):  # each pass's own files stay beside the combined ones
        assert (tmp_path / f"sp{level}" / "summary.json").is_file()


def test_two_consecutive_runs_into_the_same_folder(tmp_path: Path) -> None:
    first = run("--reports", str(tmp_path), "--", "-k", "TC_B_06_CSMS")
    assert first.returncode == 0, first.stdout[-3000:]
    (tmp_path / "history.jsonl").write_text('{"uuid": "an earlier run"}\n')  # what `ocpp-harness report` keeps
    (tmp_path / "html").mkdir()
    second = run("--reports", str(tmp_path), "--", "-k", "TC_B_20_CSMS")
    assert second.returncode == 0, second.stdout[-3000:]
    assert len(_allure_names(tmp_path)) == 1  # only the second run's case: no earlier result shown as a retry
    assert [f.name for f in (tmp_path / "transcripts").glob("TC_*.jsonl")] == ["TC_B_20_CSMS.jsonl"]
    assert [c["id"] for c in json.loads((tmp_path / "summary.json").read_text())["cases"]] == ["TC_B_20_CSMS"]
    assert (tmp_path / "history.jsonl").read_text() == '{"uuid": "an earlier run"}\n' and (tmp_path / "html").is_dir()
