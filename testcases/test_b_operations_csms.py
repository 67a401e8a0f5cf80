"""Block B Provisioning, SUT = CSMS (the harness plays a Charging Station): Get/SetVariables of several values (B05,
B06), base reports (B07), network connection profiles (B09) and resets with and without a transaction (B11, B12),
each from its Part 6 table (Edition 3, errata up to 2025-09: none for these). The operator's request goes through
the control adapter where the table has a Manual Action; the Post-scenario checks that the CSMS shows what it read
or set are manual.

TC_B_42_CSMS / TC_B_44_CSMS have the CSMS send SetNetworkProfile without a Manual Action; policy
`csms.request_without_manual_action` says whether the harness asks the CSMS through the control adapter
("trigger", the default: a CSMS sends it only when an operator wants it) or waits for it ("wait").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness import (
    AbsentOr,
    CsmsControl,
    OneOf,
    Record,
    StationRole,
    StationTransaction,
    difference,
    now_iso,
    states,
    station_booted,
    testcase,
)

OFFLINE_THRESHOLD = ("OCPPCommCtrlr", "OfflineThreshold")
AUTHORIZE_REMOTE_START = ("AuthCtrlr", "AuthorizeRemoteStart")
ACCEPTED = {"idTokenInfo": {"status": "Accepted"}}
VALUES = {OFFLINE_THRESHOLD: "300", AUTHORIZE_REMOTE_START: "true"}  # what the harness's station reports


def _payload(record: Record) -> Mapping[str, Any]:
    payload = getattr(record.frame, "payload", None)
    return payload if isinstance(payload, Mapping) else {}


def _name(item: Mapping[str, Any]) -> tuple[str, str]:
    return str((item.get("component") or {}).get("name")), str((item.get("variable") or {}).get("name"))


def _results(items: Any, *, value: bool) -> list[dict[str, Any]]:
    results = []
    for item in items if isinstance(items, list) else []:
        name = _name(item)
        result: dict[str, Any] = {"component": item.get("component", {"name": "?"}),
                                  "variable": item.get("variable", {"name": "?"}),
                                  "attributeStatus": "Accepted" if name in VALUES else "UnknownComponent"}
        if "attributeType" in item:
            result["attributeType"] = item["attributeType"]
        if value and name in VALUES:
            result["attributeValue"] = VALUES[name]
        results.append(result)
    return results


def _get_answer(payload: dict[str, Any]) -> dict[str, Any]:
    """The station's GetVariablesResponse: OfflineThreshold 300, AuthorizeRemoteStart true, anything else unknown."""
    return {"getVariableResult": _results(payload.get("getVariableData"), value=True)}


def _set_answer(payload: dict[str, Any]) -> dict[str, Any]:
    return {"setVariableResult": _results(payload.get("setVariableData"), value=False)}


def _judge_items(station: StationRole, record: Record, key: str, wanted: dict[tuple[str, str], dict[str, Any]],
                 what: str) -> None:
    """Step 1: an item per wanted variable (in any order) matching its fields partially."""
    items = [i for i in _payload(record).get(key) or [] if isinstance(i, Mapping)]
    problems = []
    for name, fields in wanted.items():
        found = [i for i in items if _name(i) == name]
        if not found:
            problems.append(f"no {key} item for {'.'.join(name)}")
        elif all(difference(fields, i) for i in found):
            problems += [f"{'.'.join(name)}: {d}" for d in difference(fields, found[0])]
    if problems:
        raise station.failure(f"the CSMS's {what} does not ask for what the operator wanted",
                              message="\n".join(problems), actual=record.raw[:600], rules=("SEQ",))


def _attribute_type(*allowed: str) -> Any:
    return AbsentOr(OneOf(*allowed)) if len(allowed) > 1 else AbsentOr(allowed[0])


