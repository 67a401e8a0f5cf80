"""The station-role WebSocket client: offers `ocpp2.0.1`, sends HTTP Basic Auth, reports what the CSMS chose."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from harness.errors import TransportSetupError

SUBPROTOCOL = "ocpp2.0.1"


class HandshakeRefused(Exception):
    """The CSMS refused the opening handshake (HTTP status other than 101, or a failed negotiation)."""

    def __init__(self, status: int | None, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"handshake refused: HTTP {status}: {reason}" if status else f"handshake refused: {reason}")


@dataclass
class ClientOptions:
    """How the station side opens its connection; every field can be set wrong on purpose by a test."""

    subprotocols: list[str] = field(default_factory=lambda: [SUBPROTOCOL])
    username: str | None = None  # defaults to the identity
    password: str | None = None  # None: no Authorization header
    open_timeout: float = 10.0
    max_size: int = 1 << 20
    ssl: Any = None
    extra_headers: dict[str, str] = field(default_factory=dict)


def station_url(base: str, identity: str) -> str:
    """RPC-02: endpoint URL + "/" + identity, percent-encoded."""
    return base.rstrip("/") + "/" + quote(identity, safe="")


async def connect(base_url: str, identity: str, options: ClientOptions | None = None) -> ClientConnection:
    """Open the WebSocket connection of station `identity`; raises HandshakeRefused when the CSMS says no."""
    opts = options or ClientOptions()
    headers = dict(opts.extra_headers)
    if opts.password is not None:
        user = identity if opts.username is None else opts.username
        token = base64.b64encode(f"{user}:{opts.password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    try:
        return await ws_connect(station_url(base_url, identity), subprotocols=list(opts.subprotocols) or None,  # type: ignore[arg-type]
                                additional_headers=headers, open_timeout=opts.open_timeout, max_size=opts.max_size,
                                ssl=opts.ssl, ping_interval=None, proxy=None)
    except InvalidStatus as exc:
        raise HandshakeRefused(exc.response.status_code, exc.response.reason_phrase) from exc
    except InvalidHandshake as exc:
        raise HandshakeRefused(None, str(exc)) from exc
    except (OSError, TimeoutError) as exc:
        raise TransportSetupError(f"cannot connect to {base_url} as {identity!r}: {exc}") from exc
