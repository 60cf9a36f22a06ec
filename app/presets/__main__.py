"""`python -m app.presets check [--preset ID ...] [--seeds 0-7] [--json] [--jobs N]`: does each preset's claim hold?

Race presets (app.presets.races) are checked with the others: their id starts with `race-`.

For each preset it trains the preset from every seed (data and initial weights both follow the seed) and prints on
how many seeds the claim held, each condition's median value against its threshold, and the smallest margin (how
far inside the threshold the worst seed stayed; below 1 is a miss). `--json` prints one object:
`{"presets": {id: {"held": n, "seeds": n, "values": {label: [value per seed]}, ...}}}`. Exit status 1 if any
preset held on fewer seeds than `--need` (default: all but one of eight, scaled to the number of seeds).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor

from app.presets import PRESETS
from app.presets.races import RACES
from engine.lessons.claims import fmt


def seeds(text: str) -> list[int]:
    """'0-7' → 0..7; '1,5,9' → [1, 5, 9]; '3' → [3]; ranges and lists mix: '0-3,10'."""
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


CHECKED = {**PRESETS, **RACES}


def _one(job: tuple[str, int]) -> tuple[str, int, dict]:
    preset, seed = job
    return preset, seed, CHECKED[preset].check(seed).to_json()


def check(presets: list[str], seed_list: list[int], jobs: int) -> dict:
    work = [(p, s) for p in presets for s in seed_list]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            results = list(pool.map(_one, work, chunksize=1))
    else:
        results = [_one(job) for job in work]
    report: dict = {}
    for preset, seed, verdict in results:
        entry = report.setdefault(preset, {"held": 0, "seeds": 0, "claim": verdict["claim"], "values": {},
                                           "limits": {}, "margins": {}, "missed": []})  # fmt: skip
        entry["seeds"] += 1
        entry["held"] += verdict["held"]
        if not verdict["held"]:
            entry["missed"].append(seed)
        for c in verdict["conditions"]:
            entry["values"].setdefault(c["label"], []).append(c["value"])
            entry["limits"][c["label"]] = f"{c['op']} {fmt(c['limit'])}"
            margin = c["margin"] if c["margin"] is not None else math.nan
            entry["margins"][c["label"]] = min(entry["margins"].get(c["label"], math.inf), margin)
    return {"presets": report}


def _median(values: list) -> float:
    numbers = [v for v in values if v is not None]
    return statistics.median(numbers) if numbers else math.nan


def _finite(x):
    """JSON has no NaN or infinity: such numbers become null."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return None if isinstance(x, float) and not math.isfinite(x) else x


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.presets", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("check", help="check every preset's claim over several seeds")
    cmd.add_argument("--preset", action="append", choices=list(CHECKED), help="only this preset (repeatable)")
    cmd.add_argument("--seeds", default="0-7", type=seeds, help="seeds, e.g. 0-7 or 3,11,12 (default 0-7)")
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    cmd.add_argument("--need", type=int, help="seeds a claim must hold on (default: all but one in eight)")
    args = parser.parse_args(argv)
    report = check(args.preset or list(CHECKED), args.seeds, max(1, args.jobs))
    need = args.need if args.need is not None else len(args.seeds) - len(args.seeds) // 8
    if args.json:
        print(json.dumps(_finite(report), allow_nan=False))
    else:
        for preset, entry in report["presets"].items():
            print(f"{preset:24} held {entry['held']}/{entry['seeds']}"
                  + (f"  missed on seeds {entry['missed']}" if entry["missed"] else ""))
            for label, values in entry["values"].items():
                print(f"    {label}: median {fmt(_median(values))} {entry['limits'][label]}, "
                      f"worst margin {fmt(entry['margins'][label])}")
    return 0 if all(e["held"] >= need for e in report["presets"].values()) else 1


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
