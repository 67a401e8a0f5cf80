"""The firmware server, the log receiver and the station-side client, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from harness.fileserver import (
    FirmwareServer,
    LogReceiver,
    TransferError,
    TransferTimeout,
    UploadTimeout,
    download,
    mask_url,
    upload,
)
from harness.fileserver.multipart import MultipartError, encode_form_data, parse_form_data
from harness.pki import PkiFactory, verify_firmware

T = 5.0  # deadline of every wait: generous, never slept


async def assert_closed(port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()


@pytest.fixture
async def firmware() -> AsyncIterator[FirmwareServer]:
    server = FirmwareServer()
    await server.start()
    port = server.port
    yield server
    await server.stop()
    await assert_closed(port)


@pytest.fixture
async def logs(tmp_path: Path) -> AsyncIterator[LogReceiver]:
    receiver = LogReceiver(tmp_path / "reports", max_upload=64 * 1024)
    await receiver.start()
    port = receiver.port
    yield receiver
    await receiver.stop()
    await assert_closed(port)


async def raw_request(port: int, data: bytes) -> bytes:
    """Send `data` as it is and read the whole answer (the server closes after one)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    async with asyncio.timeout(T):
        answer = await reader.read()
    writer.close()
    return answer


# ---- firmware ----------------------------------------------------------------------------------------------------
async def test_a_signed_image_downloads_and_verifies(firmware: FirmwareServer, pki: PkiFactory) -> None:
    image = firmware.publish_signed("fw-1.0.bin", pki)
    assert image.url == f"http://127.0.0.1:{firmware.port}/firmware/fw-1.0.bin"
    data = await download(image.url, timeout=T)
    assert data == image.data and len(data) == 64 * 1024
    assert image.signature is not None and image.signing_certificate is not None
    assert verify_firmware(data, image.signature, image.signing_certificate)
    record = await firmware.wait_for_download("fw-1.0.bin", timeout=T)
    assert (record.method, record.status, record.bytes_sent, record.complete) == ("GET", 200, len(data), True)
    assert record.client.startswith("127.0.0.1:")
    await download(image.url, timeout=T)
    assert len(firmware.downloads("fw-1.0.bin")) == 2
    fields = image.firmware()
    assert set(fields) == {"location", "retrieveDateTime", "signingCertificate", "signature"}
    assert fields["location"] == image.url and fields["retrieveDateTime"].endswith("Z")


async def test_a_badly_signed_image_fails_verification(firmware: FirmwareServer, pki: PkiFactory) -> None:
    good = firmware.publish_signed("good.bin", pki)
    bad = firmware.publish_badly_signed("bad.bin", pki)
    data = await download(bad.url, timeout=T)
    assert data == bad.data
    assert bad.signature is not None and bad.signing_certificate is not None
    assert not verify_firmware(data, bad.signature, bad.signing_certificate)
    assert good.signature is not None
    assert not verify_firmware(data, good.signature, bad.signing_certificate)  # nor by another image's signature


async def test_a_missing_image_answers_404_and_download_raises(firmware: FirmwareServer, pki: PkiFactory) -> None:
    missing = firmware.missing_image("gone.bin", pki)
    assert missing.signature is not None  # a well-formed UpdateFirmware that points nowhere
    with pytest.raises(TransferError) as caught:
        await download(missing.url, timeout=T)
    assert caught.value.status == 404 and "404" in str(caught.value)
    assert not isinstance(caught.value, TransferTimeout)
    record = await firmware.wait_for_request("gone.bin", timeout=T)
    assert (record.method, record.status) == ("GET", 404)
    assert firmware.downloads("gone.bin") == []


async def test_firmware_refuses_other_methods_and_unpublished_names(firmware: FirmwareServer) -> None:
    url = firmware.publish("x.bin", b"abc")
    with pytest.raises(TransferError) as caught:
        await upload(url, "x.bin", b"new", method="PUT", timeout=T)
    assert caught.value.status in (405, 413)  # a body on the firmware server is refused either way
    firmware.unpublish("x.bin")
    with pytest.raises(TransferError, match="404"):
        await download(url, timeout=T)
    answer = await raw_request(firmware.port, b"HEAD /firmware/y.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404 ")


async def test_https_with_the_pki_server_certificate(pki: PkiFactory) -> None:
    async with FirmwareServer(ssl=pki.server_context(2)) as server:
        image = server.publish_signed("tls.bin", pki)
        assert image.url.startswith("https://127.0.0.1:")
        data = await download(image.url, ssl=pki.client_context(2), timeout=T)  # trusts the CSMS root
        assert data == image.data
        untrusting = ssl.create_default_context()  # system roots only
        with pytest.raises(TransferError) as caught:
            await download(image.url, ssl=untrusting, timeout=T)
        assert isinstance(caught.value.__cause__, Exception)
        assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
        [failed] = await server.wait_for(lambda r: r.tls_failed, timeout=T)
        assert failed.method is None and failed.status is None and failed.note.startswith("TLS handshake failed")
        assert [r.status for r in server.requests if r.method] == [200]
        port = server.port
    await assert_closed(port)


