"""The /ws route: admission (Origin, caps), then one Session per connection fed by its receive loop."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState
from uvicorn.protocols.utils import ClientDisconnected

from app.http.limits import TokenBucket, origin_allowed
from app.http.wsprotocol import FLOW_EXTENSION
from app.sessions.runtime import Runtime
from app.sessions.session import Session, State
from app.slots import Refusal

router = APIRouter()
log = logging.getLogger("playground.session")
refused = logging.getLogger("uvicorn.error")  # refused upgrades: once each, at info, in the server's log


@router.websocket("/ws")
async def training_session(websocket: WebSocket) -> None:
    """One training session per connection; see docs/protocol.md."""
    runtime: Runtime = websocket.app.state.runtime
    settings = runtime.settings
    origin = websocket.headers.get("origin")
    if not origin_allowed(origin, websocket.headers.get("host"), settings):
        refused.info("refused a WebSocket upgrade from %s: Origin %r is not allowed (PLAYGROUND_ALLOWED_ORIGINS, "
                     "PLAYGROUND_PUBLIC_URL)", websocket.client.host if websocket.client else "?", origin)
        await websocket.close(code=1008)  # before accept: uvicorn answers HTTP 403
        return
    client = websocket.client.host if websocket.client else None
    slot = runtime.slots.admit(client)  # the whole server's caps, whichever worker process this is (app.slots)
    if isinstance(slot, Refusal):
        await websocket.accept()
        await websocket.close(code=1013, reason=slot.reason)
        return

    async def close_socket(code: int, reason: str) -> None:
        """Close with a code and a reason (WebSocket close reasons are limited to 123 bytes)."""
        if websocket.application_state is WebSocketState.CONNECTED:
            await websocket.close(code=code, reason=reason[:120])

    try:
        session = Session(runtime, client, close_socket)
    except BaseException:
        runtime.slots.release(slot)
        raise
    runtime.sessions[session.id] = session
    runtime.held[session.id] = slot
    try:
        await websocket.accept()
        await session.start(websocket.send_text, websocket.send_bytes, runtime.description,
                            websocket.scope.get("extensions", {}).get(FLOW_EXTENSION))
        bucket = TokenBucket(settings.rate_per_second, settings.rate_burst)
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            if not bucket.take():
                await session.close(1008, "too many messages: at most "
                                    f"{settings.rate_per_second:g}/s (bursts of {settings.rate_burst})")
                break
            if message.get("text") is not None:
                session.receive_text(message["text"])
            else:
                session.receive_bytes()
    except asyncio.CancelledError:
        if session.state is not State.CLOSED:
            raise
        asyncio.current_task().uncancel()  # the session ended itself (idle, watchdog…): return normally
    except (WebSocketDisconnect, ClientDisconnected, ConnectionError) as exc:  # the client went away: not a failure
        log.debug("session %s ended: %r", session.id, exc)
    except Exception:
        log.exception("session %s failed", session.id)
    finally:
        session.disconnected()
        runtime.leave(session.id)
