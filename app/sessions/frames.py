"""The binary frame: its layout (one table, sent as `layout`) and a builder that fills a preallocated buffer."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.protocol import PROTOCOL_VERSION
from engine.nn.activations import output_range

MAGIC = b"BPPF"
# The frame header, the one list of its fields (name, struct code, meaning): the struct, the `layout` message,
# /api/protocol and docs/protocol.md's header table derive from it.
HEADER_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("magic", "4s", "`BPPF`"),
    ("protocol", "H", "the protocol version"),
    ("header_size", "H", "bytes of this header"),
    ("frame", "I", "frame number in this session, from 1"),
    ("layout_id", "I", "the `layout` this frame follows"),
    ("run", "I", "starts at 1, +1 on every `reset` (clear the loss chart when it changes)"),
    ("step", "I", "mini-batches trained"),
    ("epoch", "I", "full passes trained"),
    ("train_loss", "f", "on the whole training set"),
    ("test_loss", "f", "on the whole test set"),
    ("train_accuracy", "f", "fraction correct; NaN for regression (not applicable)"),
    ("test_accuracy", "f", "fraction correct; NaN for regression"),
    ("learning_rate", "f", "the current rate after the schedule"),
    ("batch_loss", "f", "of the last mini-batch (NaN before the first step)"),
    ("history_count", "I", "rows in the history block"),
    ("history_offset", "I", "where the history rows start (= `layout.history.offset`)"),
    ("state", "B", "0 idle, 1 training"),
    ("flags", "B", "bit 0: a divergence was rolled back since the previous frame; bit 1: a past moment from the "
     "timeline (in a `snapshot` message), not the live network"),
    ("reserved", "H", "0"),
)
HEADER = struct.Struct("<" + "".join(code for _, code, _ in HEADER_FIELDS))
HEADER_NAMES = tuple(name for name, _, _ in HEADER_FIELDS)
UNBOUNDED_SHOWN = (-1.0, 1.0)  # the range an unbounded unit's map is drawn over (values outside are clipped)
HISTORY_COLUMNS = ("step", "train_loss", "test_loss", "learning_rate")
HISTORY_CAPACITY = 4096
FLAG_DIVERGED = 1
FLAG_PAST = 2
FLOAT_BLOCKS = ("params", "grads", "delta_mean", "delta_abs", "grad_norm", "update_ratio")
GRID_BLOCKS = ("output_grid", "neuron_maps", "feature_maps")


@dataclass(frozen=True)
class Shape:
    """Everything the frame layout depends on; a new Shape means a new layout."""

    sizes: tuple[int, ...]
    param_slices: tuple[tuple[int, tuple[int, ...], int, int], ...]
    activations: tuple[str, ...]
    features: tuple[str, ...]
    kind: str
    classes: int
    output_activation: str
    softmax: int
    output_range: tuple[float, float]
    map_ranges: tuple[tuple[float, float], ...]
    feature_ranges: tuple[tuple[float, float], ...]
    extent: float  # the grids cover [-extent, extent]², the data set's domain
    output_grid: int = 100
    map_grid: int = 25


@dataclass(frozen=True)
class Block:
    """One typed array inside a frame."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Layout:
    """Byte offsets of every block for one Shape; `fixed_size` is where the history rows start."""

    layout_id: int
    shape: Shape
    blocks: dict[str, Block] = field(default_factory=dict)
    fixed_size: int = 0

    def to_message(self) -> dict[str, Any]:
        """The `layout` message describing this frame layout."""
        s = self.shape
        layers = []
        for i, (w_offset, w_shape, b_offset, b_size) in enumerate(s.param_slices):
            layers.append({
                "index": i,
                "fan_in": s.sizes[i],
                "fan_out": s.sizes[i + 1],
                "weights": {"offset": w_offset, "shape": list(w_shape)},
                "biases": {"offset": b_offset, "shape": [b_size]},
                "activation": s.activations[i] if i < len(s.activations) else "output",
            })
        return {
            "type": "layout",
            "layout_id": self.layout_id,
            "protocol": PROTOCOL_VERSION,
            "endian": "little",
            "header": header_description(),
            "blocks": [
                {"name": b.name, "dtype": b.dtype, "shape": list(b.shape), "offset": b.offset, "nbytes": b.nbytes}
                for b in self.blocks.values()
            ],
            "history": {"offset": self.fixed_size, "dtype": "float32", "columns": list(HISTORY_COLUMNS)},
            "frame_bytes": self.fixed_size,
            "network": {"sizes": list(s.sizes), "features": list(s.features), "layers": layers},
            "grids": {
                "extent": [-s.extent, s.extent],
                "output": {"size": s.output_grid, "kind": s.kind, "classes": s.classes,
                           "activation": s.output_activation, "range": list(s.output_range),
                           "bytes_per_cell": 2 if s.softmax else 1},
                "neurons": {"size": s.map_grid, "ranges": [list(r) for r in s.map_ranges]},
                "features": {"size": s.map_grid, "ranges": [list(r) for r in s.feature_ranges]},
            },
        }


