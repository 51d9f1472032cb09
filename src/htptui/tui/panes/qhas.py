"""The QHAS units pane: per-lane busy/span/utilisation with QHAS memory traffic, then the QHAS tables.

The lane table comes from :func:`htptui.present.tables.lane_records` (the same records as the report's
lane table and the export). Each table is the explorer's grid (:class:`TextGrid`): the first column
fixed, names shortened in the middle, h/l/←/→ scroll every table of the pane sideways one column.
Tables are built once; only the instance marks change with a selection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from rich.console import Group, RenderableType
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from htptui.present.columns import (
    LANE_COLUMNS,
    LANE_EXPORT,
    LANE_TUI_MEMORY,
    LANE_TUI_VIEW,
    QHAS_INSTANCE_COLUMNS,
    QHAS_INSTANCE_TUI_VIEW,
    QHAS_OP_TYPE_COLUMNS,
    QHAS_OP_TYPE_TUI_VIEW,
    Column,
    Record,
    select,
)
from htptui.present.format import cell_width, fmt_int
from htptui.present.tables import core_line, export_rows, lane_records, qhas_idle_text
from htptui.tui.panes._common import missing_text, update_static
from htptui.tui.selection import in_sorted, ops_array
from htptui.tui.widgets.grid import Column as GridColumn
from htptui.tui.widgets.grid import TextGrid

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis

ExportTable = tuple[list[str], list[list[Any]]]
QHAS_INSTANCE_ROWS = 60
QHAS_LANE_ROWS = 256  # lanes listed in the pane (a table of 30k lanes would take minutes to draw)
NAME_KEYS = {"name", "htp_op", "qnn_op", "op_id"}  # text columns that are names (elided mid-way)
OTHER_NAME_MAX = 24  # a second name column (an instance's QNN op) at most
TABLES = ("#qhas-lanes", "#qhas-types", "#qhas-instance-table")


def grid_columns(
    columns: Sequence[Column], cells: Sequence[Sequence[str]], width: int
) -> list[GridColumn]:
    """Grid columns for a small table: the first (a name) takes its width first (up to half of
    ``width``), every other column is as wide as its content (a second name at most 24 cells)."""
    out: list[GridColumn] = []
    for i, c in enumerate(columns):
        need = max([cell_width(c.label)] + [cell_width(r[i]) for r in cells])
        name = c.key in NAME_KEYS
        if i == 0 and name:
            need = min(need, max(16, (width - 3) // 2))
        elif name:
            need = min(need, OTHER_NAME_MAX)
        elide = "middle" if name else "end"
        out.append(GridColumn(c.key, c.label, max(need, 1), c.align, sortable=False, elide=elide))
    return out


class QhasTable(TextGrid, can_focus=False):
    """One table of the pane (the pane keeps focus and scrolls its tables sideways)."""

    DEFAULT_CSS = """
    QhasTable { height: auto; overflow-y: hidden; }
    """


class QhasPane(VerticalScroll, can_focus=True):
    """Per-lane busy/span/utilization with QHAS memory traffic, then the QHAS op tables."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "scroll_columns(-1)", "Left", show=False, id="qhas.left",
                tooltip="Scroll the tables one column left"),
        Binding("right,l", "scroll_columns(1)", "Right", show=False, id="qhas.right",
                tooltip="Scroll the tables one column right (the first column stays)"),
    ]  # fmt: skip

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.analysis: RunAnalysis | None = None
        self.selected: np.ndarray = np.zeros(0, dtype=np.int64)  # selected trace op indices
        self._head: list[RenderableType] = []
        self._instances: list[dict[str, Any]] = []
        self._shown_keys: set[tuple[int, int]] = set()
        self._head_drawn = False
        # (grid id, columns, records) of the tables, laid out again when the pane is resized
        self._tables: dict[str, tuple[Sequence[Column], list[Record], Sequence[str] | None]] = {}

    def compose(self):  # type: ignore[no-untyped-def]
        """Title, lane table, notes, the QHAS op-type and instance tables."""
        yield Static("QHAS units", classes="pane-title", markup=False)
        yield QhasTable(id="qhas-lanes", empty_text="")
        yield Static("", id="qhas-body", markup=False)  # notes and core lines: drawn once
        yield Static("", id="qhas-types-title", markup=False)
        yield QhasTable(id="qhas-types", empty_text="")
        yield Static("", id="qhas-instances-title", markup=False)
        yield QhasTable(id="qhas-instance-table", empty_text="")
        yield Static("", id="qhas-instances", markup=False)  # "… n more"

    def on_mount(self) -> None:
        """No table until a run is shown."""
        self._clear_tables()

    def _clear_tables(self) -> None:
        self._tables = {}
        for grid_id in TABLES:
            self.query_one(grid_id, QhasTable).display = False
        for title in ("#qhas-types-title", "#qhas-instances-title", "#qhas-instances"):
            self.query_one(title, Static).update("")

    def show_run(self, an: RunAnalysis) -> None:
        """Lay out every core's lanes and the QHAS tables once."""
        self.analysis = an
        self._clear_tables()
        self._head = self._build_head(an)
        self._head_drawn = False
        self._instances = self._instance_records(an)
        self.render_body()

    def on_resize(self) -> None:
        """The name columns take their width first from the new width."""
        for grid_id, (cols, records, marks) in list(self._tables.items()):
            self._fill(grid_id, cols, records, marks)

    def action_scroll_columns(self, direction: int) -> None:
        """h/l, ←/→: every table one column sideways (each keeps its first column)."""
        for grid_id in TABLES:
            grid = self.query_one(grid_id, QhasTable)
            if grid.display:
                grid.action_scroll_columns(direction)

    def _fill(
        self,
        grid_id: str,
        columns: Sequence[Column],
        records: list[Record],
        marks: Sequence[str] | None = None,
    ) -> None:
        """Show records in one table through their column specs (plain text, never markup)."""
        self._tables[grid_id] = (columns, records, marks)
        grid = self.query_one(grid_id, QhasTable)
        cells = [[c.text(r) for c in columns] for r in records]
        styles: list[str | None] | None = None
        if marks is not None:
            for row, mark in zip(cells, marks, strict=True):
                row[0] = mark + row[0]
            styles = ["-match" if m.strip() else None for m in marks]
        width = self.scrollable_content_region.width or self.app.size.width
        grid.set_rows(grid_columns(columns, cells, width), cells, styles=styles)
        grid.styles.height = len(cells) + 2  # the header and a sideways scrollbar
        grid.display = True

    def on_ops_selected(self, op_indices: Sequence[int], primary: int | None) -> None:
        """Mark the selected instances in the instance table (repaint only when marks change)."""
        self.selected = ops_array(op_indices)  # sorted: marks are binary searches
        keys = self._selected_keys()
        if self._instances and keys != self._shown_keys:
            self.render_body()

    def on_filter(self, pattern: str | None) -> None:
        """QHAS tables are the SDK's own, so they are not rescoped."""

    def lane_rows(self) -> ExportTable:
        """The per-lane table with raw numbers (bytes, cycles, %) and the domain mark."""
        if self.analysis is None:
            return [], []
        return export_rows(select(LANE_COLUMNS, LANE_EXPORT), lane_records(self.analysis))

    def _build_head(self, an: RunAnalysis) -> list[RenderableType]:
        opt = an.run
        parts: list[RenderableType] = []
        if opt.trace is None:
            parts.append(missing_text(opt.missing_sentence("op_trace")))
        else:
            records = lane_records(an)
            for rec in records:
                rec["unit"] = ("★" if rec["domain"] else " ") + rec["unit"]
            keys = LANE_TUI_VIEW + (LANE_TUI_MEMORY if opt.qhas is not None else ())
            self._fill("#qhas-lanes", select(LANE_COLUMNS, keys), list(records[:QHAS_LANE_ROWS]))
            if len(records) > QHAS_LANE_ROWS:
                more = len(records) - QHAS_LANE_ROWS
                parts.append(Text(f"… {fmt_int(more)} more lanes (e exports all)"))
            parts.append(
                Text(
                    "sources: busy, span, util %, domain, idle, wall from the trace"
                    + (
                        "; DRAM/VTCM and the tables below from QHAS" if opt.qhas is not None else ""
                    ),
                    style="italic",
                )
            )
            for cs in an.core_summaries():
                qh = opt.qhas.overall_for(cs.core) if opt.qhas is not None else None
                line = Text()
                peak = qh.peak_vtcm_alloc if qh is not None else None
                for piece, style in core_line(cs, peak, qhas_idle_text(an, cs.core)):
                    line.append(piece, style=style)
                parts.append(line)
        if opt.qhas is None:
            parts.append(missing_text(opt.missing_sentence("qhas")))
        else:
            title = Text("\nQHAS HTP op types (source: QHAS htp_op_types)", style="bold")
            self.query_one("#qhas-types-title", Static).update(title)
            rows = [
                {"name": r.name, "count": r.count, "cycles": r.cycles, "dpc": sum(r.dpc.values()),
                 "dpc_pct": sum(r.percent_dpc.values()), "dram_read": r.dram_read,
                 "dram_write": r.dram_write, "vtcm_read": r.vtcm_read, "vtcm_write": r.vtcm_write,
                 "dram_rw": (r.dram_read, r.dram_write), "vtcm_rw": (r.vtcm_read, r.vtcm_write)}
                for r in opt.qhas.htp_op_types
            ]  # fmt: skip
            self._fill("#qhas-types", select(QHAS_OP_TYPE_COLUMNS, QHAS_OP_TYPE_TUI_VIEW), rows)
            title = Text("\nQHAS instances by DPC (source: QHAS htp_op_instances)", style="bold")
            self.query_one("#qhas-instances-title", Static).update(title)
        return parts

    @staticmethod
    def _instance_records(an: RunAnalysis) -> list[dict[str, Any]]:
        q = an.run.qhas
        if q is None:
            return []
        return [
            {"htp_op": i.htp_op, "qnn_op": i.qnn_op, "tid": i.tid, "cycles": i.cycles,
             "dpc": i.dpc, "dpc_pct": i.percent_dpc, "cycles_per_packet": i.cycles_per_packet,
             "dram_read": i.dram_read, "dram_write": i.dram_write, "vtcm_read": i.vtcm_read,
             "vtcm_write": i.vtcm_write, "start_cycle": i.start_cycle, "op_id": i.op_id,
             "dram_rw": (i.dram_read, i.dram_write), "vtcm_rw": (i.vtcm_read, i.vtcm_write)}
            for i in sorted(q.instances, key=lambda x: -x.dpc)
        ]  # fmt: skip

    def _selected_keys(self) -> set[tuple[int, int]]:
        """(op ID, start cycle) of the shown instance rows that are selected (the only marks drawn;
        a 300k-op selection costs one isin over the shown rows' ops, not a 300k-key set)."""
        an = self.analysis
        if an is None or an.trace is None or not self._instances or not self.selected.size:
            return set()
        shown, ops, row_of = self._shown_ops()
        hit = in_sorted(self.selected, ops)
        return {shown[k] for k in np.unique(row_of[hit]).tolist()}

    def _shown_ops(self) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
        """The shown instance rows' keys, the trace ops with each key and the row of each op
        (computed once per run)."""
        cached = getattr(self, "_shown_ops_cache", None)
        if cached is not None and cached[0] is self._instances:
            return cached[1], cached[2], cached[3]
        an = self.analysis
        assert an is not None and an.trace is not None
        t = an.trace
        keys = [(r["op_id"], r["start_cycle"]) for r in self._instances[:QHAS_INSTANCE_ROWS]]
        ops: list[np.ndarray] = []
        rows: list[np.ndarray] = []
        for k, (op_id, start) in enumerate(keys):
            cand = an.ops_of_op_id(int(op_id)) if op_id is not None else np.zeros(0, np.int64)
            same = cand[t.start_cycle[cand] == start] if cand.size else cand
            ops.append(same)
            rows.append(np.full(same.size, k, dtype=np.int64))
        flat = np.concatenate(ops) if ops else np.zeros(0, np.int64)
        row_of = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        self._shown_ops_cache = (self._instances, keys, flat, row_of)
        return keys, flat, row_of

    def instance_rows(self) -> ExportTable:
        """Every QHAS instance, by DPC, raw numbers."""
        return export_rows(QHAS_INSTANCE_COLUMNS, self._instances)

    def _instance_table(self, keys: set[tuple[int, int]]) -> None:
        shown = self._instances[:QHAS_INSTANCE_ROWS]
        marks = ["►" if (r["op_id"], r["start_cycle"]) in keys else " " for r in shown]
        cols = select(QHAS_INSTANCE_COLUMNS, QHAS_INSTANCE_TUI_VIEW)
        self._fill("#qhas-instance-table", cols, list(shown), marks)
        more = len(self._instances) - QHAS_INSTANCE_ROWS
        note = Text(f"… {more} more (e exports all)") if more > 0 else Text("")
        update_static(self.query_one("#qhas-instances", Static), note)

    def render_body(self) -> None:
        """Draw the head once; redraw only the instance table when the selection marks move."""
        if self.analysis is None:
            return
        keys = self._selected_keys()
        self._shown_keys = keys
        if not self._head_drawn:
            self.query_one("#qhas-body", Static).update(Group(*self._head))
            self._head_drawn = True
        if self.analysis.run.qhas is not None:
            self._instance_table(keys)

    def export_table(self) -> ExportTable:
        """The per-lane table."""
        return self.lane_rows()
