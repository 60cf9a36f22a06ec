"""Weight penalties (L1, L2; biases are not penalised) and gradient clipping, over the flat vectors."""

from __future__ import annotations

import numpy as np

REGULARIZERS = ("none", "l1", "l2")
CLIP_MODES = ("none", "value", "norm")


def penalty(params: np.ndarray, weight_mask: np.ndarray, kind: str, rate: float) -> float:
    """rate · Σ|w| (l1) or rate · ½ Σw² (l2) over the weights (weight_mask is 1 on weights, 0 on biases)."""
    if kind == "none" or not rate:
        return 0.0
    w = params.astype(np.float64) * weight_mask
    return float(rate * (np.abs(w).sum() if kind == "l1" else 0.5 * np.dot(w, w)))


def add_penalty(
    params: np.ndarray, grads: np.ndarray, weight_mask: np.ndarray, kind: str, rate: float, scratch: np.ndarray
) -> float:
    """Add the penalty's gradient, rate · sign(w) or rate · w, to grads in place; return the penalty."""
    if kind == "none" or not rate:
        return 0.0
    np.multiply(params, weight_mask, out=scratch)  # w on weights, 0 on biases
    if kind == "l1":
        np.sign(scratch, out=scratch)
        value = rate * float(np.dot(scratch, params))  # sign(w) · w = |w|
    else:
        value = 0.5 * rate * float(np.dot(scratch, scratch))
    scratch *= rate
    grads += scratch
    return value


def clip_by_value(grads: np.ndarray, value: float) -> None:
    """Clamp every gradient component to [-value, value] in place."""
    np.clip(grads, -value, value, out=grads)


def clip_by_norm(grads: np.ndarray, max_norm: float) -> float:
    """Scale grads in place so their global L2 norm is at most max_norm (PyTorch clip_grad_norm_); return the norm."""
    norm = float(np.sqrt(np.dot(grads, grads)))
    coef = max_norm / (norm + 1e-6)
    if coef < 1:
        grads *= coef
    return norm


def clip(grads: np.ndarray, mode: str, value: float) -> None:
    """Clip grads in place by mode: none, value or norm."""
    if mode == "value":
        clip_by_value(grads, value)
    elif mode == "norm":
        clip_by_norm(grads, value)

# The penalties and clipping for an exported run (engine.export): (formula, the penalty of one weight array `w` as a
# NumPy expression, its gradient) and (formula, statement over the list `grads` with the limit CLIP).
PENALTY_CODE = {
    "l1": ("L1: L += λ·Σ|w|; ∂L/∂w += λ·sign(w)", "np.sum(np.abs(w))", "np.sign(w)"),
    "l2": ("L2: L += λ·½Σw²; ∂L/∂w += λ·w", "0.5 * np.sum(w * w)", "w"),
}
CLIP_CODE = {
    "value": ("clip every gradient component to [−c, c]", "grads = [np.clip(g, -CLIP, CLIP) for g in grads]"),
    "norm": ("scale the gradient so its global norm ‖g‖ is at most c (PyTorch clip_grad_norm_)",
             "norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))\n"
             "if CLIP / (norm + 1e-6) < 1:\n    grads = [g * (CLIP / (norm + 1e-6)) for g in grads]"),
}
