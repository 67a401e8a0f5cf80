"""A/B of the monitor in one process: the frame parser and transcript of a git revision (default `main`) against
the working tree's, on the benchmark's frames, interleaved in rounds so a loaded machine slows both alike.

    .venv/bin/python scripts/bench_ab.py [--ref main] [--rounds 7] [--n 3000]

Prints per frame the median over rounds of each side's per-frame median (µs, wall clock) and of the per-round
ratio new/old. harness/ocppj/frames.py, session.py and harness/transcript.py are taken from the revision (the
schemas and findings are the working tree's for both sides); the taken transcript must still import the frame
classes as `from harness.ocppj import Call, CallError, CallResult, Finding, Frame, Severity`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import bench_monitor

from harness.ocppj import RpcSession, default_store
from harness.transcript import Transcript

ROOT = Path(__file__).resolve().parent.parent


def load_at(ref: str, relative: str, name: str, renames: dict[str, str]) -> ModuleType:
    """The module `relative` as it is at `ref`, its imports of the other taken modules pointed at their copies."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{relative}"], check=True,
                            capture_output=True, text=True).stdout
    for old, new in renames.items():
        source = source.replace(old, new)
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, f"{ref}:{relative}", "exec"), module.__dict__)
    return module


def runner(session_class: Any, transcript_class: Any, action: str, payload: dict[str, Any], n: int,
           tmp: Path, tag: str) -> Callable[[], float]:
    texts = [json.dumps([2, f"id-{i}", action, payload], separators=(",", ":")) for i in range(n)]
    rounds = [0]

    def run() -> float:
        session = session_class(default_store())
        rounds[0] += 1
        transcript = transcript_class(tmp / f"{tag}-{action}-{rounds[0]}.jsonl")
        samples = []
        for i, text in enumerate(texts):
            t0 = time.perf_counter_ns()
            inbound = session.receive(text)
            transcript.add(1, "rx", text, frame=inbound.frame, findings=inbound.findings)
            samples.append(time.perf_counter_ns() - t0)
            session.unanswered.clear()
            if i % bench_monitor.CASE_FRAMES == bench_monitor.CASE_FRAMES - 1:
                transcript.close()
                transcript = transcript_class(tmp / f"{tag}-{action}-{rounds[0]}-{i}.jsonl")
        transcript.close()
        return statistics.median(samples) / 1000

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ref", default="main")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    load_at(args.ref, "harness/ocppj/frames.py", "_ab_old_frames", {})
    old_session = load_at(args.ref, "harness/ocppj/session.py", "_ab_old_session",
                          {"harness.ocppj.frames": "_ab_old_frames"})
    old_transcript = load_at(args.ref, "harness/transcript.py", "_ab_old_transcript", {
        "from harness.ocppj import Call, CallError, CallResult, Finding, Frame, Severity":
            "from _ab_old_frames import Call, CallError, CallResult, Frame\n"
            "from harness.ocppj.findings import Finding, Severity"})
    print(f"A/B: {args.ref} against the working tree, {args.rounds} rounds of {args.n} frames, interleaved\n")
    print(f"| frame | {args.ref} µs | working tree µs | new / old |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in bench_monitor.FRAMES.items():
            action, payload = build()
            old = runner(old_session.RpcSession, old_transcript.Transcript, action, payload, args.n, Path(tmp), "old")
            new = runner(RpcSession, Transcript, action, payload, args.n, Path(tmp), "new")
            old(), new()  # warm-up
            pairs = [(old(), new()) for _ in range(args.rounds)]
            a = statistics.median(p[0] for p in pairs)
            b = statistics.median(p[1] for p in pairs)
            ratio = statistics.median(p[1] / p[0] for p in pairs)
            print(f"| {name} | {a:.1f} | {b:.1f} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
