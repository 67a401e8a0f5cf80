"""The `ocpp-harness` command: `simulate csms` serves a real station; `run` runs the suite and writes reports."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.simulators import StationConfig, StationSimulator

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "CliSecret0123456789ab"


async def test_simulate_csms_serves_a_station_and_stops_on_sigterm() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", "simulate", "csms", "--port", "0", "--identity", "CLI-CS-1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "OCPP_STATION_PASSWORD": PASSWORD})
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        match = re.search(r"(ws://127\.0\.0\.1:\d+/ocpp)", line)
        assert match, line
        station = StationSimulator(StationConfig(identity="CLI-CS-1", csms_url=match.group(1), password=PASSWORD,
                                                 heartbeat_interval=60))
        await station.start()
        try:
            await asyncio.wait_for(station.booted.wait(), 10)
        finally:
            await station.stop()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 10)
    assert code == 0
    assert PASSWORD.encode() not in (await proc.stderr.read() if proc.stderr else b"")


async def test_run_writes_junit_and_allure_results(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", "run", "--role", "csms", "--reports", str(tmp_path), "--",
        "-k", "TC_B_06", "-p", "no:cacheprovider", "-q",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    output, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, output.decode()[-2000:]
    assert 'name="test_TC_B_06_CSMS"' in (tmp_path / "junit.xml").read_text()
    assert list((tmp_path / "allure-results").glob("*-result.json"))
    assert (tmp_path / "transcripts" / "TC_B_06_CSMS.jsonl").exists()


async def test_run_prints_a_line_per_case_and_its_transcript_validates_clean(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", "run", "--role", "cs", "--reports", str(tmp_path), "--",
        "-k", "TC_B_06_CS or TC_C_08_CS", "-p", "no:cacheprovider",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    output, _ = await asyncio.wait_for(proc.communicate(), 120)
    text = output.decode()
    assert proc.returncode == 0, text[-2000:]
    lines = re.findall(r"^\[(\d)/2\] (TC_\w+) (\w+) \d+\.\ds \(elapsed \d+:\d\d\)$", text, re.MULTILINE)
    assert sorted(n for n, _, _ in lines) == ["1", "2"], text[-2000:]
    assert {(case, verdict) for _, case, verdict in lines} == {("TC_B_06_CS", "passed"), ("TC_C_08_CS", "passed")}
    assert "2 passed" in text  # pytest's own summary is still there
    transcript = tmp_path / "transcripts" / "TC_B_06_CS.jsonl"
    validate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", "validate", str(transcript),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    report, _ = await asyncio.wait_for(validate.communicate(), 60)
    assert validate.returncode == 0, report.decode()
    assert "no difference" in report.decode()


async def test_run_strictness_decides_whether_a_1_6_error_code_fails(tmp_path: Path) -> None:
    """The station simulator answers a missing field with OCPP 1.6's OccurenceConstraintViolation: a failure in
    strict mode (the default), a warning with --strictness compat."""
    codes = {}
    for strictness in ("strict", "compat"):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "harness.cli", "run", "--role", "cs", "--strictness", strictness, "--reports",
            str(tmp_path / strictness), "--no-progress", "--", "-k", "RPC_05_CS", "-p", "no:cacheprovider",
            "--ocpp-sim-fault=error_code_1_6_spelling",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
        output, _ = await asyncio.wait_for(proc.communicate(), 120)
        codes[strictness] = (proc.returncode, output.decode())
    assert codes["strict"][0] == 1 and "is the OCPP 1.6 spelling" in codes["strict"][1], codes["strict"][1][-2000:]
    assert codes["compat"][0] == 0 and "1 passed" in codes["compat"][1], codes["compat"][1][-2000:]


def test_help_names_every_command_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for command in ("run", "list", "validate", "simulate", "pki"):
        assert re.search(rf"^    {command} ", text, re.MULTILINE), f"{command} missing from --help"
        assert f"ocpp-harness {command} " in text.split("examples:", 1)[1], f"no example of {command}"
    for command in ("run", "list", "validate", "simulate", "pki"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "examples:" in capsys.readouterr().out, command
