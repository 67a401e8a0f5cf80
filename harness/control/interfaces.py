"""The two control interfaces (DESIGN.md §6): every Part 6 "Manual Action" on a station, every operator action on
a CSMS. Adapters (built-in simulator, HTTP, shell command, interactive prompt) implement them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from harness.profile import IdToken

# (action, params, outcome) of each performed action: the plugin writes it into the case's transcript and report.
Journal = Callable[[str, dict[str, Any], str], None]

# Names of the actions, as the HTTP convention and the shell adapter spell them.
STATION_ACTIONS = ("power-cycle", "plug-in", "unplug", "present-id-token", "fault", "suspend-ev", "resume-ev",
                   "ev-side", "parking-bay",
                   "restore-network-profile", "remove-station-certificate",
                   "store-customer-identifier")
CSMS_ACTIONS = ("send", "boot-status", "security-profile")


class StationControl(Protocol):
    """Manual actions on a Charging Station under test. Each returns once the action is done (the OCPP messages
    it causes follow; the test waits for them)."""

    async def power_cycle(self) -> None:
        """"Manual Action: Power cycle the Charging Station"."""

    async def plug_in(self, evse_id: int = 1, connector_id: int = 1, *, lock_fails: bool = False) -> None:
        """"Manual Action: Connect the EV and EVSE" (cable plugged in on both sides). `lock_fails`: the cable is
        not fully plugged in, so the connector cannot lock it (TC_G_20_CS)."""

    async def unplug(self, evse_id: int = 1, connector_id: int = 1) -> None:
        """"Manual Action: Disconnect the EV and EVSE"."""

    async def present_token(self, token: IdToken, evse_id: int | None = None) -> None:
        """"Manual Action: Present idToken" (RFID card, key code …) at the station (or at one EVSE)."""

    async def set_fault(self, evse_id: int, connector_id: int, faulted: bool) -> None:
        """Raise (True) or clear (False) a fault on a connector."""

    async def suspend_ev(self, evse_id: int = 1) -> None:
        """The EV stops drawing energy (EnergyTransferSuspended)."""

    async def resume_ev(self, evse_id: int = 1) -> None:
        """The EV draws energy again."""

    async def ev_side(self, evse_id: int, connector_id: int, connected: bool) -> None:
        """"Manual Action: Disconnect (or reconnect) the EV and EVSE on EV side": the cable stays in the
        station's socket, the EV loses it (E09, E10). With a fixed cable this is the whole disconnect."""

    async def parking_bay(self, evse_id: int, occupied: bool) -> None:
        """"Manual Action: Drive EV into (out of) the parking bay" of an EVSE (its bay occupancy sensor)."""
    async def select_transactions(self, evse_ids: list[int] | None = None) -> None:
        """"Manual Action: Select to stop … transactions" on the Master Pass UI the station shows after a Master
        Pass was presented (C16.FR.01): the transactions of `evse_ids`, or all (None)."""

    async def store_customer_identifier(self, identifier: str) -> None:
        """"The tester stores <Configured customerIdentifier> at the Charging Station" (TC_N_62_CS): a record of
        that customer the station can report and clear (N10)."""

    async def restore_network_profile(self) -> None:
        """Give the station back the network connection profile it was installed with (CSMS URL, security
        profile) and restart it: the cleanup of a security profile upgrade (A05), since a conforming station
        refuses a downgrade over OCPP."""

    async def remove_station_certificate(self) -> None:
        """Remove the station's ChargingStationCertificate other than over OCPP (Part 5 AQ-3; the prerequisite of
        TC_A_21_CS: no valid ChargingStationCertificate installed)."""

    async def aclose(self) -> None:
        """End of the test: release what the adapter holds."""


class CsmsControl(Protocol):
    """Operator actions on a CSMS under test."""

    async def trigger(self, identity: str, action: str, payload: dict[str, Any]) -> None:
        """"Trigger the CSMS to send <action> to the Charging Station"; returns once the CSMS is told (the station
        side of the test answers the resulting CALL, so waiting for it here would deadlock the scenario)."""

    async def configure_boot(self, identity: str, status: str) -> None:
        """Precondition: "the CSMS is configured to respond <status> to BootNotification"."""

    async def configure_security_profile(self, identity: str, security_profile: int) -> None:
        """The CSMS expects the station at `security_profile` (and accepts it there again): the cleanup of a
        security profile upgrade (A05), after which a conforming CSMS refuses the old profile."""

    async def aclose(self) -> None:
        """End of the test: undo what the test configured, stop what is still running."""
