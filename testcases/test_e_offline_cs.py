"""Block E Transactions, SUT = Charging Station: the transaction status (E14) and the offline stop by a token of
the same group (E08), each from its Part 6 table (the E13 retries are in test_transactions_cs.py).

Offline is produced as the official Test System produces it: the harness closes the connection and refuses
reconnects for the profile's <Configured RetryBackOffWaitMinimum_duration>, answers with CALLERROR or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from harness import (
    ABSENT,
    CsmsRole,
    PreconditionNotMet,
    StationControl,
    booted,
    states,
    testcase,
)


def _sampled_config(csms: CsmsRole) -> dict[str, Any]:
    return {"SampledDataCtrlr.TxUpdatedMeasurands": csms.configured.tx_updated_measurands,
            "SampledDataCtrlr.TxUpdatedInterval": csms.configured.tx_updated_interval}


def _queued_while_offline(csms: CsmsRole) -> None:
    """The note of TC_E_29 / TC_E_33: the offline window must be longer than the meter values interval."""
    if csms.configured.retry_back_off_wait_minimum <= csms.configured.tx_updated_interval:
        raise PreconditionNotMet("Part 6 needs <Configured RetryBackOffWaitMinimum_duration> greater than the "
                                 "transaction meter values interval, or nothing is queued while offline",
                                 fix="in the SUT profile, make configured.retry_back_off_wait_minimum greater than "
                                     "configured.tx_updated_interval")


async def _status(csms: CsmsRole, transaction: str | None, ongoing: bool | None, queued: bool, steps: str) -> None:
    """GetTransactionStatusRequest (for `transaction`, or without one) and the answer the table wants
    (ongoingIndicator `ongoing`, None: omitted; messagesInQueue `queued`)."""
    wanted: dict[str, Any] = {"ongoingIndicator": ABSENT if ongoing is None else ongoing, "messagesInQueue": queued}
    with csms.step(f"{steps}. GetTransactionStatusRequest " + (f"for transaction {transaction}" if transaction
                   else "without transactionId") + f"; ongoingIndicator {'omitted' if ongoing is None else ongoing}, "
                   f"messagesInQueue {queued}"):
        await csms.call_ok("GetTransactionStatus", {"transactionId": transaction} if transaction else {}, wanted)


async def _status_with_queue(csms: CsmsRole, sut: StationControl, *, with_id: bool) -> None:
    """TC_E_29 / TC_E_33: offline for <Configured RetryBackOffWaitMinimum_duration> while energy flows; the moment
    the station is back, GetTransactionStatus; then its queue: Updated events with meter values, offline true. The
    harness answers the first queued event only after the status answer (within the station's message timeout),
    so the queue still holds it whatever the station's timing."""
    _queued_while_offline(csms)
    await booted(csms, sut)
    await csms.configure({**_sampled_config(csms), **states.offline_window(csms)})
    await states.energy_transfer_started(csms, sut)
    tx = csms.transaction_on(csms.configured.evse_id)
    assert tx is not None  # energy_transfer_started waited for its event
    wait = csms.configured.retry_back_off_wait_minimum
    with csms.step(f"1-2. The harness closes the connection and refuses reconnects for {wait} s, then accepts"):
        await csms.go_offline()
        await csms.hold(wait, "<Configured RetryBackOffWaitMinimum_duration> before a reconnect is accepted")
    answered = asyncio.Event()

    async def after_status(payload: dict[str, Any]) -> dict[str, Any]:
        with contextlib.suppress(TimeoutError):  # never longer than the station waits for an answer
            async with asyncio.timeout(max(0.5, csms.configured.message_timeout - csms.settings.timing.tolerance)):
                await answered.wait()
        return {"idTokenInfo": csms.id_token_info(payload["idToken"])} if "idToken" in payload else {}

    held = csms.expect("TransactionEvent", {"transactionInfo": {"transactionId": tx}}, respond=after_status)
    mark = csms.mark()
    csms.go_online()
    await csms.wait_record(lambda r: r.event == "open", after=mark.seq if mark else 0, within=csms.reconnect_wait(),
                           what="the station to reconnect")
    try:
        await _status(csms, tx if with_id else None, True if with_id else None, True, "3-4")
    finally:
        answered.set()
    with csms.step("5-6. The station empties its queue: TransactionEvent Updated, meter values, offline true"):
        first = await csms.received(held, within=csms.reconnect_wait())
        queued = [first, *[r for r in csms.transactions.get(tx, []) if r.seq > first.seq]]
        for record in queued:
            payload = record.frame.payload  # type: ignore[union-attr]
            if payload.get("offline") is not True:
                break
            if payload.get("eventType") != "Updated" or not payload.get("meterValue"):
                raise csms.failure("a queued TransactionEvent is not an Updated event with meter values",
                                   actual=record.raw[:600], requirements=("E14.FR.04",), rules=("SEQ",))
        if first.frame.payload.get("offline") is not True:  # type: ignore[union-attr]
            raise csms.failure("the first TransactionEvent after the reconnect is not offline true",
                               actual=first.raw[:600], requirements=("E14.FR.04",), rules=("TX-3",))


@testcase("TC_E_28_CS")
async def test_TC_E_28_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _status(csms, str(uuid.uuid4()), False, False, "1-2")


@testcase("TC_E_29_CS")
async def test_TC_E_29_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _status_with_queue(csms, sut, with_id=True)


@testcase("TC_E_30_CS")
async def test_TC_E_30_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await states.energy_transfer_started(csms, sut)
    await _status(csms, csms.transaction_on(csms.configured.evse_id), True, False, "1-2")


@testcase("TC_E_32_CS")
async def test_TC_E_32_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await states.energy_transfer_started(csms, sut)
    tx = csms.transaction_on(csms.configured.evse_id)
    await states.stop_authorized(csms, sut)
    await states.ev_connected_post_session(csms, sut)
    await states.ev_disconnected(csms, sut)
    await states.parking_bay_unoccupied(csms, sut)
    await _status(csms, tx, False, False, "1-2")


@testcase("TC_E_33_CS")
async def test_TC_E_33_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _status_with_queue(csms, sut, with_id=False)


@testcase("TC_E_34_CS")
async def test_TC_E_34_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _status(csms, None, None, False, "1-2")


# ---- E08 offline stop by the same group -------------------------------------------------------------------------------
@testcase("TC_E_45_CS")
async def test_TC_E_45_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(states.offline_window(csms))
    group = csms.tokens.group
    flags = await csms.configuration.read("AuthCacheCtrlr.Enabled", "LocalAuthListCtrlr.Enabled")
    if flags["AuthCacheCtrlr.Enabled"] is not None:
        await states.id_token_cached(csms, sut, group)
    if flags["LocalAuthListCtrlr.Enabled"] is not None:
        await states.id_token_local_auth_list(csms, sut, group, with_group=True)
    await states.authorized(csms, sut, csms.tokens.valid)
    await states.energy_transfer_started(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    _, stop = await csms.tx_points()
    with csms.step(f"1. The harness closes the connection and refuses reconnects. Manual Actions: present idToken "
                   f"{group.id_token} (same group), disconnect the EV"
                   + (", drive the EV out of the parking bay" if "ParkingBayOccupancy" in stop else "")):
        await csms.go_offline()
        mark = csms.mark()
        await sut.present_token(group)
        await sut.unplug(evse, connector)
        if "ParkingBayOccupancy" in stop:
            await sut.parking_bay(evse, False)
        csms.authorized.pop(evse, None)
    with csms.step("2-4. The harness accepts the reconnect; the station empties its queue: every event offline "
                   "true, one of them Ended"):
        csms.go_online()
        queued = await states.queued_transaction_events(csms, mark, until_types=frozenset({"Ended"}))
        if not any(r.frame.payload.get("eventType") == "Ended" for r in queued):  # type: ignore[union-attr]
            raise csms.failure("no queued TransactionEvent Ended: the token of the same group did not stop the "
                               "transaction while offline", actual=f"{len(queued)} queued event(s)",
                               requirements=("E08.FR.02",), rules=("SEQ",))
        with csms.beyond_part6("E08.FR.02", "the token of the same group stopped the transaction (StopAuthorized)"):
            if not any(r.frame.payload.get("triggerReason") == "StopAuthorized" for r in queued):  # type: ignore[union-attr]
                raise csms.failure("no queued event says StopAuthorized: the token of the same group did not stop "
                                   "the transaction (only the EV leaving did)", requirements=("E08.FR.02",),
                                   rules=("SEQ",))
