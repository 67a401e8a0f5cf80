"""Block G Availability, SUT = Charging Station: changing the availability of an EVSE, a connector or the whole
Charging Station (G03, G04), with a transaction running and across reboots, as the Part 6 tables run them
(TC_G_03_CS is scenarios/TC_G_03_CS.yaml, TC_G_11_CS is in test_remote_cs.py).

A connector state counts as each table counts it: a StatusNotificationRequest, or a NotifyEventRequest with an
AvailabilityState Delta event of the components the table names. "A message to report the state of a connector
has been received for all connectors" (post-scenario) is judged on what the station reported in the session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from harness import (
    Call,
    CsmsRole,
    OneOf,
    PreconditionNotMet,
    Record,
    StationControl,
    booted,
    states,
    testcase,
)

EVSE_OR_CONNECTOR = ("EVSE", "Connector")
ANY_LEVEL = ("ChargingStation", "EVSE", "Connector")


def _request(operative: bool, evse: int | None = None, connector: int | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"operationalStatus": "Operative" if operative else "Inoperative"}
    if evse is not None:
        payload["evse"] = {"id": evse} if connector is None else {"id": evse, "connectorId": connector}
    return payload


def _what(evse: int | None = None, connector: int | None = None) -> str:
    if evse is None:
        return "the whole Charging Station"
    return f"EVSE {evse}" + (f" connector {connector}" if connector is not None else "")


async def _change(csms: CsmsRole, numbers: str, operative: bool, status: str, evse: int | None = None,
                  connector: int | None = None) -> None:
    """The harness's ChangeAvailabilityRequest and the status the table wants in the response."""
    change = "Operative" if operative else "Inoperative"
    with csms.step(f"{numbers}. ChangeAvailabilityRequest {change} for {_what(evse, connector)}; the station "
                   f"answers {status}"):
        await csms.call_ok("ChangeAvailability", _request(operative, evse, connector), {"status": status})


def _all_connectors_known(csms: CsmsRole) -> None:
    """Post-scenario validation: a state has been reported for every connector of the station (in this case or
    earlier in the session, as the Test System keeps it)."""
    with csms.step("Post-scenario validation: a connector state has been reported for every connector"):
        known = csms.session_connector_states()
        missing = [f"EVSE {e} connector {c}" for e, c in csms.connectors() if (e, c) not in known]
        if missing:
            raise csms.failure("no connector state has been reported for " + ", ".join(missing),
                               expected="a StatusNotification (or NotifyEvent AvailabilityState) for every connector",
                               actual="states known: " + (", ".join(f"EVSE {e} connector {c} {s}"
                                                                    for (e, c), s in sorted(known.items())) or "none"),
                               rules=("SEQ",))


def _reports(csms: CsmsRole, after: Record | None, until: Record) -> list[tuple[Record, int, int, str]]:
    """Every connector state the station reported between two records: (record, evseId, connectorId, state)."""
    start = after.seq if after is not None else 0
    out = []
    for record in csms.transcript.records:
        if record.direction == "rx" and isinstance(record.frame, Call) and start < record.seq <= until.seq:
            if record.frame.action == "StatusNotification":
                p = record.frame.payload
                out.append((record, p.get("evseId"), p.get("connectorId"), str(p.get("connectorStatus"))))
            elif record.frame.action == "NotifyEvent":
                for entry in _entries(record.frame.payload):
                    component, where = _dict(entry.get("component")), _dict(_dict(entry.get("component")).get("evse"))
                    if component.get("name") == "Connector" and _dict(entry.get("variable")).get(
                            "name") == "AvailabilityState":
                        out.append((record, where.get("id"), where.get("connectorId"), str(entry.get("actualValue"))))
    return out


