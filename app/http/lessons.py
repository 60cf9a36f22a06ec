"""The lessons: the backprop-by-hand page, its numbers (recomputed by the engine), and the presets as data."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app import __version__
from app.paths import TEMPLATES_DIR
from app.presets import PRESETS, catalogue
from engine.lessons import lesson

router = APIRouter()
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _numbers(text: str, count: int, name: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise HTTPException(422, f"{name}: comma-separated numbers expected") from None
    if len(values) != count:
        raise HTTPException(422, f"{name}: {count} numbers expected, got {len(values)}")
    if any(abs(v) > 1e6 or v != v for v in values):
        raise HTTPException(422, f"{name}: numbers must be finite and at most 1e6 in size")
    return values


@router.get("/lesson", response_class=HTMLResponse, include_in_schema=False)
async def lesson_page(request: Request) -> HTMLResponse:
    """Backprop by hand: the worked 2-2-1 example, one operation at a time."""
    return templates.TemplateResponse(request, "lesson.html", {"version": __version__})


@router.get("/api/lesson")
def worked_example(
    w1: str = Query("0.15,0.2,0.25,0.3", description="W1 row by row (row = input, column = hidden unit)"),
    b1: str = Query("0.35,0.35"),
    w2: str = Query("0.4,0.45", description="W2, one weight per hidden unit"),
    b2: str = Query("0.6"),
    x: str = Query("0.05,0.1"),
    y: float = Query(0.01, ge=-1e6, le=1e6),
    learning_rate: float = Query(0.5, ge=0, le=100),
    delta: Literal["cross_entropy", "mse", "both"] = "both",
) -> dict:
    """Every number of one forward pass, backward pass and update; `both` gives each output delta."""
    inputs = {
        "w1": [_numbers(w1, 4, "w1")[:2], _numbers(w1, 4, "w1")[2:]],
        "b1": _numbers(b1, 2, "b1"),
        "w2": [[v] for v in _numbers(w2, 2, "w2")],
        "b2": _numbers(b2, 1, "b2"),
        "x": _numbers(x, 2, "x"),
        "y": y,
        "learning_rate": learning_rate,
    }
    variants = list(lesson.DELTAS) if delta == "both" else [delta]
    try:
        results = {name: lesson.worked_example(**inputs, delta=name) for name in variants}
    except (ValueError, FloatingPointError) as exc:
        raise HTTPException(422, str(exc)) from None
    return results if delta == "both" else results[delta]


@router.get("/api/presets")
def presets() -> list[dict]:
    """Every preset: id, title, full config (with speed), explanation, what to look at, what to try, URL."""
    return catalogue()


@router.get("/api/presets/{preset_id}")
def preset(preset_id: str) -> dict:
    """One preset by id."""
    if preset_id not in PRESETS:
        raise HTTPException(404, f"no preset {preset_id!r}; known: {', '.join(PRESETS)}")
    return PRESETS[preset_id].to_json()


@router.get("/api/races")
def races() -> dict:
    """What a race may vary, how many lanes it takes (engine/race.py), and every race preset (app/presets/races.py)."""
    from app.presets.races import RACES
    from engine.race import MAX_CONTESTANTS, MIN_CONTESTANTS, VARIED

    return {"varied": list(VARIED), "min_lanes": MIN_CONTESTANTS, "max_lanes": MAX_CONTESTANTS,
            "presets": [p.to_json() for p in RACES.values()]}  # fmt: skip
