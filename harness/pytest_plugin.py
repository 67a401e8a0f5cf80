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
import importlib.metadata
import json
import os
import secrets
import string
import sys
import time
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Any, Literal, cast

import pytest
import pytest_asyncio
from pydantic import ValidationError

from harness.config import POLICY_DEFAULTS, Settings, secret
from harness.control import Ask, CsmsControl, StationControl, adapter_for
from harness.errors import ConfigError
from harness.failures import NeedsDecision, NotApplicable
from harness.fileserver import FirmwareServer, LogReceiver
from harness.ocppj import SchemaStore
from harness.pki import PkiFactory, private_pki
from harness.reporting import REQUIREMENT_URL, AllureReporter
from harness.reporting.allure_files import write_allure_files
from harness.reporting.verdicts import CaseResult, GatingPolicy, Outcome, gate, summarize, to_json, to_markdown
from harness.roles import CsmsEndpoint, CsmsRole, StationRole
from harness.simulators import CsmsFaults, CsmsVariants, StationFaults, StationVariants, builtin
from harness.simulators.builtin import BuiltinSut
from harness.usecase.loader import SourceError, load_profile, load_scenario, read_yaml, validate
from harness.usecase.runner import CaseRun
from harness.usecase.scenario import Scenario, scenario_files
from harness.usecase.states import return_to_idle
from harness.usecase.testcase import PROFILES, TestCaseMeta, meta_of, not_applicable

CASE_RUN = pytest.StashKey[CaseRun]()
ROLE = pytest.StashKey[str]()
SETTINGS = pytest.StashKey[Settings]()
META = pytest.StashKey[TestCaseMeta]()
RESULTS = pytest.StashKey[dict[str, CaseResult]]()  # nodeid -> the case's verdict so far
GATE = pytest.StashKey[GatingPolicy | None]()
REQUIREMENT_URL_KEY = pytest.StashKey[str]()
ATTACHED_UPLOAD_MAX = 256 * 1024  # larger uploads are attached by name, size and sha256 only (the file stays on disk)
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
    both("pki-dir", "keep the run's CSMS root and station CA (with their keys) in this directory and reuse them on "
                    "later runs, so a lab's station or CSMS can trust them once (default: a private directory per run, "
                    "removed after it)")
    both("security-profile", "run with both SUT profiles set to this security profile (1: ws + Basic Auth, 2: TLS + "
                             "Basic Auth, 3: mutual TLS), overriding their `security.profile`", choices=("1", "2", "3"))
    both("after-failure", "a station SUT after a case failed half-way: idle (default: stop transactions, unplug, "
                          "clear faults, so later cases fail only for their own reasons) or leave (as it is, to "
                          "debug)", choices=("idle", "leave"))
    both("timeout", "seconds to wait for an expected message (default 10)")
    both("heartbeat-interval", "heartbeat interval (s) the harness CSMS gives in BootNotificationResponse (default 10)")
    both("tolerance", "allowed deviation (s) of measured timings (default 4, as the test labs use)")
    group.addoption("--ocpp-sut", dest="ocpp_sut", action="append", default=[], metavar="PATH",
                    help="SUT profile YAML (repeatable: one station, one CSMS); without one, the built-in simulators")
    parser.addini("ocpp_sut", "SUT profile file(s)", type="paths", default=[])
    both("cert-profile", "run only the test cases of this certification profile (Core, AdvSec, LocalAuth, …); "
                         "the project's Framework checks always run")
    both("gate", "gating policy YAML: which results fail the build (exit 1) and which only warn; without one "
                 "pytest's own exit code stands (the summary is written either way)")
    both("requirement-url", "link of a requirement id in the report, {id} replaced by the id (default: the OCA site's "
                            f"search, {REQUIREMENT_URL})")
    group.addoption("--ocpp-profile-pass", dest="ocpp_profile_pass", action="store_true", default=False,
                    help="this run is one pass of a run per security profile (`make demo`): select only the cases "
                         "whose lowest security profile is this run's, so each case runs once, at that profile")
    group.addoption("--ocpp-sim-fault", dest="ocpp_sim_fault", action="append", default=[],
                    help="turn on a fault switch of the built-in simulators (repeatable); see README")
    group.addoption("--ocpp-policy", dest="ocpp_policy", action="append", default=[], metavar="KEY=VALUE",
                    help="answer a policy key for this run (repeatable; VALUE is JSON, else a string), e.g. "
                         "beyond_part6=fail; a SUT profile's own answer wins")
    group.addoption("--ocpp-sim-variant", dest="ocpp_sim_variant", action="append", default=[],
                    help="make a built-in simulator take a legal alternative behaviour, e.g. "
                         "availability_by_notify_event (station) or pending_interval_zero (CSMS) (repeatable); "
                         "every case must still pass")
    _addoption_cli(group)


