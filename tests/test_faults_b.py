"""Block B (provisioning) with a Charging Station under test: every check of the coverage cases proven. A simulator
fault switch makes exactly the matching cases fail, with a message that names what was expected; the clean run of
the same cases passes (test_suite_loopback). The pattern of tests/test_fault_detection.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from suite_runner import prove_caught, run_suite, sample, security_profiles, station_profile

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")
STRICT = ("--ocpp-policy=beyond_part6=fail",)  # the checks beyond a table fail too, so each is proven

# fault switch -> (test case ids that must fail, texts the failure message must contain)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # GetVariables / SetVariables (B05, B06)
    "variables_wrong_type": (("TC_B_07_CS", "TC_B_10_CS"), ("attributeType", "Target")),
    "variables_wrong_names": (("TC_B_07_CS", "TC_B_10_CS"), ("VariableResult for OCPPCommCtrlr.OfflineThreshold",)),
    "unknown_as_rejected": (("TC_B_32_CS", "TC_B_33_CS", "TC_B_35_CS", "TC_B_36_CS"),
                            ("attributeStatus", "Rejected")),
    "attribute_type_as_actual": (("TC_B_34_CS", "TC_B_37_CS"), ("NotSupportedAttributeType",)),
    "accept_malformed_value": (("TC_B_11_CS",), ("did not reject an invalidly formatted value", "B05.FR.07")),
    "read_only_accepted": (("TC_B_39_CS",), ("read-only", "Rejected")),
    # base reports (B07)
    "refuse_base_report": (("TC_B_12_CS", "TC_B_13_CS", "TC_B_14_CS", "TC_B_53_CS"), ("GetBaseReport", "Accepted")),
    "report_without_characteristics": (("TC_B_12_CS", "TC_B_13_CS", "TC_B_14_CS", "TC_B_53_CS"),
                                       ("without variableCharacteristics",)),
    "report_seq_from_one": (("TC_B_12_CS", "TC_B_13_CS", "TC_B_14_CS", "TC_B_53_CS"), ("seqNo 0",)),
    "report_missing_required": (("TC_B_12_CS", "TC_B_13_CS", "TC_B_53_CS"),
                                ("OCPPCommCtrlr.OfflineThreshold is not reported",)),
    "config_report_read_only": (("TC_B_12_CS",), ("not ReadWrite or WriteOnly",)),
    "report_write_only_value": (("TC_B_53_CS",), ("SecurityCtrlr.BasicAuthPassword", "WriteOnly")),
    "summary_without_evse": (("TC_B_14_CS",), ("EVSE.AvailabilityState of EVSE 1 is not reported",)),
    # reset (B11, B12)
    "reset_ignores_transaction": (("TC_B_21_CS", "TC_B_41_CS"), ("Reset", "Scheduled")),
    "immediate_reset_wrong_reason": (("TC_B_22_CS",), ("stoppedReason", "ImmediateReset")),
    "scheduled_reset_as_remote": (("TC_B_21_CS", "TC_B_41_CS"), ("reason ScheduledReset",)),
    "reset_boot_reason_power_up": (("TC_B_22_CS", "TC_B_23_CS"), ("reason RemoteReset",)),
    "forget_availability_on_reboot": (("TC_B_23_CS",), ("connector Unavailable for EVSE 1 connector 1",)),
    "accept_evse_reset": (("TC_B_28_CS", "TC_B_29_CS"), ("Reset", "Rejected")),
    "reject_reset": (("TC_B_21_CS", "TC_B_22_CS", "TC_B_23_CS", "TC_B_41_CS"), ("Reset", "$.status")),
    "evse_reset_ignores_transaction": (("TC_B_29_CS",), ("Reset", "Rejected")),
    "report_unsupported_anyway": (("TC_B_14_CS",), ("GetBaseReport", "Accepted")),
    # network connection profiles (B09, B10) and the states after an offline period (B04)
    "accept_any_slot": (("TC_B_43_CS",), ("SetNetworkProfile", "Rejected")),
    "refuse_network_slot": (("TC_B_45_CS", "TC_B_46_CS"), ("SetNetworkProfile", "Accepted")),
    "ignore_network_priority": (("TC_B_45_CS",), ("not to the new profile's endpoint",)),
    "no_network_fallback": (("TC_B_46_CS",), ("the station to reconnect",)),
    "changed_only_after_offline": (("TC_B_51_CS",), ("connector Available for EVSE 2 connector 1",)),
    "no_status_after_reconnect": (("TC_B_51_CS", "TC_B_52_CS"), ("connector Occupied for EVSE 1 connector 1",)),
}

# `make test` proves these (one per kind of check); `make faults` (OCPP_ALL_FAULTS=1) every switch
SAMPLE = {"accept_malformed_value", "report_missing_required", "immediate_reset_wrong_reason"}


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, FAULTS[fault], extra=(*FAST, *STRICT))


def test_a_station_without_the_summary_inventory_passes_tc_b_15(tmp_path: Path) -> None:
    """TC_B_15_CS (NOT C-56): with a profile that does not claim the SummaryInventory and the simulator without it
    (variant no_summary_inventory) the clean simulator passes, TC_B_14_CS is not applicable; one that sends the
    report anyway fails TC_B_15_CS."""
    extra = (*FAST, f"--ocpp-sut={station_profile(tmp_path / 'profiles', drops=('C-56',))}")
    clean = run_suite(tmp_path / "clean", "TC_B_14_CS", "TC_B_15_CS", variants=("no_summary_inventory",), extra=extra)
    assert clean.verdicts == {"TC_B_14_CS": "skipped", "TC_B_15_CS": "passed"}, clean.output[-3000:]
    faulty = run_suite(tmp_path / "faulty", "TC_B_15_CS", variants=("no_summary_inventory",),
                       faults=("report_unsupported_anyway",), extra=extra)
    assert faulty.verdicts == {"TC_B_15_CS": "failed"}, faulty.output[-3000:]
    assert "NotifyReport" in faulty.messages["TC_B_15_CS"] and "B07.FR.02" in faulty.messages["TC_B_15_CS"]


@pytest.mark.skipif(not os.environ.get("OCPP_ALL_FAULTS"), reason="make faults (OCPP_ALL_FAULTS=1) runs it")
def test_the_fallback_to_the_reconnection_mechanism_passes_tc_b_49(tmp_path: Path) -> None:
    """TC_B_49_CS (C-47) is not applicable to the built-in profile; claimed, the clean simulator passes it and one
    that never moves on from the new profile's dead endpoint fails it."""
    extra = (*FAST, f"--ocpp-sut={station_profile(tmp_path / 'profiles', claims=('C-47',))}")
    clean = run_suite(tmp_path / "clean", "TC_B_49_CS", extra=extra)
    assert clean.verdicts == {"TC_B_49_CS": "passed"}, clean.output[-3000:]
    faulty = run_suite(tmp_path / "faulty", "TC_B_49_CS", faults=("no_network_fallback",), extra=extra)
    assert faulty.verdicts == {"TC_B_49_CS": "failed"}, faulty.output[-3000:]
    assert "the station to try the previous profile" in faulty.messages["TC_B_49_CS"]

