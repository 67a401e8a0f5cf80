"""One monitor (harness/ocppj/monitor.py): the live connection and `ocpp-harness validate` feed it the same events
and get the same findings: handshake (SEC-5, RPC-02), frames, TX-1..TX-4, a timeout and a close."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.ocppj import Call, RpcSession, default_store
from harness.ocppj.monitor import AuthFacts, Monitor, auth_facts, handshake_findings, judge_auth
from harness.reporting.rejudge import rejudge
from harness.transcript import Transcript, read_transcript
from harness.transport import CallTimeout, ClientOptions, Handshake, HandshakeRefused, OcppConnection, OcppServer, connect

PASSWORD = "Abcdefghij0123456789"


def tx_event(seq: int, event: str, *, stamp: datetime | None = None, **info: Any) -> str:
    payload = {"eventType": event, "timestamp": (stamp or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
               "triggerReason": "EVCommunicationLost" if event == "Ended" else "Authorized", "seqNo": seq,
               "transactionInfo": {"transactionId": info.pop("tx", "T1"), **info}}
    return json.dumps([2, f"te-{payload['transactionInfo']['transactionId']}-{seq}", "TransactionEvent", payload])


async def test_live_and_offline_judge_a_run_alike(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "live.jsonl"
    transcript = Transcript(path)
    monitor = Monitor(default_store(), transactions=True)
    connected: asyncio.Queue[OcppConnection] = asyncio.Queue()
    # TP began before this transcript (in an earlier case); the CSMS role records what the monitor knows as a case begins
    assert monitor.invariants is not None
    assert monitor.invariants.inspect(999, Call("e", "TransactionEvent", json.loads(tx_event(0, "Started", tx="TP"))[3])) == []
    transcript.add(0, "event", event="monitor_state", detail={"transactions": monitor.invariants.state()})

    def on_handshake(hs: Handshake) -> None:
        transcript.add(0, "event", event="handshake", detail=hs.to_json(), findings=hs.findings)

    released = asyncio.Event()
    transcript.subscribe(lambda r: released.set() if r.event == "released" else None)

    async def answer(call: Any, record: Any) -> dict[str, Any] | None:
        return None if call.message_id == "hb-wait" else {"currentTime": "2026-01-01T00:00:00Z"} \
            if call.action == "Heartbeat" else {}

    async def on_connect(ws: Any, hs: Handshake) -> None:
        conn = OcppConnection(ws, RpcSession(default_store()), transcript, answer, monitor=monitor,
                              peer_timeout=0.2)
        transcript.add(conn.conn, "event", event="open", detail={"opened_at": conn.opened_at.isoformat(),
                                                                 "clock_tolerance": 4.0})
        await connected.put(conn)
        await conn.run()

    server = OcppServer(on_connect, authenticate=lambda i, p: p == PASSWORD, on_handshake=on_handshake)
    await server.start()
    try:
        with pytest.raises(HandshakeRefused):  # SEC-5: the password is not the configured one
            await connect(server.url, "CS1", ClientOptions(password="Zbcdefghij0123456789"))
        with pytest.raises(HandshakeRefused):  # SEC-5: too short, and the user is not the identity
            await connect(server.url, "CS1", ClientOptions(password="short", username="CS2"))
        ws = await connect(server.url, "CS1", ClientOptions(password=PASSWORD))
        conn = await connected.get()
        old = datetime.now(UTC) - timedelta(minutes=10)
        for frame in (tx_event(1, "Updated", tx="TP"),  # no TX-2: it began before this transcript
                      tx_event(1, "Updated", tx="T0"),  # TX-2: no Started
                      tx_event(0, "Started"), tx_event(1, "Updated", stamp=old),  # TX-3: queued, not offline
                      tx_event(3, "Ended"),  # TX-1: seqNo 2 missing; TX-4: no stoppedReason
                      '[2,"x-1","Heartbeat",{"extra":1}]'):  # RPC-12
            await ws.send(frame)
            await ws.recv()
        await ws.send('[2,"hb-wait","Heartbeat",{}]')  # left unanswered on purpose
        await ws.send('[2,"hb-2","Heartbeat",{}]')  # RPC-15: the first one still waits
        await ws.recv()
        async with asyncio.timeout(5):
            await released.wait()  # the station's message timeout is over: hb-wait no longer counts
        await ws.send('[2,"hb-3","Heartbeat",{}]')
        await ws.recv()
        with pytest.raises(CallTimeout):  # TIMING: the station never answers
            await conn.call("GetVariables", {"getVariableData": [{"component": {"name": "ClockCtrlr"},
                                                                  "variable": {"name": "DateTime"}}]}, timeout=0.2)
        await ws.recv()  # the unanswered GetVariables
        await ws.close(4000, "going")  # RPC-01: an unusual close code
        await conn.closed.wait()
    finally:
        await server.stop()
    transcript.close()

    live = [(r.seq, f.rule, f.severity.value, f.text) for r in transcript.records for f in r.findings]
    assert {rule for _, rule, _, _ in live} >= {"SEC-5", "TX-1", "TX-2", "TX-3", "TX-4", "RPC-12", "TIMING",
                                                "RPC-01", "RPC-15"}
    assert [rule for _, rule, _, _ in live].count("RPC-15") == 1  # hb-2, not hb-3 (after the release)
    assert PASSWORD not in path.read_text() and "Zbcdefghij" not in path.read_text()
    handshake = next(r for r in transcript.records if r.event == "handshake")
    assert ["Authorization", "********"] in handshake.detail["headers"]  # the headers, the secret masked
    records, problems = read_transcript(path)
    assert not problems
    offline = rejudge(records, default_store())
    assert offline.new == [] and offline.gone == [] and offline.carried == []  # everything judged again
    assert [rule for _, rule, _, _ in live].count("TX-2") == 1  # T0, not TP
    assert sorted((r.seq, f.rule, f.severity.value, f.text) for r in offline.records for f in r.findings) == sorted(live)
    assert main(["validate", "--format", "json", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["new"] == report["gone"] == report["not_rejudged"] == []
    assert report["events_rejudged"] == 8  # 3 handshakes, monitor_state, open, released, timeout, close

    # without the monitor's state a transcript cannot know whether T0 began earlier: its TX-2 stays as recorded
    unseeded = rejudge([r for r in records if r.event != "monitor_state"], default_store())
    assert unseeded.new == unseeded.gone == [] and [f.rule for _, f in unseeded.carried] == ["TX-2"]


def test_auth_facts_keep_no_password_and_judge_as_the_header() -> None:
    import base64

    header = "Basic " + base64.b64encode(b"CS1:" + PASSWORD.encode()).decode()
    facts = auth_facts(header, lambda p: p == PASSWORD)
    assert PASSWORD not in json.dumps(facts.to_json())
    assert judge_auth(facts, "CS1") == ("ok", "CS1", [])
    assert AuthFacts.from_json(facts.to_json()) == facts
    wrong = auth_facts(header, lambda p: False)
    verdict, _, findings = judge_auth(wrong, "CS1")
    assert verdict == "bad-password" and [f.rule for f in findings] == ["SEC-5"]


def test_a_handshake_is_judged_from_its_recorded_facts() -> None:
    hs = Handshake(identity="CS1", path="/ocpp/CS1", offered=[], remote="x", status=101, subprotocol=None,
                   auth=auth_facts(None, lambda p: True))
    assert sorted(f.rule for f in handshake_findings(hs.to_json())) == ["RPC-03", "SEC-5"]


ST1_CASE = '''
import asyncio

from harness import CsmsRole, StationControl, testcase


@testcase("TC_B_01_CS", "power cycle, accept the boot, wait for the connector-report deadline")
async def test_TC_B_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    judged = asyncio.Event()
    csms.transcript.subscribe(lambda r: judged.set() if r.event == "monitor" else None)
    await sut.power_cycle()
    await csms.received(csms.expect("BootNotification"), within=csms.reboot_wait())
    async with asyncio.timeout(10):
        await judged.wait()
'''


@pytest.mark.parametrize("fault", [None, "skip_status_notification"])
def test_st1_is_judged_live_and_again_offline_alike(pytester: pytest.Pytester, fault: str | None) -> None:
    """ST-1 (every connector reported after an accepted boot): the CSMS role records the monitor's judgement at the
    deadline, with or without findings, and validate judges it again there from the frames."""
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = session\n"
                     "asyncio_default_test_loop_scope = session\n")
    pytester.makepyfile(test_cases=ST1_CASE)
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ocpp-role=cs", "--ocpp-timeout=1",
                                           "--ocpp-tolerance=0.5", f"--ocpp-reports-dir={reports}",
                                           *([f"--ocpp-sim-fault={fault}"] if fault else []))
    result.assert_outcomes(**({"failed": 1} if fault else {"passed": 1}))
    records, problems = read_transcript(reports / "transcripts" / "TC_B_01_CS.jsonl")
    assert not problems
    judged = [r for r in records if r.event == "monitor"]
    assert len(judged) == 1 and judged[0].detail["wanted"] == [[1, 1], [2, 1]]
    live = [f.text for f in judged[0].findings]
    if fault:
        assert live == ["no connector state (StatusNotification or NotifyEvent) for EVSE 1 connector 1, EVSE 2 "
                        "connector 1 within 1 s of the accepted boot"]
    else:
        assert live == []
    offline = rejudge(records, default_store())
    assert offline.new == offline.gone == [] and not any(f.rule == "ST-1" for _, f in offline.carried)
    again = next(r for r in offline.records if r.event == "monitor")
    assert [f.text for f in again.findings] == live
