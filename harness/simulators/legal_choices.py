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
def _schema(name: str) -> dict[str, Any]:
    path = schema_dir() / f"{name}.json"
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8-sig")))


def _root_properties(name: str) -> frozenset[str]:
    return frozenset(_schema(name).get("properties", {}))


def required_only(value: Any, schema: dict[str, Any], definitions: dict[str, Any]) -> Any:
    """`value` with every property its schema does not require left out, at every depth (the `$ref`s of the OCPP
    schemas followed): the leanest answer the schema allows."""
    if "$ref" in schema:
        schema = definitions.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if isinstance(value, dict):
        required, properties = set(schema.get("required", ())), schema.get("properties", {})
        return {k: required_only(v, properties.get(k, {}), definitions) for k, v in value.items() if k in required}
    if isinstance(value, list):
        return [required_only(item, schema.get("items", {}), definitions) for item in value]
    return value


def shaper(*, custom_data: bool, status_info: bool, minimal: bool = False) -> Shape | None:
    """The payload filter for a simulator's connections; None when it adds nothing. `minimal`: every answer with
    only the fields its schema requires (a case must not index an optional field it did not check for)."""
    if not (custom_data or status_info or minimal):
        return None

    def shape(action: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        if minimal and kind == "Response":
            schema = _schema(f"{action}{kind}")
            return dict(required_only(payload, schema, schema.get("definitions", {})))
        properties = _root_properties(f"{action}{kind}")
        if custom_data and "customData" in properties and "customData" not in payload:
            payload["customData"] = dict(CUSTOM_DATA)
        if (status_info and kind == "Response" and payload.get("status") == "Accepted" and "statusInfo" in properties
                and "statusInfo" not in payload):
            payload["statusInfo"] = dict(STATUS_INFO)
        return payload

    return shape
