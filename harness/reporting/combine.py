"""One verdict for a run made of passes (one per security profile, as `make demo` and `ocpp-harness run --passes`
do): the passes' summary.json and junit.xml combined into one summary.json / summary.md and one junit.xml, with
each pass's part visible (a "passes" table in the summary, a <testsuite> per pass in JUnit).

    python -m harness.reporting.combine OUT PASS_DIR [PASS_DIR ...]

Each PASS_DIR holds what one pytest run wrote: summary.json and junit.xml. Pure files in, files out.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from harness.reporting.verdicts import OUTCOMES, Gate, Verdict, summarize, to_json, to_markdown, verdict_from_json


def _pass_name(summary: dict[str, Any], folder: Path) -> str:
    levels = {c.get("security_profile") for c in summary.get("cases", [])} - {None}
    return f"security profile {', '.join(str(x) for x in sorted(levels))}" if levels else folder.name


def combine(out: Path, passes: list[Path]) -> dict[str, Any]:
    """Write OUT/summary.json, OUT/summary.md and OUT/junit.xml for every case of the passes; the summary."""
    verdicts: list[Verdict] = []
    rows: list[dict[str, Any]] = []
    gate = Gate(exit_code=0)
    about: dict[str, str] = {}
    for folder in passes:
        file = folder / "summary.json"
        if not file.is_file():
            continue  # a pass with no case (nothing at that security profile)
        summary = json.loads(file.read_text(encoding="utf-8"))
        cases = [verdict_from_json(c) for c in summary.get("cases", [])]
        verdicts += cases
        name = _pass_name(summary, folder)
        counts: dict[str, int] = {o: sum(c.outcome == o for c in cases) for o in OUTCOMES}
        rows.append({"pass": name, "folder": str(folder), "date": summary.get("about", {}).get("date", ""),
                     "cases": len(cases), **counts, "gate_exit_code": summary["gate"]["exit_code"]})
        for key, value in summary.get("about", {}).items():
            if key in about and about[key] != value and key != "date":
                about[key] = f"{about[key]}; {value}"  # e.g. the station at each security profile
            about.setdefault(key, value)
        gate.failures += summary["gate"]["failures"]
        gate.warnings += summary["gate"]["warnings"]
        gate.exit_code = max(gate.exit_code, summary["gate"]["exit_code"])
    about["passes"] = "; ".join(f"{r['pass']} ({r['cases']} cases)" for r in rows)
    combined = summarize(verdicts, about=about, gate_result=gate)
    combined["passes"] = rows
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(to_json(combined), encoding="utf-8")
    (out / "summary.md").write_text(_markdown(combined, rows), encoding="utf-8")
    _junit(out / "junit.xml", [(r["pass"], Path(r["folder"]) / "junit.xml") for r in rows])
    return combined


def _markdown(summary: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    text = to_markdown(summary)
    table = ["", "## Passes", "", "| pass | cases | passed | failed | error | not applicable | needs decision | gate |",
             "|---|---|---|---|---|---|---|---|"]
    table += [f"| {r['pass']} | {r['cases']} | {r['passed']} | {r['failed']} | {r['error']} | {r['not_applicable']} | "
              f"{r['needs_decision']} | {'passed' if r['gate_exit_code'] == 0 else 'failed'} |" for r in rows]
    head, sep, rest = text.partition("\n| certification profile |")  # the passes right after what was run
    return head + "\n".join(table[1:]) + "\n" + sep + rest if sep else text + "\n".join(table) + "\n"


def _junit(target: Path, passes: list[tuple[str, Path]]) -> None:
    """One <testsuites> with each pass's <testsuite>, named by its pass."""
    root = ET.Element("testsuites", {"name": "ocpp-harness"})
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for name, file in passes:
        if not file.is_file():
            continue
        tree = ET.parse(file).getroot()
        for suite in ([tree] if tree.tag == "testsuite" else tree.iter("testsuite")):
            suite.set("name", f"ocpp-harness: {name}")
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
            root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m harness.reporting.combine OUT PASS_DIR [PASS_DIR ...]", file=sys.stderr)
        return 2
    summary = combine(Path(argv[0]), [Path(a) for a in argv[1:]])
    print(f"combined {len(summary['cases'])} cases of {len(summary['passes'])} passes into {argv[0]}/summary.md, "
          "summary.json and junit.xml")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
