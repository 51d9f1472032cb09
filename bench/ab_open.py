"""Interleaved A/B of bench_open figures: another source tree (e.g. a `git archive main`) vs this one.

Usage: python bench/ab_open.py ROUNDS app|noapp TRACE_DIR ... with MAIN below pointing at the other
tree's src/ (it is put on PYTHONPATH of every child, the tmux app included). Used for
bench/results-load-14.txt part 2 when the shared VM was too busy for absolute figures.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_open as b

MAIN = os.environ.get("AB_OTHER_SRC", "/tmp/h14/main_src/src")


def with_src(src):
    if src:
        os.environ["PYTHONPATH"] = src
    else:
        os.environ.pop("PYTHONPATH", None)


def app(path, cache_home, src):
    session = f"ab{os.getpid()}"
    env = f"XDG_CACHE_HOME={cache_home} TEXTUAL_ANIMATIONS=none" + (
        f" PYTHONPATH={src}" if src else ""
    )
    cmd = f"env {env} {b.HTPTUI} {path}; sleep 30"
    t0 = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "50", cmd], check=True
    )
    first = filled = None
    try:
        while time.perf_counter() - t0 < 120:
            text = b._screen(session)
            now = time.perf_counter() - t0
            partial = "ops so far" in text and ("HMX" in text or "HVX" in text)
            full = " wall " in text and " ops" in text and "ops so far" not in text
            if first is None and (partial or full):
                first = now
            if full:
                filled = now
                break
            time.sleep(0.025)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    return first, filled


rounds = int(sys.argv[1])
do_app = sys.argv[2] == "app"
traces = sys.argv[3:]
for d in traces:
    path = d + "/chrometrace.json"
    mb = os.path.getsize(path) / 1e6
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)
    for r in range(rounds):
        for name, src in (("main", MAIN), ("branch", None)):
            with_src(src)
            bs = b.baseline(path)
            m = b.model_cold(path)
            row = dict(
                trace=os.path.basename(d),
                variant=name,
                round=r,
                mb=mb,
                scan_s=bs["scan_s"],
                model_s=m["load_s"],
                cpu_s=m["cpu_s"],
                pss_x=m["tree_pss_mb"] / mb,
                rss_x=m["tree_peak_mb"] / mb,
                load=os.getloadavg()[0],
            )
            if do_app:
                ch = tempfile.mkdtemp(prefix="htptui-ab-")
                try:
                    row["cold_first"], row["cold_panes"] = app(path, ch, src)
                    row["cached_first"], row["cached_panes"] = app(path, ch, src)
                finally:
                    shutil.rmtree(ch, ignore_errors=True)
            print(json.dumps(row), flush=True)
with_src(None)
