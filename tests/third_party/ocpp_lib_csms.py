"""A thin CSMS written on someone else's OCPP stack: the PyPI `ocpp` library (mobilityhouse) v201 `ChargePoint`
(the library's peer object, used on the CSMS side as its own examples do) behind a `websockets` server. The harness
judges it as a lab's CSMS (tests/test_third_party.py).

All OCPP-J is the library's: framing, routing of CALLs to the `@on` handlers below, schema validation and the
CALLERRORs it answers with, `call()` for the CSMS-initiated requests. What is written here is what a small CSMS does
on top of it, as the library's `examples/v201/central_system.py` shows: refuse a connection without the `ocpp2.0.1`
subprotocol, take its one known station with HTTP Basic Auth (unknown identity: 404, wrong credentials: 401),
answer BootNotification (Accepted, or what `boot-status` set), Heartbeat, StatusNotification, Authorize and
TransactionEvent from a small token list, and refuse anything but BootNotification from a Rejected station with
CALLERROR SecurityError.

    OCPP_STATION_PASSWORD=… python tests/third_party/ocpp_lib_csms.py --port 0 --identity TP-HARNESS-1

prints `CSMS on ws://127.0.0.1:PORT/ocpp` and `control API on http://127.0.0.1:PORT` (the README's HTTP control
convention: `send` — any CSMS-initiated request the library has a dataclass for — and `boot-status`), and stops
on SIGTERM. The control API is the harness's own small server (`harness.simulators.control_server`): the lab rig
around the CSMS, not part of the OCPP stack under test.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hmac
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import websockets
from ocpp.charge_point import camel_to_snake_case
from ocpp.exceptions import SecurityError
from ocpp.routing import on
from ocpp.v201 import ChargePoint, call
from ocpp.v201 import call_result as result
from ocpp.v201.enums import Action
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from harness.simulators.control_server import BadRequest, ControlServer

LOG = logging.getLogger("ocpp_lib_csms")

# idToken -> (status, groupIdToken): the CSMS's token list (the test's SUT profile names the same tokens)
TOKENS: dict[str, tuple[str, str | None]] = {
    "TP-VALID-1": ("Accepted", "TP-GROUP"),
    "TP-VALID-2": ("Accepted", None),
    "TP-GROUP-1": ("Accepted", "TP-GROUP"),
    "TP-INVALID": ("Invalid", None),
    "TP-BLOCKED": ("Blocked", None),
    "TP-EXPIRED": ("Expired", None),
}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def token_info(id_token: dict[str, Any]) -> dict[str, Any]:
    status, group = TOKENS.get(id_token["id_token"], ("Unknown", None))
    info: dict[str, Any] = {"status": status}
    if group is not None:
        info["group_id_token"] = {"id_token": group, "type": "Central"}
    return info


class StationLink(ChargePoint):
    """The CSMS's side of one station connection."""

    def __init__(self, identity: str, connection: Any, csms: Csms) -> None:
        super().__init__(identity, connection)
        self.csms = csms

    def _registered(self) -> None:
        """B03.FR.06: a Rejected station gets CALLERROR SecurityError for anything but BootNotification."""
        if self.csms.registration.get(self.id) == "Rejected":
            raise SecurityError(description="BootNotification was rejected")

    @on(Action.boot_notification)
    def on_boot_notification(self, charging_station: dict[str, Any], reason: str, **_: Any) -> result.BootNotification:
        status = self.csms.boot_status.get(self.id, "Accepted")
        self.csms.registration[self.id] = status
        interval = self.csms.heartbeat if status == "Accepted" else self.csms.retry
        return result.BootNotification(current_time=now(), interval=interval, status=status)

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> result.Heartbeat:
        self._registered()
        return result.Heartbeat(current_time=now())

    @on(Action.status_notification)
    def on_status_notification(self, **_: Any) -> result.StatusNotification:
        self._registered()
        return result.StatusNotification()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, **_: Any) -> result.SecurityEventNotification:
        self._registered()
        return result.SecurityEventNotification()

    @on(Action.notify_event)
    def on_notify_event(self, **_: Any) -> result.NotifyEvent:
        self._registered()
        return result.NotifyEvent()

    @on(Action.meter_values)
    def on_meter_values(self, **_: Any) -> result.MeterValues:
        self._registered()
        return result.MeterValues()

    @on(Action.authorize)
    def on_authorize(self, id_token: dict[str, Any], **_: Any) -> result.Authorize:
        self._registered()
        return result.Authorize(id_token_info=token_info(id_token))

    @on(Action.transaction_event)
    def on_transaction_event(self, id_token: dict[str, Any] | None = None, **_: Any) -> result.TransactionEvent:
        self._registered()
        return result.TransactionEvent(id_token_info=token_info(id_token) if id_token else None)


