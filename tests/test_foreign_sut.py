"""The suite against SUTs it knows only from a profile file and an HTTP control URL (issue 3, "Done when"): the
simulators run as separate processes (`ocpp-harness simulate …`), like a lab's station or CSMS, and the unchanged
test cases drive them through the control API the profile names."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from harness.cli import main
from tests.suite_runner import run_suite

PASSWORD = "LabStationSecret01234"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    async def line(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        """The first output line matching `pattern` (read until it comes, or the deadline)."""
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                text = (await self.proc.stdout.readline()).decode()
                if not text:
                    raise AssertionError(f"process ended before printing {pattern!r}: {self.lines}")
                self.lines.append(text)
                match = re.search(pattern, text)
                if match:
                    return match


@pytest.fixture
async def simulate() -> AsyncIterator[object]:
    started: list[Process] = []

    async def start(*args: str) -> Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "harness.cli", "simulate", *args, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env={**os.environ, "OCPP_STATION_PASSWORD": PASSWORD})
        started.append(Process(proc))
        return started[-1]

    yield start
    for p in started:
        if p.proc.returncode is None:
            p.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(p.proc.wait(), 20)


async def test_a_station_known_only_by_profile_and_control_url(tmp_path: Path, simulate: object) -> None:
    port = _free_port()
    station = await simulate("station", "--csms-url", f"ws://127.0.0.1:{port}/ocpp",  # type: ignore[operator]
                             "--identity", "LAB-CS-7")
    control = (await station.line(r"control API on (http://\S+)")).group(1)
    profile = tmp_path / "lab-station.yaml"
    profile.write_text(f"""kind: station
name: a station in another process
identity: LAB-CS-7
endpoint: {{host: 127.0.0.1, port: {port}}}
security: {{profile: 1, password_env: LAB_STATION_PASSWORD}}
evses: [{{id: 1}}, {{id: 2}}]
configured: {{retry_back_off_wait_minimum: 2, tx_updated_interval: 1}}
pics: {{C-30: true}}
control: {{adapter: http, url: "{control}", timeout: 20}}
""")
    cases = ("TC_B_01_CS", "TC_B_06_CS", "TC_B_09_CS", "TC_C_06_CS", "TC_E_03_CS", "TC_E_40_CS", "TC_F_08_CS")
    result = await asyncio.to_thread(run_suite, tmp_path, *cases,
                                     extra=(f"--ocpp-sut={profile}",), env={"LAB_STATION_PASSWORD": PASSWORD})
    assert result.verdicts == dict.fromkeys(cases, "passed"), result.output[-3000:]


async def test_a_csms_known_only_by_profile_and_control_url(tmp_path: Path, simulate: object) -> None:
    csms = await simulate("csms", "--port", "0", "--identity", "LAB-HARNESS-1")  # type: ignore[operator]
    url = (await csms.line(r"(ws://127\.0\.0\.1:\d+/ocpp)")).group(1)
    control = (await csms.line(r"control API on (http://\S+)")).group(1)
    profile = tmp_path / "lab-csms.yaml"
    profile.write_text(f"""kind: csms
