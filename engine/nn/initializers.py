"""Weight initialisers: `fn(fan_in, fan_out, rng, dtype, scale) -> (fan_in, fan_out)` array. Biases start at 0.

Every draw comes from the `numpy.random.Generator` passed in, always in float64 and then cast, so the same seed
gives the same weights (bit-identical for the same dtype) whatever else the program does.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Initializer = Callable[[int, int, np.random.Generator, "np.dtype | type", float], np.ndarray]


def he(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32, scale: float = 0.5) -> np.ndarray:
    """He (Kaiming) normal: std sqrt(2 / fan_in), suited to ReLU units."""
    return (rng.standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / fan_in)).astype(dtype)


def xavier(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32, scale: float = 0.5) -> np.ndarray:
    """Xavier (Glorot) uniform: U(±sqrt(6 / (fan_in + fan_out))), suited to tanh and sigmoid units."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype)


def lecun(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32, scale: float = 0.5) -> np.ndarray:
    """LeCun normal: std sqrt(1 / fan_in)."""
    return (rng.standard_normal((fan_in, fan_out)) * math.sqrt(1.0 / fan_in)).astype(dtype)


def uniform(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32, scale: float = 0.5) -> np.ndarray:
    """Plain uniform U(±scale), whatever the layer's size (TensorFlow Playground uses ±0.5)."""
    return rng.uniform(-scale, scale, (fan_in, fan_out)).astype(dtype)


def zeros(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32, scale: float = 0.5) -> np.ndarray:
    """All zeros: every unit of a layer gets the same gradient, so they never become different (symmetry)."""
    return np.zeros((fan_in, fan_out), dtype=dtype)


INITIALIZERS: dict[str, Initializer] = {
    "he": he,
    "xavier": xavier,
    "lecun": lecun,
    "uniform": uniform,
    "zeros": zeros,
}
SCALED = ("uniform",)  # initialisers that take the init_scale setting


def get_initializer(name: str) -> Initializer:
    """The registered initialiser `name`; ValueError lists the valid names."""
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}; valid: {', '.join(INITIALIZERS)}")
    return INITIALIZERS[name]
