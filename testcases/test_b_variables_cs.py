"""Block B Provisioning, SUT = Charging Station: GetVariables / SetVariables (B05, B06) as the Part 6 tables run
them, beyond the single-value cases of test_b_provisioning_cs.py: several values at once, unknown components and
variables, attribute types the station does not have, read-only variables and invalidly formatted values.

A result list "in arbitrary order" is matched per component / variable name, not by position.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from harness import ANY, AbsentOr, CsmsRole, StationControl, booted, difference, testcase

OFFLINE_THRESHOLD = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}
LOCAL_AUTHORIZE_OFFLINE = {"component": {"name": "AuthCtrlr"}, "variable": {"name": "LocalAuthorizeOffline"}}
ACTUAL = {"attributeStatus": "Accepted", "attributeType": AbsentOr("Actual"),
          "attributeStatusInfo": AbsentOr({"reasonCode": "NoError"})}


def _names(item: dict[str, Any]) -> tuple[str, str]:
    component, variable = item.get("component") or {}, item.get("variable") or {}
    return str(component.get("name", "")), str(variable.get("name", ""))


def _in_any_order(csms: CsmsRole, results: list[Any], wanted: list[dict[str, Any]], what: str) -> None:
    """Every wanted result appears once in `results`, found by its component and variable name."""
    problems: list[str] = []
    for want in wanted:
        names = _names(want)
        found = [r for r in results if isinstance(r, dict) and _names(r) == names]
        if not found:
            problems.append(f"no {what} for {names[0]}.{names[1]}")
            continue
        problems += [f"{names[0]}.{names[1]}: {d}" for d in difference(want, found[0])]
    if problems:
        raise csms.failure(f"the {what}s are not as the table expects", message="\n".join(problems),
                           expected=repr(wanted), actual=repr(results)[:800], rules=("SEQ",))


@testcase("TC_B_07_CS")
async def test_TC_B_07_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"OCPPCommCtrlr.OfflineThreshold": 300, "AuthCtrlr.LocalAuthorizeOffline": True})
    with csms.step("1-2. GetVariablesRequest OCPPCommCtrlr.OfflineThreshold and AuthCtrlr.LocalAuthorizeOffline, "
                   "attributeType Actual; both Accepted, Actual, \"300\" and \"true\" (in any order)"):
        answer = await csms.call_ok("GetVariables", {"getVariableData": [
            {**OFFLINE_THRESHOLD, "attributeType": "Actual"}, {**LOCAL_AUTHORIZE_OFFLINE, "attributeType": "Actual"}]},
            {"getVariableResult": [ANY, ANY]})
        _in_any_order(csms, answer["getVariableResult"], [
            {**OFFLINE_THRESHOLD, **ACTUAL, "attributeValue": "300"},
            {**LOCAL_AUTHORIZE_OFFLINE, **ACTUAL, "attributeValue": "true"}], "getVariableResult")


@testcase("TC_B_10_CS")
async def test_TC_B_10_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    # not a Configuration State of the table: registered so the values the case writes are put back afterwards
    await csms.configure({"OCPPCommCtrlr.OfflineThreshold": 300, "AuthCtrlr.LocalAuthorizeOffline": True})
    with csms.step("1-2. SetVariablesRequest OCPPCommCtrlr.OfflineThreshold = 300 and "
                   "AuthCtrlr.LocalAuthorizeOffline = true, attributeType Actual; both Accepted (in any order)"):
        answer = await csms.call_ok("SetVariables", {"setVariableData": [
            {**OFFLINE_THRESHOLD, "attributeValue": "300", "attributeType": "Actual"},
            {**LOCAL_AUTHORIZE_OFFLINE, "attributeValue": "true", "attributeType": "Actual"}]},
            {"setVariableResult": [ANY, ANY]})
        _in_any_order(csms, answer["setVariableResult"], [{**OFFLINE_THRESHOLD, **ACTUAL},
                                                           {**LOCAL_AUTHORIZE_OFFLINE, **ACTUAL}], "setVariableResult")


def _fits(data_type: str, value: str) -> bool:
    """Whether `value` is a well-formed value of the Part 2 data type (B05.FR.07: otherwise Rejected)."""
    match data_type:
        case "integer":
            return value.lstrip("-").isdigit()
        case "decimal":
            try:
                float(value)
            except ValueError:
                return False
            return True
        case "boolean":
            return value in ("true", "false")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


# (component, variable, Part 2 data type, when the table sends it: always / supported / writable)
_TB11 = (("OCPPCommCtrlr", "OfflineThreshold", "integer", "always"),
         ("SmartChargingCtrlr", "LimitChangeSignificance", "decimal", "supported"),
         ("AuthCtrlr", "AuthorizeRemoteStart", "boolean", "writable"),
         ("ClockCtrlr", "NextTimeOffsetTransitionDateTime", "dateTime", "supported"))


@testcase("TC_B_11_CS", notes="A value that is not of the variable's Part 2 data type must be Rejected (B05.FR.07, the "
                              "case's purpose); one that is may be Accepted or Rejected (a range the station does "
                              "not support). Steps 3-8 are left out where the station does not have the variable "
                              "(steps 5-6 also where writing its own value back is refused: not ReadWrite). Values "
                              "the station took are put back at the end.")
async def test_TC_B_11_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    threshold = csms.configured.offline_threshold
    present: dict[tuple[str, str], tuple[str, str | None]] = {}
    for component, variable, data_type, when in _TB11:
        key = f"{component}.{variable}"
        current = await csms.read_variable(key)
        if current is None and when != "always":
            csms.transcript.note(f"TC_B_11_CS: {key} is not implemented (or not readable): its steps are left out")
            continue
        if when == "writable" and current is not None:
            probe = await csms.call_ok("SetVariables", {"setVariableData": [{
                "component": {"name": component}, "variable": {"name": variable}, "attributeValue": current}]},
                {"setVariableResult": [{"attributeStatus": ANY}]})
            if probe["setVariableResult"][0].get("attributeStatus") not in ("Accepted", "RebootRequired"):
                csms.transcript.note(f"TC_B_11_CS: {key} is not ReadWrite: steps 5-6 are left out")
                continue
        present[(component, variable)] = (data_type, current)
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    for value in (str(threshold), f"{threshold + 0.1:g}", "true", now, "abc"):
        for number, (component, variable, _, _) in enumerate(_TB11):
            if (component, variable) not in present:
                continue
            data_type, current = present[(component, variable)]
            first = 2 * number + 1
            with csms.step(f"{first}-{first + 1}. SetVariablesRequest {component}.{variable} = {value!r}; Accepted, "
                           f"or Rejected (a value not of data type {data_type} must be Rejected)"):
                ref = {"component": {"name": component}, "variable": {"name": variable}}
                answer = await csms.call_ok("SetVariables", {"setVariableData": [{**ref, "attributeValue": value}]},
                                            {"setVariableResult": [{**ref, "attributeType": AbsentOr("Actual"),
                                                                    "attributeStatus": ANY}]})
                result = answer["setVariableResult"][0]
                status = result.get("attributeStatus")
                if status in ("Accepted", "RebootRequired") and current is not None:
                    # put back at the end of the case, as a Configuration State would be
                    csms.configuration.originals.setdefault(f"{component}.{variable}", current)
                if not _fits(data_type, value) and status != "Rejected":
                    raise csms.failure(f"the station did not reject an invalidly formatted value for {component}."
                                       f"{variable}", message=f"{value!r} is not a value of data type {data_type}",
                                       expected="attributeStatus Rejected", actual=repr(result),
                                       requirements=("B05.FR.07",), rules=("SEQ",))
                if status not in ("Accepted", "Rejected"):
                    raise csms.failure(f"the answer to SetVariables {component}.{variable} is neither Accepted nor "
                                       "Rejected", expected="Accepted or Rejected", actual=repr(result),
                                       requirements=("B05.FR.07",), rules=("SEQ",))
                if status == "Rejected":
                    with csms.beyond_part6("B05.FR.07", "a rejected value carries no attributeStatusInfo or reasonCode "
                                                        "InvalidValue (the table: not required)"):
                        info = result.get("attributeStatusInfo")
                        if isinstance(info, dict) and info.get("reasonCode") != "InvalidValue":
                            raise csms.failure("the rejection names another reasonCode than InvalidValue",
                                               expected="reasonCode InvalidValue", actual=repr(info),
                                               requirements=("B05.FR.07",), rules=("SEQ",))


async def _one(csms: CsmsRole, action: str, item: dict[str, Any], expect: dict[str, Any], what: str) -> None:
    key = "getVariable" if action == "GetVariables" else "setVariable"
    with csms.step(what):
        await csms.call_ok(action, {f"{key}Data": [item]}, {f"{key}Result": [expect]})


UNKNOWN_COMPONENT = {"component": {"name": "UnknownComponent"}, "variable": {"name": "OfflineThreshold"}}
UNKNOWN_VARIABLE = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "UnknownVariable"}}


@testcase("TC_B_32_CS")
async def test_TC_B_32_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _one(csms, "GetVariables", UNKNOWN_COMPONENT, {**UNKNOWN_COMPONENT, "attributeStatus": "UnknownComponent"},
               "1-2. GetVariablesRequest UnknownComponent.OfflineThreshold, no attributeType; UnknownComponent")


@testcase("TC_B_33_CS")
async def test_TC_B_33_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _one(csms, "GetVariables", UNKNOWN_VARIABLE, {**UNKNOWN_VARIABLE, "attributeStatus": "UnknownVariable"},
               "1-2. GetVariablesRequest OCPPCommCtrlr.UnknownVariable, no attributeType; UnknownVariable")


@testcase("TC_B_34_CS")
async def test_TC_B_34_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _one(csms, "GetVariables", {**OFFLINE_THRESHOLD, "attributeType": "Target"},
               {**OFFLINE_THRESHOLD, "attributeType": "Target", "attributeStatus": "NotSupportedAttributeType"},
               "1-2. GetVariablesRequest OCPPCommCtrlr.OfflineThreshold, attributeType Target; "
               "NotSupportedAttributeType")


@testcase("TC_B_35_CS")
async def test_TC_B_35_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _one(csms, "SetVariables", {**UNKNOWN_COMPONENT, "attributeValue": "300"},
               {**UNKNOWN_COMPONENT, "attributeStatus": "UnknownComponent"},
               "1-2. SetVariablesRequest UnknownComponent.OfflineThreshold, no attributeType; UnknownComponent")


@testcase("TC_B_36_CS")
async def test_TC_B_36_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _one(csms, "SetVariables", {**UNKNOWN_VARIABLE, "attributeValue": "300"},
               {**UNKNOWN_VARIABLE, "attributeStatus": "UnknownVariable"},
               "1-2. SetVariablesRequest OCPPCommCtrlr.UnknownVariable, no attributeType; UnknownVariable")


@testcase("TC_B_37_CS")
async def test_TC_B_37_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    current = await csms.read_variable("OCPPCommCtrlr.OfflineThreshold")
    try:
        await _one(csms, "SetVariables", {**OFFLINE_THRESHOLD, "attributeValue": "300", "attributeType": "Target"},
                   {**OFFLINE_THRESHOLD, "attributeType": "Target", "attributeStatus": "NotSupportedAttributeType"},
                   "1-2. SetVariablesRequest OCPPCommCtrlr.OfflineThreshold, attributeType Target; "
                   "NotSupportedAttributeType")
    finally:  # a station that took the value as its Actual one gets the old one back at the end
        if current is not None and current != "300":
            csms.configuration.originals.setdefault("OCPPCommCtrlr.OfflineThreshold", current)


MESSAGE_TIMEOUT = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "MessageTimeout", "instance": "Default"}}


@testcase("TC_B_39_CS")
async def test_TC_B_39_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    current = await csms.read_variable("OCPPCommCtrlr.MessageTimeout[Default]")
    value = str(int(current) + 1) if current and current.isdigit() else "30"
    with csms.step(f"1-2. SetVariablesRequest OCPPCommCtrlr.MessageTimeout[Default] = {value}, no attributeType; "
                   "Rejected (read-only)"):
        answer = await csms.call_ok("SetVariables", {"setVariableData": [{**MESSAGE_TIMEOUT, "attributeValue": value}]},
                                    {"setVariableResult": [{**MESSAGE_TIMEOUT, "attributeStatus": ANY}]})
        status = answer["setVariableResult"][0].get("attributeStatus")
        if status in ("Accepted", "RebootRequired") and current is not None:
            csms.configuration.originals.setdefault("OCPPCommCtrlr.MessageTimeout[Default]", current)
        if status != "Rejected":
            raise csms.failure("the station did not reject a value for the read-only OCPPCommCtrlr.MessageTimeout",
                               expected="setVariableResult[0].attributeStatus Rejected", actual=repr(answer),
                               requirements=("B05.FR.09",), rules=("SEQ",))
