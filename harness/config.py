"""Settings of a harness run (pydantic). A leaf: importable everywhere.

Precedence, as pytest-timeout does it: command-line option > environment variable > ini key > default. Secrets
are never stored here in clear: a password field names the environment variable that holds it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from harness.failures import NeedsDecision
from harness.profile import SutProfile, builtin_csms_profile, builtin_station_profile

Strictness = Literal["strict", "compat"]
DecisionMode = Literal["strict", "pragmatic"]

# Spec-silent or policy points (DESIGN.md §5), with the documented default used in pragmatic mode. A check that
# depends on one calls `Settings.policy(key)`; in strict decision mode an unset key ends it as "needs decision".
POLICY_DEFAULTS: dict[str, tuple[Any, str]] = {
    "rpc.reply.malformed_json": (["RpcFrameworkError"],
                                 "CALLERROR code(s) accepted for a message that is not JSON (Part 4 §4.2.3 reading)"),
    "rpc.reply.unknown_message_type": (["MessageTypeNotSupported"],
                                       "answer to an unknown MessageTypeId: §4.1.3 says ignore, §4.4 says CALLERROR "
                                       "MessageTypeNotSupported; list 'silence' to accept no answer"),
    "rpc.reply.not_an_array": (["RpcFrameworkError"],
                               "answer to a frame that is JSON but not an OCPP-J array ({}, \"x\", [2]): Table 8 names "
                               "RpcFrameworkError for a message that is no valid RPC request, with id \"-1\" as its id "
                               "cannot be read; list 'silence' to accept no answer (§4.2.3 allows dropping invalid "
                               "messages, §4.1.7 asks for a CALLERROR)"),
    "rpc.reply.long_message_id": (["answer", "RpcFrameworkError", "ProtocolError", "FormatViolation"],
                                  "what a CALL whose message id is longer than 36 characters may get: 'answer' (an "
                                  "ordinary answer: Part 4 limits the sender, it obliges no receiver to refuse) or "
                                  "these CALLERROR codes; list only codes to require a refusal"),
    "rpc.reply.extra_property": (["FormatViolation", "PropertyConstraintViolation", "OccurrenceConstraintViolation"],
                                 "CALLERROR code(s) accepted for a property the schema does not allow (Part 4 is "
                                 "ambiguous: Table 8 reads on syntax, value and occurrence alike)"),
    "tx.ev_connect_timeout.stopped_reason": (["Timeout"],
                                             "stoppedReason(s) accepted when EVConnectionTimeOut ends an authorized "
                                             "transaction with no EV (the spec leaves how it ends to policy)"),
    "beyond_part6": ("warn",
                     "what a check beyond a case's Part 6 table does when the SUT does not pass it: 'warn' (a "
                     "finding of its own class; the official Test System would pass the case) or 'fail'; a mapping "
                     "{default: warn, <check>: fail} sets it per check"),
    "tx.stop_authorized.one_event": (True,
                                     "reusable state StopAuthorized (errata 2025-04) lists an optional stop event "
                                     "and then ChargingStateChanged/EVConnected: whether one stop event that "
                                     "already reports chargingState EVConnected stands for both"),
    "tls.invalid_server_certificates": ("all", "which invalid CSMS certificates TC_A_05_CS presents, one probe each: "
                                               "'all' or a list of expired, not-yet-valid, unknown-ca, rsa-1024, "
                                               "wrong-cn, sha1-signature (the last two beyond Part 6)"),
    "tls.invalid_client_certificates": ("all", "which invalid station certificates TC_A_08_CSMS presents, one "
                                               "connection each: 'all' or a list of the names above (Part 6 has "
                                               "unknown-ca, expired and wrong-cn; the others are beyond it)"),
    "csms.request_without_manual_action": ("trigger",
                                           "a CSMS table whose CSMS sends a request with no Manual Action (TC_B_42/44_"
                                           "CSMS SetNetworkProfile): 'trigger' asks the CSMS through the control "
                                           "adapter, as an operator would; 'wait' waits <Configured long operation "
                                           "timeout> for the CSMS to send it on its own"),
    "rpc.reply.concurrent_call": (["answer", "CALLERROR"],
                                  "what a peer does with a second CALL sent while the first is unanswered: 'answer' "
                                  "it, 'CALLERROR' it, or 'ignore' it (Part 4 only binds the sender)"),
}


class Timing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default_timeout: float = Field(10.0, gt=0, description="seconds to wait for a message the test expects")
    tolerance: float = Field(4.0, ge=0, description="allowed deviation of measured timings (labs: 4 s)")


class Settings(BaseModel):
    """One run: harness settings plus the two SUT profiles (the built-in simulators' unless a profile is given)."""

    model_config = ConfigDict(extra="forbid")
    strictness: Strictness = "strict"
    decision_mode: DecisionMode = "pragmatic"
    reports_dir: str = "reports"
    pki_dir: str | None = Field(None, description="keep the PKI's authorities here across runs (a lab SUT trusts its "
                                                  "roots once); None: a private directory per run, removed after it")
    after_failure: Literal["idle", "leave"] = Field("idle", description="a station SUT after a case failed half-way: "
                                                                       "brought back to idle, or left as it is")
    cert_profile: str | None = Field(None, description="run only the cases of this certification profile")
    timing: Timing = Field(default_factory=lambda: Timing())
    station: SutProfile = Field(default_factory=builtin_station_profile, description="the Charging Station under test")
    csms: SutProfile = Field(default_factory=builtin_csms_profile, description="the CSMS under test")
    policies: dict[str, Any] = Field(default_factory=dict, description="policy answers for both SUTs (a profile's own "
                                                                       "answers win)")
    worker: str = Field("", description="the pytest-xdist worker this process is (gw0, gw1 …; empty: not "
                                        "distributed): files of its own and, with a pool, the SUT it owns")
    sim_faults: list[str] = Field(default_factory=list, description="fault switches of the built-in simulators")
    sim_variants: list[str] = Field(default_factory=list, description="legal behaviour variants of the built-in "
                                                                      "simulators (StationVariants, CsmsVariants)")
    _defaults_used: set[str] = PrivateAttr(default_factory=set)

    def own(self, path: Path) -> Path:
        """`path` for this process: as it is, or with the worker id in its name under pytest-xdist, so two
        workers never write one file."""
        return path if not self.worker else path.with_name(f"{path.stem}-{self.worker}{path.suffix}")

    @property
    def defaults_used(self) -> set[str]:
        """Policy keys answered by their documented default since the last `clear()` (pragmatic mode)."""
        return self._defaults_used

    def profile_of(self, sut: Literal["CS", "CSMS"]) -> SutProfile:
        return self.station if sut == "CS" else self.csms

    def policy(self, key: str, profile: SutProfile | None = None) -> Any:
        """The answer for a policy key: the SUT profile's, else the run's, else (pragmatic mode) the documented
        default; in strict decision mode an unanswered key raises NeedsDecision."""
        for source in (profile.policies if profile is not None else {}, self.policies):
            if key in source:
                return source[key]
        default, question = POLICY_DEFAULTS[key]
        if self.decision_mode == "strict":
            raise NeedsDecision(key, question)
        self._defaults_used.add(key)
        return default


def secret(env_var: str, fallback: str) -> str:
    """A password from the environment; the built-in simulators fall back to a per-run value."""
    return os.environ.get(env_var) or fallback
