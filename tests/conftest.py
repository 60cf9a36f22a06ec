"""Shared fixtures: real uvicorn on 127.0.0.1 and a free port; headless Chromium through Playwright."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from app.cli import uvicorn_options
from app.main import create_app
from app.settings import Settings

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    """A uvicorn server running the real app in a background thread."""

    url: str
    ws_url: str
    app: object
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_server(port: int | None = None, **overrides) -> RunningServer:
    """Start the app factory the CLI uses, under real uvicorn, and wait until it accepts connections."""
    settings = Settings(host="127.0.0.1", port=port or free_port(), log_level="warning", **overrides)
    app = create_app(settings)
    options = uvicorn_options(settings)
    for key in ("factory", "workers", "reload"):
        options.pop(key)
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    base = f"127.0.0.1:{settings.port}"
    return RunningServer(f"http://{base}", f"ws://{base}/ws", app, server, thread)


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    """One real server for the whole test session."""
    running = start_server()
    yield running
    running.stop()


@pytest.fixture
def make_server() -> Iterator[Callable[..., RunningServer]]:
    """Start extra servers with other settings; each is stopped after the test."""
    started: list[RunningServer] = []

    def make(**overrides) -> RunningServer:
        running = start_server(**overrides)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


FUNCTION = re.compile(r"^\s*(async\s+)?(function\b|\([^()]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)")


def _under_csp(wait_for_function):
    """Playwright polls a bare expression with eval(), which the pages' Content-Security-Policy forbids (no
    'unsafe-eval'); as an arrow function it is compiled over the DevTools protocol instead, which CSP does not govern.
    So every test runs the pages under their real policy, and a violation still fails it (a console error)."""

    def wait(self, expression, *args, **kwargs):
        if isinstance(expression, str) and not FUNCTION.match(expression):
            expression = f"() => ({expression})"
        return wait_for_function(self, expression, *args, **kwargs)

    return wait


def _wait_under_csp() -> None:
    from playwright.sync_api import Frame, Page

    for cls in (Page, Frame):
        if not getattr(cls.wait_for_function, "under_csp", False):
            cls.wait_for_function = _under_csp(cls.wait_for_function)
            cls.wait_for_function.under_csp = True


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium: Debian's (or $CHROMIUM); Playwright's own only if tests/browser_check.py installed it."""
    from playwright.sync_api import sync_playwright

    _wait_under_csp()
    path = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
    with sync_playwright() as p:
        kwargs = {"executable_path": path} if os.path.exists(path) else {}
        browser = p.chromium.launch(headless=True, args=CHROMIUM_ARGS, **kwargs)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page; console errors and page errors are collected in page.errors and fail the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots and other test artefacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_report_header() -> str:
    """Which OpenBLAS kernel this run's float32 arithmetic comes from (OPENBLAS_CORETYPE forces one)."""
    from tests import blas

    forced = os.environ.get("OPENBLAS_CORETYPE")
    return f"OpenBLAS kernel: {blas.corename() or 'unknown'}" + (f" (forced: {forced})" if forced else "")
