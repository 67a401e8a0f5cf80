"""A TLS handshake the server side runs by hand, to test whether a station *refuses* something on purpose.

`loop.start_tls` drops whatever OpenSSL wrote when a handshake fails, so the station never sees the alert (e.g.
protocol_version when the harness offers only TLS 1.1) and cannot tell why it was refused. Here the handshake runs
over memory BIOs and every byte OpenSSL produces goes on the wire, alerts included; the connection is closed right
after, whether the handshake completed or not: a probe never carries OCPP.

    probe_handshake(tcp transport, context, timeout)  ->  ProbeResult (session when completed, else failure)
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

from harness.transport.tls import TlsFailure, TlsSession, classify_failure, read_session


@dataclass(frozen=True)
class ProbeResult:
    """How the station answered the probe: `session` when it completed the handshake, else `failure`."""

    session: TlsSession | None = None
    failure: TlsFailure | None = None


class _HandshakeByHand(asyncio.Protocol):
    def __init__(self, context: ssl.SSLContext, done: asyncio.Future[BaseException | None]) -> None:
        self._in, self._out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self._in, self._out, server_side=True)
        self._done = done
        self._transport: asyncio.Transport | None = None

    def start(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        self._in.write(data)
        self._step()

    def eof_received(self) -> bool | None:
        self._in.write_eof()
        self._step()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(exc or ConnectionResetError("the station closed the connection during the TLS handshake"))

    def _step(self) -> None:
        if self._done.done():
            return
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            self._flush()
            return
        except Exception as exc:  # every failure is the result: what OpenSSL (or the peer) said
            self._flush()
            self._finish(exc)
            return
        self._flush()
        self._finish(None)

    def _flush(self) -> None:
        pending = self._out.read()
        if pending and self._transport is not None and not self._transport.is_closing():
            self._transport.write(pending)

    def _finish(self, exc: BaseException | None) -> None:
        if not self._done.done():
            self._done.set_result(exc)


async def probe_handshake(tcp: asyncio.Transport, context: ssl.SSLContext, *, timeout: float) -> ProbeResult:
    """Run the server side of one TLS handshake with `context` on `tcp` (reading paused), then close `tcp`
    (gracefully: an alert OpenSSL wrote still goes out)."""
    done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
    protocol = _HandshakeByHand(context, done)
    tcp.set_protocol(protocol)
    protocol.start(tcp)
    try:
        async with asyncio.timeout(timeout):
            outcome = await done
    except TimeoutError as exc:
        outcome = exc
    finally:
        tcp.close()
    if outcome is None:
        return ProbeResult(session=read_session(protocol.tls, peer="station", expected_cn=None))
    if isinstance(outcome, ssl.SSLEOFError):  # the memory BIO's view of a peer that hung up without an alert
        outcome = ConnectionResetError("no alert")
    failure = classify_failure(outcome, peer="station")
    if failure.code in _OLD_VERSION and _offers_only_old_tls(context):
        # The harness offered only TLS < 1.2 and the station offered none of it: that is the station refusing.
        failure = TlsFailure("the station offered no TLS version below 1.2 (it refused the harness's old TLS)",
                             "peer", failure.code)
    return ProbeResult(failure=failure)


_OLD_VERSION = {"UNSUPPORTED_PROTOCOL", "WRONG_VERSION_NUMBER", "NO_PROTOCOLS_AVAILABLE", "VERSION_TOO_LOW"}


def _offers_only_old_tls(context: ssl.SSLContext) -> bool:
    return context.maximum_version not in (ssl.TLSVersion.MAXIMUM_SUPPORTED, ssl.TLSVersion.TLSv1_2,
                                           ssl.TLSVersion.TLSv1_3)
