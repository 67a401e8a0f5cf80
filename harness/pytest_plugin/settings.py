"""Options, settings and the SUT profiles: what a run is configured with (harness.options has the table)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import ValidationError

from harness.config import POLICY_DEFAULTS, Settings
from harness.options import OPTIONS
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
    if _setting(config, "role") is None and len(seen) == 1:
        config.stash[ROLE] = "cs" if "station" in seen else "csms"  # a station profile alone: test that station


def _build_settings(config: pytest.Config) -> Settings:
    settings = Settings()
    worker = getattr(config, "workerinput", {}).get("workerid", "")  # pytest-xdist: gw0, gw1, …
    settings.worker = worker
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
