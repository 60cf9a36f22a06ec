"""The run as code: exported scripts run in a plain NumPy interpreter (a subprocess) and land on the engine's weights.

What must be exact (the same values, the same arithmetic): the embedded points, features and targets, the initial
weights, the batch order, the playground's final weights. What is compared within a float32 tolerance: the weights
after training, because the script writes each formula plainly (x @ W + b, Adam's m̂ and v̂) where the engine folds
biases into one matrix product and rearranges Adam's ε, so the last bits differ and training carries them along.
"""

from __future__ import annotations

import json
import math
import re
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from engine.data.datasets import DOMAIN
from engine.data.features import FEATURES
from engine.export import FORMATS, ExportError, export, run_of
from engine.nn.activations import ACTIVATIONS
from engine.nn.losses import LOSSES
from engine.nn.regularization import CLIP_CODE, PENALTY_CODE
from engine.optim.optimizers import OPTIMIZERS
from engine.optim.schedules import SCHEDULES
from engine.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]
STEPS = 40
# |script − engine| ≤ ATOL + RTOL·|engine| per weight after STEPS steps: float32 rounding (ε ≈ 6e-8 per operation)
# carried through 40 steps of these small networks; measured worst case is recorded in the test below.
ATOL, RTOL = 2e-5, 2e-5
RATES = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.05, "rmsprop": 0.005, "adam": 0.01,
         "adamw": 0.01, "adamax": 0.01, "nadam": 0.01}  # fmt: skip
BINARY_LOSSES = [name for name, loss in LOSSES.items() if "binary" in loss.problems]
MATRIX_ACTIVATIONS = ("tanh", "relu", "sigmoid")

DRIVER = textwrap.dedent("""
    import contextlib, io, json, runpy, sys

    import numpy as np

    out = []
    for path, steps in json.loads(sys.argv[1]):
        with contextlib.redirect_stdout(io.StringIO()):
            ns = runpy.run_path(path, run_name="exported")
            start = np.concatenate([np.concatenate([w.ravel(), v]) for w, v in zip(ns["W"], ns["b"])])
            ns["train"](steps)
        end = np.concatenate([np.concatenate([w.ravel(), v]) for w, v in zip(ns["W"], ns["b"])])
        playground = np.concatenate([np.concatenate([w.ravel(), v])
                                     for w, v in zip(ns["PLAYGROUND_W"], ns["PLAYGROUND_B"])])
        out.append({"start": start.tolist(), "end": end.tolist(), "playground": playground.tolist(),
                    "dtype": str(ns["W"][0].dtype)})
    print(json.dumps(out))
""")


def run_scripts(jobs: list[tuple[Path, int]]) -> list[dict]:
    """Run each exported script's train(steps) in one subprocess with only NumPy: its weights before and after."""
    done = subprocess.run([sys.executable, "-I", "-c", DRIVER, json.dumps([(str(p), n) for p, n in jobs])],
                          capture_output=True, text=True, check=True, timeout=240)  # fmt: skip
    return json.loads(done.stdout)


def base(**config) -> dict:
    """A small run: 100 points, two hidden layers, one pass of 5 batches."""
    return {"points": 100, "layers": [4, 3], "batch_size": 10, "noise": 0.1, "seed": 3, **config}


