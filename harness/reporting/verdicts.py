"""Verdicts for CI (DESIGN.md §9): a summary per certification profile, and the gating policy that decides the
exit code. Pure data: the plugin feeds it each case's outcome and writes what it returns."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal["passed", "failed", "error", "not_applicable", "needs_decision", "skipped"]
# The classes a gating policy names: "<severity>.<outcome>", e.g. "mandatory.failed", or "*.<outcome>".
SEVERITIES = ("mandatory", "conditional", "framework")
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "not_applicable", "needs_decision", "skipped")

EXIT_OK = 0  # the gate passed (warnings may have been printed)
EXIT_GATE_FAILED = 1  # a result the policy says fails the build


@dataclass
class CaseResult:
    id: str
    title: str
    sut: str  # "CS" or "CSMS": the system under test
    severity: str  # mandatory | conditional | framework
    profiles: tuple[str, ...]
    requirements: tuple[str, ...]
    outcome: Outcome
    reason: str = ""  # why not applicable / which decision is missing / the failure's first line
    beyond_part6: tuple[str, ...] = ()  # findings of checks beyond the case's Part 6 table (warnings by default)

    @property
    def result_class(self) -> str:
        return f"{self.severity}.{self.outcome}"


class GatingPolicy(BaseModel):
    """What fails the build and what only warns; loaded from a YAML file (`--ocpp-gate`)."""

    model_config = ConfigDict(extra="forbid")

    fail_on: list[str] = Field(default_factory=lambda: ["mandatory.failed", "mandatory.error", "framework.failed",
                                                        "framework.error", "*.error"],
                               description="result classes <severity>.<outcome> (or *.<outcome>) that fail the build")
    warn_on: list[str] = Field(default_factory=lambda: ["conditional.failed", "*.needs_decision"],
                               description="result classes that are reported as warnings only")
    profiles: list[str] = Field(default_factory=list,
                                description="judge only cases of these certification profiles (empty: all)")

    def matches(self, patterns: Iterable[str], result: CaseResult) -> bool:
        return any(p in (result.result_class, f"*.{result.outcome}") for p in patterns)


@dataclass
class Gate:
    exit_code: int
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _line(result: CaseResult) -> str:
    return f"{result.id} ({result.result_class})" + (f": {result.reason}" if result.reason else "")


def gate(results: Iterable[CaseResult], policy: GatingPolicy) -> Gate:
    """The exit code a CI job gets: EXIT_GATE_FAILED when any result is of a class in `fail_on`."""
    verdict = Gate(EXIT_OK)
    for result in results:
        if policy.profiles and not set(result.profiles) & set(policy.profiles):
            continue
        if policy.matches(policy.fail_on, result):
            verdict.failures.append(_line(result))
        elif policy.matches(policy.warn_on, result):
            verdict.warnings.append(_line(result))
    if verdict.failures:
        verdict.exit_code = EXIT_GATE_FAILED
    return verdict


def summarize(results: Iterable[CaseResult], *, sut: dict[str, str], gate_result: Gate) -> dict[str, object]:
    """The summary: per certification profile and severity, counts by outcome; the cases that are not
    applicable (with reasons) or need a decision; the gate's verdict."""
    cases = sorted(results, key=lambda r: r.id)
    per_profile: dict[str, dict[str, dict[str, int]]] = {}
    for result in cases:
        for profile in result.profiles or ("(none)",):
            counts = per_profile.setdefault(profile, {}).setdefault(result.severity, dict.fromkeys(OUTCOMES, 0))
            counts[result.outcome] += 1
    return {
        "sut": sut,
        "profiles": per_profile,
        "not_applicable": [{"id": r.id, "reason": r.reason} for r in cases if r.outcome == "not_applicable"],
        "needs_decision": [{"id": r.id, "reason": r.reason} for r in cases if r.outcome == "needs_decision"],
        "failed": [{"id": r.id, "severity": r.severity, "reason": r.reason} for r in cases
                   if r.outcome in ("failed", "error")],
        "beyond_part6": [{"id": r.id, "reason": text} for r in cases for text in r.beyond_part6],
        "gate": {"exit_code": gate_result.exit_code, "failures": gate_result.failures,
                 "warnings": gate_result.warnings},
        "cases": [asdict(r) for r in cases],
    }


def to_json(summary: dict[str, object]) -> str:
    return json.dumps(summary, indent=2, sort_keys=False) + "\n"


def to_markdown(summary: dict[str, object]) -> str:
    """The summary for a person (CI job summary, pull request comment)."""
    gate_info = summary["gate"]
    assert isinstance(gate_info, dict)
    verdict = "PASSED" if gate_info["exit_code"] == EXIT_OK else "FAILED"
    sut = summary["sut"]
    assert isinstance(sut, dict)
    out = [f"# OCPP 2.0.1 conformance summary: gate {verdict}", ""]
    out += [f"- {k}: {v}" for k, v in sut.items()] + [""]
    out += ["| certification profile | severity | passed | failed | error | not applicable | needs decision |",
            "|---|---|---|---|---|---|---|"]
    profiles = summary["profiles"]
    assert isinstance(profiles, dict)
    for profile, by_severity in sorted(profiles.items()):
        for severity, c in sorted(by_severity.items()):
            out.append(f"| {profile} | {severity} | {c['passed']} | {c['failed']} | {c['error']} | "
                       f"{c['not_applicable']} | {c['needs_decision']} |")
    for title, key in (("Failed", "failed"), ("Needs decision", "needs_decision"),
                       ("Beyond Part 6 (checks the official tables do not make; warnings unless the profile's policy "
                        "beyond_part6 says fail)", "beyond_part6"), ("Not applicable", "not_applicable")):
        rows = summary[key]
        assert isinstance(rows, list)
        if rows:
            out += ["", f"## {title}", ""] + [f"- {r['id']}: {r['reason']}" for r in rows]
    for title, key in (("Gate failures", "failures"), ("Gate warnings", "warnings")):
        if gate_info[key]:
            out += ["", f"## {title}", ""] + [f"- {line}" for line in gate_info[key]]
    return "\n".join(out) + "\n"
