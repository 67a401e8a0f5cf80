"""Set-up mistakes (issue 13): each stops `ocpp-harness` with exit code 2 and one line that names the mistake,
never a traceback and never a failure of the SUT; the good path next to each."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from http import HTTPStatus
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from harness.transport import ClientOptions, connect
from tests.suite_runner import run_suite

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "SetupMistakes0123456"
USAGE = 2  # docs/cli.md: every ocpp-harness command exits 2 on a set-up mistake


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*argv: str, env: dict[str, str] | None = None, cwd: Path = ROOT, timeout: float = 120,
        stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OCPP_", "ACME_", "LAB_"))}
    return subprocess.run([sys.executable, "-m", "harness.cli", *argv], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env={**clean, **(env or {})}, stdin=stdin)


def one_line(proc: subprocess.CompletedProcess[str], expected: str) -> None:
    """Exit code 2, the message on one line of stderr, no traceback anywhere."""
    output = proc.stdout + proc.stderr
    assert proc.returncode == USAGE, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if expected in ln]
    assert lines, proc.stderr[-3000:]


@pytest.fixture
def station(tmp_path: Path) -> Path:
    """The station template as a lab fills it in, its control API on a port that answers."""
    text = (ROOT / "profiles" / "station-template.yaml").read_text()
    return _write(tmp_path / "station.yaml", text)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def listening() -> AsyncIterator[str]:
    """http://127.0.0.1:PORT where something accepts TCP connections (a control API that answers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def _station_with(station: Path, control_url: str) -> Path:
    return _write(station, station.read_text().replace("http://lab-rig-3.local:8080", control_url))


# ---- secrets -------------------------------------------------------------------------------------------------------
def test_a_password_variable_that_is_not_set(station: Path, listening: str) -> None:
    _station_with(station, listening)
    one_line(cli("run", "--sut", str(station), env={"LAB_RIG_TOKEN": "t"}),
             "security.password_env names ACME_WB_PASSWORD, which is not set")


def test_a_token_variable_that_is_not_set(station: Path, listening: str) -> None:
    _station_with(station, listening)
    one_line(cli("run", "--sut", str(station), env={"ACME_WB_PASSWORD": PASSWORD}),
             "control.token_env names LAB_RIG_TOKEN, which is not set")


@pytest.mark.parametrize(("password", "rule"), [("short-one", "password has 9 characters; 16 to 40 required"),
                                                ("a" * 41, "password has 41 characters; 16 to 40 required"),
                                                ("0123456789abcdefé", "characters outside passwordString")])
def test_a_password_that_breaks_the_rule(station: Path, listening: str, password: str, rule: str) -> None:
    _station_with(station, listening)
    one_line(cli("run", "--sut", str(station), env={"ACME_WB_PASSWORD": password, "LAB_RIG_TOKEN": "t"}), rule)


def test_list_needs_no_secret(station: Path) -> None:
    proc = cli("list", "--sut", str(station))
    assert proc.returncode == 0, proc.stderr[-2000:]


# ---- which SUT ------------------------------------------------------------------------------------------------------
def test_a_role_that_does_not_match_the_only_profile(station: Path) -> None:
    one_line(cli("run", "--role", "csms", "--sut", str(station)),
             f"--role csms tests a CSMS, but the only SUT profile, {station}, describes a station")
    one_line(cli("list", "--role", "csms", "--sut", str(station)), "describes a station")


