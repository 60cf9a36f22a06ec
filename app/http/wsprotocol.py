"""uvicorn's WebSocket protocol with the playground's ending of connections: a documented close on shutdown, and no
connection left behind by a client that stopped reading.

uvicorn offers an application no way to abort a transport, and its own shutdown sends 1012 without a reason, then
waits for every transport to drain: a client that never reads keeps the process alive for ever. This subclass of the
`websockets-sansio` protocol (uvicorn's default) changes these things and nothing else:

- on shutdown (SIGTERM) a WebSocket gets `SHUTDOWN_CODE` with `SHUTDOWN_REASON`, and a connection still open after
  the grace period (uvicorn's `timeout_graceful_shutdown`, from PLAYGROUND_SHUTDOWN_GRACE) is aborted;
- a close the application sends while the peer's buffer is full (it stopped reading: the send watchdog) aborts the
  transport at once: the close frame could never arrive, and a plain close would wait for the peer for ever;
- whenever the application is done with a connection whose buffer still does not drain within `DRAIN_SECONDS`, the
  transport is aborted, so the socket and its kernel buffers are freed. "Drained" counts the kernel's bytes the peer
  has not acknowledged, not only asyncio's buffer; a peer that keeps taking them gets up to `CLOSE_DRAIN_MAX` seconds.

Its sockets send at once (TCP_NODELAY, which asyncio leaves off behind uvicorn's multi-worker socket). And it bounds
what one connection can hold, so that the latest frame wins end to end: the socket's kernel send buffer
is `SEND_BUFFER` (a 45 KB frame fits, so a client on a fast link is not throttled), and the application can await
`scope["extensions"][FLOW_EXTENSION]["taken"]()`: it returns once everything sent so far has left the server (the
kernel sends only what fits the peer's receive window), so the session builds its next frame only then (`is_taken`
says whether that is so now).

A frame that goes to many sockets (a class following one teacher) is framed once (`framed`) and written to each by
`send_wire`, the same extension's other entry: `send` would frame it again for every socket, through the ASGI layers.
`write_wire` does the same without awaiting when the transport takes it now (no task switch per socket), and
`write_text` so for a text message (a pong).

It is selected by `ws=` in app.cli.uvicorn_options (pinned to uvicorn 0.54 in pyproject.toml).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import sys
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from app.protocol import SHUTDOWN_CODE, SHUTDOWN_REASON

DRAIN_SECONDS = 0.5  # after the application is done: how long a connection may take to flush what is left
CLOSE_DRAIN_MAX = 5.0  # …and at most how long while the peer keeps taking bytes (a slow reader getting its close)
DEFAULT_GRACE = 5.0
SEND_BUFFER = 64 * 1024  # SO_SNDBUF asked for (Linux doubles it for its bookkeeping): one 45 KB frame and some JSON
FLOW_EXTENSION = "playground.flow"
TAKEN_POLL_MAX = 0.02  # seconds between two looks at the kernel's queue, at most
SIOCOUTQ = 0x5411 if sys.platform.startswith("linux") else None  # bytes the peer has not acknowledged (sent or not)
SIOCOUTQNSD = 0x894B if sys.platform.startswith("linux") else None  # bytes not sent yet (linux/sockios.h)


class PlaygroundWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's default WebSocket protocol, with a close reason on shutdown and aborts instead of endless drains."""

    def connection_made(self, transport: Any) -> None:
        """As uvicorn's, with a small kernel send buffer (frames wait in the server, not in the kernel) and Nagle's
        algorithm off. asyncio turns it off only for a socket whose protocol number is TCP's, and uvicorn's own
        listening socket (`--workers` 2 or more) is made with 0: there a pong, or a frame's last segment, waited for
        the peer's ACK of what went before, which a client delays by up to 40 ms (ping p95 45-50 ms at 100 sessions,
        14 ms without)."""
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
                if sock.family in (socket.AF_INET, socket.AF_INET6):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    def handle_connect(self, event: Any) -> None:
        """As uvicorn's, and the application may ask whether the peer has taken what was sent (FLOW_EXTENSION)."""
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][FLOW_EXTENSION] = {"taken": self.taken, "is_taken": self.is_taken,
                                                   "send_wire": self.send_wire, "write_wire": self.write_wire,
                                                   "write_text": self.write_text}

    async def send_wire(self, wire: bytes) -> None:
        """Send a binary message framed beforehand by `framed`: what `send` does with `websocket.send` bytes, without
        framing them again for every socket (a class following one session sends the same frame to each student) and
        without the ASGI layers in between. Raises ClientDisconnected as `send` does."""
        await self.writable.wait()
        if not self.write_wire(wire):
            raise ClientDisconnected()

    def write_wire(self, wire: bytes) -> bool:
        """`send_wire` without waiting: hand the message to the transport now and return True, if the connection is
        open and flow control does not hold writes back; else False (and nothing was written). The caller's task goes
        on: a frame for many sockets costs no task switch per socket."""
        if (not self.writable.is_set() or self.disconnected or self.close_sent or not self.handshake_complete
                or self.conn.state is not State.OPEN):
            return False
        self.transport.write(wire)
        return True

    def write_text(self, text: str) -> bool:
        """A text message, as `write_wire` does a framed one: to the transport now, from the caller's task (a pong
        skips the sender's queue and the ASGI layers), or False."""
        return self.write_wire(Frame(Opcode.TEXT, text.encode()).serialize(mask=False))

    def _queued(self, request: int | None) -> int:
        """The kernel's count of this socket's outgoing bytes for an ioctl `request`; 0 where unknown."""
        sock = self.transport.get_extra_info("socket")
        if sock is None or request is None:
            return 0
        import fcntl  # Linux only, as are the requests

        try:
            return struct.unpack("i", fcntl.ioctl(sock.fileno(), request, b"\0\0\0\0"))[0]
        except (OSError, ValueError):
            return 0

    def unsent(self) -> int:
        """Bytes the peer has not taken yet: asyncio's buffer and the kernel's bytes not acknowledged by the peer."""
        return self.transport.get_write_buffer_size() + self._queued(SIOCOUTQ)

    async def taken(self) -> None:
        """Return once everything sent so far is on the wire (or the connection is gone): asyncio's buffer is empty
        and the kernel holds no byte it has not sent. The kernel sends only what fits the peer's receive window, so a
        peer that stopped reading keeps the last frame here; bytes sent but not acknowledged yet are in flight to it
        (a receiver that delays its ACKs, as Linux does for a lone segment, costs no frames)."""
        delay = 0.0005
        while not self.is_taken():
            await asyncio.sleep(delay)
            delay = min(2 * delay, TAKEN_POLL_MAX)

    def is_taken(self) -> bool:
        """Everything sent so far is on the wire, or the connection is gone (what `taken` waits for), now."""
        return self.disconnected or (self.transport.get_write_buffer_size() == 0 and self._queued(SIOCOUTQNSD) == 0)

    def shutdown(self) -> None:
        """SIGTERM: close with the documented code and reason; abort what has not gone after the grace period."""
        if self.handshake_complete and not self.close_sent and not self.transport.is_closing():
            self.stop_keepalive()
            self.queue.put_nowait({"type": "websocket.disconnect", "code": SHUTDOWN_CODE, "reason": SHUTDOWN_REASON})
            try:
                self.conn.send_close(SHUTDOWN_CODE, SHUTDOWN_REASON)
                self.transport.write(b"".join(self.conn.data_to_send()))
            except InvalidState:  # the peer's close crossed ours
                pass
            self.transport.close()
        else:
            super().shutdown()
        grace = self.config.timeout_graceful_shutdown
        self.loop.call_later(DEFAULT_GRACE if grace is None else max(0.0, grace - 0.5), self.abort)

    async def send(self, message: Any) -> None:
        """As uvicorn's, except a close towards a peer that stopped reading aborts the transport instead of waiting."""
        if message["type"] == "websocket.close" and self.handshake_complete and not self.writable.is_set():
            self.abort()
            raise ClientDisconnected()
        await super().send(message)

    async def run_asgi(self) -> None:
        """Run the application; once it is done, a connection that does not drain soon is aborted."""
        try:
            await super().run_asgi()
        finally:
            if not self.disconnected:
                end = self.loop.time() + CLOSE_DRAIN_MAX
                self.loop.call_later(DRAIN_SECONDS, self.abort_if_stuck, self.unsent(), end)

    def abort_if_stuck(self, before: int, end: float) -> None:
        """Abort when bytes are still waiting for a peer that does not read them: at once if it took nothing since
        the last look (`before` bytes were waiting then), at `end` if it still reads but too slowly."""
        if self.disconnected:
            return
        left = self.unsent()
        if left == 0:
            return
        if left < before and self.loop.time() < end:
            self.loop.call_later(DRAIN_SECONDS, self.abort_if_stuck, left, end)
            return
        self.abort()

    def abort(self) -> None:
        """Drop the connection now with a TCP reset: frees the socket and its kernel buffers; connection_lost follows.

        A plain close (or asyncio's abort) of a socket with unsent data leaves it to the kernel, which keeps the
        data and retries for minutes; SO_LINGER 0 makes close() reset the connection and discard it."""
        if self.disconnected:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        self.transport.abort()


def framed(payload: bytes) -> bytes:
    """A binary WebSocket message as the server sends it (one final frame, unmasked, no extension: per-message
    compression is off), for `send_wire`: built once, written to every socket that shows it."""
    return Frame(Opcode.BINARY, payload).serialize(mask=False)
