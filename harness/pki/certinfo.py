"""What a station and a CSMS must check of a certificate they are handed (M03-M05, A02): its identity in OCPP's
CertificateHashDataType, and whether a CertificateSigned chain may be installed.

Both simulators and both harness roles call these, so `cryptography` stays inside this package (DESIGN.md §3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


class BadCertificate(ValueError):
    """The text is not a usable PEM X.509 certificate; the message says why."""


@dataclass(frozen=True)
class CertificateInfo:
    """The public facts of one certificate."""

    pem: str
    subject_cn: str | None
    issuer_cn: str | None
    serial_hex: str  # lower-case hex without leading zeros, as CertificateHashDataType.serialNumber
    not_before: dt.datetime
    not_after: dt.datetime
    is_ca: bool
    hash_data: dict[str, str]  # CertificateHashDataType with hashAlgorithm SHA256
    fingerprint: str  # SHA-256 of the DER, colon-separated upper-case hex (what `openssl x509 -fingerprint` shows)

    def valid_at(self, now: dt.datetime) -> bool:
        return self.not_before <= now <= self.not_after


def split_pem(bundle: str) -> list[str]:
    """The PEM certificates of a bundle, leaf first as sent."""
    return [m.group(0) for m in _PEM.finditer(bundle)]


def _load(pem: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise BadCertificate(f"not a PEM-encoded X.509 certificate: {str(exc)[:120]}") from None


def rsa_or_dsa_bits(public: object) -> int | None:
    """The size of an RSA or DSA public key (A00.FR.502 wants >= 2048 bits), None for any other kind. DSA is known
    by its class name: `cryptography` deprecates its DSA module (a warning on every use, removal announced), and a
    DSA key must still be judged rather than crash the check."""
    if isinstance(public, rsa.RSAPublicKey) or type(public).__name__ == "DSAPublicKey":
        return int(getattr(public, "key_size"))  # noqa: B009 - DSA's type is not named here on purpose
    return None


def _cn(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def _hash_data(cert: x509.Certificate, issuer_key_der: bytes) -> dict[str, str]:
    """M03/M04: SHA-256 of the issuer's DER name and of the issuer's public key (the subjectPublicKey bits)."""
    return {"hashAlgorithm": "SHA256",
            "issuerNameHash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
            "issuerKeyHash": hashlib.sha256(issuer_key_der).hexdigest(),
            "serialNumber": format(cert.serial_number, "x")}


def _public_key_bits(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING content (what RFC 6960 CertID.issuerKeyHash hashes)."""
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def certificate_info(pem: str, issuer_pem: str | None = None) -> CertificateInfo:
    """The facts of `pem`. issuerKeyHash needs the issuer's key: give `issuer_pem` unless `pem` is self-signed
    (a root), whose own key is its issuer's."""
    cert = _load(pem)
    issuer = _load(issuer_pem) if issuer_pem is not None else cert
    try:
        ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        ca = False
    return CertificateInfo(pem=pem.strip() + "\n", subject_cn=_cn(cert.subject), issuer_cn=_cn(cert.issuer),
                           serial_hex=format(cert.serial_number, "x"), not_before=cert.not_valid_before_utc,
                           not_after=cert.not_valid_after_utc, is_ca=ca,
                           hash_data=_hash_data(cert, _public_key_bits(issuer)),
                           fingerprint=cert.fingerprint(hashes.SHA256()).hex(":").upper())


HASH_ALGORITHMS = {"SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512}


def certificate_hash(pem: str, algorithm: str = "SHA256", issuer_pem: str | None = None) -> dict[str, str]:
    """CertificateHashDataType of `pem` with `algorithm` (HashAlgorithmEnumType: SHA256, SHA384 or SHA512; M04
    lets a CSMS delete by any of them). The issuer as for `certificate_info`."""
    digest = HASH_ALGORITHMS.get(algorithm)
    if digest is None:
        raise ValueError(f"hashAlgorithm {algorithm!r} is not one of {', '.join(HASH_ALGORITHMS)}")
    cert = _load(pem)
    issuer = _load(issuer_pem) if issuer_pem is not None else cert
    return {"hashAlgorithm": algorithm, "issuerNameHash": digest(cert.issuer.public_bytes()).hexdigest(),
            "issuerKeyHash": digest(_public_key_bits(issuer)).hexdigest(),
            "serialNumber": format(cert.serial_number, "x")}


def same_hash(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """CertificateHashDataType equality: hashes case-insensitive, serial numbers without leading zeros."""
    def norm(h: dict[str, Any]) -> tuple[str, str, str, str]:
        return (str(h.get("hashAlgorithm")), str(h.get("issuerNameHash", "")).lower(),
                str(h.get("issuerKeyHash", "")).lower(), str(h.get("serialNumber", "")).lower().lstrip("0"))
    return norm(a) == norm(b)


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    key, algorithm = issuer.public_key(), cert.signature_hash_algorithm
    if algorithm is None:
        return False
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def issued_by(pem: str, issuer_pem: str) -> bool:
    """Whether the certificate `pem` is signed by the key of `issuer_pem` (and names it as its issuer): M05.FR.11,
    a new CSMSRootCertificate under AdditionalRootCertificateCheck must be signed by the installed one."""
    try:
        return _signed_by(_load(pem), _load(issuer_pem))
    except BadCertificate:
        return False


def chain_problems(chain_pem: str, *, trusted: list[str] | None, expected_cn: str | None = None,
                   key_path: Path | None = None, now: dt.datetime | None = None) -> list[str]:
    """Why the leaf of `chain_pem` may not be installed (A02.FR.07/A03: valid PEM, in its validity period, chained
    to a `trusted` root, CN = the serial number, SHA-256, key size, for the key of `key_path`); [] when it may.
    `trusted=None` skips the chain check (the CSMS's CA is unknown and the chain holds only the leaf)."""
    now = now or dt.datetime.now(dt.UTC)
    pems = split_pem(chain_pem)
    if not pems:
        return ["no PEM certificate in the chain"]
    try:
        certs = [_load(p) for p in pems]
        roots = [_load(p) for p in trusted or ()]
    except BadCertificate as exc:
        return [str(exc)]
    leaf, problems = certs[0], []
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        problems.append(f"outside its validity period ({leaf.not_valid_before_utc:%Y-%m-%d} to "
                        f"{leaf.not_valid_after_utc:%Y-%m-%d})")
    if not isinstance(leaf.signature_hash_algorithm, hashes.SHA256 | hashes.SHA384 | hashes.SHA512):
        problems.append("not signed with SHA-256 or stronger (A00.FR.506)")
    public = leaf.public_key()
    bits = rsa_or_dsa_bits(public)
    if bits is not None and bits < 2048:
        problems.append(f"{bits}-bit key; at least 2048 needed (A00.FR.502)")
    if expected_cn is not None and _cn(leaf.subject) != expected_cn:
        problems.append(f"CN {_cn(leaf.subject)!r} is not the serial number {expected_cn!r} (A00.FR.511)")
    if trusted is not None:
        current = leaf
        for issuer in certs[1:] + roots:
            if _signed_by(current, issuer):
                if any(issuer == r for r in roots):
                    break
                current = issuer
        else:
            problems.append("does not chain to a trusted root")
    if key_path is not None:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) \
                != public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
            problems.append("its public key is not the key of the CSR")
    return problems