class Csms:
    def __init__(self, identity: str, password: str, heartbeat: int, retry: int) -> None:
        self.identity, self.password, self.heartbeat, self.retry = identity, password, heartbeat, retry
        self.boot_status: dict[str, str] = {}  # what the next BootNotification of a station is answered
        self.registration: dict[str, str] = {}  # what its last one was answered
        self.links: dict[str, StationLink] = {}
        self.tasks: set[asyncio.Task[Any]] = set()

    def check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Before the upgrade: the path names the known station, Basic Auth is its identity and password."""
        identity = request.path.rstrip("/").rsplit("/", 1)[-1]
        if identity != self.identity:
            return connection.respond(HTTPStatus.NOT_FOUND, "unknown Charging Station\n")
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        if scheme.lower() != "basic" or user != identity or not hmac.compare_digest(password, self.password):
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "bad credentials\n")
            response.headers["WWW-Authenticate"] = 'Basic realm="ocpp"'
            return response
        return None

    async def on_connect(self, ws: ServerConnection) -> None:
        # As in the library's example: no agreed subprotocol, no OCPP.
        if ws.subprotocol is None:
            await ws.close(1002, "no ocpp2.0.1 subprotocol")
            return
        identity = ws.request.path.rstrip("/").rsplit("/", 1)[-1] if ws.request else ""
        link = StationLink(identity, ws, self)
        self.links[identity] = link
        try:
            await link.start()
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.links.get(identity) is link:
                del self.links[identity]

    # ---- the control API's actions ---------------------------------------------------------------------------
    async def send(self, params: dict[str, Any]) -> None:
        identity, action, payload = params.get("stationId"), params.get("action"), params.get("payload", {})
        if not isinstance(identity, str) or not isinstance(action, str) or not isinstance(payload, dict):
            raise BadRequest("parameters 'stationId' (string), 'action' (string), 'payload' (object) are required")
        link = self.links.get(identity)
        if link is None:
            raise BadRequest(f"station {identity!r} is not connected")
        request = getattr(call, action, None)
        if request is None:
            raise BadRequest(f"the library has no request {action!r}")
        try:
            message = request(**camel_to_snake_case(payload))
        except TypeError as exc:
            raise BadRequest(f"{action}: {exc}") from None

        async def send() -> None:
            try:
                LOG.info("%s answered %s", action, await link.call(message))
            except Exception as exc:  # the station's business; the harness judges it
                LOG.warning("%s to %s: %s", action, identity, exc)

        task = asyncio.get_running_loop().create_task(send())  # return once it is on its way
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def set_boot_status(self, params: dict[str, Any]) -> None:
        identity, status = params.get("stationId"), params.get("status")
        if identity != self.identity or status not in ("Accepted", "Pending", "Rejected"):
            raise BadRequest(f"'stationId' must be {self.identity!r}, 'status' Accepted, Pending or Rejected")
        self.boot_status[identity] = status


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--identity", default="TP-HARNESS-1", help="the one station identity it knows")
    parser.add_argument("--password-env", default="OCPP_STATION_PASSWORD")
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--heartbeat-interval", type=int, default=60)
    parser.add_argument("--retry-interval", type=int, default=10, help="interval given with Pending/Rejected")
    parser.add_argument("--verbose", action="store_true", help="log every frame (the library's INFO log)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    password = os.environ.get(args.password_env)
    if not password:
        parser.error(f"set the station's Basic Auth password in ${args.password_env}")
    csms = Csms(args.identity, password, args.heartbeat_interval, args.retry_interval)
    control = ControlServer("csms", args.identity, {"send": csms.send, "boot-status": csms.set_boot_status},
                            port=args.control_port)
    async with websockets.serve(csms.on_connect, "127.0.0.1", args.port,
                                subprotocols=[websockets.Subprotocol("ocpp2.0.1")],
                                process_request=csms.check_request, ping_interval=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"CSMS on ws://127.0.0.1:{port}/ocpp", flush=True)
        await control.start()
        print(f"control API on {control.url}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await control.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
