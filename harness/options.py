"""The run's options, one table for the pytest plugin, the `ocpp-harness run` command and the documentation.

Each option is `--ocpp-<name>` on the pytest command line; a `value` option is also the environment variable
`OCPP_<NAME>` and the ini key `ocpp_<name>` (command line > environment > ini > default, as pytest-timeout does
it). `run` names the `ocpp-harness run` flag that passes it on, where there is one. Pure data: a leaf module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["value", "cli", "flag", "append"]


@dataclass(frozen=True)
class Option:
    name: str  # "cert-profile": --ocpp-cert-profile, OCPP_CERT_PROFILE, ocpp_cert_profile
    help: str
    default: str = ""  # what applies when it is not given, as a person reads it
    choices: tuple[str, ...] = ()
    kind: Kind = "value"  # value: CLI, env and ini; cli: CLI only; flag: CLI only, on/off; append: CLI, repeatable
    run: str | None = None  # the `ocpp-harness run` flag that sets it
    metavar: str | None = None

    @property
    def flag(self) -> str:
        return f"--ocpp-{self.name}"

    @property
    def dest(self) -> str:
        return f"ocpp_{self.name.replace('-', '_')}"

    @property
    def env(self) -> str:
        return f"OCPP_{self.name.replace('-', '_').upper()}"


OPTIONS: tuple[Option, ...] = (
    Option("sut", "SUT profile YAML (repeatable: one station, one CSMS); env OCPP_SUT (os.pathsep-separated) and "
                  "ini ocpp_sut too", "the built-in simulators", kind="append", run="--sut", metavar="PATH"),
    Option("role", "which SUT kind to test: cs (the harness plays the CSMS), csms (it plays a station), both",
           "both, or the kind of the only profile given", ("cs", "csms", "both"), run="--role"),
    Option("cert-profile", "run only the test cases of this certification profile (Core, AdvSec, LocalAuth, …); "
                           "the project's Framework checks always run", "all", run="--cert-profile"),
    Option("security-profile", "run with both SUT profiles at this security profile (1: ws + Basic Auth, 2: TLS + "
                               "Basic Auth, 3: mutual TLS), overriding their security.profile",
           "the profiles' own", ("1", "2", "3"), run="--security-profile"),
    Option("strictness", "strict: OCPP 1.6 error-code spellings fail; compat: they only warn", "strict",
           ("strict", "compat"), run="--strictness"),
    Option("decision-mode", "strict: an unset policy key ends its check as 'needs decision'; pragmatic: the "
                            "documented default is used and named in the report", "pragmatic",
           ("strict", "pragmatic"), run="--decision-mode"),
    Option("gate", "gating policy YAML: which results fail the build (exit 1) and which only warn; without one "
                   "pytest's exit code stands (the summary is written either way)", "none", run="--gate"),
    Option("reports-dir", "where transcripts, summary.json/md go", "reports", run="--reports"),
    Option("pki-dir", "keep the run's CSMS root and station CA (with their keys) in this directory and reuse them, "
                      "so a lab's station or CSMS trusts them once (ocpp-harness pki DIR)",
           "a private directory per run, removed after it", run="--pki-dir"),
    Option("after-failure", "a station SUT after a case failed half-way: idle (stop transactions, unplug, clear "
                            "faults, so later cases fail only for their own reasons) or leave (as it is, to debug)",
           "idle", ("idle", "leave")),
    Option("timeout", "seconds to wait for an expected message", "10"),
    Option("heartbeat-interval", "heartbeat interval (s) the harness CSMS gives in BootNotificationResponse "
                                 "(overrides the station profile's)", "the profile's (10)"),
    Option("tolerance", "allowed deviation (s) of measured timings", "4 (the test labs' value)"),
    Option("requirement-url", "link of a requirement id in the report, {id} replaced by the id",
           "https://openchargealliance.org/?s={id}"),
    Option("policy", "answer a policy key for this run (repeatable; VALUE is JSON, else a string), e.g. "
                     "beyond_part6=fail; a SUT profile's own answer wins", "", kind="append", metavar="KEY=VALUE"),
    Option("profile-pass", "this run is one pass of a run per security profile (make demo): only the cases whose "
                           "lowest security profile is this run's, so each case runs once, at that profile", "off",
           kind="flag"),
    Option("sim-fault", "turn on a fault switch of the built-in simulators (repeatable; docs: fault switches)", "",
           kind="append", metavar="NAME"),
    Option("sim-variant", "make a built-in simulator take a legal alternative behaviour (repeatable; every case must "
                          "still pass), e.g. availability_by_notify_event (station) or pending_interval_zero (CSMS)",
           "", kind="append",
           metavar="NAME"),
    Option("catalogue", "write the collected cases (metadata, applicability) to PATH as JSON; with --collect-only "
                        "this is ocpp-harness list", "", kind="cli", metavar="PATH"),
    Option("debug", "show Python tracebacks of failures and set-up errors (by default a failure shows the harness's "
                    "explanation, a set-up mistake one line)", "off", kind="flag", run="--debug"),
    Option("progress", "one line per finished case, [n/total] id verdict duration (elapsed), instead of the dots "
                       "(ocpp-harness run sets it)", "off", kind="flag"),
)


def option(name: str) -> Option:
    return next(o for o in OPTIONS if o.name == name)
