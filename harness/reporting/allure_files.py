"""The files Allure reads beside the results (DESIGN.md §9): `categories.json` sorts failures into what a reader
acts on, `environment.properties` says what was tested with what. Plain files: no allure import needed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

OCPP_EDITION = "OCPP 2.0.1 Edition 3"
ERRATA_LEVEL = "errata up to 2025-09 (project reference)"

# Allure applies the first category whose status and regexes match; order matters (timing before SUT defect).
CATEGORIES: list[dict[str, object]] = [
    {"name": "Not applicable", "matchedStatuses": ["skipped"], "messageRegex": r"(?s)not applicable.*"},
    {"name": "Needs decision", "matchedStatuses": ["skipped"], "messageRegex": r"(?s).*needs decision.*"},
    {"name": "Timing", "matchedStatuses": ["failed"], "messageRegex": r"(?s).*(timing:|rule: TIMING|TIMING).*"},
    {"name": "SUT defect", "matchedStatuses": ["failed"]},
    {"name": "Harness error", "matchedStatuses": ["broken"]},
]


def _escape(value: str) -> str:
    """A Java properties value on one line (Allure reads the file as Java properties)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("=", "\\=").replace(":", "\\:")


def write_allure_files(results_dir: Path, environment: Mapping[str, str]) -> None:
    """Write categories.json and environment.properties into an Allure results directory."""
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "categories.json").write_text(json.dumps(CATEGORIES, indent=2) + "\n", encoding="utf-8")
    env = {"OCPP": OCPP_EDITION, "Errata": ERRATA_LEVEL, **environment}
    lines = [f"{key.replace(' ', '_')}={_escape(value)}" for key, value in env.items()]
    (results_dir / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")


NOISE_TAGS = {"asyncio"}  # pytest marks allure-pytest turns into tags; they say nothing to a lab


def _attachments(node: Any) -> list[dict[str, Any]]:
    """Every attachment in a fixture's part of a container, at any depth (its steps too)."""
    if isinstance(node, dict):
        found = [a for a in node.get("attachments", []) if isinstance(a, dict)]
        return found + [a for key, value in node.items() if key != "attachments" for a in _attachments(value)]
    if isinstance(node, list):
        return [a for item in node for a in _attachments(item)]
    return []


def _read(file: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # being written by another process, or not ours: leave it
    return data if isinstance(data, dict) else None


def tidy_results(results_dir: Path) -> None:
    """What allure-pytest writes beyond what a lab user needs goes: the containers, which hold only pytest fixtures
    (Allure shows them as "Set up" / "Tear down" steps of every case; a broken fixture still shows in the case's own
    status and message), and tags of pytest marks. What a fixture attached (the log uploads of a case) moves to the
    case's own attachments first. Idempotent: each pass of a run may call it on the one folder."""
    if not results_dir.is_dir():
        return
    moved: dict[str, list[dict[str, Any]]] = {}  # result uuid -> attachments of its fixtures
    for container in results_dir.glob("*-container.json"):
        data = _read(container)
        if data is None:
            continue
        found = _attachments([data.get("befores", []), data.get("afters", [])])
        for child in data.get("children", []) if isinstance(data.get("children"), list) else []:
            if found:
                moved.setdefault(str(child), []).extend(found)
        container.unlink(missing_ok=True)
    for file in results_dir.glob("*-result.json"):
        result = _read(file)
        if result is None:
            continue
        labels = result.get("labels", [])
        kept = [x for x in labels if not (isinstance(x, dict) and x.get("name") == "tag"
                                          and x.get("value") in NOISE_TAGS)] if isinstance(labels, list) else labels
        extra = moved.get(str(result.get("uuid")), [])
        if extra or kept != labels:
            result["labels"] = kept
            if extra:
                have: list[Any] = result["attachments"] if isinstance(result.get("attachments"), list) else []
                sources = {a.get("source") for a in have if isinstance(a, dict)}
                result["attachments"] = [*have, *[a for a in extra if a.get("source") not in sources]]
            file.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
