"""A sequence diagram of the frames a conversation really carried (DESIGN.md §9), as one self-contained SVG.

Two lanes, the harness and the SUT; one arrow per frame with `#seq`, the message type and action, and the start
of its payload; connection events and notes as bars across both lanes. A frame with a finding is drawn red (a
failure) or orange (a warning), with the finding under it. Everything shown comes from the SUT or the harness and
is escaped: a hostile payload cannot break out of its <text> element.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

from harness.ocppj import CallError, Severity
from harness.transcript import Record

MAX_RECORDS = 1000  # a longer conversation is cut (the transcript attachment keeps every frame)
PAYLOAD_CHARS = 110
FINDING_CHARS = 120

_LEFT, _RIGHT, _WIDTH = 150, 850, 1000  # x of the harness lane, the SUT lane, the picture
_TOP, _ROW, _FINDING_ROW = 70, 44, 15
_COLOURS = {"ok": "#1f4e79", "fail": "#c62828", "warn": "#e07b00", "event": "#666666"}
# XML 1.0 forbids most control characters and lone surrogates even when escaped: show them as \xNN / \uNNNN.
_NOT_XML = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str, limit: int) -> str:
    """One escaped line of at most `limit` characters (before escaping) for an SVG text element."""
    text = _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return escape(text, {'"': "&quot;"})


def _label(record: Record) -> str:
    """`#seq` and what the frame is: CALL BootNotification, CALLRESULT BootNotification, CALLERROR <code>, …"""
    conn = f" c{record.conn}" if record.conn > 1 else ""
    if record.direction == "event":
        return f"#{record.seq}{conn} {record.event or 'event'}"
    what = record.kind
    if record.action:
        what += f" {record.action}"
    if isinstance(record.frame, CallError):
        what += f" {record.frame.error_code}"
    if record.binary:
        what += " (binary)"
    return f"#{record.seq}{conn} {what}"


def _body(record: Record) -> str:
    if record.direction != "event":
        return record.raw
    detail = dict(record.detail)
    text = detail.pop("text", None)
    return " ".join(filter(None, [str(text) if text is not None else "",
                                  json.dumps(detail, ensure_ascii=False, default=str) if detail else ""]))


def _tone(record: Record) -> str:
    severities = {f.severity for f in record.findings}
    if Severity.FAIL in severities:
        return "fail"
    if Severity.WARN in severities:
        return "warn"
    return "event" if record.direction == "event" else "ok"


def sequence_svg(records: Sequence[Record], *, title: str = "") -> str:
    """The diagram of `records` (a transcript's) as SVG text; the monitor's state carried into a transcript (for
    `ocpp-harness validate`) is not a step of the conversation and is left out."""
    records = [r for r in records if r.event != "monitor_state"]
    shown = list(records[:MAX_RECORDS])
    rows = len(shown) + (1 if len(records) > MAX_RECORDS else 0)
    height = _TOP + sum(_ROW + _FINDING_ROW * len(r.findings) for r in shown) + (_ROW if rows > len(shown) else 0) + 30
    start = shown[0].mono if shown else 0.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
           f'viewBox="0 0 {_WIDTH} {height}" font-family="monospace" font-size="12">',
           "<defs>" + "".join(
               f'<marker id="arrow-{tone}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
               f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
               for tone, colour in _COLOURS.items()) + "</defs>",
           f'<rect width="{_WIDTH}" height="{height}" fill="#ffffff"/>',
           f'<text x="{_WIDTH // 2}" y="18" text-anchor="middle" font-weight="bold">{_clean(title, 100)}</text>']
    for x, name in ((_LEFT, "harness"), (_RIGHT, "SUT")):
        out.append(f'<rect x="{x - 60}" y="28" width="120" height="24" rx="4" fill="#eef3f8" stroke="#1f4e79"/>'
                   f'<text x="{x}" y="44" text-anchor="middle" font-weight="bold">{name}</text>'
                   f'<line x1="{x}" y1="52" x2="{x}" y2="{height - 10}" stroke="#9aa9b8" stroke-dasharray="4 3"/>')
    y = _TOP
    for record in shown:
        tone = _tone(record)
        colour = _COLOURS[tone]
        mid = (_LEFT + _RIGHT) // 2
        out.append(f'<g class="frame {tone}" data-seq="{record.seq}">')
        out.append(f'<text x="8" y="{y + 22}" fill="#888888" font-size="10">+{record.mono - start:.3f}s</text>')
        out.append(f'<text x="{mid}" y="{y + 10}" text-anchor="middle" fill="{colour}" font-weight="bold">'
                   f"{_clean(_label(record), 80)}</text>")
        if record.direction == "event":
            out.append(f'<rect x="{_LEFT - 40}" y="{y + 15}" width="{_RIGHT - _LEFT + 80}" height="12" rx="3" '
                       f'fill="#f2f2f2" stroke="{colour}"/>')
        else:
            x1, x2 = (_LEFT, _RIGHT) if record.direction == "tx" else (_RIGHT, _LEFT)
            out.append(f'<line x1="{x1}" y1="{y + 21}" x2="{x2}" y2="{y + 21}" stroke="{colour}" stroke-width="1.5" '
                       f'marker-end="url(#arrow-{tone})"/>')
        out.append(f'<text x="{mid}" y="{y + 37}" text-anchor="middle" fill="#333333" font-size="10">'
                   f"{_clean(_body(record), PAYLOAD_CHARS)}</text>")
        y += _ROW
        for finding in record.findings:
            own = " (the harness's own, deliberate)" if record.direction == "tx" else ""
            fcolour = _COLOURS["fail" if finding.severity is Severity.FAIL else "warn"]
            text = f"{finding.severity.value.upper()} {finding.rule} {finding.path}: {finding.text}{own}"
            out.append(f'<text x="{mid}" y="{y + 6}" text-anchor="middle" fill="{fcolour}" font-size="11">'
                       f"{_clean(text, FINDING_CHARS)}</text>")
            y += _FINDING_ROW
        out.append("</g>")
    if len(records) > MAX_RECORDS:
        out.append(f'<text x="{(_LEFT + _RIGHT) // 2}" y="{y + 20}" text-anchor="middle" fill="#666666">'
                   f"… {len(records) - MAX_RECORDS} more records: see the transcript attachment</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
