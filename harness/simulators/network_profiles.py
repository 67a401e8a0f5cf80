"""The station simulator's network connection profiles (B09, B10, A05): configuration slots set by
SetNetworkProfile, the order OCPPCommCtrlr.NetworkConfigurationPriority gives them, and the profile each connection
attempt uses. Pure data and rules: the station simulator connects.

    SetNetworkProfile          ->  refuse_profile(...)  (None: store it with `store`)
    SetVariables priority      ->  refuse_priority(...) (None: the model keeps the value; `priority` is read back)
    a reboot                   ->  rebooted()           (B10.FR.04: begin with the first entry)
    a failed connection        ->  failed(attempts)     (after NetworkProfileConnectionAttempts: the next entry)
    an open connection         ->  opened()
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

SLOTS = (1, 2, 3)  # the configuration slots of the simulator (the valuesList of NetworkConfigurationPriority)


@dataclass(frozen=True)
class NetworkProfile:
    """One NetworkConnectionProfileType, as far as a WebSocket station uses it."""

    url: str  # ocppCsmsUrl: the base URL, the identity is appended (RPC-02)
    security_profile: int
    message_timeout: int = 30
    interface: str = "Wired0"

    @classmethod
    def of(cls, data: dict[str, Any]) -> NetworkProfile:
        return cls(str(data["ocppCsmsUrl"]), int(data["securityProfile"]), int(data.get("messageTimeout", 30)),
                   str(data.get("ocppInterface", "Wired0")))


@dataclass
class Checks:
    """What the station has installed, and the fault switches that skip a check."""

    current: int  # the security profile of the connection in use
    has_root: bool  # a CSMSRootCertificate is installed (A05.FR.02)
    has_station_certificate: bool  # a ChargingStationCertificate is installed (A05.FR.03)
    allow_downgrade: bool = False  # fault accept_downgrade
    skip_root_check: bool = False  # fault upgrade_without_root


def refuse_security(security: int, checks: Checks) -> str | None:
    """Why a profile of `security` may not be used, or None."""
    if security < checks.current and not checks.allow_downgrade:
        return f"security profile {security} is lower than the current {checks.current} (no downgrade over OCPP)"
    if security >= 2 and not checks.has_root and not checks.skip_root_check:
        return f"security profile {security} needs a CSMSRootCertificate; none is installed (A05.FR.02)"
    if security == 3 and not checks.has_station_certificate:
        return "security profile 3 needs a ChargingStationCertificate; none is installed (A05.FR.03)"
    return None


@dataclass
class NetworkProfiles:
    """The slots, the priority list and where the connection attempts stand."""

    initial: NetworkProfile
    slots: dict[int, NetworkProfile] = field(default_factory=dict)
    priority: list[int] = field(default_factory=lambda: [1])
    keep_active: bool = False  # fault ignore_network_priority: a reboot does not go back to the first entry
    keep_lower: bool = False  # fault keep_lower_profile_slot: the old slot stays in the priority after an upgrade
    hidden_fallback: bool = False  # fault fallback_to_lower_profile: drops it from the reported priority only
    no_fallback: bool = False  # fault no_network_fallback: stays with the first entry whatever fails
    active: int = 1  # the slot of the connection in use (or attempted)
    reported: list[int] | None = None  # the priority the station reports, when it differs from `priority`
    _failures: int = 0

    def __post_init__(self) -> None:
        self.slots.setdefault(1, self.initial)

    @property
    def target(self) -> NetworkProfile:
        """The profile of the next connection attempt."""
        return self.slots[self.active]

    def refuse_profile(self, slot: int, data: dict[str, Any], checks: Checks) -> str | None:
        """Why a SetNetworkProfile is Rejected (B09.FR.02), or None when it may be stored."""
        if slot not in SLOTS:
            return f"configurationSlot {slot} is not one of {SLOTS}"
        if data.get("ocppTransport") != "JSON":
            return f"ocppTransport {data.get('ocppTransport')!r}: only JSON is supported"
        if not str(data.get("ocppCsmsUrl", "")).startswith(("ws://", "wss://")):
            return "ocppCsmsUrl is not a ws:// or wss:// URL"
        if slot == self.active:
            return f"configurationSlot {slot} holds the profile in use"
        # the station certificate is checked when NetworkConfigurationPriority names the slot (A05.FR.03): Part 6
        # TC_A_21_CS has SetNetworkProfile Accepted, the priority Rejected
        return refuse_security(int(data["securityProfile"]), replace(checks, has_station_certificate=True))

    @staticmethod
    def reason_code(reason: str) -> str:
        """The statusInfo reasonCode of a refusal (Part 2 errata 2025-01 B09.FR.02/04/05): the slot, a downgrade,
        or content the station cannot use (a missing certificate among it)."""
        if reason.startswith("configurationSlot"):
            return "InvalidConfSlot"
        if "lower than the current" in reason:
            return "NoSecurityDowngrade"
        return "InvalidNetworkConf"

    def store(self, slot: int, data: dict[str, Any]) -> None:
        self.slots[slot] = NetworkProfile.of(data)

    def refuse_priority(self, value: str, checks: Checks) -> str | None:
        """Why a NetworkConfigurationPriority value is Rejected (A05.FR.02/03, no downgrade), or None."""
        try:
            order = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            return f"{value!r} is not a comma separated list of slots"
        missing = [slot for slot in order if slot not in self.slots]
        if missing:
            return f"slot(s) {missing} hold no network connection profile"
        for slot in order:
            reason = refuse_security(self.slots[slot].security_profile, checks)
            if reason is not None:
                return f"slot {slot}: {reason}"
        return None

    def set_priority(self, value: str) -> None:
        self.priority = [int(part) for part in value.split(",") if part.strip()] or [1]
        self.reported = None

    def rebooted(self) -> None:
        """B10.FR.04 / A05.FR.05: after a reboot the station begins with the first entry of the priority list."""
        self._failures = 0
        if not self.keep_active:
            self.active = self.priority[0]

    def failed(self, attempts: int) -> None:
        """One failed attempt; after `attempts` of them the next entry of the priority list (B10 fallback)."""
        self._failures += 1
        if self._failures >= attempts and len(self.priority) > 1 and not self.no_fallback:
            position = self.priority.index(self.active) if self.active in self.priority else -1
            self.active = self.priority[(position + 1) % len(self.priority)]
            self._failures = 0

    def opened(self) -> None:
        """A connection opened with the active slot's profile. A05.FR.06: once connected at a higher security
        profile, the slots of lower profiles leave NetworkConfigurationPriority (no way back over OCPP)."""
        self._failures = 0
        level = self.target.security_profile
        kept = [slot for slot in self.priority if slot not in self.slots or self.slots[slot].security_profile >= level]
        if kept == self.priority or self.keep_lower:
            return
        if self.hidden_fallback:
            self.reported = kept  # reports the pruned list, still falls back to the old slot
        else:
            self.priority = kept

    @property
    def priority_value(self) -> str:
        """NetworkConfigurationPriority as the station reports it."""
        return ",".join(str(slot) for slot in (self.reported if self.reported is not None else self.priority))

    def restore(self) -> None:
        """Back to the profile the station was installed with (the lab restores it; OCPP cannot downgrade)."""
        self.slots = {1: self.initial}
        self.priority = [1]
        self.reported = None
        self.active = 1
        self._failures = 0
