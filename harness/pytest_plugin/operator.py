"""How the prompt adapter asks the operator at the real terminal while the event loop keeps running."""

from __future__ import annotations

import asyncio
import sys

import pytest

from harness.control import Ask
from harness.errors import ControlError

NO_TERMINAL = ("the prompt adapter asks a person at the terminal, but stdin is not a terminal (/dev/null or a file: "
               "nohup, CI); run it at a terminal, or set control.adapter http or shell in the SUT profile")


def ask_at_terminal(config: pytest.Config) -> Ask:
    """How the prompt adapter asks the operator: on the real terminal, with pytest's capturing paused, waiting
    for the answer without blocking the event loop (the SUT keeps talking meanwhile)."""

    async def ask(question: str, timeout: float) -> str:
        capture = config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            capture.suspend_global_capture(in_=True)  # stdin too: the answer comes from the real terminal
        try:
            loop = asyncio.get_running_loop()
            ready: asyncio.Future[None] = loop.create_future()

            def readable() -> None:
                if not ready.done():
                    ready.set_result(None)

            try:
                fd = sys.stdin.fileno()
                loop.add_reader(fd, readable)  # /dev/null or a regular file cannot be waited on: EPERM
            except (AttributeError, OSError, ValueError):
                raise ControlError(NO_TERMINAL) from None
            sys.stdout.write("\n" + question)
            sys.stdout.flush()
            try:
                async with asyncio.timeout(timeout):
                    await ready
            finally:
                loop.remove_reader(fd)
            line = sys.stdin.readline()
        finally:
            if capture is not None:
                capture.resume_global_capture()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    return ask
