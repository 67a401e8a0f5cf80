"""Options, settings and the SUT profiles: what a run is configured with (harness.options has the table)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from harness.config import POLICY_DEFAULTS, Settings
from harness.ocppj.monitor import password_problem
from harness.options import OPTIONS
from harness.profile import SutProfile
from harness.pytest_plugin.keys import (
    GATE,
    REQUIREMENT_URL_KEY,
    RESULTS,
    ROLE,
    SETTINGS,
)
from harness.pytest_plugin.progress import ProgressLines
from harness.pytest_plugin.verdicts import VerdictCollector
from harness.reporting import REQUIREMENT_URL
from harness.reporting.verdicts import GatingPolicy
from harness.roles.conversation import ANNOUNCERS
from harness.simulators import CsmsFaults, CsmsVariants, StationFaults, StationVariants
from harness.usecase.loader import SourceError, load_profile, read_yaml, validate
from harness.usecase.testcase import PROFILES


# ---- options ---------------------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    """The options of harness.options.OPTIONS (one table for the plugin, `ocpp-harness run` and the docs)."""
    group = parser.getgroup("ocpp", "OCPP 2.0.1 conformance harness")
    for opt in OPTIONS:
        choices = {"choices": opt.choices} if opt.choices else {}
        if opt.kind == "flag":
            group.addoption(opt.flag, dest=opt.dest, action="store_true", default=False, help=opt.help)
        elif opt.kind == "append":
            group.addoption(opt.flag, dest=opt.dest, action="append", default=[], metavar=opt.metavar, help=opt.help)
        else:
            group.addoption(opt.flag, dest=opt.dest, metavar=opt.metavar, help=opt.help, **choices)
        if opt.kind == "value":
            parser.addini(opt.dest, opt.help, default=None)
    parser.addini("ocpp_sut", "SUT profile file(s)", type="paths", default=[])


def _setting(config: pytest.Config, name: str) -> Any:
    """CLI > environment (OCPP_<NAME>) > ini > None, as pytest-timeout does it."""
    value = config.getoption(f"ocpp_{name}")
    if value is None:
        value = os.environ.get(f"OCPP_{name.upper()}")
    if value is None:
        value = config.getini(f"ocpp_{name}")
    return value


def _source(config: pytest.Config, name: str) -> str:
    """Where a setting came from, as the user gave it: the option, the environment variable or the ini key."""
    if config.getoption(f"ocpp_{name}") is not None:
        return f"--ocpp-{name.replace('_', '-')}"
    if os.environ.get(f"OCPP_{name.upper()}") is not None:
        return f"OCPP_{name.upper()}"
    return f"ini ocpp_{name}"


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
        if profile.pool and settings.worker:  # a parallel run: this worker tests its own SUT of the pool
            index = int(settings.worker.removeprefix("gw") or 0)
            if index >= len(profile.pool):
                raise pytest.UsageError(f"SUT profile {path}: pool has {len(profile.pool)} entries; worker "
                                        f"{settings.worker} needs entry {index}: run with -n {len(profile.pool)} or "
                                        "fewer")
            profile = profile.member(index)
        if profile.kind == "station":
            settings.station = profile
        else:
            settings.csms = profile
    role = _setting(config, "role")
    if role is None and len(seen) == 1:
        config.stash[ROLE] = "cs" if "station" in seen else "csms"  # a station profile alone: test that station
    elif role in ("cs", "csms") and len(seen) == 1 and {"cs": "station", "csms": "csms"}[role] not in seen:
        (kind, path), = seen.items()
        raise pytest.UsageError(f"--role {role} tests a {'station' if role == 'cs' else 'CSMS'}, but the only SUT "
                                f"profile, {path}, describes a {kind}: give --role "
                                f"{'cs' if kind == 'station' else 'csms'} or a {'station' if role == 'cs' else 'CSMS'} "
                                "profile")


def _tested(config: pytest.Config, settings: Settings) -> list[SutProfile]:
    """The SUT profiles of a lab's SUTs this run tests (not the built-in simulators)."""
    role = role_of(config)
    return [p for kind, p in (("cs", settings.station), ("csms", settings.csms))
            if role in (kind, "both") and not p.builtin]


