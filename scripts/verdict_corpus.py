"""Run every row of the verdict-accuracy corpus (tests/verdict_corpus.py) and write docs/verdict-corpus.md:
behaviour -> expected verdict -> actual verdict, dated, with the command that reproduces each row.

    .venv/bin/python scripts/verdict_corpus.py [--jobs 2] [--only ROW_ID ...]

The page is rewritten after every row, so an interrupted run leaves the rows measured so far and marks the others
"not measured yet". Exit status 1 when a measured row does not get its expected verdict.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from verdict_corpus import ROWS, Outcome, Row, run_row  # noqa: E402

PAGE = ROOT / "docs" / "verdict-corpus.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _expected(row: Row) -> str:
    text = row.verdict
    if row.headline:
        text += "; headline names " + ", ".join(f"`{t}`" for t in row.headline)
    if row.warning:
        text += "; warning names " + ", ".join(f"`{t}`" for t in row.warning)
    return text


def _actual(outcome: Outcome | None) -> str:
    if outcome is None:
        return "not measured yet"
    text = outcome.actual
    failed = [outcome.headlines[c] for c in outcome.row.cases if outcome.verdicts.get(c) == "failed"]
    if failed:
        text += f"; headline: {failed[0][:200]}"
    return text


def render(outcomes: dict[str, Outcome], started: str, command: str) -> str:
    measured = [o for o in outcomes.values()]
    right = sum(1 for o in measured if not o.problems)
    legal = sum(1 for r in ROWS if r.kind == "legal")
    lines = [
        "# Verdict-accuracy corpus",
        "",
        "Scripted SUT behaviours and the verdict each gets (issue 12): LEGAL but unusual behaviours must pass (one is "
        "not applicable, naming why), DEFECTS must fail with a headline that names the fault. The rows are "
        "`tests/verdict_corpus.py`; `tests/test_verdict_corpus.py` proves a sample in `make test` and every row "
        "with `OCPP_ALL_FAULTS=1`.",
        "",
        f"Measured {started} with `{command}`: {len(measured)} of {len(ROWS)} rows ({legal} legal, "
        f"{len(ROWS) - legal} defects), {right} as expected.",
        "",
        "| Row | Kind | What the SUT does | Produced by | Cases | Expected | Actual | OK |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        outcome = outcomes.get(row.id)
        ok = "" if outcome is None else "yes" if not outcome.problems else "NO"
        lines.append("| " + " | ".join(_cell(c) for c in (
            f"`{row.id}`", row.kind, row.does, row.how + (f" ({row.profile})" if row.profile else ""),
            ", ".join(row.cases), _expected(row), _actual(outcome), ok)) + " |")
    lines += ["", "Reproduce a row: " + "; ".join(f"`{r.id}`: `{r.command}`" for r in ROWS[:2]) + "; the "
              "scripted CSMS rows: `pytest tests/test_verdict_corpus.py` with `OCPP_ALL_FAULTS=1 -k <row>`.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None, help="run these rows only (the others: not measured yet)")
    parser.add_argument("--page", type=Path, default=PAGE, help="where to write the page")
    args = parser.parse_args()
    rows = [r for r in ROWS if args.only is None or r.id in args.only]
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "python scripts/verdict_corpus.py" + (f" --jobs {args.jobs}" if args.jobs != 2 else "")
    outcomes: dict[str, Outcome] = {}
    args.page.write_text(render(outcomes, started, command), encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="verdict-corpus-") as tmp, ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_row, row, Path(tmp) / row.id): row for row in rows}
        for future in as_completed(futures):
            row = futures[future]
            outcome = future.result()
            outcomes[row.id] = outcome
            print(f"{row.id}: {'ok' if not outcome.problems else 'WRONG'}: {outcome.actual}", flush=True)
            for problem in outcome.problems:
                print(f"    {problem[:1500]}", flush=True)
            args.page.write_text(render(outcomes, started, command), encoding="utf-8")
    return 1 if any(o.problems for o in outcomes.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
