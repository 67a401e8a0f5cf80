"""A throw-away PKI for one run: CSMS root, station CA, server and station certificates, and their bad variants.

Everything is written into the run directory the factory is given (created 0700 when missing). Private keys go to
`*.key.pem` files with mode 0600 and nowhere else: not into other files, not into a repr, not into a log; the
public API hands out their paths, never the keys. Keys are generated once per factory and slot and reused (e.g.
all station certificates of one key kind share a key), so a whole set costs a few RSA key generations.

Trust layout: two separate roots. The *CSMS root* issues the CSMS server certificate (what a station installs as
CSMSRootCertificate); the *station CA* issues station certificates and signs CSRs (what the CSMS trusts for client
certificates under security profile 3). A third, *foreign* root issues the unknown-CA variants; nobody trusts it.

A lab SUT has to trust these roots before a run, so `private_pki(kept=dir)` keeps the authorities (certificate and
key) in a directory the lab chooses and later runs reuse them; leaves are made anew in the run directory either
way, and go with it. A SUT that brings its own CA (a CSMS's server certificate, a station's client certificate) is
trusted through `csms_trust` / `station_trust`: CA files accepted beside the run's own root on that side.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import re
import shutil
import ssl
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from harness.errors import ConfigError
from harness.pki import csr, firmware
from harness.pki.certinfo import BadCertificate, certificate_info, split_pem
from harness.transport import tls

KeyKind = Literal["rsa", "ec"]
OldTls = Literal["refuse", "accept", "only"]  # TLS 1.1: refused (OCPP), accepted too, or the only version
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_DAY = dt.timedelta(days=1)
_FILE_NAME = re.compile(r"[A-Za-z0-9._\-:+=@|*]{1,64}")


class Variant(str, Enum):
    """How a leaf certificate is made; everything but GOOD breaks one rule on purpose."""

    GOOD = "good"
    EXPIRED = "expired"  # notAfter lies in the past
    NOT_YET_VALID = "not-yet-valid"  # notBefore lies in the future
    UNKNOWN_CA = "unknown-ca"  # issued by a self-signed root nobody trusts
    WEAK_KEY = "rsa-1024"  # RSA key of 1024 bits (A00.FR.502 wants >= 2048)
    WRONG_CN = "wrong-cn"  # server: CN and SAN name another host; station: CN is not the serial number
    SHA1 = "sha1-signature"  # signed with SHA-1 (A00.FR.506 wants SHA-256)


def bad_variants(answer: object, *, source: str = "policy") -> list[Variant]:
    """The bad variants a policy answer names: "all", one variant name, or a list of names; a ConfigError (the
    run's set-up is wrong, not the SUT) names the unknown ones and `source`."""
    bad = {v.value: v for v in Variant if v is not Variant.GOOD}
    names = list(bad) if answer == "all" else [answer] if isinstance(answer, str) else (
        list(answer) if isinstance(answer, list | tuple) else [answer])
    unknown = [str(n) for n in names if n not in bad]
    if unknown or not names:
        raise ConfigError(f"{source}: {unknown or 'nothing'} is not a bad certificate variant; known: {sorted(bad)} "
                          "or 'all'")
    return [bad[str(n)] for n in names]


@dataclass(frozen=True)
class Credential:
    """A certificate and where its private key lies. The key itself is never held here."""

    name: str
    common_name: str
    variant: Variant
    cert_path: Path  # leaf first, then the issuing CA: what `load_cert_chain` and a peer need
    key_path: Path  # mode 0600
    cert_pem: str = field(repr=False)  # the leaf alone (public)
    chain_pem: str = field(repr=False)  # the content of cert_path (public)


@dataclass(frozen=True)
class _Authority:
    name: str
    cert: x509.Certificate
    key: PrivateKey = field(repr=False)
    path: Path


class PkiFactory:
    """Makes and caches the certificates of one run inside `run_dir` (created if missing).

    `host` is the CSMS endpoint host: the server certificate's CN, and a SAN next to 127.0.0.1 and localhost.
    `key_kind` is the default for leaves and CAs: RSA 2048 or EC P-256.

    `authority_dir`: authorities are read from there when there (else made and kept there, key 0600, valid
    `AUTHORITY_DAYS`), so the roots a lab installed once stay valid across runs; None: in `run_dir`, for this
    run only. `csms_trust` / `station_trust`: further CA certificate files the station side accepts for a CSMS
    server certificate / the CSMS side accepts for a station client certificate (a SUT with its own CA).
    """

    AUTHORITY_DAYS = 3650  # a kept root: a lab installs it once

    def __init__(self, run_dir: Path, *, host: str = "127.0.0.1", organisation: str = "Harness Test CSO",
                 key_kind: KeyKind = "rsa", valid_days: int = 30, authority_dir: Path | None = None,
                 csms_trust: Sequence[Path] = (), station_trust: Sequence[Path] = ()) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.host = host
        self.organisation = organisation
        self.key_kind: KeyKind = key_kind
        self.valid_days = valid_days
        self.authority_dir = authority_dir
        if authority_dir is not None:
            authority_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Read once, here: a wrong path or a file of no CA certificate stops the run at once, naming the file.
        self._extra_trust = {"csms": [_read_ca_file(Path(p)) for p in csms_trust],
                             "station": [_read_ca_file(Path(p)) for p in station_trust]}
        self._bundles: set[str] = set()
        self._keys: dict[str, PrivateKey] = {}
        self._authorities: dict[str, _Authority] = {}
        self._credentials: dict[tuple[str, ...], Credential] = {}

    def __repr__(self) -> str:
        return (f"PkiFactory(run_dir={str(self.run_dir)!r}, host={self.host!r}, key_kind={self.key_kind!r}, "
                f"authority_dir={str(self.authority_dir) if self.authority_dir else None!r})")

    # ---- authorities -----------------------------------------------------------------------------------------
    @property
    def csms_root_path(self) -> Path:
        """PEM of the CSMS root: what the station side trusts (CSMSRootCertificate)."""
        return self._authority("csms-root", "Harness CSMS Root CA").path

    @property
    def station_ca_path(self) -> Path:
        """PEM of the station CA: what the CSMS side trusts for client certificates, and the CSR signer."""
        return self._authority("station-ca", "Harness Station CA").path

    @property
    def csms_trust_path(self) -> Path:
        """PEM bundle the station side trusts for a CSMS certificate: the CSMS root and any `csms_trust` CA."""
        return self._bundle("csms", self.csms_root_path)

    @property
    def station_trust_path(self) -> Path:
        """PEM bundle the CSMS side trusts for a station certificate: the station CA and any `station_trust` CA."""
        return self._bundle("station", self.station_ca_path)

    def csms_roots(self) -> list[str]:
        """Each CA certificate (PEM) the station side trusts for a CSMS, one per item: the CSMS root first."""
        return [self.csms_root_path.read_text(), *(pem for text in self._extra_trust["csms"] for pem in split_pem(text))]

    def _bundle(self, side: str, own: Path) -> Path:
        extra = self._extra_trust[side]
        if not extra:
            return own
        path = self.run_dir / f"{side}-trust.pem"
        if side not in self._bundles:  # written once per run
            path.write_text("".join([own.read_text(), *extra]))
            self._bundles.add(side)
        return path

    def ca_certificate(self, name: str) -> str:
        """PEM of a further self-signed CA called `name` (made once per run): a certificate to install and
        delete in the certificate-management cases without touching the roots a connection depends on."""
        _check_file_name(name, "CA name")
        return self._authority(f"extra-{name}", f"Harness {name} CA").path.read_text()

    def expired_ca_certificate(self, name: str) -> str:
        """PEM of a self-signed CA called `name` whose validity ended yesterday (TC_M_07_CS: <Generated Expired
        Certificate>, which a station must refuse to install)."""
        _check_file_name(name, "CA name")
        key = self._key(f"expired-{name}", self.key_kind)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Harness expired {name} CA"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation)])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - 30 * _DAY).not_valid_after(now - _DAY)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    def successor_root(self, name: str) -> str:
        """PEM of a new CSMS root called `name`, a CA certificate signed by the run's CSMS root (Part 6 TC_M_30/31_CS:
        <Configured new CSMS Root certificate 2>, which AdditionalRootCertificateCheck lets a station install)."""
        _check_file_name(name, "CA name")
        slot = f"successor-{name}"
        if slot not in self._authorities:
            old = self._authority("csms-root", "Harness CSMS Root CA")
            key = self._key(slot, self.key_kind)
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Harness {name} CSMS Root CA 2"),
                                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation)])
            now = dt.datetime.now(dt.UTC)
            cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(old.cert.subject)
                    .public_key(key.public_key()).serial_number(x509.random_serial_number())
                    .not_valid_before(now - _DAY).not_valid_after(now + self.valid_days * _DAY)
                    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                    .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                 content_commitment=False, key_encipherment=False,
                                                 data_encipherment=False, key_agreement=False, encipher_only=False,
                                                 decipher_only=False), critical=True)
                    .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                    .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(old.key.public_key()),
                                   critical=False)
                    .sign(old.key, hashes.SHA256()))
            path = self.run_dir / f"{slot}.cert.pem"
            path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            self._authorities[slot] = _Authority(slot, cert, key, path)
        return self._authorities[slot].path.read_text()

    def successor_server_context(self, name: str, profile: int) -> ssl.SSLContext:
        """The CSMS side of `profile` presenting server certificates (RSA and EC) issued by the successor root
        `name` (chain: leaf, successor): valid for a station trusting the successor or the run's CSMS root."""
        _check_profile(profile)
        self.successor_root(name)
        slot = f"successor-{name}"
        chains = [self._leaf(("server", slot, kind), slot, "", self.host, Variant.GOOD, kind,
                             sans=[self.host, "127.0.0.1", "localhost"], usage=ExtendedKeyUsageOID.SERVER_AUTH)
                  for kind in ("rsa", "ec")]
        return tls.server_context([(c.cert_path, c.key_path) for c in chains],
                                  client_ca=self.station_trust_path if profile == 3 else None)

    def _station_ca(self) -> tuple[x509.Certificate, PrivateKey]:
        """The station CA certificate and key, for the CSR signer in this package."""
        authority = self._authority("station-ca", "Harness Station CA")
        return authority.cert, authority.key

    def _authority(self, name: str, title: str) -> _Authority:
        if name not in self._authorities and self.authority_dir is not None:
            kept = self._kept_authority(name, self.authority_dir)
            if kept is not None:
                self._authorities[name] = kept
        if name not in self._authorities:
            key = self._key(name, self.key_kind)
            days = self.valid_days if self.authority_dir is None else self.AUTHORITY_DAYS
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, title),
                                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation)])
            now = dt.datetime.now(dt.UTC)
            cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                    .public_key(key.public_key()).serial_number(x509.random_serial_number())
                    .not_valid_before(now - _DAY).not_valid_after(now + days * _DAY)
                    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                    .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                 content_commitment=False, key_encipherment=False,
                                                 data_encipherment=False, key_agreement=False, encipher_only=False,
                                                 decipher_only=False), critical=True)
                    .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                    .sign(key, hashes.SHA256()))
            folder = self.run_dir if self.authority_dir is None else self.authority_dir
            if self.authority_dir is not None:
                self._write_key(key, name, folder)  # before the certificate: a kept certificate always has its key
            path = folder / f"{name}.cert.pem"
            path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            self._authorities[name] = _Authority(name, cert, key, path)
        return self._authorities[name]

    @staticmethod
    def _kept_authority(name: str, folder: Path) -> _Authority | None:
        """The authority `name` as an earlier run kept it in `folder`, or None when there is none; a kept one that
        cannot serve (expired, not yet valid, its key missing or not its own) is a ConfigError naming the files."""
        cert_path, key_path = folder / f"{name}.cert.pem", folder / f"{name}.key.pem"
        if not cert_path.exists():
            return None
        remedy = f"remove {cert_path} and {key_path} to make a new one (and install that on the SUT again)"
        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"the kept CA {cert_path} or its key cannot be read ({type(exc).__name__}); {remedy}") \
                from None  # the message never carries the key's bytes
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ConfigError(f"the kept CA key {key_path} is neither RSA nor EC; {remedy}")
        spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
            raise ConfigError(f"the kept CA key {key_path} is not the key of {cert_path}; {remedy}")
        now = dt.datetime.now(dt.UTC)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise ConfigError(f"the kept CA {cert_path} is valid from {cert.not_valid_before_utc:%Y-%m-%d} to "
                              f"{cert.not_valid_after_utc:%Y-%m-%d}, not now; {remedy}")
        return _Authority(name, cert, key, cert_path)

    # ---- keys ------------------------------------------------------------------------------------------------
    def _key(self, slot: str, kind: KeyKind, bits: int = 2048) -> PrivateKey:
        cache = f"{slot}/{kind}/{bits}"
        if cache not in self._keys:
            key: PrivateKey
            if kind == "ec":
                key = ec.generate_private_key(ec.SECP256R1())
            else:
                key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            self._keys[cache] = key
        return self._keys[cache]

    def _write_key(self, key: PrivateKey, name: str, folder: Path | None = None) -> Path:
        """Write `key` as unencrypted PKCS#8 PEM to `<folder or run_dir>/<name>.key.pem`, mode 0600 from the first
        byte."""
        path = (folder or self.run_dir) / f"{name}.key.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o600)  # also when the file existed with wider rights
            out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
        return path

    # ---- leaves ----------------------------------------------------------------------------------------------
    def server(self, variant: Variant = Variant.GOOD, *, kind: KeyKind | None = None) -> Credential:
        """The CSMS server certificate (CN = host; SAN host, 127.0.0.1, localhost), or one bad variant of it."""
        kind = kind or self.key_kind
        cn = "wrong-host.invalid" if variant is Variant.WRONG_CN else self.host
        names = [cn] if variant is Variant.WRONG_CN else [self.host, "127.0.0.1", "localhost"]
        return self._leaf(("server", variant.value, kind), "csms-root", "Harness CSMS Root CA", cn, variant, kind,
                          sans=names, usage=ExtendedKeyUsageOID.SERVER_AUTH)

    def server_under(self, root: str, *, kind: KeyKind | None = None) -> Credential:
        """A CSMS server certificate like `server()`, issued by the further CA `root` (`ca_certificate(root)`),
        e.g. the endpoint of a network profile a station must trust through a newly installed CSMS root (B10)."""
        _check_file_name(root, "CA name")
        kind = kind or self.key_kind
        return self._leaf(("server", "under", root, kind), f"extra-{root}", f"Harness {root} CA", self.host,
                          Variant.GOOD, kind, sans=[self.host, "127.0.0.1", "localhost"],
                          usage=ExtendedKeyUsageOID.SERVER_AUTH)

    def station(self, serial: str, variant: Variant = Variant.GOOD, *, kind: KeyKind | None = None) -> Credential:
        """A station client certificate (CN = serial number, O = the organisation), or one bad variant of it."""
        _check_file_name(serial, "station serial number")
        kind = kind or self.key_kind
        cn = f"NOT-{serial}" if variant is Variant.WRONG_CN else serial
        return self._leaf(("station", serial, variant.value, kind), "station-ca", "Harness Station CA", cn, variant,
                          kind, sans=[], usage=ExtendedKeyUsageOID.CLIENT_AUTH)

    def firmware_signer(self, *, kind: KeyKind = "ec", variant: Variant = Variant.GOOD) -> Credential:
        """The firmware signing certificate (UpdateFirmware `signingCertificate`), issued by the CSMS root; another
        `variant` has the same key (signatures still verify) and breaks one rule (UNKNOWN_CA: TC_L_05_CS)."""
        cache = ("firmware", kind) if variant is Variant.GOOD else ("firmware", kind, variant.value)
        return self._leaf(cache, "csms-root", "Harness CSMS Root CA", "Harness Firmware Signer",
                          variant, kind, sans=[], usage=ExtendedKeyUsageOID.CODE_SIGNING)

    def _firmware_key(self, kind: KeyKind = "ec") -> PrivateKey:
        """The firmware signing key, for the signer in this package."""
        self.firmware_signer(kind=kind)
        return self._key("firmware", kind)

    def _leaf(self, cache: tuple[str, ...], issuer_name: str, issuer_title: str, cn: str, variant: Variant,
              kind: KeyKind, *, sans: list[str], usage: x509.ObjectIdentifier) -> Credential:
        if cache in self._credentials:
            return self._credentials[cache]
        issuer = (self._authority("foreign-root", "Unknown Test Root") if variant is Variant.UNKNOWN_CA
                  else self._authority(issuer_name, issuer_title))
        if variant is Variant.WEAK_KEY:
            key = self._key("weak", "rsa", 1024)
        else:
            key = self._key(cache[0], kind)
        now = dt.datetime.now(dt.UTC)
        not_before, not_after = now - _DAY, now + self.valid_days * _DAY
        if variant is Variant.EXPIRED:
            not_before, not_after = now - 30 * _DAY, now - _DAY
        elif variant is Variant.NOT_YET_VALID:
            not_before, not_after = now + _DAY, now + 30 * _DAY
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation)])
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer.cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(not_before).not_valid_after(not_after)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                                  critical=False))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(n) for n in dict.fromkeys(sans)]),
                                            critical=False)
        cert = builder.sign(issuer.key, hashes.SHA256())
        if variant is Variant.SHA1:
            cert = _resigned_with_sha1(cert, issuer.key)
        name = "-".join(cache)
        leaf_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        chain_pem = leaf_pem + issuer.cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        cert_path = self.run_dir / f"{name}.cert.pem"
        cert_path.write_text(chain_pem)
        credential = Credential(name=name, common_name=cn, variant=variant, cert_path=cert_path,
                                key_path=self._write_key(key, name), cert_pem=leaf_pem, chain_pem=chain_pem)
        self._credentials[cache] = credential
        return credential

    # ---- SignCertificate and UpdateFirmware ------------------------------------------------------------------
    def sign_csr(self, csr_pem: str, *, expected_cn: str | None = None, days: int = 365) -> str:
        """Judge a SignCertificate CSR and return the PEM chain (leaf, station CA); raises CsrRejected."""
        return csr.sign_csr(self, csr_pem, expected_cn=expected_cn, days=days)

    def new_csr(self, common_name: str, *, organisation: str | None = None, kind: KeyKind = "rsa") -> csr.CsrRequest:
        """A station's CSR with a fresh key (written 0600 into the run directory)."""
        _check_file_name(common_name, "CSR common name")
        return csr.new_csr(self, common_name, organisation=organisation, kind=kind)

    def sign_firmware(self, image: bytes, *, kind: KeyKind = "ec") -> str:
        """UpdateFirmware `signature`: Base64 of the signature of `image`; send firmware_signer().cert_pem with it."""
        return firmware.sign_firmware(self, image, kind=kind)

    # ---- TLS contexts ----------------------------------------------------------------------------------------
    def server_context(self, profile: int, variant: Variant = Variant.GOOD, *,
                       old_tls: OldTls = "refuse") -> ssl.SSLContext:
        """The CSMS side of security profile 2 (server certificate) or 3 (and a station certificate required).

        A GOOD server presents an RSA and an EC certificate, so every suite of A00.FR.318 can be agreed; a bad
        variant presents that one certificate alone, so a client cannot dodge it. `old_tls`: "accept" TLS 1.1 too,
        or speak "only" TLS 1.1 (tls.allow_old_tls), on purpose.
        """
        _check_profile(profile)
        if variant is Variant.GOOD:
            chains = [self.server(kind="rsa"), self.server(kind="ec")]
        else:
            chains = [self.server(variant)]
        context = tls.server_context([(c.cert_path, c.key_path) for c in chains],
                                     client_ca=self.station_trust_path if profile == 3 else None,
                                     security_level=_presentable_at(variant))
        return _with_old_tls(context, old_tls)

    def server_context_under(self, root: str, profile: int) -> ssl.SSLContext:
        """`server_context(profile)` with the server certificates issued by the further CA `root`."""
        _check_profile(profile)
        chains = [self.server_under(root, kind="rsa"), self.server_under(root, kind="ec")]
        return tls.server_context([(c.cert_path, c.key_path) for c in chains],
                                  client_ca=self.station_trust_path if profile == 3 else None,
                                  security_level=_presentable_at(Variant.GOOD))

    def client_context(self, profile: int, serial: str | None = None,
                       variant: Variant = Variant.GOOD, *, old_tls: OldTls = "refuse") -> ssl.SSLContext:
        """The station side: trust the CSMS root (and any `csms_trust` CA); under profile 3 present the certificate
        of `serial`. `old_tls` as for server_context."""
        _check_profile(profile)
        if profile == 2:
            return _with_old_tls(tls.client_context(self.csms_trust_path), old_tls)
        if serial is None:
            raise ConfigError("security profile 3 needs the station serial number for its client certificate")
        station = self.station(serial, variant)
        return _with_old_tls(tls.client_context(self.csms_trust_path, certificate=(station.cert_path, station.key_path),
                                                security_level=_presentable_at(variant)), old_tls)


