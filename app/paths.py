"""Where the page's files are: beside the source tree, or inside an installed wheel."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
_BUNDLED = _HERE / "_assets"
_ROOT = _BUNDLED if (_BUNDLED / "static").is_dir() else _HERE.parent

STATIC_DIR = _ROOT / "static"
TEMPLATES_DIR = _ROOT / "templates"
