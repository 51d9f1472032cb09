"""The work one key causes in the real app: rankings computed, sort orders, layout passes, footer
rebuilds, panes repainted (issue 10: the explorer must stay responsive at 1M events, and each of
these costs a whole-screen pass or a pass over every op there)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from htptui.analysis import ranking as ranking_mod
from htptui.analysis import structure as structure_mod
from htptui.tui.app import HtpApp
from htptui.tui.panes.details import DetailsPane
from htptui.tui.panes.ranking import RankingPane
from htptui.tui.widgets.timeline import Timeline
from tests.test_tui_app import SAMPLE, SIZE, loaded

# the panes whose repaint this issue makes layout-free (QHAS and DAG are other helpers' panes)
OWN_PANES = (DetailsPane, RankingPane, Timeline, Footer)


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", False, raising=False)


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts of layout passes, rankings computed and footer rebuilds while a test runs."""
    counts: Counter[str] = Counter()

    def counting(name: str, owner: Any, attr: str) -> None:
        real = getattr(owner, attr)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, attr, wrapper)

    counting("layout pass", Screen, "_refresh_layout")
    real_refresh = Widget.refresh

    def refresh(self: Widget, *regions: Any, **kwargs: Any) -> Any:
        # a layout asked for by (a widget inside) one of this panes
        if kwargs.get("layout"):
            for node in self.ancestors_with_self:
                if isinstance(node, OWN_PANES):
                    counts[f"layout {type(node).__name__}"] += 1
                    counts["layout"] += 1
                    break
        return real_refresh(self, *regions, **kwargs)

    monkeypatch.setattr(Widget, "refresh", refresh)
    counting("rank", ranking_mod, "rank")
    counting("rank", structure_mod, "rank")
    counting("footer", Footer, "recompose")
    return counts


async def _settle(pilot: Any, app: HtpApp) -> None:
    await app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()


async def test_ranking_j_repaints_details_without_layout(work: Counter[str]) -> None:
    """j in the ranking: every linked pane follows, yet Details, the ranking, the timeline and the
    footer ask for no layout pass, no ranking is computed, no footer rebuilt; Details repaints
    once per new op."""
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("2")
        await _settle(pilot, app)
        work.clear()
        before = getattr(app.details, "repaints", 0)
        primaries = []
        for _ in range(4):
            await pilot.press("j")
            await _settle(pilot, app)
            primaries.append(app.selection[1])
        assert len(set(primaries)) == 4  # each j selected another op
        assert work["layout"] == 0, work
        assert work["rank"] == 0, work
        assert work["footer"] == 0, work
        assert 4 <= app.details.repaints - before <= 8  # the op, then at most its args
        # the same selection again repaints nothing
        work.clear()
        before = app.details.repaints
        app.details.on_ops_selected(*app.selection)
        await _settle(pilot, app)
        assert app.details.repaints == before
        assert work["layout"] == 0


async def test_filter_enter_keeps_panes_and_footer(work: Counter[str]) -> None:
    """`/` + pattern + Enter: one ranking computed (the level on show), the footer kept, and the
    filter input overlays the panes instead of resizing them."""
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("2")
        await _settle(pilot, app)
        regions = {w.id: w.region for w in (app.ranking, app.details, app.timeline)}
        work.clear()
        await pilot.press("slash", *"conv")
        await _settle(pilot, app)
        assert {w.id: w.region for w in (app.ranking, app.details, app.timeline)} == regions
        await pilot.press("enter")
        await _settle(pilot, app)
        assert app.filter_pattern == "conv"
        assert work["rank"] == 1, work
        assert work["footer"] == 0, work
        # the same pattern again: every figure is cached
        work.clear()
        await pilot.press("escape")
        await _settle(pilot, app)
        await pilot.press("slash", *"conv", "enter")
        await _settle(pilot, app)
        assert app.filter_pattern == "conv"
        assert work["rank"] == 0, work
        assert work["footer"] == 0, work


