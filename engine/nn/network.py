"""A small MLP whose weights and biases are views into one flat parameter vector (and gradients into another)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.nn.activations import CAN_DIE, RAILS, Activation, get_activation
from engine.nn.initializers import get_initializer
from engine.schema import Limits

Array = np.ndarray


class _Batch:
    """Preallocated buffers for one batch size. Layer inputs carry a trailing column of ones, so that
    [a, 1] @ [W; b] gives z and [a, 1].T @ δ gives [dW; db] in one matmul each."""

    def __init__(self, batch: int, sizes: list[int], dtype: np.dtype) -> None:
        self.x = np.ones((batch, sizes[0] + 1), dtype)
        self.z = [np.empty((batch, n), dtype) for n in sizes[1:]]  # (batch, fan_out) per layer
        self.a = [np.ones((batch, n + 1), dtype) for n in sizes[1:-1]]  # (batch, fan_out + 1) per hidden layer
        self.dropped = [np.ones((batch, n + 1), dtype) for n in sizes[1:-1]]
        self.masks = [np.empty((batch, n), dtype) for n in sizes[1:-1]]
        self.delta = [np.empty((batch, n), dtype) for n in sizes[1:-1]]
        self.deriv = [np.empty((batch, n), dtype) for n in sizes[1:-1]]
        self.ones = np.ones(batch, dtype)  # sums over the batch as one BLAS call
        self.scratch = [np.empty((batch, n), dtype) for n in sizes[1:]]
        self.inputs = [self.x, *self.a]  # each layer's input without dropout, and its transpose for [dW; db]
        self.inputs_T = [a.T for a in self.inputs]
        self.x_in = self.x[:, :-1]  # the views activations write into
        self.a_in = [a[:, :-1] for a in self.a]
        self.dropped_in = [a[:, :-1] for a in self.dropped]


class _Infer:
    """Buffers for a large inference pass, neuron-major (rows are units, columns are points). Each layer's input has
    a trailing row of ones, so that [W; b].T @ [a; 1] gives z in one matmul."""

    def __init__(self, n: int, sizes: list[int], dtype: np.dtype) -> None:
        self.inputs = [np.ones((k + 1, n), dtype) for k in sizes[:-1]]  # (fan_in + 1, n) per layer
        self.rows = [a[:-1] for a in self.inputs]  # the contiguous rows activations write into
        scratch = np.empty((max(sizes[1:-1], default=0), n), dtype)  # one z for every hidden layer: stays in cache
        self.z = [*(scratch[:k] for k in sizes[1:-1]), np.empty((sizes[-1], n), dtype)]


class Network:
    """Multi-layer perceptron: a = f(x @ W + b) per hidden layer, z_out = a @ W + b at the output (no activation).

    Weights are drawn from `init` with `rng` (biases 0) unless a flat `params` vector is given to copy.
    """

    def __init__(
        self,
        n_inputs: int,
        hidden: Sequence[int],
        n_outputs: int = 1,
        activation: str | Sequence[str] = "tanh",
        *,
        leaky_slope: float = 0.01,
        init: str = "xavier",
        init_scale: float = 0.5,
        rng: np.random.Generator | None = None,
        dtype: type | np.dtype = np.float32,
        max_layers: int = Limits.max_layers,
        max_neurons: int = Limits.max_neurons,
        params: Array | None = None,
    ) -> None:
        hidden = [int(n) for n in hidden]
        if len(hidden) > max_layers or any(not 1 <= n <= max_neurons for n in hidden):
            raise ValueError(f"hidden layers must be 0 to {max_layers} layers of 1 to {max_neurons} neurons")
        if n_inputs < 1 or n_outputs < 1:
            raise ValueError("a network needs at least one input and one output")
        names = [activation] * len(hidden) if isinstance(activation, str) else list(activation)
        if len(names) != len(hidden):
            raise ValueError(f"{len(names)} activations given for {len(hidden)} hidden layers")
        self.sizes = [int(n_inputs), *hidden, int(n_outputs)]
        self.leaky_slope = float(leaky_slope)
        self.activations: list[Activation] = [get_activation(n, self.leaky_slope) for n in names]
        get_initializer(init)
        self.init, self.init_scale = init, float(init_scale)
        self.dtype = np.dtype(dtype)
        self.max_layers, self.max_neurons = max_layers, max_neurons

        shapes = list(zip(self.sizes[:-1], self.sizes[1:], strict=True))
        ends = np.cumsum([0] + [(fi + 1) * fo for fi, fo in shapes]).tolist()
        self.layer_slices = [slice(s, e) for s, e in zip(ends[:-1], ends[1:], strict=True)]
        self.weight_slices = [slice(s.start, s.stop - fo) for s, (_, fo) in zip(self.layer_slices, shapes, strict=True)]
        self.bias_slices = [slice(s.stop - fo, s.stop) for s, (_, fo) in zip(self.layer_slices, shapes, strict=True)]
        self.params, self.grads = np.zeros(ends[-1], self.dtype), np.zeros(ends[-1], self.dtype)
        # Layer i is [W; b] (fan_in + 1, fan_out), row-major: W (fan_in, fan_out) then b (fan_out,).
        self._Wb = [self.params[s].reshape(fi + 1, fo) for s, (fi, fo) in zip(self.layer_slices, shapes, strict=True)]
        self._dWb = [self.grads[s].reshape(fi + 1, fo) for s, (fi, fo) in zip(self.layer_slices, shapes, strict=True)]
        self.W, self.b = [Wb[:-1] for Wb in self._Wb], [Wb[-1] for Wb in self._Wb]
        self.dW, self.db = [dWb[:-1] for dWb in self._dWb], [dWb[-1] for dWb in self._dWb]
        self._WT = [W.T for W in self.W]
        self._WbT = [Wb.T for Wb in self._Wb]
        self.weight_mask = np.ones(self.params.size, bool)  # True on weights, False on biases
        for s in self.bias_slices:
            self.weight_mask[s] = False
        self._batches: dict[int, _Batch] = {}
        self._infers: dict[int, _Infer] = {}
        self._inputs: list[Array] = []  # each layer's input in the last forward pass
        self._batch: _Batch | None = None
        self._rates: list[float] | None = None  # dropout rates of the last forward pass (None: no dropout)
        self._fns = [a.fn for a in self.activations]
        self._derivs = [a.deriv for a in self.activations]
        if params is not None:
            self.params[...] = params
        else:
            rng = np.random.default_rng(0) if rng is None else rng
            for W in self.W:
                W[...] = self.draw(W.shape[0], W.shape[1], rng)

    @property
    def hidden(self) -> list[int]:
        """Hidden layer widths."""
        return self.sizes[1:-1]

    @property
    def activation_names(self) -> list[str]:
        """Activation name per hidden layer."""
        return [a.name for a in self.activations]

    def draw(self, fan_in: int, fan_out: int, rng: np.random.Generator) -> Array:
        """A fresh (fan_in, fan_out) matrix from this network's initialiser."""
        return get_initializer(self.init)(fan_in, fan_out, rng, self.dtype, self.init_scale)

    def _buffers(self, batch: int) -> _Batch:
        buf = self._batches.get(batch)
        if buf is None:
            if len(self._batches) >= 8:
                self._batches.pop(next(iter(self._batches)))
            buf = self._batches[batch] = _Batch(batch, self.sizes, self.dtype)
        return buf

    def forward(
        self,
        x: Array,
        train: bool = False,
        dropout: float | Sequence[float] = 0.0,
        rng: np.random.Generator | None = None,
    ) -> Array:
        """z_out (batch, n_out) for inputs x (batch, n_in); caches what backward needs.

        The returned array is a buffer reused by the next forward pass with the same batch size. Dropout (inverted,
        a rate per hidden layer) applies only when `train` is true and then needs `rng`.
        """
        buf = self._batch = self._buffers(x.shape[0])
        np.copyto(buf.x_in, x)
        rates = self._rates = None
        if train and dropout:
            n = len(self.activations)
            rates = [float(dropout)] * n if isinstance(dropout, int | float) else [float(r) for r in dropout]
            self._rates = rates if any(rates) else None
        inputs = self._inputs = buf.inputs if self._rates is None else [buf.x]
        Wb, z = self._Wb, buf.z
        for i, fn in enumerate(self._fns):
            np.dot(inputs[i], Wb[i], out=z[i])  # (batch, fan_out); np.dot beats matmul on tiny arrays
            fn(z[i], buf.a_in[i])
            if self._rates is not None:
                inputs.append(self._dropped(buf, i, self._rates[i], rng))
        return np.dot(inputs[-1], Wb[-1], out=z[-1])

    def _dropped(self, buf: _Batch, i: int, rate: float, rng: np.random.Generator | None) -> Array:
        if rate <= 0.0:
            return buf.a[i]
        keep = 1.0 - rate
        mask = buf.masks[i]
        np.less(rng.random(mask.shape, dtype=self.dtype), keep, out=mask)  # type: ignore[union-attr]
        mask *= 1.0 / keep
        np.multiply(buf.a_in[i], mask, out=buf.dropped_in[i])
        return buf.dropped[i]

    def backward(self, delta_out: Array) -> None:
        """Fill `grads` from ∂L/∂z_out (batch, n_out) of the last forward pass."""
        buf, rates = self._batch, self._rates
        if delta_out.dtype != self.dtype:
            delta_out = delta_out.astype(self.dtype)
        self._deltas, self._delta_batch = [*buf.delta, delta_out], buf
        inputs_T = buf.inputs_T if rates is None else [a.T for a in self._inputs]
        dWb, WT, derivs = self._dWb, self._WT, self._derivs
        delta = delta_out
        for i in range(len(dWb) - 1, 0, -1):
            np.dot(inputs_T[i], delta, out=dWb[i])  # [dW; db] (fan_in + 1, fan_out)
            prev = buf.delta[i - 1]
            np.dot(delta, WT[i], out=prev)  # (batch, fan_in)
            if rates is not None and rates[i - 1] > 0.0:
                np.multiply(prev, buf.masks[i - 1], out=prev)
            np.multiply(prev, derivs[i - 1](buf.z[i - 1], buf.a_in[i - 1], buf.deriv[i - 1]), out=prev)
            delta = prev
        np.dot(inputs_T[0], delta, out=dWb[0])

    def infer(self, x: Array, neurons: bool = True) -> tuple[Array, Array | None]:
        """Outputs z_out (n_out, n) and, if asked, every hidden activation (n_hidden_neurons, n), neuron-major.

        For large batches x (n, n_in) such as grids; buffers are reused per n and the cached training pass is left
        alone. z_out is a reused buffer; the activations are a fresh array.
        """
        buf = self._infers.get(x.shape[0])
        if buf is None:
            if len(self._infers) >= 4:
                self._infers.pop(next(iter(self._infers)))
            buf = self._infers[x.shape[0]] = _Infer(x.shape[0], self.sizes, self.dtype)
        np.copyto(buf.rows[0], x.T)
        for i, fn in enumerate(self._fns):
            np.matmul(self._WbT[i], buf.inputs[i], out=buf.z[i])  # (fan_out, n)
            fn(buf.z[i], buf.rows[i + 1])
        z_out = np.matmul(self._WbT[-1], buf.inputs[-1], out=buf.z[-1])
        if not neurons:
            return z_out, None
        if not self._fns:
            return z_out, np.empty((0, x.shape[0]), self.dtype)
        return z_out, np.concatenate(buf.rows[1:])

    def delta_stats(self) -> tuple[list[Array], list[Array]]:
        """Per layer (hidden then output), per neuron: batch mean of the per-example δ and of |δ| (last backward)."""
        ones, scratch = self._delta_batch.ones, self._delta_batch.scratch
        means = [np.dot(ones, d) for d in self._deltas]  # δ holds 1/batch already: its sum is the mean
        absolutes = [np.dot(ones, np.abs(d, out=s)) for d, s in zip(self._deltas, scratch, strict=True)]
        return means, absolutes

    def grad_norms(self) -> Array:
        """L2 norm of each layer's gradient (weights and biases together), shape (n_layers,)."""
        squares = np.square(self.grads, dtype=np.float64)
        return np.sqrt(np.add.reduceat(squares, [s.start for s in self.layer_slices]))

    def unit_health(self, x: Array | None = None) -> tuple[list[Array], list[Array]]:
        """Per hidden layer, boolean per neuron: dead (ReLU family, never active) and saturated (at a rail) on x.

        Without x the last forward batch is used. A tanh/sigmoid unit is saturated when every example puts its
        activation within 1% of the output range from a rail.
        """
        if x is not None:
            self.forward(x)
        dead, saturated = [], []
        for act, z, a in zip(self.activations, self._batch.z, self._batch.a_in, strict=False):
            n = z.shape[1]
            dead.append((z <= 0.0).all(axis=0) if act.name in CAN_DIE else np.zeros(n, bool))
            if act.name in RAILS:
                low, high = RAILS[act.name]
                margin = 0.01 * (high - low)
                saturated.append(((a < low + margin) | (a > high - margin)).all(axis=0))
            else:
                saturated.append(np.zeros(n, bool))
        return dead, saturated

    def copy(self, dtype: type | np.dtype | None = None) -> Network:
        """An independent copy (parameters cast to dtype if given); no cached passes."""
        return Network(
            self.sizes[0], self.hidden, self.sizes[-1], self.activation_names, leaky_slope=self.leaky_slope,
            init=self.init, init_scale=self.init_scale, dtype=dtype or self.dtype,
            max_layers=self.max_layers, max_neurons=self.max_neurons, params=self.params,
        )  # fmt: skip
