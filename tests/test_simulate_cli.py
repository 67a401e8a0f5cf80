"""`ocpp-harness simulate station|csms` (issue 13): they say what happens, stop on SIGTERM in every state (also
while connecting to an address nothing answers on), refuse a malformed URL as a usage error, and stand in for a
prepared lab SUT: the CSMS from a profile (stations, boot status each, tokens), the station with the harness's
roots installed."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from harness.cli import main
from harness.profile import CsmsSimulatorProfile
from harness.simulators import CsmsConfig, CsmsSimulator, StationConfig, StationSimulator
from harness.usecase.loader import read_yaml, validate

PASSWORD = "SimulateCli0123456789"
DEADLINE = 20.0  # seconds a simulator may take to stop after SIGTERM (it takes well under one)


class Sim:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    async def line(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                text = (await self.proc.stdout.readline()).decode()
                if not text:
                    raise AssertionError(f"ended before printing {pattern!r}: {self.lines}")
                self.lines.append(text)
                if match := re.search(pattern, text):
                    return match

    async def terminate(self) -> tuple[int, str]:
        """SIGTERM, then the exit code and the rest of the output, within DEADLINE."""
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.stdout is not None
        async with asyncio.timeout(DEADLINE):
            rest = (await self.proc.stdout.read()).decode()
            code = await self.proc.wait()
        return code, "".join(self.lines) + rest


Start = Callable[..., Awaitable[Sim]]


@pytest.fixture
async def simulate() -> AsyncIterator[Start]:
    started: list[Sim] = []

    async def start(*args: str, env: dict[str, str] | None = None) -> Sim:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "harness.cli", "simulate", *args, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env={**os.environ, "OCPP_STATION_PASSWORD": PASSWORD, **(env or {})})
        started.append(Sim(proc))
        return started[-1]

    yield start
    for sim in started:
        if sim.proc.returncode is None:
            sim.proc.kill()
            await sim.proc.wait()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that takes TCP connections and never answers: a station stays in its opening handshake."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_sigterm_while_connecting_to_an_address_that_never_answers(simulate: Start, silent_port: int) -> None:
    sim = await simulate("station", "--csms-url", f"ws://127.0.0.1:{silent_port}/ocpp")
    await sim.line(rf"connecting to ws://127\.0\.0\.1:{silent_port}/ocpp/SIM-CS-001")
    code, output = await sim.terminate()
    assert code == 0 and "SIGTERM: stopping" in output and output.rstrip().endswith("stopped"), output
    assert "Traceback" not in output


async def test_sigterm_while_backing_off_after_a_refused_connection(simulate: Start) -> None:
    sim = await simulate("station", "--csms-url", f"ws://127.0.0.1:{_closed_port()}/ocpp")
    await sim.line(r"not connected: cannot connect to .*Connect call failed")
    await sim.line(r"reconnecting in \d+\.\d s")
    code, output = await sim.terminate()
    assert code == 0 and "Traceback" not in output, output


def test_a_malformed_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "station", "--csms-url", "127.0.0.1:9000/ocpp"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("ocpp-harness simulate: --csms-url '127.0.0.1:9000/ocpp' is not a ws:// or wss:// URL with "
                           "a host, e.g. ws://127.0.0.1:9000/ocpp")


def test_an_unset_password_variable_is_a_usage_error() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OCPP_STATION_PASSWORD"}
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "simulate", "station", "--csms-url",
                           "ws://127.0.0.1:1/ocpp"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "set OCPP_STATION_PASSWORD to the Basic Auth password of SIM-CS-001" in proc.stderr


async def test_the_station_says_what_happens_and_each_control_action(simulate: Start) -> None:
    csms = CsmsSimulator(CsmsConfig(stations={"SIM-CS-001": PASSWORD}, heartbeat_interval=300))
    await csms.start()
    try:
        sim = await simulate("station", "--csms-url", csms.url)
        control = (await sim.line(r"control API on (http://\S+)")).group(1)
        await sim.line(r"connected \(security profile 1\)")
        await sim.line(r"BootNotification \(PowerUp\): Accepted, interval 300 s")
        body = b'{"evseId": 1, "connectorId": 1}'
        request = f"POST /actions/plug-in HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        host, port = control.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(request.encode() + body)
        await writer.drain()
        assert b" 200 " in await reader.readline()
        writer.close()
        await sim.line(r'control action plug-in \{"connectorId": 1, "evseId": 1\}: done')
        code, output = await sim.terminate()
        assert code == 0, output
    finally:
        await csms.stop()


async def test_csms_from_a_profile_answers_each_station_as_it_says(simulate: Start, tmp_path: Path) -> None:
    profile = tmp_path / "lab-csms.yaml"
    profile.write_text("""stations:
  - {identity: LAB-A, password_env: LAB_A_PASSWORD}
  - {identity: LAB-B, password_env: LAB_B_PASSWORD, boot_status: Pending}