# ---- B05 / B06 --------------------------------------------------------------------------------------------------------
@testcase("TC_B_07_CSMS", notes="Part 6's post-scenario check (the CSMS shows the values it read) is manual.")
async def test_TC_B_07_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    request = station.expect("GetVariables", respond=_get_answer, description="GetVariablesRequest")
    with station.step("Manual Action: request the CSMS to get OCPPCommCtrlr.OfflineThreshold and "
                      "AuthCtrlr.AuthorizeRemoteStart"):
        await sut.trigger(station.identity, "GetVariables", {"getVariableData": [
            {"component": {"name": c}, "variable": {"name": v}} for c, v in (OFFLINE_THRESHOLD, AUTHORIZE_REMOTE_START)]})
    with station.step("1-2. GetVariablesRequest for both variables (any order), attributeType absent, Actual, Target, "
                      "MinSet or MaxSet; the harness responds"):
        record = await station.received(request)
        kind = _attribute_type("Actual", "Target", "MinSet", "MaxSet")
        _judge_items(station, record, "getVariableData", {OFFLINE_THRESHOLD: {"attributeType": kind},
                                                          AUTHORIZE_REMOTE_START: {"attributeType": kind}},
                     "GetVariablesRequest")


@testcase("TC_B_10_CSMS", notes="Part 6's post-scenario check (the CSMS shows the values it set) is manual.")
async def test_TC_B_10_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    request = station.expect("SetVariables", respond=_set_answer, description="SetVariablesRequest")
    values = {OFFLINE_THRESHOLD: "123", AUTHORIZE_REMOTE_START: "false"}
    with station.step("Manual Action: request the CSMS to set OCPPCommCtrlr.OfflineThreshold to 123 and "
                      "AuthCtrlr.AuthorizeRemoteStart to false"):
        await sut.trigger(station.identity, "SetVariables", {"setVariableData": [
            {"component": {"name": c}, "variable": {"name": v}, "attributeValue": value}
            for (c, v), value in values.items()]})
    with station.step("1-2. SetVariablesRequest OfflineThreshold 123 and AuthorizeRemoteStart false (any order), "
                      "attributeType absent or Actual; the harness responds"):
        record = await station.received(request)
        _judge_items(station, record, "setVariableData",
                     {name: {"attributeValue": value, "attributeType": _attribute_type("Actual")}
                      for name, value in values.items()}, "SetVariablesRequest")


# ---- B07 base reports -------------------------------------------------------------------------------------------------
async def _base_report(station: StationRole, sut: CsmsControl, base: str) -> None:
    request = station.expect("GetBaseReport", respond={"status": "Accepted"}, description="GetBaseReportRequest")
    with station.step(f"Manual Action: instruct the CSMS to retrieve a {base} report"):
        await sut.trigger(station.identity, "GetBaseReport", {"reportBase": base})
    with station.step(f"1-2. GetBaseReportRequest, requestId >= 0, reportBase {base}; the harness responds Accepted"):
        record = await station.received(request)
        payload = _payload(record)
        request_id = payload.get("requestId")
        problems = [*([] if payload.get("reportBase") == base else [f"reportBase {payload.get('reportBase')!r}"]),
                    *([] if isinstance(request_id, int) and request_id >= 0 else [f"requestId {request_id!r}"])]
        if problems:
            raise station.failure("the CSMS's GetBaseReportRequest is not the report the operator asked for",
                                  message="\n".join(problems), expected=f"requestId an integer >= 0, reportBase {base}",
                                  actual=record.raw[:400], rules=("SEQ",))
    with station.step(f"Post scenario: the harness sends the report (NotifyReportRequest, requestId {request_id}); the "
                      "CSMS responds (that it shows the report is checked manually)"):
        await station.call_ok("NotifyReport", {"requestId": request_id, "generatedAt": now_iso(), "seqNo": 0,
                                               "tbc": False, "reportData": _report_data(base)}, {})


