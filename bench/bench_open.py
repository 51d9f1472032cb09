"""End-to-end benchmark: the real CLI and app on big traces, each figure beside a baseline.

Not a test. For every trace it measures, in one run:

* the baseline: msgspec's validate-only scan of the same file (``decode(buf, type=msgspec.Raw)``,
  one core, file already in the page cache), in a fresh process;
* the model: ``chrometrace.load`` cold (column cache off) in a fresh process: wall, CPU, and peak
  RSS of parent + decode workers together (the process tree's summed RSS sampled every 10 ms from
  /proc, and the sum of each process's own peak as an upper bound);
* the app: ``htptui FILE`` launched in a detached tmux pane (160x50), its screen polled with
  ``tmux capture-pane`` every 25 ms: first useful paint (the progressive header and lanes, or the
  full header) and panes filled (the full header), cold (empty cache dir) and cached (second launch,
  once the first has finished writing its cache);
* start-up: ``htptui --version`` and ``htptui report`` on the small real sample.

Every time is printed with its ratio to the same run's validate-only scan.
Usage: python bench/bench_open.py [--traces DIR ...] [--skip-app]
Traces: python bench/make_traces.py --out /work/bigtraces-14 --counter-heavy
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HTPTUI = str(Path(sys.executable).with_name("htptui"))

MODEL_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from htptui.model import chrometrace as c
c.LEGACY = len(sys.argv) > 2 and sys.argv[2] == "legacy"
t1 = time.perf_counter()
tr = c.load(sys.argv[1])
t2 = time.perf_counter()
ru = resource.getrusage(resource.RUSAGE_SELF)
ch = resource.getrusage(resource.RUSAGE_CHILDREN)
peaks = c.LAST_LOAD.get("worker_peak_kb") or []
print(json.dumps({"load_s": t2 - t1, "ops": len(tr), "events": tr.total_events,
  "parent_peak_mb": ru.ru_maxrss * 1024 / 1e6, "worker_peaks_mb": [p * 1024 / 1e6 for p in peaks],
  "cpu_s": ru.ru_utime + ru.ru_stime + ch.ru_utime + ch.ru_stime, "layout": c.LAST_LOAD.get("layout")}))
"""


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants, read from /proc."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _tree_mem_kb(root: int, pss: bool) -> tuple[int, int]:
    """Summed RSS and (when ``pss``) summed PSS of ``root``'s process tree, in KiB.

    RSS counts a page shared by several processes (forked workers share the parent's interpreter,
    numpy and msgspec) once in every process; PSS charges each process its share, so the sum of PSS
    is what the tree really holds (/proc/PID/smaps_rollup).
    """
    rss = pss_kb = 0
    for p in _tree(root):
        try:
            with open(f"/proc/{p}/statm") as fh:
                rss += int(fh.read().split()[1]) * _PAGE_KB
            if pss:
                with open(f"/proc/{p}/smaps_rollup") as fh:
                    for line in fh:
                        if line.startswith("Pss:"):
                            pss_kb += int(line.split()[1])
                            break
        except (OSError, ValueError, IndexError):
            continue
    return rss, pss_kb


