"""The files Allure reads beside the results (DESIGN.md §9): `categories.json` sorts failures into what a reader
acts on, `environment.properties` says what was tested with what. Plain files: no allure import needed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

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


def tidy_results(results_dir: Path) -> None:
    """What allure-pytest writes beyond what a lab user needs goes: the containers, which hold only pytest fixtures
    (Allure shows them as "Set up" / "Tear down" steps of every case; a broken fixture still shows in the case's own
    status and message), and tags of pytest marks. Idempotent: each pass of a run may call it on the one folder."""
    if not results_dir.is_dir():
        return
    for container in results_dir.glob("*-container.json"):
        container.unlink(missing_ok=True)
    for file in results_dir.glob("*-result.json"):
        try:
            result = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being written by another process, or not ours: leave it
        labels = result.get("labels", [])
        kept = [x for x in labels if not (x.get("name") == "tag" and x.get("value") in NOISE_TAGS)]
        if len(kept) != len(labels):
            result["labels"] = kept
            file.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
