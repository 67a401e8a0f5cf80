"""Build harness/usecase/catalogue.json, the test-case catalogue, from the OCA's OCPP 2.0.1 Edition 3 documents.

    .venv/bin/python scripts/build_catalogue.py OCA_DIR [--out harness/usecase/catalogue.json] [--check]

OCA_DIR is a folder with the OCA's "OCPP 2.0.1 Edition 3" files as published, plus the plain-text rendering of the
Part 6 PDF (`pdftotext -layout`, a change of format only):

    OCPP-2.0.1_edition3_part6-testcases.txt            the 674 test-case tables
    OCPP-2.0.1_edition3_part5_certification_profiles.pdf   profiles, features, which case applies when
    OCPP-2.0.1_edition3_errata_2025-09.md               errata up to 2025-09 (supersedes 2025-01)
    OCPP-2.0.1_edition3_errata_2025-01.txt              only checked: everything it names must be in 2025-09

Part 5 is read from the PDF's table cells (pdfplumber): its text rendering interleaves the columns. The documents
are CC BY-ND 4.0: only facts go into the catalogue (ids, titles, use-case and requirement ids, profile membership,
M/C status, feature ids and names, feature expressions). Where Part 5's condition says more than its feature
expression, the catalogue says it in a `condition_note` of our own words. Errata win over the edition: 2025-09 over
2025-01 over the edition text. `--check` compares the result with the catalogue in the repository (exit 1 when
they differ) instead of writing it. What the build resolved is printed on stderr.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.profile import PicsCondition  # noqa: E402  (every condition written must parse)

PART6 = "OCPP-2.0.1_edition3_part6-testcases.txt"
PART5 = "OCPP-2.0.1_edition3_part5_certification_profiles.pdf"
ERRATA_09 = "OCPP-2.0.1_edition3_errata_2025-09.md"
ERRATA_01 = "OCPP-2.0.1_edition3_errata_2025-01.txt"

# Part 5 section titles -> the short names the harness uses (harness.usecase.testcase.PROFILES)
PROFILES = {"Core": "Core", "Advanced Security": "AdvSec", "Local Authorization List Management": "LocalAuth",
            "Smart Charging": "SmartCharging", "Advanced Device Management": "ADM", "Reservation": "Reservation",
            "Advanced User Interface": "AUI", "ISO 15118 Support": "ISO15118"}
ROLES = ("CS", "CSMS")
_ID = re.compile(r"TC_[A-P]_\d{2,3}_(?:CSMS|CS)")
_FEATURE = re.compile(r"[A-Z]{1,3}-\d+(?:\.\d+)?")


def fail(text: str) -> None:
    raise SystemExit(f"build_catalogue: {text}")


def note(text: str) -> None:
    print(f"  {text}", file=sys.stderr)


# ---- Part 6: the test-case tables --------------------------------------------------------------------------------
_FOOTER = re.compile(r"^\f?(OCPP 2\.0\.1 Edition 3 - © Open Charge Alliance.*|Edition 3 FINAL, 2024-05-06)\s*$")
_LABELS = {"Test case name": "title", "Test case Id": "id", "Use case Id(s)": "usecases",
           "Requirement(s)": "requirements", "System under test": "sut"}
_USECASE = re.compile(r"\b[A-P]\d{2}\b")
_REQUIREMENT = re.compile(r"\b([A-P]\d{2})[._]FR[._](\d+)")  # C14_FR_03 (Part 6 writes it so once) is C14.FR.03
_CAPTION = re.compile(r"Test Case Id: (TC_\S+)")


def requirement_ids(text: str) -> list[str]:
    return list(dict.fromkeys(f"{a}.FR.{b}" for a, b in _REQUIREMENT.findall(text)))


@dataclass
class Part6Case:
    id: str
    sut: str
    title: str
    usecases: list[str]
    requirements: list[str]
    source: str  # where the facts come from: the edition, or the erratum that replaced the table


def _join(parts: list[str]) -> str:
    """Continuation lines of one cell; a requirement id cut at the line end (A00.FR.50 / 8) is glued back."""
    text = ""
    for part in parts:
        glue = "" if text and re.search(r"[\w.]$", text) and part[:1].isdigit() else " "
        text = (text + glue + part).strip()
    return text


def _case(cells: dict[str, str], source: str) -> Part6Case:
    sut = {"Charging Station": "CS", "CSMS": "CSMS"}.get(cells.get("sut", "").strip())
    case_id = cells.get("id", "").strip()
    if not _ID.fullmatch(case_id) or sut is None or not case_id.endswith("_" + sut):
        fail(f"{source}: table {case_id!r} with system under test {cells.get('sut')!r} does not read as a test case")
    return Part6Case(case_id, sut, re.sub(r"\s+", " ", cells["title"]).strip(),
                     list(dict.fromkeys(_USECASE.findall(cells.get("usecases", "")))),
                     requirement_ids(cells.get("requirements", "")), source)


def read_part6(path: Path) -> dict[str, Part6Case]:
    cases: dict[str, Part6Case] = {}
    cells: dict[str, list[str]] | None = None  # the header rows of the table being read
    label: str | None = None
    caption = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.lstrip("\f")
        if _FOOTER.match(line.strip()):
            continue
        if match := _CAPTION.search(line):
            caption = match.group(1)
            continue
        start = next((k for k in _LABELS if line.startswith(k + " ") or line == k), None)
        if start == "Test case name":
            cells = {}
        if start is not None and cells is not None:
            label = _LABELS[start]
            cells[label] = [line[len(start):].strip()]
            continue
        if label is not None and cells is not None and line.startswith(" ") and line.strip():
            cells[label].append(line.strip())
            continue
        if cells is not None and cells.keys() >= set(_LABELS.values()):
            case = _case({k: _join(v) for k, v in cells.items()}, "Part 6 Edition 3")
            if case.id != caption:
                note(f"Part 6: the table captioned {caption} says Test case Id {case.id}")
            if case.id in cases and caption not in cases:  # a copied Id row: the caption names the case
                note(f"  {case.id} has its own table: this one is {caption}")
                case.id = caption
            if case.id in cases:
                fail(f"Part 6 has two tables for {case.id}")
            cases[case.id] = case
            cells = None
        label = None
    return cases


# ---- errata 2025-09 (markdown with HTML tables) ---------------------------------------------------------------------
def errata_sections(text: str) -> dict[str, str]:
    """'5.11' -> the text of that section (heading included), for Part 5 (5.x) and Part 6 (6.x.y)."""
    sections: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^# ([56](?:\.\d+)+)\.? ", line)
        if match:
            current = match.group(1)
            sections[current] = ""
        elif line.startswith("# ") and re.match(r"^# \d\. ", line):
            current = None
        if current is not None:
            sections[current] += line + "\n"
    return sections


def table_rows(text: str) -> Iterator[list[str]]:
    """The cells of every <tr> of the HTML tables in `text`, as plain text."""
    for row in re.findall(r"<tr>(.*?)</tr>", text, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        yield [html.unescape(re.sub(r"<[^>]+>", " ", c)).strip() for c in cells]


def errata_part6(sections: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Replacement tables of Part 6: per test-case id, the header rows they give (a table eliding a row with '...'
    leaves the edition's value) and the erratum they come from."""
    found: dict[str, dict[str, Any]] = {}
    for number, text in sections.items():
        if not number.startswith("6."):
            continue
        for table in re.findall(r"<table>.*?</table>", text, flags=re.S):
            cells = {_LABELS[r[0]]: r[-1] for r in table_rows(table) if len(r) >= 2 and r[0] in _LABELS}
            if not _ID.fullmatch(cells.get("id", "")):
                continue  # a table naming several ids changes steps only
            given = found.setdefault(cells["id"], {})
            given["source"] = f"errata 2025-09 {number}"
            if "title" in cells:
                given["title"] = re.sub(r"\s+", " ", cells["title"]).strip()
            if "usecases" in cells:
                given["usecases"] = list(dict.fromkeys(_USECASE.findall(cells["usecases"])))
            if "requirements" in cells:
                given["requirements"] = requirement_ids(cells["requirements"])
            if "sut" in cells:
                given["sut"] = {"Charging Station": "CS", "CSMS": "CSMS"}.get(cells["sut"], cells["sut"])
    return found


