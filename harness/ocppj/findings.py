"""Findings: one observed deviation from a rule, with the evidence to judge it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    FAIL = "fail"  # breaks a SHALL
    WARN = "warn"  # breaks a SHOULD, or a tolerated quirk (compat strictness)
    INFO = "info"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    ref: str  # where the rule comes from in the specification


@dataclass(frozen=True)
class Finding:
    """One deviation. `path` is a JSON path into the frame's payload ("$" for the frame itself)."""

    rule: str
    severity: Severity
    text: str
    ref: str = ""
    path: str = "$"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity.value,
            "text": self.text,
            "ref": self.ref,
            "path": self.path,
        }
        if self.extra:
            data["extra"] = self.extra
        return data

    def one_line(self) -> str:
        where = f" at {self.path}" if self.path not in ("", "$") else ""
        return f"[{self.severity.value}] {self.rule}{where}: {self.text}"


# The OCPP-J rules the core checks (docs/reference/rules.md lists them), with their references.
RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("RPC-01", "A complete WebSocket opening handshake, then the connection kept open and closed cleanly",
             "Part 4 §3, §3.1; RFC 6455 §4, §7"),
        Rule("RPC-02", "Connection URL ends with the station identity", "Part 4 §3.1.1"),
        Rule("RPC-03", "Subprotocol ocpp2.0.1 negotiated", "Part 4 §3.1.2, §3.2"),
        Rule("RPC-05", "Message is valid UTF-8 JSON text", "Part 4 §4.1.2"),
        Rule("RPC-06", "MessageTypeId is 2, 3 or 4", "Part 4 §4.1.3, §4.4"),
        Rule("RPC-07", "Frame has the array shape of its message type", "Part 4 §4.2"),
        Rule("RPC-08", "Action is a known, case-sensitive message name without 'Request'", "Part 4 §4.1.6, §4.2.1"),
        Rule("RPC-09", "CALLERROR for an unreadable message id uses id \"-1\"", "Part 4 §4.2.3"),
        Rule("RPC-10", "Payload is a JSON object ({} when empty)", "Part 4 §4.1.5"),
        Rule("RPC-11", "Optional fields without value are absent (no null, {}, [])", "Part 4 §4.1.5"),
        Rule("RPC-12", "Payload valid against the official OCPP 2.0.1 JSON schema", "Part 4 §4.1.7"),
        Rule("RPC-13", "Message id is a string of at most 36 characters", "Part 4 §4.1.4"),
        Rule("RPC-14", "CALL ids unique per sender; response ids equal an outstanding CALL id", "Part 4 §4.1.4"),
        Rule("RPC-15", "At most one outstanding CALL per direction", "Part 4 §4.1.1"),
        Rule("RPC-16", "CALLERROR uses an error code of Part 4 Table 8", "Part 4 §4.3 Table 8"),
        Rule("SEC-2", "TLS 1.2+, the cipher suites of A00.FR.318, no compression; the CSMS authenticates with its "
                      "server certificate", "Part 2 A00.FR.306-321"),
        Rule("SEC-3", "Mutual TLS: a valid station certificate whose CN is the station serial number",
             "Part 2 A00.FR.402-407, B01.FR.12"),
        Rule("SEC-4", "Certificate properties: serial number, RSA/DSA >= 2048 or EC >= 224 bits, SHA-256, O, CN",
             "Part 2 A00.FR.501-511"),
        # The harness's own rules beyond §6 (no OCA id): what a receiver must survive and report.
        Rule("WS-1", "WebSocket message within the receiver's maximum message size (else closed with 1009)",
             "RFC 6455 §7.4.1; Part 2 DeviceDataCtrlr.BytesPerMessage"),
        Rule("DT-1", "Numbers fit Part 2's datatypes: integers 32-bit signed, decimals finite",
             "Part 2 §2.1 primitive datatypes; RFC 8259 §6"),
        Rule("SEC-5", "HTTP Basic Authentication header and password rules", "Part 2 A00.FR.2xx, Part 6 TC_A_01"),
        Rule("B03.FR", "No other message than BootNotification while Rejected or Pending", "Part 2 B02/B03"),
        Rule("TX-1", "seqNo of a transaction is sequential, each number one event", "Part 2 E01 seqNo; Part 6 §2.1"),
        Rule("TX-2", "The first TransactionEvent of a transaction is Started", "Part 2 E01; Part 6 §2.1"),
        Rule("TX-3", "Events queued while offline carry offline: true", "Part 2 E11/E12; TransactionEventRequest"),
        Rule("TX-4", "Ended names its stoppedReason unless the reason is Local", "Part 2 TransactionType; Part 6 §2.1"),
        Rule("ST-1", "Every connector's status is reported after a (re)boot", "Part 2 B01.FR.05; Part 6 §2.1"),
        Rule("TIMING", "Message arrives within the required time", "Part 6 §2 (tolerance)"),
        Rule("SEQ", "Message expected by the test case", "Part 6 test case"),
        Rule("BEYOND-P6", "A check beyond the case's Part 6 table (defensible from Part 2, not certification): a "
                          "warning unless the profile's policy beyond_part6 makes it fail",
             "Part 2 requirement named in the finding; not in the Part 6 table"),
    )
}


def finding(rule: str, severity: Severity, text: str, *, path: str = "$", **extra: Any) -> Finding:
    """Build a finding for a known rule id, filling in its spec reference."""
    return Finding(rule=rule, severity=severity, text=text, ref=RULES[rule].ref, path=path, extra=dict(extra))
