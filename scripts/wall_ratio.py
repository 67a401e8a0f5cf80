"""Wall time against required wait, per case and for the whole suite, from a run's reports.

    .venv/bin/python scripts/wall_ratio.py [REPORTS_DIR ...] [--junit FILE ...] [--markdown]

REPORTS_DIR (default `reports`) holds `transcripts/*.jsonl`, as `make demo` writes them (also `reports/sp2`,
`reports/sp3` for the later security-profile passes: give each). A case's **wall time** is its JUnit `time`
(`--junit reports/junit.xml ...`, matched by the `ocpp_id` property or the TC_ id in the test's name) or, for a
case no JUnit file names, the span of its transcripts (first record to last: set-up before the first record and
teardown after the last are not in it, so it is shorter than the JUnit time).

A case's **required wait** is read from its transcripts, not from hand annotations: the sum of the waits the
harness declares as `waiting N s: why` notes: `hold()` (the configured Transaction Duration, a message timeout
that must pass), a negative check's window (`expect_none(within=...)`), and the part still to run of a timer the
SUT keeps that the case then waits for (`sut_timer()` / `aligned_timer()`: a MessageAttemptInterval retry, the
back-off before a reconnect when its value in force is known, a boot retry or heartbeat interval,
CertSigningWaitMinimum, EVConnectionTimeOut, clock-aligned moments, a retrieve/install date-time). A timer a case
does not declare is not counted (e.g. the back-off after a TLS probe, whose value the case never reads): the
required wait printed is a lower bound, and the ratio an upper bound.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from harness.transcript import read_transcript

CASE_ID = re.compile(r"TC_[A-Z]_\d+_(?:CSMS|CS)")
WAITING = re.compile(r"^waiting (\d+(?:\.\d+)?(?:e[-+]?\d+)?) s: (.*)$")


@dataclass
class Case:
    id: str
    wall: float = 0.0  # seconds
    wall_from: str = ""  # "junit" or "transcript span"
    required: float = 0.0  # seconds of declared waits
    waits: list[str] = field(default_factory=list)
    transcripts: int = 0


def junit_times(paths: list[Path]) -> dict[str, float]:
    """Seconds per case id over the JUnit files (a case run in several passes adds up)."""
    times: dict[str, float] = defaultdict(float)
    for path in paths:
        for testcase in ET.parse(path).getroot().iter("testcase"):
            ids = [p.get("value", "") for p in testcase.iter("property") if p.get("name") == "ocpp_id"]
            found = ids[0] if ids else next(iter(CASE_ID.findall(testcase.get("name", ""))), "")
            if found:
                times[found] += float(testcase.get("time", "0") or 0)
    return times


def read_cases(directories: list[Path]) -> dict[str, Case]:
    cases: dict[str, Case] = {}
    spans: dict[str, float] = defaultdict(float)
    for directory in directories:
        for path in sorted((directory / "transcripts").glob("*.jsonl")):
            match = CASE_ID.match(path.stem)
            if match is None:  # _between-tests and the like
                continue
            case = cases.setdefault(match.group(0), Case(match.group(0)))
            case.transcripts += 1
            records, _ = read_transcript(path)
            stamps = [r.time for r in records if r.time > 0]
            if stamps:
                spans[case.id] += max(stamps) - min(stamps)
            for record in records:
                if record.direction == "event" and record.event == "note":
                    hit = WAITING.match(str(record.detail.get("text", "")))
                    if hit:
                        case.required += float(hit.group(1))
                        case.waits.append(f"{float(hit.group(1)):g} s {hit.group(2)}")
    for case in cases.values():
        case.wall, case.wall_from = spans[case.id], "transcript span"
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", nargs="*", type=Path, default=[Path("reports")])
    parser.add_argument("--junit", action="append", type=Path, default=[], help="JUnit XML of the run (repeatable)")
    parser.add_argument("--all", action="store_true", help="list every case, not only those with a required wait")
    args = parser.parse_args()
    missing = [d for d in args.reports if not (d / "transcripts").is_dir()]
    if missing:
        print(f"no transcripts/ folder in {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    cases = read_cases(args.reports)
    for case_id, seconds in junit_times(args.junit).items():
        case = cases.setdefault(case_id, Case(case_id))
        case.wall, case.wall_from = seconds, "junit"
    if not cases:
        print("no case transcripts found", file=sys.stderr)
        return 2
    sources = sorted({c.wall_from for c in cases.values()})
    print(f"{len(cases)} cases from {', '.join(map(str, args.reports))}; wall time from {' and '.join(sources)}\n")
    print("| case | wall s | required s | wall / required | declared waits |")
    print("|---|---|---|---|---|")
    for case in sorted(cases.values(), key=lambda c: (-c.required, -c.wall)):
        if not case.required and not args.all:
            continue
        ratio = f"{case.wall / case.required:.2f}" if case.required else "-"
        waits = "; ".join(case.waits[:4]) + (f"; ... ({len(case.waits)} in all)" if len(case.waits) > 4 else "")
        print(f"| {case.id} | {case.wall:.1f} | {case.required:.1f} | {ratio} | {waits.replace('|', '/')} |")
    wall = sum(c.wall for c in cases.values())
    required = sum(c.required for c in cases.values())
    waiting = [c for c in cases.values() if c.required]
    print(f"\nsuite: {len(cases)} cases, wall {wall:.1f} s (serial sum), required {required:.1f} s (declared waits, a "
          "lower bound)")
    if required:
        print(f"ratio wall / required: {wall / required:.2f} (target <= 1.2); over the {len(waiting)} cases that "
              f"declare a wait: {sum(c.wall for c in waiting) / required:.2f}")
    else:
        print("ratio wall / required: undefined (no declared waits)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