def apply_part6_errata(cases: dict[str, Part6Case], errata: dict[str, dict[str, Any]]) -> None:
    """Use cases and requirements of a replacement table win. Titles stay the edition's: the errata's copies of
    them differ only by slips of the text conversion (EvseId read as 'Evseld') or carry another table's name."""
    for case_id, given in errata.items():
        case = cases.get(case_id)
        if case is None:  # a case the edition does not have (TC_B_58_CSMS): the erratum is its table
            if not given.get("title") or given.get("sut") not in ROLES or not case_id.endswith("_" + given["sut"]):
                fail(f"{given['source']}: {case_id} is new but its table lacks name or system under test")
            cases[case_id] = Part6Case(case_id, given["sut"], given["title"], given.get("usecases", []),
                                       given.get("requirements", []), given["source"])
            note(f"{case_id}: added from {given['source']}")
            continue
        for key in ("usecases", "requirements"):
            if key in given and given[key] != getattr(case, key):
                note(f"{case_id}: {key} {getattr(case, key)} -> {given[key]} ({given['source']})")
                setattr(case, key, given[key])
                case.source = given["source"]
        if given.get("title", case.title) != case.title:
            note(f"{case_id}: kept the edition's title {case.title!r}, not {given['title']!r} ({given['source']})")


