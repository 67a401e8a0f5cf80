"""Control adapters over real channels: the HTTP convention against the simulators' control API, a shell command,
the operator prompt; every action journaled, every way an action can fail a ControlError a person understands."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.control import HttpControl, PromptControl, ShellControl, adapter_for
from harness.errors import ConfigError, ControlError
from harness.profile import IdToken, builtin_csms_profile, builtin_station_profile
from harness.simulators.control_server import ControlServer, station_actions

Journal = list[tuple[str, dict[str, Any], str]]


class Recorder:
    """A stand-in station for the control API: records what it was asked to do (the API under test is the HTTP
    path; the simulator's own reaction to each action is proven in the simulator's tests)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.never = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        async def act(*args: Any) -> None:
            if name == "suspend_ev":
                await self.never.wait()  # an action that never finishes
            if name == "resume_ev":
                raise RuntimeError("motor stuck")
            self.calls.append((name, args))
        return act


@pytest.fixture
async def api() -> Any:
    station = Recorder()
    server = ControlServer("station", "LAB-1", station_actions(station), action_timeout=1.0)
    await server.start()
    yield server, station
    await server.stop()


async def test_http_convention_reaches_each_station_action(api: Any) -> None:
    server, station = api
    journal: Journal = []
    control = HttpControl(server.url, timeout=5, journal=lambda *entry: journal.append(entry))
    await control.power_cycle()
    await control.plug_in(2, 1)
    await control.present_token(IdToken(id_token="TOKEN-1", type="KeyCode"), evse_id=2)
    await control.set_fault(1, 1, True)
    await control.unplug(2, 1)
    await control.aclose()
    assert station.calls == [("power_cycle", ()), ("plug_in", (2, 1)), ("present_token", ("TOKEN-1", "KeyCode", 2)),
                             ("set_fault", (1, 1, True)), ("unplug", (2, 1))]
    assert [a for a, _, _ in journal] == ["power-cycle", "plug-in", "present-id-token", "fault", "unplug"]
    assert all(outcome.startswith("HTTP 200 (http, ") for _, _, outcome in journal)
    assert server.requests[2] == ("present-id-token", {"idToken": "TOKEN-1", "type": "KeyCode", "evseId": 2}, 200)


async def test_http_failures_are_control_errors_that_say_what_happened(api: Any) -> None:
    server, _ = api
    journal: Journal = []
    control = HttpControl(server.url, timeout=5, journal=lambda *entry: journal.append(entry))
    with pytest.raises(ControlError, match=r"HTTP 504: suspend-ev not done within 1.0 s"):
        await control.suspend_ev(1)
    with pytest.raises(ControlError, match=r"HTTP 500: RuntimeError: motor stuck"):
        await control.resume_ev(1)
    with pytest.raises(ControlError, match=r"HTTP 400: parameter 'faulted' \(true/false\) is required"):
        await control._do("fault", {"evseId": 1})
    with pytest.raises(ControlError, match=r"HTTP 404: unknown action 'teleport'"):
        await control._do("teleport", {})
    assert all("FAILED" in outcome for _, _, outcome in journal)
    await control.aclose()
    gone = HttpControl("http://127.0.0.1:9", timeout=2)  # nothing listens on the discard port
    with pytest.raises(ControlError, match=r"POST http://127.0.0.1:9/actions/power-cycle: ConnectionError"):
        await gone.power_cycle()


async def test_http_convention_describes_itself(api: Any) -> None:
    server, _ = api
    body = json.loads(await asyncio.to_thread(_get, server.url + "/"))
    assert body == {"kind": "station", "identity": "LAB-1", "actions": sorted(
        ["power-cycle", "plug-in", "unplug", "present-id-token", "fault", "suspend-ev", "resume-ev",
         "restore-network-profile", "ev-side", "parking-bay", "select-transactions", "remove-station-certificate",
         "store-customer-identifier"])}


def _get(url: str) -> str:
    import urllib.request
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


async def test_shell_adapter_runs_one_command_per_action(tmp_path: Path) -> None:
    log = tmp_path / "rig.log"
    script = tmp_path / "rig.py"
    script.write_text("import sys\nopen(sys.argv[1], 'a').write(sys.argv[2] + ' ' + sys.argv[3] + '\\n')\n"
                      "sys.exit(3 if sys.argv[2] == 'fault' else 0)\n")
    journal: Journal = []
    control = ShellControl([sys.executable, str(script), str(log), "{action}", "{params}"], timeout=20,
                           journal=lambda *entry: journal.append(entry))
    await control.plug_in(1, 1)
    await control.trigger("CS-9", "Reset", {"type": "Immediate"})
    assert log.read_text().splitlines() == [
        'plug-in {"evseId": 1, "connectorId": 1}',
        'send {"stationId": "CS-9", "action": "Reset", "payload": {"type": "Immediate"}}']
    with pytest.raises(ControlError, match="fault: exit status 3"):
        await control.set_fault(1, 1, True)
    assert [outcome.split(" ")[0] for _, _, outcome in journal] == ["exit", "exit", "FAILED"]


