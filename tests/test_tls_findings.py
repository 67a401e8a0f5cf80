"""A finding about the peer's TLS certificate fails only TC_A_04..A_08 (their Part 6 tables check it); in any other
case it is a warning, reported once per run (issue 12: one certificate finding failed all 48 cases of a
security-profile-2 run). End to end at security profile 3: tests/test_security_profiles.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import Settings
from harness.ocppj import Finding, Severity
from harness.roles.conversation import Conversation
from harness.usecase import tls_findings
from harness.usecase.runner import CaseRun
from harness.usecase.testcase import TestCaseMeta

CERT = Finding("SEC-4", Severity.FAIL, "CSMS certificate does not name the host 'csms.example'", "A00.FR.510")


def _meta(case_id: str) -> TestCaseMeta:
    return TestCaseMeta(id=case_id, title=case_id)


@pytest.fixture()
def fresh_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tls_findings, "RUN", tls_findings.TlsFindings())


def _severities(case_id: str, settings: Settings) -> list[Severity]:
    transcript = CaseRun(_meta(case_id), settings).transcript()
    record = transcript.add(0, "event", event="handshake", detail={"status": 101}, findings=[CERT])
    transcript.close()
    return [f.severity for f in record.findings]


def test_a_certificate_finding_warns_once_outside_the_tls_cases(fresh_run: None, tmp_path: Path) -> None:
    settings = Settings(reports_dir=str(tmp_path))
    assert _severities("TC_B_01_CSMS", settings) == [Severity.WARN]
    assert _severities("TC_E_04_CSMS", settings) == [Severity.INFO]  # the same finding again: once per run
    assert _severities("TC_A_04_CSMS", settings) == [Severity.FAIL]  # its table checks the certificate
    assert _severities("TC_A_07_CS", settings) == [Severity.FAIL]


def test_a_finding_on_a_refused_handshake_stays_a_failure(fresh_run: None, tmp_path: Path) -> None:
    """The connection did not open: the case cannot go on, and its failure must say why."""
    transcript = CaseRun(_meta("TC_B_01_CS"), Settings(reports_dir=str(tmp_path))).transcript()
    record = transcript.add(0, "event", event="handshake", detail={"status": 0, "tls_failure": {}}, findings=[CERT])
    transcript.close()
    assert [f.severity for f in record.findings] == [Severity.FAIL]


def test_the_warned_case_passes_its_monitor_and_the_tls_case_fails_it(fresh_run: None, tmp_path: Path) -> None:
    settings = Settings(reports_dir=str(tmp_path))
    for case_id, fails in (("TC_B_01_CSMS", False), ("TC_A_04_CSMS", True)):
        run = CaseRun(_meta(case_id), settings)
        conv = Conversation(run.transcript(), settings, lambda a, p: None, profile=settings.csms)
        conv.transcript.add(0, "event", event="handshake", findings=[CERT])
        if fails:
            with pytest.raises(Exception, match="TLS / certificate findings"):
                conv.check_findings()
        else:
            conv.check_findings()
        conv.transcript.close()
