"""Blocks C Authorization and D Local Authorization List, SUT = Charging Station (the harness plays the CSMS).

The Part 6 step tables and the Part 2 FR tables are not in the project's reference: the steps follow the use
cases and Part 6 §2's general rules, and requirements are named at use-case level. Each case sets the
configuration it needs first and restores what Part 6 §2.1 assumes (LocalPreAuthorize false) at the end.
"""

from __future__ import annotations

from harness import AbsentOr, CsmsRole, IdToken, StationControl, booted, states, testcase

# Transactions start when the driver is authorized and end when authorization ends: the simplest points to
# observe authorization by (Part 6 sets them per case in its configuration state).
AUTH_POINTS = {"TxCtrlr.TxStartPoint": "Authorized", "TxCtrlr.TxStopPoint": "Authorized"}


async def _refused(csms: CsmsRole, sut: StationControl, token: IdToken, status: str, use_case: str) -> None:
    """Present `token`, answer its AuthorizeRequest with `status`; from the presentation until a while after the
    answer, no TransactionEvent may carry the token (a station may send one before or after the Authorize)."""
    auth = csms.expect("Authorize", {"idToken": {"idToken": token.id_token}},
                       respond={"idTokenInfo": {"status": status}})
    pattern = {"idToken": {"idToken": token.id_token}}
    reason = f"a token the CSMS called {status} must not start charging"
    rule = csms.forbid("TransactionEvent", pattern, reason=reason, requirements=(use_case,))
    try:
        with csms.step(f"Manual Action: present the {status.lower()} idToken {token.id_token}"):
            await sut.present_token(token)
        with csms.step(f"1-2. AuthorizeRequest; the harness responds {status}"):
            await csms.received(auth)
        with csms.step(f"3. The station does not start a transaction for the {status.lower()} token"):
            await csms.expect_none("TransactionEvent", pattern, reason=reason, requirements=(use_case,),
                                   within=csms.configured.message_attempt_interval_transaction_event
                                   + csms.settings.timing.tolerance)
    finally:
        csms.allow(rule)


@testcase("TC_C_02_CS", "Local start transaction - Authorization Invalid/Unknown", usecases=("C01", "C04", "C06"),
          requirements=("C01",))
async def test_TC_C_02_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({**AUTH_POINTS, "AuthCtrlr.LocalPreAuthorize": False})
    await _refused(csms, sut, csms.tokens.invalid, "Invalid", "C01")


@testcase("TC_C_06_CS", "Local start transaction - Authorization Blocked", usecases=("C01",), requirements=("C01",))
async def test_TC_C_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({**AUTH_POINTS, "AuthCtrlr.LocalPreAuthorize": False})
    await _refused(csms, sut, csms.tokens.blocked, "Blocked", "C01")


async def _start_and_stop(csms: CsmsRole, sut: StationControl, *, authorize: bool) -> None:
    await states.authorized(csms, sut, authorize=authorize, local=True)
    await states.stop_authorized(csms, sut, local=True)


@testcase("TC_C_08_CS", "Authorization through authorization cache - Accepted", usecases=("C12",),
          requirements=("C12",), pics="C-49",
          notes="Memory state IdTokenCached: an accepted Authorize fills the cache; with LocalPreAuthorize the "
                "station then starts on the cached token without asking the CSMS.")
async def test_TC_C_08_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({**AUTH_POINTS, "AuthCacheCtrlr.Enabled": True, "AuthCtrlr.LocalPreAuthorize": False})
    try:
        with csms.step("Memory state IdTokenCached: the token is authorized once online"):
            await _start_and_stop(csms, sut, authorize=True)
        await csms.configure({"AuthCtrlr.LocalPreAuthorize": True})
        token = csms.tokens.valid
        started = csms.expect("TransactionEvent", {"eventType": "Started", "idToken": {"idToken": token.id_token}})
        csms.forbid("Authorize", reason="a cached Accepted token is authorized locally (LocalPreAuthorize)",
                    requirements=("C12",), until=started)
        with csms.step("1-2. Present the cached token: TransactionEvent Started with it, no AuthorizeRequest"):
            await sut.present_token(token)
            await csms.received(started)
        await states.stop_authorized(csms, sut, local=True)
    finally:
        await csms.configure({"AuthCtrlr.LocalPreAuthorize": False})


@testcase("TC_C_21_CS", "Offline authorization through local authorization list - Accepted", usecases=("C13",),
          requirements=("C13", "D01"), profiles=("LocalAuth",), pics="C-01")
