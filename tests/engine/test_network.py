"""Network: flat views, forward against plain NumPy, backward against finite differences, dropout, statistics,
limits, and shapes for any architecture."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.nn.losses import get_loss
from engine.nn.network import Network

REF = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
       "linear": lambda z: z}  # fmt: skip


def reference_forward(net: Network, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """z_out and hidden activations with plain expressions over copies of the weights."""
    acts, a = [], x
    for W, b, name in zip(net.W, net.b, net.activation_names, strict=False):
        a = REF[name](a @ W.copy() + b.copy())
        acts.append(a)
    return a @ net.W[-1] + net.b[-1], acts


def numeric_grads(net: Network, x: np.ndarray, target: np.ndarray, loss, h: float = 1e-6, **fwd) -> np.ndarray:
    grads = np.zeros(net.params.size)
    for j in range(net.params.size):
        old = net.params[j]
        net.params[j] = old + h
        plus = loss.value(net.forward(x, **{k: v() if callable(v) else v for k, v in fwd.items()}), target)
        net.params[j] = old - h
        minus = loss.value(net.forward(x, **{k: v() if callable(v) else v for k, v in fwd.items()}), target)
        net.params[j] = old
        grads[j] = (plus - minus) / (2 * h)
    return grads


def test_views_share_the_flat_vectors() -> None:
    net = Network(3, [4, 2], 1, rng=np.random.default_rng(0))
    assert net.sizes == [3, 4, 2, 1]
    assert net.params.size == 3 * 4 + 4 + 4 * 2 + 2 + 2 * 1 + 1 == net.grads.size
    for i, (W, b, dW, db) in enumerate(zip(net.W, net.b, net.dW, net.db, strict=True)):
        assert np.shares_memory(W, net.params) and np.shares_memory(b, net.params)
        assert np.shares_memory(dW, net.grads) and np.shares_memory(db, net.grads)
        assert W.shape == (net.sizes[i], net.sizes[i + 1])
        assert np.array_equal(net.params[net.weight_slices[i]], W.ravel())
        assert np.array_equal(net.params[net.bias_slices[i]], b)
    net.params[net.layer_slices[1]] = 7.0
    assert (net.W[1] == 7).all() and (net.b[1] == 7).all()
    assert net.weight_mask.sum() == 12 + 8 + 2 and not net.weight_mask[net.bias_slices[0]].any()
    assert net.params.dtype == np.float32
    assert Network(3, [4], dtype=np.float64).params.dtype == np.float64


@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid", "linear"])
def test_forward_matches_plain_numpy(act: str) -> None:
    rng = np.random.default_rng(1)
    net = Network(3, [5, 4], 2, act, rng=rng, dtype=np.float64)
    net.params[~net.weight_mask] = rng.normal(size=int((~net.weight_mask).sum()))
    x = rng.normal(size=(9, 3))
    z_ref, acts_ref = reference_forward(net, x)
    np.testing.assert_allclose(net.forward(x), z_ref, rtol=1e-12)
    z_t, hidden = net.infer(x)
    np.testing.assert_allclose(z_t.T, z_ref, rtol=1e-12)
    np.testing.assert_allclose(hidden, np.concatenate([a.T for a in acts_ref]), rtol=1e-12)


@pytest.mark.parametrize(("act", "loss_name", "problem"), [("tanh", "mse", "binary"), ("relu", "bce", "binary"),
                         ("gelu", "softmax_ce", "multiclass"), ("elu", "huber", "regression")])  # fmt: skip
def test_backward_matches_finite_differences(act: str, loss_name: str, problem: str) -> None:
    rng = np.random.default_rng(2)
    loss = get_loss(loss_name, problem, 3)
    net = Network(2, [4, 3], loss.n_outputs, act, init="he", rng=rng, dtype=np.float64)
    net.params[~net.weight_mask] = rng.uniform(0.1, 0.5, int((~net.weight_mask).sum()))
    x = rng.uniform(-1, 1, (7, 2))
    labels = rng.uniform(-1, 1, 7) if problem == "regression" else rng.integers(0, loss.k, 7)
    target = loss.encode(labels, np.float64)
    net.backward(loss.delta(net.forward(x), target))
    analytic = net.grads.copy()
    np.testing.assert_allclose(analytic, numeric_grads(net, x, target, loss), rtol=1e-5, atol=1e-9)


def test_deep_sigmoid_network_gradient_and_vanishing() -> None:
    rng = np.random.default_rng(3)
    loss = get_loss("mse", "binary")
    net = Network(2, [6] * 6, 1, "sigmoid", rng=rng, dtype=np.float64)
    x = rng.uniform(-1, 1, (10, 2))
    target = loss.encode(rng.integers(0, 2, 10), np.float64)
    net.backward(loss.delta(net.forward(x), target))
    analytic = net.grads.copy()
    numeric = numeric_grads(net, x, target, loss)
    for s in net.layer_slices:
        err = np.linalg.norm(analytic[s] - numeric[s]) / (np.linalg.norm(analytic[s]) + np.linalg.norm(numeric[s]))
        assert err < 1e-5
    norms = net.grad_norms()
    np.testing.assert_allclose(norms, [np.linalg.norm(analytic[s]) for s in net.layer_slices])
    assert norms[0] < norms[-1] / 10  # sigmoid' <= 1/4 per layer: the first layer learns slowest


def test_dropout_is_inverted_training_only_and_backprops_through_the_mask() -> None:
    rng = np.random.default_rng(4)
    loss = get_loss("mse", "regression")
    net = Network(2, [16, 16], 1, "tanh", rng=rng, dtype=np.float64)
    x = rng.uniform(-1, 1, (5, 2))
    plain = net.forward(x).copy()
    assert np.array_equal(net.forward(x, train=False, dropout=0.5, rng=rng), plain)
    assert not np.array_equal(net.forward(x, train=True, dropout=[0.5, 0.0], rng=rng), plain)
    linear = Network(2, [16], 1, "linear", rng=rng, dtype=np.float64)
    expected = linear.forward(x).copy()
    runs = np.stack([linear.forward(x, train=True, dropout=0.5, rng=rng).copy() for _ in range(4000)])
    np.testing.assert_allclose(runs.mean(axis=0), expected, atol=0.05 * np.abs(runs).max())  # inverted: E unchanged
    assert runs.std(axis=0).min() > 0
    target = loss.encode(rng.uniform(-1, 1, 5), np.float64)
    net.backward(loss.delta(net.forward(x, train=True, dropout=0.5, rng=np.random.default_rng(9)), target))
    analytic = net.grads.copy()
    numeric = numeric_grads(net, x, target, loss, train=True, dropout=0.5, rng=lambda: np.random.default_rng(9))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-9)


def test_delta_stats_and_unit_health() -> None:
    rng = np.random.default_rng(5)
    loss = get_loss("mse", "binary")
    net = Network(2, [3, 2], 1, ["relu", "tanh"], rng=rng, dtype=np.float64)
    net.W[0][...] = [[-1.0, 1.0, 0.5], [-1.0, 0.5, 1.0]]  # neuron 0: z = -x1 - x2 < 0 for positive inputs: dead
    net.W[1][:, 1] = 50.0  # neuron 1 of layer 1: huge weights: saturated
    net.b[1][1] = 50.0
    x = rng.uniform(0.1, 1, (8, 2))
    target = loss.encode(rng.integers(0, 2, 8), np.float64)
    z = net.forward(x)
    net.backward(loss.delta(z, target))
    means, abs_means = net.delta_stats()
    y = np.tanh(z)
    delta_out = (y - target) * (1 - y**2)  # per-example δ at the output
    np.testing.assert_allclose(means[-1], delta_out.mean(axis=0))
    np.testing.assert_allclose(abs_means[-1], np.abs(delta_out).mean(axis=0))
    a1 = np.maximum(x @ net.W[0] + net.b[0], 0)
    a2 = np.tanh(a1 @ net.W[1] + net.b[1])
    delta2 = (delta_out @ net.W[2].T) * (1 - a2**2)
    np.testing.assert_allclose(means[1], delta2.mean(axis=0), atol=1e-15)
    assert [m.shape for m in means] == [(3,), (2,), (1,)]
    dead, saturated = net.unit_health()
    assert dead[0].tolist() == [True, False, False] and not dead[1].any()
    assert saturated[1].tolist() == [False, True] and not saturated[0].any()


def test_network_validates_its_limits() -> None:
    with pytest.raises(ValueError):
        Network(2, [17], max_neurons=16)
    with pytest.raises(ValueError):
        Network(2, [1] * 3, max_layers=2)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    hidden=st.lists(st.integers(1, 16), min_size=0, max_size=8),
    n_in=st.integers(1, 7),
    n_out=st.integers(1, 5),
    batch=st.integers(1, 64),
)
def test_shapes_for_any_architecture(hidden: list[int], n_in: int, n_out: int, batch: int) -> None:
    net = Network(n_in, hidden, n_out, "tanh", rng=np.random.default_rng(0))
    x = np.random.default_rng(1).uniform(-1, 1, (batch, n_in)).astype(np.float32)
    z = net.forward(x)
    assert z.shape == (batch, n_out) and z.dtype == np.float32
    net.backward(np.ones((batch, n_out)))  # float64 δ into a float32 network is cast
    assert all(dW.shape == W.shape for dW, W in zip(net.dW, net.W, strict=True))
    means, abs_means = net.delta_stats()
    assert [m.size for m in means] == [*hidden, n_out]
    assert net.grad_norms().shape == (len(hidden) + 1,)
    dead, saturated = net.unit_health()
    assert [d.size for d in dead] == hidden == [s.size for s in saturated]
    z_t, acts = net.infer(x)
    assert z_t.shape == (n_out, batch) and acts.shape == (sum(hidden), batch)
    np.testing.assert_allclose(z_t.T, z, rtol=1e-5, atol=1e-5)


def test_delta_stats_survive_a_forward_pass_of_another_batch_size() -> None:
    net = Network(2, [3], 1, "tanh", rng=np.random.default_rng(6), dtype=np.float64)
    x = np.random.default_rng(7).uniform(-1, 1, (4, 2))
    delta_out = np.array([[0.1], [-0.3], [0.2], [0.05]])
    net.forward(x)
    net.backward(delta_out)
    net.unit_health(np.zeros((9, 2)))  # another batch size: other buffers
    net.infer(np.zeros((5, 2)))
    means, abs_means = net.delta_stats()
    a = np.tanh(x @ net.W[0] + net.b[0])
    hidden = (delta_out @ net.W[1].T) * (1 - a**2)
    np.testing.assert_allclose(means[0], hidden.sum(axis=0))
    np.testing.assert_allclose(abs_means[0], np.abs(hidden).sum(axis=0))
    np.testing.assert_allclose(means[1], [0.05])
    np.testing.assert_allclose(abs_means[1], [0.65])