async def test_basic_auth_is_checked_and_the_password_never_recorded(pki: PkiFactory) -> None:
    async with FirmwareServer(basic_auth=("lab", "s3cr:t pass")) as server:
        url = server.publish("a.bin", b"payload")
        assert "s3cr" not in mask_url(url) and mask_url(url).startswith("http://lab:***@127.0.0.1:")
        assert await download(url, timeout=T) == b"payload"
        with pytest.raises(TransferError) as caught:
            await download(url.replace("s3cr%3At", "BADPW"), timeout=T)
        assert caught.value.status == 401 and "s3cr" not in str(caught.value) and "BADPW" not in str(caught.value)
        text = json.dumps([r.to_json() for r in server.requests]) + repr(server)
        assert [r.status for r in server.requests] == [200, 401]
        assert all(r.user == "lab" for r in server.requests)
        assert "s3cr" not in text and "BADPW" not in text and "wrong Basic Auth password" in text


# ---- logs --------------------------------------------------------------------------------------------------------
LOG = b"2025-01-01T00:00:00Z boot\n" * 200


async def test_a_multipart_upload_is_stored_with_its_sha256(logs: LogReceiver, tmp_path: Path) -> None:
    url = logs.url_for(7)
    assert url == f"http://127.0.0.1:{logs.port}/logs/7/"
    waiter = asyncio.create_task(logs.wait_for_upload(7, timeout=T))
    assert await upload(url, "diagnostics.log", LOG, timeout=T) == 200
    got = await waiter
    assert (got.request_id, got.filename, got.size, got.method) == ("7", "diagnostics.log", len(LOG), "POST")
    assert got.sha256 == hashlib.sha256(LOG).hexdigest() and got.content == LOG
    assert got.content_type == "application/octet-stream"
    assert got.path.parent == tmp_path / "reports" / "log-uploads" and got.path.read_bytes() == LOG
    index = [json.loads(line) for line in (got.path.parent / "uploads.jsonl").read_text().splitlines()]
    assert index == [got.to_json()] and index[0]["sha256"] == got.sha256


async def test_a_put_upload_is_stored_under_the_appended_file_name(logs: LogReceiver) -> None:
    assert await upload(logs.url_for("42") + "security.log", "ignored", b"sec\n", method="PUT",
                        content_type="text/plain", timeout=T) == 201
    got = await logs.wait_for_upload("42", timeout=T)
    assert (got.filename, got.size, got.method, got.content_type) == ("security.log", 4, "PUT", "text/plain")
    assert got.sha256 == hashlib.sha256(b"sec\n").hexdigest()


async def test_each_upload_is_handed_out_once_and_a_missing_one_times_out(logs: LogReceiver) -> None:
    await upload(logs.url_for(1), "a.log", b"a", timeout=T)
    await upload(logs.url_for(2), "b.log", b"b", timeout=T)
    assert (await logs.wait_for_upload(2, timeout=T)).content == b"b"
    assert (await logs.wait_for_upload(timeout=T)).content == b"a"
    with pytest.raises(UploadTimeout, match=r"no log upload for request 1 within 0.2 s \(requests seen: POST"):
        await logs.wait_for_upload(1, timeout=0.2)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
async def test_what_curl_sends_is_accepted(logs: LogReceiver, tmp_path: Path) -> None:
    source = tmp_path / "curl diag.log"
    source.write_bytes(LOG)
    for args in (["-F", f"file=@{source}", logs.url_for(9)], ["-T", str(source), logs.url_for(9)]):
        process = await asyncio.create_subprocess_exec("curl", "-sS", "--fail", "-o", "/dev/null", *args,
                                                       stderr=asyncio.subprocess.PIPE)
        async with asyncio.timeout(T):
            _, stderr = await process.communicate()
        assert process.returncode == 0, stderr
    multipart, put = await logs.wait_for_upload(9, timeout=T), await logs.wait_for_upload(9, timeout=T)
    assert multipart.method == "POST" and multipart.filename == "curl diag.log" and multipart.content == LOG
    assert put.method == "PUT" and put.filename == "curl diag.log" and put.content == LOG
    big = tmp_path / "big.log"
    big.write_bytes(b"b" * (2 * 1024 * 1024))  # over 1 MiB: curl asks `Expect: 100-continue` first
    for option in ("-T", "-F"):
        arg = f"file=@{big}" if option == "-F" else str(big)
        process = await asyncio.create_subprocess_exec("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", option,
                                                       arg, logs.url_for(10), stdout=asyncio.subprocess.PIPE)
        async with asyncio.timeout(T):
            stdout, _ = await process.communicate()
        assert stdout == b"413", option
    assert [r.status for r in logs.requests if (r.path or "").startswith("/logs/10/")] == [413, 413]


