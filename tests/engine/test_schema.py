"""engine.schema says true things: what a change to each setting resets is what the trainer does, the defaults are
the trainer's, and every registry-backed setting offers exactly its registry's names."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.datasets import DATASETS
from engine.nn.activations import ACTIVATIONS
from engine.schema import RESETS, SETTINGS, Setting, defaults
from engine.trainer import Trainer

CHANGES = {  # a value other than the default for each setting (any value the schema allows would do)
    "features": ["x1", "x2", "x1_sq"],
    "layers": [4, 2, 3],
    "optimizer_params": {"weight_decay": 0.1},
    "schedule": {"name": "step"},
    "clip": {"mode": "value"},
    "early_stopping": {"enabled": True},
}


def changed_value(setting: Setting):
    """A value for `setting` that differs from its default (its range's other end, another name, the other bool)."""
    if setting.name in CHANGES:
        return CHANGES[setting.name]
    if setting.type in ("float", "int"):
        low, high = setting.bounds(Trainer().limits)
        return low if setting.default == high else (high if setting.type == "float" else min(high, setting.default + 1))
    if setting.type == "bool":
        return not setting.default
    return next(v for v in setting.values if v != setting.default and v != "softmax_ce")


def test_the_trainers_defaults_are_the_schemas():
    assert Trainer().config == defaults()


@pytest.mark.parametrize("setting", SETTINGS, ids=[s.name for s in SETTINGS])
def test_a_change_resets_only_what_the_schema_says(setting: Setting):
    assert set(setting.resets) <= set(RESETS)
    trainer = Trainer({"seed": 3})
    trainer.train(5)
    params, points, is_train = trainer.network.params.copy(), trainer.data.points.copy(), trainer.data.is_train.copy()
    optimizer, outputs = trainer.optimizer, trainer.network.sizes[-1]
    trainer.apply({setting.name: changed_value(setting)})
    applies = setting.applies is None or setting.applies.holds(trainer.config)
    touched = set(setting.resets) if applies else set()
    if not touched & {"network", "output"} or ("network" not in touched and trainer.network.sizes[-1] == outputs):
        np.testing.assert_array_equal(trainer.network.params, params)  # the weights are kept, bit for bit
    if not touched & {"data", "split"}:
        np.testing.assert_array_equal(trainer.data.points, points)
        np.testing.assert_array_equal(trainer.data.is_train, is_train)
    else:
        drawn = not np.array_equal(trainer.data.is_train, is_train) or trainer.data.points.shape != points.shape or \
            not np.array_equal(trainer.data.points, points)  # fmt: skip
        assert drawn
    assert (trainer.optimizer is not optimizer) == ("optimizer" in touched)


def test_registry_settings_offer_their_registry():
    by_name = {s.name: s for s in SETTINGS}
    assert by_name["dataset"].values == tuple(DATASETS)
    assert by_name["activation"].values == tuple(ACTIVATIONS)
    leaky = by_name["leaky_slope"].applies
    assert leaky.values == tuple(n for n, a in ACTIVATIONS.items() if a.leaky) and leaky.key == "activation"
    classes = by_name["classes"].applies
    assert classes.values == tuple(n for n, d in DATASETS.items() if d.kind == "multiclass")
