"""`ocpp-harness validate`: a recorded transcript judged again, offline, by the rules the live connection uses."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.ocppj import Call, RpcSession, default_store
from harness.transcript import Transcript

BOOT = '[2,"b-1","BootNotification",{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V"}}]'
BOOT_NO_REASON = '[2,"b-2","BootNotification",{"chargingStation":{"model":"M","vendorName":"V"}}]'


def record_live(path: Path, received: list[str | bytes], *, judged: bool = True) -> None:
    """A transcript written as OcppConnection writes it: each received frame judged by the session (or, with
    judged=False, recorded without findings, as a harness with older rules would have), answered by the harness."""
    transcript = Transcript(path)
    session = RpcSession(default_store())
    for message in received:
        inbound = session.receive(message)
        transcript.add(1, "rx", inbound.parsed.text, frame=inbound.frame, request=inbound.request,
                       findings=inbound.findings if judged else [], binary=isinstance(message, bytes),
                       data=message if isinstance(message, bytes) else None)
        if inbound.reply is not None:
            out = session.error(inbound.reply)
        elif isinstance(inbound.frame, Call):
            out = session.result(inbound.frame, {"currentTime": "2026-01-01T00:00:00Z", "interval": 10,
                                                 "status": "Accepted"})
        else:
            continue
        transcript.add(1, "tx", out.text, frame=out.frame, findings=out.findings)
    call = session.call(Call("h-1", "Heartbeat", {}))  # the harness's own CALL and the SUT's answer
    transcript.add(1, "tx", call.text, frame=call.frame, findings=call.findings)
    inbound = session.receive('[3,"h-1",{"currentTime":"2026-01-01T00:00:01Z"}]')
    transcript.add(1, "rx", inbound.parsed.text, frame=inbound.frame, request=inbound.request,
                   findings=inbound.findings)
    transcript.close()


def test_a_clean_transcript_validates_with_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record_live(tmp_path / "clean.jsonl", [BOOT])
    assert main(["validate", str(tmp_path / "clean.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "4 frames re-judged" in out and "no findings" in out and "no difference" in out


def test_a_schema_violation_is_found_again_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record_live(tmp_path / "bad.jsonl", [BOOT_NO_REASON])
    assert main(["validate", str(tmp_path / "bad.jsonl")]) == 1
    out = capsys.readouterr().out
    assert "RPC-12" in out and "'reason' is a required property" in out.replace('"', "'")
    assert "no difference" in out  # the recording had judged it the same way


def test_a_finding_the_recording_missed_is_new(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record_live(tmp_path / "old.jsonl", [BOOT_NO_REASON], judged=False)
    assert main(["validate", "--format", "json", str(tmp_path / "old.jsonl")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(f["seq"], f["rule"], f["direction"]) for f in report["new"]] == [(1, "RPC-12", "rx")]
    assert report["gone"] == [] and report["fail_findings"] == 1 and report["exit_code"] == 1


def test_binary_frames_are_judged_from_their_recorded_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "binary.jsonl"
    record_live(path, [BOOT.encode()])
    assert "data_b64" in path.read_text()
    assert main(["validate", "--format", "json", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert any(f["rule"] == "RPC-05" and "binary" in f["text"] for f in report["findings"])
    assert report["new"] == [] and report["gone"] == []


def test_a_garbage_file_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(b"this is not a transcript\n{\"seq\": 1}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 1:" in err and "line 2:" in err and "no transcript records" in err
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert main(["validate", str(path)]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_malformed_line_among_good_ones_is_reported_by_number(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "torn.jsonl"
    record_live(path, [BOOT])
    lines = path.read_text().splitlines()
    lines.insert(2, '{"seq": 3, "conn": 1, "direction": "rx", "raw": ')  # a line cut short
    path.write_text("\n".join(lines) + "\n")
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert "line 3:" in captured.err and "1 malformed line" in captured.out


def test_an_unreadable_data_b64_is_a_malformed_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "b64.jsonl"
    record = {"seq": 1, "time": "2026-01-01T00:00:00.000Z", "conn": 1, "direction": "rx", "kind": "INVALID",
              "raw": "x", "binary": True, "data_b64": "!!!" + base64.b64encode(b"x").decode()}
    path.write_text(json.dumps(record) + "\n")
    assert main(["validate", str(path)]) == 2
    assert "line 1: data_b64 is not Base64" in capsys.readouterr().err


def test_id_reuse_on_a_connection_opened_before_the_transcript_stays_as_recorded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The SUT's earlier use of the id happened before this test's transcript began: offline cannot see it."""
    live = RpcSession(default_store())
    live.receive(BOOT)  # in the transcript of an earlier test
    live.result(Call("b-1", "BootNotification", {}), {"currentTime": "2026-01-01T00:00:00Z", "interval": 10,
                                                      "status": "Accepted"})
    transcript = Transcript(tmp_path / "resumed.jsonl")
    transcript.add(1, "event", event="resume", detail={"note": "connection opened before this test"})
    heartbeat = '[2,"b-1","Heartbeat",{}]'
    inbound = live.receive(heartbeat)
    assert [f.rule for f in inbound.findings] == ["RPC-14"]
    transcript.add(1, "rx", heartbeat, frame=inbound.frame, findings=inbound.findings)
    transcript.close()
    assert main(["validate", "--format", "json", str(tmp_path / "resumed.jsonl")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["gone"] == [] and [f["rule"] for f in report["not_rejudged"]] == ["RPC-14"]
