"""The station simulator's availability (G03, G04) and connector lock (G05): pure state, no I/O.

Availability is kept per level, as ChangeAvailability sets it: the whole Charging Station, an EVSE, a connector.
A connector is operative when no level above or at it is inoperative; a change to Inoperative that touches an
EVSE with a transaction waits for that transaction to end (answered Scheduled; the other EVSEs change at once).
What was set persists across reboots (G03.FR.08, G04.FR.09): the simulator keeps it in memory over its reboots.

The connector lock: a cable that is not fully plugged in cannot be locked; the station then does not close the
power path and reports ConnectorPlugRetentionLock.Problem true (G05.FR.01/02).

Fault switches are read from the station's StationFaults by name (absent: off), so the charging logic can be
built without them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.ocppj.defaults import now_iso
from harness.simulators.device_model import Attribute, Mutability, Variable, VarKey

Target = tuple[int, ...]  # () the Charging Station, (evse,) an EVSE, (evse, connector) one connector
LOCK = "ConnectorPlugRetentionLock"
_event_ids = itertools.count(1_000_000)  # NotifyEvent eventIds of this module (apart from charging.py's)


def _on(faults: Any, name: str) -> bool:
    return bool(getattr(faults, name, False))


def target_of(payload: dict[str, Any]) -> Target:
    """The level a ChangeAvailabilityRequest names: no evse (or EVSE 0) the station, else the EVSE, or its
    connector."""
    evse = payload.get("evse")
    if not isinstance(evse, dict) or not evse.get("id"):
        return ()
    connector = evse.get("connectorId")
    return (int(evse["id"]),) if connector is None else (int(evse["id"]), int(connector))


@dataclass
class Availability:
    """The operational status set at each level, and the inoperative changes still waiting for a transaction."""

    layout: list[int]  # connectors per EVSE
    faults: Any = None
    inoperative: set[Target] = field(default_factory=set)
    waiting: dict[Target, set[int]] = field(default_factory=dict)  # target -> EVSEs that keep running until idle

    def connectors(self, target: Target) -> list[tuple[int, int]]:
        """The connectors a target covers."""
        return [(e, c) for e, count in enumerate(self.layout, start=1) for c in range(1, count + 1)
                if target[:1] in ((), (e,)) and target[1:] in ((), (c,))]

    def operative(self, evse: int, connector: int) -> bool:
        """Whether the connector may be used: no inoperative level over it, or one still waiting for this EVSE."""
        return all(t not in self.inoperative or evse in self.waiting.get(t, ())
                   for t in ((), (evse,), (evse, connector)))

    def evse_operative(self, evse: int) -> bool:
        return all(t not in self.inoperative or evse in self.waiting.get(t, ()) for t in ((), (evse,)))

    def change(self, target: Target, operative: bool, busy: set[int]) -> tuple[str, list[tuple[int, int]]]:
        """A ChangeAvailabilityRequest for `target` while the EVSEs `busy` have a transaction: the response status
        and the connectors whose (new or unchanged) state the station reports now."""
        f = self.faults
        covered = self.connectors(target)
        if not covered or (target == () and _on(f, "reject_station_availability")) or (
                len(target) == 2 and _on(f, "reject_connector_availability")):
            return "Rejected", []
        unchanged = (target not in self.inoperative) if operative else (
            target in self.inoperative and not self.waiting.get(target))
        if unchanged and _on(f, "availability_rejected_when_unchanged"):
            return "Rejected", []
        if operative:
            if not _on(f, "ignore_operative"):
                self.inoperative.discard(target)
                self.waiting.pop(target, None)
            return "Accepted", covered
        evses = {e for e, _ in covered}
        holding = evses & busy
        if not holding or _on(f, "availability_ignores_transaction"):
            self.inoperative.add(target)
            return "Accepted", covered
        now = [(e, c) for e, c in covered if e not in holding]
        if _on(f, "unavailable_while_scheduled"):
            self.inoperative.add(target)
        elif _on(f, "forget_scheduled_availability"):
            self.inoperative.update((e,) for e in evses - holding)  # the idle ones change; the busy never
        elif _on(f, "station_inoperative_spares_idle") and target == ():
            self.inoperative.add(target)
            self.waiting[target] = set(evses)  # the idle EVSEs are kept running too, and stay so
        else:
            self.inoperative.add(target)
            self.waiting[target] = holding
        return "Scheduled", now

    def transaction_ended(self, evse: int) -> None:
        """The transaction on `evse` is over: a change waiting for it applies now."""
        for target, held in list(self.waiting.items()):
            held.discard(evse)
            if not held:
                del self.waiting[target]

    def rebooted(self) -> None:
        """After a reboot the set levels stay (faults: forgotten, or widened to the whole station); nothing waits
        any more (a reboot ends transactions' hold)."""
        self.waiting.clear()
        if _on(self.faults, "forget_availability_on_reboot"):
            self.inoperative.clear()
        elif _on(self.faults, "availability_persists_station_wide") and self.inoperative:
            self.inoperative = {()}


def level_event(target: Target, status: str) -> dict[str, Any] | None:
    """A NotifyEvent reporting the AvailabilityState of the station or of an EVSE (a station that reports by the
    device model: Part 6 accepts the ChargingStation / EVSE component beside the connectors); None for a
    connector (its own Connector entries report it)."""
    if len(target) == 2:
        return None
    component: dict[str, Any] = {"name": "ChargingStation"} if not target else {"name": "EVSE",
                                                                                  "evse": {"id": target[0]}}
    now = now_iso()
    return {"generatedAt": now, "seqNo": 0, "tbc": False, "eventData": [{
        "eventId": next(_event_ids), "timestamp": now, "trigger": "Delta", "actualValue": status,
        "eventNotificationType": "HardWiredNotification", "component": component,
        "variable": {"name": "AvailabilityState"}}]}


# ---- G05 connector lock ----------------------------------------------------------------------------------------
def lock_variables(layout: Iterable[int]) -> dict[VarKey, Variable]:
    """ConnectorPlugRetentionLock of every connector (Part 2 §3.2.17): Enabled, Active (locked), Problem."""
    variables: tuple[tuple[str, str, Mutability], ...] = (
        ("Enabled", "true", "ReadWrite"), ("Active", "false", "ReadOnly"), ("Problem", "false", "ReadOnly"))
    table: dict[VarKey, Variable] = {}
    for evse, count in enumerate(layout, start=1):
        for connector in range(1, count + 1):
            for name, value, mutability in variables:
                table[VarKey(LOCK, name, evse=evse, connector=connector)] = Variable(
                    "boolean", {"Actual": Attribute(value, mutability)})
    return table


def set_lock_problem(variables: dict[VarKey, Variable], evse: int, connector: int, problem: bool) -> None:
    """The connector's ConnectorPlugRetentionLock.Problem in the device model (when it has one)."""
    variable = variables.get(VarKey(LOCK, "Problem", evse=evse, connector=connector))
    if variable is not None:
        variable.attributes["Actual"].value = "true" if problem else "false"


def lock_problem_event(evse: int, connector: int) -> dict[str, Any]:
    """NotifyEvent: the connector's ConnectorPlugRetentionLock reports Problem true (G05.FR.02)."""
    now = now_iso()
    return {"generatedAt": now, "seqNo": 0, "tbc": False, "eventData": [{
        "eventId": next(_event_ids), "timestamp": now, "trigger": "Delta", "actualValue": "true",
        "eventNotificationType": "HardWiredMonitor",
        "component": {"name": LOCK, "evse": {"id": evse, "connectorId": connector}},
        "variable": {"name": "Problem"}}]}


# ---- the CSMS simulator's side --------------------------------------------------------------------------------
def operator_availability(faults: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """An operator's ChangeAvailabilityRequest as a faulty CSMS sends it (unchanged when no switch applies):
    the opposite operationalStatus, evse.id 0 for the whole station, or no connectorId for a connector."""
    out = dict(payload)
    if _on(faults, "availability_inverted"):
        out["operationalStatus"] = "Inoperative" if out.get("operationalStatus") == "Operative" else "Operative"
    evse = out.get("evse")
    if evse is None and _on(faults, "station_availability_evse_zero"):
        out["evse"] = {"id": 0}
    elif isinstance(evse, dict) and "connectorId" in evse and _on(faults, "availability_without_connector"):
        out["evse"] = {k: v for k, v in evse.items() if k != "connectorId"}
    return out
