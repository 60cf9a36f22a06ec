"""REST: the options, limits and defaults every client needs (the same as the WebSocket `hello`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from app import __version__
from app.http.limits import default_fps, limits_summary
from app.http.pages import PAGE_PARTS
from app.protocol import CLIENT_MESSAGE, CLOSE_CODES, DEFAULT_SPEED, PROTOCOL_VERSION, SERVER_OPTIONS
from app.sessions.frames import header_description
from app.settings import Settings
from engine.trainer import DEFAULT_CONFIG, Limits, options

router = APIRouter(prefix="/api", tags=["api"])

def hide_names(engine_options: dict[str, Any]) -> list[str]:
    """Every name `?hide=` accepts: each setting, each field of a nested one, each optimizer's and schedule's
    parameter, and the page's own parts."""
    names = set(DEFAULT_CONFIG) | set(PAGE_PARTS)
    for key, value in DEFAULT_CONFIG.items():
        if isinstance(value, dict):
            names |= {f"{key}.{field}" for field in value if key != "optimizer_params"}
    for registry in ("optimizers", "schedules"):
        for spec in engine_options[registry].values():
            names |= {name for name, s in (spec.get("params", spec)).items() if isinstance(s, dict)}
    return sorted(names)


def describe(settings: Settings) -> dict[str, Any]:
    """Protocol version, limits, every registry with its allowed values and ranges, and the default config."""
    limits = Limits(max_layers=settings.max_layers, max_neurons=settings.max_neurons, max_points=settings.max_points)
    engine_options = options(limits)
    return {
        "protocol": PROTOCOL_VERSION,
        "version": __version__,
        "limits": dict(limits_summary(settings)),
        "hide": hide_names(engine_options),
        "options": {**engine_options, **SERVER_OPTIONS,
                    "fps": {**SERVER_OPTIONS["fps"], "max": settings.max_fps, "default": default_fps(settings)}},
        "defaults": {**DEFAULT_CONFIG, "speed": DEFAULT_SPEED, "fps": default_fps(settings)},
    }


@router.get("/protocol")
async def get_protocol() -> dict[str, Any]:
    """The wire protocol as data: JSON Schema of every client message, the frame header and close codes."""
    return {
        "protocol": PROTOCOL_VERSION,
        "endpoint": "/ws",
        "client_messages": CLIENT_MESSAGE.json_schema(),
        "frame_header": header_description(),
        "close_codes": CLOSE_CODES,
    }


@router.get("/options")
async def get_options(request: Request) -> dict[str, Any]:
    """Everything a client may set: registries with allowed values and ranges, limits, defaults."""
    return request.app.state.runtime.description
