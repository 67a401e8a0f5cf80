"""OCPP-J frames: parse text into value objects with findings, and serialize them back. Sans-I/O.

`parse()` never raises on bad input: whatever arrives, it returns a `Parsed` with the frame (when the shape is
right), the findings, the message id when it could be read, and the CALLERROR a peer should answer with when the
input is a request it cannot accept. Schema and session checks come after, in `RpcSession`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from harness.ocppj.errorcodes import COMPAT_SPELLINGS, VALID_CODES, ErrorCode
from harness.ocppj.findings import Finding, Severity, finding

CALL, CALLRESULT, CALLERROR = 2, 3, 4
MAX_MESSAGE_ID = 36
MAX_ERROR_DESCRIPTION = 255
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1  # Part 2 "integer": 32-bit signed
Strictness = Literal["strict", "compat"]


@dataclass(frozen=True)
class Call:
    message_id: str
    action: str
    payload: dict[str, Any]

    @property
    def message_type(self) -> int:
        return CALL

    def to_list(self) -> list[Any]:
        return [CALL, self.message_id, self.action, self.payload]


@dataclass(frozen=True)
class CallResult:
    message_id: str
    payload: dict[str, Any]

    @property
    def message_type(self) -> int:
        return CALLRESULT

    def to_list(self) -> list[Any]:
        return [CALLRESULT, self.message_id, self.payload]


@dataclass(frozen=True)
class CallError:
    message_id: str
    error_code: str
    error_description: str = ""
    error_details: dict[str, Any] = field(default_factory=dict)

    @property
    def message_type(self) -> int:
        return CALLERROR

    def to_list(self) -> list[Any]:
        return [CALLERROR, self.message_id, self.error_code, self.error_description, self.error_details]


Frame = Call | CallResult | CallError


def serialize(frame: Frame) -> str:
    """Compact JSON text of a frame, as sent on the wire."""
    return json.dumps(frame.to_list(), separators=(",", ":"), ensure_ascii=False)


@dataclass
class Parsed:
    """What `parse()` made of one received WebSocket message."""

    text: str  # the message as text (binary data decoded leniently, for the transcript)
    frame: Frame | None = None
    findings: list[Finding] = field(default_factory=list)
    message_id: str | None = None  # readable id, even when the frame is otherwise broken
    message_type: int | None = None
    action: str | None = None
    # The CALLERROR a peer answers with; None when no answer is due (valid frame, or a broken response).
    reply_code: ErrorCode | None = None
    reply_text: str = ""
    has_empty_values: bool = False  # some object holds {} or [] as a value: worth an RPC-11 look

    def reject(self, code: ErrorCode, text: str) -> None:
        if self.reply_code is None:
            self.reply_code, self.reply_text = code, text

    def reply(self) -> CallError | None:
        """The CALLERROR to send back, with id "-1" when the id could not be read (RPC-09)."""
        if self.reply_code is None:
            return None
        return CallError(self.message_id if self.message_id is not None else "-1", self.reply_code.value,
                         self.reply_text[:MAX_ERROR_DESCRIPTION], {})


class _DuplicateKey(ValueError):
    pass


class _Decoder(json.JSONDecoder):
    """Rejects duplicate keys and NaN/Infinity; notes empty objects/arrays used as values (RPC-11) and numbers
    Part 2 cannot carry (DT-1: integers beyond 32 bits, decimals that overflow to infinity).

    The per-object hook stays in C as far as it can (dict(), `in`): it is on the path of every frame."""

    def __init__(self) -> None:
        super().__init__(object_pairs_hook=self._object, parse_constant=_no_constants, parse_int=self._int,
                         parse_float=self._float)
        self.saw_empty = False
        self.odd_numbers: list[str] = []  # number literals outside Part 2's ranges, as written

    def _int(self, text: str) -> int:
        value = int(text)
        if not _INT32_MIN <= value <= _INT32_MAX:
            self.odd_numbers.append(text)
        return value

    def _float(self, text: str) -> float:
        value = float(text)
        if math.isinf(value):
            self.odd_numbers.append(text)
        return value

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))  # type: ignore[func-returns-value]
        values = obj.values()
        if {} in values or [] in values:
            self.saw_empty = True
        return obj


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = _Decoder()  # one per process: building a decoder per frame costs more than decoding a small one
# For one look at number literals and empty values: every digit a "0", every bracket "[" or "]", whitespace and
# minus signs dropped (bytes.translate, in C); then two searches instead of one per thing looked for.
_SHAPES = bytes.maketrans(b"123456789{}", b"000000000[]")
_TEN = b"0000000000"  # ten digits after : , or [ may leave Part 2's 32-bit integer


def _proven_clean(text: str) -> Any:
    """The decoded value when C-speed decoding can prove the text holds nothing the checking decoder would
    report (duplicate keys, NaN/Infinity, {} or [] values, numbers outside Part 2's ranges); else None, and the
    checking decoder decides. orjson refuses NaN, Infinity, overflowing numbers and deep nesting itself.

    Duplicate keys: a duplicate vanishes in the decoded value, so when re-encoding gives the text back byte for
    byte (compact JSON, as most stations send) there was none. Else the re-encoding must have as many `":` as the
    text, which is exact when no key is followed by whitespace and no quote is written as an escape (checked
    then, and only then: those searches cost more than the decoding on a large frame).
    Empty values and numbers are looked for in the text as written (orjson reads an integer beyond 64 bits as a
    float), one translated copy for both, whitespace dropped: `:{}` or `:[]`, and a run of ten digits after `:`,
    `,` or `[` (inside a string too: then the slow way decides) that may be an integer beyond 32 bits."""
    data = text.encode("utf-8", errors="surrogatepass")
    try:
        value = orjson.loads(data)
        dump = orjson.dumps(value)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError, TypeError):  # TypeError: nested deeper than it encodes
        return None
    if dump != data and ("\\u" in text or '" ' in text or '"\n' in text or '"\t' in text or '"\r' in text
                         or data.count(b'":') != dump.count(b'":')):
        return None
    shapes = data.translate(_SHAPES, b" \t\n\r-")
    if b":[]" in shapes:
        return None
    if _TEN in shapes and (b":" + _TEN in shapes or b"," + _TEN in shapes or b"[" + _TEN in shapes
                           or shapes.startswith(_TEN)):
        return None
    return value


def parse(data: str | bytes, *, strictness: Strictness = "strict") -> Parsed:
    """Parse one WebSocket message into a frame, with findings for every OCPP-J rule it breaks."""
    if isinstance(data, bytes):
        text = data.decode("utf-8", errors="replace")
        parsed = Parsed(text=text)
        parsed.findings.append(finding("RPC-05", Severity.FAIL, "binary WebSocket message; OCPP-J uses text frames"))
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            parsed.findings.append(finding("RPC-05", Severity.FAIL, f"not valid UTF-8: {exc.reason} at byte {exc.start}"))
        parsed.reject(ErrorCode.RPC_FRAMEWORK_ERROR, "Binary frames are not OCPP-J messages")
        _parse_text(parsed, text, strictness)
        return parsed
    parsed = Parsed(text=data)
    _parse_text(parsed, data, strictness)
    return parsed


def _parse_text(parsed: Parsed, text: str, strictness: Strictness) -> None:
    value = _proven_clean(text)
    if value is not None:
        if type(value) is list and _well_formed(parsed, value):
            return
        _parse_value(parsed, value, strictness)
        return
    decoder = _DECODER
    decoder.saw_empty = False
    decoder.odd_numbers = []
    try:
        value = decoder.decode(text)
    except _DuplicateKey as exc:
        parsed.findings.append(finding("RPC-05", Severity.FAIL, f"duplicate object key {str(exc)!r}"))
        parsed.reject(ErrorCode.FORMAT_VIOLATION, "Duplicate key in JSON object")
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return
    except RecursionError:
        parsed.findings.append(finding("RPC-05", Severity.FAIL, "JSON nested too deeply to parse"))
        parsed.reject(ErrorCode.RPC_FRAMEWORK_ERROR, "JSON nested too deeply")
        return
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, integers with too many digits
        parsed.findings.append(finding("RPC-05", Severity.FAIL, f"not valid JSON: {exc}"))
        parsed.reject(ErrorCode.RPC_FRAMEWORK_ERROR, "Message is not valid JSON")
        return
    parsed.has_empty_values = decoder.saw_empty
    for number in decoder.odd_numbers[:5]:
        shown = number if len(number) <= 40 else number[:37] + "..."
        if number.lstrip("-").isdigit():  # may be a decimal field holding a big whole number: a warning only
            parsed.findings.append(finding("DT-1", Severity.WARN, f"integer {shown} is outside the 32-bit signed "
                                                                  "range of Part 2's integer"))
        else:
            parsed.findings.append(finding("DT-1", Severity.FAIL, f"number {shown} overflows to infinity; Part 2's "
                                                                  "decimal is finite"))
    _parse_value(parsed, value, strictness)


def _well_formed(parsed: Parsed, value: list[Any]) -> bool:
    """The common case in a few type checks: a CALL or CALLRESULT of the right shape, which no frame rule can
    fault (the checks of `_parse_value` for it, in one expression). False: `_parse_value` looks at it."""
    size = len(value)
    if size == 4:
        type_id, message_id, action, payload = value
        if not (type(type_id) is int and type_id == CALL and type(message_id) is str
                and len(message_id) <= MAX_MESSAGE_ID and type(action) is str and type(payload) is dict):
            return False
        parsed.message_id, parsed.message_type, parsed.action = message_id, CALL, action
        parsed.frame = Call(message_id, action, payload)
        return True
    if size == 3:
        type_id, message_id, payload = value
        if not (type(type_id) is int and type_id == CALLRESULT and type(message_id) is str
                and type(payload) is dict):
            return False
        parsed.message_id, parsed.message_type = message_id, CALLRESULT
        parsed.frame = CallResult(message_id, payload)
        return True
    return False


def _parse_value(parsed: Parsed, value: Any, strictness: Strictness) -> None:
    if not isinstance(value, list) or not value:
        parsed.findings.append(finding("RPC-07", Severity.FAIL, "message is not a non-empty JSON array"))
        parsed.reject(ErrorCode.RPC_FRAMEWORK_ERROR, "Message is not a JSON array")
        return
    if len(value) >= 2 and isinstance(value[1], str):
        parsed.message_id = value[1]
    type_id = value[0]
    if type(type_id) is not int:  # bool is an int subclass: reject it too
        parsed.findings.append(finding("RPC-06", Severity.FAIL, f"MessageTypeId {type_id!r} is not an integer"))
        parsed.reject(ErrorCode.RPC_FRAMEWORK_ERROR, "MessageTypeId is not an integer")
        return
    parsed.message_type = type_id
    if type_id not in (CALL, CALLRESULT, CALLERROR):
        parsed.findings.append(finding("RPC-06", Severity.FAIL, f"unknown MessageTypeId {type_id}"))
        parsed.reject(ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, f"MessageTypeId {type_id} is not supported")
        return
    if not _check_message_id(parsed, value):
        return
    if type_id == CALL:
        _parse_call(parsed, value)
    elif type_id == CALLRESULT:
        _parse_result(parsed, value)
    else:
        _parse_error(parsed, value, strictness)


def _check_message_id(parsed: Parsed, value: list[Any]) -> bool:
    if len(value) < 2 or not isinstance(value[1], str):
        got = "missing" if len(value) < 2 else f"{type(value[1]).__name__} {value[1]!r}"
        parsed.findings.append(finding("RPC-13", Severity.FAIL, f"message id is not a string ({got})", path="$[1]"))
        parsed.reject(ErrorCode.RPC_FRAMEWORK_ERROR, "MessageId could not be read")
        return False
    # Responses echo the CALL's id; whether that id is right is RPC-14's question, not RPC-13's.
    if len(value[1]) > MAX_MESSAGE_ID and value[0] == CALL:
        parsed.findings.append(finding("RPC-13", Severity.FAIL,
                                       f"message id has {len(value[1])} characters, at most {MAX_MESSAGE_ID} allowed",
                                       path="$[1]"))
        parsed.reject(ErrorCode.RPC_FRAMEWORK_ERROR, f"MessageId longer than {MAX_MESSAGE_ID} characters")
    return True


def _payload_ok(parsed: Parsed, payload: Any, index: int) -> bool:
    if isinstance(payload, dict):
        return True
    what = "null" if payload is None else type(payload).__name__
    parsed.findings.append(finding("RPC-10", Severity.FAIL, f"payload is {what}, not a JSON object", path=f"$[{index}]"))
    return False


def _parse_call(parsed: Parsed, value: list[Any]) -> None:
    if len(value) != 4:
        parsed.findings.append(finding("RPC-07", Severity.FAIL, f"CALL has {len(value)} elements, 4 required"))
        parsed.reject(ErrorCode.RPC_FRAMEWORK_ERROR, "CALL must have 4 elements")
        if len(value) < 3 or not isinstance(value[2], str):
            return
    action = value[2]
    if not isinstance(action, str):
        parsed.findings.append(finding("RPC-08", Severity.FAIL, f"action is {type(action).__name__}, not a string",
                                       path="$[2]"))
        parsed.reject(ErrorCode.RPC_FRAMEWORK_ERROR, "Action is not a string")
        return
    parsed.action = action
    if len(value) != 4:
        return
    if not _payload_ok(parsed, value[3], 3):
        parsed.reject(ErrorCode.FORMAT_VIOLATION, "Payload is not a JSON object")
        return
    assert parsed.message_id is not None
    parsed.frame = Call(parsed.message_id, action, value[3])


def _parse_result(parsed: Parsed, value: list[Any]) -> None:
    if len(value) != 3:
        parsed.findings.append(finding("RPC-07", Severity.FAIL, f"CALLRESULT has {len(value)} elements, 3 required"))
        return
    if not _payload_ok(parsed, value[2], 2):
        return
    assert parsed.message_id is not None
    parsed.frame = CallResult(parsed.message_id, value[2])


def _parse_error(parsed: Parsed, value: list[Any], strictness: Strictness) -> None:
    if len(value) != 5:
        parsed.findings.append(finding("RPC-07", Severity.FAIL, f"CALLERROR has {len(value)} elements, 5 required"))
        return
    _, message_id, code, description, details = value
    ok = True
    if not isinstance(code, str):
        parsed.findings.append(finding("RPC-16", Severity.FAIL, f"error code {code!r} is not a string", path="$[2]"))
        ok = False
    elif code in COMPAT_SPELLINGS:
        sev = Severity.FAIL if strictness == "strict" else Severity.WARN
        parsed.findings.append(finding("RPC-16", sev, f"error code {code!r} is the OCPP 1.6 spelling; 2.0.1 uses "
                                                      f"{COMPAT_SPELLINGS[code]!r}", path="$[2]"))
    elif code not in VALID_CODES:
        parsed.findings.append(finding("RPC-16", Severity.FAIL, f"error code {code!r} is not in Part 4 Table 8",
                                       path="$[2]"))
    if not isinstance(description, str):
        parsed.findings.append(finding("RPC-07", Severity.FAIL, "errorDescription is not a string", path="$[3]"))
        ok = False
    elif len(description) > MAX_ERROR_DESCRIPTION:
        parsed.findings.append(finding("RPC-07", Severity.FAIL,
                                       f"errorDescription has {len(description)} characters, at most 255",
                                       path="$[3]"))
    if not isinstance(details, dict):
        what = "null" if details is None else type(details).__name__
        parsed.findings.append(finding("RPC-07", Severity.FAIL, f"errorDetails is {what}, not an object ({{}} if none)",
                                       path="$[4]"))
        ok = False
    if ok:
        parsed.frame = CallError(message_id, code, description, details)
