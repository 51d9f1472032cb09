"""Pilot tests of window statistics: mark with m/m, W, drag; the Window tab shows the scoped figures."""

from __future__ import annotations

from textual.widgets import TabbedContent

from htptui.analysis.run import analysis_of
from htptui.model.run import load_run
from htptui.tui.app import HtpApp
from htptui.tui.panes.window import PANE, WindowPane, window_text
from tests.test_tui_app import SAMPLE, SIZE, loaded


async def _settle(pilot, app) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()


async def test_window_view_equals_whole_graph_figures() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[PANE])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        app.action_focus_region("timeline")
        await pilot.pause()
        await pilot.press("0", "W")
        await _settle(pilot, app)
        pane = app.query_one(WindowPane)
        assert app.query_one("#dag-region", TabbedContent).active == "tab-window"
        assert pane.child is not None
        an = app.analysis
        assert an is not None
        assert pane.child.core_summaries() == an.core_summaries()
        cs = an.first_core_summary()
        assert cs is not None
        assert f"{cs.wall:,}" in pane.text and f"{cs.dpc_sum:,}" in pane.text


async def test_mark_two_ops_and_clear() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[PANE])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        app.action_focus_region("timeline")
        await pilot.pause()
        tl = app.timeline
        t = app.analysis.trace  # type: ignore[union-attr]
        await pilot.press("0", "m")
        first = tl.cursor_op
        assert first is not None and "window from" in tl.status_text
        await pilot.press("full_stop", "full_stop", "full_stop", "m")
        last = tl.cursor_op
        assert last is not None
        await _settle(pilot, app)
        lo = min(int(t.ts[first]), int(t.ts[last]))
        hi = max(int(t.end[first]), int(t.end[last]))
        assert tl.window == (lo, hi)
        pane = app.query_one(WindowPane)
        child = analysis_of(app.opt).scoped(lo, hi, None)  # type: ignore[arg-type]
        assert pane.child is child
        assert pane.text == window_text(child)
        assert f"window [{lo:,}, {hi:,})" in pane.text
        # the filter rescopes the window
        app.apply_filter("ConvLayer")
        await _settle(pilot, app)
        assert pane.child is not None and pane.child.pattern == "ConvLayer"
        assert "filter /ConvLayer/" in pane.text
        await pilot.press("escape")
        app.action_focus_region("timeline")
        await pilot.pause()
        await pilot.press("M")
        await _settle(pilot, app)
        assert tl.window is None and pane.child is None and "No window marked" in pane.text


async def test_mouse_drag_marks_a_window() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[PANE])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        tl = app.timeline
        x0 = tl._label_width + 10
        await pilot.mouse_down(tl, offset=(x0, 2))
        await pilot.mouse_up(tl, offset=(x0 + 30, 2))
        await _settle(pilot, app)
        assert tl.window is not None
        lo, hi = tl.window
        assert hi - lo > 0
        assert app.query_one(WindowPane).child is not None


def test_core_figures_come_before_their_labels() -> None:
    """On a narrow pane the figures must be in view: the report's long labels (up to ~90 cells)
    used to push every core figure past the 76 cells an 80x24 Window tab has."""
    an = analysis_of(load_run(str(SAMPLE)))
    t = an.trace
    assert t is not None
    lo, hi = int(t.ts.min()), int(t.end.max())
    child = an.scoped(lo, hi, None)
    body = window_text(child)
    cs = child.first_core_summary()
    assert cs is not None
    for figure in (f"{cs.wall:,}", f"{cs.dpc_sum:,}"):
        line = next(ln for ln in body.splitlines() if ln.lstrip().startswith(figure + "  "))
        assert line.index(figure) + len(figure) <= 40, line
    wall_line = next(ln for ln in body.splitlines() if "graph wall" in ln)
    assert wall_line.lstrip().startswith(f"{cs.wall:,}")
