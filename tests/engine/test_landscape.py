"""Loss landscape: the centre is the training loss, filter normalisation as defined, paths start at the start."""

from __future__ import annotations

import numpy as np
import pytest

from engine.race import Race
from engine.trainer import Trainer
from engine.views.landscape import (
    SIZE,
    Path,
    axis,
    filter_normalized,
    losses,
    of_trainer,
    pca_directions,
    project,
    run,
)

CONFIG = {"points": 300, "layers": [8, 6], "batch_size": 10, "seed": 2}


def trained(steps: int = 60, **config) -> tuple[Trainer, Path]:
    t = Trainer({**CONFIG, **config})
    path = Path(t.network.params, t.step)
    for _ in range(steps):
        t.train(1)
        if path.due(t.step):
            path.add(t.step, t.network.params)
    return t, path


@pytest.mark.parametrize("plane", ["random", "pca"])
@pytest.mark.parametrize("config", [{}, {"dataset": "spiral_k", "classes": 3, "activation": "relu"},
                                    {"dataset": "plane", "activation": "sigmoid"}])
def test_the_centre_is_the_current_training_loss(plane: str, config: dict) -> None:
    t, path = trained(**config)
    slice_ = run(of_trainer(t, [path.array(t.network.params)], plane))
    mid = (SIZE - 1) // 2
    assert slice_.alphas[mid] == slice_.betas[mid] == 0.0
    assert slice_.loss.shape == (SIZE, SIZE)
    # the same weights through another float32 summation order: equal to float32 rounding
    assert slice_.loss[mid, mid] == pytest.approx(t.evaluate()["train_loss"], rel=2e-6)


def test_every_grid_point_is_the_loss_of_its_own_weights() -> None:
    t, path = trained()
    s = run(of_trainer(t, [path.array(t.network.params)], "pca", size=9))
    directions = pca_directions(path.array(t.network.params), t.network.params)[0]
    for j, i in [(0, 0), (3, 7), (8, 8), (4, 1)]:
        probe = t.network.copy()
        probe.params[...] = t.network.params + s.alphas[i] * directions[0] + s.betas[j] * directions[1]
        x = t.data.inputs(t.config["features"])[0]
        z = probe.infer(x, neurons=False)[0].T
        assert s.loss[j, i] == pytest.approx(t.loss.value(z, t.loss.encode(t.data.train_labels)), rel=1e-5)


def test_filter_normalisation_matches_its_definition() -> None:
    t, _ = trained(20)
    net = t.network
    d = filter_normalized(net, np.random.default_rng(7))
    for ws, bs, W in zip(net.weight_slices, net.bias_slices, net.W, strict=True):
        block = d[ws].reshape(W.shape)  # (fan_in, fan_out): a column per neuron
        for j in range(W.shape[1]):
            assert np.linalg.norm(block[:, j]) == pytest.approx(np.linalg.norm(W[:, j].astype(np.float64)), rel=1e-12)
        assert not d[bs].any()  # biases: zero direction, as in the paper
    raw = np.random.default_rng(7).standard_normal(net.W[0].shape)
    unit = raw[:, 0] / np.linalg.norm(raw[:, 0])  # the direction keeps the Gaussian draw's direction per filter
    got = d[net.weight_slices[0]].reshape(net.W[0].shape)[:, 0]
    assert got / np.linalg.norm(got) == pytest.approx(unit, rel=1e-12)


def test_a_dead_filter_gets_no_direction() -> None:
    t, _ = trained(0)
    t.network.W[0][:, 1] = 0.0
    d = filter_normalized(t.network, np.random.default_rng(1))
    assert not d[t.network.weight_slices[0]].reshape(t.network.W[0].shape)[:, 1].any()


def test_pca_directions_are_the_top_principal_axes() -> None:
    rng = np.random.default_rng(0)
    centre = rng.standard_normal(30)
    a, b = np.eye(30)[3], np.eye(30)[11]
    points = centre + np.outer(rng.standard_normal(50) * 5, a) + np.outer(rng.standard_normal(50), b)
    directions, shares, _ = pca_directions(points, centre)
    moves = points - centre
    values, vectors = np.linalg.eigh(moves.T @ moves)  # the scatter matrix's eigenvectors, largest last
    assert abs(directions[0] @ vectors[:, -1]) == pytest.approx(1.0) and abs(directions[1] @ vectors[:, -2]) == (
        pytest.approx(1.0))
    assert abs(directions[0] @ a) > 0.99 and abs(directions[1] @ b) > 0.99
    assert shares == pytest.approx(values[::-1][:2] / values.sum()) and shares.sum() == pytest.approx(1.0)
    coords = project(points, centre, directions)  # in the plane: projection recovers every point exactly
    assert np.allclose(centre + coords @ directions, points)


@pytest.mark.parametrize("plane", ["random", "pca"])
def test_the_projected_path_starts_at_the_start(plane: str) -> None:
    t, path = trained(80)
    points = path.array(t.network.params)
    s = run(of_trainer(t, [points], plane))
    rng = np.random.default_rng(0)  # of_trainer's seed 0: the same two draws
    directions = (pca_directions(points, t.network.params)[0] if plane == "pca"
                  else np.stack([filter_normalized(t.network, rng, t.network.params) for _ in range(2)]))  # fmt: skip
    expected = project(points[:1], t.network.params, directions)[0]
    assert s.paths[0][0] == pytest.approx(expected)
    assert s.paths[0][-1] == pytest.approx([0.0, 0.0], abs=1e-9)  # the current weights are the centre
    assert np.array_equal(points[0], Trainer(CONFIG).network.params)  # the path's first point is step 0's weights


def test_race_paths_share_their_start_on_one_plane() -> None:
    race = Race(CONFIG, "optimizer", ["sgd", "momentum", "adam"])
    race.train(60)
    s = run(race.landscape("pca"))
    assert len(s.paths) == 3
    for p in s.paths:
        assert p[0] == pytest.approx([0.0, 0.0], abs=1e-12)  # centred at the common start
    ends = [p[-1] for p in s.paths]
    assert not np.allclose(ends[0], ends[2])
    mid = (SIZE - 1) // 2
    assert s.loss[mid, mid] == pytest.approx(Trainer(CONFIG).evaluate()["train_loss"], rel=2e-6)


def test_the_path_thins_evenly_and_keeps_its_start() -> None:
    params = np.zeros(3, np.float32)
    path = Path(params, 0, capacity=8)
    for step in range(1, 101):
        if path.due(step):
            path.add(step, params + step)
    assert path.steps[0] == 0 and len(path.steps) <= 8
    gaps = np.diff(path.steps)
    assert (gaps == path.interval).all()
    assert path.points[0][0] == 0.0 and path.points[-1][0] == path.steps[-1]


def test_losses_of_many_points_match_one_at_a_time() -> None:
    t, _ = trained(30)
    x = t.data.inputs(t.config["features"])[0]
    target = t.loss.encode(t.data.train_labels)
    rng = np.random.default_rng(3)
    batch = t.network.params + 0.1 * rng.standard_normal((5, t.network.params.size)).astype(np.float32)
    got = losses(t.network, t.loss, x, target, batch)
    for k in range(5):
        net = t.network.copy()
        net.params[...] = batch[k]
        assert got[k] == pytest.approx(t.loss.value(net.infer(x, neurons=False)[0].T, target), rel=1e-5)


def test_axis_is_symmetric_with_an_exact_zero() -> None:
    a = axis(2.5, 41)
    assert a[20] == 0.0 and a[0] == -2.5 and a[-1] == 2.5 and np.allclose(a, -a[::-1])
