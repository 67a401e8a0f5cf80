"""The station simulator's charging logic: EVSEs and connectors, authorization, transactions and meter values.

What happens at the station when an EV plugs in, a driver presents a token or the CSMS starts, stops or changes
something (blocks C, E, F, G, J). The rules come from the device model (TxCtrlr start and stop points, AuthCtrlr,
AuthCacheCtrlr, LocalAuthListCtrlr, SampledDataCtrlr, AlignedDataCtrlr). How a message reaches the CSMS is the
station's business (`Link`): TransactionEvents go through its outbox, which queues them while offline and
retries them; everything else is sent at once, or dropped while offline (connectors are re-reported on reconnect).

Every change runs under one lock, in the order it was asked for, so a test's manual actions (plug in, present a
token, unplug) produce their messages in that order even while the station is offline.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from harness.ocppj.defaults import now_iso
from harness.simulators.authorization import LocalAuthorization, key_of
from harness.simulators.availability import (
    Availability,
    level_event,
    lock_problem_event,
    set_lock_problem,
    target_of,
)
from harness.simulators.device_model import DeviceModel

POWER_W = 7400.0  # what the simulated EV draws while charging
START_POINTS_NEEDING_BOTH = ("PowerPathClosed", "EnergyTransfer", "DataSigned")  # start once EV and driver are in
STOP_POINTS_AT_STOP = ("Authorized", "PowerPathClosed", "EnergyTransfer")  # end when the authorization ends


class Link(Protocol):
    """How the charging logic talks to the CSMS (implemented by the station simulator)."""

    def online(self) -> bool: ...

    async def request(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The CALLRESULT payload; None when offline, refused or unanswered."""

    async def notify(self, action: str, payload: dict[str, Any]) -> bool:
        """Send when online (the answer does not matter); whether it was sent."""

    def queue_event(self, payload: dict[str, Any]) -> None:
        """Hand a TransactionEvent to the outbox (marked offline when the station is)."""

    def note(self, text: str) -> None: ...


@dataclass
class Transaction:
    id: str
    evse: int
    connector: int
    id_token: dict[str, Any] | None = None
    group: str | None = None
    remote_start_id: int | None = None
    seq: int = 0
    charging_state: str = "Idle"
    energy_wh: float = 0.0  # delivered before `charging_since`
    charging_since: float | None = None  # monotonic time charging began, while charging
    started_wall: float = field(default_factory=time.time)  # the clock at the start (the Ended event's samples)

    def meter(self) -> float:
        running = time.monotonic() - self.charging_since if self.charging_since is not None else 0.0
        return round(self.energy_wh + POWER_W * running / 3600, 1)

    def set_state(self, state: str) -> None:
        if self.charging_since is not None:
            self.energy_wh, self.charging_since = self.meter(), None
        if state == "Charging":
            self.charging_since = time.monotonic()
        self.charging_state = state


@dataclass
class Connector:
    plugged: bool = False
    faulted: bool = False
    # block E: the cable is plugged in at the station but the EV side lost it (E09, E10)
    ev_side_lost: bool = False
    operative: bool = True  # G03/G04: no inoperative level over it (availability.py)
    lock_failed: bool = False  # G05: the cable is not fully plugged in, so it cannot be locked
    lock_reported: bool = False  # that lock Problem was reported (once per plug-in)


@dataclass
class Evse:
    id: int
    connectors: dict[int, Connector]
    operative: bool = True  # neither the station nor the EVSE is inoperative (availability.py)
    tx: Transaction | None = None
    driver: dict[str, Any] | None = None  # the authorized idToken, while authorized
    driver_group: str | None = None
    suspended: bool = False  # the EV paused charging
    deauthorized: bool = False  # the CSMS refused the token of the running transaction: no more energy (C15, E05)
    ev_timeout: asyncio.Task[None] | None = None  # EVConnectionTimeOut running for an authorization without EV
    # block E: the parking bay sensor (TxStart/StopPoint ParkingBayOccupancy, E01, E06)
    bay_occupied: bool = False
    locked_for: dict[str, Any] | None = None  # the cable stays locked after an EV-side disconnect until this token

    @property
    def plugged(self) -> bool:
        return any(c.plugged for c in self.connectors.values())

    @property
    def ev_present(self) -> bool:
        """An EV is on the cable (plugged in at the station and not lost at the EV side)."""
        return any(c.plugged and not c.ev_side_lost for c in self.connectors.values())

    def status(self, connector: int) -> str:
        c = self.connectors[connector]
        if c.faulted:
            return "Faulted"
        if not self.operative or not c.operative:
            return "Unavailable"
        return "Occupied" if c.plugged else "Available"


@dataclass
class ChargingFaults:
    """The charging-related switches of StationFaults (the station passes its own)."""

    seqno_gap: bool = False
    start_for_blocked_token: bool = False
    start_for_invalid_token: bool = False
    authorize_wrong_token_type: bool = False
    skip_authorize: bool = False
    authorize_cached_token: bool = False
    no_offline_authorization: bool = False
    charge_on_after_invalid_id: bool = False
    ignore_group_id: bool = False
    stop_event_without_id_token: bool = False
    no_status_after_reconnect: bool = False
    no_stopped_reason: bool = False
    first_event_updated: bool = False
    # remote control, availability and clock-aligned meter values (F01-F03, F05, G03, J01)
    reject_remote_start: bool = False
    no_remote_start_id: bool = False
    skip_remote_authorize: bool = False
    reject_remote_stop: bool = False
    remote_stop_as_local: bool = False
    no_charging_state_event: bool = False
    unlock_fails: bool = False
    availability_ignores_transaction: bool = False
    unavailable_while_scheduled: bool = False
    forget_scheduled_availability: bool = False
    aligned_wrong_context: bool = False
    aligned_missing_measurand: bool = False
    aligned_skip_interval: bool = False
    aligned_off_boundary: bool = False
    # block E transactions (start and stop points, EV-side disconnect, E13 retries)
    energy_start_at_plug_in: bool = False
    unsigned_start_value: bool = False
    bay_start_as_cable: bool = False
    no_bay_stop: bool = False
    power_path_stop_updated: bool = False
    energy_stop_wrong_state: bool = False
    ev_side_keeps_transaction: bool = False
    ev_side_no_resume: bool = False
    not_ready_as_charging: bool = False
    remote_authorize_when_disabled: bool = False
    no_deauthorize_on_invalid: bool = False
    no_ev_connect_timeout: bool = False
    # block C coverage: the authorization cache, GroupId and the Master Pass (C09-C12, C16)
    trust_cached_refusal: bool = False
    post_authorize_despite_disable: bool = False
    ignore_cache_lifetime: bool = False
    pre_authorize_always: bool = False
    cache_ignores_transaction_response: bool = False
    start_for_refused_token: bool = False
    stop_with_any_token: bool = False
    group_stop_ignores_status: bool = False
    no_deauthorize: bool = False
    ignore_max_energy: bool = False
    master_pass_starts: bool = False
    master_pass_stops_one: bool = False
    master_pass_wrong_reason: bool = False
    list_status_misread: bool = False
    list_refusal_final: bool = False
    cache_over_list: bool = False
    offline_list_any_status: bool = False
    # block J meter values (J01, J02): clock-aligned values of a transaction, the Ended event's values, signing
    aligned_tx_wrong_trigger: bool = False
    aligned_during_transaction: bool = False
    ended_no_meter_value: bool = False
    ended_wrong_context: bool = False
    ended_uneven_interval: bool = False
    ended_missing_measurand: bool = False
    ended_no_transaction_end: bool = False
    unsigned_readings: bool = False
    bad_public_key: bool = False
    begin_missing_measurand: bool = False
    begin_wrong_context: bool = False
    sampled_wrong_trigger: bool = False
    sampled_wrong_context: bool = False
    sampled_missing_measurand: bool = False
    sampled_skip_interval: bool = False


