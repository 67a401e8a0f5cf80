"""The monitor: one place that judges every rule, sans-I/O. Events in, findings out.

The live connection (harness.transport) and `ocpp-harness validate` (harness.reporting.rejudge) both feed it the
same events, so a transcript re-judged offline is judged by the same code, from the facts the transcript records:

    event                                   method                         rules
    a handshake the CSMS role served        handshake_findings(detail)     RPC-01, RPC-02, RPC-03, SEC-2..4, SEC-5
      (its parts, live: judge_identity, judge_subprotocol, judge_auth, judge_tls_session, judge_tls_failure)
    a TLS session / a failed TLS handshake  judge_tls_session(facts), judge_tls_failure(facts)   SEC-2, SEC-3, SEC-4
    the CSMS refused the harness-station    refusal_findings(detail)       RPC-01 (and the TLS failure's)
    a connection opened                     opened(conn, at)               (TX-3's reference time)
    a frame in                              received(conn, data)           RPC-05..RPC-16, DT-1, TIMING, TX-1..TX-4
    a frame out                             session(conn).call/result/error/raw, or sent(conn, text) offline
    a text frame that is not UTF-8          undecodable(data)              RPC-05
    a timeout of the harness's CALL         timeout(conn, ...)             TIMING
    the peer's CALL stops waiting           release(conn, message_id)      (RPC-15 stops counting it)
    a close                                 closed(conn, ...)              RPC-01, WS-1
    the harness accepted the station's boot boot_accepted(conn)            (ST-1 starts collecting)
    the connector-report deadline           connectors_reported(conn, ...) ST-1

A secret never reaches the monitor: the Authorization header is reduced to `AuthFacts` by `auth_facts()` on the
live path (the password's length, its alphabet and whether it is the configured one, `password_matches`), and the
monitor judges those facts. The transaction invariants (`invariants.py`) live here for the station identity's whole
session (a transaction outlives connections); `transactions=False` for a monitor whose peer is not the SUT station.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote

from harness.ocppj.findings import Finding, Severity, finding
from harness.ocppj.frames import Call, CallError, CallResult, Frame, Strictness, parse, serialize
from harness.ocppj.invariants import TransactionInvariants
from harness.ocppj.schemas import SchemaStore
from harness.ocppj.session import Inbound, RpcSession

SUBPROTOCOL = "ocpp2.0.1"
Peer = Literal["station", "csms"]  # the other end of the connection: whose certificate is judged
# Part 2 identifierString: letters, digits and * - _ = : + | @ . ; errata 2025-01 `passwordString` adds more.
_IDENTIFIER = re.compile(r"[A-Za-z0-9*\-_=:+|@.]+")
_PASSWORD = re.compile(r"[A-Za-z0-9*\-_=:+|@.!#$%&'^`~(){}\[\]<>/?,;\"\\ ]+")


def password_problem(password: str, *, password_max: int = 40) -> str | None:
    """What breaks the Basic Auth password rule (passwordString, 16 to 40 characters; A00.FR.203), or None: the
    monitor's rule, also applied to a password a SUT profile gives (a set-up mistake, not a SUT failure)."""
    return _password_rule(len(password), bool(_PASSWORD.fullmatch(password)), password_max)


def _password_rule(length: int, alphabet: bool, password_max: int) -> str | None:
    if not 16 <= length <= password_max:
        return f"password has {length} characters; 16 to {password_max} required"
    if not alphabet:
        return "password has characters outside passwordString"
    return None


# ---- the opening handshake (CSMS role: the station's request) ---------------------------------------------------
def judge_identity(identity: str) -> list[Finding]:
    """RPC-02: the identity at the end of the URL path is an identifierString of at most 48 characters."""
    if not identity or len(identity) > 48 or ":" in identity or not _IDENTIFIER.fullmatch(identity):
        return [finding("RPC-02", Severity.FAIL, f"station identity {identity[:60]!r} is not an identifierString of "
                                                 "at most 48 characters without ':'")]
    return []


