"""Hidden-layer activation functions: a value and a derivative each, registered once by name."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def _buffer(z: Array, out: Array | None) -> Array:
    return np.empty_like(z) if out is None else out


@dataclass(frozen=True)
class Activation:
    """f(z) and f'(z): `fn(z, out)` writes a into out; `deriv(z, a, out)` writes f'(z) into out (out is never z).

    `range` is the interval its outputs stay in (None: unbounded); a unit that `can_die` can stop passing gradient
    for good (never active); a `leaky` one takes the leaky_slope setting.

    `formula` and `code` are the same function for an exported run (engine.export): the formula in words, and two
    plain NumPy fragments, f(z) of `z` and f'(z) of `z` and `a` = f(z): an expression, or statements and then the
    expression on the last line.
    """

    name: str
    fn: Callable[[Array, Array], Array]
    deriv: Callable[[Array, Array, Array], Array]
    formula: str
    code: tuple[str, str]
    range: tuple[float, float] | None = None
    can_die: bool = False
    leaky: bool = False

    def __call__(self, z: Array, out: Array | None = None) -> Array:
        """The activation a = f(z)."""
        return self.fn(z, _buffer(z, out))

    def grad(self, z: Array, a: Array, out: Array | None = None) -> Array:
        """The derivative f'(z), given z and a = f(z) (whichever is cheaper is used)."""
        return self.deriv(z, a, _buffer(z, out))


def _linear(z: Array, out: Array) -> Array:
    np.copyto(out, z)
    return out


def _linear_d(z: Array, a: Array, out: Array) -> Array:
    out.fill(1.0)
    return out


def _relu(z: Array, out: Array) -> Array:
    if z.size < 4096:
        return np.maximum(z, 0.0, out=out)
    np.abs(z, out=out)  # (|z| + z) / 2 is exact and twice as fast as np.maximum on grid-sized arrays
    out += z
    out *= 0.5
    return out


def _relu_d(z: Array, a: Array, out: Array) -> Array:
    return np.greater(z, 0.0, out=out)


def leaky_relu(slope: float) -> Activation:
    """Leaky ReLU with negative slope in [0, 1]: f(z) = max(z, slope z)."""

    def fn(z: Array, out: Array) -> Array:
        np.multiply(z, slope, out=out)
        return np.maximum(z, out, out=out)

    def deriv(z: Array, a: Array, out: Array) -> Array:
        np.greater(z, 0.0, out=out)
        out *= 1.0 - slope
        out += slope
        return out

    formula = f"f(z) = max(z, {slope:g}·z); f′(z) = 1 for z > 0, else {slope:g}"
    code = (f"np.maximum(z, {slope!r} * z)", f"(z > 0) * (1 - {slope!r}) + {slope!r}")
    return Activation("leaky_relu", fn, deriv, formula, code, can_die=True, leaky=True)


def _elu(z: Array, out: Array) -> Array:
    np.minimum(z, 0.0, out=out)
    np.expm1(out, out=out)
    return np.maximum(out, z, out=out)  # expm1(z) >= z, so this picks z for z > 0 and e^z - 1 below


def _elu_d(z: Array, a: Array, out: Array) -> Array:
    np.minimum(a, 0.0, out=out)
    out += 1.0
    return out


def _sigmoid(z: Array, out: Array) -> Array:
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)  # sigmoid(z) = (1 + tanh(z/2)) / 2 never overflows
    out *= 0.5
    out += 0.5
    return out


def _sigmoid_d(z: Array, a: Array, out: Array) -> Array:
    np.subtract(1.0, a, out=out)
    out *= a
    return out


def _tanh(z: Array, out: Array) -> Array:
    return np.tanh(z, out=out)


def _tanh_d(z: Array, a: Array, out: Array) -> Array:
    np.multiply(a, a, out=out)
    return np.subtract(1.0, out, out=out)


def _softplus(z: Array, out: Array) -> Array:
    return np.logaddexp(z, 0.0, out=out)


def _softplus_d(z: Array, a: Array, out: Array) -> Array:
    return _sigmoid(z, out)


_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715


def _gelu(z: Array, out: Array) -> Array:
    t = np.tanh(_GELU_C * (z + _GELU_K * z**3))
    return np.multiply(0.5 * z, 1.0 + t, out=out)


