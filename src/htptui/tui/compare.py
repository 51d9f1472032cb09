"""Compare mode of the explorer (``htptui A B``): A, B and Δ tables and A-above-B timelines.

Everything is drawn from the two report documents (``compare_basis`` instance rows), so a saved
JSON baseline opens exactly like a live optrace directory. ``g`` cycles the view A → B → diff;
selecting a QNN op or kernel row highlights its instances in both timelines (selection is linked).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Static

from htptui.analysis.compare import Comparison, Noise, RowChange, compare
from htptui.compare_report import fmt_delta, fmt_rel, fmt_value

MODES = ("diff", "A", "B")
LEVELS = ("qnn_op", "kernel")
LEVEL_LABELS = {"qnn_op": "QNN ops", "kernel": "HTP kernels"}

# --- timeline data ------------------------------------------------------------------------------


class RunLanes:
    """Instance intervals of one run grouped by lane, with busy-coverage per bucket."""

    def __init__(self, doc: dict[str, Any]) -> None:
        rows = (doc.get("compare_basis") or {}).get("instances") or []
        self.lanes: list[str] = list(dict.fromkeys(str(r["lane"]) for r in rows))
        self.ts = np.array([int(r["ts"]) for r in rows], dtype=np.int64)
        self.end = self.ts + np.array([int(r["dur"]) for r in rows], dtype=np.int64)
        self.lane = np.array([self.lanes.index(str(r["lane"])) for r in rows], dtype=np.int64)
        self.qnn_op = [str(r["qnn_op"]) for r in rows]
        self.kernel = [str(r["kernel"]) for r in rows]

    @property
    def span(self) -> tuple[int, int]:
        """First start and last end (0, 0 when empty)."""
        if not self.ts.size:
            return 0, 0
        return int(self.ts.min()), int(self.end.max())

    def coverage(self, lane: int, lo: float, hi: float, width: int, mask: Any = None) -> np.ndarray:
        """Fraction of each of ``width`` buckets over [lo, hi) that the lane is busy."""
        sel = self.lane == lane
        if mask is not None:
            sel &= mask
        s, e = np.sort(self.ts[sel]).astype(np.float64), np.sort(self.end[sel]).astype(np.float64)
        edges = np.linspace(lo, hi, width + 1)
        cs, ce = np.concatenate([[0.0], np.cumsum(s)]), np.concatenate([[0.0], np.cumsum(e)])
        ns, ne = np.searchsorted(s, edges, side="right"), np.searchsorted(e, edges, side="right")
        before = ns * edges - cs[ns] - (ne * edges - ce[ne])  # busy cycles before each edge
        bucket = (hi - lo) / width if width else 1.0
        return np.clip(np.diff(before) / max(bucket, 1e-9), 0.0, 1.0)

    def mask_of(self, level: str, name: str | None) -> np.ndarray | None:
        """Instances of one QNN op or kernel (None when nothing is selected)."""
        if name is None:
            return None
        names = self.qnn_op if level == "qnn_op" else self.kernel
        return np.array([n == name for n in names], dtype=bool)


def _cells(cov: np.ndarray, hot: np.ndarray | None, base: str) -> Text:
    text = Text()
    for i, f in enumerate(cov):
        ch = "█" if f >= 0.5 else ("▄" if f > 0 else "·")
        style = base if f > 0 else "dim"
        if hot is not None and hot[i] > 0:
            ch, style = ("█" if hot[i] >= 0.5 else "▄"), "bold yellow"
        text.append(ch, style=style)
    return text


class DualTimeline(Widget):
    """A's lanes above B's lanes on one shared cycle scale (or one run alone)."""

    DEFAULT_CSS = """
    DualTimeline { height: auto; min-height: 3; padding: 0 1; }
    """

    mode: reactive[str] = reactive("diff")
    selected: reactive[str | None] = reactive(None)
    level: reactive[str] = reactive("qnn_op")

    def __init__(self, a: RunLanes, b: RunLanes, **kw: Any) -> None:
        super().__init__(**kw)
        self.a, self.b = a, b
        (la, ha), (lb, hb) = a.span, b.span
        self.lo, self.hi = min(la, lb), max(ha, hb, min(la, lb) + 1)

    def rows(self) -> list[tuple[str, RunLanes, int, str]]:
        """(label, run, lane index, style) of every drawn row."""
        out = []
        for tag, run, style in (("A", self.a, "cyan"), ("B", self.b, "magenta")):
            if self.mode in (tag, "diff"):
                out += [(f"{tag} {ln}", run, i, style) for i, ln in enumerate(run.lanes)]
        return out

    def render(self) -> Text:
        """Draw the rows and a cycle axis."""
        rows = self.rows()
        label_w = max([len(r[0]) for r in rows] + [8])
        width = max(self.size.width - label_w - 4, 10)
        out = Text()
        for label, run, lane, style in rows:
            mask = run.mask_of(self.level, self.selected)
            cov = run.coverage(lane, self.lo, self.hi, width)
            hot = None if mask is None else run.coverage(lane, self.lo, self.hi, width, mask)
            out.append(label.ljust(label_w) + " │", style=style)
            out.append_text(_cells(cov, hot, style))
            out.append("\n")
        axis = f"{self.lo:,}".ljust(width // 2) + f"{self.hi:,} cycles".rjust(width - width // 2)
        out.append(" " * (label_w + 2) + axis, style="dim")
        return out

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        """One line per lane plus the axis."""
        return len(self.rows()) + 1


class CompareApp(App[int]):
    """Two runs side by side: summary, lanes and ranking with A, B and Δ columns."""

    TITLE = "htptui compare"
    CSS = """
    #cmp-header { height: auto; padding: 0 1; background: $boost; }
    #cmp-tables { height: 1fr; }
    #cmp-ranking { width: 3fr; }
    #cmp-units { width: 2fr; }
    #cmp-status { height: 1; padding: 0 1; background: $boost; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "cycle_mode", "A / B / diff"),
        Binding("k", "cycle_level", "QNN ops / kernels"),
        Binding("q", "quit", "Quit"),
    ]

    mode: reactive[str] = reactive("diff")
    level: reactive[str] = reactive("qnn_op")

    def __init__(self, doc_a: dict[str, Any], doc_b: dict[str, Any], noise: Noise | None = None):
        super().__init__()
        self.doc_a, self.doc_b = doc_a, doc_b
        self.cmp: Comparison = compare(doc_a, doc_b)
        self.noise = noise or Noise()
        self.selected: str | None = None
        self._row_names: list[str] = []

    @classmethod
    def from_paths(cls, a: str, b: str) -> CompareApp:
        """Load two runs (optrace inputs or saved JSON reports); raises InputError on bad input."""
        from htptui.compare_report import load_document

        return cls(load_document(a), load_document(b))

    def compose(self) -> ComposeResult:
        yield Static(id="cmp-header", markup=False)
        yield DualTimeline(RunLanes(self.doc_a), RunLanes(self.doc_b), id="cmp-timeline")
        with Horizontal(id="cmp-tables"):
            yield DataTable(id="cmp-ranking", cursor_type="row", zebra_stripes=True)
            with Vertical(id="cmp-units"):
                yield DataTable(id="cmp-lanes", cursor_type="row")
        yield Static(id="cmp-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_all()
        self.query_one("#cmp-ranking", DataTable).focus()

    # --- views ---------------------------------------------------------------------------------

    def _rows(self) -> list[RowChange]:
        return self.cmp.qnn_ops if self.level == "qnn_op" else self.cmp.kernels

    def refresh_all(self) -> None:
        """Redraw header, timeline, tables and status for the current mode and level."""
        c = self.cmp
        wall = c.summary_change("graph wall (cycles)")
        head = Text()
        head.append(f"A {c.a.name}: {c.a.source}\n", style="cyan")
        head.append(f"B {c.b.name}: {c.b.source}\n", style="magenta")
        if wall is not None:
            head.append(
                f"graph wall {fmt_value(wall.a)} → {fmt_value(wall.b)} cycles "
                f"({fmt_delta(wall.delta)}, {fmt_rel(wall.rel)})   view: {self.mode}   "
                f"ranking: {LEVEL_LABELS[self.level]}"
            )
        self.query_one("#cmp-header", Static).update(head)
        tl = self.query_one(DualTimeline)
        tl.mode, tl.level, tl.selected = self.mode, self.level, self.selected
        tl.refresh(layout=True)
        self._fill_ranking()
        self._fill_lanes()
        self._update_status()

    def _fill_ranking(self) -> None:
        table = self.query_one("#cmp-ranking", DataTable)
        table.clear(columns=True)
        rows = self._rows()
        if self.mode == "diff":
            table.add_columns("name", "A DPC", "B DPC", "Δ DPC", "Δ %", "Δ busy", "")
            ordered = rows  # already sorted by |Δ|
        else:
            table.add_columns("name", "DPC", "busy", "inst")
            side = "a" if self.mode == "A" else "b"
            ordered = sorted(
                (r for r in rows if getattr(r.dpc, side) is not None),
                key=lambda r: -(getattr(r.dpc, side) or 0),
            )
        self._row_names = []
        for r in ordered:
            if self.mode == "diff":
                mark = "" if r.significant(self.noise) else "~"
                if r.status in ("added", "removed"):
                    mark = r.status
                table.add_row(
                    Text(r.name), fmt_value(r.dpc.a), fmt_value(r.dpc.b), fmt_delta(r.dpc.delta),
                    fmt_rel(r.dpc.rel), fmt_delta(r.busy.delta), mark, key=r.name,
                )  # fmt: skip
            else:
                side = "a" if self.mode == "A" else "b"
                table.add_row(
                    Text(r.name), fmt_value(getattr(r.dpc, side)), fmt_value(getattr(r.busy, side)),
                    fmt_value(getattr(r.instances, side), "count"), key=r.name,
                )  # fmt: skip
            self._row_names.append(r.name)
        if self.selected in self._row_names:
            table.move_cursor(row=self._row_names.index(self.selected))

    def _fill_lanes(self) -> None:
        table = self.query_one("#cmp-lanes", DataTable)
        table.clear(columns=True)
        table.add_columns("lane / unit busy", "A", "B", "Δ")
        units = [s for s in self.cmp.summary if s.name.endswith("busiest lane busy (cycles)")]
        for ch in [*self.cmp.lanes, *units]:
            label = ch.name.replace(" busiest lane busy (cycles)", " busiest lane")
            delta = ch.status if ch.status in ("added", "removed") else fmt_delta(ch.delta)
            table.add_row(Text(label), fmt_value(ch.a), fmt_value(ch.b), delta)

    def _update_status(self) -> None:
        status = self.query_one("#cmp-status", Static)
        row = next((r for r in self._rows() if r.name == self.selected), None)
        if row is None:
            status.update("select a row to highlight its instances in both timelines")
            return
        status.update(
            f"{row.name}: DPC {fmt_value(row.dpc.a)} → {fmt_value(row.dpc.b)} "
            f"({fmt_delta(row.dpc.delta)}, {fmt_rel(row.dpc.rel)}); busy {fmt_value(row.busy.a)} → "
            f"{fmt_value(row.busy.b)}; instances {fmt_value(row.instances.a, 'count')} → "
            f"{fmt_value(row.instances.b, 'count')}"
        )

    # --- events --------------------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "cmp-ranking" or event.row_key is None:
            return
        self.select(str(event.row_key.value))

    def select(self, name: str | None) -> None:
        """Select a QNN op / kernel in every view (timeline highlight, status line)."""
        if name == self.selected:
            return
        self.selected = name
        tl = self.query_one(DualTimeline)
        tl.selected = name
        tl.refresh()
        self._update_status()

    def action_cycle_mode(self) -> None:
        """Cycle the view: diff → A → B → diff (the selection is kept)."""
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        self.refresh_all()

    def action_cycle_level(self) -> None:
        """Rank by QNN op or by HTP kernel (clears the selection)."""
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
        self.selected = None
        self.refresh_all()


def run_compare(a: str, b: str, mouse: bool = True) -> int:
    """Open the compare mode on two runs; return the exit code (1 with a one-line error on bad input)."""
    import sys

    from htptui.errors import ExitCode, InputError
    from htptui.model._io import clean_text

    try:
        app = CompareApp.from_paths(a, b)
    except InputError as exc:
        print(f"htptui: error: {clean_text(str(exc), 8192)}", file=sys.stderr)
        return int(ExitCode.INPUT)
    except RecursionError:
        print("htptui: error: an input is nested too deeply to read", file=sys.stderr)
        return int(ExitCode.INPUT)
    app.run(mouse=mouse)
    return int(app.return_code or 0)
