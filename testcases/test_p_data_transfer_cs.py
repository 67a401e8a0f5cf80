"""Block P DataTransfer and customData, SUT = Charging Station, as the Part 6 tables run them: a station that
implements no vendor extension still answers a DataTransferRequest (P01), and takes requests that carry customData.
"""

from __future__ import annotations

from typing import Any

from harness import AbsentOr, CsmsRole, OneOf, StationControl, booted, testcase

TEST_SYSTEM_VENDOR = "org.openchargealliance.octt"  # the vendorId Part 6 names for the Test System
# customData as any message may carry it: a vendorId, the rest the receiver may ignore
CUSTOM_DATA: dict[str, Any] = {"vendorId": TEST_SYSTEM_VENDOR, "note": "custom data a receiver may ignore"}
OFFLINE_THRESHOLD = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}


@testcase("TC_P_01_CS", notes="Prerequisite: the configured vendorId is not implemented and the messageId unused.")
async def test_TC_P_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    message_id = csms.configured.data_transfer_message_id
    with csms.step(f"1-2. DataTransferRequest vendorId {TEST_SYSTEM_VENDOR}, messageId {message_id}; the station "
                   "answers UnknownVendorId, UnknownMessageId or Rejected"):
        await csms.call_ok("DataTransfer", {"vendorId": TEST_SYSTEM_VENDOR, "messageId": message_id},
                           {"status": OneOf("UnknownVendorId", "UnknownMessageId", "Rejected")})


@testcase("TC_P_03_CS")
async def test_TC_P_03_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    with csms.step("1-2. SetVariablesRequest OCPPCommCtrlr.OfflineThreshold = 200, attributeType Actual, with "
                   "customData; the station answers Accepted"):
        await csms.call_ok("SetVariables", {"customData": CUSTOM_DATA, "setVariableData": [
            {**OFFLINE_THRESHOLD, "attributeValue": "200", "attributeType": "Actual", "customData": CUSTOM_DATA}]},
            {"setVariableResult": [{"attributeStatus": "Accepted"}]})
    with csms.step("3-4. GetVariablesRequest OCPPCommCtrlr.OfflineThreshold, attributeType Actual, with customData; "
                   "the station answers Accepted, attributeType Actual or omitted, \"200\""):
        await csms.call_ok("GetVariables", {"customData": CUSTOM_DATA, "getVariableData": [
            {**OFFLINE_THRESHOLD, "attributeType": "Actual", "customData": CUSTOM_DATA}]},
            {"getVariableResult": [{"attributeStatus": "Accepted", "attributeType": AbsentOr("Actual"),
                                    "attributeValue": "200"}]})
