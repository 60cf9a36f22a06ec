"""The race frame: every contestant in one binary frame, built once per frame (layout sent in the `race` message).

Little-endian: a header (RACE_HEADER_FIELDS), one lane record per contestant (RACE_LANE_FIELDS), each lane's output
grid (uint8, quantised like the main frame's `output_grid`), then the history: `history_rows` rows, each with
every lane's (step, train loss, test loss) as float32, one row per frame built (thinned evenly when full). The field
lists are the one source of the struct formats, the `race` message's layout and docs/protocol.md's tables
(`python -m app.docs`).
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

from app.protocol import PROTOCOL_VERSION
from app.sessions.frames import HEADER_FIELDS, quantise

RACE_MAGIC = b"BPPR"
NO_WINNER = 255
RACE_GRID = 40  # each lane's output map, RACE_GRID² cells
RACE_HISTORY = 512  # rows kept: when full every other row goes, so they always span the whole race
HISTORY_COLUMNS = ("step", "train_loss", "test_loss")
STATUS_CODES = {"running": 0, "diverged": 1, "stopped": 2}

FRAME_FIELD = {field[0]: field for field in HEADER_FIELDS}  # the main frame's fields a race frame shares
PROTOCOL, HEADER_SIZE, HISTORY_OFFSET = (FRAME_FIELD[name] for name in ("protocol", "header_size", "history_offset"))
RACE_HEADER_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("magic", "4s", "`BPPR` (a race frame; the main frame's is `BPPF`)"),
    PROTOCOL,
    HEADER_SIZE,
    ("frame", "I", "race frame number in this session, from 1"),
    ("race", "I", "the race this frame shows (its `race` message's `race`)"),
    ("round", "I", "0 for the first start, +1 on every rematch (clear the curves when it changes)"),
    ("step", "I", "the race's lockstep count: the most steps any lane took"),
    ("target", "f", "the finish line (a training loss); NaN: none"),
    ("lanes", "B", "contestants (2–4)"),
    ("winner", "B", f"the winning lane's index, {NO_WINNER}: none yet"),
    ("state", "B", "0 idle, 1 training"),
    ("grid", "B", "side of each lane's output grid"),
    ("history_rows", "I", "history rows in this frame (each holds every lane)"),
    HISTORY_OFFSET,
)
RACE_LANE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("status", "B", "0 running, 1 diverged (out), 2 stopped early (out)"),
    ("finished", "B", "1 once its training loss reached the line"),
    ("reserved", "H", "0"),
    ("finish", "I", "the step after which it reached the line (0 until `finished`)"),
    ("step", "I", "its steps"),
    ("train_loss", "f", "on the whole training set"),
    ("test_loss", "f", "on the whole test set"),
    ("train_accuracy", "f", "NaN for regression"),
    ("test_accuracy", "f", "NaN for regression"),
    ("finish_loss", "f", "its training loss at the finish (NaN until `finished`)"),
    ("learning_rate", "f", "the rate its next step uses"),
)
RACE_HEADER = struct.Struct("<" + "".join(code for _, code, _ in RACE_HEADER_FIELDS))
RACE_LANE = struct.Struct("<" + "".join(code for _, code, _ in RACE_LANE_FIELDS))


def describe(fields: tuple[tuple[str, str, str], ...], packed: struct.Struct) -> dict[str, Any]:
    """A struct as the `race` message and the docs give it: size, format, each field's offset and format."""
    out, offset = [], 0
    for name, code, meaning in fields:
        out.append({"name": name, "format": code, "offset": offset, "meaning": meaning})
        offset += struct.calcsize("<" + code)
    return {"size": packed.size, "format": packed.format, "fields": out}


