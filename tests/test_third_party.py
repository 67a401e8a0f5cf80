"""The harness against a station and a CSMS that no one here wrote (issue "Verdicts a vendor can act on", Done when).

Both are thin runners over the PyPI `ocpp` library (mobilityhouse, the version pinned in pyproject), in
`tests/third_party/`: its v201 `ChargePoint` does all of their OCPP-J (framing, routing, validation, CALLERRORs).
Each runs as a process on 127.0.0.1, known to the harness only by a SUT profile and its HTTP control URL, as a lab's
SUT is (tests/test_foreign_sut.py does the same with the built-in simulators). The unchanged test cases they can
serve run in one child pytest per runner; then every case must have passed, or failed exactly as a row of that
implementation's KNOWN DEVIATIONS says, with the rule the library breaks. A row whose deviation no longer happens
fails too, so the table stays honest. A failure that is the harness's fault is not a deviation: it goes into
HARNESS_BUGS (a strict xfail naming it), where it stays visible until the harness is fixed.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.suite_runner import SuiteResult, run_suite

# Each runner's suite run is a module fixture: make test keeps the module on one worker (tests/conftest.py).

HERE = Path(__file__).resolve().parent
PASSWORD = "ThirdPartyStation0123"  # Basic Auth password of the station identity (runners and harness: env vars)


@dataclass(frozen=True)
class Deviation:
    failure: str  # a piece of the case's failure message: another failure of the same case is not taken for this one
    reason: str  # which rule the library breaks, and whether the harness is right


# ---- what each runner serves, and how it deviates ------------------------------------------------------------------
STATION_CASES = (
    "TC_A_01_CS", "TC_B_01_CS", "TC_B_02_CS", "TC_B_03_CS", "TC_B_06_CS", "TC_B_09_CS", "TC_B_20_CS", "TC_B_30_CS",
    "TC_F_06_CS", "TC_F_27_CS", "TC_G_03_CS",
    "RPC_01_CS", "RPC_02_CS", "RPC_03_CS", "RPC_04_CS", "RPC_05_CS", "RPC_06_CS", "RPC_07_CS", "RPC_08_CS",
)
CSMS_CASES = (
    "TC_A_01_CSMS", "TC_A_02_CSMS", "TC_A_03_CSMS", "TC_B_01_CSMS", "TC_B_02_CSMS", "TC_B_06_CSMS", "TC_B_09_CSMS",
    "TC_B_20_CSMS", "TC_B_30_CSMS", "TC_B_58_CSMS", "TC_C_02_CSMS", "TC_C_08_CSMS", "TC_C_39_CSMS", "TC_E_03_CSMS",
    "TC_E_04_CSMS",
    "RPC_01_CSMS", "RPC_02_CSMS", "RPC_03_CSMS", "RPC_04_CSMS", "RPC_05_CSMS", "RPC_06_CSMS", "RPC_07_CSMS",
    "RPC_08_CSMS", "RPC_09_CSMS",
)

# The library's OCPP-J layer (ocpp/charge_point.py, ocpp/messages.py) is the same on both sides, so are its deviations.
# (It answers a 41-character message id normally: Part 4 bounds only the sender, so RPC_04 passes with an info
# finding by the default of policy rpc.reply.long_message_id.)
_LIBRARY_DEVIATIONS = {
    "RPC_01": Deviation(
        "the SUT did not answer bad input",
        "a frame that is not JSON is dropped (messages.unpack raises FormatViolationError, route_message only logs "
        "it): Part 4 §4.2.3 wants CALLERROR RpcFrameworkError with id \"-1\"; the harness is right"),
    "RPC_02": Deviation(
        "wrong CALLERROR code 'NotSupported'",
        "an action unknown to 2.0.1 gets NotSupported (described 'Requested Action is not known by receiver', "
        "which is Table 8's NotImplemented) and a known action without handler NotImplemented: the two codes of "
        "Part 4 Table 8 reversed; the harness is right"),
    "RPC_03": Deviation(
        "the SUT did not answer bad input",
        "an unknown MessageTypeId is dropped (unpack raises PropertyConstraintViolationError, only logged): §4.4 "
        "wants CALLERROR MessageTypeNotSupported, §4.1.3 says ignore; the harness is right by its documented "
        "default of policy rpc.reply.unknown_message_type (a lab may list 'silence')"),
    "RPC_05": Deviation(
        "wrong CALLERROR code 'ProtocolError'",
        "a missing required field (jsonschema 'required') is answered ProtocolError, 'Payload for Action is "
        "incomplete' (OCPP 1.6's meaning of the code), where 2.0.1 Part 4 Table 8 has OccurrenceConstraintViolation "
        "and ProtocolError means not conform the PDU structure; the harness is right"),
}
# What the thin station itself (our runner code, not the library) does not do
_RUNNER_LIMITS = {
    "TC_B_30_CS": Deviation(
        "was not refused with CALLERROR SecurityError",
        "the thin station keeps no Rejected state, so a GetBaseReport while Rejected meets the library's answer for "
        "an action without handler (NotImplemented) where B03.FR.08 wants SecurityError; the harness is right"),
    "TC_B_02_CS": Deviation(
        "GetBaseReport",
        "the thin station has no GetBaseReport handler (the table sends one while Pending): the library answers "
        "NotImplemented; the harness is right"),
}
STATION_DEVIATIONS = {**{f"{k}_CS": v for k, v in _LIBRARY_DEVIATIONS.items()}, **_RUNNER_LIMITS}
CSMS_DEVIATIONS = {f"{k}_CSMS": v for k, v in _LIBRARY_DEVIATIONS.items()}

# case id -> why the harness, not the SUT, is wrong (a strict xfail: it turns red once the harness is fixed)
HARNESS_BUGS: dict[str, str] = {}


# ---- runner processes ----------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Runner:
    """A runner process. A thread drains its output (stdout and stderr) into a log file and keeps the lines, so a
    chatty runner never blocks on a full pipe and a failure can show what it said."""

    def __init__(self, log: Path, script: str, *args: str) -> None:
        self.log = log
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._ended = False
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "third_party" / script), *args, "--verbose"], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, cwd=HERE.parent, env={**os.environ, "OCPP_STATION_PASSWORD": PASSWORD})
        self._thread = threading.Thread(target=self._drain, name=f"{script} output", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        with self.log.open("w") as out:
            for line in self.proc.stdout:
                out.write(line)
                out.flush()
                with self._changed:
                    self.lines.append(line)
                    self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def line(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first output line matching `pattern`: waits until it is printed, the process ends, or the deadline."""
        deadline = time.monotonic() + timeout
        with self._changed:
            seen = 0
            while True:
                for text in self.lines[seen:]:
                    match = re.search(pattern, text)
                    if match:
                        return match
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if self._ended or left <= 0:
                    raise AssertionError(f"{self.log.stem} {'ended' if self._ended else 'still running'} without "
                                         f"printing {pattern!r}:\n{''.join(self.lines[-30:])}")
                self._changed.wait(left)

    def tail(self, n: int = 40) -> str:
        return "".join(self.lines[-n:])

    def stop(self) -> int:
        """SIGTERM, and the exit code (killed after 20 s: a runner that ignores SIGTERM is a bug of the runner)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._thread.join(10)
        return self.proc.returncode


@dataclass
class Run:
    result: SuiteResult
    runner: Runner


@pytest.fixture(scope="module")
def station_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("ocpp-lib-station")
    port = _free_port()
    runner = Runner(tmp / "station.log", "ocpp_lib_station.py", "--csms-url", f"ws://127.0.0.1:{port}/ocpp",
                    "--identity", "TP-CS-1", "--evses", "2", "--control-port", "0")
    try:
        control = runner.line(r"control API on (http://127\.0\.0\.1:\d+)").group(1)
        profile = tmp / "ocpp-lib-station.yaml"
        profile.write_text(f"""kind: station
