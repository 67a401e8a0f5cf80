"""Failures: the SUT broke a rule. They end a test as *failed* (pytest) / *failed* (Allure).

`OcppFailure` is an AssertionError so pytest shows it as a normal test failure. Its text is written for a person:
what was expected, what was seen, which requirement, at which step, and the last frames on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence


class OcppFailure(AssertionError):
    """The SUT did not do what the test case requires."""

    def __init__(
        self,
        title: str,
        *,
        message: str = "",
        requirements: Sequence[str] = (),
        step: str | None = None,
        expected: str | None = None,
        actual: str | None = None,
        last_frames: Sequence[str] = (),
        rules: Sequence[str] = (),
    ) -> None:
        self.title = title
        self.message = message
        self.requirements = tuple(requirements)
        self.step = step
        self.expected = expected
        self.actual = actual
        self.last_frames = tuple(last_frames)
        self.rules = tuple(rules)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [self.title]
        if self.rules:
            lines.append(f"rule: {', '.join(self.rules)}")
        if self.requirements:
            lines.append(f"requirement: {', '.join(self.requirements)}")
        if self.step:
            lines.append(f"step: {self.step}")
        if self.message:
            lines.append(self.message)
        if self.expected is not None:
            lines.append(f"expected: {self.expected}")
        if self.actual is not None:
            lines.append(f"actual:   {self.actual}")
        if self.last_frames:
            lines.append("last frames:")
            lines.extend(f"  {f}" for f in self.last_frames)
        return "\n".join(lines)


class NeedsDecision(Exception):
    """A check rests on a spec-silent or policy point that the SUT profile does not settle (strict mode).

    Not a failure and not a pass: the plugin reports it as skipped with the reason prefixed "needs decision".
    """

    def __init__(self, policy_key: str, question: str) -> None:
        self.policy_key = policy_key
        self.question = question
        super().__init__(f"needs decision: policy '{policy_key}' is not set in the SUT profile: {question}")


class NotApplicable(Exception):
    """What the station reports about itself makes the case not applicable (a table's prerequisite, e.g. a
    read-only TxStartPoint without EVConnected). Reported like a PICS-based *not applicable*, with the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"not applicable: {reason}")
