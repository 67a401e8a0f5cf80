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
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness import resources
from harness.errors import ConfigError
from harness.ocppj import Finding, SchemaStore
from harness.options import OPTIONS
from harness.pki import PkiFactory, certificate_info, private_pki
from harness.profile import CsmsSimulatorProfile, PicsCondition, SimulatedStation
from harness.reporting import findings_table
from harness.reporting.combine import combine
from harness.reporting.html_report import ALLURE_VERSION, ReportError, generate
from harness.reporting.rejudge import rejudge
from harness.simulators import CsmsConfig, CsmsSimulator, StationConfig, StationSimulator
from harness.simulators.builtin import BuiltinSut
from harness.simulators.control_server import ControlServer, csms_actions, station_actions
from harness.transcript import Record, read_transcript
from harness.usecase import catalogue as oca
from harness.usecase.loader import SourceError, read_yaml, validate
from harness.usecase.testcase import PROFILES

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
    "simulate station": """\
examples:
  export OCPP_STATION_PASSWORD=LabStation0123456789
  ocpp-harness simulate station --csms-url ws://127.0.0.1:9000/ocpp --identity SIM-CS-001
  ocpp-harness simulate station --csms-url "wss://csms.example.com/ocpp/{identity}/" --security-profile 2 \\
      --pki-dir lab-pki --trusted-ca csms-ca.pem
  ocpp-harness simulate station --csms-url ws://127.0.0.1:9000/ocpp --root ~/ocpp-pki/csms-root.cert.pem

`{identity}` in --csms-url marks where the identity goes (else it is appended). --root makes it a lab station
prepared for the firmware (L) and A19 cases; --trusted-ca is what it trusts for TLS at security profile 2 and 3.""",
    "simulate csms": """\
examples:
  OCPP_STATION_PASSWORD=LabStation0123456789 ocpp-harness simulate csms --port 9000
  ocpp-harness simulate csms --port 9000 --profile lab-csms.yaml

a --profile file:
  stations:
    - {identity: LAB-CS-1, password_env: LAB_CS_1_PASSWORD}
    - {identity: LAB-CS-2, password_env: LAB_CS_2_PASSWORD, boot_status: Pending}
  id_tokens:
    valid: {idToken: 04A2B3C4D5E6F7, type: ISO14443}
  heartbeat_interval: 60""",
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
        if opt.kind == "flag":
            kwargs = {"action": "store_true"}
        else:
            kwargs["metavar"] = opt.metavar
        run.add_argument(opt.run, dest=opt.dest, help=f"{opt.help} (default: {opt.default})", **kwargs)
    run.add_argument("--passes", action="store_true",
                     help="one pass per security profile (1, 2, 3) as `make demo` does: each case once, at the lowest "
                          "security profile it applies to; one summary and JUnit for all, REPORTS/sp1..sp3 per pass")
    run.add_argument("--no-progress", action="store_true",
                     help="pytest's own progress dots instead of one line per finished case")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="further pytest arguments, e.g. -k TC_B_01")
    sim = sub.add_parser("simulate", help="run a built-in simulator until Ctrl-C", **_texts(
        "Run a built-in simulator by itself: a Charging Station to point at your CSMS, or a CSMS for your station "
        "to connect to. Ctrl-C stops it.", _EXAMPLES["simulate"]))
    kind = sim.add_subparsers(dest="kind", required=True)
    st = kind.add_parser("station", help="a simulated Charging Station connecting to a CSMS", **_texts(
        "A simulated Charging Station that connects to a CSMS (yours, or `simulate csms`) and does what a lab's "
        "station does: boots, reports its connectors, answers the CSMS, and performs manual actions (plug in, "
        "present a token, power-cycle …) when its HTTP control API is asked. It prints what happens: connecting, "
        "connected, the boot status, 'reconnecting in N s' (its RetryBackOff), each control action. Ctrl-C or "
        "SIGTERM stops it in any state. Exit code 2: a set-up mistake (a malformed URL, an unset password "
        "variable).", _EXAMPLES["simulate station"]))
    st.add_argument("--csms-url", required=True,
                    help="the CSMS's endpoint, e.g. ws://127.0.0.1:9000/ocpp: the identity is appended, or put where "
                         "the URL says {identity}")
    st.add_argument("--identity", default="SIM-CS-001", help="its station identity (default: %(default)s)")
    st.add_argument("--password-env", default="OCPP_STATION_PASSWORD",
                    help="environment variable holding the Basic Auth password, never the password itself (default: "
                         "%(default)s)")
    st.add_argument("--root", action="append", default=[], metavar="PEM",
                    help="install this root certificate as its CSMSRootCertificate and ManufacturerRootCertificate, as "
                         "a lab prepares its station for the firmware (L) and A19 cases: the csms-root.cert.pem of "
                         "`ocpp-harness pki DIR` (repeatable)")
    st.add_argument("--control-port", type=int, default=0,
                    help="port of its HTTP control API (README convention; default: any free port, printed)")
    cs = kind.add_parser("csms", help="a simulated CSMS listening on 127.0.0.1", **_texts(
        "A simulated CSMS on 127.0.0.1 for a station to connect to (yours, or `simulate station`): it answers "
        "BootNotification (per station: Accepted, Pending or Rejected), authorizes the tokens it knows, and sends "
        "what its HTTP control API is asked to (the `send` and `boot-status` actions). It prints each station "
        "connecting, its boot and each control action. Ctrl-C or SIGTERM stops it.", _EXAMPLES["simulate csms"]))
    cs.add_argument("--port", type=int, default=9000, help="port it listens on, 127.0.0.1 (default: %(default)s; 0: "
                                                           "any free port, printed)")
    cs.add_argument("--identity", default="SIM-CS-001", help="the station identity it knows (default: %(default)s)")
    cs.add_argument("--password-env", default="OCPP_STATION_PASSWORD",
                    help="environment variable holding that station's Basic Auth password (default: %(default)s)")
    cs.add_argument("--profile", metavar="YAML", help="the stations it knows (identity, password_env, serial_number, "
                                                      "boot_status each), its id_tokens and heartbeat_interval, as a "
                                                      "lab's prepared CSMS; replaces --identity and --password-env")
    cs.add_argument("--control-port", type=int, default=0, help="port of its HTTP control API (default: any free "
                                                                "port, printed)")
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
                                        "history across runs)", **_texts(
        f"Make the HTML report of a run from its Allure results with Allure Report {ALLURE_VERSION} (Node.js 20+ and "
        "npm; the CLI is installed on first use), keeping the history of earlier runs in a history file beside "
        "the report, so trends and retries show across runs. Open it over HTTP: a browser does not run it from "
        "file://. Exit code 2: no results, no npm, or an --out that is not a report.",
        "examples:\n"
        "  ocpp-harness report                                   reports/allure-results -> reports/html\n"
        "  ocpp-harness report --results run-7/allure-results --out run-7/html --history lab/history.jsonl\n"
        "  python -m http.server -d reports/html -b 127.0.0.1    then open http://127.0.0.1:8000"))
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


