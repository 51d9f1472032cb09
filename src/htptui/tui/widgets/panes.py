"""The four linked pane widgets of the explorer: DPC ranking, QHAS units, op DAG and details.

Each pane implements the :class:`htptui.tui.panes.LinkedPane` contract (``show_optrace``,
``on_ops_selected``, ``on_filter``) plus ``export_table`` (rows for `e`/`E`) and ``copy_text``
(for `y`). Every figure shown comes from ``htptui.analysis`` or the model; panes only format.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from htptui.analysis.ranking import LEVEL_LABELS, LEVELS, Ranking, rank, units_text
from htptui.analysis.summary import CoreSummary, core_summary, cores
from htptui.tui.messages import SelectOps
from htptui.tui.widgets.grid import Column, DataGrid

if TYPE_CHECKING:
    from htptui.model.htp_graph import HtpGraph
from htptui.model.dpc import SOURCE_LABELS
from htptui.model.optrace import Optrace

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
DAG_WHOLE_LIMIT = 60
QHAS_INSTANCE_ROWS = 60
QHAS_LANE_ROWS = 256  # lanes listed in the QHAS pane (the export has them all)


def fmt_int(value: Any) -> str:
    """Thousands-separated integer, or '-' when absent."""
    if value is None:
        return "-"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def fmt_float(value: Any, digits: int = 2) -> str:
    """Fixed-point float, or '-' for None/nan."""
    if value is None:
        return "-"
    v = float(value)
    if v != v:  # nan
        return "-"
    return f"{v:,.{digits}f}"


def fmt_bytes(value: Any) -> str:
    """Compact byte count (B, K, M, G in powers of 1024), or '-' when absent."""
    if value is None:
        return "-"
    v = float(value)
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if abs(v) >= scale:
            return f"{v / scale:.1f}{unit}".replace(".0" + unit, unit)
    return f"{int(v)}"


def heat_bar(fraction: float, width: int = 8) -> str:
    """A block bar for a 0..1 fraction of the dominant path."""
    fraction = max(0.0, min(1.0, fraction))
    cells = fraction * width
    full = int(cells)
    parts = " ▏▎▍▌▋▊▉"
    rest = parts[int((cells - full) * 8)] if full < width else ""
    return ("█" * full + rest).ljust(width)


def text_table(
    headers: list[str],
    rows: list[list[str]],
    text_cols: tuple[int, ...] = (0,),
    styles: list[str] | None = None,
) -> Table:
    """A borderless table whose numeric columns never shrink (names are cut with an ellipsis)."""
    table = Table(box=None, pad_edge=False, header_style="bold", collapse_padding=True)
    for c, h in enumerate(headers):
        if c in text_cols:
            table.add_column(h, no_wrap=True, overflow="ellipsis", max_width=24)
        else:
            width = max([len(h)] + [len(r[c]) for r in rows])
            table.add_column(h, justify="right", no_wrap=True, min_width=width)
    for i, row in enumerate(rows):
        # cells are data (op names from files): plain Text, never Rich markup
        cells = [Text(c) if isinstance(c, str) else c for c in row]
        table.add_row(*cells, style=styles[i] if styles else None)
    return table


class MissingMixin:
    """Shared greying: a pane with a required artifact absent shows one sentence."""

    def missing_renderable(self, sentence: str) -> Text:
        """The greyed sentence shown in place of the pane's content."""
        return Text(sentence, style="italic")


# ---------------------------------------------------------------- ranking