def _addoption_cli(group: pytest.OptionGroup) -> None:
    """Options the `ocpp-harness` command sets for its child pytest (`list`, `run`)."""
    group.addoption("--ocpp-catalogue", dest="ocpp_catalogue", metavar="PATH",
                    help="write the collected test cases (metadata and applicability for the SUT profiles) to PATH "
                         "as JSON; with --collect-only this is `ocpp-harness list`")
    group.addoption("--ocpp-progress", dest="ocpp_progress", action="store_true", default=False,
                    help="one line per finished test case: [n/total] id verdict duration (elapsed)")


def _setting(config: pytest.Config, name: str) -> Any:
    """CLI > environment (OCPP_<NAME>) > ini > None, as pytest-timeout does it."""
    value = config.getoption(f"ocpp_{name}")
    if value is None:
        value = os.environ.get(f"OCPP_{name.upper()}")
    if value is None:
        value = config.getini(f"ocpp_{name}")
    return value


def _profiles(config: pytest.Config) -> list[Path]:
    """CLI > environment (OCPP_SUT, os.pathsep-separated) > ini."""
    given: list[str] = list(config.getoption("ocpp_sut"))
    if not given and os.environ.get("OCPP_SUT"):
        given = [p for p in os.environ["OCPP_SUT"].split(os.pathsep) if p]
    if given:
        return [Path(p) for p in given]
    return [Path(p) for p in config.getini("ocpp_sut")]


def _load_profiles(config: pytest.Config, settings: Settings) -> None:
    seen: dict[str, Path] = {}
    for path in _profiles(config):
        try:
            profile = load_profile(path)
        except SourceError as exc:
            raise pytest.UsageError("SUT profile is not valid:\n  " + "\n  ".join(exc.problems)) from None
        if profile.kind in seen:
            raise pytest.UsageError(f"--ocpp-sut: {path} and {seen[profile.kind]} both describe a {profile.kind}; "
                                    "give at most one station and one CSMS profile")
        seen[profile.kind] = path
        missing = [ca for ca in profile.security.trusted_ca if not Path(ca).is_file()]
        if missing:
            raise pytest.UsageError(f"SUT profile {path}: security.trusted_ca: no such file {', '.join(missing)}")
        if profile.kind == "station":
            settings.station = profile
        else:
            settings.csms = profile
    if _setting(config, "role") is None and len(seen) == 1:
        config.stash[ROLE] = "cs" if "station" in seen else "csms"  # a station profile alone: test that station


