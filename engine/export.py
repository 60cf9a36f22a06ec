"""The run as code: a trainer's run written out as a standalone NumPy script, a notebook, or its model as JSON.

The script holds the data, the initial weights (the seed's draw, embedded), the batch order (the playground's own
shuffle stream, re-created from the seed) and only the pieces the run uses, each from its registry entry's `code`,
kept next to the implementation (activations, losses, optimizers, schedules, features, penalties, clipping).
Running it trains the same number of steps and says how far its weights end from the playground's.

    python -m engine.export saved-run.json [--format python|notebook|model] [-o FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.config import ConfigError
from engine.data.datasets import DATASETS, DOMAIN
from engine.data.features import FEATURES
from engine.data.points import TrainingData
from engine.nn.activations import ACTIVATIONS, get_activation
from engine.nn.losses import SOFTMAX_CODE, BoundLoss
from engine.nn.regularization import CLIP_CODE, PENALTY_CODE
from engine.optim.optimizers import make_optimizer
from engine.optim.schedules import SCHEDULES
from engine.trainer import DROPOUT_STREAM, SHUFFLE_STREAM, Trainer

FORMATS = {"python": "backprop-run.py", "notebook": "backprop-run.ipynb", "model": "backprop-model.json"}
MODEL_FORMAT = "backprop-playground-model"
WIDTH = 116  # embedded data wraps before ruff's 120 columns
Layers = list[tuple[np.ndarray, np.ndarray]]  # (W (fan_in, fan_out), b (fan_out,)) per layer


class ExportError(ConfigError):
    """A run that cannot be exported: `field` names the setting, `message` says why; a
    ConfigError, so the server answers it as `rejected`, naming the field."""


@dataclass
class Run:
    """What an export needs: the validated config, the data and loss, the weights at step 0 and at `steps`."""

    config: dict[str, Any]
    data: TrainingData
    loss: BoundLoss
    sizes: list[int]
    initial: Layers
    final: Layers
    steps: int


def layers(trainer: Trainer, params: np.ndarray | None = None) -> Layers:
    """(W, b) copies per layer of the trainer's network, or of a flat vector in its layout."""
    net = trainer.network
    flat = net.params if params is None else np.asarray(params, net.params.dtype)
    if flat.size != net.params.size:
        raise ExportError("params", f"the network has {net.params.size} weights and biases, not {flat.size}")
    return [(flat[w].reshape(W.shape).copy(), flat[b].copy())
            for W, w, b in zip(net.W, net.weight_slices, net.bias_slices, strict=True)]  # fmt: skip


def run_of(trainer: Trainer, params: np.ndarray | None = None, steps: int | None = None) -> Run:
    """The trainer's run: its config, data and loss, the seed's weights for its network, and its weights now."""
    c = trainer.config
    if not len(trainer.data.train_labels):
        raise ExportError("points", "there are no training points to export: add some or regenerate the data")
    start = Trainer(c, trainer.limits)  # the same seed draws the same weights for the same network
    if start.network.sizes != trainer.network.sizes:
        raise ExportError("layers", "the network no longer matches what its settings draw: reset it first")
    return Run(c, trainer.data, trainer.loss, list(trainer.network.sizes), layers(start), layers(trainer, params),
               trainer.step if steps is None else steps)  # fmt: skip


# -- formatting numbers ------------------------------------------------------------------------------------------


def f32(value: float) -> str:
    """The shortest decimal that reads back as this float32 (checked; the float64 repr where it would not)."""
    text = np.format_float_positional(np.float32(value), unique=True, trim="0")
    return text if np.float32(float(text)) == np.float32(value) else repr(float(np.float32(value)))


def wrap(items: list[str], indent: str) -> str:
    """Comma-separated items in lines of at most WIDTH characters."""
    lines, line = [], ""
    for item in items:
        if line and len(indent) + len(line) + len(item) + 2 > WIDTH:
            lines.append(line.rstrip())
            line = ""
        line += item + ", "
    lines.append(line.rstrip().rstrip(","))
    return ("\n" + indent).join(lines)


def array32(a: np.ndarray, indent: str = "    ") -> str:
    """A float32 array as `np.array([...], np.float32)` source, exact; zeros as np.zeros."""
    if not a.any():
        return f"np.zeros({a.shape if a.ndim > 1 else a.shape[0]}, np.float32)"
    if a.ndim == 1:
        return f"np.array([{wrap([f32(v) for v in a], indent + '    ')}], np.float32)"
    rows = [f"[{', '.join(f32(v) for v in row)}]" for row in a]
    return "np.array([\n" + indent + "    " + wrap(rows, indent + "    ") + ",\n" + indent + "], np.float32)"


