"""Window statistics in compare mode: `W` / `m` / drag on the dual timeline, `x` mapping, `M`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from htptui.analysis.compare import map_window_by_ops, window_comparison
from htptui.analysis.run import analysis_of
from htptui.model.discover import resolve_graph
from htptui.model.run import load_run
from htptui.output.baseline import load_document
from htptui.tui.compare import CompareApp, DualTimeline
from htptui.tui.compare_window import CompareWindowPane, run_of_document

LLM = Path(__file__).resolve().parents[1] / "sample_data" / "synthetic_llm_decoder"
S1, S32 = "qwen3-synth-s1", "qwen3-synth-s32"


@pytest.fixture(scope="module")
def llm_docs() -> tuple[dict[str, Any], dict[str, Any]]:
    return load_document(str(LLM), graph=S1), load_document(str(LLM), graph=S32)


@pytest.fixture(scope="module")
def llm_runs() -> tuple[Any, Any]:
    return tuple(
        analysis_of(load_run(str(LLM), artifacts=resolve_graph(LLM, g))) for g in (S1, S32)
    )


def _fig(wc: Any, name: str) -> Any:
    return next(c for _s, c in wc.figures if c.name == name)


def test_whole_window_equals_whole_graph_figures(llm_runs: Any) -> None:
    a, b = llm_runs
    ca = a.scoped(0, 10**9)
    cb = b.scoped(0, 10**9)
    wc = window_comparison(ca, cb)
    sa, sb = a.core_summary(0), b.core_summary(0)
    assert (wc.ops.a, wc.ops.b) == (len(a.trace), len(b.trace))
    assert (_fig(wc, "Σ DPC (cycles)").a, _fig(wc, "Σ DPC (cycles)").b) == (sa.dpc_sum, sb.dpc_sum)
    wall = _fig(wc, "wall (window ∩ ops' span, cycles)")
    assert (wall.a, wall.b, wall.delta) == (sa.wall, sb.wall, sb.wall - sa.wall)
    ov = _fig(wc, "HVX∥HMX-compute overlap (cycles)")
    assert (ov.a, ov.b) == (sa.hvx_hmx_overlap, sb.hvx_hmx_overlap)
    tax = _fig(wc, "boundary tax busy (cycles)")
    assert (tax.a, tax.b) == (sa.boundary.total_busy, sb.boundary.total_busy)
    for ls in sa.lanes:
        assert _fig(wc, f"lane {ls.lane.label} busy (cycles)").a == ls.busy
        assert _fig(wc, f"lane {ls.lane.label} util (% of wall)").a == ls.utilization
    # the ranked ops are the runs' own QNN-op rankings, A respelled to B's names
    ra = a.ranking("qnn_op")
    assert sum(r.dpc.a or 0 for r in wc.qnn_ops) == int(ra.dpc.sum())


def test_window_figures_are_the_scoped_analysis(llm_runs: Any) -> None:
    a, b = llm_runs
    wc = window_comparison(a.scoped(20_000, 60_000), b.scoped(20_000, 60_000))
    ca = a.scoped(20_000, 60_000)
    assert _fig(wc, "Σ DPC (cycles)").a == ca.core_summary(0).dpc_sum
    assert (
        _fig(wc, "idle = wall − Σ DPC (cycles)").b == b.scoped(20_000, 60_000).core_summary(0).idle
    )
    # a lane idle through B's window reads 0, not "removed"
    lanes = [c for s, c in wc.figures if s == "lanes"]
    assert all(c.status != "removed" and c.status != "added" for c in lanes)


def test_lane_figures_of_both_runs_in_one_lane_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lanes only one run has are merged into the unit / number order, busy before util."""
    from htptui.analysis import compare as cmp_mod

    a = {
        "lane HMX 256 busy (cycles)": (1, "cycles", ""),
        "lane HVX 514 busy (cycles)": (2, "cycles", ""),
    }
    b = {
        **a,
        "lane HVX 513 busy (cycles)": (3, "cycles", ""),
        "lane HVX 513 util (% of wall)": (4.0, "pct", ""),
    }

    class Child:
        def __init__(self, figs: dict[str, Any]) -> None:
            self.figs, self.window, self.trace = figs, (0, 10), []

    monkeypatch.setattr(cmp_mod, "_core_figures", lambda c: c.figs)
    monkeypatch.setattr(cmp_mod, "_ranked", lambda c: {})
    wc = window_comparison(Child(a), Child(b))  # type: ignore[arg-type]
    assert [c.name for _s, c in wc.figures] == [
        "lane HMX 256 busy (cycles)",
        "lane HVX 513 busy (cycles)",
        "lane HVX 513 util (% of wall)",
        "lane HVX 514 busy (cycles)",
    ]


