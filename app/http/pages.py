"""HTML pages and the health check."""

from __future__ import annotations

import re
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app import __version__
from app.paths import STATIC_DIR, TEMPLATES_DIR

router = APIRouter()

# The parts of the playground page `?hide=` may name besides its settings (their `data-section` / `data-name`):
# panels, the view options, tool blocks, the diagram's +/− buttons (layers and neurons), the speed slider.
PAGE_PARTS: tuple[str, ...] = (
    "run", "presets", "data", "network", "training", "regularisation", "view", "tools", "by-hand",
    "show_test", "discretize", "flow", "log_loss", "gradcheck", "csv", "run-files", "layer-buttons", "speed",
    "metrics", "neuron", "hidden-space", "timeline", "race", "landscape",
)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


IMPORT = re.compile(r'^import\b[^;]*?from\s+"\./([\w-]+\.js)"', re.MULTILINE)


@cache
def modules(entry: str) -> tuple[str, ...]:
    """Every ES module `entry` (in static/js) imports, directly or not, in the order found: the page preloads them
    all at once (`<link rel="modulepreload">`) instead of discovering them one import level at a time."""
    found: list[str] = []
    todo = [entry]
    while todo:
        name = todo.pop(0)
        for child in IMPORT.findall((STATIC_DIR / "js" / name).read_text()):
            if child not in found and child != entry:
                found.append(child)
                todo.append(child)
    return tuple(found)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    """The playground page."""
    return templates.TemplateResponse(request, "index.html", {"version": __version__, "modules": modules("main.js")})


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
