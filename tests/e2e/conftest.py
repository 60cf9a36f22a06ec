"""Helpers for the playground page tests: open the page and wait until it is live."""

from __future__ import annotations

import pytest

WAIT_MS = 45_000
HEATMAP_SIGNATURE = """() => {
    const c = document.querySelector('#heatmap canvas.grid');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0; for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) | 0; return h; }"""


class Playground:
    """A page on the playground with short, bounded waits on `window.__playground`."""

    def __init__(self, page, url: str) -> None:
        self.page = page
        self.url = url
        page.set_default_timeout(WAIT_MS)

    def open(self, suffix: str = "", frames: int = 1) -> Playground:
        self.page.goto(self.url + "/" + suffix)
        self.wait(f"window.__playground && __playground.connected && __playground.framesReceived >= {frames}")
        return self

    def wait(self, expression: str, arg=None, timeout: int = WAIT_MS):
        return self.page.wait_for_function(expression, arg=arg, timeout=timeout)

    def get(self, expression: str):
        return self.page.evaluate(expression)

    def set(self, control: str, value: str) -> None:
        """Type a value into a control and commit it as a student would (change event)."""
        self.page.fill(f"#{control}", value)
        self.page.dispatch_event(f"#{control}", "change")

    def config(self, key: str):
        return self.get(f"__playground.config[{key!r}]")

    def heatmap_signature(self) -> int:
        """A checksum of the output heatmap's pixels."""
        return self.get(f"({HEATMAP_SIGNATURE})()")

    def wait_heatmap_change(self, signature: int) -> None:
        """Wait until the heatmap's pixels differ from `signature`."""
        self.wait(f"(sig) => ({HEATMAP_SIGNATURE})() !== sig", signature)


@pytest.fixture
def playground(server, page):
    """The page, connected to the session server, with no console errors at the end."""
    pg = Playground(page, server.url)
    yield pg
    assert page.errors == [], page.errors