def _dict(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else (a malformed frame is the monitor's finding)."""
    return value if isinstance(value, dict) else {}


def _entries(payload: dict[str, Any]) -> list[dict[str, Any]]:
    data = payload.get("eventData")
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def _judge_reports(csms: CsmsRole, wanted: dict[tuple[int, int], str], after: Record | None, until: Record,
                   what: str) -> None:
    """Each connector report in the window names a real connector (evseId and connectorId not 0) and the state the
    table wants for it (a connector the table says nothing about is not judged)."""
    for record, evse, connector, state in _reports(csms, after, until):
        if evse == 0 or connector == 0:
            raise csms.failure(f"{what}: a connector state was reported for evseId {evse}, connectorId {connector}",
                               expected="evseId not 0, connectorId not 0", actual=record.raw[:400], rules=("SEQ",))
        expected = wanted.get((evse, connector)) if isinstance(evse, int) and isinstance(connector, int) else None
        if expected is not None and state != expected:
            raise csms.failure(f"{what}: EVSE {evse} connector {connector} was reported {state}",
                               expected=f"{expected} for EVSE {evse} connector {connector}",
                               actual=record.raw[:400], rules=("SEQ",))


async def _reboot(csms: CsmsRole, sut: StationControl, wanted: dict[tuple[int, int], str], *, reset: bool,
                  titles: tuple[str, str, str, str], levels: tuple[str, ...] = ("Connector",)) -> None:
    """The station reboots (ResetRequest Immediate, the reusable state Booting; or a power cycle, Booted): a
    BootNotification (Accepted), every connector reported in the state `wanted` says (StatusNotification, or
    NotifyEvent for the components `levels`; evseId and connectorId not 0), a SecurityEventNotification
    StartupOfTheDevice or ResetOrReboot."""
    mark = csms.mark()
    boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"), after=mark,
                       answer_near_miss=True)
    reports = [csms.expect_status(e, c, state, after=mark, levels=levels) for (e, c), state in wanted.items()]
    event = csms.expect("SecurityEventNotification", {"type": OneOf("StartupOfTheDevice", "ResetOrReboot")},
                        after=mark, shared=True,
                        description="SecurityEventNotification StartupOfTheDevice or ResetOrReboot")
    with csms.step(titles[0]):
        if reset:
            await csms.call_ok("Reset", {"type": "Immediate"}, {"status": "Accepted"})
        else:
            await sut.power_cycle()
    with csms.step(titles[1]):
        booted_at = await csms.received(boot, within=csms.reboot_wait())
    with csms.step(titles[2]):
        got = [await csms.received(report) for report in reports]
    with csms.step(titles[3]):
        got.append(await csms.received(event))
    with csms.step("Tool validations of the connector reports up to the security event (which follows them): "
                   "evseId and connectorId not 0, each connector in the state above"):
        _judge_reports(csms, wanted, booted_at, max(got, key=lambda r: r.seq), "after the reboot")


# ---- G03 / G04: EVSE, connector, station: inoperative <-> operative ---------------------------------------------
@testcase("TC_G_04_CS")
async def test_TC_G_04_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    await states.unavailable(csms, sut, evse)  # memory state: Unavailable for <Configured evseId>
    mark = csms.mark()
    wanted = [csms.expect_status(e, c, "Available", after=mark, levels=EVSE_OR_CONNECTOR)
              for e, c in csms.connectors() if e == evse]
    await _change(csms, "1-2", True, "Accepted", evse)
    with csms.step(f"3-4. Every connector of EVSE {evse} is reported Available (StatusNotification, or NotifyEvent "
                   "for the EVSE or the connector); post-scenario: all connectors of the EVSE reported"):
        for expectation in wanted:
            await csms.received(expectation)


@testcase("TC_G_05_CS")
async def test_TC_G_05_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    with csms.step("1. Reusable state Unavailable for the Charging Station; post-scenario: all connectors reported"):
        await states.unavailable_station(csms, sut)


@testcase("TC_G_06_CS")
async def test_TC_G_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await states.unavailable_station(csms, sut)  # Before: State is Unavailable
    mark = csms.mark()
    wanted = csms.expect_connector_status("Available", after=mark, wide=True)
    await _change(csms, "1-2", True, "Accepted")
    with csms.step("3-4. Every connector is reported Available (StatusNotification, or NotifyEvent for the "
                   "ChargingStation, an EVSE or the connector); post-scenario: all connectors reported"):
        for expectation in wanted:
            await csms.received(expectation)


@testcase("TC_G_07_CS")
async def test_TC_G_07_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    with csms.step("1. Reusable state Unavailable for <Configured connectorId>; post-scenario: the connector "
                   "reported"):
        await states.unavailable(csms, sut, csms.configured.evse_id, csms.configured.connector_id)


@testcase("TC_G_08_CS")
async def test_TC_G_08_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    await states.unavailable(csms, sut, evse, connector)  # memory state: Unavailable for <Configured connectorId>
    mark = csms.mark()
    wanted = csms.expect_status(evse, connector, "Available", after=mark, levels=("Connector",))
    await _change(csms, "1-2", True, "Accepted", evse, connector)
    with csms.step(f"3-4. EVSE {evse} connector {connector} is reported Available (StatusNotification, or "
                   "NotifyEvent for the connector); post-scenario: the connector reported"):
        await csms.received(wanted)


# ---- G03 / G04: to the state it is already in --------------------------------------------------------------------
@testcase("TC_G_09_CS")
async def test_TC_G_09_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _change(csms, "1-2", True, "Accepted", csms.configured.evse_id)


@testcase("TC_G_10_CS")
async def test_TC_G_10_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    await states.unavailable(csms, sut, evse)  # Before: State is Unavailable for <Configured evseId>
    await _change(csms, "1-2", False, "Accepted", evse)
    _all_connectors_known(csms)


@testcase("TC_G_12_CS")
async def test_TC_G_12_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _change(csms, "1-2", True, "Accepted")
    _all_connectors_known(csms)


@testcase("TC_G_13_CS")
async def test_TC_G_13_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await states.unavailable_station(csms, sut)  # Before: State is Unavailable
    mark = csms.mark()
    wanted = csms.expect_connector_status("Unavailable", after=mark, levels=("ChargingStation",))
    await _change(csms, "1-2", False, "Accepted")
    with csms.step("3-4. Every connector is reported Unavailable (StatusNotification, or NotifyEvent for the "
                   "ChargingStation); post-scenario: all connectors reported"):
        for expectation in wanted:
            await csms.received(expectation)


@testcase("TC_G_15_CS")
async def test_TC_G_15_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _change(csms, "1-2", True, "Accepted", csms.configured.evse_id, csms.configured.connector_id)
    _all_connectors_known(csms)


@testcase("TC_G_16_CS")
async def test_TC_G_16_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    await states.unavailable(csms, sut, evse, connector)  # Before: State is Unavailable (the connector)
    await _change(csms, "1-2", False, "Accepted", evse, connector)
    _all_connectors_known(csms)


# ---- G03 / G04 with a transaction running ------------------------------------------------------------------------
async def _until_transaction_ends(csms: CsmsRole, sut: StationControl, evse: int, wanted: list[Any], first: int,
                                  check: str) -> None:
    """The table's StopAuthorized (step `first`, after the configured Transaction Duration), EVConnectedPostSession,
    EVDisconnected and ParkingBayUnoccupied; after the one that ended the transaction, the connectors in `wanted`
    are reported Unavailable (the notify-and-respond steps that follow it)."""
    n = first
    run: list[tuple[str, str, Callable[[], Awaitable[object]]]] = [
        (f"{n}. Reusable state StopAuthorized", f"{n + 1}-{n + 2}", lambda: states.stop_authorized(csms, sut)),
        (f"{n + 3}. Reusable state EVConnectedPostSession", f"{n + 4}-{n + 5}",
         lambda: states.ev_connected_post_session(csms, sut)),
        # the connector's state after the unplug is what the notify step judges (Unavailable, not Available)
        (f"{n + 6}. Reusable state EVDisconnected", f"{n + 7}-{n + 8}",
         lambda: states.ev_disconnected(csms, sut, connector_status=None)),
        (f"{n + 9}. Reusable state ParkingBayUnoccupied", f"{n + 10}-{n + 11}",
         lambda: states.parking_bay_unoccupied(csms, sut))]
    for title, numbers, run_state in run:
        before = csms.mark()
        with csms.step(title):
            await run_state()
        if csms.transaction_on(evse) is None:
            with csms.step(f"{numbers}. The transaction has ended: the connectors concerned are reported Unavailable "
                           "(StatusNotification, or NotifyEvent for the connector)"):
                reported = [await csms.received(expectation) for expectation in wanted]
            with csms.beyond_part6(check, "the scheduled change waits for the transaction to end"):
                early = [r for r in reported if before is not None and r.seq <= before.seq]
                if early:
                    raise csms.failure("the station reported Unavailable while the transaction was still running",
                                       expected="Unavailable once the transaction has ended",
                                       actual=early[0].raw[:400], rules=("SEQ",))
            return
    raise PreconditionNotMet("the transaction still runs after the EV left: the station's TxStopPoint waits for the "
                             "EV to leave the parking bay, and no bay sensor is driven",
                             fix="run the case with a TxStopPoint the control adapter can reach")


def _reported_state(record: Record, evse: int, connector: int) -> str | None:
    """The state a StatusNotification or an AvailabilityState NotifyEvent (connector or its EVSE) gives."""
    frame = record.frame
    if not isinstance(frame, Call):
        return None
    if frame.action == "StatusNotification":
        return str(frame.payload.get("connectorStatus"))
    for entry in _entries(frame.payload):
        where = _dict(_dict(entry.get("component")).get("evse"))
        if where.get("id") == evse and where.get("connectorId", connector) == connector:
            return str(entry.get("actualValue"))
    return None


@testcase("TC_G_14_CS")
async def test_TC_G_14_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    await states.energy_transfer_started(csms, sut)  # Before: State is EnergyTransferStarted
    mark = csms.mark()
    idle = [(e, c) for e, c in csms.connectors() if csms.transaction_on(e) is None]
    others = [csms.expect_status(e, c, None, after=mark, levels=EVSE_OR_CONNECTOR) for e, c in idle]
    wanted = [csms.expect_status(e, c, "Unavailable", after=mark) for e, c in csms.connectors() if e == evse]
    await _change(csms, "1-2", False, "Scheduled")
    with csms.step("3-4. The connectors of the EVSEs without a transaction are reported"):
        got = [await csms.received(expectation) for expectation in others]
    with csms.beyond_part6("G04.FR.07", "the connectors of the EVSEs without a transaction are Unavailable"):
        for record, (e, c) in zip(got, idle, strict=True):
            if _reported_state(record, e, c) != "Unavailable":
                raise csms.failure(f"EVSE {e} connector {c} (no transaction) is not reported Unavailable after the "
                                   "station was made inoperative", expected="Unavailable", actual=record.raw[:400],
                                   requirements=("G04.FR.07",), rules=("SEQ",))
    await _until_transaction_ends(csms, sut, evse, wanted, 5, "G04")
    _all_connectors_known(csms)


@testcase("TC_G_17_CS")
async def test_TC_G_17_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    await states.energy_transfer_started(csms, sut)  # Before: State is EnergyTransferStarted
    mark = csms.mark()
    wanted = [csms.expect_status(evse, connector, "Unavailable", after=mark, levels=("Connector",))]
    await _change(csms, "1-2", False, "Scheduled", evse, connector)
    await _until_transaction_ends(csms, sut, evse, wanted, 3, "G03")
    _all_connectors_known(csms)


# ---- G03.FR.08 / G04.FR.09: the availability persists across a reboot ------------------------------------------
@testcase("TC_G_18_CS")
async def test_TC_G_18_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    await states.unavailable(csms, sut, evse)  # Before: state is Unavailable (the EVSE)
    wanted = {(e, c): "Unavailable" if e == evse else "Available" for e, c in csms.connectors()}
    mark = csms.mark()
    mine = [csms.expect_status(e, c, "Unavailable", after=mark, levels=EVSE_OR_CONNECTOR)
            for e, c in csms.connectors() if e == evse]
    await _change(csms, "1-2", False, "Accepted", evse)
    with csms.step(f"3-4. The station reports its connectors: Unavailable for EVSE {evse}, Available for the "
                   "others"):
        got = [await csms.received(expectation) for expectation in mine]
        _judge_reports(csms, wanted, mark, max(got, key=lambda r: r.seq), "step 3")
    await _reboot(csms, sut, wanted, reset=False, titles=(
        "5. Reusable state Booted: Manual Action: power cycle the Charging Station",
        "5 (Booted 3-4). BootNotificationRequest; the harness answers Accepted",
        f"5 (Booted 5-6). Every connector is reported: Unavailable for EVSE {evse}, Available for the others",
        "5 (Booted 7-8). SecurityEventNotification StartupOfTheDevice or ResetOrReboot"))
    _all_connectors_known(csms)


@testcase("TC_G_19_CS")
async def test_TC_G_19_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    await states.unavailable(csms, sut, evse, connector)  # Before: state is Unavailable (the connector)
    wanted = {(e, c): "Unavailable" if (e, c) == (evse, connector) else "Available" for e, c in csms.connectors()}
    await _reboot(csms, sut, wanted, reset=True, titles=(
        "1. Reusable state Booting: ResetRequest Immediate; the station answers Accepted",
        "2-3. BootNotificationRequest; the harness answers Accepted",
        f"4-5. Every connector is reported: Unavailable for EVSE {evse} connector {connector}, Available for the "
        "others",
        "6-7. SecurityEventNotification StartupOfTheDevice or ResetOrReboot; the harness answers"))
    _all_connectors_known(csms)


@testcase("TC_G_21_CS")
async def test_TC_G_21_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await states.unavailable_station(csms, sut)  # Before: State is Unavailable
    await _reboot(csms, sut, dict.fromkeys(csms.connectors(), "Unavailable"), reset=True, levels=ANY_LEVEL, titles=(
        "1. Reusable state Booting: ResetRequest Immediate; the station answers Accepted",
        "2-3. BootNotificationRequest; the harness answers Accepted",
        "4-5. Every connector is reported Unavailable",
        "6-7. SecurityEventNotification StartupOfTheDevice or ResetOrReboot; the harness answers"))
    _all_connectors_known(csms)
