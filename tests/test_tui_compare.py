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
        await pilot.press("k")
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
    ],
)
def test_compare_snapshot(snap_compare: Any, docs: Any, size: Any, press: list[str]) -> None:
    a, b = (
        {**d, "source": label} for d, label in zip(docs, ("chain8_matmul", "edited"), strict=True)
    )
    assert snap_compare(CompareApp(a, b), terminal_size=size, press=press)
