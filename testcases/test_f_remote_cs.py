"""Block F Remote control, SUT = Charging Station, as the Part 6 tables run them: the remote start before the EV
(F02), its cable plug-in timeout (F02 / E03), a remote stop of an unknown transaction (F03), UnlockConnector (F05)
and TriggerMessage (F06). The TriggerMessage cases share one helper (`_trigger`) and the judging of what the
station sends; each id keeps its own steps. TC_F_01/02/08/27_CS are in test_remote_cs.py, TC_F_06_CS is a YAML
scenario.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from harness import (
    AbsentOr,
    CsmsRole,
    FirmwareServer,
    IfImplemented,
    IfWritable,
    LogReceiver,
    NotApplicable,
    OcppFailure,
    OneOf,
    PreconditionNotMet,
    Record,
    StationControl,
    Where,
    booted,
    check_interval,
    difference,
    states,
    testcase,
)

# Part 6 names it AuthCtrlr.AuthEnabled; the variable of Part 2's AuthCtrlr is Enabled.
REMOTE_AUTH = {"AuthCtrlr.Enabled": IfWritable(True), "AuthCtrlr.DisableRemoteAuthorization": IfImplemented(False)}


def _payload(record: Record) -> dict[str, Any]:
    payload = getattr(record.frame, "payload", None)
    return dict(payload) if isinstance(payload, Mapping) else {}


def _context(payload: Mapping[str, Any]) -> object:
    """meterValue[0].sampledValue[0].context (None where there is none)."""
    values = payload.get("meterValue")
    first = values[0] if isinstance(values, list) and values and isinstance(values[0], Mapping) else {}
    sampled = first.get("sampledValue")
    return sampled[0].get("context") if isinstance(sampled, list) and sampled and isinstance(sampled[0], Mapping) \
        else None


def _judge(csms: CsmsRole, record: Record, wanted: Mapping[str, Any], what: str, *,
           context: str | None = None) -> None:
    """A message the station sent must satisfy the table's tool validations: `wanted` (partially) and, `context`,
    meterValue[0].sampledValue[0].context."""
    payload = _payload(record)
    problems = difference(dict(wanted), payload)
    if context is not None and _context(payload) != context:
        problems.append(f"$.meterValue[0].sampledValue[0].context: expected {context!r}, got {_context(payload)!r}")
    if problems:
        shown = ", ".join(f"{k} {v!r}" for k, v in wanted.items()) + (f", context {context}" if context else "")
        raise csms.failure(f"{what} is not as the table requires", message="\n".join(problems),
                           expected=shown, actual=record.raw[:600], rules=("SEQ",))


async def _trigger(csms: CsmsRole, numbers: str, requested: str, evse: dict[str, int] | None = None, *,
                   status: str = "Accepted") -> None:
    """The OCTT's TriggerMessageRequest for `requested` (for `evse`, or evse omitted); the station must answer
    `status`. What it then sends is registered by the caller before, and judged after."""
    where = f" for EVSE {evse['id']}" + (f" connector {evse['connectorId']}" if "connectorId" in evse else "") \
        if evse is not None else ", evse omitted"
    payload: dict[str, Any] = {"requestedMessage": requested, **({"evse": evse} if evse is not None else {})}
    with csms.step(f"{numbers}. TriggerMessageRequest {requested}{where}; the station responds {status}"):
        await csms.call_ok("TriggerMessage", payload, {"status": status})


# a station may send clock-aligned MeterValues meanwhile (AlignedDataCtrlr): those are not the triggered one
NOT_CLOCK = {"meterValue": Where(lambda values: _context({"meterValue": values}) != "Sample.Clock",
                                 "not a clock-aligned meter value")}


def _evses(csms: CsmsRole) -> list[tuple[int, int]]:
    """Each EVSE of the station with its first connector."""
    first: dict[int, int] = {}
    for evse, connector in csms.connectors():
        first.setdefault(evse, connector)
    return sorted(first.items())


# ---- F02 remote start first ---------------------------------------------------------------------------------------
@testcase("TC_F_03_CS")
async def test_TC_F_03_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    key = "AuthCtrlr.AuthorizeRemoteStart"
    values = await csms.configure({**REMOTE_AUTH, key: IfWritable(False)})
    if values.get(key) == "true":
        raise NotApplicable(f"the station keeps {key} read-only at true (prerequisite)")
    # Before: ParkingBayOccupied is optional; no bay sensor is driven
    await states.authorized(csms, sut, how="remote")  # 1
    await states.energy_transfer_started(csms, sut)  # 2


@testcase("TC_F_04_CS",
          notes="Errata 2025-09 6.2.56/57: TxStartPoint is set to Authorized only where the station takes it (the "
                "prerequisite is gone); without a transaction at authorization step 1 sends nothing.")
async def test_TC_F_04_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    timeout = csms.configured.ev_connection_timeout
    wanted: dict[str, Any] = {"TxCtrlr.EVConnectionTimeOut": timeout, **REMOTE_AUTH}
    if not {"ParkingBayOccupancy", "Authorized"} & set(await csms.configuration.members("TxCtrlr.TxStartPoint")):
        wanted["TxCtrlr.TxStartPoint"] = IfWritable("Authorized")
    await csms.configure(wanted)
    evse = csms.configured.evse_id
    first = await states.authorized(csms, sut, how="remote")
    tx_id = csms.transaction_on(evse)
    with csms.step(f"1-2. No EV within EVConnectionTimeOut ({timeout} s): TransactionEvent Ended, triggerReason "
                   "EVConnectTimeout (only when the transaction started at authorization); the harness responds"):
        if first is not None and tx_id is not None:
            csms.sut_timer(timeout, "the station's EVConnectionTimeOut", since=first.mono)
            events = await csms.transaction_events(
                tx_id, after=first, what=f"the transaction {tx_id} to end after EVConnectionTimeOut",
                until=lambda r: _payload(r).get("eventType") == "Ended"
                or _payload(r).get("triggerReason") == "EVConnectTimeout",
                within=timeout + csms.settings.timing.tolerance + csms.settings.timing.default_timeout)
            _judge(csms, events[-1], {"eventType": "Ended", "triggerReason": "EVConnectTimeout"},
                   "the TransactionEvent after the EV connection timeout")
            csms.transcript.note(check_interval(events[-1].mono - first.mono, expected=timeout,
                                                tolerance=csms.settings.timing.tolerance, minimum_only=True,
                                                what="EVConnectionTimeOut", requirements=("E03.FR.05",)))
        else:
            await csms.hold(timeout + csms.settings.timing.tolerance, "EVConnectionTimeOut expires")
    csms.authorized.pop(evse, None)  # the authorization timed out
    await states.authorized(csms, sut, how="remote")  # 3: the EVSE is ready for another session


# ---- F03 remote stop ----------------------------------------------------------------------------------------------
@testcase("TC_F_09_CS")
async def test_TC_F_09_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await states.energy_transfer_started(csms, sut)
    running = csms.transaction_on(csms.configured.evse_id)
    other = str(uuid.uuid4())
    while other == running:  # pragma: no cover - a collision of two random UUIDs
        other = str(uuid.uuid4())
    with csms.step(f"1-2. RequestStopTransactionRequest for transactionId {other} (not the station's {running}); "
                   "the station responds Rejected"):
        await csms.call_ok("RequestStopTransaction", {"transactionId": other}, {"status": "Rejected"})


# ---- F05 UnlockConnector ------------------------------------------------------------------------------------------
async def _unlock(csms: CsmsRole, connector: int, status: str) -> None:
    evse = csms.configured.evse_id
    with csms.step(f"1-2. UnlockConnectorRequest evseId {evse} connectorId {connector}; the station responds "
                   f"{status}"):
        await csms.call_ok("UnlockConnector", {"evseId": evse, "connectorId": connector}, {"status": status})


@testcase("TC_F_05_CS")
async def test_TC_F_05_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await states.energy_transfer_started(csms, sut)  # a transaction is ongoing on <Configured Connector>
    await _unlock(csms, csms.configured.connector_id, "OngoingAuthorizedTransaction")


@testcase("TC_F_07_CS")
async def test_TC_F_07_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    where = (csms.configured.evse_id, csms.configured.connector_id)
    if csms.session_connector_states().get(where) == "Occupied":
        raise PreconditionNotMet(f"EVSE {where[0]} connector {where[1]} is reported Occupied: the Before state wants "
                                 "no cable connected", fix="unplug the cable, then run the case again")
    await _unlock(csms, csms.configured.connector_id, "Unlocked")


@testcase("TC_F_10_CS")
async def test_TC_F_10_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _unlock(csms, 999, "UnknownConnector")


# ---- F06 TriggerMessage: MeterValues ------------------------------------------------------------------------------
@testcase("TC_F_11_CS")
async def test_TC_F_11_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    sent = csms.expect("MeterValues", NOT_CLOCK, after=csms.mark(), description="MeterValues after the TriggerMessage")
    await _trigger(csms, "1-2", "MeterValues", {"id": evse})
    with csms.step(f"3-4. MeterValuesRequest for evseId {evse}, context Trigger; the harness responds"):
        _judge(csms, await csms.received(sent), {"evseId": evse}, "the triggered MeterValuesRequest", context="Trigger")


@testcase("TC_F_12_CS")
async def test_TC_F_12_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    mark = csms.mark()
    sent = {evse: csms.expect("MeterValues", {"evseId": evse, **NOT_CLOCK}, after=mark,
                              description=f"MeterValues for EVSE {evse} (step 3 runs for every EVSE)")
            for evse, _ in _evses(csms)}
    await _trigger(csms, "1-2", "MeterValues")
    for evse, expectation in sent.items():
        with csms.step(f"3-4. MeterValuesRequest for EVSE {evse}, context Trigger; the harness responds"):
            _judge(csms, await csms.received(expectation), {"evseId": evse}, f"the MeterValuesRequest of EVSE {evse}",
                   context="Trigger")


# ---- F06 TriggerMessage: TransactionEvent -------------------------------------------------------------------------
def _expect_triggered_event(csms: CsmsRole, evse: int, mark: Record | None) -> Any:
    tx_id = csms.transaction_on(evse)
    if tx_id is None:
        raise PreconditionNotMet(f"no transaction runs on EVSE {evse} after EnergyTransferStarted")
    return csms.expect("TransactionEvent", {"transactionInfo": {"transactionId": tx_id}, "triggerReason": "Trigger"},
                       after=mark, description=f"TransactionEvent of the transaction on EVSE {evse} ({tx_id}) with "
                                               "triggerReason Trigger")


def _judge_triggered_event(csms: CsmsRole, record: Record, evse: Any, what: str) -> None:
    """Step 3's validations: evse, triggerReason Trigger, chargingState Charging, meterValue with context Trigger."""
    _judge(csms, record, {"evse": evse, "triggerReason": "Trigger", "transactionInfo": {"chargingState": "Charging"}},
           what, context="Trigger")
    if not _payload(record).get("meterValue"):
        raise csms.failure(f"{what} has no meterValue", expected="meterValue present", actual=record.raw[:600],
                           rules=("SEQ",))


