"""Security profiles 2 and 3 end to end, in both roles, against the built-in simulators (child pytest runs).

Each run gets temp copies of profiles/builtin-station.yaml and builtin-csms.yaml with `security.profile` set, known
Basic Auth passwords, and its own TMPDIR, so the test can see that the run's private PKI directory is gone after it.
Proves: the cases that apply pass over TLS (the transcripts show the TLS sessions: server certificate CN = the host,
under profile 3 the station certificate CN = its serial number and no Basic Auth); the Basic Auth cases are not
applicable under profile 3; no report file holds a password or a private key; each TLS fault switch is caught with
the rule and the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from suite_runner import SuiteResult, run_suite, sample, security_profiles

# Its clean runs at profiles 2 and 3 are one module fixture: make test keeps the module on one worker
# (tests/conftest.py).

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")
STATION_PASSWORD = "StationTlsSecret012345"
HARNESS_PASSWORD = "HarnessTlsSecret543210"
# TC_B_01_CS/CSMS, TC_A_01_CS/CSMS, RPC_01..09 in both roles; a password set over OCPP (TC_A_09_CS) and a
# certificate signed for the station (TC_A_11/14/15/23, at profile 3), a root installed (TC_M_01_CS) and a
# firmware update with its image over HTTPS at 2 and 3 (TC_L_01), and log uploads kept under reports/ (TC_N_35)
# under every profile
CASES = ("TC_B_01", "TC_A_01", "RPC_0", "TC_A_09", "TC_A_11", "TC_A_14", "TC_A_15", "TC_A_23", "TC_M_01", "TC_L_01",
         "TC_N_35")
BASIC_AUTH_CASES = {"TC_A_01_CS", "TC_A_01_CSMS", "TC_A_09_CS", "TC_A_09_CSMS"}
# the A02 certificate cases: Part 6 runs them with the active network profile at security profile 3 only
PROFILE_3_CASES = {"TC_A_11_CS", "TC_A_11_CSMS", "TC_A_14_CS", "TC_A_14_CSMS", "TC_A_15_CS", "TC_A_23_CS"}


def _expected(case: str, security: int) -> str:
    if (security == 3 and case in BASIC_AUTH_CASES) or (security < 3 and case in PROFILE_3_CASES):
        return "skipped"
    return "passed"


def run_with(tmp: Path, security: int, *selectors: str, faults: tuple[str, ...] = (),
             policies: dict[str, str] | None = None) -> SuiteResult:
    station, csms = security_profiles(tmp / "profiles", security)
    if policies:  # policy answers for both SUTs, e.g. which invalid certificate to present
        for path in (station, csms):
            path.write_text(path.read_text() + "policies:\n" + "".join(f"  {k}: {v}\n" for k, v in policies.items()))
    child_tmp = tmp / "tmpdir"
    child_tmp.mkdir()
    return run_suite(tmp, *selectors, faults=faults,
                     extra=(*FAST, f"--ocpp-sut={station}", f"--ocpp-sut={csms}",
                            f"--alluredir={tmp / 'reports' / 'allure-results'}"),
                     env={"OCPP_STATION_PASSWORD": STATION_PASSWORD, "OCPP_HARNESS_STATION_PASSWORD": HARNESS_PASSWORD,
                          "TMPDIR": str(child_tmp)})


@pytest.fixture(scope="module")
def clean_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, SuiteResult]]:
    """One clean run of CASES per security profile 1, 2 and 3 (shared by the tests below)."""
    runs = {}
    for security in (1, 2, 3):
        tmp = tmp_path_factory.mktemp(f"sp{security}")
        runs[security] = (tmp, run_with(tmp, security, *CASES))
    return runs


def records(tmp: Path, kind: str) -> list[dict[str, Any]]:
    """Every transcript record of `kind` (handshake, tls, …) the run wrote, the lobby's included."""
    out = []
    for path in sorted((tmp / "reports" / "transcripts").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record.get("kind") == kind:
                out.append(record)
    return out


@pytest.mark.parametrize("security", [2, 3])
def test_cases_pass_over_tls(security: int, clean_runs: dict[int, tuple[Path, SuiteResult]]) -> None:
    tmp, result = clean_runs[security]
    assert {"TC_B_01_CS", "TC_B_01_CSMS", "RPC_09_CSMS"} <= set(result.verdicts), result.output[-3000:]
    assert {f"RPC_0{n}_{sut}" for n in range(1, 9) for sut in ("CS", "CSMS")} <= set(result.verdicts)
    wrong = {case: verdict for case, verdict in result.verdicts.items() if verdict != _expected(case, security)}
    assert not wrong, "\n\n".join(f"{k} {v}: {result.messages.get(k, '')[:1500]}" for k, v in wrong.items())
    if security == 3:  # Basic Auth cases: not applicable, and the report says why
        for case in BASIC_AUTH_CASES:
            assert "security profile 3" in result.messages[case], result.messages[case]
    # harness as CSMS: the station came over TLS; SP3 with its certificate (CN = serial number), no Basic Auth
    sessions = [r["detail"] for r in records(tmp, "handshake") if r["detail"].get("status") == 101]
    assert sessions and all(s.get("tls", {}).get("version") in ("TLSv1.2", "TLSv1.3") for s in sessions), sessions
    if security == 3:
        assert all(s["tls"]["peer_cn"] == "SIM-SN-0001" and s["auth"] == "none" for s in sessions), sessions
    else:
        assert all(s["tls"]["peer_cn"] is None and s["auth"] == "ok" for s in sessions), sessions
    # harness as station: every connection records its TLS session; the CSMS certificate's CN is the host
    tls = records(tmp, "tls")
    assert tls and all(r["detail"]["peer_cn"] == "127.0.0.1" and not r.get("findings") for r in tls), tls
    # the run's PKI lived in a private temp directory that is gone after the run
    assert not list((tmp / "tmpdir").glob("ocpp-pki-*")), list((tmp / "tmpdir").iterdir())


def test_profile_1_stays_plain_websocket(clean_runs: dict[int, tuple[Path, SuiteResult]]) -> None:
    tmp, result = clean_runs[1]
    assert result.verdicts and all(v == _expected(k, 1) for k, v in result.verdicts.items()), result.output[-3000:]
    assert not records(tmp, "tls")
    assert all("tls" not in r["detail"] for r in records(tmp, "handshake"))


def test_no_password_or_private_key_in_any_report_file(clean_runs: dict[int, tuple[Path, SuiteResult]]) -> None:
    for security, (tmp, result) in clean_runs.items():
        reports = tmp / "reports"
        files = [p for p in reports.rglob("*") if p.is_file()] + [tmp / "junit.xml"]
        assert any(p.suffix == ".jsonl" for p in files) and any("allure-results" in p.parts for p in files)
        for path in files:
            data = path.read_bytes()
            for secret in (STATION_PASSWORD.encode(), HARNESS_PASSWORD.encode(), b"PRIVATE KEY"):
                assert secret not in data, f"security profile {security}: {secret[:7]!r}… found in {path}"
        for secret in (STATION_PASSWORD, HARNESS_PASSWORD, "PRIVATE KEY"):
            assert secret not in result.output, f"security profile {security}: {secret[:7]}… in the run's output"
        # the password TC_A_09_CS sets (and the one it restores) went over the wire masked in every transcript
        if security < 3:
            values = [item["attributeValue"] for r in records(tmp, "CALL") if r.get("action") == "SetVariables"
                      for item in json.loads(r["raw"])[3]["setVariableData"]
                      if item["variable"]["name"] == "BasicAuthPassword"]
            assert len(values) >= 2 and set(values) == {"********"}, (values, result.verdicts)


@pytest.mark.parametrize("security", [1, 2, 3])
def test_firmware_goes_over_https_with_tls(security: int, clean_runs: dict[int, tuple[Path, SuiteResult]]) -> None:
    """Both firmware servers (the harness CSMS's `firmware_server`, the CSMS simulator's own) follow the security
    profile: HTTPS with the run's server certificate at 2 and 3, which the downloading station trusts."""
    tmp, result = clean_runs[security]
    assert result.verdicts.get("TC_L_01_CS") == result.verdicts.get("TC_L_01_CSMS") == "passed", result.output[-3000:]
    locations = [json.loads(r["raw"])[3]["firmware"]["location"] for r in records(tmp, "CALL")
                 if r.get("action") == "UpdateFirmware"]
    scheme = "https" if security >= 2 else "http"
    assert len(locations) == 2 and all(u.startswith(f"{scheme}://127.0.0.1:") for u in locations), locations


# fault switch -> (security profile, the cases that must fail, texts their failures must name)
TLS_FAULTS = {
    "station_wrong_cn_cert": (3, ("TC_B_01_CS", "TC_A_07_CS"),
                              ("SEC-3", "'NOT-SIM-SN-0001' is not the station serial number")),
    "csms_expired_cert": (2, ("TC_B_01_CSMS", "TC_A_04_CSMS"), ("SEC-2", "CSMS certificate refused", "expired")),
    "accept_downgrade": (2, ("TC_A_22_CS",), ("SEC-6", "accepted a downgrade to security profile 1")),
    "ignore_installed_roots": (2, ("TC_B_50_CS",), ("not to the new endpoint",)),  # tests/test_faults_b.py: clean
    # what a SUT must refuse (TC_A_05/A_06/A_08)
    "accept_invalid_server_cert": (2, ("TC_A_05_CS",), ("SEC-2", "completed the TLS handshake with an invalid server "
                                                                 "certificate", "A00.FR.311")),
    "station_accept_old_tls": (2, ("TC_A_06_CS",), ("SEC-2", "completed the TLS handshake with TLS 1.1", "TLSv1.1")),
    "no_invalid_csms_cert_event": (2, ("TC_A_05_CS",), ("InvalidCsmsCertificate", "A00.FR.310")),
    "no_invalid_tls_version_event": (2, ("TC_A_06_CS",), ("InvalidTLSVersion", "A00.FR.316")),  # beyond Part 6
    "accept_invalid_client_cert": (3, ("TC_A_08_CSMS",), ("SEC-3", "accepted a connection with an invalid station "
                                                                   "certificate", "A00.FR.407")),
    "csms_accept_old_tls": (2, ("TC_A_06_CSMS",), ("SEC-2", "accepted a connection with TLS 1.1", "TLSv1.1")),
    "csms_rsa_only": (2, ("TC_A_04_CSMS",), ("every cipher suite of A00.FR.318", "ECDHE-ECDSA-AES128-GCM-SHA256")),
    # A02 certificate renewal (security profile 3 only, Part 6 prerequisites)
    "accept_any_certificate": (3, ("TC_A_14_CS",), ("CertificateSigned", "$.status")),
    "no_csr_retry": (3, ("TC_A_23_CS",), ("SignCertificate",)),
    "early_csr_retry": (3, ("TC_A_23_CS",), ("TIMING", "A02.FR.17")),
    "csr_retry_no_doubling": (3, ("TC_A_23_CS",), ("TIMING", "A02.FR.18")),
    "repeat_rejected_csr": (3, ("TC_A_15_CS",), ("forbidden message", "SignCertificate")),  # beyond Part 6
    "keep_old_station_certificate": (3, ("TC_A_11_CS",), ("did not reconnect with its new certificate", "SEC-3")),
    "no_certificate_signed": (3, ("TC_A_11_CSMS",), ("CertificateSigned",)),
    "sign_for_other_key": (3, ("TC_A_11_CSMS",), ("not the key of the CSR",)),
    "certificate_signed_without_type": (3, ("TC_A_11_CSMS",), ("certificateType '(omitted)'",)),
    "trigger_v2g_certificate": (3, ("TC_A_11_CSMS",), ("SignChargingStationCertificate", "SignV2GCertificate")),
    "sign_with_untrusted_ca": (3, ("TC_A_11_CSMS",), ("refused",)),
}


@pytest.mark.parametrize("fault", sample(TLS_FAULTS, {"station_wrong_cn_cert", "csms_expired_cert", "accept_invalid_server_cert",
                                                      "csms_accept_old_tls", "csr_retry_no_doubling",
                                                      "sign_for_other_key"}))
def test_tls_fault_is_caught(fault: str, tmp_path: Path) -> None:
    security, cases, texts = TLS_FAULTS[fault]
    # checks beyond a case's Part 6 table only warn by default; here they fail, so each is proven
    result = run_with(tmp_path, security, *cases, faults=(fault,), policies={"beyond_part6": "fail"})
    for case in cases:
        assert result.verdicts.get(case) == "failed", f"{fault}: {case} was {result.verdicts.get(case)}\n" \
                                                      f"{result.output[-3000:]}"
        for text in texts:
            assert text in result.messages[case], f"{fault}: {case} does not name {text!r}:\n{result.messages[case]}"


# the security profile upgrade cases (A05) at 2 and 3; at 1 they run in tests/test_suite_loopback.py
UPGRADE_PASSES = {2: {"TC_A_19_CS", "TC_A_19_CSMS", "TC_A_22_CS"}, 3: {"TC_A_22_CS"}}


@pytest.mark.parametrize("security", [2, 3])
def test_upgrade_cases_pass_at_their_profile(security: int, tmp_path: Path) -> None:
    result = run_with(tmp_path, security, "TC_A_19", "TC_A_20", "TC_A_22")
    assert {k for k, v in result.verdicts.items() if v == "passed"} == UPGRADE_PASSES[security], \
        "\n\n".join(f"{k} {v}: {result.messages.get(k, '')[:1500]}" for k, v in result.verdicts.items())
    skipped = {k: result.messages[k] for k, v in result.verdicts.items() if v == "skipped"}
    assert all(f"security profile {security}" in m for m in skipped.values()), skipped
    # the upgraded station came back on the harness's further listener over TLS (profile 3: its certificate)
    if security == 2:
        moved = [r["detail"] for r in records(tmp_path, "handshake") if r["detail"].get("listener")]
        assert moved and all(d["status"] == 101 and d["tls"]["peer_cn"] == "SIM-SN-0001" for d in moved), moved


# the negative TLS cases: TC_A_05_CS, TC_A_06_CS and TC_A_06_CSMS apply at 2 and 3, TC_A_08_CSMS at 3
REFUSAL_CASES = {"TC_A_05_CS", "TC_A_06_CS", "TC_A_06_CSMS"}


@pytest.mark.parametrize("security", [2, 3])
def test_tls_cases_pass_at_their_profile(security: int, tmp_path: Path) -> None:
    result = run_with(tmp_path, security, "TC_A_04", "TC_A_05", "TC_A_06", "TC_A_07", "TC_A_08")
    expected = {2: {"TC_A_04_CS", "TC_A_04_CSMS", *REFUSAL_CASES},
                3: {"TC_A_04_CS", "TC_A_04_CSMS", "TC_A_07_CS", "TC_A_07_CSMS", "TC_A_08_CSMS", *REFUSAL_CASES}}[security]
    assert {k for k, v in result.verdicts.items() if v == "passed"} == expected, result.output[-3000:]
    skipped = {k: result.messages[k] for k, v in result.verdicts.items() if v == "skipped"}
    assert all(f"security profile {security}" in m for m in skipped.values()), skipped


@pytest.mark.parametrize("variant", ["expired", "not-yet-valid", "unknown-ca", "rsa-1024", "wrong-cn", "sha1-signature"])
def test_each_invalid_certificate_is_refused(variant: str, tmp_path: Path) -> None:
    """One invalid certificate at a time (the SUT profiles' policy): the clean station simulator refuses it as the
    CSMS's server certificate and reports InvalidCsmsCertificate (TC_A_05_CS); the clean CSMS simulator refuses it
    as a station's client certificate (TC_A_08_CSMS)."""
    result = run_with(tmp_path, 3, "TC_A_05_CS", "TC_A_08_CSMS",
                      policies={"tls.invalid_server_certificates": variant, "tls.invalid_client_certificates": variant})
    assert result.verdicts == {"TC_A_05_CS": "passed", "TC_A_08_CSMS": "passed"}, result.output[-3000:]
    probes = [r["detail"] for r in records(tmp_path, "handshake") if r["detail"].get("probe")]
    assert len(probes) == 1 and probes[0]["tls_failure"]["refused_by"] == "peer", probes
    extra = [r["detail"] for r in records(tmp_path, "probe")]
    assert len(extra) == 1 and not extra[0]["accepted"] and variant in extra[0]["what"], extra
    events = [json.loads(r["raw"])[3] for r in records(tmp_path, "CALL") if r.get("action") == "SecurityEventNotification"]
    assert any(e["type"] == "InvalidCsmsCertificate" for e in events), events


def test_a_station_not_said_to_support_tls_skips_the_certificate_cases(tmp_path: Path) -> None:
    """TC_M_01/18/20_CS need a station that supports security profile 2 or 3 (Part 6 prerequisite): a profile at 1
    that does not list them in security.supported makes them not applicable, naming the prerequisite."""
    station, csms = security_profiles(tmp_path / "profiles", 1)
    station.write_text(station.read_text().replace("  supported: [1, 2, 3]\n", ""))
    result = run_suite(tmp_path, "TC_M_01_CS", "TC_M_18_CS", "TC_M_20_CS",
                       extra=(*FAST, f"--ocpp-sut={station}", f"--ocpp-sut={csms}"))
    assert result.verdicts == dict.fromkeys(("TC_M_01_CS", "TC_M_18_CS", "TC_M_20_CS"), "skipped"), result.output[-2000:]
    assert all("supports security profile 2 or 3" in m for m in result.messages.values()), result.messages