def judge_subprotocol(offered: Sequence[str]) -> list[Finding]:
    """RPC-03, for a handshake that did not agree on ocpp2.0.1."""
    return [finding("RPC-03", Severity.FAIL,
                    f"station offered subprotocols {list(offered) or 'none'}; 'ocpp2.0.1' required")]


@dataclass(frozen=True)
class AuthFacts:
    """What an HTTP Authorization header says, without the password: all the monitor needs to judge SEC-5."""

    present: bool
    required: bool  # the CSMS asks for Basic Auth (security profile 1 or 2)
    scheme: str | None = None
    decodable: bool = False  # Base64 of UTF-8 text
    separator: bool = False  # a ':' between user and password
    user: str | None = None
    password_length: int = 0
    password_alphabet: bool = False  # only passwordString characters
    password_matches: bool | None = None  # the live comparison with the configured password; None: not compared

    def to_json(self) -> dict[str, Any]:
        return {"present": self.present, "required": self.required, "scheme": self.scheme,
                "decodable": self.decodable, "separator": self.separator, "user": self.user,
                "password_length": self.password_length, "password_alphabet": self.password_alphabet,
                "password_matches": self.password_matches}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuthFacts:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def auth_facts(header: str | None, password_ok: Callable[[str], bool] | None) -> AuthFacts:
    """Reduce an Authorization header to its facts; the password is compared (`password_ok`) and forgotten."""
    required = password_ok is not None
    if header is None:
        return AuthFacts(present=False, required=required)
    scheme, _, token = header.partition(" ")
    facts = AuthFacts(present=True, required=required, scheme=scheme[:20])
    if scheme.lower() != "basic":
        return facts
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return facts
    user, sep, password = decoded.partition(":")
    if not sep:
        return AuthFacts(present=True, required=required, scheme=scheme[:20], decodable=True, user=user[:100])
    return AuthFacts(present=True, required=required, scheme=scheme[:20], decodable=True, separator=True,
                     user=user[:100], password_length=len(password),
                     password_alphabet=bool(_PASSWORD.fullmatch(password)),
                     password_matches=password_ok(password) if password_ok is not None else None)


def judge_auth(facts: AuthFacts, identity: str, *, password_max: int = 40) -> tuple[str, str | None, list[Finding]]:
    """SEC-5 from the facts of an Authorization header: (verdict, user name, findings). Verdict "ok" when
    accepted; else none | missing | malformed | bad-password | bad-user."""
    findings: list[Finding] = []
    if not facts.present:
        if not facts.required:
            return "none", None, findings
        findings.append(finding("SEC-5", Severity.FAIL, "no Authorization header; security profile 1/2 requires "
                                                        "HTTP Basic Authentication"))
        return "missing", None, findings
    scheme = facts.scheme or ""
    if scheme != "Basic":
        findings.append(finding("SEC-5", Severity.FAIL if scheme.lower() != "basic" else Severity.WARN,
                                f"Authorization scheme {scheme[:20]!r}, expected 'Basic'"))
        if scheme.lower() != "basic":
            return "malformed", None, findings
    if not facts.decodable:
        findings.append(finding("SEC-5", Severity.FAIL, "Authorization credentials are not Base64 of UTF-8 text"))
        return "malformed", None, findings
    user = facts.user
    if not facts.separator:
        findings.append(finding("SEC-5", Severity.FAIL, "Basic credentials lack the ':' between user and password"))
        return "malformed", user, findings
    if user != identity:
        findings.append(finding("SEC-5", Severity.FAIL,
                                f"Basic Auth user name {(user or '')[:60]!r} differs from the identity {identity!r} "
                                "in the URL"))
    problem = _password_rule(facts.password_length, facts.password_alphabet, password_max)
    if problem is not None:
        findings.append(finding("SEC-5", Severity.FAIL, problem))
    # The password is judged even when the user name is wrong, so each fault shows as exactly one finding.
    if facts.required and facts.password_matches is False:
        findings.append(finding("SEC-5", Severity.FAIL, f"Basic Auth password of {identity!r} is not the configured "
                                                        "one (HTTP 401)", path="Authorization.password"))
        return "bad-password", user, findings
    if user != identity:
        return "bad-user", user, findings
    return "ok", user, findings


