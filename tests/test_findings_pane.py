"""Pilot tests and an SVG snapshot of the Findings pane in a small host app on the real chain8 sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from htptui.analysis.findings import run_all
from htptui.analysis.run import analysis_of
from htptui.model.run import load_run
from htptui.tui.messages import SelectOps
from htptui.tui.panes import PaneSpec, discover_panes
from htptui.tui.panes.findings import PANE, FindingsPane

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "chain8_matmul"


class Host(App[None]):
    """Hosts the pane like the app shell does: factory, show_run, and SelectOps collected."""

    def __init__(self) -> None:
        super().__init__()
        self.selections: list[SelectOps] = []
        self.opt = load_run(SAMPLE)

    def compose(self) -> ComposeResult:
        yield PANE.factory()

    def on_mount(self) -> None:
        pane = self.query_one(FindingsPane)
        pane.show_run(analysis_of(self.opt))
        self.query_one(DataTable).focus()

    def on_select_ops(self, message: SelectOps) -> None:
        self.selections.append(message)


def test_pane_spec_is_discovered() -> None:
    assert isinstance(PANE, PaneSpec)
    assert (PANE.id, PANE.title, PANE.key, PANE.requires, PANE.order) == (
        "findings",
        "Findings",
        "F",
        ("op_trace",),
        10,
    )
    assert any(s.id == "findings" for s in discover_panes())


async def test_pane_lists_most_severe_first_and_selects_ops() -> None:
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(FindingsPane)
        expected = run_all(app.opt)
        assert [f.title for f in pane.findings] == [f.title for f in expected]
        table = app.query_one(DataTable)
        assert table.row_count == len(expected)
        detail = str(app.query_one("#findings-detail", Static).render())
        assert "Boundary tax" in detail and "advice" in detail and "36,126" in detail
        await pilot.press("down")
        await pilot.pause()
        detail = str(app.query_one("#findings-detail", Static).render())
        assert "HVX-bound" in detail and "24,061" in detail
        await pilot.press("enter")
        await pilot.pause()
        assert app.selections, "enter should post SelectOps"
        msg = app.selections[-1]
        assert msg.op_indices == expected[1].ops and msg.origin == "findings"
        assert msg.primary == expected[1].ops[0]


async def test_pane_follows_selection_and_filter() -> None:
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(FindingsPane)
        table = app.query_one(DataTable)
        # op 2 is the slow first bias DMA: its packet-efficiency finding gets the cursor
        pane.on_ops_selected((2,), 2)
        await pilot.pause()
        assert 2 in pane.findings[table.cursor_row].ops
        assert app.selections == []  # reflecting a selection posts nothing
        pattern = "ForceFormat"  # the HVX ForceFormat_Crouton ops
        pane.on_filter(pattern)
        await pilot.pause()
        mask = analysis_of(app.opt).filter_mask(pattern)
        assert all(not f.ops or mask[list(f.ops)].any() for f in pane.findings)
        assert 0 < len(pane.findings) < len(run_all(app.opt))
        pane.on_filter(None)
        await pilot.pause()
        assert len(pane.findings) == len(run_all(app.opt))


async def test_pane_with_no_findings() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(FindingsPane).set_findings([])
        await pilot.pause()
        assert "no rule fired" in str(app.query_one("#findings-detail", Static).render())


def test_findings_pane_snapshot(snap_compare: Any) -> None:
    assert snap_compare(Host(), terminal_size=(120, 40), press=["down"])