def _build_settings(config: pytest.Config) -> Settings:
    settings = Settings()
    _load_profiles(config, settings)
    settings.cert_profile = _setting(config, "cert_profile") or None
    if settings.cert_profile is not None and settings.cert_profile not in PROFILES:
        raise pytest.UsageError(f"--ocpp-cert-profile: {settings.cert_profile!r} is not one of {sorted(PROFILES)}")
    for name in ("strictness", "decision_mode", "reports_dir", "pki_dir", "after_failure"):
        value = _setting(config, name)
        if value:
            setattr(settings, name, value)
    for name, target, field, kind in (("timeout", settings.timing, "default_timeout", float),
                                      ("heartbeat_interval", settings.station.configured, "heartbeat_interval", int),
                                      ("tolerance", settings.timing, "tolerance", float)):
        value = _setting(config, name)
        if value:
            try:
                setattr(target, field, kind(value))
            except ValueError:
                flag = name.replace("_", "-")
                raise pytest.UsageError(
                    f"--ocpp-{flag} / OCPP_{name.upper()} / ocpp_{name}: {value!r} is not a number") from None
    reports = Path(settings.reports_dir).resolve()
    if settings.pki_dir is not None and reports in (pki := Path(settings.pki_dir).resolve(), *pki.parents):
        raise pytest.UsageError(f"--ocpp-pki-dir {settings.pki_dir} lies inside the reports directory "
                                f"{settings.reports_dir}: CA keys must never be part of a report")
    security = _setting(config, "security_profile")
    if security:
        levels: dict[str, Literal[1, 2, 3]] = {"1": 1, "2": 2, "3": 3}
        if security not in levels:
            raise pytest.UsageError(f"--ocpp-security-profile / ocpp_security_profile: {security!r} is not 1, 2 or 3")
        settings.station.security.profile = settings.csms.security.profile = levels[security]
    for given in config.getoption("ocpp_policy"):
        key, sep, value = given.partition("=")
        if not sep or key not in POLICY_DEFAULTS:
            raise pytest.UsageError(f"--ocpp-policy {given!r}: give KEY=VALUE with KEY one of {sorted(POLICY_DEFAULTS)}")
        try:
            settings.policies[key] = json.loads(value)
        except json.JSONDecodeError:
            settings.policies[key] = value
    settings.sim_faults = list(config.getoption("ocpp_sim_fault"))
    settings.sim_variants = list(config.getoption("ocpp_sim_variant"))
    variants = {f.name for f in dataclasses.fields(StationVariants)} | {f.name for f in dataclasses.fields(CsmsVariants)}
    if set(settings.sim_variants) - variants:
        raise pytest.UsageError(f"--ocpp-sim-variant: unknown variant(s) {sorted(set(settings.sim_variants) - variants)}; "
                                f"known: {sorted(variants)}")
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
    if config.getoption("ocpp_progress"):
        config.pluginmanager.register(ProgressLines(config), "ocpp-progress")
    config.stash[RESULTS] = {}
    config.stash[GATE] = None
    config.stash[REQUIREMENT_URL_KEY] = _setting(config, "requirement_url") or REQUIREMENT_URL
    if "{id}" not in config.stash[REQUIREMENT_URL_KEY]:
        raise pytest.UsageError(f"--ocpp-requirement-url / OCPP_REQUIREMENT_URL / ocpp_requirement_url: "
                                f"{config.stash[REQUIREMENT_URL_KEY]!r} has no {{id}} placeholder")
    gate_file = _setting(config, "gate")
    if gate_file:
        try:
            config.stash[GATE] = validate(read_yaml(gate_file), GatingPolicy, what="gating policy")
        except SourceError as exc:
            raise pytest.UsageError("gating policy is not valid:\n  " + "\n  ".join(exc.problems)) from None


