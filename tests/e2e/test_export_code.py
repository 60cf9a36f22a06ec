"""Tools' export buttons in Chromium: each downloads the session's run (script, notebook, model) named and shaped
as docs/protocol.md says, and a refused request is explained beside the buttons."""

from __future__ import annotations

import json

import numpy as np

from tests.e2e.conftest import Playground


def download(pg: Playground, button: str):
    with pg.page.expect_download() as info:
        pg.page.click(button)
    path = info.value.path()
    return info.value.suggested_filename, open(path, encoding="utf-8").read()


def test_the_export_buttons_download_the_run_as_code(playground, artifacts):
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
    pg.page.locator("[data-name='export-code']").screenshot(path=str(artifacts / "export-code.png"))


def test_a_refused_export_is_explained_beside_the_buttons(playground):
    pg = playground.open()
    pg.get("__playground.send({type: 'export_code', format: 'pdf', id: 'export-code-99'})")
    pg.wait("document.querySelector('#export-code-result').textContent.includes('Could not export')")
    assert "python" in pg.page.inner_text("#export-code-result")
