"""WebSocket transports: the only package that imports websockets (DESIGN.md §3 rule 2)."""

from harness.transport.client import ClientOptions, HandshakeRefused, TlsRefused, connect
from harness.transport.connection import CallHandler, CallTimeout, ConnectionLost, MismatchedAnswer, OcppConnection
from harness.transport.opening import opening_json
from harness.transport.server import Handshake, OcppServer, ServerSocket

__all__ = [
    "CallHandler", "CallTimeout", "ClientOptions", "ConnectionLost", "Handshake", "HandshakeRefused",
    "MismatchedAnswer", "OcppConnection", "OcppServer", "ServerSocket", "TlsRefused", "connect", "opening_json",
]
