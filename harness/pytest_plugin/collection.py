"""Which collected items are OCPP cases, which run for this role and certification profile, and which are not
applicable; YAML scenarios become parameters of the generic tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.pytest_plugin.keys import (
    LOOP_INI,
    META,
    SETTINGS,
)
from harness.pytest_plugin.settings import role_of
from harness.usecase.loader import SourceError, load_scenario
from harness.usecase.scenario import Scenario, scenario_files
from harness.usecase.testcase import TestCaseMeta, meta_of, not_applicable


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    role = role_of(config)
    settings = config.stash[SETTINGS]
    keep: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        meta = _item_meta(item)
        if meta is None:
            callspec = getattr(item, "callspec", None)
            params = callspec.params if callspec is not None else {}
            given = [params[k] for k in ("ocpp_scenario", "ocpp_scenario_error") if k in params]
            if given and not isinstance(given[0], Scenario | SourceError):
                deselected.append(item)  # an empty parameter set: no scenario of this kind, no broken file
            else:
                keep.append(item)
            continue
        for ini in LOOP_INI:
            if config.getini(ini) != "session":
                raise pytest.UsageError(
                    f"ocpp-harness runs every test case on one event loop: set `{ini} = session` in the [pytest] "
                    f"section of your ini file (pyproject.toml: [tool.pytest.ini_options]); it is "
                    f"{config.getini(ini)!r}")
        item.stash[META] = meta
        item.add_marker(pytest.mark.ocpp_testcase(meta.id))
        item.user_properties.append(("ocpp_id", meta.id))
        selected = role == "both" or meta.sut.lower() == role
        if settings.cert_profile and "Framework" not in meta.profiles and settings.cert_profile not in meta.profiles:
            selected = False
        if config.getoption("ocpp_profile_pass") and min(meta.security) != settings.profile_of(meta.sut).security.profile:
            selected = False
        if not selected:
            deselected.append(item)
            continue
        keep.append(item)
        reason = not_applicable(meta, settings.profile_of(meta.sut))
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"not applicable: {reason}"))
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = keep


# ---- YAML scenarios ------------------------------------------------------------------------------------------
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """YAML scenarios become parameters of the generic tests that ask for `ocpp_scenario` (one per SUT kind:
    `csms` or `station` among the test's fixtures) or `ocpp_scenario_error` (files that do not load: one failing
    case each, with the file:line problems, never a broken collection)."""
    wanted = {"ocpp_scenario", "ocpp_scenario_error"} & set(metafunc.fixturenames)
    if not wanted:
        return
    folder = Path(str(metafunc.definition.path)).parent / "scenarios"
    loaded: list[Scenario] = []
    broken: list[SourceError] = []
    for path in scenario_files(folder):
        try:
            loaded.append(load_scenario(path))
        except SourceError as exc:
            broken.append(exc)
    if "ocpp_scenario" in wanted:
        sut = "CS" if "csms" in metafunc.fixturenames else "CSMS"
        mine = [s for s in loaded if s.meta.sut == sut]
        metafunc.parametrize("ocpp_scenario", mine, ids=[s.id for s in mine])
    else:
        ids = [Path(e.problems[0].split(":", 1)[0]).stem for e in broken]
        metafunc.parametrize("ocpp_scenario_error", broken, ids=ids)


def _item_meta(item: pytest.Item) -> TestCaseMeta | None:
    meta = meta_of(getattr(item, "function", None))
    callspec = getattr(item, "callspec", None)
    scenario = callspec.params.get("ocpp_scenario") if callspec is not None else None
    return scenario.meta if isinstance(scenario, Scenario) else meta