@contextlib.contextmanager
def private_pki(*, host: str = "127.0.0.1", key_kind: KeyKind = "rsa", csms_trust: Sequence[Path] = (),
                station_trust: Sequence[Path] = (), kept: Path | None = None) -> Iterator[PkiFactory]:
    """A PkiFactory for one run in a fresh private directory (mode 0700, in the system's temp directory, never
    under the reports directory), removed with every key in it when the block ends.

    `kept`: a directory (created 0700) whose authorities live on for later runs, so a SUT can trust the harness's
    roots once; only they are kept there. A directory others can read is refused: it holds the CA keys."""
    authority_dir = _kept_folder(Path(kept)) if kept is not None else None
    run_dir = Path(tempfile.mkdtemp(prefix="ocpp-pki-"))  # mkdtemp: 0700, a name nobody else can take
    try:
        os.chmod(run_dir, 0o700)
        yield PkiFactory(run_dir, host=host, key_kind=key_kind, authority_dir=authority_dir, csms_trust=csms_trust,
                         station_trust=station_trust)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _kept_folder(directory: Path) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = directory.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(f"the PKI directory {directory} is open to others (mode {mode:o}) and holds CA keys: "
                          f"chmod 700 {directory}, or name a new directory")
    return directory


def _read_ca_file(path: Path) -> str:
    """The PEM text of a CA file a profile names; ConfigError when it is missing or holds no CA certificate."""
    try:
        text = Path(path).read_text()
        infos = [certificate_info(pem) for pem in split_pem(text)]
    except (OSError, UnicodeDecodeError, BadCertificate) as exc:
        raise ConfigError(f"trusted CA file {path}: {exc}") from None
    if not infos:
        raise ConfigError(f"trusted CA file {path} holds no PEM certificate")
    if not all(info.is_ca for info in infos):
        raise ConfigError(f"trusted CA file {path} holds a certificate that is not a CA (basicConstraints CA:TRUE)")
    return text if text.endswith("\n") else text + "\n"