def point_rows(points: np.ndarray, labels: np.ndarray) -> str:
    """(n, 3) rows [x, y, label] as exact source."""
    if not len(labels):
        return "np.empty((0, 3))"
    rows = [f"[{x!r}, {y!r}, {number(label.item())}]" for (x, y), label in zip(points.tolist(), labels, strict=True)]
    return "np.array([\n    " + wrap(rows, "    ") + ",\n])"


def number(value: float) -> str:
    """A Python literal for a setting: ints stay ints, floats keep every digit."""
    return str(value) if isinstance(value, int) else repr(float(value))


def columns(codes: list[str]) -> str:
    """The return line of features(): the columns stacked as float32, wrapped within WIDTH."""
    one = f"    return np.column_stack([{', '.join(codes)}]).astype(np.float32)\n"
    if len(one) <= WIDTH:
        return one
    return f"    return np.column_stack([\n        {wrap(codes, '        ')},\n    ]).astype(np.float32)\n"


def returning(fragment: str, indent: str = "    ") -> str:
    """A registry fragment as a function body: its statements, then `return` its last line."""
    *statements, value = fragment.split("\n")
    return "".join(f"{indent}{line}\n" for line in statements) + f"{indent}return {value}\n"


def listing(name: str, items: list[str], comment: str = "") -> str:
    """NAME = [items] within WIDTH, one line when it fits."""
    one = f"{name} = [{', '.join(items)}]" + (f"  # {comment}" if comment else "")
    if len(one) <= WIDTH:
        return one + "\n"
    return f"{name} = [" + (f"  # {comment}" if comment else "") + "\n    " + wrap(items, "    ") + ",\n]\n"


def constants(names: dict[str, Any], code: str) -> str:
    """NAME = value lines for the names the code uses."""
    return "".join(f"{k} = {number(v)}\n" for k, v in names.items() if re.search(rf"\b{k}\b", code))


# -- the pieces --------------------------------------------------------------------------------------------------


def pieces(run: Run) -> dict[str, tuple[str, str]]:
    """Each part of the program as (text for a reader, code), in order; the script and the notebook share them."""
    c, loss, sizes = run.config, run.loss, run.sizes
    names = c["features"]
    acts = [c["activation"]] * (len(sizes) - 2) if isinstance(c["activation"], str) else list(c["activation"])
    out = {}
    points = run.data
    out["data"] = (
        f"The data: {DATASETS[c['dataset']].title}, "
        f"{len(points.train_labels)} training and {len(points.test_labels)} test points, each (x, y, label) in the "
        f"square ±{DOMAIN:g}. The network sees the features {', '.join(names)}, each scaled into [−1, 1].",
        f"TRAIN = {point_rows(points.train_points, points.train_labels)}\n"
        f"TEST = {point_rows(points.test_points, points.test_labels)}\n"
        f"DOMAIN = {DOMAIN!r}\n\n\n"
        "def features(points):\n"
        + docstring(f"The inputs (n, {len(names)}) as float32: "
                    + ", ".join(f"{n} = {FEATURES[n].code}" for n in names))
        + "    x, y = points[:, 0], points[:, 1]\n"
        + columns([FEATURES[n].code for n in names]) + "\n\n"
        + targets_code(loss)
    )
    desc = "-".join(map(str, sizes))
    act_text = ", ".join(acts) if acts else "none"
    out["network"] = (
        f"The network {desc}: hidden layers {act_text}; the output z goes through {loss.output} in the loss. "
        f"Its weights at step 0 are the playground's {c['init']} draw from seed {c['seed']}, float32 as there.",
        "".join(activation_code(run, a) for a in dict.fromkeys(acts))
        + listing("ACTIVATION", acts, "per hidden layer") + listing("DERIVATIVE", [a + "_prime" for a in acts])
        + "W = [\n" + "".join(f"    {array32(W, '    ')},\n" for W, _ in run.initial) + "]\n"
        + "b = [\n" + "".join(f"    {array32(b, '    ')},\n" for _, b in run.initial) + "]\n",
    )
    out["forward"] = forward_piece(run, loss_code(loss))
    out["backward"] = backward_piece(run)
    out["update"] = update_piece(run)
    out["train"] = train_piece(run)
    return out


def dropout_rates(run: Run) -> list[float] | None:
    """The dropout rate of each hidden layer, or None when the run has no dropout."""
    rates, hidden = run.config["dropout"], len(run.sizes) - 2
    rates = [float(r) for r in rates] if isinstance(rates, list) else [float(rates)] * hidden
    return rates if any(rates) else None


