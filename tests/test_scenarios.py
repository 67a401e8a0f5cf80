"""YAML scenarios: the format's errors point at file:line, a broken file is one failing case (the rest still
runs), a scenario drives a real SUT through the same steps and states as Python cases, and its failures name the
step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.usecase.loader import SourceError, load_scenario
from harness.usecase.scenario import scenario_json_schema

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "testcases" / "scenarios"
INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
"""
GOOD = """id: TC_F_06_CS
title: trigger a heartbeat
states: [Booted]
steps:
  - step: "1-2. TriggerMessage"
    call: TriggerMessage
    payload: {requestedMessage: Heartbeat}
    expect: {status: Accepted}
  - step: "3. Heartbeat"
    receive: Heartbeat
"""


def test_every_shipped_scenario_loads_and_the_schema_is_current() -> None:
    for path in SCENARIOS.glob("*.yaml"):
        assert load_scenario(path).id == path.stem
    shipped = json.loads((SCENARIOS / "scenario.schema.json").read_text())
    assert shipped == scenario_json_schema(), "regenerate testcases/scenarios/scenario.schema.json (README)"


@pytest.mark.parametrize(("text", "expected"), [
    (GOOD.replace("call: TriggerMessage", "call: TriggerMessage\n    receive: X"),
     ":5: steps.0: a step does exactly one of call, receive, action, trigger, state, absent; "
     "this one has call, receive"),
    (GOOD.replace("states: [Booted]", "states: [Sleeping]"), "unknown reusable state(s) ['Sleeping']"),
    (GOOD.replace("id: TC_F_06_CS", "id: TC_F_6_CS"), ":1: (top level): test case id 'TC_F_6_CS'"),
    (GOOD.replace("    expect:", "    expcet:"), ":8: steps.0.expcet: Extra inputs are not permitted"),
    (GOOD + "  - step: x\n    absent: Heartbeat\n", ":11: steps.2: an `absent` step needs `within`"),
    ("id: TC_F_06_CS\ntitle: x\nsteps: []\n", ":3: steps: List should have at least 1 item"),
])
def test_scenario_errors_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    with pytest.raises(SourceError) as info:
        load_scenario(path)
    assert any(p.startswith(f"{path}:") and expected in p for p in info.value.problems), info.value.problems


def _suite(pytester: pytest.Pytester, files: dict[str, str]) -> pytest.RunResult:
    pytester.makeini(INI)
    (pytester.path / "test_scenarios.py").write_text((ROOT / "testcases" / "test_scenarios.py").read_text())
    folder = pytester.path / "scenarios"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ocpp-role=cs", "-rA", "--ocpp-reports-dir=rep")


def test_a_broken_file_is_one_failing_case_and_the_rest_runs(pytester: pytest.Pytester) -> None:
    result = _suite(pytester, {"TC_F_06_CS.yaml": GOOD, "TC_X.yaml": "id: TC_F_07_CS\ntitle: [unclosed\n"})
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_scenario_file_loads[[]TC_X[]]*", "*TC_X.yaml:3: not valid YAML*"])


def test_a_scenario_failure_names_its_step(pytester: pytest.Pytester) -> None:
    wrong = GOOD.replace("status: Accepted", "status: Rejected").replace('"1-2. TriggerMessage"',
                                                                          '"1-2. the station refuses"')
    result = _suite(pytester, {"TC_F_06_CS.yaml": wrong})
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*step: 1-2. the station refuses*", "*$.status: expected 'Rejected', got 'Accepted'*"])
