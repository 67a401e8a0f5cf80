"""Block B Provisioning, SUT = Charging Station: base reports (B07) as the Part 6 tables run them. TC_B_02_CS also
asks for a FullInventory (test_b_provisioning_cs.py); here each base report is judged in full: the NotifyReports of
the request (requestId, seqNo from 0 up by one while tbc), the variables they report and the post-scenario checks.

"The required variables relevant to each implemented functional block" are Part 2's required component/variables
(Appendix, dm_components_vars: Required? yes) of the Core controllers and of every further controller the station
reports at all (a controller it reports is a functional block it implements).
"""

from __future__ import annotations

import random
from typing import Any

from harness import AbsentOr, Call, CsmsRole, Record, StationControl, booted, testcase

LISTS = ("OptionList", "SequenceList", "MemberList")
# Part 2 required component/variables ("Component.Variable[instance]"), per component
REQUIRED: dict[str, tuple[str, ...]] = {
    "AlignedDataCtrlr": ("Interval", "Measurands", "TxEndedInterval", "TxEndedMeasurands"),
    "AuthCtrlr": ("AuthorizeRemoteStart", "LocalAuthorizeOffline", "LocalPreAuthorize"),
    "ChargingStation": ("AvailabilityState", "Available", "SupplyPhases"),
    "ClockCtrlr": ("DateTime", "TimeSource"),
    "Connector": ("Available", "ConnectorType", "SupplyPhases"),
    "DeviceDataCtrlr": ("BytesPerMessage[GetReport]", "BytesPerMessage[GetVariables]",
                        "BytesPerMessage[SetVariables]", "ItemsPerMessage[GetReport]",
                        "ItemsPerMessage[GetVariables]", "ItemsPerMessage[SetVariables]"),
    "DisplayMessageCtrlr": ("DisplayMessages", "SupportedFormats", "SupportedPriorities"),
    "EVSE": ("AvailabilityState", "Available", "Power", "SupplyPhases"),
    "ISO15118Ctrlr": ("ContractValidationOffline",),
    "LocalAuthListCtrlr": ("BytesPerMessage", "Entries", "ItemsPerMessage"),
    "MonitoringCtrlr": ("BytesPerMessage[SetVariableMonitoring]", "ItemsPerMessage[SetVariableMonitoring]"),
    "OCPPCommCtrlr": ("FileTransferProtocols", "MessageTimeout[Default]", "MessageAttemptInterval[TransactionEvent]",
                      "MessageAttempts[TransactionEvent]", "NetworkConfigurationPriority",
                      "NetworkProfileConnectionAttempts", "OfflineThreshold", "ResetRetries",
                      "UnlockOnEVSideDisconnect"),
    "SampledDataCtrlr": ("TxEndedInterval", "TxEndedMeasurands", "TxStartedMeasurands", "TxUpdatedInterval",
                         "TxUpdatedMeasurands"),
    "SecurityCtrlr": ("CertificateEntries", "OrganizationName", "SecurityProfile"),
    "SmartChargingCtrlr": ("Entries[ChargingProfiles]", "LimitChangeSignificance", "PeriodsPerSchedule",
                           "ProfileStackLevel", "RateUnit"),
    "TariffCostCtrlr": ("Currency", "TariffFallbackMessage", "TotalCostFallbackMessage"),
    "TxCtrlr": ("EVConnectionTimeOut", "StopTxOnEVSideDisconnect", "StopTxOnInvalidId", "TxStartPoint", "TxStopPoint"),
}
# the blocks of the Core profile: their controllers are implemented by every Core station
CORE = ("AuthCtrlr", "ChargingStation", "ClockCtrlr", "Connector", "DeviceDataCtrlr", "EVSE", "OCPPCommCtrlr",
        "SampledDataCtrlr", "SecurityCtrlr", "TxCtrlr")
# required variables Part 6 Core cases write (a station that has them has them writable): the minimum of a
# ConfigurationInventory (TC_B_12_CS)
WRITABLE = ("OCPPCommCtrlr.OfflineThreshold", "OCPPCommCtrlr.NetworkConfigurationPriority",
            "OCPPCommCtrlr.NetworkProfileConnectionAttempts", "OCPPCommCtrlr.MessageAttempts[TransactionEvent]",
            "OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]", "AuthCtrlr.LocalAuthorizeOffline",
            "SampledDataCtrlr.TxUpdatedInterval", "SampledDataCtrlr.TxEndedInterval", "TxCtrlr.EVConnectionTimeOut")


