"""Block D, the Local Authorization List (D01 send it, D02 get its version), SUT = CSMS (the harness plays a
Charging Station).

Each case follows its Part 6 table: the lab asks the CSMS (the control adapter's trigger, or the operator) to send
what the manual action names; the harness's station answers as the OCTT does (its list at version 1) and checks the
request as the tool validations do. A GetLocalListVersionRequest before the list is answered whenever it comes
(the tables of TC_D_02_CSMS and TC_D_01_CSMS have one; their validations do not require it). "Empty" is a request
without `localAuthorizationList` (the schema allows no empty array).
"""

from __future__ import annotations

from typing import Any

from harness import (
    CsmsControl,
    Record,
    StationRole,
    station_booted,
    testcase,
)

OCTT_VERSION = 1  # the version the harness's station holds and names (the tables' "currently configured in OCTT")


async def _list_sent(station: StationRole, sut: CsmsControl, asked: str, operator: dict[str, Any],
                     steps: str) -> Record:
    """The manual action (through the control adapter) and the SendLocalListRequest it makes the CSMS send,
    answered Accepted; a GetLocalListVersionRequest before it is answered with OCTT_VERSION."""
    station.expect("GetLocalListVersion", respond={"versionNumber": OCTT_VERSION})
    sent = station.expect("SendLocalList", respond={"status": "Accepted"})
    with station.step(f"Manual Action: ask the CSMS to send {asked}"):
        await sut.trigger(station.identity, "SendLocalList", operator)
    with station.step(steps):
        return await station.received(sent)


def _judge(station: StationRole, record: Record, what: str, *, update: str, above: int | None = None,
           entries: str = "any") -> None:
    """The tool validations of a SendLocalListRequest: its updateType; `above`: a versionNumber above it (the
    version the station holds, OCTT_VERSION; 0 for a full list); `entries`: "some" (a list, every entry with
    idTokenInfo), "removals" (a list, no entry with idTokenInfo), "none" (no list), "any"."""
    payload = record.frame.payload  # type: ignore[union-attr]
    problems = [] if payload.get("updateType") == update else [
        f"$.updateType: {payload.get('updateType')!r}, expected {update!r}"]
    version = payload.get("versionNumber")
    if above is not None and (not isinstance(version, int) or isinstance(version, bool) or version <= above):
        problems.append(f"$.versionNumber: {version!r}, expected one above {above}")
    listed = payload.get("localAuthorizationList") or []
    if entries in ("some", "removals") and not listed:
        problems.append("$.localAuthorizationList: missing or empty, expected a list that is not empty")
    if entries == "none" and listed:
        problems.append(f"$.localAuthorizationList: {len(listed)} entries, expected none (an empty list)")
    if entries == "some":
        problems += [f"$.localAuthorizationList[{i}].idTokenInfo: missing or empty" for i, entry in enumerate(listed)
                     if not isinstance(entry, dict) or not entry.get("idTokenInfo")]
    if entries == "removals":
        problems += [f"$.localAuthorizationList[{i}].idTokenInfo: present, expected none (the entry removes the "
                     "token)" for i, entry in enumerate(listed) if isinstance(entry, dict) and "idTokenInfo" in entry]
    if problems:
        raise station.failure(f"the SendLocalListRequest is not {what}", message="\n".join(problems),
                              actual=record.raw[:800], rules=("SEQ",))


@testcase("TC_D_01_CSMS")
async def test_TC_D_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    record = await _list_sent(station, sut, "its full Local Authorization List", {},
                              f"1-2 (optional). GetLocalListVersionRequest; the station responds {OCTT_VERSION}. 3-4. "
                              "SendLocalListRequest; the station responds Accepted")
    with station.step("Tool validation: updateType Full, versionNumber above 0, a list that is not empty, "
                      "idTokenInfo in every entry (errata 2025-04)"):
        _judge(station, record, "the full list the table expects", update="Full", above=0, entries="some")


@testcase("TC_D_02_CSMS")
async def test_TC_D_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    record = await _list_sent(station, sut, "a Local Authorization List of type Differential with some idTokens",
                              {"updateType": "Differential"},
                              f"1-2. GetLocalListVersionRequest; the station responds {OCTT_VERSION}. 3-4. "
                              "SendLocalListRequest; the station responds Accepted")
    with station.step(f"Tool validation: updateType Differential, versionNumber above {OCTT_VERSION}, a list that is "
                      "not empty"):
        _judge(station, record, "the differential update the table expects", update="Differential", above=OCTT_VERSION,
               entries="some")


@testcase("TC_D_03_CSMS")
async def test_TC_D_03_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token = station.tokens.valid
    record = await _list_sent(station, sut, f"a Local Authorization List of type Differential that removes idToken "
                              f"{token.id_token} (AuthorizationData without idTokenInfo)",
                              {"updateType": "Differential", "localAuthorizationList": [{"idToken": token.wire()}]},
                              "1-2. SendLocalListRequest; the station responds Accepted")
    with station.step(f"Tool validation: updateType Differential, versionNumber above {OCTT_VERSION}, entries "
                      "without idTokenInfo"):
        _judge(station, record, "the differential removal the table expects", update="Differential", above=OCTT_VERSION,
               entries="removals")


@testcase("TC_D_04_CSMS")
async def test_TC_D_04_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    record = await _list_sent(station, sut, "a Local Authorization List of type Full without AuthorizationData",
                              {"updateType": "Full", "localAuthorizationList": []},
                              "1-2. SendLocalListRequest; the station responds Accepted")
    with station.step("Tool validation: updateType Full, an empty list"):
        _judge(station, record, "the empty full list the table expects", update="Full", entries="none")


async def _version_asked(station: StationRole, sut: CsmsControl, version: int, why: str) -> None:
    await station_booted(station)
    asked = station.expect("GetLocalListVersion", respond={"versionNumber": version})
    with station.step("Manual Action: ask the CSMS to get the Local Authorization List version"):
        await sut.trigger(station.identity, "GetLocalListVersion", {})
    with station.step(f"1-2. GetLocalListVersionRequest; the station responds versionNumber {version} ({why})"):
        await station.received(asked)


@testcase("TC_D_08_CSMS")
async def test_TC_D_08_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _version_asked(station, sut, station.configured.local_list_version, "<Configured versionNumber>")


@testcase("TC_D_09_CSMS")
async def test_TC_D_09_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _version_asked(station, sut, 0, "no list")
