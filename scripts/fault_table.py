"""Fault detection table: the suite against every simulator fault switch, and once clean per role.

    .venv/bin/python scripts/fault_table.py [--jobs 2] [--only NAME ...]

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
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the child-pytest runner the self-tests use

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1, help="child runs at once (timing cases prefer 1)")
    parser.add_argument("--only", nargs="*", default=None, help="only these fault switches")
    parser.add_argument("--max-listed", type=int, default=0,
                        help="longer lists of failed cases are cut to this many, with the count (0: all)")
    args = parser.parse_args(argv)
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
