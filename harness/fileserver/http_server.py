"""A small, strict HTTP/1.1 server on asyncio streams, for the firmware and log file servers of this package.

One request per connection (every answer says `Connection: close`), on 127.0.0.1 by default, optionally over TLS. A
malformed request is answered 400 and never guessed at; a body larger than `max_body` is answered 413 (before the
body is read when Content-Length says so, and before `100 Continue` when the client asked for it). Every request,
answered or not, becomes a `RequestRecord`, and so does a TLS handshake that failed: a station that refused the
certificate leaves a record, not silence.

Basic Auth (optional): the password is compared and forgotten; a record keeps the user name only.

    HttpServer(handler, ssl=...) -> await start() -> url(path) -> clients talk -> records / wait_for(...) -> stop()
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime as dt
import hmac
import re
import ssl as ssl_module
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlsplit, urlunsplit

from harness.errors import ConfigError, TransportSetupError
from harness.transport.tls import classify_failure

HOST = "127.0.0.1"
TLS_FAILED = "TLS handshake failed"
MAX_REQUEST_LINE = 8 * 1024
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS = 100
CHUNK = 64 * 1024
DISCARD_LIMIT = 64 * 1024 * 1024  # a too-large body up to this size is read and dropped before the 413
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TARGET = re.compile(r"/[\x21-\x7e]*")  # origin-form, visible ASCII only
_DIGITS = re.compile(r"[0-9]{1,18}")
_HEX = re.compile(r"[0-9A-Fa-f]{1,16}")


class BadRequest(Exception):
    """The request cannot be answered as sent: `status` and a one-line `reason` for the answer and the record."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class HttpRequest:
    """One parsed request. Header names are lower case; the password of a Basic Auth header is never kept."""

    method: str
    path: str  # the request target without its query, still percent-encoded
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = field(repr=False)
    client: str  # "host:port"
    user: str | None = None  # Basic Auth user name, when one was sent

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)


@dataclass(frozen=True)
class HttpResponse:
    """What a handler answers. `note` goes into the record, not onto the wire."""

    status: int
    body: bytes = field(default=b"", repr=False)
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    note: str = ""

    @classmethod
    def text(cls, status: int, text: str, *, note: str = "", headers: tuple[tuple[str, str], ...] = ()) -> HttpResponse:
        return cls(status, (text + "\n").encode("utf-8"), headers=headers, note=note or text)


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it (or a connection that never became one: TLS failure, timeout)."""

    seq: int
    at: dt.datetime  # when the request (or the connection) started, UTC
    client: str
    method: str | None  # None when no request line was read
    path: str | None
    status: int | None  # None when nothing was answered (TLS failure, client gone)
    bytes_received: int = 0  # request body bytes
    bytes_sent: int = 0  # response body bytes written to the socket
    complete: bool = False  # the whole response body was written
    user: str | None = None
    note: str = ""

    @property
    def tls_failed(self) -> bool:
        """The connection ended in a failed TLS handshake (the note says why, as `classify_failure` saw it)."""
        return self.method is None and self.note.startswith(TLS_FAILED)

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at.isoformat(), "client": self.client, "method": self.method,
                "path": self.path, "status": self.status, "bytes_received": self.bytes_received,
                "bytes_sent": self.bytes_sent, "complete": self.complete, "user": self.user, "note": self.note}


def mask_url(url: str) -> str:
    """`url` with the password of its user info replaced by `***`: what records and reports may show."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{netloc}"))


