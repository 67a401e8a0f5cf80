"""The station side of firmware downloads and log uploads, for the built-in station simulator: stdlib only
(urllib in a worker thread), HTTPS with the `ssl.SSLContext` given, Basic Auth from the URL's user info.

    data = await download(firmware["location"], ssl=ctx, timeout=30)
    await upload(log["remoteLocation"], "diagnostics.log", data, ssl=ctx, timeout=30)   # multipart POST

Any failure raises TransferError (HTTP status when there was one, the cause chained); a deadline that passes raises
TransferTimeout, which is also a TimeoutError. URLs in messages are masked (`mask_url`). Proxies from the
environment are ignored: a station talks to the location it was given.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import ssl as ssl_module
import urllib.error
import urllib.request
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from harness.fileserver.http_server import mask_url
from harness.fileserver.multipart import encode_form_data

DEFAULT_MAX_DOWNLOAD = 512 * 1024 * 1024


class TransferError(Exception):
    """A download or upload failed: `status` is the HTTP status when the server answered one, else None."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = mask_url(url)
        self.status = status


class TransferTimeout(TransferError, TimeoutError):
    """The server did not answer (or finish) within the deadline."""


async def download(url: str, *, ssl: ssl_module.SSLContext | None = None, timeout: float = 30.0,
                   max_size: int = DEFAULT_MAX_DOWNLOAD) -> bytes:
    """GET `url` and return the body (a 2xx answer only); TransferError otherwise, TransferTimeout after
    `timeout` seconds. A body larger than `max_size` is a TransferError."""
    _, data = await _run(url, None, {}, "GET", ssl, timeout, max_size)
    return data


async def upload(url: str, filename: str, data: bytes, *, ssl: ssl_module.SSLContext | None = None,
                 timeout: float = 30.0, method: Literal["POST", "PUT"] = "POST", field: str = "file",
                 content_type: str = "application/octet-stream") -> int:
    """Upload `data` to `url` and return the HTTP status (2xx; anything else raises TransferError).

    POST sends multipart/form-data with one file part (`field`, `filename`), like `curl -F file=@<filename>`;
    PUT sends the bytes as they are, like `curl -T`, to `url` as given (append the file name yourself).
    """
    if method == "POST":
        body, body_type = encode_form_data(field, filename, data, content_type=content_type)
    else:
        body, body_type = data, content_type
    status, _ = await _run(url, body, {"Content-Type": body_type}, method, ssl, timeout, 1024 * 1024)
    return status


async def _run(url: str, body: bytes | None, headers: dict[str, str], method: str,
               context: ssl_module.SSLContext | None, timeout: float, max_size: int) -> tuple[int, bytes]:
    """One exchange in a worker thread, under an overall deadline of `timeout` (urllib's own timeout is per
    socket operation; a thread left behind by the deadline ends at its next socket timeout)."""
    try:
        return await asyncio.wait_for(
            asyncio.to_thread(_exchange, url, body, headers, method, context, timeout, max_size), timeout)
    except TimeoutError as exc:
        if isinstance(exc, TransferTimeout):
            raise
        raise TransferTimeout(f"{method} {mask_url(url)}: not done within {timeout} s", url=url) from None


def _exchange(url: str, body: bytes | None, headers: dict[str, str], method: str,
              context: ssl_module.SSLContext | None, timeout: float, max_size: int) -> tuple[int, bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TransferError(f"unsupported URL scheme {parts.scheme!r} in {mask_url(url)} (http and https only)",
                            url=url)
    headers = dict(headers)
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    request = urllib.request.Request(urlunsplit(parts), data=body, headers=headers, method=method)
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    shown = f"{method} {mask_url(url)}"
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as response:
            data: bytes = response.read(max_size + 1)
            status: int = response.status
    except urllib.error.HTTPError as exc:
        with exc:
            detail = exc.read(200).decode("utf-8", "replace").strip()
        raise TransferError(f"{shown} answered {exc.code} {exc.reason}{f': {detail}' if detail else ''}",
                            url=url, status=exc.code) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise TransferTimeout(f"{shown}: no answer within {timeout} s", url=url) from exc
        raise TransferError(f"{shown} failed: {exc.reason}", url=url) from exc
    except TimeoutError as exc:  # socket.timeout is TimeoutError
        raise TransferTimeout(f"{shown}: no answer within {timeout} s", url=url) from exc
    except (OSError, ValueError, http.client.HTTPException) as exc:  # reset, malformed answer: cause chained
        raise TransferError(f"{shown} failed: {type(exc).__name__}: {exc}", url=url) from exc
    if len(data) > max_size:
        raise TransferError(f"{shown}: the answer exceeds {max_size} bytes", url=url, status=status)
    return status, data
