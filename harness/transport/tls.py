"""TLS for security profiles 2 and 3: the SSL contexts of both roles and the judgement of what a handshake showed.

Profile 2: the CSMS authenticates with its server certificate, the station with HTTP Basic Auth. Profile 3: both
present certificates (mutual TLS), no Basic Auth. Both ends: TLS 1.2 or newer (A00.FR.312-315), the cipher suites
of A00.FR.318 for TLS 1.2 (TLS 1.3 keeps OpenSSL's defaults, all AEAD), no compression (A00.FR.321).

OpenSSL verifies what it can, so a bad certificate is refused *during* the handshake, before a Basic Auth password
is sent: chain, validity period, host name and, through security level 2, the key sizes and digests of
A00.FR.502/503/506 (RSA/DSA >= 2048 bits, EC >= 224 bits, no SHA-1). What OpenSSL does not check (a station CN
that is not its serial number, a missing O) is judged here after the handshake, and so is the CSMS certificate's
name against the host the test expects (by default the endpoint's), the way TLS judges a name: a SAN IP address
for an IP literal, a SAN DNS name otherwise (the CN only when there is none).

This layer takes file paths and returns `ssl.SSLContext`s; `harness.pki` makes the files (and owns `cryptography`).

    server_context / client_context  ->  OcppServer(ssl=...) / ClientOptions(ssl=...)
    a completed handshake            ->  read_session(ssl_object, ...)   -> TlsSession (facts and findings)
    a failed handshake               ->  classify_failure(exc, ...)      -> TlsFailure (who refused, why, findings)
"""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from harness.errors import ConfigError
from harness.ocppj.findings import Finding
from harness.ocppj.monitor import OCPP_TLS12_SUITES as OCPP_TLS12_SUITES  # judged there, named here too
from harness.ocppj.monitor import SAN_PREFIX, judge_tls_failure, judge_tls_session
from harness.ocppj.monitor import names_host as names_host

Peer = Literal["station", "csms"]  # the other end of the connection: whose certificate is judged
_Rdns = tuple[tuple[tuple[str, str], ...], ...]  # "subject" of SSLObject.getpeercert(): ((("commonName", "x"),),)

# OpenSSL security level 2: >= 112-bit security, i.e. RSA/DSA >= 2048, EC >= 224, no SHA-1 (A00.FR.502/503/506).
SECURITY_LEVEL = 2
# TLS 1.1 has no GCM suites: these CBC suites (SHA-1 MAC) are what a TLS 1.1 peer agrees, at security level 0 only.
OLD_TLS_SUITES: tuple[str, ...] = ("ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "AES128-SHA",
                                   "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA", "AES256-SHA")


