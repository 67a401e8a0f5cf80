"""Fault switches both simulators share: how they (mis)answer bad input."""

from __future__ import annotations

from typing import Any, Protocol, cast

from harness.ocppj import CallError
from harness.transcript import Record
from harness.transport.connection import BadInputReply

_OLD_SPELLING = {"FormatViolation": "FormationViolation",
                 "OccurrenceConstraintViolation": "OccurenceConstraintViolation"}


class BadInputFaults(Protocol):
    wrong_error_code: bool
    silent_on_bad_input: bool
    error_code_1_6_spelling: bool
    error_details_as_string: bool
    minus_one_for_readable_id: bool


def bad_input_reply(faults: BadInputFaults) -> BadInputReply | None:
    """The CALLERROR filter for a simulator's connections; None when it answers as Part 4 prescribes."""
    if not (faults.wrong_error_code or faults.silent_on_bad_input or faults.error_code_1_6_spelling
            or faults.error_details_as_string or faults.minus_one_for_readable_id):
        return None

    def reply(record: Record, error: CallError) -> CallError | None:
        if faults.silent_on_bad_input:
            return None
        message_id = "-1" if faults.minus_one_for_readable_id else error.message_id
        # the right code, but errorDetails a string: the CALLERROR breaks RPC-07 (the cast is the fault)
        details = cast(dict[str, Any], "see description") if faults.error_details_as_string else error.error_details
        if faults.wrong_error_code:
            return CallError(message_id, "GenericError", error.error_description, details)
        code = _OLD_SPELLING.get(error.error_code, error.error_code) if faults.error_code_1_6_spelling \
            else error.error_code
        return CallError(message_id, code, error.error_description, details)

    return reply
