"""Fault detection table.

    make faults                                                 every claim proven, then this table into the docs
    .venv/bin/python scripts/fault_table.py --junit reports/faults.xml --write docs/fault-table.md
    .venv/bin/python scripts/fault_table.py --whole-suite [--jobs 2] [--only NAME ...]

Default (`--junit`): the table of claims (scripts/fault_claims.py): for every simulator fault switch, the test
cases it must make fail and whether its self-test proved it in the `make faults` run whose JUnit is given. Exit 1
when a switch has no claim or a proof failed or did not run.

`--whole-suite` (hours now that the suite is large):
Prints, as Markdown, each fault switch and the test cases that failed because of it (for a fault Part 6 tolerates,
those that passed with the warning naming it: tests/test_fault_detection.py WARNED), then any case that failed
against a clean simulator. Exit 0 only when every fault is caught and no clean run fails. Each run is a child
pytest of the test cases of one role (the side the faulty simulator is on), exactly as `make demo` runs them.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the child-pytest runner the self-tests use

from fault_claims import Claim, claims, other_proofs, switches  # noqa: E402
from suite_runner import SuiteResult, run_suite, security_profiles  # noqa: E402
from test_fault_detection import WARNED  # noqa: E402  (faults Part 6 tolerates: caught by a warning)
from test_security_profiles import TLS_FAULTS  # noqa: E402  (the profile each TLS fault needs: one list)

from harness.simulators.csms import CsmsFaults  # noqa: E402
from harness.simulators.station import StationFaults  # noqa: E402

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=5",
        "--ocpp-policy=beyond_part6=fail")  # checks beyond Part 6 warn by default: here each must show it catches
# --ocpp-role names the kind of SUT: a faulty station simulator is tested by the *_CS cases, a CSMS by *_CSMS.
ROLE = {"station": "cs", "csms": "csms"}
# TLS fault switches only show under a security profile with TLS: their runs use profile copies at that level
# (tests/test_security_profiles.py proves each at that level).
SECURITY = {fault: level for fault, (level, _, _) in TLS_FAULTS.items()}


def faults() -> list[tuple[str, str]]:
    """(simulator, fault) for every switch of both simulators."""
    return [("station", f.name) for f in dataclasses.fields(StationFaults)] + [
        ("csms", f.name) for f in dataclasses.fields(CsmsFaults)]


def run(simulator: str, fault: str | None) -> tuple[str, str | None, SuiteResult, float]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fault-table-") as tmp:
        suts: tuple[str, ...] = ()
        if fault in SECURITY:
            suts = tuple(f"--ocpp-sut={p}" for p in security_profiles(Path(tmp) / "profiles", SECURITY[fault]))
        result = run_suite(Path(tmp), faults=(fault,) if fault else (),
                           extra=(*FAST, f"--ocpp-role={ROLE[simulator]}", *suts), timeout=1200)
    return simulator, fault, result, time.monotonic() - started


def failed(result: SuiteResult) -> list[str]:
    return sorted(k for k, v in result.verdicts.items() if v in ("failed", "error"))


def warned(fault: str, result: SuiteResult) -> list[str]:
    """For a fault Part 6 tolerates (WARNED): the cases that passed with the warning that names it."""
    if fault not in WARNED:
        return []
    _, texts = WARNED[fault]
    return sorted(f"{k} (warned)" for k, found in result.warnings.items()
                  if any(all(t in w for t in texts) for w in found))


def listed(cases: list[str], limit: int) -> str:
    if not limit or len(cases) <= limit:
        return ", ".join(cases)
    return f"{len(cases)} cases: {', '.join(cases[:limit])}, …"


def _proofs(junits: list[Path]) -> dict[tuple[str, str], str]:
    """(self-test module, fault switch) -> passed / failed / skipped, from the JUnit of `make faults` (a later file
    overrides an earlier one for the proofs it holds: a re-run of some proofs updates the table)."""
    out: dict[tuple[str, str], str] = {}
    for junit in junits:
        out.update(_proofs_of(junit))
    return out


def _proofs_of(junit: Path) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        name = case.get("name", "")
        if "[" not in name:
            continue
        params = name.split("[", 1)[1].rstrip("]").split("-")
        verdict = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                verdict = "failed"
            elif child.tag == "skipped" and verdict == "passed":
                verdict = "skipped"
        for param in params:
            if out.get((module, param)) != "failed":
                out[(module, param)] = verdict
    return out


def claims_table(junits: list[Path]) -> tuple[str, Counter[str]]:
    """The Markdown table and a count of its rows by result (caught, failed, not run, no claim, other proof)."""
    proofs = _proofs(junits)
    others = other_proofs()
    by_fault: dict[str, list[Claim]] = {}
    for claim in claims():
        by_fault.setdefault(claim.fault, []).append(claim)
    lines = ["| simulator | fault switch | must fail (or warn) | proven by | result |", "|---|---|---|---|---|"]
    count: Counter[str] = Counter()
    for fault, simulator in sorted(switches().items(), key=lambda kv: (kv[1] != "station", kv[0])):
        if fault in others and fault not in by_fault:
            count["other proof"] += 1
            lines.append(f"| {simulator} | `{fault}` | | {others[fault]} | see that test |")
            continue
        if fault not in by_fault:
            count["no claim"] += 1
            lines.append(f"| {simulator} | `{fault}` | | **no claim** | **NOT PROVEN** |")
            continue
        for claim in by_fault[fault]:
            verdict = proofs.get((claim.module, fault), "not run")
            result = {"passed": "caught", "skipped": "not run"}.get(verdict, verdict)
            count[result] += 1
            cases = ", ".join(claim.cases) + (" (warned)" if claim.warned else "")
            where = f"tests/{claim.module}.py" + (f" at security profile {claim.security}" if claim.security else "")
            lines.append(f"| {simulator} | `{fault}` | {cases} | {where} | "
                         f"{result if result in ('caught', 'not run') else f'**{result}**'} |")
    return "\n".join(lines) + "\n", count


def write_claims(junits: list[Path], target: Path | None) -> int:
    table, count = claims_table(junits)
    when = datetime.fromtimestamp(max(j.stat().st_mtime for j in junits), UTC).strftime("%Y-%m-%d")
    total = len(switches())
    rows = sum(count.values())
    text = (f"# Fault detection table\n\nEvery simulator fault switch ({total}) with the test cases it must make "
            "fail, and whether its self-test caught it. Each row is one child run of those cases against the "
            "simulator with that switch on; the failure message must also name what was expected. `make test` "
            "proves a representative sample of the rows; `make faults` proves all of them (26 min on 4 workers on 2 "
            "cores, 2026-12-07) and regenerates this page (`scripts/fault_table.py --junit reports/faults.xml --write "
            "docs/fault-table.md`).\n\n"
            f"Results of {when} ({', '.join(str(j.name) for j in junits)}): {count['caught']} of {rows} rows caught, "
            f"{count['not run']} not run in that run, {count['failed']} failed, {count['no claim']} switches "
            f"without a claim, {count['other proof']} proven by a test of their own shape.\n\n" + table)
    if target is None:
        print(text)
    else:
        target.write_text(text, encoding="utf-8")
    return 1 if count["failed"] or count["no claim"] or count["not run"] else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--junit", type=Path, action="append",
                        help="JUnit of `make faults` (repeatable: later files override): print the claims table")
    parser.add_argument("--write", type=Path, help="with --junit: write the page here instead of printing it")
    parser.add_argument("--whole-suite", action="store_true", help="run the whole suite once per switch")
    parser.add_argument("--jobs", type=int, default=1, help="child runs at once (timing cases prefer 1)")
    parser.add_argument("--only", nargs="*", default=None, help="only these fault switches")
    parser.add_argument("--max-listed", type=int, default=0,
                        help="longer lists of failed cases are cut to this many, with the count (0: all)")
    args = parser.parse_args(argv)
    if not args.whole_suite:
        if not args.junit:
            parser.error("give --junit reports/faults.xml (from `make faults`) or --whole-suite")
        return write_claims(args.junit, args.write)
    todo: list[tuple[str, str | None]] = [("station", None), ("csms", None)]
    todo += [(sim, f) for sim, f in faults() if args.only is None or f in args.only]
    started = time.monotonic()
    results = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for done in as_completed([pool.submit(run, *job) for job in todo]):
            simulator, fault, result, seconds = done.result()
            results.append((simulator, fault, result, seconds))
            # a line per finished run on stderr: a long table can be followed, and a cut-off run is not lost
            print(f"[{len(results)}/{len(todo)}] {simulator} {fault or '(clean)'}: failed {failed(result) or 'none'} "
                  f"({seconds:.0f} s)", file=sys.stderr, flush=True)
    order = {job: n for n, job in enumerate(todo)}
    results.sort(key=lambda r: order[(r[0], r[1])])
    uncaught, false_failures = [], []
    lines = ["| simulator | fault switch | caught by (failed test cases) |", "|---|---|---|"]
    for simulator, fault, result, _ in results:
        if fault is None:
            false_failures += [f"{case} (clean {simulator} simulator)" for case in failed(result)]
            if not result.verdicts:
                false_failures.append(f"clean {simulator} run produced no verdicts:\n{result.output[-1500:]}")
            continue
        caught = failed(result) or warned(fault, result)
        if not caught:
            uncaught.append(fault)
        lines.append(f"| {simulator} | `{fault}` | {listed(caught, args.max_listed) if caught else '**NOT CAUGHT**'} |")
    print("\n".join(lines))
    print()
    print(f"{len(results) - 2} fault switches, {len(uncaught)} not caught; clean runs: "
          f"{'no failure' if not false_failures else ', '.join(false_failures)}; "
          f"{time.monotonic() - started:.0f} s")
    return 1 if uncaught or false_failures else 0


if __name__ == "__main__":
    sys.exit(main())
