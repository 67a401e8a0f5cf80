"""Block E's checks proven (testcases/test_e_*.py): each fault switch of the simulators makes exactly the named
cases fail, with a message that names what went wrong; the clean runs pass (test_suite_loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import prove_caught, run_suite, sample, station_profile

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")
STRICT = ("--ocpp-policy=beyond_part6=fail",)

# fault switch -> (test case ids that must fail, texts the failure message must contain)
E_FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the station simulator (the harness plays the CSMS)
    "energy_start_at_plug_in": (("TC_E_02_CS",), ("Started at the energy transfer", "chargingState")),
    "unsigned_start_value": (("TC_E_11_CS",), ("signed Transaction.Begin",)),
    "bay_start_as_cable": (("TC_E_12_CS",), ("EVDetected",)),
    "no_bay_stop": (("TC_E_19_CS",), ("EVDeparted",)),
    "power_path_stop_updated": (("TC_E_07_CS", "TC_E_08_CS"), ("ends the transaction at StopAuthorized",)),
    "energy_stop_wrong_state": (("TC_E_22_CS",), ("neither Ended with EVConnected",)),
    "ev_side_keeps_transaction": (("TC_E_17_CS", "TC_E_20_CS", "TC_E_37_CS", "TC_E_54_CS"),
                                  ("EVCommunicationLost", "eventType")),
    "ev_side_no_resume": (("TC_E_26_CS",), ("ChargingStateChanged", "Charging")),
    "remote_authorize_when_disabled": (("TC_E_52_CS",), ("Authorize", "C01.FR.05")),
    "no_deauthorize_on_invalid": (("TC_E_16_CS",), ("Deauthorized",)),
    "status_unknown_ongoing": (("TC_E_28_CS",), ("ongoingIndicator",)),
    "status_queue_hidden": (("TC_E_29_CS", "TC_E_33_CS"), ("messagesInQueue",)),
    "status_indicator_without_id": (("TC_E_33_CS", "TC_E_34_CS"), ("ongoingIndicator",)),
    "resend_after_success": (("TC_E_42_CS", "TC_E_51_CS"), ("E13.FR.03",)),
    "ignore_group_id": (("TC_E_45_CS",), ("same group",)),
    "no_offline_queue": (("TC_E_43_CS", "TC_E_44_CS"), ("queued TransactionEvents once the station is back online",)),
    "no_offline_flag": (("TC_E_43_CS", "TC_E_44_CS"), ("after the reconnect", "lacks offline true")),
    # the CSMS simulator (the harness plays a station)
    "stop_wrong_transaction": (("TC_E_21_CSMS",), ("RequestStopTransactionRequest", "transactionId")),
    "transaction_status_wrong_id": (("TC_E_29_CSMS", "TC_E_30_CSMS", "TC_E_33_CSMS", "TC_E_34_CSMS"),
                                    ("GetTransactionStatusRequest", "transactionId")),
    "refuse_valid_token": (("TC_E_01_CSMS", "TC_E_02_CSMS", "TC_E_10_CSMS", "TC_E_11_CSMS"),
                           ("$.idTokenInfo.status",)),
    "accept_unknown_token": (("TC_E_16_CSMS",), ("$.idTokenInfo.status",)),
}
E_SAMPLE = {"ev_side_keeps_transaction", "status_queue_hidden", "resend_after_success", "transaction_status_wrong_id"}


@pytest.mark.parametrize("fault", sample(E_FAULTS, E_SAMPLE))
def test_e_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, E_FAULTS[fault], extra=(*FAST, *STRICT))


@pytest.mark.parametrize(("fault", "verdict"), [((), "passed"), (("not_ready_as_charging",), "failed")])
def test_ev_not_ready_for_a_station_without_energy_transfer_start(fault: tuple[str, ...], verdict: str,
                                                                  tmp_path: Path) -> None:
    """TC_E_38_CS is for stations that cannot start at EnergyTransfer (NOT C-09.5): the built-in one claims it, so
    this runs it with a profile that does not; clean it passes, and an EV charged though not ready fails it."""
    profile = station_profile(tmp_path, drops=("C-09.5",))
    result = run_suite(tmp_path, "TC_E_38_CS", faults=fault, extra=(*FAST, f"--ocpp-sut={profile}"))
    assert result.verdicts.get("TC_E_38_CS") == verdict, result.output[-3000:]
    if fault:
        assert "SuspendedEV" in result.messages["TC_E_38_CS"], result.messages["TC_E_38_CS"][:3000]


@pytest.mark.parametrize(("fault", "verdict"), [((), "passed"), (("no_ev_connect_timeout",), "failed")])
def test_fixed_cable_connection_timeout(fault: tuple[str, ...], verdict: str, tmp_path: Path) -> None:
    """TC_E_27_CS needs a fixed cable (HFS-2): the simulator's variant fixed_cable with a profile that claims it;
    clean it passes, and an EVConnectionTimeOut that never runs out fails it."""
    profile = station_profile(tmp_path, drops=("HFS-1",), claims=("HFS-2",))
    result = run_suite(tmp_path, "TC_E_27_CS", faults=fault, variants=("fixed_cable",),
                       extra=(*FAST, f"--ocpp-sut={profile}"))
    assert result.verdicts.get("TC_E_27_CS") == verdict, result.output[-3000:]
    if fault:
        assert "EVConnectTimeout" in result.messages["TC_E_27_CS"], result.messages["TC_E_27_CS"][:3000]
