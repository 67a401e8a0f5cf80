"""A PKI a lab SUT can trust: kept authorities (`private_pki(kept=)`, `--ocpp-pki-dir`, `ocpp-harness pki`) and the
CAs of a SUT's own certificates (`security.trusted_ca`). Every TLS check here is a real handshake on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.cli import main
from harness.errors import ConfigError
from harness.pki import PkiFactory, certificate_info, private_pki
from harness.transport import tls

SERIAL = "LAB-SN-1"
DEADLINE = 10.0

Handshake = Callable[[ssl.SSLContext, ssl.SSLContext], Awaitable[str | None]]


@pytest.fixture
async def handshake() -> AsyncIterator[Handshake]:
    """TLS between a server and a client context over loopback: None when both ends accept, else the client's
    error text. Every server started is closed when the test ends."""
    servers: list[asyncio.Server] = []

    async def run(server: ssl.SSLContext, client: ssl.SSLContext) -> str | None:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"ok")
            await writer.drain()
            writer.close()

        srv = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server)
        servers.append(srv)
        port = srv.sockets[0].getsockname()[1]
        try:
            async with asyncio.timeout(DEADLINE):
                reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client,
                                                               server_hostname="127.0.0.1")
                data = await reader.read(2)  # a server that refused our certificate closes instead
                writer.close()
                return None if data == b"ok" else f"server closed the connection ({data!r})"
        except (ssl.SSLError, ConnectionError) as exc:
            return str(exc)

    yield run
    for srv in servers:
        srv.close()
        await srv.wait_closed()


def _fingerprint(path: Path) -> str:
    return certificate_info(path.read_text()).fingerprint


async def test_kept_authorities_are_reused_by_the_next_run_and_stay_private(tmp_path: Path,
                                                                            handshake: Handshake) -> None:
    folder = tmp_path / "pki"
    with private_pki(kept=folder) as first:
        roots = (_fingerprint(first.csms_root_path), _fingerprint(first.station_ca_path))
        trusted_by_lab = tls.client_context(first.csms_root_path)  # what a station installed after the first run
        first.server()  # leaves of the first run
    with private_pki(kept=folder) as second:
        assert (_fingerprint(second.csms_root_path), _fingerprint(second.station_ca_path)) == roots
        assert await handshake(second.server_context(2), trusted_by_lab) is None  # a new leaf under the kept root
        # ...while a PKI made per run (not kept) has roots nobody installed.
        with private_pki() as once:
            assert "certificate verify failed" in str(await handshake(once.server_context(2), trusted_by_lab))
    assert not first.run_dir.exists() and not second.run_dir.exists()  # leaves and their keys went with the run
    assert folder.stat().st_mode & 0o777 == 0o700
    assert sorted(f.name for f in folder.iterdir()) == ["csms-root.cert.pem", "csms-root.key.pem",
                                                        "station-ca.cert.pem", "station-ca.key.pem"]
    assert all(k.stat().st_mode & 0o777 == 0o600 for k in folder.glob("*.key.pem"))
    assert not [c for c in folder.glob("*.cert.pem") if "PRIVATE KEY" in c.read_text()]
    assert certificate_info((folder / "csms-root.cert.pem").read_text()).not_after > dt.datetime.now(
        dt.UTC) + dt.timedelta(days=3000)  # a kept root outlives many runs; a per-run one lasts 30 days


def _kept(folder: Path, run: Path, *, csms_trust: Sequence[Path] = (), station_trust: Sequence[Path] = ()) -> PkiFactory:
    """A run's PKI (leaves in `run`) with its authorities kept in `folder`."""
    return PkiFactory(run, authority_dir=folder, csms_trust=csms_trust, station_trust=station_trust)


def _expired_root(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Old Root")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - dt.timedelta(days=20)).not_valid_after(now - dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(mode=0o700)
    (folder / "csms-root.cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "csms-root.key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                                 serialization.PrivateFormat.PKCS8,
                                                                 serialization.NoEncryption()))


