"""The station simulator's local authorization data: the Authorization Cache (C10-C12) and the Local
Authorization List (D01-D02). Pure data, no I/O: the station decides when to look here (AuthCtrlr rules)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str]  # (idToken, type)


def key_of(id_token: Mapping[str, Any]) -> Key:
    return str(id_token.get("idToken", "")), str(id_token.get("type", ""))


@dataclass
class LocalAuthorization:
    """What the station knows of tokens without asking the CSMS."""

    cache: dict[Key, dict[str, Any]] = field(default_factory=dict)  # token -> last IdTokenInfo from the CSMS
    local_list: dict[Key, dict[str, Any]] = field(default_factory=dict)  # token -> IdTokenInfo of the list
    list_version: int = 0
    cached_at: dict[Key, float] = field(default_factory=dict)  # token -> monotonic time its cache entry was stored

    def remember(self, id_token: Mapping[str, Any], info: Mapping[str, Any]) -> None:
        """C10: every IdTokenInfo the CSMS sends updates the cache."""
        self.cache[key_of(id_token)] = dict(info)
        self.cached_at[key_of(id_token)] = time.monotonic()

    def clear_cache(self) -> None:
        self.cache.clear()
        self.cached_at.clear()

    def lookup(self, id_token: Mapping[str, Any], *, use_list: bool, use_cache: bool,
               lifetime: float | None = None) -> dict[str, Any] | None:
        """The IdTokenInfo known locally: the Local Authorization List first (C13: it takes precedence), then the
        cache (an entry older than `lifetime` seconds, AuthCacheCtrlr.LifeTime, is gone: C10.FR.08); None when
        neither has the token."""
        key = key_of(id_token)
        if use_list and key in self.local_list:
            return self.local_list[key]
        if use_cache and key in self.cache:
            if lifetime is not None and time.monotonic() - self.cached_at.get(key, 0.0) > lifetime:
                del self.cache[key]
                return None
            return self.cache[key]
        return None

    def send_local_list(self, payload: Mapping[str, Any], *, check_version: bool = True,
                        keep_version: bool = True) -> str:
        """SendLocalList (D01 Full, D01 Differential): the status of the SendLocalListResponse. The switches are
        the simulator's faults: no VersionMismatch for an old differential update, its version not kept."""
        version = int(payload["versionNumber"])
        entries: list[dict[str, Any]] = payload.get("localAuthorizationList") or []
        if payload["updateType"] == "Full":  # D01.FR.04: no entries empties the list
            self.local_list = {key_of(e["idToken"]): e["idTokenInfo"] for e in entries if "idTokenInfo" in e}
        else:
            if check_version and version <= self.list_version:
                return "VersionMismatch"  # D01.FR.19: a differential update must be newer than what we hold
            for entry in entries:
                if "idTokenInfo" in entry:
                    self.local_list[key_of(entry["idToken"])] = entry["idTokenInfo"]
                else:  # D01.FR.17: an entry without idTokenInfo is removed
                    self.local_list.pop(key_of(entry["idToken"]), None)
        if keep_version:
            self.list_version = version
        return "Accepted"

    def forget_local_list(self) -> None:
        """A station that keeps its list in volatile memory, after a reboot (the fault D01.FR.10 forbids)."""
        self.local_list.clear()
        self.list_version = 0