def _report_data(base: str) -> list[dict[str, Any]]:
    """The harness's station's report: its configuration variables (and, for FullInventory, a read-only one)."""
    data = [{"component": {"name": c}, "variable": {"name": v},
             "variableAttribute": [{"type": "Actual", "value": VALUES[(c, v)], "mutability": "ReadWrite"}],
             "variableCharacteristics": {"dataType": "integer" if v == "OfflineThreshold" else "boolean",
                                         "supportsMonitoring": False}}
            for c, v in (OFFLINE_THRESHOLD, AUTHORIZE_REMOTE_START)]
    if base == "FullInventory":
        data.append({"component": {"name": "ChargingStation"}, "variable": {"name": "Available"},
                     "variableAttribute": [{"type": "Actual", "value": "true", "mutability": "ReadOnly"}],
                     "variableCharacteristics": {"dataType": "boolean", "supportsMonitoring": False}})
    return data


@testcase("TC_B_12_CSMS")
async def test_TC_B_12_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _base_report(station, sut, "ConfigurationInventory")


@testcase("TC_B_13_CSMS")
async def test_TC_B_13_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _base_report(station, sut, "FullInventory")


# ---- B11 / B12 resets ---------------------------------------------------------------------------------------------
async def _energy_transfer_started(station: StationRole) -> StationTransaction:
    tx = station.transaction(station.configured.evse_id, station.configured.connector_id)
    await states.station_authorized(station, tx)
    await states.station_energy_transfer(station, tx)
    return tx


async def _reset(station: StationRole, sut: CsmsControl, kind: str, answer: str, *, evse: int | None) -> None:
    """Manual Action and steps 1-2: the operator asks for a reset of `kind` (of the station, or of `evse`); the
    ResetRequest must be of that type (and name that EVSE); the harness answers `answer`."""
    target = "the Charging Station" if evse is None else f"EVSE {evse}"
    request = station.expect("Reset", respond={"status": answer}, description="ResetRequest")
    with station.step(f"Manual Action: request the CSMS to reset {target} with type {kind}"):
        await sut.trigger(station.identity, "Reset", {"type": kind, **({"evseId": evse} if evse is not None else {})})
    with station.step(f"1-2. ResetRequest type {kind}" + (f", evseId {evse}" if evse is not None else "")
                      + f"; the harness responds {answer}"):
        record = await station.received(request)
        wanted: dict[str, Any] = {"type": kind, **({"evseId": evse} if evse is not None else {})}
        problems = difference(wanted, _payload(record))
        if problems:
            raise station.failure("the CSMS's ResetRequest is not the reset the operator asked for",
                                  message="\n".join(problems), expected=repr(wanted), actual=record.raw[:400],
                                  rules=("SEQ",))


async def _on_idle_stop(station: StationRole, tx: StationTransaction) -> None:
    """Steps 3-6 of the OnIdle tables: the driver stops (Updated StopAuthorized, EVConnected, the idToken), then the
    EV leaves (Ended EVCommunicationLost, Idle, EVDisconnected); the CSMS responds to each."""
    token = station.tokens.valid
    with station.step("3-4. TransactionEvent Updated, StopAuthorized, EVConnected, the configured valid idToken; the "
                      "CSMS responds"):
        await tx.event("Updated", "StopAuthorized", {}, id_token=token, charging_state="EVConnected")
    with station.step("5-6. TransactionEvent Ended, EVCommunicationLost, Idle, stoppedReason EVDisconnected; the CSMS "
                      "responds"):
        await station.status(tx.evse, tx.connector, "Available")
        await tx.event("Ended", "EVCommunicationLost", {}, charging_state="Idle", stopped_reason="EVDisconnected")


async def _immediate_stop(station: StationRole, tx: StationTransaction) -> None:
    with station.step("3-4. TransactionEvent Ended, ResetCommand, EVConnected, stoppedReason ImmediateReset, no "
                      "idToken; the CSMS responds"):
        await tx.event("Ended", "ResetCommand", {}, charging_state="EVConnected", stopped_reason="ImmediateReset")


async def _reboot(station: StationRole, steps: str, reason: str) -> None:
    with station.step(f"{steps}. The station reboots: BootNotificationRequest reason {reason}; the CSMS responds "
                      "Accepted"):
        await station.disconnect()
        await station.connect()
        await station.boot(reason, {"status": "Accepted"})


