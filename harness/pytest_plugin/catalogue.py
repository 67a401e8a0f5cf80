"""--ocpp-catalogue: the collected cases with their metadata and applicability as JSON (`ocpp-harness list`)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from harness.pytest_plugin.keys import (
    META,
    SETTINGS,
)
from harness.pytest_plugin.settings import role_of
from harness.usecase.loader import SourceError
from harness.usecase.scenario import Scenario


# ---- catalogue (`ocpp-harness list`) ------------------------------------------------------------------------------
def _applicability(item: pytest.Item) -> str:
    """What the run would do with a collected case: the skip markers set above (PICS, security profile), or not."""
    skip = item.get_closest_marker("skip")
    if skip is None:
        return "applicable"
    reason = str(skip.kwargs.get("reason", skip.args[0] if skip.args else ""))
    return reason if reason.startswith("not applicable") else f"skipped: {reason}"


def _catalogue_entry(item: pytest.Item, root: Path) -> dict[str, Any]:
    meta = item.stash.get(META, None)
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    scenario, broken = params.get("ocpp_scenario"), params.get("ocpp_scenario_error")
    problems = broken.problems if isinstance(broken, SourceError) else []
    source = Path(scenario.source) if isinstance(scenario, Scenario) else Path(str(item.path))
    if problems:
        source = Path(problems[0].split(":", 1)[0])  # "file:line: what"
    with contextlib.suppress(ValueError):
        source = source.resolve().relative_to(root)
    if meta is None:
        return {"id": callspec.id if callspec is not None else item.name, "nodeid": item.nodeid,
                "source": str(source), "kind": "yaml" if problems else "python",
                "applicability": "broken: " + "; ".join(problems) if problems else "not an OCPP test case"}
    return {"id": meta.id, "nodeid": item.nodeid, "sut": meta.sut, "title": meta.title,
            "profiles": list(meta.profiles), "severity": meta.severity, "pics": meta.pics,
            "security": list(meta.security), "usecases": list(meta.usecases), "requirements": list(meta.requirements),
            "source": str(source), "kind": "yaml" if isinstance(scenario, Scenario) else "python",
            "applicability": _applicability(item)}


def pytest_collection_finish(session: pytest.Session) -> None:
    """With --ocpp-catalogue: write every selected case (after the role and certification-profile filters and the
    applicability decision of pytest_collection_modifyitems) as JSON."""
    config = session.config
    target = config.getoption("ocpp_catalogue")
    if not target:
        return
    settings = config.stash[SETTINGS]
    root = Path(str(config.rootpath)).resolve()
    catalogue = {"role": role_of(config), "cert_profile": settings.cert_profile,
                 "suts": {p.kind: {"name": p.name or p.identity, "builtin": p.builtin,
                                   "security_profile": p.security.profile,
                                   "pics": sorted(k for k, v in p.pics.items() if v)}
                          for p in (settings.station, settings.csms)},
                 "cases": [_catalogue_entry(item, root) for item in session.items]}
    Path(target).write_text(json.dumps(catalogue, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
