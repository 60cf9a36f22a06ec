"""Each fact lives once: a grep of the code finds no restated data domain, activation range, limit or frame-header
field outside its home (engine/data/datasets.py, engine/nn/activations.py, engine/schema.py, app/sessions/frames.py)."""

from __future__ import annotations

import re
from pathlib import Path

from app.sessions.frames import HEADER, HEADER_NAMES

ROOT = Path(__file__).resolve().parents[2]
CODE = [p for d in ("app", "engine", "static/js", "templates") for p in sorted((ROOT / d).rglob("*"))
        if p.suffix in (".py", ".js", ".html")]  # fmt: skip

DOMAIN = re.compile(r"\[\s*[-−]6(\.0)?\s*,\s*\+?6(\.0)?\s*\]|±\s*6\b|[-−]6(\.0)?\s*(to|…)\s*\+?6\b|EXTENT\s*=\s*6|"
                    r"ge=-6\b|\([-−]6(\.0)?, 6(\.0)?\)|[-−]6(\.0)?\)\s*to")
ACTIVATION_RANGE = re.compile(r"[\"'](sigmoid|tanh|softmax|relu)[\"']\W{1,6}[\[(]\s*-?[01](\.0)?\s*,")
LIMIT = re.compile(r"max_(layers|neurons|points)(:\s*int)?(\s*=\s*Field\()?\W{0,12}\d|"
                   r"(min|max|max_\w+)\W{0,8}(\?\?|\|\|)\s*\d")
SPEED = re.compile(r"\bs\.(min|max)\s*(\?\?|\|\|)\s*\d")  # a server range with a guessed fallback


def hits(pattern: re.Pattern[str], home: set[str]) -> list[str]:
    """`path:line: text` of every match outside the files in `home`."""
    found = []
    for path in CODE:
        name = str(path.relative_to(ROOT))
        if name in home:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if pattern.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def test_the_data_domain_is_stated_only_by_the_data_sets():
    assert hits(DOMAIN, {"engine/data/datasets.py"}) == []


def test_activation_ranges_are_stated_only_by_the_activations():
    assert hits(ACTIVATION_RANGE, {"engine/nn/activations.py"}) == []


def test_limits_and_ranges_are_stated_only_by_the_schema():
    assert hits(LIMIT, {"engine/schema.py"}) == []
    assert hits(SPEED, set()) == []


def test_the_frame_header_is_listed_only_in_frames():
    bookkeeping = [n for n in HEADER_NAMES if n in ("header_size", "layout_id", "history_offset")]
    listing = re.compile("|".join(re.escape(f'"{n}"') for n in bookkeeping))
    # app/sessions/race_frames.py: the race frame's own header, which takes the fields it shares from HEADER_FIELDS
    lists = [h for h in hits(listing, {"app/sessions/frames.py", "app/sessions/race_frames.py"})
             if "history_offset" not in h or "header_size" in h]
    assert lists == []
    assert hits(re.compile(re.escape(HEADER.format[1:])), {"app/sessions/frames.py"}) == []
    assert hits(re.compile(r"DOCUMENTED_HEADER"), set()) == []


def test_the_patterns_find_what_they_are_for():
    """The patterns above are not vacuous: each matches the kind of line it forbids."""
    assert DOMAIN.search("export const EXTENT = 6;") and DOMAIN.search('"extent": [-6.0, 6.0],')
    assert DOMAIN.search("Coordinate = Annotated[float, Field(ge=-6, le=6)]")
    assert ACTIVATION_RANGE.search('    "sigmoid": (0.0, 1.0),')
    assert LIMIT.search("maxNeurons: () => playground.limits?.max_neurons ?? 16,")
    assert LIMIT.search("        max_layers: int = 8,")
    assert LIMIT.search("const limit = (message.limits?.max_message_bytes ?? 65536) - 256;")
    assert LIMIT.search('    max_points: int = Field(5000, ge=10, description="Most data points in a session.")')
    assert SPEED.search("  const hi = s.max ?? 1000;") or SPEED.search("  const lo = s.min ?? 1;")
    assert re.search(re.escape(HEADER.format[1:]), 'HEADER = struct.Struct("' + HEADER.format + '")')