def handshake_findings(detail: dict[str, Any]) -> list[Finding]:
    """Every finding of one recorded handshake the CSMS role served (`Handshake.to_json()`), from its facts."""
    if detail.get("probe"):
        tls, failure = detail.get("tls"), detail.get("tls_failure")
        return judge_tls_session(tls) if tls else failure_findings(failure) if failure else []
    if detail.get("tls_failure"):
        return failure_findings(detail["tls_failure"])
    found: list[Finding] = []
    path = str(detail.get("path", ""))
    if detail.get("failure") is None or path:
        found += judge_identity(unquote(path.rsplit("/", 1)[-1]))
    status = detail.get("status")
    if status == 400 and SUBPROTOCOL not in detail.get("offered", []):
        found += judge_subprotocol(detail.get("offered", []))
    if detail.get("tls"):
        found += judge_tls_session(detail["tls"])
    if detail.get("auth_facts") is not None:
        found += judge_auth(AuthFacts.from_json(detail["auth_facts"]), str(detail.get("identity", "")))[2]
    if status == 101 and detail.get("subprotocol") != SUBPROTOCOL:
        found += judge_subprotocol(detail.get("offered", []))
    if detail.get("failure") is not None:
        found.append(finding("RPC-01", Severity.FAIL, f"opening handshake not completed: {detail['failure']}"))
    return found


# ---- the opening handshake (station role: the CSMS's answer) ----------------------------------------------------
def refusal_findings(detail: dict[str, Any]) -> list[Finding]:
    """A connection attempt of the harness-station that did not open (event "refused" / "unreachable")."""
    if detail.get("tls_failure"):
        return failure_findings(detail["tls_failure"])
    if "status" not in detail:  # unreachable
        return [finding("RPC-01", Severity.FAIL, f"no WebSocket connection to the CSMS: {str(detail.get('reason'))[:200]}")]
    status = detail.get("status")
    if status is not None and status >= 400:
        return []
    if detail.get("refusal_expected") and not detail.get("received"):
        return [finding("RPC-01", Severity.WARN, "the CSMS closed the connection without an HTTP answer to the "
                                                 "upgrade request (RFC 6455 §4.2.2: an HTTP error status)")]
    return [finding("RPC-01", Severity.FAIL,
                    f"the CSMS's opening handshake is invalid: {str(detail.get('reason', ''))[:200]}")]


# ---- TLS -------------------------------------------------------------------------------------------------------
# TLS 1.2 suites, OpenSSL names. A00.FR.318 (CSMS: all; A00.FR.317 station: the ECDSA pair or the RSA pair) names
# TLS_ECDHE_ECDSA_WITH_AES_{128,256}_GCM_* and TLS_RSA_WITH_AES_{128,256}_GCM_*. The ECDHE-RSA pair is the
# forward-secret form of the RSA pair and what RSA-certificate peers usually agree; both RSA pairs are offered so
# a station that supports only the suites the requirement names is never refused.
OCPP_TLS12_SUITES: tuple[str, ...] = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "AES128-GCM-SHA256",  # TLS_RSA_WITH_AES_128_GCM_SHA256
    "AES256-GCM-SHA384",  # TLS_RSA_WITH_AES_256_GCM_SHA384
)
SAN_PREFIX = {"DNS": "DNS", "IP Address": "IP"}  # getpeercert()'s names -> the usual short ones
_SAN_KIND = {v: k for k, v in SAN_PREFIX.items()}


