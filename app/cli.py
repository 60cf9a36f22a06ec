"""`playground` / `python -m app`: start uvicorn with the playground app."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import uvicorn
from pydantic import ValidationError

from app.settings import Settings
from app.slots import SLOTS_DB_ENV, prepare


def load_settings() -> Settings:
    """The settings from the environment; a bad one stops the start with one line per problem (no traceback)."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = [f"PLAYGROUND_{str(e['loc'][0]).upper() if e['loc'] else '?'}: "
                 + e["msg"].removeprefix("Value error, ") for e in exc.errors(include_url=False)]
        raise SystemExit("playground: a setting is not valid\n  " + "\n  ".join(lines)) from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; each defaults to its PLAYGROUND_* environment setting."""
    settings = load_settings()
    parser = argparse.ArgumentParser(
        prog="playground",
        description="Serve Backprop Playground: an interactive neural-network playground in the browser. "
        "Every option (and every setting in README) can also be set as an environment variable PLAYGROUND_*.",
    )
    parser.add_argument("--host", default=settings.host, help="address to bind (PLAYGROUND_HOST, default %(default)s)")
    parser.add_argument("--port", type=int, default=settings.port,
                        help="TCP port to bind (PLAYGROUND_PORT, default %(default)s)")
    parser.add_argument("--workers", type=int, default=settings.workers,
                        help="uvicorn worker processes (PLAYGROUND_WORKERS, default %(default)s)")
    parser.add_argument("--reload", action="store_true", default=settings.reload,
                        help="restart when the source changes; development only (PLAYGROUND_RELOAD)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Parse options, export them for worker processes, and run uvicorn."""
    args = parse_args(argv)
    # Sessions already run on a pool of threads in every worker process; OpenBLAS's own threads on top of those
    # double-book the cores (one session's tiny products used ~2 cores, a config on a big network 12x longer).
    # Set before NumPy is first imported (by uvicorn loading the app, here or in a worker): it is read at load.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ["PLAYGROUND_HOST"] = args.host
    os.environ["PLAYGROUND_PORT"] = str(args.port)
    os.environ["PLAYGROUND_WORKERS"] = str(args.workers)
    settings = load_settings()
    options = uvicorn_options(settings, reload=args.reload)
    if not options["workers"] or options["workers"] < 2:
        uvicorn.run("app.main:create_app", **options)
        return
    # Several worker processes: the session caps and /healthz count the whole server's sessions through one slots
    # database (app.slots) that this process creates before any worker starts, and removes after the last has ended.
    directory = Path(tempfile.mkdtemp(prefix="playground-slots-"))
    try:
        os.environ[SLOTS_DB_ENV] = str(prepare(directory))
        uvicorn.run("app.main:create_app", **options)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def uvicorn_options(settings: Settings, *, reload: bool = False) -> dict:
    """The uvicorn keyword arguments the CLI and the tests share."""
    return {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "workers": None if reload else settings.workers,
        "reload": reload,
        "log_level": settings.log_level,
        "proxy_headers": settings.proxy_headers,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "ws": "app.http.wsprotocol:PlaygroundWebSocketProtocol",
        "ws_per_message_deflate": False,
        "timeout_graceful_shutdown": settings.shutdown_grace,
        "ws_max_size": settings.max_message_bytes,
    }