async def test_a_focus_change_repaints_the_two_widgets_not_the_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Switching panes, opening the filter and leaving it move the focus: the widget that gains
    it and the one that loses it repaint (their focus styles), the screen as a whole does not
    (Textual's own Screen.focused repaints every cell: 20-30 ms at 200x60 on a big run)."""
    repaints: list[Widget] = []
    real_refresh = Widget.refresh

    def refresh(self: Widget, *regions: Any, **kwargs: Any) -> Any:
        if kwargs.get("repaint", True):
            repaints.append(self)
        return real_refresh(self, *regions, **kwargs)

    monkeypatch.setattr(Widget, "refresh", refresh)
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("2")
        await _settle(pilot, app)
        for keys in (("3",), ("2",), ("slash",), ("escape",), ("1",)):
            before = app.focused
            repaints.clear()
            await pilot.press(*keys)
            await _settle(pilot, app)
            assert app.focused is not before, keys
            assert app.screen not in repaints, keys  # no whole-screen repaint
            assert before in repaints and app.focused in repaints, keys


async def test_level_cycle_reuses_rankings_and_sort_orders(work: Counter[str]) -> None:
    """r cycles the levels; the second cycle computes no ranking and no sort order."""
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("2")
        await _settle(pilot, app)
        levels = len(ranking_mod.ALL_LEVELS)
        orders = {}
        for _ in range(levels):
            await pilot.press("r")
            await _settle(pilot, app)
            orders[app.ranking.level] = app.ranking.order
        work.clear()
        for _ in range(levels):
            await pilot.press("r")
            await _settle(pilot, app)
            if app.ranking.tree is None:  # flat levels: the very same order array
                assert app.ranking.order is orders[app.ranking.level]
        assert work["rank"] == 0, work
        rk = app.ranking.ranking
        assert rk is not None
        assert rk.sorted_by("busy", False) is rk.sorted_by("busy", False)
        assert not rk.sorted_by("busy", False).flags.writeable


def test_timeline_selection_in_view_is_a_slice_not_a_pass() -> None:
    """A lane row's selected ops in view come from binary searches and equal the full scan."""
    import numpy as np

    from htptui.model.run import load_run

    trace = load_run(str(SAMPLE)).trace
    assert trace is not None
    tl = Timeline()
    tl.trace = trace
    rng = np.random.default_rng(7)
    t0, t1 = int(trace.ts.min()), int(trace.end.max())
    for lane in np.unique(trace.lane).tolist():
        ops = np.flatnonzero(trace.lane == lane)
        sel = np.sort(rng.choice(ops, size=max(1, ops.size // 2), replace=False))
        for _ in range(20):
            lo, hi = sorted(rng.integers(t0, t1 + 1, size=2).tolist())
            got = tl._visible_of((sel, int(trace.dur[sel].max())), lo, hi)
            got = got[(trace.end[got] > lo) & (trace.ts[got] < hi)]
            want = sel[(trace.end[sel] > lo) & (trace.ts[sel] < hi)]
            assert got.tolist() == want.tolist()


async def test_filter_does_not_relayout_for_unchanged_pane_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Static update lays the whole screen out again: the Window pane (no window marked), the
    QHAS instance note and the findings detail must not re-show the same text on a filter."""
    from textual.widgets import Static

    from htptui.tui.panes.window import PANE

    updates: Counter[str] = Counter()
    orig = Static.update

    def counting(self: Static, *a: Any, **k: Any) -> None:
        updates[self.id or type(self).__name__] += 1
        orig(self, *a, **k)

    app = HtpApp(str(SAMPLE), extra_panes=[PANE])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        monkeypatch.setattr(Static, "update", counting)
        for pattern in ("Conv", "Conv"):
            app.apply_filter(pattern)
            await app.workers.wait_for_complete()
            for _ in range(3):
                await pilot.pause()
        assert updates["window-body"] == 0, updates
        assert updates["qhas-instances"] == 0, updates
        assert updates["findings-detail"] <= 1, updates  # the first filter may change the findings
