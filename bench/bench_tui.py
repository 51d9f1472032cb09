"""Benchmark the TUI widgets on 1M- and 3M-event synthetic traces (a script, not a timed test).

Measures model load, CoverageIndex build, instance ranking, first paint of a Timeline + DataGrid at
160x50 inside a real ``App.run_test``, and keypress-to-repaint latency (action handler + render of
every visible line with the strip cache cleared) for zoom, pan, next-op, lane change and grid moves.
Pilot's press+pause adds ~80 ms of its own, so latencies are timed by calling actions directly.

Usage: ``python bench/bench_tui.py [--sizes 1000000,3000000] [--repeats 200]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.strip import Strip

from htptui.analysis.buckets import CoverageIndex
from htptui.analysis.ranking import Ranking, rank, units_text
from htptui.model.run import Run, load_run
from htptui.tui.widgets.grid import Column, DataGrid
from htptui.tui.widgets.timeline import Timeline

OUT = Path(__file__).resolve().parent / "out"
SIZE = (160, 50)


def trace_dir(n_events: int) -> Path:
    """Directory of the synthetic trace with ``n_events`` events, generated if missing."""
    d = (
        OUT / f"big_{n_events // 1_000_000}m"
        if n_events % 1_000_000 == 0
        else OUT / f"big_{n_events}"
    )
    path = d / "chrometrace.json"
    if not path.exists():
        from htptui.synth import write_big_trace

        print(f"generating {path} ...", flush=True)
        write_big_trace(path, n_events)
    return d


class TimedTimeline(Timeline):
    """Timeline that notes when its first full frame finished drawing."""

    first_frame_at: float | None = None

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if self.first_frame_at is None and self.index_ready and y == self.size.height - 1:
            self.first_frame_at = time.perf_counter()
        return strip


class TimedGrid(DataGrid):
    """DataGrid that notes when its first full frame finished drawing."""

    first_frame_at: float | None = None

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if self.first_frame_at is None and self.n_rows and y == self.size.height - 1:
            self.first_frame_at = time.perf_counter()
        return strip


GRID_COLUMNS = [
    Column("rank", "#", 8),
    Column("name", "Kernel", 34, align="left"),
    Column("dpc", "DPC", 10),
    Column("pct", "DPC%", 7),
    Column("busy", "dur", 10),
    Column("units", "Units", 8, align="left"),
    Column("first", "ts", 12),
]


def grid_cell(ranking: Ranking) -> Callable[[int, str], str]:
    """Cell formatter over an instance ranking (rows already in display order)."""

    def cell(row: int, key: str) -> str:
        if key == "rank":
            return str(row + 1)
        if key == "name":
            return ranking.names[row]
        if key == "dpc":
            return f"{int(ranking.dpc[row]):,}"
        if key == "pct":
            return f"{ranking.dpc_pct(row):.2f}"
        if key == "busy":
            return f"{int(ranking.busy[row]):,}"
        if key == "units":
            return units_text(int(ranking.units[row]))
        if key == "first":
            return f"{int(ranking.first_ts[row]):,}"
        return ""

    return cell


class BenchApp(App[None]):
    """Timeline over a DataGrid, as the explorer lays them out."""

    def __init__(self, opt: Run, index: CoverageIndex, ranking: Ranking) -> None:
        super().__init__()
        self.opt = opt
        self.index = index
        self.ranking = ranking
        self.mount_done: float | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield TimedTimeline()
            yield TimedGrid()

    def on_mount(self) -> None:
        self.query_one(Timeline).load(self.opt, self.index)
        grid = self.query_one(DataGrid)
        grid.set_columns(GRID_COLUMNS)
        grid.set_data(len(self.ranking), grid_cell(self.ranking))
        self.query_one(Timeline).focus()
        self.mount_done = time.perf_counter()


def render_all(widget: Timeline | DataGrid) -> None:
    """Render every visible line from scratch, as a repaint would."""
    widget._cache.clear()
    for y in range(widget.size.height):
        widget.render_line(y)


def time_actions(widget: Timeline | DataGrid, actions: list[Callable[[], None]]) -> list[float]:
    """Wall milliseconds for each action + a full repaint; CPU (thread) ms go to ``CPU_MS``."""
    out = []
    cpu = []
    for act in actions:
        t = time.perf_counter()
        c = time.thread_time()
        act()
        render_all(widget)
        cpu.append((time.thread_time() - c) * 1000.0)
        out.append((time.perf_counter() - t) * 1000.0)
    CPU_MS.append(cpu)
    return out


CPU_MS: list[list[float]] = []


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values."""
    return float(np.quantile(np.asarray(values), q))


