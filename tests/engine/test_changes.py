"""A live change in words (engine/changes.py): which weights a change kept, and the initialiser's Reset."""

from __future__ import annotations

import numpy as np

from engine.trainer import Trainer


def trained(**config) -> Trainer:
    t = Trainer({"points": 100, **config})
    t.train(5)
    return t


def fields(events: list[dict]) -> list[tuple[str, str | None]]:
    return [(e["kind"], e.get("field")) for e in events]


def test_nothing_is_said_before_training_and_the_weights_are_the_same_either_way() -> None:
    t = Trainer({"points": 100})
    assert t.apply({"layers": [4, 2, 3], "activation": "relu", "init": "he"}) == []


def test_an_added_layer_names_itself_and_the_other_weights_are_kept() -> None:
    t = trained()
    W0 = t.network.W[0].copy()
    events = t.apply({"layers": [4, 2, 2]})
    assert fields(events) == [("changed", "layers")]
    assert "Hidden layer 3 (2 neurons) was added" in events[0]["message"] and np.array_equal(t.network.W[0], W0)


def test_a_removed_layer_and_a_wider_layer_say_what_they_did() -> None:
    t = trained(layers=[4, 3, 2])
    assert "Hidden layer 2 was removed" in t.apply({"layers": [4, 2]})[0]["message"]
    assert "layer 1 gained 2 neurons with fresh random weights" in t.apply({"layers": [6, 2]})[0]["message"]
    assert "layer 2 lost 1 neuron and their weights" in t.apply({"layers": [6, 1]})[0]["message"]


def test_activation_optimizer_features_and_initialiser_are_each_explained_at_their_control() -> None:
    t = trained()
    events = t.apply({"activation": "relu", "optimizer": "adam", "features": ["x1", "x2", "x1_sq"], "init": "he"})
    assert sorted(fields(events)) == [("applies_on_reset", "init"), ("changed", "activation"),
                                      ("changed", "features"), ("changed", "optimizer")]
    by_field = {e["field"]: e for e in events}
    assert "relu instead of tanh" in by_field["activation"]["message"]
    assert "x1_sq added" in by_field["features"]["message"] and by_field["init"]["action"] == "reset"
    assert t.apply({"learning_rate": 0.1}) == []  # a rate change touches no weight: nothing to say
