"""Security headers on every HTTP response: a strict Content-Security-Policy, nosniff, a Referrer-Policy.

The pages load nothing but their own /static files (no inline script or style, no CDN), talk to their own /ws, and
set no inline styles other than through the CSSOM (allowed by CSP). The only images are canvases, the `data:,`
favicon, and PNG/CSV downloads made from blobs.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PATHS = ("/docs", "/redoc")  # FastAPI's pages (when PLAYGROUND_API_DOCS is on) need their CDN and inline script


def content_security_policy(host: str | None, frame_ancestors: str) -> str:
    """The policy: our own origin only; WebSockets to this host (ws:// and wss:// for older CSP 'self' rules)."""
    sockets = f" ws://{host} wss://{host}" if host else ""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        f"connect-src 'self'{sockets}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


class SecurityHeaders:
    """ASGI middleware adding the headers to every HTTP response (the WebSocket handshake is left alone)."""

    def __init__(self, app: ASGIApp, frame_ancestors: str) -> None:
        self.app, self.frame_ancestors = app, frame_ancestors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in DOCS_PATHS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not docs:
                    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
                    headers.setdefault("Content-Security-Policy", content_security_policy(host, self.frame_ancestors))
            await send(message)

        await self.app(scope, receive, send_with_headers)
