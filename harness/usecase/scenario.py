"""YAML scenarios (DESIGN.md §7): a test case that is a straight sequence, written as data.

A scenario file names its metadata (the same record as `@testcase`), the configuration state, the reusable
states to reach, and the steps. A step does one thing:

    call:    <Action>   payload: {...}   expect: {...}      the harness sends a CALL; the answer must match
    receive: <Action>   match: {...}     respond: {...}     the SUT sends a CALL (registered one step early, so
                                                            the action that causes it cannot outrun it)
    action:  plug-in    params: {...}                       a Part 6 manual action (control adapter)
    trigger: <Action>   payload: {...}                      make the CSMS under test send a CALL (operator)
    state:   <Name>     args: {...}                         a Part 6 reusable state
    absent:  <Action>   match: {...}     within: <s>        the SUT must not send this during the window

`${tokens.valid.idToken}`, `${configured.heartbeat_interval}` and `${identity}` are filled in from the SUT
profile; the strings "<any>" and "<absent>" are the ANY / ABSENT matchers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.errors import ConfigError
from harness.matchers import ABSENT, ANY, AbsentOr
from harness.profile import IdToken
from harness.roles.csms import CsmsRole
from harness.roles.station import StationRole
from harness.usecase.states import STATES
from harness.usecase.testcase import PROFILES, TestCaseMeta, make_meta

_KINDS = ("call", "receive", "action", "trigger", "state", "absent")
_VAR = re.compile(r"\$\{([a-z_][a-z0-9_.]*)\}", re.IGNORECASE)


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: str = Field("", description="the Part 6 step text, shown in the report")
    call: str | None = None
    receive: str | None = None
    action: Literal["power-cycle", "plug-in", "unplug", "present-id-token", "fault", "suspend-ev",
                    "resume-ev", "restore-network-profile"] | None = None
    trigger: str | None = None
    state: str | None = None
    absent: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict, description="call / trigger: the request")
    expect: dict[str, Any] | None = Field(None, description="call: the answer must match (partially)")
    match: dict[str, Any] | None = Field(None, description="receive / absent: the request must match")
    respond: dict[str, Any] | None = Field(None, description="receive: the harness's answer")
    params: dict[str, Any] = Field(default_factory=dict, description="action: evseId, connectorId, token …")
    args: dict[str, Any] = Field(default_factory=dict, description="state: keyword arguments")
    within: float | None = Field(None, gt=0, description="seconds to wait (default: the run's timeout)")

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in _KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a step does exactly one of {', '.join(_KINDS)}; this one has "
                             f"{', '.join(kinds) or 'none'}")
        if self.state is not None and self.state not in STATES:
            raise ValueError(f"unknown reusable state {self.state!r}; known: {', '.join(STATES)}")
        if self.absent is not None and self.within is None:
            raise ValueError("an `absent` step needs `within` (how long to watch)")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in _KINDS if getattr(self, k) is not None)


class Scenario(BaseModel):
    """One YAML test case."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    usecases: list[str] = Field(default_factory=list)
    requirements: list[str] = Field(default_factory=list)
    profiles: list[str] = Field(default_factory=lambda: ["Core"], description=f"of {sorted(PROFILES)}")
    severity: Literal["mandatory", "conditional", "framework"] | None = None  # None: conditional when pics is set
    pics: str | None = Field(None, description="Part 5 condition, e.g. C-01 AND NOT C-02")
    notes: str = ""
    configure: dict[str, str | int | bool] = Field(default_factory=dict, description="configuration state "
                                                   "(station SUT): Component.Variable[instance]: value")
    states: list[str] = Field(default_factory=list, description="reusable states reached before the steps")
    steps: list[Step] = Field(min_length=1)
    source: str = Field("", exclude=True, description="set by the loader: file")

    @model_validator(mode="after")
    def _valid(self) -> Scenario:
        unknown = [s for s in self.states if s not in STATES]
        if unknown:
            raise ValueError(f"unknown reusable state(s) {unknown}; known: {', '.join(STATES)}")
        self.meta  # noqa: B018  # the metadata rules of @testcase (id, profiles, PICS) apply as they are
        return self

    @property
    def meta(self) -> TestCaseMeta:
        try:
            return make_meta(self.id, self.title, usecases=tuple(self.usecases), requirements=tuple(self.requirements),
                             profiles=tuple(self.profiles), severity=self.severity, pics=self.pics, notes=self.notes)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None


def scenario_json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["title"] = "OCPP 2.0.1 conformance harness: YAML scenario"
    schema["properties"].pop("source", None)
    return schema


# ---- running ---------------------------------------------------------------------------------------------------
Role = CsmsRole | StationRole


