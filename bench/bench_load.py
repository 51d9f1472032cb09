"""Benchmark: load time and peak RSS of the optrace model on big generated traces.

Not a test. Each load runs in a fresh subprocess so peak RSS is the load's own. "cold" decodes
the JSON (column cache disabled); "cached" reloads the memory-mapped columns of the user cache.
Usage: python bench/bench_load.py [--events 1000000 3000000] [--out bench/out]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
from htptui.model.run import load_run
from htptui.analysis import summary, ranking
t1 = time.perf_counter()
opt = load_run(sys.argv[1])
t2 = time.perf_counter()
cs = summary.core_summary(opt.trace, 0)
t3 = time.perf_counter()
r = ranking.rank(opt.trace, "instance")
t4 = time.perf_counter()
print(json.dumps({
    "import_s": t1 - t0, "load_s": t2 - t1, "summary_s": t3 - t2, "rank_instances_s": t4 - t3,
    "executed_ops": len(opt.trace), "events": opt.trace.total_events, "wall": cs.wall,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "workers_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def ensure_trace(out: Path, events: int) -> Path:
    """Generate a big trace with htptui.synth unless it is already there."""
    label = f"big_{events // 1_000_000}m" if events % 1_000_000 == 0 else f"big_{events}"
    path = out / label / "chrometrace.json"
    if not path.exists():
        from htptui.synth import write_big_trace

        path.parent.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        write_big_trace(path, events)
        print(f"generated {path} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


def main() -> None:
    """Run the benchmark and print a table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, nargs="+", default=[1_000_000, 3_000_000])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    print(
        f"{'events':>10} {'file MB':>8} {'mode':>7} {'exec ops':>9} {'load s':>7} {'summary s':>9} "
        f"{'rank s':>7} {'peak RSS MB':>11} {'worker RSS MB':>13}"
    )
    for n in args.events:
        path = ensure_trace(args.out, n)
        size = path.stat().st_size / 1e6
        for mode in ("cold", "cached"):
            env = dict(os.environ, HTPTUI_NO_CACHE="1" if mode == "cold" else "0")
            if mode == "cached":  # one uncounted load fills the cache
                subprocess.run(
                    [sys.executable, "-c", CHILD, str(path)],
                    capture_output=True,
                    env=env,
                    check=False,
                )
            for _ in range(args.repeat):
                res = subprocess.run(
                    [sys.executable, "-c", CHILD, str(path)],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=False,
                )
                if res.returncode != 0:
                    print(res.stderr, file=sys.stderr)
                    continue
                d = json.loads(res.stdout)
                print(
                    f"{d['events']:>10,} {size:>8.0f} {mode:>7} {d['executed_ops']:>9,} {d['load_s']:>7.2f} "
                    f"{d['summary_s']:>9.3f} {d['rank_instances_s']:>7.3f} {d['peak_rss_mb']:>11.0f} "
                    f"{d['workers_peak_rss_mb']:>13.0f}"
                )


if __name__ == "__main__":
    main()
