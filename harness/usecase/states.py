"""Part 6 reusable states, written once and used by every test case that needs them."""

from __future__ import annotations

from harness.control import StationControl
from harness.matchers import ANY
from harness.roles.csms import CsmsRole
from harness.roles.station import StationRole


async def booted(csms: CsmsRole, sut: StationControl) -> None:
    """Reusable State *Booted* (SUT = station): connected and accepted; else power cycle and accept the boot."""
    if csms.is_booted():
        return
    with csms.step("Reusable state Booted: power cycle, accept BootNotification"):
        boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"))
        await sut.power_cycle()
        await csms.received(boot)
        await csms.receive("StatusNotification", {"connectorStatus": ANY})


async def station_booted(station: StationRole) -> None:
    """Reusable State *Booted* (SUT = CSMS): the harness's station connects, boots Accepted, reports connectors."""
    with station.step("Reusable state Booted: connect, BootNotification Accepted, StatusNotification"):
        await station.connect()
        await station.boot("PowerUp", {"status": "Accepted"})
        await station.report_connectors()
