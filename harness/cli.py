"""The `ocpp-harness` command: run the conformance suite, list its cases, re-judge a transcript, or start a
built-in simulator by itself.

    ocpp-harness run [--sut PROFILE.yaml]... [--role cs|csms|both] [--cert-profile Core] [-- pytest args...]
    ocpp-harness list [--sut PROFILE.yaml]... [--role cs|csms|both] [--cert-profile Core] [--format table|json]
    ocpp-harness validate TRANSCRIPT.jsonl [--strictness strict|compat] [--format text|json]
    ocpp-harness simulate station --csms-url ws://host:port/ocpp [--identity ID] [--control-port 8081]
    ocpp-harness simulate csms [--port 9000] [--control-port 8082]
    ocpp-harness report [--results reports/allure-results] [--out reports/html]
    ocpp-harness pki DIR
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from harness import resources
from harness.errors import ConfigError
from harness.ocppj import Finding, SchemaStore
from harness.options import OPTIONS
from harness.pki import PkiFactory, certificate_info, private_pki
from harness.profile import PicsCondition
from harness.reporting import findings_table
from harness.reporting.html_report import ALLURE_VERSION, ReportError, generate
from harness.reporting.rejudge import rejudge
from harness.simulators import CsmsConfig, CsmsSimulator, StationConfig, StationSimulator
from harness.simulators.builtin import BuiltinSut
from harness.simulators.control_server import ControlServer, csms_actions, station_actions
from harness.transcript import Record, read_transcript
from harness.usecase import catalogue as oca

# ---- help texts (one place, so a new subcommand adds its own lines here) -------------------------------------------
_DESCRIPTION = """\
OCPP 2.0.1 conformance test harness: it stands on the other side of a system under test (SUT) and judges every
frame both ways against the official JSON schemas and the OCPP-J rules.

  role cs    the SUT is a Charging Station; the harness plays the CSMS (it listens, the station connects)
  role csms  the SUT is a CSMS; the harness plays a Charging Station (it connects to the CSMS)

Without a SUT profile (--sut) the built-in simulators are the SUTs, so everything works with no hardware.
Describe your own SUT in a profile YAML: start from profiles/station-template.yaml or csms-template.yaml."""

_EXAMPLES = {
    "": """\
examples:
  ocpp-harness run                                     every case, both roles, against the built-in simulators
  ocpp-harness run --sut my-station.yaml --cert-profile Core
  ocpp-harness run -- -k TC_B_01                       further pytest arguments after --
  ocpp-harness list --sut my-station.yaml              which cases apply to my station, and why not
  ocpp-harness validate reports/transcripts/TC_B_01_CS.jsonl
  ocpp-harness simulate csms --port 9000               a CSMS to point a real station at
  ocpp-harness pki ~/ocpp-pki                          the roots a lab SUT trusts for security profiles 2, 3

"ocpp-harness COMMAND --help" tells more about each command.""",
    "run": """\
examples:
  ocpp-harness run                                     both roles against the built-in simulators
  ocpp-harness run --role cs --sut my-station.yaml     test a real Charging Station
  ocpp-harness run --sut my-csms.yaml --gate profiles/gate.yaml
  ocpp-harness run --role csms -- -k "TC_B_01 or TC_E" -x
  ocpp-harness run --sut my-csms.yaml --strictness compat     a 1.6 error-code spelling only warns
  ocpp-harness run --sut my-station.yaml --security-profile 2 --pki-dir ~/ocpp-pki

reports: REPORTS/junit.xml, REPORTS/allure-results/, REPORTS/summary.md and .json (verdict per certification
profile), REPORTS/transcripts/<case>.jsonl (every frame; re-judge one with `ocpp-harness validate`).""",
    "simulate": """\
examples:
  OCPP_STATION_PASSWORD=secret0123456789 ocpp-harness simulate csms --port 9000
  ocpp-harness simulate station --csms-url ws://127.0.0.1:9000/ocpp --identity SIM-CS-001
  ocpp-harness simulate csms --security-profile 3 --pki-dir lab-pki --trusted-ca ~/ocpp-pki/station-ca.cert.pem