id_tokens:
  valid: {idToken: LAB-TOKEN-1, type: ISO14443}
heartbeat_interval: 120
""")
    assert validate(read_yaml(profile), CsmsSimulatorProfile, what="x").id_tokens.valid.id_token == "LAB-TOKEN-1"
    sim = await simulate("csms", "--port", "0", "--profile", str(profile),
                         env={"LAB_A_PASSWORD": PASSWORD, "LAB_B_PASSWORD": PASSWORD + "B"})
    url = (await sim.line(r"(ws://127\.0\.0\.1:\d+/ocpp)")).group(1)
    await sim.line(r"stations: LAB-A \(boot Accepted\), LAB-B \(boot Pending\)")
    pending = asyncio.Event()

    def told(text: str) -> None:
        if "BootNotification (PowerUp): Pending" in text:
            pending.set()

    stations = [StationSimulator(StationConfig(identity=i, csms_url=url, password=pw, heartbeat_interval=60,
                                               report=told if i == "LAB-B" else None))
                for i, pw in (("LAB-A", PASSWORD), ("LAB-B", PASSWORD + "B"))]
    try:
        for station in stations:
            await station.start()
        await asyncio.wait_for(stations[0].booted.wait(), 10)
        await sim.line(r"BootNotification of LAB-A \(PowerUp\): answered Accepted")
        await sim.line(r"BootNotification of LAB-B \(PowerUp\): answered Pending")
        await asyncio.wait_for(pending.wait(), 10)  # the station was answered Pending
        assert stations[0].state.boot_interval == 120 and not stations[1].booted.is_set()
    finally:
        for station in stations:
            await station.stop()
    code, output = await sim.terminate()
    assert code == 0 and "Traceback" not in output, output


def test_csms_profile_errors_name_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "lab-csms.yaml"
    profile.write_text("stations:\n  - {identity: LAB-A, boot_status: Later}\n")
    assert main(["simulate", "csms", "--profile", str(profile)]) == 2
    err = capsys.readouterr().err
    assert f"{profile}:2: stations.0.boot_status: Input should be 'Accepted', 'Pending' or 'Rejected'" in err


async def test_station_trusts_the_given_roots_as_a_prepared_lab_station(simulate: Start, tmp_path: Path) -> None:
    assert main(["pki", str(tmp_path / "pki")]) == 0
    root = tmp_path / "pki" / "csms-root.cert.pem"
    csms = CsmsSimulator(CsmsConfig(stations={"SIM-CS-001": PASSWORD}))
    await csms.start()
    try:
        sim = await simulate("station", "--csms-url", csms.url, "--root", str(root))
        await sim.line(r"BootNotification \(PowerUp\): Accepted")
        record = await csms.send("SIM-CS-001", "GetInstalledCertificateIds", {}, timeout=10)
        assert record.frame is not None
        kinds = {c["certificateType"] for c in record.frame.payload.get("certificateHashDataChain", [])}
        assert {"CSMSRootCertificate", "ManufacturerRootCertificate"} <= kinds, record.frame.payload
        code, output = await sim.terminate()
        assert code == 0, output
    finally:
        await csms.stop()


@pytest.mark.parametrize("command", [["simulate", "station"], ["simulate", "csms"], ["report"]])
def test_help_has_a_description_defaults_and_examples(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and "examples:\n" in out and "(default: " in out, out
    assert len(out.split("\n\n")[1]) > 200  # a description paragraph, not just the usage line