def check_cases(cases: list[dict], tmp_path: Path) -> list[float]:
    """Export each config at step 0 and at step STEPS, run both, compare with the engine; the worst relative gaps."""
    jobs, engines = [], []
    for i, config in enumerate(cases):
        trainer = Trainer(config)
        at_zero = tmp_path / f"case{i}_0.py"
        at_zero.write_text(export(run_of(trainer), "python")[1])
        start = trainer.network.params.copy()
        events = trainer.train(STEPS)
        assert trainer.step == STEPS, (config, events)
        at_n = tmp_path / f"case{i}_n.py"
        at_n.write_text(export(run_of(trainer), "python")[1])
        jobs += [(at_zero, 0), (at_zero, STEPS), (at_n, STEPS)]
        engines.append((start, trainer.network.params.copy()))
    results = run_scripts(jobs)
    paths = sorted({str(path) for path, _ in jobs})
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                           str(ROOT / "pyproject.toml"), *paths], capture_output=True, text=True)  # fmt: skip
    assert lint.returncode == 0, lint.stdout  # every exported script is ruff-clean, like docs/example-run.py
    for path in paths:  # and needs nothing but NumPy and the standard library's argparse and math
        imports = set(re.findall(r"^(?:import|from) (\w+)", Path(path).read_text(), re.M))
        assert imports <= {"argparse", "math", "numpy"}, (path, imports)
    gaps = []
    for i, (config, (start, end)) in enumerate(zip(cases, engines, strict=True)):
        zero_idle, zero_trained, n_trained = results[3 * i : 3 * i + 3]
        assert zero_idle["dtype"] == "float32"
        # Exact: the embedded initial weights, at both exports, and the playground's weights at step N.
        np.testing.assert_array_equal(np.float32(zero_idle["start"]), start)
        np.testing.assert_array_equal(np.float32(zero_idle["end"]), start)
        np.testing.assert_array_equal(np.float32(n_trained["start"]), start)
        np.testing.assert_array_equal(np.float32(n_trained["playground"]), end)
        # Within float32 tolerance: the weights after STEPS steps, from either export.
        for got in (zero_trained["end"], n_trained["end"]):
            got = np.float32(got)
            np.testing.assert_allclose(got, end, rtol=RTOL, atol=ATOL, err_msg=str(config))
            gaps.append(float(np.max(np.abs(got - end) / (ATOL + RTOL * np.abs(end)))))
        assert not np.allclose(end, start, rtol=0, atol=1e-4), "training must have moved the weights"
    return gaps


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_optimizer_activation_and_loss_reproduces(optimizer, tmp_path):
    cases = [base(optimizer=optimizer, learning_rate=RATES[optimizer], activation=act, loss=loss)
             for act in MATRIX_ACTIVATIONS for loss in BINARY_LOSSES]  # fmt: skip
    assert len(cases) == 3 * 5
    check_cases(cases, tmp_path)


def test_penalties_clipping_schedules_and_problems_reproduce(tmp_path):
    cases = [
        base(regularization="l1", regularization_rate=0.01),
        base(regularization="l2", regularization_rate=0.01),
        base(clip={"mode": "value", "value": 0.01}, learning_rate=0.3),
        base(clip={"mode": "norm", "value": 0.05}, learning_rate=0.3),
        *[base(schedule={"name": name}, learning_rate=0.2) for name in SCHEDULES if name != "constant"],
        base(schedule={"name": "step", "step_size": 7, "gamma": 0.5}, learning_rate=0.3),
        base(schedule={"name": "cyclical", "max_lr": 0.5, "step_size": 5}),
        base(dataset="spiral_k", classes=3, loss="softmax_ce", optimizer="adam", learning_rate=0.01),
        *[base(dataset="multi_gauss", loss=loss, learning_rate=0.05) for loss in ("mse", "mae", "huber")],
        base(features=list(FEATURES), activation=["leaky_relu", "elu"], leaky_slope=0.2),
        base(activation=["gelu", "swish"]),
        base(activation=["softplus", "linear"]),
        base(shuffle=False, order="sorted"),
        base(shuffle=False),
        base(optimizer="rmsprop", optimizer_params={"momentum": 0.9, "weight_decay": 0.01}, learning_rate=0.002),
        base(optimizer="adamw", optimizer_params={"weight_decay": 0.1}, learning_rate=0.01),
        base(optimizer="sgd", optimizer_params={"weight_decay": 0.05}),
        base(layers=[], loss="bce"),
        base(dataset="blobs_k", classes=5, loss="softmax_ce", activation="elu"),
        base(batch_size=7),  # the last batch of each pass is short
        base(dropout=0.2),
        base(dropout=[0.0, 0.3], optimizer="adam", learning_rate=0.01, shuffle=False, activation="relu"),
    ]
    check_cases(cases, tmp_path)


