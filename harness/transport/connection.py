"""One OCPP-J WebSocket connection: every frame judged by the RPC session and recorded before it is acted on.

Used by both roles and by the simulators. Received CALLs are passed to an `on_call` handler that returns the
answer; bad requests are answered with the CALLERROR Part 4 prescribes before any handler sees them. The harness
never has two CALLs of its own outstanding (RPC-15): `call()` waits for the previous one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from websockets.asyncio.connection import Connection
from websockets.exceptions import ConnectionClosed, PayloadTooBig, ProtocolError
from websockets.protocol import State

from harness.ocppj import Call, CallError, Finding, RpcSession, Severity
from harness.ocppj.findings import finding
from harness.ocppj.session import Inbound
from harness.transcript import Record, Transcript

CallHandler = Callable[[Call, Record], Awaitable[Mapping[str, Any] | CallError | None]]
# Lets a simulator's fault switch change (or suppress, by returning None) the CALLERROR for bad input.
BadInputReply = Callable[[Record, CallError], CallError | None]
# Lets a simulator's variant reshape what it sends: (action, "Request" or "Response", payload) -> the payload sent.
Shape = Callable[[str, str, dict[str, Any]], dict[str, Any]]


class ConnectionLost(Exception):
    """The connection closed while the harness waited for an answer."""


class CallTimeout(Exception):
    """The peer did not answer a CALL before the deadline."""

    def __init__(self, call: Call, timeout: float) -> None:
        self.call = call
        self.timeout = timeout
        super().__init__(f"no answer to {call.action} (id {call.message_id}) within {timeout:g} s")


class MismatchedAnswer(CallTimeout):
    """The peer answered the CALL the harness waits for with a response whose id is unreadable or another one: no
    answer by Part 4 (a response carries its CALL's id), but what came is `record`."""

    def __init__(self, call: Call, record: Record) -> None:
        super().__init__(call, 0.0)
        self.record = record
        self.args = (f"{call.action} (id {call.message_id!r}) answered with message id {record.message_id!r}",)


_conn_numbers = itertools.count(1)


class OcppConnection:
    """A judged, recorded OCPP-J connection over a websockets Connection (server or client side)."""

    def __init__(self, ws: Connection, session: RpcSession, transcript: Transcript, on_call: CallHandler, *,
                 conn: int | None = None, identity: str = "", call_timeout: float = 30.0,
                 bad_input_reply: BadInputReply | None = None,
                 inspect: Callable[[int, Call], list[Finding]] | None = None,
                 peer_timeout: float | None = None, shape: Shape | None = None,
                 answer_delay: float = 0.0) -> None:
        self.ws = ws
        self.shape = shape  # a simulator variant's extra (legal) content on every payload it sends
        self.answer_delay = answer_delay  # a simulator variant: seconds before each answer to a CALL goes out
        # Part 4 §4.1.1: a CALL left unanswered on purpose stops blocking the peer's next CALL (RPC-15) once the
        # peer may have given up on it: after its message timeout. None: it blocks until the connection ends.
        self.peer_timeout = peer_timeout
        self.inspect = inspect  # invariants beyond one frame (e.g. a transaction's seqNo), judged before recording
        self.session = session
        self.transcript = transcript
        self.on_call = on_call
        self.conn = conn if conn is not None else next(_conn_numbers)
        self.identity = identity
        self.call_timeout = call_timeout
        self.bad_input_reply = bad_input_reply
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self._waiters: dict[str, asyncio.Future[Record]] = {}
        self._call_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sent: dict[str, asyncio.Event] = {}  # message id -> set once that frame is on the wire
        self._awaited: asyncio.Future[Record] | None = None  # the waiter of the harness's CALL being awaited now

    @property
    def subprotocol(self) -> str | None:
        return self.ws.subprotocol

    # ---- receiving -------------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Read until the connection closes; returns then (never raises on bad input)."""
        cause: BaseException | None = None
        try:
            while True:  # not `async for`: it hides how a normally closed connection ended
                await self._handle(await self.ws.recv())
        except ConnectionClosed as exc:
            # websockets fails the connection itself on some input (invalid UTF-8: 1007, too big: 1009, broken
            # framing: 1002) and names the reason as the exception's cause, also when the peer's close frame came
            # first (then the connection ends "OK"); the transcript records it.
            cause = exc.__cause__
        finally:
            await self._closed(cause)

    async def _handle(self, message: str | bytes) -> None:
        inbound = self.session.receive(message)
        if self.inspect is not None and isinstance(inbound.frame, Call) and inbound.valid:
            inbound.findings += self.inspect(self.conn, inbound.frame)
        record = self.transcript.add(self.conn, "rx", inbound.parsed.text, frame=inbound.frame,
                                     request=inbound.request, findings=inbound.findings,
                                     binary=isinstance(message, bytes), message_id=inbound.parsed.message_id,
                                     data=message if isinstance(message, bytes) else None,
                                     message_type=inbound.parsed.message_type)
        if self._stray(inbound) and self._awaited is not None and not self._awaited.done():
            # a response to no CALL of the harness while it awaits one: the peer's answer, with a wrong or an
            # unreadable id; the harness says what came instead of waiting out its deadline
            self._awaited.set_result(record)
        if inbound.reply is not None:
            reply = inbound.reply if self.bad_input_reply is None else self.bad_input_reply(record, inbound.reply)
            if reply is not None:
                await self._send_frame_error(reply)
            else:
                self.session.unanswered.pop(reply_id := inbound.reply.message_id, None)
                self.transcript.note(f"bad input {reply_id!r} left unanswered (fault switch)")
            return
        frame = inbound.frame
        if isinstance(frame, Call):
            task = asyncio.create_task(self._answer(frame, record))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        message_id = inbound.parsed.message_id
        if message_id is not None and message_id in self._waiters:
            waiter = self._waiters.pop(message_id)
            if not waiter.done():
                waiter.set_result(record)

    def _stray(self, inbound: Inbound) -> bool:
        """A response (well-formed or not) that matches no CALL of the harness, outstanding or given up on."""
        parsed = inbound.parsed
        return (parsed.message_type in (3, 4) and inbound.request is None
                and (parsed.message_id is None or parsed.message_id not in self._waiters))

    async def _answer(self, call: Call, record: Record) -> None:
        try:
            answer = await self.on_call(call, record)
        except Exception as exc:  # a harness bug must not leave the peer waiting: answer and record it
            self.transcript.note(f"harness failed to answer {call.action}: {exc!r}")
            answer = CallError(call.message_id, "InternalError", "harness error", {})
        if answer is None:  # deliberately unanswered (a test of the peer's timeout handling)
            if self.peer_timeout is not None:
                asyncio.get_running_loop().call_later(self.peer_timeout, self.session.unanswered.pop,
                                                      call.message_id, None)
            return
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)  # allow-sleep: a simulator variant answers late on purpose
        if isinstance(answer, CallError):
            await self._send_frame_error(answer)
        else:
            payload = dict(answer) if self.shape is None else self.shape(call.action, "Response", dict(answer))
            out = self.session.result(call, payload)
            await self._send(out.text, out.frame, out.findings, request=call)

    async def _send_frame_error(self, error: CallError) -> None:
        out = self.session.error(error)
        await self._send(out.text, out.frame, out.findings)

    # ---- sending ---------------------------------------------------------------------------------------------
    async def _send(self, text: str | bytes, frame: Any = None, findings: Any = None, *,
                    request: Call | None = None) -> Record:
        raw = text if isinstance(text, str) else text.decode("utf-8", errors="replace")
        # Once a close frame has gone either way nothing more can be delivered, and websockets would hold the
        # send until the TCP connection ends (close_timeout, 10 s: long when a flooding peer closed mid-flood).
        closing = self.ws.state is not State.OPEN
        record = self.transcript.add(self.conn, "tx", raw, frame=frame, request=request, findings=findings,
                                     binary=isinstance(text, bytes), data=text if isinstance(text, bytes) else None,
                                     detail={"not_sent": "connection closing"} if closing else None)
        if not closing:
            with contextlib.suppress(ConnectionClosed):
                await self.ws.send(text)
        if record.message_id is not None:
            self._sent.setdefault(record.message_id, asyncio.Event()).set()
        return record

    async def wait_sent(self, message_id: str) -> None:
        """Until the harness's frame with `message_id` (e.g. the answer to a CALL) has been written out."""
        await self._sent.setdefault(message_id, asyncio.Event()).wait()
        del self._sent[message_id]

    async def sent_before_close(self, message_id: str) -> bool:
        """Until the harness's frame with `message_id` is written out (True) or the connection closes first (False):
        what a peer does after answering a CALL (reboot, triggered message) starts only once the answer is out."""
        sent = asyncio.ensure_future(self.wait_sent(message_id))
        closed = asyncio.ensure_future(self.closed.wait())
        try:
            await asyncio.wait([sent, closed], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (sent, closed):
                waiter.cancel()
            await asyncio.gather(sent, closed, return_exceptions=True)
        return not sent.cancelled() and sent.exception() is None

    async def call(self, action: str, payload: Mapping[str, Any], *, timeout: float | None = None,
                   message_id: str | None = None) -> Record:
        """Send a CALL and return the record of its answer (CALLRESULT, CALLERROR or a broken response)."""
        async with self._call_lock:
            body = dict(payload) if self.shape is None else self.shape(action, "Request", dict(payload))
            call = Call(message_id or str(uuid.uuid4()), action, body)
            out = self.session.call(call)
            waiter: asyncio.Future[Record] = asyncio.get_running_loop().create_future()
            self._waiters[call.message_id] = waiter
            if self.closed.is_set():
                raise ConnectionLost(f"connection {self.conn} is closed; cannot send {action}")
            await self._send(out.text, out.frame, out.findings)
            record = await self._await_answer(call, waiter, timeout)
            if record.message_id != call.message_id:
                raise MismatchedAnswer(call, record)
            return record

    async def send_raw(self, data: str | bytes, *, expect_answer: bool = True, timeout: float | None = None,
                       silence_allowed: bool = False) -> Record | None:
        """Send a message as-is (deliberately bad input); returns the answer record when one is awaited (a
        response with another id counts: bad input may well get one). `silence_allowed`: no answer is what the
        test accepts (a policy), so the timeout is no failure."""
        async with self._call_lock:
            text = data if isinstance(data, str) else data.decode("utf-8", errors="replace")
            out = self.session.raw(text)
            waiter: asyncio.Future[Record] = asyncio.get_running_loop().create_future()
            if out.awaits is not None:
                self._waiters[out.awaits] = waiter
            await self._send(data, out.frame, out.findings)
            if not expect_answer or out.awaits is None:
                return None
            call = self.session.outstanding.get(out.awaits) or Call(out.awaits, "?", {})
            return await self._await_answer(call, waiter, timeout, silence_allowed=silence_allowed)

    async def _await_answer(self, call: Call, waiter: asyncio.Future[Record], timeout: float | None, *,
                            silence_allowed: bool = False) -> Record:
        limit = self.call_timeout if timeout is None else timeout
        closed: asyncio.Future[Any] = asyncio.ensure_future(self.closed.wait())
        self._awaited = waiter
        try:
            await asyncio.wait([waiter, closed], timeout=limit, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
            self._awaited = None
        if waiter.done():
            record = waiter.result()
            if record.message_id != call.message_id:  # a stray response: a right one later is a late answer
                self._waiters.pop(call.message_id, None)
                self.session.expire(call.message_id)
            return record
        self._waiters.pop(call.message_id, None)
        self.session.expire(call.message_id)
        if self.closed.is_set():
            raise ConnectionLost(f"connection {self.conn} closed (code {self.close_code}) before the answer to "
                                 f"{call.action}")
        severity, allowed = (Severity.INFO, " (no answer allowed)") if silence_allowed else (Severity.FAIL, "")
        self.transcript.add(self.conn, "event", event="timeout", detail={"message_id": call.message_id,
                                                                         "action": call.action, "after": limit},
                            findings=[finding("TIMING", severity, f"no answer to {call.action} (id "
                                                                  f"{call.message_id!r}) within {limit:g} s{allowed}")])
        raise CallTimeout(call, limit)

    def _close_findings(self, cause: BaseException | None) -> list[Finding]:
        """How the end of the connection broke the rules (nothing for a clean close by either side)."""
        found: list[Finding] = []
        if isinstance(cause, PayloadTooBig):
            found.append(finding("WS-1", Severity.FAIL, f"{cause}; connection failed with 1009 (not read further)"))
        elif isinstance(cause, ProtocolError):
            found.append(finding("RPC-01", Severity.FAIL, f"WebSocket protocol error: {cause}"))
        elif self.close_code == 1006:
            found.append(finding("RPC-01", Severity.WARN, "connection ended without a close frame (1006)"))
        elif self.close_code not in (1000, 1001) and not isinstance(cause, UnicodeDecodeError):
            found.append(finding("RPC-01", Severity.WARN, f"connection closed with code {self.close_code} "
                                                          f"{self.close_reason[:60]!r}"))
        for call in self.session.outstanding.values():
            found.append(finding("RPC-01", Severity.WARN, f"connection ended while the harness's {call.action} (id "
                                                          f"{call.message_id!r}) was unanswered"))
        return found

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.ws.close(code, reason)
        await self.closed.wait()

    async def _closed(self, cause: BaseException | None = None) -> None:
        if self.closed.is_set():
            return
        self.close_code = self.ws.close_code
        self.close_reason = self.ws.close_reason or ""
        detail: dict[str, Any] = {"code": self.close_code, "reason": self.close_reason}
        rcvd = self.ws.protocol.close_rcvd
        detail["by"] = "peer" if rcvd is not None and self.ws.protocol.close_rcvd_then_sent else "harness"
        if isinstance(cause, UnicodeDecodeError) and isinstance(cause.object, bytes):
            # A text frame that is not UTF-8: websockets refused it (1007) before the harness saw it. Keep it.
            data = cause.object
            self.transcript.add(self.conn, "rx", data.decode("utf-8", errors="replace"), data=data, findings=[
                finding("RPC-05", Severity.FAIL, f"text message is not valid UTF-8: {cause.reason} at byte "
                                                 f"{cause.start}; connection failed with 1007")])
        self.transcript.add(self.conn, "event", event="close", detail=detail, findings=self._close_findings(cause))
        self.closed.set()
        for task in list(self._tasks):
            task.cancel()