_event_ids = iter(range(1, 2**31))  # NotifyEvent eventId: unique per station run


def connector_reports(states: Mapping[tuple[int, int], str], *, by_event: bool) -> list[tuple[str, dict[str, Any]]]:
    """The CALLs that report these connector states: a StatusNotification each, or (a station that uses the
    device model for it, as Part 6 allows) one NotifyEvent with an AvailabilityState Delta entry per connector."""
    if not by_event:
        return [("StatusNotification", {"timestamp": now_iso(), "connectorStatus": status, "evseId": evse,
                                        "connectorId": connector}) for (evse, connector), status in states.items()]
    if not states:
        return []
    now = now_iso()
    data = [{"eventId": next(_event_ids), "timestamp": now, "trigger": "Delta", "actualValue": status,
             "eventNotificationType": "HardWiredNotification",
             "component": {"name": "Connector", "evse": {"id": evse, "connectorId": connector}},
             "variable": {"name": "AvailabilityState"}} for (evse, connector), status in states.items()]
    return [("NotifyEvent", {"generatedAt": now, "seqNo": 0, "tbc": False, "eventData": data})]


def signed_value(energy_wh: float) -> dict[str, Any]:
    """A SignedMeterValueType for a reading (E01.FR.04, TxStartPoint DataSigned): the simulator's meter signs
    nothing for real; the fields are what a CSMS stores and forwards."""
    data = base64.b64encode(f"SIM-METER {energy_wh:.1f} Wh".encode()).decode()
    return {"signedMeterData": data, "signingMethod": "ECDSA-secp256r1-SHA256", "encodingMethod": "OCMF",
            "publicKey": base64.b64encode(b"SIM-METER-PUBLIC-KEY").decode()}


