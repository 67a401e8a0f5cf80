"""The OCPP 2.0.1 test-case catalogue: every Part 6 id with its title, use cases, requirements, Part 5 certification
profiles and PICS condition, and the Part 5 features and additional questions a SUT profile may claim.

The data is `catalogue.json` beside this module, made by `scripts/build_catalogue.py` from the OCA documents
(Edition 3 with errata up to 2025-09); it is read once, on first use. Facts only: the OCA's prose is not in it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

Role = Literal["CS", "CSMS"]
Kind = Literal["feature", "question", "hardware"]


@dataclass(frozen=True)
class Entry:
    """One Part 6 test case for one SUT role (TC_B_01_CS and TC_B_01_CSMS are two entries)."""

    id: str
    sut: Role
    title: str
    usecases: tuple[str, ...]
    requirements: tuple[str, ...]
    profiles: tuple[str, ...]  # certification profiles it belongs to (short names: Core, AdvSec, …)
    mandatory_in: tuple[str, ...]  # profiles where Part 5 marks it M
    conditional_in: tuple[str, ...]  # profiles where Part 5 marks it C
    condition: str | None  # PICS condition (harness.profile.PicsCondition syntax); None: none
    condition_note: str | None  # what Part 5's condition asks beyond `condition`, in the project's words
    features: tuple[str, ...]  # feature ids Part 5 relates to the case
    removed_by: str | None  # the erratum that took it out of the certification program, if one did

    @property
    def mandatory(self) -> bool:
        """Part 5 requires it of every SUT of a profile it is in: M there and no condition anywhere."""
        return bool(self.mandatory_in) and not self.conditional_in and self.condition is None


@dataclass(frozen=True)
class Feature:
    """A Part 5 PICS item a SUT profile claims under `pics`: an optional feature (C-01), an additional question
    to the lab (AQ-2) or a hardware feature (HFS-1)."""

    id: str
    name: str
    kind: Kind
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class _Catalogue:
    profiles: dict[str, str]
    entries: tuple[Entry, ...]
    by_id: dict[str, Entry]
    features: tuple[Feature, ...]


@cache
def _load() -> _Catalogue:
    data: dict[str, Any] = json.loads(resources.files(__package__).joinpath("catalogue.json").read_text("utf-8"))
    entries = tuple(Entry(c["id"], c["sut"], c["title"], tuple(c["usecases"]), tuple(c["requirements"]),
                          tuple(c["profiles"]), tuple(c["mandatory_in"]), tuple(c["conditional_in"]), c["condition"],
                          c["condition_note"], tuple(c["features"]), c.get("removed_by"))
                    for c in data["cases"])
    features = tuple(Feature(f["id"], f["name"], f["kind"], tuple(f["roles"])) for f in data["features"])
    return _Catalogue(dict(data["profiles"]), entries, {e.id: e for e in entries}, features)


def entries() -> tuple[Entry, ...]:
    """Every catalogue entry, sorted by block, number and role."""
    return _load().entries


def entry(case_id: str) -> Entry | None:
    """The entry of an OCA test-case id (TC_B_01_CS), or None when Part 6 has no such case."""
    return _load().by_id.get(case_id)


def features(role: Role | None = None) -> tuple[Feature, ...]:
    """The Part 5 features, additional questions and hardware features, optionally only those of one SUT role
    (the CSMS additional questions have ids of their own since errata 2025-02)."""
    every = _load().features
    return every if role is None else tuple(f for f in every if role in f.roles)


def certification_profiles() -> dict[str, str]:
    """Short name (Core, AdvSec, LocalAuth …) -> the Part 5 profile name."""
    return dict(_load().profiles)


def pics_problems(role: Role, claimed: Iterable[str]) -> dict[str, str]:
    """The `pics` keys of a SUT profile that are not Part 5 items of its role, each with why: a SUT profile
    claims exactly the features, additional questions and hardware features of the catalogue."""
    mine = {f.id for f in features(role)}
    every = {f.id: f for f in features()}
    what = "Charging Station" if role == "CS" else "CSMS"
    problems = {}
    for key in claimed:
        if key in mine:
            continue
        if key in every:
            problems[key] = f"{key} is a Part 5 item of a {'CSMS' if role == 'CS' else 'Charging Station'}, not of a {what}"
        else:
            examples = ", ".join(f.id for f in features(role) if f.kind != "feature")[:40]
            problems[key] = (f"{key!r} is not a Part 5 feature, additional question or hardware feature of a {what} "
                             f"(C-01, C-09.1, {examples}…; `ocpp-harness list --all --format json` lists them)")
    return problems
