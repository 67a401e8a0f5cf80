"""Block L (secure firmware update, L01) coverage, and TC_A_21_CS / TC_M_23_CS: every check proven. A simulator
fault switch makes exactly the matching case fail, with a message that names what was expected. The pattern of
tests/test_faults_p.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import ROOT, run_suite, sample

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
    # Advanced Security: TC_A_21_CS, TC_M_23_CS
    "upgrade_without_station_certificate": (("TC_A_21_CS",), ("no valid ChargingStationCertificate", "A05.FR.03")),
    "delete_station_certificate": (("TC_M_23_CS",), ("delete its own ChargingStationCertificate", "M04.FR.06")),
}

SAMPLE = {"firmware_times_now", "reject_second_firmware"}


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    must_fail, texts = FAULTS[fault]
    result = run_suite(tmp_path, *must_fail, faults=(fault,), extra=FAST)
    for case_id in must_fail:
        assert result.verdicts.get(case_id) == "failed", (
            f"{fault}: {case_id} should fail but was {result.verdicts.get(case_id)}\n{result.output[-3000:]}")
        message = result.messages[case_id]
        for text in texts:
            assert text in message, f"{fault}: the failure of {case_id} does not name {text!r}:\n{message[:3000]}"


def _not_cancelable(folder: Path) -> Path:
    """A copy of profiles/builtin-station.yaml that does not claim C-60 (for the variant firmware_not_cancelable)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "profiles" / "builtin-station.yaml").read_text()
    line = next(line for line in text.splitlines() if line.startswith("  C-60: true"))
    path = folder / "builtin-station.yaml"
    path.write_text(text.replace(line, "  C-60: false"))
    return path


UNCANCELABLE = {"accept_uncancelable_firmware": ("UpdateFirmware", "$.status", "Rejected"),
                "skip_downloaded_status": ("could not cancel", "Downloaded")}


@pytest.mark.parametrize("fault", sample(UNCANCELABLE, {"accept_uncancelable_firmware"}))
def test_uncancelable_station_passes_and_is_judged(fault: str, tmp_path: Path) -> None:
    """TC_L_11_CS (NOT C-60) is not applicable to the built-in profile; with a profile that does not claim C-60 and
    the variant firmware_not_cancelable the clean simulator passes it (TC_L_10_CS is then not applicable), and each
    fault fails it naming what was expected."""
    profile = _not_cancelable(tmp_path / "profiles")
    extra = (*FAST, f"--ocpp-sut={profile}")
    cases = ("TC_L_10_CS", "TC_L_11_CS")
    clean = run_suite(tmp_path / "clean", *cases, variants=("firmware_not_cancelable",), extra=extra)
    assert clean.verdicts == {"TC_L_10_CS": "skipped", "TC_L_11_CS": "passed"}, clean.output[-3000:]
    faulty = run_suite(tmp_path / "faulty", "TC_L_11_CS", variants=("firmware_not_cancelable",), faults=(fault,),
                       extra=extra)
    assert faulty.verdicts == {"TC_L_11_CS": "failed"}, faulty.output[-3000:]
    for text in UNCANCELABLE[fault]:
        assert text in faulty.messages["TC_L_11_CS"], faulty.messages["TC_L_11_CS"][:3000]
