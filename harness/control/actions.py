"""One base for every adapter that performs an action by name (HTTP, shell command, prompt): both control
interfaces map onto `perform(action, params)`, so the three adapters only differ in how they perform."""

from __future__ import annotations

import time
from typing import Any

from harness.control.interfaces import Journal
from harness.errors import ControlError
from harness.profile import IdToken


def describe(action: str, params: dict[str, Any]) -> str:
    """The action as a person reads it (prompt text, report step)."""
    evse = f"EVSE {params.get('evseId')}" + (f" connector {params['connectorId']}" if "connectorId" in params else "")
    match action:
        case "power-cycle":
            return "Power cycle the Charging Station (power off, then on)"
        case "plug-in":
            if params.get("lockFails"):
                return f"Connect the EV cable at {evse} but not fully, so that the connector cannot lock it"
            return f"Connect the EV cable at {evse}"
        case "unplug":
            return f"Disconnect the EV cable at {evse}"
        case "present-id-token":
            where = f" at EVSE {params['evseId']}" if params.get("evseId") is not None else ""
            return f"Present idToken {params['idToken']} (type {params['type']}){where}"
        case "fault":
            return f"{'Raise' if params['faulted'] else 'Clear'} a fault at {evse}"
        case "suspend-ev":
            return f"Make the EV at EVSE {params['evseId']} stop drawing energy"
        case "resume-ev":
            return f"Make the EV at EVSE {params['evseId']} draw energy again"
        case "ev-side":
            return (f"{'Reconnect' if params['connected'] else 'Disconnect'} the EV cable on the EV side at {evse} "
                    "(it stays in the station's socket)")
        case "parking-bay":
            return f"Drive the EV {'into' if params['occupied'] else 'out of'} the parking bay of EVSE {params['evseId']}"
        case "select-transactions":
            chosen = params.get("evseIds")
            which = "all transactions" if chosen is None else "the transaction(s) of EVSE " + ", ".join(map(str, chosen))
            return f"On the Master Pass screen of the Charging Station, select to stop {which}"
        case "restore-network-profile":
            return ("Restore the Charging Station's original network connection profile (the CSMS URL and security "
                    "profile of its SUT profile, as first in NetworkConfigurationPriority) and restart it")
        case "remove-station-certificate":
            return "Remove the Charging Station's ChargingStationCertificate (other than over OCPP)"
        case "store-customer-identifier":
            return f"Store customer information for customerIdentifier {params['customerIdentifier']} at the station"
        case "send":
            return (f"Make the CSMS send {params['action']} to station {params['stationId']} with "
                    f"{_without_passwords(params['payload'])}")
        case "boot-status":
            return f"Configure the CSMS to answer BootNotifications of {params['stationId']} with {params['status']}"
        case "security-profile":
            return (f"Configure the CSMS to expect station {params['stationId']} at security profile "
                    f"{params['securityProfile']} again (undo the upgrade of the test)")
    return f"{action} {params}"


def _without_passwords(payload: Any) -> Any:
    """`payload` with every BasicAuthPassword value masked: a description reaches the report and the operator's
    screen, the password only the CSMS (it is the one the station profile's environment variable holds)."""
    if isinstance(payload, list):
        return [_without_passwords(item) for item in payload]
    if not isinstance(payload, dict):
        return payload
    out = {k: _without_passwords(v) for k, v in payload.items()}
    variable = out.get("variable")
    if isinstance(variable, dict) and variable.get("name") == "BasicAuthPassword" and "attributeValue" in out:
        out["attributeValue"] = "********"
    return out


class ActionControl:
    """Implements StationControl and CsmsControl on top of `perform`; journals every action with its outcome."""

    kind = "adapter"

    def __init__(self, *, journal: Journal | None = None) -> None:
        self.journal = journal
        self._configured: set[str] = set()

    async def perform(self, action: str, params: dict[str, Any]) -> str:
        """Do it; a short outcome text for the report; ControlError when it could not be done."""
        raise NotImplementedError

    async def _do(self, action: str, params: dict[str, Any]) -> None:
        started = time.monotonic()
        try:
            outcome = await self.perform(action, params)
        except ControlError as exc:
            self._journal(action, params, f"FAILED after {time.monotonic() - started:.2f} s: {exc}")
            raise
        self._journal(action, params, f"{outcome} ({self.kind}, {time.monotonic() - started:.2f} s)")

    def _journal(self, action: str, params: dict[str, Any], outcome: str) -> None:
        if self.journal is not None:
            self.journal(action, params, outcome)

    # ---- StationControl ------------------------------------------------------------------------------------------
    async def power_cycle(self) -> None:
        await self._do("power-cycle", {})

    async def plug_in(self, evse_id: int = 1, connector_id: int = 1, *, lock_fails: bool = False) -> None:
        await self._do("plug-in", {"evseId": evse_id, "connectorId": connector_id,
                                   **({"lockFails": True} if lock_fails else {})})

    async def unplug(self, evse_id: int = 1, connector_id: int = 1) -> None:
        await self._do("unplug", {"evseId": evse_id, "connectorId": connector_id})

    async def present_token(self, token: IdToken, evse_id: int | None = None) -> None:
        params: dict[str, Any] = {"idToken": token.id_token, "type": token.type}
        if evse_id is not None:
            params["evseId"] = evse_id
        await self._do("present-id-token", params)

    async def set_fault(self, evse_id: int, connector_id: int, faulted: bool) -> None:
        await self._do("fault", {"evseId": evse_id, "connectorId": connector_id, "faulted": faulted})

    async def suspend_ev(self, evse_id: int = 1) -> None:
        await self._do("suspend-ev", {"evseId": evse_id})

    async def resume_ev(self, evse_id: int = 1) -> None:
        await self._do("resume-ev", {"evseId": evse_id})

    async def ev_side(self, evse_id: int, connector_id: int, connected: bool) -> None:
        await self._do("ev-side", {"evseId": evse_id, "connectorId": connector_id, "connected": connected})

    async def parking_bay(self, evse_id: int, occupied: bool) -> None:
        await self._do("parking-bay", {"evseId": evse_id, "occupied": occupied})

    async def restore_network_profile(self) -> None:
        await self._do("restore-network-profile", {})

    async def remove_station_certificate(self) -> None:
        await self._do("remove-station-certificate", {})
    async def store_customer_identifier(self, identifier: str) -> None:
        await self._do("store-customer-identifier", {"customerIdentifier": identifier})

    async def select_transactions(self, evse_ids: list[int] | None = None) -> None:
        await self._do("select-transactions", {} if evse_ids is None else {"evseIds": list(evse_ids)})

    # ---- CsmsControl ---------------------------------------------------------------------------------------------
    async def trigger(self, identity: str, action: str, payload: dict[str, Any]) -> None:
        await self._do("send", {"stationId": identity, "action": action, "payload": payload})

    async def configure_boot(self, identity: str, status: str) -> None:
        self._configured.add(identity)
        await self._do("boot-status", {"stationId": identity, "status": status})

    async def configure_security_profile(self, identity: str, security_profile: int) -> None:
        await self._do("security-profile", {"stationId": identity, "securityProfile": security_profile})

    async def aclose(self) -> None:
        """A boot status a test configured goes back to Accepted (Part 6 §3.1 general precondition)."""
        configured, self._configured = self._configured, set()
        for identity in sorted(configured):
            await self._do("boot-status", {"stationId": identity, "status": "Accepted"})
