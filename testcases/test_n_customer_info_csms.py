"""Block N, customer information (N09 get, N10 clear) with the CSMS under test: the harness plays the Charging
Station. The CSMS is made to send CustomerInformationRequest through the control adapter ("Manual Action: trigger
the CSMS"); the tables check its report / clear flags and the identifier, the harness answers as the table says and
reports with NotifyCustomerInformationRequest, which the CSMS must answer.
"""

from __future__ import annotations

from typing import Any

from harness import ABSENT, ANY, CsmsControl, Record, StationRole, now_iso, station_booted, testcase


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
