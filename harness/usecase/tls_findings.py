"""Where a finding about the peer's TLS session or certificate counts (issue 12).

A SEC-2 / SEC-3 / SEC-4 finding on a connection that opened fails only the cases whose Part 6 tables check the
certificate and the TLS session: TC_A_04 to TC_A_08, in both roles. In any other case it is a warning, reported once
per run (per pytest process): the first case that meets it carries the warning, later ones an info finding that
points back to it. (A certificate finding once failed all 48 cases of a security-profile-2 run.) A handshake that
failed keeps its finding as it is: the case cannot go on, and the finding says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from harness.ocppj import Finding, Severity

TLS_RULES = frozenset({"SEC-2", "SEC-3", "SEC-4"})
TLS_CASES = frozenset(f"TC_A_0{n}_{role}" for n in range(4, 9) for role in ("CS", "CSMS"))
_WHERE = "it fails only TC_A_04 to TC_A_08, whose tables check it"


class TlsFindings:
    """The TLS findings one run has reported so far (as warnings, outside TC_A_04 to TC_A_08)."""

    def __init__(self) -> None:
        self.reported: set[tuple[str, str]] = set()

    def judge_for(self, case_id: str) -> Callable[[Finding, dict[str, Any]], Finding] | None:
        """How a case's transcript takes a finding: unchanged in the TLS cases, else as said above."""
        if case_id in TLS_CASES:
            return None

        def judge(f: Finding, detail: dict[str, Any]) -> Finding:
            opened = detail.get("status", 101) == 101 and "tls_failure" not in detail
            if f.rule not in TLS_RULES or f.severity is not Severity.FAIL or not opened:
                return f
            key = (f.rule, f.text)
            if key in self.reported:
                return replace(f, severity=Severity.INFO, text=f"{f.text} (reported once per run, as a warning in "
                                                               f"an earlier case; {_WHERE})")
            self.reported.add(key)
            return replace(f, severity=Severity.WARN, text=f"{f.text} (a warning here, reported once per run; "
                                                           f"{_WHERE})")
        return judge


RUN = TlsFindings()  # the run of this process