# ---- Part 5: profiles, features, conditions ------------------------------------------------------------------------
@dataclass
class Feature:
    id: str
    name: str
    kind: str  # feature | question | hardware
    roles: list[str]


@dataclass
class Row:
    """One row of a Part 5 test-case table: a TC number in one profile, with its status per role."""
    profile: str
    number: str  # TC_B_01
    status: dict[str, str]  # role -> "M" | "C"
    expression: dict[str, str]  # role -> feature expression text (the Feature no. column, or a role's own cell)
    page: int
    source: str = "Part 5 Edition 3"


def _cell(value: str | None) -> str:
    return re.sub(r"\s+", " ", value or "").strip()


_ROLE_LABEL = re.compile(r"(?:For\s+)?(CSMS|CS|Charging Station)\s*:\s*")


def split_by_role(text: str, roles: Iterable[str]) -> dict[str, str]:
    """'CSMS: C-16 Charging Station: NOT (...)' -> one expression per role; plain text -> the same for each."""
    parts = _ROLE_LABEL.split(text)
    if len(parts) == 1:
        return {role: text for role in roles}
    found = {}
    for label, expression in zip(parts[1::2], parts[2::2], strict=True):
        found["CSMS" if label == "CSMS" else "CS"] = expression.strip().rstrip(",").strip()
    return {role: found.get(role, "") for role in roles}


def read_part5(path: Path) -> tuple[list[Row], list[Feature]]:
    import pdfplumber  # only this build needs it (pyproject: dev extra)

    rows: list[Row] = []
    features: dict[str, Feature] = {}
    section = None
    aq_tables = 0
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            for head in (page.extract_text() or "").splitlines():
                match = re.match(r"^4\.\d+\. Test Cases ([A-Za-z0-9 ]+)$", head.strip())  # not the contents page
                if match:
                    section = PROFILES[match.group(1).strip()]
            for table in page.find_tables():
                cells = table.extract()
                header = [_cell(c) for c in cells[0]]
                if len(header) == 7:
                    rows += _test_rows(cells, section, number)
                elif header[:2] == ["Id", "Feature"] and header[2] in ("Charging Station", "CSMS"):
                    _feature_rows(cells[1:], "CS" if header[2] == "Charging Station" else "CSMS", features)
                elif header == ["Id", "Additional questions for lab testing"]:
                    aq_tables += 1  # the first table is the stations', the second the CSMSs'
                    for row in cells[1:]:
                        _add(features, Feature(_cell(row[0]), "", "question", ["CS" if aq_tables == 1 else "CSMS"]))
                elif header == ["Id", "Hardware Feature"]:
                    for row in cells[1:]:
                        _add(features, Feature(_cell(row[0]), _cell(row[1]), "hardware", ["CS"]))
    return rows, list(features.values())


def _add(features: dict[str, Feature], feature: Feature) -> None:
    key = f"{feature.kind}:{feature.id}:{feature.roles[0]}" if feature.kind == "question" else feature.id
    known = features.get(key)
    if known is None:
        features[key] = feature
    elif feature.roles[0] not in known.roles:
        known.roles.append(feature.roles[0])


def _feature_rows(cells: list[list[str | None]], role: str, features: dict[str, Feature]) -> None:
    for row in cells:
        ident, name = _cell(row[0]), _cell(row[1])
        if _FEATURE.fullmatch(ident):  # not a heading row (Core, Time related settings, …)
            if re.fullmatch(r"C-3\d", ident):  # C-30..35 and C-36..39 share names: their headings tell them apart
                name += " (local start)" if int(ident[2:]) <= 35 else " (remote start)"
            _add(features, Feature(ident, name, "feature", [role]))