def forward_piece(run: Run, loss: str) -> tuple[str, str]:
    """forward(x), with inverted dropout while training when the run has it; then the loss."""
    text = "Forward: each layer computes z = a_prev·W + b and, if hidden, a = f(z); the output layer's z is the logit."
    rates = dropout_rates(run)
    if rates is None:
        return text, (
            "def forward(x):\n"
            + docstring("Every layer's z and every layer's input a for a batch x (n, inputs); the last z is the output")
            + "    zs, acts = [], [x]\n"
            "    for layer in range(len(W)):\n"
            "        z = acts[-1] @ W[layer] + b[layer]  # (n, fan_out)\n"
            "        zs.append(z)\n"
            "        if layer < len(W) - 1:\n"
            "            acts.append(ACTIVATION[layer](z))\n"
            "    return zs, acts\n\n\n" + loss
        )
    text += (" While training, inverted dropout keeps each hidden unit with probability 1 − p and scales it by "
             "1/(1 − p), drawn from the playground's own dropout stream, so the same units drop.")  # fmt: skip
    return text, (
        f"DROPOUT = [{', '.join(map(repr, rates))}]  # p, the share of each hidden layer's units dropped in training\n"
        f"\n\ndef forward(x, rng=None):\n"
        + docstring("Every layer's z, its input a and the dropout mask on a (ones when not training, rng None); "
                    "the last z is the output.")
        + "    zs, acts, masks = [], [x], [np.ones_like(x)]\n"
        "    for layer in range(len(W)):\n"
        "        z = (acts[-1] * masks[-1]) @ W[layer] + b[layer]  # (n, fan_out)\n"
        "        zs.append(z)\n"
        "        if layer < len(W) - 1:\n"
        "            acts.append(ACTIVATION[layer](z))\n"
        "            keep = 1 - DROPOUT[layer]\n"
        "            if rng is None or keep == 1:\n"
        "                masks.append(np.ones_like(z))\n"
        "            else:  # kept with probability keep, then scaled by 1/keep\n"
        "                masks.append((rng.random(z.shape, dtype=np.float32) < keep).astype(np.float32) * (1 / keep))\n"
        "    return zs, acts, masks\n\n\n" + loss
    )


def backward_piece(run: Run) -> tuple[str, str]:
    """backward(): the chain rule, through the dropout masks when the run has them."""
    mask, masked = ("", "acts[layer]") if dropout_rates(run) is None else (", masks", "(acts[layer] * masks[layer])")
    return (
        "Backward: the chain rule from the output's δ = ∂L/∂z down, one layer at a time.",
        f"def backward(zs, acts{mask}, delta):\n"
        '    """∂L/∂W and ∂L/∂b of every layer from δ = ∂L/∂z at the output, last layer first (the chain rule):\n'
        "    ∂L/∂W = a_prevᵀ·δ and ∂L/∂b = Σ δ over the batch; the layer below gets δ_prev = (δ·Wᵀ) ⊙ f′(z_prev)"
        + (".\n" if not mask else ",\n    times the dropout mask that multiplied a_prev.\n")
        + '    """\n'
        "    dW, db = [None] * len(W), [None] * len(W)\n"
        "    for layer in reversed(range(len(W))):\n"
        f"        dW[layer] = {masked}.T @ delta  # (fan_in, fan_out)\n"
        "        db[layer] = delta.sum(axis=0)  # (fan_out,)\n"
        "        if layer:\n"
        f"            delta = (delta @ W[layer].T){' * masks[layer]' if mask else ''} * "
        "DERIVATIVE[layer - 1](zs[layer - 1], acts[layer])\n"
        "    return dW, db\n",
    )


def activation_code(run: Run, name: str) -> str:
    """f and f′ of a hidden activation from its registry entry (leaky ReLU with this run's slope)."""
    act = get_activation(name, run.config["leaky_slope"])
    return (f"def {name}(z):\n{docstring(act.formula)}{returning(act.code[0])}\n\n"
            f'def {name}_prime(z, a):\n    """f′(z), given a = f(z)."""\n{returning(act.code[1])}\n\n')  # fmt: skip


