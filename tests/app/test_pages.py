"""HTTP pages over real uvicorn."""

from __future__ import annotations

import re

import httpx

from app import __version__


def test_healthz(server):
    r = httpx.get(server.url + "/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["capacity"] >= 1


def test_index_loads_main_module_and_nothing_remote(server):
    r = httpx.get(server.url + "/")
    assert r.status_code == 200
    assert '<script type="module" src="/static/js/main.js">' in r.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", r.text)


def test_static_served(server):
    assert httpx.get(server.url + "/static/js/main.js").status_code == 200
