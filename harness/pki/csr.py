"""SignCertificate (A02/A03): judge a station's CSR and issue its certificate from the station CA.

The CSMS side calls `sign_csr` with the `csr` field of SignCertificateRequest and sends the returned chain in
CertificateSignedRequest.certificateChain. The station side (a simulator) calls `new_csr` to make one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from harness.pki.certinfo import rsa_or_dsa_bits

if TYPE_CHECKING:
    from harness.pki.factory import KeyKind, PkiFactory


class CsrRejected(ValueError):
    """The CSR cannot be signed; the text says which rule it breaks (answer SignCertificate with Rejected)."""


@dataclass(frozen=True)
class CsrRequest:
    """A CSR as a station sends it, and where its private key lies (mode 0600)."""

    csr_pem: str
    key_path: Path


def new_csr(factory: PkiFactory, common_name: str, *, organisation: str | None = None,
            kind: KeyKind = "rsa") -> CsrRequest:
    """A fresh key and a CSR for it with CN = `common_name` (the serial number) and O = `organisation`."""
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        ec.generate_private_key(ec.SECP256R1()) if kind == "ec"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation or factory.organisation)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    key_path = factory._write_key(key, f"csr-{common_name}-{kind}")
    return CsrRequest(csr.public_bytes(serialization.Encoding.PEM).decode("ascii"), key_path)


def sign_csr(factory: PkiFactory, csr_pem: str, *, expected_cn: str | None = None, days: int = 365) -> str:
    """Check the CSR (PEM, own signature, key size, CN) and return the PEM chain: new leaf, then the station CA."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise CsrRejected(f"not a PEM-encoded PKCS#10 CSR (RFC 2986): {exc}") from exc
    if not csr.is_signature_valid:
        raise CsrRejected("the CSR signature does not verify with its own public key")
    public = csr.public_key()
    bits = rsa_or_dsa_bits(public)
    if bits is not None:
        if bits < 2048:
            raise CsrRejected(f"{bits}-bit key; RSA/DSA needs at least 2048 (A00.FR.502)")
    elif isinstance(public, ec.EllipticCurvePublicKey):
        if public.curve.key_size < 224:
            raise CsrRejected(f"{public.curve.key_size}-bit EC key; at least 224 needed (A00.FR.503)")
    else:
        raise CsrRejected(f"unsupported key type {type(public).__name__}")
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else None
    if not common_name:
        raise CsrRejected("the CSR subject has no CN (A00.FR.511)")
    if expected_cn is not None and common_name != expected_cn:
        raise CsrRejected(f"CSR CN {common_name!r} is not the station serial number {expected_cn!r} (A00.FR.511)")
    ca_cert, ca_key = factory._station_ca()
    now = dt.datetime.now(dt.UTC)
    # The subject is taken from the CSR; extensions are the CA's choice, never copied from the request.
    cert = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_cert.subject)
            .public_key(public).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in (cert, ca_cert))
