"""The control adapter a SUT profile asks for."""

from __future__ import annotations

from typing import Any

from harness.control.http import HttpControl
from harness.control.interfaces import Journal
from harness.control.prompt import Ask, PromptControl
from harness.control.shell import ShellControl
from harness.control.simulated import SimulatedCsmsControl, SimulatedStationControl
from harness.errors import ConfigError
from harness.profile import SutProfile


def adapter_for(profile: SutProfile, *, journal: Journal | None = None, ask: Ask | None = None,
                simulator: Any = None, url: str | None = None) -> Any:
    """StationControl (station profile) or CsmsControl (CSMS profile). `url` overrides the profile's HTTP URL
    (the built-in simulators' control API listens on a port chosen at start); `simulator` serves `builtin`."""
    control = profile.control
    match control.adapter:
        case "http":
            target = url or control.url
            if not target:
                raise ConfigError(f"SUT profile {profile.name or profile.identity!r}: control.adapter http needs "
                                  "control.url")
            return HttpControl(target, timeout=control.timeout, token_env=control.token_env, journal=journal)
        case "shell":
            return ShellControl(control.command, timeout=control.timeout, journal=journal)
        case "prompt":
            if ask is None:
                raise ConfigError("control.adapter prompt needs a terminal to ask on")
            return PromptControl(ask, timeout=control.timeout, journal=journal)
        case "builtin":
            if simulator is None:
                raise ConfigError("control.adapter builtin needs the built-in simulator (builtin: true)")
            return SimulatedStationControl(simulator) if profile.kind == "station" else SimulatedCsmsControl(simulator)
    raise ConfigError(f"unknown control adapter {control.adapter!r}")
