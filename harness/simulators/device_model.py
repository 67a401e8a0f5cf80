"""The station simulator's device model: components and variables of the Core controllers (Part 1 §4, Part 2 B05-B07).

Enough for GetVariables / SetVariables / GetBaseReport to behave like a real station: attribute types, data types,
mutability, value lists, limits, ItemsPerMessage / BytesPerMessage, and the attribute statuses of B05/B06. Pure
data: no I/O, the station simulator decides what a changed value does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from harness.ocppj.defaults import now_iso

AttributeType = Literal["Actual", "Target", "MinSet", "MaxSet"]
Mutability = Literal["ReadOnly", "ReadWrite", "WriteOnly"]
DataType = Literal["string", "integer", "decimal", "boolean", "dateTime", "OptionList", "MemberList", "SequenceList"]

MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
TX_POINTS = "ParkingBayOccupancy,EVConnected,Authorized,DataSigned,PowerPathClosed,EnergyTransfer"
AVAILABILITY = "Available,Occupied,Reserved,Unavailable,Faulted"
PUBLIC_KEY_OPTIONS = "Never,OncePerTransaction,EveryMeterValue"
VALUE_MAX = 1000  # SetVariableData.attributeValue maxLength


class VarKey(NamedTuple):
    """Where a variable lives: component (with instance and EVSE / connector) and variable (with instance)."""

    component: str
    variable: str
    component_instance: str | None = None
    evse: int | None = None
    connector: int | None = None
    variable_instance: str | None = None

    @classmethod
    def of(cls, component: dict[str, Any], variable: dict[str, Any]) -> VarKey:
        """The key a ComponentType / VariableType pair of a request names."""
        evse = component.get("evse") or {}
        return cls(component.get("name", ""), variable.get("name", ""), component.get("instance"), evse.get("id"),
                   evse.get("connectorId"), variable.get("instance"))

    def same_component(self, other: VarKey) -> bool:
        return (self.component, self.component_instance, self.evse, self.connector) == (
            other.component, other.component_instance, other.evse, other.connector)

    def wire(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """ComponentType and VariableType as they go on the wire (absent optionals left out)."""
        component: dict[str, Any] = {"name": self.component}
        if self.component_instance is not None:
            component["instance"] = self.component_instance
        if self.evse is not None:
            component["evse"] = {"id": self.evse} if self.connector is None else {"id": self.evse,
                                                                                  "connectorId": self.connector}
        variable: dict[str, Any] = {"name": self.variable}
        if self.variable_instance is not None:
            variable["instance"] = self.variable_instance
        return component, variable


@dataclass
class Attribute:
    value: str
    mutability: Mutability = "ReadWrite"


@dataclass
class Variable:
    """One variable: its attributes (Actual, and Target / MinSet / MaxSet where it has them) and characteristics."""

    data_type: DataType
    attributes: dict[AttributeType, Attribute]
    values_list: str = ""  # OptionList / MemberList / SequenceList: the allowed members, comma separated
    min_limit: float | None = None  # numbers: smallest value; strings: shortest length
    max_limit: float | None = None  # numbers: largest value; strings: longest length
    reboot_required: bool = False  # a change takes effect after a reboot (SetVariables answers RebootRequired)

    def accepts(self, value: str) -> bool:
        """Whether `value` fits the data type, value list and limits (B05: otherwise Rejected)."""
        match self.data_type:
            case "integer" | "decimal":
                try:
                    number = int(value) if self.data_type == "integer" else float(value)
                except ValueError:
                    return False
                return _within(number, self.min_limit, self.max_limit)
            case "boolean":
                return value in ("true", "false")
            case "dateTime":
                try:
                    datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    return False
                return True
            case "OptionList":
                return value in self.values_list.split(",")
            case "MemberList" | "SequenceList":
                members = value.split(",") if value else []
                allowed = self.values_list.split(",")
                return (all(m in allowed for m in members) and len(set(members)) == len(members)
                        and (bool(members) or self.data_type == "MemberList"))
        return len(value) <= VALUE_MAX and _within(len(value), self.min_limit, self.max_limit)


def _within(number: float, low: float | None, high: float | None) -> bool:
    return (low is None or number >= low) and (high is None or number <= high)


def _var(data_type: DataType, value: str, mutability: Mutability = "ReadWrite", *, values: str = "",
         low: float | None = None, high: float | None = None, reboot: bool = False,
         extra: dict[AttributeType, Attribute] | None = None) -> Variable:
    return Variable(data_type, {"Actual": Attribute(value, mutability), **(extra or {})}, values, low, high, reboot)


def _int(value: int, mutability: Mutability = "ReadWrite", *, low: float | None = 0) -> Variable:
    return _var("integer", str(value), mutability, low=low)


def _bool(value: bool, mutability: Mutability = "ReadWrite") -> Variable:
    return _var("boolean", "true" if value else "false", mutability)


def core_variables(evses: list[int], *, heartbeat_interval: int, security_profile: int,
                   password: str | None) -> dict[VarKey, Variable]:
    """The Core controllers' variables (Part 2 appendix, referenced by Part 6 Core test cases) for this layout."""
    k = VarKey
    table: dict[VarKey, Variable] = {
        k("OCPPCommCtrlr", "HeartbeatInterval"): _int(heartbeat_interval, low=1),
        k("OCPPCommCtrlr", "OfflineThreshold"): _int(60),
        k("OCPPCommCtrlr", "RetryBackOffRepeatTimes"): _int(2),
        k("OCPPCommCtrlr", "RetryBackOffRandomRange"): _int(0),
        k("OCPPCommCtrlr", "RetryBackOffWaitMinimum"): _int(1),
        k("OCPPCommCtrlr", "WebSocketPingInterval"): _int(0),
        k("OCPPCommCtrlr", "MessageTimeout", variable_instance="Default"): _int(10, "ReadOnly", low=1),
        k("OCPPCommCtrlr", "NetworkConfigurationPriority"): _var("SequenceList", "1", values="1,2,3",
                                                                         reboot=True),
        k("OCPPCommCtrlr", "NetworkProfileConnectionAttempts"): _int(3),
        k("OCPPCommCtrlr", "ActiveNetworkProfile"): _int(1, "ReadOnly"),
        k("OCPPCommCtrlr", "MessageAttempts", variable_instance="TransactionEvent"): _int(3, low=1),
        k("OCPPCommCtrlr", "MessageAttemptInterval", variable_instance="TransactionEvent"): _int(5),
        k("OCPPCommCtrlr", "ResetRetries"): _int(1),
        k("OCPPCommCtrlr", "UnlockOnEVSideDisconnect"): _bool(True),
        k("ClockCtrlr", "DateTime"): _var("dateTime", "", "ReadOnly"),  # the value is the clock, read when asked
        k("ClockCtrlr", "TimeSource"): _var("SequenceList", "Heartbeat", values="Heartbeat,NTP,GPS,RealTimeClock"),
        k("SecurityCtrlr", "SecurityProfile"): _int(security_profile, "ReadOnly"),
        k("SecurityCtrlr", "OrganizationName"): _var("string", "OpenOCPPHarness"),
        k("SecurityCtrlr", "CertificateEntries"): _int(0, "ReadOnly"),
        k("SecurityCtrlr", "CertSigningWaitMinimum"): _int(30, low=1),
        k("SecurityCtrlr", "CertSigningRepeatTimes"): _int(2),
        k("SecurityCtrlr", "MaxCertificateChainSize"): _int(10000, "ReadOnly"),
        k("SecurityCtrlr", "BasicAuthPassword"): _var("string", password or "", "WriteOnly", low=16, high=40),
        k("TxCtrlr", "TxStartPoint"): _var("MemberList", "PowerPathClosed", values=TX_POINTS),
        k("TxCtrlr", "TxStopPoint"): _var("MemberList", "EVConnected,Authorized", values=TX_POINTS),
        k("TxCtrlr", "EVConnectionTimeOut"): _int(60),
        k("TxCtrlr", "StopTxOnEVSideDisconnect"): _bool(True),
        k("TxCtrlr", "StopTxOnInvalidId"): _bool(True),
        k("TxCtrlr", "MaxEnergyOnInvalidId"): _int(0),
        k("AuthCtrlr", "Enabled"): _bool(True),
        k("AuthCtrlr", "AuthorizeRemoteStart"): _bool(False),
        k("AuthCtrlr", "LocalAuthorizeOffline"): _bool(True),
        k("AuthCtrlr", "LocalPreAuthorize"): _bool(False),
        k("AuthCtrlr", "OfflineTxForUnknownIdEnabled"): _bool(False),
        k("AuthCtrlr", "DisableRemoteAuthorization"): _bool(False),
        k("SampledDataCtrlr", "SignReadings"): _bool(False),
        k("AuthCtrlr", "MasterPassGroupId"): _var("string", ""),  # C16: "" = no Master Pass group
        k("AuthCacheCtrlr", "Available"): _bool(True, "ReadOnly"),
        k("AuthCacheCtrlr", "Enabled"): _bool(True),
        k("AuthCacheCtrlr", "LifeTime"): _int(86400),
        k("AuthCacheCtrlr", "DisablePostAuthorize"): _bool(False),
        k("LocalAuthListCtrlr", "Available"): _bool(True, "ReadOnly"),
        k("LocalAuthListCtrlr", "Enabled"): _bool(False),
        k("LocalAuthListCtrlr", "Entries"): _int(0, "ReadOnly"),
        k("LocalAuthListCtrlr", "ItemsPerMessage"): _int(100, "ReadOnly"),
        k("LocalAuthListCtrlr", "BytesPerMessage"): _int(65000, "ReadOnly"),
        k("SampledDataCtrlr", "TxUpdatedInterval"): _int(0),
        k("SampledDataCtrlr", "TxUpdatedMeasurands"): _var("MemberList", "Energy.Active.Import.Register",
                                                            values=MEASURANDS),
        k("SampledDataCtrlr", "TxEndedMeasurands"): _var("MemberList", "Energy.Active.Import.Register",
                                                          values=MEASURANDS),
        k("SampledDataCtrlr", "TxEndedInterval"): _int(0),
        k("AlignedDataCtrlr", "Interval"): _int(0),
        k("AlignedDataCtrlr", "Measurands"): _var("MemberList", "Energy.Active.Import.Register", values=MEASURANDS),
        k("AlignedDataCtrlr", "SendDuringIdle"): _bool(False),
        # block J: the meter values of the Ended event (J01.FR.14, J02.FR.10), signed readings (J01.FR.21, J02.FR.21)
        k("AlignedDataCtrlr", "TxEndedInterval"): _int(0),
        k("AlignedDataCtrlr", "TxEndedMeasurands"): _var("MemberList", "Energy.Active.Import.Register",
                                                          values=MEASURANDS),
        k("AlignedDataCtrlr", "SignReadings"): _bool(False),
        k("SampledDataCtrlr", "TxStartedMeasurands"): _var("MemberList", "Energy.Active.Import.Register",
                                                            values=MEASURANDS),
        k("OCPPCommCtrlr", "PublicKeyWithSignedMeterValue"): _var("OptionList", "EveryMeterValue",
                                                                   values=PUBLIC_KEY_OPTIONS),
        k("ChargingStation", "AvailabilityState"): _var("OptionList", "Available", "ReadOnly", values=AVAILABILITY),
        k("ChargingStation", "Available"): _bool(True, "ReadOnly"),
        k("ChargingStation", "SupplyPhases"): _int(3, "ReadOnly"),
        k("OCPPCommCtrlr", "FileTransferProtocols"): _var("MemberList", "HTTP,HTTPS", "ReadOnly",
                                                           values="FTP,FTPS,HTTP,HTTPS,SFTP"),
        k("SampledDataCtrlr", "TxStartedMeasurands"): _var("MemberList", "Energy.Active.Import.Register",
                                                            values=MEASURANDS),
        k("AlignedDataCtrlr", "TxEndedInterval"): _int(0),
        k("AlignedDataCtrlr", "TxEndedMeasurands"): _var("MemberList", "Energy.Active.Import.Register",
                                                          values=MEASURANDS),
    }
    for action, items in (("GetReport", 64), ("GetVariables", 16), ("SetVariables", 16)):
        table[k("DeviceDataCtrlr", "ItemsPerMessage", variable_instance=action)] = _int(items, "ReadOnly")
        table[k("DeviceDataCtrlr", "BytesPerMessage", variable_instance=action)] = _int(65000, "ReadOnly")
    for evse_id, connectors in enumerate(evses, start=1):
        table[k("EVSE", "AvailabilityState", evse=evse_id)] = _var("OptionList", "Available", "ReadOnly",
                                                                   values=AVAILABILITY)
        table[k("EVSE", "Available", evse=evse_id)] = _bool(True, "ReadOnly")
        table[k("EVSE", "SupplyPhases", evse=evse_id)] = _int(3, "ReadOnly")
        table[k("EVSE", "Power", evse=evse_id)] = _var(
            "decimal", "0", "ReadOnly", low=0, extra={"MaxSet": Attribute("22000", "ReadOnly")})
        for connector_id in range(1, connectors + 1):
            table[k("Connector", "AvailabilityState", evse=evse_id, connector=connector_id)] = _var(
                "OptionList", "Available", "ReadOnly", values=AVAILABILITY)
            table[k("Connector", "Available", evse=evse_id, connector=connector_id)] = _bool(True, "ReadOnly")
            table[k("Connector", "SupplyPhases", evse=evse_id, connector=connector_id)] = _int(3, "ReadOnly")
            table[k("Connector", "ConnectorType", evse=evse_id, connector=connector_id)] = _var(
                "string", "cType2", "ReadOnly")
    return table


