"""Block N, customer information (N09 get, N10 clear) with the Charging Station under test: the harness plays the
CSMS and sends CustomerInformationRequest; the station reports in one or more NotifyCustomerInformationRequests.

The tables check the response status, whether the report's data is empty or not, and that the report ends (tbc
not true on its last part). That each part carries the request's requestId is a check beyond Part 6.
"""

from __future__ import annotations

import secrets
from typing import Any

from harness import CsmsRole, IfImplemented, Record, StationControl, booted, states, testcase

LOCAL_AUTHORIZATION = {"LocalAuthListCtrlr.Enabled": IfImplemented(True),
                       "AuthCtrlr.LocalPreAuthorize": IfImplemented(True),
                       "AuthCacheCtrlr.Enabled": IfImplemented(True)}


def _payload(record: Record) -> dict[str, Any]:
    return dict(record.frame.payload)  # type: ignore[union-attr]


async def _request(csms: CsmsRole, numbers: str, what: str, fields: dict[str, Any],
                   status: str = "Accepted") -> int:
    """CustomerInformationRequest with `fields` (report, clear, the identifier) and a fresh requestId; the station
    responds `status`. Returns the requestId."""
    request_id = secrets.randbelow(1_000_000)
    with csms.step(f"{numbers}. CustomerInformationRequest {what}; the station responds {status}"):
        await csms.call_ok("CustomerInformation", {"requestId": request_id, **fields}, {"status": status})
    return request_id


async def _report(csms: CsmsRole, numbers: str, request_id: int, after: Record | None, *,
                  data: bool | None = None, single: bool = False) -> list[dict[str, Any]]:
    """The NotifyCustomerInformationRequests of one report, until a part with tbc not true (post-scenario: all
    report parts received). `data` True: the first part's data must not be empty; False: it must be empty.
    `single`: the table wants tbc not true on the first part."""
    parts: list[dict[str, Any]] = []
    mark = after
    while True:
        index = len(parts)
        what = "NotifyCustomerInformationRequest" + (f" (part {index + 1}, the previous one said tbc true)"
                                                     if index else "")
        with csms.step(f"{numbers}. {what}; the harness responds"):
            record = await csms.receive("NotifyCustomerInformation", respond={}, after=mark,
                                        description=what)
        payload = _payload(record)
        parts.append(payload)
        mark = record
        if index == 0 and data is not None:
            _judge_data(csms, record, data)
        with csms.beyond_part6("N09 requestId", "each part carries the CustomerInformationRequest's requestId"):
            if payload.get("requestId") != request_id:
                raise csms.failure("NotifyCustomerInformation carries the wrong requestId",
                                   expected=f"requestId {request_id}", actual=record.raw[:600], rules=("SEQ",))
        if payload.get("tbc") is not True:
            return parts
        if single:
            raise csms.failure("the station's NotifyCustomerInformationRequest says more parts follow (tbc true)",
                               expected="tbc not true", actual=record.raw[:600], rules=("SEQ",))


def _judge_data(csms: CsmsRole, record: Record, wanted: bool) -> None:
    value = _payload(record).get("data")
    if wanted and not value:
        raise csms.failure("the station reported no customer data although it holds some",
                           message="NotifyCustomerInformationRequest data must not be empty",
                           expected="data not empty", actual=record.raw[:600], rules=("SEQ",))
    if not wanted and value:
        raise csms.failure("the station still reports customer data after clearing it",
                           message="after the clear, NotifyCustomerInformationRequest data must be empty",
                           expected="data empty", actual=record.raw[:600], rules=("SEQ",))


