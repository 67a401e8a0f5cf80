"""The station-role WebSocket client: offers `ocpp2.0.1`, sends HTTP Basic Auth, reports what the CSMS chose.

With an `ssl` context (wss://, security profiles 2 and 3, see `tls.py`) the TLS session and the CSMS certificate
are judged and handed to `on_tls`; a TLS handshake that fails raises `TlsRefused` with who refused and why.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from ssl import SSLContext, SSLError, SSLObject
from urllib.parse import quote, urlsplit

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from harness.errors import TransportSetupError
from harness.transport.opening import keep_opening
from harness.transport.tls import TlsFailure, TlsSession, classify_failure, read_session

SUBPROTOCOL = "ocpp2.0.1"


class HandshakeRefused(Exception):
    """The CSMS refused the opening handshake (HTTP status other than 101, or a failed negotiation)."""

    def __init__(self, status: int | None, reason: str, *, received: bytes = b"") -> None:
        self.status = status
        self.reason = reason
        self.received = received  # what the CSMS sent in its opening handshake, when it had sent anything
        super().__init__(f"handshake refused: HTTP {status}: {reason}" if status else f"handshake refused: {reason}")


class TlsRefused(HandshakeRefused):
    """The TLS handshake failed: `failure.refused_by` says whether the harness refused the CSMS (its certificate,
    version or suites) or the CSMS refused the harness; `findings` judge the CSMS (empty when the CSMS refused).

    Under TLS 1.3 a CSMS refuses a client certificate only after the client has finished its handshake; a CSMS that
    then closes without an alert shows as a plain HandshakeRefused (no HTTP response), not as TlsRefused."""

    def __init__(self, failure: TlsFailure) -> None:
        self.failure = failure
        self.findings = list(failure.findings)
        super().__init__(None, f"TLS: {failure.reason}")


@dataclass
class ClientOptions:
    """How the station side opens its connection; every field can be set wrong on purpose by a test."""

    subprotocols: list[str] = field(default_factory=lambda: [SUBPROTOCOL])
    username: str | None = None  # defaults to the identity
    password: str | None = field(default=None, repr=False)  # None: no Authorization header; never in a repr
    open_timeout: float = 10.0
    max_size: int = 1 << 20
    ssl: SSLContext | None = None  # wss://: from tls.client_context or PkiFactory.client_context
    extra_headers: dict[str, str] = field(default_factory=dict)
    on_tls: Callable[[TlsSession], None] | None = None  # receives the judged TLS session once connected
    expected_cn: str | None = None  # the CSMS certificate's CN (A00.FR.510); the URL's host when None


def station_url(base: str, identity: str) -> str:
    """RPC-02: endpoint URL + "/" + identity, percent-encoded; or, where the URL holds `{identity}`, the identity
    there (a CSMS that wants `…/ocpp/<identity>/` or the identity elsewhere in its path)."""
    if "{identity}" in base:
        return base.replace("{identity}", quote(identity, safe=""))
    return base.rstrip("/") + "/" + quote(identity, safe="")


async def connect(base_url: str, identity: str, options: ClientOptions | None = None) -> ClientConnection:
    """Open the WebSocket connection of station `identity`; raises HandshakeRefused when the CSMS says no."""
    opts = options or ClientOptions()
    headers = dict(opts.extra_headers)
    if opts.password is not None:
        user = identity if opts.username is None else opts.username
        token = base64.b64encode(f"{user}:{opts.password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    opening = bytearray()  # the CSMS's answer until its upgrade response was read: evidence of a refusal

    class KeepingOpening(ClientConnection):
        def data_received(self, data: bytes) -> None:
            if self.response is None:
                keep_opening(opening, data)
            super().data_received(data)

    try:
        ws = await ws_connect(station_url(base_url, identity), subprotocols=list(opts.subprotocols) or None,  # type: ignore[arg-type]
                              additional_headers=headers, open_timeout=opts.open_timeout, max_size=opts.max_size,
                              ssl=opts.ssl, ping_interval=None, proxy=None, create_connection=KeepingOpening)
    except InvalidStatus as exc:
        raise HandshakeRefused(exc.response.status_code, exc.response.reason_phrase, received=bytes(opening)) from exc
    except InvalidHandshake as exc:
        tls_error = _tls_cause(exc)
        if tls_error is not None:  # TLS 1.3: the CSMS refuses the client certificate after the client finished
            raise TlsRefused(classify_failure(tls_error, peer="csms")) from exc
        raise HandshakeRefused(None, str(exc), received=bytes(opening)) from exc
    except SSLError as exc:  # before OSError, its base: a TLS refusal is a result, not a set-up fault
        raise TlsRefused(classify_failure(exc, peer="csms")) from exc
    except ConnectionResetError as exc:
        if opts.ssl is None:
            raise TransportSetupError(f"cannot connect to {base_url} as {identity!r}: {exc!r}") from exc
        raise TlsRefused(classify_failure(exc, peer="csms")) from exc  # hung up in the TLS handshake, no alert
    except TimeoutError as exc:
        if opening:  # the CSMS took the connection and began to answer, but never finished: a broken handshake
            raise HandshakeRefused(None, f"no complete opening handshake answer within {opts.open_timeout} s",
                                   received=bytes(opening)) from exc
        raise TransportSetupError(f"cannot connect to {base_url} as {identity!r}: {exc}") from exc
    except OSError as exc:
        raise TransportSetupError(f"cannot connect to {base_url} as {identity!r}: {exc}") from exc
    ssl_object = ws.transport.get_extra_info("ssl_object")
    if opts.on_tls is not None and isinstance(ssl_object, SSLObject):
        expected = opts.expected_cn if opts.expected_cn is not None else urlsplit(base_url).hostname
        opts.on_tls(read_session(ssl_object, peer="csms", expected_cn=expected))
    return ws


def _tls_cause(exc: BaseException) -> SSLError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