def _check_secrets(config: pytest.Config, settings: Settings) -> None:
    """The environment variables a lab's SUT profile names are set, and the password keeps the Basic Auth rule:
    a set-up mistake, never a failure of the SUT. `list` (collect only) needs none of them."""
    if config.getoption("collectonly"):
        return
    for profile in _tested(config, settings):
        security = profile.security
        if security.profile < 3 and security.password_env:
            password = os.environ.get(security.password_env)
            if not password:
                raise pytest.UsageError(f"{profile.kind} profile {profile.name or profile.identity}: "
                                        f"security.password_env names {security.password_env}, which is not set: "
                                        f"export {security.password_env}=<the Basic Auth password of "
                                        f"{profile.identity}>")
            problem = password_problem(password)
            if problem is not None:
                raise pytest.UsageError(f"{profile.kind} profile {profile.name or profile.identity}: the {problem} "
                                        f"(OCPP 2.0.1 passwordString: 16 to 40 of A-Z a-z 0-9 *-_=:+|@. and the "
                                        f"errata's specials); ${security.password_env} breaks it")
        token = profile.control.token_env
        if profile.control.adapter == "http" and token and not os.environ.get(token):
            raise pytest.UsageError(f"{profile.kind} profile {profile.name or profile.identity}: control.token_env "
                                    f"names {token}, which is not set: export {token}=<the control API's token>")


def _build_settings(config: pytest.Config) -> Settings:
    settings = Settings()
    worker = getattr(config, "workerinput", {}).get("workerid", "")  # pytest-xdist: gw0, gw1, …
    settings.worker = worker
    _load_profiles(config, settings)
    given = _setting(config, "cert_profile") or None
    settings.cert_profile = given and {p.lower(): p for p in PROFILES}.get(given.lower(), given)  # `core` is Core
    if settings.cert_profile is not None and settings.cert_profile not in PROFILES:
        raise pytest.UsageError(f"{_source(config, 'cert_profile')}: {given!r} is not a certification profile; "
                                f"one of {', '.join(sorted(PROFILES))}")
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
    _check_secrets(config, settings)
    try:
        return Settings.model_validate(settings.model_dump())
    except ValidationError as exc:
        raise pytest.UsageError(f"ocpp-harness settings: {exc}") from None


PREFLIGHT_TIMEOUT = 5.0  # seconds a TCP connection to a lab's CSMS or control API may take at session start


def _reachable(url: str) -> str | None:
    """None when something accepts a TCP connection at the URL's host and port, else why not."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"ws": 80, "http": 80, "wss": 443, "https": 443}.get(parts.scheme)
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if not parts.hostname or port is None:
        return "not a ws://, wss://, http:// or https:// URL with a host"
    try:
        socket.create_connection((parts.hostname, port), timeout=PREFLIGHT_TIMEOUT).close()
    except OSError as exc:
        return f"nothing answers on {parts.hostname}:{port} ({exc.strerror or exc})"
    return None


def _preflight(config: pytest.Config, settings: Settings) -> None:
    """Before any case: the lab's CSMS and the control APIs the run needs accept a connection, so an address that
    nothing answers on stops the run with one line, not with an error per case."""
    if config.getoption("collectonly") or hasattr(config, "workerinput"):
        return
    for profile in _tested(config, settings):
        targets = [("endpoint.url", profile.endpoint.url)] if profile.kind == "csms" else []
        if profile.control.adapter == "http":
            targets.append(("control.url", profile.control.url))
        for key, url in targets:
            why = _reachable(url.replace("{identity}", "x"))
            if why is not None:
                raise pytest.UsageError(f"{profile.kind} profile {profile.name or profile.identity}: {key} {url}: "
                                        f"{why}; is it running and reachable from here?")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ocpp_testcase(id): an OCPP conformance test case (set by @testcase)")
    config.stash[SETTINGS] = _build_settings(config)  # bad values stop the run here, naming their source
    _preflight(config, config.stash[SETTINGS])
    if config.getoption("ocpp_progress"):
        config.pluginmanager.register(ProgressLines(config), "ocpp-progress")

    def announce(text: str) -> None:  # a long wait, said on the terminal while the case runs (capture paused)
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        capture = config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            return
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.write_line(f"  {text}")

    ANNOUNCERS.append(announce)
    config.add_cleanup(lambda: ANNOUNCERS.remove(announce))
    config.stash[RESULTS] = {}
    config.pluginmanager.register(VerdictCollector(config), "ocpp-verdicts")
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


def role_of(config: pytest.Config) -> str:
    return str(_setting(config, "role") or config.stash.get(ROLE, "both"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[SETTINGS]
    faults = config.getoption("ocpp_sim_fault")
    line = f"ocpp-harness: role={role_of(config)} strictness={settings.strictness}"
    if settings.cert_profile:
        line += f" cert-profile={settings.cert_profile}"
    suts = [f"{p.kind}={p.name or p.identity}" + (" (built-in)" if p.builtin else "")
            for p in (settings.station, settings.csms)]
    return [line + (f" sim-faults={','.join(faults)}" if faults else ""), "ocpp-harness SUTs: " + ", ".join(suts)]
