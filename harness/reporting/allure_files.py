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
