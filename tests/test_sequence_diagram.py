"""The sequence diagram attachment (DESIGN.md §9): the actual frames, escaped, findings in red."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.ocppj import Call, CallError, CallResult, Finding, Severity
from harness.reporting import AllureReporter
from harness.reporting.sequence_diagram import MAX_RECORDS, PAYLOAD_CHARS, sequence_svg
from harness.transcript import Transcript

SVG = "{http://www.w3.org/2000/svg}"


def _conversation() -> Transcript:
    t = Transcript(name="TC_X_01_CS")
    t.add(1, "event", event="open", detail={"path": "/ocpp/CS1", "subprotocol": "ocpp2.0.1"})
    boot = Call("m1", "BootNotification", {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}})
    t.add(1, "rx", '[2,"m1","BootNotification",{...}]', frame=boot)
    t.add(1, "tx", '[3,"m1",{"status":"Accepted"}]', frame=CallResult("m1", {"status": "Accepted"}), request=boot)
    hostile = '[2,"m2","Heartbeat",{"x":"</text><script>alert(1)</script>\x00\ud800' + "A" * 500 + '"}]'
    t.add(1, "rx", hostile, frame=Call("m2", "Heartbeat", {}),
          findings=[Finding("SCHEMA", Severity.FAIL, "additional property <x> & more", path="$.x")])
    t.add(1, "tx", '[4,"m3","NotImplemented","",{}]', frame=CallError("m3", "NotImplemented"),
          findings=[Finding("RPC-99", Severity.WARN, "deliberately odd")])
    t.note("operator: plug in the cable")
    return t


def _texts(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter(f"{SVG}text"))


def test_one_arrow_per_frame_with_seq_type_and_action() -> None:
    svg = sequence_svg(_conversation().records, title="TC_X_01_CS")
    root = ET.fromstring(svg)  # well-formed XML, hostile payload and all
    frames = [g for g in root.iter(f"{SVG}g") if "frame" in g.get("class", "")]
    assert [g.get("data-seq") for g in frames] == ["1", "2", "3", "4", "5", "6"]
    assert len(list(root.iter(f"{SVG}line"))) == 2 + 4  # two lifelines, one arrow per frame (events are bars)
    labels = [t.text for t in _texts(svg)]
    assert "harness" in labels and "SUT" in labels and "TC_X_01_CS" in labels
    for expected in ("#1 open", "#2 CALL BootNotification", "#3 CALLRESULT BootNotification",
                     "#4 CALL Heartbeat", "#5 CALLERROR NotImplemented", "#6 note"):
        assert expected in labels, labels
    assert "operator: plug in the cable" in labels


def test_findings_are_red_and_payloads_are_escaped_and_cut() -> None:
    svg = sequence_svg(_conversation().records)
    assert "<script>" not in svg and "\x00" not in svg and "\ud800" not in svg
    frames = {g.get("data-seq"): g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("data-seq")}
    assert frames["4"].get("class") == "frame fail" and frames["2"].get("class") == "frame ok"
    assert frames["5"].get("class") == "frame warn"
    finding = [t.text or "" for t in frames["4"].iter(f"{SVG}text") if (t.text or "").startswith("FAIL")]
    assert finding == ["FAIL SCHEMA $.x: additional property <x> & more"]
    assert [t.get("fill") for t in frames["4"].iter(f"{SVG}text") if (t.text or "").startswith("FAIL")] == ["#c62828"]
    payload = next(t.text or "" for t in frames["4"].iter(f"{SVG}text") if (t.text or "").startswith('[2,"m2"'))
    assert len(payload) == PAYLOAD_CHARS and payload.endswith("…") and "\\x00" in payload and "\\ud800" in payload
    own = [t.text or "" for t in frames["5"].iter(f"{SVG}text") if (t.text or "").startswith("WARN")]
    assert own and "deliberate" in own[0]


def test_a_long_conversation_is_cut_with_a_pointer_to_the_transcript() -> None:
    t = Transcript(name="long")
    for i in range(MAX_RECORDS + 5):
        t.add(1, "rx", f'[2,"{i}","Heartbeat",{{}}]', frame=Call(str(i), "Heartbeat", {}))
    labels = [e.text or "" for e in _texts(sequence_svg(t.records))]
    assert "… 5 more records: see the transcript attachment" in labels
    assert f"#{MAX_RECORDS} CALL Heartbeat" in labels and f"#{MAX_RECORDS + 1} CALL Heartbeat" not in labels


def test_requirement_links_follow_the_template() -> None:
    assert AllureReporter().requirement_link("B01.FR.01") == "https://openchargealliance.org/?s=B01.FR.01"
    lab = AllureReporter("https://spec.lab.example/ocpp201?req={id}")
    assert lab.requirement_link("E 01/FR&1") == "https://spec.lab.example/ocpp201?req=E%2001%2FFR%261"
    try:
        AllureReporter("https://example.org/no-placeholder")
    except ValueError as exc:
        assert "{id}" in str(exc)
    else:
        raise AssertionError("a template without {id} was accepted")
