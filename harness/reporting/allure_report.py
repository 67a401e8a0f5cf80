"""Allure labels, steps and attachments for one test case (DESIGN.md §9)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import allure

from harness.reporting.sequence_diagram import sequence_svg
from harness.transcript import Record, Transcript

# Where a requirement id links to: `{id}` is replaced by the id (ini `ocpp_requirement_url`, env
# OCPP_REQUIREMENT_URL). The default searches the OCA site; a lab with the specification on an intranet points it there.
REQUIREMENT_URL = "https://openchargealliance.org/?s={id}"

_SEVERITY = {"mandatory": allure.severity_level.CRITICAL, "conditional": allure.severity_level.NORMAL,
             "framework": allure.severity_level.NORMAL}

BLOCKS = {"A": "A Security", "B": "B Provisioning", "C": "C Authorization", "D": "D Local Authorization List",
          "E": "E Transactions", "F": "F Remote Control", "G": "G Availability", "H": "H Reservation",
          "I": "I Tariff and Cost", "J": "J Meter Values", "K": "K Smart Charging", "L": "L Firmware Management",
          "M": "M ISO 15118 Certificate Management", "N": "N Diagnostics", "O": "O Display Message",
          "P": "P Data Transfer", "RPC": "RPC OCPP-J framework"}  # named to sort A..P, then RPC


class AllureReporter:
    """Writes one test's labels, steps and attachments; harmless when allure-pytest is not collecting."""

    def __init__(self, requirement_url: str = REQUIREMENT_URL) -> None:
        if "{id}" not in requirement_url:
            raise ValueError(f"requirement URL template {requirement_url!r} has no {{id}} placeholder")
        self.requirement_url = requirement_url

    def requirement_link(self, requirement: str) -> str:
        return self.requirement_url.replace("{id}", quote(requirement, safe=""))

    def label(self, *, case_id: str, title: str, block: str, usecases: Iterable[str], requirements: Iterable[str],
              profiles: Iterable[str], severity: str, role: str) -> None:
        allure.dynamic.title(f"{case_id} {title}")
        allure.dynamic.epic(BLOCKS.get(block, block))
        for uc in usecases:
            allure.dynamic.feature(uc)
        allure.dynamic.story(case_id)
        for profile in profiles:
            allure.dynamic.tag(profile)
        allure.dynamic.tag(f"SUT:{role}")
        allure.dynamic.severity(_SEVERITY.get(severity, allure.severity_level.NORMAL))
        allure.dynamic.label("testcase_id", case_id)
        for req in requirements:
            allure.dynamic.label("requirement", req)
            allure.dynamic.link(self.requirement_link(req), link_type="requirement", name=req)

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        with allure.step(title):
            yield

    def attach_transcript(self, transcript: Transcript) -> None:
        if transcript.path is not None and transcript.path.exists():
            allure.attach.file(str(transcript.path), name="transcript.jsonl", attachment_type="application/x-ndjson",
                               extension="jsonl")
        else:
            body = "\n".join(json.dumps(r.to_json()) for r in transcript.records)
            allure.attach(body, name="transcript.jsonl", attachment_type="application/x-ndjson", extension="jsonl")

    def attach_sequence_diagram(self, transcript: Transcript) -> None:
        """The actual frames as a sequence diagram (SVG), beside the transcript it is drawn from."""
        name = f"sequence diagram {transcript.name}".strip()
        allure.attach(sequence_svg(transcript.records, title=transcript.name), name=name,
                      attachment_type=allure.attachment_type.SVG)

    def attach_findings(self, transcript: Transcript) -> None:
        allure.attach(findings_table(transcript.records), name="findings", attachment_type=allure.attachment_type.TEXT)

    def attach_text(self, name: str, text: str) -> None:
        allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)

    def attach_json(self, name: str, data: Any) -> None:
        allure.attach(json.dumps(data, indent=2), name=name, attachment_type=allure.attachment_type.JSON)

    def attach_file(self, path: Path, name: str) -> None:
        allure.attach.file(str(path), name=name)


def findings_table(records: Iterable[Record]) -> str:
    """Every finding of the conversation as a fixed-width table (the harness's own deliberate frames marked)."""
    rows = [("#", "dir", "message", "severity", "rule", "path", "text")]
    for r in records:
        for f in r.findings:
            rows.append((str(r.seq), r.direction, r.action or r.kind, f.severity.value, f.rule, f.path, f.text))
    if len(rows) == 1:
        return "no findings: every frame in both directions followed the OCPP-J rules and the schemas\n"
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    out = []
    for row in rows:
        out.append("  ".join(c.ljust(w) for c, w in zip(row[:6], widths, strict=True)) + "  " + row[6])
    return "\n".join(out) + "\n"