def _check_file_name(name: str, what: str) -> None:
    """`name` becomes part of a file name in the run directory: no path separators, no dot-only names."""
    if not _FILE_NAME.fullmatch(name) or set(name) == {"."}:
        raise ConfigError(f"{what} {name!r} cannot name a certificate file (letters, digits and ._-:+=@|* only)")


def _check_profile(profile: int) -> None:
    if profile not in (2, 3):
        raise ConfigError(f"security profile {profile} has no TLS; profiles 2 and 3 do")


def _with_old_tls(context: ssl.SSLContext, old_tls: OldTls) -> ssl.SSLContext:
    return context if old_tls == "refuse" else tls.allow_old_tls(context, only=old_tls == "only")


def _presentable_at(variant: Variant) -> int:
    """The OpenSSL security level a context needs to present `variant`: OpenSSL will not load a 1024-bit or SHA-1
    certificate at the default level 2, so a context that presents one on purpose runs at level 0."""
    return 0 if variant in (Variant.WEAK_KEY, Variant.SHA1) else tls.SECURITY_LEVEL


# DER of the SHA-1 signature AlgorithmIdentifiers: sha1WithRSAEncryption (with NULL parameters), ecdsa-with-SHA1.
_SHA1_ALGORITHM = {"rsa": bytes.fromhex("300d06092a864886f70d0101050500"), "ec": bytes.fromhex("300906072a8648ce3d0401")}


