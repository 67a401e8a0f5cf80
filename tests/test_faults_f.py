"""Block F (remote start and stop, UnlockConnector, TriggerMessage): every check proven. A simulator fault switch
makes exactly the matching case fail, with a message that names what was expected; the clean run of the same cases
passes (test_suite_loopback). The pattern of tests/test_fault_detection.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import prove_caught, sample

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")

# fault switch -> (test case ids that must fail, texts the failure message must contain)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the Charging Station simulator misbehaves (the harness plays the CSMS)
    "reject_remote_start": (("TC_F_03_CS", "TC_F_04_CS"), ("RequestStartTransaction", "$.status")),
    "no_ev_connect_timeout": (("TC_F_04_CS",), ("EVConnectionTimeOut",)),
    "ev_timeout_as_deauthorized": (("TC_F_04_CS",), ("$.triggerReason", "EVConnectTimeout")),
    "unlock_during_transaction": (("TC_F_05_CS",), ("UnlockConnector", "OngoingAuthorizedTransaction")),
    "unlock_fails": (("TC_F_07_CS",), ("UnlockConnector", "Unlocked")),
    "accept_unknown_remote_stop": (("TC_F_09_CS",), ("RequestStopTransaction", "Rejected")),
    "unlock_unknown_connector": (("TC_F_10_CS",), ("UnlockConnector", "UnknownConnector")),
    "triggered_context_periodic": (("TC_F_11_CS", "TC_F_12_CS", "TC_F_13_CS", "TC_F_14_CS"),
                                   ("context", "'Trigger'")),
    "triggered_meter_values_evse_zero": (("TC_F_11_CS",), ("$.evseId", "got 0")),
    "trigger_first_evse_only": (("TC_F_12_CS", "TC_F_14_CS"), ("EVSE 2",)),
    "triggered_event_periodic": (("TC_F_13_CS", "TC_F_14_CS"), ("triggerReason Trigger",)),
    "triggered_idle_as_done": (("TC_F_15_CS", "TC_F_17_CS", "TC_F_18_CS"), ("$.status", "'Idle'")),
    "triggered_status_idle": (("TC_F_16_CS", "TC_F_19_CS"), ("$.status", "got 'Idle'")),
    "ignore_trigger": (("TC_F_11_CS", "TC_F_15_CS", "TC_F_20_CS", "TC_F_23_CS"), ("from the SUT within",)),
    "triggered_status_available": (("TC_F_24_CS",), ("connector Occupied for EVSE 1 connector 1",)),
    "accept_boot_trigger": (("TC_F_26_CS",), ("TriggerMessage", "Rejected")),
    # the CSMS simulator misbehaves (the harness plays a Charging Station)
    "remote_start_wrong_token": (("TC_F_03_CSMS", "TC_F_04_CSMS"), ("configured valid idToken",)),
    "reject_transaction_events": (("TC_F_04_CSMS",), ("TransactionEvent",)),
    "wrong_trigger_message": (("TC_F_11_CSMS", "TC_F_12_CSMS", "TC_F_13_CSMS", "TC_F_14_CSMS", "TC_F_15_CSMS",
                               "TC_F_18_CSMS", "TC_F_23_CSMS", "TC_F_24_CSMS"), ("$.requestedMessage",)),
    "trigger_without_evse": (("TC_F_11_CSMS", "TC_F_13_CSMS", "TC_F_23_CSMS", "TC_F_24_CSMS"), ("$.evse",)),
    "meter_values_error": (("TC_F_11_CSMS", "TC_F_12_CSMS"), ("MeterValues",)),
    "no_response": (("TC_F_20_CSMS",), ("Heartbeat",)),
}

# a station's own heartbeats must not stand in for the triggered one (TC_F_20_CS): a long interval for this switch
EXTRA = {"ignore_trigger": ("-o", "ocpp_heartbeat_interval=120")}

# `make test` proves these (one per kind of check and simulator); `make faults` (OCPP_ALL_FAULTS=1) every switch
SAMPLE = {"triggered_context_periodic", "triggered_status_idle", "trigger_without_evse"}


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, FAULTS[fault], extra=(*FAST, *EXTRA.get(fault, ())))