def _test_rows(cells: list[list[str | None]], section: str | None, page: int) -> list[Row]:
    rows = []
    for raw in cells:
        number = _cell(raw[0])
        if not re.fullmatch(r"TC_[A-P]_\d{2,3}", number):
            continue
        if section is None:
            fail(f"Part 5 page {page}: {number} before any 'Test Cases' section")
        status, expression = {}, {}
        shared = _cell(raw[5])
        for role, value in zip(ROLES, (_cell(raw[2]), _cell(raw[3])), strict=True):
            if value in ("M", "C"):
                status[role] = value
            elif value:  # the role's own condition written in its status cell (TC_F_06), Feature no. says so
                status[role], expression[role] = "C", value
        if shared and not shared.startswith("See column"):
            for role, text in split_by_role(shared, status).items():
                expression.setdefault(role, text)
        rows.append(Row(section, number, status, expression, page))
    return rows


# ---- conditions: Part 5's feature expressions as PicsCondition text -------------------------------------------------
Node = Any  # ("AND"|"OR", [nodes]) | ("NOT", node) | ("ATOM", name) | True | False
_TOKEN = re.compile(r"""\s*(?:
    (?P<hfs8>HFS-8\s*>\s*1)
  | (?P<subtype>Product\s+Subtype\s+"Mode\s+1/2-\s*only\s+Charging\s+Station")
  | (?P<profile>ISO\s*15118\s+support|Local\s+Authorization\s+List\s+Managem\s*ent|Smart\s+Charging)
  | (?P<range>C-(?P<lo>\d{2})\s*-\s*(?:\(or\)\s*)?C-(?P<hi>\d{2}))
  | (?P<feature>[A-Z]{1,3}-\d+(?:\.\d+)?)
  | (?P<op>AND\b|OR\b|NOT\b|\(|\))
)""", re.IGNORECASE | re.VERBOSE)
_PROFILE_NAMES = {"iso": "ISO15118", "loc": "LocalAuth", "sma": "SmartCharging"}
# leftovers: Part 5 terms no PICS feature expresses; the condition keeps what it can, a note says the rest
LEFTOVER = {"ISO15118": ("also counts support of the ISO 15118 certification profile",
                         "not for a SUT with the ISO 15118 certification profile"),
            "LocalAuth": ("also counts support of the Local Authorization List Management certification profile",
                          "not for a SUT with the Local Authorization List Management certification profile"),
            "SmartCharging": ("also counts support of the Smart Charging certification profile",
                              "only for a station without the Smart Charging certification profile"),
            "HFS-8>1": ("needs a station with more than one EVSE", "only for a station with a single EVSE"),
            "MODE12": ("also for a Mode 1/2-only station (product subtype)",
                       "not for a Mode 1/2-only station (product subtype)")}


def normalize(text: str) -> str:
    """Spelling slips of the Part 5 cells made regular: 'C- 30' (a line break), 'C35', 'C.06.1', 'Not'."""
    text = re.sub(r"\b([A-Z]{1,3})-\s+(?=\d)", r"\1-", text)
    text = re.sub(r"\bC(\d{2})\b", r"C-\1", text)
    text = re.sub(r"\bC\.(\d{2}\.\d)\b", r"C-\1", text)
    return re.sub(r"(?<![\w.-])(10\.\d)\b", r"C-\1", text)  # errata 2025-09 5.13 writes '10.1' for C-10.1


def parse_expression(text: str, known: set[str]) -> Node:
    tokens: list[tuple[str, str]] = []
    pos, text = 0, normalize(text).strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"cannot read {text[pos:]!r} in {text!r}")
        pos = match.end()
        if match.group("hfs8"):
            tokens.append(("ATOM", "HFS-8>1"))
        elif match.group("subtype"):
            tokens.append(("ATOM", "MODE12"))
        elif match.group("profile"):
            tokens.append(("ATOM", _PROFILE_NAMES[match.group("profile")[:3].lower()]))
        elif match.group("range"):  # C-30 - C-35: any of the role's features in between
            lo, hi = int(match.group("lo")), int(match.group("hi"))
            members = sorted(f for f in known if re.fullmatch(r"C-\d{2}", f) and lo <= int(f[2:]) <= hi)
            tokens += [("(", ""), *[t for f in members for t in (("OR", ""), ("ATOM", f))][1:], (")", "")]
        elif match.group("feature"):
            tokens.append(("ATOM", match.group("feature").upper()))
        else:
            op = match.group("op").upper()
            tokens.append((op, ""))
    node, rest = _or(tokens)
    if rest:
        raise ValueError(f"unexpected {rest[0][0]} in {text!r}")
    return node


def _or(tokens: list[tuple[str, str]]) -> tuple[Node, list[tuple[str, str]]]:
    left, tokens = _and(tokens)
    items = [left]
    while tokens and tokens[0][0] == "OR":
        right, tokens = _and(tokens[1:])
        items.append(right)
    return (items[0] if len(items) == 1 else ("OR", items)), tokens


