"""Runs the conformance test cases in a child pytest, as `make demo` does, and reads the JUnit verdicts.

Used by the fault and loopback self-tests: one child run per fault switch, so each simulator starts fresh.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SuiteResult:
    returncode: int
    output: str
    verdicts: dict[str, str] = field(default_factory=dict)  # test case id -> passed/failed/skipped/error
    messages: dict[str, str] = field(default_factory=dict)  # test case id -> failure text
    warnings: dict[str, list[str]] = field(default_factory=dict)  # test case id -> "RULE: text" of its warnings


def run_suite(tmp: Path, *selectors: str, faults: tuple[str, ...] = (), extra: tuple[str, ...] = (),
              timeout: float = 600, env: dict[str, str] | None = None,
              variants: tuple[str, ...] = ()) -> SuiteResult:
    """Run `testcases/` filtered by `-k` selectors with the given simulator fault switches and variants."""
    junit = tmp / "junit.xml"
    args = [sys.executable, "-m", "pytest", str(ROOT / "testcases"), "-p", "no:cacheprovider", "-q",
            f"--junitxml={junit}", f"--ocpp-reports-dir={tmp / 'reports'}", "--rootdir", str(ROOT),
            "-c", str(ROOT / "pyproject.toml"), *[f"--ocpp-sim-fault={f}" for f in faults],
            *[f"--ocpp-sim-variant={v}" for v in variants], *extra]
    if selectors:
        # -k matches substrings: TC_B_01_CS would also select TC_B_01_CSMS.
        args += ["-k", " or ".join(f"({s} and not {s}MS)" if s.endswith("_CS") else s for s in selectors)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, **(env or {})})
    result = SuiteResult(proc.returncode, proc.stdout + proc.stderr)
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = case.get("name", "")
            # Python cases are test_<id>; YAML scenarios are test_<kind>_scenario[<id>].
            name = name.split("[", 1)[1].rstrip("]") if "[" in name else name.removeprefix("test_")
            verdict = "passed"
            for child in case:
                if child.tag in ("failure", "error", "skipped"):
                    verdict = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
                    result.messages[name] = (child.get("message") or "") + "\n" + (child.text or "")
            result.verdicts[name] = verdict
            result.warnings[name] = _warnings(tmp / "reports" / "transcripts" / f"{name}.jsonl")
    return result


def prove_caught(tmp: Path, fault: str, claim: tuple[tuple[str, ...], tuple[str, ...]], *,
                 extra: tuple[str, ...] = ()) -> None:
    """A fault table's row: run the cases that claim the switch's check with the switch on; each must fail, its
    failure naming every text of the claim (`claim`: (case ids, texts))."""
    must_fail, texts = claim
    result = run_suite(tmp, *must_fail, faults=(fault,), extra=extra)
    for case_id in must_fail:
        assert result.verdicts.get(case_id) == "failed", (
            f"{fault}: {case_id} should fail but was {result.verdicts.get(case_id)}\n{result.output[-3000:]}")
        message = result.messages[case_id]
        for text in texts:
            assert text in message, f"{fault}: the failure of {case_id} does not name {text!r}:\n{message[:3000]}"


def _warnings(transcript: Path) -> list[str]:
    """The warn findings a case's transcript holds (a fault may be one Part 6 tolerates: warned, not failed)."""
    if not transcript.exists():
        return []
    return [f"{f['rule']}: {f['text']}" for line in transcript.read_text(encoding="utf-8").splitlines()
            for f in json.loads(line).get("findings", []) if f.get("severity") == "warn"]


def security_profiles(folder: Path, security: int) -> tuple[Path, Path]:
    """Copies of profiles/builtin-station.yaml and builtin-csms.yaml in `folder` with `security.profile` set, for
    `--ocpp-sut` (station first)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in ("builtin-station.yaml", "builtin-csms.yaml"):
        text = (ROOT / "profiles" / name).read_text()
        if text.count("\n  profile: 1\n") != 1:
            raise ValueError(f"{name}: no single `security: profile: 1` line to change")
        path = folder / name
        path.write_text(text.replace("\n  profile: 1\n", f"\n  profile: {security}\n"))
        out.append(path)
    return out[0], out[1]


def station_profile(folder: Path, *, claims: tuple[str, ...] = (), drops: tuple[str, ...] = (),
                    base: Path | None = None, name: str = "builtin-station.yaml") -> Path:
    """A copy of the built-in station's profile (or of `base`, e.g. the CSMS's) as `folder`/`name`, for
    `--ocpp-sut`: it also claims the Part 5 features `claims` and no longer claims `drops` (each must be one
    `  X: true` line). A profile that changed shape is an error at once, not a run that silently tests the old
    claims."""
    text = (base or ROOT / "profiles" / "builtin-station.yaml").read_text()
    if text.count("\npics:\n") != 1:
        raise ValueError("the station profile: no single `pics:` line to extend")
    for feature in drops:
        line = re.compile(rf"^  {re.escape(feature)}: true\b", re.MULTILINE)
        if len(line.findall(text)) != 1:
            raise ValueError(f"the station profile: no single `{feature}: true` line to change")
        text = line.sub(f"  {feature}: false", text)
    for feature in claims:  # an existing line (e.g. `X: false`) changes; else a new one heads the list
        line = re.compile(rf"^  {re.escape(feature)}: \S+", re.MULTILINE)
        text = line.sub(f"  {feature}: true", text) if line.search(text) else \
            text.replace("\npics:\n", f"\npics:\n  {feature}: true\n")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def sample(table: dict[str, object], chosen: set[str]) -> list[str]:
    """The fault switches a self-test proves in `make test`: a representative few (CI stays under 30 minutes), or
    every one with OCPP_ALL_FAULTS=1 (`make faults`). A chosen name missing from the table is an error at once."""
    missing = chosen - set(table)
    if missing:
        raise KeyError(f"fault sample names switches the table does not have: {sorted(missing)}")
    return sorted(table) if os.environ.get("OCPP_ALL_FAULTS") else sorted(chosen)
