"""Race: contestants share their start and their batches, each runs exactly as a solo trainer, a finish and a winner."""

from __future__ import annotations

import numpy as np
import pytest

from engine.config import ConfigError
from engine.race import Race, initial_params
from engine.trainer import Trainer

BASE = {"points": 200, "batch_size": 10, "layers": [6, 4], "seed": 3}
CASES = [
    ("optimizer", ["sgd", "momentum", "nesterov", "adam"]),
    ("learning_rate", [0.01, 0.1, 1.0]),
    ("batch_size", [1, 7, 100]),
    ("activation", ["tanh", "relu"]),
    ("init", ["xavier", "he", "uniform"]),
    ("regularization", ["none", "l2"]),
]


def solo(varied: str, value, config: dict = BASE) -> Trainer:
    return Trainer({**config, varied: value})


@pytest.mark.parametrize(("varied", "values"), CASES)
def test_each_contestant_runs_exactly_as_a_solo_trainer(varied: str, values: list) -> None:
    config = {**BASE, "regularization_rate": 0.01}
    race = Race(config, varied, values)
    for _ in range(4):
        race.train(9)  # 36 steps in slices, the solo run in one call
    for c, value in zip(race.contestants, values, strict=True):
        alone = solo(varied, value, config)
        alone.train(36)
        assert c.trainer.step == alone.step == 36
        assert np.array_equal(c.trainer.network.params, alone.network.params)  # bitwise
        if alone.optimizer.state is not None:
            assert np.array_equal(c.trainer.optimizer.state, alone.optimizer.state)


@pytest.mark.parametrize(("varied", "values"), [c for c in CASES if c[0] != "init"])
def test_contestants_share_the_initial_weights(varied: str, values: list) -> None:
    race = Race(BASE, varied, values)
    first = race.contestants[0].trainer.network.params
    assert all(np.array_equal(c.trainer.network.params, first) for c in race.contestants)
    assert np.array_equal(first, Trainer(BASE).network.params)