# What one `ocpp-harness run` writes into REPORTS; the next run removes it first, so its results are its own (Allure
# would show an earlier run's results as retries). What spans runs stays: history.jsonl, html/ (ocpp-harness report).
RUN_OUTPUTS = ("allure-results", "transcripts", "log-uploads", "csms-simulator", "summary.json", "summary.md",
               "junit.xml", "sp1", "sp2", "sp3")


def _fresh(reports: Path) -> None:
    for name in RUN_OUTPUTS:
        target = reports / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


def _run_suite(args: argparse.Namespace) -> int:
    """pytest in a child process, as `make demo` runs it (only the plugin imports pytest, DESIGN.md §3); with
    --passes one child per security profile, each case once at its lowest, and one combined verdict."""
    reports = Path(args.ocpp_reports_dir).resolve()
    if args.passes and args.ocpp_security_profile:
        raise ConfigError("--passes runs every security profile in turn: give it without --security-profile")
    passed: list[str] = []
    for opt in OPTIONS:
        value = getattr(args, opt.dest, None) if opt.run else None
        if opt.name == "reports-dir":
            continue  # per pass, below
        for given in (value if isinstance(value, list) else [value] if value else []):
            if opt.name in ("sut", "gate", "pki-dir"):  # paths: the child runs in the suite's folder
                given = str(Path(given).resolve())
            passed.append(opt.flag if given is True else f"{opt.flag}={given}")
    _fresh(reports)
    if not args.passes:
        return _pytest(args, [*passed, f"--ocpp-reports-dir={reports}", f"--junitxml={reports}/junit.xml"], reports)
    codes, folders = [], []
    for level in (1, 2, 3):
        folder = reports / f"sp{level}"
        folders.append(folder)
        print(f"---- pass {level} of 3: the cases whose lowest security profile is {level} ----", flush=True)
        code = _pytest(args, [*passed, f"--ocpp-security-profile={level}", "--ocpp-profile-pass",
                              f"--ocpp-reports-dir={folder}", f"--junitxml={folder}/junit.xml"], reports)
        if code == 2:
            return code  # a set-up mistake: every pass would stop on it
        codes.append(code)
    summary = combine(reports, folders)
    print(f"one verdict for the {len(summary['cases'])} cases of the 3 passes: {reports}/summary.md, summary.json, "
          "junit.xml", flush=True)
    if 1 in codes or summary["gate"]["exit_code"]:
        return 1
    other = [c for c in codes if c not in (0, NO_TESTS_PYTEST)]  # a pass with no case at its profile is normal
    return other[0] if other else NO_TESTS_PYTEST if all(c == NO_TESTS_PYTEST for c in codes) else 0


