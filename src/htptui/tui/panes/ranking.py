"""The DPC ranking pane: one row per instance, QNN op or HTP kernel; sortable and drillable.

Rows come from :meth:`RunAnalysis.ranking` for the current (level, scope), so switching level or
filter computes only that ranking (and once); cells are formatted through the ranking column spec.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.text import Text
from textual import on
from textual.containers import Vertical
from textual.widgets import Static

from htptui.analysis.ranking import LEVEL_LABELS, LEVELS, Ranking
from htptui.analysis.run import ALL, Scope
from htptui.present.columns import RANKING_COLUMNS, RANKING_EXPORT, RANKING_TUI_VIEW, fit, select
from htptui.present.format import fmt_int
from htptui.present.tables import export_rows, ranking_display_name, ranking_record
from htptui.tui.messages import SelectOps
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
}
VIEW = select(RANKING_COLUMNS, RANKING_TUI_VIEW)
WIDEN = {"dpc": "dpc", "busy": "busy", "instances": "instances"}  # columns sized to their data


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
        self._layout: tuple[int, tuple[int, ...]] | None = None
        self._record_cache: tuple[int, dict[str, Any]] | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        """A title line above the grid."""
        yield Static("DPC ranking", id="ranking-title", classes="pane-title", markup=False)
        yield DataGrid(id="ranking-grid")

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
        rk = self.ranking
        need: dict[str, int] = {}
        if rk is not None and len(rk):
            need = {k: len(fmt_int(int(getattr(rk, k).max()))) for k in WIDEN}
        width = self.size.width or 80
        sized = [replace(c, width=max(c.width, len(c.label), need.get(c.key, 0))) for c in VIEW[1:]]
        # narrow panes drop the columns with the highest priority number first (name keeps ≥ 16)
        kept = fit(sized, width - 16 - 3)
        numeric = [GridColumn(c.key, c.label, c.width, c.align, c.sort is not None) for c in kept]
        rest = sum(c.width + 1 for c in numeric) + 3  # separators, borders, scrollbar
        name_width = max(16, min(32, width - rest))
        layout = (name_width, tuple(c.width for c in numeric))
        if layout != self._layout:
            self._layout = layout
            name = VIEW[0]
            self.grid.set_columns([GridColumn(name.key, name.label, name_width, "left"), *numeric])

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
        self._fit_columns()
        self.resort()

    def resort(self) -> None:
        """Apply the sort key and push rows to the grid."""
        if self.ranking is None:
            return
        self.order = self.ranking.sorted_by(self.sort_key, self.descending)
        self._record_cache = None
        self.grid.set_data(len(self.order), self.cell)
        self.update_title()

    def update_title(self) -> None:
        """Level, sort key, filter and drill state in one line."""
        arrow = "↓" if self.descending else "↑"
        parts = [
            f"DPC ranking · {LEVEL_LABELS[self.level]} ({len(self.order)})",
            f"sort {SORT_LABELS.get(self.sort_key, self.sort_key)} {arrow}",
        ]
        if self.scope.pattern is not None or self.scope.drill:
            parts.append("filtered (% path of the whole graph)")
        if self.scope.drill:
            parts.append(f"in {self.scope.drill[-1][1]} (Esc back)")
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
        """Text of one cell, through the ranking column spec."""
        rec = self.record(display_row)
        if rec is None:
            return ""
        if key == "name":
            return ranking_display_name(rec)
        col = next((c for c in VIEW if c.key == key), None)
        return col.text(rec) if col is not None else ""

    def cycle_level(self) -> None:
        """`r`: instance → QNN op → HTP kernel → instance."""
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
        self.scope = Scope(self.scope.pattern)
        self.recompute()
        self.grid.move_cursor(0)

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

    @on(DataGrid.RowHighlighted, "#ranking-grid")
    def _row_highlighted(self, event: DataGrid.RowHighlighted) -> None:
        event.stop()
        if self._suppress_row is not None and event.row == self._suppress_row:
            self._suppress_row = None
            return
        self._suppress_row = None
        members = self.members_of_display_row(event.row)
        an = self.analysis
        if members.size and an is not None and an.trace is not None:
            primary = int(members[np.argmax(an.trace.dpc[members])])  # the hottest instance
            self.post_message(SelectOps(tuple(members.tolist()), primary, origin="ranking"))

    @on(DataGrid.RowSelected, "#ranking-grid")
    def _row_selected(self, event: DataGrid.RowSelected) -> None:
        event.stop()
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
            if r is not None:
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

    def on_ops_selected(self, op_indices: tuple[int, ...], primary: int | None) -> None:
        """Put the cursor on the row holding the primary op."""
        if self.ranking is None or primary is None:
            return
        row = self.ranking.row_of_op(primary)
        if row is None:
            return
        pos = np.flatnonzero(self.order == row)
        if pos.size and int(pos[0]) != self.grid.cursor_row:
            self.move_to_row(int(pos[0]), announce=False)

    def export_table(self) -> ExportTable:
        """Every displayed row, raw numbers with units in the column names."""
        rk, an = self.ranking, self.analysis
        if rk is None or an is None or an.trace is None:
            return [], []
        cols = select(RANKING_COLUMNS, RANKING_EXPORT)
        if rk.level != "instance":
            cols = tuple(c for c in cols if c.key not in ("qnn_op", "lane", "ts", "op_id"))
        records = (ranking_record(rk, int(r), an.trace) for r in self.order)
        return export_rows(cols, records)