def targets_code(loss: BoundLoss) -> str:
    """targets(labels): what the output should be, as the loss encodes it."""
    if loss.output == "softmax":
        return (f'def targets(labels):\n    """One-hot rows (n, {loss.k}) of the class labels."""\n'
                f"    return np.eye({loss.k}, dtype=np.float32)[labels.astype(int)]\n")  # fmt: skip
    if loss.problem == "binary" and loss.output == "tanh":
        return ('def targets(labels):\n    """+1 for class 1 and −1 for class 0 (the range of tanh), as a column."""\n'
                "    return (2 * labels - 1).astype(np.float32).reshape(-1, 1)\n")  # fmt: skip
    what = "the class, 0 or 1" if loss.problem == "binary" else "the value"
    return (f'def targets(labels):\n    """The label itself ({what}), as a column."""\n'
            "    return labels.astype(np.float32).reshape(-1, 1)\n")  # fmt: skip


def loss_code(loss: BoundLoss) -> str:
    """loss_and_delta(z, y) and predict(z) for this loss and output activation."""
    spec = loss.loss
    if loss.output == "softmax":
        head, y_hat = SOFTMAX_CODE + "\n\n", "softmax(z)"
    else:
        head, y_hat = "", ACTIVATIONS[loss.output].code[0]
    from_logits = loss.output in ("softmax", "sigmoid")
    if from_logits:
        delta = f"({spec.grad}) / n"
    elif loss.output == "linear":
        delta = f"{spec.grad} / n"
    else:
        out_prime = re.sub(r"\ba\b", "y_hat", ACTIVATIONS[loss.output].code[1])
        delta = f"{spec.grad} / n * ({out_prime})  # ∂L/∂ŷ · f′(z)"
    uses_r = "r" in re.findall(r"\b\w+\b", spec.value + " " + spec.grad)
    return (
        head + f"def predict(z):\n    \"\"\"ŷ = {loss.output}(z), the network's answer.\"\"\"\n    return {y_hat}\n\n\n"
        f"def loss_and_delta(z, y):\n"
        + docstring(f"{spec.name}: {spec.formula}; the output is ŷ = {loss.output}(z).")
        +         "    n = len(z)\n    y_hat = predict(z)\n" + ("    r = y_hat - y\n" if uses_r else "")
        + f"    loss = {spec.value} / n\n    delta = {delta}\n    return loss, delta\n"
    )


def signature(run: Run) -> tuple[bool, bool]:
    """Whether the update keeps state per array, and whether a step needs its number t (optimizer or schedule)."""
    rule = optimizer_of(run).code()
    return bool(rule.state), bool(re.search(r"\bt\b", rule.body)) or run.config["schedule"]["name"] != "constant"


def optimizer_of(run: Run) -> Any:
    """A fresh optimizer of the run's settings (for its code)."""
    return make_optimizer(run.config["optimizer"], **run.config["optimizer_params"])


def update_piece(run: Run) -> tuple[str, str]:
    """Penalty, clipping, the learning rate of each step, and the optimizer's update: only what the run uses."""
    c = run.config
    rule = optimizer_of(run).code()
    hyper = {k.upper(): v for k, v in c["optimizer_params"].items()}
    schedule = SCHEDULES[c["schedule"]["name"]]
    sched_params = {k.upper(): v for k, v in c["schedule"].items() if k != "name"}
    code = f"LEARNING_RATE = {number(c['learning_rate'])}\n"
    code += constants(sched_params, schedule.code) + constants(hyper, rule.body)
    reg = c["regularization"] if c["regularization_rate"] > 0 else "none"
    if reg != "none":
        code += f"REGULARIZATION_RATE = {number(c['regularization_rate'])}\n"
    if c["clip"]["mode"] != "none":
        code += f"CLIP = {number(c['clip']['value'])}\n"
    constant = schedule.name == "constant"
    if not constant:
        code += (f"\n\ndef learning_rate(step):\n{docstring(f'The rate after `step` steps: {schedule.formula}')}"
                 + returning(schedule.code))  # fmt: skip
    uses_t = bool(re.search(r"\bt\b", rule.body))
    args = ", ".join(["params", "grads", *(["state"] if rule.state else []), "lr", *(["t"] if uses_t else [])])
    loop_vars = ", ".join(["p", "g", *rule.state])
    body = "".join(f"        {line}\n" for line in rule.body.splitlines())
    state = ", *state" if rule.state else ""
    code += (f"\n\ndef update({args}):\n{docstring(rule.formula + '.')}"
             f"    for {loop_vars} in zip(params, grads{state}, strict=True):\n{body}")  # fmt: skip
    if rule.state:
        names = ", ".join(rule.state)
        code += (f'\n\ndef new_state(params):\n    """The optimizer\'s memory of every array: {names}."""\n'
                 + "".join(f"    {name} = [{init} for p in params]\n" for name, init in rule.state.items())
                 + f"    return [{names}]\n")  # fmt: skip
    if dropout_rates(run) is None:
        lines = ["zs, acts = forward(x)", "loss, delta = loss_and_delta(zs[-1], y)",
                 "dW, db = backward(zs, acts, delta)"]  # fmt: skip
    else:
        lines = ["zs, acts, masks = forward(x, rng)", "loss, delta = loss_and_delta(zs[-1], y)",
                 "dW, db = backward(zs, acts, masks, delta)"]  # fmt: skip
    if reg != "none":
        formula, value, grad = PENALTY_CODE[reg]
        lines += [f"# {formula} (weights only, not biases)",
                  f"loss += REGULARIZATION_RATE * sum({value} for w in W)",
                  f"dW = [g + REGULARIZATION_RATE * {grad} for g, w in zip(dW, W, strict=True)]"]  # fmt: skip
    lines.append("grads = [*dW, *db]")
    if c["clip"]["mode"] != "none":
        formula, clip = CLIP_CODE[c["clip"]["mode"]]
        lines += [f"# Clipping: {formula} (c = CLIP).", *clip.splitlines()]
    lr = "LEARNING_RATE" if constant else "learning_rate(t - 1)"
    lines += [f"update({args.replace('params', '[*W, *b]').replace('lr', lr)})", "return loss"]
    has_state, needs_t = signature(run)
    step_args = ", ".join(["x", "y", *(["state"] if has_state else []), *(["t"] if needs_t else []),
                           *(["rng"] if dropout_rates(run) else [])])  # fmt: skip
    code += (f"\n\ndef train_step({step_args}):\n"
             '    """One mini-batch: forward, loss, backward, then the update of W and b in place."""\n'
             + "".join(f"    {line}\n" for line in lines))  # fmt: skip
    text = f"The update: {rule.formula}, with learning rate {c['learning_rate']:g}"
    if schedule.name != "constant":
        text += f" on a {schedule.name} schedule"
    return text + ".", code


