"""uvicorn's WebSocket protocol with the playground's ending of connections: a documented close on shutdown, and no
connection left behind by a client that stopped reading.

uvicorn offers an application no way to abort a transport, and its own shutdown sends 1012 without a reason, then
waits for every transport to drain: a client that never reads keeps the process alive for ever. This subclass of the
`websockets-sansio` protocol (uvicorn's default) changes three things and nothing else:

- on shutdown (SIGTERM) a WebSocket gets `SHUTDOWN_CODE` with `SHUTDOWN_REASON`, and a connection still open after
  the grace period (uvicorn's `timeout_graceful_shutdown`, from PLAYGROUND_SHUTDOWN_GRACE) is aborted;
- a close the application sends while the peer's buffer is full (it stopped reading: the send watchdog) aborts the
  transport at once: the close frame could never arrive, and a plain close would wait for the peer for ever;
- whenever the application is done with a connection whose buffer still does not drain within `DRAIN_SECONDS`, the
  transport is aborted, so the socket and its kernel buffers are freed.

It is selected by `ws=` in app.cli.uvicorn_options (pinned to uvicorn 0.54 in pyproject.toml).
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState

from app.protocol import SHUTDOWN_CODE, SHUTDOWN_REASON

DRAIN_SECONDS = 0.5  # after the application is done: how long a connection may take to flush what is left
DEFAULT_GRACE = 5.0


class PlaygroundWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's default WebSocket protocol, with a close reason on shutdown and aborts instead of endless drains."""

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
            self.loop.call_later(DRAIN_SECONDS, self.abort_if_stuck)

    def abort_if_stuck(self) -> None:
        """Abort when bytes are still waiting for a peer that does not read them."""
        if not self.disconnected and self.transport.get_write_buffer_size() > 0:
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
