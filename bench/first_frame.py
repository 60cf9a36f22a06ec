"""How long after navigation the playground draws its first frame, on loopback: the median of 10 loads.

    .venv/bin/python bench/first_frame.py                 # starts its own server process on a free port
    .venv/bin/python bench/first_frame.py --url http://127.0.0.1:8000 --loads 20 --json

Each load is a fresh browser context (nothing cached) in headless Chromium (Debian's, or $CHROMIUM), as the tests
run it. The page marks `first-frame` (performance.mark) when it has drawn its first frame; the times are from the
navigation's start: the HTML's last byte, DOMContentLoaded, the load event and the first frame. The aim is a median
first frame of at most 500 ms. Figures, not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stream import serving  # noqa: E402
from tests.conftest import CHROMIUM_ARGS  # noqa: E402

AIM_MS = 500.0
TIMES = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const mark = performance.getEntriesByName('first-frame')[0];
    return mark && {html: nav.responseEnd, dom_content_loaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                    first_frame: mark.startTime};
}"""


def measure(url: str, loads: int) -> list[dict]:
    """The page's timings (ms after navigation start) over `loads` cold loads."""
    from playwright.sync_api import sync_playwright

    path = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
    runs = []
    with sync_playwright() as p:
        kwargs = {"executable_path": path} if os.path.exists(path) else {}
        browser = p.chromium.launch(headless=True, args=CHROMIUM_ARGS, **kwargs)
        for _ in range(loads + 1):  # the first load warms the server's process (imports, first session) and is dropped
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(url + "/")
            deadline = time.monotonic() + 30
            times = None
            while times is None and time.monotonic() < deadline:
                times = page.evaluate(TIMES)
                if times is None:
                    page.wait_for_timeout(20)
            if times is None:
                raise RuntimeError("no frame was drawn within 30 s")
            runs.append(times)
            context.close()
        browser.close()
    return runs[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with serving(args.url, path="") as url:
        runs = measure(url, args.loads)
    keys = list(runs[0])
    summary = {k: {"median": statistics.median(r[k] for r in runs), "min": min(r[k] for r in runs),
                   "max": max(r[k] for r in runs)} for k in keys}
    if args.json:
        print(json.dumps({"loads": len(runs), "aim_ms": AIM_MS, "ms": summary, "runs": runs}))
        return
    print(f"{len(runs)} cold loads of {url}/ (ms after navigation start: median, min–max)")
    for k in keys:
        s = summary[k]
        print(f"  {k:20s} {s['median']:7.0f}   {s['min']:.0f}–{s['max']:.0f}")
    verdict = "within" if summary["first_frame"]["median"] <= AIM_MS else "above"
    print(f"first frame median {summary['first_frame']['median']:.0f} ms: {verdict} the aim of {AIM_MS:.0f} ms")


if __name__ == "__main__":
    main()
