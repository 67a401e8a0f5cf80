"""CALLERROR error codes of OCPP-J 2.0.1 (Part 4 Table 8) and the 1.6 spellings seen in the field."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    FORMAT_VIOLATION = "FormatViolation"
    GENERIC_ERROR = "GenericError"
    INTERNAL_ERROR = "InternalError"
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"
    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    OCCURRENCE_CONSTRAINT_VIOLATION = "OccurrenceConstraintViolation"
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    PROTOCOL_ERROR = "ProtocolError"
    RPC_FRAMEWORK_ERROR = "RpcFrameworkError"
    SECURITY_ERROR = "SecurityError"
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"


VALID_CODES: frozenset[str] = frozenset(c.value for c in ErrorCode)

# OCPP 1.6 spellings that 2.0.1 implementations still send: a strictness question (DESIGN.md §4).
COMPAT_SPELLINGS: dict[str, str] = {
    "FormationViolation": ErrorCode.FORMAT_VIOLATION.value,
    "OccurenceConstraintViolation": ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION.value,
}


def normalise(code: str) -> str:
    """The 2.0.1 spelling of `code` (1.6 spellings mapped), or `code` unchanged when unknown."""
    return COMPAT_SPELLINGS.get(code, code)
