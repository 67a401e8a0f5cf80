"""Signed firmware (L01, UpdateFirmware): `firmware.signature` is the Base64 signature of the whole image, made
with the key of `firmware.signingCertificate`.

The format is what `openssl dgst -sha256 -sign key -out sig image` produces and what stations verify with
`openssl dgst -sha256 -verify`: ECDSA with SHA-256 (DER-encoded r, s) for an EC key, RSASSA-PKCS1-v1_5 with SHA-256
for an RSA key.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

if TYPE_CHECKING:
    from harness.pki.factory import KeyKind, PkiFactory


def sign_firmware(factory: PkiFactory, image: bytes, *, kind: KeyKind = "ec") -> str:
    """The Base64 signature of `image` with the factory's firmware signing key of `kind`."""
    key = factory._firmware_key(kind)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(image, ec.ECDSA(hashes.SHA256()))
    else:
        signature = key.sign(image, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify_firmware(image: bytes, signature_b64: str, certificate_pem: str) -> bool:
    """True when `signature_b64` is a valid signature of `image` by the key of `certificate_pem`."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public = x509.load_pem_x509_certificate(certificate_pem.encode("ascii")).public_key()
    except (binascii.Error, ValueError):
        return False
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, image, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, image, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True
