"""OCPP-J core, sans-I/O: frames, schemas, rules and the RPC session. No asyncio, no sockets (DESIGN.md §3 rule 1)."""

from harness.ocppj.errorcodes import ErrorCode
from harness.ocppj.findings import RULES, Finding, Rule, Severity
from harness.ocppj.frames import Call, CallError, CallResult, Frame, Parsed, parse, serialize
from harness.ocppj.schemas import SchemaStore, SchemaViolation, default_store
from harness.ocppj.session import Inbound, Outbound, RpcSession

__all__ = [
    "RULES",
    "Call",
    "CallError",
    "CallResult",
    "ErrorCode",
    "Finding",
    "Frame",
    "Inbound",
    "Outbound",
    "Parsed",
    "RpcSession",
    "Rule",
    "SchemaStore",
    "SchemaViolation",
    "Severity",
    "default_store",
    "parse",
    "serialize",
]
