"""The two roles the harness can play. Everybody confuses them once, so, plainly:

- fixture `csms`    → the harness ACTS AS the CSMS; the system under test is a Charging Station (ids `TC_*_CS`).
- fixture `station` → the harness ACTS AS a Charging Station; the system under test is a CSMS (ids `TC_*_CSMS`).

The role is what the harness plays; the SUT is the other side.
"""

from harness.roles.conversation import Conversation, StepReporter
from harness.roles.csms import CsmsEndpoint, CsmsRole
from harness.roles.station import STATION_INFO, StationRole

__all__ = ["STATION_INFO", "Conversation", "CsmsEndpoint", "CsmsRole", "StationRole", "StepReporter"]
