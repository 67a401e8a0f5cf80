"""Block C coverage (authorization cache, GroupId, Master Pass, local start refusals), proven: each simulator
fault switch makes exactly the matching cases fail, with a message that names the check. Cases a feature the
built-in profile does not claim rules out (AQ-2: a cable lock) run with a copy of the profile that claims it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from suite_runner import prove_caught, run_suite, sample, station_profile

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")
STRICT = ("--ocpp-policy=beyond_part6=fail",)

# fault switch -> (test case ids that must fail, texts the failure message must contain)
C_FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the Charging Station simulator misbehaves
    "trust_cached_refusal": (("TC_C_09_CS", "TC_C_10_CS", "TC_C_11_CS", "TC_C_12_CS"), ("Authorize",)),
    "post_authorize_despite_disable": (("TC_C_57_CS",), ("forbidden message", "C12.FR.05")),
    "ignore_cache_lifetime": (("TC_C_46_CS",), ("C10.FR.08", "AuthCacheLifeTime")),
    "pre_authorize_always": (("TC_C_36_CS",), ("Authorize",)),
    "cache_ignores_transaction_response": (("TC_C_34_CS",), ("Authorize",)),
    "start_for_refused_token": (("TC_C_07_CS", "TC_C_56_CS"), ("forbidden message", "TransactionEvent")),
    "stop_with_any_token": (("TC_C_04_CS",), ("forbidden message", "C01.FR.03")),
    "group_stop_ignores_status": (("TC_C_42_CS", "TC_C_44_CS", "TC_C_43_CS"), ("forbidden message", "C09.FR.11")),
    "no_deauthorize": (("TC_C_16_CS", "TC_C_18_CS", "TC_C_34_CS"), ("Deauthorized",)),
    "ignore_max_energy": (("TC_C_15_CS",), ("SuspendedEVSE", "MaxEnergyOnInvalidId")),
    "master_pass_starts": (("TC_C_45_CS",), ("forbidden message", "C16.FR.03")),
    "master_pass_stops_one": (("TC_C_49_CS",), ("EVSE 2",)),
    "master_pass_wrong_reason": (("TC_C_49_CS",), ("stoppedReason MasterPass", "C16.FR.07")),
    "cache_lost_on_reboot": (("TC_C_32_CS",), ("C10.FR.02",)),
    "clear_disabled_cache": (("TC_C_38_CS",), ("ClearCache", "$.status")),
    "list_status_misread": (("TC_C_27_CS",), ("no TransactionEvent",)),
    "list_refusal_final": (("TC_C_28_CS", "TC_C_29_CS", "TC_C_30_CS", "TC_C_31_CS"), ("from the SUT within",)),
    "cache_over_list": (("TC_C_25_CS",), ("forbidden message", "outranks the cache")),
    "offline_list_any_status": (("TC_C_25_CS",), ("forbidden message", "outranks the cache")),
    # switches of earlier blocks that the new cases check too
    "charge_on_after_invalid_id": (("TC_C_17_CS",), ("SuspendedEVSE",)),
    "no_offline_flag": (("TC_C_15_CS", "TC_C_16_CS", "TC_C_17_CS", "TC_C_18_CS"), ("offline true",)),
    "authorize_wrong_token_type": (("TC_C_07_CS", "TC_C_09_CS", "TC_C_33_CS", "TC_C_36_CS", "TC_C_28_CS", "TC_C_29_CS",
                                    "TC_C_30_CS"), ("$.idToken.type",)),
    "ignore_group_id": (("TC_C_41_CS", "TC_C_40_CS"), ("StopAuthorized",)),
    "stop_event_without_id_token": (("TC_C_41_CS", "TC_C_40_CS"), ("does not name the idToken",)),
    # the CSMS simulator misbehaves
    "accept_expired_token": (("TC_C_07_CSMS",), ("$.idTokenInfo.status", "Accepted")),
    "accept_unknown_token": (("TC_C_20_CSMS",), ("$.idTokenInfo.status", "Accepted")),
    "no_clear_cache": (("TC_C_38_CSMS",), ("ClearCache",)),
    "master_pass_without_group": (("TC_C_48_CSMS",), ("$.idTokenInfo.groupIdToken",)),
    "group_id_in_authorize_only": (("TC_C_40_CSMS", "TC_C_43_CSMS"), ("TransactionEvent", "$.idTokenInfo.groupIdToken")),
}

C_SAMPLE = {"trust_cached_refusal", "no_deauthorize", "master_pass_wrong_reason", "accept_expired_token"}


@pytest.mark.parametrize("fault", sample(C_FAULTS, C_SAMPLE))
def test_block_c_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, C_FAULTS[fault], extra=(*FAST, *STRICT))


def test_cable_lock_case_passes_and_catches_a_wrong_token(tmp_path: Path) -> None:
    """TC_C_05_CS (AQ-2, a cable lock) is not applicable to the built-in profile; claimed, the clean simulator
    passes it and one that names the token with another type fails it (its "no TransactionEvent" check is
    TC_C_02_CS's, proven there: with TxStartPoint PowerPathClosed and no EV nothing would start anyway)."""
    profile = station_profile(tmp_path / "profiles", claims=("AQ-2",))
    clean = run_suite(tmp_path / "clean", "TC_C_05_CS", extra=(*FAST, f"--ocpp-sut={profile}"))
    assert clean.verdicts == {"TC_C_05_CS": "passed"}, clean.output[-3000:]
    faulty = run_suite(tmp_path / "faulty", "TC_C_05_CS", faults=("authorize_wrong_token_type",),
                       extra=(*FAST, f"--ocpp-sut={profile}"))
    assert faulty.verdicts == {"TC_C_05_CS": "failed"}, faulty.output[-3000:]
    assert "$.idToken.type" in faulty.messages["TC_C_05_CS"]


def test_master_pass_ui_cases_pass_and_catch_a_wrong_reason(tmp_path: Path) -> None:
    """TC_C_47/48_CS (C-07, a Master Pass UI) are not applicable to the built-in profile; with a profile claiming
    C-07 and the simulator's Master Pass UI (variant master_pass_ui) the clean simulator passes both, and one that
    ends the selected transaction with stoppedReason Local fails both."""
    profile = station_profile(tmp_path / "profiles", claims=("C-07",))
    cases = ("TC_C_47_CS", "TC_C_48_CS")
    extra = (*FAST, f"--ocpp-sut={profile}")
    clean = run_suite(tmp_path / "clean", *cases, variants=("master_pass_ui",), extra=extra)
    assert clean.verdicts == dict.fromkeys(cases, "passed"), clean.output[-3000:]
    faulty = run_suite(tmp_path / "faulty", *cases, variants=("master_pass_ui",), faults=("master_pass_wrong_reason",),
                       extra=extra)
    assert faulty.verdicts == dict.fromkeys(cases, "failed"), faulty.output[-3000:]
    assert all("stoppedReason MasterPass" in faulty.messages[c] for c in cases)

CS_CASES = tuple(f"TC_C_{nn}_CS" for nn in ("04", "07", "09", "10", "11", "12", "13", "15", "16", "17", "18", "32",
                                            "33", "34", "36", "38", "41", "42", "44", "45", "46", "49", "56", "57"))
VARIANTS = ["no_local_pre_authorize", "read_only_tx_points", "availability_by_notify_event"]


@pytest.mark.parametrize("variant", VARIANTS if os.environ.get("OCPP_ALL_FAULTS") else VARIANTS[:1])
def test_block_c_cases_pass_a_station_that_chose_otherwise(variant: str, tmp_path: Path) -> None:
    """The new block C cases pass each legal variant of the station simulator, or are not applicable with the
    reason a table's prerequisite (or a plain configuration value the station does not implement) gives."""
    result = run_suite(tmp_path, *CS_CASES, variants=(variant,), extra=FAST)
    bad = {k: v for k, v in result.verdicts.items()
           if v == "failed" or v == "error" or (v == "skipped" and "not implemented" not in result.messages[k]
                                                 and "not applicable" not in result.messages[k].lower())}
    assert set(result.verdicts) == set(CS_CASES) and not bad, (
        "\n\n".join(f"{k}: {v}: {result.messages.get(k, '')[:1500]}" for k, v in bad.items()) or result.output[-3000:])


@pytest.mark.parametrize(("variant", "fault", "verdict", "text"), [
    ("start_at_authorized", None, "passed", ""),
    ("start_at_authorized", "offline_list_any_status", "failed", "Beyond Part 6 (C13.FR.02)"),
    ("start_at_bay", None, "passed", ""),
    ("start_at_bay", "no_offline_flag", "failed", "$.offline"),
])
def test_offline_refusal_through_the_list(variant: str, fault: str | None, verdict: str, text: str,
                                         tmp_path: Path) -> None:
    """TC_C_22/23/24_CS check only what a station whose TxStartPoint has ParkingBayOccupancy queues (EVDetected,
    offline true), and beyond Part 6 that the refused token authorized nothing: with the built-in TxStartPoint
    (PowerPathClosed, no EV) neither shows, so a station that starts at Authorized (variant start_at_authorized:
    a token authorized offline is a queued TransactionEvent) proves the one, a bay start (variant start_at_bay)
    the other."""
    cases = ("TC_C_22_CS", "TC_C_23_CS", "TC_C_24_CS") if variant == "start_at_authorized" else ("TC_C_22_CS",)
    result = run_suite(tmp_path, *cases, faults=(fault,) if fault else (), variants=(variant,),
                       extra=(*FAST, *STRICT))
    assert result.verdicts == dict.fromkeys(cases, verdict), result.output[-3000:]
    for case in cases if fault else ():
        assert text in result.messages[case], result.messages[case][:3000]


@pytest.mark.parametrize(("fault", "verdict"), [(None, "passed"), ("post_authorize_despite_disable", "failed")])
def test_list_without_post_authorize(fault: str | None, verdict: str, tmp_path: Path) -> None:
    """TC_C_58_CS (LA-3: LocalAuthListCtrlr.DisablePostAuthorize) is not applicable to the built-in profile; with a
    profile claiming LA-3 and the variant that implements the variable, the clean simulator refuses the list's
    Invalid token without asking and passes; one that still asks the CSMS fails."""
    profile = station_profile(tmp_path / "profiles", claims=("LA-3",))
    result = run_suite(tmp_path, "TC_C_58_CS", faults=(fault,) if fault else (),
                       variants=("list_disable_post_authorize",), extra=(*FAST, f"--ocpp-sut={profile}"))
    assert result.verdicts == {"TC_C_58_CS": verdict}, result.output[-3000:]
    if fault:
        assert "forbidden message: Authorize" in result.messages["TC_C_58_CS"], result.messages["TC_C_58_CS"][:3000]