class HttpServer:
    """A strict HTTP/1.1 server on `host` (default 127.0.0.1; port 0: a free port) that passes parsed requests to
    `handler`. A lab station reaches it on the address the harness CSMS listens on (the station profile's
    `endpoint.host`).

    `ssl`: serve HTTPS with this context (e.g. `PkiFactory.server_context(2)`). `basic_auth`: (user, password)
    every request must present, else 401. `max_body`: larger request bodies are answered 413.
    """

    def __init__(self, handler: Handler, *, ssl: ssl_module.SSLContext | None = None,
                 basic_auth: tuple[str, str] | None = None, max_body: int = 0, port: int = 0, host: str = HOST,
                 request_timeout: float = 30.0, tls_handshake_timeout: float = 10.0) -> None:
        if basic_auth is not None and (":" in basic_auth[0] or not basic_auth[0]):
            raise ConfigError("a Basic Auth user name must be non-empty and hold no ':'")
        self._handler = handler
        self._ssl = ssl
        self._basic_auth = basic_auth
        self.max_body = max_body
        self._port = port
        self._host = host
        self._request_timeout = request_timeout
        self._tls_handshake_timeout = tls_handshake_timeout
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._records: list[RequestRecord] = []
        self._changed = asyncio.Condition()
        self._open = asyncio.Event()  # cleared while `holding`: each request waits before it is answered
        self._open.set()

    def __repr__(self) -> str:  # never the password
        user = self._basic_auth[0] if self._basic_auth else None
        return f"HttpServer(port={self._port}, tls={self._ssl is not None}, user={user!r})"

    # ---- life cycle ------------------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._server is not None:
            raise ConfigError("the server is already started")
        try:
            self._server = await asyncio.start_server(self._connection, self._host, self._port,
                                                      limit=MAX_HEADER_BYTES)
        except OSError as exc:
            raise TransportSetupError(f"cannot listen on {self._host}:{self._port}: {exc}") from exc
        self._port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listening socket and every open connection; idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await server.wait_closed()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise ConfigError("the server is not started: no port yet")
        return self._port

    def url(self, path: str, *, with_credentials: bool = True) -> str:
        """The absolute URL of `path` (already percent-encoded); with the Basic Auth credentials in it when the
        server has them and `with_credentials` (what a station is given). Show it through `mask_url`."""
        scheme = "https" if self._ssl is not None else "http"
        userinfo = ""
        if self._basic_auth is not None and with_credentials:
            user, password = self._basic_auth
            userinfo = f"{quote(user, safe='')}:{quote(password, safe='')}@"
        host = f"[{self._host}]" if ":" in self._host else self._host  # an IPv6 literal needs brackets
        return f"{scheme}://{userinfo}{host}:{self.port}{path}"

    # ---- records ---------------------------------------------------------------------------------------------
    @property
    def records(self) -> list[RequestRecord]:
        """Every request so far, oldest first (a copy)."""
        return list(self._records)

    async def wait_for(self, predicate: Callable[[RequestRecord], bool], *, timeout: float,
                       count: int = 1) -> list[RequestRecord]:
        """The first `count` records that satisfy `predicate`, waiting for them until `timeout` seconds; raises
        TimeoutError naming what was seen instead."""
        def found() -> list[RequestRecord]:
            return [r for r in self._records if predicate(r)]
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: len(found()) >= count)
        except TimeoutError:
            seen = "; ".join(f"{r.method} {r.path} -> {r.status}" for r in self._records[-5:]) or "no request"
            raise TimeoutError(f"{len(found())} of {count} awaited request(s) within {timeout} s "
                               f"(last seen: {seen})") from None
        return found()[:count]

    async def _record(self, at: dt.datetime, client: str, method: str | None, path: str | None,
                      status: int | None, received: int = 0, sent: int = 0, complete: bool = False,
                      user: str | None = None, note: str = "") -> None:
        async with self._changed:
            self._records.append(RequestRecord(len(self._records) + 1, at, client, method, path,
                                               None if status is None else int(status), received,
                                               sent, complete, user, note))
            self._changed.notify_all()

    # ---- one connection --------------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer = writer.get_extra_info("peername")
        client = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        at = dt.datetime.now(dt.UTC)
        try:
            if self._ssl is not None:
                try:
                    await writer.start_tls(self._ssl, ssl_handshake_timeout=self._tls_handshake_timeout)
                except (OSError, TimeoutError, ssl_module.SSLError) as exc:
                    failure = classify_failure(exc, peer="station")
                    await self._record(at, client, None, None, None, note=f"{TLS_FAILED}: {failure.reason}")
                    return
            await self._exchange(reader, writer, client, at)
        except asyncio.CancelledError:  # stop() with this connection open: kept as a record, without awaiting
            self._records.append(RequestRecord(len(self._records) + 1, at, client, None, None, None,
                                               note="connection open when the server stopped"))
            raise
        finally:
            writer.close()
            with contextlib.suppress(Exception):  # the peer may be gone already; nothing left to report
                await writer.wait_closed()
            self._tasks.discard(task)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: str,
                        at: dt.datetime) -> None:
        method: str | None = None
        path: str | None = None
        user: str | None = None
        received = 0
        request: HttpRequest | None = None
        try:
            async with asyncio.timeout(self._request_timeout):
                method, target, headers = await _read_head(reader)
                path, _, query = target.partition("?")
                user, password = _credentials(headers)
                self._check_auth(user, password)
                body = await self._read_body(reader, writer, headers)
                received = len(body)
            request = HttpRequest(method, path, query, headers, body, client, user)
        except BadRequest as exc:
            extra: tuple[tuple[str, str], ...] = ()
            if exc.status == HTTPStatus.UNAUTHORIZED:
                extra = (("WWW-Authenticate", 'Basic realm="ocpp-harness", charset="UTF-8"'),)
            response = HttpResponse.text(exc.status, exc.reason, headers=extra)
        except TimeoutError:
            response = HttpResponse.text(HTTPStatus.REQUEST_TIMEOUT,
                                         f"request not complete within {self._request_timeout} s")
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            return await self._record(at, client, method, path, None, received, user=user,
                                      note=f"client went away before the request was complete ({type(exc).__name__})")
        if request is not None:
            await self._open.wait()
            try:
                response = await self._handler(request)
            except Exception as exc:  # a harness bug: answered 500, recorded, and raised to the loop's handler
                await self._send(writer, HttpResponse.text(500, "internal error of the harness"), head_only=False)
                await self._record(at, client, method, path, 500, received, user=user,
                                   note=f"harness handler failed: {exc!r}")
                raise
        sent, complete = await self._send(writer, response, head_only=method == "HEAD")
        await self._record(at, client, method, path, response.status, received, sent, complete, user, response.note)

    def _check_auth(self, user: str | None, password: str | None) -> None:
        """401 when the server wants Basic Auth credentials other than those sent."""
        if self._basic_auth is None:
            return
        want_user, want_password = self._basic_auth
        if user is None or password is None:
            raise BadRequest(HTTPStatus.UNAUTHORIZED, "Basic Auth credentials required")
        ok_user = hmac.compare_digest(user.encode(), want_user.encode())
        ok_password = hmac.compare_digest(password.encode(), want_password.encode())
        if not (ok_user and ok_password):
            raise BadRequest(HTTPStatus.UNAUTHORIZED, f"wrong Basic Auth {'password' if ok_user else 'user'}")

    async def _read_body(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         headers: Sequence[tuple[str, str]]) -> bytes:
        """The request body. Too large: 413, raised only once the client has finished sending (up to
        DISCARD_LIMIT bytes are read and dropped), so it reads the answer instead of a connection reset; a client
        that sent `Expect: 100-continue` is answered before it sends anything."""
        length, chunked = _framing(headers)
        if length == 0 and not chunked:
            return b""
        expect = next((v for k, v in headers if k == "expect"), None)
        if expect is not None and expect.lower() != "100-continue":
            raise BadRequest(HTTPStatus.EXPECTATION_FAILED, f"unknown expectation {expect!r}")
        if length is not None and length > self.max_body:
            if expect is None and length <= DISCARD_LIMIT:
                while length > 0:
                    length -= len(await reader.readexactly(min(CHUNK, length)))
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"body of {_content_length(headers)} bytes exceeds the limit of {self.max_body} bytes")
        if expect is not None:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
        if length is not None:
            return await reader.readexactly(length)
        body = bytearray()
        seen = 0
        async for piece in _chunks(reader):
            seen += len(piece)
            if seen <= self.max_body:
                body += piece
            elif seen > DISCARD_LIMIT:
                break
        if seen > self.max_body:
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"chunked body of {seen}{'+' if seen > DISCARD_LIMIT else ''} bytes exceeds the limit "
                             f"of {self.max_body} bytes")
        return bytes(body)

    async def _send(self, writer: asyncio.StreamWriter, response: HttpResponse, *,
                    head_only: bool) -> tuple[int, bool]:
        """Write `response`; (body bytes written, whether all of them were)."""
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        lines = [f"HTTP/1.1 {response.status} {reason}", f"Content-Length: {len(response.body)}",
                 f"Content-Type: {response.content_type}", "Connection: close", "Server: ocpp-harness",
                 *(f"{k}: {v}" for k, v in response.headers)]
        sent = 0
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            await writer.drain()
            if head_only:
                return 0, True
            view = memoryview(response.body)
            while sent < len(view):
                writer.write(view[sent:sent + CHUNK])
                await writer.drain()
                sent = min(sent + CHUNK, len(view))
        except (ConnectionError, ssl_module.SSLError):
            return sent, False
        return sent, True


