"""Block J Meter values, SUT = CSMS: the harness's station reports clock-aligned, sampled and signed meter values
(J01, J02) and the CSMS must take each report (a valid CALLRESULT), as the Part 6 tables run them. TC_J_01_CSMS is
in test_transactions_csms.py.

The station plays Part 6 §3.1's configuration at the profile's <Configured evseId / connectorId>; the intervals
are the profile's <Configured …> values. TC_J_10_CSMS / TC_J_11_CSMS name the clock-aligned Tx ended interval for
their Sample.Periodic values; the harness spaces them by <Configured sampled_tx_ended_meter_values_interval>.
"""

from __future__ import annotations

import base64
import math
import time
from datetime import UTC, datetime
from typing import Any

from harness import (
    CsmsControl,
    StationRole,
    StationTransaction,
    now_iso,
    states,
    station_booted,
    testcase,
)

ENERGY = "Energy.Active.Import.Register"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _signed(reading: float) -> dict[str, Any]:
    """<Generated SignedMeterValueType>: the harness's meter signs nothing for real; the fields are what a CSMS
    stores and forwards."""
    return {"signedMeterData": base64.b64encode(f"HARNESS-METER {reading:.1f} Wh".encode()).decode(),
            "signingMethod": "ECDSA-secp256r1-SHA256", "encodingMethod": "OCMF",
            "publicKey": base64.b64encode(b"HARNESS-METER-PUBLIC-KEY").decode()}


def _value(reading: float, context: str, stamp: float, *, signed: bool = False) -> dict[str, Any]:
    sampled: dict[str, Any] = {"value": reading, "context": context, "measurand": ENERGY, "unitOfMeasure": {"unit": "Wh"}}
    if signed:
        sampled["signedMeterValue"] = _signed(reading)
    return {"timestamp": _iso(stamp), "sampledValue": [sampled]}


async def _energy_transfer_started(station: StationRole) -> tuple[StationTransaction, float]:
    """Reusable state EnergyTransferStarted at <Configured evseId>: Authorized (Started), then parts 1 and 2; the
    transaction and the clock at its start."""
    tx = station.transaction(station.configured.evse_id, station.configured.connector_id)
    started = time.time()
    await states.station_authorized(station, tx)
    await states.station_energy_transfer(station, tx)
    return tx, started


async def _next_boundary(station: StationRole, interval: int, what: str) -> float:
    boundary = math.floor(time.time() / interval + 1) * interval
    await station.hold(boundary - time.time(), f"the next {what} boundary ({interval} s interval)")
    return boundary