@testcase("TC_F_13_CS")
async def test_TC_F_13_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    evse = csms.configured.evse_id
    await states.energy_transfer_started(csms, sut)
    sent = _expect_triggered_event(csms, evse, csms.mark())
    await _trigger(csms, "1-2", "TransactionEvent", {"id": evse})
    with csms.step(f"3-4. TransactionEventRequest: evse.id omitted or {evse}, triggerReason Trigger, chargingState "
                   "Charging, meterValue with context Trigger; the harness responds"):
        _judge_triggered_event(csms, await csms.received(sent), AbsentOr({"id": evse}),
                               "the triggered TransactionEventRequest")


@testcase("TC_F_14_CS")
async def test_TC_F_14_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    configured = csms.configured.evse_id
    for evse, connector in _evses(csms):  # Before: EnergyTransferStarted for all EVSE (one token per driver)
        token = csms.tokens.valid if evse == configured else csms.tokens.valid2
        await states.authorized(csms, sut, token, evse)
        await states.energy_transfer_started(csms, sut, evse, connector=connector)
    mark = csms.mark()
    sent = {evse: _expect_triggered_event(csms, evse, mark) for evse, _ in _evses(csms)}
    await _trigger(csms, "1-2", "TransactionEvent")
    for evse, expectation in sent.items():
        with csms.step(f"3-4. TransactionEventRequest of EVSE {evse}: evse.id {evse}, triggerReason Trigger, "
                       "chargingState Charging, meterValue with context Trigger; the harness responds"):
            _judge_triggered_event(csms, await csms.received(expectation), {"id": evse},
                                   f"the triggered TransactionEventRequest of EVSE {evse}")


