"""The generated parts of docs/protocol.md (`python -m app.docs` rewrites them; tests/app/test_docs.py checks them)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from app.frames import header_table
from engine.schema import table

BLOCKS: dict[str, Callable[[], str]] = {"settings": table, "frame-header": header_table}
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
