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


async def _llm_app(pilot_size: tuple[int, int]) -> Any:
    art = next(g.artifacts for g in discover_graphs(LLM) if g.name == "qwen3-synth-s1")
    return HtpApp(str(LLM), artifacts=art, extra_panes=[])


async def _ready(app: HtpApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    for _ in range(20):
        await pilot.pause()
        if app.ready or app.load_error is not None:
            break
    assert app.ready


async def test_ranking_keeps_every_column_and_scrolls_to_the_hidden_ones_at_80x24() -> None:
    app = await _llm_app((80, 24))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        pane, grid = app.ranking, app.ranking.grid
        assert app.focused is grid
        keys = [c.key for c in grid.columns]
        assert sorted(keys) == sorted(c.key for c in VIEW)  # nothing dropped
        # what fits first is what the priorities pick (DPC, % path, busy, unit at 80 cells)
        first = keys[: pane.first_columns]
        assert first[:4] == ["name", "dpc", "dpc_pct", "busy"] and "units" in first
        hidden = keys[pane.first_columns :]
        assert "dpc_hmx" in hidden and "instances" in hidden
        view = grid.scrollable_content_region.width
        assert grid.virtual_size.width > view and grid.max_scroll_x > 0
        header0, body0 = _line(grid, 0), _line(grid, 1)
        fixed = grid.frozen_width
        assert fixed == grid.columns[0].width + 1
        for col in grid.columns[pane.first_columns :]:
            assert col.label not in header0[fixed:]
        stops = grid.column_stops()
        seen: set[str] = set()
        for k in range(1, len(stops)):  # every key moves one column; the name stays at x=0
            await pilot.press("l")
            assert grid.scroll_x == min(stops[k], grid.max_scroll_x)
            header, body = _line(grid, 0), _line(grid, 1)
            assert header[:fixed] == header0[:fixed] and body[:fixed] == body0[:fixed]
            assert (
                header[fixed:].startswith(_label_cell(grid, k))
                or grid.scroll_x == grid.max_scroll_x
            )
            seen.update(c.label for c in grid.columns if c.label in header[fixed:])
            if grid.scroll_x == grid.max_scroll_x:
                break
        assert {c.label for c in grid.columns[pane.first_columns :]} <= seen | {
            c.label for c in grid.columns[1:] if c.label in header0
        }
        assert "other" in _line(grid, 0)  # the last column of the DPC split, scrolled into view
        await pilot.press("h")
        assert grid.scroll_x == [s for s in stops if s < grid.max_scroll_x][-1]
        assert _line(grid, 1)[:fixed] == body0[:fixed]
        await pilot.press(*["left"] * len(stops))
        assert grid.scroll_x == 0 and _line(grid, 0) == header0


def _label_cell(grid: DataGrid, k: int) -> str:
    """The header text of the k-th column (after the fixed one), as the grid pads it."""
    col = grid.columns[k + 1]
    return (col.label.ljust(col.width) if col.align == "left" else col.label.rjust(col.width))[:4]


async def test_ranking_unit_column_is_sized_to_its_content_at_80x24() -> None:
    app = await _llm_app((80, 24))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(app, pilot)
        pane, grid = app.ranking, app.ranking.grid
        await pilot.press("2", "r", "r")  # the structure level: a folded node rides every unit
        await pilot.pause()
        assert pane.level == "structure"
        units = next(c for c in grid.columns if c.key == "units")
        texts = {pane.cell(r, "units") for r in range(grid.n_rows)}
        assert "HMX+HVX+DMA" in texts
        assert units.width >= max(map(len, texts)) and units.elide == "end"
        rows = ["".join(s.text for s in grid.render_line(y)) for y in range(1, grid.page_rows)]
        assert not any("HMX…" in r or "HVX…" in r for r in rows)


async def test_qhas_tables_scroll_sideways_one_column_with_the_first_fixed() -> None:
    from htptui.tui.panes.qhas import QhasTable

    app = await _llm_app((80, 24))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        assert app.focused is app.qhas_pane
        tables = {t.id: t for t in app.query(QhasTable)}
        assert set(tables) == {"qhas-lanes", "qhas-types", "qhas-instance-table"}
        inst = tables["qhas-instance-table"]
        assert all(t.display and t.n_rows for t in tables.values())
        # names shortened in the middle, numbers whole; the table is wider than the pane
        assert inst.columns[0].elide == "middle" and inst.columns[2].elide == "end"
        assert inst.max_scroll_x > 0
        fixed = inst.frozen_width
        before = {k: (_line(t, 0), _line(t, 1)) for k, t in tables.items()}
        limit = int(inst.max_scroll_x)
        stops = [x for x in inst.column_stops() if x < limit] + [limit]  # where h/l stop
        await pilot.press("l")
        await pilot.pause()
        assert inst.scroll_x == stops[1]
        head, row = _line(inst, 0), _line(inst, 1)
        assert (
            head[:fixed] == before[inst.id][0][:fixed] and row[:fixed] == before[inst.id][1][:fixed]
        )
        assert "QNN op" not in head  # the second column went behind the first
        for t in tables.values():  # a table that fits does not move
            if not t.max_scroll_x:
                assert t.scroll_x == 0 and _line(t, 1) == before[t.id][1]
        await pilot.press("right")
        await pilot.pause()
        at = min(2, len(stops) - 1)
        assert inst.scroll_x == stops[at]
        await pilot.press("h")
        await pilot.pause()
        assert inst.scroll_x == stops[at - 1]
        await pilot.press("left", "left")
        await pilot.pause()
        assert inst.scroll_x == 0 and _line(inst, 0) == before[inst.id][0]
        # the selection marks ride the first column and survive a resize
        app.qhas_pane.on_resize()
        assert any(r[0].startswith("►") for r in inst.rows) == bool(app.qhas_pane._shown_keys)


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


def _llm() -> HtpApp:
    art = next(g.artifacts for g in discover_graphs(LLM) if g.name == "qwen3-synth-s1")
    return HtpApp(str(LLM), artifacts=art, extra_panes=[])


async def _loaded(pilot: Any) -> None:
    await _ready(pilot.app, pilot)
    await pilot.pause()


@pytest.mark.parametrize(
    ("size", "press"),
    [
        pytest.param((80, 24), ["2", "l", "l"], id="80x24-ranking-two-right"),
        pytest.param((80, 24), ["3", "l"], id="80x24-qhas-one-right"),
        pytest.param((160, 50), ["2", "l"], id="160x50-ranking-one-right"),
        pytest.param((160, 50), ["3", "l"], id="160x50-qhas-one-right"),
    ],
)
def test_llm_tables_scrolled_snapshot(
    snap_compare: Any, size: tuple[int, int], press: list[str]
) -> None:
    """The LLM sample's long names: the name column fixed while the other columns scroll."""
    assert snap_compare(_llm(), terminal_size=size, press=press, run_before=_loaded)


class _NamesApp(App[None]):
    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names

    def compose(self) -> ComposeResult:
        yield DataGrid()

    def on_mount(self) -> None:
        grid = self.query_one(DataGrid)
        grid.set_columns([Column("name", "name", 24, "left", elide="middle")])
        grid.set_data(len(self.names), lambda r, k: self.names[r])


async def test_elided_names_on_one_screen_stay_distinct() -> None:
    """Per-cell elision turned model.layers.0/1/… .self_attn.rotary_emb into one short form;
    the grid shortens a column's names together, so every distinct name reads differently,
    also across the blocks it shortens separately (rows 500–530 straddle the first boundary)."""
    names = [
        f"model.layers.{i % 40}.self_attn.rotary_emb.{'q' if i % 3 else 'k'}" for i in range(2000)
    ]
    app = _NamesApp(names)
    async with app.run_test(size=(30, 40)) as pilot:
        grid = app.query_one(DataGrid)
        for top in (0, 500, 1490):
            grid.scroll_to(y=top, animate=False)
            await pilot.pause()
            shown = {}
            for y in range(1, grid.scrollable_content_region.height):
                text = _line(grid, y).strip()
                name = names[int(grid.scroll_y) + y - 1]
                assert "…" in text and len(text) <= 24
                shown.setdefault(text, set()).add(name)
            assert all(len(v) == 1 for v in shown.values()), {
                k: v for k, v in shown.items() if len(v) > 1
            }


def _title(app: HtpApp) -> str:
    return str(app.ranking.query_one("#ranking-title").render())


async def test_ranking_title_counts_the_columns_out_of_view_at_80x24() -> None:
    """The title says how many columns lie right (and left) of the view; the count is what the
    header really hides, and it follows l/h and a resize."""
    app = await _llm_app((80, 24))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        grid = app.ranking.grid

        def shown(col: Any) -> bool:
            # the column's whole padded label cell is in the header's scrolling part
            cell = col.label.ljust(col.width) if col.align == "left" else col.label.rjust(col.width)
            return cell in _line(grid, 0)[grid.frozen_width :]

        left, right = grid.columns_out_of_view()
        assert left == 0 and right > 0
        cols = grid.columns
        assert not any(shown(c) for c in cols[len(cols) - right :])  # the counted ones are hidden
        assert shown(cols[len(cols) - right - 1])  # and the one before them is on show
        assert f"→ {right} more column" in _title(app) and "(l)" in _title(app)
        await pilot.press("l")
        await pilot.pause()
        left2, right2 = grid.columns_out_of_view()
        assert left2 == 1 and right2 < right
        assert f"← {left2} (h)" in _title(app)
        while grid.scroll_x < grid.max_scroll_x:
            await pilot.press("l")
        await pilot.pause()
        assert grid.columns_out_of_view()[1] == 0 and "more column" not in _title(app)
        await pilot.press(*["h"] * len(grid.columns))
        await pilot.pause()
        assert grid.columns_out_of_view() == (0, right)
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        wide = grid.columns_out_of_view()[1]
        assert wide < right
        assert (f"→ {wide} more column" in _title(app)) == (wide > 0)


async def test_details_wraps_long_values_under_a_hanging_indent_at_80x24() -> None:
    """Long QNN op names and dependency lines are shown whole in Details (wrapped, never cut)."""
    from htptui.tui.panes.details import FACT_INDENT, DetailsPane

    app = await _llm_app((80, 24))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(app, pilot)
        t = app.opt.trace  # type: ignore[union-attr]
        longest = max(range(len(t)), key=lambda i: len(t.qnn_op_name(i)))
        app.select_op(longest)
        await pilot.press("5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane = app.query_one(DetailsPane)
        width = pane.size.width
        assert width < 80
        screen_lines = []
        for y in range(len(pane._rows_at)):
            li, part = pane._rows_at[y]
            text = "".join(s.text for s in pane._draw(pane._lines[li], width, part))
            assert len(text) <= width
            screen_lines.append((li, part, text))
        long_facts = [
            li for li, line in enumerate(pane._lines)
            if line[0] == "fact" and len(line[2]) > width - FACT_INDENT
        ]  # fmt: skip
        assert long_facts  # dependency lines and args: wider than the value column
        for li in long_facts:
            key, value = pane._lines[li][1], pane._lines[li][2]
            pieces = [txt for lj, _p, txt in screen_lines if lj == li]
            assert len(pieces) > 1, key
            first = pieces[0][FACT_INDENT:].strip()
            rest = [p[:FACT_INDENT] for p in pieces[1:]]
            assert all(not r.strip() for r in rest), "continuations start under the value"
            joined = first + "".join(p[FACT_INDENT:].rstrip() for p in pieces[1:])
            assert joined.replace(" ", "") == value.replace(" ", ""), key
            assert not any(p.rstrip().endswith("…") for p in pieces) or value.endswith("…")


class _GridWithToggle(GridApp):
    """The test grid plus a docked line that can be shown and hidden (a screen layout that moves
    nothing of the grid, as closing the filter input does)."""

    def compose(self) -> ComposeResult:
        from textual.widgets import Static

        yield from super().compose()
        yield Static("overlay", id="overlay")

    CSS = "#overlay { layer: above; dock: bottom; display: none; } Screen { layers: base above; }"


async def test_a_layout_that_moves_nothing_leaves_the_scrollbars_alone() -> None:
    """Textual re-ran every ScrollView's scrollbar update on each screen layout (one more frame
    behind it); ours skips it when nothing moved, and still follows every size change."""
    from textual.scrollbar import ScrollBar

    app = _GridWithToggle(50)
    async with app.run_test(size=(40, 12)) as pilot:
        grid = app.query_one(DataGrid)
        await pilot.pause()
        bar = grid.vertical_scrollbar
        assert bar.window_virtual_size == 51  # 50 rows + the header
        refreshed: list[ScrollBar] = []
        real = ScrollBar.refresh

        def spy(self: ScrollBar, *args: Any, **kw: Any) -> Any:
            refreshed.append(self)
            return real(self, *args, **kw)

        ScrollBar.refresh = spy  # type: ignore[method-assign]
        try:
            overlay = app.query_one("#overlay")
            overlay.display = True
            await pilot.pause()
            overlay.display = False
            await pilot.pause()
            assert grid.vertical_scrollbar not in refreshed
            # a direct virtual-size change (set_data) still moves the scrollbar, via the layout
            grid.set_data(200, lambda row, key: f"{key}{row}")
            await pilot.pause()
            assert bar.window_virtual_size == 201
            grid.set_data(5, lambda row, key: f"{key}{row}")
            await pilot.pause()
            assert not grid.show_vertical_scrollbar  # 5 rows fit: the bar goes
        finally:
            ScrollBar.refresh = real  # type: ignore[method-assign]
        await pilot.resize_terminal(40, 30)  # a new size: the scrollbars are set again
        grid.set_data(100, lambda row, key: f"{key}{row}")
        await pilot.pause()
        assert grid.vertical_scrollbar.window_virtual_size == 101
        assert grid.vertical_scrollbar.window_size == grid.container_size.height - 1
