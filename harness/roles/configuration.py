"""Part 6 "Configuration State", done the way the tables say: adapt to the station, write only what a case needs,
and put back what was written.

A table's Before step names variables in three ways, and each has its own value type here:
- `X is v`: the case needs it; a station that refuses is a precondition the lab has not met (error, not failure);
- `X is v (If implemented)` → `IfImplemented(v)`: an unknown component or variable is fine, the case goes on;
- `X is v (If implemented AND ReadWrite)` / `If the mutability of X is ReadWrite then …` → `IfWritable(v)`: a
  read-only variable (SetVariables Rejected) keeps the station's own value and the reusable states follow it.
`Contains(member)` asks for a member of a list variable (TxStartPoint contains EVConnected) rather than a value.

Every value is read before it is written, written only when it differs, and restored when the case ends (also
after a failure), so one case's configuration never leaks into the next.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import PreconditionNotMet

Plain = str | int | float | bool


@dataclass(frozen=True)
class Contains:
    """A list variable (MemberList / SequenceList) must contain `member`; its other members stay as they are."""

    member: str


@dataclass(frozen=True)
class IfImplemented:
    """Set when the station has the variable; an unknown component or variable leaves the case as it is."""

    value: Plain | Contains


@dataclass(frozen=True)
class IfWritable:
    """Set when the variable is implemented and ReadWrite; otherwise the station's own value stands."""

    value: Plain | Contains


Wanted = Plain | Contains | IfImplemented | IfWritable
Call = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]  # sends a CALL, returns the CALLRESULT payload
Note = Callable[[str], object]


def text(value: Plain) -> str:
    """How a value goes on the wire (attributeValue is a string; booleans lowercase)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def reference(key: str) -> dict[str, Any]:
    """`Component.Variable`, `Component.Variable[instance]` or `Component[evse].Variable` (EVSE-scoped component,
    e.g. `EVSE[1].AvailabilityState`) as the component / variable of a request."""
    component, _, variable = key.partition(".")
    name, _, instance = variable.partition("[")
    ref: dict[str, Any] = {"component": {"name": component}, "variable": {"name": name}}
    if "[" in component:
        cname, _, evse = component.partition("[")
        ref["component"] = {"name": cname, "evse": {"id": int(evse.rstrip("]"))}}
    if instance:
        ref["variable"]["instance"] = instance.rstrip("]")
    return ref


class StationConfiguration:
    """What one case read from and wrote to the station's device model (SUT = station)."""

    def __init__(self, call: Call, note: Note) -> None:
        self._call = call
        self._note = note
        self.known: dict[str, str | None] = {}  # key -> Actual value read or written (None: not readable)
        self.originals: dict[str, str] = {}  # key -> the value before this case wrote it (restored at the end)

    async def read(self, *keys: str) -> dict[str, str | None]:
        """The Actual values (None where the station does not answer Accepted), read once per case."""
        missing = [k for k in keys if k not in self.known]
        if missing:
            answer = await self._call("GetVariables", {"getVariableData": [reference(k) for k in missing]})
            results = answer.get("getVariableResult") or []
            for key, result in zip(missing, results, strict=False):
                value = result.get("attributeValue") if isinstance(result, Mapping) else None
                accepted = isinstance(result, Mapping) and result.get("attributeStatus") == "Accepted"
                self.known[key] = str(value) if accepted and value is not None else None
            for key in missing[len(results):]:
                self.known[key] = None
        return {k: self.known[k] for k in keys}

    async def members(self, key: str) -> tuple[str, ...]:
        """A list variable's members as the station has it (empty when it cannot be read)."""
        value = (await self.read(key))[key]
        return tuple(m for m in (value or "").split(",") if m)

    async def apply(self, wanted: Mapping[str, Wanted]) -> dict[str, str | None]:
        """Bring the station to `wanted` (see the module docs); the values in force afterwards, per key."""
        current = await self.read(*wanted)
        writes: dict[str, str] = {}
        for key, want in wanted.items():
            target = _target(want, current[key])
            if target is not None and target != current[key]:
                writes[key] = target
        if not writes:
            return current
        answer = await self._call("SetVariables", {"setVariableData": [
            {**reference(k), "attributeValue": v} for k, v in writes.items()]})
        results = answer.get("setVariableResult") or []
        refused: list[str] = []
        for (key, value), result in zip(writes.items(), results, strict=False):
            status = result.get("attributeStatus") if isinstance(result, Mapping) else None
            if status in ("Accepted", "RebootRequired"):
                if key not in self.originals and current[key] is not None:
                    self.originals[key] = str(current[key])
                self.known[key] = value
                if status == "RebootRequired":
                    self._note(f"{key} = {value}: RebootRequired (takes effect after the next reboot)")
                continue
            reason = _reason(result)
            if _tolerated(wanted[key], status):
                self._note(f"{key}: the station keeps its own value {current[key]!r} ({status}{reason}); the case "
                           "follows it, as Part 6 does for a variable that is not implemented or not writable")
            else:
                refused.append(f"{key} = {value}: {status or 'no result'}{reason}")
        if len(results) < len(writes):
            refused += [f"{k}: no setVariableResult" for k in list(writes)[len(results):]]
        if refused:
            raise PreconditionNotMet(
                "the station did not take the configuration this test case starts from: " + "; ".join(refused),
                fix="set these variables on the station by hand (or make them writable), then run the case again")
        return {k: self.known.get(k) for k in wanted}

    async def restore(self) -> list[str]:
        """Put back every value this case changed; what was done or failed, for the report (never raises on the
        station's answer: a cleanup problem never replaces the case's verdict)."""
        if not self.originals:
            return []
        items = list(self.originals.items())
        answer = await self._call("SetVariables", {"setVariableData": [
            {**reference(k), "attributeValue": v} for k, v in items]})
        results = answer.get("setVariableResult") or []
        done = []
        for (key, value), result in zip(items, results, strict=False):
            status = result.get("attributeStatus") if isinstance(result, Mapping) else None
            done.append(f"{key} back to {value!r}: {status}")
            if status in ("Accepted", "RebootRequired"):
                self.known[key] = value
        self.originals.clear()
        return done


def _target(want: Wanted, current: str | None) -> str | None:
    """The value to write for `want`, given the station's current one (None: nothing to write)."""
    if isinstance(want, IfImplemented | IfWritable):
        want = want.value
    if isinstance(want, Contains):
        members = [m for m in (current or "").split(",") if m]
        return None if want.member in members else want.member
    return text(want)


def _tolerated(want: Wanted, status: str | None) -> bool:
    if isinstance(want, IfImplemented):
        return status in ("UnknownComponent", "UnknownVariable", "NotSupportedAttributeType")
    if isinstance(want, IfWritable):
        return status in ("Rejected", "UnknownComponent", "UnknownVariable", "NotSupportedAttributeType")
    return False


def _reason(result: Any) -> str:
    info = result.get("attributeStatusInfo") if isinstance(result, Mapping) else None
    return f", reasonCode {info.get('reasonCode')}" if isinstance(info, Mapping) and info.get("reasonCode") else ""