def _and(tokens: list[tuple[str, str]]) -> tuple[Node, list[tuple[str, str]]]:
    left, tokens = _not(tokens)
    items = [left]
    while tokens and tokens[0][0] == "AND":
        right, tokens = _not(tokens[1:])
        items.append(right)
    return (items[0] if len(items) == 1 else ("AND", items)), tokens


def _not(tokens: list[tuple[str, str]]) -> tuple[Node, list[tuple[str, str]]]:
    if not tokens:
        raise ValueError("expression ends early")
    kind, value = tokens[0]
    if kind == "NOT":
        inner, rest = _not(tokens[1:])
        return ("NOT", inner), rest
    if kind == "(":
        inner, rest = _or(tokens[1:])
        if not rest or rest[0][0] != ")":
            raise ValueError("missing ')'")
        return inner, rest[1:]
    if kind == "ATOM":
        return ("ATOM", value), tokens[1:]
    raise ValueError(f"expected a feature, got {kind}")


def weaken(node: Node, positive: bool, leftovers: list[tuple[str, bool]]) -> Node:
    """The condition without the terms no PICS feature expresses: each becomes whatever makes the condition easier
    to meet (true where it counts for the case, false under a NOT), so a case is never called not applicable where
    Part 5 may require it. What was left out is collected in `leftovers` (term, polarity)."""
    if isinstance(node, bool):
        return node
    kind = node[0]
    if kind == "ATOM":
        if node[1] in LEFTOVER:
            leftovers.append((node[1], positive))
            return positive
        return node
    if kind == "NOT":
        inner = weaken(node[1], not positive, leftovers)
        return (not inner) if isinstance(inner, bool) else ("NOT", inner)
    items = [weaken(n, positive, leftovers) for n in node[1]]
    absorbing = kind == "OR"  # True absorbs an OR, False an AND
    if any(i is absorbing for i in items):
        return absorbing
    items = [i for i in items if not isinstance(i, bool)]
    if not items:
        return not absorbing
    flat: list[Node] = []
    for item in items:
        flat += item[1] if item[0] == kind else [item]
    return flat[0] if len(flat) == 1 else (kind, flat)


def show(node: Node, parent: str = "") -> str:
    kind = node[0]
    if kind == "ATOM":
        return str(node[1])
    if kind == "NOT":
        return "NOT " + show(node[1], "NOT")
    text = f" {kind} ".join(show(n, kind) for n in node[1])
    return f"({text})" if parent else text


def atoms(node: Node) -> list[str]:
    if isinstance(node, bool):
        return []
    if node[0] == "ATOM":
        return [node[1]]
    if node[0] == "NOT":
        return atoms(node[1])
    return [a for n in node[1] for a in atoms(n)]


@dataclass
class Condition:
    text: str | None  # PicsCondition syntax; None: none (mandatory, or nothing a feature expresses)
    note: str | None
    features: list[str] = field(default_factory=list)  # feature ids Part 5 relates to the case


def condition(expression: str, role: str, known: set[str], prose_note: str | None = None) -> Condition:
    if not expression:
        return Condition(None, prose_note)
    tree = parse_expression(expression, known)
    unknown = [a for a in atoms(tree) if a not in known and a not in LEFTOVER]
    if unknown:
        raise ValueError(f"{expression!r}: {unknown} are not Part 5 features of a {role}")
    leftovers: list[tuple[str, bool]] = []
    weak = weaken(tree, True, leftovers)
    notes = [LEFTOVER[term][0 if positive else 1] for term, positive in dict.fromkeys(leftovers)]
    if prose_note:
        notes.append(prose_note)
    text = None if isinstance(weak, bool) else show(weak)
    if text is not None:
        PicsCondition(text)  # the harness must read what is written
    features = [a for a in dict.fromkeys(atoms(tree)) if a in known]
    return Condition(text, "; ".join(notes) or None, features)


# ---- Part 5 errata (2025-09 supersedes 2025-01) ---------------------------------------------------------------------
_MARKERS = ("Old", "New", "Removed", "Added", "Added to Core")
# The Part 5 sections of errata 2025-09 whose tables change a case's status or condition
PART5_TABLES = ("5.6", "5.7", "5.8", "5.9", "5.11", "5.12", "5.13", "5.14", "5.15", "5.16", "5.18", "5.19", "5.20")
# 2025-02/2025-04 renamed the CSMS additional questions (5.22, 5.23): the edition's AQ-1 is AQ-17 (via AQ-11) …
CSMS_AQ_RENAMES = {"AQ-1": "AQ-17", "AQ-2": "AQ-12", "AQ-3": "AQ-13", "AQ-3.1": "AQ-13.1", "AQ-3.2": "AQ-13.2",
                   "AQ-4": "AQ-14", "AQ-4.1": "AQ-14.1", "AQ-4.2": "AQ-14.2", "AQ-6": "AQ-16"}
