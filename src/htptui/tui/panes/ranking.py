"""The DPC ranking pane: one row per instance, QNN op, HTP kernel or structure node; sortable and
drillable.

Rows come from :meth:`RunAnalysis.ranking` for the current (level, scope), so switching level or
filter computes only that ranking (and once); cells are formatted through the ranking column spec.
At the structure level (analysis/structure.py) the rows are the visible nodes of the folded tree:
Enter/space toggles a node, ``+``/``-`` expand and collapse (``-`` on a leaf or a collapsed node
collapses its parent), Enter on a leaf drills into its instances; selecting a node selects all its
ops in the linked panes, and a selection from another pane opens the tree down to its node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Size
from textual.widgets import Static

from htptui.analysis.ranking import ALL_LEVELS, LEVEL_LABELS, Ranking, units_text
from htptui.analysis.run import ALL, Scope
from htptui.analysis.structure import StructureRanking
from htptui.present.columns import (
    RANKING_COLUMNS,
    RANKING_EXPORT,
    RANKING_TUI_VIEW,
    RESOURCE_VIEW,
    STRUCTURE_EXPORT,
    arrange,
    select,
)
from htptui.present.format import fmt_int, max_cell_width
from htptui.present.tables import export_rows, ranking_record, row_display_name
from htptui.tui.messages import request_selection
from htptui.tui.selection import OpSelection
from htptui.tui.widgets._cached_lines import set_virtual_size
from htptui.tui.widgets.grid import Column as GridColumn
from htptui.tui.widgets.grid import DataGrid

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis

ExportTable = tuple[list[str], list[list[Any]]]
SORT_LABELS = {
    "dpc": "DPC",
    "busy": "busy cycles",
    "instances": "instances",
    "span": "span",
    "parallelism": "busy/span",
    "cpp": "cycles/packet",
    "name": "name",
    "first": "first start",
    "res_hmx": "HMX DPC",
    "res_hvx": "HVX DPC",
    "res_dma": "DMA DPC",
    "res_dma_wait": "DMA wait DPC",
    "res_sync": "sync DPC",
    "res_other": "other DPC",
}
VIEW = select(RANKING_COLUMNS, RANKING_TUI_VIEW)
WIDEN = {"dpc": "dpc", "busy": "busy", "instances": "instances"}  # columns sized to their data
MAX_INDENT = 12  # tree levels indented (deeper nodes stay at this indent)
NAME_MAX = 60  # the name column's widest (the full name is in Details and exports)


class RankingGrid(DataGrid):
    """The ranking's grid: at the structure level, space/+/- open and close tree nodes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "tree('toggle')", "Toggle", show=False, id="ranking.toggle",
                tooltip="Structure level: open/close the node (else one page down)"),
        Binding("plus,equals_sign", "tree('expand')", "Expand", show=False, id="ranking.expand",
                tooltip="Structure level: open the node"),
        Binding("minus", "tree('collapse')", "Collapse", show=False, id="ranking.collapse",
                tooltip="Structure level: close the node (or its parent)"),
    ]  # fmt: skip

    def _invalidate(self) -> None:
        """Drop cached rows; the scrollable size is set without a layout pass (a level switch or a
        filter changes the row count, which moves only the scrollbar)."""
        self._data_gen += 1
        self._cache.clear()
        set_virtual_size(self, Size(self._total_width, self.n_rows + 1))
        self.refresh()

    def action_tree(self, op: str) -> None:
        """Open/close a node at the structure level; space pages down at the other levels."""
        pane = self.parent
        if isinstance(pane, RankingPane) and pane.tree_action(op):
            return
        if op == "toggle":
            self.action_page_down()


