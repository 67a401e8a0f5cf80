"""Legal but unusual content both simulators can add to what they send (their variants, not faults): customData
on every payload (every OCPP 2.0.1 message schema allows it at the root) and statusInfo beside an Accepted status
(where the response's schema has it). The verdict-accuracy corpus (tests/verdict_corpus.py) proves that the harness
passes a SUT that sends them."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from harness.ocppj.schemas import schema_dir
from harness.transport.connection import Shape

# CustomDataType: vendorId is its only (required) property; any other property is allowed (additionalProperties).
CUSTOM_DATA: dict[str, Any] = {"vendorId": "org.openocpp.harness.sim", "legalExtra": "customData on every payload"}
STATUS_INFO: dict[str, Any] = {"reasonCode": "NoError", "additionalInfo": "statusInfo on every Accepted answer"}


@cache
def _root_properties(name: str) -> frozenset[str]:
    path = schema_dir() / f"{name}.json"
    if not path.exists():
        return frozenset()
    return frozenset(json.loads(path.read_text(encoding="utf-8")).get("properties", {}))


def shaper(*, custom_data: bool, status_info: bool) -> Shape | None:
    """The payload filter for a simulator's connections; None when it adds nothing."""
    if not (custom_data or status_info):
        return None

    def shape(action: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        properties = _root_properties(f"{action}{kind}")
        if custom_data and "customData" in properties and "customData" not in payload:
            payload["customData"] = dict(CUSTOM_DATA)
        if (status_info and kind == "Response" and payload.get("status") == "Accepted" and "statusInfo" in properties
                and "statusInfo" not in payload):
            payload["statusInfo"] = dict(STATUS_INFO)
        return payload

    return shape
