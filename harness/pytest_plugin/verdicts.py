"""The verdict of each case for CI: its outcome, the summary per certification profile, the gating policy, the
Allure environment."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Generator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _pytest._code.code import ExceptionChainRepr, ReprEntryNative, ReprFileLocation, ReprTraceback

from harness.config import Settings
from harness.errors import HarnessError
from harness.failures import NeedsDecision, NotApplicable, OcppFailure
from harness.pytest_plugin.keys import (
    CASE_RUN,
    GATE,
    META,
    RESULTS,
    SETTINGS,
)
from harness.reporting.allure_files import tidy_results, write_allure_files
from harness.reporting.verdicts import (
    GatingPolicy,
    Outcome,
    Verdict,
    gate,
    summarize,
    to_json,
    to_markdown,
    verdict_from_json,
)


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
    """Make the case's verdict where the case ran (a pytest-xdist worker, or this process) and carry it on the
    report, so the process that writes the summary gets it with the report (pytest_runtest_logreport)."""
    report: pytest.TestReport = yield
    if report.failed and call.excinfo is not None and not item.config.getoption("ocpp_debug"):
        _explained(report, item, call.excinfo.value)
    meta = item.stash.get(META, None)
    if meta is None:
        return report
    outcome, reason = _outcome(report, call)
    if report.when == "teardown" and outcome != "error":
        return report
    run = item.stash.get(CASE_RUN, None)
    error = call.excinfo.value if call.excinfo is not None and report.failed else None
    if run is not None:
        verdict = run.verdict(outcome, reason, error)
    else:  # ended before the case ran (not applicable, a broken fixture)
        settings = item.config.stash[SETTINGS]
        verdict = Verdict(meta.id, meta.title, meta.sut, meta.severity, meta.profiles, meta.requirements,
                          outcome, reason, security_profile=settings.profile_of(meta.sut).security.profile)
    report.ocpp_verdict = asdict(verdict)  # type: ignore[attr-defined]  # travels with the report (xdist)
    for key, value in (("ocpp_outcome", verdict.outcome), ("ocpp_headline", verdict.headline),
                       ("ocpp_rules", ",".join(verdict.rules)), ("ocpp_reproduce", verdict.reproduce)):
        if value:  # JUnit takes the properties from the teardown report, made after this one
            item.user_properties = [p for p in item.user_properties if p[0] != key] + [(key, value)]
    if run is not None and report.when == "call":
        run.reporter.attach_json("verdict", asdict(verdict))
    return report


def _explained(report: pytest.TestReport, item: pytest.Item, exc: BaseException) -> None:
    """A SUT failure or a harness/set-up error shows the harness's explanation alone, not the harness source above
    it (--ocpp-debug: the whole traceback); its first line is the headline of pytest's short summary and JUnit."""
    if not isinstance(exc, OcppFailure | HarnessError):
        return  # anything else is a bug: its traceback is what helps
    text = str(exc) or type(exc).__name__
    if isinstance(exc, HarnessError):
        text = f"{type(exc).__name__}: {text}"
    path, lineno, _ = item.location
    crash = ReprFileLocation(path, (lineno or 0) + 1, text.splitlines()[0])
    report.longrepr = ExceptionChainRepr([(ReprTraceback([ReprEntryNative([text + "\n"])], None, "native"), crash, None)])


class VerdictCollector:
    """Collects each case's verdict from its reports, here or from pytest-xdist workers (registered by
    pytest_configure): setup decides skips and errors, call (run only after a good setup) the verdict; a teardown
    error spoils a pass."""

    def __init__(self, config: pytest.Config) -> None:
        self.results = config.stash[RESULTS]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "ocpp_verdict", None)
        if not isinstance(data, dict):
            return
        earlier = self.results.get(report.nodeid)
        if report.when in ("setup", "call") or (earlier is not None and earlier.outcome == "passed"):
            self.results[report.nodeid] = verdict_from_json(data)


def _about(settings: Settings, results: list[Verdict]) -> dict[str, str]:
    """What the summary says the run was: when, which harness, edition and errata, the SUTs actually tested, at
    which security profiles, which certification profile."""
    about = {"date": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
             "harness": f"ocpp-harness {_version()}",
             "specification": "OCPP 2.0.1 Edition 3, Part 6 test cases with errata up to 2025-09"}
    for kind, profile in (("CS", settings.station), ("CSMS", settings.csms)):
        mine = [r for r in results if r.sut == kind]
        if not mine:
            continue  # only the SUTs this run tested
        p = profile
        levels = sorted({r.security_profile for r in mine if r.security_profile is not None})
        about["station" if kind == "CS" else "CSMS"] = (
            f"{p.name or p.identity} ({p.vendor or '?'} {p.model or '?'}, firmware {p.firmware_version or '?'})"
            + (" built-in" if p.builtin else "") + f", security profile {', '.join(map(str, levels)) or '?'}")
    about["certification profile"] = settings.cert_profile or "all"
    return about


def _version() -> str:
    try:
        return importlib.metadata.version("ocpp-harness")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _environment(settings: Settings) -> dict[str, str]:
    """What Allure's environment panel shows: the SUTs (no secrets: a profile holds none), the harness, the run."""
    env = {"Harness": f"ocpp-harness {_version()}", "Certification profile": settings.cert_profile or "all",
           "Strictness": settings.strictness, "Decision mode": settings.decision_mode}
    for label, p in (("Station under test", settings.station), ("CSMS under test", settings.csms)):
        env[label] = (f"{p.name or p.identity} | identity {p.identity} | {p.vendor or '?'} {p.model or '?'} | "
                      f"firmware {p.firmware_version or '?'} | security profile {p.security.profile}")
    return env


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write reports/summary.json and summary.md, and Allure's categories and environment; with a gating
    policy, its verdict is the exit code."""
    config = session.config
    if hasattr(config, "workerinput"):
        return  # a pytest-xdist worker: the controller, which gets every verdict, writes the summary
    allure_dir = getattr(config.option, "allure_report_dir", None)
    if allure_dir and RESULTS in config.stash:
        write_allure_files(Path(allure_dir), _environment(config.stash[SETTINGS]))
        tidy_results(Path(allure_dir))
    results = list(config.stash.get(RESULTS, {}).values())
    if not results:
        return
    settings = config.stash[SETTINGS]
    policy = config.stash.get(GATE, None)
    verdict = gate(results, policy or GatingPolicy())
    summary = summarize(results, about=_about(settings, results), gate_result=verdict)
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