def _name(data: dict[str, Any]) -> str:
    """`Component.Variable[instance]` of one reportData (EVSE / connector left out)."""
    component, variable = data.get("component") or {}, data.get("variable") or {}
    instance = variable.get("instance")
    return f"{component.get('name')}.{variable.get('name')}" + (f"[{instance}]" if instance else "")


def _where(data: dict[str, Any]) -> str:
    evse = (data.get("component") or {}).get("evse") or {}
    where = f" of EVSE {evse.get('id')}" if evse else ""
    return _name(data) + (where + (f" connector {evse['connectorId']}" if "connectorId" in evse else ""))


async def _report(csms: CsmsRole, base: str, numbers: str = "1-2") -> list[dict[str, Any]]:
    """Steps 1-4: GetBaseReport `base` (Accepted, statusInfo absent or NoError), then every NotifyReport of its
    requestId until tbc is false: seqNo 0 first, up by one each; the reportData of all of them."""
    request_id = random.randint(1, 1_000_000)
    with csms.step(f"{numbers}. GetBaseReportRequest {base}, requestId {request_id}; the station answers Accepted"):
        answer = await csms.call_ok("GetBaseReport", {"requestId": request_id, "reportBase": base},
                                    {"status": "Accepted"})
        info = answer.get("statusInfo")
        if isinstance(info, dict) and info.get("reasonCode") != "NoError":
            raise csms.failure("GetBaseReportResponse Accepted with a statusInfo that is not NoError",
                               expected="statusInfo absent or reasonCode NoError", actual=repr(answer),
                               requirements=("B07.FR.03",), rules=("SEQ",))
    data: list[dict[str, Any]] = []
    last: Record | None = None
    seq = 0
    with csms.step("3-4. NotifyReportRequest after NotifyReportRequest (seqNo 0, 1, …) while tbc is true"):
        while True:
            last = await csms.receive("NotifyReport", {"requestId": request_id}, after=last,
                                      description=f"NotifyReportRequest of requestId {request_id}")
            payload = last.frame.payload if isinstance(last.frame, Call) else {}
            if payload.get("seqNo") != seq:
                raise csms.failure(f"NotifyReportRequest number {seq + 1} of the report has seqNo "
                                   f"{payload.get('seqNo')!r}", expected=f"seqNo {seq} (0 first, up by one)",
                                   actual=last.raw[:400], requirements=("B07.FR.04",), rules=("SEQ",))
            data += [d for d in payload.get("reportData") or [] if isinstance(d, dict)]
            if not payload.get("tbc", False):
                return data
            seq += 1


def _check(csms: CsmsRole, problems: list[str], what: str, requirement: str) -> None:
    if problems:
        raise csms.failure(f"{len(problems)} reported variable(s) {what}", message="\n".join(problems[:20]),
                           requirements=(requirement,), rules=("SEQ",))


def _characteristics(csms: CsmsRole, data: list[dict[str, Any]], requirement: str) -> None:
    """Every reported variable has variableCharacteristics; a list type has a non-empty valuesList."""
    missing = [_where(d) for d in data if not isinstance(d.get("variableCharacteristics"), dict)]
    _check(csms, missing, "without variableCharacteristics", requirement)
    no_list = [f"{_where(d)}: {d['variableCharacteristics'].get('dataType')} without valuesList" for d in data
               if d["variableCharacteristics"].get("dataType") in LISTS
               and not d["variableCharacteristics"].get("valuesList")]
    _check(csms, no_list, "of a list data type without valuesList", requirement)


def _required(data: list[dict[str, Any]], names: tuple[str, ...] | None = None) -> list[str]:
    """Required component/variables of the implemented functional blocks the report does not hold."""
    reported = {_name(d) for d in data}
    components = {str((d.get("component") or {}).get("name")) for d in data}
    wanted = names or tuple(f"{c}.{v}" for c, variables in REQUIRED.items() if c in CORE or c in components
                            for v in variables)
    return [name for name in wanted if name not in reported]


@testcase("TC_B_12_CS", notes="The minimum of writable variables checked are the Part 2 required ones Part 6 Core "
                              "cases write (OfflineThreshold, NetworkConfigurationPriority, …).")