def _gelu_d(z: Array, a: Array, out: Array) -> Array:
    t = np.tanh(_GELU_C * (z + _GELU_K * z**3))
    inner_d = _GELU_C * (1.0 + 3.0 * _GELU_K * z * z)
    np.copyto(out, 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * inner_d)
    return out


def _swish(z: Array, out: Array) -> Array:
    _sigmoid(z, out)
    out *= z
    return out


def _swish_d(z: Array, a: Array, out: Array) -> Array:
    s = _sigmoid(z, np.empty_like(z))
    np.subtract(1.0, a, out=out)  # f' = s + z s (1 - s) = a + s (1 - a)
    out *= s
    out += a
    return out


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", _linear, _linear_d, "f(z) = z; f′(z) = 1", ("z", "np.ones_like(z)")),
        Activation("relu", _relu, _relu_d, "f(z) = max(z, 0); f′(z) = 1 for z > 0, else 0",
                   ("np.maximum(z, 0)", "(z > 0).astype(z.dtype)"), can_die=True),
        leaky_relu(0.01),
        Activation("elu", _elu, _elu_d, "f(z) = z for z > 0, else eᶻ − 1; f′(z) = 1 for z > 0, else a + 1",
                   ("np.where(z > 0, z, np.expm1(np.minimum(z, 0)))", "np.minimum(a, 0) + 1")),
        Activation("sigmoid", _sigmoid, _sigmoid_d, "σ(z) = 1 / (1 + e⁻ᶻ) = ½ + ½·tanh(z/2); σ′(z) = a·(1 − a)",
                   ("0.5 + 0.5 * np.tanh(0.5 * z)", "a * (1 - a)"), range=(0.0, 1.0)),
        Activation("tanh", _tanh, _tanh_d, "f(z) = tanh(z); f′(z) = 1 − a²", ("np.tanh(z)", "1 - a * a"),
                   range=(-1.0, 1.0)),
        Activation("softplus", _softplus, _softplus_d, "f(z) = log(1 + eᶻ); f′(z) = σ(z)",
                   ("np.logaddexp(z, 0)", "0.5 + 0.5 * np.tanh(0.5 * z)")),
        Activation("gelu", _gelu, _gelu_d,
                   "f(z) = ½z·(1 + tanh(u)), u = √(2/π)·(z + 0.044715·z³); f′(z) = ½(1 + tanh u) + ½z·(1 − tanh²u)·u′",
                   (f"0.5 * z * (1 + np.tanh({_GELU_C!r} * (z + {_GELU_K!r} * z**3)))",
                    f"t = np.tanh({_GELU_C!r} * (z + {_GELU_K!r} * z**3))\n"
                    f"0.5 * (1 + t) + 0.5 * z * (1 - t * t) * {_GELU_C!r} * (1 + {3 * _GELU_K!r} * z * z)")),
        Activation("swish", _swish, _swish_d, "f(z) = z·σ(z); f′(z) = a + σ(z)·(1 − a)",
                   ("z * (0.5 + 0.5 * np.tanh(0.5 * z))", "a + (0.5 + 0.5 * np.tanh(0.5 * z)) * (1 - a)")),
    )
}

SOFTMAX_RANGE = (0.0, 1.0)  # softmax is an output activation only (engine.nn.losses): probabilities
# Units that can stop passing gradient: never active (ReLU family) or stuck at a rail (squashing functions).
CAN_DIE = frozenset(name for name, a in ACTIVATIONS.items() if a.can_die)
RAILS: dict[str, tuple[float, float]] = {name: a.range for name, a in ACTIVATIONS.items() if a.range}


def output_range(name: str) -> tuple[float, float] | None:
    """The interval a hidden or output activation's values stay in; None when unbounded."""
    return SOFTMAX_RANGE if name == "softmax" else ACTIVATIONS[name].range


def get_activation(name: str, leaky_slope: float = 0.01) -> Activation:
    """The registered activation `name` (leaky_relu with the given slope); ValueError lists the valid names."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}")
    return leaky_relu(float(leaky_slope)) if name == "leaky_relu" else ACTIVATIONS[name]
