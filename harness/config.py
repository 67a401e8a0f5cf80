"""Settings of a harness run (pydantic). A leaf: importable everywhere.

Precedence, as pytest-timeout does it: command-line option > environment variable > ini key > default. Secrets
are never stored here in clear: a password field names the environment variable that holds it.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from harness.failures import NeedsDecision

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
    "rpc.reply.long_message_id": (["RpcFrameworkError", "ProtocolError", "FormatViolation"],
                                  "CALLERROR code(s) accepted for a message id longer than 36 characters"),
    "rpc.reply.extra_property": (["FormatViolation", "PropertyConstraintViolation"],
                                 "CALLERROR code(s) accepted for a property the schema does not allow (Part 4 is "
                                 "ambiguous)"),
    "rpc.reply.concurrent_call": (["answer", "CALLERROR"],
                                  "what a peer does with a second CALL sent while the first is unanswered: 'answer' "
                                  "it, 'CALLERROR' it, or 'ignore' it (Part 4 only binds the sender)"),
}


class Timing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default_timeout: float = Field(10.0, gt=0, description="seconds to wait for a message the test expects")
    tolerance: float = Field(4.0, ge=0, description="allowed deviation of measured timings (labs: 4 s)")
    heartbeat_interval: int = Field(10, gt=0, description="interval the harness CSMS gives in BootNotification")
    boot_retry_interval: int = Field(2, gt=0, description="interval the harness CSMS gives with Pending/Rejected")


class StationSut(BaseModel):
    """The Charging Station under test (the harness plays the CSMS toward it)."""

    model_config = ConfigDict(extra="forbid")
    builtin: bool = True
    identity: str = "SIM-CS-001"
    password_env: str = "OCPP_STATION_PASSWORD"
    evses: list[int] = Field(default_factory=lambda: [1, 1], description="connectors per EVSE, EVSE ids from 1")
    host: str = "127.0.0.1"
    port: int = 0  # where the harness CSMS listens; 0 picks a free port


class CsmsSut(BaseModel):
    """The CSMS under test (the harness plays a Charging Station toward it)."""

    model_config = ConfigDict(extra="forbid")
    builtin: bool = True
    url: str = ""  # e.g. ws://127.0.0.1:9000/ocpp ; the identity is appended
    identity: str = "HARNESS-CS-001"
    password_env: str = "OCPP_HARNESS_STATION_PASSWORD"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    strictness: Strictness = "strict"
    decision_mode: DecisionMode = "pragmatic"
    reports_dir: str = "reports"
    timing: Timing = Field(default_factory=lambda: Timing())
    station: StationSut = Field(default_factory=lambda: StationSut())
    csms: CsmsSut = Field(default_factory=lambda: CsmsSut())
    policies: dict[str, Any] = Field(default_factory=dict)
    sim_faults: list[str] = Field(default_factory=list, description="fault switches of the built-in simulators")
    _used: set[str] = PrivateAttr(default_factory=set)

    @property
    def policies_used(self) -> set[str]:
        return self._used

    def policy(self, key: str) -> Any:
        """The profile's answer for a policy key; the documented default in pragmatic mode; else NeedsDecision."""
        self._used.add(key)
        if key in self.policies:
            return self.policies[key]
        default, question = POLICY_DEFAULTS[key]
        if self.decision_mode == "strict":
            raise NeedsDecision(key, question)
        return default

    def policy_is_default(self, key: str) -> bool:
        return key not in self.policies


def secret(env_var: str, fallback: str) -> str:
    """A password from the environment; the built-in simulators fall back to a per-run value."""
    return os.environ.get(env_var) or fallback
