"""The project's own OCPP-J framework checks (ids RPC_nn_CS / RPC_nn_CSMS): bad input sent to the SUT.

Part 4 says which CALLERROR a receiver answers with; where it is ambiguous the accepted codes are a policy key of
the SUT profile (DESIGN.md §5) with a documented default. In both roles the same cases run: for RPC_nn_CS the
harness plays the CSMS and the station answers; for RPC_nn_CSMS the harness plays a station and the CSMS answers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from harness import (
    CallError,
    CallResult,
    CsmsControl,
    CsmsRole,
    HandshakeRefused,
    Severity,
    StationControl,
    StationRole,
    booted,
    normalise_error_code,
    now_iso,
    station_booted,
    testcase,
)

# A request each SUT kind accepts and that changes nothing: the base of every bad variant.
_SAFE_CS = ("GetVariables", {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"},
                                                  "variable": {"name": "HeartbeatInterval"}}]})


def _safe_csms() -> tuple[str, dict[str, Any]]:
    return "StatusNotification", {"timestamp": now_iso(), "connectorStatus": "Available", "evseId": 1,
                                  "connectorId": 1}


def _safe(sut: str) -> tuple[str, dict[str, Any]]:
    return _SAFE_CS if sut == "CS" else _safe_csms()


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _error_code(raw: str) -> str | None:
    """The errorCode of a CALLERROR the parser could not make a frame of, when it can be read."""
    try:
        code = json.loads(raw)[2]
    except (ValueError, IndexError, KeyError, TypeError, RecursionError):
        return None
    return code if isinstance(code, str) else None


@dataclass(frozen=True)
class BadInput:
    nn: str
    title: str
    build: Callable[[str, str], str]  # (message id, SUT kind) -> raw frame
    policy: str | None  # policy key listing the accepted codes, or None for `codes`
    codes: tuple[str, ...] = ()
    unreadable_id: bool = False  # the answer must carry id "-1" (RPC-09)
    requirement: str = ""


def _missing_required(mid: str, sut: str) -> str:
    if sut == "CS":
        return _json([2, mid, "GetVariables", {}])
    action, payload = _safe_csms()
    del payload["connectorId"]
    return _json([2, mid, action, payload])


def _wrong_type(mid: str, sut: str) -> str:
    if sut == "CS":
        return _json([2, mid, "GetVariables", {"getVariableData": "OCPPCommCtrlr.HeartbeatInterval"}])
    action, payload = _safe_csms()
    payload["evseId"] = "1"
    return _json([2, mid, action, payload])


def _extra_property(mid: str, sut: str) -> str:
    action, payload = _safe(sut)
    return _json([2, mid, action, {**payload, "harnessBogusField": 1}])


def _bad_enum(mid: str, sut: str) -> str:
    if sut == "CS":
        action, payload = _SAFE_CS
        item = {**payload["getVariableData"][0], "attributeType": "HarnessBogus"}
        return _json([2, mid, action, {"getVariableData": [item]}])
    action, payload = _safe_csms()
    return _json([2, mid, action, {**payload, "connectorStatus": "HarnessBogus"}])


# Policy values that are not error codes: an ordinary answer, or none.
_NOT_CODES = ("answer", "silence")


def _shown(accepted: str) -> str:
    return {"answer": "a CALLRESULT", "silence": "nothing"}.get(accepted, f"CALLERROR {accepted}")


CASES = [
    BadInput("01", "Malformed JSON is answered with CALLERROR and message id \"-1\"",
             lambda mid, sut: _json([2, mid, *_safe(sut)])[:-3], "rpc.reply.malformed_json", unreadable_id=True,
             requirement="RPC-09"),
    BadInput("02", "Unknown action is answered with CALLERROR NotImplemented",
             lambda mid, sut: _json([2, mid, "HarnessNoSuchAction", {}]), None, ("NotImplemented",),
             requirement="RPC-08"),
    BadInput("03", "Unknown message type id is answered with CALLERROR MessageTypeNotSupported",
             lambda mid, sut: _json([7, mid, {}]), "rpc.reply.unknown_message_type", requirement="RPC-06"),
    BadInput("04", "Message id longer than 36 characters is refused or answered as the policy allows",
             lambda mid, sut: _json([2, (mid + "-" * 40)[:41], *_safe(sut)]), "rpc.reply.long_message_id",
             requirement="RPC-13"),
    BadInput("05", "Payload missing a required field is answered with OccurrenceConstraintViolation",
             _missing_required, None, ("OccurrenceConstraintViolation",), requirement="RPC-12"),
    BadInput("06", "Field of the wrong JSON type is answered with TypeConstraintViolation",
             _wrong_type, None, ("TypeConstraintViolation",), requirement="RPC-12"),
    BadInput("07", "Property the schema does not allow is refused",
             _extra_property, "rpc.reply.extra_property", requirement="RPC-12"),
    # Table 8: PropertyConstraintViolation is "an invalid value" in a syntactically correct payload; FormatViolation
    # is for syntax. A value outside the enumeration is a value: no policy key.
    BadInput("12", "Field value outside its enumeration is answered with PropertyConstraintViolation",
             _bad_enum, None, ("PropertyConstraintViolation",), requirement="RPC-12"),
]


async def _judge(conv: CsmsRole | StationRole, case: BadInput, sut: str) -> None:
    mid = f"rpc{case.nn}-{uuid.uuid4().hex[:12]}"
    text = case.build(mid, sut)
    accepted = list(conv.policy(case.policy) if case.policy else case.codes)
    expected_id = "-1" if case.unreadable_id else text.split('"')[1]
    await _expect_refusal(conv, text, case.title.lower(), accepted, expected_id, rules=(case.requirement,))


async def _expect_refusal(conv: CsmsRole | StationRole, text: str, what: str, accepted: list[str], expected_id: str,
                          *, rules: tuple[str, ...]) -> None:
    """Send one bad frame and judge the answer: one of the `accepted` CALLERROR codes (or what the policy values
    'answer' / 'silence' allow) with `expected_id`. A failure names `what` was sent."""
    codes = [c for c in accepted if c not in _NOT_CODES]
    with conv.step(f"The harness sends: {text[:120]}"):
        answer = await conv.send_raw(text, silence_allowed="silence" in accepted)
    with conv.step(f"The SUT answers {' or '.join(_shown(c) for c in accepted)}"):
        if answer is None:
            if "silence" in accepted:
                return
            raise conv.failure(f"the SUT did not answer bad input ({what})",
                               expected=f"CALLERROR {' or '.join(codes)}", actual="no answer", rules=rules)
        frame = answer.frame
        if isinstance(frame, CallResult) and "answer" in accepted:
            # a tolerated reading (policy): passes, and the report shows the SUT took the input as it came
            conv.note_finding(rules[0], Severity.INFO, f"the SUT answered it with a CALLRESULT, as the policy allows: "
                                                       f"{what}")
            return
        if isinstance(frame, CallResult):
            raise conv.failure(f"the SUT took bad input as valid and answered with a CALLRESULT ({what})",
                               expected=f"CALLERROR {' or '.join(codes)}", actual=answer.raw[:400], rules=rules)
        broken = [f for f in answer.findings if f.severity is Severity.FAIL and f.rule in ("RPC-07", "RPC-16")]
        if answer.message_type == 4 and frame is None and broken:
            # a CALLERROR, but not a well-formed one: the headline is the rule it breaks, not "no CALLERROR"
            code = _error_code(answer.raw)
            right = f"its code {code} is one the case accepts; " if code and normalise_error_code(code) in codes else ""
            raise conv.failure(f"the SUT answered bad input with a CALLERROR that breaks {broken[0].rule}: "
                               f"{broken[0].text}", message=f"{right}sent: {what}",
                               expected=f"CALLERROR {' or '.join(codes)}", actual=answer.raw[:400],
                               rules=tuple(dict.fromkeys(f.rule for f in broken)))
        if not isinstance(frame, CallError):
            raise conv.failure("the SUT did not answer bad input with a CALLERROR",
                               expected=f"CALLERROR {' or '.join(codes)}", actual=answer.raw[:400], rules=rules)
        if normalise_error_code(frame.error_code) not in codes:
            raise conv.failure(f"wrong CALLERROR code {frame.error_code!r} for: {what}",
                               expected=" or ".join(codes), actual=answer.raw[:400], rules=(*rules, "RPC-16"))
        if frame.message_id != expected_id:
            raise conv.failure(f"the SUT answered bad input with CALLERROR {frame.error_code} with message id "
                               f"{frame.message_id!r} instead of {expected_id!r}", message=f"sent: {what}",
                               expected=repr(expected_id), actual=answer.raw[:400],
                               rules=("RPC-09" if expected_id == "-1" else "RPC-14",))


# JSON that is no OCPP-J array: no message id to read, so the CALLERROR carries "-1" (Part 4 §4.2.3).
_NOT_ARRAYS = (("{}", "a JSON object"), ('"x"', "a JSON string"), ("[2]", "an array with no message id"))


async def _not_an_array(conv: CsmsRole | StationRole) -> None:
    """RPC_11: valid JSON, but not the array of an OCPP-J message. Each frame is judged on its own."""
    accepted = list(conv.policy("rpc.reply.not_an_array"))
    for text, what in _NOT_ARRAYS:
        await _expect_refusal(conv, text, f"{what}, not an OCPP-J array: {text}", accepted, "-1",
                              rules=("RPC-07", "RPC-09"))


async def _concurrent(conv: CsmsRole | StationRole, sut: str) -> None:
    """RPC_08: a second CALL before the first is answered (the harness breaks RPC-15 on purpose)."""
    accepted = list(conv.policy("rpc.reply.concurrent_call"))
    first, second = (f"rpc08-{i}-{uuid.uuid4().hex[:8]}" for i in (1, 2))
    with conv.step("The harness sends two CALLs without waiting for the first answer"):
        await conv.send_raw(_json([2, first, *_safe(sut)]), expect_answer=False)
        await conv.send_raw(_json([2, second, *_safe(sut)]), expect_answer=False)
    with conv.step("The SUT answers the first CALL with a CALLRESULT"):
        answer = await conv.answer_to(first)
        if answer is None or answer.kind != "CALLRESULT":
            raise conv.failure("the first of two CALLs was not answered with a CALLRESULT", expected="CALLRESULT",
                               actual=answer.raw[:400] if answer else "no answer", rules=("RPC-15",))
    with conv.step(f"The second CALL is handled as the policy allows: {', '.join(accepted)}"):
        answer = await conv.answer_to(second)
        outcome = "ignore" if answer is None else "answer" if answer.kind == "CALLRESULT" else answer.kind
        if outcome not in accepted:
            raise conv.failure("the SUT handled a second concurrent CALL in a way the policy does not allow",
                               expected=" or ".join(accepted), actual=outcome, rules=("RPC-15",))
    with conv.step("The SUT still works: a normal CALL is answered"):
        await conv.call_ok(*_safe(sut))


def _cs_case(nn: str, title: str, body: Callable[[CsmsRole], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    @testcase(f"RPC_{nn}_CS", title, usecases=("Part 4",), profiles=("Framework",), severity="framework")
    async def run(csms: CsmsRole, sut: StationControl) -> None:
        await booted(csms, sut)
        await body(csms)

    return run


def _csms_case(nn: str, title: str, body: Callable[[StationRole], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    @testcase(f"RPC_{nn}_CSMS", title, usecases=("Part 4",), profiles=("Framework",), severity="framework")
    async def run(station: StationRole, sut: CsmsControl) -> None:
        await station_booted(station)
        await body(station)

    return run


def _bind(case: BadInput, sut: str) -> Callable[[Any], Awaitable[None]]:
    return lambda conv: _judge(conv, case, sut)


for _case in CASES:
    globals()[f"test_RPC_{_case.nn}_CS"] = _cs_case(_case.nn, _case.title, _bind(_case, "CS"))
    globals()[f"test_RPC_{_case.nn}_CSMS"] = _csms_case(_case.nn, _case.title, _bind(_case, "CSMS"))
_TITLE_08 = "A CALL sent while another is outstanding does not break the SUT"
test_RPC_08_CS = _cs_case("08", _TITLE_08, lambda conv: _concurrent(conv, "CS"))
test_RPC_08_CSMS = _csms_case("08", _TITLE_08, lambda conv: _concurrent(conv, "CSMS"))
_TITLE_11 = "A frame that is JSON but not an OCPP-J array is answered with CALLERROR and message id \"-1\""
test_RPC_11_CS = _cs_case("11", _TITLE_11, _not_an_array)
test_RPC_11_CSMS = _csms_case("11", _TITLE_11, _not_an_array)


@testcase("RPC_09_CSMS", "A station identity the CSMS does not know is refused at the handshake",
          usecases=("Part 4",), requirements=("RPC-03",), profiles=("Framework",), severity="framework",
          notes="Part 4 §3.2: the CSMS SHOULD answer HTTP 404; a refusal with 401/403 is accepted, a connection is not.")
async def test_RPC_09_CSMS(station: StationRole, sut: CsmsControl) -> None:
    unknown = f"HARNESS-UNKNOWN-{uuid.uuid4().hex[:8]}"
    with station.step(f"Connect as {unknown}, an identity the CSMS was never told about"):
        result = await station.try_connect(identity=unknown)
    with station.step("The CSMS refuses the handshake, preferably with HTTP 404"):
        if not isinstance(result, HandshakeRefused):
            await result.close(1000, "unknown identity test")
            raise station.failure("the CSMS accepted a connection from an unknown station identity",
                                  expected="HTTP 404 Not Found", actual=f"connection opened as {unknown!r}",
                                  rules=("RPC-03",))
        if result.status not in (404, 401, 403):
            raise station.failure("the CSMS refused an unknown identity with an unexpected status",
                                  expected="HTTP 404 Not Found", actual=str(result), rules=("RPC-03",))


@testcase("RPC_10_CSMS", "A station identity that is empty or holds ':' is refused at the handshake",
          usecases=("Part 4",), requirements=("RPC-02",), profiles=("Framework",), severity="framework",
          notes="Part 4 §3.1.1: the identity ends the connection URL and is an identifierString of at most 48 "
                "characters without ':' (it doubles as the Basic Auth user name). The harness sends the valid "
                "password with the profile's identity as Basic Auth user, so only the URL is wrong; any refusal of "
                "the upgrade passes.")
async def test_RPC_10_CSMS(station: StationRole, sut: CsmsControl) -> None:
    accepted: list[str] = []
    for what, identity in (("an empty station identity", ""), ("a station identity holding ':'",
                                                                f"{station.identity}:1")):
        with station.step(f"Connect to {station.csms_url}/{identity} ({what}) with a valid password"):
            result = await station.try_connect(station.options(username=station.identity), identity=identity,
                                               refusal_expected=True)
            if not isinstance(result, HandshakeRefused):
                accepted.append(f"{what} ({station.csms_url}/{identity})")
                await result.close(1000, "malformed identity test")
    with station.step("The CSMS refused both upgrades"):
        if accepted:
            raise station.failure(f"the CSMS accepted a connection with {' and with '.join(accepted)}",
                                  expected="the WebSocket upgrade refused (HTTP 404 for an identity it does not "
                                           "recognise)", actual=f"{len(accepted)} connection(s) opened",
                                  rules=("RPC-02",))