# ---- F06 TriggerMessage: LogStatusNotification, FirmwareStatusNotification -----------------------------------------
async def _triggered_status(csms: CsmsRole, action: str, numbers: tuple[str, str], status: str,
                            evse: dict[str, int] | None = None) -> None:
    """TriggerMessage for `action`, Accepted; the station then sends `action` with `status`."""
    sent = csms.expect(action, after=csms.mark(), description=f"{action} after the TriggerMessage")
    await _trigger(csms, numbers[0], action, evse)
    with csms.step(f"{numbers[1]}. {action}Request status {status}; the harness responds"):
        _judge(csms, await csms.received(sent), {"status": status}, f"the triggered {action}Request")


@testcase("TC_F_15_CS")
async def test_TC_F_15_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _triggered_status(csms, "LogStatusNotification", ("1-2", "3-4"), "Idle")


@testcase("TC_F_16_CS",
          notes="The harness's log receiver holds its answer to the upload until step 8, so the upload is still "
                "running when the TriggerMessage arrives; the upload then completes (not judged).")
async def test_TC_F_16_CS(csms: CsmsRole, sut: StationControl, log_receiver: LogReceiver) -> None:
    await booted(csms, sut)
    request_id = 1000 + uuid.uuid4().int % 1_000_000_000
    location = log_receiver.url_for(request_id)
    mark = csms.mark()
    uploading = csms.expect("LogStatusNotification", after=mark, description="LogStatusNotification after GetLog")
    done = csms.expect("LogStatusNotification", {"status": OneOf("Uploaded", "UploadFailure")}, after=mark,
                       shared=True)
    with log_receiver.holding():
        with csms.step(f"1-2. GetLogRequest logType DiagnosticsLog, log.remoteLocation {location}; the station "
                       "responds Accepted"):
            await csms.call_ok("GetLog", {"logType": "DiagnosticsLog", "requestId": request_id,
                                          "log": {"remoteLocation": location}}, {"status": "Accepted"})
        with csms.step("3-4. LogStatusNotificationRequest Uploading; the harness responds"):
            first = await csms.received(uploading)
            _judge(csms, first, {"status": "Uploading"}, "the LogStatusNotificationRequest after GetLog")
        await _triggered_status(csms, "LogStatusNotification", ("5-6", "7-8"), "Uploading")
    await _settle(csms, done, "the upload to end (Uploaded); not part of the table")


