"""Block G, SUT = Charging Station: the connector status notifications (G01) and the connector lock failure (G05),
as their Part 6 tables run them. A connector state counts as Part 6 counts it: a StatusNotificationRequest, or a
NotifyEventRequest with an AvailabilityState Delta event of the Connector.
"""

from __future__ import annotations

from harness import AnyItem, CsmsRole, NotApplicable, StationControl, booted, states, testcase

LOCK = "ConnectorPlugRetentionLock"


@testcase("TC_G_01_CS")
async def test_TC_G_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    with csms.step("1. Reusable state EVConnectedPreSession: the connector is reported Occupied"):
        await states.ev_connected_pre_session(csms, sut)


@testcase("TC_G_02_CS")
async def test_TC_G_02_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    await states.ev_connected_pre_session(csms, sut)  # Before: State is EVConnectedPreSession
    mark = csms.mark()
    available = csms.expect_status(evse, connector, "Available", after=mark, levels=("Connector",))
    with csms.step(f"Manual Action: disconnect the EV at EVSE {evse} connector {connector}"):
        await sut.unplug(evse, connector)
    with csms.step(f"3-4. EVSE {evse} connector {connector} is reported Available (StatusNotification, or "
                   "NotifyEvent for the connector); the harness answers"):
        await csms.received(available)


async def _require_plug_retention_lock(csms: CsmsRole, evse: int, connector: int) -> None:
    """Prerequisite: the station has ConnectorPlugRetentionLock in its device model (at the connector, or as a
    component of its own); read by its Problem variable, the one the case watches."""
    where = {"id": evse, "connectorId": connector}
    with csms.step(f"Prerequisite: the device model has {LOCK} (GetVariables {LOCK}.Problem)"):
        answer = await csms.call_ok("GetVariables", {"getVariableData": [
            {"component": {"name": LOCK, "evse": where}, "variable": {"name": "Problem"}},
            {"component": {"name": LOCK}, "variable": {"name": "Problem"}}]})
    results = answer.get("getVariableResult")
    statuses = [r.get("attributeStatus") for r in results if isinstance(r, dict)] if isinstance(results, list) else []
    if "Accepted" not in statuses:
        raise NotApplicable(f"prerequisite: the Charging Station has the {LOCK} component in its device model; "
                            f"GetVariables of {LOCK}.Problem answered {', '.join(map(str, statuses)) or 'nothing'}")


@testcase("TC_G_20_CS", notes="Prerequisite left to the lab: MonitoringLevel lets a lock failure be reported.")
async def test_TC_G_20_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    await _require_plug_retention_lock(csms, evse, connector)
    # Before: State is EVConnectedPreSession, the cable not fully plugged in, so that it cannot lock
    await states.ev_connected_pre_session(csms, sut, lock_fails=True)
    mark = csms.mark()
    charging = {"transactionInfo": {"chargingState": "Charging"}}
    reason = "the connector could not lock the cable: the station must not start charging"
    watch = csms.forbid("TransactionEvent", charging, requirements=("G05.FR.01",), reason=reason)
    problem = csms.expect("NotifyEvent", {"eventData": AnyItem({
        "trigger": "Delta", "actualValue": "true", "component": {"name": LOCK}, "variable": {"name": "Problem"}})},
        after=mark, description=f"NotifyEvent {LOCK}.Problem true, trigger Delta")
    with csms.step("1. Reusable state Authorized (the power path cannot close: no transaction starts at "
                   "PowerPathClosed)"):
        await states.authorized(csms, sut, power_path=False)
    with csms.step(f"2-3. NotifyEventRequest: {LOCK} Problem \"true\", trigger Delta; the harness answers"):
        await csms.received(problem)
    wait = float(csms.configured.message_timeout)
    with csms.step(f"Post-scenario validation: the station did not start charging (watched until {wait:g} s, the "
                   "message timeout, after the notification)"):
        await csms.expect_none("TransactionEvent", charging, within=wait, requirements=("G05.FR.01",),
                               reason=reason)
    csms.allow(watch)