def test_every_registry_entry_has_code():
    for name, act in ACTIVATIONS.items():
        assert act.formula and all(act.code), name
    for name, loss in LOSSES.items():
        assert loss.formula and loss.value and loss.grad, name
    for name, cls in OPTIMIZERS.items():
        rule = cls().code()
        assert rule.formula and rule.body, name
    for name, schedule in SCHEDULES.items():
        assert schedule.formula and schedule.code, name
    for name, feature in FEATURES.items():
        assert feature.code, name
    assert set(PENALTY_CODE) == {"l1", "l2"} and set(CLIP_CODE) == {"value", "norm"}


def value_of(fragment: str, names: dict):
    """A registry fragment's value: its statements run, then its last line evaluated."""
    *statements, last = fragment.split("\n")
    exec("\n".join(statements), names)
    return eval(last, names)


def test_fragments_compute_what_the_engine_computes():
    z = np.linspace(-4, 4, 101, dtype=np.float32).reshape(-1, 1)
    for name, act in ACTIVATIONS.items():
        a = act(z)
        ns = {"np": np, "z": z, "a": a}
        np.testing.assert_allclose(value_of(act.code[0], ns), a, rtol=1e-6, atol=1e-7, err_msg=name)
        np.testing.assert_allclose(value_of(act.code[1], ns), act.grad(z, a), rtol=1e-5, atol=1e-6, err_msg=name)
    points = np.random.default_rng(1).uniform(-6, 6, (50, 2))
    for name, feature in FEATURES.items():
        x, y = points[:, 0], points[:, 1]
        expected = feature.fn(x, y)
        got = eval(feature.code, {"np": np, "x": x, "y": y, "DOMAIN": DOMAIN})
        np.testing.assert_array_equal(got, expected, err_msg=name)
    for name, schedule in SCHEDULES.items():  # the same arithmetic: the same rate to the last bit
        params = schedule.defaults()
        for step in (0, 1, 199, 200, 201, 777, 5000):
            ns = {"math": math, "step": step, "LEARNING_RATE": 0.05, **{k.upper(): v for k, v in params.items()}}
            assert value_of(schedule.code, ns) == schedule(step, 0.05, **params), (name, step)


def test_refuses_unknown_formats_and_a_run_without_training_points():
    trainer = Trainer(base())
    with pytest.raises(ExportError) as info:
        export(run_of(trainer), "pdf")
    assert info.value.field == "format" and all(f in info.value.message for f in FORMATS)
    trainer.erase_points(0.0, 0.0, 100.0)
    with pytest.raises(ExportError) as info:
        run_of(trainer)
    assert info.value.field == "points"


NOTEBOOK_DRIVER = textwrap.dedent("""
    import contextlib, io, json, sys

    import numpy as np

    notebook = json.load(open(sys.argv[1], encoding="utf-8"))
    ns, gradcheck, ran, plots = {"__name__": "notebook"}, None, [], []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source, (tag,) = "".join(cell["source"]), cell["metadata"]["tags"]
        if tag.startswith("plot_"):  # matplotlib is not installed here: these cells are only compiled
            compile(source, tag, "exec")
            plots.append(tag)
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            exec(source, ns)
            if tag == "gradcheck":
                gradcheck = ns["gradient_check"]()
        ran.append(tag)
    flat = lambda ws, bs: np.concatenate([np.concatenate([w.ravel(), v]) for w, v in zip(ws, bs)]).tolist()
    print(json.dumps({"end": flat(ns["W"], ns["b"]), "playground": flat(ns["PLAYGROUND_W"], ns["PLAYGROUND_B"]),
                      "gradcheck": gradcheck, "ran": ran, "plots": plots}))
""")


