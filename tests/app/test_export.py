"""`export_code` over real uvicorn: the session's own run as a script, a notebook or a model, and refusals that name
the field and keep the session going."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.export import FORMATS
from tests.app.test_protocol import Client
from tests.engine.test_export import ATOL, RTOL, run_scripts

pytestmark = pytest.mark.timeout(120)


def test_the_session_run_exported_as_a_script_lands_on_the_frame_weights(server, tmp_path):
    with Client(server.ws_url) as c:
        c.send(type="config", points=100, layers=[4, 2], optimizer="adam", learning_rate=0.01, id="set")
        c.wait(lambda m: m.get("id") == "set")
        c.send(type="step", n=25)
        trained = c.frame(lambda f: f["step"] == 25)
        c.send(type="export_code", format="python", id=7)
        answer = c.json("export")
        assert (answer["id"], answer["format"], answer["step"]) == (7, "python", 25)
        assert answer["filename"] == "backprop-run.py"
        script = tmp_path / answer["filename"]
        script.write_text(answer["text"])
        (result,) = run_scripts([(script, 25)])
        assert np.float32(result["playground"]).tobytes() == trained["params"].tobytes()  # embedded bit for bit
        np.testing.assert_allclose(np.float32(result["end"]), trained["params"], rtol=RTOL, atol=ATOL)
        printed = subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True, check=True,
                                 timeout=60).stdout  # fmt: skip
        gap = float(re.search(r"largest difference from the playground's weights: (\S+)", printed).group(1))
        assert gap <= ATOL + RTOL * float(np.abs(trained["params"]).max())
        assert "step     25" in printed and "test accuracy" in printed


def test_notebook_and_model_formats_and_an_unknown_one(server):
    with Client(server.ws_url) as c:
        c.send(type="config", dropout=[0.2, 0.1], id="d")  # dropout is exported too, with its mask stream
        c.wait(lambda m: m.get("id") == "d")
        c.send(type="export_code", format="notebook", id="nb")
        notebook = json.loads(c.json("export")["text"])
        assert notebook["nbformat"] == 4 and any(cell["cell_type"] == "code" for cell in notebook["cells"])
        c.send(type="export_code", format="model")
        model = json.loads(c.json("export")["text"])
        assert model["format"] == "backprop-playground-model" and model["sizes"] == [2, 4, 2, 1]
        c.send(type="export_code", format="pdf", id="bad")
        error = c.json("error")
        assert (error["code"], error["field"], error["id"]) == ("invalid", "format", "bad")
        assert all(name in error["message"] for name in ("python", "notebook", "model"))
        c.send(type="ping", id="alive")
        assert c.json("pong")["id"] == "alive"


def test_the_protocol_doc_names_every_export_format_and_file():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    (request,) = [line for line in doc.splitlines() if line.startswith("| `export_code` |")]
    (answer,) = [line for line in doc.splitlines() if line.startswith("| `export` |")]
    for fmt, filename in FORMATS.items():
        assert f'`"{fmt}"`' in request and f"`{filename}`" in answer