def train_piece(run: Run) -> tuple[str, str]:
    """The batch order and the training loop."""
    c = run.config
    has_state, needs_t = signature(run)
    dropout = dropout_rates(run) is not None
    step_args = ", ".join(["x[rows]", "y[rows]", *(["state"] if has_state else []), *(["t"] if needs_t else []),
                           *(["dropout_rng"] if dropout else [])])  # fmt: skip
    if c["shuffle"]:
        order_doc = ("each pass a fresh permutation from the playground's own shuffle stream, NumPy's default "
                     f"generator from SeedSequence(SEED, spawn_key=({SHUFFLE_STREAM},)), so in the playground's order")
        setup = f"    rng = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=({SHUFFLE_STREAM},)))\n"
        order = "rng.permutation(n)"
    elif c["order"] == "sorted":
        order_doc, setup = "every pass in the same order, sorted by label", ""
        order = 'np.argsort(TRAIN[:, 2], kind="stable")'
    else:
        order_doc, setup, order = "every pass in the points' stored order", "", "np.arange(n)"
    head = f"SEED = {c['seed']}\n" if c["shuffle"] or dropout else ""
    code = (
        head + f"STEPS = {run.steps}  # the steps the playground had trained\nBATCH_SIZE = {c['batch_size']}\n\n\n"
        "def batches(n):\n"
        + docstring(f"Index arrays of BATCH_SIZE rows, pass after pass: {order_doc}.") + setup
        + "    while True:\n"
        f"        order = {order}\n"
        "        for start in range(0, n, BATCH_SIZE):\n"
        "            yield order[start : start + BATCH_SIZE]\n\n\n"
        "def evaluate(points):\n"
        '    """Loss and accuracy on a set of points (accuracy is NaN for regression)."""\n'
        "    z = forward(features(points))[0][-1]\n"
        "    loss = loss_and_delta(z, targets(points[:, 2]))[0]\n"
        + ("    return loss, float('nan')\n" if run.loss.problem == "regression" else
           "    predicted = z.argmax(axis=1) if z.shape[1] > 1 else (z[:, 0] > 0)\n"
           "    return loss, float(np.mean(predicted == points[:, 2]))\n")
        + "\n\ndef train(steps, report_every=None):\n"
        '    """Train W and b in place for `steps` steps, printing the losses every so often."""\n'
        "    x, y = features(TRAIN), targets(TRAIN[:, 2])\n"
        + ("    state = new_state([*W, *b])\n" if has_state else "")
        + (f"    dropout_rng = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=({DROPOUT_STREAM},)))\n"
           if dropout else "")
        + "    report_every = report_every or max(1, steps // 10)\n"
        "    for t, rows in zip(range(1, steps + 1), batches(len(x)), strict=False):\n"
        f"        loss = train_step({step_args})\n"
        "        if t % report_every == 0 or t == steps:\n"
        "            print(f\"step {t:6d}  batch loss {loss:.5f}  train loss {evaluate(TRAIN)[0]:.5f}  \"\n"
        "                  f\"test loss {evaluate(TEST)[0]:.5f}\")\n"
    )
    return f"Training: mini-batches of {c['batch_size']}, {order_doc}.", code