async def test_TC_C_21_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    token = csms.tokens.valid2
    await csms.configure({**AUTH_POINTS, "LocalAuthListCtrlr.Enabled": True, "AuthCtrlr.LocalAuthorizeOffline": True,
                          "AuthCacheCtrlr.Enabled": False})
    try:
        with csms.step("Memory state IdTokenLocalAuthList: a full list holding the token"):
            version = (await csms.call_ok("GetLocalListVersion", {}))["versionNumber"]
            await csms.call_ok("SendLocalList", {"versionNumber": version + 1, "updateType": "Full",
                                                 "localAuthorizationList": [{"idToken": token.wire(),
                                                                             "idTokenInfo": {"status": "Accepted"}}]},
                               {"status": "Accepted"})
        with csms.step("1. The harness closes the connection and refuses reconnects (offline)"):
            await csms.go_offline()
        with csms.step(f"2. Manual Action: present {token.id_token} while offline"):
            await sut.present_token(token)
        started = csms.expect("TransactionEvent", {"eventType": "Started", "offline": True,
                                                   "idToken": {"idToken": token.id_token}})
        with csms.step("3-4. Back online: the queued TransactionEvent Started, offline true, with the token"):
            csms.go_online()
            await csms.wait_connected(within=_reconnect_window(csms))
            await csms.received(started, within=_reconnect_window(csms))
        await states.stop_authorized(csms, sut, token=token, local=True)
    finally:
        csms.go_online()
        await csms.configure({"AuthCacheCtrlr.Enabled": True})


def _reconnect_window(csms: CsmsRole) -> float:
    """How long a station may take to come back: its back-off (doubling) plus the usual timeout."""
    c = csms.configured
    backoff = (c.retry_back_off_wait_minimum + c.retry_back_off_random_range) * 2 ** c.retry_back_off_repeat_times
    return backoff + csms.settings.timing.default_timeout


@testcase("TC_C_26_CS", "Offline Authorization - Unknown Id", usecases=("C15", "C13"), requirements=("C15",),
          pics="C-02",
          notes="OfflineTxForUnknownIdEnabled: offline, an unknown token starts a transaction; once online the "
                "CSMS answers its TransactionEvent with Unknown and the station (StopTxOnInvalidId) ends it.")
async def test_TC_C_26_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    token = csms.tokens.unknown
    await csms.configure({**AUTH_POINTS, "AuthCtrlr.OfflineTxForUnknownIdEnabled": True,
                          "AuthCtrlr.LocalAuthorizeOffline": True, "TxCtrlr.StopTxOnInvalidId": True})
    try:
        with csms.step("1. The harness closes the connection and refuses reconnects (offline)"):
            await csms.go_offline()
        with csms.step(f"2. Manual Action: present the unknown token {token.id_token} while offline"):
            await sut.present_token(token)
        started = csms.expect("TransactionEvent", {"eventType": "Started", "offline": True,
                                                   "idToken": {"idToken": token.id_token}},
                              respond={"idTokenInfo": {"status": "Unknown"}})
        ended = csms.expect("TransactionEvent", {"eventType": "Ended", "triggerReason": "Deauthorized",
                                                 "transactionInfo": {"stoppedReason": AbsentOr("DeAuthorized")}})
        with csms.step("3-4. Back online: Started offline true with the unknown token; the harness says Unknown"):
            csms.go_online()
            await csms.received(started, within=_reconnect_window(csms))
        with csms.step("5. The station ends the transaction: Ended Deauthorized"):
            await csms.received(ended)
    finally:
        csms.go_online()
        await csms.configure({"AuthCtrlr.OfflineTxForUnknownIdEnabled": False})


@testcase("TC_C_37_CS", "Clear Authorization Data in Authorization Cache - Accepted", usecases=("C11",),
          requirements=("C11",), pics="C-49",
          notes="After ClearCache the formerly cached token is no longer authorized locally: with "
                "LocalPreAuthorize the station asks the CSMS again.")
async def test_TC_C_37_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({**AUTH_POINTS, "AuthCacheCtrlr.Enabled": True, "AuthCtrlr.LocalPreAuthorize": False})
    try:
        with csms.step("Memory state IdTokenCached"):
            await _start_and_stop(csms, sut, authorize=True)
        with csms.step("1-2. ClearCacheRequest; the station responds Accepted"):
            await csms.call_ok("ClearCache", {}, {"status": "Accepted"})
        await csms.configure({"AuthCtrlr.LocalPreAuthorize": True})
        with csms.step("3-4. Present the token again: the cache is empty, so AuthorizeRequest comes"):
            await _start_and_stop(csms, sut, authorize=True)
    finally:
        await csms.configure({"AuthCtrlr.LocalPreAuthorize": False})


@testcase("TC_C_39_CS", "Authorization by GroupId - Success", usecases=("C09",), requirements=("C09",))
async def test_TC_C_39_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({**AUTH_POINTS, "AuthCtrlr.LocalPreAuthorize": False})
    await states.authorized(csms, sut, local=True)
    group = csms.tokens.group
    with csms.step(f"1-4. Another token of the same group ({group.id_token}) stops the transaction"):
        await states.stop_authorized(csms, sut, token=group, authorize=True, local=True)


