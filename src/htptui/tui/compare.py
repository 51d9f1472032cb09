"""Compare mode of the explorer (``htptui A B``): A, B and Δ tables and A-above-B timelines.

Everything is drawn from the two report documents (``compare_basis`` instance rows), so a saved
JSON baseline opens exactly like a live optrace directory. ``g`` cycles the view A → B → diff;
selecting a QNN op or kernel row highlights its instances in both timelines (selection is linked).
Every key of the single-run explorer works on both runs (help.md, "Compare mode"): `/` filter,
`r` level (QNN op → kernel → instance), Enter drill-down, `s`/`S` sort, zoom/pan/row scroll on the
timeline, `e`/`E` export, `y` copy, `?` help, `1`/`2`/`3`/`5` focus, `>`/`<` resize, and the
window statistics `m`/`W`/drag/`M` (A beside B, :mod:`htptui.tui.compare_window`); the keys that
need one run's trace (why-waiting, DAG, VTCM; bookmarks of a saved report) say so when pressed. QNN ops
spelled differently in the two runs are matched (``analysis.compare.spelling_aliases``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer, Input, Static

from htptui.analysis.compare import Change, Comparison, InstanceChange, Noise, compare
from htptui.model._io import parse_id
from htptui.present.format import cell_width, elide_names, fmt_delta, fmt_int, fmt_rel
from htptui.present.format import fmt_unit_value as fmt_value
from htptui.tui.compare_window import CompareWindowMixin, CompareWindowPane
from htptui.tui.widgets.grid import Column as GridColumn
from htptui.tui.widgets.grid import DataGrid, TextGrid

MODES = ("diff", "A", "B")
LEVELS = ("qnn_op", "kernel", "instance")
LEVEL_LABELS = {"qnn_op": "QNN ops", "kernel": "HTP kernels", "instance": "instances"}

# --- timeline data ------------------------------------------------------------------------------


UNIT_ORDER = {"HMX": 0, "HVX": 1, "DMA": 2}


def lane_order(label: str) -> tuple[int, int, str]:
    """Sort key of a lane label (``HMX 768``, ``HVX 512``, ``core 1 HVX 513``): unit, then number."""
    parts = label.split()
    unit = next((p for p in parts if p in UNIT_ORDER), "")
    num = next((int(p) for p in reversed(parts) if p.isdigit()), 1 << 30)
    core = int(parts[1]) if len(parts) > 2 and parts[0] == "core" and parts[1].isdigit() else 0
    return (core * 8 + UNIT_ORDER.get(unit, 3), num, label)


class RunLanes:
    """Instance intervals of one run grouped by lane, with busy-coverage per bucket.

    ``alias`` renames QNN ops to the other run's spelling (:func:`spelling_aliases`), so selecting
    a matched row lights its instances in both runs."""

    def __init__(self, doc: dict[str, Any], alias: dict[str, str] | None = None) -> None:
        rows = (doc.get("compare_basis") or {}).get("instances") or []
        alias = alias or {}
        self.lanes: list[str] = sorted(dict.fromkeys(str(r["lane"]) for r in rows), key=lane_order)
        index = {ln: i for i, ln in enumerate(self.lanes)}
        self.ts = np.array([int(r["ts"]) for r in rows], dtype=np.int64)
        self.end = self.ts + np.array([int(r["dur"]) for r in rows], dtype=np.int64)
        self.lane = np.array([index[str(r["lane"])] for r in rows], dtype=np.int64)
        self.qnn_op = [alias.get(str(r["qnn_op"]), str(r["qnn_op"])) for r in rows]
        self.qnn_op_own = [str(r["qnn_op"]) for r in rows]  # this run's own spelling
        self.kernel = [str(r["kernel"]) for r in rows]
        self.n = np.array([int(r.get("n", 0)) for r in rows], dtype=np.int64)
        # instance rows are the run's ops in trace order: row k is op k (bookmarks are by op)
        self.op_id = np.array([parse_id(r.get("op_id")) or 0 for r in rows], dtype=np.uint64)
        self.lane_label = [str(r["lane"]) for r in rows]

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
        """Instances of one QNN op, kernel or instance row key (None when nothing is selected)."""
        if name is None:
            return None
        if level == "instance":
            q, k, n = split_instance_key(name)
            return np.array(
                [a == q and b == k for a, b in zip(self.qnn_op, self.kernel, strict=True)],
                dtype=bool,
            ) & (self.n == n)  # fmt: skip
        names = self.qnn_op if level == "qnn_op" else self.kernel
        return np.array([n == name for n in names], dtype=bool)


def instance_key(qnn_op: str, kernel: str, n: int) -> str:
    """The row key of one kernel instance of a QNN op."""
    return f"{qnn_op}\x00{kernel}\x00{n}"


def split_instance_key(key: str) -> tuple[str, str, int]:
    """(QNN op, kernel, n) of an :func:`instance_key`."""
    q, k, n = key.rsplit("\x00", 2)
    return q, k, int(n)


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
    """Each lane of A directly above the same lane of B on one shared cycle scale (or one run
    alone); zoom and pan like the explorer's timeline (w/+ in, s/- out, a/← d/→ pan, 0 whole
    graph, Home/End start/end, f fit), rows scrolled with J/K (and j/k/↑/↓ when focused)."""

    DEFAULT_CSS = """
    DualTimeline { height: 1fr; min-height: 3; padding: 0 1; }
    DualTimeline:focus { background: $boost; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w,plus", "zoom(0.5)", "Zoom in", id="cmp.zoom_in"),
        Binding("s,minus", "zoom(2.0)", "Zoom out", id="cmp.zoom_out"),
        Binding("a,left", "pan(-0.25)", "Pan left", id="cmp.pan_left"),
        Binding("d,right", "pan(0.25)", "Pan right", id="cmp.pan_right"),
        Binding("0", "reset_view", "Whole graph", id="cmp.reset"),
        Binding("f", "fit_selection", "Fit", id="cmp.fit"),
        Binding("home", "view_edge(0)", "Start", show=False, id="cmp.start"),
        Binding("end", "view_edge(1)", "End", show=False, id="cmp.end"),
        Binding("J,j,down", "scroll_rows(1)", "Rows down", show=False, id="cmp.rows_down"),
        Binding("K,k,up", "scroll_rows(-1)", "Rows up", show=False, id="cmp.rows_up"),
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
        self.row_offset = 0
        self.lanes = sorted(dict.fromkeys([*a.lanes, *b.lanes]), key=lane_order)
        self.windows: dict[str, tuple[int, int]] = {}  # "A"/"B" -> marked window [lo, hi)
        self._line_runs: list[str] = []  # the run ("A"/"B") drawn on each screen line
        self._plot: tuple[int, int] = (0, 1)  # first plot column, plot width (cells)
        self._drag: tuple[float, str] | None = None

    class WindowDragged(Message):
        """A mouse drag over ``run``'s rows marked [lo, hi) (trace cycles of that run)."""

        def __init__(self, run: str, lo: int, hi: int) -> None:
            super().__init__()
            self.run, self.lo, self.hi = run, lo, hi

    def _time_at(self, x: int) -> float | None:
        first, width = self._plot
        px = x - first
        if px < 0 or px > width:
            return None
        return self.view_lo + px * (self.view_hi - self.view_lo) / max(width, 1)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        """Remember where a drag starts (and over which run's rows)."""
        off = event.get_content_offset(self)
        self._drag = None
        if off is None or not 0 <= off.y < len(self._line_runs):
            return
        t = self._time_at(off.x)
        if t is not None:
            self._drag = (t, self._line_runs[off.y])

    def on_mouse_up(self, event: events.MouseUp) -> None:
        """A drag of two cells or more marks that range as the window of that run."""
        start, self._drag = self._drag, None
        off = event.get_content_offset(self)
        if start is None or off is None:
            return
        first, width = self._plot
        end = self._time_at(min(max(off.x, first), first + width))
        if end is None:
            return
        cell = (self.view_hi - self.view_lo) / max(width, 1)
        if abs(end - start[0]) >= 2 * cell:
            lo, hi = int(min(start[0], end)), int(np.ceil(max(start[0], end)))
            self.post_message(self.WindowDragged(start[1], lo, hi))

    def _window_cells(self, run: str, width: int) -> tuple[int, int] | None:
        w = self.windows.get(run)
        if w is None:
            return None
        span = max(self.view_hi - self.view_lo, 1e-9)
        c0 = int(np.floor((w[0] - self.view_lo) / span * width))
        c1 = int(np.ceil((w[1] - self.view_lo) / span * width))
        c0, c1 = max(c0, 0), min(c1, width)
        return (c0, c1) if c1 > c0 else None

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

    def action_view_edge(self, end: int) -> None:
        """Keep the zoom, move the view to the start (0) or the end (1) of the runs."""
        span = self.view_hi - self.view_lo
        if end:
            self._set_view(float(self.hi) - span, float(self.hi))
        else:
            self._set_view(float(self.lo), float(self.lo) + span)

    def visible_rows(self) -> int:
        """How many lane rows fit (the last line is the axis)."""
        return max(int(self.size.height) - 1, 1)

    def action_scroll_rows(self, step: int) -> None:
        """Scroll the lane rows (every row reachable on short screens)."""
        top = max(len(self.rows()) - self.visible_rows(), 0)
        self.row_offset = min(max(self.row_offset + step, 0), top)
        self.refresh()

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
        else:
            self.notify("select a ranking row first: f fits its instances", timeout=3)

    def rows(self) -> list[tuple[str, RunLanes, int, str]]:
        """(label, run, lane index or −1 when the run lacks the lane, style) of every row: in the
        diff view each lane of A directly above the same lane of B (lanes in one order)."""
        out = []
        runs = [(t, r, st) for t, r, st in (("A", self.a, "cyan"), ("B", self.b, "magenta"))
                if self.mode in (t, "diff")]  # fmt: skip
        for ln in self.lanes:
            for tag, run, style in runs:
                idx = run.lanes.index(ln) if ln in run.lanes else -1
                if idx >= 0 or self.mode == "diff":
                    out.append((f"{tag} {ln}", run, idx, style))
        return out

    def render(self) -> Text:
        """Draw the rows and a cycle axis (instances outside the `/` filter are dimmed)."""
        rows = self.rows()
        label_w = max([len(r[0]) for r in rows] + [8])
        width = max(self.size.width - label_w - 4, 10)
        lo, hi = self.view_lo, self.view_hi
        fit = self.visible_rows()
        self.row_offset = min(self.row_offset, max(len(rows) - fit, 0))
        shown = rows[self.row_offset : self.row_offset + fit]
        # room to spare: every row drawn taller (the first ones one line more), never blank lines
        tall, spare = divmod(fit, max(len(shown), 1)) if len(shown) < fit else (1, 0)
        out = Text()
        self._plot = (label_w + 2, width)
        self._line_runs = []
        for k, (label, run, lane, style) in enumerate(shown):
            lines = tall + (1 if k < spare else 0)
            self._line_runs += [label[0]] * lines
            if lane < 0:
                for j in range(lines):
                    out.append((label if j == 0 else "").ljust(label_w) + " │", style=style)
                    out.append("(no such lane in this run)".ljust(width)[:width] if j == 0
                               else " " * width, style="dim")  # fmt: skip
                    out.append("\n")
                continue
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
            cells = _cells(cov, hot, style, lit)
            win = self._window_cells(label[0], width)
            if win is not None:
                cells.stylize("on grey30", *win)
            for j in range(lines):
                out.append((label if j == 0 else "").ljust(label_w) + " │", style=style)
                out.append_text(cells)
                out.append("\n")
        more = ""
        if len(rows) > len(shown):
            first = self.row_offset + 1
            more = f" rows {first}-{self.row_offset + len(shown)}/{len(rows)} J/K "
        left = fmt_int(int(lo))
        right = f"{fmt_int(int(hi))} cycles"
        gap = max(width - len(left) - len(right), 1)
        if self.windows and len(more) + 30 < gap:
            more = (more + "  shaded: the window (M clears) ").strip().center(gap)
        mid = more.center(gap) if len(more) <= gap else " " * gap
        out.append(" " * (label_w + 2) + left + mid + right, style="dim")
        return out

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        """One line per row plus the axis."""
        return len(self.rows()) + 1


SORT_KEYS = ("delta", "name", "a", "b")  # diff view; A/B views sort by that run's DPC or name
SORT_LABELS = {"delta": "|Δ|", "name": "name", "a": "A", "b": "B"}
NUM_W = 10  # a number column, its one-space gap included (aligned across A, B, Δ and the tables)
FIG_LABEL_W = 36  # the figures' label column on wide screens
WIDE = 120

# keys of the single-run explorer that have no meaning on two runs: what pressing them says
NOT_HERE = {
    "dag": "4 / l / u / Backspace: there is no op DAG in compare mode (graph structure changes: "
    "htptui diff)",
    "wait": "p / P (why is this op waiting) follow one run's op dependencies: open that run "
    "alone (htptui PATH [--graph G])",
    "bookmark": "B / ': no bookmarks: the runs' op traces are not at hand (a saved report?)",
    "vtcm": "v: the VTCM row needs one run's trace: open it alone",
    "cursor": ". / , move the single-run op cursor; here n / N step the ranking rows",
    "graph": "o: compare mode shows the two graphs named on the command line (--graph A "
    "--compare B); quit and reopen to compare others",
}


class PairStore:
    """A's and B's bookmark stores as one list for the bookmarks screen (labels tagged A / B)."""

    def __init__(self, stores: list[tuple[str, Any]]) -> None:
        self.stores = stores
        self.trace_path = stores[0][1].trace_path if stores else ""
        names = [f"{tag} {Path(s.trace_path).parent.name}/{Path(s.trace_path).name}"
                 for tag, s in stores]  # fmt: skip
        self.title = "Bookmarks of " + " · ".join(names)

    @property
    def items(self) -> list[Any]:
        """Every bookmark of A, then of B, its label tagged with its run."""
        from dataclasses import replace

        return [replace(b, label=f"{tag} · {b.label}") for tag, s in self.stores for b in s.items]

    def where(self, k: int) -> tuple[str, Any, int] | None:
        """(A/B, store, index in it) of list entry ``k``."""
        for tag, s in self.stores:
            if k < len(s.items):
                return tag, s, k
            k -= len(s.items)
        return None

    def remove(self, k: int) -> None:
        """Delete list entry ``k`` from its run's store."""
        found = self.where(k)
        if found is not None:
            found[1].remove(found[2])


def lane_move(a: str | None, b: str | None) -> str:
    """``HVX 516→512`` when an instance moved lanes (the unit written once), else ""."""
    if a == b:
        return ""
    if a and b and a.split()[:-1] == b.split()[:-1]:
        return f"{a}→{b.split()[-1]}"
    return f"{a or '-'}→{b or '-'}"


class CmpTable(TextGrid):
    """A compare table: the explorer grid (first column fixed, h/l one column, names elided in
    the middle), with compare mode's own meaning for g (A / B / diff) and s / S (its sort keys)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "app.cycle_mode", "A / B / diff", show=False, id="cmp.grid_mode"),
        Binding("s", "app.cycle_sort", "Sort", show=False, id="cmp.grid_sort"),
        Binding("S", "app.reverse_sort", "Reverse", show=False, id="cmp.grid_reverse"),
    ]


def _number(label: str, width: int = NUM_W - 1) -> GridColumn:
    """A right-aligned number column (NUM_W with its one-cell gap: A, B and Δ line up)."""
    return GridColumn(label, label, width, "right", sortable=False, elide="end")


class CompareApp(CompareWindowMixin, App[int]):
    """Two runs side by side: summary, lanes and ranking with A, B and Δ columns.

    The single-run explorer's keys work here too (see help.md, "Compare mode"); the few that
    need one run's trace (why-waiting, DAG, VTCM) say so when pressed.
    """

    TITLE = "htptui compare"
    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-narrow"), (120, "-wide")]
    CSS = """
    #cmp-header { height: auto; padding: 0 1; background: $boost; }
    #cmp-tables { height: 12; min-height: 3; }
    #cmp-ranking { width: 3fr; height: 1fr; }
    #cmp-units { width: 2fr; height: 1fr; }
    #cmp-lanes { height: auto; max-height: 50%; }
    #cmp-summary { height: 1fr; }
    #cmp-status { height: 1; padding: 0 1; background: $boost; }
    #cmp-filter { display: none; }
    #cmp-filter.-open { display: block; }
    Screen.-narrow #cmp-units { display: none; }
    Screen.-narrow #cmp-tables.-units #cmp-units { display: block; width: 1fr; }
    Screen.-narrow #cmp-tables.-units #cmp-ranking { display: none; }
    #cmp-tables.-window #cmp-ranking, #cmp-tables.-window #cmp-units { display: none; }
    #cmp-tables.-window #cmp-window { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark,f1", "help", "Help"),
        Binding("slash", "filter", "Filter", priority=True),
        Binding("escape", "escape", "Back", show=False),
        Binding("g", "cycle_mode", "A / B / diff"),
        Binding("r", "cycle_level", "Level"),
        Binding("enter", "drill", "Instances", show=False),
        Binding("s", "cycle_sort", "Sort", show=False),
        Binding("S", "reverse_sort", "Reverse", show=False),
        Binding("e", "export('csv')", "Export"),
        Binding("E", "export('json')", "JSON", show=False),
        Binding("y", "copy", "Copy", show=False),
        Binding("n", "step_row(1)", "Next row", show=False),
        Binding("N", "step_row(-1)", "Prev row", show=False),
        Binding("1", "focus_timeline", "Timeline", show=False),
        Binding("2", "focus_ranking", "Ranking", show=False),
        Binding("3", "focus_units", "Units", show=False),
        Binding("5", "focus_figures", "Figures", show=False),
        Binding("greater_than_sign", "timeline_size(2)", "Taller", show=False),
        Binding("less_than_sign", "timeline_size(-2)", "Shorter", show=False),
        Binding("4,l,u,backspace", "not_here('dag')", "DAG", show=False),
        Binding(
            "left_square_bracket,right_square_bracket",
            "toggle_window_pane",
            "Window ↔ tables",
            show=False,
        ),  # fmt: skip
        Binding("p,P", "not_here('wait')", "Waited for", show=False),
        Binding("B", "bookmark", "Bookmark", show=False),
        Binding("apostrophe", "bookmarks", "Bookmarks", show=False),
        Binding("m", "mark_window", "Window", show=False),
        Binding("W", "window_view", "Window=view", show=False),
        Binding("M", "clear_window", "Clear window", show=False),
        Binding("x", "window_mapping", "Window mapping", show=False),
        Binding("L", "legend", "Legend", show=False),
        Binding("v", "not_here('vtcm')", "VTCM", show=False),
        Binding("full_stop,comma", "not_here('cursor')", "Op cursor", show=False),
        Binding("o", "not_here('graph')", "Graph", show=False),
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
        self.drill: tuple[str, str] | None = None  # (level, row name) the instance rows come from
        self._timeline_bias = 0  # rows `>` / `<` moved from the tables to the timeline
        self._stores: list[tuple[str, Any, RunLanes]] | None = None  # bookmark stores of A, B
        self._row_names: list[str] = []
        self.window_init()

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
        yield DualTimeline(
            RunLanes(self.doc_a, self.cmp.alias_a), RunLanes(self.doc_b), id="cmp-timeline"
        )
        with Horizontal(id="cmp-tables"):
            yield CmpTable(id="cmp-ranking")
            with Vertical(id="cmp-units"):
                yield CmpTable(id="cmp-lanes")
                yield CmpTable(id="cmp-summary")
            yield CompareWindowPane(id="cmp-window")
        yield Static(id="cmp-status", markup=False)
        yield Input(placeholder="filter regex over QNN op, kernel, lane (Enter applies, Esc clears)",
                    id="cmp-filter")  # fmt: skip
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_all()
        self.query_one("#cmp-ranking", CmpTable).focus()

    def on_resize(self) -> None:
        """Column widths follow the terminal (names elided in the middle, numbers aligned)."""
        self.call_after_refresh(self._refill_tables)

    @property
    def wide(self) -> bool:
        """Ranking and figures side by side (else one at a time: 2 ranking, 3/5 figures)."""
        return int(self.size.width) >= WIDE

    def _split(self) -> None:
        """Share the height: the tables as tall as the ranking needs (the figures column scrolls),
        up to about half; the timeline the rest, its rows drawn taller when there is room."""
        avail = int(self.size.height) - int(self.query_one("#cmp-header").outer_size.height) - 2
        tl = self.query_one(DualTimeline)
        if self.query_one("#cmp-tables").has_class("-window"):
            need = self.query_one(CompareWindowPane).text.count("\n") + 3
        elif self.wide or not self.query_one("#cmp-tables").has_class("-units"):
            need = len(self._rows()) + 2  # header and a possible scrollbar
        else:
            need = len(self.cmp.lanes) + len(self.cmp.summary) + len(self.cmp.phases) + 3
        tl_need = len(tl.rows()) + 1
        cap = avail - min(tl_need, max(4, int(avail * 0.45)))
        height = max(min(need, cap), min(8, cap)) - self._timeline_bias
        self.query_one("#cmp-tables").styles.height = max(min(height, avail - 3), 3)

    def _refill_tables(self) -> None:
        self._split()
        units = self.query_one("#cmp-units")
        units.styles.width = (self._figure_width() + 3 * NUM_W + 4) if self.wide else "1fr"
        self._fill_ranking()
        self._fill_lanes()
        self._fill_summary()

    # --- views ---------------------------------------------------------------------------------

    @property
    def view_level(self) -> str:
        """The level the ranking rows are at (``instance`` inside a drill-down)."""
        return "instance" if self.drill is not None else self.level

    def _rows(self) -> list[Any]:
        if self.view_level == "instance":
            rows: list[Any] = list(self.cmp.instances or [])
            if self.drill is not None:
                lvl, name = self.drill
                rows = [r for r in rows if (r.qnn_op if lvl == "qnn_op" else r.kernel) == name]
        else:
            rows = self.cmp.qnn_ops if self.level == "qnn_op" else self.cmp.kernels
        if self.pattern is not None:
            rx = re.compile(self.pattern, re.IGNORECASE)
            rows = [r for r in rows if rx.search(self._label(r)) or rx.search(self._alt(r))]
        return rows

    @staticmethod
    def _key(r: Any) -> str:
        if isinstance(r, InstanceChange):
            return instance_key(r.qnn_op, r.kernel, r.n)
        return str(r.name)

    @staticmethod
    def _label(r: Any) -> str:
        if isinstance(r, InstanceChange):
            return f"{r.qnn_op} · {r.kernel} #{r.n}"
        return str(r.name)

    def _short_label(self, r: Any) -> str:
        """The row's name in the ranking: inside a drill-down the drilled name is left out."""
        if isinstance(r, InstanceChange) and self.drill is not None:
            return f"{r.kernel} #{r.n}" if self.drill[0] == "qnn_op" else f"{r.qnn_op} #{r.n}"
        return self._label(r)

    @staticmethod
    def _alt(r: Any) -> str:
        return getattr(r, "name_a", None) or ""

    @staticmethod
    def _metric(r: Any) -> Change:
        return r.dur if isinstance(r, InstanceChange) else r.dpc

    def _ordered(self, rows: list[Any]) -> list[Any]:
        if self.mode != "diff":
            side = "a" if self.mode == "A" else "b"
            rows = [r for r in rows if getattr(self._metric(r), side) is not None]
            key = "name" if self.sort_key == "name" else side
        else:
            key = self.sort_key
        if key == "name":
            out = sorted(rows, key=self._label)
        elif key in ("a", "b"):
            out = sorted(rows, key=lambda r: -(getattr(self._metric(r), key) or 0))
        else:
            out = list(rows)  # already sorted by |Δ|
        return out[::-1] if self.sort_reverse else out

    def _level_text(self) -> str:
        if self.drill is not None:
            return f"instances of {self.drill[1]}"
        return LEVEL_LABELS[self.level]

    def refresh_all(self) -> None:
        """Redraw header, timeline, tables and status for the current mode, level, filter, sort."""
        c = self.cmp
        wall = c.summary_change("graph wall (cycles)")
        head = Text()
        head.append(f"A {c.a.name}: {c.a.source}\n", style="cyan")
        head.append(f"B {c.b.name}: {c.b.source}\n", style="magenta")
        if wall is not None:
            head.append(
                f"wall {fmt_value(wall.a)} → {fmt_value(wall.b)} cycles "
                f"({fmt_delta(wall.delta)}, {fmt_rel(wall.rel)}) · view {self.mode} · "
                f"{self._level_text()} · sort {SORT_LABELS[self.sort_key]}"
                f"{' ↑' if self.sort_reverse else ''}"
            )
        if self.cmp.alias_a:
            head.append(f" · {len(self.cmp.alias_a)} ops matched across name spellings")
        if self.pattern is not None:
            head.append(f" · filter /{self.pattern}/")
        self.query_one("#cmp-header", Static).update(head)
        tl = self.query_one(DualTimeline)
        tl.mode, tl.level, tl.selected = self.mode, self.view_level, self.selected
        tl.pattern = re.compile(self.pattern, re.IGNORECASE) if self.pattern else None
        tl.refresh(layout=True)
        self._refill_tables()
        self._update_status()

    def _name_width(self, numbers: int, extra: int = 0) -> int:
        """Room left for the ranking's name column after ``numbers`` number columns."""
        avail = int(self.size.width)
        if self.wide:
            avail -= self._figure_width() + 3 * NUM_W + 4
        return max(avail - numbers * NUM_W - extra - 3, 12)

    def _fill_ranking(self) -> None:
        """The ranking rows: the name column takes its width first (up to half the table), the
        numbers what is left; columns that do not fit are reached with h/l, the name kept."""
        table = self.query_one("#cmp-ranking", CmpTable)
        rows = self._ordered(self._rows())
        inst = self.view_level == "instance"
        metric = "dur" if inst else "DPC"
        last_col = self.mode == "diff" and (self.wide or inst)  # Δ busy / lane move
        numbers = (3 + last_col) if self.mode == "diff" else (2 if inst else 3)
        extra = (NUM_W + 2) + 8 if self.mode == "diff" else 0  # Δ % and the mark column
        labels = [self._short_label(r) for r in rows]
        if inst and last_col:
            extra += 3  # the lane column is wider
        need = max([cell_width(x) for x in labels] + [4])
        # the name takes its width first: every column beside it if that leaves it what it
        # needs, else A, B, Δ and Δ % stay in view and the marks and Δ busy / lane scroll in
        core = self._name_width(3, NUM_W + 2) if self.mode == "diff" else 0
        name_w = min(need, max(self._name_width(numbers, extra), core))
        cols = [GridColumn("name", "name", name_w, "left", sortable=False, elide="middle")]
        if self.mode == "diff":
            heads = [f"A {metric}", f"B {metric}", f"Δ {metric}"]
            cols += [_number(h) for h in heads]
            cols.append(_number("Δ %", NUM_W + 1))  # +1,234.56 %
            if last_col:
                cols.append(
                    _number("lane A→B" if inst else "Δ busy", NUM_W + 2 if inst else NUM_W - 1)
                )
            cols.append(GridColumn("mark", "", 7, "left", sortable=False, elide="end"))
        elif inst:
            cols += [_number("dur"), _number("lane")]
        else:
            cols += [_number(h) for h in ("DPC", "busy", "inst")]
        cells: list[list[str]] = []
        shown = elide_names(labels, name_w)  # names that differ stay different when elided
        for r, label in zip(rows, shown, strict=True):
            m = self._metric(r)
            if self.mode == "diff":
                mark = "" if r.significant(self.noise) else "~"
                if r.status in ("added", "removed", "moved"):
                    mark = r.status
                last = lane_move(r.lane_a, r.lane_b) if inst else fmt_delta(r.busy.delta)
                cells.append([label, fmt_value(m.a), fmt_value(m.b), fmt_delta(m.delta),
                              fmt_rel(m.rel), *([last] if last_col else []), mark])  # fmt: skip
            else:
                side = "a" if self.mode == "A" else "b"
                if inst:
                    cells.append([label, fmt_value(getattr(m, side)),
                                  str((r.lane_a if side == "a" else r.lane_b) or "-")])  # fmt: skip
                else:
                    cells.append([label, fmt_value(getattr(r.dpc, side)),
                                  fmt_value(getattr(r.busy, side)),
                                  fmt_value(getattr(r.instances, side), "count")])  # fmt: skip
        self._row_names = [self._key(r) for r in rows]
        table.empty_text = f"no row matches /{self.pattern}/" if self.pattern else "no rows"
        table.set_rows(cols, cells, keys=list(self._row_names))
        if self.selected in self._row_names:
            table.move_cursor(row=self._row_names.index(self.selected))
        elif self._row_names:  # the row under the cursor is the selection
            self.select(self._row_names[table.cursor_row])

    def _figure_width(self) -> int:
        """One label width for the lanes and the figures tables, so A, B and Δ line up."""
        labels = [c.name for c in [*self.cmp.lanes, *self.cmp.summary, *self.cmp.phases]]
        room = FIG_LABEL_W if self.wide else int(self.size.width) - 3 * NUM_W - 4
        return max(min(max([len(x) for x in labels] + [16]), room), 12)

    def _figure_columns(self, label: str) -> list[GridColumn]:
        """The lanes' and the figures' columns: one label width, so A, B and Δ line up."""
        w = self._figure_width()
        name = GridColumn("name", label, w, "left", sortable=False, elide="middle")
        return [name, *(_number(h) for h in ("A", "B", "Δ"))]

    def _fill_lanes(self) -> None:
        table = self.query_one("#cmp-lanes", CmpTable)
        units = [s for s in self.cmp.summary if s.name.endswith("busiest lane busy (cycles)")]
        rx = re.compile(self.pattern, re.IGNORECASE) if self.pattern else None
        if rx is not None:  # the filter rescopes the lanes: busy of the matching ops only
            self._fill_lanes_filtered(table, rx)
            return
        lanes = sorted(self.cmp.lanes, key=lambda c: lane_order(c.name))
        cells: list[list[str]] = []
        for ch in [*lanes, *units]:
            label = ch.name.replace(" busiest lane busy (cycles)", " busiest lane")
            delta = ch.status if ch.status in ("added", "removed") else fmt_delta(ch.delta)
            cells.append([label, fmt_value(ch.a), fmt_value(ch.b), delta])
        table.empty_text = "no lanes"
        table.set_rows(self._figure_columns("lane / unit busy (cycles)"), cells,
                       keys=[c[0] for c in cells])  # fmt: skip

    def _fill_lanes_filtered(self, table: CmpTable, rx: re.Pattern[str]) -> None:
        """Per lane, Σ duration of the instances the `/` filter keeps, in A and in B (the same
        instances the timeline keeps bright); a lane with no match in either run is left out."""
        busy: dict[str, list[int | None]] = {}
        tl = self.query_one(DualTimeline)
        for side, run in enumerate((tl.a, tl.b)):
            mask = run.filter_mask(rx)
            if mask is None or not run.lanes:
                continue
            dur = np.bincount(run.lane[mask], weights=(run.end - run.ts)[mask],
                              minlength=len(run.lanes))  # fmt: skip
            hits = np.bincount(run.lane[mask], minlength=len(run.lanes))
            for i, ln in enumerate(run.lanes):
                if hits[i]:
                    busy.setdefault(ln, [None, None])[side] = int(dur[i])
        cells: list[list[str]] = []
        for ln in sorted(busy, key=lane_order):
            a, b = busy[ln]
            delta = ("added" if a is None else "removed" if b is None
                     else fmt_delta(b - a))  # fmt: skip
            cells.append([ln, fmt_value(a), fmt_value(b), delta])
        table.empty_text = f"no op matches /{self.pattern}/ on any lane"
        table.set_rows(self._figure_columns(f"lane busy, ops /{self.pattern}/ (cycles)"), cells,
                       keys=[c[0] for c in cells])  # fmt: skip

    def _fill_summary(self) -> None:
        """Every summary figure and runtrace phase of A beside B (fills the right column)."""
        table = self.query_one("#cmp-summary", CmpTable)
        cells: list[list[str]] = []
        for ch in [*self.cmp.summary, *self.cmp.phases]:
            if ch.name.endswith("busiest lane busy (cycles)"):
                continue
            delta = ch.status if ch.status in ("added", "removed") else fmt_delta(ch.delta)
            cells.append([ch.name, fmt_value(ch.a), fmt_value(ch.b), delta])
        table.set_rows(self._figure_columns("figure"), cells, keys=[c[0] for c in cells])

    def _selected_row(self) -> Any:
        return next((r for r in self._rows() if self._key(r) == self.selected), None)

    def _update_status(self) -> None:
        status = self.query_one("#cmp-status", Static)
        row = self._selected_row()
        if row is None:
            status.update("select a row to highlight its instances in both timelines · Enter: "
                          "its instances · ? help")  # fmt: skip
            return
        status.update(Text(self._change_text(row)))

    def _change_text(self, row: Any) -> str:
        if isinstance(row, InstanceChange):
            return (
                f"{self._label(row)}: dur {fmt_value(row.dur.a)} → {fmt_value(row.dur.b)} "
                f"({fmt_delta(row.dur.delta)}, {fmt_rel(row.dur.rel)}); DPC "
                f"{fmt_value(row.dpc.a)} → {fmt_value(row.dpc.b)}; lane {row.lane_a or '-'} → "
                f"{row.lane_b or '-'}"
            )
        alt = f" (A: {row.name_a})" if getattr(row, "name_a", None) else ""
        return (
            f"{row.name}{alt}: DPC {fmt_value(row.dpc.a)} → {fmt_value(row.dpc.b)} "
            f"({fmt_delta(row.dpc.delta)}, {fmt_rel(row.dpc.rel)}); busy "
            f"{fmt_value(row.busy.a)} → {fmt_value(row.busy.b)}; instances "
            f"{fmt_value(row.instances.a, 'count')} → {fmt_value(row.instances.b, 'count')}"
        )

    # --- events --------------------------------------------------------------------------------

    @on(DataGrid.RowHighlighted, "#cmp-ranking")
    def _ranking_highlighted(self, event: DataGrid.RowHighlighted) -> None:
        event.stop()
        key = self.query_one("#cmp-ranking", CmpTable).key_at(event.row)
        if key in self._row_names:
            self.select(str(key))

    @on(DataGrid.RowSelected, "#cmp-ranking")
    def _ranking_selected(self, event: DataGrid.RowSelected) -> None:
        """Enter on a ranking row: drill into its instances (as the explorer's ranking does)."""
        event.stop()
        self.action_drill()

    def select(self, name: str | None) -> None:
        """Select a QNN op / kernel / instance in every view (timeline highlight, status line)."""
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
        """`r`, as in the explorer: QNN op → HTP kernel → instance (clears the selection)."""
        if self.drill is not None:
            self.drill = None
            self.level = "qnn_op"
        else:
            self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
            if self.level == "instance" and self.cmp.instances is None:
                self.notify("no instance level: a saved report without compare_basis has no "
                            "per-instance rows", timeout=4)  # fmt: skip
                self.level = LEVELS[0]
        self.selected = None
        self.refresh_all()

    def action_drill(self) -> None:
        """Enter: the selected QNN op's or kernel's instances, A beside B (Esc backs out)."""
        if self.view_level == "instance" or self.selected is None:
            self.notify("Enter drills into a QNN op or kernel row's instances", timeout=3)
            return
        if self.cmp.instances is None:
            self.notify("a saved report without compare_basis has no per-instance rows",
                        severity="warning", timeout=4)  # fmt: skip
            return
        self.drill = (self.level, self.selected)
        self.selected = None
        self.refresh_all()
        self.action_focus_ranking()

    def action_cycle_sort(self) -> None:
        """`s`: sort the ranking by the next key (|Δ|, name, A, B)."""
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self.refresh_all()

    def action_reverse_sort(self) -> None:
        """`S`: reverse the ranking's order."""
        self.sort_reverse = not self.sort_reverse
        self.refresh_all()

    def action_step_row(self, step: int) -> None:
        """`n`/`N`: the next / previous row of the (filtered) ranking."""
        table = self.query_one("#cmp-ranking", CmpTable)
        if table.row_count:
            table.move_cursor(row=min(max(table.cursor_row + step, 0), table.row_count - 1))

    def action_focus_timeline(self) -> None:
        """Focus the dual timeline (its keys zoom, pan and scroll rows)."""
        self.query_one(DualTimeline).focus()

    def _show_units(self, on: bool) -> None:
        self.query_one("#cmp-tables").set_class(on, "-units")
        self.query_one("#cmp-tables").set_class(False, "-window")
        self._split()

    def action_focus_ranking(self) -> None:
        """Focus the ranking."""
        self._show_units(False)
        self.query_one("#cmp-ranking", CmpTable).focus()

    def action_focus_units(self) -> None:
        """`3` (the explorer's units pane): the per-lane and per-unit busy table."""
        self._show_units(True)
        self.query_one("#cmp-lanes", CmpTable).focus()

    def action_focus_figures(self) -> None:
        """`5` (the explorer's details): every summary figure and runtrace phase, A beside B."""
        self._show_units(True)
        self.query_one("#cmp-summary", CmpTable).focus()

    def action_timeline_size(self, delta: int) -> None:
        """`>`/`<`: grow or shrink the timeline (at least 3 rows; the tables keep at least 5)."""
        tables = int(self.query_one("#cmp-tables").outer_size.height)
        if (delta > 0 and tables <= 3) or (
            delta < 0 and self.query_one(DualTimeline).outer_size.height <= 3
        ):
            return
        self._timeline_bias += delta
        self._split()

    # --- bookmarks: the same per-trace stores as the single-run explorer ----------------------

    def bookmark_stores(self) -> list[tuple[str, Any, RunLanes]]:
        """(A/B, BookmarkStore, lanes) of each run whose op trace is at hand (opened once)."""
        if self._stores is None:
            from htptui.model.bookmarks import BookmarkStore

            tl = self.query_one(DualTimeline)
            stores = []
            for tag, doc, run in (("A", self.doc_a, tl.a), ("B", self.doc_b, tl.b)):
                trace = ((doc.get("artifacts") or {}).get("found") or {}).get("op_trace")
                if not trace or not Path(str(trace)).is_file():
                    continue
                try:
                    stores.append((tag, BookmarkStore(str(trace)), run))
                except OSError:
                    continue
            self._stores = stores
        return self._stores

    def action_bookmark(self) -> None:
        """`B`: the visible range (timeline focused) as a window of both runs, or the selected
        instance (instance level) as an op of each run that has it; the explorer sees them too."""
        from htptui.model.bookmarks import Bookmark

        stores = self.bookmark_stores()
        if not stores:
            self.action_not_here("bookmark")
            return
        tl = self.query_one(DualTimeline)
        done = []
        window_shown = self.query_one("#cmp-tables").has_class("-window")
        if tl.windows and (self.focused is tl or window_shown):
            for tag, store, _run in stores:  # the marked window, as mapped onto each run
                if tag in tl.windows:
                    lo, hi = tl.windows[tag]
                    store.add(Bookmark("window", f"{fmt_int(hi - lo)} cycles (compare window)",
                                       lo=lo, hi=hi))  # fmt: skip
                    done.append(tag)
            what = "the marked window"
        elif self.focused is tl:
            lo, hi = int(tl.view_lo), int(np.ceil(tl.view_hi))
            for tag, store, _run in stores:
                store.add(Bookmark("window", f"{fmt_int(hi - lo)} cycles (compare view)",
                                   lo=lo, hi=hi))  # fmt: skip
                done.append(tag)
            what = f"window [{fmt_int(lo)}, {fmt_int(hi)})"
        elif self.view_level == "instance" and self.selected is not None:
            for tag, store, run in stores:
                m = run.mask_of("instance", self.selected)
                hits = np.flatnonzero(m) if m is not None else np.zeros(0, dtype=np.int64)
                if not hits.size:
                    continue
                op = int(hits[0])
                label = f"{run.kernel[op]} · {run.qnn_op_own[op]} · {run.lane_label[op]}"
                store.add(Bookmark("op", label, op=op, op_id=int(run.op_id[op]),
                                   ts=int(run.ts[op])))  # fmt: skip
                done.append(tag)
            what = self._label(self._selected_row()) if self._selected_row() else "instance"
        else:
            self.notify("B: focus the timeline (1) to bookmark the visible range, or select an "
                        "instance row (r or Enter) to bookmark that op", timeout=4)  # fmt: skip
            return
        runs = " and ".join(done) or "neither run"
        self.notify(f"bookmarked {what} in {runs}", timeout=3, markup=False)

    def action_bookmarks(self) -> None:
        """`'`: A's and B's bookmarks in one list; Enter zooms to a window or selects an op."""
        stores = self.bookmark_stores()
        if not stores:
            self.action_not_here("bookmark")
            return
        from htptui.tui.bookmarks import BookmarksScreen

        pair = PairStore([(tag, store) for tag, store, _run in stores])
        self.push_screen(BookmarksScreen(pair, title=pair.title), self.jump_to_bookmark)  # type: ignore[arg-type]

    def jump_to_bookmark(self, index: int | None) -> None:
        """Zoom both timelines to a bookmarked window, or select a bookmarked op's QNN op row."""
        stores = self.bookmark_stores()
        if index is None or not stores:
            return
        pair = PairStore([(tag, store) for tag, store, _run in stores])
        found = pair.where(index)
        if found is None:
            return
        tag, store, i = found
        run = next(r for t, _s, r in stores if t == tag)
        bm = store.items[i]
        tl = self.query_one(DualTimeline)
        if bm.kind == "window":
            assert bm.lo is not None and bm.hi is not None
            margin = max((bm.hi - bm.lo) * 0.05, 1.0)
            tl._set_view(bm.lo - margin, bm.hi + margin)
            self.set_compare_window(tag, bm.lo, bm.hi)  # marked again: its figures, A beside B
            return
        op = bm.op
        if (op is None or not 0 <= op < run.ts.size or int(run.ts[op]) != bm.ts
                or int(run.op_id[op]) != bm.op_id):  # fmt: skip
            self.notify(f"that op is not in run {tag} any more", severity="warning")
            return
        self.drill, self.level, self.pattern = None, "qnn_op", None
        self.selected = None
        self.refresh_all()
        name = run.qnn_op[op]
        if name in self._row_names:
            self.query_one("#cmp-ranking", CmpTable).move_cursor(row=self._row_names.index(name))
            self.select(name)
        span = max((int(run.end[op]) - int(run.ts[op])) * 20, 64)
        tl._set_view(int(run.ts[op]) - span / 2, int(run.ts[op]) + span / 2)
        self.action_focus_ranking()

    def action_not_here(self, what: str) -> None:
        """A key of the single-run explorer that needs one run's trace: say so (never nothing)."""
        self.notify(NOT_HERE[what], timeout=5, markup=False)

    def action_help(self) -> None:
        """The compare-mode key reference (the Compare section of the explorer's help.md)."""
        from htptui.tui.screens import HelpScreen

        self.push_screen(HelpScreen(section="Compare mode"))

    def action_legend(self) -> None:
        """`L`: what the dual timeline's glyphs and shades mean."""
        from htptui.tui.screens import LegendScreen

        self.push_screen(LegendScreen("Compare timeline glyphs"))

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
        window_shown = self.query_one("#cmp-tables").has_class("-window")
        if not window_shown:
            self.action_focus_ranking()
        if self.win_mark is not None:  # the window's figures follow the filter too
            self.set_compare_window(*self.win_mark, show=window_shown)

    def action_escape(self) -> None:
        """Close the filter input, else back out of a drill-down, else clear the filter."""
        box = self.query_one("#cmp-filter", Input)
        if box.has_class("-open"):
            box.remove_class("-open")
            self.action_focus_ranking()
            return
        if self.query_one("#cmp-tables").has_class("-window"):
            self.action_focus_ranking()  # back to the tables (the window stays marked)
            return
        if self.drill is not None:
            self.level, back = self.drill
            self.drill = None
            self.selected = None
            self.refresh_all()
            if back in self._row_names:
                self.query_one("#cmp-ranking", CmpTable).move_cursor(
                    row=self._row_names.index(back)
                )
                self.select(back)
            return
        if self.pattern is not None:
            self.pattern = None
            self.refresh_all()
            if self.win_mark is not None:
                self.set_compare_window(*self.win_mark, show=False)

    action_clear_filter = action_escape

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        """The ranking as shown (filter, level, view, sort), raw numbers with units in the names;
        with the window pane shown, the window's figures and ranked ops of A and B."""
        if self.query_one("#cmp-tables").has_class("-window"):
            got = self.window_export()
            if got is not None:
                return got
        rows = self._ordered(self._rows())
        if self.view_level == "instance":
            cols = ["qnn_op", "kernel", "n", "A_dur_cycles", "B_dur_cycles", "delta_dur_cycles",
                    "A_dpc_cycles", "B_dpc_cycles", "A_lane", "B_lane", "status"]  # fmt: skip
            return cols, [
                [
                    r.qnn_op,
                    r.kernel,
                    r.n,
                    r.dur.a,
                    r.dur.b,
                    r.dur.delta,
                    r.dpc.a,
                    r.dpc.b,
                    r.lane_a,
                    r.lane_b,
                    r.status,
                ]  # fmt: skip
                for r in rows
            ]
        cols = ["name", "A_dpc_cycles", "B_dpc_cycles", "delta_dpc_cycles", "delta_dpc_rel",
                "A_busy_cycles", "B_busy_cycles", "A_instances", "B_instances", "status",
                "A_name"]  # fmt: skip
        return cols, [
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
                r.name_a or r.name,
            ]  # fmt: skip
            for r in rows
        ]

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
        """`y`: the status line (the selected row's change) to the clipboard; with the window
        pane shown, the window's figures as text."""
        if self.query_one("#cmp-tables").has_class("-window"):
            self.copy_to_clipboard(self.query_one(CompareWindowPane).text)
            self.notify("copied the window figures", timeout=2)
            return
        row = self._selected_row()
        if row is None:
            self.notify("nothing selected to copy", timeout=2)
            return
        self.copy_to_clipboard(self._change_text(row))
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