def header_description() -> dict[str, Any]:
    """The header as `layout` and /api/protocol give it: size, struct format, and each field's offset and format."""
    fields, offset = [], 0
    for name, code, meaning in HEADER_FIELDS:
        fields.append({"name": name, "format": code, "offset": offset, "meaning": meaning})
        offset += struct.calcsize("<" + code)
    return {"size": HEADER.size, "format": HEADER.format, "magic": MAGIC.decode(), "fields": fields}


def make_layout(shape: Shape, layout_id: int) -> Layout:
    """Place every block, 4-byte aligned, after the header."""
    n_params = sum(a * b + b for a, b in zip(shape.sizes, shape.sizes[1:], strict=False))
    n_neurons = sum(shape.sizes[1:])
    n_layers = len(shape.sizes) - 1
    n_hidden = sum(shape.sizes[1:-1])
    g, m = shape.output_grid, shape.map_grid
    output_shape = (g, g, 2) if shape.softmax else (g, g)
    specs: list[tuple[str, str, tuple[int, ...]]] = [
        ("params", "float32", (n_params,)),
        ("grads", "float32", (n_params,)),
        ("delta_mean", "float32", (n_neurons,)),
        ("delta_abs", "float32", (n_neurons,)),
        ("grad_norm", "float32", (n_layers,)),
        ("update_ratio", "float32", (n_layers,)),
        ("output_grid", "uint8", output_shape),
        ("neuron_maps", "uint8", (n_hidden, m, m)),
        ("feature_maps", "uint8", (len(shape.features), m, m)),
    ]
    blocks: dict[str, Block] = {}
    offset = HEADER.size
    for name, dtype, block_shape in specs:
        nbytes = int(np.prod(block_shape)) * np.dtype(dtype).itemsize
        blocks[name] = Block(name, dtype, block_shape, offset, nbytes)
        offset += -(-nbytes // 4) * 4
    return Layout(layout_id, shape, blocks, offset)


def shown_range(activation: str) -> tuple[float, float]:
    """The range a unit's map is quantised over: the activation's own, else UNBOUNDED_SHOWN."""
    return output_range(activation) or UNBOUNDED_SHOWN


def quantise(values: np.ndarray, lo: float, hi: float, out: np.ndarray, scratch: np.ndarray, clip: bool) -> None:
    """Bytes 0…255 for values in [lo, hi]: round((v − lo) / (hi − lo) · 255); clip only if values may leave it."""
    scale = np.float32(255.0 / (hi - lo))
    np.multiply(values, scale, out=scratch)
    np.add(scratch, np.float32(0.5 - lo * scale), out=scratch)
    if clip:
        np.clip(scratch, np.float32(0.0), np.float32(255.0), out=scratch)
    np.copyto(out, scratch, casting="unsafe")


def _groups(sizes: Sequence[int], ranges: Sequence[tuple[float, float]], activations: Sequence[str]):
    """Consecutive hidden layers that share a range and clipping, as (row slice, lo, hi, clip)."""
    groups: list[tuple[slice, float, float, bool]] = []
    start = 0
    for size, (lo, hi), activation in zip(sizes, ranges, activations, strict=False):
        clip = output_range(activation) is None
        if groups and groups[-1][1:] == (lo, hi, clip):
            groups[-1] = (slice(groups[-1][0].start, start + size), lo, hi, clip)
        else:
            groups.append((slice(start, start + size), lo, hi, clip))
        start += size
    return groups


class FrameBuilder:
    """Builds frames for one layout into one preallocated buffer; each build returns the frame as bytes."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.buffer = bytearray(layout.fixed_size + HISTORY_CAPACITY * 4 * len(HISTORY_COLUMNS))
        self.views = {
            b.name: np.frombuffer(self.buffer, dtype=b.dtype, count=b.nbytes // np.dtype(b.dtype).itemsize,
                                  offset=b.offset).reshape(b.shape)
            for b in layout.blocks.values()
        }
        floats = [layout.blocks[name] for name in FLOAT_BLOCKS]
        self.float_region = np.frombuffer(self.buffer, dtype=np.float32, offset=floats[0].offset,
                                          count=(floats[-1].offset + floats[-1].nbytes - floats[0].offset) // 4)
        s = layout.shape
        self.output_scratch = np.empty(s.output_grid * s.output_grid, np.float32)
        self.map_scratch = np.empty((max(1, sum(s.sizes[1:-1])), s.map_grid * s.map_grid), np.float32)
        self.feature_scratch = np.empty((len(s.features), s.map_grid * s.map_grid), np.float32)
        self.map_groups = _groups(s.sizes[1:-1], s.map_ranges, s.activations)
        self.features_done = False

    def build(
        self,
        header: dict[str, Any],
        arrays: dict[str, np.ndarray | Sequence[np.ndarray] | None],
        output: np.ndarray,
        neurons: np.ndarray,
        features: np.ndarray,
        history: Sequence[tuple[float, float, float, float]],
    ) -> bytes:
        """Pack the header, copy the float blocks, quantise the grids, append history rows; return the bytes."""
        for name in FLOAT_BLOCKS:
            _fill(self.views[name], arrays.get(name))
        if not np.isfinite(self.float_region).all():
            np.nan_to_num(self.float_region, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        with np.errstate(invalid="ignore"):
            self._grids(output, neurons, features)
        rows = history[-HISTORY_CAPACITY:]
        count = len(rows)
        fixed = self.layout.fixed_size
        if count:
            hist = np.frombuffer(self.buffer, dtype=np.float32, count=count * len(HISTORY_COLUMNS), offset=fixed)
            hist[:] = np.asarray(rows, dtype=np.float32).ravel()
        values = {**header, "magic": MAGIC, "protocol": PROTOCOL_VERSION, "header_size": HEADER.size,
                  "layout_id": self.layout.layout_id, "history_count": count, "history_offset": fixed, "reserved": 0}
        HEADER.pack_into(self.buffer, 0, *[values[name] for name in HEADER_NAMES])
        return bytes(memoryview(self.buffer)[: fixed + count * 4 * len(HISTORY_COLUMNS)])

    def _grids(self, output: np.ndarray, neurons: np.ndarray, features: np.ndarray) -> None:
        s = self.layout.shape
        view = self.views["output_grid"]
        if s.softmax:  # (cells, K) probabilities → class index and confidence
            probs = output.reshape(-1, s.softmax)
            cells = view.reshape(-1, 2)
            np.copyto(cells[:, 0], np.argmax(probs, axis=1), casting="unsafe")
            np.max(probs, axis=1, out=self.output_scratch)
            quantise(self.output_scratch, 0.0, 1.0, cells[:, 1], self.output_scratch, False)
        else:
            quantise(output.reshape(-1), *s.output_range, view.reshape(-1), self.output_scratch,
                     output_range(s.output_activation) is None)
        maps = self.views["neuron_maps"].reshape(-1, s.map_grid * s.map_grid)
        for rows, lo, hi, clip in self.map_groups:
            quantise(neurons[rows], lo, hi, maps[rows], self.map_scratch[rows], clip)
        if not self.features_done:  # input features never change within a layout: quantised once, kept in the buffer
            feature_view = self.views["feature_maps"].reshape(len(s.features), -1)
            for i, (lo, hi) in enumerate(s.feature_ranges):
                quantise(features[i], lo, hi, feature_view[i], self.feature_scratch[i], False)
            self.features_done = True


def _fill(view: np.ndarray, source: np.ndarray | Sequence[np.ndarray] | None) -> None:
    """Copy one array, or consecutive parts (e.g. one per layer), into a float32 block; missing data → zeros."""
    if source is None:
        view.fill(0.0)
    elif isinstance(source, np.ndarray):
        np.copyto(view, source.reshape(view.shape), casting="unsafe")
    elif sum(np.size(part) for part in source) == view.size:
        np.concatenate([np.ravel(part) for part in source], out=view, casting="unsafe")
    else:
        view.fill(0.0)
