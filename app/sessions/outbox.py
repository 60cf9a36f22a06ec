"""One socket's outgoing queue: JSON messages in order, at most one frame in flight, every send watched.

A frame stays in flight until it has left the server (`taken`: the kernel has sent every byte, which it does only as
the peer's receive window allows; see app/http/wsprotocol.py), not merely until it was handed to the transport: the next
frame is built from the newest state only then, so a slow reader gets fresh frames at a lower rate instead of old
ones queued in socket buffers."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from app.http.wsprotocol import framed

log = logging.getLogger("playground.session")


class Backlog:
    """The sockets of one process that have a frame queued and not yet handed to their transport (event loop only).

    While more than one has, the scheduler holds back elastic training (app.sessions.scheduler): the event loop's
    thread needs the interpreter lock to send, and a training thread holds it for up to the switch interval once it
    has it. Frames first, all the way to the wire. (One frame alone goes out at once: holding training for it cost a
    single session a tenth of its steps.)
    """

    def __init__(self) -> None:
        self.outboxes: set[Outbox] = set()

    def __bool__(self) -> bool:
        return len(self.outboxes) > 1  # one frame goes out at once; a queue of them is what waits for the lock


def fan_out(frame: bytes, outboxes: Iterable[Any]) -> None:
    """One frame to every subscriber that has taken its last (a follower still taking one skips this one), framed for
    the WebSocket once for all of them."""
    wire = framed(frame)
    for outbox in outboxes:
        if not outbox.frame_in_flight:
            outbox.put_frame(frame, wire)


class Outbox:
    """Sends what a session publishes to one subscriber; the session never builds a frame while one is in flight."""

    def __init__(
        self,
        send_text: Callable[[str], Awaitable[None]],
        send_bytes: Callable[[bytes], Awaitable[None]],
        timeout: float,
        on_frame_sent: Callable[[], None],
        on_failure: Callable[[str], Awaitable[None]],
        backlog: Backlog | None = None,
        flow: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        """`flow`: the connection's flow extension when the server offers it (app.http.wsprotocol): `taken` (wait
        until the peer has taken what was sent), `is_taken` (whether it has now), `send_wire` and `write_wire` (send
        a frame framed once for all its sockets, waiting or only if the transport takes it now), `write_text` (a text
        message now, or not)."""
        self._send_text, self._send_bytes = send_text, send_bytes
        flow = flow or {}
        self._taken: Callable[[], Awaitable[None]] | None = flow.get("taken")
        self._is_taken: Callable[[], bool] | None = flow.get("is_taken")
        self._send_wire: Callable[[bytes], Awaitable[None]] | None = flow.get("send_wire")
        self._write_wire: Callable[[bytes], bool] | None = flow.get("write_wire")
        self._write_text: Callable[[str], bool] | None = flow.get("write_text")
        self._sending = False  # `_send_all` holds an item it has not finished sending
        self._backlog = backlog
        self._timeout = timeout
        self.on_frame_sent = on_frame_sent  # the session whose frames it carries now (app.rooms moves it)
        self._on_failure = on_failure
        self._items: deque[str | tuple[bytes, bytes | None]] = deque()
        self._ready = asyncio.Event()
        self._frame_sent = asyncio.Event()  # a frame went to the transport: see it taken (`_see_frames_taken`)
        self.frame_in_flight = False
        self.feed: Any = None  # the session whose frames this socket shows (its own, or the one it follows)

    def put_text(self, text: str) -> None:
        """Queue one JSON message (never dropped; the rate limit bounds how many a client can cause)."""
        self._items.append(text)
        self._ready.set()

    def put_first(self, text: str) -> None:
        """Send a JSON message ahead of everything not yet sent (a pong: it orders with nothing): at once when the
        transport takes it, else first in the queue."""
        if self._write_text is not None and self._write_text(text):
            return
        self._items.appendleft(text)
        self._ready.set()

    def put_frame(self, frame: bytes, wire: bytes | None = None) -> None:
        """Queue a frame (and its WebSocket framing, when the caller built it once for several sockets); the caller
        checked that none is in flight. With nothing queued ahead of it, a framed frame goes to the transport at once,
        from the caller's task: no switch to the sender's per socket (a class's frame to each student)."""
        self.frame_in_flight = True
        if (wire is not None and self._write_wire is not None and not self._items and not self._sending
                and self._write_wire(wire)):
            self._handed()
            return
        self._items.append((frame, wire))
        self._ready.set()
        if self._backlog is not None:
            self._backlog.outboxes.add(self)

    async def run(self) -> None:
        """Send queued items in order, each under the watchdog; a failed or stuck send ends the session.

        A frame stays in flight until the peer has taken it, but JSON messages queued meanwhile (a pong, an answer)
        go out behind it at once: they wait for the frame's bytes ahead of them in TCP's order, not for the kernel
        to be seen done with them (`taken` looks every 0.5-20 ms)."""
        try:
            await asyncio.gather(self._send_all(), self._see_frames_taken())
        finally:
            if self._backlog is not None:
                self._backlog.outboxes.discard(self)

    async def _send_all(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._items:
                item = self._items.popleft()
                self._sending = True
                try:
                    if isinstance(item, str):
                        sent = await self._watched(self._send_text(item), "send timeout: the client stopped reading")
                    else:
                        frame, wire = item
                        sent = await self._watched(self._send_bytes(frame) if wire is None or self._send_wire is None
                                                   else self._send_wire(wire), self._too_slow())
                finally:
                    self._sending = False
                if not sent:
                    return
                if not isinstance(item, str):
                    if self._backlog is not None:
                        self._backlog.outboxes.discard(self)
                    self._handed()

    async def _see_frames_taken(self) -> None:
        """Once each frame is handed to the transport: wait until it has left the server, under the watchdog."""
        if self._taken is None:
            return
        while True:
            await self._frame_sent.wait()
            self._frame_sent.clear()
            if not await self._watched(self._taken(), self._too_slow()):
                return
            self._frame_taken()

    async def _watched(self, sending: Awaitable[None], timed_out: str) -> bool:
        """Await one send under the watchdog; False once it failed and the session was told (`on_failure`)."""
        try:
            async with asyncio.timeout(self._timeout):
                await sending
        except TimeoutError:
            await self._on_failure(timed_out)
            return False
        except Exception as exc:  # the socket went away under us
            log.debug("send failed: %r", exc)
            await self._on_failure("send failed")
            return False
        return True

    def _too_slow(self) -> str:
        return f"too slow: the client took no frame for {self._timeout:g} s"

    def _handed(self) -> None:
        """A frame went to the transport: taken at once if the kernel has sent it, else once it has."""
        if self._taken is None or (self._is_taken is not None and self._is_taken()):
            asyncio.get_running_loop().call_soon(self._frame_taken)  # not inside put_frame's caller's loop
        else:
            self._frame_sent.set()

    def _frame_taken(self) -> None:
        self.frame_in_flight = False
        self.on_frame_sent()