class RankingPane(Vertical, can_focus=False):
    """The DPC ranking: one row per instance, QNN op or HTP kernel, sortable, drillable."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.analysis: RunAnalysis | None = None
        self.level = "qnn_op"
        self.sort_key = "dpc"
        self.descending = True
        self.scope: Scope = ALL
        self.ranking: Ranking | None = None
        self.order: np.ndarray = np.zeros(0, dtype=np.int64)
        self._suppress_row: int | None = None
        self._layout: tuple[int, tuple[int, ...], int] | None = None
        self.first_columns = 0  # columns shown before any sideways scroll (the name included)
        self._need: tuple[Ranking, int] | None = None
        self._record_cache: tuple[int, dict[str, Any]] | None = None
        # structure level: the open nodes, by full path (kept across filters and re-sorts);
        # None until first shown (then the roots are open)
        self.expanded_names: set[str] | None = None
        self._expanded: np.ndarray = np.zeros(0, dtype=bool)

    def compose(self):  # type: ignore[no-untyped-def]
        """A title line above the grid."""
        yield Static("DPC ranking", id="ranking-title", classes="pane-title", markup=False)
        grid = RankingGrid(id="ranking-grid")
        grid.on_highlight = self._highlight_row
        grid.on_columns_shown = self.update_title
        yield grid

    @property
    def grid(self) -> DataGrid:
        """The ranking grid."""
        return self.query_one("#ranking-grid", DataGrid)

    @property
    def filter_mask(self) -> np.ndarray | None:
        """The `/` filter's op mask (None = no filter)."""
        if self.analysis is None or self.scope.pattern is None:
            return None
        return self.analysis.filter_mask(self.scope.pattern)

    @property
    def drill(self) -> tuple[tuple[str, str], ...]:
        """The drill-down path: (level, row name) steps."""
        return self.scope.drill

    def on_mount(self) -> None:
        """Set the columns once and mark the default sort."""
        self._fit_columns()
        self.grid.set_sort("dpc", True)

    def on_resize(self) -> None:
        """Give the name column what the numeric columns leave (16 to 32 cells)."""
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Lay the columns out: the name first, then the columns that fit beside it, then the rest.

        The name column takes its width first (up to half the pane); the other columns that fit
        the rest, by priority as :func:`present.columns.fit` picks them, come next in table order;
        every other column follows, reached by scrolling sideways (h/l) with the name kept at the
        left. Text columns are as wide as their content, so only names are ever shortened.
        """
        rk = self.ranking
        need: dict[str, int] = {}
        if rk is not None and len(rk):
            need = {k: len(fmt_int(int(getattr(rk, k).max()))) for k in WIDEN}
            present = np.flatnonzero(np.bincount(rk.units))  # masks in use (< 16): O(n), no sort
            need["units"] = max(len(units_text(int(m))) for m in present)
        width = self.size.width or 80
        sized = [replace(c, width=max(c.width, len(c.label), need.get(c.key, 0))) for c in VIEW[1:]]
        name_first = max(16, min(self._name_need(), (width - 3) // 2))
        # the DPC split shows whole or not at all among the first columns (Details always has it)
        ordered, n_first = arrange(sized, width - name_first - 1 - 3, together=RESOURCE_VIEW)
        cols = [
            GridColumn(c.key, c.label, c.width, c.align, c.sort is not None, elide="end")
            for c in ordered
        ]
        rest = sum(c.width + 1 for c in cols[:n_first]) + 3  # separators, borders, scrollbar
        name_width = max(16, min(self._name_need(), width - rest))
        layout = (name_width, tuple(c.width for c in cols), n_first)
        if layout != self._layout:
            self._layout = layout
            self.first_columns = n_first + 1
            name = VIEW[0]
            name_col = GridColumn(name.key, name.label, name_width, "left", elide="middle")
            self.grid.set_columns([name_col, *cols])

    def _name_need(self) -> int:
        """Cells the longest shown name needs (capped at NAME_MAX; cached per ranking)."""
        rk = self.ranking
        if rk is None or not len(rk):
            return 16
        cached = self._need
        if cached is not None and cached[0] is rk:
            return cached[1]
        if self.level == "instance":
            need = NAME_MAX  # "kernel · QNN op": always long
        else:
            shown = rk.labels if isinstance(rk, StructureRanking) else rk.names
            need = max_cell_width(shown, default=16)
            if isinstance(rk, StructureRanking):
                need += 2 * min(int(np.max(rk.depth)), MAX_INDENT) + 2  # indent and ▸/▾ mark
        need = min(max(need, 16), NAME_MAX)
        self._need = (rk, need)
        return need

    def show_run(self, an: RunAnalysis) -> None:
        """Rank the loaded run."""
        self.analysis = an
        opt = an.run
        if opt.trace is None:
            self.query_one("#ranking-title", Static).update(Text(opt.missing_sentence("op_trace")))
            self.add_class("-missing")
            return
        self.recompute()
        if len(self.order):
            self.move_to_row(0, announce=False)

    def on_filter(self, pattern: str | None) -> None:
        """Rescope the ranking to the ops matching the filter (a new filter clears the drill)."""
        self.scope = Scope(pattern)
        self.recompute()

    def recompute(self) -> None:
        """Fetch the ranking of the current level and scope (cached), then re-sort."""
        if self.analysis is None or self.analysis.trace is None:
            return
        self.ranking = self.analysis.ranking(self.level, self.scope)
        self._record_cache = None
        if isinstance(self.ranking, StructureRanking):
            rk = self.ranking
            if self.expanded_names is None:
                self.expanded_names = {rk.names[int(r)] for r in rk.roots}
            names = self.expanded_names
            self._expanded = np.fromiter((n in names for n in rk.names), dtype=bool, count=len(rk))
        self._fit_columns()
        self.resort()

    @property
    def tree(self) -> StructureRanking | None:
        """The structure ranking on show (None at the other levels)."""
        rk = self.ranking
        return rk if isinstance(rk, StructureRanking) else None

    def _tree_rows(self) -> np.ndarray:
        """Visible rows of the tree: pre-order, siblings by the sort key, closed subtrees skipped."""
        rk = self.tree
        assert rk is not None
        return rk.visible(rk.tree_order(self.sort_key, self.descending), self._expanded)

    def resort(self) -> None:
        """Apply the sort key and push rows to the grid."""
        if self.ranking is None:
            return
        if self.tree is not None:
            self.order = self._tree_rows()
        else:
            self.order = self.ranking.sorted_by(self.sort_key, self.descending)
        self._record_cache = None
        self.grid.set_data(len(self.order), self.cell)
        self.update_title()

    def update_title(self) -> None:
        """Level, sort key, filter and drill state in one line."""
        arrow = "↓" if self.descending else "↑"
        count = f"{len(self.order)}"
        if self.tree is not None:
            count = f"{len(self.order)} of {len(self.tree)} nodes · Enter/space/+/- open, close"
        parts = [
            f"DPC ranking · {LEVEL_LABELS[self.level]} ({count})",
            f"sort {SORT_LABELS.get(self.sort_key, self.sort_key)} {arrow}",
        ]
        if self.scope.pattern is not None or self.scope.drill:
            parts.append("filtered (% path of the whole graph)")
        if self.scope.drill:
            parts.append(f"in {self.scope.drill[-1][1]} (Esc back)")
        left, right = self.grid.columns_out_of_view() if self.is_mounted else (0, 0)
        if right:
            parts.append(f"→ {right} more column{'s' if right > 1 else ''} (l)")
        if left:
            parts.append(f"← {left} (h)")
        rk = self.ranking
        if rk is not None and rk.dpc_exact is not None and not rk.dpc_exact.all():
            parts.append("* DPC per instance unknown (tiled op without QHAS, or no DPC)")
        # one line high (no layout pass); plain Text: a drilled row's name comes from the file
        self.query_one("#ranking-title", Static).update(Text(" · ".join(parts)), layout=False)

    def record(self, display_row: int) -> dict[str, Any] | None:
        """Raw values of a displayed row (the same record the report and exports use)."""
        rk, an = self.ranking, self.analysis
        if rk is None or an is None or an.trace is None or display_row >= len(self.order):
            return None
        cached = self._record_cache
        if cached is not None and cached[0] == display_row:
            return cached[1]
        rec = ranking_record(rk, int(self.order[display_row]), an.trace)
        self._record_cache = (display_row, rec)
        return rec

    def cell(self, display_row: int, key: str) -> str:
        """Text of one cell, through the ranking column spec (the name straight from the ranking:
        the grid asks for the names of whole blocks of rows to shorten them together)."""
        if key == "name":
            return self._row_name(display_row)
        rec = self.record(display_row)
        if rec is None:
            return ""
        col = next((c for c in VIEW if c.key == key), None)
        return col.text(rec) if col is not None else ""

    def _row_name(self, display_row: int) -> str:
        rk, an = self.ranking, self.analysis
        if rk is None or an is None or an.trace is None or display_row >= len(self.order):
            return ""
        row = int(self.order[display_row])
        if self.tree is not None:
            return self._node_text(row)
        return row_display_name(rk, row, an.trace)

    def _node_text(self, row: int) -> str:
        """A tree node: indent, open/closed mark, label."""
        rk = self.tree
        assert rk is not None
        mark = "· " if not rk.n_children[row] else "▾ " if self._expanded[row] else "▸ "
        return "  " * min(int(rk.depth[row]), MAX_INDENT) + mark + str(rk.labels[row])

    def cycle_level(self) -> None:
        """`r`: instance → QNN op → HTP kernel → structure → instance."""
        self.level = ALL_LEVELS[(ALL_LEVELS.index(self.level) + 1) % len(ALL_LEVELS)]
        self.scope = Scope(self.scope.pattern)
        self.recompute()
        self.grid.move_cursor(0)

    # ------------------------------------------------------------ the structure tree

    def cursor_node(self) -> int | None:
        """The tree row under the cursor (None off the structure level)."""
        if self.tree is None or not len(self.order):
            return None
        return int(self.order[min(self.grid.cursor_row, len(self.order) - 1)])

    def tree_action(self, op: str) -> bool:
        """``toggle`` / ``expand`` / ``collapse`` the node under the cursor (False: not a tree)."""
        rk, row = self.tree, self.cursor_node()
        if rk is None or row is None:
            return False
        has_kids = bool(rk.n_children[row])
        if op == "toggle" and has_kids:
            self.set_expanded(row, not self._expanded[row])
        elif op == "expand" and has_kids and not self._expanded[row]:
            self.set_expanded(row, True)
        elif op == "collapse":
            if has_kids and self._expanded[row]:
                self.set_expanded(row, False)
            elif rk.parent[row] >= 0:
                self.set_expanded(int(rk.parent[row]), False, cursor=int(rk.parent[row]))
        return True

    def set_expanded(self, row: int, open_: bool, cursor: int | None = None) -> None:
        """Open or close one node, keep the cursor on ``cursor`` (default: that node)."""
        rk = self.tree
        assert rk is not None and self.expanded_names is not None
        self._expanded[row] = open_
        name = rk.names[row]
        if open_:
            self.expanded_names.add(name)
        else:
            self.expanded_names.discard(name)
        self._show_tree_at(row if cursor is None else cursor)

    def reveal(self, row: int) -> None:
        """Open every ancestor of a node so it is visible."""
        rk = self.tree
        assert rk is not None and self.expanded_names is not None
        for a in rk.ancestors(row):
            if not self._expanded[a]:
                self._expanded[a] = True
                self.expanded_names.add(rk.names[a])

    def _show_tree_at(self, row: int, announce: bool = True) -> None:
        """Rebuild the visible rows and put the cursor on tree row ``row``."""
        old = self.cursor_node()
        self.order = self._tree_rows()
        self._record_cache = None
        self.grid.set_data(len(self.order), self.cell)
        self.update_title()
        pos = np.flatnonzero(self.order == row)
        target = int(pos[0]) if pos.size else 0
        self.grid.cursor_row = -1  # the rows moved: always announce the row under the cursor
        if row == old or not announce:
            self.move_to_row(target, announce=False)
        else:
            self.move_to_row(target)

    def members_of_display_row(self, display_row: int) -> np.ndarray:
        """Trace op indices of a displayed row."""
        if self.ranking is None or display_row >= len(self.order):
            return np.zeros(0, dtype=np.int64)
        return self.ranking.members(int(self.order[display_row]))

    def move_to_row(self, display_row: int, announce: bool = True) -> None:
        """Move the cursor; when not announcing, swallow the resulting highlight."""
        if not announce and display_row != self.grid.cursor_row:
            self._suppress_row = display_row
        self.grid.move_cursor(display_row)

    def _highlight_row(self, row: int) -> None:
        """The grid's cursor moved to display row ``row``: select its ops everywhere (at once, so
        the linked panes repaint in the cursor's frame), unless the move was not to be announced."""
        if self._suppress_row is not None and row == self._suppress_row:
            self._suppress_row = None
            return
        self._suppress_row = None
        members = self.members_of_display_row(row)
        an = self.analysis
        if members.size and an is not None and an.trace is not None:
            primary = int(members[np.argmax(an.trace.dpc[members])])  # the hottest instance
            request_selection(self, OpSelection(members), primary, origin="ranking")

    @on(DataGrid.RowSelected, "#ranking-grid")
    def _row_selected(self, event: DataGrid.RowSelected) -> None:
        event.stop()
        rk = self.tree
        if rk is not None and event.row < len(self.order):
            row = int(self.order[event.row])
            if rk.n_children[row]:  # a node opens and closes; a leaf drills into its instances
                self.set_expanded(row, not self._expanded[row])
                return
        self.drill_in(event.row)

    def drill_in(self, display_row: int) -> bool:
        """`Enter` on a group row: show that row's instances."""
        if self.ranking is None or self.level == "instance":
            return False
        if not self.members_of_display_row(display_row).size:
            return False
        name = self.ranking.names[int(self.order[display_row])]
        self.scope = self.scope.into(self.level, name)
        self.level = "instance"
        self.recompute()
        self.grid.move_cursor(0)
        return True

    def back_out(self) -> bool:
        """`Esc` after a drill: back to the group level (False when not drilled)."""
        if not self.scope.drill:
            return False
        level, name = self.scope.drill[-1]
        self.scope = self.scope.out()
        self.level = level
        self.recompute()
        if self.ranking is not None:
            r = self.ranking.row_of_name.get(name)
            if r is not None and self.tree is not None:
                self.reveal(r)
                self._show_tree_at(r, announce=False)
            elif r is not None:
                pos = np.flatnonzero(self.order == r)
                if pos.size:
                    self.move_to_row(int(pos[0]), announce=False)
        return True

    @on(DataGrid.SortRequested, "#ranking-grid")
    def _sort_requested(self, event: DataGrid.SortRequested) -> None:
        event.stop()
        col = next((c for c in VIEW if c.key == event.column_key), None)
        if col is None or col.sort is None:
            return
        self.sort_key = col.sort
        self.descending = event.descending
        self.resort()
        self.grid.move_cursor(0)

    def on_ops_selected(self, op_indices: Sequence[int], primary: int | None) -> None:
        """Put the cursor on the row holding the primary op."""
        if self.ranking is None or primary is None:
            return
        row = self.ranking.row_of_op(primary)
        if row is None:
            return
        if self.tree is not None:
            cur = self.cursor_node()
            rk = self.tree
            # already on this node or on a node holding it that this selection is: stay there
            inside = cur is not None and cur <= row < cur + int(rk.size[cur])
            if inside and len(op_indices) == int(rk.member_end[cur] - rk.member_start[cur]):
                return
            self.reveal(row)
            self._show_tree_at(row, announce=False)
            return
        pos = np.flatnonzero(self.order == row)
        if pos.size and int(pos[0]) != self.grid.cursor_row:
            self.move_to_row(int(pos[0]), announce=False)

    def record_of_selection(self, count: int, primary: int | None) -> dict[str, Any] | None:
        """The record of the row under the cursor when the selection is that row's ops (for the
        details pane's aggregate), else None."""
        rk = self.ranking
        if rk is None or primary is None or not len(self.order) or self.analysis is None:
            return None
        pos = min(self.grid.cursor_row, len(self.order) - 1)
        row = int(self.order[pos])
        if self.tree is not None:
            held = rk.row_of_op(primary)
            inside = held is not None and row <= held < row + int(self.tree.size[row])
            n = int(self.tree.member_end[row] - self.tree.member_start[row])
        else:
            inside = rk.row_of_op(primary) == row
            n = int(rk.member_start[row + 1] - rk.member_start[row])
        if not inside or n != count:
            return None
        rec = self.record(pos)
        if rec is None:
            return None
        return {**rec, "level": LEVEL_LABELS.get(rk.level, rk.level)}

    def export_table(self) -> ExportTable:
        """Every displayed row, raw numbers with units in the column names."""
        rk, an = self.ranking, self.analysis
        if rk is None or an is None or an.trace is None:
            return [], []
        if self.tree is not None:
            cols = select(RANKING_COLUMNS, STRUCTURE_EXPORT)
            return export_rows(cols, (ranking_record(rk, int(r), an.trace) for r in self.order))
        cols = select(RANKING_COLUMNS, RANKING_EXPORT)
        if rk.level != "instance":
            cols = tuple(c for c in cols if c.key not in ("qnn_op", "lane", "ts", "op_id"))
        records = (ranking_record(rk, int(r), an.trace) for r in self.order)
        return export_rows(cols, records)
