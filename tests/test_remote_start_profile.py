"""A profile with `control.remote_start: true` makes the reusable states start and stop transactions remotely
(Part 6's alternative for a station whose reader the lab cannot reach), and the same cases still pass."""

from __future__ import annotations

import json
from pathlib import Path

from suite_runner import ROOT, run_suite

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1")
CASES = ("TC_E_09_CS", "TC_F_08_CS")  # their tables leave Authorized's Main A or B to the test system's setting
LOCAL = "TC_E_03_CS"  # its table says "Authorized (local)": the token is presented whatever the profile says


def _actions(transcript: Path) -> list[str]:
    return [r.get("action", "") for r in map(json.loads, transcript.read_text().splitlines())
            if r.get("kind") == "CALL"]


def test_remote_start_profile_drives_transactions_by_request(tmp_path: Path) -> None:
    profile = tmp_path / "remote-station.yaml"
    text = (ROOT / "profiles" / "builtin-station.yaml").read_text()
    assert "\ncontrol:\n" in text
    profile.write_text(text.replace("\ncontrol:\n", "\ncontrol:\n  remote_start: true\n"))
    result = run_suite(tmp_path, *CASES, LOCAL, extra=(*FAST, f"--ocpp-sut={profile}"))
    assert result.verdicts == dict.fromkeys((*CASES, LOCAL), "passed"), result.output[-3000:]
    local = _actions(tmp_path / "reports" / "transcripts" / f"{LOCAL}.jsonl")
    assert "Authorize" in local and "RequestStartTransaction" not in local, local
    for case in CASES:
        actions = _actions(tmp_path / "reports" / "transcripts" / f"{case}.jsonl")
        assert "RequestStartTransaction" in actions, f"{case} did not start remotely: {actions}"
    assert "RequestStopTransaction" in _actions(tmp_path / "reports" / "transcripts" / "TC_F_08_CS.jsonl")


def test_without_remote_start_the_token_is_presented(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "TC_E_03_CS", extra=FAST)
    assert result.verdicts == {"TC_E_03_CS": "passed"}, result.output[-3000:]
    actions = _actions(tmp_path / "reports" / "transcripts" / "TC_E_03_CS.jsonl")
    assert "Authorize" in actions and "RequestStartTransaction" not in actions, actions