def playground_code(run: Run) -> str:
    """The playground's weights at the end, to compare with."""
    if run.steps == 0:
        return ("PLAYGROUND_W = [w.copy() for w in W]  # the playground's weights at step STEPS = 0: the start\n"
                "PLAYGROUND_B = [v.copy() for v in b]\n")  # fmt: skip
    return ("# The playground's weights at step STEPS, to compare with.\nPLAYGROUND_W = [\n"
            + "".join(f"    {array32(W, '    ')},\n" for W, _ in run.final) + "]\nPLAYGROUND_B = [\n"
            + "".join(f"    {array32(b, '    ')},\n" for _, b in run.final) + "]\n")  # fmt: skip


def distance_code() -> str:
    """distance(): how far W and b are from the playground's."""
    return ("def distance():\n"
            '    """Largest |difference| between these weights and the playground\'s, and the largest weight."""\n'
            "    ours, theirs = [*W, *b], [*PLAYGROUND_W, *PLAYGROUND_B]\n"
            "    return (max(float(np.max(np.abs(p - q))) for p, q in zip(ours, theirs, strict=True)),\n"
            "            max(float(np.max(np.abs(q))) for q in theirs))\n")  # fmt: skip


# -- the three formats ------------------------------------------------------------------------------------------


def title(run: Run) -> str:
    """One line saying what this run is."""
    c = run.config
    return (f"a {'-'.join(map(str, run.sizes))} network on the {c['dataset']} data, {c['loss']} loss, "
            f"{c['optimizer']} at learning rate {c['learning_rate']:g}, batch {c['batch_size']}")  # fmt: skip


def script(run: Run) -> str:
    """The standalone Python file: `python run.py [--steps N]`."""
    parts = pieces(run)
    imports = "import argparse\n" + ("import math\n" if "math." in parts["update"][1] else "")
    body = "\n\n".join(f"# {text_comment(text)}\n{code}" for text, code in parts.values())
    main = (
        "\n\ndef main():\n"
        "    parser = argparse.ArgumentParser(description=__doc__,\n"
        "                                     formatter_class=argparse.RawDescriptionHelpFormatter)\n"
        '    parser.add_argument("--steps", type=int, default=STEPS, help="steps (default: the playground\'s)")\n'
        "    steps = parser.parse_args().steps\n"
        "    train(steps)\n"
        "    np.set_printoptions(precision=4, suppress=True)\n"
        "    for layer, (w, v) in enumerate(zip(W, b, strict=True), 1):\n"
        '        print(f"W{layer} =\\n{w}\\nb{layer} = {v}")\n'
        "    loss, accuracy = evaluate(TEST)\n"
        '    print(f"test loss {loss:.5f}, test accuracy {accuracy:.3f}")\n'
        "    if steps == STEPS:\n"
        "        gap, largest = distance()\n"
        '        print(f"largest difference from the playground\'s weights: {gap:.3g} "\n'
        '              f"(largest weight {largest:.3g})")\n'
        "    else:\n"
        '        print(f"the playground had trained {STEPS} steps: run without --steps to compare with its weights")\n'
        '\n\nif __name__ == "__main__":\n    main()\n'
    )
    summary = text_comment(f"{title(run).capitalize()}, exported at step {run.steps}. Needs only NumPy:", "")
    doc = (f'"""Backprop Playground, the run as code.\n\n{summary}\n\n'

           "    python run.py            # train the playground's steps and compare with its weights\n"
           "    python run.py --steps N  # train N steps instead\n"
           '"""\n\n')  # fmt: skip
    ending = playground_code(run) + "\n\n" + distance_code() + main
    return doc + imports + "\nimport numpy as np\n\n" + body + "\n\n" + ending


def docstring(text: str, indent: str = "    ") -> str:
    """A docstring line (or lines, wrapped within WIDTH) at an indent; a full stop ends it."""
    text = text if text.endswith(".") else text + "."
    one = f'{indent}"""{text}"""\n'
    if len(one) <= WIDTH:
        return one
    return f'{indent}"""{text_comment(text, indent)}\n{indent}"""\n'