@pytest.mark.parametrize("config", [base(), base(optimizer="nadam", learning_rate=0.01, activation="relu",
                                                 loss="softmax_ce", schedule={"name": "cosine", "t_max": 50}),
                                    base(dropout=[0.2, 0.1], loss="bce")])
def test_the_notebook_runs_cell_by_cell_to_the_same_numbers(config, tmp_path):
    trainer = Trainer(config)
    trainer.train(STEPS)
    name, text = export(run_of(trainer), "notebook")
    assert name.endswith(".ipynb")
    notebook = json.loads(text)
    assert notebook["nbformat"] == 4
    cells = notebook["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(cells[cells.index(c) - 1]["cell_type"] == "markdown" for c in code[1:]), "a text before each cell"
    path = tmp_path / name
    path.write_text(text)
    done = subprocess.run([sys.executable, "-I", "-c", NOTEBOOK_DRIVER, str(path)], capture_output=True, text=True,
                          check=True, timeout=120)  # fmt: skip
    result = json.loads(done.stdout)
    assert result["ran"] == ["imports", "data", "network", "forward", "backward", "gradcheck", "update", "train",
                             "compare", "run"]  # fmt: skip
    assert result["plots"] == ["plot_data", "plot_boundary"]
    np.testing.assert_array_equal(np.float32(result["playground"]), trainer.network.params)
    np.testing.assert_allclose(np.float32(result["end"]), trainer.network.params, rtol=RTOL, atol=ATOL)
    assert len(result["gradcheck"]) == len(trainer.network.W) and max(result["gradcheck"]) < 1e-6


def saved_run(trainer: Trainer) -> dict:
    """What the page's "Save run" writes (static/js/files.js exportRun)."""
    return {"format": "backprop-playground-run", "version": 1, "config": {**trainer.config, "speed": "max", "fps": 60},
            "step": trainer.step, "epoch": trainer.epoch, "params": trainer.network.params.astype(float).tolist()}


def test_the_command_line_exports_a_saved_run(tmp_path):
    trainer = Trainer(base(optimizer="momentum", learning_rate=0.05))
    trainer.train(STEPS)
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps(saved_run(trainer)))
    out = tmp_path / "run.py"
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-m", "engine.export", str(saved), "-o", str(out)], cwd=root, check=True,
                   timeout=60)  # fmt: skip
    (result,) = run_scripts([(out, STEPS)])
    np.testing.assert_array_equal(np.float32(result["playground"]), trainer.network.params)
    np.testing.assert_allclose(np.float32(result["end"]), trainer.network.params, rtol=RTOL, atol=ATOL)
    printed = subprocess.run([sys.executable, "-I", str(out), "--steps", str(STEPS + 10)], capture_output=True,
                             text=True, check=True, timeout=60).stdout  # fmt: skip
    assert f"step {STEPS + 10:6d}" in printed and f"the playground had trained {STEPS} steps" in printed
    saved.write_text(json.dumps({"config": {"optimizer": "lbfgs"}, "params": []}))
    failed = subprocess.run([sys.executable, "-m", "engine.export", str(saved)], cwd=root, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert failed.returncode == 2 and "optimizer" in failed.stderr


EXAMPLE = ({"layers": [4, 2], "activation": "tanh", "optimizer": "sgd", "learning_rate": 0.1}, 1000)
FINAL_BLOCK = re.compile(r"PLAYGROUND_W = \[\n.*?\n\]\nPLAYGROUND_B = \[\n.*?\n\]\n", re.S)
DATA_LINE = re.compile(r"^\s+(\[|np\.array\(\[|\], np\.float32\),|np\.zeros\()")


def test_the_docs_example_is_what_the_exporter_writes_and_reads_well(tmp_path):
    config, steps = EXAMPLE
    trainer = Trainer(config)
    trainer.train(steps)
    text = export(run_of(trainer), "python")[1]
    path = ROOT / "docs" / "example-run.py"
    on_disk = path.read_text()
    # The playground's final weights carry this CPU's float32 rounding: compared by value, the rest as text.
    assert FINAL_BLOCK.sub("", on_disk) == FINAL_BLOCK.sub("", text), "regenerate docs/example-run.py"
    final = {}
    exec(FINAL_BLOCK.search(on_disk).group(0), {"np": np}, final)
    flat = np.concatenate([np.concatenate([w.ravel(), v]) for w, v in zip(final["PLAYGROUND_W"], final["PLAYGROUND_B"],
                                                                           strict=True)])  # fmt: skip
    np.testing.assert_allclose(flat, trainer.network.params, rtol=RTOL, atol=ATOL)
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(path)], capture_output=True,
                          text=True, cwd=ROOT)  # fmt: skip
    assert lint.returncode == 0, lint.stdout
    program = [line for line in on_disk.splitlines() if line.strip() and not DATA_LINE.match(line)]
    assert len(program) <= 150, len(program)
    for name in re.findall(r"^def (\w+)\(", on_disk, re.M):
        assert len(re.findall(rf"\b{name}\b", on_disk)) > 1, f"{name} is never used"
    assert "momentum" not in on_disk.lower() and "adam" not in on_disk.lower()  # only the pieces this run uses