def test_a_kept_root_that_cannot_serve_is_a_set_up_error_naming_its_files(tmp_path: Path) -> None:
    _expired_root(tmp_path / "expired")
    with pytest.raises(ConfigError, match=r"csms-root.cert.pem is valid from .* not now; remove .*csms-root"):
        _ = _kept(tmp_path / "expired", tmp_path / "run1").csms_root_path

    mixed = tmp_path / "mixed"
    _ = _kept(mixed, tmp_path / "run2").csms_root_path
    _ = _kept(tmp_path / "other", tmp_path / "run3").station_ca_path
    (mixed / "csms-root.key.pem").write_bytes((tmp_path / "other" / "station-ca.key.pem").read_bytes())
    with pytest.raises(ConfigError, match=r"csms-root.key.pem is not the key of") as caught:
        _ = _kept(mixed, tmp_path / "run4").csms_root_path
    assert "PRIVATE" not in str(caught.value)

    (mixed / "csms-root.key.pem").unlink()
    with pytest.raises(ConfigError, match=r"cannot be read \(FileNotFoundError\)"):
        _ = _kept(mixed, tmp_path / "run5").csms_root_path


def test_a_pki_directory_others_can_read_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    os.chmod(folder, 0o755)
    with pytest.raises(ConfigError, match=r"open to others \(mode 755\).*chmod 700"), private_pki(kept=folder):
        pass


async def test_a_sut_with_its_own_ca_is_trusted_only_through_trusted_ca(tmp_path: Path, handshake: Handshake) -> None:
    lab_dir = tmp_path / "lab"
    lab_station_ca = _kept(lab_dir, tmp_path / "run1").station_ca_path
    harness = _kept(tmp_path / "harness", tmp_path / "run2", station_trust=[lab_station_ca])
    lab = _kept(lab_dir, tmp_path / "run3", csms_trust=[harness.csms_root_path])  # the lab installed our root
    harness_trusting_lab_csms = PkiFactory(tmp_path / "h2", csms_trust=[lab.csms_root_path])
    untrusting = PkiFactory(tmp_path / "plain")

    # Profile 2, a CSMS under test with its own server certificate: trusted only with its CA named.
    assert await handshake(lab.server_context(2), harness_trusting_lab_csms.client_context(2)) is None
    assert "certificate verify failed" in str(await handshake(lab.server_context(2), untrusting.client_context(2)))
    # Profile 3, a station under test with its own client certificate (CN = serial) and our root installed.
    assert await handshake(harness.server_context(3), lab.client_context(3, SERIAL)) is None
    refused = await handshake(PkiFactory(tmp_path / "strict").server_context(3),
                              PkiFactory(tmp_path / "lab2", csms_trust=[tmp_path / "strict" / "csms-root.cert.pem"])
                              .client_context(3, SERIAL))
    assert refused is not None
    # The station side lists every CSMS root it trusts (GetInstalledCertificateIds of the harness station).
    assert [certificate_info(p).fingerprint for p in harness_trusting_lab_csms.csms_roots()] == [
        _fingerprint(harness_trusting_lab_csms.csms_root_path), _fingerprint(lab.csms_root_path)]


def test_a_trusted_ca_file_that_is_no_ca_is_a_set_up_error(tmp_path: Path) -> None:
    pki = PkiFactory(tmp_path / "pki")
    leaf = tmp_path / "leaf.pem"
    leaf.write_text(pki.server().cert_pem)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    for path, reason in ((tmp_path / "missing.pem", "No such file"), (leaf, "not a CA"),
                         (garbage, "holds no PEM certificate")):
        with pytest.raises(ConfigError, match=f"trusted CA file {path}.*{reason}"):
            PkiFactory(tmp_path / "other", csms_trust=[path])


def test_ocpp_harness_pki_makes_the_directory_once_and_shows_what_to_install(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "ocpp-pki"
    assert main(["pki", str(folder)]) == 0
    first = capsys.readouterr().out
    root = folder / "csms-root.cert.pem"
    assert str(root) in first and _fingerprint(root) in first and "CSMSRootCertificate" in first
    assert _fingerprint(folder / "station-ca.cert.pem") in first
    assert main(["pki", str(folder)]) == 0
    assert capsys.readouterr().out == first  # shown again, not made again
    os.chmod(folder, 0o750)
    assert main(["pki", str(folder)]) == 2
    assert "open to others" in capsys.readouterr().err