def test_map_window_by_ops_spans_the_same_ops() -> None:
    keys_a = [("x", "k", 0), ("y", "k", 0), ("z", "k", 0)]
    keys_b = [("z", "k", 0), ("x", "k", 0), ("y", "k", 0), ("w", "k", 0)]
    a = (keys_a, np.array([0, 10, 20]), np.array([5, 15, 25]))
    b = (keys_b, np.array([0, 100, 300, 500]), np.array([50, 200, 400, 600]))
    assert map_window_by_ops(a, b, 0, 11) == ((0, 15), (100, 400), 2)
    assert map_window_by_ops(a, b, 30, 40) is None
    assert map_window_by_ops(b, a, 490, 510) is None  # w exists in B only


def test_run_of_document_refuses_another_trace(llm_docs: Any) -> None:
    run = run_of_document(llm_docs[0])
    assert not isinstance(run, str) and run.trace is not None
    assert len(run.trace) == len(llm_docs[0]["compare_basis"]["instances"])
    doc = {**llm_docs[0], "compare_basis": {"instances": [{}] * 3}}
    assert "no longer matches" in run_of_document(doc)
    gone = {**llm_docs[0], "artifacts": {"found": {"op_trace": "/nonexistent/x.json"}}}
    assert "not at hand" in run_of_document(gone)


async def _settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_w_marks_the_view_and_shows_a_beside_b(llm_docs: Any, llm_runs: Any) -> None:
    app = CompareApp(*llm_docs)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("1", "w", "W")
        await _settle(pilot)
        tl = app.query_one(DualTimeline)
        lo, hi = int(np.floor(tl.view_lo)), int(np.ceil(tl.view_hi))
        assert app.win_mark == ("A", lo, hi) and tl.windows == {"A": (lo, hi), "B": (lo, hi)}
        assert app.query_one("#cmp-tables").has_class("-window")
        pane = app.query_one(CompareWindowPane)
        assert pane.display and pane.has_focus
        wc = app.win_result
        assert wc is not None
        a, b = llm_runs
        assert _fig(wc, "Σ DPC (cycles)").a == a.scoped(lo, hi).core_summary(0).dpc_sum
        assert _fig(wc, "Σ DPC (cycles)").b == b.scoped(lo, hi).core_summary(0).dpc_sum
        assert "mapping (cycles, x toggles)" in pane.text and "HVX∥HMX" in pane.text
        assert "boundary tax" in pane.text and "util (% of wall)" in pane.text
        # aligned columns: every figure row has its numbers end at the same column
        rows = [ln for ln in pane.text.splitlines() if "(cycles)" in ln and "lane" not in ln]
        ends = {len(ln.rstrip()) for ln in rows}
        assert len(ends) <= 2, ends  # Δ % blank when A is 0
        # x: the same ops on B's own axis
        await pilot.press("x")
        await _settle(pilot)
        assert app.win_mapping == "ops" and "mapping (ops" in pane.text
        assert tl.windows["B"] != (lo, hi)
        wc2 = app.win_result
        assert wc2 is not None and wc2.window_b == tl.windows["B"]
        # [ ] back to the tables and again; M clears
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert not app.query_one("#cmp-tables").has_class("-window")
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert app.query_one("#cmp-tables").has_class("-window")
        await pilot.press("M")
        await pilot.pause()
        assert app.win_mark is None and tl.windows == {}
        assert not app.query_one("#cmp-tables").has_class("-window")


async def test_m_takes_the_selected_rows_instances(llm_docs: Any) -> None:
    app = CompareApp(*llm_docs)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("2", "j", "m")
        await _settle(pilot)
        tl = app.query_one(DualTimeline)
        m = tl.a.mask_of("qnn_op", app.selected)
        assert m is not None and m.any()
        assert app.win_mark == ("A", int(tl.a.ts[m].min()), int(tl.a.end[m].max()))
        wc = app.win_result
        assert wc is not None
        # g to the B view: m marks on B's own instances of that row
        await pilot.press("escape", "g", "g", "m")
        await _settle(pilot)
        mb = tl.b.mask_of("qnn_op", app.selected)
        assert mb is not None
        assert app.win_mark == ("B", int(tl.b.ts[mb].min()), int(tl.b.end[mb].max()))


