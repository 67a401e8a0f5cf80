"""The test-case catalogue (harness/usecase/catalogue.json): complete, right on known facts, in step with testcases/
and with `ocpp-harness list --all`, and (where the OCA documents are at hand) what the generator makes of them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from harness.profile import PicsCondition
from harness.usecase import catalogue
from harness.usecase.testcase import PROFILES

ROOT = Path(__file__).resolve().parent.parent
# Folder with the OCA's Edition 3 documents (scripts/build_catalogue.py says which files); not in the repository.
OCA_DOCS = os.environ.get("OCPP_OCA_DOCS")


def implemented_ids() -> set[str]:
    """The OCA ids of testcases/: Python @testcase decorators and YAML scenarios."""
    ids: set[str] = set()
    for path in (ROOT / "testcases").glob("*.py"):
        ids |= set(re.findall(r'@testcase\(\s*"(TC_[A-P]_\d+_CS(?:MS)?)"', path.read_text()))
    for path in (ROOT / "testcases" / "scenarios").glob("*.yaml"):
        ids |= set(re.findall(r"^id:\s*(TC_[A-P]_\d+_CS(?:MS)?)\s*$", path.read_text(), flags=re.M))
    return ids


def test_every_part6_id_once_per_role() -> None:
    entries = catalogue.entries()
    assert len(entries) == 675  # 674 tables of Edition 3 and TC_B_58_CSMS of errata 2025-04
    assert len({e.id for e in entries}) == 675
    assert Counter(e.sut for e in entries) == {"CS": 424, "CSMS": 251}
    assert all(e.id.endswith("_" + e.sut) for e in entries)
    assert set(catalogue.certification_profiles()) | {"Framework"} == PROFILES
    assert all(set(e.profiles) <= PROFILES for e in entries)


def test_known_facts() -> None:
    b01 = catalogue.entry("TC_B_01_CS")
    assert b01 is not None and b01.title == "Cold Boot Charging Station - Accepted"
    assert (b01.usecases, b01.requirements) == (("B01",), ("B01.FR.01", "B01.FR.05", "B01.FR.09"))
    assert (b01.profiles, b01.mandatory_in, b01.condition, b01.mandatory) == (("Core",), ("Core",), None, True)
    b58 = catalogue.entry("TC_B_58_CSMS")
    assert b58 is not None and b58.profiles == ("Core",) and b58.mandatory
    assert catalogue.entry("TC_B_58_CS") is None and catalogue.entry("TC_B_99_CS") is None
    conditions = {case_id: entry.condition for case_id in ("TC_C_08_CS", "TC_B_30_CSMS", "TC_E_04_CS", "TC_F_27_CS",
                                                            "TC_H_13_CS", "TC_A_21_CS", "TC_C_08_CSMS")
                  if (entry := catalogue.entry(case_id)) is not None}
    assert conditions == {
        "TC_C_08_CS": "C-49",  # errata 2025-09 5.11 dropped the local-start options
        "TC_B_30_CSMS": "C-44 OR NOT AQ-16",  # the CSMS question renamed by 5.9
        "TC_E_04_CS": "C-30 OR C-31 OR C-32 OR C-33 OR C-35",  # 5.12
        "TC_F_27_CS": "NOT AQ-11",  # ISO-3 removed (5.6)
        "TC_H_13_CS": "NOT R-2",  # reversed by 5.16
        "TC_A_21_CS": "AQ-3",  # 5.14
        "TC_C_08_CSMS": None,  # M for a CSMS
    }
    b14 = catalogue.entry("TC_B_14_CS")  # 5.8: also conditional in Core
    assert b14 is not None and (b14.mandatory_in, b14.conditional_in, b14.condition) == (("ADM",), ("Core",), "C-56")
    o15 = catalogue.entry("TC_O_15_CS")
    assert o15 is not None and o15.profiles == () and o15.removed_by is not None
    k38 = catalogue.entry("TC_K_38_CS")  # 'NOT Smart Charging': a profile, no PICS feature says it
    assert k38 is not None and k38.condition is None and "Smart Charging" in (k38.condition_note or "")
    c58 = catalogue.entry("TC_C_58_CS")  # its Part 6 table repeats TC_C_28_CS in the Id row
    assert c58 is not None and c58.title.endswith("LocalAuthListDisablePostAuthorize")


def test_conditions_parse_and_name_only_features_of_their_role() -> None:
    for role in ("CS", "CSMS"):
        mine = {f.id for f in catalogue.features(role)}  # type: ignore[arg-type]
        for e in catalogue.entries():
            if e.sut == role and e.condition is not None:
                unknown = set(PicsCondition(e.condition).features) - mine
                assert not unknown, f"{e.id}: {e.condition} names {unknown}, not Part 5 items of a {role}"
    questions = {role: {f.id for f in catalogue.features(role) if f.kind == "question"}  # type: ignore[arg-type]
                 for role in ("CS", "CSMS")}
    assert {"AQ-1", "AQ-2", "AQ-9"} <= questions["CS"] and {"AQ-16", "AQ-17"} <= questions["CSMS"]
    assert "AQ-6" not in questions["CSMS"] and not questions["CS"] & questions["CSMS"]
    assert "ISO-3" not in {f.id for f in catalogue.features()}  # removed by errata 2025-09 5.6


def test_every_implemented_oca_case_is_in_the_catalogue() -> None:
    ids = implemented_ids()
    assert len(ids) > 100  # the scan found the suite
    assert not {i for i in ids if catalogue.entry(i) is None}


def test_list_all_covers_the_catalogue_and_agrees_with_testcases() -> None:
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "list", "--all", "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    entries = listed["entries"]
    assert [e["id"] for e in entries] == sorted(e.id for e in catalogue.entries())
    implemented = implemented_ids()
    assert {e["id"] for e in entries if e["implemented"]} == implemented
    assert {e["status"] for e in entries} <= {"implemented", "not implemented", "not applicable"}
    assert all(e["reason"] for e in entries if e["status"] == "not applicable")
    tls = next(e for e in entries if e["id"] == "TC_A_04_CS")  # the built-in profiles run at security profile 1
    assert tls["status"] == "not applicable" and "security profile 1" in tls["reason"]
    b58 = next(e for e in entries if e["id"] == "TC_B_58_CSMS")
    assert b58["profiles"] == ["Core"] and b58["condition"] is None
    expected = Counter((p, e.sut) for e in catalogue.entries() for p in e.profiles)
    done = Counter((p, e.sut) for e in catalogue.entries() for p in e.profiles if e.id in implemented)
    coverage = {(c["profile"], c["sut"]): (c["implemented"], c["total"]) for c in listed["coverage"]}
    assert coverage == {key: (done[key], total) for key, total in expected.items()}
    assert coverage[("Core", "CS")][0] > 0


def test_list_all_table_ends_with_one_coverage_line_per_profile_and_role() -> None:
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "list", "--all", "--role", "csms"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^  Core CSMS \d+/132$", proc.stdout, flags=re.M), proc.stdout[-800:]
    assert not re.search(r"^  Core CS \d+/", proc.stdout, flags=re.M)  # role csms only
    assert re.search(r"^TC_A_12_CSMS .* not implemented$", proc.stdout, flags=re.M)  # ISO 15118: no one covers it yet


@pytest.mark.skipif(not OCA_DOCS, reason="set OCPP_OCA_DOCS to the folder of the OCA documents to compare the "
                                         "catalogue with a fresh run of scripts/build_catalogue.py")
def test_the_catalogue_is_what_the_generator_makes_of_the_oca_documents() -> None:
    pytest.importorskip("pdfplumber", reason="the generator reads Part 5 with pdfplumber (dev dependency)")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_catalogue.py"), str(OCA_DOCS), "--check"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