async def _ended_with(station: StationRole, tx: StationTransaction, started: float, *, interval: int, context: str,
                      signed: bool) -> None:
    """After the configured Transaction Duration (and two intervals, so that the Ended event has two data collection
    moments), reusable state EVDisconnected with the transaction's `context` values one `interval` apart and a
    last Transaction.End reading in the Ended event."""
    wait = max(station.configured.transaction_duration, started + 2 * interval - time.time())
    await station.hold(wait, "the Configured transaction duration, and two intervals of the transaction")
    now = time.time()
    if context == "Sample.Clock":
        moments = [b * interval for b in range(math.ceil(started / interval), math.floor(now / interval) + 1)]
    else:
        moments = [started + k * interval for k in range(1, int((now - started) // interval) + 1)]
    total = tx.energy + 150.0
    values = [_value(round(total * (m - started) / (now - started), 1), context, m, signed=signed) for m in moments]
    values.append(_value(total, "Transaction.End", now, signed=signed))
    with station.step(f"1. Reusable state EVDisconnected: TransactionEvent Ended with {len(values) - 1} {context} "
                      f"value(s) {interval} s apart and a Transaction.End one{', signed' if signed else ''}; the CSMS "
                      "responds"):
        await station.status(tx.evse, tx.connector, "Available")
        payload = tx.payload("Ended", "EVCommunicationLost", charging_state="Idle", stopped_reason="EVDisconnected")
        payload["meterValue"] = values
        await station.call_ok("TransactionEvent", payload, {})


# ---- J01 clock-aligned ----------------------------------------------------------------------------------------------
@testcase("TC_J_02_CSMS")
async def test_TC_J_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    interval = max(station.configured.aligned_data_interval, 1)
    tx, _ = await _energy_transfer_started(station)
    idle = [0, *(e for e in range(1, len(station.evses) + 1) if e != tx.evse)]
    rounds = max(2, math.ceil(station.configured.transaction_duration / interval))
    for round_no in range(1, rounds + 1):
        boundary = await _next_boundary(station, interval, "clock-aligned")
        stamp = _iso(boundary)
        with station.step(f"1-2. ({round_no}/{rounds}) clock-aligned MeterValuesRequest for evseId "
                          f"{', '.join(map(str, idle))} at {stamp}, and NotifyEvent FiscalMetering Periodic; the CSMS "
                          "responds"):
            for evse in idle:
                await station.call_ok("MeterValues", {"evseId": evse, "meterValue": [
                    _value(1000.0 * round_no, "Sample.Clock", boundary)]}, {})
            await station.call_ok("NotifyEvent", {"generatedAt": now_iso(), "seqNo": 0, "tbc": False, "eventData": [{
                "eventId": round_no, "timestamp": stamp, "trigger": "Periodic", "actualValue": str(1000.0 * round_no),
                "eventNotificationType": "PreconfiguredMonitor", "component": {"name": "FiscalMetering"},
                "variable": {"name": "EnergyImportRegister"}}]}, {})
        with station.step(f"3-4. ({round_no}/{rounds}) TransactionEvent Updated, MeterValueClock, a Sample.Clock value "
                          f"at {stamp}; the CSMS responds"):
            payload = tx.payload("Updated", "MeterValueClock")
            payload["meterValue"] = [_value(tx.energy, "Sample.Clock", boundary)]
            await station.call_ok("TransactionEvent", payload, {})


@testcase("TC_J_03_CSMS")
async def test_TC_J_03_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx, started = await _energy_transfer_started(station)
    await _ended_with(station, tx, started, interval=max(station.configured.aligned_tx_ended_interval, 1),
                      context="Sample.Clock", signed=False)


@testcase("TC_J_04_CSMS")
async def test_TC_J_04_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx, started = await _energy_transfer_started(station)
    await _ended_with(station, tx, started, interval=max(station.configured.aligned_tx_ended_interval, 1),
                      context="Sample.Clock", signed=True)


# ---- J02 sampled ----------------------------------------------------------------------------------------------------
@testcase("TC_J_07_CSMS")
async def test_TC_J_07_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = station.transaction(station.configured.evse_id, station.configured.connector_id)
    with station.step("1. Reusable state EVConnectedPreSession: TransactionEvent Started with a Transaction.Begin "
                      "meter value; the CSMS responds"):
        await station.status(tx.evse, tx.connector, "Occupied")
        payload = tx.payload("Started", "CablePluggedIn", charging_state="EVConnected")
        payload["meterValue"] = [_value(0.0, "Transaction.Begin", time.time())]
        await station.call_ok("TransactionEvent", payload, {})


@testcase("TC_J_08_CSMS")
async def test_TC_J_08_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = station.transaction(station.configured.evse_id, station.configured.connector_id)
    token = station.tokens.valid
    with station.step(f"1. Reusable state Authorized: idToken {token.id_token}; TransactionEvent Started without the "
                      "EVSE (not known yet) and without meter values"):
        await station.authorize(token, {"idTokenInfo": {"status": "Accepted"}})
        payload = tx.payload("Started", "Authorized", id_token=token, charging_state="Idle")
        payload.pop("evse", None)
        payload.pop("meterValue", None)
        await station.call_ok("TransactionEvent", payload, {"idTokenInfo": {"status": "Accepted"}})
    with station.step("2. Reusable state EVConnectedPreSession: TransactionEvent Updated, the EVSE now known, with a "
                      "Transaction.Begin meter value; the CSMS responds"):
        await station.status(tx.evse, tx.connector, "Occupied")
        payload = tx.payload("Updated", "CablePluggedIn", charging_state="EVConnected", with_evse=True)
        payload["meterValue"] = [_value(0.0, "Transaction.Begin", time.time())]
        await station.call_ok("TransactionEvent", payload, {})
    await states.station_energy_transfer(station, tx)  # 3


@testcase("TC_J_09_CSMS")
async def test_TC_J_09_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    interval = max(station.configured.tx_updated_interval, 1)
    tx, _ = await _energy_transfer_started(station)
    rounds = 3  # the table ends after three MeterValues
    last = time.time()
    for round_no in range(1, rounds + 1):
        await station.hold(last + interval - time.time(), f"the sampled Meter Values interval ({interval} s)")
        last = time.time()
        with station.step(f"1-2. ({round_no}/{rounds}) TransactionEvent Updated, MeterValuePeriodic, a Sample.Periodic "
                          "value; the CSMS responds"):
            payload = tx.payload("Updated", "MeterValuePeriodic", timestamp=_iso(last))
            payload["meterValue"] = [_value(tx.energy, "Sample.Periodic", last)]
            await station.call_ok("TransactionEvent", payload, {})


@testcase("TC_J_10_CSMS")
async def test_TC_J_10_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx, started = await _energy_transfer_started(station)
    await _ended_with(station, tx, started, interval=max(station.configured.sampled_tx_ended_interval, 1),
                      context="Sample.Periodic", signed=False)


@testcase("TC_J_11_CSMS")
async def test_TC_J_11_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx, started = await _energy_transfer_started(station)
    await _ended_with(station, tx, started, interval=max(station.configured.sampled_tx_ended_interval, 1),
                      context="Sample.Periodic", signed=True)
