"""The claims table of docs/claims.md: every preset's claim × seeds held × OpenBLAS kernel.

    .venv/bin/python bench/claims_table.py --seeds 0-31 > table.md

Runs `python -m app.presets check --json` once per kernel this CPU can run (and once on the CPU's own), each in a
fresh process with OPENBLAS_CORETYPE set (the kernel is chosen when NumPy loads), and prints a Markdown table: per
preset the seeds on which the claim held under each kernel, and the smallest margin of any condition over all runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import blas  # noqa: E402


def check(kernel: str | None, seeds: str, jobs: int) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    env.pop("OPENBLAS_CORETYPE", None)
    if kernel:
        env["OPENBLAS_CORETYPE"] = kernel
    out = subprocess.run([sys.executable, "-m", "app.presets", "check", "--seeds", seeds, "--json", "--jobs",
                          str(jobs)], cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # fmt: skip
    return json.loads(out.stdout)["presets"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-7")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    kernels = [None, *blas.runnable()]
    results = {k: check(k, args.seeds, args.jobs) for k in kernels}
    names = [f"this CPU ({blas.corename() or '?'})" if k is None else k for k in kernels]
    print("| preset | claim | " + " | ".join(names) + " | worst margin |")
    print("|---|---|" + "---|" * len(kernels) + "---|")
    for preset, entry in results[None].items():
        held = [f"{results[k][preset]['held']}/{results[k][preset]['seeds']}" for k in kernels]
        margins = [m for k in kernels for m in results[k][preset]["margins"].values() if m is not None]
        worst = min(margins) if margins else math.inf
        print(f"| `{preset}` | {entry['claim']} | " + " | ".join(held) + f" | {worst:.3g} |")


if __name__ == "__main__":
    main()
