"""The built-in simulators (DESIGN.md §8): the default SUTs, so the whole suite runs with no hardware."""

from harness.simulators.csms import CsmsConfig, CsmsFaults, CsmsSimulator, CsmsVariants
from harness.simulators.station import StationConfig, StationFaults, StationSimulator, StationVariants

__all__ = ["CsmsConfig", "CsmsFaults", "CsmsSimulator", "CsmsVariants", "StationConfig", "StationFaults",
           "StationSimulator", "StationVariants"]