def text_comment(text: str, prefix: str = "# ") -> str:
    """A reader's text in lines within WIDTH, each after the first starting with prefix."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(prefix) + len(line) + len(word) + 8 > WIDTH:
            lines.append(line)
            line = ""
        line += (" " if line else "") + word
    return ("\n" + prefix).join([*lines, line])


NOTEBOOK_EXTRA = {
    "plot_data": ("A plot of the data: the training points, and the test points faded.",
                  "import matplotlib.pyplot as plt\n\n"
                  "fig, ax = plt.subplots(figsize=(5, 5))\n"
                  "ax.scatter(TRAIN[:, 0], TRAIN[:, 1], c=TRAIN[:, 2], cmap='coolwarm', s=12)\n"
                  "ax.scatter(TEST[:, 0], TEST[:, 1], c=TEST[:, 2], cmap='coolwarm', s=12, marker='o', alpha=0.3)\n"
                  "ax.set_aspect('equal')\nplt.show()\n"),
    "gradcheck": ("A gradient check: backprop against central differences, in float64, on the first 64 training "
                  "points. The relative error per layer should be far below 1e-4.",
                  "def gradient_check(eps=1e-6):\n"
                  '    """Relative error per layer of backward() against (L(w + ε) − L(w − ε)) / 2ε, in float64."""\n'
                  "    global W, b\n"
                  "    saved = W, b\n"
                  "    W, b = [w.astype(np.float64) for w in W], [v.astype(np.float64) for v in b]\n"
                  "    x, y = features(TRAIN[:64]).astype(np.float64), targets(TRAIN[:64, 2]).astype(np.float64)\n"
                  "    zs, acts = forward(x)\n"
                  "    dW, db = backward(zs, acts, loss_and_delta(zs[-1], y)[1])\n"
                  "    errors = []\n"
                  "    for layer in range(len(W)):\n"
                  "        numeric = []\n"
                  "        for p in (W[layer], b[layer]):\n"
                  "            flat, grad = p.reshape(-1), np.zeros(p.size)\n"
                  "            for i in range(p.size):\n"
                  "                keep = flat[i]\n"
                  "                flat[i] = keep + eps\n"
                  "                up = loss_and_delta(forward(x)[0][-1], y)[0]\n"
                  "                flat[i] = keep - eps\n"
                  "                down = loss_and_delta(forward(x)[0][-1], y)[0]\n"
                  "                flat[i] = keep\n"
                  "                grad[i] = (up - down) / (2 * eps)\n"
                  "            numeric.append(grad)\n"
                  "        analytic = np.concatenate([dW[layer].ravel(), db[layer]])\n"
                  "        numeric = np.concatenate(numeric)\n"
                  "        scale = max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-12)\n"
                  "        errors.append(float(np.linalg.norm(analytic - numeric) / scale))\n"
                  "    W, b = saved\n"
                  "    return errors\n\n\n"
                  "print('relative error per layer:', gradient_check())\n"),
    "run": ("Train for the playground's steps, then compare with the weights the playground had.",
            "train(STEPS)\ngap, largest = distance()\n"
            "print(f'largest difference from the playground\\'s weights: {gap:.3g} (largest weight {largest:.3g})')\n"
            "print('test loss and accuracy:', evaluate(TEST))\n"),
    "plot_boundary": ("The decision boundary: the network's output over the square, with the points on top.",
                      "import matplotlib.pyplot as plt\n\n"
                      "grid = np.linspace(-DOMAIN, DOMAIN, 100)\n"
                      "gx, gy = np.meshgrid(grid, grid)\n"
                      "z = forward(features(np.column_stack([gx.ravel(), gy.ravel()])))[0][-1]\n"
                      "out = predict(z)\n"
                      "value = out.argmax(axis=1) if out.shape[1] > 1 else out[:, 0]\n"
                      "fig, ax = plt.subplots(figsize=(5, 5))\n"
                      "ax.contourf(gx, gy, value.reshape(gx.shape), levels=20, cmap='coolwarm', alpha=0.6)\n"
                      "ax.scatter(TRAIN[:, 0], TRAIN[:, 1], c=TRAIN[:, 2], cmap='coolwarm', s=12, edgecolors='k')\n"
                      "ax.set_aspect('equal')\nplt.show()\n"),
}


def notebook(run: Run) -> str:
    """The same program as a Jupyter notebook (nbformat 4 JSON): a short text before each cell."""
    parts = pieces(run)
    gradcheck_text, gradcheck = NOTEBOOK_EXTRA["gradcheck"]
    if dropout_rates(run) is not None:  # checked without dropout: forward without rng gives masks of ones
        gradcheck = gradcheck.replace("zs, acts = forward(x)", "zs, acts, masks = forward(x)").replace(
            "backward(zs, acts, ", "backward(zs, acts, masks, ")
    order = [("data", parts["data"]), ("plot_data", NOTEBOOK_EXTRA["plot_data"]), ("network", parts["network"]),
             ("forward", parts["forward"]), ("backward", parts["backward"]),
             ("gradcheck", (gradcheck_text, gradcheck)), ("update", parts["update"]), ("train", parts["train"]),
             ("compare", ("The weights the playground had, to compare with.", playground_code(run) + "\n\n"
                          + distance_code())),
             ("run", NOTEBOOK_EXTRA["run"]), ("plot_boundary", NOTEBOOK_EXTRA["plot_boundary"])]  # fmt: skip
    heading = (f"# Backprop Playground: the run as code\n\n{title(run).capitalize()}, exported at step {run.steps}. "
               "Run the cells in order; only NumPy is needed, and matplotlib for the plots.")
    cells = [markdown(heading, "title"),
             code_cell(("import math\n\n" if "math." in parts["update"][1] else "") + "import numpy as np\n",
                       "imports")]  # fmt: skip
    for name, (text, code) in order:
        cells += [markdown(text, name), code_cell(code, name)]
    return json.dumps({"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                       "language": "python"}, "language_info": {"name": "python"}}, "nbformat": 4,
                       "nbformat_minor": 5}, indent=1, ensure_ascii=False) + "\n"  # fmt: skip


def markdown(text: str, name: str) -> dict[str, Any]:
    """A markdown cell, named for the code cell it introduces."""
    return {"cell_type": "markdown", "id": f"{name}-text", "metadata": {},
            "source": text.splitlines(keepends=True)}  # fmt: skip


def code_cell(code: str, name: str) -> dict[str, Any]:
    """A code cell, tagged with its part's name (`plot_…` cells need matplotlib)."""
    return {"cell_type": "code", "id": name, "metadata": {"tags": [name]}, "execution_count": None, "outputs": [],
            "source": code.rstrip("\n").splitlines(keepends=True)}  # fmt: skip