identity: LAB-HARNESS-1
endpoint: {{url: "{url}"}}
security: {{profile: 1, password_env: LAB_CSMS_PASSWORD}}
configured: {{heartbeat_interval: 60}}
control: {{adapter: http, url: "{control}", timeout: 20}}
""")
    cases = ("TC_B_01_CSMS", "TC_B_06_CSMS", "TC_B_20_CSMS", "TC_C_02_CSMS", "TC_E_04_CSMS", "TC_F_01_CSMS")
    result = await asyncio.to_thread(run_suite, tmp_path, *cases,
                                     extra=(f"--ocpp-sut={profile}",), env={"LAB_CSMS_PASSWORD": PASSWORD})
    assert result.verdicts == dict.fromkeys(cases, "passed"), result.output[-3000:]


# ---- security profile 3 with a lab's own CA ----------------------------------------------------------------------
# The lab SUT runs with a PKI of its own (`simulate --pki-dir LAB`) and trusts the harness's kept roots
# (`--trusted-ca HARNESS/...`, made by `ocpp-harness pki`); the harness trusts the lab's CA through the SUT profile's
# `security.trusted_ca` and reuses its kept PKI (`--ocpp-pki-dir`). Nothing is shared but public CA files.

def _lab_pkis(tmp_path: Path) -> tuple[Path, Path]:
    harness, lab = tmp_path / "harness-pki", tmp_path / "lab-pki"
    assert main(["pki", str(harness)]) == 0
    assert main(["pki", str(lab)]) == 0
    return harness, lab


async def test_a_csms_with_its_own_ca_at_security_profile_3(tmp_path: Path, simulate: object) -> None:
    harness, lab = _lab_pkis(tmp_path)
    csms = await simulate("csms", "--port", "0", "--identity", "LAB-HARNESS-1",  # type: ignore[operator]
                          "--serial-number", "LAB-HARNESS-SN", "--security-profile", "3", "--pki-dir", str(lab),
                          "--trusted-ca", str(harness / "station-ca.cert.pem"))
    url = (await csms.line(r"(wss://127\.0\.0\.1:\d+/ocpp)")).group(1)
    control = (await csms.line(r"control API on (http://\S+)")).group(1)
    cases = ("TC_B_01_CSMS", "TC_A_07_CSMS", "TC_A_08_CSMS", "TC_M_20_CSMS")
    for trusted, expected in (([str(lab / "csms-root.cert.pem")], "passed"), ([], "failed")):
        profile = tmp_path / "lab-csms.yaml"
        profile.write_text(f"""kind: csms
identity: LAB-HARNESS-1
serial_number: LAB-HARNESS-SN
endpoint: {{url: "{url}"}}
security: {{profile: 3, trusted_ca: {trusted}}}
control: {{adapter: http, url: "{control}", timeout: 20}}
""")
        result = await asyncio.to_thread(run_suite, tmp_path / expected, *cases,
                                         extra=(f"--ocpp-sut={profile}", f"--ocpp-pki-dir={harness}"))
        if expected == "passed":
            assert result.verdicts == dict.fromkeys(cases, "passed"), result.output[-3000:]
        else:  # without the lab's CA the harness station must not accept the CSMS's certificate
            assert result.verdicts["TC_B_01_CSMS"] == "failed", result.output[-3000:]
            assert "CSMS certificate refused" in result.messages["TC_B_01_CSMS"], result.messages["TC_B_01_CSMS"]


async def test_a_station_with_its_own_ca_at_security_profile_3(tmp_path: Path, simulate: object) -> None:
    harness, lab = _lab_pkis(tmp_path)
    port = _free_port()
    station = await simulate("station", "--csms-url", f"wss://127.0.0.1:{port}/ocpp",  # type: ignore[operator]
                             "--identity", "LAB-CS-7", "--serial-number", "LAB-SN-7", "--security-profile", "3",
                             "--pki-dir", str(lab), "--trusted-ca", str(harness / "csms-root.cert.pem"))
    control = (await station.line(r"control API on (http://\S+)")).group(1)
    profile = tmp_path / "lab-station.yaml"
    profile.write_text(f"""kind: station
identity: LAB-CS-7
serial_number: LAB-SN-7
endpoint: {{host: 127.0.0.1, port: {port}}}
security: {{profile: 3, trusted_ca: ["{lab / 'station-ca.cert.pem'}"]}}
control: {{adapter: http, url: "{control}", timeout: 20}}
""")
    cases = ("TC_B_01_CS", "TC_A_07_CS", "TC_A_05_CS", "TC_M_18_CS")
    result = await asyncio.to_thread(run_suite, tmp_path, *cases,
                                     extra=(f"--ocpp-sut={profile}", f"--ocpp-pki-dir={harness}"))
    assert result.verdicts == dict.fromkeys(cases, "passed"), result.output[-3000:]
