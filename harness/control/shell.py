"""The shell-command control adapter: one command per action, for labs whose rig is driven by scripts.

`command` is an argv list (no shell); `{action}` and `{params}` (the parameters as JSON) are substituted in each
element. Exit status 0 is done; anything else, or no exit within the timeout, is a ControlError with the output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from harness.control.actions import ActionControl
from harness.control.interfaces import Journal
from harness.errors import ControlError


class ShellControl(ActionControl):
    kind = "shell"

    def __init__(self, command: list[str], *, timeout: float = 60.0, journal: Journal | None = None) -> None:
        super().__init__(journal=journal)
        self.command = list(command)
        self.timeout = timeout

    async def perform(self, action: str, params: dict[str, Any]) -> str:
        argv = [part.replace("{action}", action).replace("{params}", json.dumps(params)) for part in self.command]
        try:
            process = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                           stdout=asyncio.subprocess.PIPE,
                                                           stderr=asyncio.subprocess.PIPE)
        except OSError as exc:
            raise ControlError(f"cannot run {argv[0]!r}: {exc}") from None
        try:
            async with asyncio.timeout(self.timeout):
                out, err = await process.communicate()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise ControlError(f"{argv[0]} {action}: no exit within {self.timeout} s") from None
        if process.returncode != 0:
            text = (err or out).decode(errors="replace").strip()[-300:]
            raise ControlError(f"{argv[0]} {action}: exit status {process.returncode}: {text}")
        return f"exit 0 {out.decode(errors='replace').strip()[:200]}".rstrip()
