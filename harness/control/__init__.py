"""Control adapters: how the harness performs Part 6 "Manual Action"s on the SUT.

One interface per SUT kind; adapters for the built-in simulators here. The HTTP, shell and interactive-prompt
adapters of DESIGN.md §6 implement the same interfaces (issue: SUT profile and control adapters).
"""

from harness.control.adapters import CsmsControl, SimulatedCsmsControl, SimulatedStationControl, StationControl

__all__ = ["CsmsControl", "SimulatedCsmsControl", "SimulatedStationControl", "StationControl"]