# Short names of our own for the additional questions (Part 5 words them as questions to the lab).
QUESTIONS = {
    ("CS", "AQ-1"): "the last CSMSRootCertificate can be removed",
    ("CS", "AQ-2"): "a cable lock keeps the EV from being connected before authorization",
    ("CS", "AQ-3"): "the last ChargingStationCertificate can be removed (other than over OCPP)",
    ("CS", "AQ-4"): "at least one NumberOfPhases value is not supported",
    ("CS", "AQ-5"): "has a hardWired monitor",
    ("CS", "AQ-6"): "has a pre-configured monitor",
    ("CS", "AQ-7"): "can download firmware during a transaction",
    ("CS", "AQ-8"): "the EVSE is selected (by design) before authorization",
    ("CS", "AQ-9"): "charges an EV using IEC 61851-1 (Mode 3)",
    ("CS", "AQ-10"): "a Delta monitor can be set on SecurityCtrlr.BasicAuthPassword",
    ("CS", "AQ-11"): "supports a combined OCPP and ISO 15118 station certificate",
    ("CS", "AQ-18"): "has a connector with a mechanized locking mechanism on the station side",
    ("CSMS", "AQ-12"): "requests a FullInventory during onboarding",
    ("CSMS", "AQ-13"): "supports absolute values in charging profiles",
    ("CSMS", "AQ-13.1"): "absolute values in a TxDefaultProfile",
    ("CSMS", "AQ-13.2"): "absolute values in a ChargingStationMaxProfile",
    ("CSMS", "AQ-14"): "supports recurring charging profiles",
    ("CSMS", "AQ-14.1"): "recurring TxDefaultProfile",
    ("CSMS", "AQ-14.2"): "recurring ChargingStationMaxProfile",
    ("CSMS", "AQ-16"): "refuses unknown stations at the WebSocket connection set-up",
    ("CSMS", "AQ-17"): "can answer a BootNotification with Pending or Rejected first",
}


def errata_part5_features(features: list[Feature], sections: dict[str, str]) -> list[Feature]:
    """The feature list as errata 2025-09 leaves it; each change is checked against the erratum's text."""
    def cited(number: str, *words: str) -> str:
        text = sections.get(number, "")
        missing = [w for w in words if w not in text]
        if missing:
            fail(f"errata 2025-09 {number} no longer says {missing}: review the Part 5 feature changes")
        return f"errata 2025-09 {number}"

    by_key = {(f.kind, f.id): f for f in features if f.kind != "question"}
    cited("5.6", "Removed", "ISO-3")
    by_key.pop(("feature", "ISO-3"))
    cited("5.7", "C-61", "Security Profile 1 - Unsecured Transport with Basic Authentication")
    by_key[("feature", "C-61")] = Feature("C-61", "Security Profile 1 - Unsecured Transport with Basic Authentication",
                                          "feature", ["CS", "CSMS"])
    cited("5.19", "Added", "R-1")
    by_key[("feature", "R-1")].roles = ["CS", "CSMS"]
    cited("5.4", "Support for disabling Reservations (ReservationEnabled)")
    by_key[("feature", "R-3")].name = "Support for disabling Reservations (ReservationEnabled)"
    cited("5.2", "C-70, C-71, C-72 and C-75", "AQ-18")
    for ident in ("C-70", "C-71", "C-72", "C-75"):  # the erratum names the ids only: a name of our own
        by_key[("feature", ident)] = Feature(ident, "Local stop authorization option (errata 2025-09 names no "
                                                    "method for it)", "feature", ["CS"])
    cited("5.5", "AQ-10")
    cited("5.6", "AQ-11")
    cited("5.21", "AQ-3.1", "AQ-4.2")
    # 5.22 renames AQ-3.1/3.2 but not their heading AQ-3: AQ-13 for it is ours, so the sub-questions keep a parent
    cited("5.22", *[f"<td>{new}</td>" for new in CSMS_AQ_RENAMES.values() if new not in ("AQ-13", "AQ-17")])
    cited("5.23", "<td>AQ-17</td>")
    edition = {(f.roles[0], f.id) for f in features if f.kind == "question"}
    expected = {("CS", f"AQ-{n}") for n in range(1, 10)} | {("CSMS", a) for a in ("AQ-1", "AQ-2", "AQ-6")}
    if edition != expected:
        fail(f"Part 5's additional questions are {sorted(edition)}; the build knows {sorted(expected)}")
    questions = [Feature(ident, name, "question", [role]) for (role, ident), name in QUESTIONS.items()]
    return sorted(by_key.values(), key=lambda f: feature_key(f.id)) + questions


