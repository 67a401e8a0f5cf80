"""Block N, customer information (N09 get, N10 clear) with the CSMS under test: the harness plays the Charging
Station. The CSMS is made to send CustomerInformationRequest through the control adapter ("Manual Action: trigger
the CSMS"); the tables check its report / clear flags and the identifier, the harness answers as the table says and
reports with NotifyCustomerInformationRequest, which the CSMS must answer.
"""

from __future__ import annotations

from typing import Any

from harness import ABSENT, ANY, CsmsControl, OcppFailure, Record, StationRole, now_iso, station_booted, testcase


def _payload(record: Record) -> dict[str, Any]:
    return dict(record.frame.payload)  # type: ignore[union-attr]


async def _customer_information(station: StationRole, sut: CsmsControl, *, report: bool, clear: bool,
                                identifier: dict[str, Any], status: str = "Accepted",
                                data: str | None = None, alone: bool = False) -> None:
    """Trigger the CSMS; its CustomerInformationRequest must carry `report`, `clear` and `identifier` (`alone`:
    no other identifier, errata 2025-09 of TC_N_62_CSMS); the harness answers `status` and, unless Rejected,
    sends NotifyCustomerInformation with `data`, which the CSMS answers."""
    await station_booted(station)
    request = station.expect("CustomerInformation", {"requestId": ANY}, respond={"status": status})
    what = ", ".join(f"{k} {v}" for k, v in (("report", report), ("clear", clear)))
    named = ", ".join(f"{k} {v}" for k, v in identifier.items())
    with station.step(f"Manual Action: trigger the CSMS to send CustomerInformationRequest {what}, {named}"):
        await sut.trigger(station.identity, "CustomerInformation", {"report": report, "clear": clear, **identifier})
    with station.step(f"1-2. CustomerInformationRequest with {what}, {named}; the harness responds {status}"):
        record = await station.received(request)
        payload = _payload(record)
        wanted: dict[str, Any] = {"report": report, "clear": clear, **identifier}
        if alone:
            wanted.update({k: ABSENT for k in ("idToken", "customerCertificate") if k not in identifier})
        problems = [f"{key} {payload.get(key, '<absent>')!r}, expected "
                    f"{'<absent>' if value is ABSENT else repr(value)}"
                    for key, value in wanted.items()
                    if (key in payload if value is ABSENT else payload.get(key) != value)]
        if problems:
            raise station.failure("the CSMS's CustomerInformationRequest is not the one the table asks for",
                                  message="\n".join(problems), actual=record.raw[:800], rules=("SEQ",))
    if status != "Accepted":
        return
    text = data if data is not None else ""
    with station.step("3-4. NotifyCustomerInformationRequest (" + (f"data {text[:60]!r}" if text else "no data")
                      + ", tbc false, seqNo 0, the requestId); the CSMS responds"):
        await station.call_ok("NotifyCustomerInformation", {"data": text, "tbc": False, "seqNo": 0,
                                                            "generatedAt": now_iso(),
                                                            "requestId": payload["requestId"]}, {})


def _token(station: StationRole) -> dict[str, Any]:
    return {"idToken": station.tokens.valid.wire()}


def _data(station: StationRole) -> str:
    token = station.tokens.valid
    return f"idToken {token.id_token} ({token.type}): in the authorization cache and the local list, Accepted"


@testcase("TC_N_27_CSMS")
async def test_TC_N_27_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _customer_information(station, sut, report=True, clear=False, identifier=_token(station),
                                data=_data(station))


@testcase("TC_N_28_CSMS")
async def test_TC_N_28_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _customer_information(station, sut, report=True, clear=False, identifier=_token(station))


@testcase("TC_N_29_CSMS")
async def test_TC_N_29_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _customer_information(station, sut, report=True, clear=False, identifier=_token(station),
                                status="Rejected")


@testcase("TC_N_30_CSMS")
async def test_TC_N_30_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _customer_information(station, sut, report=True, clear=True, identifier=_token(station),
                                data=_data(station))


@testcase("TC_N_31_CSMS")
async def test_TC_N_31_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _customer_information(station, sut, report=True, clear=True, identifier=_token(station))


@testcase("TC_N_32_CSMS")
async def test_TC_N_32_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _customer_information(station, sut, report=False, clear=True, identifier=_token(station),
                                data="customer information cleared")


@testcase("TC_N_62_CSMS", notes="Errata 2025-09: idToken and customerCertificate must be omitted.")
async def test_TC_N_62_CSMS(station: StationRole, sut: CsmsControl) -> None:
    identifier = station.configured.customer_identifier
    await _customer_information(station, sut, report=True, clear=True, alone=True,
                                identifier={"customerIdentifier": identifier},
                                data=f"customer {identifier}: records of the customer")


@testcase("TC_N_46_CSMS", notes="Errata 2024-11 and 2025-02: the list update may also be a Full list without the "
                                "token; the harness asks for it only when the CSMS does not send it by itself.")
async def test_TC_N_46_CSMS(station: StationRole, sut: CsmsControl) -> None:
    token = station.tokens.valid
    version = station.configured.local_list_version  # the station's list, which holds the token (memory state)
    station.expect("GetLocalListVersion", respond={"versionNumber": version})
    sent = station.expect("SendLocalList", respond={"status": "Accepted"})
    await _customer_information(station, sut, report=True, clear=True, identifier=_token(station),
                                data=_data(station))
    with station.step(f"5-6. SendLocalListRequest that removes idToken {token.id_token} (Manual Action, only when "
                      "the CSMS does not send it by itself: trigger it); the harness responds Accepted"):
        try:
            record = await station.received(sent)
        except OcppFailure:
            asked = station.expect("SendLocalList", respond={"status": "Accepted"})
            await sut.trigger(station.identity, "SendLocalList", {
                "versionNumber": version + 1, "updateType": "Differential",
                "localAuthorizationList": [{"idToken": token.wire()}]})
            record = await station.received(asked)
    with station.step(f"Tool validation: Differential, versionNumber above {version}, only idToken {token.id_token} "
                      "without idTokenInfo; or Full without that idToken"):
        payload = _payload(record)
        entries = payload.get("localAuthorizationList") or []
        named = [e.get("idToken", {}).get("idToken") for e in entries if isinstance(e, dict)]
        problems: list[str] = []
        if payload.get("updateType") == "Full":
            if token.id_token in named:
                problems.append(f"$.localAuthorizationList: a Full list that still holds idToken {token.id_token}")
        elif payload.get("updateType") == "Differential":
            number = payload.get("versionNumber")
            if not isinstance(number, int) or isinstance(number, bool) or number <= version:
                problems.append(f"$.versionNumber: {number!r}, expected one above {version}")
            if named != [token.id_token] or any("idTokenInfo" in e for e in entries if isinstance(e, dict)):
                problems.append(f"$.localAuthorizationList: expected only idToken {token.id_token} without "
                                f"idTokenInfo, got {entries!r}"[:400])
        else:
            problems.append(f"$.updateType: {payload.get('updateType')!r}")
        if problems:
            raise station.failure("the SendLocalListRequest does not remove the cleared idToken from the list",
                                  message="\n".join(problems), actual=record.raw[:800], rules=("SEQ",))
