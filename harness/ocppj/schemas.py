"""The official OCPP 2.0.1 JSON schemas, read unmodified from the installed PyPI package `ocpp`.

The files are checked against a sha256 manifest (`schemas/ocpp-2.0.1.sha256` at the top of the repository) so a
changed dependency is noticed, and compiled once per process with `date-time` really enforced. jsonschema-rs was
chosen by measurement (scripts/bench_monitor.py): it is the fastest of the three candidates and, unlike plain
jsonschema, rejects "yesterday" and timestamps without a time zone as `date-time`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jsonschema_rs

from harness.errors import SchemaStoreError
from harness.ocppj.errorcodes import ErrorCode

Kind = Literal["Request", "Response"]

# JSON Schema keyword (jsonschema-rs error kind) → the CALLERROR code Part 4 Table 8 prescribes for it.
_KEYWORD_CODES: dict[str, ErrorCode] = {
    "Required": ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
    "MinItems": ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
    "MaxItems": ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
    "Type": ErrorCode.TYPE_CONSTRAINT_VIOLATION,
    "AdditionalProperties": ErrorCode.FORMAT_VIOLATION,
}


@dataclass(frozen=True)
class SchemaViolation:
    path: str  # JSON path into the payload, e.g. "$.chargingStation.model"
    message: str
    keyword: str  # jsonschema keyword that failed (Required, Type, Enum, MaxLength, Format, ...)

    @property
    def error_code(self) -> ErrorCode:
        return _KEYWORD_CODES.get(self.keyword, ErrorCode.PROPERTY_CONSTRAINT_VIOLATION)


def _json_path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def schema_dir() -> Path:
    """Where the installed `ocpp` package keeps its OCPP 2.0.1 schema files."""
    try:
        return Path(str(resources.files("ocpp") / "v201" / "schemas"))
    except ModuleNotFoundError as exc:
        raise SchemaStoreError("the PyPI package 'ocpp' (which ships the official schemas) is not installed") from exc


def manifest_lines(directory: Path) -> list[str]:
    """`sha256  name` for each schema file, sorted: the manifest format of `schemas/ocpp-2.0.1.sha256`."""
    return [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}" for p in sorted(directory.glob("*.json"))]


class SchemaStore:
    """Compiled validators for every OCPP 2.0.1 action, by (action, Request|Response)."""

    def __init__(self, directory: Path | None = None, manifest: Path | None = None,
                 extensions: Path | None = None) -> None:
        self.directory = directory or schema_dir()
        if not self.directory.is_dir():
            raise SchemaStoreError(f"schema directory {self.directory} does not exist")
        if manifest is not None:
            self._check_manifest(manifest)
        self._validators: dict[tuple[str, str], Any] = {}
        for path in sorted(self.directory.glob("*.json")):
            name = path.stem
            for kind in ("Request", "Response"):
                if name.endswith(kind):
                    # The OCA files start with a UTF-8 byte order mark.
                    schema = json.loads(path.read_text(encoding="utf-8-sig"))
                    self._validators[(name[: -len(kind)], kind)] = jsonschema_rs.Draft6Validator(
                        schema, validate_formats=True)
        if extensions is not None and extensions.is_dir():
            for path in sorted(extensions.glob("*.json")):
                # Vendor extension schemas: `<Action>Request.json` / `<Action>Response.json` beside the manifest.
                for kind in ("Request", "Response"):
                    if path.stem.endswith(kind):
                        schema = json.loads(path.read_text(encoding="utf-8-sig"))
                        self._validators[(path.stem[: -len(kind)], kind)] = jsonschema_rs.validator_for(
                            schema, validate_formats=True)
        self.actions: frozenset[str] = frozenset(a for a, _ in self._validators)
        if len(self.actions) < 60:
            raise SchemaStoreError(f"only {len(self.actions)} actions found in {self.directory}; expected 64")

    def _check_manifest(self, manifest: Path) -> None:
        if not manifest.is_file():
            raise SchemaStoreError(f"schema manifest {manifest} is missing")
        expected = [ln.strip() for ln in manifest.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        actual = manifest_lines(self.directory)
        if expected != actual:
            diff = sorted(set(expected).symmetric_difference(actual))[:6]
            raise SchemaStoreError(
                f"the schemas in {self.directory} differ from the manifest {manifest}: {diff}. "
                "A changed 'ocpp' dependency changed the official schemas; review, then regenerate the manifest "
                "with `python -m harness.ocppj.schemas > schemas/ocpp-2.0.1.sha256`.")

    def knows(self, action: str) -> bool:
        return action in self.actions

    def validate(self, action: str, kind: Kind, payload: Any) -> list[SchemaViolation]:
        """Every violation of the payload against the action's schema; [] when valid or the action is unknown."""
        validator = self._validators.get((action, kind))
        if validator is None:
            return []
        try:
            if validator.is_valid(payload):  # the common case, without building error objects
                return []
            return [SchemaViolation(_json_path(e.instance_path), e.message, type(e.kind).__name__.removeprefix(
                "ValidationErrorKind_")) for e in validator.iter_errors(payload)]
        except (ValueError, RecursionError) as exc:  # jsonschema-rs: "Recursion limit reached" on deep nesting
            return [SchemaViolation("$", f"payload cannot be validated: {exc}", "AdditionalProperties")]


@cache
def default_store(manifest: Path | None = None) -> SchemaStore:
    """One compiled store per process (compiling all 128 schemas takes a few milliseconds)."""
    return SchemaStore(manifest=manifest)


if __name__ == "__main__":  # regenerate the manifest
    print("# sha256 of the official OCPP 2.0.1 schemas shipped by the PyPI package 'ocpp'; checked at start-up.")
    print("\n".join(manifest_lines(schema_dir())))