def _tls_finding(rule: str, severity: Severity, text: str, ref: str, **extra: Any) -> Finding:
    return Finding(rule=rule, severity=severity, text=text, ref=f"Part 2 {ref}", extra=dict(extra))


def judge_tls_session(facts: dict[str, Any]) -> list[Finding]:
    """SEC-2 on a completed TLS session, SEC-3/SEC-4 on the peer's certificate when it sent one; `facts` as
    `TlsSession.to_json()` records them (version, cipher, compression, peer, expected_cn, peer_cn, ...)."""
    version, cipher, compression = facts.get("version"), facts.get("cipher"), facts.get("compression")
    out: list[Finding] = []
    if version not in ("TLSv1.2", "TLSv1.3"):
        out.append(_tls_finding("SEC-2", Severity.FAIL, f"TLS version {version}; 1.2 or newer required", "A00.FR.313"))
    elif version == "TLSv1.2" and cipher not in OCPP_TLS12_SUITES:
        out.append(_tls_finding("SEC-2", Severity.FAIL, f"cipher suite {cipher} is not one of A00.FR.318",
                                "A00.FR.317, A00.FR.318"))
    if compression:
        out.append(_tls_finding("SEC-2", Severity.FAIL, f"TLS compression {compression} in use", "A00.FR.321"))
    if facts.get("certificate"):
        sans = [(_SAN_KIND.get(kind, kind), value) for kind, _, value in
                (str(s).partition(":") for s in facts.get("peer_san", ()))]
        out += _judge_certificate(facts.get("peer_cn"), facts.get("peer_organization"), facts.get("peer_serial"),
                                  sans, peer=facts.get("peer", "station"), expected_cn=facts.get("expected_cn"))
    return out


def _judge_certificate(cn: str | None, organization: str | None, serial: str | None,
                       sans: Sequence[tuple[str, str]], *, peer: Peer, expected_cn: str | None) -> list[Finding]:
    whose = "station" if peer == "station" else "CSMS"
    out: list[Finding] = []
    if not serial:
        out.append(_tls_finding("SEC-4", Severity.FAIL, f"{whose} certificate has no serial number", "A00.FR.508"))
    if not organization:
        out.append(_tls_finding("SEC-4", Severity.FAIL, f"{whose} certificate subject has no O (organizationName)",
                                "A00.FR.509"))
    if expected_cn is None:
        return out
    if peer == "station" and cn != expected_cn:
        out.append(_tls_finding("SEC-3", Severity.FAIL, f"station certificate CN {cn!r} is not the station serial "
                                                        f"number {expected_cn!r}", "A00.FR.405, B01.FR.12",
                                common_name=cn))
    elif peer == "csms" and not names_host(expected_cn, cn, sans):
        named = ", ".join(f"{SAN_PREFIX.get(k, k)}:{v}" for k, v in sans) or "none"
        out.append(_tls_finding("SEC-4", Severity.FAIL, f"CSMS certificate does not name the host {expected_cn!r} "
                                                        f"of the endpoint (subjectAltName {named}; CN {cn!r})",
                                "A00.FR.510", common_name=cn))
    return out