# ---- addresses ------------------------------------------------------------------------------------------------------
def test_a_control_api_nothing_answers_on(station: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    _station_with(station, url)
    one_line(cli("run", "--sut", str(station), env={"ACME_WB_PASSWORD": PASSWORD, "LAB_RIG_TOKEN": "t"}),
             f"control.url {url}: nothing answers on 127.0.0.1:")


def test_a_csms_nothing_answers_on(tmp_path: Path, listening: str) -> None:
    url = f"ws://127.0.0.1:{_free_port()}/ocpp"
    profile = _write(tmp_path / "csms.yaml", (ROOT / "profiles" / "csms-template.yaml").read_text()
                     .replace("wss://csms.staging.example.com/ocpp", url)
                     .replace("https://csms.staging.example.com/test-hooks", listening))
    one_line(cli("run", "--sut", str(profile), env={"ACME_CSMS_STATION_PASSWORD": PASSWORD,
                                                    "ACME_TEST_HOOK_TOKEN": "t"}),
             f"endpoint.url {url}: nothing answers on 127.0.0.1:")


def test_a_malformed_csms_url_is_a_profile_error(tmp_path: Path) -> None:
    profile = _write(tmp_path / "csms.yaml", (ROOT / "profiles" / "csms-template.yaml").read_text()
                     .replace("wss://csms.staging.example.com/ocpp", "csms.example.com:9000/ocpp"))
    one_line(cli("list", "--sut", str(profile)), "csms.yaml:8: endpoint.url 'csms.example.com:9000/ocpp' is not a ws://")


async def test_identity_placeholder_in_the_csms_url() -> None:
    paths: list[str] = []

    async def handler(ws: ServerConnection) -> None:
        paths.append(ws.request.path if ws.request else "")
        await ws.close()

    async with serve(handler, "127.0.0.1", 0, subprotocols=["ocpp2.0.1"]) as server:  # type: ignore[list-item]
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://127.0.0.1:{port}/ocpp/{{identity}}/", "LAB 1", ClientOptions(password=PASSWORD))
        await ws.close()
        ws = await connect(f"ws://127.0.0.1:{port}/ocpp", "LAB-2", ClientOptions(password=PASSWORD))
        await ws.close()
    assert paths == ["/ocpp/LAB%201/", "/ocpp/LAB-2"]


async def test_an_http_status_that_is_no_auth_refusal_is_reported_as_what_it_is(tmp_path: Path) -> None:
    def process_request(connection: ServerConnection, request: Request) -> Response:
        return connection.respond(HTTPStatus.INTERNAL_SERVER_ERROR, "no route\n")

    async def handler(ws: ServerConnection) -> None:
        await ws.close()

    async with serve(handler, "127.0.0.1", 0, process_request=process_request) as server:
        port = server.sockets[0].getsockname()[1]
        profile = _write(tmp_path / "csms.yaml", f"""kind: csms
identity: LAB-HARNESS-1
endpoint: {{url: "ws://127.0.0.1:{port}/ocpp"}}
security: {{profile: 1, password_env: LAB_CSMS_PASSWORD}}
control: {{adapter: prompt}}
""")
        result = await asyncio.to_thread(run_suite, tmp_path, "TC_B_01_CSMS", extra=(f"--ocpp-sut={profile}",),
                                         env={"LAB_CSMS_PASSWORD": PASSWORD}, timeout=120)
    assert result.verdicts == {"TC_B_01_CSMS": "failed"}, result.output[-3000:]
    message = result.messages["TC_B_01_CSMS"]
    assert message.startswith("the CSMS answered HTTP 500 Internal Server Error to the opening handshake of a valid "
                              "station (not an authentication refusal)"), message
    assert "rule: RPC-01" in message and "SEC-5" not in message and "{identity}" in message


# ---- the operator at a terminal -------------------------------------------------------------------------------------
def test_the_prompt_adapter_without_a_terminal(tmp_path: Path) -> None:
    text = (ROOT / "profiles" / "builtin-station.yaml").read_text()
    profile = _write(tmp_path / "prompt.yaml", re.sub(r"^control:\n(  .*\n)+", "control: {adapter: prompt}\n", text,
                                                      flags=re.M))
    proc = cli("run", "--sut", str(profile), "--reports", str(tmp_path / "r"), "--", "-k", "TC_C_02_CS",
               env={"COLUMNS": "200"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "Traceback" not in output and "Errno" not in output, output[-3000:]
    assert "ControlError: the prompt adapter asks a person at the terminal, but stdin is not a terminal" in output
    # the short summary line carries the headline, not the exception's class path
    assert re.search(r"^FAILED \S+::test_TC_C_02_CS - ControlError: the prompt", output, re.M), output[-2000:]
    assert "Manual action:" not in output  # not asked at all: nobody could answer
    assert 'message="ControlError: the prompt adapter' in (tmp_path / "r" / "junit.xml").read_text()
    debug = cli("run", "--sut", str(profile), "--reports", str(tmp_path / "d"), "--debug", "--", "-k", "TC_C_02_CS")
    assert "harness/pytest_plugin/operator.py" in debug.stdout, debug.stdout[-3000:]  # --debug: the traceback


# ---- options and profiles -------------------------------------------------------------------------------------------
def test_cert_profile_in_any_case_and_errors_name_the_option_typed() -> None:
    proc = cli("list", "--cert-profile", "core", "--role", "cs")
    assert proc.returncode == 0 and "certification profile Core" in proc.stdout, proc.stderr[-2000:]
    for command in ("run", "list"):
        one_line(cli(command, "--cert-profile", "cor"), "--cert-profile 'cor' is not a certification profile; one of")
    assert "--ocpp-cert-profile" not in cli("run", "--cert-profile", "cor").stderr


def test_a_pics_typo_is_reported_at_its_line_and_list_and_run_agree(station: Path) -> None:
    _write(station, station.read_text().replace("  C-01: true ", "  C-1: true  "))
    line = next(i for i, ln in enumerate(station.read_text().splitlines(), 1) if ln.startswith("  C-1:"))
    for command in ("list", "run"):
        one_line(cli(command, "--sut", str(station)), f"{station}:{line}: pics.C-1: 'C-1' is not a Part 5 feature")


def test_a_check_across_keys_is_reported_at_the_key_without_pydantics_prefix(station: Path) -> None:
    _write(station, station.read_text().replace("  adapter: http ", "  adapter: builtin "))
    line = next(i for i, ln in enumerate(station.read_text().splitlines(), 1) if ln.startswith("  adapter: builtin"))
    proc = cli("list", "--sut", str(station))
    one_line(proc, f"{station}:{line}: control.adapter 'builtin' only works with builtin: true")
    assert "Value error" not in proc.stderr


def test_list_into_a_pipe_that_closes_early_ends_quietly() -> None:
    proc = subprocess.run(f"{sys.executable} -m harness.cli list | head -1", shell=True, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.stdout.startswith("ID ") and proc.stderr == "", proc.stderr


# ---- a failure of the SUT: the harness's explanation, not its source -------------------------------------------------
def test_a_failure_shows_the_explanation_and_the_headline_in_the_short_summary(tmp_path: Path) -> None:
    args = ("run", "--role", "cs", "--reports", str(tmp_path / "r"), "--", "-k", "TC_B_06_CS",
            "--ocpp-sim-fault=get_variables_rejected")
    proc = cli(*args, env={"COLUMNS": "200"})
    assert proc.returncode == 1, proc.stdout[-3000:]
    failures = proc.stdout.split(" FAILURES ", 1)[1].split("short test summary info", 1)[0]
    assert "the answer to GetVariables is not as expected" in failures and "rule: " in failures
    assert "harness/" not in failures and "def " not in failures and "Traceback" not in failures  # no harness source
    assert re.search(r"^FAILED \S+::test_TC_B_06_CS - the answer to GetVariables is not as expected$", proc.stdout,
                     re.M), proc.stdout[-1500:]
    debug = cli(*args[:5], "--debug", *args[5:], env={"COLUMNS": "200"})
    assert "harness/" in debug.stdout.split(" FAILURES ", 1)[1]  # --debug: where in the harness it was found
