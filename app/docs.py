"""The generated parts of docs/protocol.md (`python -m app.docs` rewrites them; tests/app/test_docs.py checks them)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.sessions.frames import HEADER, header_description
from app.sessions.race_frames import RACE_HEADER, RACE_HEADER_FIELDS, RACE_LANE, RACE_LANE_FIELDS, describe
from engine.schema import FIELD, RESETS, SETTINGS, Limits, Setting


def settings_table(limits: Limits | None = None) -> str:
    """Every setting of engine.schema as a Markdown row: type, default, allowed values, when it applies, resets."""
    limits = limits or Limits()
    rows = ["| setting | type | default | allowed | applies when | a change also |", "|---|---|---|---|---|---|"]
    for s in [*SETTINGS, *[FIELD[k] for k in FIELD]]:
        name = next((k for k, f in FIELD.items() if f is s), s.name)
        rows.append(f"| `{name}` | {_type(s)} | `{_json(s.default)}` | {_allowed(s, limits)} | "
                    f"{_when(s)} | {'; '.join(RESETS[r] for r in s.resets) or '—'} |")
    return "\n".join(rows) + "\n"


def _type(s: Setting) -> str:
    return s.type + (", one or one per hidden layer" if s.per_layer else "")


def _allowed(s: Setting, limits: Limits) -> str:
    if s.low is not None:
        low, high = s.bounds(limits)
        unit = f" {s.unit}" if s.unit else ""
        return f"{low:.12g} … {high:.12g}{unit}"
    if s.type == "layers":
        return f"0 … {limits.max_layers} layers of 1 … {limits.max_neurons} neurons"
    if s.type == "params":
        return f"the chosen optimizer's parameters (`{s.registry}`)"
    if s.type == "object":
        return "an object: " + ", ".join(f"`{f.name}`" for f in s.fields)
    if s.type == "bool":
        return "true, false"
    return ", ".join(f"`{v}`" for v in s.values)


def _when(s: Setting) -> str:
    if s.applies is None:
        return "always"
    return f"`{s.applies.key}` is " + " or ".join(f"`{_json(v)}`" for v in s.applies.values)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


TYPE_NAMES = {"B": "u8", "H": "u16", "I": "u32", "f": "f32"}


def header_table() -> str:
    """docs/protocol.md's header section: the struct format and one row per field, from
    app.sessions.frames.HEADER_FIELDS."""
    rows = [f"### Header (`struct` format `{HEADER.format}`, {HEADER.size} bytes)", "",
            "| offset | type | field | meaning |", "|---|---|---|---|"]
    for entry in header_description()["fields"]:
        code = entry["format"]
        kind = TYPE_NAMES.get(code) or f"{code[:-1]} bytes"
        rows.append(f"| {entry['offset']} | {kind} | `{entry['name']}` | {entry['meaning']} |")
    return "\n".join(rows) + "\n"


def race_tables() -> str:
    """docs/protocol.md's race frame section: the header and the lane record, from app.sessions.race_frames' field
    lists."""
    rows: list[str] = []
    for title, fields, packed in (("Race header", RACE_HEADER_FIELDS, RACE_HEADER),
                                  ("Lane record (one per lane, after the header)", RACE_LANE_FIELDS, RACE_LANE)):
        rows += [f"#### {title} (`struct` format `{packed.format}`, {packed.size} bytes)", "",
                 "| offset | type | field | meaning |", "|---|---|---|---|"]
        for entry in describe(fields, packed)["fields"]:
            code = entry["format"]
            rows.append(f"| {entry['offset']} | {TYPE_NAMES.get(code) or f'{code[:-1]} bytes'} | `{entry['name']}` | "
                        f"{entry['meaning']} |")
        rows.append("")
    return "\n".join(rows)


def room_errors_table() -> str:
    """docs/protocol.md's room error codes, from app.rooms.room.ERRORS."""
    from app.rooms.room import ERRORS

    rows = ["| code | when |", "|---|---|"]
    rows += [f"| `{code}` | {when} |" for code, when in ERRORS.items()]
    return "\n".join(rows) + "\n"


BLOCKS: dict[str, Callable[[], str]] = {"settings": settings_table, "frame-header": header_table,
                                        "race-frame": race_tables, "room-errors": room_errors_table}
PROTOCOL_DOC = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"


def block(name: str, text: str) -> re.Match[str] | None:
    """The generated block `name` in a document's text, between its two markers."""
    return re.search(rf"<!-- generated: {name} .*?-->\n(.*?)<!-- end: {name} -->\n", text, re.S)


def regenerate(text: str) -> str:
    """The document with every generated block replaced by what its source says now."""
    for name, source in BLOCKS.items():
        found = block(name, text)
        if found is None:
            raise ValueError(f"no generated block {name!r}")
        text = text[: found.start(1)] + source() + text[found.end(1) :]
    return text


def main() -> int:
    """Rewrite docs/protocol.md's generated blocks in place."""
    PROTOCOL_DOC.write_text(regenerate(PROTOCOL_DOC.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
