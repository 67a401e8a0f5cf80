"""The log receiver of GetLog (N01): the `log.remoteLocation` a station uploads its log file to.

Stations upload in one of two shapes, and both are accepted at `url_for(request_id)` and any path below it:
- multipart/form-data POST, as `curl -F file=@diag.log <location>` sends it (the file part's filename is kept);
- a plain PUT or POST of the file's bytes, as `curl -T diag.log <location>` sends it (EVerest's uploader appends
  the file name to the location, hence the trailing slash of `url_for`).

Each upload is evidence: stored under `<reports_dir>/log-uploads/` with an `uploads.jsonl` index (file name, size,
sha256, content type, request id, client), and handed to whoever awaits it:

    async with LogReceiver(reports_dir) as logs:
        send GetLog {"requestId": 7, "log": {"remoteLocation": logs.url_for(7)}, ...}
        upload = await logs.wait_for_upload(7, timeout=...)      # Upload(filename, size, sha256, content, ...)

`max_upload` bytes at most (larger: 413, recorded); `fail_with = 500` makes every upload fail (UploadFailure cases).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
import ssl as ssl_module
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from harness.errors import ConfigError
from harness.fileserver.http_server import HOST, HttpRequest, HttpResponse, HttpServer, HttpService, RequestRecord
from harness.fileserver.multipart import MultipartError, boundary_of, parse_form_data

PREFIX = "/logs/"
EVIDENCE_DIR = "log-uploads"
_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]+")


@dataclass(frozen=True)
class Upload:
    """One uploaded file, as stored."""

    seq: int
    request_id: str  # the path segment after /logs/: the GetLog requestId given to url_for
    filename: str  # as the station named it (multipart filename, else the last path segment)
    size: int
    sha256: str
    content_type: str | None
    method: str
    client: str
    at: dt.datetime
    path: Path  # where the evidence file lies
    content: bytes = field(repr=False)
    form_fields: dict[str, str] = field(default_factory=dict)  # other multipart fields, decoded

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "request_id": self.request_id, "filename": self.filename, "size": self.size,
                "sha256": self.sha256, "content_type": self.content_type, "method": self.method,
                "client": self.client, "at": self.at.isoformat(), "stored_as": self.path.name,
                "form_fields": self.form_fields}


class UploadTimeout(TimeoutError):
    """No (further) upload arrived before the deadline; the message lists what the receiver saw instead."""


class LogReceiver(HttpService):
    """Accepts log uploads (on 127.0.0.1 unless `host` says otherwise) and keeps each one under `reports_dir/log-uploads/`."""

    def __init__(self, reports_dir: Path, *, ssl: ssl_module.SSLContext | None = None,
                 basic_auth: tuple[str, str] | None = None, max_upload: int = 16 * 1024 * 1024, port: int = 0,
                 fail_with: int | None = None, host: str = HOST) -> None:
        self.directory = Path(reports_dir) / EVIDENCE_DIR
        self.fail_with = fail_with  # an HTTP status (e.g. 500) every upload is answered with, and not stored
        self._http = HttpServer(self._handle, ssl=ssl, basic_auth=basic_auth, max_body=max_upload, port=port,
                                host=host)
        self._uploads: list[Upload] = []
        self._next_seq = 1
        self._handed_out: set[int] = set()
        self._arrived = asyncio.Condition()
        self._held: dict[str, asyncio.Event] = {}  # request id -> released: uploads for it wait (a slow location)

    def __repr__(self) -> str:
        return f"LogReceiver({self._http!r}, directory={str(self.directory)!r}, uploads={len(self._uploads)})"

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        await super().start()

    @property
    def max_upload(self) -> int:
        return self._http.max_body

    def url_for(self, request_id: int | str) -> str:
        """The remoteLocation for GetLog `request_id` (ends in '/', so a station may append its file name)."""
        rid = str(request_id)
        if not rid or _UNSAFE.search(rid) or rid in (".", ".."):
            raise ConfigError(f"log request id {rid!r}: letters, digits and ._- only")
        return self._http.url(f"{PREFIX}{rid}/")

    def hold(self, request_id: int | str) -> None:
        """Uploads for `request_id` hang, unanswered, until `release` (a location slower than the case: an upload
        still running when the next GetLog comes, TC_N_36_CS); then they get 503 and are not stored."""
        self._held.setdefault(str(request_id), asyncio.Event())

    def release(self, request_id: int | str | None = None) -> None:
        """Let the held uploads of `request_id` (every one when None) go."""
        for rid, gate in list(self._held.items()):
            if request_id is None or rid == str(request_id):
                gate.set()
                del self._held[rid]

    # ---- what happened (also `requests`, `wait_for`) ---------------------------------------------------------
    @property
    def uploads(self) -> list[Upload]:
        """Every stored upload so far, oldest first."""
        return list(self._uploads)

    async def wait_for_upload(self, request_id: int | str | None = None, *, timeout: float) -> Upload:
        """The oldest upload (for `request_id`, or any) not handed out by an earlier call, waiting for it until
        `timeout` seconds. Raises UploadTimeout, naming the requests seen, when none arrives in time."""
        rid = None if request_id is None else str(request_id)

        def pending() -> Upload | None:
            return next((u for u in self._uploads
                         if u.seq not in self._handed_out and (rid is None or u.request_id == rid)), None)
        try:
            async with asyncio.timeout(timeout), self._arrived:
                await self._arrived.wait_for(lambda: pending() is not None)
        except TimeoutError:
            seen = "; ".join(f"{r.method} {r.path} -> {r.status} {r.note}".strip() for r in self.requests[-5:])
            raise UploadTimeout(f"no log upload{'' if rid is None else f' for request {rid}'} within {timeout} s "
                                f"(requests seen: {seen or 'none'})") from None
        upload = pending()
        assert upload is not None
        self._handed_out.add(upload.seq)
        return upload

    async def wait_for_request(self, *, timeout: float, status: int | None = None) -> RequestRecord:
        """The first request answered `status` (any status when None): e.g. a 413 or a `fail_with` answer."""
        records = await self._http.wait_for(lambda r: r.method is not None and (status is None or r.status == status),
                                            timeout=timeout)
        return records[0]

    # ---- one request -----------------------------------------------------------------------------------------
    async def _handle(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return HttpResponse.text(HTTPStatus.NOT_FOUND, f"no such path {request.path}; uploads go to {PREFIX}<id>/")
        rid, _, rest = request.path[len(PREFIX):].partition("/")
        if not rid:
            return HttpResponse.text(HTTPStatus.NOT_FOUND, "no request id in the upload path")
        if request.method not in ("POST", "PUT"):
            return HttpResponse.text(HTTPStatus.METHOD_NOT_ALLOWED, f"{request.method} not allowed; upload with "
                                     "POST or PUT", headers=(("Allow", "POST, PUT"),))
        gate = self._held.get(unquote(rid))
        if gate is not None:
            await gate.wait()
            return HttpResponse.text(HTTPStatus.SERVICE_UNAVAILABLE, "upload held by the harness, then let go "
                                     "unstored", note="held")
        if self.fail_with is not None:
            return HttpResponse.text(self.fail_with, f"upload refused: the receiver is set to fail with "
                                                     f"{self.fail_with}")
        content_type = request.header("content-type")
        try:
            multipart = content_type is not None and boundary_of(content_type) is not None
            if multipart:
                assert content_type is not None
                parts = parse_form_data(request.body, content_type)
            else:
                parts = []
        except MultipartError as exc:
            return HttpResponse.text(HTTPStatus.BAD_REQUEST, f"malformed multipart upload: {exc}")
        stored: list[Upload] = []
        if multipart:
            files = [p for p in parts if p.filename is not None]
            if not files:
                return HttpResponse.text(HTTPStatus.BAD_REQUEST, "multipart upload without a file part")
            fields = {p.name: p.data.decode("utf-8", "replace") for p in parts if p.filename is None}
            for part in files:
                stored.append(await self._store(request, unquote(rid), part.filename or "", part.content_type,
                                                part.data, fields))
        else:
            name = unquote(rest.rsplit("/", 1)[-1]) if rest else ""
            stored.append(await self._store(request, unquote(rid), name, content_type, request.body, {}))
        summary = ", ".join(f"{u.filename!r} ({u.size} bytes, sha256 {u.sha256[:12]}…)" for u in stored)
        status = HTTPStatus.CREATED if request.method == "PUT" else HTTPStatus.OK
        return HttpResponse.text(status, f"stored {summary}")

    async def _store(self, request: HttpRequest, rid: str, filename: str, content_type: str | None, data: bytes,
                     fields: dict[str, str]) -> Upload:
        seq, self._next_seq = self._next_seq, self._next_seq + 1  # taken before any await: unique
        safe = _UNSAFE.sub("_", filename).lstrip(".")[:100] or "upload.bin"
        path = self.directory / f"{seq:03d}-{_UNSAFE.sub('_', rid)[:40]}-{safe}"
        await asyncio.to_thread(path.write_bytes, data)
        upload = Upload(seq, rid, filename or safe, len(data), hashlib.sha256(data).hexdigest(), content_type,
                        request.method, request.client, dt.datetime.now(dt.UTC), path, data, fields)
        line = json.dumps(upload.to_json()) + "\n"
        await asyncio.to_thread(_append, self.directory / "uploads.jsonl", line)
        async with self._arrived:
            self._uploads.append(upload)
            self._arrived.notify_all()
        return upload


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(line)
