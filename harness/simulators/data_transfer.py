"""DataTransfer and customData (block P) in both simulators.

Neither simulator implements a vendor extension: a DataTransferRequest gets UnknownVendorId (P01.FR.06,
P02.FR.07), and customData, which every OCPP 2.0.1 message may carry, is accepted and ignored. The fault
switches break exactly that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.ocppj import Call, CallError


def carries_custom_data(value: Any) -> bool:
    """Whether a payload holds a customData object anywhere."""
    if isinstance(value, Mapping):
        return "customData" in value or any(carries_custom_data(v) for v in value.values())
    if isinstance(value, list):
        return any(carries_custom_data(v) for v in value)
    return False


def custom_data_refusal(call: Call, refuse: bool) -> CallError | None:
    """Faults `reject_custom_data` / `csms_reject_custom_data`: a request with customData is refused, as a peer
    with schemas of its own that lack customData would; None otherwise."""
    if not refuse or not carries_custom_data(call.payload):
        return None
    return CallError(call.message_id, "PropertyConstraintViolation",
                     f"{call.action}: customData is not a property this implementation knows", {})


def data_transfer_answer(accept: bool) -> dict[str, Any]:
    """The answer to a DataTransferRequest: no vendor extension is implemented (faults: Accepted anyway)."""
    return {"status": "Accepted" if accept else "UnknownVendorId"}