name: thin station on the PyPI ocpp library (tests/third_party/ocpp_lib_station.py)
identity: TP-CS-1
vendor: mobilityhouse-ocpp
model: thin-station
endpoint: {{host: 127.0.0.1, port: {port}}}
security: {{profile: 1, password_env: TP_STATION_PASSWORD}}
evses: [{{id: 1}}, {{id: 2}}]
configured: {{heartbeat_interval: 5, boot_retry_interval: 3, message_timeout: 30, reboot_time: 10}}
pics: {{HFS-1: true}}
control: {{adapter: http, url: "{control}", timeout: 20}}
""")
        result = run_suite(tmp, *STATION_CASES, extra=(f"--ocpp-sut={profile}", "--ocpp-role=cs"), timeout=300,
                           env={"TP_STATION_PASSWORD": PASSWORD})
        yield Run(result, runner)
    finally:
        code = runner.stop()
    assert code == 0, f"the station runner did not stop cleanly on SIGTERM (exit {code}):\n{runner.tail()}"


@pytest.fixture(scope="module")
def csms_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("ocpp-lib-csms")
    runner = Runner(tmp / "csms.log", "ocpp_lib_csms.py", "--port", "0", "--identity", "TP-HARNESS-1",
                    "--control-port", "0", "--heartbeat-interval", "60", "--retry-interval", "10")
    try:
        url = runner.line(r"CSMS on (ws://127\.0\.0\.1:\d+/ocpp)").group(1)
        control = runner.line(r"control API on (http://127\.0\.0\.1:\d+)").group(1)
        profile = tmp / "ocpp-lib-csms.yaml"
        profile.write_text(f"""kind: csms
