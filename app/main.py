"""Assemble the app: settings, lifespan, middleware, routers, static files."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from app import __version__, api, lessons, pages, ws
from app.paths import STATIC_DIR
from app.runtime import runtime_lifespan
from app.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the playground app (uvicorn calls this as a factory)."""
    settings = settings or Settings()
    app = FastAPI(title="Backprop Playground", version=__version__, lifespan=runtime_lifespan)
    app.state.settings = settings
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.include_router(pages.router)
    app.include_router(lessons.router)
    app.include_router(api.router)
    app.include_router(ws.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app