Each prints the URL of its HTTP control API (plug in, present a token, power-cycle …; README). At security
profile 2 or 3 a simulator plays a lab's SUT with a CA of its own: its PKI is kept in --pki-dir, and
--trusted-ca names the harness's root it must trust (made by `ocpp-harness pki`).""",
    "pki": """\
examples:
  ocpp-harness pki ~/ocpp-pki                        make the directory (0700) on first use, else show it
  ocpp-harness run --sut my-station.yaml --security-profile 2 --pki-dir ~/ocpp-pki

Install csms-root.cert.pem on a station under test as its CSMSRootCertificate (also as
ManufacturerRootCertificate: the harness signs firmware under it); configure a CSMS under test to accept station
certificates issued by station-ca.cert.pem (security profile 3). A SUT whose certificate comes from its own CA:
name that CA in its profile, `security.trusted_ca`. The directory holds the CA keys: keep it private."""}


def _texts(description: str, epilog: str) -> dict[str, Any]:
    """A (sub)parser's description, its paragraphs wrapped unless indented, and its examples as written."""
    paragraphs = [p if p.startswith(" ") else textwrap.fill(p, 100) for p in description.split("\n\n")]
    return {"description": "\n\n".join(paragraphs), "epilog": epilog,
            "formatter_class": argparse.RawDescriptionHelpFormatter}


def _parser() -> argparse.ArgumentParser:
    texts = _texts(_DESCRIPTION, _EXAMPLES[""])
    texts["epilog"] += f"\n\nprofile templates and the built-in simulators' profiles: {resources.profiles_dir()}"
    parser = argparse.ArgumentParser(prog="ocpp-harness", **texts)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the conformance test cases (pytest) and write reports/", **_texts(
        "Run the test cases in pytest (a child process) and write the reports. Exit code: pytest's (0 all "
               "passed or not applicable, 1 a case failed), or the gating policy's verdict with --gate.",
        _EXAMPLES["run"]))
    for opt in OPTIONS:  # the plugin's options that `run` passes on (harness.options: one table)
        if opt.run is None:
            continue
        default = {"default": "reports"} if opt.name == "reports-dir" else {}
        kwargs: dict[str, Any] = {"action": "append", "default": []} if opt.kind == "append" else default
        if opt.choices:
            kwargs["choices"] = opt.choices
        run.add_argument(opt.run, dest=opt.dest, metavar=opt.metavar, help=f"{opt.help} (default: {opt.default})",
                         **kwargs)
    run.add_argument("--no-progress", action="store_true",
                     help="pytest's own progress dots instead of one line per finished case")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="further pytest arguments, e.g. -k TC_B_01")
    sim = sub.add_parser("simulate", help="run a built-in simulator until Ctrl-C", **_texts(
        "Run a built-in simulator by itself: a Charging Station to point at your CSMS, or a CSMS for your station "
        "to connect to. Ctrl-C stops it.", _EXAMPLES["simulate"]))
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
    for sim_parser, trusted in ((st, "the CA of the CSMS's server certificate"),
                                (cs, "the CA of the stations' client certificates (security profile 3)")):
        sim_parser.add_argument("--security-profile", type=int, choices=(1, 2, 3), default=1,
                                help="1: ws:// + Basic Auth (default); 2: TLS + Basic Auth; 3: mutual TLS")
        sim_parser.add_argument("--serial-number", help="the station's serial number, its certificate's CN "
                                                        "(default: the identity)")
        sim_parser.add_argument("--pki-dir", metavar="DIR", help="this simulator's own PKI, kept in DIR (needed at "
                                                                 "security profile 2 and 3)")
        sim_parser.add_argument("--trusted-ca", action="append", default=[], metavar="PEM",
                                help=f"trust this CA file too: {trusted} (repeatable)")
    _add_list(sub)
    _add_pki(sub)
    _add_validate(sub)
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
    cli_dir = Path(args.allure_cli) if args.allure_cli else (
        resources.CHECKOUT / ".allure-cli" if resources.is_checkout() else resources.user_cache() / "allure-cli")
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
    root = resources.suite_root()
    testcases = resources.testcases_dir()
    reports = Path(args.ocpp_reports_dir).resolve()
    args.ocpp_reports_dir = str(reports)
    passed: list[str] = []
    for opt in OPTIONS:
        value = getattr(args, opt.dest, None) if opt.run else None
        for given in (value if isinstance(value, list) else [value] if value else []):
            if opt.name in ("sut", "gate", "pki-dir", "reports-dir"):  # paths: the child runs in the suite's folder
                given = str(Path(given).resolve())
            passed.append(f"{opt.flag}={given}")
    argv = [sys.executable, "-m", "pytest", str(testcases), *passed, f"--alluredir={reports}/allure-results",
            f"--junitxml={reports}/junit.xml", *([] if args.no_progress else ["--ocpp-progress"]),
            *([] if resources.is_checkout() else ["-p", "no:cacheprovider"]),  # nothing written into site-packages
            *[a for a in args.pytest_args if a != "--"]]
    return subprocess.call(argv, cwd=root)


