"""Parallel runs (pytest-xdist): each worker owns one SUT of a pool; the verdicts merge into one summary, one JUnit
file and one Allure results folder holding each case once."""

from __future__ import annotations

import json
from pathlib import Path

from suite_runner import ROOT, run_suite

CASES = ("TC_B_01_CS", "TC_B_06_CS", "TC_B_09_CS", "TC_B_01_CSMS", "TC_B_06_CSMS", "RPC_06_CS", "RPC_06_CSMS")


def test_two_workers_two_stations_one_summary(tmp_path: Path) -> None:
    station = tmp_path / "station.yaml"  # the built-in station as a pool of two units of one model
    station.write_text((ROOT / "profiles" / "builtin-station.yaml").read_text() + (
        "pool:\n  - {identity: SIM-POOL-A, serial_number: SN-A}\n  - {identity: SIM-POOL-B, serial_number: SN-B}\n"))
    allure = tmp_path / "allure"
    result = run_suite(tmp_path, *CASES, extra=("-n", "2", f"--ocpp-sut={station}",
                                                f"--ocpp-sut={ROOT / 'profiles' / 'builtin-csms.yaml'}",
                                                f"--alluredir={allure}"))
    assert result.verdicts == dict.fromkeys(CASES, "passed"), result.output[-3000:]
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert sorted(c["id"] for c in summary["cases"]) == sorted(CASES)
    transcripts = tmp_path / "reports" / "transcripts"
    lobbies = sorted(p.name for p in transcripts.glob("_between-tests*.jsonl"))
    assert lobbies == ["_between-tests-gw0.jsonl", "_between-tests-gw1.jsonl"]
    records = [json.loads(line) for path in transcripts.glob("*_CS.jsonl") for line in path.read_text().splitlines()]
    identities = {r["detail"]["identity"] for r in records if r.get("kind") == "open"}
    assert identities <= {"SIM-POOL-A", "SIM-POOL-B"} and identities, identities  # each worker its own station
    stories = [label["value"] for path in allure.glob("*-result.json")
               for label in json.loads(path.read_text())["labels"] if label["name"] == "story"]
    assert sorted(stories) == sorted(CASES)  # every case exactly once in the merged Allure results


def test_a_pool_smaller_than_the_workers_is_a_usage_error(tmp_path: Path) -> None:
    station = tmp_path / "station.yaml"
    station.write_text((ROOT / "profiles" / "builtin-station.yaml").read_text()
                       + "pool:\n  - {identity: SIM-POOL-A}\n")
    result = run_suite(tmp_path, "TC_B_06_CS", extra=("-n", "2", f"--ocpp-sut={station}"))
    assert "pool has 1 entries; worker gw1 needs entry 1" in result.output, result.output[-2000:]