class TreeSampler:
    """Sample a process tree's summed RSS every ``every`` s and its summed PSS every other sample;
    ``stop`` returns both peaks in MB (10**6 bytes, the unit of the file sizes)."""

    def __init__(self, root: int, every: float = 0.01) -> None:
        self.root, self.every, self.peak_kb, self.peak_pss_kb = root, every, 0, 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        k = 0
        while not self._stop.is_set():
            rss, pss = _tree_mem_kb(self.root, pss=k % 2 == 0)
            self.peak_kb = max(self.peak_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            k += 1
            time.sleep(self.every)

    def stop(self) -> tuple[float, float]:
        """Stop sampling; the peak RSS and peak PSS of the tree in MB."""
        self._stop.set()
        self._t.join()
        return self.peak_kb * 1024 / 1e6, self.peak_pss_kb * 1024 / 1e6


def baseline(path: Path) -> dict[str, float]:
    """The validate-only scan, in a fresh process."""
    out = subprocess.run([sys.executable, str(HERE / "baseline_scan.py"), str(path)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return json.loads(out)


def model_cold(path: Path, legacy: bool = False) -> dict[str, object]:
    """``chrometrace.load`` with the cache off, in a fresh process, with the tree's RSS sampled."""
    env = dict(os.environ, HTPTUI_NO_CACHE="1")
    args = [sys.executable, "-c", MODEL_CHILD, str(path), "legacy" if legacy else "lean"]
    proc = subprocess.Popen(args, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    sampler = TreeSampler(proc.pid)
    out, err = proc.communicate()
    tree_peak, tree_pss = sampler.stop()
    if proc.returncode:
        raise RuntimeError(err)
    d = json.loads(out)
    d["tree_peak_mb"] = tree_peak
    d["tree_pss_mb"] = tree_pss
    d["sum_of_peaks_mb"] = d["parent_peak_mb"] + sum(d["worker_peaks_mb"])
    return d


def _screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                          text=True, check=False).stdout  # fmt: skip


def _cache_settled(cache_home: str, limit: float = 30.0) -> float:
    """Wait until nothing under ``cache_home`` is being written (no temporary names, sizes steady
    for 0.3 s), at most ``limit`` s; the seconds waited."""
    t0 = time.perf_counter()
    last, steady = None, 0
    while time.perf_counter() - t0 < limit:
        state = []
        for root, dirs, files in os.walk(cache_home):
            for name in dirs + files:
                state.append(
                    (os.path.join(root, name), name.startswith(".tmp") or name.endswith(".tmp"))
                )
        sizes = []
        for p, _tmp in state:
            try:
                sizes.append((p, os.path.getsize(p)))
            except OSError:
                sizes.append((p, -1))
        busy = any(tmp for _p, tmp in state)
        steady = steady + 1 if (sizes == last and not busy) else 0
        if steady >= 6:
            break
        last = sizes
        time.sleep(0.05)
    return time.perf_counter() - t0


def app_open(
    path: Path,
    cache_home: str,
    timeout: float = 120.0,
    pythonpath: str | None = None,
    settle: bool = False,
) -> dict[str, float | None]:
    """Launch ``htptui PATH`` in tmux; seconds to first useful paint and to panes filled.

    ``pythonpath`` runs another source tree's htptui (bench/ab_open.py). With ``settle`` the app
    is left running until its cache writes are done (a cold open before a cached one: a user
    reopens after a session, not 0.1 s after the panes appear).
    """
    session = f"bench{os.getpid()}"
    env = f"XDG_CACHE_HOME={cache_home} TEXTUAL_ANIMATIONS=none"
    if pythonpath:
        env += f" PYTHONPATH={pythonpath}"
    cmd = f"env {env} {HTPTUI} {path}; sleep 30"
    for attempt in range(5):
        # a tmux server whose last session was just killed may still be exiting: then the new
        # session fails at once ("server exited unexpectedly") and is simply started again
        t0 = time.perf_counter()
        started = subprocess.run(
            ["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "50", cmd],
            capture_output=True, text=True,
        )  # fmt: skip
        if started.returncode == 0:
            break
        if attempt == 4:
            raise RuntimeError(f"tmux new-session failed: {started.stderr.strip()}")
        time.sleep(1.0)
    first = filled = None
    try:
        while time.perf_counter() - t0 < timeout:
            text = _screen(session)
            now = time.perf_counter() - t0
            partial = "ops so far" in text and ("HMX" in text or "HVX" in text)
            full = " wall " in text and " ops" in text and "ops so far" not in text
            if first is None and (partial or full):
                first = now
            if full:
                filled = now
                break
            time.sleep(0.025)
        if settle:
            _cache_settled(cache_home)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    return {"first_paint_s": first, "panes_s": filled}


def startup() -> dict[str, float]:
    """``htptui --version`` and ``htptui report`` on the real sample (best of 3)."""
    out = {}
    for name, args in (("version_s", ["--version"]),
                       ("report_s", ["report", str(ROOT / "sample_data" / "chain8_matmul")])):  # fmt: skip
        best = 1e9
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([HTPTUI, *args], capture_output=True, check=True)
            best = min(best, time.perf_counter() - t)
        out[name] = best
    return out


def precompile() -> None:
    """Write htptui's bytecode first, as ``pip install`` does: with PYTHONDONTWRITEBYTECODE set
    (this VM sets it) an editable install would compile every module it imports on every
    launch, tens of ms no user's install pays."""
    import compileall

    compileall.compile_dir(str(ROOT / "src" / "htptui"), quiet=1)


def main() -> None:
    """Run everything and print one table."""
    ap = argparse.ArgumentParser(description=__doc__)
    default = [Path("/work/bigtraces-14") / n for n in
               ("1000000", "1000000-counters", "3000000", "3000000-counters")]  # fmt: skip
    ap.add_argument("--traces", type=Path, nargs="+", default=default)
    ap.add_argument("--skip-app", action="store_true")
    ap.add_argument("--legacy", action="store_true", help="also time the previous loader (LEGACY)")
    ns = ap.parse_args()
    precompile()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    s = startup()
    print(f"start-up: htptui --version {s['version_s']:.3f} s; htptui report (real sample) "
          f"{s['report_s']:.3f} s")  # fmt: skip
    rows = []
    for d in ns.traces:
        path = d / "chrometrace.json" if d.is_dir() else d
        mb = path.stat().st_size / 1e6
        subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # page cache
        b = baseline(path)
        m = model_cold(path)
        row = {"trace": path.parent.name, "mb": mb, "events": m["events"], "scan_s": b["scan_s"],
               "scan_cpu_s": b["scan_cpu_s"], "model_s": m["load_s"], "cpu_s": m["cpu_s"],
               "tree_mb": m["tree_peak_mb"], "pss_mb": m["tree_pss_mb"], "sum_mb": m["sum_of_peaks_mb"],
               "layout": m["layout"]}  # fmt: skip
        if ns.legacy:
            old = model_cold(path, legacy=True)
            row.update(legacy_s=old["load_s"], legacy_cpu_s=old["cpu_s"],
                       legacy_tree_mb=old["tree_peak_mb"])  # fmt: skip
        if not ns.skip_app:
            cache_home = tempfile.mkdtemp(prefix="htptui-bench-")
            try:
                cold = app_open(path, cache_home, settle=True)
                cached = app_open(path, cache_home)
            finally:
                shutil.rmtree(cache_home, ignore_errors=True)
            row.update(cold_first=cold["first_paint_s"], cold_panes=cold["panes_s"],
                       cached_first=cached["first_paint_s"], cached_panes=cached["panes_s"])  # fmt: skip
        row["load_avg_1m"] = os.getloadavg()[0]
        rows.append(row)
        print(json.dumps(row), flush=True)

    def fmt(v: float | None, scan: float) -> str:
        return "     -" if v is None else f"{v:5.2f} s ({v / scan:4.1f}x)"

    print()
    print(f"{'trace':>17} {'MB':>6} {'scan s':>6} {'model cold':>16} {'MB/s':>5} "
          f"{'CPU s (x scan)':>15} {'PSS/file':>8} {'RSS/file':>8} {'app cold 1st':>16} {'app cold panes':>16} "
          f"{'cached panes':>16} {'load':>5} {'previous loader':>22}")  # fmt: skip
    for r in rows:
        cpu = f"{r['cpu_s']:5.2f} ({r['cpu_s'] / r['scan_cpu_s']:4.1f}x)"
        prev = ""
        if "legacy_s" in r:
            prev = (f"{r['legacy_s']:5.2f} s cpu {r['legacy_cpu_s']:5.2f} "
                    f"rss {r['legacy_tree_mb'] / r['mb']:.2f}")  # fmt: skip
        print(f"{r['trace']:>17} {r['mb']:6.0f} {r['scan_s']:6.2f} "
              f"{fmt(r['model_s'], r['scan_s']):>16} {r['mb'] / r['model_s']:5.0f} {cpu:>15} "
              f"{r['pss_mb'] / r['mb']:8.2f} {r['tree_mb'] / r['mb']:8.2f} "
              f"{fmt(r.get('cold_first'), r['scan_s']):>16} {fmt(r.get('cold_panes'), r['scan_s']):>16} "
              f"{fmt(r.get('cached_panes'), r['scan_s']):>16} {r['load_avg_1m']:5.2f} {prev:>22}")  # fmt: skip
    print(
        "ratios are to the same run's msgspec validate-only scan of the same file; PSS/file and "
        "RSS/file are the sampled peaks of parent + workers together (summed PSS: each shared page "
        "charged once; summed RSS: a page shared by forked workers counted in each), over the "
        "file's size; load is the 1-minute load average after the row"
    )


if __name__ == "__main__":
    main()
