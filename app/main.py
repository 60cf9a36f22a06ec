"""Assemble the app: settings, lifespan, middleware, routers, static files."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from app import __version__, lessons, pages
from app.paths import STATIC_DIR
from app.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the playground app (uvicorn calls this as a factory)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield

    app = FastAPI(title="Backprop Playground", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.include_router(pages.router)
    app.include_router(lessons.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app