def _simulator_pki(args: argparse.Namespace) -> contextlib.AbstractContextManager[PkiFactory | None]:
    """The simulator's own PKI at security profile 2 or 3 (a lab's CA, kept in --pki-dir), trusting --trusted-ca."""
    if args.security_profile < 2:
        return contextlib.nullcontext()
    if not args.pki_dir:
        raise ConfigError(f"security profile {args.security_profile} needs --pki-dir: where this simulator keeps its "
                          "certificates")
    trust = [Path(p) for p in args.trusted_ca]
    return private_pki(kept=Path(args.pki_dir), csms_trust=trust if args.kind == "station" else (),
                       station_trust=trust if args.kind == "csms" else ())


async def _simulate(args: argparse.Namespace) -> None:
    with _simulator_pki(args) as pki:
        await _simulator(args, pki)


async def _simulator(args: argparse.Namespace, pki: PkiFactory | None) -> None:
    password = os.environ.get(args.password_env)
    security = args.security_profile
    serial = args.serial_number or args.identity
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if args.kind == "station":
        station = StationSimulator(StationConfig(
            identity=args.identity, csms_url=args.csms_url, password=password if security < 3 else None,
            serial_number=serial, security_profile=security, pki=pki,
            tls=pki.client_context(security, serial) if pki is not None else None))
        control = ControlServer("station", args.identity, station_actions(station), port=args.control_port)
        await control.start()
        print(f"control API on {control.url}", flush=True)
        await station.start()
        print(f"station {args.identity} connecting to {args.csms_url}; Ctrl-C stops it", flush=True)
        await stop.wait()
        await control.stop()
        await station.stop()
    else:
        if password is None and security < 3:
            print(f"set {args.password_env} to the password station {args.identity} must use", file=sys.stderr)
            raise SystemExit(2)
        csms = CsmsSimulator(CsmsConfig(port=args.port, stations={args.identity: password or ""},
                                        require_auth=security < 3, serial_numbers={args.identity: serial}, pki=pki,
                                        tls=pki.server_context(security) if pki is not None else None))
        await csms.start()
        sut = BuiltinSut(csms, ControlServer("csms", args.identity, {}, port=args.control_port))
        sut.control.actions.update(csms_actions(csms, sut.spawn))
        await sut.control.start()
        print(f"CSMS listening on {csms.url}/<identity>; Ctrl-C stops it", flush=True)
        print(f"control API on {sut.control.url}", flush=True)
        await stop.wait()
        await sut.stop()


# ---- ocpp-harness pki -------------------------------------------------------------------------------------------
def _add_pki(sub: Any) -> None:
    pki = sub.add_parser("pki", help="make or show the kept PKI a lab SUT trusts for security profiles 2 and 3",
                         **_texts("Make (on first use) or show a PKI directory: the CSMS root and the station CA "
                                  "that `ocpp-harness run --pki-dir DIR` (pytest --ocpp-pki-dir) then uses on every "
                                  "run, so a station or CSMS under test is set up to trust them once. Server and "
                                  "station certificates are made anew per run under these roots.", _EXAMPLES["pki"]))
    pki.add_argument("dir", metavar="DIR", help="the PKI directory (created 0700; it holds the CA keys)")


