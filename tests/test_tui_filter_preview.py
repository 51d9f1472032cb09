"""The `/` filter computes a typed pattern once typing pauses (big traces), so Enter installs
cached figures in the key's own call; typed-but-never-applied patterns are forgotten."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

import htptui.tui.app as app_module
from htptui.analysis.run import Scope, analysis_of
from htptui.model.run import load_run
from htptui.tui.app import FILTER_PREVIEW_DELAY_S, HtpApp

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "chain8_matmul"
SIZE = (160, 50)


async def _loaded(pilot, app: HtpApp) -> None:  # type: ignore[no-untyped-def]
    for _ in range(400):
        await pilot.pause(0.02)
        if app.ready:
            break
    assert app.ready
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _typing_pause(pilot, app: HtpApp) -> None:  # type: ignore[no-untyped-def]
    await asyncio.sleep(FILTER_PREVIEW_DELAY_S + 0.1)
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def big(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the sample as a big trace: filters go through the workers."""
    monkeypatch.setattr(app_module, "FILTER_WORKER_ABOVE_OPS", 0)


async def test_a_typed_pattern_is_computed_before_enter_and_applied_in_the_keys_call(
    big: None,
) -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot, app)
        an = app.analysis
        assert an is not None
        level = app.ranking.level
        await pilot.press("slash", *"MatMul_[12]$")
        assert not an.cached(("coverage", "MatMul_[12]$"))  # nothing before typing pauses
        await _typing_pause(pilot, app)
        assert an.cached(("ranking", level, Scope("MatMul_[12]$")))
        assert an.cached(("coverage", "MatMul_[12]$"))
        assert app.filter_pattern is None  # computed, not applied
        started: list[str] = []
        real = app._filter_worker
        app._filter_worker = lambda p, lv: (started.append(p), real(p, lv))  # type: ignore[method-assign]
        await pilot.press("enter")
        assert app.filter_pattern == "MatMul_[12]$"  # installed in Enter's own call
        assert started == []  # no worker: every figure was ready
        assert app.ranking.grid.n_rows == 2


async def test_enter_right_after_typing_still_applies_through_the_worker(big: None) -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot, app)
        await pilot.press("slash", *"MatMul_[12]$", "enter")
        assert app._preview_timer is None  # Enter cancelled the pending preview
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.filter_pattern == "MatMul_[12]$"
        assert app.ranking.grid.n_rows == 2


async def test_a_half_typed_regex_is_not_previewed_and_enter_reports_it(big: None) -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot, app)
        await pilot.press("slash", *"MatMul_[12")
        await _typing_pause(pilot, app)
        an = app.analysis
        assert an is not None
        assert not any(k[0] == "filter" for k in an._cache if isinstance(k, tuple))
        await pilot.press("enter")
        await pilot.pause()
        assert app.filter_pattern is None


async def test_previews_nobody_applied_are_forgotten_beyond_the_kept_few(big: None) -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot, app)
        an = app.analysis
        assert an is not None
        await pilot.press("slash")
        typed = ["MatMul_1", "MatMul_2", "MatMul_3", "MatMul_4", "MatMul_5", "MatMul_6"]
        for pattern in typed:
            app.query_one("#filter-input").value = pattern  # type: ignore[attr-defined]
            await _typing_pause(pilot, app)
        kept = app_module.FILTER_PREVIEWS_KEPT
        for pattern in typed[: len(typed) - kept]:
            assert not an.cached(("filter", pattern)), pattern
            assert not an.cached(("coverage", pattern)), pattern
        for pattern in typed[len(typed) - kept :]:
            assert an.cached(("coverage", pattern)), pattern
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.filter_pattern == typed[-1]


def test_forget_pattern_drops_that_patterns_figures_only() -> None:
    an = analysis_of(load_run(SAMPLE))
    for pattern in ("MatMul", "Input"):
        an.filter_mask(pattern)
        an.ranking("qnn_op", Scope(pattern))
        an.ranking("kernel", Scope(pattern).into("qnn_op", "MatMul_1"))
        an.coverage(pattern)
        an.ops_in_time_order(pattern)
    all_rank = an.ranking("qnn_op")
    dropped = an.forget_pattern("MatMul")
    assert dropped >= 5
    assert not any("MatMul" in repr(k) and "Input" not in repr(k) for k in an._cache), (
        "a MatMul figure survived"
    )
    assert an.cached(("coverage", "Input")) and an.cached(("filter", "Input"))
    assert an.ranking("qnn_op") is all_rank
    # asked again, the figures are recomputed and equal
    m = an.filter_mask("MatMul")
    assert m.sum() == an.ranking("qnn_op", Scope("MatMul")).instances.sum()


