"""Compare mode of the explorer (``htptui A B``): A, B and Δ tables and A-above-B timelines.

Everything is drawn from the two report documents (``compare_basis`` instance rows), so a saved
JSON baseline opens exactly like a live optrace directory. ``g`` cycles the view A → B → diff;
selecting a QNN op or kernel row highlights its instances in both timelines (selection is linked).
The explorer's keys work on both runs: `/` filter, `r` level, `s`/`S` sort, w/s/a/d/0 zoom and pan
(timeline focused), `e`/`E` export, `y` copy, `?` help.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, Static

from htptui.analysis.compare import Comparison, Noise, RowChange, compare
from htptui.present.format import fmt_delta, fmt_int, fmt_rel
from htptui.present.format import fmt_unit_value as fmt_value

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

    def filter_mask(self, rx: re.Pattern[str] | None) -> np.ndarray | None:
        """Instances whose QNN op, kernel or lane matches the `/` regex (None = no filter)."""
        if rx is None:
            return None
        return np.array(
            [bool(rx.search(q) or rx.search(k) or rx.search(self.lanes[int(ln)]))
             for q, k, ln in zip(self.qnn_op, self.kernel, self.lane.tolist(), strict=True)],
            dtype=bool,
        )  # fmt: skip

    def mask_of(self, level: str, name: str | None) -> np.ndarray | None:
        """Instances of one QNN op or kernel (None when nothing is selected)."""
        if name is None:
            return None
        names = self.qnn_op if level == "qnn_op" else self.kernel
        return np.array([n == name for n in names], dtype=bool)


def _cells(
    cov: np.ndarray, hot: np.ndarray | None, base: str, lit: np.ndarray | None = None
) -> Text:
    text = Text()
    for i, f in enumerate(cov):
        ch = "█" if f >= 0.5 else ("▄" if f > 0 else "·")
        style = base if f > 0 and (lit is None or lit[i] > 0) else "dim"
        if hot is not None and hot[i] > 0:
            ch, style = ("█" if hot[i] >= 0.5 else "▄"), "bold yellow"
        text.append(ch, style=style)
    return text


class DualTimeline(Widget, can_focus=True):
    """A's lanes above B's lanes on one shared cycle scale (or one run alone); zoom and pan like the
    explorer's timeline (w/+ in, s/- out, a/← d/→ pan, 0 whole graph)."""

    DEFAULT_CSS = """
    DualTimeline { height: auto; min-height: 3; padding: 0 1; }
    DualTimeline:focus { background: $boost; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w,plus", "zoom(0.5)", "Zoom in", id="cmp.zoom_in"),
        Binding("s,minus", "zoom(2.0)", "Zoom out", id="cmp.zoom_out"),
        Binding("a,left", "pan(-0.25)", "Pan left", id="cmp.pan_left"),
        Binding("d,right", "pan(0.25)", "Pan right", id="cmp.pan_right"),
        Binding("0", "reset_view", "Whole graph", id="cmp.reset"),
        Binding("f", "fit_selection", "Fit", id="cmp.fit"),
    ]

    mode: reactive[str] = reactive("diff")
    selected: reactive[str | None] = reactive(None)
    level: reactive[str] = reactive("qnn_op")

    def __init__(self, a: RunLanes, b: RunLanes, **kw: Any) -> None:
        super().__init__(**kw)
        self.a, self.b = a, b
        (la, ha), (lb, hb) = a.span, b.span
        self.lo, self.hi = min(la, lb), max(ha, hb, min(la, lb) + 1)
        self.view_lo, self.view_hi = float(self.lo), float(self.hi)
        self.pattern: re.Pattern[str] | None = None

    def _set_view(self, lo: float, hi: float) -> None:
        full = float(self.hi - self.lo)
        span = min(max(hi - lo, 8.0), full)
        lo = min(max(lo, float(self.lo)), float(self.hi) - span)
        self.view_lo, self.view_hi = lo, lo + span
        self.refresh()

    def action_zoom(self, factor: float) -> None:
        """Scale the visible span around its centre."""
        mid, half = (self.view_lo + self.view_hi) / 2, (self.view_hi - self.view_lo) * factor / 2
        self._set_view(mid - half, mid + half)

    def action_pan(self, fraction: float) -> None:
        """Move the view by a fraction of its span."""
        shift = (self.view_hi - self.view_lo) * fraction
        self._set_view(self.view_lo + shift, self.view_hi + shift)

    def action_reset_view(self) -> None:
        """Show both runs whole."""
        self._set_view(float(self.lo), float(self.hi))

    def action_fit_selection(self) -> None:
        """Zoom to the selected row's instances in A and B together."""
        spans = []
        for run in (self.a, self.b):
            m = run.mask_of(self.level, self.selected)
            if m is not None and m.any():
                spans.append((int(run.ts[m].min()), int(run.end[m].max())))
        if spans:
            lo, hi = min(s for s, _ in spans), max(e for _, e in spans)
            margin = max((hi - lo) * 0.05, 1.0)
            self._set_view(lo - margin, hi + margin)

    def rows(self) -> list[tuple[str, RunLanes, int, str]]:
        """(label, run, lane index, style) of every drawn row."""
        out = []
        for tag, run, style in (("A", self.a, "cyan"), ("B", self.b, "magenta")):
            if self.mode in (tag, "diff"):
                out += [(f"{tag} {ln}", run, i, style) for i, ln in enumerate(run.lanes)]
        return out

    def render(self) -> Text:
        """Draw the rows and a cycle axis (instances outside the `/` filter are dimmed)."""
        rows = self.rows()
        label_w = max([len(r[0]) for r in rows] + [8])
        width = max(self.size.width - label_w - 4, 10)
        lo, hi = self.view_lo, self.view_hi
        out = Text()
        for label, run, lane, style in rows:
            mask = run.mask_of(self.level, self.selected)
            fmask = run.filter_mask(self.pattern)
            if fmask is not None:
                mask = fmask if mask is None else (mask & fmask)
            cov = run.coverage(lane, lo, hi, width)
            lit = cov if fmask is None else run.coverage(lane, lo, hi, width, fmask)
            hot = (
                None
                if mask is None or self.selected is None
                else run.coverage(lane, lo, hi, width, mask)
            )
            out.append(label.ljust(label_w) + " │", style=style)
            out.append_text(_cells(cov, hot, style, lit))
            out.append("\n")
        axis = fmt_int(int(lo)).ljust(width // 2) + f"{fmt_int(int(hi))} cycles".rjust(
            width - width // 2
        )
        out.append(" " * (label_w + 2) + axis, style="dim")
        return out

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        """One line per lane plus the axis."""
        return len(self.rows()) + 1


