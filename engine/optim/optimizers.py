"""Optimizers over one flat parameter vector, following PyTorch's documented update rules.

Each class holds only its update rule; the state, counters, weight decay and live-edit handling are in
`optimizer_base.py` (`Param` and `Optimizer` are importable from here too).
"""

from __future__ import annotations

import numpy as np

from engine.optim.optimizer_base import Code, Optimizer, Param

EPS = Param(1e-8, 1e-12, 1.0)
DECAY = Param(0.0, 0.0, 1.0)
BETA1 = Param(0.9, 0.0, 0.999)
BETA2 = Param(0.999, 0.0, 0.99999)
ADAM_FORMULA = "m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; m̂ = m/(1 − β1ᵗ); v̂ = v/(1 − β2ᵗ); p ← p − η·m̂/(√v̂ + ε)"


class SGD(Optimizer):
    """Plain gradient descent: p -= lr · (g + wd · p)."""

    hyperparams = {"weight_decay": DECAY}

    def update(self, params, grads, lr, *state):
        g = self.with_decay(params, grads)
        np.multiply(g, -lr, out=self.scratch)
        params += self.scratch

    def code(self) -> Code:
        return Code("gradient descent: p ← p − η·∂L/∂p", {}, self.decay_code() + "p -= lr * g")


class Momentum(Optimizer):
    """Heavy ball (PyTorch SGD, dampening 0): b = μ·b + g; p -= lr · b."""

    hyperparams = {"momentum": Param(0.9, 0.0, 0.999), "weight_decay": DECAY}
    buffers = ("velocity",)
    nesterov = False

    def update(self, params, grads, lr, velocity):
        g = self.with_decay(params, grads)
        velocity *= self.momentum
        velocity += g
        if self.nesterov:
            np.multiply(velocity, self.momentum, out=self.scratch)
            self.scratch += g
            self.scratch *= -lr
        else:
            np.multiply(velocity, -lr, out=self.scratch)
        params += self.scratch

    def code(self) -> Code:
        if self.nesterov:
            return Code("Nesterov momentum: b ← μ·b + g; p ← p − η·(g + μ·b)", {"b": "np.zeros_like(p)"},
                        self.decay_code() + "b *= MOMENTUM\nb += g\np -= lr * (b * MOMENTUM + g)")
        return Code("momentum: b ← μ·b + g; p ← p − η·b", {"b": "np.zeros_like(p)"},
                    self.decay_code() + "b *= MOMENTUM\nb += g\np -= lr * b")


class Nesterov(Momentum):
    """Nesterov momentum (PyTorch SGD nesterov=True): p -= lr · (g + μ·b)."""

    nesterov = True


class Adagrad(Optimizer):
    """Adagrad: s += g²; p -= lr · g / (√s + eps)."""

    hyperparams = {"eps": Param(1e-10, 1e-12, 1.0), "weight_decay": DECAY}
    buffers = ("sum_sq",)

    def update(self, params, grads, lr, sum_sq):
        g, s = self.with_decay(params, grads), self.scratch
        np.square(g, out=s)
        sum_sq += s
        np.sqrt(sum_sq, out=s)
        s += self.eps
        np.divide(g, s, out=s)
        s *= -lr
        params += s

    def code(self) -> Code:
        return Code("AdaGrad: s ← s + g²; p ← p − η·g / (√s + ε)", {"s": "np.zeros_like(p)"},
                    self.decay_code() + "s += g * g\np -= lr * (g / (np.sqrt(s) + EPS))")


class RMSprop(Optimizer):
    """RMSprop: v = α·v + (1-α)·g²; p -= lr · g / (√v + eps), or through a momentum buffer when μ > 0."""

    hyperparams = {
        "alpha": Param(0.99, 0.0, 0.9999), "eps": EPS, "momentum": Param(0.0, 0.0, 0.999), "weight_decay": DECAY,
    }  # fmt: skip
    buffers = ("square_avg", "velocity")

    def update(self, params, grads, lr, square_avg, velocity):
        g, s = self.with_decay(params, grads), self.scratch
        square_avg *= self.alpha
        np.square(g, out=s)
        s *= 1 - self.alpha
        square_avg += s
        np.sqrt(square_avg, out=s)
        s += self.eps
        np.divide(g, s, out=s)
        if self.momentum:
            velocity *= self.momentum
            velocity += s
            np.multiply(velocity, -lr, out=s)
        else:
            s *= -lr
        params += s

    def code(self) -> Code:
        state = {"v": "np.zeros_like(p)"}
        body = self.decay_code() + "v *= ALPHA\nv += (1 - ALPHA) * (g * g)\n"
        if not self.momentum:
            return Code("RMSprop: v ← α·v + (1 − α)·g²; p ← p − η·g / (√v + ε)", state,
                        body + "p -= lr * (g / (np.sqrt(v) + EPS))")
        return Code("RMSprop with momentum: v ← α·v + (1 − α)·g²; b ← μ·b + g / (√v + ε); p ← p − η·b",
                    {**state, "b": "np.zeros_like(p)"},
                    body + "b *= MOMENTUM\nb += g / (np.sqrt(v) + EPS)\np -= lr * b")


