"""The firmware server of UpdateFirmware (L01): publishes images under URLs a station downloads from.

    async with FirmwareServer(ssl=pki.server_context(2)) as server:
        image = server.publish_signed("fw-1.0.bin", pki)          # bytes, signature, signing certificate
        send UpdateFirmware {"requestId": 1, "firmware": image.firmware(retrieve_date_time=now)}
        await server.wait_for_download(image.name, timeout=...)  # the station fetched it
        server.downloads(image.name)                             # how often, how much, from where

`publish_badly_signed` serves an image whose signature does not match it (InvalidSignature cases);
`missing_image` gives a location that answers 404 (DownloadFailed cases); `publish_uninstallable` a validly signed
image whose content says it fails installation (the built-in station knows the UNINSTALLABLE header: TC_L_08_CS);
`hold(name)` keeps a download of `name` waiting until `release(name)` (a station busy downloading: TC_L_10/11_CS).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import ssl as ssl_module
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from harness.errors import ConfigError
from harness.fileserver.http_server import HOST, HttpRequest, HttpResponse, HttpServer, HttpService, RequestRecord

if TYPE_CHECKING:
    from harness.pki import KeyKind, PkiFactory

PREFIX = "/firmware/"
# the first bytes of an image the built-in station's installer refuses (signature valid, installation fails)
UNINSTALLABLE = b"OCPP-HARNESS-FIRMWARE-UNINSTALLABLE\n"


@dataclass(frozen=True)
class FirmwareImage:
    """A published (or deliberately missing) image and what UpdateFirmware says about it."""

    name: str
    url: str = field(repr=False)  # may hold Basic Auth credentials; show `location` through mask_url
    data: bytes = field(repr=False)  # what the server serves (for a missing image: what it would have been)
    signature: str | None = None  # Base64, UpdateFirmware firmware.signature
    signing_certificate: str | None = field(default=None, repr=False)  # PEM, firmware.signingCertificate

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def firmware(self, retrieve_date_time: dt.datetime | None = None,
                 install_date_time: dt.datetime | None = None) -> dict[str, str]:
        """The `firmware` object of UpdateFirmwareRequest (FirmwareType); retrieveDateTime defaults to now."""
        out = {"location": self.url, "retrieveDateTime": _timestamp(retrieve_date_time or dt.datetime.now(dt.UTC))}
        if install_date_time is not None:
            out["installDateTime"] = _timestamp(install_date_time)
        if self.signing_certificate is not None:
            out["signingCertificate"] = self.signing_certificate
        if self.signature is not None:
            out["signature"] = self.signature
        return out


def _timestamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ConfigError("firmware timestamps must carry a time zone (use datetime.now(UTC))")
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def image_bytes(name: str, size: int = 64 * 1024) -> bytes:
    """Deterministic stand-in image content for `name`: the same name gives the same bytes in every run."""
    header = f"OCPP-HARNESS-FIRMWARE {name}\n".encode()
    blocks, seed = [header], hashlib.sha256(name.encode()).digest()
    while sum(map(len, blocks)) < size:
        seed = hashlib.sha256(seed).digest()
        blocks.append(seed)
    return b"".join(blocks)[:size]


class FirmwareServer(HttpService):
    """Serves published images at `<base>/firmware/<name>` (GET and HEAD); anything else is 404 or 405.

    Every request is recorded (`requests`), so a test can assert that and how often the station downloaded.
    """

    def __init__(self, *, ssl: ssl_module.SSLContext | None = None, basic_auth: tuple[str, str] | None = None,
                 port: int = 0, host: str = HOST) -> None:
        self._images: dict[str, tuple[bytes, str]] = {}
        self._held: dict[str, asyncio.Event] = {}  # images whose download waits until released
        self._http = HttpServer(self._handle, ssl=ssl, basic_auth=basic_auth, max_body=0, port=port, host=host)

    def __repr__(self) -> str:
        return f"FirmwareServer({self._http!r}, images={sorted(self._images)})"

    # ---- publishing ------------------------------------------------------------------------------------------
    def url_for(self, name: str) -> str:
        """The URL of image `name`, published or not (needs a started server: the port is in it)."""
        if not name or "/" in name or name in (".", ".."):
            raise ConfigError(f"firmware image name {name!r}: one non-empty path segment, no '/'")
        return self._http.url(PREFIX + quote(name, safe=""))

    def publish(self, name: str, data: bytes, *, content_type: str = "application/octet-stream") -> str:
        """Serve `data` as image `name` (replacing an earlier one of that name); returns its URL."""
        url = self.url_for(name)
        self._images[name] = (bytes(data), content_type)
        return url

    def unpublish(self, name: str) -> None:
        """From now on `name` answers 404."""
        self._images.pop(name, None)

    def publish_signed(self, name: str, pki: PkiFactory, *, data: bytes | None = None,
                       kind: KeyKind = "ec") -> FirmwareImage:
        """A valid signed image: `data` (default: deterministic bytes) signed with the PKI's firmware key."""
        data = image_bytes(name) if data is None else data
        return FirmwareImage(name, self.publish(name, data), data, pki.sign_firmware(data, kind=kind),
                             pki.firmware_signer(kind=kind).cert_pem)

    def publish_badly_signed(self, name: str, pki: PkiFactory, *, data: bytes | None = None,
                             kind: KeyKind = "ec") -> FirmwareImage:
        """An image whose signature does not verify: the signature is of `data`, the served image is `data`
        with its last byte changed (a tampered or corrupted download). Signature and certificate are well formed."""
        data = image_bytes(name) if data is None else data
        if not data:
            raise ConfigError("a badly signed image needs at least one byte to tamper with")
        signature = pki.sign_firmware(data, kind=kind)
        served = data[:-1] + bytes([data[-1] ^ 0xFF])
        return FirmwareImage(name, self.publish(name, served), served, signature,
                             pki.firmware_signer(kind=kind).cert_pem)

    def publish_uninstallable(self, name: str, pki: PkiFactory, *, kind: KeyKind = "ec") -> FirmwareImage:
        """A validly signed image the built-in station refuses to install (it starts with UNINSTALLABLE)."""
        return self.publish_signed(name, pki, data=UNINSTALLABLE + image_bytes(name), kind=kind)

    def hold(self, name: str) -> None:
        """From now on a download of `name` gets no answer until `release(name)` (or the server stops)."""
        self._held.setdefault(name, asyncio.Event())

    def release(self, name: str) -> None:
        """Let the held downloads of `name` (and later ones) complete."""
        held = self._held.pop(name, None)
        if held is not None:
            held.set()

    async def stop(self) -> None:
        for name in list(self._held):
            self.release(name)
        await super().stop()

    def missing_image(self, name: str = "missing-firmware.bin", pki: PkiFactory | None = None, *,
                      kind: KeyKind = "ec") -> FirmwareImage:
        """A location that answers 404; with `pki`, signed as if the image existed (a valid UpdateFirmware)."""
        self.unpublish(name)
        data = image_bytes(name)
        signature = pki.sign_firmware(data, kind=kind) if pki is not None else None
        certificate = pki.firmware_signer(kind=kind).cert_pem if pki is not None else None
        return FirmwareImage(name, self.url_for(name), data, signature, certificate)

    # ---- what happened (also `requests`, `wait_for`) ---------------------------------------------------------
    def downloads(self, name: str) -> list[RequestRecord]:
        """The completed downloads of image `name` (GET answered 200, whole body written)."""
        return [r for r in self._http.records if _is_download(r, name)]

    async def wait_for_download(self, name: str, *, timeout: float, count: int = 1) -> RequestRecord:
        """The `count`-th completed download of `name`, waiting until `timeout` seconds; TimeoutError otherwise."""
        return (await self._http.wait_for(lambda r: _is_download(r, name), timeout=timeout, count=count))[-1]

    async def wait_for_request(self, name: str, *, timeout: float) -> RequestRecord:
        """The first request for `name`, whatever its answer (e.g. the 404 of a missing image)."""
        path = PREFIX + quote(name, safe="")
        return (await self._http.wait_for(lambda r: r.path == path, timeout=timeout))[0]

    async def _handle(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return HttpResponse.text(HTTPStatus.NOT_FOUND, f"no such path {request.path}")
        name = unquote(request.path[len(PREFIX):])
        if request.method not in ("GET", "HEAD"):
            return HttpResponse.text(HTTPStatus.METHOD_NOT_ALLOWED, f"{request.method} not allowed on firmware",
                                     headers=(("Allow", "GET, HEAD"),))
        held = self._held.get(name)
        if held is not None:
            await held.wait()
        if name not in self._images:
            return HttpResponse.text(HTTPStatus.NOT_FOUND, f"no firmware image {name!r}")
        data, content_type = self._images[name]
        return HttpResponse(HTTPStatus.OK, data, content_type, note=f"image {name!r}, {len(data)} bytes")


def _is_download(record: RequestRecord, name: str) -> bool:
    return (record.method == "GET" and record.path == PREFIX + quote(name, safe="") and record.status == 200
            and record.complete)