class RankingPane(Vertical, can_focus=False):
    """The DPC ranking: one row per instance, QNN op or HTP kernel, sortable, drillable."""

    COLUMNS = (
        Column("name", "name", 24, "left", True),
        Column("dpc", "DPC", 8, "right", True),
        Column("pct", "% path", 6, "right", False),
        Column("busy", "busy cyc", 8, "right", True),
        Column("instances", "inst", 5, "right", True),
        Column("parallelism", "busy/span", 9, "right", True),
        Column("concurrency", "conc", 4, "right", False),
        Column("cpp", "cyc/pkt", 7, "right", True),
        Column("units", "unit", 7, "left", False),
    )
    SORT_OF_COLUMN = {"pct": "dpc"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.opt: Optrace | None = None
        self.level = "qnn_op"
        self.sort_key = "dpc"
        self.descending = True
        self.filter_mask: np.ndarray | None = None
        self.drill: list[tuple[str, str, np.ndarray]] = []  # (level before, row name, members)
        self.ranking: Ranking | None = None
        self.order: np.ndarray = np.zeros(0, dtype=np.int64)
        self._suppress_row: int | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        """A title line above the grid."""
        yield Static("DPC ranking", id="ranking-title", classes="pane-title", markup=False)
        yield DataGrid(id="ranking-grid")

    @property
    def grid(self) -> DataGrid:
        """The ranking grid."""
        return self.query_one("#ranking-grid", DataGrid)

    def on_mount(self) -> None:
        """Set the columns once and mark the default sort."""
        self._name_width: tuple[int, tuple[int, ...]] | None = None
        self._fit_columns()
        self.grid.set_sort("dpc", True)

    def on_resize(self) -> None:
        """Give the name column what the numeric columns leave (16 to 32 cells)."""
        self._fit_columns()

    def _data_widths(self) -> dict[str, int]:
        """Widths the current numbers need (10M-cycle sums need more than the defaults)."""
        rk = self.ranking
        if rk is None or not len(rk):
            return {}
        return {
            key: len(fmt_int(int(col.max())))
            for key, col in (("dpc", rk.dpc), ("busy", rk.busy), ("instances", rk.instances))
        }

    def _fit_columns(self) -> None:
        need = self._data_widths()
        numeric = [replace(c, width=max(c.width, need.get(c.key, 0))) for c in self.COLUMNS[1:]]
        width = self.size.width or 80
        rest = sum(c.width + 1 for c in numeric) + 3  # separators, borders, scrollbar
        name_width = max(16, min(32, width - rest))
        layout = (name_width, tuple(c.width for c in numeric))
        if layout != self._name_width:
            self._name_width = layout
            self.grid.set_columns([replace(self.COLUMNS[0], width=name_width), *numeric])

    def show_optrace(self, opt: Optrace) -> None:
        """Rank the loaded run."""
        self.opt = opt
        if opt.trace is None:
            self.query_one("#ranking-title", Static).update(opt.missing_sentence("op_trace"))
            self.add_class("-missing")
            return
        self.recompute()
        if len(self.order):
            self.move_to_row(0, announce=False)

    def on_filter(self, mask: np.ndarray | None) -> None:
        """Rescope the ranking to the filtered ops."""
        self.filter_mask = mask
        self.drill.clear()
        self.recompute()

    @property
    def effective_mask(self) -> np.ndarray | None:
        """Filter mask intersected with the drill-down members."""
        mask = self.filter_mask
        if self.drill and self.opt is not None and self.opt.trace is not None:
            members = np.zeros(len(self.opt.trace), dtype=bool)
            members[self.drill[-1][2]] = True
            mask = members if mask is None else (mask & members)
        return mask

    def recompute(self) -> None:
        """Re-rank with the current level, filter and drill, then re-sort."""
        if self.opt is None or self.opt.trace is None:
            return
        self.ranking = rank(self.opt.trace, self.level, self.effective_mask)
        self._fit_columns()
        self.resort()

    def resort(self) -> None:
        """Apply the sort key and push rows to the grid."""
        if self.ranking is None:
            return
        self.order = self.ranking.sorted_by(self.sort_key, self.descending)
        self.grid.set_data(len(self.order), self.cell)
        self.update_title()

    def update_title(self) -> None:
        """Level, sort key, filter and drill state in one line."""
        arrow = "↓" if self.descending else "↑"
        parts = [
            f"DPC ranking · {LEVEL_LABELS[self.level]} ({len(self.order)})",
            f"sort {SORT_LABELS.get(self.sort_key, self.sort_key)} {arrow}",
        ]
        if self.filter_mask is not None or self.drill:
            parts.append("filtered (% path of the whole graph)")
        if self.drill:
            parts.append(f"in {self.drill[-1][1]} (Esc back)")
        rk = self.ranking
        if rk is not None and rk.dpc_exact is not None and not rk.dpc_exact.all():
            parts.append("* DPC per instance unknown (tiled op without QHAS, or no DPC)")
        self.query_one("#ranking-title", Static).update(" · ".join(parts))

    def cell(self, display_row: int, key: str) -> str:
        """Text of one cell (display row → ranking row via the sort order)."""
        rk = self.ranking
        if rk is None or display_row >= len(self.order):
            return ""
        r = int(self.order[display_row])
        if key == "name":
            if rk.level == "instance" and self.opt is not None and self.opt.trace is not None:
                op = int(rk.members(r)[0])
                return f"{rk.names[r]} · {self.opt.trace.qnn_op_name(op)}"
            return rk.names[r]
        if key == "dpc":
            # '*': op-level DPC of a tiled op without QHAS (per-tile split unknown)
            return fmt_int(rk.dpc[r]) + ("" if rk.row_dpc_exact(r) else "*")
        if key == "pct":
            return fmt_float(rk.dpc_pct(r))
        if key == "busy":
            return fmt_int(rk.busy[r])
        if key == "instances":
            return fmt_int(rk.instances[r])
        if key == "parallelism":
            return fmt_float(rk.parallelism[r])
        if key == "concurrency":
            return fmt_int(rk.concurrency[r])
        if key == "cpp":
            return fmt_float(rk.cpp[r])
        if key == "units":
            return units_text(int(rk.units[r]))
        return ""

    def cycle_level(self) -> None:
        """`r`: instance → QNN op → HTP kernel → instance."""
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
        self.drill.clear()
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
        if members.size and self.opt is not None and self.opt.trace is not None:
            primary = int(members[np.argmax(self.opt.trace.dpc[members])])  # the hottest instance
            self.post_message(SelectOps(tuple(int(i) for i in members), primary, origin="ranking"))

    @on(DataGrid.RowSelected, "#ranking-grid")
    def _row_selected(self, event: DataGrid.RowSelected) -> None:
        event.stop()
        self.drill_in(event.row)

    def drill_in(self, display_row: int) -> bool:
        """`Enter` on a group row: show that row's instances."""
        if self.ranking is None or self.level == "instance":
            return False
        members = self.members_of_display_row(display_row)
        if not members.size:
            return False
        name = self.ranking.names[int(self.order[display_row])]
        self.drill.append((self.level, name, members.copy()))
        self.level = "instance"
        self.recompute()
        self.grid.move_cursor(0)
        return True

    def back_out(self) -> bool:
        """`Esc` after a drill: back to the group level (False when not drilled)."""
        if not self.drill:
            return False
        level, name, _members = self.drill.pop()
        self.level = level
        self.recompute()
        if self.ranking is not None:
            for pos, r in enumerate(self.order):
                if self.ranking.names[int(r)] == name:
                    self.move_to_row(pos, announce=False)
                    break
        return True

    @on(DataGrid.SortRequested, "#ranking-grid")
    def _sort_requested(self, event: DataGrid.SortRequested) -> None:
        event.stop()
        key = self.SORT_OF_COLUMN.get(event.column_key, event.column_key)
        if key not in SORT_LABELS:
            return
        self.sort_key = key
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
        """All displayed rows with the grid's columns."""
        headers = [c.label for c in self.COLUMNS]
        rows = [[self.cell(r, c.key) for c in self.COLUMNS] for r in range(len(self.order))]
        return headers, rows


# ---------------------------------------------------------------- QHAS units


class QhasPane(VerticalScroll, MissingMixin, can_focus=True):
    """Per-lane busy/span/utilization with QHAS memory traffic, then the QHAS op tables."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.opt: Optrace | None = None
        self.summaries: list[CoreSummary] = []
        self.selected: set[int] = set()

    def compose(self):  # type: ignore[no-untyped-def]
        """One Static holding the tables."""
        yield Static("QHAS units", classes="pane-title", markup=False)
        yield Static("", id="qhas-body", markup=False)

    def show_optrace(self, opt: Optrace) -> None:
        """Summarise every core of the run."""
        self.opt = opt
        if opt.trace is not None and len(opt.trace):
            self.summaries = [core_summary(opt.trace, c) for c in cores(opt.trace)]
        self.render_body()

    def on_ops_selected(self, op_indices: tuple[int, ...], primary: int | None) -> None:
        """Mark the selected instances in the instance table."""
        self.selected = set(op_indices)
        self.render_body()

    def on_filter(self, mask: np.ndarray | None) -> None:
        """QHAS tables are the SDK's own, so they are not rescoped."""

    def _resource(self, core: int, unit: str, tid: int) -> Any:
        qh = self.opt.qhas if self.opt is not None else None
        if qh is None:
            return None
        ov = qh.overall_for(core)
        if ov is None:
            return None
        for res in ov.resources:
            if res.unit == unit and res.tid == tid:
                return res
        return None

    def _qhas_idle(self, core: int) -> str:
        """QHAS's own accumulated idle of a core (cycles and %), '' without a QHAS path."""
        qh = self.opt.qhas if self.opt is not None else None
        if qh is None or core not in qh.dominant_path:
            return ""
        idle = sum(r.dp_cycles for r in qh.dominant_path[core] if r.is_idle)
        ov = qh.overall_for(core)
        pct = f" ({fmt_float(ov.percent_idle)} %)" if ov is not None else ""
        return f"{fmt_int(idle)}{pct}"

    def lane_rows(self) -> ExportTable:
        """The per-lane table (unit, tid, busy, span, utilization and memory traffic)."""
        headers = ["core", "unit", "tid", "busy", "span", "util %", "DRAM rd", "DRAM wr",
                   "VTCM rd", "VTCM wr", "domain"]  # fmt: skip
        rows: list[list[Any]] = []
        for cs in self.summaries:
            for ls in cs.lanes:
                res = self._resource(cs.core, ls.lane.unit, ls.lane.tid)
                domain = ls.lane.unit == cs.domain_unit and ls.busy == cs.unit_busy.get(
                    ls.lane.unit
                )
                rows.append(
                    [
                        cs.core,
                        ls.lane.unit,
                        ls.lane.tid,
                        ls.busy,
                        ls.span,
                        round(ls.utilization, 2),
                        res.dram_read if res else None,
                        res.dram_write if res else None,
                        res.vtcm_read if res else None,
                        res.vtcm_write if res else None,
                        "★" if domain else "",
                    ]
                )
        return headers, rows

    def render_body(self) -> None:
        """Rebuild the tables."""
        body = self.query_one("#qhas-body", Static)
        opt = self.opt
        if opt is None:
            return
        parts: list[RenderableType] = []
        if opt.trace is None:
            parts.append(self.missing_renderable(opt.missing_sentence("op_trace")))
        else:
            headers, rows = self.lane_rows()
            has_mem = opt.qhas is not None
            shown = []
            for row in rows[:QHAS_LANE_ROWS]:  # a table of 30k lanes would take minutes to draw
                cells = [f"{row[10] or ' '}{row[1]}", str(row[2]), fmt_int(row[3]),
                         fmt_int(row[4]), fmt_float(row[5])]  # fmt: skip
                if has_mem:
                    cells += [f"{fmt_bytes(row[6])}/{fmt_bytes(row[7])}",
                              f"{fmt_bytes(row[8])}/{fmt_bytes(row[9])}"]  # fmt: skip
                shown.append(cells)
            lane_headers = ["unit", "tid", "busy", "span", "util %"]
            if has_mem:
                lane_headers += ["DRAM r/w", "VTCM r/w"]
            table = text_table(lane_headers, shown)
            parts.append(table)
            if len(rows) > QHAS_LANE_ROWS:
                parts.append(Text(f"… {len(rows) - QHAS_LANE_ROWS:,} more lanes (e exports all)"))
            parts.append(
                Text(
                    "sources: busy, span, util %, domain, idle, wall from the trace"
                    + ("; DRAM/VTCM and the tables below from QHAS" if has_mem else ""),
                    style="italic",
                )
            )
            for cs in self.summaries:
                line = Text()
                line.append(f"core {cs.core}: ", style="bold")
                line.append(f"★ domain {cs.domain_unit} {fmt_int(cs.domain_cycles)} cycles ")
                line.append("(domain = max not sum)", style="italic")
                if cs.idle_pct is not None:
                    line.append(f" · idle {fmt_float(cs.idle_pct)} % (trace: wall − Σ DPC)")
                else:
                    line.append(f" · idle n/a ({cs.idle_note})")
                line.append(f" · wall {fmt_int(cs.wall)} (trace)")
                if cs.dma_on_hmx_thread:
                    line.append(
                        f" · HMX thread busy {fmt_int(cs.hmx_thread_busy)} (incl. DMA)"
                        f" · HMX compute {fmt_int(cs.hmx_compute)}"
                    )
                if qh_idle := self._qhas_idle(cs.core):
                    line.append(f" · QHAS idle {qh_idle}")
                qh = opt.qhas.overall_for(cs.core) if opt.qhas is not None else None
                if qh is not None:
                    line.append(f" · peak VTCM {fmt_int(qh.peak_vtcm_alloc)} B")
                parts.append(line)
        if opt.qhas is None:
            parts.append(self.missing_renderable(opt.missing_sentence("qhas")))
        else:
            parts.append(Text("\nQHAS HTP op types (source: QHAS htp_op_types)", style="bold"))
            parts.append(self._op_type_table())
            parts.append(
                Text("\nQHAS instances by DPC (source: QHAS htp_op_instances)", style="bold")
            )
            parts.append(self._instance_table())
        body.update(Group(*parts))

    def _op_type_table(self) -> Table:
        assert self.opt is not None and self.opt.qhas is not None
        rows = [
            [row.name, fmt_int(row.count), fmt_int(row.cycles), fmt_int(sum(row.dpc.values())),
             fmt_float(sum(row.percent_dpc.values())),
             f"{fmt_bytes(row.dram_read)}/{fmt_bytes(row.dram_write)}",
             f"{fmt_bytes(row.vtcm_read)}/{fmt_bytes(row.vtcm_write)}"]
            for row in self.opt.qhas.htp_op_types
        ]  # fmt: skip
        headers = ["HTP op", "n", "cycles", "DPC", "%DPC", "DRAM r/w", "VTCM r/w"]
        return text_table(headers, rows)

    def _selected_keys(self) -> set[tuple[int, int]]:
        opt = self.opt
        if opt is None or opt.trace is None:
            return set()
        t = opt.trace
        return {(int(t.op_id[i]), int(t.start_cycle[i])) for i in self.selected if i < len(t)}

    def instance_rows(self) -> ExportTable:
        """Every QHAS instance, by DPC."""
        headers = ["HTP op", "QNN op", "tid", "cycles", "DPC", "% DPC", "cyc/pkt", "DRAM rd",
                   "DRAM wr", "VTCM rd", "VTCM wr", "start cycle", "op ID"]  # fmt: skip
        rows: list[list[Any]] = []
        if self.opt is None or self.opt.qhas is None:
            return headers, rows
        for inst in sorted(self.opt.qhas.instances, key=lambda x: -x.dpc):
            rows.append(
                [inst.htp_op, inst.qnn_op, inst.tid, inst.cycles, inst.dpc,
                 round(inst.percent_dpc, 2), round(inst.cycles_per_packet, 2), inst.dram_read,
                 inst.dram_write, inst.vtcm_read, inst.vtcm_write, inst.start_cycle, inst.op_id]
            )  # fmt: skip
        return headers, rows

    def _instance_table(self) -> RenderableType:
        _headers, rows = self.instance_rows()
        keys = self._selected_keys()
        shown, styles = [], []
        for row in rows[:QHAS_INSTANCE_ROWS]:
            mark = "►" if (row[12], row[11]) in keys else " "
            shown.append(
                [mark + row[0], row[1], fmt_int(row[3]), fmt_int(row[4]), fmt_float(row[6]),
                 f"{fmt_bytes(row[7])}/{fmt_bytes(row[8])}",
                 f"{fmt_bytes(row[9])}/{fmt_bytes(row[10])}"]
            )  # fmt: skip
            styles.append("reverse" if mark == "►" else "")
        headers = [" HTP op", "QNN op", "cycles", "DPC", "cyc/pkt", "DRAM r/w", "VTCM r/w"]
        table = text_table(headers, shown, text_cols=(0, 1), styles=styles)
        if len(rows) > QHAS_INSTANCE_ROWS:
            return Group(table, Text(f"… {len(rows) - QHAS_INSTANCE_ROWS} more (e exports all)"))
        return table

    def export_table(self) -> ExportTable:
        """The per-lane table."""
        return self.lane_rows()


# ---------------------------------------------------------------- DAG


class DagPane(VerticalScroll, MissingMixin, can_focus=True):
    """Text neighbourhood of the selected op in the compiled graph, with DPC heat per node."""

    BINDINGS = [
        Binding("j", "move(1)", "Next node", show=False, id="dag.next", tooltip="Next graph node"),
        Binding("k", "move(-1)", "Prev node", show=False, id="dag.prev", tooltip="Previous node"),
        Binding("enter", "pick", "Select node", id="dag.pick", tooltip="Select this node's ops"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.opt: Optrace | None = None
        self.level = "node"  # or "qnn"
        self.centre: int | str | None = None  # node id (node level) or QNN op name
        self.cursor = 0
        self.filter_mask: np.ndarray | None = None
        self._ops_by_id: dict[int, np.ndarray] = {}
        self._qnn_rank: Ranking | None = None
        self._dpc_cache: dict[int | str, int] = {}

    def compose(self):  # type: ignore[no-untyped-def]
        """A title line and the rendered neighbourhood."""
        yield Static("Op DAG", id="dag-title", classes="pane-title", markup=False)
        yield Static("", id="dag-body", markup=False)

    def show_optrace(self, opt: Optrace) -> None:
        """Index trace ops by op ID for the node join."""
        self.opt = opt
        t = opt.trace
        if t is not None and len(t):
            ids, inverse = np.unique(t.op_id, return_inverse=True)
            order = np.argsort(inverse, kind="stable")
            starts = np.searchsorted(inverse[order], np.arange(ids.size))
            bounds = list(starts) + [order.size]
            self._ops_by_id = {
                int(ids[k]): order[bounds[k] : bounds[k + 1]] for k in range(ids.size)
            }
            self._qnn_rank = rank(t, "qnn_op")
        if opt.graph is None:
            self.add_class("-missing")
        nodes = self.node_list()
        if nodes and self.centre is None:
            self.centre = nodes[0]
        self.render_body()

    # --- graph views

    def node_list(self) -> list[int | str]:
        """Nodes at the current level, in graph (topological) order."""
        g = self.graph
        if g is None:
            return []
        if self.level == "qnn":
            return list(g.qnn_ops())
        return list(g.nodes)

    @property
    def graph(self) -> HtpGraph | None:
        """The compiled graph, if loaded."""
        return self.opt.graph if self.opt is not None else None

    def ops_of(self, node: int | str) -> np.ndarray:
        """Trace op indices of a node (by op ID) or of a QNN op (by name)."""
        if isinstance(node, str):
            if self._qnn_rank is None:
                return np.zeros(0, dtype=np.int64)
            try:
                return self._qnn_rank.members(self._qnn_rank.names.index(node))
            except ValueError:
                return np.zeros(0, dtype=np.int64)
        return self._ops_by_id.get(node, np.zeros(0, dtype=np.int64))

    def dpc_of(self, node: int | str) -> int:
        """Dominant Path Cycles of a node's ops (via the ranking's masked total)."""
        if node in self._dpc_cache:
            return self._dpc_cache[node]
        value = 0
        if isinstance(node, str) and self._qnn_rank is not None and node in self._qnn_rank.names:
            value = int(self._qnn_rank.dpc[self._qnn_rank.names.index(node)])
        elif self.opt is not None and self.opt.trace is not None:
            ops = self.ops_of(node)
            if ops.size:
                mask = np.zeros(len(self.opt.trace), dtype=bool)
                mask[ops] = True
                value = rank(self.opt.trace, "instance", mask).dpc_filtered_total
        self._dpc_cache[node] = value
        return value

    def neighbours(self, node: int | str) -> tuple[list[tuple[int | str, list[int]]], ...]:
        """(predecessors, successors), each with the tensors connecting them to ``node``."""
        g = self.graph
        if g is None:
            return [], []
        if isinstance(node, int):
            n = g.nodes.get(node)
            if n is None:
                return [], []
            preds: dict[int | str, list[int]] = {}
            for t in n.inputs:
                p = g.producer.get(t)
                if p is not None and p != node:
                    preds.setdefault(p, []).append(t)
            succs: dict[int | str, list[int]] = {}
            outs = set(n.outputs)
            for other in g.nodes.values():
                for t in other.inputs:
                    if t in outs and other.id != node:
                        succs.setdefault(other.id, []).append(t)
            return list(preds.items()), list(succs.items())
        preds_q: dict[int | str, list[int]] = {}
        succs_q: dict[int | str, list[int]] = {}
        for other in g.nodes.values():
            for t in other.inputs:
                p = g.producer.get(t)
                if p is None:
                    continue
                src = g.nodes[p].grouping
                if other.grouping == node and src != node and t not in preds_q.get(src, []):
                    preds_q.setdefault(src, []).append(t)
                crosses_out = src == node and other.grouping != node
                if crosses_out and t not in succs_q.get(other.grouping, []):
                    succs_q.setdefault(other.grouping, []).append(t)
        return list(preds_q.items()), list(succs_q.items())

    def label(self, node: int | str) -> str:
        """Display name of a node."""
        g = self.graph
        if isinstance(node, str) or g is None:
            return str(node)
        n = g.nodes.get(node)
        return f"{n.type} · {n.grouping}" if n else str(node)

    def tensor_text(self, tid: int) -> str:
        """ID, type, dims and dtype of a tensor."""
        g = self.graph
        t = g.tensors.get(tid) if g is not None else None
        if t is None:
            return f"0x{tid:016x}"
        dims = "×".join(str(d) for d in t.dims) or "scalar"
        return f"{t.key} {t.type_name} [{dims}] {t.dtype_name}"

    def heat(self, node: int | str) -> Text:
        """Heat bar and DPC of a node against the whole path."""
        total = self._qnn_rank.dpc_total if self._qnn_rank is not None else 0
        dpc = self.dpc_of(node)
        frac = dpc / total if total else 0.0
        out = Text()
        out.append(heat_bar(frac), style="bold")
        out.append(f" {fmt_int(dpc):>7} DPC {fmt_float(100 * frac, 1):>5}%")
        return out

    def _dimmed(self, node: int | str) -> bool:
        if self.filter_mask is None:
            return False
        ops = self.ops_of(node)
        return not bool(ops.size and self.filter_mask[ops].any())

    def render_body(self) -> None:
        """Rebuild the neighbourhood (and whole graph when small)."""
        title = self.query_one("#dag-title", Static)
        body = self.query_one("#dag-body", Static)
        opt = self.opt
        if opt is None:
            return
        if opt.graph is None:
            title.update("Op DAG")
            body.update(self.missing_renderable(opt.missing_sentence("htp_graph")))
            return
        nodes = self.node_list()
        lvl = "QNN-op level" if self.level == "qnn" else "HTP-node level"
        title.update(f"Op DAG · {lvl} ({len(nodes)} nodes) · l toggles · j/k move · Enter selects")
        lines: list[RenderableType] = []
        centre = self.centre
        if centre is None or centre not in nodes:
            lines.append(Text("the selected op produces no tensor, so it has no graph node"))
        else:
            preds, succs = self.neighbours(centre)
            for node, tensors in preds:
                lines.append(self._node_line("  ↑ ", node))
                for t in tensors:
                    lines.append(
                        Text(f"      └─ {self.tensor_text(t)} ─▶", style="dim", no_wrap=True)
                    )
            lines.append(self._node_line("  ● ", centre, bold=True))
            for node, tensors in succs:
                for t in tensors:
                    lines.append(
                        Text(f"      ┌─ {self.tensor_text(t)} ─▶", style="dim", no_wrap=True)
                    )
                lines.append(self._node_line("  ↓ ", node))
            if not preds and not succs:
                lines.append(Text("  (no graph neighbours)", style="dim"))
        if len(nodes) <= DAG_WHOLE_LIMIT:
            lines.append(Text(f"\nwhole graph ({len(nodes)} nodes, graph order)", style="bold"))
            for pos, node in enumerate(nodes):
                prefix = "► " if pos == self.cursor else "  "
                mark = "● " if node == centre else "  "
                lines.append(self._node_line(prefix + mark, node, bold=node == centre))
        body.update(Group(*lines))

    def _node_line(self, prefix: str, node: int | str, bold: bool = False) -> Text:
        out = Text(prefix, no_wrap=True, overflow="ellipsis")
        out.append_text(self.heat(node))
        out.append(" " + self.label(node), style="bold" if bold else "")
        if self._dimmed(node):
            out.stylize("dim")
        return out

    # --- linking

    def on_ops_selected(self, op_indices: tuple[int, ...], primary: int | None) -> None:
        """Centre on the primary op's node (or its QNN op)."""
        opt = self.opt
        if opt is None or opt.trace is None or primary is None:
            return
        if self.level == "qnn":
            self.centre = opt.trace.qnn_op_name(primary)
        else:
            node = opt.graph_node(primary)
            self.centre = node.id if node is not None else None
        nodes = self.node_list()
        if self.centre in nodes:
            self.cursor = nodes.index(self.centre)
        self.render_body()

    def on_filter(self, mask: np.ndarray | None) -> None:
        """Dim nodes with no op matching the filter."""
        self.filter_mask = mask
        self.render_body()

    def toggle_level(self) -> None:
        """`l`: HTP-node level ↔ QNN-op level, keeping the centre."""
        g = self.graph
        if self.level == "node":
            self.level = "qnn"
            if isinstance(self.centre, int) and g is not None and self.centre in g.nodes:
                self.centre = g.nodes[self.centre].grouping
        else:
            self.level = "node"
            if isinstance(self.centre, str) and g is not None:
                self.centre = next((n.id for n in g.nodes.values() if n.grouping == self.centre),
                                   None)  # fmt: skip
        nodes = self.node_list()
        self.cursor = nodes.index(self.centre) if self.centre in nodes else 0
        self.render_body()

    def action_move(self, delta: int) -> None:
        """Move the node cursor in the whole-graph list."""
        nodes = self.node_list()
        if not nodes:
            return
        self.cursor = max(0, min(len(nodes) - 1, self.cursor + delta))
        self.render_body()

    def action_pick(self) -> None:
        """Select the ops of the node under the cursor everywhere."""
        nodes = self.node_list()
        if not nodes:
            return
        ops = self.ops_of(nodes[self.cursor])
        if ops.size:
            self.post_message(SelectOps(tuple(int(i) for i in ops), int(ops[0]), origin="dag"))

    def export_table(self) -> ExportTable:
        """Nodes with DPC, predecessors and successors."""
        headers = ["node", "label", "DPC", "predecessors", "successors"]
        rows: list[list[Any]] = []
        for node in self.node_list():
            preds, succs = self.neighbours(node)
            rows.append(
                [
                    str(node) if isinstance(node, str) else f"0x{node:016x}",
                    self.label(node),
                    self.dpc_of(node),
                    " ".join(self.label(p) for p, _ in preds),
                    " ".join(self.label(s) for s, _ in succs),
                ]
            )
        return headers, rows


# ---------------------------------------------------------------- details


class DetailsPane(VerticalScroll, can_focus=True):
    """Everything known about the primary selected op: trace args, QHAS row, graph node, memory."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.opt: Optrace | None = None
        self.primary: int | None = None
        self.count = 0
        self.rows: list[tuple[str, str, str]] = []  # (section, key, value)

    def compose(self):  # type: ignore[no-untyped-def]
        """A title and the key/value body."""
        yield Static("Details", id="details-title", classes="pane-title", markup=False)
        yield Static("select an op (timeline, ranking or DAG)", id="details-body", markup=False)

    def show_optrace(self, opt: Optrace) -> None:
        """Remember the run."""
        self.opt = opt

    def on_filter(self, mask: np.ndarray | None) -> None:
        """Details follow the selection, not the filter."""

    def on_ops_selected(self, op_indices: tuple[int, ...], primary: int | None) -> None:
        """Describe the primary op of the selection."""
        self.primary = primary
        self.count = len(op_indices)
        self.rows = self.collect()
        self.render_body()

    def collect(self) -> list[tuple[str, str, str]]:
        """Gather every known fact about the primary op."""
        opt, i = self.opt, self.primary
        if opt is None or opt.trace is None or i is None:
            return []
        t = opt.trace
        lane = t.lane_of(i)
        qnn = t.qnn_op_name(i)
        qnn_id = opt.qnn_op_id(qnn)
        rows: list[tuple[str, str, str]] = [
            ("op", "kernel", t.kernel_name(i)),
            ("op", "QNN op", qnn),
            ("op", "QNN op type", t.strings[int(t.qnn_type[i])]),
            ("op", "OpId_N", f"OpId_{qnn_id}" if qnn_id is not None else "-"),
            ("op", "op ID", t.op_id_str(i)),
            ("op", "lane", f"{lane.label} (core {lane.core}, {lane.thread_name})"),
            ("op", "start (cycles)", fmt_int(t.ts[i])),
            ("op", "duration (cycles)", fmt_int(t.dur[i])),
            ("op", "end (cycles)", fmt_int(t.end[i])),
            ("op", "DPC", fmt_int(t.dpc[i]) if t.dpc[i] >= 0 else "-"),
            ("op", "DPC source", SOURCE_LABELS.get(int(t.dpc_source[i]), "?")),
            ("op", "cycles/packet", fmt_float(t.cpp[i])),
            ("op", "selection", f"{self.count} op(s)"),
        ]
        try:
            args = t.event_args(i)
        except Exception as exc:  # noqa: BLE001 - args are best effort
            args = {"(args unavailable)": str(exc)}
        for k, v in args.items():
            rows.append(("trace args", str(k), _short(v)))
        inst = opt.qhas_instance(i)
        if inst is not None:
            for k in ("htp_op", "qnn_op", "qnn_op_type", "dtype", "dims", "cycles", "dpc",
                      "percent_dpc", "cycles_per_packet", "flags"):  # fmt: skip
                rows.append(("QHAS instance", k, _short(getattr(inst, k))))
            rows.append(("memory", "DRAM read / write", f"{fmt_int(inst.dram_read)} / "
                         f"{fmt_int(inst.dram_write)} B"))  # fmt: skip
            rows.append(("memory", "VTCM read / write", f"{fmt_int(inst.vtcm_read)} / "
                         f"{fmt_int(inst.vtcm_write)} B"))  # fmt: skip
        elif opt.qhas is None:
            rows.append(("QHAS instance", "", opt.missing_sentence("qhas")))
        else:
            rows.append(("QHAS instance", "", "no QHAS row for this instance"))
        node = opt.graph_node(i)
        if node is not None and opt.graph is not None:
            g = opt.graph
            rows.append(("graph node", "id", node.key))
            rows.append(("graph node", "kernel", node.type))
            rows.append(("graph node", "QNN op (grouping)", node.grouping))
            for tid in node.inputs:
                rows.append(("graph node", "input", _tensor(g, tid)))
            for tid in node.outputs:
                rows.append(("graph node", "output", _tensor(g, tid)))
            for k, v in node.params.items():
                rows.append(("graph params", str(k), _short(v)))
        elif opt.graph is None:
            rows.append(("graph node", "", opt.missing_sentence("htp_graph")))
        else:
            rows.append(("graph node", "", "this op produces no tensor, so it has no graph node"))
        return rows

    def render_body(self) -> None:
        """Sections with aligned keys."""
        body = self.query_one("#details-body", Static)
        if not self.rows:
            body.update("select an op (timeline, ranking or DAG)")
            return
        out = Text()
        section = None
        for sec, key, value in self.rows:
            if sec != section:
                if section is not None:
                    out.append("\n")
                out.append(sec + "\n", style="bold underline")
                section = sec
            out.append(f"  {key:<20}", style="bold")
            out.append(f" {value}\n")
        body.update(out)
        self.scroll_home(animate=False)

    def copy_text(self) -> str:
        """Plain-text description of the selection (for `y`)."""
        return "\n".join(f"{sec}: {key}: {value}" for sec, key, value in self.rows)

    def export_table(self) -> ExportTable:
        """Section/key/value rows."""
        return ["section", "key", "value"], [list(r) for r in self.rows]


def _short(value: Any, limit: int = 120) -> str:
    text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tensor(g: HtpGraph, tid: int) -> str:
    t = g.tensors.get(tid)
    if t is None:
        return f"0x{tid:016x}"
    dims = "×".join(str(d) for d in t.dims) or "scalar"
    size = f" {fmt_int(t.nbytes)} B" if t.nbytes is not None else ""
    producer = g.producer.get(tid)
    src = f" from {g.nodes[producer].type}" if producer is not None and producer in g.nodes else ""
    return f"{t.key} {t.type_name} [{dims}] {t.dtype_name}{size}{src}"
