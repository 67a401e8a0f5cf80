"""Block M (certificate management: M03 list, M04 delete, M05 install): every check proven. A simulator fault switch
makes exactly the matching case fail, with a message that names what was expected; the clean run of the same cases
passes (test_suite_loopback). The pattern of tests/test_fault_detection.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import ROOT, prove_caught, run_suite, sample, security_profiles, station_profile

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")

# fault switch -> (test case ids that must fail, texts the failure message must contain)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the Charging Station simulator misbehaves (the harness plays the CSMS)
    "forget_manufacturer_root": (("TC_M_02_CS", "TC_M_13_CS", "TC_M_17_CS"),
                                 ("does not report the installed", "ManufacturerRootCertificate")),
    "wrong_certificate_hash": (("TC_M_12_CS", "TC_M_13_CS", "TC_M_17_CS"), ("does not report the installed",)),
    "accept_expired_certificate": (("TC_M_07_CS",), ("did not reject an expired CSMSRootCertificate",)),
    "ids_ignore_type": (("TC_M_19_CS",), ("GetInstalledCertificateIds", "NotFound")),
    "delete_unknown_accepted": (("TC_M_22_CS",), ("DeleteCertificate", "NotFound")),
    # the CSMS simulator misbehaves (the harness plays a Charging Station)
    "install_wrong_certificate_type": (("TC_M_02_CSMS",), ("certificateType ManufacturerRootCertificate",)),
    "certificate_ids_wrong_type": (("TC_M_13_CSMS", "TC_M_19_CSMS"), ("does not ask for ManufacturerRootCertificate",)),
    "delete_other_certificate": (("TC_M_21_CSMS",), ("DeleteCertificateRequest is not for the certificateHashData",)),
    "ignore_operator_requests": (("TC_M_05_CSMS",), ("InstallCertificate",)),
}

# `make test` proves these (one per kind of check and simulator); `make faults` (OCPP_ALL_FAULTS=1) every switch
SAMPLE = {"accept_expired_certificate", "delete_other_certificate"}


def _claiming_as2(folder: Path) -> tuple[str, ...]:
    """--ocpp-sut options: the built-in station claiming AS-2 (AdditionalRootCertificateCheck, which its variant
    additional_root_check implements), and the built-in CSMS."""
    station = station_profile(folder, claims=("AS-2",), name="station-as2.yaml")
    return (f"--ocpp-sut={station}", f"--ocpp-sut={ROOT / 'profiles' / 'builtin-csms.yaml'}")


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, FAULTS[fault], extra=FAST)


@pytest.mark.parametrize("fault", [None, "skip_root_signature_check"])
def test_additional_root_certificate_check(fault: str | None, tmp_path: Path) -> None:
    """TC_M_09_CS needs AS-2 and the check implemented with value true (variant additional_root_check): it passes
    against such a station, and fails when the station installs a root its installed one did not sign."""
    result = run_suite(tmp_path, "TC_M_09_CS", faults=(fault,) if fault else (), variants=("additional_root_check",),
                       extra=(*FAST, *_claiming_as2(tmp_path)))
    if fault is None:
        assert result.verdicts == {"TC_M_09_CS": "passed"}, result.output[-3000:]
    else:
        assert result.verdicts == {"TC_M_09_CS": "failed"}, result.output[-3000:]
        assert "did not reject a CSMSRootCertificate its installed root did not sign" in result.messages["TC_M_09_CS"]


def test_a_station_with_the_additional_root_check_installs_the_new_roots(tmp_path: Path) -> None:
    """TC_M_01/M_18/M_20_CS against a station with AdditionalRootCertificateCheck true (variant
    additional_root_check): the new CSMSRootCertificate is signed by the run's root, which the station holds
    (TC_M_01_CS note: a custom root), so the station accepts it and the cases pass; with an unrelated root (the
    earlier harness) the station rejected it and the cases failed."""
    cases = ("TC_M_01_CS", "TC_M_18_CS", "TC_M_20_CS")
    result = run_suite(tmp_path, *cases, variants=("additional_root_check",), extra=(*FAST, *_claiming_as2(tmp_path)))
    assert result.verdicts == dict.fromkeys(cases, "passed"), result.output[-3000:]
    transcript = (tmp_path / "reports" / "transcripts" / "TC_M_01_CS.jsonl").read_text()
    assert "signed by the run's CSMS root" in transcript


def test_b50_at_a_station_with_the_additional_root_check(tmp_path: Path) -> None:
    """TC_B_50_CS at security profile 2 against a station with AdditionalRootCertificateCheck true: its new CSMS
    root is signed by the run's root (else the station refuses to install it) and the new endpoint presents a
    server certificate of that root; the station installs it, moves and boots there: passed."""
    station, csms = security_profiles(tmp_path / "profiles", 2)
    station = station_profile(station.parent, claims=("AS-2",), base=station)
    result = run_suite(tmp_path, "TC_B_50_CS", variants=("additional_root_check",),
                       extra=(*FAST, f"--ocpp-sut={station}", f"--ocpp-sut={csms}"))
    assert result.verdicts == {"TC_B_50_CS": "passed"}, result.output[-3000:]
    transcript = (tmp_path / "reports" / "transcripts" / "TC_B_50_CS.jsonl").read_text()
    assert "signed by the run's CSMS root" in transcript


@pytest.mark.parametrize(("fault", "case", "text"), [
    (None, "TC_M_30_CS", ""), (None, "TC_M_31_CS", ""),
    ("keep_old_csms_root", "TC_M_30_CS", "still lists the old CSMSRootCertificate"),
    ("no_root_fallback", "TC_M_31_CS", "connect again over TLS")])
def test_reconnect_with_a_new_csms_root(fault: str | None, case: str, text: str, tmp_path: Path) -> None:
    """TC_M_30_CS / TC_M_31_CS at security profile 2, the station claiming AS-2 (variant additional_root_check):
    the new root validates the certificate the harness presents (the old root goes), or it does not (the station
    falls back to the old one). The faults keep the old root, or never fall back."""
    station, csms = security_profiles(tmp_path / "profiles", 2)
    station = station_profile(station.parent, claims=("AS-2",), base=station)
    result = run_suite(tmp_path, case, faults=(fault,) if fault else (), variants=("additional_root_check",),
                       extra=(*FAST, f"--ocpp-sut={station}", f"--ocpp-sut={csms}"))
    assert result.verdicts == {case: "failed" if fault else "passed"}, result.output[-3000:]
    if fault:
        assert text in result.messages[case], result.messages[case][:3000]
