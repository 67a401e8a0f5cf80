"""The fixtures: they are the API (DESIGN.md §3 rule 3); override them in a conftest.py to point the suite
elsewhere."""

from __future__ import annotations

import secrets
import string
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import cast

import pytest
import pytest_asyncio

from harness import resources
from harness.config import Settings, secret
from harness.control import CsmsControl, StationControl, adapter_for
from harness.errors import ConfigError
from harness.fileserver import FirmwareServer, LogReceiver
from harness.ocppj import SchemaStore
from harness.pki import PkiFactory, private_pki
from harness.pytest_plugin.keys import (
    ATTACHED_UPLOAD_MAX,
    CASE_RUN,
    META,
    REQUIREMENT_URL_KEY,
    SETTINGS,
)
from harness.pytest_plugin.operator import ask_at_terminal
from harness.reporting import AllureReporter
from harness.roles import CsmsEndpoint, CsmsRole, StationRole
from harness.simulators import builtin
from harness.simulators.builtin import BuiltinSut
from harness.usecase.runner import CaseRun
from harness.usecase.states import return_to_idle
from harness.usecase.testcase import TestCaseMeta


# ---- fixtures --------------------------------------------------------------------------------------------------
def _run_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24))


@pytest.fixture(scope="session")
def ocpp_settings(pytestconfig: pytest.Config) -> Settings:
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def ocpp_schemas(pytestconfig: pytest.Config) -> SchemaStore:
    return SchemaStore(manifest=resources.schema_manifest())  # the harness's own, wherever pytest runs


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
    lobby = ocpp_settings.own(Path(ocpp_settings.reports_dir) / "transcripts" / "_between-tests.jsonl")
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
                                   log_dir=ocpp_settings.own(Path(ocpp_settings.reports_dir) / "csms-simulator"))
    yield sut
    await sut.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ocpp_log_receiver(ocpp_settings: Settings, ocpp_pki: PkiFactory) -> AsyncIterator[LogReceiver]:
    """The run's log receiver (GetLog log.remoteLocation) on 127.0.0.1: HTTPS with the run's PKI server certificate
    when the station under test uses security profile 2 or 3, HTTP at 1; uploads kept under the reports dir."""
    tls = ocpp_pki.server_context(2) if ocpp_settings.station.security.profile >= 2 else None
    folder = Path(ocpp_settings.reports_dir)
    receiver = LogReceiver(folder / f"worker-{ocpp_settings.worker}" if ocpp_settings.worker else folder, ssl=tls,
                           host=ocpp_settings.station.endpoint.host)
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
    control = adapter_for(profile, journal=run.journal, ask=ask_at_terminal(request.config), simulator=simulator, url=url)
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
