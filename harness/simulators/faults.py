"""Fault switches both simulators share: how they (mis)answer bad input."""

from __future__ import annotations

from typing import Protocol

from harness.ocppj import CallError
from harness.transcript import Record
from harness.transport.connection import BadInputReply

_OLD_SPELLING = {"FormatViolation": "FormationViolation",
                 "OccurrenceConstraintViolation": "OccurenceConstraintViolation"}


class BadInputFaults(Protocol):
    wrong_error_code: bool
    silent_on_bad_input: bool
    error_code_1_6_spelling: bool


def bad_input_reply(faults: BadInputFaults) -> BadInputReply | None:
    """The CALLERROR filter for a simulator's connections; None when it answers as Part 4 prescribes."""
    if not (faults.wrong_error_code or faults.silent_on_bad_input or faults.error_code_1_6_spelling):
        return None

    def reply(record: Record, error: CallError) -> CallError | None:
        if faults.silent_on_bad_input:
            return None
        if faults.wrong_error_code:
            return CallError(error.message_id, "GenericError", error.error_description, error.error_details)
        code = _OLD_SPELLING.get(error.error_code, error.error_code)
        return CallError(error.message_id, code, error.error_description, error.error_details)

    return reply
