"""Blocks F Remote control, G Availability, J Meter values and B reconnection, SUT = Charging Station, as their
Part 6 tables run them. The reusable states follow the station's own TxCtrlr start and stop points; a variable a
table does not name is never written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
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

# Part 6 names it AuthCtrlr.AuthEnabled; the variable of Part 2's AuthCtrlr is Enabled.
AUTH_ENABLED = "AuthCtrlr.Enabled"
REMOTE_AUTH = {AUTH_ENABLED: IfWritable(True), "AuthCtrlr.DisableRemoteAuthorization": IfImplemented(False)}


# ---- F Remote control -----------------------------------------------------------------------------------------------
@testcase("TC_F_01_CS")
async def test_TC_F_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(REMOTE_AUTH)
    await states.ev_connected_pre_session(csms, sut)
    await states.authorized(csms, sut, how="remote")  # 1
    await states.energy_transfer_started(csms, sut)  # 2


@testcase("TC_F_02_CS")
async def test_TC_F_02_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    values = await csms.configure({**REMOTE_AUTH, "AuthCtrlr.AuthorizeRemoteStart": IfWritable(True)})
    for key in (AUTH_ENABLED, "AuthCtrlr.AuthorizeRemoteStart"):
        if values.get(key) == "false":
            raise NotApplicable(f"the station keeps {key} read-only at false (prerequisite)")
    # Before: ParkingBayOccupied is optional; no bay sensor is driven
    await states.authorized(csms, sut, how="remote")  # 1
    await states.energy_transfer_started(csms, sut)  # 2


@testcase("TC_F_08_CS")
async def test_TC_F_08_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await states.energy_transfer_started(csms, sut)
    await states.stop_authorized(csms, sut, how="remote")  # 1


@testcase("TC_F_27_CS")
async def test_TC_F_27_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    with csms.step("1-2. TriggerMessageRequest SignCombinedCertificate; the station responds NotImplemented"):
        await csms.call_ok("TriggerMessage", {"requestedMessage": "SignCombinedCertificate"},
                           {"status": "NotImplemented"})


# ---- G Availability -------------------------------------------------------------------------------------------------
@testcase("TC_G_11_CS")
async def test_TC_G_11_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    await states.energy_transfer_started(csms, sut)
    mark = csms.mark()
    wanted = [csms.expect_status(e, c, "Unavailable", after=mark) for e, c in csms.connectors() if e == evse]
    with csms.step(f"1-2. ChangeAvailabilityRequest Inoperative for EVSE {evse} while it charges; Scheduled"):
        await csms.call_ok("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": evse}},
                           {"status": "Scheduled"})
    # 3 StopAuthorized (it waits the table's Transaction Duration first), 6 EVConnectedPostSession, 9 EVDisconnected
    # (the connector state after it is judged by steps 10-11), 12 ParkingBayUnoccupied; after the one that ended
    # the transaction, the connectors of the EVSE are reported Unavailable (steps 4-5, 7-8, 10-11 or 13-14)
    steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("4-5", lambda: states.stop_authorized(csms, sut)),
        ("7-8", lambda: states.ev_connected_post_session(csms, sut)),
        ("10-11", lambda: states.ev_disconnected(csms, sut, connector_status=None)),
        ("13-14", lambda: states.parking_bay_unoccupied(csms, sut))]
    for numbers, run_state in steps:
        before = csms.mark()
        await run_state()
        if csms.transaction_on(evse) is None:
            with csms.step(f"{numbers}. The transaction has ended: every connector of EVSE {evse} is reported "
                           "Unavailable"):
                reported = [await csms.received(expectation) for expectation in wanted]
            _judge_not_early(csms, reported, before)
            return
    raise PreconditionNotMet("the transaction still runs after the EV left: the station's TxStopPoint waits for the "
                             "EV to leave the parking bay, and no bay sensor is driven",
                             fix="run the case with a TxStopPoint the control adapter can reach")


def _judge_not_early(csms: CsmsRole, reported: list[Record], before: Record | None) -> None:
    """Unavailable only from the step that ended the transaction on (the change waits for it: Scheduled)."""
    with csms.beyond_part6("G03", "the scheduled change waits for the transaction to end"):
        early = [r for r in reported if before is not None and r.seq <= before.seq]
        if early:
            raise csms.failure("the station reported the EVSE Unavailable while its transaction was still running",
                               expected="Unavailable once the transaction has ended", actual=early[0].raw[:400],
                               rules=("SEQ",))


# ---- J Meter values -------------------------------------------------------------------------------------------------
ROUNDS = 3  # Part 6 ends after three clock-aligned MeterValues; here three intervals (see _clock_aligned)


@testcase("TC_J_01_CS")
async def test_TC_J_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    interval = csms.configured.aligned_data_interval
    if interval <= 0:
        raise PreconditionNotMet("<Configured clock-aligned Meter Values interval> is 0, which switches them off",
                                 fix="set configured.aligned_data_interval in the station's SUT profile")
    await csms.configure({"AlignedDataCtrlr.Interval": interval})
    measurands = await csms.configuration.members("AlignedDataCtrlr.Measurands")
    records = await _clock_aligned(csms, interval)
    with csms.step("Step 1 validations: context Sample.Clock, a sampledValue per configured measurand"):
        _judge_contexts(csms, records)
        _judge_measurands(csms, records, measurands)
    with csms.step("Post-scenario validation: the timestamps are one AlignedDataInterval apart"):
        stamps = _judge_intervals(csms, records, interval)
    with csms.beyond_part6("J01", "the timestamps lie on the interval's clock boundaries"):
        _judge_boundaries(csms, stamps, interval)


async def _clock_aligned(csms: CsmsRole, interval: int) -> list[Record]:
    """1-2. MeterValues until three intervals are in. A station may send several per interval (one per EVSE and one
    for evseId 0, all with that interval's timestamp); counting messages as the table does would then end within
    one interval and leave the interval unchecked."""
    received: list[Record] = []
    stamps: set[object] = set()  # the instants seen (a timestamp that is no date-time counts as its text)
    after = csms.mark()
    with csms.step(f"1-2. MeterValuesRequest, clock-aligned every {interval} s, for {ROUNDS} intervals"):
        csms.aligned_timer(interval, ROUNDS, f"{ROUNDS} clock-aligned moments of AlignedDataInterval")
        while len(stamps) < ROUNDS:
            # two intervals: a station that skips one is judged by the interval check, not by a timeout
            record = await csms.receive("MeterValues", after=after,
                                        within=2 * interval + csms.settings.timing.tolerance)
            received.append(record)
            stamps.update(parse_datetime(str(mv.get("timestamp"))) or str(mv.get("timestamp"))
                          for mv in _meter_values(record))
            after = record
    return received


def _payload(record: Record) -> Mapping[str, Any]:
    payload = getattr(record.frame, "payload", None)
    return payload if isinstance(payload, Mapping) else {}


def _meter_values(record: Record) -> list[Mapping[str, Any]]:
    values = _payload(record).get("meterValue")
    return [v for v in values if isinstance(v, Mapping)] if isinstance(values, list) else []


def _sampled(meter_value: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    values = meter_value.get("sampledValue")
    return [v for v in values if isinstance(v, Mapping)] if isinstance(values, list) else []


def _judge_contexts(csms: CsmsRole, records: list[Record]) -> None:
    for record in records:
        for meter_value in _meter_values(record):
            sampled = _sampled(meter_value)
            context = sampled[0].get("context") if sampled else None
            if context != "Sample.Clock":
                raise csms.failure("a clock-aligned MeterValues does not have context Sample.Clock",
                                   expected="sampledValue[0].context Sample.Clock",
                                   actual=f"context {context!r}: {record.raw[:400]}", rules=("SEQ",))


def _judge_measurands(csms: CsmsRole, records: list[Record], measurands: tuple[str, ...]) -> None:
    """Every configured measurand in each interval's values of each EVSE (a station may split them over several
    messages); the measurand field may be left out for Energy.Active.Import.Register."""
    if not measurands:
        csms.transcript.note("AlignedDataCtrlr.Measurands could not be read: the measurands are not checked")
        return
    found: dict[tuple[str, object], set[str]] = {}
    for record in records:
        for meter_value in _meter_values(record):
            key = (str(meter_value.get("timestamp")), _payload(record).get("evseId"))
            found.setdefault(key, set()).update(str(s.get("measurand", "Energy.Active.Import.Register"))
                                                for s in _sampled(meter_value))
    for (stamp, evse), seen in found.items():
        missing = [m for m in measurands if m not in seen]
        if missing:
            raise csms.failure("clock-aligned MeterValues lack a configured measurand",
                               expected=f"a sampledValue for each of {', '.join(measurands)}",
                               actual=f"evseId {evse} at {stamp}: missing {', '.join(missing)}", rules=("SEQ",))


def _judge_intervals(csms: CsmsRole, records: list[Record], interval: int) -> list[datetime]:
    """The distinct timestamps, in order, each one AlignedDataInterval after the one before (the messages of one
    interval share their timestamp)."""
    stamps: set[datetime] = set()
    for record in records:
        for meter_value in _meter_values(record):
            stamp = parse_datetime(str(meter_value.get("timestamp")))
            if stamp is None:
                raise csms.failure("a MeterValues timestamp is not a date-time", actual=record.raw[:400],
                                   rules=("SEQ",))
            stamps.add(stamp)
    ordered = sorted(stamps)
    tolerance = min(csms.settings.timing.tolerance, interval / 4)  # the timestamps are computed, not measured
    for before, after in pairwise(ordered):
        gap = (after - before).total_seconds()
        if gap < interval / 2:
            raise csms.failure("the MeterValues of one interval carry different timestamps",
                               expected="one timestamp per interval for every message of it",
                               actual=f"{before.isoformat()} and {after.isoformat()}", rules=("TIMING",))
        csms.transcript.note(check_interval(gap, expected=interval, tolerance=tolerance,
                                            what="interval between clock-aligned timestamps"))
    return ordered


def _judge_boundaries(csms: CsmsRole, stamps: list[datetime], interval: int) -> None:
    deviation = min(csms.configured.max_time_deviation, interval / 4)  # stamped on its own clock's boundary
    for stamp in stamps:
        midnight = stamp.replace(hour=0, minute=0, second=0, microsecond=0)
        offset = (stamp - midnight).total_seconds() % interval
        if min(offset, interval - offset) > deviation:
            raise csms.failure("a clock-aligned timestamp is not on an interval boundary", actual=stamp.isoformat(),
                               rules=("TIMING",))


# ---- B reconnection -------------------------------------------------------------------------------------------------
@testcase("TC_B_57_CS")
async def test_TC_B_57_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    wait = csms.configured.retry_back_off_wait_minimum
    await csms.configure({"OCPPCommCtrlr.RetryBackOffRepeatTimes": 2, "OCPPCommCtrlr.RetryBackOffRandomRange": 0,
                          "OCPPCommCtrlr.RetryBackOffWaitMinimum": wait})
    window = 4 * wait + csms.settings.timing.default_timeout
    with csms.step("1-3. The harness closes the connection; the station waits RetryBackOffWaitMinimum, reconnects; "
                   "accepted"):
        closed, first = await _close_and_attempt(csms, refuse=0, window=window)
        csms.transcript.note(check_interval(first.mono - closed.mono, expected=wait, tolerance=0.5,
                                            minimum_only=True, what="reconnect after the connection loss (step 2)",
                                            requirements=("RPC-17",)))
        await csms.wait_connected(within=window)
    with csms.step("4-8. Closed again; the reconnect is refused; the next one waits at least twice as long"):
        closed, refused = await _close_and_attempt(csms, refuse=1, window=window)
        step5 = refused.mono - closed.mono
        csms.transcript.note(f"reconnect after the second connection loss (step 5): {step5:.2f} s")
        csms.back_off_timer(refused.mono, doublings=1)
        accepted = await csms.wait_record(lambda r: r.event == "handshake", what="a second reconnect attempt",
                                          after=refused.seq, within=window)
        csms.transcript.note(check_interval(accepted.mono - refused.mono, expected=2 * step5, tolerance=0.5,
                                            minimum_only=True, what="reconnect after the refused one (step 7), "
                                            "against twice step 5", requirements=("RPC-17",)))
        await csms.wait_connected(within=window)


async def _close_and_attempt(csms: CsmsRole, *, refuse: int, window: float) -> tuple[Record, Record]:
    """Close the connection (refusing the next `refuse` attempts); the close record and the first attempt after."""
    mark = csms.mark()
    await csms.go_offline(refuse=refuse)
    closed = await csms.wait_record(lambda r: r.event == "close", what="the close", after=mark.seq if mark else 0)
    csms.back_off_timer(closed.mono)
    attempt = await csms.wait_record(lambda r: r.event == "handshake", what="a reconnect attempt", after=closed.seq,
                                     within=window)
    return closed, attempt
