"""A per-run PKI for security profiles 2 and 3, SignCertificate and signed firmware: the owner of `cryptography`.

`PkiFactory(run_dir)` makes the CSMS root, the station CA, server and station certificates and their bad
`Variant`s, and hands out ready `ssl.SSLContext`s (`server_context(profile)`, `client_context(profile, serial)`)
built by `harness.transport.tls`.
"""

from harness.pki.certinfo import (
    BadCertificate,
    CertificateInfo,
    certificate_hash,
    certificate_info,
    chain_problems,
    same_hash,
    split_pem,
)
from harness.pki.csr import CsrRejected, CsrRequest
from harness.pki.factory import Credential, KeyKind, PkiFactory, Variant, bad_variants, private_pki
from harness.pki.firmware import verify_firmware

__all__ = ["BadCertificate", "CertificateInfo", "Credential", "CsrRejected", "CsrRequest", "KeyKind", "PkiFactory",
           "Variant", "bad_variants", "certificate_hash", "certificate_info", "chain_problems", "private_pki",
           "same_hash", "split_pem", "verify_firmware"]