class HttpService:
    """What the firmware server and the log receiver share: the life cycle, the port and the request records of
    the HttpServer `_http` a subclass makes in its `__init__`."""

    _http: HttpServer

    async def start(self) -> None:
        await self._http.start()

    async def stop(self) -> None:
        await self._http.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._http.port

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """While inside, every request is read and then waits for its answer until the block ends: a transfer the
        case needs still running (TC_F_16_CS / TC_F_19_CS trigger the station while it uploads or downloads)."""
        self._http._open.clear()
        try:
            yield
        finally:
            self._http._open.set()

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request (and failed TLS handshake) so far, answered or refused, oldest first."""
        return self._http.records

    async def wait_for(self, predicate: Callable[[RequestRecord], bool], *, timeout: float,
                       count: int = 1) -> list[RequestRecord]:
        """The first `count` records that satisfy `predicate` (e.g. `lambda r: r.tls_failed`), waiting until
        `timeout` seconds; TimeoutError naming the last requests seen otherwise."""
        return await self._http.wait_for(predicate, timeout=timeout, count=count)


def _credentials(headers: Sequence[tuple[str, str]]) -> tuple[str | None, str | None]:
    """(user, password) of a Basic Auth header; (None, None) without one; 400 when it is malformed."""
    value = next((v for k, v in headers if k == "authorization"), None)
    if value is None:
        return None, None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        user, sep, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise BadRequest(HTTPStatus.BAD_REQUEST, "malformed Basic Auth header") from None
    if not sep:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "malformed Basic Auth header (no ':')")
    return user, password


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """Request line and header fields, strictly (RFC 9112): no obs-fold, no space before the colon."""
    line = await _read_line(reader, MAX_REQUEST_LINE, "request line")
    parts = line.split(" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not _TARGET.fullmatch(parts[1]):
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"malformed request line {line[:80]!r}")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, f"unsupported version {version[:20]!r}")
    headers: list[tuple[str, str]] = []
    total = 0
    while True:
        line = await _read_line(reader, MAX_HEADER_BYTES, "header")
        if not line:
            break
        total += len(line)
        if total > MAX_HEADER_BYTES or len(headers) >= MAX_HEADERS:
            raise BadRequest(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "too many or too large header fields")
        name, sep, value = line.partition(":")
        if not sep or not _TOKEN.fullmatch(name):
            raise BadRequest(HTTPStatus.BAD_REQUEST, f"malformed header field {line[:80]!r}")
        headers.append((name.lower(), value.strip(" \t")))
    return method, target, tuple(headers)


async def _read_line(reader: asyncio.StreamReader, limit: int, what: str) -> str:
    try:
        raw = await reader.readuntil(b"\r\n")
    except asyncio.LimitOverrunError:
        raise BadRequest(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, f"{what} too long") from None
    if len(raw) > limit:
        raise BadRequest(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, f"{what} too long")
    try:
        return raw[:-2].decode("ascii") if what == "request line" else raw[:-2].decode("latin-1")
    except UnicodeDecodeError:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"{what} is not ASCII") from None


def _content_length(headers: Sequence[tuple[str, str]]) -> str:
    return next((v for k, v in headers if k == "content-length"), "?")


def _framing(headers: Sequence[tuple[str, str]]) -> tuple[int | None, bool]:
    """(Content-Length, chunked) of a request; 400 on anything ambiguous (request smuggling shapes)."""
    lengths = {v for k, v in headers if k == "content-length"}
    codings = [v for k, v in headers if k == "transfer-encoding"]
    if codings:
        if lengths:
            raise BadRequest(HTTPStatus.BAD_REQUEST, "both Content-Length and Transfer-Encoding")
        if [c.lower() for c in codings] != ["chunked"]:
            raise BadRequest(HTTPStatus.NOT_IMPLEMENTED, f"unsupported Transfer-Encoding {', '.join(codings)!r}")
        return None, True
    if not lengths:
        return 0, False
    if len(lengths) > 1 or not _DIGITS.fullmatch(next(iter(lengths))):
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"invalid Content-Length {sorted(lengths)}")
    return int(next(iter(lengths))), False


async def _chunks(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    """The data of a chunked body, chunk by chunk; trailers are read and dropped."""
    while True:
        size_line = await _read_line(reader, 1024, "chunk size")
        size_text = size_line.split(";", 1)[0].strip()
        if not _HEX.fullmatch(size_text):
            raise BadRequest(HTTPStatus.BAD_REQUEST, f"malformed chunk size {size_line[:40]!r}")
        size = int(size_text, 16)
        if size == 0:
            while await _read_line(reader, MAX_HEADER_BYTES, "trailer"):
                pass
            return
        yield await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise BadRequest(HTTPStatus.BAD_REQUEST, "chunk not followed by CRLF")