@testcase("TC_B_21_CSMS")
async def test_TC_B_21_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    await _reset(station, sut, "OnIdle", "Scheduled", evse=None)
    await _on_idle_stop(station, tx)
    await _reboot(station, "7-8", "ScheduledReset")
    with station.step("9-10. StatusNotificationRequest Available for every connector; the CSMS responds"):
        await station.report_connectors()


@testcase("TC_B_22_CSMS")
async def test_TC_B_22_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    await _reset(station, sut, "Immediate", "Accepted", evse=None)
    await _immediate_stop(station, tx)
    await _reboot(station, "5-6", "RemoteReset")
    with station.step(f"7-8. StatusNotificationRequest: Occupied for EVSE {tx.evse} connector {tx.connector} (the EV "
                      "is still plugged in), Available for the others; the CSMS responds"):
        for evse, count in enumerate(station.evses, start=1):
            for connector in range(1, count + 1):
                await station.status(evse, connector,
                                     "Occupied" if (evse, connector) == (tx.evse, tx.connector) else "Available")


@testcase("TC_B_25_CSMS")
async def test_TC_B_25_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _reset(station, sut, "OnIdle", "Accepted", evse=station.configured.evse_id)


@testcase("TC_B_26_CSMS")
async def test_TC_B_26_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    await _reset(station, sut, "OnIdle", "Scheduled", evse=station.configured.evse_id)
    await _on_idle_stop(station, tx)


@testcase("TC_B_27_CSMS")
async def test_TC_B_27_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    await _reset(station, sut, "Immediate", "Accepted", evse=station.configured.evse_id)
    await _immediate_stop(station, tx)


# ---- B09 network connection profiles ------------------------------------------------------------------------------
async def _network_profile(station: StationRole, sut: CsmsControl, answer: str) -> Record:
    """Step 1-2: the CSMS's SetNetworkProfileRequest (asked for through the control adapter, or waited for, as
    policy csms.request_without_manual_action says), answered `answer`."""
    configured = station.configured
    request = station.expect("SetNetworkProfile", respond={"status": answer}, description="SetNetworkProfileRequest")
    if station.policy("csms.request_without_manual_action") == "wait":
        station.transcript.note("policy csms.request_without_manual_action = wait: the harness waits for the CSMS")
        within = configured.long_operation_timeout
    else:
        within = None
        with station.step(f"(policy csms.request_without_manual_action: trigger) request the CSMS to set a "
                          f"NetworkConnectionProfile in slot {configured.configuration_slot} at security profile "
                          f"{station.security_profile}"):
            await sut.trigger(station.identity, "SetNetworkProfile", {
                "configurationSlot": configured.configuration_slot,
                "connectionData": {"securityProfile": station.security_profile}})
    with station.step(f"1-2. SetNetworkProfileRequest; the harness responds {answer}"):
        return await station.received(request, within=within)


@testcase("TC_B_42_CSMS")
async def test_TC_B_42_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    record = await _network_profile(station, sut, "Accepted")
    configured = station.configured
    wanted: dict[str, Any] = {"configurationSlot": configured.configuration_slot, "connectionData": {
        "messageTimeout": configured.message_timeout, "ocppInterface": configured.ocpp_interface,
        "ocppTransport": "JSON", "ocppVersion": "OCPP20", "securityProfile": station.security_profile,
        **({"ocppCsmsUrl": configured.ocpp_csms_url} if configured.ocpp_csms_url else {})}}
    with station.step("Step 1 validations: configurationSlot, messageTimeout, ocppCsmsUrl, ocppInterface as "
                      "configured; ocppTransport JSON, ocppVersion OCPP20, the configured securityProfile"):
        problems = difference(wanted, _payload(record))
        if problems:
            raise station.failure("the CSMS's SetNetworkProfileRequest is not the configured profile",
                                  message="\n".join(problems), expected=repr(wanted), actual=record.raw[:800],
                                  rules=("SEQ",))


@testcase("TC_B_44_CSMS")
async def test_TC_B_44_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _network_profile(station, sut, "Failed")