HEARTBEAT_INTERVAL = VarKey("OCPPCommCtrlr", "HeartbeatInterval")
BASIC_AUTH_PASSWORD = VarKey("SecurityCtrlr", "BasicAuthPassword")
CERTIFICATE_ENTRIES = VarKey("SecurityCtrlr", "CertificateEntries")
SECURITY_PROFILE = VarKey("SecurityCtrlr", "SecurityProfile")
NETWORK_PRIORITY = VarKey("OCPPCommCtrlr", "NetworkConfigurationPriority")
OFFLINE_THRESHOLD = VarKey("OCPPCommCtrlr", "OfflineThreshold")
ACTIVE_NETWORK_PROFILE = VarKey("OCPPCommCtrlr", "ActiveNetworkProfile")


class DeviceModel:
    """The variables of one simulated station, answering GetVariables / SetVariables items and base reports."""

    def __init__(self, evses: list[int], *, heartbeat_interval: int = 60, security_profile: int = 1,
                 password: str | None = None) -> None:
        self.variables = core_variables(evses, heartbeat_interval=heartbeat_interval,
                                        security_profile=security_profile, password=password)

    # ---- the station's own use ---------------------------------------------------------------------------------
    def actual(self, key: VarKey) -> str:
        return self.variables[key].attributes["Actual"].value

    def put(self, key: VarKey, value: str) -> None:
        """Set an Actual value from the station's side (no mutability check), e.g. the interval of a boot."""
        self.variables[key].attributes["Actual"].value = value

    @property
    def heartbeat_interval(self) -> int:
        return int(self.actual(HEARTBEAT_INTERVAL))

    def number(self, component: str, variable: str, instance: str | None = None) -> int:
        """An integer variable's Actual value, e.g. number("TxCtrlr", "EVConnectionTimeOut")."""
        return int(self.actual(VarKey(component, variable, variable_instance=instance)))

    def has(self, component: str, variable: str) -> bool:
        """Whether the station has the variable (a variant may leave an optional one out)."""
        return VarKey(component, variable) in self.variables

    def text(self, component: str, variable: str) -> str:
        """A variable's Actual value; "" when the station does not have it."""
        key = VarKey(component, variable)
        return self.actual(key) if key in self.variables else ""

    def flag(self, component: str, variable: str) -> bool:
        """A boolean variable's Actual value, e.g. flag("AuthCtrlr", "LocalPreAuthorize"); false when the station
        does not have it (a variant may leave an optional one out)."""
        key = VarKey(component, variable)
        return key in self.variables and self.actual(key) == "true"

    def members(self, component: str, variable: str) -> set[str]:
        """A MemberList variable's members, e.g. members("TxCtrlr", "TxStartPoint")."""
        value = self.actual(VarKey(component, variable))
        return set(value.split(",")) if value else set()

    def limit(self, name: Literal["ItemsPerMessage", "BytesPerMessage"], action: str) -> int:
        """DeviceDataCtrlr.ItemsPerMessage / BytesPerMessage for GetVariables, SetVariables or GetReport."""
        return int(self.actual(VarKey("DeviceDataCtrlr", name, variable_instance=action)))

    # ---- GetVariables / SetVariables ---------------------------------------------------------------------------
    def _find(self, key: VarKey) -> tuple[str, Variable | None]:
        if key in self.variables:
            return "Accepted", self.variables[key]
        if any(key.same_component(known) for known in self.variables):
            return "UnknownVariable", None
        return "UnknownComponent", None

    def get(self, data: dict[str, Any]) -> dict[str, Any]:
        """One getVariableResult for one getVariableData (B06)."""
        result: dict[str, Any] = {"component": data["component"], "variable": data["variable"]}
        kind: AttributeType = data.get("attributeType", "Actual")
        if "attributeType" in data:
            result["attributeType"] = kind
        status, variable = self._find(VarKey.of(data["component"], data["variable"]))
        attribute = variable.attributes.get(kind) if variable is not None else None
        if variable is not None and attribute is None:
            status = "NotSupportedAttributeType"
        elif attribute is not None and attribute.mutability == "WriteOnly":
            status = "Rejected"  # a WriteOnly value is never read out
        result["attributeStatus"] = status
        if status == "Accepted" and variable is not None and attribute is not None:
            result["attributeValue"] = now_iso() if variable.data_type == "dateTime" else attribute.value
        return result

    def set(self, data: dict[str, Any]) -> tuple[dict[str, Any], VarKey | None]:
        """One setVariableResult for one setVariableData (B05), and the key of the value changed (None if none)."""
        result: dict[str, Any] = {"component": data["component"], "variable": data["variable"]}
        kind: AttributeType = data.get("attributeType", "Actual")
        if "attributeType" in data:
            result["attributeType"] = kind
        key = VarKey.of(data["component"], data["variable"])
        status, variable = self._find(key)
        changed: VarKey | None = None
        if variable is not None:
            attribute = variable.attributes.get(kind)
            value = str(data.get("attributeValue", ""))
            if attribute is None:
                status = "NotSupportedAttributeType"
            elif attribute.mutability == "ReadOnly" or not variable.accepts(value):
                status = "Rejected"
            else:
                attribute.value, changed = value, key
                status = "RebootRequired" if variable.reboot_required else "Accepted"
        result["attributeStatus"] = status
        return result, changed

    # ---- GetBaseReport ----------------------------------------------------------------------------------------
    def report(self, base: str) -> list[dict[str, Any]]:
        """The reportData of a base report (B07): every variable (FullInventory) or the writable ones
        (ConfigurationInventory). WriteOnly values are left out (errata to TC_B_53)."""
        entries: list[dict[str, Any]] = []
        for key, variable in self.variables.items():
            writable = any(a.mutability != "ReadOnly" for a in variable.attributes.values())
            if base == "ConfigurationInventory" and not writable:
                continue
            component, var = key.wire()
            attributes = []
            for kind, attribute in variable.attributes.items():
                entry: dict[str, Any] = {"type": kind, "mutability": attribute.mutability}
                if attribute.mutability != "WriteOnly":
                    entry["value"] = now_iso() if variable.data_type == "dateTime" else attribute.value
                attributes.append(entry)
            characteristics: dict[str, Any] = {"dataType": variable.data_type, "supportsMonitoring": False}
            if variable.values_list:
                characteristics["valuesList"] = variable.values_list
            if variable.min_limit is not None:
                characteristics["minLimit"] = variable.min_limit
            if variable.max_limit is not None:
                characteristics["maxLimit"] = variable.max_limit
            entries.append({"component": component, "variable": var, "variableAttribute": attributes,
                            "variableCharacteristics": characteristics})
        return entries
