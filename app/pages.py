"""HTML pages and the health check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app import __version__
from app.paths import TEMPLATES_DIR

router = APIRouter()
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    """The playground page."""
    return templates.TemplateResponse(request, "index.html", {"version": __version__})


@router.get("/r/{code}", response_class=HTMLResponse, include_in_schema=False)
async def room_link(request: Request, code: str) -> HTMLResponse:
    """A class's join link: the playground page, which offers to join room `code` (static/js/room.js)."""
    return templates.TemplateResponse(request, "index.html", {"version": __version__})


@router.get("/healthz")
async def healthz(request: Request) -> dict:
    """Liveness, version, how many sessions the whole server has in use (every worker process's) of how many, and
    how many worker processes serve it."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:  # before startup
        return {"status": "ok", "version": __version__, "sessions": 0,
                "capacity": request.app.state.settings.max_sessions, "workers": 1}
    counts = runtime.slots.counts()
    return {"status": "ok", "version": __version__, "sessions": counts.sessions, "capacity": counts.capacity,
            "workers": counts.workers}
