"""The SUT profile: the shipped files, `file:line` errors, PICS conditions, and what the plugin does with them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.profile import (
    MASK,
    PicsCondition,
    Security,
    SutProfile,
    builtin_csms_profile,
    builtin_station_profile,
    profile_json_schema,
)
from harness.usecase.loader import SourceError, load_profile
from harness.usecase.testcase import meta_of, testcase

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "profiles"
INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
"""


def test_shipped_builtin_profiles_are_the_builtin_defaults() -> None:
    assert load_profile(PROFILES / "builtin-station.yaml") == builtin_station_profile()
    assert load_profile(PROFILES / "builtin-csms.yaml") == builtin_csms_profile()


def test_templates_load_and_hold_no_secret() -> None:
    station = load_profile(PROFILES / "station-template.yaml")
    csms = load_profile(PROFILES / "csms-template.yaml")
    assert (station.kind, station.control.adapter, station.security.password_env) == ("station", "http",
                                                                                     "ACME_WB_PASSWORD")
    assert csms.kind == "csms" and csms.endpoint.url.startswith("wss://")
    assert station.id_tokens.valid.id_token == "04A2B3C4D5E6F7"  # quoted: YAML would read 04… as a number


def test_the_report_copy_of_a_profile_masks_what_could_be_secret() -> None:
    profile = SutProfile.model_validate({
        "kind": "csms", "identity": "CS-1", "endpoint": {"url": "wss://cs-1:hunter22hunter@csms.example/ocpp"},
        "id_tokens": {"valid": {"id_token": "04A2B3C4D5E6F7"}},
        "policies": {"lab": {"api_key": "k-123456", "password": "p4ssw0rd", "token": "t-987"}, "note": "free text"},
        "control": {"adapter": "http", "url": "https://ops:s3cr3t@lab.example", "token_env": "LAB_TOKEN"},
    })
    masked = profile.masked()
    text = json.dumps(masked)
    for secret in ("hunter22hunter", "k-123456", "p4ssw0rd", "t-987", "s3cr3t"):
        assert secret not in text
    assert masked["endpoint"]["url"] == f"wss://cs-1:{MASK}@csms.example/ocpp"
    assert masked["control"]["url"] == f"https://ops:{MASK}@lab.example"
    # what a reader needs stays: env var names, id tokens, plain policy answers
    assert masked["control"]["token_env"] == "LAB_TOKEN" and masked["security"]["password_env"]
    assert masked["id_tokens"]["valid"]["idToken"] == "04A2B3C4D5E6F7"
    assert masked["policies"]["note"] == "free text"


def test_shipped_json_schema_is_current() -> None:
    shipped = json.loads((PROFILES / "sut-profile.schema.json").read_text())
    assert shipped == profile_json_schema(), "run scripts/gen_docs.py: it regenerates profiles/sut-profile.schema.json"


@pytest.mark.parametrize(("text", "expected"), [
    ("kind: station\nidentity: X\nevses:\n  - {id: 1, connectors: two}\n", ":4: evses.0.connectors"),
    ("kind: station\nidentity: X\ncolour: red\n", ":3: colour: Extra inputs are not permitted"),
    ("kind: station\nidentity: X\nidentity: Y\n", ":3: key 'identity' appears twice"),
    ("kind: station\nidentity: [unclosed\n", ": not valid YAML"),
    ("kind: robot\nidentity: X\n", ":1: kind: Input should be 'station' or 'csms'"),
    ("kind: csms\nidentity: X\n", ":1: (top level): Value error, a CSMS profile needs endpoint.url"),
    ("kind: station\nidentity: X\npics:\n  C-01: true\n  C01: true\n", ":5: pics.C01: 'C01' is not a Part 5 feature"),
    ("kind: station\nidentity: X\npics:\n  C-99: true\n", ":4: pics.C-99: 'C-99' is not a Part 5 feature"),
    ("kind: station\nidentity: X\npics:\n  C-44: true\n", ":4: pics.C-44: C-44 is a Part 5 item of a CSMS, not of"),
    ("kind: csms\nidentity: X\nendpoint: {url: 'ws://h/o'}\npics:\n  AQ-2: true\n",
     ":5: pics.AQ-2: AQ-2 is a Part 5 item of a Charging Station, not of a CSMS"),
    ("kind: station\nidentity: X\ncontrol:\n  adapter: shell\n", ":3: control: Value error, adapter 'shell' needs"),
    ("- just\n- a list\n", ":1: a SUT profile is a mapping"),
])
def test_profile_errors_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "sut.yaml"
    path.write_text(text)
    with pytest.raises(SourceError) as info:
        load_profile(path)
    assert any(p.startswith(str(path)) and expected in p for p in info.value.problems), info.value.problems
    assert not any("pics" in p and "Value error" in p for p in info.value.problems)


@pytest.mark.parametrize(("condition", "claimed", "holds"), [
    ("C-01", {"C-01": True}, True),
    ("C-01", {}, False),
    ("C-01 AND NOT C-02", {"C-01": True, "C-02": False}, True),
    ("(C-09.1 or C-09.2) and AQ-2", {"C-09.2": True, "AQ-2": True}, True),
    ("(C-09.1 or C-09.2) and AQ-2", {"C-09.2": True}, False),
    ("NOT NOT HFS-3", {"HFS-3": True}, True),
])
def test_pics_conditions(condition: str, claimed: dict[str, bool], holds: bool) -> None:
    assert PicsCondition(condition).holds(claimed) is holds