RESET_PER_EVSE = ("TC_B_25_CS", "TC_B_26_CS", "TC_B_27_CS")


def test_a_station_that_resets_single_evses_passes_tc_b_25_to_27(tmp_path: Path) -> None:
    """TC_B_25/26/27_CS (C-13) are not applicable to the built-in profile; claimed, with the simulator's reset per
    EVSE (variant evse_reset), the clean simulator passes them; one that refuses every reset fails all three;
    one that resets a charging EVSE at once (OnIdle) and ends a transaction with stoppedReason Reboot fails
    TC_B_26_CS and TC_B_27_CS."""
    extra = (*FAST, f"--ocpp-sut={station_profile(tmp_path / 'profiles', claims=('C-13',))}")
    clean = run_suite(tmp_path / "clean", *RESET_PER_EVSE, variants=("evse_reset",), extra=extra)
    assert clean.verdicts == dict.fromkeys(RESET_PER_EVSE, "passed"), clean.output[-3000:]
    refused = run_suite(tmp_path / "refused", *RESET_PER_EVSE, variants=("evse_reset",), faults=("reject_reset",),
                        extra=extra)
    assert refused.verdicts == dict.fromkeys(RESET_PER_EVSE, "failed"), refused.output[-3000:]
    assert all("Reset" in refused.messages[c] and "Rejected" in refused.messages[c] for c in RESET_PER_EVSE)
    if not os.environ.get("OCPP_ALL_FAULTS"):
        return
    wrong = run_suite(tmp_path / "wrong", *RESET_PER_EVSE[1:], variants=("evse_reset",), extra=extra,
                      faults=("evse_reset_ignores_transaction", "immediate_reset_wrong_reason"))
    assert wrong.verdicts == dict.fromkeys(RESET_PER_EVSE[1:], "failed"), wrong.output[-3000:]
    assert "Scheduled" in wrong.messages["TC_B_26_CS"] and "ImmediateReset" in wrong.messages["TC_B_27_CS"]

