"""Runs one test case around its scenario: labels first; afterwards the transcript, the findings table and the
monitor's verdict over every frame (a scenario that passes still fails when the SUT broke an OCPP-J rule)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.config import Settings
from harness.control import describe
from harness.errors import PreconditionNotMet
from harness.failures import OcppFailure
from harness.ocppj import Severity
from harness.reporting import AllureReporter, findings_table
from harness.reporting.verdicts import Outcome, Verdict
from harness.roles.conversation import Conversation
from harness.transcript import Transcript
from harness.usecase import tls_findings
from harness.usecase.testcase import TestCaseMeta

FINDINGS_LISTED = 20  # per class in a verdict; the transcript keeps them all


class CaseRun:
    """The life of one test case: `start()`, the scenario, then `finish()`."""

    def __init__(self, meta: TestCaseMeta, settings: Settings, reporter: AllureReporter | None = None) -> None:
        self.meta = meta
        self.settings = settings
        self.reporter = reporter or AllureReporter()
        self.conversations: list[Conversation] = []
        self.failed_midway = False  # the scenario raised: the SUT may be left mid-way (see states.return_to_idle)

    def transcript(self, suffix: str = "") -> Transcript:
        """A new transcript file for this case under `<reports>/transcripts/`."""
        name = self.meta.id + (f"-{suffix}" if suffix else "")
        transcript = Transcript(Path(self.settings.reports_dir) / "transcripts" / f"{name}.jsonl", name=name)
        transcript.judge = tls_findings.RUN.judge_for(self.meta.id)  # a TLS finding fails only TC_A_04..A_08
        return transcript

    def add(self, conversation: Conversation) -> None:
        self.conversations.append(conversation)

    def journal(self, action: str, params: dict[str, Any], outcome: str) -> None:
        """A manual action the control adapter performed: into every transcript of the case, and the report."""
        text = f"Manual action: {describe(action, params)}: {outcome}"
        for conv in self.conversations:
            conv.transcript.add(0, "event", event="control", detail={"action": action, "params": params,
                                                                     "outcome": outcome})
        with self.reporter.step(text):
            pass

    def start(self) -> None:
        self.settings.defaults_used.clear()
        m = self.meta
        self.reporter.label(case_id=m.id, title=m.title, block=m.block, usecases=m.usecases,
                            requirements=m.requirements, profiles=m.profiles, severity=m.severity, role=m.sut)
        # the SUT profile the verdict was reached against, secrets masked (DESIGN.md §9)
        self.reporter.attach_json("SUT profile", self.settings.profile_of(m.sut).masked())

    def finish(self, *, passed: bool) -> None:
        """Attach the evidence; when the scenario passed, judge every frame (raises OcppFailure)."""
        for conv in self.conversations:
            self.reporter.attach_transcript(conv.transcript)
            self.reporter.attach_sequence_diagram(conv.transcript)
            self.reporter.attach_text("findings", findings_table(conv.transcript.records))
        defaults = self.used_policy_defaults()
        if defaults:
            self.reporter.attach_text("policy defaults used", "\n".join(defaults))
        beyond = self.beyond_part6()
        if beyond:
            self.reporter.attach_text("beyond Part 6", "\n".join(beyond))
        if passed:
            for conv in self.conversations:
                conv.check_findings()

    def note_cleanup(self, title: str, notes: list[str]) -> None:
        """What the harness did to the SUT after the case, into every transcript and the report."""
        for conv in self.conversations:
            conv.transcript.note(f"{title}: " + ("; ".join(notes) or "nothing to do"))
        with self.reporter.step(title):
            for note in notes:
                with self.reporter.step(note):
                    pass

    def beyond_part6(self) -> list[str]:
        """The findings of checks beyond the case's Part 6 table, one line each."""
        return [f.text for conv in self.conversations for _, f in conv.transcript.findings() if f.rule == "BEYOND-P6"]

    def findings_by_class(self) -> dict[str, list[str]]:
        """The case's findings as a verdict lists them: SUT defects (FAIL findings on what the SUT did), checks
        beyond Part 6, other warnings."""
        classes: dict[str, list[str]] = {"sut_defect": [], "beyond_part6": [], "warning": []}
        for conv in self.conversations:
            for record, f in conv.transcript.findings():
                kind = ("beyond_part6" if f.rule == "BEYOND-P6" else "sut_defect" if f.severity is Severity.FAIL
                        else "warning" if f.severity is Severity.WARN else None)
                if kind is not None and len(classes[kind]) < FINDINGS_LISTED and record.direction != "tx":
                    classes[kind].append(f"#{record.seq} {record.action or record.event or record.kind}: {f.one_line()}")
        return {k: v for k, v in classes.items() if v}

    def verdict(self, outcome: Outcome, headline: str, error: BaseException | None = None) -> Verdict:
        """The case's one verdict, from how it ended and what its transcripts hold."""
        m = self.meta
        rules: tuple[str, ...] = ()
        difference = step = precondition = ""
        if isinstance(error, OcppFailure):
            headline, rules, step, difference = error.title, error.rules, error.step or "", key_difference(error)
        elif isinstance(error, PreconditionNotMet):
            precondition = error.what + (f" (fix: {error.fix})" if error.fix else "")
        transcripts = tuple(str(c.transcript.path) for c in self.conversations if c.transcript.path is not None)
        return Verdict(m.id, m.title, m.sut, m.severity, m.profiles, m.requirements, outcome, headline, rules,
                       difference, step, self.findings_by_class(), tuple(self.used_policy_defaults()), precondition,
                       transcripts, " ; ".join(f"ocpp-harness validate {t}" for t in transcripts),
                       self.settings.profile_of(m.sut).security.profile)

    def used_policy_defaults(self) -> list[str]:
        return [f"{key}: documented default (pragmatic mode)" for key in sorted(self.settings.defaults_used)]


def key_difference(failure: OcppFailure) -> str:
    """The one line a reader needs from a failure: its first JSON-path difference, else expected against actual."""
    for line in failure.message.splitlines():
        if line.lstrip().startswith("$"):
            return line.strip()[:200]
    if failure.expected is not None and failure.actual is not None:
        return f"expected {failure.expected[:90]}; got {failure.actual[:90]}"
    return ""