async def test_TC_B_12_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    data = await _report(csms, "ConfigurationInventory")
    with csms.step("Post-scenario validation: every variable has variableCharacteristics and is ReadWrite or "
                   "WriteOnly; the required writable variables are reported"):
        _characteristics(csms, data, "B07.FR.07")
        read_only = [f"{_where(d)}: {a.get('mutability', 'ReadWrite')} {a.get('type', 'Actual')}" for d in data
                     for a in d.get("variableAttribute") or [] if a.get("mutability", "ReadWrite")
                     not in ("ReadWrite", "WriteOnly")]
        _check(csms, read_only, "in the ConfigurationInventory that are not ReadWrite or WriteOnly", "B07.FR.07")
        _check(csms, [f"{n} is not reported" for n in _required(data, WRITABLE)], "required and writable missing",
               "B07.FR.07")


@testcase("TC_B_13_CS")
async def test_TC_B_13_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    data = await _report(csms, "FullInventory")
    with csms.step("Post-scenario validation: every variable has variableCharacteristics; the required variables "
                   "of the implemented functional blocks are reported"):
        _characteristics(csms, data, "B07.FR.08")
        _check(csms, [f"{n} is not reported" for n in _required(data)], "required missing", "B07.FR.08")


@testcase("TC_B_14_CS")
async def test_TC_B_14_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    data = await _report(csms, "SummaryInventory")
    with csms.step("Post-scenario validation: variableCharacteristics (valuesList for list types); "
                   "AvailabilityState of the Charging Station and of every EVSE"):
        _characteristics(csms, data, "B07.FR.09")
        states = {(_name(d), ((d.get("component") or {}).get("evse") or {}).get("id")) for d in data}
        wanted = [("ChargingStation.AvailabilityState", None)] + [("EVSE.AvailabilityState", e)
                                                                  for e in range(1, len(csms.profile.evses) + 1)]
        missing = [f"{name}" + (f" of EVSE {evse}" if evse else "") for name, evse in wanted
                   if (name, evse) not in states]
        _check(csms, [f"{m} is not reported" for m in missing], "of the summary missing", "B07.FR.09")


@testcase("TC_B_15_CS")
async def test_TC_B_15_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    request_id = random.randint(1, 1_000_000)
    rule = csms.forbid("NotifyReport", {"requestId": request_id}, requirements=("B07.FR.02",),
                       reason="the station does not support the SummaryInventory it was asked for")
    with csms.step(f"1-2. GetBaseReportRequest SummaryInventory, requestId {request_id}; the station answers "
                   "NotSupported (statusInfo absent or UnsupportedParam)"):
        await csms.call_ok("GetBaseReport", {"requestId": request_id, "reportBase": "SummaryInventory"},
                           {"status": "NotSupported", "statusInfo": AbsentOr({"reasonCode": "UnsupportedParam"})})
    with csms.step("Note: the harness waits; no NotifyReportRequest follows"):
        await csms.hold(csms.settings.timing.default_timeout, "no NotifyReportRequest may follow")
        csms.allow(rule)


def _value_allowed(data: dict[str, Any]) -> list[str]:
    """TC_B_53_CS (errata 2025-04): the values of one reported variable against its characteristics."""
    problems = []
    characteristics = data.get("variableCharacteristics") or {}
    allowed = [v for v in str(characteristics.get("valuesList") or "").split(",") if v]
    list_type = characteristics.get("dataType")
    for attribute in data.get("variableAttribute") or []:
        mutability, value = attribute.get("mutability", "ReadWrite"), attribute.get("value")
        kind = attribute.get("type", "Actual")
        if mutability == "WriteOnly" and value is not None:
            problems.append(f"{_where(data)} ({kind}): WriteOnly, and its value is reported")
        elif mutability != "WriteOnly" and value is None and _name(data) != "EVSE.Power":
            problems.append(f"{_where(data)} ({kind}): {mutability}, and its value is left out")
        elif value is not None and list_type in LISTS and allowed:
            members = [str(value)] if list_type == "OptionList" else [m for m in str(value).split(",") if m]
            wrong = [m for m in members if m not in allowed]
            if wrong:
                problems.append(f"{_where(data)} ({kind}): {wrong} not in its valuesList {allowed}")
    return problems


@testcase("TC_B_53_CS")
async def test_TC_B_53_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    data = await _report(csms, "FullInventory")
    with csms.step("Post-scenario validation: the required variables are implemented; list types have a valuesList "
                   "and values from it; WriteOnly values are left out, all others are reported (errata 2025-04)"):
        _check(csms, [f"{n} is not reported" for n in _required(data)], "required missing", "B07.FR.08")
        _characteristics(csms, data, "B07.FR.08")
        _check(csms, [p for d in data for p in _value_allowed(d)], "with a wrong or missing value", "B07.FR.08")
