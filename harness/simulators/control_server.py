"""The built-in simulators' HTTP control API: the README's JSON convention, served on 127.0.0.1.

The suite drives the simulators through this, exactly as it drives a lab's station or CSMS, so the HTTP control
adapter is exercised on every run. Python's own `http.server` (a thread) is enough for a loopback API of a few
calls per test; each request is handed to the simulator's event loop and answered when the action is applied.

    POST /actions/<action>   JSON object of parameters  ->  200 {"status": "done"}  |  4xx/5xx {"error": "…"}
    GET  /                   ->  200 {"kind": "station"|"csms", "identity"…, "actions": […]}
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import TimeoutError as FutureTimeout
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Action = Callable[[dict[str, Any]], Awaitable[Any]]


class BadRequest(Exception):
    """The request names an unknown action or lacks a parameter: HTTP 400 with this text."""


def _int(params: dict[str, Any], name: str, default: int | None = None) -> int:
    value = params.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"parameter {name!r} must be an integer; got {value!r}")
    return value


def station_actions(sim: Any) -> dict[str, Action]:
    """The station actions of the convention, on a StationSimulator."""

    async def present(p: dict[str, Any]) -> None:
        token = p.get("idToken")
        if not isinstance(token, str):
            raise BadRequest("parameter 'idToken' (string) is required")
        evse = p.get("evseId")
        await sim.present_token(token, str(p.get("type", "ISO14443")), None if evse is None else _int(p, "evseId"))

    async def plug_in(p: dict[str, Any]) -> None:
        where = (_int(p, "evseId", 1), _int(p, "connectorId", 1))
        if p.get("lockFails") is True:  # TC_G_20_CS: the cable is not fully plugged in, it cannot lock
            await sim.plug_in(*where, lock_fails=True)
        else:
            await sim.plug_in(*where)

    async def fault(p: dict[str, Any]) -> None:
        if not isinstance(p.get("faulted"), bool):
            raise BadRequest("parameter 'faulted' (true/false) is required")
        await sim.set_fault(_int(p, "evseId"), _int(p, "connectorId", 1), p["faulted"])

    def flag(p: dict[str, Any], name: str) -> bool:
        if not isinstance(p.get(name), bool):
            raise BadRequest(f"parameter {name!r} (true/false) is required")
        return bool(p[name])
    async def customer(p: dict[str, Any]) -> None:
        if not isinstance(p.get("customerIdentifier"), str):
            raise BadRequest("parameter 'customerIdentifier' (string) is required")
        await sim.store_customer_identifier(p["customerIdentifier"])

    async def select(p: dict[str, Any]) -> None:
        chosen = p.get("evseIds")
        if chosen is not None and (not isinstance(chosen, list) or not all(isinstance(e, int) for e in chosen)):
            raise BadRequest("parameter 'evseIds' must be a list of EVSE ids (omitted: all transactions)")
        await sim.select_transactions(chosen)

    return {
        "power-cycle": lambda p: sim.power_cycle(),
        "plug-in": plug_in,
        "unplug": lambda p: sim.unplug(_int(p, "evseId", 1), _int(p, "connectorId", 1)),
        "present-id-token": present,
        "fault": fault,
        "suspend-ev": lambda p: sim.suspend_ev(_int(p, "evseId", 1)),
        "resume-ev": lambda p: sim.resume_ev(_int(p, "evseId", 1)),
        "restore-network-profile": lambda p: sim.restore_network_profile(),
        "remove-station-certificate": lambda p: sim.remove_station_certificate(),
        "ev-side": lambda p: sim.ev_side(_int(p, "evseId", 1), _int(p, "connectorId", 1), flag(p, "connected")),
        "parking-bay": lambda p: sim.parking_bay(_int(p, "evseId", 1), flag(p, "occupied")),
        "select-transactions": select,
        "store-customer-identifier": customer,
    }


def csms_actions(sim: Any, spawn: Callable[[Awaitable[Any]], None]) -> dict[str, Action]:
    """The CSMS actions of the convention, on a CsmsSimulator. `send` returns once the CALL is on its way; the
    station's answer is the test's business (waiting here would deadlock a harness that is the station)."""

    async def send(p: dict[str, Any]) -> None:
        identity, action, payload = p.get("stationId"), p.get("action"), p.get("payload", {})
        if not isinstance(identity, str) or not isinstance(action, str) or not isinstance(payload, dict):
            raise BadRequest("parameters 'stationId' (string), 'action' (string), 'payload' (object) are required")
        if not sim.connected(identity):
            raise BadRequest(f"station {identity!r} is not connected to the CSMS")
        spawn(sim.operator_request(identity, action, payload))

    async def boot_status(p: dict[str, Any]) -> None:
        identity, status = p.get("stationId"), p.get("status")
        if not isinstance(identity, str) or not isinstance(status, str):
            raise BadRequest("parameters 'stationId' and 'status' (strings) are required")
        try:
            sim.set_boot_status(identity, status)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None

    async def security_profile(p: dict[str, Any]) -> None:
        identity = p.get("stationId")
        if not isinstance(identity, str):
            raise BadRequest("parameters 'stationId' (string) and 'securityProfile' (1, 2 or 3) are required")
        try:
            sim.set_security_profile(identity, _int(p, "securityProfile"))
        except ValueError as exc:
            raise BadRequest(str(exc)) from None

    return {"send": send, "boot-status": boot_status, "security-profile": security_profile}


class ControlServer:
    """`await start()` → `url`; `await stop()`. Actions run on the loop that called `start()`."""

    def __init__(self, kind: str, identity: str, actions: dict[str, Action], *, host: str = "127.0.0.1",
                 port: int = 0, action_timeout: float = 30.0) -> None:
        self.kind, self.identity, self.actions = kind, identity, actions
        self.action_timeout = action_timeout
        self.requests: list[tuple[str, dict[str, Any], int]] = []  # (action, params, HTTP status) as served
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = ThreadingHTTPServer(self._address, self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"{self.kind} control API",
                                        daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        await asyncio.to_thread(server.shutdown)  # blocks until serve_forever has returned
        server.server_close()
        await asyncio.to_thread(thread.join)

    def _run(self, action: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """In the HTTP thread: run the action on the loop and wait for it (with a deadline)."""
        perform = self.actions.get(action)
        if perform is None:
            return 404, {"error": f"unknown action {action!r}; this {self.kind} knows {sorted(self.actions)}"}
        assert self._loop is not None

        async def run() -> Any:
            return await perform(params)

        future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        try:
            future.result(self.action_timeout)
        except BadRequest as exc:
            return 400, {"error": str(exc)}
        except FutureTimeout:
            future.cancel()
            return 504, {"error": f"{action} not done within {self.action_timeout} s"}
        except Exception as exc:  # the simulator failed to act: tell the caller what, keep serving
            return 500, {"error": f"{type(exc).__name__}: {exc}"}
        return 200, {"status": "done"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the requests are kept in `server.requests` and journaled by the harness's adapter."""

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/") != "":
                    self._answer(404, {"error": "only GET / and POST /actions/<action>"})
                    return
                self._answer(200, {"kind": server.kind, "identity": server.identity,
                                   "actions": sorted(server.actions)})

            def do_POST(self) -> None:
                if not self.path.startswith("/actions/"):
                    self._answer(404, {"error": "POST /actions/<action>"})
                    return
                action = self.path.removeprefix("/actions/").strip("/")
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                    params = json.loads(self.rfile.read(length) or b"{}")
                except (ValueError, UnicodeDecodeError) as exc:
                    self._answer(400, {"error": f"the body is not JSON: {exc}"})
                    return
                if not isinstance(params, dict):
                    self._answer(400, {"error": "the body must be a JSON object of parameters"})
                    return
                status, body = server._run(action, params)
                server.requests.append((action, params, status))
                self._answer(status, body)

        return Handler
