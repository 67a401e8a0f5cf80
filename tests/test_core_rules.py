"""The sans-I/O core, no sockets: every rule the monitor reports, shown once broken and once kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.errors import SchemaStoreError
from harness.ocppj import Call, RpcSession, SchemaStore, Severity, default_store, parse
from harness.ocppj.defaults import csms_default, station_default

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "schemas" / "ocpp-2.0.1.sha256"
BOOT = {"reason": "PowerUp", "chargingStation": {"model": "m", "vendorName": "v"}}


def call(payload: object, action: str = "BootNotification", message_id: str = "1") -> str:
    return json.dumps([2, message_id, action, payload])


def rules(text: str | bytes, session: RpcSession | None = None, strictness: str = "strict") -> dict[str, Severity]:
    s = session or RpcSession(default_store(), strictness=strictness)  # type: ignore[arg-type]
    return {f.rule: f.severity for f in s.receive(text).findings}


def reply(text: str | bytes) -> tuple[str, str] | None:
    r = RpcSession(default_store()).receive(text).reply
    return (r.message_id, r.error_code) if r else None


# ---- one bad case per rule, with the CALLERROR the harness answers ------------------------------------------------
@pytest.mark.parametrize(("text", "rule", "answer"), [
    ("not json", "RPC-05", ("-1", "RpcFrameworkError")),
    (b'[2,"1","Heartbeat",{}]', "RPC-05", ("1", "RpcFrameworkError")),  # binary frame, id still readable
    (b'\xff\xfe[2,"1"]', "RPC-05", ("-1", "RpcFrameworkError")),  # invalid UTF-8
    ('[2,"1","Heartbeat",{"a":1,"a":2}]', "RPC-05", ("1", "FormatViolation")),  # duplicate key
    ('[2,"1","MeterValues",{"evseId":NaN}]', "RPC-05", ("-1", "RpcFrameworkError")),
    ('[7,"1",{}]', "RPC-06", ("1", "MessageTypeNotSupported")),
    ('["2","1","Heartbeat",{}]', "RPC-06", ("1", "RpcFrameworkError")),
    ('[2,"1","Heartbeat"]', "RPC-07", ("1", "RpcFrameworkError")),
    ('{"a":1}', "RPC-07", ("-1", "RpcFrameworkError")),
    ('[2,"1","HarnessNoSuchAction",{}]', "RPC-08", ("1", "NotImplemented")),
    ('[2,"1","HeartbeatRequest",{}]', "RPC-08", ("1", "NotImplemented")),
    ('[2,"1","heartbeat",{}]', "RPC-08", ("1", "NotImplemented")),
    ('[2,"1","Heartbeat",null]', "RPC-10", ("1", "FormatViolation")),
    ('[2,7,"Heartbeat",{}]', "RPC-13", ("-1", "RpcFrameworkError")),
    ('[2,"' + "x" * 37 + '","Heartbeat",{}]', "RPC-13", ("x" * 37, "RpcFrameworkError")),
    (call({"reason": "PowerUp"}), "RPC-12", ("1", "OccurrenceConstraintViolation")),
    (call({"reason": 5, "chargingStation": {"model": "m", "vendorName": "v"}}), "RPC-12", ("1", "TypeConstraintViolation")),
    (call({**BOOT, "extra": 1}), "RPC-12", ("1", "FormatViolation")),
    (call({**BOOT, "reason": "Foo"}), "RPC-12", ("1", "PropertyConstraintViolation")),
    (call({**BOOT, "chargingStation": {"model": "m" * 21, "vendorName": "v"}}), "RPC-12",
     ("1", "PropertyConstraintViolation")),
])
def test_bad_input_is_a_finding_and_gets_the_prescribed_callerror(text: str | bytes, rule: str,
                                                                  answer: tuple[str, str]) -> None:
    assert rules(text).get(rule) is Severity.FAIL
    assert reply(text) == answer


def test_rpc11_empty_optional_values() -> None:
    text = call({**BOOT, "customData": {"vendorId": "x", "list": []}})
    assert rules(text)["RPC-11"] is Severity.FAIL
    assert "RPC-11" not in rules(call(BOOT))
    assert "RPC-11" not in rules('[2,"1","Heartbeat",{}]')  # an empty payload is right, not an empty optional


def test_clean_frames_carry_no_findings() -> None:
    for text in (call(BOOT), '[2,"1","Heartbeat",{}]', '[2,"' + "x" * 36 + '","Heartbeat",{}]'):
        assert rules(text) == {}
        assert reply(text) is None


# ---- responses and errors -------------------------------------------------------------------------------------------
def session_with_call(action: str = "BootNotification", message_id: str = "42") -> RpcSession:
    s = RpcSession(default_store())
    s.call(Call(message_id, action, {} if action == "Heartbeat" else BOOT))
    return s


def test_callresult_is_validated_against_the_response_schema() -> None:
    good = json.dumps([3, "42", {"currentTime": "2026-01-01T00:00:00Z", "interval": 5, "status": "Accepted"}])
    assert rules(good, session_with_call()) == {}
    bad = json.dumps([3, "42", {"currentTime": "2026-01-01T00:00:00Z", "interval": 5, "status": "Maybe"}])
    finding = next(f for f in session_with_call().receive(bad).findings if f.rule == "RPC-12")
    assert finding.path == "$.status"


@pytest.mark.parametrize("value", ["yesterday", "2024-01-01T00:00:00", "2024-13-01T00:00:00Z", ""])
def test_date_time_is_really_enforced(value: str) -> None:
    frame = json.dumps([3, "42", {"currentTime": value, "interval": 5, "status": "Accepted"}])
    assert rules(frame, session_with_call()).get("RPC-12") is Severity.FAIL


@pytest.mark.parametrize("value", ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.123+02:00"])
def test_date_time_accepts_rfc3339_with_zone(value: str) -> None:
    frame = json.dumps([3, "42", {"currentTime": value, "interval": 5, "status": "Accepted"}])
    assert rules(frame, session_with_call()) == {}


def test_callerror_shape_and_codes() -> None:
    assert rules('[4,"42","InternalError","",{}]', session_with_call()) == {}
    assert rules('[4,"42","NoSuchCode","",{}]', session_with_call())["RPC-16"] is Severity.FAIL
    assert rules('[4,"42","InternalError","' + "d" * 256 + '",{}]', session_with_call())["RPC-07"] is Severity.FAIL
    assert rules('[4,"42","InternalError","",null]', session_with_call())["RPC-07"] is Severity.FAIL
    assert rules('[4,"42","InternalError",""]', session_with_call())["RPC-07"] is Severity.FAIL


@pytest.mark.parametrize("code", ["FormationViolation", "OccurenceConstraintViolation"])
def test_1_6_spellings_fail_in_strict_and_warn_in_compat(code: str) -> None:
    text = json.dumps([4, "42", code, "", {}])
    assert rules(text, session_with_call())["RPC-16"] is Severity.FAIL
    compat = RpcSession(default_store(), strictness="compat")
    compat.call(Call("42", "Heartbeat", {}))
    assert rules(text, compat)["RPC-16"] is Severity.WARN


def test_not_implemented_for_a_known_action_warns() -> None:
    """Table 8: NotImplemented = the action is unknown; a known action not supported is NotSupported (a warning:
    no SHALL binds the choice)."""
    found = session_with_call("Heartbeat").receive('[4,"42","NotImplemented","",{}]').findings
    assert [(f.rule, f.severity, f.path) for f in found] == [("RPC-16", Severity.WARN, "$[2]")]
    assert "Heartbeat" in found[0].text and "NotSupported" in found[0].text
    assert rules('[4,"42","NotSupported","",{}]', session_with_call("Heartbeat")) == {}
    unknown = RpcSession(default_store())
    unknown.raw('[2,"42","HarnessNoSuchAction",{}]')  # what RPC_02 sends: NotImplemented is the right answer
    assert rules('[4,"42","NotImplemented","",{}]', unknown) == {}
    late = session_with_call("Heartbeat", "7")
    late.expire("7")
    assert rules('[4,"7","NotImplemented","",{}]', late)["RPC-16"] is Severity.WARN


def test_rpc14_ids() -> None:
    s = RpcSession(default_store())
    s.receive('[2,"a","Heartbeat",{}]')
    s.unanswered.clear()
    assert rules('[2,"a","Heartbeat",{}]', s)["RPC-14"] is Severity.INFO  # a retry may reuse its id
    s.unanswered.clear()
    assert rules(call(BOOT, message_id="a"), s)["RPC-14"] is Severity.FAIL  # another message may not
    assert rules('[3,"nobody-asked",{}]')["RPC-14"] is Severity.FAIL
    late = session_with_call("Heartbeat", "7")
    late.expire("7")
    assert rules('[3,"7",{"currentTime":"2026-01-01T00:00:00Z"}]', late)["TIMING"] is Severity.FAIL


def test_rpc15_second_call_while_one_is_unanswered() -> None:
    s = RpcSession(default_store())
    assert rules('[2,"a","Heartbeat",{}]', s) == {}
    assert rules('[2,"b","Heartbeat",{}]', s)["RPC-15"] is Severity.FAIL
    s2 = RpcSession(default_store())
    first = s2.receive('[2,"a","Heartbeat",{}]')
    assert isinstance(first.frame, Call)
    s2.result(first.frame, {"currentTime": "2026-01-01T00:00:00Z"})
    assert rules('[2,"b","Heartbeat",{}]', s2) == {}


def test_parse_never_raises_on_deep_nesting_or_huge_numbers() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert parse(deep).findings[0].rule == "RPC-05"
    huge = '[2,"1","Heartbeat",{"x":' + "9" * 5000 + "}]"
    assert parse(huge).findings[0].rule == "RPC-05"


# ---- the schema store ---------------------------------------------------------------------------------------------
def test_all_64_actions_have_both_validators() -> None:
    store = SchemaStore(manifest=MANIFEST)
    assert len(store.actions) == 64
    assert all((a, k) in store._validators for a in store.actions for k in ("Request", "Response"))


def test_a_changed_schema_is_refused_naming_the_manifest(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(default_store().directory, copy)
    target = copy / "HeartbeatRequest.json"
    target.write_bytes(target.read_bytes() + b"\n")  # one byte more than the official file
    with pytest.raises(SchemaStoreError, match="differ from the manifest"):
        SchemaStore(copy, manifest=MANIFEST)


def test_default_answers_are_schema_valid_for_every_action() -> None:
    store = default_store()
    samples = {"GetVariables": {"getVariableData": [{"component": {"name": "A"}, "variable": {"name": "B"}}]},
               "SetVariables": {"setVariableData": [{"component": {"name": "A"}, "variable": {"name": "B"},
                                                     "attributeValue": "1"}]},
               "ClearVariableMonitoring": {"id": [1]},
               "SetVariableMonitoring": {"setMonitoringData": [{"value": 1, "type": "Delta", "severity": 1,
                                                                "component": {"name": "A"}, "variable": {"name": "B"}}]},
               "TransactionEvent": {"idToken": {"idToken": "x", "type": "ISO14443"}}}
    for action in sorted(store.actions):
        payload = samples.get(action, {})
        answer = csms_default(action, payload)
        if answer is None:
            answer = station_default(action, payload)
        assert answer is not None, action
        assert store.validate(action, "Response", answer) == [], action