def _pytest(args: argparse.Namespace, options: list[str], reports: Path) -> int:
    argv = [sys.executable, "-m", "pytest", str(resources.testcases_dir()), *options,
            f"--alluredir={reports}/allure-results", *([] if args.no_progress else ["--ocpp-progress"]),
            *([] if resources.is_checkout() else ["-p", "no:cacheprovider"]),  # nothing written into site-packages
            *[a for a in args.pytest_args if a != "--"]]
    code = subprocess.call(argv, cwd=resources.suite_root())
    return 2 if code == USAGE_ERROR_PYTEST else code  # a set-up mistake: 2, as every ocpp-harness command says it


USAGE_ERROR_PYTEST = 4  # pytest's exit code for a usage error (the plugin's set-up checks raise pytest.UsageError)
NO_TESTS_PYTEST = 5  # pytest's exit code when no test was selected


def _cert_profile(given: str | None) -> str | None:
    """A certification profile as the catalogue spells it, whatever the case the user typed (`core` is Core)."""
    if given is None:
        return None
    known = {p.lower(): p for p in PROFILES}
    if given.lower() not in known:
        raise ConfigError(f"--cert-profile {given!r} is not a certification profile; one of "
                          f"{', '.join(sorted(PROFILES))}")
    return known[given.lower()]


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


def _say(text: str) -> None:
    """One line of what a simulator does, with the time: `simulate` shows what happens, as it happens."""
    print(f"{datetime.now():%H:%M:%S} {text}", flush=True)


async def _simulate(args: argparse.Namespace) -> None:
    """The simulator until Ctrl-C or SIGTERM, in whatever state it is (connecting, backing off, serving): the signal
    cancels the work, which stops the simulator on its way out."""
    if args.kind == "station":
        parts = urlsplit(args.csms_url)
        try:
            port_ok = (parts.port or 1) > 0
        except ValueError:
            port_ok = False
        if parts.scheme not in ("ws", "wss") or not parts.hostname or not port_ok:
            raise ConfigError(f"--csms-url {args.csms_url!r} is not a ws:// or wss:// URL with a host, e.g. "
                              "ws://127.0.0.1:9000/ocpp")
    profile = _csms_profile(args) if args.kind == "csms" else None
    roots = [_read_pem(p) for p in args.root] if args.kind == "station" else []
    task = asyncio.current_task()
    assert task is not None
    signals: list[int] = []

    def on_signal(sig: signal.Signals) -> None:
        signals.append(sig)
        if len(signals) == 1:
            _say(f"{sig.name}: stopping")
            task.cancel()
        else:  # asked twice: do not wait for a clean close any longer
            os._exit(128 + sig)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal, sig)
    try:
        with _simulator_pki(args) as pki:
            await _simulator(args, pki, profile, roots)
    except asyncio.CancelledError:
        if not signals:
            raise
        _say("stopped")


