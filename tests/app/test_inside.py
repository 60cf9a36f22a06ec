"""`metrics` and `neuron` over real uvicorn: answered with the id, equal to what the frame and the by-hand `trace`
say of the same step, every bad field named, the session still running after each refusal."""

from __future__ import annotations

import pytest

from tests.app.test_protocol import Client

pytestmark = pytest.mark.timeout(60)


def paused_after(c: Client, steps: int) -> dict:
    """Train `steps` mini-batches, and the first frame that shows them all."""
    c.send(type="step", n=steps)
    return c.frame(lambda f: f["step"] == steps, timeout=30)


def test_metrics_count_every_point_and_agree_with_the_frame(server):
    with Client(server.ws_url) as c:
        c.send(type="config", dataset="spiral_k", classes=3, loss="softmax_ce", layers=[6, 6], points=300)
        data = c.wait(lambda m: m["type"] == "data" and m["classes"] == 3)
        frame = paused_after(c, 50)
        c.send(type="metrics", id="m1")
        got = c.json("metrics")
        assert (got["id"], got["step"], got["problem"], got["classes"]) == ("m1", 50, "multiclass", 3)
        for split in ("train", "test"):
            matrix = got[split]["confusion"]
            assert len(matrix) == 3 and all(len(row) == 3 for row in matrix)
            assert [sum(row) for row in matrix] == [sum(p[2] == k for p in data[split]) for k in range(3)]
            assert got[split]["count"] == len(data[split])
            right = sum(matrix[k][k] for k in range(3))
            assert got[split]["accuracy"] == pytest.approx(right / len(data[split]), abs=0)
            assert got[split]["accuracy"] == pytest.approx(frame[f"{split}_accuracy"], abs=1e-6)


def test_regression_metrics_agree_with_the_frames_loss(server):
    with Client(server.ws_url) as c:
        c.send(type="config", dataset="plane", loss="mse", layers=[4])
        c.wait(lambda m: m["type"] == "data" and m["problem"] == "regression")
        frame = paused_after(c, 30)
        c.send(type="metrics")
        got = c.json("metrics")
        assert got["classes"] == 0 and got["step"] == 30
        for split in ("train", "test"):
            assert got[split]["rmse"] ** 2 / 2 == pytest.approx(frame[f"{split}_loss"], rel=1e-4)  # mse: mean ½r²
            assert got[split]["r2"] <= 1 and 0 < len(got[split]["scatter"]) <= got[split]["count"]


def test_the_neuron_card_equals_the_by_hand_trace(server):
    with Client(server.ws_url) as c:
        c.send(type="config", layers=[4, 4], activation="tanh")
        c.json("config")
        paused_after(c, 20)
        c.send(type="trace", index=3, split="test")
        trace = c.json("trace")
        for layer, neuron in [(1, 0), (1, 3), (2, 2), (3, 0)]:
            c.send(type="neuron", index=3, split="test", layer=layer, neuron=neuron, id=layer * 10 + neuron)
            card = c.json("neuron")
            values = trace["values"]
            assert card["id"] == layer * 10 + neuron and card["step"] == trace["step"] == 20
            assert card["z"] == values["z"][layer - 1][neuron]
            assert card["a"] == values["a"][layer][neuron]
            assert card["delta"] == values["delta"][layer - 1][neuron]
            assert card["grads"] == [row[neuron] for row in values["dW"][layer - 1]]


def test_the_hidden_space_puts_each_point_at_its_traced_activations(server):
    with Client(server.ws_url) as c:
        data = c.json("data")
        c.send(type="config", layers=[4, 3], activation="tanh")
        c.json("config")
        paused_after(c, 25)
        c.send(type="hidden_space", layer=2, neurons=[2, 0], id="h")
        space = c.json("hidden_space")
        assert (space["id"], space["layer"], space["neurons"], space["step"]) == ("h", 2, [2, 0], 25)
        assert space["indices"]["train"] == list(range(len(data["train"])))
        assert [p[2] for p in space["points"]["train"]] == [p[2] for p in data["train"]]
        assert len(space["lines"]) == 2 * space["grid"]["lines"]
        for index in (0, 9):
            c.send(type="trace", index=index)
            activations = c.json("trace")["values"]["a"][2]
            u, v, _ = space["points"]["train"][index]
            assert u == pytest.approx(activations[2], abs=2e-5) and v == pytest.approx(activations[0], abs=2e-5)


@pytest.mark.parametrize(("message", "code", "field"), [
    ({"type": "neuron", "index": 0, "layer": 0, "neuron": 0}, "invalid", "layer"),
    ({"type": "neuron", "index": 0, "layer": 9, "neuron": 0}, "rejected", "layer"),
    ({"type": "neuron", "index": 0, "layer": 1, "neuron": 99}, "rejected", "neuron"),
    ({"type": "neuron", "index": 99_999, "layer": 1, "neuron": 0}, "rejected", "index"),
    ({"type": "neuron", "index": 0, "split": "all", "layer": 1, "neuron": 0}, "invalid", "split"),
    ({"type": "neuron", "index": 0, "layer": 1}, "invalid", "neuron"),
    ({"type": "metrics", "split": "train"}, "invalid", "split"),
    ({"type": "hidden_space", "layer": 3}, "rejected", "layer"),
    ({"type": "hidden_space", "layer": 1, "neurons": [0, 4]}, "rejected", "neurons"),
    ({"type": "hidden_space", "layer": 1, "neurons": [0, 1, 2]}, "invalid", "neurons"),
])  # fmt: skip
def test_a_bad_request_is_refused_naming_its_field_and_the_session_goes_on(server, message, code, field):
    with Client(server.ws_url) as c:
        c.send(**message, id=5)
        error = c.json("error")
        assert (error["code"], error["field"], error["id"]) == (code, field, 5)
        c.send(type="metrics", id=6)
        assert c.json("metrics")["id"] == 6
