"""How the prompt adapter asks the operator at the real terminal while the event loop keeps running."""

from __future__ import annotations

import asyncio
import sys

import pytest

from harness.control import Ask


def ask_at_terminal(config: pytest.Config) -> Ask:
    """How the prompt adapter asks the operator: on the real terminal, with pytest's capturing paused, waiting
    for the answer without blocking the event loop (the SUT keeps talking meanwhile)."""

    async def ask(question: str, timeout: float) -> str:
        capture = config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            capture.suspend_global_capture(in_=True)  # stdin too: the answer comes from the real terminal
        try:
            sys.stdout.write("\n" + question)
            sys.stdout.flush()
            loop = asyncio.get_running_loop()
            ready: asyncio.Future[None] = loop.create_future()
            fd = sys.stdin.fileno()

            def readable() -> None:
                if not ready.done():
                    ready.set_result(None)

            loop.add_reader(fd, readable)
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