async def test_filter_rescopes_and_export_writes_the_window(
    llm_docs: Any, llm_runs: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("HTPTUI_EXPORT_DIR", str(tmp_path))
    app = CompareApp(*llm_docs)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("1", "W")
        await _settle(pilot)
        await pilot.press("slash", *"HVX", "enter")
        await _settle(pilot)
        pane = app.query_one(CompareWindowPane)
        assert "filter /HVX/" in pane.text and app.query_one("#cmp-tables").has_class("-window")
        a, _b = llm_runs
        _run, lo, hi = app.win_mark
        wc = app.win_result
        assert wc is not None
        assert wc.ops.a == len(a.scoped(lo, hi, "HVX").trace)
        copied: list[str] = []
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        await pilot.press("y")
        assert copied == [pane.text]
        await pilot.press("e")
        await pilot.pause()
        out = list(tmp_path.glob("htptui-export-compare-*.csv"))
        assert len(out) == 1
        text = out[0].read_text()
        assert text.startswith("kind,name,A,B,delta,unit,A_name") and "qnn_op_dpc" in text


async def test_mouse_drag_on_b_rows_marks_on_b(llm_docs: Any) -> None:
    app = CompareApp(*llm_docs)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        tl = app.query_one(DualTimeline)
        y = tl._line_runs.index("B")
        first, width = tl._plot
        await pilot.mouse_down(tl, offset=(first + 1 + 10, y))  # +1: the widget's left padding
        await pilot.mouse_up(tl, offset=(first + 1 + 40, y))
        await _settle(pilot)
        assert app.win_mark is not None and app.win_mark[0] == "B"
        _r, lo, hi = app.win_mark
        span = tl.view_hi - tl.view_lo
        assert abs(lo - (tl.view_lo + 10 * span / width)) <= span / width + 1
        assert abs(hi - (tl.view_lo + 40 * span / width)) <= span / width + 1
        assert app.win_result is not None


async def test_a_saved_report_without_its_trace_says_so(llm_docs: Any) -> None:
    gone = {**llm_docs[1], "artifacts": {"found": {"op_trace": "/nonexistent/x.json"}}}
    app = CompareApp(llm_docs[0], gone)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("1", "W")
        await _settle(pilot)
        said: list[str] = []
        app.notify = lambda msg, **kw: said.append(str(msg))  # type: ignore[method-assign]
        await pilot.press("W")
        await _settle(pilot)
        text = app.query_one(CompareWindowPane).text
        assert "need run B's op trace" in text and app.win_result is None
        assert said and "need run B's op trace" in said[-1]
        # the tables stay (no near-empty window pane), nothing stays marked
        assert not app.query_one("#cmp-tables").has_class("-window")
        assert app.win_mark is None and app.query_one(DualTimeline).windows == {}


@pytest.fixture
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


async def _window_marked(pilot: Any) -> None:
    await pilot.pause()
    await pilot.press("1", "w", "d", "W")
    await _settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_compare_window_snapshot(
    snap_compare: Any, llm_docs: Any, size: tuple[int, int], _no_blink: None
) -> None:
    a, b = ({**d, "source": label} for d, label in zip(llm_docs, ("s1", "s32"), strict=True))
    assert snap_compare(CompareApp(a, b), terminal_size=size, run_before=_window_marked)


async def test_bookmarked_window_comes_back_as_the_window(
    llm_docs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`B` with a window marked bookmarks it on each run as mapped; `'` Enter marks it again."""
    from htptui.model.bookmarks import BookmarkStore
    from htptui.tui.bookmarks import BookmarksScreen

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    app = CompareApp(*llm_docs)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("2", "j", "x", "m")
        await _settle(pilot)
        tl = app.query_one(DualTimeline)
        wa, wb = tl.windows["A"], tl.windows["B"]
        assert wa != wb  # by ops: each run's own copies
        await pilot.press("B")
        await pilot.pause()
        traces = [d["artifacts"]["found"]["op_trace"] for d in llm_docs]
        a_items, b_items = (BookmarkStore(t).items for t in traces)
        assert [(x.lo, x.hi) for x in a_items] == [wa] and [(x.lo, x.hi) for x in b_items] == [wb]
        await pilot.press("M")
        await pilot.pause()
        assert app.win_mark is None
        await pilot.press("apostrophe")
        await pilot.pause()
        assert isinstance(app.screen, BookmarksScreen)
        await pilot.press("enter")  # A's window
        await _settle(pilot)
        assert app.win_mark == ("A", *wa) and app.win_result is not None
        assert app.query_one("#cmp-tables").has_class("-window")
