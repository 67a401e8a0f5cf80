"""Block G Availability, SUT = CSMS, as the Part 6 tables run them: the operator makes the CSMS change the
availability of an EVSE, a connector or the whole Charging Station (G03, G04), also while a transaction runs, and
the CSMS answers a lock failure notification (G05). The harness plays a Charging Station configured as Part 6 §3.1
says, at the profile's <Configured evseId / connectorId> (TC_G_03_CSMS and TC_G_11_CSMS are in
test_transactions_csms.py).
"""

from __future__ import annotations

from typing import Any

from harness import (
    ABSENT,
    CsmsControl,
    StationRole,
    StationTransaction,
    difference,
    now_iso,
    states,
    station_booted,
    testcase,
)


def _connectors(station: StationRole, evse: int | None = None) -> list[tuple[int, int]]:
    """(evseId, connectorId) of the harness's station's connectors (of `evse`, or all)."""
    return [(e, c) for e, count in enumerate(station.evses, start=1) for c in range(1, count + 1)
            if evse is None or e == evse]


def _what(evse: int | None, connector: int | None) -> str:
    if evse is None:
        return "the whole Charging Station"
    return f"EVSE {evse}" + (f" connector {connector}" if connector is not None else "")


async def _operator_changes(station: StationRole, sut: CsmsControl, numbers: str, operative: bool, answer: str,
                            evse: int | None = None, connector: int | None = None) -> None:
    """Manual Action: the operator asks the CSMS to change the availability of the station, an EVSE or a
    connector; its ChangeAvailabilityRequest must say so (evse and connectorId omitted where the table says
    omit); the harness answers `answer`."""
    status = "Operative" if operative else "Inoperative"
    what = _what(evse, connector)
    request: dict[str, Any] = {"operationalStatus": status}
    wanted: dict[str, Any] = {"operationalStatus": status, "evse": ABSENT}
    if evse is not None:
        request["evse"] = {"id": evse} if connector is None else {"id": evse, "connectorId": connector}
        wanted["evse"] = {"id": evse, "connectorId": ABSENT if connector is None else connector}
    change = station.expect("ChangeAvailability", respond={"status": answer})
    with station.step(f"Manual Action: request the CSMS to make {what} {status}"):
        await sut.trigger(station.identity, "ChangeAvailability", request)
    with station.step(f"{numbers}. ChangeAvailabilityRequest {status} for {what}; the harness answers {answer}"):
        payload = (await station.received(change)).frame.payload  # type: ignore[union-attr]
        problems = difference(wanted, payload)
        if problems:
            omitted = "evse omitted" if evse is None else f"evse.id {evse}" + (
                ", connectorId omitted" if connector is None else f", evse.connectorId {connector}")
            raise station.failure(f"ChangeAvailabilityRequest is not {status} for {what}", message="\n".join(problems),
                                  expected=f"operationalStatus {status}, {omitted}", actual=repr(payload)[:400],
                                  rules=("SEQ",))


async def _report(station: StationRole, numbers: str, connectors: list[tuple[int, int]], state: str) -> None:
    where = ", ".join(f"EVSE {e} connector {c}" for e, c in connectors)
    with station.step(f"{numbers}. StatusNotification {state} for {where}; the CSMS responds"):
        for evse, connector in connectors:
            await station.status(evse, connector, state)


async def _energy_transfer_started(station: StationRole) -> StationTransaction:
    """Reusable state EnergyTransferStarted from Booted: Authorized (Started), then parts 1 and 2."""
    tx = station.transaction(station.configured.evse_id, station.configured.connector_id)
    await states.station_authorized(station, tx)
    await states.station_energy_transfer(station, tx)
    return tx


# ---- G03 / G04: EVSE, station, connector ---------------------------------------------------------------------
@testcase("TC_G_04_CSMS")
async def test_TC_G_04_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    evse = station.configured.evse_id
    await states.station_unavailable(station, sut, evse)  # memory state: Unavailable for <Configured evseId>
    await _operator_changes(station, sut, "1-2", True, "Accepted", evse)
    await _report(station, "3-4", _connectors(station, evse), "Available")


@testcase("TC_G_05_CSMS")
async def test_TC_G_05_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _operator_changes(station, sut, "1-2", False, "Accepted")
    await _report(station, "3-4", _connectors(station), "Unavailable")


@testcase("TC_G_06_CSMS")
async def test_TC_G_06_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    # Before: the Charging Station set to Unavailable (it was Available)
    await _operator_changes(station, sut, "Before", False, "Accepted")
    await _report(station, "Before", _connectors(station), "Unavailable")
    await _operator_changes(station, sut, "1-2", True, "Accepted")
    await _report(station, "3-4", _connectors(station), "Available")


@testcase("TC_G_07_CSMS")
async def test_TC_G_07_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    evse, connector = station.configured.evse_id, station.configured.connector_id
    await _operator_changes(station, sut, "1-2", False, "Accepted", evse, connector)
    await _report(station, "3-4", [(evse, connector)], "Unavailable")


@testcase("TC_G_08_CSMS")
async def test_TC_G_08_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    evse, connector = station.configured.evse_id, station.configured.connector_id
    # memory state: Unavailable for <Configured connectorId>
    await _operator_changes(station, sut, "Memory state", False, "Accepted", evse, connector)
    await _report(station, "Memory state", [(evse, connector)], "Unavailable")
    await _operator_changes(station, sut, "1-2", True, "Accepted", evse, connector)
    await _report(station, "3-4", [(evse, connector)], "Available")


# ---- G03 / G04 with a transaction running ------------------------------------------------------------------------
@testcase("TC_G_14_CSMS")
async def test_TC_G_14_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)  # Before: State is EnergyTransferStarted
    await _operator_changes(station, sut, "1-2", False, "Scheduled")
    await _report(station, "3-4", [(e, c) for e, c in _connectors(station) if e != tx.evse], "Unavailable")
    await states.station_stop_authorized(station, tx)  # 5 (its wait is the table's Transaction Duration)
    await states.station_ev_connected_post_session(station, tx)  # 6
    await states.station_ev_disconnected(station, tx)  # 7
    await _report(station, "8-9", [(tx.evse, tx.connector)], "Unavailable")


@testcase("TC_G_17_CSMS")
async def test_TC_G_17_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)  # Before: State is EnergyTransferStarted
    await _operator_changes(station, sut, "1-2", False, "Scheduled", tx.evse, tx.connector)
    await states.station_stop_authorized(station, tx)  # 3 (its wait is the table's Transaction Duration)
    await states.station_ev_connected_post_session(station, tx)  # 4
    await states.station_ev_disconnected(station, tx)  # 5
    await _report(station, "6-7", [(tx.evse, tx.connector)], "Unavailable")


# ---- G05: lock failure -------------------------------------------------------------------------------------------
@testcase("TC_G_20_CSMS")
async def test_TC_G_20_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    evse, connector = station.configured.evse_id, station.configured.connector_id
    with station.step("1-2. NotifyEventRequest: ConnectorPlugRetentionLock Problem \"true\", trigger Delta; the CSMS "
                      "responds"):
        stamp = now_iso()
        await station.call_ok("NotifyEvent", {"generatedAt": stamp, "seqNo": 0, "tbc": False, "eventData": [{
            "eventId": 1, "timestamp": stamp, "trigger": "Delta", "actualValue": "true",
            "eventNotificationType": "HardWiredMonitor",
            "component": {"name": "ConnectorPlugRetentionLock", "evse": {"id": evse, "connectorId": connector}},
            "variable": {"name": "Problem"}}]}, {})
