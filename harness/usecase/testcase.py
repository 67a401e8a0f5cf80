"""The metadata record of a test case (DESIGN.md §7): one per case, attached by the `testcase` decorator."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from harness.errors import ConfigError
from harness.profile import PicsCondition, SutProfile
from harness.usecase import catalogue

_ID = re.compile(r"^(?:TC_(?P<block>[A-P])_\d{2,3}|(?P<rpc>RPC)_\d{2})_(?P<sut>CS|CSMS)$")
# Part 5's certification profiles, plus the project's own for its OCPP-J framework checks (RPC_nn)
PROFILES = frozenset(catalogue.certification_profiles()) | {"Framework"}
ATTRIBUTE = "__ocpp_testcase__"

F = TypeVar("F", bound=Callable[..., Any])
Severity = Literal["mandatory", "conditional", "framework"]


@dataclass(frozen=True)
class TestCaseMeta:
    __test__ = False  # not a pytest test class

    id: str
    title: str
    usecases: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    severity: Severity = "mandatory"
    pics: str | None = None  # Part 5 condition over the PICS features the SUT profile claims
    notes: str = ""
    security: tuple[int, ...] = (1, 2, 3)  # the security profiles the case applies to (Basic Auth: 1 and 2)
    pics_note: str | None = None  # what Part 5's condition asks beyond `pics` (the catalogue's condition_note)

    @property
    def sut(self) -> Literal["CS", "CSMS"]:
        """Which system is under test: "CS" means the harness plays the CSMS."""
        return "CSMS" if self.id.endswith("_CSMS") else "CS"

    @property
    def block(self) -> str:
        match = _ID.match(self.id)
        assert match is not None
        return match.group("block") or "RPC"


def make_meta(case_id: str, title: str = "", *, usecases: tuple[str, ...] = (), requirements: tuple[str, ...] = (),
              profiles: tuple[str, ...] = ("Core",), severity: Severity | None = None, pics: str | None = None,
              notes: str = "", security: tuple[int, ...] = (1, 2, 3)) -> TestCaseMeta:
    """A checked metadata record (Python `@testcase` and YAML scenarios alike); ConfigError names what is wrong.

    For an OCA id (TC_…) the catalogue is the one source of title, use cases, requirements, certification profiles
    and PICS condition: what the caller passes for them is ignored. Severity defaults to what Part 5 makes of the
    case: mandatory when it is M wherever it is listed with no condition, else conditional. A project id (RPC_…)
    keeps the metadata it is given."""
    match = _ID.match(case_id)
    if not match:
        raise ConfigError(f"test case id {case_id!r} is neither an OCA id (TC_<A-P>_<nn>_<CS|CSMS>) nor a "
                          "project id (RPC_<nn>_<CS|CSMS>)")
    if not security or set(security) - {1, 2, 3}:
        raise ConfigError(f"{case_id}: security profiles {security!r}: give some of 1, 2, 3")
    if match.group("block"):
        known = catalogue.entry(case_id)
        if known is None:
            raise ConfigError(f"{case_id} is not an OCPP 2.0.1 Part 6 test case (not in the catalogue); the project's "
                              "own checks use RPC_<nn>_<CS|CSMS>")
        return TestCaseMeta(case_id, known.title, known.usecases, known.requirements, known.profiles,
                            severity or ("mandatory" if known.mandatory else "conditional"), known.condition, notes,
                            tuple(security), known.condition_note)
    unknown = set(profiles) - PROFILES
    if unknown:
        raise ConfigError(f"{case_id}: unknown certification profile(s) {sorted(unknown)}; known: {sorted(PROFILES)}")
    if pics is not None:
        try:
            PicsCondition(pics)
        except ValueError as exc:
            raise ConfigError(f"{case_id}: {exc}") from None
    severity = severity or ("conditional" if pics else "mandatory")
    return TestCaseMeta(case_id, title, tuple(usecases), tuple(requirements), tuple(profiles), severity, pics, notes,
                        tuple(security))


def testcase(case_id: str, title: str = "", *, usecases: tuple[str, ...] = (), requirements: tuple[str, ...] = (),
             profiles: tuple[str, ...] = ("Core",), severity: Severity | None = None, pics: str | None = None,
             notes: str = "", security: tuple[int, ...] = (1, 2, 3)) -> Callable[[F], F]:
    """Attach a test case's metadata to its test function. OCA ids look like TC_B_01_CS and take their metadata
    from the catalogue (the other arguments are then ignored, except notes, severity and security); the project's
    own checks use RPC_nn_CS / RPC_nn_CSMS and never an OCA-looking id."""
    meta = make_meta(case_id, title, usecases=usecases, requirements=requirements, profiles=profiles,
                     severity=severity, pics=pics, notes=notes, security=security)

    def mark(fn: F) -> F:
        setattr(fn, ATTRIBUTE, meta)
        return fn

    return mark


testcase.__test__ = False  # type: ignore[attr-defined]  # imported into test modules; not a test itself


def meta_of(obj: Any) -> TestCaseMeta | None:
    meta = getattr(obj, ATTRIBUTE, None)
    return meta if isinstance(meta, TestCaseMeta) else None


def not_applicable(meta: TestCaseMeta, profile: SutProfile) -> str | None:
    """Why the case does not apply to the SUT (its PICS condition is false for the profile, or the case is not
    for the SUT's security profile), or None."""
    if profile.security.profile not in meta.security:
        return (f"the SUT uses security profile {profile.security.profile}; this case is for security profile(s) "
                f"{', '.join(map(str, meta.security))}")
    if meta.pics is None:
        return None
    condition = PicsCondition(meta.pics)
    if condition.holds(profile.pics):
        return None
    return condition.explain(profile.pics) + (f" (Part 5 also: {meta.pics_note})" if meta.pics_note else "")
