"""Matchers for partial payload expectations, and `difference()` for a readable expected-vs-actual.

An expected payload is a dict whose values are literals or matchers; keys not named are not checked. Nested
dicts match partially too; lists match element by element and must have the same length.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any


class Matcher:
    """A value predicate with a description for messages."""

    def matches(self, value: Any) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.describe()


class _Any(Matcher):
    def matches(self, value: Any) -> bool:
        return True

    def describe(self) -> str:
        return "<any>"


class _Absent(Matcher):
    """The key must not be present (checked by `difference`, which knows about keys)."""

    def matches(self, value: Any) -> bool:
        return False

    def describe(self) -> str:
        return "<absent>"


ANY: Matcher = _Any()
ABSENT: Matcher = _Absent()


class Regex(Matcher):
    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def matches(self, value: Any) -> bool:
        return isinstance(value, str) and self.pattern.fullmatch(value) is not None

    def describe(self) -> str:
        return f"<matches /{self.pattern.pattern}/>"


class IsType(Matcher):
    def __init__(self, *types: type) -> None:
        self.types = types

    def matches(self, value: Any) -> bool:
        if isinstance(value, bool) and bool not in self.types:
            return False
        return isinstance(value, self.types)

    def describe(self) -> str:
        return "<" + " or ".join(t.__name__ for t in self.types) + ">"


class OneOf(Matcher):
    def __init__(self, *values: Any) -> None:
        self.values = values

    def matches(self, value: Any) -> bool:
        return any(not difference(v, value) for v in self.values)

    def describe(self) -> str:
        return "<one of " + ", ".join(repr(v) for v in self.values) + ">"


class AbsentOr(Matcher):
    """The key may be absent; when present its value matches `expected` (e.g. stoppedReason Local or omitted)."""

    def __init__(self, expected: Any) -> None:
        self.expected = expected

    def matches(self, value: Any) -> bool:
        return not difference(self.expected, value)

    def describe(self) -> str:
        return f"<absent or {self.expected!r}>"


class AnyItem(Matcher):
    """A list with at least one element matching `expected` partially (e.g. one eventData entry of many)."""

    def __init__(self, expected: Any) -> None:
        self.expected = expected

    def matches(self, value: Any) -> bool:
        return isinstance(value, list) and any(not difference(self.expected, v) for v in value)

    def describe(self) -> str:
        return f"<a list containing {self.expected!r}>"


class Where(Matcher):
    """Any predicate, with a description."""

    def __init__(self, predicate: Any, description: str) -> None:
        self.predicate = predicate
        self.description = description

    def matches(self, value: Any) -> bool:
        try:
            return bool(self.predicate(value))
        except Exception:  # a predicate that cannot judge the value means: no match
            return False

    def describe(self) -> str:
        return f"<{self.description}>"


def parse_datetime(value: Any) -> datetime | None:
    """An RFC 3339 date-time with time zone as an aware datetime, or None."""
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else None


class TimeWithin(Matcher):
    """A date-time within `tolerance` seconds of `reference` (default: now, when matched)."""

    def __init__(self, tolerance: float, reference: datetime | None = None) -> None:
        self.tolerance = tolerance
        self.reference = reference

    def matches(self, value: Any) -> bool:
        dt = parse_datetime(value)
        if dt is None:
            return False
        ref = self.reference or datetime.now(UTC)
        return abs((dt - ref).total_seconds()) <= self.tolerance

    def describe(self) -> str:
        ref = self.reference.isoformat() if self.reference else "now"
        return f"<date-time within {self.tolerance:g} s of {ref}>"


def difference(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Every place where `actual` does not satisfy `expected`, as "path: expected X, got Y"; [] means match."""
    if isinstance(expected, Matcher):
        return [] if expected.matches(actual) else [f"{path}: expected {expected.describe()}, got {actual!r}"]
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{path}: expected an object, got {actual!r}"]
        diffs: list[str] = []
        for key, exp in expected.items():
            sub = f"{path}.{key}"
            if exp is ABSENT:
                if key in actual:
                    diffs.append(f"{sub}: expected absent, got {actual[key]!r}")
            elif key not in actual:
                if isinstance(exp, AbsentOr):
                    continue
                diffs.append(f"{sub}: missing (expected {exp!r})")
            else:
                diffs.extend(difference(exp, actual[key], sub))
        return diffs
    if isinstance(expected, Sequence) and not isinstance(expected, str):
        if not isinstance(actual, Sequence) or isinstance(actual, str):
            return [f"{path}: expected a list, got {actual!r}"]
        if len(expected) != len(actual):
            return [f"{path}: expected {len(expected)} elements, got {len(actual)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for d in difference(e, a, f"{path}[{i}]")]
    if type(expected) is not type(actual) and not (isinstance(expected, (int, float)) and isinstance(actual, (int, float))
                                                   and not isinstance(actual, bool)):
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]