name: thin CSMS on the PyPI ocpp library (tests/third_party/ocpp_lib_csms.py)
identity: TP-HARNESS-1
endpoint: {{url: "{url}"}}
security: {{profile: 1, password_env: TP_CSMS_PASSWORD}}
evses: [{{id: 1}}]
id_tokens:  # as the runner's TOKENS know them
  valid:   {{idToken: TP-VALID-1, type: ISO14443, groupIdToken: TP-GROUP}}
  valid2:  {{idToken: TP-VALID-2, type: ISO14443}}
  group:   {{idToken: TP-GROUP-1, type: ISO14443, groupIdToken: TP-GROUP}}
  invalid: {{idToken: TP-INVALID, type: ISO14443}}
  unknown: {{idToken: TP-NEVER-SEEN, type: ISO14443}}
  blocked: {{idToken: TP-BLOCKED, type: ISO14443}}
  expired: {{idToken: TP-EXPIRED, type: ISO14443}}
configured: {{heartbeat_interval: 60, boot_retry_interval: 10, message_timeout: 30}}
pics: {{C-44: true}}
control: {{adapter: http, url: "{control}", timeout: 20}}
""")
        result = run_suite(tmp, *CSMS_CASES, extra=(f"--ocpp-sut={profile}", "--ocpp-role=csms"), timeout=300,
                           env={"TP_CSMS_PASSWORD": PASSWORD})
        yield Run(result, runner)
    finally:
        code = runner.stop()
    assert code == 0, f"the CSMS runner did not stop cleanly on SIGTERM (exit {code}):\n{runner.tail()}"


# ---- the verdicts ----------------------------------------------------------------------------------------------------
def _params(cases: tuple[str, ...]) -> list[object]:
    return [pytest.param(case, id=case, marks=pytest.mark.xfail(strict=True, reason=f"harness bug: {HARNESS_BUGS[case]}"))
            if case in HARNESS_BUGS else pytest.param(case, id=case) for case in cases]


def _judge(case: str, run: Run, deviations: dict[str, Deviation]) -> None:
    verdict, message = run.result.verdicts.get(case), run.result.messages.get(case, "")
    context = f"\n--- harness:\n{message[:4000]}\n--- runner log {run.runner.log} (tail):\n{run.runner.tail()}"
    deviation = deviations.get(case)
    if deviation is None:
        assert verdict == "passed", f"{case}: {verdict} — a new deviation of the library, or a harness bug?{context}"
    else:
        assert verdict == "failed" and deviation.failure in message, (
            f"{case}: {verdict}, but KNOWN DEVIATIONS says it fails with {deviation.failure!r} ({deviation.reason}): "
            f"a stale row, or another failure?{context}")


def _ran_exactly(run: Run, cases: tuple[str, ...], deviations: dict[str, Deviation]) -> None:
    assert set(run.result.verdicts) == set(cases), (
        f"the child suite ran {sorted(run.result.verdicts)}, not the chosen cases\n{run.result.output[-3000:]}")
    assert set(deviations) <= set(cases), f"deviations of cases not run: {sorted(set(deviations) - set(cases))}"
    both = set(deviations) & set(HARNESS_BUGS)
    assert not both, f"a failure is the library's deviation or a harness bug, not both: {sorted(both)}"


@pytest.mark.parametrize("case", _params(STATION_CASES))
def test_ocpp_library_station(case: str, station_run: Run) -> None:
    _judge(case, station_run, STATION_DEVIATIONS)


def test_ocpp_library_station_ran_the_chosen_cases(station_run: Run) -> None:
    _ran_exactly(station_run, STATION_CASES, STATION_DEVIATIONS)


@pytest.mark.parametrize("case", _params(CSMS_CASES))
def test_ocpp_library_csms(case: str, csms_run: Run) -> None:
    _judge(case, csms_run, CSMS_DEVIATIONS)


def test_ocpp_library_csms_ran_the_chosen_cases(csms_run: Run) -> None:
    _ran_exactly(csms_run, CSMS_CASES, CSMS_DEVIATIONS)
