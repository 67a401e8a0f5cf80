"""Meter values (block J) in the CSMS simulator: it takes every MeterValues and TransactionEvent with meter values.
The fault switches make it refuse one kind of them with a CALLERROR, as a CSMS that cannot store it would."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from harness.ocppj import Call, CallError


class MeterValueFaults(Protocol):
    csms_reject_clock_values: bool
    csms_reject_periodic_values: bool
    csms_reject_begin_values: bool
    csms_reject_ended_values: bool
    csms_reject_signed_values: bool


def _sampled(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    values = payload.get("meterValue")
    return [s for mv in values if isinstance(mv, Mapping) for s in mv.get("sampledValue") or []
            if isinstance(s, Mapping)] if isinstance(values, list) else []


def meter_value_refusal(call: Call, faults: MeterValueFaults) -> CallError | None:
    """The CALLERROR a fault switch answers a TransactionEvent with; None when it is taken."""
    if call.action != "TransactionEvent":
        return None
    payload = call.payload
    sampled = _sampled(payload)
    contexts = {s.get("context") for s in sampled}
    values = payload.get("meterValue")
    refused = [what for on, what in (
        (faults.csms_reject_clock_values and payload.get("triggerReason") == "MeterValueClock", "clock-aligned values"),
        (faults.csms_reject_periodic_values and payload.get("triggerReason") == "MeterValuePeriodic",
         "periodic values"),
        (faults.csms_reject_begin_values and "Transaction.Begin" in contexts, "Transaction.Begin values"),
        (faults.csms_reject_ended_values and payload.get("eventType") == "Ended" and isinstance(values, list)
         and len(values) > 1, "more than one meterValue in an Ended event"),
        (faults.csms_reject_signed_values and any("signedMeterValue" in s for s in sampled), "signed values"),
    ) if on]
    if not refused:
        return None
    return CallError(call.message_id, "InternalError", f"TransactionEvent with {refused[0]} could not be processed", {})
