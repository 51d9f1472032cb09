"""Pilot and snapshot tests of the Graph diff pane in a small host app."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult

from htptui.analysis.run import analysis_of
from htptui.model.run import load_run
from htptui.tui.messages import SelectOps
from htptui.tui.panes.graph_diff import PANE, GraphDiffPane

DATA = Path(__file__).resolve().parent / "data"
SHARED = DATA / "gdn_shared_const"


class Host(App[None]):
    """Mounts the pane alone, feeds it a run and records the selections it asks for."""

    def __init__(self, path: Path, expected: Path | None = None) -> None:
        super().__init__()
        self.path = path
        self.expected = expected
        self.selections: list[SelectOps] = []

    def compose(self) -> ComposeResult:
        pane = PANE.factory()
        if self.expected is not None:
            pane.expected = self.expected
        yield pane

    def on_mount(self) -> None:
        self.query_one(GraphDiffPane).show_run(analysis_of(load_run(self.path)))

    def on_select_ops(self, message: SelectOps) -> None:
        self.selections.append(message)
        self.query_one(GraphDiffPane).on_ops_selected(message.op_indices, message.primary)


def test_pane_spec() -> None:
    assert PANE.id == "graph-diff" and PANE.key == "D" and PANE.requires == ("htp_graph",)
    assert PANE.order == 40 and isinstance(PANE.factory(), GraphDiffPane)


async def test_selecting_an_item_selects_both_ops() -> None:
    app = Host(SHARED)
    async with app.run_test(size=(140, 30)) as pilot:
        pane = app.query_one(GraphDiffPane)
        assert pane.diff is not None and not pane.diff.ok
        assert pane.items[0].severity == "error" and "0x0000104400000011" in pane.items[0].text
        assert pane.items[0].ops == ("GdnMergeHmx_0", "GdnMergeHmx_1")
        pane.query_one("#gd-items").focus()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.selections, "no SelectOps posted"
        msg = app.selections[-1]
        opt = pane.opt
        names = {opt.trace.qnn_op_name(i) for i in msg.op_indices}
        assert names == {"GdnMergeHmx_0", "GdnMergeHmx_1"}
        assert msg.origin == "graph-diff" and opt.trace.qnn_op_name(msg.primary) == "GdnMergeHmx_0"
        assert pane.selected_ops == msg.op_indices
        await pilot.press("down", "enter")  # the next item posts its own selection
        await pilot.pause()
        assert len(app.selections) == 2


async def test_bad_expected_file_is_shown_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dag"
    bad.write_text("A =>\n")
    app = Host(SHARED, expected=bad)
    async with app.run_test(size=(100, 20)):
        pane = app.query_one(GraphDiffPane)
        assert pane.diff is None
        header = str(pane.query_one("#gd-header").render())
        assert "line 1" in header


def test_snapshot_diff_view(snap_compare) -> None:
    assert snap_compare(Host(SHARED), terminal_size=(150, 24))
