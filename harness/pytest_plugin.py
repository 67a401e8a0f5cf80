"""The pytest plugin (entry point `pytest11: ocpp_harness`): options, fixtures, and the verdict of each case.

Fixtures are the API (DESIGN.md §3 rule 3); override them in a `conftest.py` to point the suite elsewhere:
- `csms`: the harness acting as CSMS, talking to the Charging Station under test;
- `station`: the harness acting as a Charging Station, talking to the CSMS under test;
- `sut`: the control adapter of this test's SUT (manual actions);
- `ocpp_settings`, `ocpp_schemas`: the run's settings and compiled schemas.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import secrets
import string
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import ValidationError

from harness.config import Settings, secret
from harness.control import CsmsControl, SimulatedCsmsControl, SimulatedStationControl, StationControl
from harness.errors import ConfigError
from harness.failures import NeedsDecision
from harness.ocppj import SchemaStore
from harness.roles import CsmsEndpoint, CsmsRole, StationRole
from harness.simulators import CsmsConfig, CsmsFaults, CsmsSimulator, StationConfig, StationFaults, StationSimulator
from harness.usecase.runner import CaseRun
from harness.usecase.testcase import TestCaseMeta, meta_of

CASE_RUN = pytest.StashKey[CaseRun]()
SETTINGS = pytest.StashKey[Settings]()
META = pytest.StashKey[TestCaseMeta]()
_LOOP_INI = ("asyncio_default_fixture_loop_scope", "asyncio_default_test_loop_scope")


# ---- options ---------------------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ocpp", "OCPP 2.0.1 conformance harness")

    def both(name: str, help: str, **kwargs: Any) -> None:
        group.addoption(f"--ocpp-{name}", dest=f"ocpp_{name.replace('-', '_')}", help=help, **kwargs)
        parser.addini(f"ocpp_{name.replace('-', '_')}", help, default=None)

    both("role", "which SUT kind to test: cs (harness plays CSMS), csms (harness plays station), both",
         choices=("cs", "csms", "both"))
    both("strictness", "strict: 1.6 error-code spellings fail; compat: they only warn", choices=("strict", "compat"))
    both("decision-mode", "strict: unset policy keys end checks as 'needs decision'; pragmatic: documented defaults",
         choices=("strict", "pragmatic"))
    both("reports-dir", "where transcripts go (default: reports)")
    both("timeout", "seconds to wait for an expected message (default 10)")
    both("heartbeat-interval", "heartbeat interval (s) the harness CSMS gives in BootNotificationResponse (default 10)")
    both("tolerance", "allowed deviation (s) of measured timings (default 4, as the test labs use)")
    group.addoption("--ocpp-sim-fault", dest="ocpp_sim_fault", action="append", default=[],
                    help="turn on a fault switch of the built-in simulators (repeatable); see README")


def _setting(config: pytest.Config, name: str) -> Any:
    """CLI > environment (OCPP_<NAME>) > ini > None, as pytest-timeout does it."""
    value = config.getoption(f"ocpp_{name}")
    if value is None:
        value = os.environ.get(f"OCPP_{name.upper()}")
    if value is None:
        value = config.getini(f"ocpp_{name}")
    return value


def _build_settings(config: pytest.Config) -> Settings:
    settings = Settings()
    for name in ("strictness", "decision_mode", "reports_dir"):
        value = _setting(config, name)
        if value:
            setattr(settings, name, value)
    for name, field, kind in (("timeout", "default_timeout", float), ("heartbeat_interval", "heartbeat_interval", int),
                              ("tolerance", "tolerance", float)):
        value = _setting(config, name)
        if value:
            try:
                setattr(settings.timing, field, kind(value))
            except ValueError:
                flag = name.replace("_", "-")
                raise pytest.UsageError(
                    f"--ocpp-{flag} / OCPP_{name.upper()} / ocpp_{name}: {value!r} is not a number") from None
    settings.sim_faults = list(config.getoption("ocpp_sim_fault"))
    known = {f.name for f in dataclasses.fields(StationFaults)} | {f.name for f in dataclasses.fields(CsmsFaults)}
    unknown = sorted(set(settings.sim_faults) - known)
    if unknown:
        raise pytest.UsageError(f"--ocpp-sim-fault: unknown fault switch(es) {unknown}; known: {sorted(known)}")
    try:
        return Settings.model_validate(settings.model_dump())
    except ValidationError as exc:
        raise pytest.UsageError(f"ocpp-harness settings: {exc}") from None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ocpp_testcase(id): an OCPP conformance test case (set by @testcase)")
    config.stash[SETTINGS] = _build_settings(config)  # bad values stop the run here, naming their source


def pytest_report_header(config: pytest.Config) -> list[str]:
    role = _setting(config, "role") or "both"
    faults = config.getoption("ocpp_sim_fault")
    line = f"ocpp-harness: role={role} strictness={_setting(config, 'strictness') or 'strict'}"
    return [line + (f" sim-faults={','.join(faults)}" if faults else "")]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    role = _setting(config, "role") or "both"
    keep: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        meta = meta_of(getattr(item, "function", None))
        if meta is None:
            keep.append(item)
            continue
        for ini in _LOOP_INI:
            if config.getini(ini) != "session":
                raise pytest.UsageError(
                    f"ocpp-harness runs every test case on one event loop: set `{ini} = session` in the [pytest] "
                    f"section of your ini file (pyproject.toml: [tool.pytest.ini_options]); it is "
                    f"{config.getini(ini)!r}")
        item.stash[META] = meta
        item.add_marker(pytest.mark.ocpp_testcase(meta.id))
        item.user_properties.append(("ocpp_id", meta.id))
        if role == "both" or meta.sut.lower() == role:
            keep.append(item)
        else:
            deselected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = keep


# ---- verdict ---------------------------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    run = item.stash.get(CASE_RUN, None)
    if run is None:
        return (yield)
    run.start()
    passed = False
    try:
        result = yield
        passed = True
        return result
    except NeedsDecision as exc:
        pytest.skip(str(exc))
    finally:
        run.finish(passed=passed)


# ---- fixtures --------------------------------------------------------------------------------------------------
def _run_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24))


@pytest.fixture(scope="session")
def ocpp_settings(pytestconfig: pytest.Config) -> Settings:
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def ocpp_schemas(pytestconfig: pytest.Config) -> SchemaStore:
    manifest = Path(str(pytestconfig.rootpath)) / "schemas" / "ocpp-2.0.1.sha256"
    return SchemaStore(manifest=manifest if manifest.is_file() else None)


@pytest.fixture(scope="session")
def station_password(ocpp_settings: Settings) -> str:
    """Basic Auth password of the Charging Station under test (env var, else a fresh one per run)."""
    return secret(ocpp_settings.station.password_env, _run_password())


@pytest.fixture(scope="session")
def harness_station_password(ocpp_settings: Settings) -> str:
    """Basic Auth password the harness's station uses toward the CSMS under test."""
    return secret(ocpp_settings.csms.password_env, _run_password())


