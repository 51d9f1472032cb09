"""Benchmark the real ``htptui`` app (not bare widgets) on big synthetic traces.

Drives :class:`htptui.tui.app.HtpApp` headless through Textual's Pilot at a real terminal size and times
from the key reaching the driver to the frame that follows all the work the key caused (handlers,
workers, repaint of every linked pane). A frame is "written" when the compositor hands the app a
rendered update (``App._display``); headless drivers drop the bytes, nothing else is skipped.

Each measure sits beside a baseline measured in the same run: a validate-only msgspec scan of the
same file (the machine is shared, so absolute times drift; the ratio does not).

Usage::

    python bench/make_traces.py                  # bench/out/1000000, bench/out/3000000
    python bench/bench_app.py [--sizes 1000000,3000000] [--repeats 30]

Every scenario runs in a fresh subprocess; "cold" uses an empty column cache, "cached" reuses it.

The structure level (issue 11) on the LLM-shaped trace::

    python bench/make_traces.py --shape llm --events 1000000 --out /work/bigtraces-14
    python bench/bench_app.py --structure /work/bigtraces-14/llm-1000000 [--repeats 30]

times the structure ranking's computation, the level switch onto it, expanding/collapsing a node
and selecting folded nodes (every linked pane repainted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIZE = (200, 60)
TARGETS_MS = {  # issue 10's targets at 1M events
    "linked repaint (ranking j) p95": 50,
    "zoom p95": 50,
    "pan p95": 50,
    "filter applied": 200,
    "panes filled after model loaded": 1000,
    "report analysis beyond load": 1000,
}


def trace_dir(n_events: int) -> Path:
    """``bench/out/<n>`` as written by make_traces.py (generated if missing)."""
    d = HERE / "out" / str(n_events)
    if not (d / "chrometrace.json").exists():
        from htptui.synth import write_big_trace

        print(f"generating {d / 'chrometrace.json'} ...", file=sys.stderr, flush=True)
        write_big_trace(d / "chrometrace.json", n_events)
    return d


def baseline_scan_s(path: Path) -> float:
    """Seconds for msgspec to validate the file without building anything (noise reference)."""
    import msgspec

    class _Skip(msgspec.Struct):
        pass

    data = path.read_bytes()
    t = time.perf_counter()
    msgspec.json.decode(data, type=_Skip)
    return time.perf_counter() - t


# ------------------------------------------------------------------------------ in the subprocess


class _Clock:
    """Timestamps of rendered frames and of the model load."""

    def __init__(self) -> None:
        self.frames: list[float] = []
        self.model_loaded: float | None = None
        self.panes_shown: float | None = None

    def first_frame_after(self, t: float) -> float | None:
        after = [f for f in self.frames if f >= t]
        return after[0] if after else None

    def last_frame_after(self, t: float) -> float | None:
        after = [f for f in self.frames if f >= t]
        return after[-1] if after else None


async def _settle(app: Any, pilot: Any, ignore: tuple[str, ...] = ()) -> None:
    """Wait until no worker runs (but those of ``ignore`` groups) and every message queue is empty,
    then one frame more."""
    for _ in range(2000):
        await pilot.pause()
        busy = [w for w in app.workers if w.is_running and w.group not in ignore]
        if not busy:
            break
        await asyncio.sleep(0.005)
    await pilot.pause()
    await asyncio.sleep(0.02)  # the screen's update timer (60 fps) fires the last frame
    await pilot.pause()


PROFILE_KEYS = set(filter(None, os.environ.get("HTPTUI_BENCH_PROFILE", "").split(",")))
PROFILES: dict[str, Any] = {}


async def _timed_key(
    app: Any, pilot: Any, clock: _Clock, key: str, ignore: tuple[str, ...] = ()
) -> float:
    prof = None
    if key in PROFILE_KEYS:  # HTPTUI_BENCH_PROFILE=j,enter: cProfile those keys (UI thread)
        import cProfile

        prof = PROFILES.setdefault(key, cProfile.Profile())
        prof.enable()
    t0 = time.perf_counter()
    c0 = time.process_time()
    await pilot.press(key)
    await _settle(app, pilot, ignore)
    if prof is not None:
        prof.disable()
    end = clock.last_frame_after(t0)
    if end is None:  # the key drew nothing: its time is the harness's settle wait, not a repaint
        NO_FRAME.append(key)
    # CPU of the whole process (UI thread + workers) from the key to the settled frame, minus the
    # harness's own idle polling: steadier than wall time on a shared machine
    CPU_MS.setdefault(key, []).append((time.process_time() - c0) * 1000.0)
    return ((end if end is not None else time.perf_counter()) - t0) * 1000.0


CPU_MS: dict[str, list[float]] = {}
NO_FRAME: list[str] = []  # timed keys after which no frame was written (printed: a bad sample)
PASTE_ROUNDS = 3  # the pasted filter: 4 patterns x this many rounds


async def _run_app(path: str, repeats: int) -> dict[str, Any]:
    import htptui.model.run as run_mod
    from htptui.tui.app import HtpApp

    clock = _Clock()
    real_load = run_mod.load_run

    def load_and_note(*args: Any, **kw: Any) -> Any:
        out = real_load(*args, **kw)
        clock.model_loaded = time.perf_counter()
        return out

    run_mod.load_run = load_and_note  # type: ignore[assignment]

    class TimedApp(HtpApp):
        CSS_PATH = str(Path(sys.modules[HtpApp.__module__].__file__ or "").parent / "app.tcss")

        def on_loaded(self, message: Any) -> None:
            super().on_loaded(message)
            clock.panes_shown = time.perf_counter()

    app = TimedApp(path)
    real_display = app._display

    def display(screen: Any, renderable: Any) -> None:
        real_display(screen, renderable)
        if renderable is not None:
            clock.frames.append(time.perf_counter())

    app._display = display  # type: ignore[method-assign]
    out: dict[str, Any] = {}
    t_launch = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(6000):
            await pilot.pause(0.01)
            if app.ready or app.load_error:
                break
        assert app.ready, app.load_error
        await _settle(app, pilot)
        assert clock.model_loaded is not None and clock.panes_shown is not None
        # panes filled: the first frame after every visible pane got its figures
        filled = clock.first_frame_after(clock.panes_shown) or time.perf_counter()
        settled = clock.last_frame_after(t_launch) or time.perf_counter()
        out["launch_to_filled_ms"] = (filled - t_launch) * 1000.0
        out["model_load_ms"] = (clock.model_loaded - t_launch) * 1000.0
        out["loaded_to_filled_ms"] = (filled - clock.model_loaded) * 1000.0
        out["loaded_to_all_analysed_ms"] = (settled - clock.model_loaded) * 1000.0
        if not repeats:
            return out
        # ranking j: cursor down in the ranking, every linked pane follows
        await pilot.press("2")
        await _settle(app, pilot)
        # the details pane's raw trace args are re-read from the file by a worker: timed apart
        out["ranking_j"] = []
        out["ranking_j_args"] = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            out["ranking_j"].append(await _timed_key(app, pilot, clock, "j", ("details-args",)))
            await _settle(app, pilot)
            end = clock.last_frame_after(t0)
            out["ranking_j_args"].append(((end or time.perf_counter()) - t0) * 1000.0)
        # level switch
        out["level_r"] = [await _timed_key(app, pilot, clock, "r") for _ in range(6)]
        # timeline zoom and pan
        await pilot.press("1")
        await _settle(app, pilot)
        out["zoom"] = [
            await _timed_key(app, pilot, clock, "w" if (i // 5) % 2 == 0 else "s")
            for i in range(repeats)
        ]
        for _ in range(4):
            await pilot.press("w")
        await _settle(app, pilot)
        out["pan"] = [
            await _timed_key(app, pilot, clock, "d" if (i // 10) % 2 == 0 else "a")
            for i in range(repeats)
        ]
        # filter, typed: the pattern is typed and typing pauses (as a person does before Enter,
        # longer than the app's preview delay), then Enter is timed to the repainted frame
        from htptui.tui.app import FILTER_PREVIEW_DELAY_S

        out["filter"] = []
        for pattern in ("conv", "hmx", "matmul|relu", "dma"):
            await pilot.press("slash", *pattern)
            await asyncio.sleep(FILTER_PREVIEW_DELAY_S + 0.05)
            await _settle(app, pilot)
            out["filter"].append(await _timed_key(app, pilot, clock, "enter"))
            await pilot.press("escape")
            await _settle(app, pilot)
        # filter, pasted: Enter right behind the pattern (no pause, nothing computed ahead), other
        # patterns, each forgotten before it is pasted again so nothing is cached; the time
        # counts from Enter. Three rounds: a max of four samples said little on a noisy machine
        out["filter_paste"] = []
        out["filter_level"] = app.ranking.level
        for _ in range(PASTE_ROUNDS):
            for pattern in ("add", "pool|soft", "mul", "bias"):
                app.analysis.forget_pattern(pattern)
                await pilot.press("slash", *pattern)
                out["filter_paste"].append(await _timed_key(app, pilot, clock, "enter"))
                await pilot.press("escape")
                await _settle(app, pilot)
    out["cpu"] = {k: [_q(v, 0.5), _q(v, 0.95)] for k, v in CPU_MS.items()}
    out["no_frame"] = list(NO_FRAME)
    _dump_profiles()
    return out


def _dump_profiles() -> None:
    """Print the cProfile of each profiled key (top cumulative entries) to stderr."""
    import pstats

    for key, prof in PROFILES.items():
        print(f"=== profile of key {key!r}", file=sys.stderr)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
        prof.dump_stats(f"/tmp/htptui-bench-{key}.prof")


def _run_report(path: str) -> dict[str, Any]:
    from htptui.model.run import load_run
    from htptui.output.document import build_report
    from htptui.output.report import render

    t0 = time.perf_counter()
    opt = load_run(path)
    t1 = time.perf_counter()
    doc = build_report(opt, top=15, options={"width": 100}, data_sections=False)
    render(doc, "text")
    t2 = time.perf_counter()
    return {"report_load_ms": (t1 - t0) * 1000.0, "report_analysis_ms": (t2 - t1) * 1000.0}


# ------------------------------------------------------------------------------ structure level


async def _run_structure(path: str, repeats: int) -> dict[str, Any]:
    """The structure level on a big LLM-shaped trace: compute, switch, expand/collapse, select."""
    import numpy as np

    from htptui.analysis import structure
    from htptui.tui.app import HtpApp

    clock = _Clock()

    class TimedApp(HtpApp):
        CSS_PATH = str(Path(sys.modules[HtpApp.__module__].__file__ or "").parent / "app.tcss")

    app = TimedApp(path)
    real_display = app._display

    def display(screen: Any, renderable: Any) -> None:
        real_display(screen, renderable)
        if renderable is not None:
            clock.frames.append(time.perf_counter())

    app._display = display  # type: ignore[method-assign]
    out: dict[str, Any] = {}
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(12000):
            await pilot.pause(0.01)
            if app.ready or app.load_error:
                break
        assert app.ready, app.load_error
        await _settle(app, pilot)
        an = app.analysis
        assert an is not None and an.trace is not None
        out["ops"] = len(an.trace)
        # the structure ranking from scratch (the load worker's warm_rest computes it off the UI
        # thread; a filter computes it in the filter worker)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            rk = structure.rank(an.trace, None, an.structure_rules)
            times.append((time.perf_counter() - t0) * 1000.0)
        out["structure_compute"] = times
        out["nodes"] = len(rk)
        out["qnn_ops"] = int(np.unique(an.trace.qnn_op).size)
        await pilot.press("2")
        await _settle(app, pilot)
        rp = app.ranking
        # reference: one QNN op row selected (the flat level, the same frame to repaint)
        out["select_qnn_op"] = []
        for i in range(repeats):
            key = "j" if (i // 5) % 2 == 0 else "k"
            out["select_qnn_op"].append(await _timed_key(app, pilot, clock, key, ("details-args",)))
        CPU_MS["j (QNN op)"] = CPU_MS.pop("j", [])
        CPU_MS.pop("k", None)
        # level switch onto the structure level (qnn_op → kernel → structure → instance → …)
        out["switch_to_structure"] = []
        out["switch_other"] = []
        for _ in range(max(repeats // 2, 10)):
            for _step in range(4):
                ms = await _timed_key(app, pilot, clock, "r", ("details-args",))
                key = "switch_to_structure" if rp.level == "structure" else "switch_other"
                out[key].append(ms)
                if rp.level == "structure":
                    break
        assert rp.level == "structure" and rp.tree is not None
        tree = rp.tree
        layers = next((r for r in range(len(tree)) if tree.labels[r] == "layers.*"), 0)
        names = [rp.cell(r, "name") for r in range(rp.grid.n_rows)]
        pos = next((i for i, n in enumerate(names) if n.strip().endswith("layers.*")), 0)
        rp.grid.move_cursor(pos)
        await _settle(app, pilot, ("details-args",))
        if rp._expanded[layers]:  # shown open (a node on the way to the selection): close it
            rp.set_expanded(layers, False)  # first, or the first '+' times a key that does nothing
            await _settle(app, pilot, ("details-args",))
        out["layers_ops"] = int(tree.instances[layers])
        # expand / collapse the layers.* node (every layer's subtree)
        out["expand"], out["collapse"] = [], []
        for _ in range(repeats):
            out["expand"].append(await _timed_key(app, pilot, clock, "plus", ("details-args",)))
            out["collapse"].append(await _timed_key(app, pilot, clock, "minus", ("details-args",)))
        await pilot.press("plus")
        await _settle(app, pilot, ("details-args",))
        # linked selection of folded nodes: j/k over layers.* and its children, g to the root
        out["select_folded"] = []
        for i in range(repeats):
            key = "j" if (i // 5) % 2 == 0 else "k"
            out["select_folded"].append(await _timed_key(app, pilot, clock, key, ("details-args",)))
        out["select_root"] = []
        for _ in range(max(repeats // 2, 5)):
            await _timed_key(app, pilot, clock, "j", ("details-args",))
            out["select_root"].append(await _timed_key(app, pilot, clock, "g", ("details-args",)))
        cur = rp.cursor_node()
        out["root_ops"] = int(tree.instances[cur]) if cur is not None else 0
    out["cpu"] = {k: [_q(v, 0.5), _q(v, 0.95)] for k, v in CPU_MS.items()}
    out["no_frame"] = list(NO_FRAME)
    return out


def _no_frame_note(keys: list[str]) -> None:
    """Say so when a timed key drew nothing (its time is the settle wait: the sample is wrong)."""
    if keys:
        print(f"  WARNING: {len(keys)} timed key(s) drew no frame, timed to the settle: {keys}")


def structure_bench(path: Path, repeats: int) -> int:
    """Run the structure scenario in a fresh process (column cache warmed first) and print it."""
    with tempfile.TemporaryDirectory(prefix="htptui-bench-cache-") as cache:
        _spawn("app", path, cache, 0)  # decode once: the timed run reads the column cache
        r = _spawn("structure", path, cache, repeats)
    traces = sorted(Path(path).glob("*chrometrace.json")) if Path(path).is_dir() else [Path(path)]
    scan = f"{baseline_scan_s(traces[0]) * 1000.0:.0f} ms" if traces else "n/a"
    print(f"structure level on {path} ({r['ops']:,} executed ops, {r['qnn_ops']:,} QNN ops → "
          f"{r['nodes']:,} nodes; layers.* holds {r['layers_ops']:,} ops, the root "
          f"{r['root_ops']:,}), app at {SIZE[0]}x{SIZE[1]}, load avg {os.getloadavg()[0]:.1f}; "
          f"baseline (validate-only msgspec scan of the same file, this run) {scan}")  # fmt: skip
    print(f"{'figure (ms)':52}{'p50':>8}{'p95':>8}   target")
    for key, label, target in (
        ("structure_compute", "structure ranking computed (off the UI thread)", ""),
        ("switch_to_structure", "level switch onto structure (r → frame)", "fast"),
        ("switch_other", "level switch to the other levels (r)", ""),
        ("expand", "expand layers.* (+ → frame)", ""),
        ("collapse", "collapse layers.* (- → frame)", ""),
        ("select_folded", "select a folded node (j/k → linked panes)", "≤ 50"),
        ("select_root", "select the root node (g → linked panes)", "≤ 50"),
        ("select_qnn_op", "reference: select a QNN-op row (j/k, flat level)", "≤ 50"),
    ):
        v = r[key]
        print(f"{label:52}{_q(v, 0.5):>8.1f}{_q(v, 0.95):>8.1f}   {target}")
    for key in ("r", "plus", "minus", "j", "g", "j (QNN op)"):
        if key in r["cpu"]:
            p50, p95 = r["cpu"][key]
            print(f"{'  CPU ms (all threads) ' + key:52}{p50:>8.1f}{p95:>8.1f}")
    _no_frame_note(r.get("no_frame", []))
    return 0


def _child(ns: argparse.Namespace) -> int:
    if ns.child == "structure":
        result = asyncio.run(_run_structure(ns.path, ns.repeats))
    elif ns.child == "report":
        result = _run_report(ns.path)
    else:
        result = asyncio.run(_run_app(ns.path, ns.repeats))
    print("RESULT " + json.dumps(result))
    return 0


# ------------------------------------------------------------------------------ the parent


def _spawn(kind: str, path: Path, cache_dir: str, repeats: int) -> dict[str, Any]:
    env = dict(os.environ, XDG_CACHE_HOME=cache_dir, HTPTUI_NO_CACHE="0")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--path", str(path),
           "--repeats", str(repeats)]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])  # type: ignore[no-any-return]
    raise SystemExit(f"bench child {kind} failed:\n{proc.stderr[-3000:]}")


def _q(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.quantile(np.asarray(values), q))


def bench(n_events: int, repeats: int) -> dict[str, Any]:
    """Every measure for one trace size, each in a fresh process."""
    d = trace_dir(n_events)
    scan = baseline_scan_s(d / "chrometrace.json") * 1000.0
    with tempfile.TemporaryDirectory(prefix="htptui-bench-cache-") as cache:
        cold = _spawn("app", d, cache, 0)
        cached = _spawn("app", d, cache, repeats)
        report = _spawn("report", d, cache, 0)
    scan_after = baseline_scan_s(d / "chrometrace.json") * 1000.0
    return {"events": n_events, "scan_ms": (scan + scan_after) / 2, "cold": cold,
            "cached": cached, "report": report}  # fmt: skip


def precompile() -> None:
    """Write htptui's bytecode first, as ``pip install`` does: with PYTHONDONTWRITEBYTECODE set
    (this VM sets it) an editable install would compile every module it imports in every child,
    tens of ms no user's install pays."""
    import compileall

    compileall.compile_dir(str(HERE.parent / "src" / "htptui"), quiet=1)


