"""Block D, the Local Authorization List (D01 send it, D02 get its version), SUT = Charging Station (the harness
plays the CSMS).

Each case follows its Part 6 table. Its memory state IdTokenLocalAuthList installs the list with the configured
valid idToken at <Configured versionNumber> (the profile's `configured.local_list_version`), the version every
table counts from: a differential update one above it, the VersionMismatch case one below. "Empty" in a table is
a request without `localAuthorizationList` (the schema allows no empty array). The harness restores
LocalAuthListCtrlr.Enabled after the case; the list itself is each case's own, installed afresh.
"""

from __future__ import annotations

from typing import Any

from harness import (
    CsmsRole,
    IfImplemented,
    PreconditionNotMet,
    StationControl,
    booted,
    states,
    testcase,
)


async def _list_installed(csms: CsmsRole, sut: StationControl) -> int:
    """Before: LocalAuthListEnabled true (if implemented), memory state IdTokenLocalAuthList for the configured
    valid idToken at <Configured versionNumber>; that version."""
    version = csms.configured.local_list_version
    await states.id_token_local_auth_list(csms, sut, version=version)
    return version


async def _send(csms: CsmsRole, step: str, update: str, version: int, entries: list[dict[str, Any]] | None,
                status: str, what: str) -> None:
    payload: dict[str, Any] = {"versionNumber": version, "updateType": update}
    if entries:
        payload["localAuthorizationList"] = entries
    with csms.step(f"{step}. SendLocalListRequest {update}, versionNumber {version}, {what}; the station responds "
                   f"{status}"):
        await csms.call_ok("SendLocalList", payload, {"status": status})


async def _version_is(csms: CsmsRole, step: str, version: int, why: str) -> None:
    with csms.step(f"{step}. GetLocalListVersionRequest; the station responds versionNumber {version} ({why})"):
        await csms.call_ok("GetLocalListVersion", {}, {"versionNumber": version})


@testcase("TC_D_01_CS")
async def test_TC_D_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"LocalAuthListCtrlr.Enabled": IfImplemented(True)})
    version, token = csms.configured.local_list_version, csms.tokens.valid
    await _send(csms, "1-2", "Full", version, [{"idToken": token.wire(), "idTokenInfo": {"status": "Accepted"}}],
                "Accepted", f"the valid idToken {token.id_token}")
    await _version_is(csms, "3-4", version, "<Configured versionNumber>")


async def _differential(csms: CsmsRole, sut: StationControl, entries: list[dict[str, Any]] | None,
                        what: str) -> None:
    """TC_D_02/03/05_CS: a differential update one version above the list, Accepted; the station then names
    that version."""
    await booted(csms, sut)
    version = await _list_installed(csms, sut) + 1
    await _send(csms, "1-2", "Differential", version, entries, "Accepted", what)
    await _version_is(csms, "3-4", version, "the version of step 1")


@testcase("TC_D_02_CS")
async def test_TC_D_02_CS(csms: CsmsRole, sut: StationControl) -> None:
    token = csms.tokens.valid2
    await _differential(csms, sut, [{"idToken": token.wire(), "idTokenInfo": {"status": "Accepted"}}],
                        f"the second valid idToken {token.id_token}")


@testcase("TC_D_03_CS")
async def test_TC_D_03_CS(csms: CsmsRole, sut: StationControl) -> None:
    token = csms.tokens.valid
    await _differential(csms, sut, [{"idToken": token.wire()}],
                        f"idToken {token.id_token} without idTokenInfo (remove it)")


@testcase("TC_D_04_CS")
async def test_TC_D_04_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    version = await _list_installed(csms, sut)
    await _send(csms, "1-2", "Full", version, None, "Accepted", "no entries (an empty list)")
    await _version_is(csms, "3-4", version, "<Configured versionNumber>")


@testcase("TC_D_05_CS")
async def test_TC_D_05_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _differential(csms, sut, None, "no entries (an empty list)")


@testcase("TC_D_06_CS")
async def test_TC_D_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    if csms.configured.local_list_version <= 1:
        raise PreconditionNotMet("Part 6 needs <Configured versionNumber> above 1: the case sends one version "
                                 "below it", fix="in the SUT profile, make configured.local_list_version 2 or more")
    await booted(csms, sut)
    version = await _list_installed(csms, sut)
    token = csms.tokens.valid2
    await _send(csms, "1-2", "Differential", version - 1,
                [{"idToken": token.wire(), "idTokenInfo": {"status": "Accepted"}}], "VersionMismatch",
                f"the second valid idToken {token.id_token} (older than the list)")
    await _version_is(csms, "3-4", version, "<Configured versionNumber>: the old update changed nothing")


@testcase("TC_D_07_CS")
async def test_TC_D_07_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    version = await _list_installed(csms, sut)
    with csms.step("Charging state Booted: a power cycle after the list was installed"):
        await booted(csms, sut, power_cycle=True)
    await _version_is(csms, "1-2", version, "<Configured versionNumber>: the list outlived the reboot")


@testcase("TC_D_08_CS")
async def test_TC_D_08_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    version = await _list_installed(csms, sut)
    await _version_is(csms, "1-2", version, "<Configured versionNumber>")


@testcase("TC_D_10_CS")
async def test_TC_D_10_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"LocalAuthListCtrlr.Enabled": IfImplemented(False)})
    await _version_is(csms, "1-2", 0, "the list is disabled")
