"""Blocks C Authorization and D Local Authorization List, SUT = CSMS (the harness plays a Charging Station).

The Part 6 step tables and the Part 2 FR tables are not in the project's reference: the steps follow the use
cases and Part 6 §3.1's configuration of the tool's station, and requirements are named at use-case level.
"""

from __future__ import annotations

from harness import ANY, CsmsControl, OneOf, StationRole, Where, station_booted, testcase

GROUP_OF = Where(lambda v: isinstance(v, dict) and bool(v.get("idToken")), "an IdTokenType")


@testcase("TC_C_02_CSMS", "Local start transaction - Authorization Invalid/Unknown", usecases=("C01", "C04", "C06"),
          requirements=("C01",),
          notes="The station presents a token the CSMS does not know; Invalid and Unknown are both correct answers.")
async def test_TC_C_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    with station.step("1-2. AuthorizeRequest with an unknown idToken; the CSMS responds Invalid or Unknown"):
        await station.authorize(station.tokens.unknown, {"idTokenInfo": {"status": OneOf("Invalid", "Unknown")}})


@testcase("TC_C_08_CSMS", "Authorization through authorization cache - Accepted", usecases=("C12",),
          requirements=("C01", "C12",),
          notes="The CSMS's answers are what the station caches: Accepted for the valid token, both in "
                "AuthorizeResponse and in the TransactionEventResponse of the transaction it starts.")
async def test_TC_C_08_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token = station.tokens.valid
    with station.step("1-2. AuthorizeRequest with a valid idToken; the CSMS responds Accepted"):
        await station.authorize(token, {"idTokenInfo": {"status": "Accepted"}})
    tx = station.transaction()
    with station.step("3-4. TransactionEventRequest Started with the cached idToken; idTokenInfo Accepted"):
        await station.status(1, 1, "Occupied")
        await tx.event("Started", "Authorized", {"idTokenInfo": {"status": "Accepted"}}, id_token=token,
                       charging_state="EVConnected")
    with station.step("Cleanup: the EV leaves; Ended"):
        await tx.event("Ended", "EVCommunicationLost", {}, charging_state="Idle", stopped_reason="EVDisconnected")
        await station.status(1, 1, "Available")


@testcase("TC_C_39_CSMS", "Authorization by GroupId - Success", usecases=("C09",),
          requirements=("C09",),
          notes="Two different tokens of one group: the CSMS names the same groupIdToken for both.")
async def test_TC_C_39_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    with station.step("1-2. AuthorizeRequest with the first token; Accepted with its groupIdToken"):
        first = await station.authorize(station.tokens.valid, {"idTokenInfo": {"status": "Accepted",
                                                                                "groupIdToken": GROUP_OF}})
    group = first["idTokenInfo"]["groupIdToken"]["idToken"]
    with station.step("3-4. AuthorizeRequest with another token of the group; Accepted, same groupIdToken"):
        await station.authorize(station.tokens.group, {"idTokenInfo": {"status": "Accepted",
                                                                        "groupIdToken": {"idToken": group}}})


@testcase("TC_D_01_CSMS", "Send Local Authorization List - Full", usecases=("D01",), profiles=("LocalAuth",),
          requirements=("D01",),
          notes="The operator triggers a full list; the request must carry a version and the list entries.")
async def test_TC_D_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token = station.tokens.valid
    request = {"versionNumber": 1, "updateType": "Full", "localAuthorizationList": [
        {"idToken": token.wire(), "idTokenInfo": {"status": "Accepted"}}]}
    sent = station.expect("SendLocalList", {"versionNumber": Where(lambda v: isinstance(v, int) and v > 0,
                                                                   "versionNumber > 0"),
                                            "updateType": "Full", "localAuthorizationList": ANY},
                          respond={"status": "Accepted"})
    with station.step("Manual Action: request the CSMS to send a full Local Authorization List"):
        await sut.trigger(station.identity, "SendLocalList", request)
    with station.step("1-2. SendLocalListRequest updateType Full with a version; the station accepts"):
        record = await station.received(sent)
    entries = record.frame.payload["localAuthorizationList"]  # type: ignore[union-attr]
    with station.step("Validation: every entry names an idToken and its idTokenInfo"):
        for entry in entries:
            station.transcript.note(f"list entry {entry['idToken']['idToken']}")
            if not isinstance(entry.get("idTokenInfo"), dict):
                raise station.failure("a full list entry without idTokenInfo", actual=str(entry),
                                      requirements=("D01",))

