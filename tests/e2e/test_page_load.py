"""The page in real headless Chromium."""

from __future__ import annotations


def test_page_loads_without_console_errors(server, page):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server.url + "/")
    page.wait_for_function("window.__playground !== undefined")
    assert page.title() == "Backprop Playground"
    assert page.errors == []
    assert all(url.startswith(server.url) or url.startswith("data:") for url in requests), requests