def feature_key(ident: str) -> tuple[str, tuple[int, ...]]:
    prefix, _, number = ident.partition("-")
    return prefix, tuple(int(n) for n in number.split("."))


def errata_part5_rows(rows: list[Row], sections: dict[str, str]) -> dict[tuple[str, str], str]:
    """Apply the status and condition changes of errata 2025-09 to the Part 5 rows, in place. Returns the cases
    the errata take out of the certification program: (TC number, role) -> the erratum."""
    removed: dict[tuple[str, str], str] = {}
    for number in PART5_TABLES:
        source = f"errata 2025-09 {number}"
        for cells in table_rows(sections[number]):
            marker = cells[0] if cells and cells[0] in _MARKERS else None
            data = cells[1:] if marker else cells
            if len(data) < 6 or not re.fullmatch(r"TC_[A-P]_\d{2,3}", data[0]) or marker == "Old":
                continue
            tc, status = data[0], {r: v for r, v in zip(ROLES, (data[2], data[3]), strict=True) if v in ("M", "C")}
            featno = "" if data[5] == "<Removed>" else re.sub(r"\s+", " ", data[5]).strip()
            mine = [r for r in rows if r.number == tc]
            if marker == "Removed":
                for role in status:
                    removed[(tc, role)] = source
                continue
            if marker == "Added to Core":
                mine = [Row("Core", tc, {}, {}, 0)]
                rows.append(mine[0])
            if not mine:
                fail(f"{source}: {tc} is in no Part 5 table")
            for row in mine:
                row.status.update(status)
                for role in status:
                    row.expression[role] = featno
                row.source = source
    text = sections["5.10"]  # the new CSMS case is announced in plain lines, not a table
    if "TC_B_58" not in text or "\nM\n" not in text:
        fail("errata 2025-09 5.10 no longer adds TC_B_58 as mandatory: review")
    rows.append(Row("Core", "TC_B_58", {"CSMS": "M"}, {}, 0, "errata 2025-09 5.10"))
    for row in rows:  # the CSMS questions the edition names by their old ids
        if row.source == "Part 5 Edition 3" and "CSMS" in row.expression:
            row.expression["CSMS"] = re.sub(r"AQ-\d+(?:\.\d+)?", lambda m: CSMS_AQ_RENAMES.get(m[0], m[0]),
                                            row.expression["CSMS"])
    return removed


# ---- the catalogue ---------------------------------------------------------------------------------------------------
# Conditions Part 5 states in prose only, or beyond its feature expression: what they ask, in our own words.
_SLOTS = "the station needs at least two configuration slots for network connection profiles"
PROSE = {"TC_B_45_CS": _SLOTS, "TC_B_46_CS": _SLOTS, "TC_B_47_CS": _SLOTS, "TC_B_49_CS": _SLOTS, "TC_B_50_CS": _SLOTS,
         "TC_C_05_CS": "not for a station whose TxStartPoint is read-only and lacks Authorized"}


def case_key(case_id: str) -> tuple[str, int, str]:
    _, block, number, sut = case_id.split("_")
    return block, int(number), sut