def main(argv: list[str] | None = None) -> int:
    """Run every scenario and print the table."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sizes", default="1000000,3000000")
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--child", choices=("app", "report", "structure"), help=argparse.SUPPRESS)
    ap.add_argument(
        "--structure",
        type=Path,
        default=None,
        metavar="DIR",
        help="time the structure level on this LLM-shaped trace directory (make_traces --shape llm)",
    )
    ap.add_argument("--path", help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help="print the raw results as JSON too")
    ns = ap.parse_args(argv)
    if ns.child is None:
        precompile()
    if ns.child:
        return _child(ns)
    if ns.structure is not None:
        return structure_bench(ns.structure, ns.repeats)
    load0 = os.getloadavg()[0]
    rows = [bench(int(s), ns.repeats) for s in ns.sizes.split(",")]
    load1 = os.getloadavg()[0]
    print(
        f"htptui app at {SIZE[0]}x{SIZE[1]}, {os.cpu_count()} CPUs, load avg {load0:.1f} → {load1:.1f}"
    )
    head = (
        f"{'figure (ms)':44}"
        + "".join(f"{r['events'] / 1e6:>6.0f}M  baseline" for r in rows)
        + "   target@1M"
    )
    print(head)

    def line(label: str, values: list[float], target: str = "") -> None:
        cells = "".join(
            f"{v:>8.0f}  {r['scan_ms']:>8.0f}" for v, r in zip(values, rows, strict=True)
        )
        print(f"{label:44}{cells}   {target}")

    line("model load, cold (JSON decode)", [r["cold"]["model_load_ms"] for r in rows])
    line("launch → panes filled, cold", [r["cold"]["launch_to_filled_ms"] for r in rows])
    line("  model loaded → panes filled, cold", [r["cold"]["loaded_to_filled_ms"] for r in rows],
         "≤ 1000")  # fmt: skip
    line("launch → panes filled, cached", [r["cached"]["launch_to_filled_ms"] for r in rows])
    line("  model loaded → panes filled, cached", [r["cached"]["loaded_to_filled_ms"] for r in rows],
         "≤ 1000")  # fmt: skip
    line("  model loaded → background analysis done", [r["cached"]["loaded_to_all_analysed_ms"]
         for r in rows])  # fmt: skip
    for key, label, target in (
        ("ranking_j", "ranking j → linked panes repainted", "≤ 50"),
        ("ranking_j_args", "ranking j → details' raw args read too", ""),
        ("zoom", "timeline zoom (w/s)", "≤ 50"),
        ("pan", "timeline pan (a/d)", "≤ 50"),
        ("level_r", "ranking level switch (r)", ""),
        ("filter", "/ filter typed, Enter → frame", "≤ 200"),
        ("filter_paste", "/ filter pasted + Enter at once → frame", "≤ 200"),
    ):
        vals = [r["cached"][key] for r in rows]
        line(f"{label} p50", [_q(v, 0.5) for v in vals])
        filt = key.startswith("filter")
        line(f"{label} p95", [_q(v, 0.95) for v in vals], "" if filt else target)
        if filt:
            line(f"{label} max", [max(v) for v in vals], target)
    for key, label in (("j", "ranking j"), ("w", "zoom w"), ("d", "pan d"), ("r", "level r"),
                       ("enter", "filter Enter")):  # fmt: skip
        line(
            f"  CPU ms (all threads) {label} p50 / p95", [r["cached"]["cpu"][key][0] for r in rows]
        )
        line("", [r["cached"]["cpu"][key][1] for r in rows])
    levels = ", ".join(str(r["cached"].get("filter_level")) for r in rows)
    print(f"  (both filters ran at the ranking level then on show: {levels}; pasted: 4 patterns x "
          f"{PASTE_ROUNDS} rounds, typed: 4 patterns)")  # fmt: skip
    line("report: load", [r["report"]["report_load_ms"] for r in rows])
    line("report: analysis + render beyond the load", [r["report"]["report_analysis_ms"] for r in rows],
         "≤ 1000")  # fmt: skip
    print("baseline = validate-only msgspec scan of the same file, measured in the same run")
    _no_frame_note([k for r in rows for k in r["cached"].get("no_frame", [])])
    if ns.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
