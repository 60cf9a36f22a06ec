"""JSON text for server messages: compact, strict, NumPy values and non-finite floats made plain."""

from __future__ import annotations

import json
import math
from typing import Any


def dumps(message: dict[str, Any]) -> str:
    """JSON text for a server message; NaN and Infinity become null, NumPy values plain numbers."""
    try:
        return json.dumps(message, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):  # NumPy values or non-finite floats somewhere: walk and convert
        return json.dumps(jsonable(message), separators=(",", ":"), allow_nan=False)


def jsonable(value: Any) -> Any:
    """Plain JSON values: NumPy scalars and arrays converted, non-finite floats → None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
