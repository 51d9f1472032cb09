"""Compare mode (``htptui A B``): Pilot tests and SVG snapshots on the edited chain8 sample."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from htptui.model.run import load_run
from htptui.output.baseline import document_of, load_document
from htptui.output.json import to_json_bytes
from htptui.tui.compare import CompareApp, DualTimeline, RunLanes


def _fixtures() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_compare_fixtures_tui", Path(__file__).with_name("test_compare.py")
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


FX = _fixtures()


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    root = tmp_path_factory.mktemp("tui_cmp")
    b = FX.make_lane_moved(
        root / "b", FX.make_without_matmul5(root / "c2", FX.make_slower(root / "c1"))
    )
    return document_of(load_run(FX.SAMPLE)), document_of(load_run(b))


def _names(table: DataTable) -> list[str]:
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_diff_view_ranks_by_delta_and_links_selection(docs: Any) -> None:
    app = CompareApp(*docs)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        ranking = app.query_one("#cmp-ranking", DataTable)
        assert _names(ranking)[:2] == ["MatMul_3", "MatMul_5"]
        assert [str(c.label) for c in ranking.columns.values()][:5] == [
            "name", "A DPC", "B DPC", "Δ DPC", "Δ %",
        ]  # fmt: skip
        assert app.selected == "MatMul_3"
        assert app.query_one(DualTimeline).selected == "MatMul_3"
        assert "+5,000" in str(app.query_one("#cmp-status", Static).render())
        await pilot.press("down")
        await pilot.pause()
        assert app.selected == "MatMul_5"
        assert "instances 5 → -" in str(app.query_one("#cmp-status", Static).render())
        lanes = app.query_one("#cmp-lanes", DataTable)
        assert {"HVX 513", "HVX 514", "HMX 256"} <= set(_names(lanes))


async def test_g_cycles_views_and_keeps_selection(docs: Any) -> None:
    app = CompareApp(*docs)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        tl = app.query_one(DualTimeline)
        labels = [r[0] for r in tl.rows()]
        assert "A HVX 514" in labels and "B HVX 513" in labels  # A above B
        assert labels.index("A HMX 256") < labels.index("B HMX 256")
        await pilot.press("down")  # select MatMul_5
        await pilot.press("g")
        await pilot.pause()
        assert app.mode == "A" and tl.mode == "A"
        assert all(r[0].startswith("A ") for r in tl.rows())
        ranking = app.query_one("#cmp-ranking", DataTable)
        assert _names(ranking)[0] == "MatMul_0"  # A alone: ranked by A's DPC
        assert app.selected == "MatMul_5"
        assert _names(ranking)[ranking.cursor_row] == "MatMul_5"
        await pilot.press("g")
        await pilot.pause()
        assert app.mode == "B" and "MatMul_5" not in _names(ranking)
        assert all(r[0].startswith("B ") for r in tl.rows())
        await pilot.press("g")
        await pilot.pause()
        assert app.mode == "diff"
        await pilot.press("r")  # the explorer's level key
        await pilot.pause()
        assert _names(ranking)[0] == "q::ConvLayer_s1.opt"


async def test_saved_baseline_opens_like_a_directory(docs: Any, tmp_path: Path) -> None:
    p = tmp_path / "base.json"
    p.write_bytes(to_json_bytes(docs[0]))
    app = CompareApp(load_document(str(p)), docs[1])
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert _names(app.query_one("#cmp-ranking", DataTable))[0] == "MatMul_3"


def test_timeline_coverage_is_exact(docs: Any) -> None:
    run = RunLanes(docs[0])
    lo, hi = run.span
    assert (lo, hi) == (22, 64851)
    hvx514 = run.lanes.index("HVX 514")
    cov = run.coverage(hvx514, lo, hi, 64829)  # one cycle per bucket
    assert int(round(cov.sum())) == 5801


@pytest.mark.parametrize(
    ("size", "press"),
    [
        pytest.param((120, 36), [], id="120x36-diff"),
        pytest.param((120, 36), ["down", "g"], id="120x36-A-selected"),
        pytest.param((160, 50), [], id="160x50-diff"),
        pytest.param((80, 24), [], id="80x24-diff"),
    ],
)
def test_compare_snapshot(snap_compare: Any, docs: Any, size: Any, press: list[str]) -> None:
    a, b = (
        {**d, "source": label} for d, label in zip(docs, ("chain8_matmul", "edited"), strict=True)
    )
    assert snap_compare(CompareApp(a, b), terminal_size=size, press=press)


async def test_explorer_keys_work_in_compare_mode(
    docs: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """`/` filter, `r` level, `s`/`S` sort, zoom/pan, `e`/`E` export and `?` help, on A and B."""
    monkeypatch.setenv("HTPTUI_EXPORT_DIR", str(tmp_path))
    from htptui.tui.compare import DualTimeline
    from htptui.tui.screens import HelpScreen

    app = CompareApp(*docs)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        ranking = app.query_one("#cmp-ranking", DataTable)
        await pilot.press("slash", *"MatMul_[35]", "enter")
        await pilot.pause()
        assert app.pattern == "MatMul_[35]"
        assert set(_names(ranking)) <= {"MatMul_3", "MatMul_5"} and _names(ranking)
        tl = app.query_one(DualTimeline)
        assert tl.pattern is not None
        await pilot.press("g")  # A view keeps the filter
        await pilot.pause()
        assert set(_names(ranking)) <= {"MatMul_3", "MatMul_5"}
        await pilot.press("g", "g", "escape")
        await pilot.pause()
        assert app.pattern is None and len(_names(ranking)) > 2
        await pilot.press("s")  # by name
        await pilot.pause()
        assert _names(ranking) == sorted(_names(ranking))
        await pilot.press("S")
        await pilot.pause()
        assert _names(ranking) == sorted(_names(ranking), reverse=True)
        await pilot.press("1", "w", "w")
        await pilot.pause()
        assert tl.view_hi - tl.view_lo == pytest.approx((tl.hi - tl.lo) / 4)
        await pilot.press("d")
        lo = tl.view_lo
        await pilot.press("a", "a")
        assert tl.view_lo < lo
        await pilot.press("0")
        assert (tl.view_lo, tl.view_hi) == (tl.lo, tl.hi)
        await pilot.press("2")
        await pilot.pause()
        start = ranking.cursor_row
        await pilot.press("n", "n", "N")
        await pilot.pause()
        assert ranking.cursor_row == start + 1 and app.selected == _names(ranking)[start + 1]
        await pilot.press("1", "f")
        await pilot.pause()
        assert tl.view_hi - tl.view_lo < tl.hi - tl.lo
        await pilot.press("2", "e")
        await pilot.pause()
        out = list(tmp_path.glob("htptui-export-compare-*.csv"))
        assert len(out) == 1 and out[0].read_text().splitlines()[0].startswith("name,A_dpc_cycles")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        # the right column is filled: lanes, then every summary figure and phase
        summary = app.query_one("#cmp-summary", DataTable)
        assert summary.row_count >= len(app.cmp.summary) - 3
        units = app.query_one("#cmp-units")
        assert units.region.bottom == app.query_one("#cmp-tables").region.bottom
        assert summary.region.bottom == units.region.bottom