def readings(energy_wh: float, charging: int) -> dict[str, tuple[float, str]]:
    """What the simulated meter measures: value and unit per measurand (`charging`: EVs drawing power)."""
    return {"Energy.Active.Import.Register": (energy_wh, "Wh"), "Power.Active.Import": (POWER_W * charging, "W"),
            "Current.Import": (round(POWER_W * charging / 230, 1), "A"), "Voltage": (230.0, "V"),
            "SoC": (50.0, "Percent")}


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Charging:
    layout: list[int]  # connectors per EVSE
    model: DeviceModel
    link: Link
    faults: Any = field(default_factory=ChargingFaults)  # anything with ChargingFaults' attributes
    by_event: bool = False  # connector states go out as NotifyEvent AvailabilityState (StationVariants)
    auth: LocalAuthorization = field(default_factory=LocalAuthorization)
    _aligned_changed: asyncio.Event = field(default_factory=asyncio.Event)
    _sampled_changed: asyncio.Event = field(default_factory=asyncio.Event)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _reported: dict[tuple[int, int], str] = field(default_factory=dict)  # connector -> status the CSMS last got
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    # block E: a permanently attached cable (StationVariants.fixed_cable, HFS-2): the EV-side disconnect is the
    # whole disconnect; the connector reports Available and EVConnectionTimeOut runs (E10.FR.02)
    fixed_cable: bool = False
    # block C coverage: a Master Pass UI (StationVariants.master_pass_ui) and the Master Pass it waits with
    master_pass_ui: bool = False
    # the verdict corpus: transaction meter values also carry Voltage and Current.Import (StationVariants)
    extra_measurands: bool = False
    _master_pending: dict[str, Any] | None = None
    # block B coverage: a ResetRequest OnIdle answered Scheduled runs this once no transaction is left (B12.FR.01)
    when_idle: Callable[[], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        self.evses = {e: Evse(e, {c: Connector() for c in range(1, n + 1)}) for e, n in enumerate(self.layout, 1)}
        self.availability = Availability(self.layout, self.faults)  # G03/G04, kept over reboots

    # ---- entry points: each runs alone, in order --------------------------------------------------------------
    async def act(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run one change of the station's world; changes never interleave."""
        async with self._lock:
            await work()
            await self._report_changes()

    def later(self, work: Callable[[], Awaitable[None]]) -> None:
        """`act` in the background (what a CSMS request starts once it is answered)."""
        self._spawn(self.act(work))

    def _spawn(self, work: Awaitable[None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @staticmethod
    async def _nothing() -> None:
        pass

    def evse(self, evse_id: int) -> Evse:
        if evse_id not in self.evses:
            raise ValueError(f"the station has no EVSE {evse_id} (EVSEs: {', '.join(map(str, self.evses))})")
        return self.evses[evse_id]

    def connector(self, evse_id: int, connector_id: int) -> Connector:
        evse = self.evse(evse_id)
        if connector_id not in evse.connectors:
            raise ValueError(f"EVSE {evse_id} has no connector {connector_id}")
        return evse.connectors[connector_id]

    # ---- connector status --------------------------------------------------------------------------------------
    def statuses(self) -> dict[tuple[int, int], str]:
        return {(e.id, c): e.status(c) for e in self.evses.values() for c in e.connectors}

    def unreported(self) -> set[tuple[int, int]]:
        """The connectors whose state changed since the station last reported it."""
        return {key for key, status in self.statuses().items() if self._reported.get(key) != status}

    def reported(self, statuses: Mapping[tuple[int, int], str]) -> None:
        """The station reported these (after a (re)connect); later changes are reported against them."""
        self._reported.update(statuses)

    async def _report_changes(self) -> None:
        changed = {key: status for key, status in self.statuses().items() if self._reported.get(key) != status}
        for (evse, connector), status in changed.items():
            for action, payload in connector_reports({(evse, connector): status},
                                                     by_event=self.by_event):
                if await self.link.notify(action, payload) or self.faults.no_status_after_reconnect:
                    self._reported[(evse, connector)] = status  # the fault: a change it could not send is dropped

    # ---- physical actions --------------------------------------------------------------------------------------
    async def plug_in(self, evse_id: int, connector_id: int, lock_fails: bool = False) -> None:
        connector, evse = self.connector(evse_id, connector_id), self.evses[evse_id]
        connector.plugged, connector.lock_failed, connector.lock_reported = True, lock_fails, False
        self._cancel_ev_timeout(evse)
        if getattr(self.faults, "no_occupied_status", False):
            self._reported[(evse_id, connector_id)] = evse.status(connector_id)  # the fault: never sent
        await self._report_changes()  # Occupied first, then what the transaction makes of it
        starts = self._points("TxStartPoint")
        if evse.tx is not None:
            evse.tx.connector = connector_id
            evse.tx.set_state("EVConnected")
            self._event(evse.tx, "Updated", "CablePluggedIn")
        elif "EVConnected" in starts or ("ParkingBayOccupancy" in starts and self.faults.bay_start_as_cable) or (
                evse.driver is not None and self._starts_with_both(starts)):
            self._start(evse, connector_id, self._start_trigger(starts, "CablePluggedIn"),
                        with_driver=evse.driver is not None)
        self._energy(evse)

    async def unplug(self, evse_id: int, connector_id: int) -> None:
        connector, evse = self.connector(evse_id, connector_id), self.evses[evse_id]
        if connector.lock_reported:
            set_lock_problem(self.model.variables, evse_id, connector_id, False)
            if evse.tx is None:  # G05: the authorization never closed the power path; it ends with the cable
                evse.driver = evse.driver_group = None
        connector.plugged, connector.ev_side_lost, connector.lock_failed = False, False, False
        evse.locked_for = None
        if getattr(self.faults, "no_available_after_unplug", False):
            self._reported[(evse_id, connector_id)] = evse.status(connector_id)  # the fault: never sent
        tx = evse.tx
        if tx is not None:
            tx.set_state("Idle")
            stops = self._points("TxStopPoint")
            if stops & {"EVConnected", "PowerPathClosed", "EnergyTransfer"} or (
                    "ParkingBayOccupancy" in stops and not evse.bay_occupied):
                self._end(evse, "EVCommunicationLost", "EVDisconnected")
            else:
                self._event(tx, "Updated", "EVCommunicationLost")

    async def present_token(self, id_token: dict[str, Any], evse_id: int | None) -> None:
        """A driver presents a token: it stops the transaction it (or its group) started, else it authorizes."""
        locked = next((e for e in self.evses.values() if e.locked_for is not None and e.tx is None
                       and key_of(e.locked_for) == key_of(id_token) and evse_id in (None, e.id)), None)
        if locked is not None:  # E09: the driver's token unlocks the cable the EV side left
            locked.locked_for = None
            self.link.note(f"EVSE {locked.id}: cable unlocked for idToken {id_token['idToken']}")
            return
        evse = self._evse_for(id_token, evse_id)
        tx = evse.tx
        stopper = None if self.faults.stop_event_without_id_token else id_token  # named in the StopAuthorized event
        if tx is not None and tx.id_token is not None:
            if key_of(tx.id_token) == key_of(id_token):
                self._stop_authorized(evse, id_token=stopper)  # the same token stops without asking anyone (C01)
                return
            info = await self._authorize(id_token)
            if self._master_pass(info):
                self._master_pass_stop(id_token)
                return
            group = (info or {}).get("groupIdToken", {}).get("idToken")
            accepted = (info or {}).get("status") == "Accepted" or self.faults.group_stop_ignores_status
            if self.faults.stop_with_any_token and (info or {}).get("status") == "Accepted":
                group = tx.group = tx.group or "any"
            if accepted and group is not None and group == tx.group and not self.faults.ignore_group_id:
                self._stop_authorized(evse, id_token=stopper)  # C09: another token of the group
            else:
                self.link.note(f"idToken {id_token['idToken']} may not stop transaction {tx.id}")
            return
        info = await self._authorize(id_token)
        if self._master_pass(info) and not self.faults.master_pass_starts:
            self.link.note(f"idToken {id_token['idToken']} is a Master Pass: it starts nothing (C16.FR.03)")
            return
        status = (info or {}).get("status")
        starts_anyway = ((status == "Blocked" and self.faults.start_for_blocked_token)
                         or (status == "Invalid" and self.faults.start_for_invalid_token)
                         or (status not in (None, "Accepted") and self.faults.start_for_refused_token))
        if status != "Accepted" and not starts_anyway:
            self.link.note(f"idToken {id_token['idToken']} not authorized ({status or 'no answer'})")
            return
        self._authorized(evse, id_token, info or {}, "Authorized")

    async def set_fault(self, evse_id: int, connector_id: int, faulted: bool) -> None:
        self.connector(evse_id, connector_id).faulted = faulted

    async def ev_side(self, evse_id: int, connector_id: int, connected: bool) -> None:
        """The cable stays in the station's socket; the EV side loses it (`connected` False, E09/E10) or gets it
        back. StopTxOnEVSideDisconnect (or a stop point the EV leaving reaches) ends the transaction, else it goes
        on, authorized, and resumes when the EV is back. UnlockOnEVSideDisconnect false keeps the cable locked
        until the driver's token is presented again."""
        connector, evse = self.connector(evse_id, connector_id), self.evses[evse_id]
        if connector.ev_side_lost != connected or not (connector.plugged or connector.ev_side_lost):
            self.link.note(f"EVSE {evse_id} connector {connector_id}: no cable to change at the EV side")
            return
        connector.ev_side_lost = not connected
        if self.fixed_cable:
            connector.plugged = connected  # the only cable end there is: the connector's state follows it
        if connected:
            self._cancel_ev_timeout(evse)
        tx = evse.tx
        if tx is None:
            return
        if connected:
            evse.suspended = False  # a new EV connection: it wants energy
            tx.set_state("EVConnected")
            self._event(tx, "Updated", "CablePluggedIn")
            if not self.faults.ev_side_no_resume:
                self._energy(evse)
            return
        tx.set_state("Idle")
        stops = self._points("TxStopPoint")
        if (self.model.flag("TxCtrlr", "StopTxOnEVSideDisconnect") or stops & {"EVConnected", "PowerPathClosed",
                                                                                  "EnergyTransfer"}) \
                and not self.faults.ev_side_keeps_transaction:
            if not self.model.flag("OCPPCommCtrlr", "UnlockOnEVSideDisconnect"):
                evse.locked_for = tx.id_token
            self._end(evse, "EVCommunicationLost", "EVDisconnected")
        else:
            self._event(tx, "Updated", "EVCommunicationLost")
            if self.fixed_cable and evse.driver is not None:
                self._start_ev_timeout(evse)  # E10.FR.02: the EV has EVConnectionTimeOut to come back

    async def parking_bay(self, evse_id: int, occupied: bool) -> None:
        """The parking bay sensor of an EVSE: an EV drives in (TxStartPoint ParkingBayOccupancy starts a
        transaction, EVDetected) or out (TxStopPoint ParkingBayOccupancy ends it, EVDeparted)."""
        evse = self.evse(evse_id)
        evse.bay_occupied = occupied
        if occupied and evse.tx is None and "ParkingBayOccupancy" in self._points("TxStartPoint") \
                and not self.faults.bay_start_as_cable:
            self._start(evse, min(evse.connectors), "EVDetected", with_driver=evse.driver is not None)
        elif not occupied and evse.tx is not None and "ParkingBayOccupancy" in self._points("TxStopPoint") \
                and not self.faults.no_bay_stop:
            self._end(evse, "EVDeparted", "Local")

    async def suspend_ev(self, evse_id: int) -> None:
        evse = self.evse(evse_id)
        if not evse.ev_present and self.faults.not_ready_as_charging:
            return  # the fault: an EV not ready when it connects is charged anyway
        evse.suspended = True
        if evse.tx is not None and evse.tx.charging_state == "Charging":
            if "EnergyTransfer" in self._points("TxStopPoint"):  # E06.FR.07: the energy transfer ended
                self._end(evse, "ChargingStateChanged", "StoppedByEV",
                          state="SuspendedEV" if self.faults.energy_stop_wrong_state else None)
                return
            evse.tx.set_state("SuspendedEV")
            self._event(evse.tx, "Updated", "ChargingStateChanged")

    async def resume_ev(self, evse_id: int) -> None:
        evse = self.evse(evse_id)
        evse.suspended = False
        self._energy(evse)

    # ---- authorization -----------------------------------------------------------------------------------------
    async def _authorize(self, id_token: dict[str, Any]) -> dict[str, Any] | None:
        """IdTokenInfo for a token: online by AuthorizeRequest (or the local data, with LocalPreAuthorize);
        offline by the local data (LocalAuthorizeOffline), or Accepted when OfflineTxForUnknownIdEnabled."""
        use: dict[str, Any] = {"use_list": self.model.flag("LocalAuthListCtrlr", "Enabled"),
                               "use_cache": self.model.flag("AuthCacheCtrlr", "Enabled"),
                               "lifetime": self._cache_lifetime()}
        if self.faults.skip_authorize:
            return {"status": "Accepted"}
        if (self.link.online() and self.model.flag("AuthCtrlr", "DisableRemoteAuthorization")
                and not self.faults.remote_authorize_when_disabled):
            return self.auth.lookup(id_token, **use)  # C01.FR.05 overruled: only what the station knows itself
        if self.link.online():
            pre_authorize = self.model.flag("AuthCtrlr", "LocalPreAuthorize") or self.faults.pre_authorize_always
            local = self.auth.lookup(id_token, **use)
            if local is not None and self.faults.list_status_misread and self._on_list(id_token):
                local = {**local, "status": "Invalid"}
            if pre_authorize and not self.faults.authorize_cached_token and local is not None and (
                    local.get("status") == "Accepted"):
                return local
            if local is not None and local.get("status") != "Accepted" and self._no_post_authorize(id_token):
                return local  # C12.FR.05 / DisablePostAuthorize: a cached refusal is final, nobody is asked
            asked = {**id_token, "type": "KeyCode"} if self.faults.authorize_wrong_token_type else id_token
            answer = await self.link.request("Authorize", {"idToken": asked})
            if answer is not None and isinstance(answer.get("idTokenInfo"), dict):
                self._learn(id_token, answer["idTokenInfo"])
                return dict(answer["idTokenInfo"])
        if not self.model.flag("AuthCtrlr", "LocalAuthorizeOffline") or self.faults.no_offline_authorization:
            return None
        local = self.auth.lookup(id_token, **use)  # C13.FR.01 / C14.FR.01: the list before the cache
        if self.faults.cache_over_list:
            local = self.auth.lookup(id_token, **{**use, "use_list": False}) or local
        if local is not None and self.faults.offline_list_any_status and self._on_list(id_token):
            local = {**local, "status": "Accepted"}
        if local is not None:
            return local
        if self.model.flag("AuthCtrlr", "OfflineTxForUnknownIdEnabled"):
            return {"status": "Accepted"}
        return None

    def _learn(self, id_token: Mapping[str, Any], info: Mapping[str, Any]) -> None:
        if self.model.flag("AuthCacheCtrlr", "Enabled"):
            self.auth.remember(id_token, info)

    # ---- block C: cache options and the Master Pass (C10, C12, C16) ----------------------------------------------
    def _cache_lifetime(self) -> float | None:
        """AuthCacheCtrlr.LifeTime in seconds (C10.FR.08); None: entries never expire."""
        if self.faults.ignore_cache_lifetime or not self.model.has("AuthCacheCtrlr", "LifeTime"):
            return None
        return float(self.model.number("AuthCacheCtrlr", "LifeTime"))

    def _on_list(self, id_token: Mapping[str, Any]) -> bool:
        return self.model.flag("LocalAuthListCtrlr", "Enabled") and key_of(id_token) in self.auth.local_list

    def _no_post_authorize(self, id_token: Mapping[str, Any]) -> bool:
        """Whether a token the cache holds as not Accepted is refused without asking the CSMS: when
        AuthCacheCtrlr.DisablePostAuthorize is true (C12.FR.05 otherwise asks). A token on the local list: when
        LocalAuthListCtrlr.DisablePostAuthorize is true (LA-3, variant list_disable_post_authorize), else it asks
        (C14.FR.03)."""
        if self._on_list(id_token):
            if self.faults.list_refusal_final or self.faults.list_status_misread:
                return True
            disabled = (self.model.has("LocalAuthListCtrlr", "DisablePostAuthorize")
                        and self.model.flag("LocalAuthListCtrlr", "DisablePostAuthorize"))
            return disabled and not self.faults.post_authorize_despite_disable
        disabled = self.model.flag("AuthCacheCtrlr", "DisablePostAuthorize")
        return (disabled and not self.faults.post_authorize_despite_disable) or self.faults.trust_cached_refusal

    def _master_pass(self, info: Mapping[str, Any] | None) -> bool:
        """Whether an accepted token belongs to AuthCtrlr.MasterPassGroupId (C16)."""
        group = self.model.text("AuthCtrlr", "MasterPassGroupId")
        return (bool(group) and info is not None and info.get("status") == "Accepted"
                and info.get("groupIdToken", {}).get("idToken") == group)

    def _master_pass_stop(self, id_token: dict[str, Any]) -> None:
        """C16.FR.02 (no UI): every ongoing transaction stops as in E07, stoppedReason MasterPass (C16.FR.07).
        With a UI (C16.FR.01) the station shows it and waits for the user's choice (`master_pass_select`)."""
        if self.master_pass_ui:
            self._master_pending = id_token
            self.link.note("Master Pass UI shown: select the transactions to stop")
            return
        self._master_pass_end([e for e in self.evses.values() if e.tx is not None], id_token)

    async def master_pass_select(self, evse_ids: list[int] | None) -> None:
        """The user's choice on the Master Pass UI: stop the transactions of `evse_ids` (None: all)."""
        token, self._master_pending = self._master_pending, None
        if token is None:
            self.link.note("no Master Pass UI is shown: nothing to select")
            return
        self._master_pass_end([e for e in self.evses.values()
                               if e.tx is not None and (evse_ids is None or e.id in evse_ids)], token)

    def _master_pass_end(self, running: list[Evse], id_token: dict[str, Any]) -> None:
        reason = "Local" if self.faults.master_pass_wrong_reason else "MasterPass"
        for evse in running[:1] if self.faults.master_pass_stops_one else running:
            self._stop_authorized(evse, reason=reason, id_token=id_token)

    def _authorized(self, evse: Evse, id_token: dict[str, Any], info: Mapping[str, Any], trigger: str,
                    remote_start_id: int | None = None) -> None:
        evse.driver, evse.driver_group = id_token, info.get("groupIdToken", {}).get("idToken")
        tx, starts = evse.tx, self._points("TxStartPoint")
        if tx is not None:
            tx.id_token, tx.group, tx.remote_start_id = id_token, evse.driver_group, remote_start_id
            self._event(tx, "Updated", trigger, id_token=id_token)
        elif "Authorized" in starts or (evse.ev_present and self._starts_with_both(starts) and not self._unlocked(evse)):
            connector = next((c for c, s in evse.connectors.items() if s.plugged), 1)
            self._start(evse, connector, self._start_trigger(starts, trigger) if "Authorized" not in starts
                        else trigger, with_driver=True, remote_start_id=remote_start_id)
        if not evse.plugged:
            self._start_ev_timeout(evse)
        self._energy(evse)

    def _stop_authorized(self, evse: Evse, trigger: str = "StopAuthorized", reason: str = "Local", *,
                         id_token: dict[str, Any] | None = None) -> None:
        """Authorization ends (the driver, or the CSMS): the transaction ends when TxStopPoint has Authorized,
        else energy stops and it goes on until the EV leaves. `id_token`: the token presented to stop."""
        tx = evse.tx
        evse.driver = evse.driver_group = None
        self._cancel_ev_timeout(evse)
        if tx is None:
            return
        tx.set_state("EVConnected" if evse.ev_present else "Idle")
        stops = self._points("TxStopPoint")
        if "Authorized" in stops or (any(p in stops for p in STOP_POINTS_AT_STOP)
                                     and not self.faults.power_path_stop_updated):
            self._end(evse, trigger, reason, id_token=id_token)
        else:
            self._event(tx, "Updated", trigger, id_token=id_token)

    def _start_ev_timeout(self, evse: Evse) -> None:
        self._cancel_ev_timeout(evse)
        seconds = self.model.number("TxCtrlr", "EVConnectionTimeOut")

        async def expire() -> None:
            if self.faults.no_ev_connect_timeout:
                return  # the fault: the authorization never times out
            await asyncio.sleep(seconds)  # allow-sleep: the EVConnectionTimeOut timer of the station
            evse.ev_timeout = None
            await self.act(self._ev_timed_out(evse))

        evse.ev_timeout = self._spawn(expire())

    def _ev_timed_out(self, evse: Evse) -> Callable[[], Awaitable[None]]:
        async def work() -> None:
            if evse.plugged or evse.driver is None:
                return
            evse.driver = evse.driver_group = None
            if evse.tx is not None and "Authorized" not in self._points("TxStopPoint") \
                    and "ParkingBayOccupancy" in self._points("TxStopPoint"):
                self._event(evse.tx, "Updated", "EVConnectTimeout")  # it ends when the EV leaves the bay
            elif evse.tx is not None:
                trigger = "Deauthorized" if getattr(self.faults, "ev_timeout_as_deauthorized", False) \
                    else "EVConnectTimeout"
                self._end(evse, trigger, "Timeout")
            else:
                self.link.note(f"EVSE {evse.id}: no EV within EVConnectionTimeOut; authorization dropped")
        return work

    @staticmethod
    def _cancel_ev_timeout(evse: Evse) -> None:
        if evse.ev_timeout is not None:
            evse.ev_timeout.cancel()
            evse.ev_timeout = None

    # ---- transactions ------------------------------------------------------------------------------------------
    def _points(self, name: str) -> set[str]:
        return self.model.members("TxCtrlr", name)

    def _evse_for(self, id_token: Mapping[str, Any], evse_id: int | None) -> Evse:
        if evse_id is not None:
            return self.evse(evse_id)
        for evse in self.evses.values():  # the EVSE whose transaction this very token started (its driver's)
            if evse.tx is not None and evse.tx.id_token is not None and key_of(evse.tx.id_token) == key_of(id_token):
                return evse
        for evse in self.evses.values():  # the EVSE whose transaction this token's group may stop
            if evse.tx is not None and evse.tx.id_token is not None:
                return evse
        for evse in self.evses.values():  # else the one where an EV waits for a driver
            if evse.plugged and evse.driver is None:
                return evse
        return self.evses[min(self.evses)]

    def _start(self, evse: Evse, connector: int, trigger: str, *, with_driver: bool,
               remote_start_id: int | None = None, state: str | None = None) -> Transaction:
        tx = Transaction(str(uuid.uuid4()), evse.id, connector, remote_start_id=remote_start_id)
        if with_driver:
            tx.id_token, tx.group = evse.driver, evse.driver_group
        tx.set_state(state or ("EVConnected" if evse.ev_present else "Idle"))
        evse.tx = tx
        self._event(tx, "Started", trigger, id_token=tx.id_token, context="Transaction.Begin",
                    signed=not self.faults.unsigned_start_value
                    and (trigger == "SignedDataReceived" or self.model.flag("SampledDataCtrlr", "SignReadings")))
        return tx

    def _starts_with_both(self, starts: set[str]) -> bool:
        """Whether the start point is reached once EV and driver are both there (PowerPathClosed, DataSigned;
        EnergyTransfer waits for the energy, unless the fault starts it at plug-in)."""
        both = {"PowerPathClosed", "DataSigned"} | ({"EnergyTransfer"} if self.faults.energy_start_at_plug_in else set())
        return bool(starts & both)

    @staticmethod
    def _start_trigger(starts: set[str], trigger: str) -> str:
        """DataSigned starts with the signed meter data (E01.FR.04) unless the power path already started it."""
        return "SignedDataReceived" if "DataSigned" in starts and "PowerPathClosed" not in starts else trigger

    def _end(self, evse: Evse, trigger: str, reason: str, *, id_token: dict[str, Any] | None = None,
             state: str | None = None) -> None:
        tx = evse.tx
        assert tx is not None
        tx.set_state(state or ("EVConnected" if evse.ev_present else "Idle"))
        self._event(tx, "Ended", trigger, id_token=id_token, stopped_reason=reason,
                    meter_value=self._ended_values(tx))
        evse.tx, evse.driver, evse.driver_group, evse.suspended = None, None, None, False
        evse.deauthorized = False
        self._cancel_ev_timeout(evse)
        self.availability.transaction_ended(evse.id)  # G03/G04: a scheduled change applies once it is over
        self.apply_availability()
        if self.when_idle is not None and all(e.tx is None for e in self.evses.values()):
            work, self.when_idle = self.when_idle, None
            self._spawn(work())

    def busy(self) -> list[int]:
        """The EVSEs with a transaction running."""
        return [e.id for e in self.evses.values() if e.tx is not None]

    async def end_for_reset(self, evse_id: int | None = None) -> None:
        """B12.FR.02 / B12.FR.08: a ResetRequest Immediate ends every running transaction (of `evse_id` only, when
        given) with triggerReason ResetCommand."""
        reason = "Reboot" if getattr(self.faults, "immediate_reset_wrong_reason", False) else "ImmediateReset"
        for evse in self.evses.values():
            if evse.tx is not None and evse_id in (None, evse.id):
                self._end(evse, "ResetCommand", reason)

    def _energy(self, evse: Evse) -> None:
        """The power path closes when EV and driver are both there (and the EV wants energy)."""
        tx = evse.tx
        if evse.driver is not None and evse.plugged and self._lock_refuses(evse):
            return  # G05: a cable that cannot be locked keeps the power path open
        if (tx is None and evse.driver is not None and evse.ev_present and not evse.suspended
                and "EnergyTransfer" in self._points("TxStartPoint") and not evse.deauthorized):
            connector = next((c for c, s in evse.connectors.items() if s.plugged), 1)
            self._start(evse, connector, "ChargingStateChanged", with_driver=True, state="Charging")
            return  # E01.FR.06: the transaction starts with the energy transfer
        if (tx is None or evse.driver is None or not evse.ev_present or tx.charging_state == "Charging"
                or evse.deauthorized):
            return
        if evse.suspended:
            if tx.charging_state != "SuspendedEV":
                tx.set_state("SuspendedEV")
                self._event(tx, "Updated", "ChargingStateChanged")
            return
        tx.set_state("Charging")
        if not self.faults.no_charging_state_event:
            self._event(tx, "Updated", "ChargingStateChanged")

    def _event(self, tx: Transaction, event_type: str, trigger: str, *, id_token: dict[str, Any] | None = None,
               stopped_reason: str | None = None, context: str | None = None, signed: bool = False,
               meter_value: list[dict[str, Any]] | None = None, drop_first: bool = False,
               with_evse: bool = False) -> None:
        """Build one TransactionEvent (seqNo, state, meter value) and hand it to the outbox. `context`: one
        reading now, of the measurands SampledDataCtrlr names for it; `meter_value`: these values (none: empty);
        `with_evse`: name the EVSE even in an Updated event (a triggered one)."""
        if event_type == "Started" and self.faults.first_event_updated:
            event_type = "Updated"
        info: dict[str, Any] = {"transactionId": tx.id, "chargingState": tx.charging_state}
        if trigger == "RemoteStart" and tx.remote_start_id is not None and not self.faults.no_remote_start_id:
            info["remoteStartId"] = tx.remote_start_id
        if stopped_reason is not None and not self.faults.no_stopped_reason:
            info["stoppedReason"] = stopped_reason
        payload: dict[str, Any] = {"eventType": event_type, "timestamp": now_iso(), "triggerReason": trigger,
                                   "seqNo": tx.seq, "transactionInfo": info}
        tx.seq += 2 if self.faults.seqno_gap and tx.seq == 1 else 1
        if event_type == "Started" or tx.seq == 1 or trigger == "CablePluggedIn" or with_evse:
            # Part 6 §2.1: the first event after the EV connects names the EVSE and its connector
            payload["evse"] = {"id": tx.evse, "connectorId": tx.connector}
        if id_token is not None:
            payload["idToken"] = id_token
        if meter_value is None and context is not None:
            begin = context == "Transaction.Begin"
            measurands = self.model.members("SampledDataCtrlr", "TxStartedMeasurands" if begin else
                                            "TxEndedMeasurands" if context == "Transaction.End" else
                                            "TxUpdatedMeasurands")
            if begin and self.faults.begin_wrong_context:
                context = "Sample.Periodic"  # the fault: the start reading is not marked Transaction.Begin
            meter_value = [self._meter_value(measurands, tx.meter(), 0, context, now_iso(), signed=signed,
                                             drop_first=drop_first or (begin and self.faults.begin_missing_measurand))
                           ] if measurands or not begin else []
        if meter_value and context is not None and self.extra_measurands:
            meter_value[0]["sampledValue"] = [*meter_value[0]["sampledValue"],
                {"value": 230.0, "context": context, "measurand": "Voltage", "unitOfMeasure": {"unit": "V"}},
                {"value": 16.0, "context": context, "measurand": "Current.Import", "unitOfMeasure": {"unit": "A"}}]
        if meter_value:
            payload["meterValue"] = meter_value
        self.link.queue_event(payload)

    def _meter_value(self, measurands: set[str], energy_wh: float, charging: int, context: str, timestamp: str, *,
                     signed: bool = False, drop_first: bool = False) -> dict[str, Any]:
        """One MeterValue: a sampledValue per measurand the meter has (Energy.Active.Import.Register when none is
        named); `signed`: each with a signedMeterValue (publicKey as OCPPCommCtrlr.PublicKeyWithSignedMeterValue
        says); `drop_first`: the fault of leaving the first measurand out."""
        values = readings(energy_wh, charging)
        chosen = sorted(measurands & set(values)) or ["Energy.Active.Import.Register"]
        if drop_first:
            chosen = chosen[1:] or ["Voltage"]
        sampled: list[dict[str, Any]] = [{"value": values[m][0], "context": context, "measurand": m,
                                          "unitOfMeasure": {"unit": values[m][1]}} for m in chosen]
        if signed and not self.faults.unsigned_readings:
            for value in sampled:
                value["signedMeterValue"] = self._signed(float(value["value"]))
        return {"timestamp": timestamp, "sampledValue": sampled}

    def _signed(self, reading: float) -> dict[str, Any]:
        signed = signed_value(reading)
        if self.model.text("OCPPCommCtrlr", "PublicKeyWithSignedMeterValue") == "Never":
            signed["publicKey"] = ""
        if self.faults.bad_public_key:
            signed["publicKey"] = "not a public key!"
        return signed

    def _ended_values(self, tx: Transaction) -> list[dict[str, Any]]:
        """The Ended event's meter values (J01.FR.14, J02.FR.10): a Sample.Clock value at each
        AlignedDataCtrlr.TxEndedInterval boundary of the transaction, a Sample.Periodic one every
        SampledDataCtrlr.TxEndedInterval since its start, each of its TxEndedMeasurands (signed as SignReadings
        says), and the Transaction.End reading of SampledDataCtrlr.TxEndedMeasurands; in time order."""
        if self.faults.ended_no_meter_value:
            return []
        now, start, total = time.time(), tx.started_wall, tx.meter()

        def energy_at(moment: float) -> float:
            return round(total * (moment - start) / (now - start), 1) if now > start else total

        clock, periodic = ("Sample.Periodic", "Sample.Clock") if self.faults.ended_wrong_context \
            else ("Sample.Clock", "Sample.Periodic")
        values: list[tuple[float, dict[str, Any]]] = []
        sampled_measurands = self.model.members("SampledDataCtrlr", "TxEndedMeasurands")
        for component, first, context in (("AlignedDataCtrlr", math.ceil(start / max(1, self.model.number(
                "AlignedDataCtrlr", "TxEndedInterval"))) * self.model.number("AlignedDataCtrlr", "TxEndedInterval"),
                clock), ("SampledDataCtrlr", start + self.model.number("SampledDataCtrlr", "TxEndedInterval"),
                         periodic)):
            interval = self.model.number(component, "TxEndedInterval")
            measurands = self.model.members(component, "TxEndedMeasurands")
            if interval <= 0 or not measurands:
                continue
            moments = [first + k * interval for k in range(int((now - first) // interval) + 1)
                       if first + k * interval <= now]
            for index, moment in enumerate(moments):
                stamp = moment + interval / 2 if self.faults.ended_uneven_interval and index % 2 else moment
                values.append((moment, self._meter_value(
                    measurands, energy_at(moment), 1, context, iso(stamp),
                    signed=self.model.flag(component, "SignReadings"),
                    drop_first=self.faults.ended_missing_measurand)))
        if sampled_measurands and not self.faults.ended_no_transaction_end:
            values.append((now, self._meter_value(sampled_measurands, total, 0, "Transaction.End", iso(now),
                                                  signed=self.model.flag("SampledDataCtrlr", "SignReadings"))))
        return [value for _, value in sorted(values, key=lambda pair: pair[0])]

    def answered(self, payload: Mapping[str, Any], answer: Mapping[str, Any]) -> None:
        """The CSMS answered a TransactionEvent: learn the token's status; StopTxOnInvalidId ends a transaction
        whose token the CSMS does not accept (C15 / E05)."""
        info, id_token = answer.get("idTokenInfo"), payload.get("idToken")
        if not isinstance(info, dict) or not isinstance(id_token, dict):
            return
        if not self.faults.cache_ignores_transaction_response:
            self._learn(id_token, info)
        if info.get("status") == "Accepted":
            return
        tx_id = payload["transactionInfo"]["transactionId"]
        if not self.model.flag("TxCtrlr", "StopTxOnInvalidId"):
            if not self.faults.charge_on_after_invalid_id:
                self._limit_energy(tx_id)
            return
        if self.faults.no_deauthorize:
            return

        if self.faults.no_deauthorize_on_invalid:
            return  # the fault: StopTxOnInvalidId true, and the transaction goes on

        async def deauthorize() -> None:
            for evse in self.evses.values():
                if evse.tx is not None and evse.tx.id == tx_id:
                    evse.driver = evse.driver_group = None
                    if self._points("TxStopPoint") & {"Authorized", "PowerPathClosed", "EnergyTransfer"}:
                        self._end(evse, "Deauthorized", "DeAuthorized")
                    else:  # the transaction goes on until the EV leaves; no more energy (E05)
                        evse.deauthorized = True
                        evse.tx.set_state("EVConnected" if evse.plugged else "Idle")
                        self._event(evse.tx, "Updated", "Deauthorized")

        self.later(deauthorize)

    def _limit_energy(self, tx_id: str) -> None:
        """StopTxOnInvalidId false (C15, E05): the transaction goes on, but once TxCtrlr.MaxEnergyOnInvalidId more
        Wh have flowed (at once when 0) the EVSE stops offering energy: chargingState SuspendedEVSE."""
        evse = next((e for e in self.evses.values() if e.tx is not None and e.tx.id == tx_id), None)
        if evse is None or evse.tx is None:
            return
        tx = evse.tx
        allowance = 0 if self.faults.ignore_max_energy else max(self.model.number("TxCtrlr", "MaxEnergyOnInvalidId"), 0)

        async def suspend() -> None:
            if evse.tx is not tx:
                return
            evse.deauthorized = True
            if evse.plugged and tx.charging_state != "SuspendedEVSE":
                tx.set_state("SuspendedEVSE")
                self._event(tx, "Updated", "ChargingStateChanged")

        async def after_allowance() -> None:
            await asyncio.sleep(allowance * 3600 / POWER_W)  # allow-sleep: the energy still allowed at full power
            await self.act(suspend)

        if allowance == 0:
            self.later(suspend)
        else:
            self._spawn(after_allowance())

    # ---- what the CSMS asks (answers now; the work runs after the answer, in order) -------------------------
    def remote_start(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """RequestStartTransaction (F01, F02)."""
        if self.faults.reject_remote_start or ("chargingProfile" in payload
                                               and getattr(self.faults, "reject_charging_profile_start", False)):
            return {"status": "Rejected"}
        evse_id = payload.get("evseId", min(self.evses))
        if evse_id not in self.evses or not self.evses[evse_id].operative:
            return {"status": "Rejected"}
        evse, id_token = self.evses[evse_id], dict(payload["idToken"])
        if evse.tx is not None and evse.tx.id_token is not None:
            return {"status": "Rejected"}
        answer: dict[str, Any] = {"status": "Accepted"}
        if evse.tx is not None:
            answer["transactionId"] = evse.tx.id

        async def start() -> None:
            info: dict[str, Any] | None = {"status": "Accepted"}
            if self.model.flag("AuthCtrlr", "AuthorizeRemoteStart") and not self.faults.skip_remote_authorize:
                info = await self._authorize_remotely(id_token)
            if info is None or info.get("status") != "Accepted":
                self.link.note(f"remote start refused: idToken {id_token.get('idToken')} not accepted")
                return
            self._authorized(evse, id_token, info, "RemoteStart", remote_start_id=payload.get("remoteStartId"))

        self.later(start)
        return answer

    async def _authorize_remotely(self, id_token: dict[str, Any]) -> dict[str, Any] | None:
        answer = await self.link.request("Authorize", {"idToken": id_token})
        info = (answer or {}).get("idTokenInfo")
        if isinstance(info, dict):
            self._learn(id_token, info)
            return dict(info)
        return None

    def remote_stop(self, transaction_id: str) -> dict[str, Any]:
        """RequestStopTransaction (F03)."""
        evse = next((e for e in self.evses.values() if e.tx is not None and e.tx.id == transaction_id), None)
        if evse is None and getattr(self.faults, "accept_unknown_remote_stop", False):
            return {"status": "Accepted"}  # the fault: an unknown transaction "stopped" (nothing happens)
        if evse is None or self.faults.reject_remote_stop:
            return {"status": "Rejected"}
        trigger, reason = ("StopAuthorized", "Local") if self.faults.remote_stop_as_local else ("RemoteStop", "Remote")

        async def stop() -> None:
            if evse.tx is not None and evse.tx.id == transaction_id:
                self._stop_authorized(evse, trigger, reason)

        self.later(stop)
        return {"status": "Accepted"}

    def change_availability(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """ChangeAvailability (G03, G04): at once when idle, Scheduled while a transaction runs on an EVSE it
        covers. The connectors it changes now are reported after the answer, also when their state stays as it
        was (Part 6 G_13 / G_18 expect the report); a station reporting by NotifyEvent also reports the
        station's or the EVSE's own AvailabilityState."""
        target, operative = target_of(dict(payload)), payload["operationalStatus"] == "Operative"
        busy = {e.id for e in self.evses.values() if e.tx is not None}
        status, now = self.availability.change(target, operative, busy)
        if status == "Rejected":
            return {"status": status}
        self.apply_availability()
        event = level_event(target, "Available" if operative else "Unavailable") \
            if self.by_event and status == "Accepted" else None

        async def report() -> None:
            if event is not None:
                await self.link.notify("NotifyEvent", event)
            for key in now:
                self._reported.pop(key, None)  # `act` reports them again, changed or not

        self.later(report)
        return {"status": status}

    def apply_availability(self) -> None:
        """The connectors' and EVSEs' operative flags from the availability levels (after a change or reboot)."""
        for evse in self.evses.values():
            evse.operative = self.availability.evse_operative(evse.id)
            for connector_id, connector in evse.connectors.items():
                connector.operative = self.availability.operative(evse.id, connector_id)

    def _unlocked(self, evse: Evse) -> bool:
        """G05: a plugged cable of the EVSE could not be locked (the fault `charge_without_lock` ignores it)."""
        return any(c.plugged and c.lock_failed for c in evse.connectors.values()) and \
            not getattr(self.faults, "charge_without_lock", False)

    def _lock_refuses(self, evse: Evse) -> bool:
        """G05.FR.01/02: with a cable that cannot be locked the power path stays open; the lock's Problem is
        reported once (NotifyEvent), whether or not charging goes on (fault `charge_without_lock`)."""
        for connector_id, connector in evse.connectors.items():
            if connector.plugged and connector.lock_failed and not connector.lock_reported:
                connector.lock_reported = True
                set_lock_problem(self.model.variables, evse.id, connector_id, True)
                if not getattr(self.faults, "no_lock_failure_event", False):
                    self._spawn(self._notify("NotifyEvent", lock_problem_event(evse.id, connector_id)))
        return self._unlocked(evse)

    async def _notify(self, action: str, payload: dict[str, Any]) -> None:
        await self.link.notify(action, payload)

    def unlock(self, evse_id: int, connector_id: int) -> dict[str, Any]:
        """UnlockConnector (F05)."""
        evse = self.evses.get(evse_id)
        if evse is None or connector_id not in evse.connectors:
            return {"status": "UnlockFailed" if getattr(self.faults, "unlock_unknown_connector", False)
                    else "UnknownConnector"}
        if evse.tx is not None and evse.tx.id_token is not None \
                and not getattr(self.faults, "unlock_during_transaction", False):
            return {"status": "OngoingAuthorizedTransaction"}
        return {"status": "UnlockFailed" if self.faults.unlock_fails else "Unlocked"}

    def running(self, evse_ids: list[int]) -> list[int]:
        """Those of `evse_ids` with a transaction running."""
        return [e for e in evse_ids if e in self.evses and self.evses[e].tx is not None]

    async def triggered(self, evse_ids: list[int]) -> None:
        """TriggerMessage(TransactionEvent) (F06.FR.07): for the transaction of each EVSE an Updated event with
        triggerReason Trigger, its EVSE and the current meter value with context Trigger."""
        periodic = getattr(self.faults, "triggered_event_periodic", False)
        context = "Sample.Periodic" if getattr(self.faults, "triggered_context_periodic", False) else "Trigger"
        for evse_id in evse_ids:
            tx = self.evses[evse_id].tx if evse_id in self.evses else None
            if tx is not None:
                self._event(tx, "Updated", "MeterValuePeriodic" if periodic else "Trigger", context=context,
                            with_evse=True)

    def ongoing(self, transaction_id: str) -> bool:
        return any(e.tx is not None and e.tx.id == transaction_id for e in self.evses.values())

    # ---- timers ----------------------------------------------------------------------------------------------
    def variables_changed(self) -> None:
        """SetVariables changed something: the timers re-read their intervals."""
        self._aligned_changed.set()
        self._sampled_changed.set()

    @staticmethod
    async def _wait_change(changed: asyncio.Event, seconds: float | None) -> bool:
        """Wait `seconds` (None: until a variable changes); whether a variable changed meanwhile."""
        changed.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await changed.wait()
        return changed.is_set()

    async def clock_aligned(self) -> None:
        """J01: on every AlignedDataCtrlr.Interval boundary of the clock, MeterValues with context Sample.Clock for
        the main meter (evseId 0) and one per EVSE, all stamped with that boundary, a sampledValue per measurand of
        AlignedDataCtrlr.Measurands; Interval 0 sends nothing."""
        skip = False
        while True:
            interval = self.model.number("AlignedDataCtrlr", "Interval")
            if interval <= 0:
                await self._wait_change(self._aligned_changed, None)
                continue
            boundary = math.floor(time.time() / interval + 1) * interval
            if await self._wait_change(self._aligned_changed, boundary - time.time()):
                continue  # the interval changed: start over on the new one
            busy = {e.id: e.tx for e in self.evses.values() if e.tx is not None}
            if busy and self.model.flag("AlignedDataCtrlr", "SendDuringIdle") \
                    and not self.faults.aligned_during_transaction:
                continue
            if self.faults.aligned_skip_interval:
                skip = not skip
                if skip:
                    continue  # the fault: every other boundary
            stamp = boundary + interval / 2 if self.faults.aligned_off_boundary else boundary
            for evse_id in (0, *self.evses):
                tx = busy.get(evse_id)
                if tx is not None:
                    await self.act(self._clock_event(tx, stamp))
                    continue
                await self.link.notify("MeterValues", {"evseId": evse_id,
                                                       "meterValue": [self._aligned_value(evse_id, stamp)]})

    def _clock_event(self, tx: Transaction, stamp: float) -> Callable[[], Awaitable[None]]:
        """J01.FR.07: an EVSE with a transaction reports its clock-aligned values in TransactionEvent Updated,
        triggerReason MeterValueClock (while the transaction still runs)."""
        async def send() -> None:
            if self.evses[tx.evse].tx is tx:
                trigger = "MeterValuePeriodic" if self.faults.aligned_tx_wrong_trigger else "MeterValueClock"
                self._event(tx, "Updated", trigger, meter_value=[self._aligned_value(tx.evse, stamp)])
        return send

    def _aligned_value(self, evse_id: int, stamp: float) -> dict[str, Any]:
        """One clock-aligned MeterValue of an EVSE (0: the main meter): a sampledValue per configured measurand."""
        txs = [e.tx for e in self.evses.values() if e.tx is not None and evse_id in (0, e.id)]
        charging = sum(1 for tx in txs if tx.charging_state == "Charging")
        energy = sum(tx.meter() for tx in txs) + (1000.0 if evse_id == 0 else 0.0)
        context = "Sample.Periodic" if self.faults.aligned_wrong_context else "Sample.Clock"
        # the fault aligned_missing_measurand: the first configured measurand is left out
        return self._meter_value(self.model.members("AlignedDataCtrlr", "Measurands"), energy, charging, context,
                                 iso(stamp), signed=self.model.flag("AlignedDataCtrlr", "SignReadings"),
                                 drop_first=self.faults.aligned_missing_measurand)

    async def sampled(self) -> None:
        """E02 / J02: TransactionEvent Updated MeterValuePeriodic every SampledDataCtrlr.TxUpdatedInterval while
        a transaction charges; 0 sends none."""
        skip = False
        while True:
            interval = self.model.number("SampledDataCtrlr", "TxUpdatedInterval")
            if await self._wait_change(self._sampled_changed, interval if interval > 0 else None) or interval <= 0:
                continue

            skip = not skip if self.faults.sampled_skip_interval else False
            if skip:
                continue  # the fault: every other interval

            async def sample() -> None:
                for evse in self.evses.values():
                    tx = evse.tx
                    if tx is not None and tx.charging_state == "Charging":
                        f = self.faults
                        self._event(tx, "Updated", "MeterValueClock" if f.sampled_wrong_trigger else "MeterValuePeriodic",
                                    context="Sample.Clock" if f.sampled_wrong_context else "Sample.Periodic",
                                    signed=self.model.flag("SampledDataCtrlr", "SignReadings"),
                                    drop_first=f.sampled_missing_measurand)

            await self.act(sample)
