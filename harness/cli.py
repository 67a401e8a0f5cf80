"""The `ocpp-harness` command: run the conformance suite, or start a built-in simulator by itself.

    ocpp-harness run [--sut PROFILE.yaml]... [--role cs|csms|both] [--cert-profile Core] [pytest args...]
    ocpp-harness simulate station --csms-url ws://host:port/ocpp [--identity ID] [--control-port 8081]
    ocpp-harness simulate csms [--port 9000] [--control-port 8082]
    ocpp-harness report [--results reports/allure-results] [--out reports/html]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from harness.reporting.html_report import ALLURE_VERSION, ReportError, generate
from harness.simulators import CsmsConfig, CsmsSimulator, StationConfig, StationSimulator
from harness.simulators.builtin import BuiltinSut
from harness.simulators.control_server import ControlServer, csms_actions, station_actions


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocpp-harness", description="OCPP 2.0.1 conformance test harness. The "
                                     "harness plays the CSMS toward a Charging Station under test (role cs), or a "
                                     "Charging Station toward a CSMS under test (role csms).")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the conformance test cases (pytest) and write reports/")
    run.add_argument("--role", choices=("cs", "csms", "both"),
                     help="cs: SUT is a Charging Station; csms: SUT is a CSMS; both (default, or the kind of the one "
                          "--sut profile given)")
    run.add_argument("--sut", action="append", default=[], metavar="PROFILE",
                     help="SUT profile YAML (repeatable: a station and/or a CSMS); default: the built-in simulators")
    run.add_argument("--cert-profile", help="only the test cases of this certification profile, e.g. Core")
    run.add_argument("--gate", metavar="POLICY",
                     help="gating policy YAML (e.g. profiles/gate.yaml): exit 1 only for results it says fail the "
                          "build; without one, pytest's exit code (1 when any case failed)")
    run.add_argument("--reports", default="reports", help="output directory (default: reports)")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="further pytest arguments, e.g. -k TC_B_01")
    sim = sub.add_parser("simulate", help="run a built-in simulator until Ctrl-C")
    kind = sim.add_subparsers(dest="kind", required=True)
    st = kind.add_parser("station", help="a simulated Charging Station connecting to a CSMS")
    st.add_argument("--csms-url", required=True, help="CSMS endpoint without the identity, e.g. ws://127.0.0.1:9000/ocpp")
    st.add_argument("--identity", default="SIM-CS-001")
    st.add_argument("--password-env", default="OCPP_STATION_PASSWORD",
                    help="environment variable holding the Basic Auth password (never pass it on the command line)")
    st.add_argument("--control-port", type=int, default=0,
                    help="port of its HTTP control API (README convention; default: any free port, printed)")
    cs = kind.add_parser("csms", help="a simulated CSMS listening on 127.0.0.1")
    cs.add_argument("--port", type=int, default=9000)
    cs.add_argument("--identity", default="SIM-CS-001", help="the station identity it knows")
    cs.add_argument("--password-env", default="OCPP_STATION_PASSWORD")
    cs.add_argument("--control-port", type=int, default=0, help="port of its HTTP control API")
    _report_parser(sub)
    return parser


def _report_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rep = sub.add_parser("report", help=f"HTML report from the Allure results (Allure Report {ALLURE_VERSION}, npm; "
                                        "history across runs)")
    rep.add_argument("--results", default="reports/allure-results", help="Allure results (default: %(default)s)")
    rep.add_argument("--out", default="reports/html", help="the HTML report folder, replaced (default: %(default)s)")
    rep.add_argument("--history", help="history file the reports share (default: history.jsonl beside --out)")
    rep.add_argument("--history-limit", type=int, help="keep at most this many earlier runs (default: all)")
    rep.add_argument("--allure-cli", default=os.environ.get("OCPP_ALLURE_CLI"),
                     help=f"where the npm package allure@{ALLURE_VERSION} is (installed on first use; default: "
                          ".allure-cli in the checkout, or env OCPP_ALLURE_CLI)")


def _report(args: argparse.Namespace) -> int:
    """`allure generate` with the pinned Allure 3 CLI; a missing Node.js/npm or results is one line, not a trace."""
    out = Path(args.out)
    cli_dir = Path(args.allure_cli) if args.allure_cli else Path(__file__).resolve().parent.parent / ".allure-cli"
    try:
        report = generate(Path(args.results), out, history=Path(args.history) if args.history else
                          out.parent / "history.jsonl", cli_dir=cli_dir, history_limit=args.history_limit)
    except ReportError as exc:
        print(f"ocpp-harness report: {exc}", file=sys.stderr)
        return 2
    print(f"HTML report: {report.index} ({report.runs_in_history} run(s) in {report.history}); view it over HTTP, "
          f"e.g. `python -m http.server -d {report.index.parent} -b 127.0.0.1`", flush=True)
    return 0


def _run_suite(args: argparse.Namespace) -> int:
    """pytest in a child process, as `make demo` runs it (only the plugin imports pytest, DESIGN.md §3)."""
    root = Path(__file__).resolve().parent.parent
    testcases = root / "testcases"
    role = [] if args.role is None else [f"--ocpp-role={args.role}"]
    argv = [sys.executable, "-m", "pytest", str(testcases), *role, f"--ocpp-reports-dir={args.reports}",
            f"--alluredir={args.reports}/allure-results", f"--junitxml={args.reports}/junit.xml",
            *[f"--ocpp-sut={Path(p).resolve()}" for p in args.sut],
            *([f"--ocpp-cert-profile={args.cert_profile}"] if args.cert_profile else []),
            *([f"--ocpp-gate={Path(args.gate).resolve()}"] if args.gate else []),
            *[a for a in args.pytest_args if a != "--"]]
    return subprocess.call(argv, cwd=root)


async def _simulate(args: argparse.Namespace) -> None:
    password = os.environ.get(args.password_env)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if args.kind == "station":
        station = StationSimulator(StationConfig(identity=args.identity, csms_url=args.csms_url, password=password))
        control = ControlServer("station", args.identity, station_actions(station), port=args.control_port)
        await control.start()
        print(f"control API on {control.url}", flush=True)
        await station.start()
        print(f"station {args.identity} connecting to {args.csms_url}; Ctrl-C stops it", flush=True)
        await stop.wait()
        await control.stop()
        await station.stop()
    else:
        if password is None:
            print(f"set {args.password_env} to the password station {args.identity} must use", file=sys.stderr)
            raise SystemExit(2)
        csms = CsmsSimulator(CsmsConfig(port=args.port, stations={args.identity: password}))
        await csms.start()
        sut = BuiltinSut(csms, ControlServer("csms", args.identity, {}, port=args.control_port))
        sut.control.actions.update(csms_actions(csms, sut.spawn))
        await sut.control.start()
        print(f"CSMS listening on {csms.url}/<identity>; Ctrl-C stops it", flush=True)
        print(f"control API on {sut.control.url}", flush=True)
        await stop.wait()
        await sut.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run_suite(args)
    if args.command == "report":
        return _report(args)
    asyncio.run(_simulate(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