@testcase("TC_F_17_CS")
async def test_TC_F_17_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _triggered_status(csms, "FirmwareStatusNotification", ("1-2", "3-4"), "Idle", {"id": csms.configured.evse_id})


@testcase("TC_F_18_CS")
async def test_TC_F_18_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _triggered_status(csms, "FirmwareStatusNotification", ("1-2", "3-4"), "Idle")


@testcase("TC_F_19_CS",
          notes="Errata 2025-09 6.2.59: the signature does not match the image, so the update ends with "
                "InvalidSignature (steps 9-14, cleanup, not judged). The harness's firmware server holds its answer "
                "to the download until step 8, so the station is still Downloading when triggered.")
async def test_TC_F_19_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    image = firmware_server.publish_badly_signed("fw-f19.bin", csms.pki)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    firmware = image.firmware(retrieve_date_time=earlier)
    firmware.pop("installDateTime", None)
    mark = csms.mark()
    downloading = csms.expect("FirmwareStatusNotification", after=mark,
                              description="FirmwareStatusNotification after UpdateFirmware")
    done = csms.expect("FirmwareStatusNotification", {"status": OneOf("InvalidSignature", "DownloadFailed",
                                                                     "Installed")}, after=mark, shared=True)
    with firmware_server.holding():
        with csms.step("1-2. UpdateFirmwareRequest: location, retrieveDateTime two hours back, no installDateTime, "
                       "signingCertificate, an invalid signature; the station responds Accepted"):
            await csms.call_ok("UpdateFirmware", {"requestId": 4719, "firmware": firmware}, {"status": "Accepted"})
        with csms.step("3-4. FirmwareStatusNotificationRequest Downloading; the harness responds"):
            _judge(csms, await csms.received(downloading), {"status": "Downloading"},
                   "the FirmwareStatusNotificationRequest after UpdateFirmware")
        await _triggered_status(csms, "FirmwareStatusNotification", ("5-6", "7-8"), "Downloading")
    await _settle(csms, done, "steps 9-14 (cleanup): Downloaded, InvalidSignature, InvalidFirmwareSignature")