async def measure_ui(
    opt: Run, index: CoverageIndex, ranking: Ranking, repeats: int
) -> dict[str, object]:
    """First paint and keypress latencies inside a running app."""
    app = BenchApp(opt, index, ranking)
    t_start = time.perf_counter()
    results: dict[str, object] = {}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tl = app.query_one(TimedTimeline)
        grid = app.query_one(TimedGrid)
        for _ in range(50):
            if tl.first_frame_at and grid.first_frame_at:
                break
            await pilot.pause(0.01)
        assert tl.first_frame_at and grid.first_frame_at and app.mount_done
        results["first_paint_s"] = max(tl.first_frame_at, grid.first_frame_at) - t_start
        results["mount_to_paint_s"] = max(tl.first_frame_at, grid.first_frame_at) - app.mount_done
        # direct: load() + set_data() + render every visible line of both widgets
        t = time.perf_counter()
        tl.load(opt, index)
        grid.set_data(len(ranking), grid_cell(ranking))
        render_all(tl)
        render_all(grid)
        results["direct_paint_s"] = time.perf_counter() - t

        zoom: list[Callable[[], None]] = []
        for i in range(repeats):
            zoom.append(tl.action_zoom_in if (i // 10) % 2 == 0 else tl.action_zoom_out)
        results["zoom"] = time_actions(tl, zoom)
        results["zoom_cpu"] = CPU_MS[-1]
        tl.action_reset_view()
        for _ in range(5):
            tl.action_zoom_in()
        pan: list[Callable[[], None]] = []
        for i in range(repeats):
            pan.append(tl.action_pan_right if (i // 40) % 2 == 0 else tl.action_pan_left)
        results["pan"] = time_actions(tl, pan)
        results["pan_cpu"] = CPU_MS[-1]
        for _ in range(8):
            tl.action_zoom_in()
        results["next_op"] = time_actions(tl, [tl.action_next_op] * repeats)
        results["next_op_cpu"] = CPU_MS[-1]
        lane: list[Callable[[], None]] = []
        for i in range(repeats):
            lane.append(tl.action_lane_down if (i // 4) % 2 == 0 else tl.action_lane_up)
        results["lane"] = time_actions(tl, lane)
        results["lane_cpu"] = CPU_MS[-1]
        grid_moves: list[Callable[[], None]] = []
        for i in range(repeats):
            grid_moves.append(grid.action_cursor_down if i % 20 else grid.action_page_down)
        grid_moves.append(grid.action_cursor_bottom)
        grid_moves.append(grid.action_cursor_top)
        results["grid"] = time_actions(grid, grid_moves)
        results["grid_cpu"] = CPU_MS[-1]
        assert opt.trace is not None
        tl.set_filter(np.arange(len(opt.trace)) % 3 == 0)
        await app.workers.wait_for_complete()
        await pilot.pause()
        results["zoom_filtered"] = time_actions(tl, zoom[: repeats // 2])
        results["zoom_filtered_cpu"] = CPU_MS[-1]
    return results


def cold_start() -> float:
    """First paint of the first app in this process (pays Textual's one-off start-up), on chain8."""
    sample = Path(__file__).resolve().parent.parent / "sample_data" / "chain8_matmul"
    opt = load_run(sample)
    assert opt.trace is not None
    index = CoverageIndex(opt.trace)
    ranking = rank(opt.trace, "instance")
    result = asyncio.run(measure_ui(opt, index, ranking, 5))
    return float(result["first_paint_s"])  # type: ignore[arg-type]


def bench(n_events: int, repeats: int) -> dict[str, object]:
    """All measurements for one trace size."""
    d = trace_dir(n_events)
    t = time.perf_counter()
    opt = load_run(d)
    load_s = time.perf_counter() - t
    assert opt.trace is not None
    t = time.perf_counter()
    index = CoverageIndex(opt.trace)
    index_s = time.perf_counter() - t
    t = time.perf_counter()
    ranking = rank(opt.trace, "instance")
    rank_s = time.perf_counter() - t
    ui = asyncio.run(measure_ui(opt, index, ranking, repeats))
    return {
        "events": n_events,
        "ops": len(opt.trace),
        "load_s": load_s,
        "index_s": index_s,
        "rank_s": rank_s,
        **ui,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", default="1000000,3000000")
    ap.add_argument("--repeats", type=int, default=200)
    ns = ap.parse_args(argv)
    load_before = os.getloadavg()
    cold = cold_start()
    rows = [bench(int(s), ns.repeats) for s in ns.sizes.split(",")]
    load_after = os.getloadavg()
    print()
    print(
        f"cold Textual start (first app in the process, real chain8 sample, {SIZE[0]}x{SIZE[1]}): "
        f"{cold:.3f} s to first frame; the big-trace first paints below are warm (CSS/driver caches hot)"
    )
    print(
        f"{os.cpu_count()} CPUs; 1-min load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
        "(wall times inflate when the box is shared; CPU = thread time of the UI thread)"
    )
    print(f"{'measure':34}" + "".join(f"{r['events'] / 1e6:>10.0f}M ev" for r in rows))
    print(f"{'executed ops':34}" + "".join(f"{r['ops']:>13,}" for r in rows))
    for key, label in (
        ("load_s", "model load (load_run) s"),
        ("index_s", "CoverageIndex build s"),
        ("rank_s", "instance ranking s"),
        ("first_paint_s", "first paint, app start -> frame s"),
        ("mount_to_paint_s", "first paint, on_mount -> frame s"),
        ("direct_paint_s", "load()+set_data()+render all s"),
    ):
        print(f"{label:34}" + "".join(f"{float(r[key]):>13.3f}" for r in rows))  # type: ignore[arg-type]
    for key in ("zoom", "pan", "next_op", "lane", "grid", "zoom_filtered"):
        for q, name in ((0.5, "p50"), (0.95, "p95"), (1.0, "max")):
            label = f"key {key} {name} ms (wall)"
            print(f"{label:34}" + "".join(f"{pct(r[key], q):>13.2f}" for r in rows))  # type: ignore[arg-type]
        label = f"key {key} p95 ms (CPU)"
        print(f"{label:34}" + "".join(f"{pct(r[key + '_cpu'], 0.95):>13.2f}" for r in rows))  # type: ignore[arg-type]
    worst = rows[-1]
    keys = ("zoom", "pan", "next_op", "lane", "grid")
    p95 = max(pct(worst[k], 0.95) for k in keys)  # type: ignore[arg-type]
    p95_cpu = max(pct(worst[k + "_cpu"], 0.95) for k in keys)  # type: ignore[arg-type]
    print()
    print(
        f"targets at {worst['events']:,} events: first paint {float(worst['first_paint_s']):.3f} s (<= 0.5); "  # type: ignore[arg-type]
        f"worst keypress p95 {p95:.2f} ms wall, {p95_cpu:.2f} ms CPU (<= 16)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
