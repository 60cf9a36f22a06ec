"""The timeline: a restored snapshot trains on bit for bit like the run that passed through it, the ring stays within
its bound over 100,000 steps and covers the run evenly, and it starts afresh with a new network or new data."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from engine.optim.optimizers import make_optimizer
from engine.trainer import Trainer
from engine.views.timeline import CAPACITY, STATE_OVERHEAD, Timeline, restore

RUNS = [
    {"optimizer": "sgd", "batch_size": 10, "points": 200},
    {"optimizer": "adam", "dropout": 0.2, "batch_size": 7, "points": 150, "layers": [5, 3]},  # a short last batch
    {"optimizer": "momentum", "shuffle": False, "order": "sorted", "batch_size": 16, "points": 120},
    {"optimizer": "rmsprop", "schedule": {"name": "step", "step_size": 40, "gamma": 0.5}, "batch_size": 25},
    {"optimizer": "adam", "regularization": "l2", "regularization_rate": 0.01, "batch_size": 250, "points": 250,
     "early_stopping": {"enabled": True, "patience": 3}},  # one step a pass
    {"dataset": "spiral_k", "classes": 3, "loss": "softmax_ce", "optimizer": "adagrad", "batch_size": 12},
]


def with_timeline(config: dict, capacity: int = CAPACITY) -> Trainer:
    trainer = Trainer(config)
    trainer.timeline = Timeline(capacity)
    return trainer


@pytest.mark.parametrize("config", RUNS)
def test_a_restored_snapshot_trains_on_bit_for_bit_like_the_run_through_it(config):
    reference = Trainer(config)  # the run that passes through the snapshot, never restored
    run = with_timeline(config, capacity=16)
    run.train(300)
    snapshot = next(s for s in reversed(run.timeline.snapshots) if s.step <= 200)
    assert snapshot.step > 0
    reference.train(snapshot.step)
    later = 57
    restore(run, snapshot)
    assert np.array_equal(run.network.params, reference.network.params)
    assert (run.step, run.epoch, run._cursor) == (reference.step, reference.epoch, reference._cursor)
    if reference._x_epoch is not None:
        assert np.array_equal(run._x_epoch, reference._x_epoch)  # the same batches ahead
    for _ in range(later):
        run.train(1)
        reference.train(1)
        assert np.array_equal(run._x_epoch[run._cursor - len(run._x_epoch):], reference._x_epoch[
            reference._cursor - len(reference._x_epoch):])  # fmt: skip
    assert np.array_equal(run.network.params, reference.network.params)
    assert run.step == reference.step == snapshot.step + later and run.epoch == reference.epoch
    if reference.optimizer.state is not None:
        assert np.array_equal(run.optimizer.state, reference.optimizer.state)


def test_a_snapshot_restores_the_settings_it_was_taken_with():
    run = with_timeline({"optimizer": "adam", "learning_rate": 0.03, "batch_size": 10})
    reference = Trainer({"optimizer": "adam", "learning_rate": 0.03, "batch_size": 10})
    run.train(40)
    reference.train(40)
    snapshot = run.timeline.snapshots[-1]
    run.apply({"learning_rate": 0.3, "optimizer": "sgd", "batch_size": 4})
    run.train(30)
    restore(run, snapshot)
    assert run.config == reference.config and type(run.optimizer) is type(make_optimizer("adam"))
    run.train(25)
    reference.train(25)
    assert np.array_equal(run.network.params, reference.network.params)


def test_the_ring_stays_within_its_bound_and_covers_the_run_evenly_over_100000_steps():
    run = with_timeline({"layers": [8, 8], "optimizer": "adam", "batch_size": 1, "points": 100})
    n = run.network.params.size
    per_snapshot = n * 4 * (1 + len(run.optimizer.buffers)) + STATE_OVERHEAD  # params and Adam's two rows, float32
    for _ in range(100):
        run.train(1000)
        timeline = run.timeline
        assert len(timeline.snapshots) <= CAPACITY
        assert timeline.nbytes <= CAPACITY * per_snapshot
        steps = [s.step for s in timeline.snapshots]
        assert steps[0] == 0 and steps == sorted(steps) and run.step - steps[-1] < timeline.interval
        assert all(step % timeline.interval == 0 for step in steps)
    assert run.step == 100_000 and len(run.timeline.snapshots) > CAPACITY // 2
    snapshot = run.timeline.snapshots[-1]
    rest = {k: v for k, v in vars(snapshot).items() if not isinstance(v, np.ndarray)}
    assert len(pickle.dumps(rest)) <= STATE_OVERHEAD


def test_a_snapshots_metrics_are_the_evaluation_at_its_step():
    run = with_timeline({"batch_size": 10})
    reference = Trainer({"batch_size": 10})
    run.train(100)
    live = run.network.params.copy()
    snapshot = run.timeline.find(64)
    reference.train(64)
    got = run.timeline.metrics(run, snapshot)
    assert got == pytest.approx(reference.evaluate(), rel=1e-6, nan_ok=True)
    assert run.step == 100 and np.array_equal(run.network.params, live)  # the live run is left as it was


def test_the_ring_starts_afresh_with_a_new_network_or_new_data_and_branches_on_restore():
    run = with_timeline({"batch_size": 10})
    run.train(100)
    assert len(run.timeline.snapshots) > 10
    snapshot = run.timeline.find(32)
    restore(run, snapshot)
    run.timeline.branch(snapshot)
    assert run.timeline.snapshots[-1].step == 32
    run.train(10)
    assert run.timeline.snapshots[-1].step > 32
    for change in (lambda t: t.apply({"layers": [3]}), lambda t: t.regenerate(), lambda t: t.reset(),
                   lambda t: t.add_point(1.0, 1.0, 1)):
        run.train(5)
        change(run)
        run.train(1)
        assert [s.step for s in run.timeline.snapshots] == [run.step - 1, run.step]
