"""The plugin end to end with pytester: options, collection, verdicts, JUnit and Allure output."""

from __future__ import annotations

import json

import pytest

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
"""

CASE = '''
from harness import testcase

@testcase("TC_B_06_CS", "Get Variables - single value", usecases=("B06",), requirements=("B06.FR.01",))
async def test_TC_B_06_CS(ocpp_case):
    assert ocpp_case.meta.sut == "CS"
'''


def test_metadata_reaches_junit_and_allure(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_case=CASE)
    result = pytester.runpytest_subprocess("--junitxml=junit.xml", "--alluredir=allure", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="ocpp_id" value="TC_B_06_CS"' in junit
    labels = {}
    for path in (pytester.path / "allure").glob("*-result.json"):
        data = json.loads(path.read_text())
        labels = {(lbl["name"], lbl["value"]) for lbl in data["labels"]}
    assert ("story", "TC_B_06_CS") in labels
    assert ("epic", "B Provisioning") in labels
    assert ("feature", "B06") in labels
    assert ("tag", "Core") in labels


def test_other_loop_scope_is_refused_with_what_to_write(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(test_case=CASE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*asyncio_default_fixture_loop_scope = session*"])


def test_a_made_up_oca_id_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_case=CASE.replace("TC_B_06_CS", "TC_B_06_STATION"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*neither an OCA id*"])
    assert result.ret != 0


def test_unset_policy_in_strict_decision_mode_is_needs_decision(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_case='''
from harness import testcase

@testcase("RPC_07_CS", "extra property", profiles=("Framework",), severity="framework")
async def test_RPC_07_CS(ocpp_case):
    ocpp_case.settings.policy("rpc.reply.extra_property")
''')
    strict = pytester.runpytest_subprocess("--ocpp-decision-mode=strict", "-rs", "-p", "no:cacheprovider")
    strict.assert_outcomes(skipped=1)
    strict.stdout.fnmatch_lines(["*needs decision: policy 'rpc.reply.extra_property'*"])
    pragmatic = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    pragmatic.assert_outcomes(passed=1)


def test_unknown_fault_switch_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_case=CASE)
    result = pytester.runpytest_subprocess("--ocpp-sim-fault=no_such_fault", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown fault switch*no_such_fault*"])


def test_bad_timeout_names_where_it_came_from(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_case=CASE)
    result = pytester.runpytest_subprocess("--ocpp-timeout=soon", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--ocpp-timeout*'soon' is not a number*"])


def test_a_pki_dir_inside_the_reports_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_case=CASE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ocpp-reports-dir=out",
                                           "--ocpp-pki-dir=out/pki")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--ocpp-pki-dir out/pki lies inside the reports directory out*"])


def test_a_trusted_ca_the_profile_names_must_exist(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_case=CASE)
    (pytester.path / "lab").mkdir()
    (pytester.path / "lab" / "station.yaml").write_text(
        "kind: station\nidentity: LAB-1\nsecurity: {profile: 3, trusted_ca: [ca/lab-ca.pem]}\n"
        "control: {adapter: prompt}\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ocpp-sut=lab/station.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*security.trusted_ca: no such file {pytester.path}/lab/ca/lab-ca.pem*"])


SECURITY_CASES = '''
from harness import testcase

@testcase("TC_B_01_CS", "any profile")
async def test_TC_B_01_CS(ocpp_case):
    pass

@testcase("TC_A_09_CS", "Basic Auth", security=(1, 2))
async def test_TC_A_09_CS(ocpp_case):
    pass

@testcase("TC_A_04_CS", "TLS server certificate", security=(2,))
async def test_TC_A_04_CS(ocpp_case):
    pass

@testcase("TC_A_07_CS", "mutual TLS", security=(2, 3))
async def test_TC_A_07_CS(ocpp_case):
    pass
'''


@pytest.mark.parametrize(("level", "selected"), [
    ("1", {"TC_B_01_CS", "TC_A_09_CS"}), ("2", {"TC_A_04_CS", "TC_A_07_CS"}), ("3", set()),
])
def test_a_profile_pass_runs_each_case_once_at_its_lowest_security_profile(pytester: pytest.Pytester, level: str,
                                                                          selected: set[str]) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_cases=SECURITY_CASES)
    result = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider", "--ocpp-role=cs",
                                           "--ocpp-profile-pass", f"--ocpp-security-profile={level}")
    collected = {line.rsplit("test_", 1)[1] for line in result.stdout.lines if "::test_" in line}
    assert collected == selected, result.stdout.str()


LONG_WAIT_CASE = '''
from harness import testcase

@testcase("TC_B_06_CS", "a long wait")
async def test_TC_B_06_CS(csms):
    after = csms.transcript.records[-1].seq if csms.transcript.records else 0
    await csms.wait_record(lambda r: r.direction == "rx" and r.action == "Heartbeat", what="the next Heartbeat",
                           after=after, within=45)
'''


def test_a_long_wait_is_announced_on_the_terminal(pytester: pytest.Pytester) -> None:
    """Issue 13: "waiting up to N s for ..." while a case waits long, so nobody wonders whether it hangs."""
    pytester.makeini(INI)
    pytester.makepyfile(test_case=LONG_WAIT_CASE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ocpp-heartbeat-interval=2",
                                           "--ocpp-reports-dir=rep")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  waiting up to 45 s for the next Heartbeat"])
    transcript = (pytester.path / "rep" / "transcripts" / "TC_B_06_CS.jsonl").read_text()
    assert "waiting up to 45 s for the next Heartbeat" in transcript