async def _customer_known(csms: CsmsRole, sut: StationControl) -> None:
    """Before of TC_N_27_CS / TC_N_30_CS: the local authorization settings; IdTokenCached and IdTokenLocalAuthList
    for the valid token (each where implemented); Authorized (local); ParkingBayUnoccupied."""
    await csms.configure(LOCAL_AUTHORIZATION)
    flags = await csms.configuration.read("AuthCacheCtrlr.Enabled", "LocalAuthListCtrlr.Enabled")
    if flags["AuthCacheCtrlr.Enabled"] is not None:
        await states.id_token_cached(csms, sut)
    if flags["LocalAuthListCtrlr.Enabled"] is not None:
        await states.id_token_local_auth_list(csms, sut)
    await states.authorized(csms, sut, local=True, authorize=False)
    await states.parking_bay_unoccupied(csms, sut)


@testcase("TC_N_27_CS")
async def test_TC_N_27_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _customer_known(csms, sut)
    token = csms.tokens.valid
    mark = csms.mark()
    request_id = await _request(csms, "1-2", f"report true, idToken {token.id_token}",
                                {"report": True, "clear": False, "idToken": token.wire()})
    await _report(csms, "3-4", request_id, mark, data=True)


@testcase("TC_N_28_CS")
async def test_TC_N_28_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    token = csms.tokens.valid
    mark = csms.mark()
    cleared = await _request(csms, "Memory state", f"clear true, report false, idToken {token.id_token} (the "
                             "station holds no information of the customer afterwards)",
                             {"report": False, "clear": True, "idToken": token.wire()})
    await _report(csms, "Memory state", cleared, mark)
    mark = csms.mark()
    request_id = await _request(csms, "1-2", f"report true, idToken {token.id_token}",
                                {"report": True, "clear": False, "idToken": token.wire()})
    await _report(csms, "3-4 (tbc not true; post-scenario: a message saying no data was found)", request_id, mark,
                  single=True)


@testcase("TC_N_30_CS")
async def test_TC_N_30_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _customer_known(csms, sut)
    token = csms.tokens.valid
    mark = csms.mark()
    request_id = await _request(csms, "1-2", f"report true, clear true, idToken {token.id_token}",
                                {"report": True, "clear": True, "idToken": token.wire()})
    await _report(csms, "3-4", request_id, mark, data=True)
    mark = csms.mark()
    request_id = await _request(csms, "5-6", f"report true, idToken {token.id_token}",
                                {"report": True, "clear": False, "idToken": token.wire()})
    await _report(csms, "7-8 (tbc not true)", request_id, mark, single=True)


@testcase("TC_N_31_CS")
async def test_TC_N_31_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    token = csms.tokens.valid
    mark = csms.mark()
    request_id = await _request(csms, "1-2", f"report true, clear true, idToken {token.id_token}",
                                {"report": True, "clear": True, "idToken": token.wire()})
    await _report(csms, "3-4 (post-scenario: a message saying no data was found)", request_id, mark)


@testcase("TC_N_32_CS")
async def test_TC_N_32_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    token = csms.tokens.valid
    mark = csms.mark()
    request_id = await _request(csms, "1-2", f"report false, clear true, idToken {token.id_token}",
                                {"report": False, "clear": True, "idToken": token.wire()})
    await _report(csms, "3-4 (post-scenario: a message saying the data was cleared)", request_id, mark)


@testcase("TC_N_62_CS")
async def test_TC_N_62_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    identifier = csms.configured.customer_identifier
    with csms.step(f"Memory state: Manual Action: store customer information of customerIdentifier {identifier} at "
                   "the station"):
        await sut.store_customer_identifier(identifier)
    mark = csms.mark()
    request_id = await _request(csms, "1-2", f"report true, clear true, customerIdentifier {identifier}",
                                {"report": True, "clear": True, "customerIdentifier": identifier})
    await _report(csms, "3-4 (data not empty)", request_id, mark, data=True)
    mark = csms.mark()
    request_id = await _request(csms, "5-6", f"report true, clear false, customerIdentifier {identifier}",
                                {"report": True, "clear": False, "customerIdentifier": identifier})
    await _report(csms, "7-8 (data empty)", request_id, mark, data=False)