def _faults(cls: Any, names: list[str]) -> Any:
    fields = {f.name for f in dataclasses.fields(cls)}
    return cls(**{n: True for n in names if n in fields})


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def csms_endpoint(ocpp_settings: Settings, ocpp_schemas: SchemaStore,
                        station_password: str) -> AsyncIterator[CsmsEndpoint]:
    lobby = Path(ocpp_settings.reports_dir) / "transcripts" / "_between-tests.jsonl"
    endpoint = CsmsEndpoint(ocpp_settings, ocpp_schemas, station_password, lobby_transcript=lobby)
    await endpoint.start()
    yield endpoint
    await endpoint.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def builtin_station(ocpp_settings: Settings, csms_endpoint: CsmsEndpoint,
                          station_password: str) -> AsyncIterator[StationSimulator | None]:
    """The built-in station simulator as SUT, when the settings name no real station."""
    if not ocpp_settings.station.builtin:
        yield None
        return
    sim = StationSimulator(StationConfig(identity=ocpp_settings.station.identity, csms_url=csms_endpoint.server.url,
                                         password=station_password, evses=list(ocpp_settings.station.evses),
                                         faults=_faults(StationFaults, ocpp_settings.sim_faults)))
    await sim.start()
    # Part 6 §2.1 precondition: the station is Accepted before the first test (a faulty one may never be).
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sim.booted.wait(), ocpp_settings.timing.default_timeout)
    yield sim
    await sim.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def builtin_csms(ocpp_settings: Settings, harness_station_password: str) -> AsyncIterator[CsmsSimulator | None]:
    """The built-in CSMS simulator as SUT, when the settings name no real CSMS."""
    if not ocpp_settings.csms.builtin:
        yield None
        return
    sim = CsmsSimulator(CsmsConfig(stations={ocpp_settings.csms.identity: harness_station_password},
                                   heartbeat_interval=ocpp_settings.timing.heartbeat_interval,
                                   boot_retry_interval=ocpp_settings.timing.boot_retry_interval,
                                   faults=_faults(CsmsFaults, ocpp_settings.sim_faults)))
    await sim.start()
    yield sim
    await sim.stop()