def test_contestants_see_the_same_batches_by_index() -> None:
    race = Race(BASE, "optimizer", ["sgd", "momentum", "adam"])
    n = len(race.contestants[0].trainer.data.train_labels)
    seen: list[list[np.ndarray]] = [[] for _ in race.contestants]
    for _ in range(2 * n // 10 + 3):  # more than two passes
        race.train(1)
        for lane, c in zip(seen, race.contestants, strict=True):
            lane.append(c.trainer.last_batch())
    reference = np.concatenate(seen[0])
    assert len(reference) == (2 * n // 10 + 3) * 10
    assert sorted(reference[:n].tolist()) == list(range(n))  # a pass is a permutation of the training points
    assert not np.array_equal(reference[:n], reference[n : 2 * n])  # each pass is shuffled afresh
    for lane in seen[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(lane, seen[0], strict=True))


def test_batch_sizes_share_one_index_sequence() -> None:
    race = Race(BASE, "batch_size", [1, 7, 25])
    order: list[list[int]] = [[] for _ in race.contestants]
    for _ in range(30):
        race.train(1)
        for lane, c in zip(order, race.contestants, strict=True):
            lane += c.trainer.last_batch().tolist()
    common = min(len(lane) for lane in order)
    assert common == 30
    assert order[1][:common] == order[0][:common] == order[2][:common]
    n = len(race.contestants[0].trainer.data.train_labels)  # 100: a pass of batch 7 ends with a short batch of 2
    assert len(order[1]) == 2 * n and order[2][: 2 * n] == order[1]  # two passes, the same two permutations


def test_finish_line_and_winner_match_solo_runs() -> None:
    values = ["sgd", "momentum", "adam"]
    target = 0.2
    race = Race({**BASE, "learning_rate": 0.03}, "optimizer", values, target=target)
    race.train(400)
    expected = []
    for value in values:
        alone = solo("optimizer", value, {**BASE, "learning_rate": 0.03})
        finish = None
        for step in range(1, 401):
            alone.train(1)
            if finish is None and alone.evaluate()["train_loss"] <= target:
                finish = step
        expected.append(finish)
    assert [c.finish for c in race.contestants] == expected
    finished = [(f, i) for i, f in enumerate(expected) if f is not None]
    assert finished, "no contestant reached the line: the test needs one"
    assert race.winner == min(finished)[1]


def test_a_new_target_judges_again() -> None:
    race = Race(BASE, "learning_rate", [0.03, 0.3])
    race.train(100)
    assert race.winner is None
    loss = [c.trainer.evaluate()["train_loss"] for c in race.contestants]
    race.set_target(max(loss) * 1.01)  # both already under: they finish where they are
    assert [c.finish for c in race.contestants] == [100, 100]
    race.set_target(min(loss) * 0.5)
    assert [c.finish for c in race.contestants] == [None, None]


def test_rematch_is_a_new_shared_start_that_a_solo_run_reproduces() -> None:
    race = Race(BASE, "optimizer", ["sgd", "adam"])
    start = race.contestants[0].trainer.network.params.copy()
    race.train(20)
    race.rematch()
    params = [c.trainer.network.params.copy() for c in race.contestants]
    assert race.round == 1 and all(c.trainer.step == 0 for c in race.contestants)
    assert np.array_equal(params[0], params[1]) and not np.array_equal(params[0], start)
    race.train(25)
    alone = solo("optimizer", "adam")
    alone.set_params(initial_params(alone, 1), step=0, epoch=0)
    alone.train(25)
    assert np.array_equal(race.contestants[1].trainer.network.params, alone.network.params)
    race.restart(0)
    assert np.array_equal(race.contestants[0].trainer.network.params, start)


def test_shared_changes_apply_to_all_and_the_varied_setting_is_locked() -> None:
    race = Race(BASE, "optimizer", ["sgd", "adam"])
    race.train(5)
    race.apply({"layers": [6, 4, 3], "learning_rate": 0.05})
    assert all(c.trainer.config["layers"] == [6, 4, 3] for c in race.contestants)
    assert all(c.trainer.learning_rate == 0.05 for c in race.contestants)
    a, b = (c.trainer.network.params for c in race.contestants)
    assert a.shape == b.shape
    for key in ("optimizer", "optimizer_params"):
        with pytest.raises(ConfigError) as error:
            race.apply({key: "adam" if key == "optimizer" else {}})
        assert error.value.field == key
    with pytest.raises(ConfigError) as error:  # checked for every contestant before any applies
        race.apply({"learning_rate": 99})
    assert error.value.field == "learning_rate"
    assert all(c.trainer.learning_rate == 0.05 for c in race.contestants)


def test_a_diverged_contestant_is_out_and_the_rest_go_on() -> None:
    exploding = {"dataset": "plane", "points": 300, "layers": [6] * 6, "activation": "leaky_relu", "leaky_slope": 0.3,
                 "init": "uniform", "init_scale": 1.8, "loss": "mse", "optimizer": "sgd", "batch_size": 20}
    race = Race(exploding, "learning_rate", [0.0001, 0.05])  # the exploding-gradients preset's net blows up at 0.05
    race.train(50)
    fast, blown = race.contestants
    assert blown.status == "diverged" and fast.status == "running"
    assert fast.trainer.step == 50 and blown.trainer.step < 50


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("speed", ["a", "b"]), "varied"),
        (("optimizer", ["sgd"]), "values"),
        (("optimizer", ["sgd"] * 2), "values"),
        (("optimizer", ["sgd", "momentum", "adam", "rmsprop", "adagrad"]), "values"),
        (("optimizer", ["sgd", "warp"]), "values[1]"),
        (("learning_rate", [0.1, -1]), "values[1]"),
    ],
)
def test_bad_races_name_the_field(args: tuple, field: str) -> None:
    with pytest.raises(ConfigError) as error:
        Race(BASE, *args)
    assert error.value.field == field
    with pytest.raises(ConfigError) as error:
        Race(BASE, "optimizer", ["sgd", "adam"], target=-1)
    assert error.value.field == "target"
