"""The YAML test cases of `scenarios/`: one generic test per SUT kind, parametrized by the plugin with every
scenario file (DESIGN.md §7), and one that turns each file that does not load into a failing case."""

from __future__ import annotations

from harness import CsmsControl, CsmsRole, Scenario, StationControl, StationRole, run_scenario
from harness.errors import ConfigError


async def test_station_scenario(ocpp_scenario: Scenario, csms: CsmsRole, sut: StationControl) -> None:
    """SUT = Charging Station."""
    await run_scenario(ocpp_scenario, csms, sut)


async def test_csms_scenario(ocpp_scenario: Scenario, station: StationRole, sut: CsmsControl) -> None:
    """SUT = CSMS."""
    await run_scenario(ocpp_scenario, station, sut)


def test_scenario_file_loads(ocpp_scenario_error: ConfigError) -> None:
    raise ocpp_scenario_error