def names_host(host: str, cn: str | None, sans: Sequence[tuple[str, str]]) -> bool:
    """Whether a server certificate names `host` the way TLS checks it (RFC 6125, what OpenSSL's host check does
    for Python): an IP literal only by a SAN iPAddress; a DNS name by a SAN dNSName (a '*' only as the whole
    leftmost label), by the CN only when there is no SAN dNSName."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return any(kind == "IP Address" and _same_address(value, address) for kind, value in sans)
    dns = [value for kind, value in sans if kind == "DNS"]
    return any(_dns_match(pattern, host) for pattern in dns) if dns else cn is not None and _dns_match(cn, host)


def _same_address(value: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(value) == address
    except ValueError:
        return False


def _dns_match(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


# X509_V_ERR_EE_KEY_TOO_SMALL, _CA_KEY_TOO_SMALL, _CA_MD_TOO_WEAK (also for the leaf's own signature digest)
_TOO_WEAK = {66: "A00.FR.502, A00.FR.503", 67: "A00.FR.502, A00.FR.503", 68: "A00.FR.506"}
_OLD_VERSION = {"UNSUPPORTED_PROTOCOL", "WRONG_VERSION_NUMBER", "NO_PROTOCOLS_AVAILABLE", "VERSION_TOO_LOW"}


def judge_tls_failure(facts: dict[str, Any]) -> tuple[str, Literal["harness", "peer"], list[Finding]]:
    """A failed TLS handshake from the facts of what it raised (`tls_failure_facts`): (reason, who refused,
    findings about the peer). `facts["error"]`: verify (a certificate refused), ssl (an OpenSSL error with
    `code`), timeout, or closed (EOF or reset)."""
    peer = facts.get("peer", "station")
    whose = "station" if peer == "station" else "CSMS"
    kind, code, verify_code = facts.get("error"), facts.get("code"), facts.get("verify_code")
    if kind == "verify":
        message = f"{whose} certificate refused: {facts.get('text')}"
        if verify_code in _TOO_WEAK:
            found = _tls_finding("SEC-4", Severity.FAIL, message, _TOO_WEAK[verify_code])
        elif peer == "station":
            found = _tls_finding("SEC-3", Severity.FAIL, message, "A00.FR.407")
        else:
            found = _tls_finding("SEC-2", Severity.FAIL, message, "A00.FR.306, A00.FR.307")
        return message, "harness", [found]
    if kind == "ssl":
        text = str(code or facts.get("text")).lower().replace("_", " ")
        if code and "ALERT" in code:  # the peer's OpenSSL refused us and said why
            return f"the {whose} refused the handshake: {text}", "peer", []
        if code in _OLD_VERSION:
            return (f"the {whose} offered no TLS version of 1.2 or newer: {text}", "harness",
                    [_tls_finding("SEC-2", Severity.FAIL, f"the {whose} offered TLS below 1.2 ({text})",
                                  "A00.FR.313, A00.FR.315")])
        if code == "NO_SHARED_CIPHER":
            return (f"the {whose} offered none of the allowed cipher suites", "harness",
                    [_tls_finding("SEC-2", Severity.FAIL, f"the {whose} offered none of the cipher suites of "
                                                          "A00.FR.318", "A00.FR.317, A00.FR.318")])
        if code == "PEER_DID_NOT_RETURN_A_CERTIFICATE":
            return ("the station sent no client certificate", "harness",
                    [_tls_finding("SEC-3", Severity.FAIL, "security profile 3: the station sent no client "
                                                          "certificate", "A00.FR.402, A00.FR.407")])
        if code == "HTTP_REQUEST":
            return (f"the {whose} spoke plain HTTP to the TLS endpoint", "harness",
                    [_tls_finding("SEC-2", Severity.FAIL, f"the {whose} did not use TLS", "A00.FR.306")])
        return f"TLS handshake failed: {text}", "harness", []
    if kind == "timeout":
        return f"the {whose} did not finish the TLS handshake in time", "peer", []
    # EOF or reset: what a peer whose TLS stack refused us without an alert looks like (asyncio sends none)
    return f"the {whose} closed the connection during the TLS handshake ({facts.get('text')})", "peer", []


def failure_findings(recorded: dict[str, Any]) -> list[Finding]:
    """The findings of a recorded failed TLS handshake (`TlsFailure.to_json()`), judged again from its facts."""
    return judge_tls_failure(recorded.get("facts") or {})[2]


# ---- the end of a connection -----------------------------------------------------------------------------------
CloseCause = Literal["too_big", "protocol", "utf8"] | None


def judge_close(code: int | None, reason: str, cause: CloseCause, cause_text: str,
                unanswered: Sequence[tuple[str, str]]) -> list[Finding]:
    """How the end of a connection broke the rules (nothing for a clean close by either side); `unanswered`:
    (action, message id) of the harness's CALLs still open."""
    found: list[Finding] = []
    if cause == "too_big":
        found.append(finding("WS-1", Severity.FAIL, f"{cause_text}; connection failed with 1009 (not read further)"))
    elif cause == "protocol":
        found.append(finding("RPC-01", Severity.FAIL, f"WebSocket protocol error: {cause_text}"))
    elif code == 1006:
        found.append(finding("RPC-01", Severity.WARN, "connection ended without a close frame (1006)"))
    elif code not in (1000, 1001) and cause != "utf8":
        found.append(finding("RPC-01", Severity.WARN, f"connection closed with code {code} {reason[:60]!r}"))
    for action, message_id in unanswered:
        found.append(finding("RPC-01", Severity.WARN, f"connection ended while the harness's {action} (id "
                                                      f"{message_id!r}) was unanswered"))
    return found


