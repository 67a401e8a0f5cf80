"""The per-run PKI, checked with `cryptography` itself: each certificate variant is what it claims to be, private keys
stay in 0600 files and out of every repr, CSRs are judged, firmware signatures verify."""

from __future__ import annotations

import datetime as dt
import stat
import warnings
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from harness.errors import ConfigError
from harness.pki import CsrRejected, KeyKind, PkiFactory, Variant, bad_variants, verify_firmware

SERIAL = "SN-0001"


def load(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def verify_signature(cert: x509.Certificate, issuer: x509.Certificate) -> None:
    """Raise unless `issuer` signed `cert` (by hand: `verify_directly_issued_by` refuses SHA-1)."""
    key, digest = issuer.public_key(), cert.signature_hash_algorithm
    assert digest is not None and cert.issuer == issuer.subject
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(digest))
    else:
        assert isinstance(key, rsa.RSAPublicKey)
        key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), digest)


def common_name(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_each_variant_breaks_exactly_the_rule_it_names(tmp_path: Path, kind: KeyKind) -> None:
    pki = PkiFactory(tmp_path, key_kind=kind)
    roots = {"server": load(pki.csms_root_path.read_text()), "station": load(pki.station_ca_path.read_text())}
    now = dt.datetime.now(dt.UTC)
    for role in ("server", "station"):
        for variant in Variant:
            credential = pki.server(variant) if role == "server" else pki.station(SERIAL, variant)
            cert = load(credential.cert_pem)
            good_cn = "127.0.0.1" if role == "server" else SERIAL
            assert (common_name(cert) == good_cn) == (variant is not Variant.WRONG_CN), (role, variant)
            assert (cert.not_valid_after_utc < now) == (variant is Variant.EXPIRED), (role, variant)
            assert (cert.not_valid_before_utc > now) == (variant is Variant.NOT_YET_VALID), (role, variant)
            key = cert.public_key()
            assert (isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048) == (variant is Variant.WEAK_KEY)
            assert cert.signature_hash_algorithm is not None
            assert (cert.signature_hash_algorithm.name == "sha1") == (variant is Variant.SHA1), (role, variant)
            if variant is Variant.UNKNOWN_CA:
                assert cert.issuer not in (roots["server"].subject, roots["station"].subject)
            else:
                verify_signature(cert, roots[role])
            assert cert.serial_number > 0
            assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)


def test_private_keys_are_0600_files_and_in_no_repr_and_no_certificate_file(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    pki = PkiFactory(run_dir)
    made = [pki.server(), pki.station(SERIAL), pki.server(Variant.WEAK_KEY), pki.firmware_signer()]
    request = pki.new_csr("SN-CSR")
    assert stat.S_IMODE(run_dir.stat().st_mode) == 0o700
    keys = sorted(run_dir.glob("*.key.pem"))
    assert {c.key_path for c in made} | {request.key_path} <= set(keys)
    secrets = []
    for path in keys:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        secrets.append(path.read_text().splitlines()[1])  # a line of the Base64 key material
    for path in set(run_dir.iterdir()) - set(keys):
        assert "PRIVATE KEY" not in path.read_text(), path
    shown = " ".join([repr(pki), *map(repr, made), repr(request)])
    assert "PRIVATE" not in shown and not any(secret in shown for secret in secrets)


def test_names_that_would_leave_the_run_directory_are_refused(tmp_path: Path) -> None:
    pki = PkiFactory(tmp_path)
    for bad in ("../x", "a/b", "..", ""):
        with pytest.raises(ConfigError):
            pki.station(bad)
        with pytest.raises(ConfigError):
            pki.new_csr(bad)
    with pytest.raises(ConfigError):
        pki.server_context(1)
    with pytest.raises(ConfigError):
        pki.client_context(3)  # profile 3 needs the serial number


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_sign_csr_issues_a_station_certificate_from_the_station_ca(tmp_path: Path, kind: KeyKind) -> None:
    pki = PkiFactory(tmp_path)
    request = pki.new_csr(SERIAL, kind=kind)
    leaf, ca = x509.load_pem_x509_certificates(pki.sign_csr(request.csr_pem, expected_cn=SERIAL).encode("ascii"))
    assert ca == load(pki.station_ca_path.read_text())
    leaf.verify_directly_issued_by(ca)
    assert common_name(leaf) == SERIAL


def test_sign_csr_refuses_a_wrong_cn_a_weak_key_and_garbage(tmp_path: Path) -> None:
    pki = PkiFactory(tmp_path)
    with pytest.raises(CsrRejected, match="not the station serial number"):
        pki.sign_csr(pki.new_csr("SN-OTHER").csr_pem, expected_cn=SERIAL)
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERIAL)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(weak, hashes.SHA256())
    with pytest.raises(CsrRejected, match=r"A00\.FR\.502"):
        pki.sign_csr(csr.public_bytes(Encoding.PEM).decode("ascii"), expected_cn=SERIAL)
    with pytest.raises(CsrRejected, match="PKCS#10"):
        pki.sign_csr("not a csr")


@pytest.mark.filterwarnings("ignore:DSA is deprecated")  # cryptography's, as it loads the CSR's DSA key
def test_a_dsa_key_is_judged_by_its_size_too(tmp_path: Path) -> None:
    """A00.FR.502 names RSA and DSA; the harness knows DSA without the module `cryptography` deprecates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation warning of cryptography's DSA module, used here alone
        from cryptography.hazmat.primitives.asymmetric import dsa
        weak = dsa.generate_private_key(key_size=1024)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERIAL)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(weak, hashes.SHA256())
    with pytest.raises(CsrRejected, match=r"1024-bit key; RSA/DSA needs at least 2048"):
        PkiFactory(tmp_path).sign_csr(csr.public_bytes(Encoding.PEM).decode("ascii"), expected_cn=SERIAL)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_firmware_signatures_verify_and_a_changed_image_does_not(tmp_path: Path, kind: KeyKind) -> None:
    pki = PkiFactory(tmp_path)
    image = b"firmware image \x00\x01" * 100
    signature = pki.sign_firmware(image, kind=kind)
    signer = pki.firmware_signer(kind=kind)
    assert verify_firmware(image, signature, signer.cert_pem)
    assert not verify_firmware(image + b"!", signature, signer.cert_pem)
    assert not verify_firmware(image, "not base64!", signer.cert_pem)
    assert isinstance(load(signer.cert_pem).public_key(), ec.EllipticCurvePublicKey if kind == "ec" else rsa.RSAPublicKey)


def test_bad_variants_reads_a_policy_answer() -> None:
    assert bad_variants("all") == [v for v in Variant if v is not Variant.GOOD]
    assert bad_variants("expired") == [Variant.EXPIRED]
    assert bad_variants(["wrong-cn", "sha1-signature"]) == [Variant.WRONG_CN, Variant.SHA1]
    for wrong in (["good"], "expird", [], 3):
        with pytest.raises(ConfigError, match="is not a bad certificate variant"):
            bad_variants(wrong, source="policy tls.x")
