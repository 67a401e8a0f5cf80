"""make test's scheduler: pytest-xdist's `--dist loadgroup`, plus whole modules kept on one worker.

A module whose tests share an expensive module fixture (child suite runs, an npm install) must run on one worker, or
every worker makes the fixture again. pytest-xdist's own `xdist_group` mark no longer groups anything under pytest
9.2 (pytest-dev/pytest-xdist#1386: it rewrites node ids that pytest now derives anew, silently), so the grouping is
decided here, on the controller, from the node id's file: the public `pytest_xdist_make_scheduler` hook.
"""

from __future__ import annotations

from collections.abc import Collection

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadGroupScheduling


class ModuleGroupScheduling(LoadGroupScheduling):
    """loadgroup, with every test of the `modules` (paths from the rootdir) one unit of work."""

    def __init__(self, config: pytest.Config, log: Producer | None, modules: Collection[str]) -> None:
        super().__init__(config, log)
        self.modules = frozenset(modules)

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return module if module in self.modules else super()._split_scope(nodeid)


def make_scheduler(config: pytest.Config, log: Producer, modules: Collection[str]) -> ModuleGroupScheduling | None:
    """The scheduler for `--dist loadgroup`; None (xdist's own choice) for any other mode."""
    return ModuleGroupScheduling(config, log, modules) if config.getvalue("dist") == "loadgroup" else None