def model(run: Run) -> str:
    """The trained weights with the architecture and features as JSON (the README's `predict` reads it)."""
    c = run.config
    acts = [c["activation"]] * (len(run.sizes) - 2) if isinstance(c["activation"], str) else list(c["activation"])
    return json.dumps({
        "format": MODEL_FORMAT, "version": 1, "step": run.steps, "features": c["features"],
        "feature_code": {n: FEATURES[n].code for n in c["features"]}, "domain": DOMAIN,
        "sizes": run.sizes, "activations": acts, "leaky_slope": c["leaky_slope"], "output": run.loss.output,
        "W": [W.astype(float).tolist() for W, _ in run.final], "b": [b.astype(float).tolist() for _, b in run.final],
    }) + "\n"  # fmt: skip


def export(run: Run, fmt: str) -> tuple[str, str]:
    """(file name, text) of the run in a format: python, notebook or model."""
    if fmt not in FORMATS:
        raise ExportError("format", f"must be one of {', '.join(FORMATS)}; got {fmt!r}")
    return FORMATS[fmt], {"python": script, "notebook": notebook, "model": model}[fmt](run)


def from_saved(saved: dict[str, Any]) -> Run:
    """The run of a saved-run file (the page's "Save run": settings, step and weights), its data from the seed."""
    if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict) or "params" not in saved:
        raise ExportError("run", "not a saved run: it needs `config` and `params`")
    server_keys = ("speed", "fps")
    try:
        trainer = Trainer({k: v for k, v in saved["config"].items() if k not in server_keys})
    except ConfigError as exc:
        raise ExportError(exc.field, exc.message) from exc
    step = saved.get("step", 0)
    if not isinstance(step, int) or step < 0:
        raise ExportError("step", f"must be a step count, 0 or more; got {step!r}")
    return run_of(trainer, np.asarray(saved["params"], np.float32), step)


def main(argv: list[str] | None = None) -> int:
    """`python -m engine.export saved-run.json`: write the run as code."""
    parser = argparse.ArgumentParser(description="Write a saved playground run as a NumPy script, notebook or model.")
    parser.add_argument("run", help="a run saved from the page (Save run), JSON")
    parser.add_argument("--format", choices=list(FORMATS), default="python")
    parser.add_argument("-o", "--output", help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    try:
        with open(args.run, encoding="utf-8") as f:
            _, text = export(from_saved(json.load(f)), args.format)
    except (OSError, json.JSONDecodeError, ExportError) as exc:
        print(f"engine.export: {exc}", file=sys.stderr)
        return 2
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