class Adam(Optimizer):
    """Adam: m, v with bias correction; p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + eps); coupled weight decay."""

    hyperparams = {"beta1": BETA1, "beta2": BETA2, "eps": EPS, "weight_decay": DECAY}
    buffers = ("exp_avg", "exp_avg_sq")

    def moments(self, g: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray) -> None:
        """m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²."""
        s = self.scratch
        exp_avg *= self.beta1
        np.multiply(g, 1 - self.beta1, out=s)
        exp_avg += s
        exp_avg_sq *= self.beta2
        np.square(g, out=s)
        s *= 1 - self.beta2
        exp_avg_sq += s

    def update(self, params, grads, lr, exp_avg, exp_avg_sq):
        self.adam(params, self.with_decay(params, grads), lr, exp_avg, exp_avg_sq)

    def adam(self, params, g, lr, exp_avg, exp_avg_sq):
        """The Adam update from an already decayed gradient g."""
        self.moments(g, exp_avg, exp_avg_sq)
        t = self.t
        eps, step = self.factors_at(t, lr) if self.groups is None else self.grouped(self.factors_at, (t,), lr)
        s = self.scratch
        np.sqrt(exp_avg_sq, out=s)
        s += eps
        np.divide(exp_avg, s, out=s)
        s *= step
        params += s

    MOMENTS = ("m *= BETA1\nm += (1 - BETA1) * g\nv *= BETA2\nv += (1 - BETA2) * (g * g)\n"
               "m_hat = m / (1 - BETA1**t)\nv_hat = v / (1 - BETA2**t)\n")
    STATE = {"m": "np.zeros_like(p)", "v": "np.zeros_like(p)"}

    def code(self) -> Code:
        return Code("Adam: " + ADAM_FORMULA, self.STATE,
                    self.decay_code() + self.MOMENTS + "p -= lr * (m_hat / (np.sqrt(v_hat) + EPS))")

    def factors_at(self, t: float, lr: float) -> tuple[float, float]:
        """(eps·√bc2, -lr·√bc2/bc1): (√v/√bc2 + eps) = (√v + eps·√bc2)/√bc2, the same update with one call fewer."""
        root_bc2 = (1 - self.beta2**t) ** 0.5
        return self.eps * root_bc2, -lr * root_bc2 / (1 - self.beta1**t)


class AdamW(Adam):
    """AdamW: decoupled weight decay p *= 1 - lr·wd, then Adam without L2."""

    hyperparams = {**Adam.hyperparams, "weight_decay": Param(0.01, 0.0, 1.0)}

    def update(self, params, grads, lr, exp_avg, exp_avg_sq):
        if self.weight_decay:
            params *= 1 - lr * self.weight_decay
        self.adam(params, grads, lr, exp_avg, exp_avg_sq)

    def code(self) -> Code:
        decay = "p *= 1 - lr * WEIGHT_DECAY  # decoupled weight decay: p ← p·(1 − η·λ)\n" if self.weight_decay else ""
        return Code("AdamW: p ← p·(1 − η·λ), then Adam without L2: " + ADAM_FORMULA, self.STATE,
                    decay + self.MOMENTS + "p -= lr * (m_hat / (np.sqrt(v_hat) + EPS))")


