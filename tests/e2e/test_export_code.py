"""Tools' export buttons in Chromium: each downloads the session's run (script, notebook, model) named and shaped
as docs/protocol.md says, and a run that cannot be exported is explained beside the buttons."""

from __future__ import annotations

import json

import numpy as np

from tests.e2e.conftest import Playground


def download(pg: Playground, button: str):
    with pg.page.expect_download() as info:
        pg.page.click(button)
    path = info.value.path()
    return info.value.suggested_filename, open(path, encoding="utf-8").read()


def test_the_export_buttons_download_the_run_as_code(playground):
    pg = playground.open()
    pg.page.click("#step")
    pg.wait("__playground.step >= 1")
    step = pg.get("__playground.step")
    name, script = download(pg, "#export_python")
    assert name == "backprop-run.py"
    assert script.splitlines()[0] == '"""Backprop Playground, the run as code.'
    assert f"exported at step {step}." in script and "\ndef forward(x):" in script and "\ndef backward(" in script
    assert 10_000 < len(script.encode()) < 100_000  # 500 points and a few weights, as source
    compile(script, name, "exec")
    name, text = download(pg, "#export_notebook")
    notebook = json.loads(text)
    assert name == "backprop-run.ipynb" and text.splitlines()[0] == "{" and notebook["nbformat"] == 4
    assert len(text.encode()) > len(script.encode())  # the same program in cells, plus plots and a gradient check
    name, text = download(pg, "#export_model")
    model = json.loads(text)
    assert name == "backprop-model.json" and text.startswith('{"format": "backprop-playground-model"')
    assert model["step"] == step and model["sizes"] == [2, *pg.config("layers"), 1]
    flat = np.concatenate([np.concatenate([np.ravel(w), b]) for w, b in zip(model["W"], model["b"], strict=True)])
    assert flat.tolist() == pg.get("__playground.lastParams")
    pg.wait("document.querySelector('#export-code-result').textContent.includes('backprop-model.json')")


def test_a_run_that_cannot_be_exported_says_why(playground):
    pg = playground.open()
    pg.set("dropout", "0.2")
    pg.wait("__playground.config.dropout === 0.2")
    pg.page.click("#export_python")
    pg.wait("document.querySelector('#export-code-result').textContent.includes('dropout')")
    assert "Could not export" in pg.page.inner_text("#export-code-result")