# ---- contexts ------------------------------------------------------------------------------------------------
def server_context(certificates: Sequence[tuple[Path, Path]], *, client_ca: Path | None = None,
                   security_level: int = SECURITY_LEVEL) -> ssl.SSLContext:
    """The CSMS side: one (certificate chain, private key) file pair per key type (RSA and EC: every suite).

    With `client_ca` (security profile 3) a client certificate issued by that CA is required.
    `security_level` below 2 only to *present* a weak certificate on purpose; it also stops refusing weak ones.
    """
    if not certificates:
        raise ConfigError("a TLS server needs at least one certificate")
    context = _context(ssl.PROTOCOL_TLS_SERVER, OCPP_TLS12_SUITES, ssl.TLSVersion.TLSv1_2, None, security_level)
    for cert, key in certificates:
        _load_chain(context, cert, key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        _load_trust(context, client_ca)
    return context


def client_context(trust: Path, *, certificate: tuple[Path, Path] | None = None,
                   suites: Sequence[str] = OCPP_TLS12_SUITES, minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
                   maximum: ssl.TLSVersion | None = None, security_level: int = SECURITY_LEVEL) -> ssl.SSLContext:
    """The station side: trust the CSMS root in `trust` and check the host name; with `certificate` (profile 3)
    present it.

    `suites`, `minimum`, `maximum` and `security_level` can be changed on purpose, e.g. to probe one suite or to
    offer TLS 1.1 (which needs security level 0) to a CSMS under test.
    """
    context = _context(ssl.PROTOCOL_TLS_CLIENT, suites, minimum, maximum, security_level)
    _load_trust(context, trust)
    if certificate is not None:
        _load_chain(context, *certificate)
    return context


def _context(protocol: ssl._SSLMethod, suites: Sequence[str], minimum: ssl.TLSVersion,
             maximum: ssl.TLSVersion | None, security_level: int) -> ssl.SSLContext:
    context = ssl.SSLContext(protocol)  # PROTOCOL_TLS_CLIENT: CERT_REQUIRED and check_hostname already on
    context.minimum_version = minimum
    if maximum is not None:
        context.maximum_version = maximum
    try:
        context.set_ciphers(":".join(suites) + f":@SECLEVEL={security_level}")
    except ssl.SSLError as exc:
        raise ConfigError(f"OpenSSL knows none of the cipher suites {list(suites)}: {exc}") from exc
    context.options |= ssl.OP_NO_COMPRESSION  # A00.FR.321
    return context


def allow_old_tls(context: ssl.SSLContext, *, only: bool = False) -> ssl.SSLContext:
    """Make `context` accept TLS 1.1 as well (`only`: TLS 1.1 and nothing newer), on purpose: to test that a peer
    refuses it (A00.FR.313-316), or as a simulator's fault. Needs security level 0 (OpenSSL 3 refuses TLS < 1.2
    above it), so the peer's certificate is then judged less strictly too. Returns `context`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # ssl.TLSVersion.TLSv1_1 is deprecated: that's the point
        context.minimum_version = ssl.TLSVersion.TLSv1_1
        if only:
            context.maximum_version = ssl.TLSVersion.TLSv1_1
    suites = OLD_TLS_SUITES if only else OCPP_TLS12_SUITES + OLD_TLS_SUITES
    context.set_ciphers(":".join(suites) + ":@SECLEVEL=0")
    return context


def _load_chain(context: ssl.SSLContext, cert: Path, key: Path) -> None:
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:  # the message names the file, never its content
        raise ConfigError(f"cannot load the certificate {cert} with its key: {exc}") from exc


def _load_trust(context: ssl.SSLContext, path: Path) -> None:
    try:
        context.load_verify_locations(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load the trusted CA certificate {path}: {exc}") from exc


# ---- a completed handshake -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TlsSession:
    """The facts of one completed TLS handshake, and their findings (SEC-2, SEC-3, SEC-4, judged by the monitor)."""

    version: str | None
    cipher: str | None
    peer_cn: str | None = None  # subject CN of the peer's certificate; None when it sent none (profile 2 station)
    peer_organization: str | None = None
    peer_serial: str | None = None  # certificate serial number, hex
    findings: tuple[Finding, ...] = ()
    peer_san: tuple[str, ...] = ()  # subjectAltName entries as "DNS:name" / "IP:address"
    compression: str | None = None
    peer: Peer = "station"  # whose certificate was judged
    expected_cn: str | None = None  # what the peer's certificate had to name (None: not checked)
    certificate: bool = False  # the peer sent a certificate

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "cipher": self.cipher, "peer_cn": self.peer_cn,
                "peer_organization": self.peer_organization, "peer_serial": self.peer_serial,
                "peer_san": list(self.peer_san), "compression": self.compression, "peer": self.peer,
                "expected_cn": self.expected_cn, "certificate": self.certificate}


def read_session(ssl_object: ssl.SSLObject | ssl.SSLSocket, *, peer: Peer, expected_cn: str | None) -> TlsSession:
    """Read a completed handshake's facts, judged by the monitor: the session (SEC-2) and the peer's verified
    certificate, when it sent one.

    `expected_cn` is what the peer's certificate must name: the station serial number as its CN (A00.FR.405,
    SEC-3), or the CSMS host of the endpoint (A00.FR.510, SEC-4), judged as TLS judges a host name; None skips
    that check.
    """
    version, cipher = ssl_object.version(), ssl_object.cipher()
    subject: dict[str, str] = {}
    serial: str | None = None
    sans: list[tuple[str, str]] = []
    cert = ssl_object.getpeercert()  # verified by OpenSSL; {} or None when the peer sent no certificate
    if cert:
        for rdn in cast(_Rdns, cert.get("subject", ())):
            for name, value in rdn:
                subject.setdefault(name, value)
        serial = str(cert.get("serialNumber") or "") or None
        sans = [(kind, str(value).strip()) for kind, value in cast(tuple[tuple[str, str], ...],
                                                                   cert.get("subjectAltName", ()))]
    facts = TlsSession(version=version, cipher=cipher[0] if cipher else None, peer_cn=subject.get("commonName"),
                       peer_organization=subject.get("organizationName"), peer_serial=serial,
                       peer_san=tuple(f"{SAN_PREFIX.get(k, k)}:{v}" for k, v in sans),
                       compression=ssl_object.compression(), peer=peer, expected_cn=expected_cn,
                       certificate=bool(cert))
    return replace(facts, findings=tuple(judge_tls_session(facts.to_json())))


def refuses_the_station(session: TlsSession) -> bool:
    """True when the CSMS side must close the connection: the station certificate's CN is not its serial number
    (A00.FR.405/407, B01.FR.12)."""
    return any(f.rule == "SEC-3" for f in session.findings)


# ---- a failed handshake --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TlsFailure:
    """A TLS handshake that did not complete: who refused, why, and the findings that says about the peer."""

    reason: str
    refused_by: Literal["harness", "peer"]  # harness: our OpenSSL refused the peer; peer: the peer refused or left
    code: str | None = None  # OpenSSL's reason code, e.g. CERTIFICATE_VERIFY_FAILED
    verify_code: int | None = None  # X509_V_ERR_*, when a certificate was refused
    findings: tuple[Finding, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)  # what the handshake raised (tls_failure_facts)

    def to_json(self) -> dict[str, Any]:
        return {"reason": self.reason, "refused_by": self.refused_by, "code": self.code,
                "verify_code": self.verify_code, "findings": [f.to_json() for f in self.findings],
                "facts": self.facts}


def classify_failure(exc: BaseException, *, peer: Peer) -> TlsFailure:
    """Turn what a failed TLS handshake raised into its facts, judged by the monitor; `peer` is the other end."""
    facts = tls_failure_facts(exc, peer=peer)
    reason, refused_by, findings = judge_tls_failure(facts)
    return TlsFailure(reason, refused_by, facts.get("code"), facts.get("verify_code"), tuple(findings), facts)


def tls_failure_facts(exc: BaseException, *, peer: Peer) -> dict[str, Any]:
    """What a failed TLS handshake raised, as the facts a transcript keeps (`judge_tls_failure` reads them)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return {"peer": peer, "error": "verify", "code": exc.reason, "verify_code": exc.verify_code,
                "text": str(exc.verify_message or exc)}
    if isinstance(exc, ssl.SSLError):
        return {"peer": peer, "error": "ssl", "code": exc.reason if isinstance(exc.reason, str) else None,
                "verify_code": None, "text": str(exc)}
    if isinstance(exc, TimeoutError):
        return {"peer": peer, "error": "timeout", "code": None, "verify_code": None, "text": ""}
    return {"peer": peer, "error": "closed", "code": None, "verify_code": None,
            "text": f"{type(exc).__name__}{f': {exc}' if str(exc) else ''}"}
