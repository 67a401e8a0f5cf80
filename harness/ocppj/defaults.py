"""Schema-valid default answers to every OCPP 2.0.1 request, for either side. Sans-I/O.

A test states only what matters; everything else the SUT sends gets one of these. Answers to station-initiated
messages are those of a permissive CSMS; answers to CSMS-initiated messages are those of a station that politely
declines (the simulators override them with real behaviour).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def now_iso() -> str:
    """Current UTC time as an RFC 3339 date-time with milliseconds and 'Z'."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _status(status: str) -> dict[str, Any]:
    return {"status": status}


def csms_default(action: str, payload: dict[str, Any], *, heartbeat_interval: int = 300) -> dict[str, Any] | None:
    """What a permissive CSMS answers to a station-initiated request; None when `action` is not one."""
    match action:
        case "BootNotification":
            return {"currentTime": now_iso(), "interval": heartbeat_interval, "status": "Accepted"}
        case "Heartbeat":
            return {"currentTime": now_iso()}
        case "Authorize":
            return {"idTokenInfo": {"status": "Accepted"}}
        case "TransactionEvent":
            return {"idTokenInfo": {"status": "Accepted"}} if "idToken" in payload else {}
        case "DataTransfer":
            return _status("UnknownVendorId")
        case "Get15118EVCertificate":
            return {"status": "Failed", "exiResponse": ""}
        case "GetCertificateStatus":
            return _status("Failed")
        case "NotifyEVChargingNeeds":
            return _status("Accepted")
        case "NotifyEVChargingSchedule" | "SignCertificate":
            return _status("Accepted")
        case ("ClearedChargingLimit" | "FirmwareStatusNotification" | "LogStatusNotification" | "MeterValues"
              | "NotifyChargingLimit" | "NotifyCustomerInformation" | "NotifyDisplayMessages" | "NotifyEvent"
              | "NotifyMonitoringReport" | "NotifyReport" | "PublishFirmwareStatusNotification"
              | "ReportChargingProfiles" | "ReservationStatusUpdate" | "SecurityEventNotification"
              | "StatusNotification"):
            return {}
    return None


def station_default(action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """What a station that declines answers to a CSMS-initiated request; None when `action` is not one."""
    match action:
        case "GetVariables":
            return {"getVariableResult": [
                {"attributeStatus": "UnknownComponent", "component": d.get("component", {"name": "?"}),
                 "variable": d.get("variable", {"name": "?"})} for d in payload.get("getVariableData", [])]}
        case "SetVariables":
            return {"setVariableResult": [
                {"attributeStatus": "UnknownComponent", "component": d.get("component", {"name": "?"}),
                 "variable": d.get("variable", {"name": "?"})} for d in payload.get("setVariableData", [])]}
        case "TriggerMessage":
            return _status("NotImplemented")
        case "GetBaseReport" | "GetReport" | "GetMonitoringReport":
            return _status("NotSupported") if action == "GetBaseReport" else _status("Rejected")
        case "DataTransfer":
            return _status("UnknownVendorId")
        case "GetLocalListVersion":
            return {"versionNumber": 0}
        case "GetInstalledCertificateIds":
            return _status("NotFound")
        case "DeleteCertificate":
            return _status("NotFound")
        case "GetTransactionStatus":
            return {"messagesInQueue": False}
        case "GetLog":
            return _status("Rejected")
        case "UnlockConnector":
            return _status("UnknownConnector")
        case "GetCompositeSchedule" | "ClearChargingProfile" | "GetChargingProfiles" | "GetDisplayMessages":
            return _status("Rejected") if action == "GetCompositeSchedule" else _status("Unknown") \
                if action in ("ClearChargingProfile", "GetDisplayMessages") else _status("NoProfiles")
        case "ClearDisplayMessage" | "ClearVariableMonitoring":
            if action == "ClearVariableMonitoring":
                return {"clearMonitoringResult": [{"status": "NotFound", "id": i} for i in payload.get("id", [])]}
            return _status("Unknown")
        case "SetVariableMonitoring":
            return {"setMonitoringResult": [
                {"status": "Rejected", "type": d.get("type", "Delta"), "severity": d.get("severity", 0),
                 "component": d.get("component", {"name": "?"}), "variable": d.get("variable", {"name": "?"})}
                for d in payload.get("setMonitoringData", [])]}
        case "CostUpdated":
            return {}
        case "SendLocalList":
            return _status("Failed")
        case "UnpublishFirmware":
            return _status("NoFirmware")
        case ("CancelReservation" | "CertificateSigned" | "ChangeAvailability" | "ClearCache" | "CustomerInformation"
              | "InstallCertificate" | "PublishFirmware" | "RequestStartTransaction" | "RequestStopTransaction"
              | "ReserveNow" | "Reset" | "SetChargingProfile" | "SetDisplayMessage"
              | "SetMonitoringBase" | "SetMonitoringLevel" | "SetNetworkProfile" | "UpdateFirmware" | "Get15118EVCertificate"):
            return _status("Rejected")
    return None
