"""Readings of Part 4 a SUT may take, proven end to end: the framework cases against a scripted CSMS that takes them
(child pytest runs), passing by default with the finding that shows it, and failing where a profile's policy or the
strictness says so; and the headline a vendor reads first when a CSMS answers a valid request oddly. The built-in
simulators take the prescribed reading; their clean runs pass the same cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scripted_csms import SILENT, findings, run_cases, scripted_csms


def _long_id_answered(frame: Any) -> str | None:
    """A CSMS that answers a CALL whatever the length of its message id (Part 4 only limits the sender)."""
    if isinstance(frame, list) and len(frame) == 4 and frame[0] == 2 and len(str(frame[1])) > 36:
        return f'[3,"{frame[1]}",{{}}]'
    return None


async def test_a_long_message_id_answered_passes_with_an_info_finding(tmp_path: Path) -> None:
    async with scripted_csms(_long_id_answered) as url:
        lenient = await run_cases(tmp_path / "default", url, "RPC_04_CSMS")
        strict = await run_cases(tmp_path / "refusal", url, "RPC_04_CSMS",
                                 policies={"rpc.reply.long_message_id": ["RpcFrameworkError", "FormatViolation"]})
    assert lenient.verdicts == {"RPC_04_CSMS": "passed"}, lenient.output[-3000:]
    info = [f for f in findings(tmp_path / "default", "RPC_04_CSMS") if f["severity"] == "info"]
    assert [f["rule"] for f in info] == ["RPC-13"] and "CALLRESULT" in info[0]["text"], info
    # a profile that lists only codes still requires a refusal
    assert strict.verdicts == {"RPC_04_CSMS": "failed"}, strict.output[-3000:]
    assert "answered with a CALLRESULT" in strict.messages["RPC_04_CSMS"], strict.messages["RPC_04_CSMS"]


def _extra_property_as(code: str) -> Any:
    def script(frame: Any) -> str | None:
        if isinstance(frame, list) and len(frame) == 4 and "harnessBogusField" in frame[3]:
            return f'[4,"{frame[1]}","{code}","unexpected property",{{}}]'
        return None
    return script


async def test_occurrence_constraint_violation_for_a_forbidden_property_passes(tmp_path: Path) -> None:
    async with scripted_csms(_extra_property_as("OccurrenceConstraintViolation")) as url:
        result = await run_cases(tmp_path, url, "RPC_07_CSMS")
    assert result.verdicts == {"RPC_07_CSMS": "passed"}, result.output[-3000:]


async def test_the_1_6_spelling_for_a_forbidden_property_stays_a_strictness_matter(tmp_path: Path) -> None:
    async with scripted_csms(_extra_property_as("OccurenceConstraintViolation")) as url:
        strict = await run_cases(tmp_path / "strict", url, "RPC_07_CSMS")
        compat = await run_cases(tmp_path / "compat", url, "RPC_07_CSMS", extra=("--ocpp-strictness=compat",))
    assert strict.verdicts == {"RPC_07_CSMS": "failed"}, strict.output[-3000:]
    assert "RPC-16" in strict.messages["RPC_07_CSMS"] and "1.6" in strict.messages["RPC_07_CSMS"]
    assert compat.verdicts == {"RPC_07_CSMS": "passed"}, compat.output[-3000:]
    assert any(f["rule"] == "RPC-16" and f["severity"] == "warn" for f in findings(tmp_path / "compat", "RPC_07_CSMS"))


def _not_an_array_answered(silent_on: str, code: str = "RpcFrameworkError") -> Any:
    """A CSMS that answers JSON which is no OCPP-J array with `code` and id "-1", except `silent_on`."""
    def script(frame: Any) -> str | object | None:
        if isinstance(frame, dict | str) or frame == [2]:
            return SILENT if json.dumps(frame, separators=(",", ":")) == silent_on else f'[4,"-1","{code}","",{{}}]'
        return None
    return script


async def test_silence_to_a_frame_that_is_not_an_array_is_reported_by_name(tmp_path: Path) -> None:
    async with scripted_csms(_not_an_array_answered(silent_on='"x"')) as url:
        silent = await run_cases(tmp_path / "silent", url, "RPC_11_CSMS")
        allowed = await run_cases(tmp_path / "allowed", url, "RPC_11_CSMS",
                                  policies={"rpc.reply.not_an_array": ["RpcFrameworkError", "silence"]})
    assert silent.verdicts == {"RPC_11_CSMS": "failed"}, silent.output[-3000:]
    assert 'did not answer bad input (a JSON string, not an OCPP-J array: "x")' in silent.messages["RPC_11_CSMS"]
    assert allowed.verdicts == {"RPC_11_CSMS": "passed"}, allowed.output[-3000:]


async def test_format_violation_to_a_frame_that_is_not_an_array_is_not_the_table_8_code(tmp_path: Path) -> None:
    async with scripted_csms(_not_an_array_answered(silent_on="", code="FormatViolation")) as url:
        result = await run_cases(tmp_path, url, "RPC_11_CSMS")
    assert result.verdicts == {"RPC_11_CSMS": "failed"}, result.output[-3000:]
    assert "wrong CALLERROR code 'FormatViolation' for: a JSON object" in result.messages["RPC_11_CSMS"]


async def test_a_basic_auth_refusal_without_http_status_passes_with_a_warning_naming_401(tmp_path: Path) -> None:
    """Part 6 TC_A_02/03_CSMS ask only that the upgrade is rejected: a CSMS that closes the TCP connection does;
    the report still says that HTTP 401 is the expected answer (the 403 answer: the CSMS simulator's fault
    refuse_auth_with_403, tests/test_fault_detection.py)."""
    async with scripted_csms(bad_auth="close") as url:
        result = await run_cases(tmp_path, url, "TC_A_02_CSMS", "TC_A_03_CSMS")
    assert result.verdicts == {"TC_A_02_CSMS": "passed", "TC_A_03_CSMS": "passed"}, result.output[-3000:]
    for case in result.verdicts:
        warned = [f["text"] for f in findings(tmp_path, case) if f["severity"] == "warn" and f["rule"] == "SEC-5"]
        assert len(warned) == 1 and "no HTTP status" in warned[0] and "expected HTTP 401" in warned[0], warned


def _answer(action: str, answer: str) -> Any:
    """A CSMS that answers every `action` CALL with `answer` ({id}: the CALL's message id)."""
    def script(frame: Any) -> str | None:
        if isinstance(frame, list) and len(frame) == 4 and frame[0] == 2 and frame[2] == action:
            return answer.replace("{id}", str(frame[1]))
        return None
    return script


async def test_an_answer_with_an_unreadable_id_is_named_not_called_silence(tmp_path: Path) -> None:
    async with scripted_csms(_answer("BootNotification", '[4,"-1","FormatViolation","",{}]')) as url:
        result = await run_cases(tmp_path, url, "RPC_02_CSMS")
    assert result.verdicts == {"RPC_02_CSMS": "failed"}, result.output[-3000:]
    headline = result.messages["RPC_02_CSMS"].split("\n")[0]
    assert "the CSMS answered BootNotification with CALLERROR FormatViolation with message id '-1' instead of '" \
        in headline and "did not answer" not in headline, headline
    assert "rule: RPC-14" in result.messages["RPC_02_CSMS"]


async def test_a_valid_request_refused_is_the_headline_before_the_code_spelling(tmp_path: Path) -> None:
    async with scripted_csms(_answer("StatusNotification", '[4,"{id}","FormationViolation","no",{}]')) as url:
        result = await run_cases(tmp_path, url, "RPC_02_CSMS")
    assert result.verdicts == {"RPC_02_CSMS": "failed"}, result.output[-3000:]
    message = result.messages["RPC_02_CSMS"]
    assert "the CSMS refused a valid StatusNotification with CALLERROR FormationViolation" in message.split("\n")[0]
    assert "valid against the OCPP 2.0.1 schema" in message and "RPC-16" in message, message