def _resolve(value: Any, conv: Role) -> Any:
    """Fill `${...}` from the SUT profile; turn "<any>" / "<absent>" / "<absent or X>" into matchers."""
    if isinstance(value, dict):
        return {k: _resolve(v, conv) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, conv) for v in value]
    if not isinstance(value, str):
        return value
    if value == "<any>":
        return ANY
    if value == "<absent>":
        return ABSENT
    if value.startswith("<absent or ") and value.endswith(">"):
        return AbsentOr(value[len("<absent or "):-1])
    whole = _VAR.fullmatch(value)
    if whole:
        return _lookup(whole.group(1), conv)
    return _VAR.sub(lambda m: str(_lookup(m.group(1), conv)), value)


def _lookup(path: str, conv: Role) -> Any:
    head, *rest = path.split(".")
    roots: dict[str, Any] = {"tokens": conv.tokens, "configured": conv.configured, "identity": conv.identity,
                             "timing": conv.settings.timing}
    if head not in roots:
        raise ConfigError(f"${{{path}}}: unknown name {head!r}; use tokens, configured, identity or timing")
    value = roots[head]
    for part in rest:
        if isinstance(value, IdToken) and part in ("idToken", "groupIdToken"):
            part = {"idToken": "id_token", "groupIdToken": "group_id_token"}[part]
        if isinstance(value, dict):
            value = value.get(part)
        elif hasattr(value, part):
            value = getattr(value, part)
        else:
            raise ConfigError(f"${{{path}}}: {part!r} is not there")
    return value


async def run_scenario(scenario: Scenario, conv: Role, sut: Any) -> None:
    """Run a scenario's configuration state, reusable states and steps against the SUT."""
    if scenario.configure:
        if not isinstance(conv, CsmsRole):
            raise ConfigError(f"{scenario.source}: `configure` sets a station's variables; this SUT is a CSMS")
        await conv.configure(scenario.configure)
    for name in scenario.states:
        await STATES[name](conv, sut)
    pending: dict[int, Any] = {}
    for index, step in enumerate(scenario.steps):
        # register what the SUT will send (this step and the receive steps right after it) before causing it
        for later in range(index, len(scenario.steps)):
            if scenario.steps[later].receive is None:
                if later == index:  # this step causes what the next ones receive
                    continue
                break
            if later not in pending:
                pending[later] = _expect(scenario.steps[later], conv)
        with conv.step(step.step or f"{step.kind} {getattr(step, step.kind)}"):
            await _run_step(step, conv, sut, pending.pop(index, None))


def _expect(step: Step, conv: Role) -> Any:
    assert step.receive is not None
    match = _resolve(step.match, conv) if step.match is not None else None
    respond = _resolve(step.respond, conv) if step.respond is not None else None
    return conv.expect(step.receive, match, respond=respond)


async def _run_step(step: Step, conv: Role, sut: Any, expectation: Any) -> None:
    within = step.within
    if step.call is not None:
        await conv.call_ok(step.call, _resolve(step.payload, conv),
                           _resolve(step.expect, conv) if step.expect is not None else None, within=within)
    elif step.receive is not None:
        await conv.received(expectation, within)
    elif step.absent is not None:
        assert within is not None
        await conv.expect_none(step.absent, _resolve(step.match, conv) if step.match is not None else None,
                               within=within, reason=step.step or f"{step.absent} must not be sent")
    elif step.trigger is not None:
        await sut.trigger(conv.identity, step.trigger, _resolve(step.payload, conv))
    elif step.state is not None:
        await STATES[step.state](conv, sut, **_resolve(step.args, conv))
    elif step.action is not None:
        await _action(step.action, _resolve(step.params, conv), sut)


async def _action(action: str, params: dict[str, Any], sut: Any) -> None:
    evse, connector = int(params.get("evseId", 1)), int(params.get("connectorId", 1))
    match action:
        case "power-cycle":
            await sut.power_cycle()
        case "plug-in":
            await sut.plug_in(evse, connector)
        case "unplug":
            await sut.unplug(evse, connector)
        case "present-id-token":
            token = params.get("token")
            if not isinstance(token, IdToken):
                raise ConfigError("present-id-token needs params.token: ${tokens.<name>}")
            await sut.present_token(token, params.get("evseId"))
        case "fault":
            await sut.set_fault(evse, connector, bool(params.get("faulted", True)))
        case "suspend-ev":
            await sut.suspend_ev(evse)
        case "resume-ev":
            await sut.resume_ev(evse)
        case "restore-network-profile":
            await sut.restore_network_profile()


def scenario_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())