async def _settle(csms: CsmsRole, done: Any, what: str) -> None:
    """Wait for the background job the case started to end, so the next case starts from an idle station; the
    table does not judge it, so nothing here fails the case."""
    with csms.step(f"Cleanup: {what}"):
        try:
            await csms.received(done, within=csms.configured.firmware_update_time)
        except OcppFailure as exc:
            csms.transcript.note(f"not seen ({exc.title}); the next case may see it")


# ---- F06 TriggerMessage: Heartbeat, StatusNotification, BootNotification -------------------------------------------
@testcase("TC_F_20_CS")
async def test_TC_F_20_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    sent = csms.expect("Heartbeat", after=csms.mark(), description="Heartbeat after the TriggerMessage")
    await _trigger(csms, "1-2", "Heartbeat")
    with csms.step("3-4. HeartbeatRequest; the harness responds"):
        await csms.received(sent)


async def _triggered_connector(csms: CsmsRole, state: str) -> None:
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    sent = csms.expect_status(evse, connector, state, after=csms.mark())
    await _trigger(csms, "1-2", "StatusNotification", {"id": evse, "connectorId": connector})
    with csms.step(f"3-4. The station reports EVSE {evse} connector {connector} {state} (StatusNotification, or "
                   "NotifyEvent AvailabilityState Delta); the harness responds"):
        await csms.received(sent)


@testcase("TC_F_23_CS")
async def test_TC_F_23_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _triggered_connector(csms, "Available")


@testcase("TC_F_24_CS")
async def test_TC_F_24_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await states.ev_connected_pre_session(csms, sut)
    await _triggered_connector(csms, "Occupied")


@testcase("TC_F_26_CS")
async def test_TC_F_26_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    with csms.step("1-2. TriggerMessageRequest BootNotification, evse omitted; the station responds Rejected"):
        answer = await csms.call_ok("TriggerMessage", {"requestedMessage": "BootNotification"},
                                    {"status": OneOf("Rejected", "NotImplemented")})
    if answer["status"] == "NotImplemented":  # F06 allows it; the table's prerequisite is then not met
        raise NotApplicable("prerequisite: the station supports a BootNotification triggered by TriggerMessage; it "
                            "answers NotImplemented")

