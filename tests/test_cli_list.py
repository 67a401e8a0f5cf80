"""`ocpp-harness list`: the catalogue of implemented cases and their applicability, decided as the plugin decides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def station_without_cache(tmp_path: Path) -> Path:
    """The built-in station's profile, claiming no authorization cache (PICS C-49)."""
    text = (ROOT / "profiles" / "builtin-station.yaml").read_text()
    assert "  C-49: true" in text
    path = tmp_path / "no-cache.yaml"
    path.write_text(text.replace("  C-49: true", "  C-49: false"))
    return path


def test_list_says_why_a_case_does_not_apply_to_a_profile_lacking_the_feature(tmp_path: Path) -> None:
    proc = cli("list", "--sut", str(station_without_cache(tmp_path)), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    catalogue = json.loads(proc.stdout)
    cases = {c["id"]: c for c in catalogue["cases"]}
    assert catalogue["role"] == "cs" and set(c["sut"] for c in cases.values()) == {"CS"}  # a station profile alone
    assert cases["TC_C_08_CS"]["applicability"].startswith("not applicable: ")
    assert "C-49" in cases["TC_C_08_CS"]["applicability"]
    assert cases["TC_C_08_CS"]["pics"] == "C-49" and cases["TC_C_08_CS"]["kind"] == "python"
    assert cases["TC_B_01_CS"]["applicability"] == "applicable"
    yaml_cases = [c for c in cases.values() if c["kind"] == "yaml"]
    assert yaml_cases and all(c["source"].endswith(f"{c['id']}.yaml") for c in yaml_cases)


def test_list_table_with_the_built_in_profiles_shows_the_case_applicable() -> None:
    proc = cli("list", "--role", "cs", "--cert-profile", "Core")
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if line.startswith("TC_C_08_CS "))
    assert row.rstrip().endswith("applicable") and "not applicable" not in row
    assert "TC_B_01_CSMS" not in proc.stdout  # role cs: CSMS cases are left out, as `run` leaves them out
    assert "certification profile Core" in proc.stdout


def test_list_judges_tls_cases_at_the_security_profile_asked_for() -> None:
    def applicability(*args: str) -> str:
        proc = cli("list", "--role", "cs", "--format", "json", *args)
        assert proc.returncode == 0, proc.stderr
        return next(c["applicability"] for c in json.loads(proc.stdout)["cases"] if c["id"] == "TC_A_04_CS")

    assert "security profile 1" in applicability()  # the built-in profiles run at 1
    assert applicability("--security-profile", "2") == "applicable"


def test_list_with_an_unreadable_profile_exits_2_with_the_reason(tmp_path: Path) -> None:
    proc = cli("list", "--sut", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2
    assert "missing.yaml" in proc.stderr and "Traceback" not in proc.stderr


def test_list_is_sorted_by_id_and_wide_shows_full_titles() -> None:
    narrow, wide = cli("list", "--role", "csms"), cli("list", "--role", "csms", "--wide")
    assert narrow.returncode == 0 and wide.returncode == 0, narrow.stderr + wide.stderr
    ids = [ln.split()[0] for ln in narrow.stdout.splitlines()[1:] if ln.startswith(("TC_", "RPC_"))]
    assert ids == sorted(ids) and len(ids) > 50
    catalogue = json.loads(cli("list", "--role", "csms", "--format", "json").stdout)
    assert [c["id"] for c in catalogue["cases"]] == sorted(c["id"] for c in catalogue["cases"])
    long = next(c["title"] for c in catalogue["cases"] if len(c.get("title", "")) > 48)
    assert long not in narrow.stdout and long[:47] + "…" in narrow.stdout
    assert long in wide.stdout
