"""What both roles share: one conversation with one SUT identity during one test.

It owns the transcript and the expectation engine, answers the SUT's CALLs (a claiming expectation first, the
default responder otherwise), sends the harness's CALLs with deadlines, and turns every way the SUT can let a
step down into an `OcppFailure` that names the step, the requirement and the last frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from harness.config import Settings
from harness.errors import PreconditionNotMet
from harness.expect import SILENCE, Alternative, CallExpectation, Expectations, Forbidden, Response
from harness.failures import NotApplicable, OcppFailure
from harness.matchers import difference
from harness.ocppj import Call, CallError, CallResult, Finding, Severity
from harness.ocppj.findings import finding
from harness.profile import Configured, IdTokens, SutProfile
from harness.transcript import Record, Transcript
from harness.transport import CallTimeout, ConnectionLost, MismatchedAnswer, OcppConnection

_STARTED = time.time()  # when this process started: a built-in simulator's lost state is this run's only

Defaults = Callable[[str, dict[str, Any]], Mapping[str, Any] | None]


class StepReporter(Protocol):
    """Where steps go (Allure in a pytest run); injected so roles need not know the report format."""

    def step(self, title: str) -> contextlib.AbstractContextManager[Any]: ...


class _NoReport:
    def step(self, title: str) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()


# Whoever runs the suite is told what a long wait is waiting for (the plugin prints it on the terminal); a wait of
# at least LONG_WAIT seconds is announced. Each line also goes into the case's transcript.
ANNOUNCERS: list[Callable[[str], None]] = []
LONG_WAIT = 30.0


class Conversation:
    def __init__(self, transcript: Transcript, settings: Settings, defaults: Defaults, *, profile: SutProfile,
                 reporter: StepReporter | None = None, requirements: tuple[str, ...] = ()) -> None:
        self.transcript = transcript
        self.settings = settings
        self.profile = profile  # the SUT's profile: identity, tokens, configured values, policies
        self.defaults = defaults
        self.reporter: StepReporter = reporter or _NoReport()
        self.requirements = requirements
        self.current_step: str | None = None
        self.expectations = Expectations(transcript, step=lambda: self.current_step)
        self.connection: OcppConnection | None = None
        self.connected = asyncio.Event()
        self._connections: list[OcppConnection] = []

    # ---- steps and failures ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        """A scenario step: shown in the report, named in any failure raised inside it."""
        previous, self.current_step = self.current_step, title
        self.transcript.note(f"step: {title}")
        try:
            with self.reporter.step(title):
                yield
        finally:
            self.current_step = previous

    @contextlib.contextmanager
    def cleanup(self, title: str) -> Iterator[None]:
        """A cleanup step (no Part 6 step: the harness undoes what the case installed). What goes wrong in it is
        kept in the transcript and raised no further: in a `finally` it would otherwise replace the case's own
        failure in the headline (a station that cannot reconnect is then "not connected" at the cleanup)."""
        with self.step(f"Cleanup: {title}"):
            try:
                yield
            except OcppFailure as exc:
                self.transcript.note(f"cleanup did not complete ({exc.title}); what it would undo may remain on "
                                     f"{self.sut_name}")

    def failure(self, title: str, **kwargs: Any) -> OcppFailure:
        kwargs.setdefault("requirements", self.requirements)
        kwargs.setdefault("step", self.current_step)
        kwargs.setdefault("last_frames", self.transcript.tail())
        return OcppFailure(title, **kwargs)

    @property
    def sut_name(self) -> str:
        """How a failure names the SUT: "the CSMS" or "the station"."""
        return "the CSMS" if self.profile.kind == "csms" else "the station"

    def note_finding(self, rule: str, severity: Severity, text: str) -> Record:
        """A finding the test case makes itself, beyond one frame (e.g. a tolerated reading of Part 4): kept in the
        transcript, so the report lists it; a FAIL one fails the case at its end (`check_findings`)."""
        return self.transcript.add(0, "event", event="note", detail={"text": text},
                                   findings=[finding(rule, severity, text)])

    @property
    def configured(self) -> Configured:
        """The SUT profile's Part 6 <Configured …> values."""
        return self.profile.configured

    @property
    def tokens(self) -> IdTokens:
        """The SUT profile's id tokens (valid, invalid, blocked, expired, group …)."""
        return self.profile.id_tokens

    def policy(self, key: str) -> Any:
        """The SUT profile's answer for a spec-silent point (DESIGN.md §5); NeedsDecision when unanswered in
        strict decision mode."""
        return self.settings.policy(key, self.profile)

    @contextlib.contextmanager
    def beyond_part6(self, check: str, what: str) -> Iterator[None]:
        """A check the case's Part 6 table does not make (DESIGN.md §5): an OcppFailure inside becomes a finding
        of class BEYOND-P6, a warning by default, so a SUT the official Test System passes passes here too; the
        policy `beyond_part6` ("fail", or {default:, <check>:}) makes it fail the case instead."""
        setting = self.policy("beyond_part6")
        mode = setting.get(check, setting.get("default", "warn")) if isinstance(setting, Mapping) else setting
        with self.step(f"Beyond Part 6 ({check}): {what}"):
            try:
                yield
            except OcppFailure as failure:
                if mode == "fail":
                    raise
                if failure in self.expectations.violations:  # a forbidden message seen inside: judged here, once
                    self.expectations.violations.remove(failure)
                detail = failure.title + (f": {failure.message}" if failure.message else "")
                self.transcript.add(0, "event", event="beyond_part6", detail={"check": check, "what": what},
                                    findings=[finding("BEYOND-P6", Severity.WARN, f"{check}: {detail}"[:600],
                                                      check=check, requirements=list(failure.requirements))])

    def require_security_support(self, *levels: int, prerequisite: str) -> None:
        """A table's prerequisite "the SUT supports security profile N": NotApplicable (naming it) unless the SUT
        profile's security profile in use or its `security.supported` list holds one of `levels`."""
        security = self.profile.security
        if not security.supports(*levels):
            known = sorted({security.profile, *security.supported})
            raise NotApplicable(f"prerequisite: {prerequisite}; the SUT profile states security profile(s) "
                                f"{', '.join(map(str, known))} (security.supported lists what else it supports)")

    def lost_state(self) -> PreconditionNotMet | None:
        """State a cleanup could not undo on this SUT (issue 12): the LEFTOVER files `leave_secret` wrote for its
        identity, this run's or (a lab SUT keeps its state across runs) an earlier run's. A case must not start on
        it: the error names the file and how to restore. The built-in simulators start afresh every run, so only
        this process's files count for them."""
        folder = Path(f"{Path(self.settings.reports_dir).resolve()}.private")
        found = sorted(folder.glob(f"LEFTOVER-{self.profile.identity}-*.secret")) if folder.is_dir() else []
        if self.profile.builtin:
            found = [p for p in found if p.stat().st_mtime >= _STARTED]
        if not found:
            return None
        what = ", ".join(p.name.removeprefix(f"LEFTOVER-{self.profile.identity}-").removesuffix(".secret")
                         for p in found)
        return PreconditionNotMet(
            f"{self.sut_name} {self.profile.identity} may still hold state an earlier case could not restore "
            f"({what}; see {', '.join(map(str, found))})",
            fix="restore it on the SUT by hand (the file holds the value the SUT was left with), then delete the file")

    def leave_secret(self, what: str, value: str) -> Path:
        """A secret the SUT was left holding because a cleanup could not undo it (a password the harness set):
        written to a private file (0600) in a private folder (0700) beside the reports, never into them (CI
        publishes reports/); the path, for the message."""
        folder = Path(f"{Path(self.settings.reports_dir).resolve()}.private")
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
        path = folder / f"LEFTOVER-{self.profile.identity}-{what}.secret"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(f"{what} of {self.profile.identity}: {value}\n")
        return path

    def timeout(self, within: float | None) -> float:
        return self.settings.timing.default_timeout if within is None else within

    # ---- connections -----------------------------------------------------------------------------------------
    def attach(self, conn: OcppConnection, *, take_calls: bool = True) -> None:
        """Make `conn` the live connection of this conversation (frames go to this transcript from now on).

        `take_calls=False` when a router in front of the conversations answers the connection's CALLs."""
        conn.transcript = self.transcript
        if take_calls:
            conn.on_call = self.on_call
        self.connection = conn
        self._connections.append(conn)
        self.connected.set()

    def detach(self, conn: OcppConnection) -> None:
        if self.connection is conn:
            self.connection = None
            self.connected.clear()

    def live(self) -> OcppConnection:
        if self.connection is None or self.connection.closed.is_set():
            raise self.failure("the SUT is not connected", message="no open WebSocket connection to talk over")
        return self.connection

    async def ready(self) -> OcppConnection:
        """The live connection to send on (a role whose SUT reconnects by itself waits for it first)."""
        return self.live()

    async def wait_connected(self, within: float | None = None) -> OcppConnection:
        limit = self.timeout(within)
        try:
            await asyncio.wait_for(self.connected.wait(), limit)
        except TimeoutError:
            raise self.failure(f"the SUT did not connect within {limit:g} s", rules=("SEQ",)) from None
        assert self.connection is not None
        return self.connection

    async def wait_closed(self, within: float | None = None, *, what: str = "the connection to close") -> Record:
        """Wait until the live connection closes; returns its close record."""
        conn = self.live()
        limit = self.timeout(within)
        try:
            await asyncio.wait_for(conn.closed.wait(), limit)
        except TimeoutError:
            raise self.failure(f"waited {limit:g} s for {what}; it stayed open", rules=("SEQ",)) from None
        return next(r for r in reversed(self.transcript.records) if r.event == "close" and r.conn == conn.conn)

    # ---- the SUT's CALLs -------------------------------------------------------------------------------------
    async def on_call(self, call: Call, record: Record) -> Mapping[str, Any] | CallError | None:
        exp = self.expectations.offer(record)
        given: Response = exp.respond if exp is not None else None
        if given is SILENCE:
            return None
        respond: object = given
        if callable(given):
            respond = given(call.payload)
            if inspect.isawaitable(respond):  # an answer that waits for something first (within the SUT's timeout)
                respond = await respond
        if isinstance(respond, CallError):
            return CallError(call.message_id, respond.error_code, respond.error_description, respond.error_details)
        if isinstance(respond, Mapping):
            return respond
        answer = self.defaults(call.action, call.payload)
        if answer is None:
            return CallError(call.message_id, "NotSupported", f"{call.action} is not supported here", {})
        return answer

    def expect(self, action: str, payload: Mapping[str, Any] | None = None, *, respond: Response = None,
               description: str = "", after: Record | None = None, alternatives: tuple[Alternative, ...] = (),
               shared: bool = False, answer_near_miss: bool = False) -> CallExpectation:
        """Register, now, that the SUT will send `action` (matching `payload` partially) or one of the
        `alternatives`; await with `received`. See `Expectations.expect` for `shared` and `answer_near_miss`."""
        return self.expectations.expect(action, payload, respond=respond, description=description, after=after,
                                        alternatives=alternatives, shared=shared, answer_near_miss=answer_near_miss)

    def say(self, text: str) -> None:
        """Tell whoever runs the suite (the terminal) and the transcript what is going on."""
        self.transcript.note(text)
        for announce in ANNOUNCERS:
            announce(text)

    def announce_wait(self, limit: float, what: str) -> None:
        if limit >= LONG_WAIT:
            self.say(f"waiting up to {limit:g} s for {what if len(what) <= 100 else what[:99] + '…'}")

    async def received(self, exp: CallExpectation, within: float | None = None) -> Record:
        limit = self.timeout(within)
        if not exp.future.done():
            self.announce_wait(limit, exp.label())
        return await self.expectations.wait(exp, limit, requirements=self.requirements)

    async def receive(self, action: str, payload: Mapping[str, Any] | None = None, *, respond: Response = None,
                      within: float | None = None, description: str = "", after: Record | None = None,
                      alternatives: tuple[Alternative, ...] = (), shared: bool = False) -> Record:
        """Expect and wait in one go: for a message no action of the test triggers, or one an action already
        triggered (an unclaimed CALL waits in the backlog, answered by default, so a late `receive` finds it)."""
        return await self.received(self.expect(action, payload, respond=respond, description=description,
                                               after=after, alternatives=alternatives, shared=shared), within)

    def mark(self) -> Record | None:
        """The newest record: pass it as `after=` so only what comes next counts."""
        return self.transcript.records[-1] if self.transcript.records else None

    def forbid(self, action: str, payload: Mapping[str, Any] | None = None, *, reason: str,
               requirements: tuple[str, ...] = (), unless: tuple[str, ...] = (), respond: Response = None,
               until: CallExpectation | None = None) -> Forbidden:
        """From now until `allow()` or the `until` expectation is met, the SUT sending a matching CALL fails the
        test ("*": any CALL but `unless`); `respond` sets how the harness answers such a CALL."""
        return self.expectations.forbid(action, payload, reason=reason, unless=unless, respond=respond, until=until,
                                        requirements=requirements or self.requirements)

    def allow(self, rule: Forbidden) -> None:
        self.expectations.allow(rule)

    async def expect_none(self, action: str, payload: Mapping[str, Any] | None = None, *, within: float,
                          reason: str, requirements: tuple[str, ...] = (), unless: tuple[str, ...] = ()) -> None:
        """The SUT must not send a matching CALL during the next `within` seconds. A negative check has to watch
        for a while; it ends at once on a violation. The window is a required wait (declared, see `hold`)."""
        rule = self.forbid(action, payload, reason=reason, requirements=requirements, unless=unless)
        self.transcript.note(f"waiting {within:g} s: no {action} ({reason})")
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    await self.expectations.violated()
        finally:
            self.allow(rule)
        self.expectations.raise_violations()

    def sut_timer(self, seconds: float, why: str, *, since: float | None = None) -> None:
        """Declare that what the harness waits for next cannot come sooner: a timer the SUT keeps (a retry
        interval, a back-off, a heartbeat interval) of `seconds`, counted from `since` (a monotonic time; None:
        now). The part still to run is a required wait, noted as `hold` notes its own (`waiting N s: why`, read by
        scripts/wall_ratio.py); the harness itself still waits for the message, not for the timer."""
        remaining = seconds - (time.monotonic() - since if since is not None else 0.0)
        if remaining > 0:
            self.transcript.note(f"waiting {remaining:.3g} s: {why}")

    def aligned_timer(self, interval: float, boundaries: int, why: str) -> None:
        """Declare the wait for `boundaries` clock-aligned moments (every `interval` s of the clock, as
        AlignedDataInterval): the next one, then `boundaries - 1` intervals (see `sut_timer`)."""
        if interval > 0 and boundaries > 0:
            self.sut_timer(interval - time.time() % interval + (boundaries - 1) * interval, why)

    async def hold(self, seconds: float, why: str) -> None:
        """Let `seconds` pass because the table says so (e.g. the configured Transaction Duration before a stop):
        a deadline, not a pause: a forbidden message meanwhile ends it at once."""
        if seconds <= 0:
            return
        self.transcript.note(f"waiting {seconds:g} s: {why}")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.expectations.violated()
        self.expectations.raise_violations()

    # ---- the harness's CALLs ---------------------------------------------------------------------------------
    async def call(self, action: str, payload: Mapping[str, Any], *, within: float | None = None,
                   message_id: str | None = None) -> Record:
        """Send a CALL; the record of the SUT's answer (CALLRESULT or CALLERROR). Fails on silence or a drop."""
        conn = await self.ready()
        limit = self.timeout(within)
        try:
            return await conn.call(action, payload, timeout=limit, message_id=message_id)
        except MismatchedAnswer as exc:
            got = "an unreadable message id" if exc.record.message_id is None else \
                f"message id {exc.record.message_id!r}"
            raise self.failure(f"{self.sut_name} answered {action} with {_answer_kind(exc.record)} with {got} "
                               f"instead of {exc.call.message_id!r}", actual=exc.record.raw[:800],
                               message="\n".join(f.one_line() for f in exc.record.findings),
                               rules=("RPC-14",)) from None
        except CallTimeout:
            raise self.failure(f"the SUT did not answer {action} within {limit:g} s", rules=("SEQ",)) from None
        except ConnectionLost as exc:
            raise self.failure(f"the SUT closed the connection instead of answering {action}",
                               message=str(exc)) from None

    async def call_ok(self, action: str, payload: Mapping[str, Any], expect: Mapping[str, Any] | None = None, *,
                      within: float | None = None) -> dict[str, Any]:
        """Send a CALL and require a valid CALLRESULT matching `expect` (partially); returns its payload."""
        record = await self.call(action, payload, within=within)
        failing = [f for f in record.findings if f.severity is Severity.FAIL]
        if record.message_type == 4:  # a refusal is what went wrong first, before how the CALLERROR is spelled
            sent = next((r for r in reversed(self.transcript.records)
                         if r.direction == "tx" and r.message_type == 2 and r.message_id == record.message_id), None)
            valid = sent is not None and not any(f.severity is Severity.FAIL for f in sent.findings)
            why = [f"the {action} request is well-formed and valid against the OCPP 2.0.1 schema"] if valid else []
            raise self.failure(f"{self.sut_name} refused {'a valid ' if valid else ''}{action} with "
                               f"{_answer_kind(record)}", message="\n".join(why + [f.one_line() for f in failing]),
                               expected=f"CALLRESULT {dict(expect) if expect else ''}", actual=record.raw[:800],
                               rules=("SEQ", *sorted({f.rule for f in failing})))
        if failing:
            raise self.failure(f"the answer to {action} is not valid OCPP 2.0.1",
                               message="\n".join(f.one_line() for f in failing), actual=record.raw[:800],
                               rules=tuple(sorted({f.rule for f in failing})))
        assert isinstance(record.frame, CallResult)
        if expect is not None:
            diffs = difference(expect, record.frame.payload)
            if diffs:
                raise self.failure(f"the answer to {action} is not as expected", message="\n".join(diffs),
                                   expected=repr(dict(expect)), actual=record.raw[:800], rules=("SEQ",))
        return record.frame.payload

    async def send_raw(self, data: str | bytes, *, within: float | None = None, expect_answer: bool = True,
                       silence_allowed: bool = False) -> Record | None:
        """Send bytes as they are (deliberately bad input); the answer record, or None when the SUT stays silent
        (a failure at the end of the test unless `silence_allowed`)."""
        conn = await self.ready()
        try:
            return await conn.send_raw(data, expect_answer=expect_answer, timeout=self.timeout(within),
                                       silence_allowed=silence_allowed)
        except CallTimeout:
            return None
        except ConnectionLost as exc:
            raise self.failure("the SUT closed the connection after bad input instead of answering it",
                               message=str(exc)) from None

    async def wait_record(self, predicate: Callable[[Record], bool], *, what: str, after: int = 0,
                          within: float | None = None) -> Record:
        """The first record after seq `after` that satisfies `predicate` (e.g. a handshake event), or a failure."""
        found = await self._first(lambda r: r.seq > after and predicate(r), self.timeout(within), what=what)
        if found is None:
            problems = [f"#{r.seq} {r.event or r.action or r.kind}: {f.one_line()}"
                        for r, f in self.transcript.failures() if r.seq > after]
            raise self.failure(f"waited {self.timeout(within):g} s for {what}; it did not happen",
                               message="findings meanwhile:\n" + "\n".join(problems[:10]) if problems else "",
                               rules=("SEQ",))
        return found

    async def _first(self, predicate: Callable[[Record], bool], timeout: float, *, what: str = "") -> Record | None:
        for record in self.transcript.records:
            if predicate(record):
                return record
        if what:
            self.announce_wait(timeout, what)
        found: asyncio.Future[Record] = asyncio.get_running_loop().create_future()

        def listener(r: Record) -> None:
            if predicate(r) and not found.done():
                found.set_result(r)

        unsubscribe = self.transcript.subscribe(listener)
        try:
            return await asyncio.wait_for(found, timeout)
        except TimeoutError:
            return None
        finally:
            unsubscribe()

    async def answer_to(self, message_id: str, within: float | None = None) -> Record | None:
        """The SUT's response (CALLRESULT/CALLERROR, even broken) carrying `message_id`; None if none by the
        deadline. For frames sent with `send_raw(expect_answer=False)`."""
        def is_answer(r: Record) -> bool:
            return r.direction == "rx" and r.message_type in (3, 4) and r.message_id == message_id

        return await self._first(is_answer, self.timeout(within))

    def check_findings(self) -> None:
        """End of test: every FAIL finding on a frame from the SUT fails the test, even when the scenario passed."""
        self.expectations.raise_violations()
        failures = self.transcript.failures()
        if failures:
            lines = [f"#{r.seq} {r.action or r.kind}: {f.one_line()}" for r, f in failures[:20]]
            raise self.failure(_findings_headline(self.sut_name, failures),
                               message="\n".join(lines), step="monitor (every frame of the test)",
                               rules=tuple(sorted({f.rule for _, f in failures})))


