"""Quick loader check: validate-only scan, then a cold model load, in one run (ratios printed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from htptui.model import chrometrace as c
c.LEGACY = sys.argv[2] == "old"
t1 = time.perf_counter()
tr = c.load(sys.argv[1])
t2 = time.perf_counter()
ru = resource.getrusage(resource.RUSAGE_SELF)
ch = resource.getrusage(resource.RUSAGE_CHILDREN)
peaks = c.LAST_LOAD.get("worker_peak_kb") or []
print(json.dumps({"load_s": t2 - t1, "ops": len(tr), "parent_mb": ru.ru_maxrss / 1024,
  "workers_mb": sum(peaks) / 1024 if peaks else ch.ru_maxrss / 1024, "n_peaks": len(peaks),
  "cpu_s": ru.ru_utime + ru.ru_stime + ch.ru_utime + ch.ru_stime,
  "parent_cpu": ru.ru_utime + ru.ru_stime, "parent_sys": ru.ru_stime, "child_sys": ch.ru_stime, "layout": c.LAST_LOAD.get("layout")}))
"""


def main() -> None:
    """Usage: loadcheck.py FILE [new|old] [repeat]."""
    path = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "new"
    rep = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    here = os.path.dirname(os.path.abspath(__file__))
    size = os.path.getsize(path) / 1e6
    env = dict(os.environ, HTPTUI_NO_CACHE="1")
    for _ in range(rep):
        base = json.loads(
            subprocess.run(
                [sys.executable, os.path.join(here, "baseline_scan.py"), path],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        r = subprocess.run(
            [sys.executable, "-c", CHILD, path, mode],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if r.returncode:
            print(r.stderr)
            return
        d = json.loads(r.stdout)
        print(
            f"{mode} {size:.0f} MB load {d['load_s']:.2f}s ({size / d['load_s']:.0f} MB/s) "
            f"cpu {d['cpu_s']:.2f}s (parent {d['parent_cpu']:.2f}, sys {d['parent_sys']:.2f}+{d['child_sys']:.2f}) | scan {base['scan_s']:.2f}s read+scan {base['total_s']:.2f}s "
            f"ratio load/scan {d['load_s'] / base['scan_s']:.1f}x | RSS parent {d['parent_mb']:.0f} "
            f"+ workers {d['workers_mb']:.0f} ({d['n_peaks']}) = "
            f"{(d['parent_mb'] + d['workers_mb']) / size:.2f}x file | {d['layout']}"
        )


if __name__ == "__main__":
    main()
