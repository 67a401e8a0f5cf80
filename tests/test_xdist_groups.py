"""make test's scheduler keeps a listed module on one worker (tests/xdist_groups.py), in a child pytest -n 2."""

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

MODULE = """
import os
from pathlib import Path

import pytest

@pytest.mark.parametrize("n", range(6))
def test_where(n):
    with open(Path(__file__).with_suffix(".workers"), "a") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def workers_used(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                 grouped: tuple[str, ...]) -> dict[str, set[str]]:
    pytester.makeconftest(f"""
from xdist_groups import make_scheduler

def pytest_xdist_make_scheduler(config, log):
    return make_scheduler(config, log, {grouped!r})
""")
    pytester.makepyfile(test_shared=MODULE, test_other=MODULE)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:ocpp_harness", "-n", "2",
                                           "--dist", "loadgroup")
    result.assert_outcomes(passed=12)
    return {name: set((pytester.path / f"{name}.workers").read_text().split())
            for name in ("test_shared", "test_other")}


def test_a_listed_module_runs_on_one_worker(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    used = workers_used(pytester, monkeypatch, ("test_shared.py",))
    assert len(used["test_shared"]) == 1, used


def test_without_the_list_the_module_spreads_over_the_workers(pytester: pytest.Pytester,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # the control: what the xdist_group mark silently did under pytest 9.2 (pytest-xdist#1386)
    used = workers_used(pytester, monkeypatch, ())
    assert len(used["test_shared"]) == 2, used