def _answer_kind(record: Record) -> str:
    """What a response is, for a headline: "CALLERROR FormatViolation", "a CALLRESULT", "a malformed CALLERROR"."""
    if isinstance(record.frame, CallError):
        return f"CALLERROR {record.frame.error_code}"
    if isinstance(record.frame, CallResult):
        return "a CALLRESULT"
    if record.message_type == 4:
        try:
            code = json.loads(record.raw)[2]
        except (ValueError, IndexError, KeyError, TypeError, RecursionError):
            code = None
        return f"a malformed CALLERROR {code}" if isinstance(code, str) else "a malformed CALLERROR"
    return "a malformed CALLRESULT" if record.message_type == 3 else "a broken frame"


_TLS_RULES = frozenset({"SEC-2", "SEC-3", "SEC-4"})  # the TLS session and the certificates (tls.py)


def _findings_headline(sut: str, failures: list[tuple[Record, Finding]]) -> str:
    """Name the monitor's failures as what they are: frames that break OCPP-J rules, TLS / certificate findings,
    and what else a connection showed (handshake, close, timeouts)."""
    tls = [f for _, f in failures if f.rule in _TLS_RULES]
    frames = {r.seq for r, f in failures if r.direction == "rx" and f.rule not in _TLS_RULES}
    other = sorted({f.rule for r, f in failures if r.direction != "rx" and f.rule not in _TLS_RULES})
    parts = []
    if frames:
        first = next(f for r, f in failures if r.direction == "rx" and f.rule not in _TLS_RULES)
        where = f" at {first.path}" if first.path not in ("", "$") else ""
        # the first broken rule, so the headline says what is wrong (issue 12), not only that something is
        parts.append(f"sent {len(frames)} frame(s) that break OCPP-J rules, first {first.rule}{where}: "
                     f"{first.text[:160]}")
    if tls:
        parts.append(f"has TLS / certificate findings ({', '.join(sorted({f.rule for f in tls}))}): {tls[0].text}")
    if other:
        parts.append(f"broke connection or timing rules ({', '.join(other)})")
    return f"{sut} " + "; and ".join(parts)