def race_layout(lanes: int, softmax: int, output_range: tuple[float, float]) -> dict[str, Any]:
    """Where everything is in a race frame of `lanes` lanes (`softmax`: K classes, two bytes a cell; 0: one)."""
    lane_offset = RACE_HEADER.size
    grids_offset = lane_offset + lanes * RACE_LANE.size
    cell = 2 if softmax else 1
    grids_bytes = lanes * RACE_GRID * RACE_GRID * cell
    history_offset = grids_offset + -(-grids_bytes // 4) * 4
    return {
        "endian": "little", "magic": RACE_MAGIC.decode(), "header": describe(RACE_HEADER_FIELDS, RACE_HEADER),
        "lane": {**describe(RACE_LANE_FIELDS, RACE_LANE), "offset": lane_offset, "count": lanes},
        "grids": {"offset": grids_offset, "dtype": "uint8", "range": list(output_range), "classes": softmax,
                  "shape": [lanes, RACE_GRID, RACE_GRID, *([2] * bool(softmax))]},
        "history": {"offset": history_offset, "dtype": "float32", "columns": list(HISTORY_COLUMNS),
                    "shape": ["history_rows", lanes, len(HISTORY_COLUMNS)]},
    }  # fmt: skip


class History:
    """Rows of every lane's (step, train loss, test loss), one per race step recorded, thinned evenly to at most
    RACE_HISTORY (when full every other row goes and only every other later one is kept)."""

    def __init__(self) -> None:
        self.rows: list[list[tuple[float, float, float]]] = []
        self.steps: list[int] = []
        self.every = 1
        self._seen = 0

    def add(self, race_step: int, lanes: list[tuple[float, float, float]]) -> None:
        if self.steps and self.steps[-1] == race_step:  # nothing trained since: the newest numbers replace the row
            self.rows[-1] = lanes
            return
        self._seen += 1
        if (self._seen - 1) % self.every:
            return
        self.steps.append(race_step)
        self.rows.append(lanes)
        if len(self.rows) > RACE_HISTORY:
            self.rows, self.steps = self.rows[::2], self.steps[::2]
            self.every *= 2


def build(header: dict[str, Any], lanes: list[dict[str, Any]], grids: list[np.ndarray], history: History,
          layout: dict[str, Any]) -> bytes:  # fmt: skip
    """One race frame: header, lane records, every lane's grid quantised, the history rows."""
    rows = len(history.rows)
    history_offset = layout["history"]["offset"]
    buffer = bytearray(history_offset + len(lanes) * rows * len(HISTORY_COLUMNS) * 4)
    values = {**header, "magic": RACE_MAGIC, PROTOCOL[0]: PROTOCOL_VERSION, HEADER_SIZE[0]: RACE_HEADER.size,
              "lanes": len(lanes), "grid": RACE_GRID, "history_rows": rows, HISTORY_OFFSET[0]: history_offset}
    RACE_HEADER.pack_into(buffer, 0, *[values[name] for name, _, _ in RACE_HEADER_FIELDS])
    for i, lane in enumerate(lanes):
        RACE_LANE.pack_into(buffer, layout["lane"]["offset"] + i * RACE_LANE.size,
                            *[lane.get(name, 0) for name, _, _ in RACE_LANE_FIELDS])
    cells = RACE_GRID * RACE_GRID
    softmax = layout["grids"]["classes"]
    lo, hi = layout["grids"]["range"]
    view = np.frombuffer(buffer, np.uint8, len(lanes) * cells * (2 if softmax else 1), layout["grids"]["offset"])
    scratch = np.empty(cells, np.float32)
    for i, grid in enumerate(grids):
        if softmax:
            probs = grid.reshape(cells, softmax)
            part = view[i * cells * 2 : (i + 1) * cells * 2].reshape(cells, 2)
            np.copyto(part[:, 0], np.argmax(probs, axis=1), casting="unsafe")
            quantise(probs.max(axis=1), 0.0, 1.0, part[:, 1], scratch, False)
        else:
            quantise(grid.reshape(-1), lo, hi, view[i * cells : (i + 1) * cells], scratch, True)
    if rows:
        table = np.frombuffer(buffer, np.float32, rows * len(lanes) * 3, history_offset).reshape(rows, len(lanes), 3)
        table[...] = np.asarray(history.rows, np.float32)  # NaN where a loss is not finite
    return bytes(buffer)


FLOAT32_MAX = float(np.finfo(np.float32).max)


def finite(x: float) -> float:
    """x for a float32 field: NaN where it is not finite or too large for float32 (a loss on its way to divergence)."""
    return float(x) if math.isfinite(x) and abs(x) <= FLOAT32_MAX else math.nan
