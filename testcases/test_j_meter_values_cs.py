"""Block J Meter values, SUT = Charging Station: clock-aligned values during a transaction and in its Ended event
(J01), sampled values at the start, during and at the end of a transaction (J02), signed readings, each from its
Part 6 table (errata 2025-09 6.2.63 applied to TC_J_02_CS: RegisterValuesWithoutPhases false if implemented,
"Sample.Circle" read as Sample.Clock, measurands may come per phase). TC_J_01_CS is in test_remote_cs.py.

The tables end after the <Configured transaction duration>; their post-scenario validations judge the intervals
between timestamps, which needs at least two data collection moments (three for a stream of messages): a case
lets the transaction run for that long when the configured duration is shorter (noted in the transcript).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from itertools import pairwise
from typing import Any

from harness import (
    CsmsRole,
    IfImplemented,
    IfWritable,
    NotApplicable,
    PreconditionNotMet,
    Record,
    StationControl,
    booted,
    check_interval,
    parse_datetime,
    states,
    testcase,
)

ENERGY = "Energy.Active.Import.Register"  # the measurand a sampledValue may leave unnamed
ROUNDS = 3  # distinct timestamps a stream of meter values is watched for
START_POINTS = ("EVConnected", "Authorized", "PowerPathClosed", "EnergyTransfer", "DataSigned")


# ---- reading meter values ----------------------------------------------------------------------------------------
def _payload(record: Record) -> Mapping[str, Any]:
    payload = getattr(record.frame, "payload", None)
    return payload if isinstance(payload, Mapping) else {}


def _meter_values(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    values = payload.get("meterValue")
    return [v for v in values if isinstance(v, Mapping)] if isinstance(values, list) else []


def _sampled(meter_value: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    values = meter_value.get("sampledValue")
    return [v for v in values if isinstance(v, Mapping)] if isinstance(values, list) else []


def _context(meter_value: Mapping[str, Any]) -> str | None:
    """sampledValue[0].context (Part 2: Sample.Periodic when left out)."""
    sampled = _sampled(meter_value)
    return str(sampled[0].get("context", "Sample.Periodic")) if sampled else None


def _missing(meter_value: Mapping[str, Any], measurands: tuple[str, ...]) -> list[str]:
    seen = {str(v.get("measurand", ENERGY)) for v in _sampled(meter_value)}
    return [m for m in measurands if m not in seen]


def _judge_context(csms: CsmsRole, record: Record, meter_value: Mapping[str, Any], wanted: tuple[str, ...],
                   what: str) -> None:
    if _context(meter_value) not in wanted:
        raise csms.failure(f"{what}: sampledValue[0].context is not {' or '.join(wanted)}",
                           expected=f"context {' or '.join(wanted)}", actual=f"context {_context(meter_value)!r}: "
                           f"{record.raw[:400]}", rules=("SEQ",))


def _judge_measurands(csms: CsmsRole, record: Record, meter_value: Mapping[str, Any], measurands: tuple[str, ...],
                      variable: str, what: str) -> None:
    """An element per configured measurand (the measurand field may be left out for Energy.Active.Import.Register;
    errata 6.2.63: a measurand may come once per phase)."""
    if not measurands:
        csms.transcript.note(f"{variable} could not be read or is empty: the measurands are not checked")
        return
    missing = _missing(meter_value, measurands)
    if missing:
        raise csms.failure(f"{what} lack a measurand of {variable}", expected=f"a sampledValue for each of "
                           f"{', '.join(measurands)}", actual=f"missing {', '.join(missing)}: {record.raw[:400]}",
                           rules=("SEQ",))


def _stamp(csms: CsmsRole, record: Record, meter_value: Mapping[str, Any]) -> datetime:
    stamp = parse_datetime(str(meter_value.get("timestamp")))
    if stamp is None:
        raise csms.failure("a meterValue timestamp is not a date-time", actual=record.raw[:400], rules=("SEQ",))
    return stamp


def _judge_intervals(csms: CsmsRole, stamps: list[datetime], interval: int, what: str, *,
                     watched: float | None = None) -> None:
    """The distinct timestamps, in order, are `interval` apart (several messages of one moment share it). With
    `watched` (the seconds the stream was watched) a kind that was sent must have had a moment in every interval
    but the first and last: one lone value is no proof of the interval (a station sending every other one)."""
    ordered = sorted(set(stamps))
    least = int(watched // interval) - 1 if watched else 0
    if ordered and len(ordered) < least:
        raise csms.failure(f"timing: {what}: {len(ordered)} data collection moment(s) in {watched:g} s",
                           message=f"expected one every {interval} s: at least {least} in the {watched:g} s watched",
                           actual=", ".join(t.isoformat() for t in ordered), rules=("TIMING",))
    if len(ordered) < 2:
        csms.transcript.note(f"{what}: {len(ordered)} data collection moment(s), no interval to judge")
        return
    tolerance = min(csms.settings.timing.tolerance, interval / 4)  # the timestamps are computed, not measured
    for before, after in pairwise(ordered):
        csms.transcript.note(check_interval((after - before).total_seconds(), expected=interval, tolerance=tolerance,
                                            what=what))


async def _members(csms: CsmsRole, key: str) -> tuple[str, ...]:
    return tuple(await csms.configuration.members(key))


def _interval(csms: CsmsRole, value: int, name: str, key: str) -> int:
    if value <= 0:
        raise PreconditionNotMet(f"<Configured {name}> is 0, which switches the values off",
                                 fix=f"set configured.{key} in the station's SUT profile")
    return value


# ---- TC_J_02_CS, TC_J_06_CS: clock-aligned values around a transaction ---------------------------------------------
@testcase("TC_J_02_CS")
async def test_TC_J_02_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    interval = _interval(csms, csms.configured.aligned_data_interval, "clock-aligned Meter Values interval",
                         "aligned_data_interval")
    await csms.configure({"AlignedDataCtrlr.Interval": interval, "AlignedDataCtrlr.SendDuringIdle": IfImplemented(False),
                          "SampledDataCtrlr.RegisterValuesWithoutPhases": IfImplemented(False)})
    measurands = await _members(csms, "AlignedDataCtrlr.Measurands")
    await states.energy_transfer_started(csms, sut)
    evse = csms.configured.evse_id
    tx = csms.transaction_on(evse)
    mark = csms.mark()
    watch = max(csms.configured.transaction_duration, (ROUNDS + 0.5) * interval)
    with csms.step(f"1-4. MeterValuesRequest and/or TransactionEvent MeterValueClock every {interval} s; the harness "
                   f"responds (watched {watch:g} s)"):
        await csms.hold(watch, "the Configured transaction duration, and at least three clock-aligned intervals")
    after = mark.seq if mark is not None else 0
    records = [r for r in csms.transcript.records if r.seq > after and r.direction == "rx"
               and r.message_type == 2 and r.action in ("MeterValues", "TransactionEvent")]
    meter_values = [r for r in records if r.action == "MeterValues"]
    events = [r for r in records if r.action == "TransactionEvent"
              and _payload(r).get("transactionInfo", {}).get("transactionId") == tx
              and (_payload(r).get("triggerReason") == "MeterValueClock"
                   or any(_context(mv) == "Sample.Clock" for mv in _meter_values(_payload(r))))]
    if not meter_values and not events:
        raise csms.failure("no clock-aligned meter values during the transaction", expected="MeterValuesRequest or "
                           "TransactionEventRequest MeterValueClock every AlignedDataInterval", rules=("SEQ",))
    with csms.step("Step 1 validations: MeterValuesRequest context Sample.Clock, a sampledValue per "
                   "AlignedDataMeasurands member"):
        for record in meter_values:
            for mv in _meter_values(_payload(record))[:1]:
                _judge_context(csms, record, mv, ("Sample.Clock",), "clock-aligned MeterValues")
                _judge_measurands(csms, record, mv, measurands, "AlignedDataCtrlr.Measurands",
                                  "clock-aligned MeterValues")
    with csms.step("Step 3 validations: TransactionEventRequest triggerReason MeterValueClock, context Sample.Clock, "
                   "a sampledValue per AlignedDataMeasurands member"):
        for record in events:
            if _payload(record).get("triggerReason") != "MeterValueClock":
                raise csms.failure("a clock-aligned TransactionEvent does not have triggerReason MeterValueClock",
                                   expected="triggerReason MeterValueClock", actual=record.raw[:400], rules=("SEQ",))
            for mv in _meter_values(_payload(record))[:1]:
                _judge_context(csms, record, mv, ("Sample.Clock",), "clock-aligned TransactionEvent")
                _judge_measurands(csms, record, mv, measurands, "AlignedDataCtrlr.Measurands",
                                  "clock-aligned TransactionEvent values")
    with csms.step("Post-scenario validations: the timestamps of each kind are one AlignedDataInterval apart"):
        for kind, chosen in (("MeterValues", meter_values), ("TransactionEvent", events)):
            stamps = [_stamp(csms, r, mv) for r in chosen for mv in _meter_values(_payload(r))]
            _judge_intervals(csms, stamps, interval, f"interval between clock-aligned {kind} timestamps",
                             watched=watch)


@testcase("TC_J_06_CS")
async def test_TC_J_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    if await csms.read_variable("AlignedDataCtrlr.SendDuringIdle") is None:
        raise NotApplicable("the station does not implement AlignedDataCtrlr.SendDuringIdle (prerequisite)")
    interval = _interval(csms, csms.configured.aligned_data_interval, "clock-aligned Meter Values interval",
                         "aligned_data_interval")
    await csms.configure({"AlignedDataCtrlr.Interval": interval, "AlignedDataCtrlr.SendDuringIdle": True})
    measurands = await _members(csms, "AlignedDataCtrlr.Measurands")
    await _idle_meter_values(csms, "1-2", interval, measurands)
    await states.energy_transfer_started(csms, sut)  # 3
    mark = csms.mark()
    with csms.step("4-5. The station sends no meter values while the transaction runs (the harness waits the "
                   "Configured clock-aligned interval + 5 s)"):
        await csms.hold(interval + 5, "step 6 comes after the clock-aligned interval + 5 seconds")
        after = mark.seq if mark is not None else 0
        sent = [r for r in csms.transcript.records if r.seq > after and r.direction == "rx" and r.message_type == 2
                and (r.action == "MeterValues" or (r.action == "TransactionEvent" and "meterValue" in _payload(r)))]
        if sent:
            raise csms.failure("the station reported meter values during the transaction although "
                               "AlignedDataSendDuringIdle is true", expected="no MeterValuesRequest and no "
                               "TransactionEventRequest with meterValue", actual=sent[0].raw[:400], rules=("SEQ",))
    with csms.step("6. Reusable state ParkingBayUnoccupied (the transaction stops)"):
        await _stop(csms, sut)
    await _idle_meter_values(csms, "7-8", interval, measurands)


async def _idle_meter_values(csms: CsmsRole, steps: str, interval: int, measurands: tuple[str, ...]) -> None:
    """Clock-aligned MeterValuesRequests for two intervals (one or more per EVSE and for evseId 0, all of one
    interval with its timestamp): context Sample.Clock, the measurands, one interval apart."""
    received: list[Record] = []
    stamps: set[datetime | str] = set()
    after = csms.mark()
    with csms.step(f"{steps}. MeterValuesRequest, clock-aligned every {interval} s; the harness responds"):
        csms.aligned_timer(interval, 2, "2 clock-aligned moments of AlignedDataInterval")
        while len(stamps) < 2:
            record = await csms.receive("MeterValues", after=after, within=2 * interval + csms.settings.timing.tolerance)
            received.append(record)
            stamps.update(parse_datetime(str(mv.get("timestamp"))) or str(mv.get("timestamp"))
                          for mv in _meter_values(_payload(record)))
            after = record
    with csms.step(f"Step {steps.split('-')[0]} validations: context Sample.Clock, a sampledValue per "
                   "AlignedDataMeasurands member; post-scenario: one AlignedDataInterval apart"):
        for record in received:
            for mv in _meter_values(_payload(record))[:1]:
                _judge_context(csms, record, mv, ("Sample.Clock",), "clock-aligned MeterValues")
                _judge_measurands(csms, record, mv, measurands, "AlignedDataCtrlr.Measurands",
                                  "clock-aligned MeterValues")
        _judge_intervals(csms, [_stamp(csms, r, mv) for r in received for mv in _meter_values(_payload(r))],
                         interval, "interval between clock-aligned MeterValues timestamps")


async def _stop(csms: CsmsRole, sut: StationControl) -> Record | None:
    """Reusable state ParkingBayUnoccupied from EnergyTransferStarted: StopAuthorized (after the configured
    Transaction Duration), EVConnectedPostSession, EVDisconnected, ParkingBayUnoccupied. The Ended event."""
    evse = csms.configured.evse_id
    tx = csms.transaction_on(evse)
    await states.stop_authorized(csms, sut)
    await states.ev_connected_post_session(csms, sut)
    await states.ev_disconnected(csms, sut)
    await states.parking_bay_unoccupied(csms, sut)
    return next((r for r in csms.transactions.get(tx or "", []) if _payload(r).get("eventType") == "Ended"), None)


# ---- TC_J_03_CS, TC_J_04_CS, TC_J_10_CS, TC_J_11_CS: the Ended event's values -----------------------------------
async def _ended(csms: CsmsRole, sut: StationControl, interval: int) -> Record:
    """EnergyTransferStarted, then (step 1) ParkingBayUnoccupied: the transaction runs at least two intervals;
    the Ended TransactionEvent."""
    await states.energy_transfer_started(csms, sut)
    await csms.hold(2 * interval - csms.configured.transaction_duration,
                    "two TxEnded intervals at least, so that the Ended event has two data collection moments")
    with csms.step("1. Reusable state ParkingBayUnoccupied after the Configured transaction duration: the "
                   "transaction stops"):
        ended = await _stop(csms, sut)
    if ended is None:
        raise PreconditionNotMet("the transaction still runs after the EV left: the station's TxStopPoint waits for "
                                 "the EV to leave the parking bay, and no bay sensor is driven",
                                 fix="run the case with a TxStopPoint the control adapter can reach")
    return ended


def _judge_ended(csms: CsmsRole, ended: Record, *, sample: str, variable: str, measurands: tuple[str, ...],
                 interval: int, need_end: bool) -> list[Mapping[str, Any]]:
    """The Ended event's post-scenario validations: meterValue present; each value's context `sample` (a
    Transaction.End reading may follow; `need_end`: one must); the `sample` values have each measurand and are
    one interval apart. Returns the values judged."""
    values = _meter_values(_payload(ended))
    with csms.step("Post-scenario validation: the TransactionEventRequest with eventType Ended contains meterValue"):
        if not values:
            raise csms.failure("the Ended TransactionEvent carries no meterValue", expected="meterValue with the "
                               f"{variable} values", actual=ended.raw[:400], rules=("SEQ",))
    chosen = [mv for mv in values if _context(mv) == sample]
    with csms.step(f"Post-scenario validation: sampledValue[0].context {sample}"
                   + (" and one Transaction.End" if need_end else "")):
        for mv in values:
            _judge_context(csms, ended, mv, (sample, "Transaction.End"), "a meterValue of the Ended event")
        if not chosen:
            raise csms.failure(f"the Ended event has no {sample} value", expected=f"a meterValue per {variable} "
                               f"moment with context {sample}", actual=ended.raw[:400], rules=("SEQ",))
        if need_end and not any(_context(mv) == "Transaction.End" for mv in values):
            raise csms.failure("the Ended event has no Transaction.End value", expected="one meterValue with context "
                               "Transaction.End", actual=ended.raw[:400], rules=("SEQ",))
    with csms.step(f"Post-scenario validation: a sampledValue per {variable} member in each {sample} value"):
        for mv in chosen:
            _judge_measurands(csms, ended, mv, measurands, variable, f"{sample} values of the Ended event")
    with csms.step(f"Post-scenario validation: the {sample} timestamps are one TxEndedInterval apart"):
        _judge_intervals(csms, [_stamp(csms, ended, mv) for mv in chosen], interval,
                         f"interval between the {sample} values of the Ended event")
    return chosen


async def _judge_signed(csms: CsmsRole, ended: Record, values: list[Mapping[str, Any]]) -> None:
    """sampledValue.signedMeterValue is there; its publicKey "" or a public key, as
    OCPPCommCtrlr.PublicKeyWithSignedMeterValue says (Never: "", EveryMeterValue: a key)."""
    mode = await csms.read_variable("OCPPCommCtrlr.PublicKeyWithSignedMeterValue")
    with csms.step("Post-scenario validation: sampledValue.signedMeterValue present, publicKey \"\" or a public key "
                   f"(PublicKeyWithSignedMeterValue {mode or 'not implemented'})"):
        for sampled in (s for mv in values for s in _sampled(mv)):
            signed = sampled.get("signedMeterValue")
            if not isinstance(signed, Mapping):
                raise csms.failure("a reading of the Ended event is not signed although SignReadings is true",
                                   expected="sampledValue.signedMeterValue", actual=ended.raw[:500], rules=("SEQ",))
            key = signed.get("publicKey")
            problem = _key_problem(key, mode)
            if problem:
                raise csms.failure(f"signedMeterValue.publicKey {problem}", expected="\"\" or a base64 public key, as "
                                   f"PublicKeyWithSignedMeterValue {mode!r} says", actual=repr(key)[:200],
                                   rules=("SEQ",))


def _key_problem(key: object, mode: str | None) -> str | None:
    if not isinstance(key, str):
        return "is missing"
    if key == "":
        return "is empty although PublicKeyWithSignedMeterValue is EveryMeterValue" if mode == "EveryMeterValue" \
            else None
    if mode == "Never":
        return "is given although PublicKeyWithSignedMeterValue is Never"
    try:
        base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        return "is not a public key (not base64)"
    return None


@testcase("TC_J_03_CS")
async def test_TC_J_03_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    interval = _interval(csms, csms.configured.aligned_tx_ended_interval,
                         "clock_aligned_tx_ended_meter_values_interval", "aligned_tx_ended_interval")
    await csms.configure({"AlignedDataCtrlr.TxEndedInterval": interval, "SampledDataCtrlr.TxEndedMeasurands": "",
                          "AlignedDataCtrlr.SendDuringIdle": IfImplemented(False)})
    measurands = await _members(csms, "AlignedDataCtrlr.TxEndedMeasurands")
    ended = await _ended(csms, sut, interval)
    _judge_ended(csms, ended, sample="Sample.Clock", variable="AlignedDataCtrlr.TxEndedMeasurands",
                 measurands=measurands, interval=interval, need_end=False)


@testcase("TC_J_04_CS")
async def test_TC_J_04_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    interval = _interval(csms, csms.configured.aligned_tx_ended_interval,
                         "clock_aligned_tx_ended_meter_values_interval", "aligned_tx_ended_interval")
    await csms.configure({"AlignedDataCtrlr.TxEndedInterval": interval, "AlignedDataCtrlr.SignReadings": True,
                          "AlignedDataCtrlr.SendDuringIdle": IfImplemented(False)})
    measurands = await _members(csms, "AlignedDataCtrlr.TxEndedMeasurands")
    ended = await _ended(csms, sut, interval)
    values = _judge_ended(csms, ended, sample="Sample.Clock", variable="AlignedDataCtrlr.TxEndedMeasurands",
                          measurands=measurands, interval=interval, need_end=False)
    await _judge_signed(csms, ended, values)


@testcase("TC_J_10_CS")
async def test_TC_J_10_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    interval = _interval(csms, csms.configured.sampled_tx_ended_interval, "sampled_tx_ended_meter_values_interval",
                         "sampled_tx_ended_interval")
    await csms.configure({"SampledDataCtrlr.TxEndedInterval": interval,
                          "AlignedDataCtrlr.TxEndedMeasurands": IfImplemented("")})
    measurands = await _members(csms, "SampledDataCtrlr.TxEndedMeasurands")
    ended = await _ended(csms, sut, interval)
    _judge_ended(csms, ended, sample="Sample.Periodic", variable="SampledDataCtrlr.TxEndedMeasurands",
                 measurands=measurands, interval=interval, need_end=True)


@testcase("TC_J_11_CS")
async def test_TC_J_11_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    interval = _interval(csms, csms.configured.sampled_tx_ended_interval, "sampled_tx_ended_meter_values_interval",
                         "sampled_tx_ended_interval")
    await csms.configure({"SampledDataCtrlr.TxEndedInterval": interval, "SampledDataCtrlr.SignReadings": True})
    measurands = await _members(csms, "SampledDataCtrlr.TxEndedMeasurands")
    ended = await _ended(csms, sut, interval)
    _judge_ended(csms, ended, sample="Sample.Periodic", variable="SampledDataCtrlr.TxEndedMeasurands",
                 measurands=measurands, interval=interval, need_end=True)
    await _judge_signed(csms, ended, [mv for mv in _meter_values(_payload(ended))
                                      if _context(mv) in ("Sample.Periodic", "Transaction.End")])


# ---- TC_J_07_CS, TC_J_08_CS: the Transaction.Begin values; TC_J_09_CS: periodic values -----------------------------
async def _start_point(csms: CsmsRole, wanted: tuple[str, ...], default: str, forbidden: tuple[str, ...]) -> None:
    """TxStartPoint contains one of `wanted` (the station's own value when it fits, else `default`) and none of
    `forbidden` (prerequisite), else not applicable."""
    key = "TxCtrlr.TxStartPoint"
    current = await csms.configuration.members(key)
    fits = bool(set(current) & set(wanted)) and not set(current) & set(forbidden)
    values = await csms.configure({key: IfWritable(",".join(current) if fits else default)})
    got = set((values[key] or "").split(","))
    if not got & set(wanted) or got & set(forbidden):
        raise NotApplicable(f"the station keeps {key} = {values[key]!r}: the table needs one of {', '.join(wanted)}"
                            + (f" and none of {', '.join(forbidden)}" if forbidden else ""))


def _judge_begin(csms: CsmsRole, record: Record, measurands: tuple[str, ...], what: str) -> None:
    values = _meter_values(_payload(record))
    with csms.step(f"Post-scenario validations: {what} contains meterValue, context Transaction.Begin, a "
                   "sampledValue per SampledDataTxStartedMeasurands member"):
        if not values:
            raise csms.failure(f"{what} carries no meterValue", expected="meterValue with context Transaction.Begin",
                               actual=record.raw[:400], rules=("SEQ",))
        _judge_context(csms, record, values[0], ("Transaction.Begin",), what)
        _judge_measurands(csms, record, values[0], measurands, "SampledDataCtrlr.TxStartedMeasurands",
                          f"the Transaction.Begin values of {what}")


@testcase("TC_J_07_CS")
async def test_TC_J_07_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _start_point(csms, START_POINTS, "EVConnected", ("ParkingBayOccupancy",))
    measurands = await _members(csms, "SampledDataCtrlr.TxStartedMeasurands")
    await states.parking_bay_occupied(csms, sut)
    await states.ev_connected_pre_session(csms, sut)  # 1
    await states.energy_transfer_started(csms, sut)  # 2
    tx = csms.transaction_on(csms.configured.evse_id)
    started = next((r for r in csms.transactions.get(tx or "", []) if _payload(r).get("eventType") == "Started"), None)
    if started is None:
        raise csms.failure("no TransactionEvent with eventType Started was seen", rules=("SEQ",))
    _judge_begin(csms, started, measurands, "the Started TransactionEvent")


@testcase("TC_J_08_CS")
async def test_TC_J_08_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _start_point(csms, ("Authorized", "ParkingBayOccupancy"), "Authorized", ())
    measurands = await _members(csms, "SampledDataCtrlr.TxStartedMeasurands")
    await states.energy_transfer_started(csms, sut)  # 1
    tx = csms.transaction_on(csms.configured.evse_id)
    first = next((r for r in csms.transactions.get(tx or "", []) if "evse" in _payload(r)), None)
    if first is None:
        raise csms.failure("no TransactionEvent of the transaction names the EVSE", rules=("SEQ",))
    _judge_begin(csms, first, measurands, "the first TransactionEvent with the EVSE")


@testcase("TC_J_09_CS")
async def test_TC_J_09_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    interval = _interval(csms, csms.configured.tx_updated_interval, "sampled Meter Values Updated interval",
                         "tx_updated_interval")
    await csms.configure({"SampledDataCtrlr.TxUpdatedInterval": interval})
    measurands = await _members(csms, "SampledDataCtrlr.TxUpdatedMeasurands")
    await states.energy_transfer_started(csms, sut)
    tx = csms.transaction_on(csms.configured.evse_id)
    received: list[Record] = []
    stamps: set[datetime] = set()
    after = csms.mark()
    with csms.step(f"1-2. TransactionEventRequest Updated with meter values every {interval} s; the harness "
                   f"responds ({ROUNDS} intervals)"):
        csms.sut_timer((ROUNDS - 1) * interval, f"{ROUNDS} periodic meter values: the station's "
                                                "SampledDataTxUpdatedInterval between the first and the last")
        while len(stamps) < ROUNDS:
            record = await csms.receive("TransactionEvent", {"transactionInfo": {"transactionId": tx}}, after=after,
                                        within=2 * interval + csms.settings.timing.tolerance)
            after = record
            values = _meter_values(_payload(record))
            if not values or (_payload(record).get("triggerReason") != "MeterValuePeriodic"
                              and _context(values[0]) != "Sample.Periodic"):
                continue  # a state change, or clock-aligned values
            received.append(record)
            stamps.update(_stamp(csms, record, mv) for mv in _meter_values(_payload(record)))
    with csms.step("Step 1 validations: triggerReason MeterValuePeriodic, context Sample.Periodic, a sampledValue "
                   "per SampledDataTxUpdatedMeasurands member"):
        for record in received:
            if _payload(record).get("triggerReason") != "MeterValuePeriodic":
                raise csms.failure("a TransactionEvent with sampled meter values does not have triggerReason "
                                   "MeterValuePeriodic", expected="triggerReason MeterValuePeriodic",
                                   actual=record.raw[:400], rules=("SEQ",))
            mv = _meter_values(_payload(record))[0]
            _judge_context(csms, record, mv, ("Sample.Periodic",), "a periodic TransactionEvent")
            _judge_measurands(csms, record, mv, measurands, "SampledDataCtrlr.TxUpdatedMeasurands",
                              "periodic TransactionEvent values")
    with csms.step("Post-scenario validation: the timestamps are one SampledDataTxUpdatedInterval apart"):
        _judge_intervals(csms, [_stamp(csms, r, mv) for r in received for mv in _meter_values(_payload(r))],
                         interval, "interval between periodic TransactionEvent timestamps")
