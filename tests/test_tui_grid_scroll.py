"""Sideways scrolling of the DataGrid: the first column stays at x=0, one column per key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult

from htptui.model.discover import discover_graphs
from htptui.tui.app import HtpApp
from htptui.tui.panes.ranking import VIEW
from htptui.tui.widgets.grid import Column, DataGrid
from tests.test_tui_widgets import GridApp

LLM = Path(__file__).resolve().parent.parent / "sample_data" / "synthetic_llm_decoder"


@pytest.fixture(autouse=True)
def _no_animations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


def _line(grid: DataGrid, y: int) -> str:
    return "".join(s.text for s in grid.render_line(y))


async def test_first_column_fixed_and_one_column_per_key() -> None:
    app = GridApp(50)  # columns: rank 8, name 24, dpc 12, note 40 (85 cells) in a 40-cell view
    async with app.run_test(size=(40, 12)) as pilot:
        grid = app.query_one(DataGrid)
        width = grid.scrollable_content_region.width
        assert grid.frozen_width == 9
        assert grid.column_stops() == [0, 25, 38]
        assert _line(grid, 1).startswith("   rank0 name0 ")
        await pilot.press("l")
        assert grid.scroll_x == 25  # the name column scrolled behind the fixed rank column
        body, header = _line(grid, 1), _line(grid, 0)
        assert body.startswith("   rank0 " + "dpc0".rjust(12) + " note0")
        assert header.startswith("#".rjust(8) + " " + "DPC".rjust(12) + " Note")
        assert len(body) == len(header) == width
        await pilot.press("right")
        assert grid.scroll_x == 38
        assert _line(grid, 1).startswith("   rank0 note0")
        await pilot.press("right")
        assert grid.scroll_x == grid.max_scroll_x == 49  # then the rest of the last column
        assert _line(grid, 1).startswith("   rank0 ")
        await pilot.press("right")  # already at the end: stays
        assert grid.scroll_x == grid.max_scroll_x
        await pilot.press("left")
        assert grid.scroll_x == 38
        await pilot.press("h", "h")
        assert grid.scroll_x == 0
        assert _line(grid, 1).startswith("   rank0 name0 ")


async def test_first_column_wider_than_view_scrolls_plainly() -> None:
    app = GridApp(5)
    async with app.run_test(size=(40, 12)) as pilot:
        grid = app.query_one(DataGrid)
        grid.set_columns([Column("note", "Note", 60, align="left"), Column("dpc", "DPC", 12)])
        await pilot.pause()
        assert grid.frozen_width == 0
        await pilot.press("l")
        assert grid.scroll_x == grid.max_scroll_x
        assert not _line(grid, 1).startswith("note0")


async def test_ranking_name_column_stays_on_llm_sample_at_80x24() -> None:
    art = next(g.artifacts for g in discover_graphs(LLM) if g.name == "qwen3-synth-s1")
    app = HtpApp(str(LLM), artifacts=art, extra_panes=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        for _ in range(20):
            await pilot.pause()
            if app.ready or app.load_error is not None:
                break
        assert app.ready
        await pilot.press("2")
        await pilot.pause()
        grid = app.ranking.grid
        assert app.focused is grid
        # the pane drops columns to fit 80 cells; give the grid every ranking column (all real
        # cells of the pane) so the table is wider than the terminal
        cols: list[Any] = [
            Column(c.key, c.label, max(c.width, len(c.label)), c.align) for c in VIEW[1:]
        ]
        grid.set_columns([Column("name", "name", 18, "left"), *cols])
        await pilot.pause()
        assert grid.max_scroll_x > 0
        fixed = grid.frozen_width
        assert fixed == 19
        header0, body0 = _line(grid, 0), _line(grid, 1)
        assert body0.startswith(app.ranking.cell(0, "name")[:4])  # the name's head, however cut
        last = cols[-1].label
        assert last not in header0
        for _ in range(len(cols)):
            await pilot.press("l")
        assert grid.scroll_x == grid.max_scroll_x
        header, body = _line(grid, 0), _line(grid, 1)
        assert header[:fixed] == header0[:fixed]
        assert header.startswith("name ")
        assert body[:fixed] == body0[:fixed]  # the first column text, still at column 0
        assert last in header  # a later column scrolled into view
        assert VIEW[1].label not in header[19:]  # the first scrolling column went behind the name
        await pilot.press("left")
        assert 0 < grid.scroll_x < grid.max_scroll_x
        assert _line(grid, 1)[:fixed] == body0[:fixed]


class WideGridApp(App[None]):
    """A name column and ten numeric ones (170 cells), wider than either snapshot terminal."""

    def compose(self) -> ComposeResult:
        yield DataGrid(id="grid")

    def on_mount(self) -> None:
        grid = self.query_one(DataGrid)
        cols = [Column(f"c{i}", f"col {i}", 12) for i in range(1, 11)]
        grid.set_columns([Column("name", "name", 30, "left"), *cols])
        grid.set_data(
            40,
            lambda row, key: f"model.layers.{row}.mlp" if key == "name" else f"{key}:{row * 7}",
        )
        grid.focus()


@pytest.mark.parametrize(
    ("size", "press"),
    [
        pytest.param((80, 24), ["l", "l"], id="80x24-two-right"),
        pytest.param((160, 50), ["l"], id="160x50-one-right"),
    ],
)
def test_grid_scrolled_snapshot(snap_compare: Any, size: tuple[int, int], press: list[str]) -> None:
    assert snap_compare(WideGridApp(), terminal_size=size, press=press)