def entry(case: Part6Case, rows: list[Row], removed: dict[tuple[str, str], str],
          known: dict[str, set[str]]) -> dict[str, Any]:
    number = case.id.rsplit("_", 1)[0]
    role = case.sut
    gone = removed.get((number, role))
    mine = [] if gone else [r for r in rows if r.number == number and role in r.status]
    status: dict[str, str] = {}
    conditions: list[Condition] = []
    related: list[str] = []
    for row in mine:
        if row.profile in status:
            fail(f"{case.id} is twice in the Part 5 {row.profile} table")
        status[row.profile] = row.status[role]
        expression = row.expression.get(role, "")
        if row.status[role] == "M":  # the Feature no. column then names what the case exercises, or the other role's
            related += [f for f in _FEATURE.findall(normalize(expression)) if f in known[role]]
            continue
        try:
            found = condition(expression, role, known[role])
        except ValueError as exc:
            fail(f"{case.id} ({row.profile}, {row.source}): {exc}")
        related += found.features
        conditions.append(found)
    texts = list(dict.fromkeys(c.text for c in conditions))
    if None in texts and len(texts) > 1:
        fail(f"{case.id}: conditional with and without a feature expression: {texts}")
    text = texts[0] if len(texts) == 1 else (" OR ".join(f"({t})" for t in texts) if texts else None)
    notes = list(dict.fromkeys(n for c in conditions for n in (c.note or "").split("; ") if n))
    if case.id in PROSE:
        notes.append(PROSE[case.id])
    if conditions and text is None and not notes:
        note(f"{case.id}: conditional in {[p for p, s in status.items() if s == 'C']} with no feature expression")
    result: dict[str, Any] = {
        "id": case.id, "sut": role, "title": case.title, "usecases": case.usecases,
        "requirements": case.requirements,
        "profiles": [] if gone else list(status),
        "mandatory_in": [] if gone else [p for p, s in status.items() if s == "M"],
        "conditional_in": [] if gone else [p for p, s in status.items() if s == "C"],
        "condition": text, "condition_note": "; ".join(notes) or None,
        "features": list(dict.fromkeys(related)),
        "source": sorted({case.source} | {r.source for r in mine} - {"Part 5 Edition 3", "Part 6 Edition 3"}),
    }
    if gone:
        result["removed_by"] = gone
    return result


def build(folder: Path) -> dict[str, Any]:
    for name in (PART6, PART5, ERRATA_09, ERRATA_01):
        if not (folder / name).is_file():
            fail(f"{folder / name} is missing (the OCA's Edition 3 files; Part 6 also as pdftotext -layout .txt)")
    errata = (folder / ERRATA_09).read_text(encoding="utf-8")
    older = set(_ID.findall((folder / ERRATA_01).read_text(encoding="utf-8")))
    if older - set(_ID.findall(errata)):
        fail(f"errata 2025-01 names {sorted(older - set(_ID.findall(errata)))}, which 2025-09 does not: merge them")
    sections = errata_sections(errata)
    print("Part 6:", file=sys.stderr)
    cases = read_part6(folder / PART6)
    counts = {r: sum(c.sut == r for c in cases.values()) for r in ROLES}
    if len(cases) != 674 or counts != {"CS": 424, "CSMS": 250}:
        fail(f"Part 6 Edition 3 has 674 tables (424 CS, 250 CSMS); read {len(cases)} {counts}")
    apply_part6_errata(cases, errata_part6(sections))
    print("Part 5:", file=sys.stderr)
    rows, features = read_part5(folder / PART5)
    features = errata_part5_features(features, sections)
    known = {r: {f.id for f in features if r in f.roles} for r in ROLES}
    removed = errata_part5_rows(rows, sections)
    for (tc, role), source in sorted(removed.items()):
        note(f"{tc}_{role}: out of the certification program ({source})")
    orphans = sorted({f"{r.number}_{role}" for r in rows for role in r.status} - set(cases))
    if orphans:
        note(f"in Part 5 without a Part 6 table (left out): {orphans}")
    entries = [entry(cases[i], rows, removed, known) for i in sorted(cases, key=case_key)]
    return {
        "about": "OCPP 2.0.1 Edition 3 test-case catalogue: facts (ids, titles, use-case and requirement ids, "
                 "certification profiles, Part 5 status and feature conditions) from Parts 5 and 6 and their errata "
                 "up to 2025-09, (c) Open Charge Alliance, CC BY-ND 4.0; condition notes are the project's words. "
                 "Made by scripts/build_catalogue.py; do not edit by hand.",
        "profiles": {short: name for name, short in PROFILES.items()},
        "features": [{"id": f.id, "name": f.name, "kind": f.kind, "roles": f.roles} for f in features],
        "cases": entries,
    }


def dumps(catalogue: dict[str, Any]) -> str:
    """JSON with one feature or case per line, so a change of the catalogue reads as a short diff."""
    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    parts = []
    for key, value in catalogue.items():
        if isinstance(value, list):
            parts.append(f"{one(key)}: [\n  " + ",\n  ".join(one(v) for v in value) + "\n]")
        else:
            parts.append(f"{one(key)}: {one(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("oca_dir", metavar="OCA_DIR", type=Path, help="folder with the OCA documents (see above)")
    parser.add_argument("--out", type=Path, default=ROOT / "harness" / "usecase" / "catalogue.json")
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args(argv)
    text = dumps(build(args.oca_dir))
    if args.check:
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'differs from a fresh build'}", file=sys.stderr)
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
