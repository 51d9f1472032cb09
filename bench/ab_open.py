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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_open as b

MAIN = os.environ.get("AB_OTHER_SRC", "/tmp/h14/main_src/src")


def with_src(src):
    if src:
        os.environ["PYTHONPATH"] = src
    else:
        os.environ.pop("PYTHONPATH", None)


def app(path, cache_home, src, settle=False):
    r = b.app_open(path, cache_home, pythonpath=src, settle=settle)
    return r["first_paint_s"], r["panes_s"]


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
                    row["cold_first"], row["cold_panes"] = app(path, ch, src, settle=True)
                    row["cached_first"], row["cached_panes"] = app(path, ch, src)
                finally:
                    shutil.rmtree(ch, ignore_errors=True)
            print(json.dumps(row), flush=True)
with_src(None)
