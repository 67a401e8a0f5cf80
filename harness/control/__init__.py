"""Control adapters: how the harness performs Part 6 "Manual Action"s on the SUT (DESIGN.md §6).

Two interfaces (`StationControl`, `CsmsControl`) and four ways to perform them: the built-in simulators in process,
HTTP (a JSON convention, README), a shell command per action, and a person at the terminal. `adapter_for` builds
the one a SUT profile names.
"""

from harness.control.actions import ActionControl, describe
from harness.control.factory import adapter_for
from harness.control.http import HttpControl
from harness.control.interfaces import CSMS_ACTIONS, STATION_ACTIONS, CsmsControl, Journal, StationControl
from harness.control.prompt import Ask, PromptControl
from harness.control.shell import ShellControl
from harness.control.simulated import SimulatedCsmsControl, SimulatedStationControl

__all__ = ["CSMS_ACTIONS", "STATION_ACTIONS", "ActionControl", "Ask", "CsmsControl", "HttpControl", "Journal",
           "PromptControl", "ShellControl", "SimulatedCsmsControl", "SimulatedStationControl", "StationControl",
           "adapter_for", "describe"]