def _read_pem(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--root {path}: cannot read it: {exc}") from None
    if "BEGIN CERTIFICATE" not in text:
        raise ConfigError(f"--root {path}: not a PEM certificate")
    return text


def _csms_profile(args: argparse.Namespace) -> CsmsSimulatorProfile:
    """--profile FILE, or the one station of --identity / --password-env / --serial-number."""
    if args.profile:
        try:
            return validate(read_yaml(args.profile), CsmsSimulatorProfile, what="CSMS simulator profile")
        except SourceError as exc:
            raise ConfigError("the CSMS simulator profile is not valid:\n  " + "\n  ".join(exc.problems)) from None
    security = args.security_profile
    return CsmsSimulatorProfile(stations=[SimulatedStation(
        identity=args.identity, password_env=args.password_env if security < 3 else None,
        serial_number=args.serial_number)])


async def _simulator(args: argparse.Namespace, pki: PkiFactory | None, profile: CsmsSimulatorProfile | None,
                     roots: list[str]) -> None:
    security = args.security_profile
    forever = asyncio.Event()  # never set: the simulator runs until the signal cancels this
    if args.kind == "station":
        password = os.environ.get(args.password_env)
        if password is None and security < 3:
            raise ConfigError(f"set {args.password_env} to the Basic Auth password of {args.identity} (--password-env "
                              "names another variable)")
        serial = args.serial_number or args.identity
        station = StationSimulator(StationConfig(
            identity=args.identity, csms_url=args.csms_url, password=password if security < 3 else None,
            serial_number=serial, security_profile=security, pki=pki, report=_say,
            tls=pki.client_context(security, serial) if pki is not None else None))
        for root in roots:  # as a lab installs the harness's roots on its station (L and A19 cases)
            for kind in ("CSMSRootCertificate", "ManufacturerRootCertificate"):
                station.certificates.install(root, kind)
        control = ControlServer("station", args.identity, station_actions(station), port=args.control_port,
                                report=_say)
        try:
            await control.start()
            _say(f"control API on {control.url}")
            _say(f"station {args.identity} (security profile {security}); Ctrl-C stops it")
            await station.start()
            await forever.wait()
        finally:
            await control.stop()
            await station.stop()
        return
    assert profile is not None
    passwords: dict[str, str] = {}
    for st in profile.stations:
        if st.password_env and security < 3:
            value = os.environ.get(st.password_env)
            if value is None:
                raise ConfigError(f"set {st.password_env} to the password station {st.identity} must use")
            passwords[st.identity] = value
        else:
            passwords[st.identity] = ""
    csms = CsmsSimulator(CsmsConfig(
        port=args.port, stations=passwords, require_auth=security < 3, tokens=profile.id_tokens,
        boot_status={st.identity: st.boot_status for st in profile.stations},
        heartbeat_interval=profile.heartbeat_interval, report=_say,
        serial_numbers={st.identity: st.serial_number or st.identity for st in profile.stations}, pki=pki,
        tls=pki.server_context(security) if pki is not None else None))
    identity = profile.stations[0].identity
    await csms.start()
    sut = BuiltinSut(csms, ControlServer("csms", identity, {}, port=args.control_port, report=_say))
    sut.control.actions.update(csms_actions(csms, sut.spawn))
    try:
        await sut.control.start()
        _say(f"CSMS listening on {csms.url}/<identity>; Ctrl-C stops it")
        _say(f"control API on {sut.control.url}")
        _say("stations: " + ", ".join(f"{st.identity} (boot {st.boot_status})" for st in profile.stations))
        await forever.wait()
    finally:
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
    ls.add_argument("--wide", action="store_true", help="full titles (default: cut at 48 characters)")
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
        if proc.returncode == USAGE_ERROR_PYTEST:  # a set-up mistake: pytest's own lines say it, without the prefix
            lines = (proc.stdout + proc.stderr).splitlines()
            start = next((i for i, ln in enumerate(lines) if ln.startswith("ERROR: ")), 0)
            raise ConfigError("\n".join(ln.removeprefix("ERROR: ") for ln in lines[start:] if ln.strip()))
        if not target.is_file():
            lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
            errors = [ln for ln in lines if "Error" in ln or ln.startswith("E ")]
            return "\n".join(errors or lines[-15:]) or f"pytest exited with {proc.returncode}"
        catalogue: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
        catalogue["cases"].sort(key=lambda c: (c["id"], c.get("sut", "")))  # by id, not by file
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
            title = x["title"] if args.wide or len(x["title"]) <= 48 else x["title"][:47] + "…"
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
                     title if args.wide or len(title) <= 48 else title[:47] + "…", c["applicability"]))
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
                 "at a time, the transaction invariants TX-1..TX-4), timeouts, closes and the connector-report "
                 "deadline after an accepted boot (ST-1); print the findings, and compare them with the findings "
                 "recorded at the time (new / gone). Kept as recorded (not re-judged): TX-1/TX-2 of a transaction "
                 "whose first event in the transcript is not Started (it may have begun in an earlier case), what "
                 "a connection opened before the transcript (a resume event) did earlier, an ST-1 deadline whose "
                 "boot is in an earlier transcript, and events an older harness recorded without their facts.\n\n"
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
                          "events_rejudged": result.events,
                          "malformed_lines": problems, "strictness": args.strictness,
                          "findings": [_finding_json(r, f) for r in result.records for f in r.findings],
                          "new": [_finding_json(r, f) for r, f in result.new],
                          "gone": [_finding_json(r, f) for r, f in result.gone],
                          "not_rejudged": [_finding_json(r, f) for r, f in result.carried],
                          "fail_findings": len(failures), "exit_code": code}, indent=2, ensure_ascii=False))
        return code
    print(f"{path}: {len(records)} records, {result.frames} frames re-judged, {result.events} events re-judged "
          f"(strictness {args.strictness})\n")
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


def _command(args: argparse.Namespace) -> int:
    if args.command == "run":
        args.ocpp_cert_profile = _cert_profile(args.ocpp_cert_profile)
        return _run_suite(args)
    if args.command == "report":
        return _report(args)
    if args.command == "list":
        args.cert_profile = _cert_profile(args.cert_profile)
        return _list(args)
    if args.command == "validate":
        return _validate(args)
    if args.command == "pki":
        return _pki(args)
    asyncio.run(_simulate(args))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _command(args)
    except ConfigError as exc:  # a set-up mistake (a wrong option, directory or file): its lines, no trace
        print(f"ocpp-harness {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `ocpp-harness list | head`: the reader has what it wanted
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
