"""categories.json and environment.properties beside the Allure results of a real run (DESIGN.md §9)."""

from __future__ import annotations

import json
from pathlib import Path

from suite_runner import run_suite

from harness.reporting.allure_files import CATEGORIES

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1")


def _properties(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


def test_a_run_leaves_categories_and_environment_for_allure(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    run = run_suite(tmp_path, "TC_B_06_CS", "TC_B_06_CSMS", extra=(*FAST, f"--alluredir={results}"))
    assert run.verdicts == {"TC_B_06_CS": "passed", "TC_B_06_CSMS": "passed"}, run.output[-2000:]
    categories = json.loads((results / "categories.json").read_text())
    assert [c["name"] for c in categories] == ["Not applicable", "Needs decision", "Timing", "SUT defect",
                                               "Harness error"]
    env = _properties(results / "environment.properties")
    assert env["OCPP"] == "OCPP 2.0.1 Edition 3" and env["Harness"].startswith("ocpp-harness ")
    assert env["Station_under_test"].startswith("Built-in station simulator")
    assert env["CSMS_under_test"].startswith("Built-in CSMS simulator")
    assert "password" not in (results / "environment.properties").read_text().lower()
    # each result carries the SUT profile it was judged against (DESIGN.md §9)
    for result in results.glob("*-result.json"):
        data = json.loads(result.read_text())
        attached = {a["name"]: a["source"] for a in data.get("attachments", [])}
        assert "SUT profile" in attached, (data["name"], sorted(attached))
        profile = json.loads((results / attached["SUT profile"]).read_text())
        sut = next(t["value"] for t in data["labels"] if t["name"] == "tag" and t["value"].startswith("SUT:"))
        assert profile["kind"] == {"SUT:CS": "station", "SUT:CSMS": "csms"}[sut], (data["name"], profile["kind"])
        # only what a lab user needs (issue 13): no tag of a pytest mark, no fixture "Set up" / "Tear down"
        assert [t["value"] for t in data["labels"] if t["name"] == "tag" and t["value"] == "asyncio"] == []
        assert data["labels"][0] == {"name": "epic", "value": "B Provisioning"}  # blocks sort A..P by name
    assert not list(results.glob("*-container.json"))


def test_categories_sort_the_verdicts_a_reader_acts_on() -> None:
    import re

    def category(status: str, message: str) -> str:
        for c in CATEGORIES:
            if status in c["matchedStatuses"] and re.fullmatch(str(c.get("messageRegex", "(?s).*")), message):  # type: ignore[operator]
                return str(c["name"])
        return "none"

    assert category("skipped", "not applicable: needs C-49 authorization cache; profile says no") == "Not applicable"
    assert category("skipped", "needs decision: policy 'x' is not set") == "Needs decision"
    assert category("failed", "timing: heartbeat interval out of tolerance") == "Timing"
    assert category("failed", "the answer to Authorize is not as expected") == "SUT defect"
    assert category("broken", "harness error") == "Harness error"


def test_functional_blocks_sort_a_to_p_by_name() -> None:
    from harness.reporting.allure_report import BLOCKS

    assert sorted(BLOCKS.values()) == list(BLOCKS.values())  # Allure's tree sorts groups by name: A … P, then RPC
    assert all(name.startswith(key) for key, name in BLOCKS.items())


def test_tidy_results_drops_fixture_containers_but_keeps_what_fixtures_attached(tmp_path: Path) -> None:
    from harness.reporting.allure_files import tidy_results

    result = {"uuid": "r1", "name": "TC_N_25_CS", "attachments": [{"name": "transcript", "source": "t.jsonl"}],
              "labels": [{"name": "tag", "value": "asyncio"}, {"name": "tag", "value": "Core"}]}
    container = {"uuid": "c1", "children": ["r1"], "befores": [{"name": "csms_endpoint"}],
                 "afters": [{"name": "log_receiver::0", "steps": [
                     {"name": "x", "attachments": [{"name": "log uploads", "source": "u.json"}]}]}]}
    (tmp_path / "r1-result.json").write_text(json.dumps(result))
    (tmp_path / "c1-container.json").write_text(json.dumps(container))
    tidy_results(tmp_path)
    tidy_results(tmp_path)  # each pass of a run calls it: idempotent
    assert not list(tmp_path.glob("*-container.json"))
    tidied = json.loads((tmp_path / "r1-result.json").read_text())
    assert [a["name"] for a in tidied["attachments"]] == ["transcript", "log uploads"]
    assert tidied["labels"] == [{"name": "tag", "value": "Core"}]
