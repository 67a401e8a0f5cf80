"""Block P DataTransfer and customData, SUT = CSMS, as the Part 6 tables run them: a CSMS that implements no vendor
extension still answers a DataTransferRequest (P02), and takes requests that carry customData.
"""

from __future__ import annotations

from typing import Any

from harness import CsmsControl, OneOf, StationRole, now_iso, station_booted, testcase

# customData as any message may carry it: a vendorId, the rest the receiver may ignore
CUSTOM_DATA: dict[str, Any] = {"vendorId": "org.openchargealliance.octt", "note": "custom data a receiver may ignore"}


@testcase("TC_P_02_CSMS")
async def test_TC_P_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    vendor, message_id = station.configured.data_transfer_vendor_id, station.configured.data_transfer_message_id
    with station.step(f"1-2. DataTransferRequest vendorId {vendor}, messageId {message_id}; the CSMS answers "
                      "UnknownVendorId, UnknownMessageId or Rejected"):
        await station.call_ok("DataTransfer", {"vendorId": vendor, "messageId": message_id},
                              {"status": OneOf("UnknownVendorId", "UnknownMessageId", "Rejected")})


@testcase("TC_P_03_CSMS")
async def test_TC_P_03_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    evse, connector = station.configured.evse_id, station.configured.connector_id
    with station.step(f"1-2. StatusNotificationRequest Occupied for EVSE {evse} connector {connector} with "
                      "customData; the CSMS answers"):
        await station.call_ok("StatusNotification", {"timestamp": now_iso(), "connectorStatus": "Occupied",
                                                     "evseId": evse, "connectorId": connector,
                                                     "customData": CUSTOM_DATA}, {})
    tx = station.transaction(evse, connector)
    payload = tx.payload("Started", "CablePluggedIn", charging_state="EVConnected")
    payload["customData"] = CUSTOM_DATA
    payload["transactionInfo"]["customData"] = CUSTOM_DATA
    with station.step("3-4. TransactionEventRequest Started with customData, and customData in transactionInfo; the "
                      "CSMS answers"):
        await station.call_ok("TransactionEvent", payload, {})