class Adamax(Optimizer):
    """Adamax: u = max(β2·u, |g| + eps); p -= lr/(1-β1ᵗ) · m / u."""

    hyperparams = {"beta1": BETA1, "beta2": BETA2, "eps": EPS, "weight_decay": DECAY}
    buffers = ("exp_avg", "exp_inf")

    def update(self, params, grads, lr, exp_avg, exp_inf):
        g, s = self.with_decay(params, grads), self.scratch
        exp_avg *= self.beta1
        np.multiply(g, 1 - self.beta1, out=s)
        exp_avg += s
        exp_inf *= self.beta2
        np.abs(g, out=s)
        s += self.eps
        np.maximum(exp_inf, s, out=exp_inf)
        np.divide(exp_avg, exp_inf, out=s)
        (step,) = self.factors_at(self.t, lr) if self.groups is None else self.grouped(self.factors_at, (self.t,), lr)
        s *= step
        params += s

    def code(self) -> Code:
        return Code("Adamax: m ← β1·m + (1 − β1)·g; u ← max(β2·u, |g| + ε); p ← p − η/(1 − β1ᵗ)·m/u",
                    {"m": "np.zeros_like(p)", "u": "np.zeros_like(p)"},
                    self.decay_code() + "m *= BETA1\nm += (1 - BETA1) * g\nu *= BETA2\n"
                    "np.maximum(u, np.abs(g) + EPS, out=u)\np -= lr / (1 - BETA1**t) * (m / u)")

    def factors_at(self, t: float, lr: float) -> tuple[float]:
        """-lr/(1-β1ᵗ)."""
        return (-lr / (1 - self.beta1**t),)


class NAdam(Adam):
    """NAdam (PyTorch): Adam moments with a momentum schedule μt = β1·(1 - ½·0.96^(t·ψ))."""

    hyperparams = {**Adam.hyperparams, "momentum_decay": Param(4e-3, 0.0, 0.1)}
    counters = {"t": 0.0, "mu_product": 1.0}

    def update(self, params, grads, lr, exp_avg, exp_avg_sq):
        g = self.with_decay(params, grads)
        self.moments(g, exp_avg, exp_avg_sq)
        t = self.t
        self.mu_product = self.mu_product * self.momentum_at(t)
        counters = (t, self.mu_product)
        bc2, c_grad, c_avg = self.factors_at(*counters, lr) if self.groups is None else self.grouped(
            self.factors_at, counters, lr
        )
        denom = self.denom
        np.divide(exp_avg_sq, bc2, out=denom)
        np.sqrt(denom, out=denom)
        denom += self.eps
        s = self.scratch
        np.divide(g, denom, out=s)
        s *= c_grad
        params += s
        np.divide(exp_avg, denom, out=s)
        s *= c_avg
        params += s

    def code(self) -> Code:
        return Code("NAdam: Adam's m and v with a momentum schedule μₜ = β1·(1 − ½·0.96^(t·ψ)); "
                    "p ← p − η·(1 − μₜ)/(1 − Πμ)·g/d − η·μₜ₊₁/(1 − Πμ·μₜ₊₁)·m/d, d = √(v/(1 − β2ᵗ)) + ε",
                    {"m": "np.zeros_like(p)", "v": "np.zeros_like(p)", "mu_product": "np.ones(1)"},
                    self.decay_code() + "mu = BETA1 * (1 - 0.5 * 0.96 ** (t * MOMENTUM_DECAY))\n"
                    "mu_next = BETA1 * (1 - 0.5 * 0.96 ** ((t + 1) * MOMENTUM_DECAY))\n"
                    "mu_product *= mu\nproduct = float(mu_product[0])\n"
                    "m *= BETA1\nm += (1 - BETA1) * g\nv *= BETA2\nv += (1 - BETA2) * (g * g)\n"
                    "d = np.sqrt(v / (1 - BETA2**t)) + EPS\n"
                    "p -= lr * (1 - mu) / (1 - product) * (g / d)\n"
                    "p -= lr * mu_next / (1 - product * mu_next) * (m / d)")

    def momentum_at(self, t: float) -> float:
        """μt = β1·(1 - ½·0.96^(t·ψ))."""
        return self.beta1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def factors_at(self, t: float, mu_product: float, lr: float) -> tuple[float, float, float]:
        """(1-β2ᵗ, -lr·(1-μt)/(1-Πμ), -lr·μt+1/(1-Πμ·μt+1)) with Πμ already including μt."""
        mu, mu_next = self.momentum_at(t), self.momentum_at(t + 1)
        return 1 - self.beta2**t, -lr * (1 - mu) / (1 - mu_product), -lr * mu_next / (1 - mu_product * mu_next)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "adamax": Adamax,
    "nadam": NAdam,
}
OPTIMIZER_PARAMS: dict[str, dict[str, Param]] = {name: dict(cls.hyperparams) for name, cls in OPTIMIZERS.items()}


def make_optimizer(name: str, **hyper: float) -> Optimizer:
    """An optimizer from the registry with the given hyper-parameters (defaults for the rest)."""
    return OPTIMIZERS[name](**hyper)

