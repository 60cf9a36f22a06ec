"""GET /lesson, /api/lesson and /api/presets: the worked example recomputed on request, the presets as data."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.presets import PRESETS
from engine.trainer import Trainer, options

REQUIRED_GROUPS = {"update-rule", "learning-rate", "batch-size", "depth", "optimizers", "capacity", "data-order",
                   "generalisation", "activations", "initialisation"}


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    """HTTP to the real server (uvicorn, the app the CLI serves)."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def test_default_lesson_has_both_deltas_and_the_tutorial_numbers(client):
    body = client.get("/api/lesson").json()
    assert set(body) == {"cross_entropy", "mse"}
    ce, mse = body["cross_entropy"]["values"], body["mse"]["values"]
    assert ce["y_hat"] == pytest.approx(0.751405, abs=5e-7)
    assert ce["delta2"] == pytest.approx(0.741405, abs=5e-7)
    assert ce["loss_after"] == pytest.approx(0.183070, abs=5e-7)
    assert mse["delta2"] == pytest.approx(0.138491, abs=5e-7)
    assert mse["W2_new"] == pytest.approx([0.358835, 0.408710], abs=5e-7)


def test_edited_inputs_are_recomputed(client):
    body = client.get("/api/lesson", params={"w1": "0.15,0.2,0.25,0.3", "x": "1,0", "y": "1", "delta": "mse",
                                             "learning_rate": "0.1"}).json()
    assert body["delta"] == "mse"
    assert body["inputs"]["x"] == [1.0, 0.0] and body["inputs"]["learning_rate"] == 0.1
    assert body["values"]["z1"] == pytest.approx([0.15 + 0.35, 0.20 + 0.35])


@pytest.mark.parametrize("params", [{"w1": "1,2,3"}, {"x": "a,b"}, {"delta": "hinge"}, {"b2": "nan"},
                                    {"learning_rate": "-1"}])
def test_bad_inputs_get_422(client, params):
    assert client.get("/api/lesson", params=params).status_code == 422


def test_presets_are_complete_data(client):
    presets = client.get("/api/presets").json()
    assert [p["id"] for p in presets] == list(PRESETS)
    assert REQUIRED_GROUPS <= {p["group"] for p in presets}
    for p in presets:
        assert p["url"] == f"/#preset={p['id']}"
        assert p["title"] and p["look_at"] and p["try_next"] and p["claim"]
        assert 2 <= p["explanation"].count(". ") + 1 <= 4, p["id"]
        assert "speed" in p["config"] and "learning_rate" in p["config"] and "layers" in p["config"]
        assert set(p["related"]) <= set(PRESETS)
    one = client.get("/api/presets/xor").json()
    assert one["id"] == "xor" and one["config"]["dataset"] == "xor"
    assert client.get("/api/presets/nope").status_code == 404


@pytest.mark.parametrize("preset_id", list(PRESETS))
def test_preset_configs_are_accepted_by_the_trainer(preset_id):
    """Validation keeps every setting of the preset (only the optimizer's hyper-parameters are completed from their
    defaults), builds the network it describes, and a live session switching to it ends with the same config."""
    config = PRESETS[preset_id].config()
    config.pop("speed")
    t = Trainer(config)
    defaults = {name: spec["default"] for name, spec in options()["optimizers"][config["optimizer"]].items()}
    assert t.config == {**config, "optimizer_params": {**defaults, **config["optimizer_params"]}}
    layers = config["layers"]
    activation = config["activation"]
    assert t.network.sizes[0] == len(config["features"]) and t.network.sizes[1:-1] == layers
    assert t.network.activation_names == (activation if isinstance(activation, list) else [activation] * len(layers))
    assert len(t.data.train_points) + len(t.data.test_points) == config["points"]
    live = Trainer({})
    assert live.apply(config) == [] and live.config == t.config


def test_the_real_app_serves_the_lesson_page_and_presets(server):
    page = httpx.get(server.url + "/lesson")
    assert page.status_code == 200 and "lesson" in page.text.lower()
    assert httpx.get(server.url + "/api/presets").status_code == 200