def readme_predict() -> str:
    """The README's `predict` snippet, without its last line (the example call)."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    (snippet,) = [b for b in blocks if "def predict(model" in b]
    return snippet.rstrip("\n").rsplit("\n", 1)[0]


@pytest.mark.parametrize("config", [base(), base(activation="relu", loss="bce"),
                                    base(dataset="spiral_k", classes=3, loss="softmax_ce", activation="sigmoid"),
                                    base(dataset="plane", features=["x1", "x2", "x1_x2", "x2_sq"])])
def test_the_readme_predict_reads_an_exported_model(config, tmp_path):
    trainer = Trainer(config)
    trainer.train(STEPS)
    name, text = export(run_of(trainer), "model")
    (tmp_path / name).write_text(text)
    snippet = readme_predict()
    assert len(snippet.splitlines()) <= 20
    points = trainer.data.test_points
    call = f"predict(json.load(open({name!r})), np.array({points.tolist()}))"
    program = snippet + f"\nprint(json.dumps({call}.tolist()))\n"
    done = subprocess.run([sys.executable, "-I", "-c", program], capture_output=True, text=True, check=True,
                          cwd=tmp_path, timeout=60)  # fmt: skip
    x = trainer.data.inputs(trainer.config["features"])[1]
    expected = trainer.loss.predict(trainer.network.forward(x).copy())
    np.testing.assert_allclose(np.array(json.loads(done.stdout)), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("config", [base(batch_size=7), base(shuffle=False, order="sorted"), base(shuffle=False),
                                    base(dataset="spiral_k", classes=3, loss="softmax_ce"), base(dataset="plane")])
def test_data_targets_and_batch_order_are_the_engines_bit_for_bit(config, tmp_path):
    trainer = Trainer(config)
    path = tmp_path / "run.py"
    path.write_text(export(run_of(trainer), "python")[1])
    script = runpy.run_path(str(path), run_name="exported")
    x_train, x_test = trainer.data.inputs(trainer.config["features"])
    x = script["features"](script["TRAIN"])
    assert x.dtype == np.float32 and x.tobytes() == x_train.tobytes()
    assert script["features"](script["TEST"]).tobytes() == x_test.tobytes()
    y = script["targets"](script["TRAIN"][:, 2])
    assert y.tobytes() == trainer.loss.encode(trainer.data.train_labels).tobytes()
    batches = script["batches"](len(x))
    n_batches = -(-len(x) // trainer.config["batch_size"])
    for _ in range(2 * n_batches):  # two passes: the second permutation too
        rows = next(batches)
        trainer.train(1)
        start = trainer._cursor - len(rows)  # the rows the engine's last step trained on
        assert x[rows].tobytes() == trainer._x_epoch[start : trainer._cursor].tobytes()