def _resigned_with_sha1(cert: x509.Certificate, issuer_key: PrivateKey) -> x509.Certificate:
    """The same certificate signed with SHA-1: `cryptography` refuses to build one, so the DER is redone here.

    TBSCertificate ::= SEQUENCE { [0] version, serialNumber, signature AlgorithmIdentifier, ... }: the third
    element is swapped, the result signed, and Certificate ::= SEQUENCE { tbs, algorithm, BIT STRING } rebuilt.
    """
    is_ec = isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    algorithm = _SHA1_ALGORITHM["ec" if is_ec else "rsa"]
    tbs = cert.tbs_certificate_bytes
    _, body, end = _der_element(tbs, 0)
    _, _, after_version = _der_element(tbs, body)
    _, _, after_serial = _der_element(tbs, after_version)
    _, _, after_algorithm = _der_element(tbs, after_serial)
    new_tbs = _der(0x30, tbs[body:after_serial] + algorithm + tbs[after_algorithm:end])
    if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        signature = issuer_key.sign(new_tbs, ec.ECDSA(hashes.SHA1()))
    else:
        signature = issuer_key.sign(new_tbs, padding.PKCS1v15(), hashes.SHA1())
    return x509.load_der_x509_certificate(_der(0x30, new_tbs + algorithm + _der(0x03, b"\x00" + signature)))


def _der_element(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of the content, end of the element) of the DER element at `pos`."""
    tag, length, pos = data[pos], data[pos + 1], pos + 2
    if length & 0x80:
        count = length & 0x7F
        length, pos = int.from_bytes(data[pos:pos + count], "big"), pos + count
    return tag, pos, pos + length


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)
