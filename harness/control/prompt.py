"""The interactive-prompt control adapter: a person performs the action and confirms at the terminal.

The question, the answer and how long it took go into the report, as the evidence that the action was done. An
answer starting with "fail" (e.g. "fail: no EV at hand") ends the test as an error with that reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from harness.control.actions import ActionControl, describe
from harness.control.interfaces import Journal
from harness.errors import ControlError

Ask = Callable[[str, float], Awaitable[str]]  # (question, timeout) -> the operator's answer


class PromptControl(ActionControl):
    kind = "prompt"

    def __init__(self, ask: Ask, *, timeout: float = 300.0, journal: Journal | None = None) -> None:
        super().__init__(journal=journal)
        self.ask = ask
        self.timeout = timeout

    async def perform(self, action: str, params: dict[str, Any]) -> str:
        question = f"Manual action: {describe(action, params)}. Press Enter when done (or type 'fail: <why>'): "
        try:
            answer = (await self.ask(question, self.timeout)).strip()
        except TimeoutError:
            raise ControlError(f"no answer from the operator within {self.timeout} s to: {question}") from None
        except EOFError:
            raise ControlError("the terminal has no input (run with -s, interactively), so nobody can confirm: "
                               f"{question}") from None
        if answer.lower().startswith("fail"):
            raise ControlError(f"the operator could not do it: {answer}")
        return f"operator confirmed{f' ({answer})' if answer else ''}"
