"""Expectations over a transcript: the CALLs a test case waits for, forbids, or lets pass.

Register an expectation *before* the action that causes the message (`expect()` is synchronous), then `await`
it with a deadline that runs from the moment the case starts waiting. A CALL that no expectation claims is answered
by the role's default responder and kept in the backlog, so an expectation registered a little late still finds
it, unless the expectation says how to answer (`respond=`): a CALL already answered otherwise never satisfies it.
A *shared* expectation observes instead of claiming (several may match one CALL, e.g. a NotifyEvent reporting
several connectors), and an expectation may name alternatives (StatusNotification or NotifyEvent). A
schema-invalid frame never satisfies an expectation silently: the wait fails and names the finding.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.failures import OcppFailure
from harness.matchers import difference
from harness.ocppj import Call, CallError, Finding, Severity
from harness.transcript import Record, Transcript


class _Silence:
    """Leave the CALL unanswered (Part 6 timeout tests: the station must retry after its message timeout)."""

    def __repr__(self) -> str:
        return "SILENCE"


SILENCE = _Silence()

# How the harness answers a claimed CALL: a payload, a function of the request payload (sync, or async to answer
# once something else happened, within the SUT's message timeout), a CALLERROR, or SILENCE.
Answer = Mapping[str, Any] | CallError
Response = (Mapping[str, Any] | Callable[[dict[str, Any]], Answer | Awaitable[Answer]] | CallError | _Silence
            | None)


Alternative = tuple[str, Mapping[str, Any] | None]  # another (action, partial payload) that satisfies an expectation


@dataclass
class CallExpectation:
    """One expected CALL from the SUT: its action, a partial payload with matchers, and how to answer it."""

    action: str
    payload: Mapping[str, Any] | None = None
    respond: Response = None
    description: str = ""
    after: int = 0  # only records with a higher seq count
    alternatives: tuple[Alternative, ...] = ()  # e.g. NotifyEvent AvailabilityState beside StatusNotification
    shared: bool = False  # observes without claiming: the CALL is answered by default and may satisfy others too
    answer_near_miss: bool = False  # a near miss gets `respond` too (a BootNotification answered as the step intends)
    future: asyncio.Future[Record] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    registered: float = field(default_factory=time.monotonic)
    near_misses: list[tuple[Record, list[str]]] = field(default_factory=list)
    answered_before: list[Record] = field(default_factory=list)  # matching CALLs already answered otherwise

    @property
    def actions(self) -> tuple[str, ...]:
        return (self.action, *(a for a, _ in self.alternatives))

    def test(self, record: Record) -> list[str] | None:
        """None when the record is none of the actions; [] when it matches one; else the differences."""
        if record.direction != "rx" or record.seq <= self.after or not isinstance(record.frame, Call):
            return None
        misses: list[str] | None = None
        for action, payload in ((self.action, self.payload), *self.alternatives):
            if record.action != action:
                continue
            diffs = difference(payload, record.frame.payload) if payload is not None else []
            if not diffs:
                return []
            misses = diffs if misses is None else misses
        return misses

    def label(self) -> str:
        if self.description:
            return self.description
        # a payload is a partial dict or a matcher (Where, OneOf…): either one shows by its repr
        return " or ".join(f"{a} {dict(p) if isinstance(p, Mapping) else p!r}" if p else a
                           for a, p in ((self.action, self.payload), *self.alternatives))


@dataclass
class Forbidden:
    action: str
    payload: Mapping[str, Any] | None
    reason: str
    requirements: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()  # with action "*": actions that stay allowed
    respond: Response = None  # how the harness answers a forbidden CALL (default answer when None)
    until: CallExpectation | None = None  # the rule ends when this expectation is met
    hits: list[Record] = field(default_factory=list)

    def test(self, record: Record) -> bool:
        if record.direction != "rx" or not isinstance(record.frame, Call):
            return False
        if self.until is not None and self.until.future.done():
            return False
        if self.action not in ("*", record.frame.action) or record.frame.action in self.unless:
            return False
        return self.payload is None or not difference(self.payload, record.frame.payload)


class Expectations:
    """The expectation engine of one conversation (one test, one SUT identity)."""

    def __init__(self, transcript: Transcript, *, step: Callable[[], str | None] = lambda: None) -> None:
        self.transcript = transcript
        self.current_step = step
        self.pending: list[CallExpectation] = []
        self.backlog: list[Record] = []  # SUT CALLs nobody claimed (answered by default)
        self.forbidden: list[Forbidden] = []
        self.violations: list[OcppFailure] = []
        self._violated = asyncio.Event()  # wakes a wait as soon as a forbidden message arrives

    # ---- registering -----------------------------------------------------------------------------------------
    def expect(self, action: str, payload: Mapping[str, Any] | None = None, *, respond: Response = None,
               description: str = "", after: Record | None = None, alternatives: tuple[Alternative, ...] = (),
               shared: bool = False, answer_near_miss: bool = False) -> CallExpectation:
        """Register an expected CALL. Without `respond` an unclaimed CALL that already came (the backlog) satisfies
        it; with `respond` only a CALL still to come does, as the harness must answer it (an earlier matching CALL
        answered by default is named if the wait fails). A `shared` expectation looks at every CALL of the test."""
        exp = CallExpectation(action, payload, respond, description, after.seq if after else 0, alternatives, shared,
                              answer_near_miss)
        earlier = ([r for r in self.transcript.records if r.direction == "rx" and r.message_type == 2] if shared
                   else list(self.backlog))
        for record in earlier:
            diffs = exp.test(record)
            if diffs == [] and respond is not None and not shared:
                exp.answered_before.append(record)
            elif diffs == []:
                if not shared:
                    self.backlog.remove(record)
                exp.future.set_result(record)
                return exp
            elif diffs:
                exp.near_misses.append((record, diffs))
        self.pending.append(exp)
        return exp

    def forbid(self, action: str, payload: Mapping[str, Any] | None = None, *, reason: str,
               requirements: tuple[str, ...] = (), unless: tuple[str, ...] = (), respond: Response = None,
               until: CallExpectation | None = None) -> Forbidden:
        """Until `allow()` is called or `until` is met, a matching CALL from the SUT is a violation ("*" = any
        CALL but `unless`). `until` ends the rule at the exact frame, with no race against the test's code."""
        rule = Forbidden(action, payload, reason, requirements, unless, respond, until)
        self.forbidden.append(rule)
        return rule

    def allow(self, rule: Forbidden) -> None:
        if rule in self.forbidden:
            self.forbidden.remove(rule)

    # ---- feeding ---------------------------------------------------------------------------------------------
    def offer(self, record: Record) -> CallExpectation | None:
        """Called for each CALL from the SUT: the expectation that claims it, or None (default answer)."""
        for rule in self.forbidden:
            if rule.test(record):
                rule.hits.append(record)
                self.violations.append(OcppFailure(
                    f"forbidden message: {record.action}: {rule.reason}", requirements=rule.requirements,
                    step=self.current_step(), actual=record.raw[:400], rules=("SEQ",),
                    last_frames=self.transcript.tail()))
                self._violated.set()
                if rule.respond is not None:
                    answered = CallExpectation(rule.action, respond=rule.respond, description=rule.reason)
                    answered.future.set_result(record)
                    return answered
        for exp in [e for e in self.pending if e.shared]:
            diffs = exp.test(record)
            if diffs == [] and not exp.future.done():
                self.pending.remove(exp)
                exp.future.set_result(record)
            elif diffs:
                exp.near_misses.append((record, diffs))
        near: CallExpectation | None = None
        for exp in [e for e in self.pending if not e.shared]:
            diffs = exp.test(record)
            if diffs is None or exp.future.done():
                continue
            if diffs:
                exp.near_misses.append((record, diffs))
                near = near or (exp if exp.respond is not None and exp.answer_near_miss else None)
                continue
            self.pending.remove(exp)
            exp.future.set_result(record)
            return exp
        self.backlog.append(record)
        if near is not None:
            # A near miss of a CALL the step answers itself (opted in: a BootNotification with another reason) is
            # answered as the step intends, not by default, which could send the case down another path and
            # headline the wrong fault; the wait then reports the near miss as what it is.
            return CallExpectation(near.action, respond=near.respond, description=f"near miss of {near.label()}")
        return None

    # ---- waiting ---------------------------------------------------------------------------------------------
    async def wait(self, exp: CallExpectation, timeout: float, *, requirements: tuple[str, ...] = ()) -> Record:
        """The record that satisfied `exp`, or an OcppFailure naming what came instead, by the deadline."""
        self.raise_violations()
        # The deadline runs from now: the case waits from the step that caused the message (an expectation is
        # registered earlier, before that step's action, and may have sat through other steps meanwhile).
        violated: asyncio.Future[Any] = asyncio.ensure_future(self._violated.wait())
        try:
            await asyncio.wait([exp.future, violated], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            violated.cancel()
        self.raise_violations()
        if not exp.future.done():
            if exp in self.pending:
                self.pending.remove(exp)
            raise self._timeout_failure(exp, timeout, requirements)
        record = exp.future.result()
        failing = [f for f in record.findings if f.severity is Severity.FAIL]
        if failing:
            raise OcppFailure(
                f"{exp.action} arrived but is not valid OCPP 2.0.1: {_first_reason(failing)}",
                message="\n".join(f.one_line() for f in failing), requirements=requirements,
                step=self.current_step(), actual=record.raw[:800], rules=tuple(sorted({f.rule for f in failing})),
                last_frames=self.transcript.tail())
        self.raise_violations()
        return record

    async def violated(self) -> None:
        """Returns once a forbidden message has arrived."""
        await self._violated.wait()

    def raise_violations(self) -> None:
        if self.violations:
            raise self.violations[0]

    def _timeout_failure(self, exp: CallExpectation, timeout: float, requirements: tuple[str, ...]) -> OcppFailure:
        if exp.near_misses:
            record, diffs = exp.near_misses[-1]
            # A rule the near miss broke (e.g. TX-2 on an Updated that should be Started) explains it best.
            broken = [f for f in record.findings if f.severity is Severity.FAIL]
            return OcppFailure(
                f"{exp.action} arrived within {timeout:g} s but not as expected", requirements=requirements,
                step=self.current_step(), expected=exp.label(), actual=record.raw[:800],
                message="\n".join([*diffs, *(f.one_line() for f in broken)]),
                rules=tuple(sorted({"SEQ", *(f.rule for f in broken)})), last_frames=self.transcript.tail())
        since = [r for r in self.transcript.records if r.seq > exp.after and r.mono >= exp.registered]
        invalid = [(r, [f for f in r.findings if f.severity is Severity.FAIL]) for r in since
                   if r.direction == "rx" and r.message_type == 2 and r.action in exp.actions]
        invalid = [(r, broken) for r, broken in invalid if broken]
        if invalid:  # it came, but so broken that the harness refused it: say that, not "no message"
            record, broken = invalid[-1]
            return OcppFailure(
                f"{record.action} arrived but is not valid OCPP 2.0.1 ({len(invalid)} time(s) within {timeout:g} s): "
                f"{_first_reason(broken)}",
                requirements=requirements, step=self.current_step(), expected=exp.label(), actual=record.raw[:800],
                message="\n".join(f"{f.path}: {f.text}" if f.path not in ("", "$") else f.one_line()
                                  for f in broken),
                rules=tuple(sorted({"SEQ", *(f.rule for f in broken)})), last_frames=self.transcript.tail())
        seen = [r.action or r.kind for r in since if r.direction == "rx"]
        # What went wrong meanwhile (a refused handshake, a broken frame) usually explains the silence.
        problems = [(r, f) for r in since if r.direction != "tx" for f in r.findings if f.severity is Severity.FAIL]
        lines = [f"#{r.seq} {r.action or r.kind}: {f.one_line()}" for r, f in problems[:10]]
        lines += [f"#{r.seq} {r.action} matched, but came before this step and was answered by default"
                  for r in exp.answered_before[:3]]
        return OcppFailure(
            f"no {' or '.join(dict.fromkeys(exp.actions))} from the SUT within {timeout:g} s",
            requirements=requirements,
            step=self.current_step(), expected=exp.label(),
            actual=f"received instead: {', '.join(seen) if seen else 'nothing'}",
            message="meanwhile:\n" + "\n".join(lines) if lines else "",
            rules=tuple(sorted({"SEQ", *(f.rule for _, f in problems)})),
            last_frames=self.transcript.tail())


def check_interval(measured: float, *, expected: float, tolerance: float, what: str,
                   requirements: tuple[str, ...] = (), minimum_only: bool = False) -> str:
    """Judge a measured interval against `expected ± tolerance`; returns the line to record, or raises."""
    low, high = expected - tolerance, expected + tolerance
    line = f"{what}: measured {measured:.2f} s, expected {expected:g} s ± {tolerance:g} s"
    if measured < low or (not minimum_only and measured > high):
        raise OcppFailure(f"timing: {what} out of tolerance", message=line, requirements=requirements,
                          rules=("TIMING",))
    return line


def _first_reason(broken: list[Finding]) -> str:
    """The first rule an invalid message broke, for the headline (issue 12: "RequestStartTransaction arrived but
    is invalid: $.idToken.type is required", not only that it is invalid)."""
    first = broken[0]
    return f"{first.path}: {first.text}" if first.path not in ("", "$") else f"{first.rule}: {first.text}"
