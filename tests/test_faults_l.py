"""Block L (secure firmware update, L01) coverage, and TC_A_21_CS / TC_M_23_CS: every check proven. A simulator
fault switch makes exactly the matching case fail, with a message that names what was expected. The pattern of
tests/test_faults_p.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import prove_caught, run_suite, sample, station_profile

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")

REBOOTING_CSMS = ("TC_L_02_CSMS", "TC_L_03_CSMS", "TC_L_09_CSMS", "TC_L_10_CSMS", "TC_L_11_CSMS", "TC_L_13_CSMS")

# fault switch -> (test case ids that must fail, texts the failure message must contain)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the CSMS under test
    "firmware_times_now": (("TC_L_02_CSMS", "TC_L_03_CSMS"), ("does not schedule the update", "L01.FR.15")),
    "unsigned_firmware_update": (("TC_L_13_CSMS",), ("configured signing certificate", "signingCertificate")),
    "pending_after_firmware_boot": (REBOOTING_CSMS, ("BootNotification", "$.status", "Accepted")),
    # the station under test
    "firmware_ignores_install_time": (("TC_L_02_CS",), ("scheduled for installation", "InstallScheduled")),
    "firmware_ignores_retrieve_time": (("TC_L_03_CS",), ("scheduled for download", "DownloadScheduled")),
    "accept_untrusted_firmware_certificate": (("TC_L_05_CS",), ("signing certificate it cannot trust",
                                                                "InvalidCertificate")),
    "no_firmware_security_event": (("TC_L_02_CS", "TC_L_03_CS", "TC_L_05_CS", "TC_L_10_CS"),
                                   ("SecurityEventNotification",)),
    "install_broken_firmware": (("TC_L_08_CS",), ("failed installation", "InstallVerificationFailed")),
    "reject_second_firmware": (("TC_L_10_CS",), ("UpdateFirmware", "$.status", "AcceptedCanceled")),
    "canceled_firmware_old_request_id": (("TC_L_10_CS",), ("second request's requestId", "L01.FR.24")),
    "accept_unsigned_firmware": (("TC_L_18_CS",), ("without signature and signing certificate", "Rejected")),
    "activate_during_transaction": (("TC_L_14_CS",), ("activated the new firmware while a transaction", "L01.FR.06")),
    "no_unavailable_pending_firmware": (("TC_L_15_CS",), ("StatusNotification", "Unavailable")),
    # Advanced Security: TC_A_21_CS, TC_M_23_CS
    "upgrade_without_station_certificate": (("TC_A_21_CS",), ("no valid ChargingStationCertificate", "A05.FR.03")),
    "delete_station_certificate": (("TC_M_23_CS",), ("delete its own ChargingStationCertificate", "M04.FR.06")),
}

SAMPLE = {"firmware_times_now", "reject_second_firmware"}


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, FAULTS[fault], extra=FAST)

UNCANCELABLE = {"accept_uncancelable_firmware": ("UpdateFirmware", "$.status", "Rejected"),
                "skip_downloaded_status": ("could not cancel", "Downloaded")}


@pytest.mark.parametrize("fault", sample(UNCANCELABLE, {"accept_uncancelable_firmware"}))
def test_uncancelable_station_passes_and_is_judged(fault: str, tmp_path: Path) -> None:
    """TC_L_11_CS (NOT C-60) is not applicable to the built-in profile; with a profile that does not claim C-60 and
    the variant firmware_not_cancelable the clean simulator passes it (TC_L_10_CS is then not applicable), and each
    fault fails it naming what was expected."""
    profile = station_profile(tmp_path / "profiles", drops=("C-60",))
    extra = (*FAST, f"--ocpp-sut={profile}")
    cases = ("TC_L_10_CS", "TC_L_11_CS")
    clean = run_suite(tmp_path / "clean", *cases, variants=("firmware_not_cancelable",), extra=extra)
    assert clean.verdicts == {"TC_L_10_CS": "skipped", "TC_L_11_CS": "passed"}, clean.output[-3000:]
    faulty = run_suite(tmp_path / "faulty", "TC_L_11_CS", variants=("firmware_not_cancelable",), faults=(fault,),
                       extra=extra)
    assert faulty.verdicts == {"TC_L_11_CS": "failed"}, faulty.output[-3000:]
    for text in UNCANCELABLE[fault]:
        assert text in faulty.messages["TC_L_11_CS"], faulty.messages["TC_L_11_CS"][:3000]

AFTER_TRANSACTIONS = {"firmware_ignores_transaction": (("TC_L_12_CS", "TC_L_13_CS"),
                                                       ("downloaded the firmware while a transaction", "L01.FR.06")),
                      "no_unavailable_pending_firmware": (("TC_L_13_CS",), ("StatusNotification", "Unavailable"))}


@pytest.mark.parametrize("fault", sample(AFTER_TRANSACTIONS, set()))
def test_station_waiting_to_download_passes_and_is_judged(fault: str, tmp_path: Path) -> None:
    """TC_L_12/13_CS (NOT AQ-7) are not applicable to the built-in profile; with a profile that does not claim AQ-7
    and the variant firmware_after_transactions the clean simulator passes them (TC_L_14/15_CS are then not
    applicable), and each fault fails the cases it names."""
    profile = station_profile(tmp_path / "profiles", drops=("AQ-7",))
    extra = (*FAST, f"--ocpp-sut={profile}")
    cases = ("TC_L_12_CS", "TC_L_13_CS", "TC_L_14_CS", "TC_L_15_CS")
    clean = run_suite(tmp_path / "clean", *cases, variants=("firmware_after_transactions",), extra=extra)
    assert clean.verdicts == {"TC_L_12_CS": "passed", "TC_L_13_CS": "passed", "TC_L_14_CS": "skipped",
                              "TC_L_15_CS": "skipped"}, clean.output[-3000:]
    must_fail, texts = AFTER_TRANSACTIONS[fault]
    faulty = run_suite(tmp_path / "faulty", *must_fail, variants=("firmware_after_transactions",), faults=(fault,),
                       extra=extra)
    assert faulty.verdicts == dict.fromkeys(must_fail, "failed"), faulty.output[-3000:]
    for case_id in must_fail:
        for text in texts:
            assert text in faulty.messages[case_id], faulty.messages[case_id][:3000]

DURING_TRANSACTION = {"no_reconnect_after_firmware": ("reconnect with the new firmware",),
                      "skip_downloaded_status": ("during a transaction", "Downloaded")}


@pytest.mark.parametrize("fault", sample(DURING_TRANSACTION, set()))
def test_station_updating_during_a_transaction_passes_and_is_judged(fault: str, tmp_path: Path) -> None:
    """TC_L_16_CS (C-43) is not applicable to the built-in profile; with a profile claiming C-43 and the variant
    firmware_during_transaction the clean simulator passes it, and each fault fails it naming what was expected."""
    profile = station_profile(tmp_path / "profiles", claims=("C-43",))
    extra = (*FAST, f"--ocpp-sut={profile}")
    clean = run_suite(tmp_path / "clean", "TC_L_16_CS", variants=("firmware_during_transaction",), extra=extra)
    assert clean.verdicts == {"TC_L_16_CS": "passed"}, clean.output[-3000:]
    faulty = run_suite(tmp_path / "faulty", "TC_L_16_CS", variants=("firmware_during_transaction",), faults=(fault,),
                       extra=extra)
    assert faulty.verdicts == {"TC_L_16_CS": "failed"}, faulty.output[-3000:]
    for text in DURING_TRANSACTION[fault]:
        assert text in faulty.messages["TC_L_16_CS"], faulty.messages["TC_L_16_CS"][:3000]
