"""Verdicts (DESIGN.md §5, §9): one `Verdict` per case, and for CI a summary per certification profile and the
gating policy that decides the exit code. Pure data: the case run makes each verdict, and JUnit, Allure, the
summary, the gate and the progress line all read that one object."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal["passed", "failed", "error", "not_applicable", "needs_decision", "skipped"]
# The classes a gating policy names: "<severity>.<outcome>", e.g. "mandatory.failed", or "*.<outcome>".
SEVERITIES = ("mandatory", "conditional", "framework")
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "not_applicable", "needs_decision", "skipped")

EXIT_OK = 0  # the gate passed (warnings may have been printed)
EXIT_GATE_FAILED = 1  # a result the policy says fails the build


FindingClass = Literal["sut_defect", "beyond_part6", "warning"]


@dataclass
class Verdict:
    """One case's verdict: made once, when the case ends, and read by every report."""

    id: str
    title: str
    sut: str  # "CS" or "CSMS": the system under test
    severity: str  # mandatory | conditional | framework
    profiles: tuple[str, ...]
    requirements: tuple[str, ...]
    outcome: Outcome
    headline: str = ""  # what matters most: the failure, the error, why not applicable, which decision is open
    rules: tuple[str, ...] = ()  # the rule(s) that failed
    difference: str = ""  # the key difference, e.g. "$.idToken: missing"
    step: str = ""  # the table step it happened in
    findings: dict[str, list[str]] = field(default_factory=dict)  # FindingClass -> one line each
    policy_defaults: tuple[str, ...] = ()  # policy keys answered by their documented default
    precondition: str = ""  # a precondition the lab has not met, with its fix
    transcripts: tuple[str, ...] = ()
    reproduce: str = ""  # the command that re-judges the evidence offline
    security_profile: int | None = None

    @property
    def reason(self) -> str:
        return self.headline

    @property
    def beyond_part6(self) -> list[str]:
        return self.findings.get("beyond_part6", [])

    @property
    def result_class(self) -> str:
        return f"{self.severity}.{self.outcome}"


def verdict_from_json(data: dict[str, Any]) -> Verdict:
    """A verdict back from `dataclasses.asdict` (carried on a pytest report, e.g. from a pytest-xdist worker)."""
    names = {f.name for f in fields(Verdict)}
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    values["findings"] = {k: list(v) for k, v in dict(data.get("findings") or {}).items()}
    return Verdict(**values)


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

    def matches(self, patterns: Iterable[str], result: Verdict) -> bool:
        return any(p in (result.result_class, f"*.{result.outcome}") for p in patterns)


@dataclass
class Gate:
    exit_code: int
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _line(result: Verdict) -> str:
    return f"{result.id} ({result.result_class})" + (f": {result.reason}" if result.reason else "")


def gate(results: Iterable[Verdict], policy: GatingPolicy) -> Gate:
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


def summarize(results: Iterable[Verdict], *, about: dict[str, str], gate_result: Gate) -> dict[str, object]:
    """The summary: what was run (`about`: date, harness, edition and errata, SUTs tested, security profiles), per
    certification profile and severity the counts by outcome; failures and errors apart, each with its headline
    and key difference; not-applicable cases and open decisions with their reasons; beyond-Part-6 findings; the
    gate's verdict; every verdict in full."""
    cases = sorted(results, key=lambda r: r.id)
    per_profile: dict[str, dict[str, dict[str, int]]] = {}
    for result in cases:
        for profile in result.profiles or ("(none)",):
            counts = per_profile.setdefault(profile, {}).setdefault(result.severity, dict.fromkeys(OUTCOMES, 0))
            counts[result.outcome] += 1

    def brief(r: Verdict) -> dict[str, object]:
        return {"id": r.id, "severity": r.severity, "headline": r.headline, "difference": r.difference,
                "rules": list(r.rules), "reproduce": r.reproduce}

    return {
        "about": about,
        "profiles": per_profile,
        "failed": [brief(r) for r in cases if r.outcome == "failed"],
        "errors": [{**brief(r), "precondition": r.precondition} for r in cases if r.outcome == "error"],
        "not_applicable": [{"id": r.id, "reason": r.headline} for r in cases if r.outcome == "not_applicable"],
        "needs_decision": [{"id": r.id, "reason": r.headline} for r in cases if r.outcome == "needs_decision"],
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
    about = summary["about"]
    assert isinstance(about, dict)
    out = [f"# OCPP 2.0.1 conformance summary: gate {verdict}", ""]
    out += [f"- {k}: {v}" for k, v in about.items()] + [""]
    out += ["| certification profile | severity | passed | failed | error | not applicable | needs decision |",
            "|---|---|---|---|---|---|---|"]
    profiles = summary["profiles"]
    assert isinstance(profiles, dict)
    for profile, by_severity in sorted(profiles.items()):
        for severity, c in sorted(by_severity.items()):
            out.append(f"| {profile} | {severity} | {c['passed']} | {c['failed']} | {c['error']} | "
                       f"{c['not_applicable']} | {c['needs_decision']} |")
    for title, key in (("Failed (the SUT did not do what the case requires)", "failed"),
                       ("Errors (the case could not judge: set-up, precondition or harness)", "errors")):
        rows = summary[key]
        assert isinstance(rows, list)
        if rows:
            out += ["", f"## {title}", ""]
            for r in rows:
                line = f"- **{r['id']}** ({r['severity']}): {r['headline']}"
                if r.get("difference"):
                    line += f" — `{r['difference']}`"
                if r.get("precondition"):
                    line += f" — precondition: {r['precondition']}"
                out.append(line)
                if r.get("reproduce"):
                    out.append(f"  - reproduce: `{r['reproduce']}`")
    for title, key in (("Needs decision", "needs_decision"),
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
