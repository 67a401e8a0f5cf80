"""The station simulator's device model: components and variables of the Core controllers (Part 2 §B, Part 5 §5).

Enough for GetVariables / SetVariables to behave like a real station: data types, mutability, option lists,
ItemsPerMessage limits, and the statuses of B05/B06.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Mutability = Literal["ReadOnly", "ReadWrite", "WriteOnly"]
DataType = Literal["string", "integer", "decimal", "boolean", "dateTime", "OptionList", "MemberList", "SequenceList"]

MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
TX_POINTS = "EVConnected,Authorized,DataSigned,PowerPathClosed,EnergyTransfer,ParkingBayOccupancy"


@dataclass
class Variable:
    value: str
    data_type: DataType = "string"
    mutability: Mutability = "ReadWrite"
    values_list: str = ""  # for OptionList / MemberList / SequenceList
    reboot_required: bool = False


Key = tuple[str, str | None, str, str | None]  # component, component instance, variable, variable instance


def _core(heartbeat_interval: int, security_profile: int, password: str) -> dict[Key, Variable]:
    def v(component: str, variable: str, value: str, data_type: DataType = "integer",
          mutability: Mutability = "ReadWrite", *, instance: str | None = None, values: str = "") -> tuple[Key, Variable]:
        return (component, None, variable, instance), Variable(value, data_type, mutability, values)

    items = [
        v("OCPPCommCtrlr", "HeartbeatInterval", str(heartbeat_interval)),
        v("OCPPCommCtrlr", "OfflineThreshold", "60"),
        v("OCPPCommCtrlr", "RetryBackOffRepeatTimes", "2"),
        v("OCPPCommCtrlr", "RetryBackOffRandomRange", "0"),
        v("OCPPCommCtrlr", "RetryBackOffWaitMinimum", "1"),
        v("OCPPCommCtrlr", "WebSocketPingInterval", "0"),
        v("OCPPCommCtrlr", "MessageTimeout", "10", instance="Default"),
        v("OCPPCommCtrlr", "NetworkConfigurationPriority", "0", "SequenceList", values="0"),
        v("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", "3"),
        v("OCPPCommCtrlr", "MessageAttemptsTransactionEvent", "3"),
        v("OCPPCommCtrlr", "MessageAttemptIntervalTransactionEvent", "5"),
        v("OCPPCommCtrlr", "ResetRetries", "1"),
        v("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", "true", "boolean"),
        v("DeviceDataCtrlr", "ItemsPerMessage", "16", mutability="ReadOnly", instance="GetVariables"),
        v("DeviceDataCtrlr", "ItemsPerMessage", "16", mutability="ReadOnly", instance="SetVariables"),
        v("DeviceDataCtrlr", "ItemsPerMessage", "64", mutability="ReadOnly", instance="GetReport"),
        v("DeviceDataCtrlr", "BytesPerMessage", "65000", mutability="ReadOnly", instance="GetVariables"),
        v("DeviceDataCtrlr", "BytesPerMessage", "65000", mutability="ReadOnly", instance="SetVariables"),
        v("DeviceDataCtrlr", "BytesPerMessage", "65000", mutability="ReadOnly", instance="GetReport"),
        v("ClockCtrlr", "DateTime", "", "dateTime", "ReadOnly"),
        v("ClockCtrlr", "TimeSource", "Heartbeat", "SequenceList", values="Heartbeat,NTP,GPS,RealTimeClock"),
        v("SecurityCtrlr", "SecurityProfile", str(security_profile), mutability="ReadOnly"),
        v("SecurityCtrlr", "OrganizationName", "OpenOCPPHarness", "string"),
        v("SecurityCtrlr", "CertificateEntries", "0", mutability="ReadOnly"),
        v("SecurityCtrlr", "BasicAuthPassword", password, "string", "WriteOnly"),
        v("TxCtrlr", "TxStartPoint", "PowerPathClosed", "MemberList", values=TX_POINTS),
        v("TxCtrlr", "TxStopPoint", "EVConnected,Authorized", "MemberList", values=TX_POINTS),
        v("TxCtrlr", "EVConnectionTimeOut", "60"),
        v("TxCtrlr", "StopTxOnEVSideDisconnect", "true", "boolean"),
        v("TxCtrlr", "StopTxOnInvalidId", "true", "boolean"),
        v("AuthCtrlr", "Enabled", "true", "boolean"),
        v("AuthCtrlr", "AuthorizeRemoteStart", "false", "boolean"),
        v("AuthCtrlr", "LocalAuthorizeOffline", "true", "boolean"),
        v("AuthCtrlr", "LocalPreAuthorize", "false", "boolean"),
        v("SampledDataCtrlr", "TxUpdatedInterval", "0"),
        v("SampledDataCtrlr", "TxUpdatedMeasurands", "Energy.Active.Import.Register", "MemberList", values=MEASURANDS),
        v("SampledDataCtrlr", "TxEndedMeasurands", "Energy.Active.Import.Register", "MemberList", values=MEASURANDS),
        v("SampledDataCtrlr", "TxEndedInterval", "0"),
        v("AlignedDataCtrlr", "Interval", "0"),
        v("AlignedDataCtrlr", "Measurands", "Energy.Active.Import.Register", "MemberList", values=MEASURANDS),
        v("AlignedDataCtrlr", "SendDuringIdle", "false", "boolean"),
        v("ChargingStation", "AvailabilityState", "Available", "OptionList", "ReadOnly",
          values="Available,Occupied,Reserved,Unavailable,Faulted"),
    ]
    return dict(items)


@dataclass
class DeviceModel:
    heartbeat_interval: int = 60
    security_profile: int = 1
    password: str = ""
    variables: dict[Key, Variable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.variables:
            self.variables = _core(self.heartbeat_interval, self.security_profile, self.password)

    def items_limit(self, action: str) -> int:
        return int(self.variables[("DeviceDataCtrlr", None, "ItemsPerMessage", action)].value)

    def _find(self, data: dict[str, Any]) -> tuple[str, Variable | None]:
        component, variable = data.get("component", {}), data.get("variable", {})
        key = (component.get("name", ""), component.get("instance"), variable.get("name", ""),
               variable.get("instance"))
        if key in self.variables:
            return "Accepted", self.variables[key]
        if not any(k[0] == key[0] and k[1] == key[1] for k in self.variables):
            return "UnknownComponent", None
        return "UnknownVariable", None

    def get(self, data: dict[str, Any], now: str) -> dict[str, Any]:
        """One getVariableResult for one getVariableData (B06)."""
        result: dict[str, Any] = {"component": data["component"], "variable": data["variable"]}
        if "attributeType" in data:
            result["attributeType"] = data["attributeType"]
        status, var = self._find(data)
        if var is not None and data.get("attributeType", "Actual") != "Actual":
            status = "NotSupportedAttributeType"
        elif var is not None and var.mutability == "WriteOnly":
            status = "Rejected"
        result["attributeStatus"] = status
        if status == "Accepted" and var is not None:
            result["attributeValue"] = now if var.data_type == "dateTime" else var.value
        return result

    def set(self, data: dict[str, Any]) -> tuple[dict[str, Any], Variable | None]:
        """One setVariableResult for one setVariableData (B05), and the variable changed (None if not)."""
        result: dict[str, Any] = {"component": data["component"], "variable": data["variable"]}
        if "attributeType" in data:
            result["attributeType"] = data["attributeType"]
        status, var = self._find(data)
        value = str(data.get("attributeValue", ""))
        if var is not None:
            if data.get("attributeType", "Actual") != "Actual":
                status = "NotSupportedAttributeType"
            elif var.mutability == "ReadOnly" or not _valid(var, value):
                status = "Rejected"
            else:
                var.value = value
                status = "RebootRequired" if var.reboot_required else "Accepted"
        result["attributeStatus"] = status
        return result, var if status in ("Accepted", "RebootRequired") else None


def _valid(var: Variable, value: str) -> bool:
    """Whether `value` fits the variable's data type (Part 2 §B table 'DataEnumType')."""
    if var.data_type == "integer":
        try:
            return int(value) >= 0
        except ValueError:
            return False
    if var.data_type == "decimal":
        try:
            float(value)
        except ValueError:
            return False
        return True
    if var.data_type == "boolean":
        return value in ("true", "false")
    allowed = var.values_list.split(",")
    if var.data_type == "OptionList":
        return value in allowed
    if var.data_type in ("MemberList", "SequenceList"):
        return all(part in allowed for part in value.split(",")) and value != ""
    return len(value) <= 1000
