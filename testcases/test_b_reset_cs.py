"""Block B Provisioning, SUT = Charging Station: Reset (B11, B12) as the Part 6 tables run it, with transactions
running (OnIdle: Scheduled, the reboot once they have ended; Immediate: ended with ResetCommand / ImmediateReset
first), with a connector made Unavailable before, and per EVSE (C-13; without it Rejected). TC_B_20_CS (no
transaction, OnIdle) is in test_b_provisioning_cs.py. The ResetRequests for the whole station omit evseId
(errata 2024-09 [4390]).

TC_B_21_CS's note names TxStartPoint for when steps 4-6 run; it is the transaction's end that decides (as
TC_B_41_CS says with TxStopPoint): the reusable states run until the transaction has ended.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from harness import (
    ABSENT,
    Call,
    CsmsRole,
    IdToken,
    NotApplicable,
    OneOf,
    Record,
    StationControl,
    booted,
    difference,
    states,
    testcase,
)

STARTUP = ("StartupOfTheDevice", "ResetOrReboot")


def _all_connectors_known(csms: CsmsRole) -> None:
    """Post-scenario validation: a state has been reported for every connector (in the session)."""
    with csms.step("Post-scenario validation: a connector state has been reported for every connector"):
        known = csms.session_connector_states()
        missing = [f"EVSE {e} connector {c}" for e, c in csms.connectors() if (e, c) not in known]
        if missing:
            raise csms.failure("no connector state has been reported for " + ", ".join(missing), rules=("SEQ",))


class Reboot:
    """The expectations of a reboot the case causes, registered before its cause: the BootNotification (answered
    Accepted), the connector states the table wants, the startup security event (where the table has it)."""

    def __init__(self, csms: CsmsRole, wanted: dict[tuple[int, int], str] | None, *, event: bool) -> None:
        self.csms = csms
        mark = csms.mark()
        self.boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"), after=mark,
                                answer_near_miss=True)
        self.mark = mark
        self.wanted = wanted
        self.event = csms.expect("SecurityEventNotification", {"type": OneOf(*STARTUP)}, after=mark, shared=True,
                                 description="SecurityEventNotification StartupOfTheDevice or ResetOrReboot") \
            if event else None

    async def booted(self, numbers: str, reason: str) -> Record:
        csms = self.csms
        with csms.step(f"{numbers}. The station reboots: BootNotificationRequest reason {reason}; the harness "
                       "answers Accepted"):
            record = await csms.received(self.boot, within=csms.reboot_wait())
            got = record.frame.payload.get("reason") if isinstance(record.frame, Call) else None
            if got != reason:
                raise csms.failure(f"the BootNotification after the reset is not reason {reason}",
                                   expected=f"reason {reason}", actual=record.raw[:400], rules=("SEQ",))
        return record

    async def connectors(self, numbers: str, wanted: dict[tuple[int, int], str], boot: Record) -> None:
        csms = self.csms
        shown = ", ".join(f"EVSE {e} connector {c} {s}" for (e, c), s in sorted(wanted.items()))
        with csms.step(f"{numbers}. The station reports every connector: {shown}"):
            for (e, c), status in sorted(wanted.items()):
                await csms.receive_status(e, c, status, after=boot)

    async def security_event(self, numbers: str) -> None:
        if self.event is not None:
            with self.csms.step(f"{numbers}. SecurityEventNotificationRequest StartupOfTheDevice or ResetOrReboot"):
                await self.csms.received(self.event)


async def _until_ended(csms: CsmsRole, sut: StationControl, evse: int,
                       run: list[tuple[str, Callable[[], Awaitable[object]]]]) -> bool:
    """Run the reusable states in order until the transaction on `evse` has ended; whether it ended at the first."""
    for index, (title, state) in enumerate(run):
        with csms.step(title):
            await state()
        if csms.transaction_on(evse) is None:
            return index == 0
    raise csms.failure(f"the transaction on EVSE {evse} did not end after the EV left", rules=("SEQ",))


def _session(csms: CsmsRole, sut: StationControl, evse: int, first: int,
             token: IdToken | None = None) -> list[tuple[str, Callable[[], Awaitable[object]]]]:
    """Steps StopAuthorized (with `token`, default the valid one), EVConnectedPostSession, EVDisconnected,
    ParkingBayUnoccupied for `evse`."""
    return [(f"{first}. Reusable state StopAuthorized (EVSE {evse})",
             lambda: states.stop_authorized(csms, sut, token, evse=evse)),
            (f"{first + 1}. Reusable state EVConnectedPostSession (EVSE {evse})",
             lambda: states.ev_connected_post_session(csms, sut, evse)),
            (f"{first + 2}. Reusable state EVDisconnected (EVSE {evse})", lambda: states.ev_disconnected(csms, sut, evse)),
            (f"{first + 3}. Reusable state ParkingBayUnoccupied (EVSE {evse})",
             lambda: states.parking_bay_unoccupied(csms, sut, evse))]


def _after(csms: CsmsRole, occupied: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    return {(e, c): "Occupied" if (e, c) in occupied else "Available" for e, c in csms.connectors()}


@testcase("TC_B_21_CS")
async def test_TC_B_21_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    await states.energy_transfer_started(csms, sut, evse)  # Before: State is EnergyTransferStarted
    reboot = Reboot(csms, None, event=True)
    with csms.step("1-2. ResetRequest OnIdle (no evseId); the station answers Scheduled"):
        await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Scheduled"})
    at_stop = await _until_ended(csms, sut, evse, _session(csms, sut, evse, 3))
    boot = await reboot.booted("7-8", "ScheduledReset")
    await reboot.connectors("9-10", _after(csms, {(evse, connector)} if at_stop else set()), boot)
    await reboot.security_event("11-12")
    _all_connectors_known(csms)


@testcase("TC_B_22_CS")
async def test_TC_B_22_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    await states.energy_transfer_started(csms, sut, evse)  # Before: State is EnergyTransferStarted
    running = csms.transaction_on(evse)
    mark = csms.mark()
    ended = csms.expect("TransactionEvent", {"eventType": "Ended", "transactionInfo": {"transactionId": running}},
                        after=mark, description=f"TransactionEvent Ended of transaction {running}")
    reboot = Reboot(csms, None, event=False)
    with csms.step("1-2. ResetRequest Immediate (no evseId); the station answers Accepted"):
        await csms.call_ok("Reset", {"type": "Immediate"}, {"status": "Accepted"})
    with csms.step("3-4. TransactionEventRequest Ended, triggerReason ResetCommand, chargingState EVConnected, "
                   "stoppedReason ImmediateReset, no idToken"):
        record = await csms.received(ended)
        _check_reset_end(csms, record, token_omitted=True)
    boot = await reboot.booted("5-6", "RemoteReset")
    if boot.seq < record.seq:
        raise csms.failure("the station rebooted before it ended the transaction", rules=("SEQ",),
                           requirements=("B12.FR.02",))
    await reboot.connectors("7-8", _after(csms, {(evse, connector)}), boot)
    _all_connectors_known(csms)


def _check_reset_end(csms: CsmsRole, record: Record, *, token_omitted: bool) -> None:
    payload = record.frame.payload if isinstance(record.frame, Call) else {}
    wanted: dict[str, object] = {"triggerReason": "ResetCommand",
                                 "transactionInfo": {"chargingState": "EVConnected", "stoppedReason": "ImmediateReset"}}
    if token_omitted:
        wanted["idToken"] = ABSENT
    problems = difference(wanted, payload)
    if problems:
        raise csms.failure("the transaction ended by the reset is not reported as the table wants",
                           message="\n".join(problems), actual=record.raw[:600], requirements=("B12.FR.02",),
                           rules=("SEQ",))


@testcase("TC_B_23_CS")
async def test_TC_B_23_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    await states.unavailable(csms, sut, evse, connector)  # Memory state: Unavailable for the configured connector
    wanted = {(e, c): "Unavailable" if (e, c) == (evse, connector) else "Available" for e, c in csms.connectors()}
    reboot = Reboot(csms, wanted, event=False)
    with csms.step("1-2. ResetRequest OnIdle (no evseId); the station answers Accepted"):
        await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Accepted"})
    boot = await reboot.booted("3-4", "RemoteReset")
    await reboot.connectors("5-6", wanted, boot)
    _all_connectors_known(csms)


@testcase("TC_B_25_CS")
async def test_TC_B_25_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    with csms.step(f"1-2. ResetRequest OnIdle, evseId {evse}; the station answers Accepted"):
        await csms.call_ok("Reset", {"type": "OnIdle", "evseId": evse}, {"status": "Accepted"})


@testcase("TC_B_26_CS")
async def test_TC_B_26_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    await states.energy_transfer_started(csms, sut, evse)  # Before: State is EnergyTransferStarted
    with csms.step(f"1-2. ResetRequest OnIdle, evseId {evse}; the station answers Scheduled"):
        await csms.call_ok("Reset", {"type": "OnIdle", "evseId": evse}, {"status": "Scheduled"})
    await _until_ended(csms, sut, evse, _session(csms, sut, evse, 3))


@testcase("TC_B_27_CS")
async def test_TC_B_27_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    await states.energy_transfer_started(csms, sut, evse)  # Before: State is EnergyTransferStarted
    running = csms.transaction_on(evse)
    ended = csms.expect("TransactionEvent", {"eventType": "Ended", "transactionInfo": {"transactionId": running}},
                        after=csms.mark(), description=f"TransactionEvent Ended of transaction {running}")
    with csms.step(f"1-2. ResetRequest Immediate, evseId {evse}; the station answers Accepted"):
        await csms.call_ok("Reset", {"type": "Immediate", "evseId": evse}, {"status": "Accepted"})
    with csms.step("3-4. TransactionEventRequest Ended, triggerReason ResetCommand, chargingState EVConnected, "
                   "stoppedReason ImmediateReset"):
        _check_reset_end(csms, await csms.received(ended), token_omitted=False)


@testcase("TC_B_28_CS")
async def test_TC_B_28_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    with csms.step(f"1-2. ResetRequest OnIdle, evseId {evse}; the station answers Rejected"):
        await csms.call_ok("Reset", {"type": "OnIdle", "evseId": evse}, {"status": "Rejected"})


@testcase("TC_B_29_CS")
async def test_TC_B_29_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    await states.energy_transfer_started(csms, sut, evse)  # Before: State is EnergyTransferStarted
    with csms.step(f"1-2. ResetRequest OnIdle, evseId {evse}; the station answers Rejected"):
        await csms.call_ok("Reset", {"type": "OnIdle", "evseId": evse}, {"status": "Rejected"})


@testcase("TC_B_41_CS")
async def test_TC_B_41_CS(csms: CsmsRole, sut: StationControl) -> None:
    if len({e for e, _ in csms.connectors()}) < 2:
        raise NotApplicable("the Charging Station has one EVSE (prerequisite: more than one)")
    await booted(csms, sut)
    tokens = {1: csms.tokens.valid, 2: csms.tokens.valid2}
    for evse, token in tokens.items():  # Before: EnergyTransferStarted for EVSE 1 and for EVSE 2
        with csms.step(f"Reusable state EnergyTransferStarted on EVSE {evse} with idToken {token.id_token}"):
            await states.authorized(csms, sut, token, evse, local=True)
            await states.energy_transfer_started(csms, sut, evse)
    reboot = Reboot(csms, None, event=False)
    with csms.step("1-2. ResetRequest OnIdle (no evseId); the station answers Scheduled"):
        await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Scheduled"})
    for title, state in _session(csms, sut, 1, 3):  # steps 3-6: every state for EVSE 1
        with csms.step(title):
            await state()
    if csms.transaction_on(1) is not None:
        raise csms.failure("the transaction on EVSE 1 did not end after the EV left", rules=("SEQ",))
    at_stop = await _until_ended(csms, sut, 2, _session(csms, sut, 2, 7, tokens[2]))  # steps 7-10: until it has ended
    boot = await reboot.booted("11-12", "ScheduledReset")
    await reboot.connectors("13-14", _after(csms, {(2, 1)} if at_stop else set()), boot)
    _all_connectors_known(csms)