def undecodable(data: bytes) -> list[Finding]:
    """RPC-05 for a text message that is not UTF-8 (the WebSocket layer refused it with 1007)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [finding("RPC-05", Severity.FAIL, f"text message is not valid UTF-8: {exc.reason} at byte "
                                                 f"{exc.start}; connection failed with 1007")]
    return []


def judge_timeout(action: str, message_id: str, after: float, *, silence_allowed: bool = False) -> list[Finding]:
    severity, allowed = (Severity.INFO, " (no answer allowed)") if silence_allowed else (Severity.FAIL, "")
    return [finding("TIMING", severity, f"no answer to {action} (id {message_id!r}) within {after:g} s{allowed}")]


# ---- the monitor of one peer's connections ---------------------------------------------------------------------
class Monitor:
    """The stateful part: one RPC session per connection and, with `transactions`, the transaction invariants of
    the station's whole session. One per SUT identity (the CSMS role) or per connection owner."""

    def __init__(self, schemas: SchemaStore, *, strictness: Strictness = "strict", transactions: bool = False,
                 clock_tolerance: float = 4.0) -> None:
        self.schemas = schemas
        self.strictness = strictness
        self.invariants = TransactionInvariants(clock_tolerance=clock_tolerance) if transactions else None
        self.sessions: dict[int, RpcSession] = {}
        self.connectors: dict[int, set[tuple[int, int]]] = {}  # connection -> connectors reported since its boot

    def session(self, conn: int, session: RpcSession | None = None) -> RpcSession:
        """The RPC session of connection `conn` (adopting `session` when given and the connection is new)."""
        found = self.sessions.get(conn)
        if found is None:
            found = self.sessions[conn] = session or RpcSession(self.schemas, strictness=self.strictness)
        return found

    def opened(self, conn: int, at: datetime) -> None:
        if self.invariants is not None:
            self.invariants.connection_opened(conn, at)

    def received(self, conn: int, data: str | bytes) -> Inbound:
        """A frame from the peer: the frame rules, the session's rules, and the transaction invariants."""
        inbound = self.session(conn).receive(data)
        if isinstance(inbound.frame, Call) and inbound.valid:
            if self.invariants is not None:
                inbound.findings += self.invariants.inspect(conn, inbound.frame)
            reported = self.connectors.get(conn)
            if reported is not None:
                reported.update((e, c) for e, c, _ in connector_reports(inbound.frame.action, inbound.frame.payload))
        return inbound

    def boot_accepted(self, conn: int) -> None:
        """The harness answered the station's BootNotification Accepted: ST-1 collects the connector states
        reported on `conn` from now on."""
        self.connectors[conn] = set()

    def connectors_reported(self, conn: int, wanted: Iterable[tuple[int, int]], within: float) -> list[Finding] | None:
        """ST-1 at its deadline: a finding naming each connector of `wanted` (evseId, connectorId) not reported
        since the accepted boot; None when no accepted boot is being watched on `conn` (closed, or never seen)."""
        reported = self.connectors.pop(conn, None)
        if reported is None:
            return None
        missing = sorted(set(wanted) - reported)
        if not missing:
            return []
        text = ", ".join(f"EVSE {e} connector {c}" for e, c in missing)
        return [finding("ST-1", Severity.FAIL, f"no connector state (StatusNotification or NotifyEvent) for {text} "
                                               f"within {within:g} s of the accepted boot")]

    def sent(self, conn: int, text: str) -> tuple[list[Finding], Frame | None, Call | None]:
        """A frame the harness sent, judged offline from its text. Live, the harness built it with the session's
        `call()` / `result()` / `error()` / `raw()`; offline the answer to the peer's CALL goes through `result()`
        / `error()` (which check it and mark the CALL answered), everything else as `raw()` judges a frame sent
        as-is (the harness's own CALLs then register as outstanding the same way)."""
        session = self.session(conn)
        frame = parse(text, strictness=self.strictness).frame
        canonical = frame is not None and serialize(frame) == text
        if canonical and isinstance(frame, CallResult) and frame.message_id in session.unanswered:
            request = session.unanswered[frame.message_id]
            if request.action == "BootNotification" and frame.payload.get("status") == "Accepted":
                self.boot_accepted(conn)
            return session.result(request, frame.payload).findings, frame, request
        if canonical and isinstance(frame, CallError):
            return session.error(frame).findings, frame, None
        out = session.raw(text)
        return out.findings, out.frame, None

    def release(self, conn: int, message_id: str) -> bool:
        """The peer's CALL, left unanswered on purpose, stops blocking its next CALL (RPC-15): after the peer's
        message timeout, or at once (a fault switch). False when it was not waiting (answered, or gone)."""
        session = self.sessions.get(conn)
        return session is not None and session.unanswered.pop(message_id, None) is not None

    def timeout(self, conn: int, message_id: str, action: str, after: float, *,
                silence_allowed: bool = False) -> list[Finding]:
        """The harness gave up on its CALL: a later answer is judged late."""
        self.session(conn).expire(message_id)
        return judge_timeout(action, message_id, after, silence_allowed=silence_allowed)

    def closed(self, conn: int, code: int | None, reason: str, cause: CloseCause = None,
               cause_text: str = "") -> list[Finding]:
        session = self.sessions.pop(conn, None)  # nothing more comes on it
        self.connectors.pop(conn, None)
        unanswered = [(c.action, c.message_id) for c in session.outstanding.values()] if session else []
        return judge_close(code, reason, cause, cause_text, unanswered)


def connector_reports(action: str, payload: Mapping[str, Any]) -> list[tuple[int, int, str]]:
    """(evseId, connectorId, state) of every connector state a CALL reports: a StatusNotification, or the
    Connector AvailabilityState entries of a NotifyEvent (Part 6 accepts either)."""
    if action == "StatusNotification":
        evse, connector = payload.get("evseId"), payload.get("connectorId")
        if isinstance(evse, int) and isinstance(connector, int):
            return [(evse, connector, str(payload.get("connectorStatus")))]
        return []
    if action != "NotifyEvent":
        return []
    found = []
    for entry in payload.get("eventData") or []:
        component = entry.get("component") if isinstance(entry, Mapping) else None
        if not isinstance(component, Mapping) or component.get("name") != "Connector":
            continue
        where = component.get("evse") or {}
        if (entry.get("variable") or {}).get("name") == "AvailabilityState" and isinstance(where.get("id"), int) \
                and isinstance(where.get("connectorId"), int):
            found.append((where["id"], where["connectorId"], str(entry.get("actualValue"))))
    return found