def _meta(request: pytest.FixtureRequest) -> TestCaseMeta:
    meta: TestCaseMeta | None = request.node.stash.get(META, None)
    if meta is None:
        raise ConfigError(f"{request.node.nodeid} uses an OCPP role fixture but has no @testcase metadata")
    return meta


def _case_run(request: pytest.FixtureRequest, settings: Settings) -> CaseRun:
    run: CaseRun | None = request.node.stash.get(CASE_RUN, None)
    if run is None:
        run = CaseRun(_meta(request), settings)
        request.node.stash[CASE_RUN] = run
    return run


@pytest_asyncio.fixture(loop_scope="session")
async def csms(request: pytest.FixtureRequest, ocpp_settings: Settings, csms_endpoint: CsmsEndpoint,
               builtin_station: StationSimulator | None) -> AsyncIterator[CsmsRole]:
    """The harness acting as CSMS; the SUT is the Charging Station."""
    run = _case_run(request, ocpp_settings)
    role = csms_endpoint.begin(run.transcript(), reporter=run.reporter, requirements=run.meta.requirements)
    run.add(role)
    try:
        yield role
    finally:
        csms_endpoint.end(role)


@pytest_asyncio.fixture(loop_scope="session")
async def station(request: pytest.FixtureRequest, ocpp_settings: Settings, ocpp_schemas: SchemaStore,
                  builtin_csms: CsmsSimulator | None, harness_station_password: str) -> AsyncIterator[StationRole]:
    """The harness acting as a Charging Station; the SUT is the CSMS."""
    run = _case_run(request, ocpp_settings)
    url = builtin_csms.url if builtin_csms is not None else ocpp_settings.csms.url
    if not url:
        raise ConfigError("no CSMS to test: set csms.url in the settings, or use the built-in CSMS simulator")
    role = StationRole(ocpp_settings, ocpp_schemas, run.transcript(), csms_url=url,
                       password=harness_station_password, reporter=run.reporter, requirements=run.meta.requirements)
    run.add(role)
    try:
        yield role
    finally:
        await role.close()


@pytest_asyncio.fixture(loop_scope="session")
async def sut(request: pytest.FixtureRequest) -> AsyncIterator[StationControl | CsmsControl]:
    """The control adapter of this test case's SUT: manual actions on a station, operator actions on a CSMS."""
    meta = _meta(request)
    if meta.sut == "CS":
        builtin_station = request.getfixturevalue("builtin_station")
        if builtin_station is None:
            raise ConfigError("no control adapter for the station under test (the profile issue adds HTTP/prompt)")
        yield SimulatedStationControl(builtin_station)
        return
    builtin_csms = request.getfixturevalue("builtin_csms")
    if builtin_csms is None:
        raise ConfigError("no control adapter for the CSMS under test (the profile issue adds HTTP/prompt)")
    control = SimulatedCsmsControl(builtin_csms)
    try:
        yield control
    finally:
        await control.aclose()


@pytest.fixture
def ocpp_case(request: pytest.FixtureRequest, ocpp_settings: Settings) -> Iterator[CaseRun]:
    """The running case (metadata, reporter) for tests that need it directly."""
    yield _case_run(request, ocpp_settings)