def _pki(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    with private_pki(kept=folder) as factory:  # the roots are made on first use, read ever after
        roots = {"CSMS root": (factory.csms_root_path, "install on a station under test as CSMSRootCertificate (and "
                                                       "ManufacturerRootCertificate: firmware is signed under it)"),
                 "station CA": (factory.station_ca_path, "a CSMS under test accepts station certificates it issued "
                                                         "(security profile 3); it also signs the stations' CSRs")}
    print(f"PKI directory {folder} (the CA keys are here, mode 0600: keep it private)")
    for title, (path, use) in roots.items():
        info = certificate_info(path.read_text())
        print(f"\n{title}: {path}\n  SHA-256 {info.fingerprint}\n  valid until {info.not_after:%Y-%m-%d}\n  {use}")
    print(f"\nuse it: ocpp-harness run --pki-dir {folder} ...   (pytest: --ocpp-pki-dir {folder})")
    return 0


# ---- ocpp-harness list ------------------------------------------------------------------------------------------
def _add_list(sub: Any) -> None:
    ls = sub.add_parser("list", help="the implemented test cases and whether each applies to the SUT profile(s)",
                        **_texts("List the implemented test cases (Python @testcase functions and YAML scenarios) "
                                 "with their metadata, and say for each whether it applies to the SUT profile(s): "
                                 "the same decision `ocpp-harness run` makes (PICS condition, security profile). "
                                 "Nothing is run: pytest collects the cases in a child process.",
                                 "examples:\n"
                                 "  ocpp-harness list                           every case, against the built-in "
                                 "simulators\n"
                                 "  ocpp-harness list --sut profiles/station-template.yaml --role cs\n"
                                 "  ocpp-harness list --cert-profile Core --format json\n"
                                 "  ocpp-harness list --all                     every Part 6 id: implemented or not, "
                                 "and coverage per certification profile"))
    ls.add_argument("--sut", action="append", default=[], metavar="PROFILE",
                    help="SUT profile YAML (repeatable: a station and/or a CSMS); default: the built-in simulators")
    ls.add_argument("--role", choices=("cs", "csms", "both"),
                    help="cs: cases where the SUT is a Charging Station; csms: where it is a CSMS; both (default, or "
                         "the kind of the one --sut profile given)")
    ls.add_argument("--cert-profile", help="only the cases of this certification profile, e.g. Core")
    ls.add_argument("--security-profile", choices=("1", "2", "3"),
                    help="applicability at this OCPP security profile (default: the profiles' own)")
    ls.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    ls.add_argument("--all", action="store_true",
                    help="every OCPP 2.0.1 Part 6 test case of the catalogue, not only the implemented ones: "
                         "implemented / not implemented / not applicable (with the reason) for the SUT profile(s), "
                         "and the coverage per certification profile and role")


def _collect_catalogue(args: argparse.Namespace) -> dict[str, Any] | str:
    """The plugin's catalogue (pytest --collect-only in a child process, --ocpp-catalogue), or why it failed."""
    with tempfile.TemporaryDirectory(prefix="ocpp-list-") as tmp:
        target = Path(tmp) / "catalogue.json"
        argv = [sys.executable, "-m", "pytest", str(resources.testcases_dir()), "--collect-only", "-q", "-p",
                "no:cacheprovider", f"--ocpp-catalogue={target}",
                *[f"--ocpp-sut={Path(p).resolve()}" for p in args.sut],
                *([f"--ocpp-role={args.role}"] if args.role else []),
                *([f"--ocpp-cert-profile={args.cert_profile}"] if args.cert_profile else []),
                *([f"--ocpp-security-profile={args.security_profile}"] if args.security_profile else [])]
        proc = subprocess.run(argv, cwd=resources.suite_root(), capture_output=True, text=True)
        if not target.is_file():
            lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
            errors = [ln for ln in lines if "Error" in ln or ln.startswith("E ")]
            return "\n".join(errors or lines[-15:]) or f"pytest exited with {proc.returncode}"
        catalogue: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
        return catalogue


def _every_case(collected: dict[str, Any]) -> dict[str, Any]:
    """Every catalogue id of the listed roles (and certification profile): implemented (collected from testcases/),
    not implemented, or not applicable with the reason, as the run would decide for the SUT profiles; and per
    certification profile and role, how many of its cases are implemented."""
    roles = {"cs": ("CS",), "csms": ("CSMS",)}.get(collected["role"], ("CS", "CSMS"))
    suts = {"CS": collected["suts"].get("station", {}), "CSMS": collected["suts"].get("csms", {})}
    cases = {c["id"]: c for c in collected["cases"] if "sut" in c}
    entries: list[dict[str, Any]] = []
    for e in sorted(oca.entries(), key=lambda e: e.id):
        if e.sut not in roles or (collected["cert_profile"] and collected["cert_profile"] not in e.profiles):
            continue
        case = cases.get(e.id)
        if case is not None:  # the plugin's own decision (PICS and security profile)
            reason = case["applicability"].removeprefix("not applicable: ") if case["applicability"].startswith(
                "not applicable") else None
        else:
            claimed = dict.fromkeys(suts[e.sut].get("pics", []), True)
            condition = PicsCondition(e.condition) if e.condition else None
            reason = None if condition is None or condition.holds(claimed) else condition.explain(claimed)
        entries.append({"id": e.id, "sut": e.sut, "title": e.title, "implemented": case is not None,
                        "status": "not applicable" if reason else "implemented" if case else "not implemented",
                        "reason": reason, "profiles": list(e.profiles), "mandatory_in": list(e.mandatory_in),
                        "conditional_in": list(e.conditional_in), "condition": e.condition,
                        "condition_note": e.condition_note, "usecases": list(e.usecases),
                        "requirements": list(e.requirements), "removed_by": e.removed_by})
    coverage = []
    for profile in oca.certification_profiles():
        for role in roles:
            mine = [x for x in entries if x["sut"] == role and profile in x["profiles"]]
            if mine:
                coverage.append({"profile": profile, "sut": role, "total": len(mine),
                                 "implemented": sum(x["implemented"] for x in mine)})
    return {**collected, "entries": entries, "coverage": coverage}


def _list(args: argparse.Namespace) -> int:
    catalogue = _collect_catalogue(args)
    if isinstance(catalogue, str):
        print(f"ocpp-harness list: the test cases could not be collected:\n{catalogue}", file=sys.stderr)
        return 2
    if args.all:
        every = _every_case(catalogue)
        if args.format == "json":
            print(json.dumps(every, indent=2, ensure_ascii=False))
            return 0
        table = [("ID", "SUT", "PROFILES", "TITLE", "STATUS")]
        for x in every["entries"]:
            title = x["title"] if len(x["title"]) <= 48 else x["title"][:47] + "…"
            status = f"{x['status']}: {x['reason']}" if x["reason"] else x["status"]
            table.append((x["id"], x["sut"], ",".join(x["profiles"]) or "-", title, status))
        widths = [max(len(r[i]) for r in table) for i in range(4)]
        for line in table:
            print("  ".join(col.ljust(w) for col, w in zip(line[:4], widths, strict=True)) + "  " + line[4])
        print(f"\n{len(every['entries'])} test cases of the catalogue, "
              f"{sum(x['implemented'] for x in every['entries'])} implemented; implemented / total per "
              "certification profile and role:")
        for c in every["coverage"]:
            print(f"  {c['profile']} {c['sut']} {c['implemented']}/{c['total']}")
        return 0
    if args.format == "json":
        print(json.dumps(catalogue, indent=2, ensure_ascii=False))
        return 0
    cases = catalogue["cases"]
    rows = [("ID", "SUT", "SEVERITY", "PROFILES", "TITLE", "APPLICABILITY")]
    for c in cases:
        title = c.get("title", "")
        rows.append((c["id"], c.get("sut", "?"), c.get("severity", "?"), ",".join(c.get("profiles", [])),
                     title if len(title) <= 48 else title[:47] + "…", c["applicability"]))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print("  ".join(col.ljust(w) for col, w in zip(r[:5], widths, strict=True)) + "  " + r[5])
    applicable = sum(c["applicability"] == "applicable" for c in cases)
    suts = "; ".join(f"{kind}: {s['name']}" for kind, s in catalogue["suts"].items())
    print(f"\n{len(cases)} test cases (role {catalogue['role']}"
          + (f", certification profile {catalogue['cert_profile']}" if catalogue["cert_profile"] else "")
          + f"): {applicable} applicable, {len(cases) - applicable} not; SUTs: {suts}")
    return 0


# ---- ocpp-harness validate --------------------------------------------------------------------------------------
def _add_validate(sub: Any) -> None:
    va = sub.add_parser(
        "validate", help="re-judge a recorded transcript (reports/transcripts/*.jsonl) against the current rules",
        **_texts("Feed every event of a recorded transcript, in order, to the monitor the live connection uses "
                 "(harness/ocppj/monitor.py): handshakes (from their recorded facts; never a password), TLS "
                 "sessions and failures, every frame both ways (frame rules, JSON schemas, message ids, one CALL "
                 "at a time, the transaction invariants TX-1..TX-4), timeouts and closes; print the findings, and "
                 "compare them with the findings recorded at the time (new / gone). Kept as recorded (not "
                 "re-judged): TX-1/TX-2 of a transaction whose first event in the transcript is not Started (it "
                 "may have begun in an earlier case), what a connection opened before the transcript (a resume "
                 "event) did earlier, ST-1, and events an older harness recorded without their facts.\n\n"
                 "Exit code: 0 no FAIL finding on what the SUT sent; 1 FAIL findings; 2 the file cannot be read "
                 "or has lines that are not transcript records.",
                 "examples:\n"
                 "  ocpp-harness validate reports/transcripts/TC_B_01_CS.jsonl\n"
                 "  ocpp-harness validate --strictness compat --format json reports/transcripts/RPC_05_CS.jsonl"))
    va.add_argument("transcript", metavar="TRANSCRIPT.jsonl", help="a transcript the harness wrote")
    va.add_argument("--strictness", choices=("strict", "compat"), default="strict",
                    help="strict (default): 1.6 error-code spellings fail; compat: they only warn")
    va.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def _finding_json(record: Record, f: Finding) -> dict[str, Any]:
    return {"seq": record.seq, "conn": record.conn, "direction": record.direction,
            "message": record.action or record.kind, **f.to_json()}


def _validate(args: argparse.Namespace) -> int:
    path = Path(args.transcript)
    try:
        records, problems = read_transcript(path)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"ocpp-harness validate: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    for problem in problems[:20]:
        print(f"ocpp-harness validate: {path}: {problem}", file=sys.stderr)
    if len(problems) > 20:
        print(f"ocpp-harness validate: {path}: … {len(problems) - 20} more malformed lines", file=sys.stderr)
    if not records:
        print(f"ocpp-harness validate: {path} holds no transcript records (JSON lines as the harness writes them "
              "to reports/transcripts/)", file=sys.stderr)
        return 2
    result = rejudge(records, SchemaStore(manifest=resources.schema_manifest()),
                     strictness=args.strictness)
    failures = result.failures()
    code = 2 if problems else (1 if failures else 0)
    if args.format == "json":
        print(json.dumps({"transcript": str(path), "records": len(records), "frames_rejudged": result.frames,
                          "malformed_lines": problems, "strictness": args.strictness,
                          "findings": [_finding_json(r, f) for r in result.records for f in r.findings],
                          "new": [_finding_json(r, f) for r, f in result.new],
                          "gone": [_finding_json(r, f) for r, f in result.gone],
                          "not_rejudged": [_finding_json(r, f) for r, f in result.carried],
                          "fail_findings": len(failures), "exit_code": code}, indent=2, ensure_ascii=False))
        return code
    print(f"{path}: {len(records)} records, {result.frames} frames re-judged (strictness {args.strictness})\n")
    print(findings_table(result.records))
    print("compared with the findings recorded at the time:")
    for label, found in (("new ", result.new), ("gone", result.gone)):
        for r, f in found:
            print(f"  {label}  #{r.seq} {r.direction} {r.action or r.kind}: {f.one_line()}")
    if not result.new and not result.gone:
        print("  no difference")
    if result.carried:
        print(f"  {len(result.carried)} finding(s) kept as recorded (need the live connection to judge)")
    verdict = (f"{len(failures)} FAIL finding(s) on what the SUT sent" if failures
               else "no FAIL finding on what the SUT sent")
    print(f"\n{verdict}" + (f"; {len(problems)} malformed line(s)" if problems else ""))
    return code


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run_suite(args)
    if args.command == "report":
        return _report(args)
    if args.command == "list":
        return _list(args)
    if args.command == "validate":
        return _validate(args)
    try:
        if args.command == "pki":
            return _pki(args)
        asyncio.run(_simulate(args))
    except ConfigError as exc:  # a wrong directory or CA file: one line, no trace
        print(f"ocpp-harness {args.command}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