async def test_shell_adapter_gives_up_at_its_deadline(tmp_path: Path) -> None:
    script = tmp_path / "hang.py"
    script.write_text("import threading\nthreading.Event().wait()\n")  # a rig that never finishes
    control = ShellControl([sys.executable, str(script)], timeout=0.5)
    with pytest.raises(ControlError, match=r"no exit within 0.5 s"):
        await control.power_cycle()
    with pytest.raises(ControlError, match="cannot run"):
        await ShellControl([str(tmp_path / "missing")]).power_cycle()


async def test_prompt_adapter_records_the_operator_answer() -> None:
    asked: list[str] = []
    answers = iter(["", "done, card 3", "fail: no EV here"])

    async def ask(question: str, timeout: float) -> str:
        asked.append(question)
        return next(answers)

    journal: Journal = []
    control = PromptControl(ask, journal=lambda *entry: journal.append(entry))
    await control.plug_in(1, 1)
    await control.present_token(IdToken(id_token="CARD-3"))
    with pytest.raises(ControlError, match="the operator could not do it: fail: no EV here"):
        await control.unplug(1, 1)
    assert asked[0].startswith("Manual action: Connect the EV cable at EVSE 1 connector 1. Press Enter")
    assert "Present idToken CARD-3 (type ISO14443)" in asked[1]
    assert journal[0][2].startswith("operator confirmed (prompt")
    assert journal[1][2].startswith("operator confirmed (done, card 3) (prompt")


async def test_prompt_adapter_tells_how_to_undo_a_security_profile_upgrade() -> None:
    asked: list[str] = []

    async def ask(question: str, timeout: float) -> str:
        asked.append(question)
        return ""

    control = PromptControl(ask)
    await control.restore_network_profile()
    await control.configure_security_profile("CS-9", 1)
    assert "Restore the Charging Station's original network connection profile" in asked[0]
    assert "expect station CS-9 at security profile 1 again" in asked[1]


async def test_http_convention_reaches_the_upgrade_cleanup_actions(api: Any) -> None:
    server, station = api
    await HttpControl(server.url, timeout=5).restore_network_profile()
    assert station.calls == [("restore_network_profile", ())]


async def test_prompt_adapter_without_an_answer_is_an_error_not_a_hang() -> None:
    async def silent(question: str, timeout: float) -> str:
        async with asyncio.timeout(timeout):
            await asyncio.Event().wait()
        return ""

    async def closed(question: str, timeout: float) -> str:
        raise EOFError

    with pytest.raises(ControlError, match=r"no answer from the operator within 0\.2 s"):
        await PromptControl(silent, timeout=0.2).power_cycle()
    with pytest.raises(ControlError, match="the terminal has no input"):
        await PromptControl(closed).power_cycle()


def test_prompt_reads_the_real_terminal_inside_a_pytest_run(pytester: pytest.Pytester) -> None:
    """The plugin's `ask`: capture paused, the question on the terminal, the answer from stdin, into the journal."""
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = session\n"
                     "asyncio_default_test_loop_scope = session\n")
    sut = pytester.makefile(".yaml", sut="kind: station\nidentity: LAB-1\ncontrol:\n  adapter: prompt\n"
                                         "  timeout: 30\n")
    pytester.makepyfile(test_case='''
from harness import testcase

@testcase("TC_B_01_CS", "boot")
async def test_TC_B_01_CS(sut, ocpp_case):
    await sut.plug_in(1, 1)
''')
    result = pytester.run(sys.executable, "-m", "pytest", f"--ocpp-sut={sut}", "-p", "no:cacheprovider",
                          "--ocpp-reports-dir=rep", "--alluredir=allure", stdin=b"plugged\n", timeout=120)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*Manual action: Connect the EV cable at EVSE 1 connector 1. Press Enter*"])
    steps = [s["name"] for f in (pytester.path / "allure").glob("*-result.json")
             for s in json.loads(f.read_text()).get("steps", [])]
    assert any(s.startswith("Manual action: Connect the EV cable at EVSE 1 connector 1: operator confirmed "
                            "(plugged)") for s in steps), steps


def test_adapter_for_follows_the_profile() -> None:
    station = builtin_station_profile()
    assert isinstance(adapter_for(station, url="http://127.0.0.1:1"), HttpControl)
    with pytest.raises(ConfigError, match=r"needs control\.url"):
        adapter_for(station)
    csms = builtin_csms_profile().model_copy(update={"control": builtin_csms_profile().control.model_copy(
        update={"adapter": "prompt"})})
    with pytest.raises(ConfigError, match="needs a terminal"):
        adapter_for(csms)