def _role(config: pytest.Config) -> str:
    return str(_setting(config, "role") or config.stash.get(ROLE, "both"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[SETTINGS]
    faults = config.getoption("ocpp_sim_fault")
    line = f"ocpp-harness: role={_role(config)} strictness={settings.strictness}"
    if settings.cert_profile:
        line += f" cert-profile={settings.cert_profile}"
    suts = [f"{p.kind}={p.name or p.identity}" + (" (built-in)" if p.builtin else "")
            for p in (settings.station, settings.csms)]
    return [line + (f" sim-faults={','.join(faults)}" if faults else ""), "ocpp-harness SUTs: " + ", ".join(suts)]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    role = _role(config)
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
        for ini in _LOOP_INI:
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
    except (NeedsDecision, NotApplicable) as exc:
        pytest.skip(str(exc))
    except Exception:
        run.failed_midway = True
        raise
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
    return secret(ocpp_settings.station.security.password_env, _run_password())


@pytest.fixture(scope="session")
def harness_station_password(ocpp_settings: Settings) -> str:
    """Basic Auth password the harness's station uses toward the CSMS under test."""
    return secret(ocpp_settings.csms.security.password_env, _run_password())


@pytest.fixture(scope="session")
def ocpp_pki(ocpp_settings: Settings) -> Iterator[PkiFactory]:
    """The run's PKI: CA, server and station certificates for security profiles 2 and 3, the signer of CSRs and
    firmware. It lives in a private temporary directory (0700, never under the reports), removed at session end;
    with --ocpp-pki-dir its authorities are kept in that directory for later runs. Nothing is generated until a
    case asks for it. The CA files the SUT profiles name are trusted beside its roots."""
    with private_pki(host=ocpp_settings.station.endpoint.host,
                     csms_trust=[Path(p) for p in ocpp_settings.csms.security.trusted_ca],
                     station_trust=[Path(p) for p in ocpp_settings.station.security.trusted_ca],
                     kept=Path(ocpp_settings.pki_dir) if ocpp_settings.pki_dir else None) as pki:
        yield pki


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def csms_endpoint(ocpp_settings: Settings, ocpp_schemas: SchemaStore, station_password: str,
                        ocpp_pki: PkiFactory | None) -> AsyncIterator[CsmsEndpoint]:
    lobby = Path(ocpp_settings.reports_dir) / "transcripts" / "_between-tests.jsonl"
    endpoint = CsmsEndpoint(ocpp_settings, ocpp_schemas, station_password, lobby_transcript=lobby, pki=ocpp_pki)
    await endpoint.start()
    yield endpoint
    await endpoint.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def builtin_station(ocpp_settings: Settings, csms_endpoint: CsmsEndpoint, station_password: str,
                          ocpp_pki: PkiFactory | None) -> AsyncIterator[BuiltinSut | None]:
    """The built-in station simulator and its HTTP control API, when the station profile is the built-in one."""
    if not ocpp_settings.station.builtin:
        yield None
        return
    sut = await builtin.start_station(ocpp_settings.station, csms_url=csms_endpoint.server.url,
                                      password=station_password, faults=ocpp_settings.sim_faults,
                                      variants=ocpp_settings.sim_variants,
                                      boot_timeout=ocpp_settings.timing.default_timeout, pki=ocpp_pki)
    yield sut
    await sut.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def builtin_csms(ocpp_settings: Settings, harness_station_password: str,
                       ocpp_pki: PkiFactory | None) -> AsyncIterator[BuiltinSut | None]:
    """The built-in CSMS simulator and its HTTP control API, when the CSMS profile is the built-in one."""
    if not ocpp_settings.csms.builtin:
        yield None
        return
    configured = ocpp_settings.csms.configured
    sut = await builtin.start_csms(ocpp_settings.csms, password=harness_station_password,
                                   faults=ocpp_settings.sim_faults, variants=ocpp_settings.sim_variants,
                                   heartbeat_interval=configured.heartbeat_interval,
                                   boot_retry_interval=configured.boot_retry_interval, pki=ocpp_pki,
                                   log_dir=Path(ocpp_settings.reports_dir) / "csms-simulator")
    yield sut
    await sut.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ocpp_log_receiver(ocpp_settings: Settings, ocpp_pki: PkiFactory) -> AsyncIterator[LogReceiver]:
    """The run's log receiver (GetLog log.remoteLocation) on 127.0.0.1: HTTPS with the run's PKI server certificate
    when the station under test uses security profile 2 or 3, HTTP at 1; uploads kept under the reports dir."""
    tls = ocpp_pki.server_context(2) if ocpp_settings.station.security.profile >= 2 else None
    receiver = LogReceiver(Path(ocpp_settings.reports_dir), ssl=tls, host=ocpp_settings.station.endpoint.host)
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def log_receiver(request: pytest.FixtureRequest, ocpp_settings: Settings,
                       ocpp_log_receiver: LogReceiver) -> AsyncIterator[LogReceiver]:
    """The log receiver for one case; what the station uploads during it is attached to the case's report (name,
    size, sha256; small files themselves)."""
    seen = len(ocpp_log_receiver.uploads)
    yield ocpp_log_receiver
    uploads = ocpp_log_receiver.uploads[seen:]
    if not uploads or request.node.stash.get(META, None) is None:
        return
    reporter = _case_run(request, ocpp_settings).reporter
    reporter.attach_json("log uploads", [u.to_json() for u in uploads])
    for upload in uploads:
        if upload.size <= ATTACHED_UPLOAD_MAX:
            reporter.attach_file(upload.path, f"log upload {upload.seq}: {upload.filename}")


@pytest_asyncio.fixture(loop_scope="session")
async def firmware_server(ocpp_settings: Settings, ocpp_pki: PkiFactory) -> AsyncIterator[FirmwareServer]:
    """Where the harness CSMS publishes firmware for UpdateFirmware (L01): 127.0.0.1, a free port, HTTPS with the
    run's server certificate when the station under test uses security profile 2 or 3, plain HTTP at 1. One per
    test case, so its request records are that case's alone."""
    tls = ocpp_pki.server_context(2) if ocpp_settings.station.security.profile >= 2 else None
    async with FirmwareServer(ssl=tls, host=ocpp_settings.station.endpoint.host) as server:
        yield server


def _meta(request: pytest.FixtureRequest) -> TestCaseMeta:
    meta: TestCaseMeta | None = request.node.stash.get(META, None)
    if meta is None:
        raise ConfigError(f"{request.node.nodeid} uses an OCPP role fixture but has no @testcase metadata")
    return meta


def _case_run(request: pytest.FixtureRequest, settings: Settings) -> CaseRun:
    run: CaseRun | None = request.node.stash.get(CASE_RUN, None)
    if run is None:
        run = CaseRun(_meta(request), settings, AllureReporter(request.config.stash[REQUIREMENT_URL_KEY]))
        request.node.stash[CASE_RUN] = run
    return run


@pytest_asyncio.fixture(loop_scope="session")
async def csms(request: pytest.FixtureRequest, ocpp_settings: Settings, csms_endpoint: CsmsEndpoint,
               builtin_station: BuiltinSut | None) -> AsyncIterator[CsmsRole]:
    """The harness acting as CSMS; the SUT is the Charging Station."""
    run = _case_run(request, ocpp_settings)
    role = csms_endpoint.begin(run.transcript(), reporter=run.reporter, requirements=run.meta.requirements)
    run.add(role)
    try:
        yield role
    finally:
        restored = await role.restore_configuration()  # what the case configured goes back, also after a failure
        if restored:
            run.note_cleanup("Cleanup: restore the station's configuration", restored)
        csms_endpoint.end(role)


@pytest_asyncio.fixture(loop_scope="session")
async def station(request: pytest.FixtureRequest, ocpp_settings: Settings, ocpp_schemas: SchemaStore,
                  builtin_csms: BuiltinSut | None, harness_station_password: str,
                  ocpp_pki: PkiFactory | None) -> AsyncIterator[StationRole]:
    """The harness acting as a Charging Station; the SUT is the CSMS."""
    run = _case_run(request, ocpp_settings)
    url = builtin_csms.simulator.url if builtin_csms is not None else ocpp_settings.csms.endpoint.url
    role = StationRole(ocpp_settings, ocpp_schemas, run.transcript(), csms_url=url, password=harness_station_password,
                       evses=ocpp_settings.csms.connectors, reporter=run.reporter, requirements=run.meta.requirements,
                       pki=ocpp_pki)
    run.add(role)
    try:
        yield role
    finally:
        await role.close()


def _ask(config: pytest.Config) -> Ask:
    """How the prompt adapter asks the operator: on the real terminal, with pytest's capturing paused, waiting
    for the answer without blocking the event loop (the SUT keeps talking meanwhile)."""

    async def ask(question: str, timeout: float) -> str:
        capture = config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            capture.suspend_global_capture(in_=True)  # stdin too: the answer comes from the real terminal
        try:
            sys.stdout.write("\n" + question)
            sys.stdout.flush()
            loop = asyncio.get_running_loop()
            ready: asyncio.Future[None] = loop.create_future()
            fd = sys.stdin.fileno()

            def readable() -> None:
                if not ready.done():
                    ready.set_result(None)

            loop.add_reader(fd, readable)
            try:
                async with asyncio.timeout(timeout):
                    await ready
            finally:
                loop.remove_reader(fd)
            line = sys.stdin.readline()
        finally:
            if capture is not None:
                capture.resume_global_capture()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    return ask


@pytest_asyncio.fixture(loop_scope="session")
async def sut(request: pytest.FixtureRequest, ocpp_settings: Settings) -> AsyncIterator[StationControl | CsmsControl]:
    """The control adapter of this test case's SUT, as its profile says (the built-in simulators: their HTTP API).
    Every action it performs is journaled into the case's transcript and report."""
    meta = _meta(request)
    run = _case_run(request, ocpp_settings)
    profile = ocpp_settings.profile_of(meta.sut)
    builtin: BuiltinSut | None = None
    if profile.builtin:
        builtin = request.getfixturevalue("builtin_station" if meta.sut == "CS" else "builtin_csms")
    simulator = builtin.simulator if builtin is not None else None
    url = builtin.control_url if builtin is not None and not profile.control.url else None
    control = adapter_for(profile, journal=run.journal, ask=_ask(request.config), simulator=simulator, url=url)
    try:
        yield control
    finally:
        conv = run.conversations[0] if run.conversations else None
        if isinstance(conv, CsmsRole) and meta.sut == "CS" and (not run.failed_midway
                                                                or ocpp_settings.after_failure == "idle"):
            # Part 6 §2.1: every case starts from an idle station. A case ends where its table ends (often
            # charging), a failure half-way anywhere: stop transactions, unplug, clear faults, as the OCTT does
            # between cases, or every later case fails too.
            notes = await return_to_idle(conv, cast(StationControl, control),
                                         within=3 * ocpp_settings.timing.default_timeout)
            if notes:
                title = "After the failure: return the station to idle" if run.failed_midway else \
                    "Cleanup: return the station to idle"
                run.note_cleanup(title, notes)
        await control.aclose()


@pytest.fixture
def ocpp_case(request: pytest.FixtureRequest, ocpp_settings: Settings) -> Iterator[CaseRun]:
    """The running case (metadata, reporter) for tests that need it directly."""
    yield _case_run(request, ocpp_settings)


# ---- verdicts for CI: summary per certification profile, gating policy --------------------------------------------
def _outcome(report: pytest.TestReport, call: pytest.CallInfo[None]) -> tuple[Outcome, str]:
    """The verdict class of one phase's report, and its reason."""
    if report.skipped:
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if reason.startswith("not applicable"):
            return "not_applicable", reason
        return ("needs_decision" if reason.startswith("needs decision") else "skipped"), reason
    if report.failed:
        first = str(call.excinfo.value).splitlines()[0] if call.excinfo is not None else ""
        conformance = call.excinfo is not None and isinstance(call.excinfo.value, AssertionError)
        return ("failed" if report.when == "call" and conformance else "error"), first[:300]
    return "passed", ""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report: pytest.TestReport = yield
    meta = item.stash.get(META, None)
    if meta is None:
        return report
    results = item.config.stash[RESULTS]
    outcome, reason = _outcome(report, call)
    earlier = results.get(item.nodeid)
    # setup decides skips and errors, call (run only after a good setup) the verdict; a teardown error spoils a pass
    if report.when in ("setup", "call") or (earlier is not None and earlier.outcome == "passed" and outcome == "error"):
        run = item.stash.get(CASE_RUN, None)
        results[item.nodeid] = CaseResult(meta.id, meta.title, meta.sut, meta.severity, meta.profiles,
                                          meta.requirements, outcome, reason,
                                          tuple(run.beyond_part6()) if run is not None else ())
    return report


def _sut_line(settings: Settings) -> dict[str, str]:
    line = {f"{p.kind}": f"{p.name or p.identity} ({p.vendor or '?'} {p.model or '?'}, firmware "
                         f"{p.firmware_version or '?'})" + (" built-in" if p.builtin else "")
            for p in (settings.station, settings.csms)}
    line["certification profile"] = settings.cert_profile or "all"
    return line


def _environment(settings: Settings) -> dict[str, str]:
    """What Allure's environment panel shows: the SUTs (no secrets: a profile holds none), the harness, the run."""
    try:
        harness_version = importlib.metadata.version("ocpp-harness")
    except importlib.metadata.PackageNotFoundError:
        harness_version = "unknown (not installed)"
    env = {"Harness": f"ocpp-harness {harness_version}", "Certification profile": settings.cert_profile or "all",
           "Strictness": settings.strictness, "Decision mode": settings.decision_mode}
    for label, p in (("Station under test", settings.station), ("CSMS under test", settings.csms)):
        env[label] = (f"{p.name or p.identity} | identity {p.identity} | {p.vendor or '?'} {p.model or '?'} | "
                      f"firmware {p.firmware_version or '?'} | security profile {p.security.profile}")
    return env


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write reports/summary.json and summary.md, and Allure's categories and environment; with a gating
    policy, its verdict is the exit code."""
    config = session.config
    allure_dir = getattr(config.option, "allure_report_dir", None)
    if allure_dir and RESULTS in config.stash:
        write_allure_files(Path(allure_dir), _environment(config.stash[SETTINGS]))
    results = list(config.stash.get(RESULTS, {}).values())
    if not results:
        return
    settings = config.stash[SETTINGS]
    policy = config.stash.get(GATE, None)
    verdict = gate(results, policy or GatingPolicy())
    summary = summarize(results, sut=_sut_line(settings), gate_result=verdict)
    out = Path(settings.reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(to_json(summary), encoding="utf-8")
    (out / "summary.md").write_text(to_markdown(summary), encoding="utf-8")
    if policy is not None and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        session.exitstatus = verdict.exit_code


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    results = list(config.stash.get(RESULTS, {}).values())
    policy = config.stash.get(GATE, None)
    if not results or policy is None:
        return
    verdict = gate(results, policy)
    terminalreporter.section("ocpp-harness gate")
    for line in verdict.failures:
        terminalreporter.write_line(f"FAILS THE BUILD  {line}")
    for line in verdict.warnings:
        terminalreporter.write_line(f"warning          {line}")
    terminalreporter.write_line(f"gate {'passed' if verdict.exit_code == 0 else 'failed'}: exit code "
                                f"{verdict.exit_code}; summary in {config.stash[SETTINGS].reports_dir}/summary.md")


# ---- catalogue (`ocpp-harness list`) ------------------------------------------------------------------------------
def _applicability(item: pytest.Item) -> str:
    """What the run would do with a collected case: the skip markers set above (PICS, security profile), or not."""
    skip = item.get_closest_marker("skip")
    if skip is None:
        return "applicable"
    reason = str(skip.kwargs.get("reason", skip.args[0] if skip.args else ""))
    return reason if reason.startswith("not applicable") else f"skipped: {reason}"


def _catalogue_entry(item: pytest.Item, root: Path) -> dict[str, Any]:
    meta = item.stash.get(META, None)
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    scenario, broken = params.get("ocpp_scenario"), params.get("ocpp_scenario_error")
    problems = broken.problems if isinstance(broken, SourceError) else []
    source = Path(scenario.source) if isinstance(scenario, Scenario) else Path(str(item.path))
    if problems:
        source = Path(problems[0].split(":", 1)[0])  # "file:line: what"
    with contextlib.suppress(ValueError):
        source = source.resolve().relative_to(root)
    if meta is None:
        return {"id": callspec.id if callspec is not None else item.name, "nodeid": item.nodeid,
                "source": str(source), "kind": "yaml" if problems else "python",
                "applicability": "broken: " + "; ".join(problems) if problems else "not an OCPP test case"}
    return {"id": meta.id, "nodeid": item.nodeid, "sut": meta.sut, "title": meta.title,
            "profiles": list(meta.profiles), "severity": meta.severity, "pics": meta.pics,
            "security": list(meta.security), "usecases": list(meta.usecases), "requirements": list(meta.requirements),
            "source": str(source), "kind": "yaml" if isinstance(scenario, Scenario) else "python",
            "applicability": _applicability(item)}


def pytest_collection_finish(session: pytest.Session) -> None:
    """With --ocpp-catalogue: write every selected case (after the role and certification-profile filters and the
    applicability decision of pytest_collection_modifyitems) as JSON."""
    config = session.config
    target = config.getoption("ocpp_catalogue")
    if not target:
        return
    settings = config.stash[SETTINGS]
    root = Path(str(config.rootpath)).resolve()
    catalogue = {"role": _role(config), "cert_profile": settings.cert_profile,
                 "suts": {p.kind: {"name": p.name or p.identity, "builtin": p.builtin,
                                   "security_profile": p.security.profile,
                                   "pics": sorted(k for k, v in p.pics.items() if v)}
                          for p in (settings.station, settings.csms)},
                 "cases": [_catalogue_entry(item, root) for item in session.items]}
    Path(target).write_text(json.dumps(catalogue, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")



# ---- progress (`ocpp-harness run`) -------------------------------------------------------------------------------
class ProgressLines:
    """With --ocpp-progress: one line per finished case, `[12/83] TC_B_01_CS passed 1.2s (elapsed 0:34)`, in
    place of pytest's progress dots (verbose output stays as pytest writes it). Registered by pytest_configure."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self.seconds: dict[str, float] = {}  # nodeid -> setup + call + teardown
        self.outcome: dict[str, tuple[str, str]] = {}  # nodeid -> first non-passing outcome, its reason

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        self.started = time.monotonic()
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and self.config.get_verbosity() <= 0:
            reporter.showfspath = False  # no "file.py " line before each case's progress line

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> Generator[None, Any, Any]:
        status = yield
        if self.config.get_verbosity() <= 0 and isinstance(status, tuple) and len(status) == 3:
            return status[0], "", ""  # no dot: the progress line says it
        return status

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration
        if report.passed or report.nodeid in self.outcome:
            return
        if report.skipped:
            reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
            self.outcome[report.nodeid] = ("skipped", reason.removeprefix("Skipped: "))
        else:
            lines = [ln for ln in report.longreprtext.splitlines() if ln.startswith("E ")]
            self.outcome[report.nodeid] = ("failed" if report.when == "call" else "error",
                                           lines[0][1:].strip() if lines else "")

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.done += 1
        outcome, reason = self.outcome.pop(nodeid, ("passed", ""))
        result = self.config.stash.get(RESULTS, {}).get(nodeid)
        if result is not None:  # an OCPP case: its verdict class (not_applicable, needs_decision …)
            outcome, reason = result.outcome, result.reason
        name = result.id if result is not None else nodeid
        elapsed = int(time.monotonic() - self.started)
        line = (f"[{self.done}/{self.total}] {name} {outcome} {self.seconds.pop(nodeid, 0.0):.1f}s "
                f"(elapsed {elapsed // 60}:{elapsed % 60:02d})")
        if reason and outcome != "passed":
            line += f": {reason[:100]}"
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line)
