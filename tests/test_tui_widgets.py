"""Pilot tests of the Timeline and DataGrid widgets on the real chain8 sample."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.message import Message

from htptui.model.run import Run, load_run
from htptui.tui.widgets.grid import Column, DataGrid
from htptui.tui.widgets.timeline import Timeline

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "chain8_matmul"


@pytest.fixture(scope="module")
def opt() -> Run:
    """The real chain8 sample, loaded once."""
    return load_run(SAMPLE)


class TimelineApp(App[None]):
    """Hosts one Timeline on a run and records the messages it posts."""

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run = run
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield Timeline(id="timeline")

    def on_mount(self) -> None:
        timeline = self.query_one(Timeline)
        timeline.load(self.run)
        timeline.focus()

    def on_timeline_op_selected(self, message: Timeline.OpSelected) -> None:
        self.messages.append(message)


class GridApp(App[None]):
    """Hosts one DataGrid with ``n_rows`` synthetic rows and records its messages."""

    def __init__(self, n_rows: int) -> None:
        super().__init__()
        self.n_rows = n_rows
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield DataGrid(id="grid")

    def on_mount(self) -> None:
        grid = self.query_one(DataGrid)
        grid.set_columns(
            [
                Column("rank", "#", 8),
                Column("name", "Op", 24, align="left"),
                Column("dpc", "DPC", 12),
                Column("note", "Note", 40, align="left", sortable=False),
            ]
        )
        grid.set_data(self.n_rows, lambda row, key: f"{key}{row}", row_key=lambda row: row)
        grid.focus()

    def on_data_grid_row_highlighted(self, message: DataGrid.RowHighlighted) -> None:
        self.messages.append(message)

    def on_data_grid_row_selected(self, message: DataGrid.RowSelected) -> None:
        self.messages.append(message)

    def on_data_grid_sort_requested(self, message: DataGrid.SortRequested) -> None:
        self.messages.append(message)


def lane_ops(run: Run, lane: int) -> list[int]:
    """Op indices of one lane in time order."""
    trace = run.trace
    assert trace is not None
    idx = np.flatnonzero(trace.lane == lane)
    return [int(i) for i in idx[np.argsort(trace.ts[idx], kind="stable")]]


def rendered_text(timeline: Timeline) -> list[str]:
    """Plain text of every line the timeline draws."""
    return [
        "".join(seg.text for seg in timeline.render_line(y)) for y in range(timeline.size.height)
    ]


async def test_load_shows_whole_graph(opt: Run) -> None:
    trace = opt.trace
    assert trace is not None
    app = TimelineApp(opt)
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        tl = app.query_one(Timeline)
        assert tl.view_lo == trace.ts.min()
        assert tl.view_hi == trace.end.max()
        text = rendered_text(tl)
        labels = [line.split(" ")[0] for line in text]
        assert "HMX" in labels and "HVX" in labels
        assert any(line.startswith("dom.path") for line in text)
        assert any(line.startswith("boundary") for line in text)
        assert "q::*InputSlice" in tl.status_text


async def test_zoom_in_out(opt: Run) -> None:
    app = TimelineApp(opt)
    async with app.run_test(size=(120, 24)) as pilot:
        tl = app.query_one(Timeline)
        full = (tl.view_lo, tl.view_hi)
        await pilot.press("w")
        assert tl.span == pytest.approx((full[1] - full[0]) / 2)
        assert full[0] <= tl.view_lo < tl.view_hi <= full[1]
        await pilot.press("plus")
        assert tl.span == pytest.approx((full[1] - full[0]) / 4)
        await pilot.press("s", "minus")
        assert tl.span == pytest.approx(full[1] - full[0])
        await pilot.press("s")  # never wider than the graph
        assert (tl.view_lo, tl.view_hi) == pytest.approx(full)
        for _ in range(40):  # never narrower than one cycle per cell
            await pilot.press("w")
        assert tl.span >= tl.plot_width


async def test_pan_clamps_at_edges(opt: Run) -> None:
    app = TimelineApp(opt)
    async with app.run_test(size=(120, 24)) as pilot:
        tl = app.query_one(Timeline)
        t0, t1 = tl.view_lo, tl.view_hi
        await pilot.press("w", "w", "g")
        span = tl.span
        assert tl.view_lo == pytest.approx(t0)
        await pilot.press("d")
        assert tl.view_lo == pytest.approx(t0 + span / 4)
        assert tl.span == pytest.approx(span)
        await pilot.press("a", "a", "left")
        assert tl.view_lo == pytest.approx(t0)
        for _ in range(20):
            await pilot.press("right")
        assert tl.view_hi == pytest.approx(t1)
        assert tl.span == pytest.approx(span)
        await pilot.press("home")
        assert tl.view_lo == pytest.approx(t0)
        await pilot.press("G")
        assert tl.view_hi == pytest.approx(t1)
        await pilot.press("0")
        assert (tl.view_lo, tl.view_hi) == pytest.approx((t0, t1))


async def test_next_prev_op_walk_lane_in_time_order(opt: Run) -> None:
    app = TimelineApp(opt)
    async with app.run_test(size=(120, 24)) as pilot:
        tl = app.query_one(Timeline)
        assert tl.cursor_lane is not None
        expected = lane_ops(opt, tl.cursor_lane)
        assert tl.cursor_op == expected[0]
        for _ in range(len(expected) + 2):
            await pilot.press("full_stop")
        await pilot.pause()
        got = [m.op_index for m in app.messages if isinstance(m, Timeline.OpSelected)]
        assert got == expected[1:]
        assert all(m.control is tl for m in app.messages)
        app.messages.clear()
        await pilot.press("comma", "comma")
        await pilot.pause()
        assert [m.op_index for m in app.messages] == [expected[-2], expected[-3]]
        # the cursor op is always inside the view
        trace = opt.trace
        assert trace is not None and tl.cursor_op is not None
        assert trace.ts[tl.cursor_op] < tl.view_hi and trace.end[tl.cursor_op] > tl.view_lo
        app.messages.clear()
        await pilot.press("enter")
        await pilot.pause()
        assert [m.op_index for m in app.messages] == [expected[-3]]


async def test_lane_change_keeps_time(opt: Run) -> None:
    trace = opt.trace
    assert trace is not None
    app = TimelineApp(opt)
    async with app.run_test(size=(120, 24)) as pilot:
        tl = app.query_one(Timeline)
        first_lane = tl.cursor_lane
        await pilot.press("j")
        await pilot.pause()
        assert tl.cursor_lane != first_lane
        assert tl.cursor_op is not None and int(trace.lane[tl.cursor_op]) == tl.cursor_lane
        assert app.messages and app.messages[-1].op_index == tl.cursor_op  # type: ignore[attr-defined]
        await pilot.press("k")
        assert tl.cursor_lane == first_lane
        await pilot.press("up")  # already at the top lane
        assert tl.cursor_lane == first_lane


async def test_select_qnn_op_instances_and_fit(opt: Run) -> None:
    trace = opt.trace
    assert trace is not None
    qnn = trace.strings.lookup("MatMul_7")
    assert qnn is not None
    ops = np.flatnonzero(trace.qnn_op == qnn)
    assert ops.size >= 2
    app = TimelineApp(opt)
    async with app.run_test(size=(120, 24)) as pilot:
        tl = app.query_one(Timeline)
        t0, t1 = tl.view_lo, tl.view_hi
        await pilot.press("w", "w", "w", "w", "g")  # zoomed in at the start: MatMul_7 is off screen
        primary = int(ops[-1])
        tl.select(ops.tolist(), primary=primary)
        await pilot.pause()
        assert tl.selected_ops.tolist() == sorted(ops.tolist())
        assert tl.primary == primary and tl.cursor_op == primary
        assert tl.view_lo <= trace.ts[primary] and trace.end[primary] <= tl.view_hi
        await pilot.press("f")
        lo, hi = float(trace.ts[ops].min()), float(trace.end[ops].max())
        assert tl.view_lo <= lo and hi <= tl.view_hi
        assert tl.span < t1 - t0
        assert tl.span <= (hi - lo) * 1.2 + tl.plot_width
        sel_style = tl.get_component_rich_style("timeline--selected")
        lane_line = tl.render_line(1 + tl._visible_rows().index(tl._lane_rows[0]))
        assert any(seg.style == sel_style for seg in lane_line)
        await pilot.press("0")
        assert (tl.view_lo, tl.view_hi) == pytest.approx((t0, t1))


async def test_select_without_scroll_keeps_view(opt: Run) -> None:
    trace = opt.trace
    assert trace is not None
    app = TimelineApp(opt)
    async with app.run_test(size=(120, 24)) as pilot:
        tl = app.query_one(Timeline)
        await pilot.press("w", "w", "g")
        view = (tl.view_lo, tl.view_hi)
        tl.select([len(trace) - 1], scroll=False)
        assert (tl.view_lo, tl.view_hi) == view
        assert tl.primary == len(trace) - 1


async def test_set_filter_dims_ops_outside(opt: Run) -> None:
    trace = opt.trace
    assert trace is not None
    app = TimelineApp(opt)
    async with app.run_test(size=(120, 24)) as pilot:
        tl = app.query_one(Timeline)
        dim = tl.get_component_rich_style("timeline--dim")
        row_y = 1 + tl._visible_rows().index(tl._lane_rows[0])

        def dim_cells() -> int:
            segments = tl.render_line(row_y)
            return sum(len(s.text.replace("·", "")) for s in segments if s.style == dim)

        assert dim_cells() == 0
        tl.set_filter(np.zeros(len(trace), dtype=bool))
        await pilot.pause()
        all_dim = dim_cells()
        assert all_dim > 0
        keep = trace.qnn_op == trace.strings.lookup("Input")
        tl.set_filter(keep)
        await pilot.pause()
        assert 0 < dim_cells() < all_dim
        tl.set_filter(None)
        await pilot.pause()
        assert dim_cells() == 0


async def test_vtcm_toggle_and_click(opt: Run) -> None:
    trace = opt.trace
    assert trace is not None
    app = TimelineApp(opt)
    async with app.run_test(size=(120, 24)) as pilot:
        tl = app.query_one(Timeline)
        assert not any(line.startswith("VTCM") for line in rendered_text(tl))
        await pilot.press("v")
        assert any(line.startswith("VTCM") for line in rendered_text(tl))
        # click the middle of the first op on the HMX lane
        op = lane_ops(opt, tl._rows[tl._lane_rows[0]].lane)[0]
        mid = (float(trace.ts[op]) + float(trace.dur[op]) / 2 - tl.view_lo) / tl.span
        x = tl._label_width + int(mid * tl.plot_width)
        y = 1 + tl._visible_rows().index(tl._lane_rows[0])
        await pilot.press("full_stop")
        app.messages.clear()
        await pilot.click(Timeline, offset=(x, y))
        await pilot.pause()
        assert [m.op_index for m in app.messages] == [op]  # type: ignore[attr-defined]


async def test_timeline_without_qhas_hides_dom_path(opt: Run) -> None:
    from dataclasses import replace

    app = TimelineApp(replace(opt, qhas=None))
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        tl = app.query_one(Timeline)
        assert not any(line.startswith("dom.path") for line in rendered_text(tl))


async def test_grid_cursor_keys() -> None:
    app = GridApp(1000)
    async with app.run_test(size=(80, 20)) as pilot:
        grid = app.query_one(DataGrid)
        assert grid.cursor_row == 0
        await pilot.press("j", "j", "down")
        assert grid.cursor_row == 3
        await pilot.press("k", "up")
        assert grid.cursor_row == 1
        await pilot.press("G")
        assert grid.cursor_row == 999
        assert grid.scroll_y > 0
        await pilot.press("g")
        assert grid.cursor_row == 0 and grid.scroll_y == 0
        await pilot.press("space")
        assert grid.cursor_row == grid.page_rows
        await pilot.press("b")
        assert grid.cursor_row == 0
        await pilot.press("pagedown", "pagedown", "pageup")
        assert grid.cursor_row == grid.page_rows
        await pilot.press("end")
        await pilot.press("j")  # clamps at the last row
        assert grid.cursor_row == 999
        await pilot.pause()
        rows = [m.row for m in app.messages if isinstance(m, DataGrid.RowHighlighted)]
        assert rows and rows[-1] == 999
        app.messages.clear()
        await pilot.press("enter")
        await pilot.pause()
        assert [(type(m), m.row) for m in app.messages] == [(DataGrid.RowSelected, 999)]  # type: ignore[attr-defined]
        grid.move_cursor(500)
        assert grid.cursor_row == 500
        header = "".join(s.text for s in grid.render_line(0))
        assert "Op" in header and "DPC" in header
        body = ["".join(s.text for s in grid.render_line(y)) for y in range(1, grid.size.height)]
        assert any("name500" in line for line in body)


async def test_grid_sort_requests() -> None:
    app = GridApp(50)
    async with app.run_test(size=(80, 20)) as pilot:
        grid = app.query_one(DataGrid)
        await pilot.press("s")
        await pilot.pause()
        sorts = [m for m in app.messages if isinstance(m, DataGrid.SortRequested)]
        assert [(m.column_key, m.descending) for m in sorts] == [("rank", True)]
        assert sorts[0].control is grid
        await pilot.press("s", "S")
        await pilot.pause()
        sorts = [m for m in app.messages if isinstance(m, DataGrid.SortRequested)]
        assert [(m.column_key, m.descending) for m in sorts] == [
            ("rank", True),
            ("name", True),
            ("name", False),
        ]
        await pilot.press("s", "s")  # "note" is not sortable: wraps back to "rank"
        await pilot.pause()
        assert grid.sort_key == "rank"
        assert "▼" in "".join(s.text for s in grid.render_line(0))


async def test_grid_horizontal_scroll_and_row_style() -> None:
    app = GridApp(50)
    async with app.run_test(size=(40, 12)) as pilot:
        grid = app.query_one(DataGrid)
        first = "".join(s.text for s in grid.render_line(1))
        await pilot.press("l")
        assert grid.scroll_x > 0
        assert "".join(s.text for s in grid.render_line(1)) != first
        await pilot.press("h")
        assert grid.scroll_x == 0
        grid.set_row_style(lambda row: "-dim" if row % 2 else "-match")
        await pilot.pause()
        dim = grid.get_component_rich_style("datagrid--dim")
        assert any(dim.color == seg.style.color for seg in grid.render_line(2) if seg.style)


async def test_grid_three_million_rows_paint_quickly() -> None:
    start = time.perf_counter()
    app = GridApp(3_000_000)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        grid = app.query_one(DataGrid)
        assert grid.virtual_size.height == 3_000_001
        t = time.perf_counter()
        grid._cache.clear()
        lines = [grid.render_line(y) for y in range(grid.size.height)]
        paint = time.perf_counter() - t
        assert paint < 0.25
        assert "name0" in "".join(s.text for s in lines[1])
        await pilot.press("G")
        assert grid.cursor_row == 2_999_999
        assert any(
            "name2999999" in "".join(s.text for s in grid.render_line(y))
            for y in range(grid.size.height)
        )
    assert time.perf_counter() - start < 5.0


async def test_every_builtin_theme_keeps_kinds_distinct(opt: Run) -> None:
    app = TimelineApp(opt)
    async with app.run_test(size=(100, 20)) as pilot:
        tl = app.query_one(Timeline)
        for theme in sorted(app.available_themes):
            app.theme = theme
            await pilot.pause()
            background = tl._base_style().bgcolor
            colours = {
                name: tl.get_component_rich_style(name).color
                for name in (
                    "timeline--hmx",
                    "timeline--hvx",
                    "timeline--dma",
                    "timeline--wait",
                    "timeline--boundary",
                )
            }
            assert len(set(colours.values())) >= 4, (theme, colours)
            assert all(c != background for c in colours.values()), theme
            assert rendered_text(tl)[1].startswith("HMX")


async def test_many_lanes_scroll_with_the_cursor(tmp_path: Path) -> None:
    from htptui.synth import SynthSpec, write_optrace

    write_optrace(tmp_path, SynthSpec(hvx_lanes=8, cores=2, n_qnn_ops=8, boundary_ops=True))
    run = load_run(tmp_path)
    assert run.trace is not None and len(run.trace.lanes) > 10
    app = TimelineApp(run)
    async with app.run_test(size=(80, 10)) as pilot:
        tl = app.query_one(Timeline)
        labels = [tl._rows[r].label for r in tl._lane_rows]
        assert any(label.startswith("c1 ") for label in labels)
        for _ in range(len(labels)):
            await pilot.press("j")
        await pilot.pause()
        lane_label = tl.trace.lanes[tl.cursor_lane].label  # type: ignore[union-attr,index]
        assert lane_label == labels[-1]
        assert any(line.startswith(lane_label) for line in rendered_text(tl))
        await pilot.press("k")
        assert tl.trace.lanes[tl.cursor_lane].label == labels[-2]  # type: ignore[union-attr,index]


async def test_filter_index_built_in_worker_for_big_traces(
    opt: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import htptui.tui.widgets.timeline as timeline_module

    monkeypatch.setattr(timeline_module, "FILTER_WORKER_THRESHOLD", 0)
    trace = opt.trace
    assert trace is not None
    app = TimelineApp(opt)
    async with app.run_test(size=(120, 24)) as pilot:
        tl = app.query_one(Timeline)
        tl.set_filter(trace.qnn_op == trace.strings.lookup("Input"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert tl._filter_index is not None
        assert tl.filter_mask is not None


async def test_a_big_selection_splits_per_lane_as_the_sort_does(
    opt: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A selection of most ops is split per lane from the coverage index's lane tracks; each
    lane gets exactly the ops (in the same order), signature and longest duration that sorting
    the selection by lane gives: strips cached per lane signature stay right."""
    import htptui.tui.widgets.timeline as timeline_mod

    trace = opt.trace
    assert trace is not None
    rng = np.random.default_rng(7)
    app = TimelineApp(opt)
    async with app.run_test(size=(120, 24)) as pilot:
        tl = app.query_one(Timeline)
        await pilot.pause()
        picks = [
            np.arange(len(trace)),
            np.flatnonzero(rng.random(len(trace)) < 0.5),
            np.flatnonzero(trace.lane == trace.lane[0]),
            np.array([0]),
        ]
        for ops in picks:
            seen = []
            for share in (0, 10**9):  # never big (the sort), always big (the lane tracks)
                monkeypatch.setattr(timeline_mod, "BIG_SELECTION", share)
                tl.select(ops.tolist(), primary=int(ops[0]))
                seen.append(
                    (
                        dict(tl._lane_selection),
                        {
                            k: (v[0].dtype.str, v[0].tolist(), v[1])
                            for k, v in tl._lane_sel_ops.items()
                        },
                    )
                )
            assert seen[0] == seen[1]
            assert sorted(k for k in seen[0][1]) == sorted({int(x) for x in trace.lane[ops]})