def test_pics_explains_what_the_profile_said() -> None:
    assert PicsCondition("C-01 AND C-49").explain({"C-01": True}) == "needs C-01 AND C-49; profile says C-01 yes, C-49 no"


@pytest.mark.parametrize("bad", ["C-01 AND", "C-01 C-02", "(C-01", "C-01 XOR C-02", "offline"])
def test_a_bad_pics_condition_is_refused_when_the_case_is_defined(bad: str) -> None:
    with pytest.raises(ConfigError, match="RPC_01_CS: PICS condition"):
        testcase("RPC_01_CS", "x", profiles=("Framework",), pics=bad)


def test_an_oca_case_takes_its_metadata_from_the_catalogue_whatever_the_decorator_says() -> None:
    fn = testcase("TC_C_08_CS", "my own title", usecases=("Z99",), requirements=("Z99.FR.01",),
                  profiles=("AUI",), pics="C-01 AND", notes="why")(lambda: None)
    meta = meta_of(fn)
    assert meta is not None
    assert (meta.title, meta.usecases, meta.profiles, meta.pics) == (
        "Authorization through authorization cache - Accepted", ("C12",), ("Core",), "C-49")
    assert meta.requirements == ("C12.FR.02", "C12.FR.04") and meta.notes == "why"
    assert meta.severity == "conditional"
    assert meta_of(testcase("TC_B_01_CS")(lambda: None)).severity == "mandatory"  # type: ignore[union-attr]


def test_an_oca_looking_id_the_catalogue_lacks_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"TC_B_99_CS is not an OCPP 2\.0\.1 Part 6 test case"):
        testcase("TC_B_99_CS", "x")


CASES = '''
from harness import testcase

@testcase("TC_C_08_CS", "cache", pics="C-49")
async def test_TC_C_08_CS(ocpp_case):
    pass

@testcase("TC_C_21_CS", "local list", profiles=("LocalAuth",), pics="C-01")
async def test_TC_C_21_CS(ocpp_case):
    pass

@testcase("RPC_01_CS", "framework", profiles=("Framework",), severity="framework")
async def test_RPC_01_CS(ocpp_case):
    pass

@testcase("TC_B_01_CSMS", "boot")
async def test_TC_B_01_CSMS(ocpp_case):
    pass
'''


def _station_profile(pytester: pytest.Pytester, pics: str) -> Path:
    return pytester.makefile(".yaml", sut=f"kind: station\nidentity: LAB-1\ncontrol:\n  adapter: prompt\n{pics}")


def test_a_case_whose_pics_condition_is_false_is_not_applicable_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_cases=CASES)
    sut = _station_profile(pytester, "pics:\n  C-30: true\n")  # TC_C_21_CS: C-30 OR … (catalogue); TC_C_08_CS: C-49
    result = pytester.runpytest_subprocess(f"--ocpp-sut={sut}", "-rs", "-p", "no:cacheprovider")
    # A station profile alone selects role cs: the CSMS case is deselected.
    result.assert_outcomes(passed=2, skipped=1, deselected=1)
    result.stdout.fnmatch_lines(["*not applicable: needs C-49; profile says C-49 no*"])


def test_cert_profile_selects_its_cases_and_keeps_framework_checks(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_cases=CASES)
    result = pytester.runpytest_subprocess("--ocpp-cert-profile=LocalAuth", "--ocpp-role=cs", "-v",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, deselected=2)
    result.stdout.fnmatch_lines(["*TC_C_21_CS PASSED*", "*RPC_01_CS PASSED*"])
    bad = pytester.runpytest_subprocess("--ocpp-cert-profile=Gold", "-p", "no:cacheprovider")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--ocpp-cert-profile: 'Gold' is not one of*"])


def test_a_broken_profile_stops_the_run_naming_file_and_line(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_cases=CASES)
    sut = pytester.makefile(".yaml", sut="kind: station\nidentity: LAB-1\nevses:\n  - {id: 2}\n")
    result = pytester.runpytest_subprocess(f"--ocpp-sut={sut}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{sut}:1: (top level): Value error, evses: ids must be 1, 2, … in order*"])


def test_two_station_profiles_are_refused(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_cases=CASES)
    one = _station_profile(pytester, "")
    two = pytester.makefile(".yml", other="kind: station\nidentity: LAB-2\ncontrol:\n  adapter: prompt\n")
    result = pytester.runpytest_subprocess(f"--ocpp-sut={one}", f"--ocpp-sut={two}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*both describe a station*"])


def test_supported_security_profiles_are_the_one_in_use_unless_listed() -> None:
    """Part 6 prerequisites "supports security profile N" (e.g. TC_M_01_CS: 2 or 3) read `security.supported`."""
    assert not Security(profile=1).supports(2, 3) and Security(profile=1).supports(1)
    assert Security(profile=1, supported=[1, 2]).supports(2, 3)
    assert Security(profile=3).supports(2, 3)
