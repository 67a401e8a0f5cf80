"""The bytes of an opening handshake, kept as evidence when it fails: what the peer sent before its HTTP upgrade
request (server side) or response (client side) was read, up to OPENING_MAX, with any Authorization value masked
(a password never reaches a transcript, even from a broken request)."""

from __future__ import annotations

import base64
import re
from typing import Any

OPENING_MAX = 64 * 1024  # far above what a sane HTTP head needs (websockets refuses longer lines and more headers)
_AUTHORIZATION = re.compile(rb"(?im)^(authorization[ \t]*:)[^\r\n]*")


def keep_opening(kept: bytearray, data: bytes) -> None:
    """Append `data` to `kept` up to OPENING_MAX bytes in all."""
    room = OPENING_MAX - len(kept)
    if room > 0:
        kept += data[:room]


def masked(data: bytes) -> bytes:
    """`data` with the value of every Authorization header line replaced by ********."""
    return _AUTHORIZATION.sub(rb"\1 ********", data)


def opening_json(data: bytes) -> dict[str, Any]:
    """The kept bytes for a transcript record: readable text and the exact (masked) bytes in Base64."""
    if not data:
        return {}
    shown = masked(data)
    return {"received": shown.decode("utf-8", errors="backslashreplace"),
            "received_b64": base64.b64encode(shown).decode("ascii"),
            **({"received_truncated_at": OPENING_MAX} if len(data) >= OPENING_MAX else {})}