def test_trace_derived_figures_follow_a_replaced_column() -> None:
    t = load_run(SAMPLE).trace
    assert t is not None
    end = t.end
    assert t.end is end and not end.flags.writeable
    t.dur = t.dur.copy()
    t.dur[0] += 5
    assert t.end is not end and int(t.end[0]) == int(end[0]) + 5
    calls: list[int] = []

    def compute() -> tuple[np.ndarray, int]:
        calls.append(1)
        return t.dpc * 2, 7

    a = t.derived("x2", (t.dpc,), compute)
    assert t.derived("x2", (t.dpc,), compute) is a and len(calls) == 1
    assert not a[0].flags.writeable
    t.dpc = t.dpc.copy()
    t.derived("x2", (t.dpc,), compute)
    assert len(calls) == 2


async def test_the_input_stays_up_while_the_worker_computes_and_closes_with_the_filter(
    big: None,
) -> None:
    from htptui.tui.app import FilterReady

    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot, app)
        started: list[str] = []
        app._filter_worker = lambda p, lv: started.append(p)  # type: ignore[method-assign]
        await pilot.press("slash", *"MatMul_[12]$", "enter")
        await pilot.pause()
        filt = app.query_one("#filter-input")
        assert started == ["MatMul_[12]$"]
        assert filt.has_class("-visible") and "filtering" in str(filt.border_subtitle)
        assert app.filter_pattern is None and app._pending_filter == "MatMul_[12]$"
        # the pane has its focus back while the worker runs: keys reach it
        assert app.focused is not None and app.focused is not filt
        app._compute_filter("MatMul_[12]$", app.ranking.level)  # what the worker computes
        app.post_message(FilterReady("MatMul_[12]$"))
        await pilot.pause()
        assert not filt.has_class("-visible") and not filt.border_subtitle
        assert app.filter_pattern == "MatMul_[12]$"
        assert app.focused is not filt


async def test_esc_while_the_worker_computes_cancels_the_filter(big: None) -> None:
    from htptui.tui.app import FilterReady

    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot, app)
        app._filter_worker = lambda p, lv: None  # type: ignore[method-assign]
        await pilot.press("slash", *"MatMul_[12]$", "enter")
        await pilot.press("escape")
        await pilot.pause()
        assert not app.query_one("#filter-input").has_class("-visible")
        app.post_message(FilterReady("MatMul_[12]$"))  # the worker finishing late
        await pilot.pause()
        assert app.filter_pattern is None


async def test_a_result_landing_while_the_input_is_reopened_leaves_it_open(big: None) -> None:
    """`/` again while a filter is computed: the result installs, the new typing stays."""
    from htptui.tui.app import FilterReady

    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot, app)
        app._filter_worker = lambda p, lv: None  # type: ignore[method-assign]
        await pilot.press("slash", *"MatMul_[12]$", "enter")
        await pilot.pause()
        await pilot.press("slash", *"Tanh")
        filt = app.query_one("#filter-input")
        assert app.focused is filt
        app._compute_filter("MatMul_[12]$", app.ranking.level)  # what the worker computes
        app.post_message(FilterReady("MatMul_[12]$"))
        await pilot.pause()
        assert app.filter_pattern == "MatMul_[12]$"
        assert filt.has_class("-visible") and app.focused is filt


async def test_the_filter_result_hands_every_repaint_to_the_screen_at_once(big: None) -> None:
    """Installing the result posts every pane's Update (and the input's Layout) to the screen
    in the same call (flush_refreshes): none is left to reach the screen after the frame that
    draws the filter, as each widget's own idle handler would post it later."""
    from textual.widget import Widget

    from htptui.tui.app import FilterReady

    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot, app)
        app._filter_worker = lambda p, lv: None  # type: ignore[method-assign]
        await pilot.press("slash", *"MatMul_[12]$", "enter")
        await pilot.pause()
        app._compute_filter("MatMul_[12]$", app.ranking.level)  # what the worker computes
        app.on_filter_ready(FilterReady("MatMul_[12]$"))  # as the message handler runs it
        assert app.filter_pattern == "MatMul_[12]$"
        pending = [
            w for w in app.screen.walk_children(Widget) if w._repaint_required or w._layout_required
        ]
        assert pending == []
        await pilot.pause()
