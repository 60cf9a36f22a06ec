"""Assemble the app: settings, lifespan, middleware, routers, static files."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.http import api, lessons, pages, ws
from app.http.headers import SecurityHeaders
from app.http.hosts import HostGuard, host_rules
from app.paths import STATIC_DIR
from app.sessions.runtime import runtime_lifespan
from app.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the playground app (uvicorn calls this as a factory)."""
    settings = settings or Settings()
    docs = settings.api_docs  # Swagger UI and ReDoc come from public CDNs: off unless asked for
    app = FastAPI(title="Backprop Playground", version=__version__, lifespan=runtime_lifespan,
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
                  redirect_slashes=False)  # a slash redirect would be built from the request's Host header
    app.state.settings = settings
    app.add_middleware(HostGuard, rules=host_rules(settings.allowed_hosts, settings.host, settings.port,
                                                   settings.public_url))
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)  # outermost: on refusals too
    app.include_router(pages.router)
    app.include_router(lessons.router)
    app.include_router(api.router)
    app.include_router(ws.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app