async def test_an_oversize_upload_is_answered_413_and_recorded(logs: LogReceiver) -> None:
    big = b"x" * (logs.max_upload + 1)
    with pytest.raises(TransferError) as caught:
        await upload(logs.url_for(3), "big.log", big, method="PUT", timeout=T)
    assert caught.value.status == 413 and "exceeds the limit of 65536 bytes" in str(caught.value)
    record = await logs.wait_for_request(status=413, timeout=T)
    assert record.method == "PUT" and record.path == "/logs/3/" and "65537" in record.note
    answer = await raw_request(logs.port, b"POST /logs/3/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                          + b"10000\r\n" + b"y" * 0x10000 + b"\r\n1\r\nz\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert logs.uploads == []


async def test_a_failing_receiver_answers_500_and_stores_nothing(logs: LogReceiver) -> None:
    logs.fail_with = 500
    with pytest.raises(TransferError) as caught:
        await upload(logs.url_for(5), "x.log", b"x", timeout=T)
    assert caught.value.status == 500
    assert (await logs.wait_for_request(status=500, timeout=T)).path == "/logs/5/"
    assert logs.uploads == [] and list(logs.directory.iterdir()) == []


async def test_malformed_requests_are_refused_not_guessed(logs: LogReceiver) -> None:
    cases = {
        b"POST /logs/1/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc": b"400",
        b"POST /logs/1/ HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc": b"400",
        b"GET /logs/1/ HTTP/2.0\r\n\r\n": b"505",
        b"GET nothing HTTP/1.1\r\n\r\n": b"400",
        b"POST /logs/1/ HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 9\r\n\r\n"
        b"--b\r\nxyz\r\n": b"400",
        b"GET /logs/1/ HTTP/1.1\r\n\r\n": b"405",
        b"PUT /other HTTP/1.1\r\nContent-Length: 1\r\n\r\nx": b"404",
    }
    for request, status in cases.items():
        answer = await raw_request(logs.port, request)
        assert answer.startswith(b"HTTP/1.1 " + status + b" "), (request, answer[:80])
    assert logs.uploads == []
    assert len([r for r in logs.requests if r.status is not None and r.status >= 400]) == len(cases)


async def test_https_upload_trusting_the_pki_root(pki: PkiFactory, tmp_path: Path) -> None:
    async with LogReceiver(tmp_path, ssl=pki.server_context(2)) as receiver:
        await upload(receiver.url_for(11), "tls.log", LOG, ssl=pki.client_context(2), timeout=T)
        assert (await receiver.wait_for_upload(11, timeout=T)).sha256 == hashlib.sha256(LOG).hexdigest()
        with pytest.raises(TransferError, match="CERTIFICATE_VERIFY_FAILED"):
            await upload(receiver.url_for(12), "tls.log", LOG, ssl=ssl.create_default_context(), timeout=T)
        await receiver.wait_for(lambda r: r.tls_failed, timeout=T)
        assert [u.request_id for u in receiver.uploads] == ["11"]
        port = receiver.port
    await assert_closed(port)


async def test_a_silent_server_makes_the_client_time_out() -> None:
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never answers
        writer.close()
    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(TransferTimeout) as caught:
            await download(f"http://u:pw@127.0.0.1:{port}/x", timeout=0.3)
        assert isinstance(caught.value, TimeoutError) and "pw" not in str(caught.value)
    finally:
        server.close()
        await server.wait_closed()


# ---- multipart ---------------------------------------------------------------------------------------------------
def test_multipart_round_trip_and_strictness() -> None:
    body, content_type = encode_form_data("file", 'we"ird.log', b"a\r\n--b\r\nz", content_type="text/plain")
    [part] = parse_form_data(body, content_type)
    assert (part.name, part.filename, part.content_type, part.data) == ("file", 'we"ird.log', "text/plain",
                                                                        b"a\r\n--b\r\nz")
    with pytest.raises(MultipartError, match="closing boundary"):
        parse_form_data(body[:-12], content_type)
    with pytest.raises(MultipartError, match="no Content-Disposition"):
        parse_form_data(b"--b\r\nContent-Type: x\r\n\r\ndata\r\n--b--\r\n", "multipart/form-data; boundary=b")


# ---- the HTTP engine ---------------------------------------------------------------------------------------------
async def test_stop_closes_open_connections_and_a_slow_request_gets_408() -> None:
    from harness.fileserver import HttpServer
    from harness.fileserver.http_server import HttpRequest, HttpResponse

    async def handler(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("boom")

    server = HttpServer(handler, request_timeout=0.3)
    await server.start()
    port = server.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /slow HTTP/1.1\r\n")  # and never the end of the head
    async with asyncio.timeout(T):
        assert (await reader.read()).startswith(b"HTTP/1.1 408 ")
    writer.close()
    held_reader, held_writer = await asyncio.open_connection("127.0.0.1", port)  # silent, held open
    loop = asyncio.get_running_loop()
    errors: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _, context: errors.append(context))
    try:
        answer = await raw_request(port, b"GET /x HTTP/1.1\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 500 ")
        async with asyncio.timeout(T):
            await server.stop()
            assert await held_reader.read() == b""  # the server closed it
    finally:
        loop.set_exception_handler(None)
        held_writer.close()
    await assert_closed(port)
    records = server.records
    assert [(r.method, r.status) for r in records] == [(None, 408), ("GET", 500), (None, None)]
    assert records[2].note == "connection open when the server stopped"
    assert "boom" in records[1].note and records[1].path == "/x"
