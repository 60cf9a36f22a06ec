"""Optimizers against PyTorch's documented formulas, written out per scalar in plain Python."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.optim.optimizers import OPTIMIZER_PARAMS, OPTIMIZERS, Adam, make_optimizer

P0 = [1.0, -2.0]
GRADS = [[0.5, -1.0], [0.2, 0.4], [-0.3, 0.1]]  # the gradient fed at steps 1, 2, 3
LR = 0.1


def reference(name: str, wd: float = 0.0, **h: float) -> list[list[float]]:
    """The parameters after each of three steps, scalar by scalar, straight from the formulas."""
    b1, b2 = h.get("beta1", 0.9), h.get("beta2", 0.999)
    eps, mu = h.get("eps", 1e-10 if name == "adagrad" else 1e-8), h.get("momentum", 0.9)
    alpha, psi = h.get("alpha", 0.99), 4e-3
    out = []
    for i in range(2):
        p, b, m, v, s, u, mu_prod, path = P0[i], 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, []
        for t, grad in enumerate((g[i] for g in GRADS), start=1):
            if name == "adamw":
                p = p * (1 - LR * wd)
                g = grad
            else:
                g = grad + wd * p
            if name == "sgd":
                p = p - LR * g
            elif name in ("momentum", "nesterov"):
                b = mu * b + g
                p = p - LR * (g + mu * b if name == "nesterov" else b)
            elif name == "adagrad":
                s = s + g * g
                p = p - LR * g / (math.sqrt(s) + eps)
            elif name == "rmsprop":
                v = alpha * v + (1 - alpha) * g * g
                p = p - LR * g / (math.sqrt(v) + eps)
            elif name in ("adam", "adamw"):
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
                p = p - LR * m_hat / (math.sqrt(v_hat) + eps)
            elif name == "adamax":
                m = b1 * m + (1 - b1) * g
                u = max(b2 * u, abs(g) + eps)
                p = p - LR / (1 - b1**t) * m / u
            elif name == "nadam":
                mu_t = b1 * (1 - 0.5 * 0.96 ** (t * psi))
                mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
                mu_prod *= mu_t
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                denom = math.sqrt(v / (1 - b2**t)) + eps
                p = p - LR * (1 - mu_t) / (1 - mu_prod) * g / denom
                p = p - LR * mu_next / (1 - mu_prod * mu_next) * m / denom
            path.append(p)
        out.append(path)
    return [[out[0][k], out[1][k]] for k in range(3)]


def run(name: str, **hyper: float) -> list[np.ndarray]:
    opt = make_optimizer(name, **hyper)
    params = np.array(P0, dtype=np.float32)
    grads = np.empty(2, dtype=np.float32)
    path = []
    for g in GRADS:
        grads[:] = g
        opt.step(params, grads, LR)
        path.append(params.copy())
        assert np.array_equal(grads, np.float32(g)), "the optimizer must not modify grads"
    return path


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_first_three_updates_match_formulas(name: str) -> None:
    wd = OPTIMIZER_PARAMS[name]["weight_decay"].default
    np.testing.assert_allclose(run(name), reference(name, wd=wd), rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "adamw", "rmsprop", "nadam"])
def test_weight_decay(name: str) -> None:
    np.testing.assert_allclose(run(name, weight_decay=0.1), reference(name, wd=0.1), rtol=2e-6, atol=1e-6)


def test_hand_computed_numbers() -> None:
    # sgd: p1 = p0 - 0.1·g1 = [0.95, -1.9]; with wd 0.1: g = [0.6, -1.2] → [0.94, -1.88]
    np.testing.assert_allclose(run("sgd")[0], [0.95, -1.9], rtol=1e-6)
    np.testing.assert_allclose(run("sgd", weight_decay=0.1)[0], [0.94, -1.88], rtol=1e-6)
    # momentum 0.9: b2 = 0.9·g1 + g2 = [0.65, -0.5]; p2 = [0.95, -1.9] - 0.1·b2 = [0.885, -1.85]
    np.testing.assert_allclose(run("momentum")[1], [0.885, -1.85], rtol=1e-6)
    # adam's first step is lr·sign(g): m̂ = g, v̂ = g²
    np.testing.assert_allclose(run("adam")[0], [0.9, -1.9], rtol=1e-6)
    # adam with L2 wd 0.1 still moves by lr·sign(g + wd·p); adamw first shrinks p by 1 - lr·wd = 0.99
    np.testing.assert_allclose(run("adam", weight_decay=0.1)[0], [0.9, -1.9], rtol=1e-6)
    np.testing.assert_allclose(run("adamw", weight_decay=0.1)[0], [0.89, -1.88], rtol=1e-6)


def test_hyper_parameters_have_defaults_in_range_and_can_be_set() -> None:
    for name, params in OPTIMIZER_PARAMS.items():
        opt = OPTIMIZERS[name]()
        for key, spec in params.items():
            assert spec.low <= spec.default <= spec.high
            assert getattr(opt, key) == spec.default
    assert Adam(beta1=0.5, eps=1e-3).beta1 == 0.5
    with pytest.raises(TypeError, match="allowed"):
        Adam(rho=0.9)


def test_remap_keeps_unchanged_tensors_and_resets_the_rest() -> None:
    opt = make_optimizer("adam")
    params, grads = np.ones(5, dtype=np.float32), np.full(5, 0.5, dtype=np.float32)
    for _ in range(3):
        opt.step(params, grads, LR)
    old = opt.state.copy()
    opt.remap([(slice(0, 3), slice(0, 3))], 7)  # tensor 0..3 kept, the rest new
    assert np.array_equal(opt.state[:, :3], old[:, :3]) and not opt.state[:, 3:].any()
    assert list(opt.per_element("t")) == [3, 3, 3, 0, 0, 0, 0]
    new_params = np.ones(7, dtype=np.float32)
    opt.step(new_params, np.full(7, 0.5, dtype=np.float32), LR)
    # a fresh tensor's first Adam step is lr·sign(g), as if its counter started at zero
    np.testing.assert_allclose(new_params[3:], 0.9, rtol=1e-6)
    opt.remap([(slice(0, 3), slice(0, 3))], 3)
    assert opt.t == 4 and isinstance(opt.t, float)


def test_snapshot_restore_puts_state_back() -> None:
    opt = make_optimizer("nadam")
    params, grads = np.ones(4, dtype=np.float32), np.full(4, 0.5, dtype=np.float32)
    opt.step(params, grads, LR)
    opt.snapshot(params)
    state, t, mu = opt.state.copy(), opt.t, opt.mu_product
    opt.step(params, grads * 3, LR)
    opt.restore()
    assert np.array_equal(opt.state, state) and opt.t == t and opt.mu_product == mu


def test_step_is_in_place_float32() -> None:
    for name in OPTIMIZERS:
        params = np.ones(6, dtype=np.float32)
        opt = make_optimizer(name)
        before = params.__array_interface__["data"][0]
        opt.step(params, np.full(6, 0.1, dtype=np.float32), LR)
        assert params.dtype == np.float32 and params.__array_interface__["data"][0] == before
        assert opt.state.dtype == np.float32


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_after_remap_kept_tensors_continue_and_fresh_ones_start_over(name: str) -> None:
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=7).astype(np.float32) for _ in range(6)]
    opt, kept = make_optimizer(name), make_optimizer(name)  # kept: the same history on the 3 kept elements only
    params, kept_params = np.ones(5, np.float32), np.ones(3, np.float32)
    for g in grads[:3]:
        opt.step(params, g[:5], LR)
        kept.step(kept_params, g[:3], LR)
    opt.remap([(slice(0, 3), slice(0, 3))], 7)
    params = np.concatenate([params[:3], np.ones(4, np.float32)])
    fresh, fresh_params = make_optimizer(name), np.ones(4, np.float32)
    for g in grads[3:]:
        opt.step(params, g, LR)
        kept.step(kept_params, g[:3], LR)
        fresh.step(fresh_params, g[3:], LR)
    np.testing.assert_allclose(params[:3], kept_params, rtol=1e-6)
    np.testing.assert_allclose(params[3:], fresh_params, rtol=1e-6)