SORT_KEYS = ("delta", "name", "a", "b")  # diff view; A/B views sort by that run's DPC or name
SORT_LABELS = {"delta": "|Δ DPC|", "name": "name", "a": "A DPC", "b": "B DPC"}


def _num(text: str) -> Text:
    """A right-aligned number cell (aligned columns)."""
    return Text(text, justify="right")


class CompareApp(App[int]):
    """Two runs side by side: summary, lanes and ranking with A, B and Δ columns.

    The single-run explorer's keys work here too: `/` filter (and Esc), `r` level, `s`/`S` sort,
    zoom and pan on the timeline (focus it with `1` or Tab), `e`/`E` export, `y` copy, `?` help.
    """

    TITLE = "htptui compare"
    CSS = """
    #cmp-header { height: auto; padding: 0 1; background: $boost; }
    #cmp-tables { height: 1fr; }
    #cmp-ranking { width: 3fr; height: 1fr; }
    #cmp-units { width: 2fr; height: 1fr; }
    #cmp-lanes { height: auto; max-height: 50%; }
    #cmp-summary { height: 1fr; }
    #cmp-status { height: 1; padding: 0 1; background: $boost; }
    #cmp-filter { display: none; }
    #cmp-filter.-open { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark,f1", "help", "Help"),
        Binding("slash", "filter", "Filter", priority=True),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("g", "cycle_mode", "A / B / diff"),
        Binding("r", "cycle_level", "Level"),
        Binding("s", "cycle_sort", "Sort", show=False),
        Binding("S", "reverse_sort", "Reverse", show=False),
        Binding("e", "export('csv')", "Export"),
        Binding("E", "export('json')", "JSON", show=False),
        Binding("y", "copy", "Copy", show=False),
        Binding("n", "step_row(1)", "Next row", show=False),
        Binding("N", "step_row(-1)", "Prev row", show=False),
        Binding("1", "focus_timeline", "Timeline", show=False),
        Binding("2", "focus_ranking", "Ranking", show=False),
    ]

    mode: reactive[str] = reactive("diff")
    level: reactive[str] = reactive("qnn_op")

    def __init__(self, doc_a: dict[str, Any], doc_b: dict[str, Any], noise: Noise | None = None):
        super().__init__()
        self.doc_a, self.doc_b = doc_a, doc_b
        self.cmp: Comparison = compare(doc_a, doc_b)
        self.noise = noise or Noise()
        self.selected: str | None = None
        self.pattern: str | None = None
        self.sort_key = "delta"
        self.sort_reverse = False
        self._row_names: list[str] = []

    @classmethod
    def from_paths(
        cls, a: str, b: str, graph_a: str | None = None, graph_b: str | None = None
    ) -> CompareApp:
        """Load two runs (optrace inputs or saved JSON reports); raises InputError on bad input.

        ``graph_a`` / ``graph_b`` name the graph of a directory holding several.
        """
        from htptui.output.baseline import load_document

        return cls(load_document(a, graph=graph_a), load_document(b, graph=graph_b))

    def compose(self) -> ComposeResult:
        yield Static(id="cmp-header", markup=False)
        yield DualTimeline(RunLanes(self.doc_a), RunLanes(self.doc_b), id="cmp-timeline")
        with Horizontal(id="cmp-tables"):
            yield DataTable(id="cmp-ranking", cursor_type="row", zebra_stripes=True)
            with Vertical(id="cmp-units"):
                yield DataTable(id="cmp-lanes", cursor_type="row")
                yield DataTable(id="cmp-summary", cursor_type="row")
        yield Static(id="cmp-status", markup=False)
        yield Input(placeholder="filter regex over QNN op, kernel, lane (Enter applies, Esc clears)",
                    id="cmp-filter")  # fmt: skip
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_all()
        self.query_one("#cmp-ranking", DataTable).focus()

    # --- views ---------------------------------------------------------------------------------

    def _rows(self) -> list[RowChange]:
        rows = self.cmp.qnn_ops if self.level == "qnn_op" else self.cmp.kernels
        if self.pattern is not None:
            rx = re.compile(self.pattern, re.IGNORECASE)
            rows = [r for r in rows if rx.search(r.name)]
        return rows

    def _ordered(self, rows: list[RowChange]) -> list[RowChange]:
        if self.mode != "diff":
            side = "a" if self.mode == "A" else "b"
            rows = [r for r in rows if getattr(r.dpc, side) is not None]
            key = "name" if self.sort_key == "name" else side
        else:
            key = self.sort_key
        if key == "name":
            out = sorted(rows, key=lambda r: r.name)
        elif key in ("a", "b"):
            out = sorted(rows, key=lambda r: -(getattr(r.dpc, key) or 0))
        else:
            out = list(rows)  # already sorted by |Δ|
        return out[::-1] if self.sort_reverse else out

    def refresh_all(self) -> None:
        """Redraw header, timeline, tables and status for the current mode, level, filter, sort."""
        c = self.cmp
        wall = c.summary_change("graph wall (cycles)")
        head = Text()
        head.append(f"A {c.a.name}: {c.a.source}\n", style="cyan")
        head.append(f"B {c.b.name}: {c.b.source}\n", style="magenta")
        if wall is not None:
            head.append(
                f"graph wall {fmt_value(wall.a)} → {fmt_value(wall.b)} cycles "
                f"({fmt_delta(wall.delta)}, {fmt_rel(wall.rel)})   view: {self.mode}   "
                f"ranking: {LEVEL_LABELS[self.level]}   sort: {SORT_LABELS[self.sort_key]}"
                f"{' ↑' if self.sort_reverse else ''}"
            )
        if self.pattern is not None:
            head.append(f"   filter /{self.pattern}/")
        self.query_one("#cmp-header", Static).update(head)
        tl = self.query_one(DualTimeline)
        tl.mode, tl.level, tl.selected = self.mode, self.level, self.selected
        tl.pattern = re.compile(self.pattern, re.IGNORECASE) if self.pattern else None
        tl.refresh(layout=True)
        self._fill_ranking()
        self._fill_lanes()
        self._fill_summary()
        self._update_status()

    def _fill_ranking(self) -> None:
        table = self.query_one("#cmp-ranking", DataTable)
        table.clear(columns=True)
        ordered = self._ordered(self._rows())
        if self.mode == "diff":
            table.add_columns("name", _num("A DPC"), _num("B DPC"), _num("Δ DPC"), _num("Δ %"),
                              _num("Δ busy"), "")  # fmt: skip
        else:
            table.add_columns("name", _num("DPC"), _num("busy"), _num("inst"))
        self._row_names = []
        for r in ordered:
            if self.mode == "diff":
                mark = "" if r.significant(self.noise) else "~"
                if r.status in ("added", "removed"):
                    mark = r.status
                table.add_row(
                    Text(r.name), _num(fmt_value(r.dpc.a)), _num(fmt_value(r.dpc.b)),
                    _num(fmt_delta(r.dpc.delta)), _num(fmt_rel(r.dpc.rel)),
                    _num(fmt_delta(r.busy.delta)), mark, key=r.name,
                )  # fmt: skip
            else:
                side = "a" if self.mode == "A" else "b"
                table.add_row(
                    Text(r.name), _num(fmt_value(getattr(r.dpc, side))),
                    _num(fmt_value(getattr(r.busy, side))),
                    _num(fmt_value(getattr(r.instances, side), "count")), key=r.name,
                )  # fmt: skip
            self._row_names.append(r.name)
        if self.selected in self._row_names:
            table.move_cursor(row=self._row_names.index(self.selected))

    def _fill_lanes(self) -> None:
        table = self.query_one("#cmp-lanes", DataTable)
        table.clear(columns=True)
        table.add_columns("lane / unit busy", _num("A"), _num("B"), _num("Δ"))
        units = [s for s in self.cmp.summary if s.name.endswith("busiest lane busy (cycles)")]
        rx = re.compile(self.pattern, re.IGNORECASE) if self.pattern else None
        for ch in [*self.cmp.lanes, *units]:
            label = ch.name.replace(" busiest lane busy (cycles)", " busiest lane")
            if rx is not None and not rx.search(label):
                continue
            delta = ch.status if ch.status in ("added", "removed") else fmt_delta(ch.delta)
            table.add_row(Text(label), _num(fmt_value(ch.a)), _num(fmt_value(ch.b)), _num(delta))

    def _fill_summary(self) -> None:
        """Every summary figure and runtrace phase of A beside B (fills the right column)."""
        table = self.query_one("#cmp-summary", DataTable)
        table.clear(columns=True)
        table.add_columns("figure", _num("A"), _num("B"), _num("Δ"), _num("Δ %"))
        for ch in [*self.cmp.summary, *self.cmp.phases]:
            if ch.name.endswith("busiest lane busy (cycles)"):
                continue
            delta = ch.status if ch.status in ("added", "removed") else fmt_delta(ch.delta)
            table.add_row(Text(ch.name), _num(fmt_value(ch.a)), _num(fmt_value(ch.b)),
                          _num(delta), _num(fmt_rel(ch.rel)))  # fmt: skip

    def _update_status(self) -> None:
        status = self.query_one("#cmp-status", Static)
        row = next((r for r in self._rows() if r.name == self.selected), None)
        if row is None:
            status.update("select a row to highlight its instances in both timelines · ? help")
            return
        status.update(
            Text(
                f"{row.name}: DPC {fmt_value(row.dpc.a)} → {fmt_value(row.dpc.b)} "
                f"({fmt_delta(row.dpc.delta)}, {fmt_rel(row.dpc.rel)}); busy "
                f"{fmt_value(row.busy.a)} → {fmt_value(row.busy.b)}; instances "
                f"{fmt_value(row.instances.a, 'count')} → {fmt_value(row.instances.b, 'count')}"
            )
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
        """`r`, as in the explorer: rank by QNN op or by HTP kernel (clears the selection)."""
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
        self.selected = None
        self.refresh_all()

    def action_cycle_sort(self) -> None:
        """`s`: sort the ranking by the next key (|Δ DPC|, name, A DPC, B DPC)."""
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self.refresh_all()

    def action_reverse_sort(self) -> None:
        """`S`: reverse the ranking's order."""
        self.sort_reverse = not self.sort_reverse
        self.refresh_all()

    def action_step_row(self, step: int) -> None:
        """`n`/`N`: the next / previous row of the (filtered) ranking."""
        table = self.query_one("#cmp-ranking", DataTable)
        if table.row_count:
            table.move_cursor(row=min(max(table.cursor_row + step, 0), table.row_count - 1))

    def action_focus_timeline(self) -> None:
        """Focus the dual timeline (its keys zoom and pan)."""
        self.query_one(DualTimeline).focus()

    def action_focus_ranking(self) -> None:
        """Focus the ranking."""
        self.query_one("#cmp-ranking", DataTable).focus()

    def action_help(self) -> None:
        """The explorer's key reference (its compare-mode section lists these keys)."""
        from htptui.tui.screens import HelpScreen

        self.push_screen(HelpScreen())

    def action_filter(self) -> None:
        """Open the filter input."""
        box = self.query_one("#cmp-filter", Input)
        box.add_class("-open")
        box.value = self.pattern or ""
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Apply the filter regex (a bad one is reported, the old filter kept)."""
        event.stop()
        text = event.value.strip()
        box = self.query_one("#cmp-filter", Input)
        if text:
            try:
                re.compile(text)
            except re.error as exc:
                self.notify(f"bad regex: {exc}", severity="error", markup=False)
                return
        self.pattern = text or None
        box.remove_class("-open")
        self.selected = None
        self.refresh_all()
        self.action_focus_ranking()

    def action_clear_filter(self) -> None:
        """Close the filter input, else clear the filter."""
        box = self.query_one("#cmp-filter", Input)
        if box.has_class("-open"):
            box.remove_class("-open")
            self.action_focus_ranking()
            return
        if self.pattern is not None:
            self.pattern = None
            self.refresh_all()

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        """The ranking as shown (filter, level, view, sort), raw numbers with units in the names."""
        cols = ["name", "A_dpc_cycles", "B_dpc_cycles", "delta_dpc_cycles", "delta_dpc_rel",
                "A_busy_cycles", "B_busy_cycles", "A_instances", "B_instances", "status"]  # fmt: skip
        rows = [
            [
                r.name,
                r.dpc.a,
                r.dpc.b,
                r.dpc.delta,
                r.dpc.rel,
                r.busy.a,
                r.busy.b,
                r.instances.a,
                r.instances.b,
                r.status,
            ]  # fmt: skip
            for r in self._ordered(self._rows())
        ]
        return cols, rows

    def export_dir(self) -> Path:
        """``$HTPTUI_EXPORT_DIR`` or the current directory, never inside either run's directory."""
        import os
        import tempfile

        homes = []
        for doc in (self.doc_a, self.doc_b):
            src = Path(str(doc.get("source", ""))).expanduser()
            if src.exists():
                src = src.resolve()
                homes.append(src if src.is_dir() else src.parent)
        chosen = os.environ.get("HTPTUI_EXPORT_DIR")
        for cand in [*([Path(chosen)] if chosen else []), Path.cwd(), Path(tempfile.gettempdir())]:
            d = cand.expanduser().resolve()
            if not any(d == h or h in d.parents for h in homes):
                return d
        return Path(tempfile.gettempdir())

    def action_export(self, fmt: str = "csv") -> Path | None:
        """`e`/`E`: write the ranking as shown to CSV/JSON."""
        import csv
        import json
        import time

        cols, rows = self.export_table()
        out = self.export_dir() / f"htptui-export-compare-{time.strftime('%Y%m%d-%H%M%S')}.{fmt}"
        try:
            if fmt == "json":
                out.write_text(
                    json.dumps([dict(zip(cols, r, strict=True)) for r in rows], indent=1)
                )
            else:
                with open(out, "w", newline="", encoding="utf-8") as fh:
                    w = csv.writer(fh)
                    w.writerow(cols)
                    w.writerows(rows)
        except OSError as exc:
            self.notify(f"export failed: {exc}", severity="error", markup=False)
            return None
        self.notify(f"exported {len(rows)} rows to {out}", markup=False)
        return out

    def action_copy(self) -> None:
        """`y`: the status line (the selected row's change) to the clipboard."""
        row = next((r for r in self._rows() if r.name == self.selected), None)
        text = "" if row is None else f"{row.name}: DPC {row.dpc.a} -> {row.dpc.b}"
        if text:
            self.copy_to_clipboard(text)
            self.notify("copied", timeout=2)


def run_compare(
    a: str, b: str, mouse: bool = True, graph_a: str | None = None, graph_b: str | None = None
) -> int:
    """Open the compare mode on two runs; return the exit code (1 with a one-line error on bad input)."""
    import sys

    from htptui.errors import ExitCode, InputError
    from htptui.model._io import clean_text

    try:
        app = CompareApp.from_paths(a, b, graph_a, graph_b)
    except InputError as exc:
        print(f"htptui: error: {clean_text(str(exc), 8192)}", file=sys.stderr)
        return int(ExitCode.INPUT)
    except RecursionError:
        print("htptui: error: an input is nested too deeply to read", file=sys.stderr)
        return int(ExitCode.INPUT)
    app.run(mouse=mouse)
    return int(app.return_code or 0)