TLS_ENV = {"OCPP_STATION_PASSWORD": "StationTlsSecret012345", "OCPP_HARNESS_STATION_PASSWORD": "HarnessTlsSecret543210"}


@pytest.mark.skipif(not os.environ.get("OCPP_ALL_FAULTS"), reason="make faults (OCPP_ALL_FAULTS=1) runs it")
@pytest.mark.parametrize("security", [2, 3])
def test_migrating_to_a_new_csms_root_passes_tc_b_50(security: int, tmp_path: Path) -> None:
    """TC_B_50_CS needs security profile 2 or 3 (not applicable in the loopback at 1): there the clean simulator
    passes it (its fault ignore_installed_roots is proven in tests/test_security_profiles.py TLS_FAULTS)."""
    station, csms = security_profiles(tmp_path / "profiles", security)
    clean = run_suite(tmp_path, "TC_B_50_CS", extra=(*FAST, f"--ocpp-sut={station}", f"--ocpp-sut={csms}"),
                      env=TLS_ENV)
    assert clean.verdicts == {"TC_B_50_CS": "passed"}, clean.output[-3000:]


@pytest.mark.skipif(not os.environ.get("OCPP_ALL_FAULTS"), reason="make faults (OCPP_ALL_FAULTS=1) runs it")
def test_the_fallback_to_the_old_csms_root_passes_tc_b_47(tmp_path: Path) -> None:
    """TC_B_47_CS (AS-2 and C-47, security profile 2 or 3): with a profile claiming both and the simulator's
    AdditionalRootCertificateCheck (variant additional_root_check) at 2 the clean simulator passes it; one that
    does not fall back to the replaced root fails it at step 10 (no reconnect), named in the headline."""
    station, csms = security_profiles(tmp_path / "profiles", 2)
    station = station_profile(station.parent, claims=("AS-2", "C-47"), base=station)
    extra = (*FAST, f"--ocpp-sut={station}", f"--ocpp-sut={csms}")
    clean = run_suite(tmp_path / "clean", "TC_B_47_CS", variants=("additional_root_check",), extra=extra, env=TLS_ENV)
    assert clean.verdicts == {"TC_B_47_CS": "passed"}, clean.output[-3000:]
    faulty = run_suite(tmp_path / "faulty", "TC_B_47_CS", variants=("additional_root_check",),
                       faults=("no_root_fallback",), extra=extra, env=TLS_ENV)
    assert faulty.verdicts == {"TC_B_47_CS": "failed"}, faulty.output[-3000:]
    # no fallback: it never reconnects with the old root (step 10), and that is the headline, not a cleanup after it
    message = faulty.messages["TC_B_47_CS"]
    assert message.startswith("waited") and "for the station to reconnect" in message.split("\n", 1)[0], message
    assert "step: 10. Reusable state Booted" in message, message

