"""Line-API timeline of an op trace: one row per unit lane, boundary, dominant path, VTCM and an axis.

Only visible rows are drawn (``render_line``) and each drawn row is an LRU-cached :class:`Strip` keyed
on everything that changes it, so zoom, pan and cursor moves stay cheap on multi-million-op traces:
per-bucket colouring comes from :class:`~htptui.analysis.buckets.CoverageIndex` in O(width · log n).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from htptui.analysis.buckets import (
    CoverageIndex,
    dominant_kind,
    interval_coverage,
    kind_coverage,
    search_sorted,
    step_max,
)
from htptui.analysis.run import analysis_of
from htptui.analysis.summary import (
    KIND_BOUNDARY,
    KIND_DMA,
    KIND_HMX,
    KIND_HVX,
    KIND_OTHER,
    KIND_WAIT,
)
from htptui.model.chrometrace import UNIT_ORDER, OpTrace
from htptui.model.dpc import DPC_OP_LEVEL, DPC_SPLIT_UNKNOWN
from htptui.model.run import Run
from htptui.present.format import fmt_cycles_compact as _fmt_cycles
from htptui.present.format import fmt_int
from htptui.present.format import fmt_us_compact as _fmt_us
from htptui.tui.selection import ops_array
from htptui.tui.widgets._cached_lines import CachedLinesMixin

VTCM_COUNTER = "VTCM alloc"
SPARK = "▁▂▃▄▅▆▇█"
GAP = "·"
FULL_FRACTION = 0.6  # a bucket at least this busy draws the full glyph
ZOOM_FACTOR = 2.0
PAN_FRACTION = 0.25
MIN_CELLS_FOR_NAME = 4
FILTER_WORKER_THRESHOLD = 300_000  # build the filtered index in a thread above this many ops
CLOCK_WORKER_THRESHOLD = 100_000  # find the trace clock in a thread above this many ops
# a selection holding more than 1/BIG_SELECTION of the ops is split per lane by a mask over the
# coverage index's lane tracks (O(ops)), a smaller one by sorting its own ops by lane
BIG_SELECTION = 16

# (full, partial) glyph per kind: distinct shapes so the timeline reads without colour (NO_COLOR)
KIND_GLYPHS: dict[int, tuple[str, str]] = {
    KIND_HMX: ("█", "▌"),
    KIND_HVX: ("▆", "▃"),
    KIND_DMA: ("▒", "░"),
    KIND_WAIT: ("=", "-"),
    KIND_BOUNDARY: ("#", "+"),
    KIND_OTHER: ("▪", "▫"),
}
# the selected op's producers, the producer it waited for, and its consumers
DEP_GLYPHS = {"producer": "<", "waited": "«", "consumer": ">"}
WINDOW_GLYPH = "▔"  # the marked window, on the axis row
KIND_CLASSES: dict[int, str] = {
    KIND_HMX: "timeline--hmx",
    KIND_HVX: "timeline--hvx",
    KIND_DMA: "timeline--dma",
    KIND_WAIT: "timeline--wait",
    KIND_BOUNDARY: "timeline--boundary",
    KIND_OTHER: "timeline--other",
}


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One drawn row: a unit lane, a per-core boundary or dominant-path row, or the VTCM sparkline."""

    kind: str  # "lane" | "boundary" | "dom" | "vtcm"
    label: str
    core: int
    lane: int = -1  # lane index for "lane" rows


def _trace_clock(opt: Run) -> float | None:
    """Clock (GHz) of the execute the op trace shows, or None when unknown."""
    return analysis_of(opt).trace_clock_ghz()


def _nice_step(raw: float) -> float:
    """The smallest 1/2/5 × 10^k step not below ``raw``."""
    if raw <= 0:
        return 1.0
    exp = 10 ** np.floor(np.log10(raw))
    for m in (1, 2, 5, 10):
        if m * exp >= raw:
            return float(m * exp)
    return float(10 * exp)


class Timeline(CachedLinesMixin, ScrollView, can_focus=True):
    """Zoomable per-unit timeline of an op trace with an op cursor, selection and filter dimming."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--label",
        "timeline--label-cursor",
        "timeline--hmx",
        "timeline--hvx",
        "timeline--dma",
        "timeline--wait",
        "timeline--boundary",
        "timeline--other",
        "timeline--gap",
        "timeline--path",
        "timeline--idle",
        "timeline--vtcm",
        "timeline--selected",
        "timeline--producer",
        "timeline--waited",
        "timeline--consumer",
        "timeline--cursor",
        "timeline--dim",
        "timeline--axis",
        "timeline--window",
        "timeline--status",
    }

    DEFAULT_CSS = """
    Timeline {
        height: 1fr;
        background: $surface;
        color: $foreground;
        scrollbar-size-horizontal: 0;
        & > .timeline--label { color: $text-muted; }
        & > .timeline--label-cursor { color: $text; background: $boost; text-style: bold; }
        & > .timeline--hmx { color: $primary; }
        & > .timeline--hvx { color: $success; }
        & > .timeline--dma { color: $secondary; }
        & > .timeline--wait { color: $warning; }
        & > .timeline--boundary { color: $error; text-style: bold; }
        & > .timeline--other { color: $text-muted; }
        & > .timeline--gap { color: $text-disabled; }
        & > .timeline--path { color: $accent; }
        & > .timeline--idle { color: $text-disabled; }
        & > .timeline--vtcm { color: $secondary; }
        & > .timeline--selected { color: $text-accent; background: $accent-muted; text-style: bold; }
        & > .timeline--producer { color: $warning; background: $warning-muted; text-style: bold; }
        & > .timeline--waited { color: $text; background: $warning; text-style: bold; }
        & > .timeline--consumer { color: $success; background: $success-muted; text-style: bold; }
        & > .timeline--cursor { color: $text; background: $accent; text-style: bold; }
        & > .timeline--dim { color: $text-disabled; }
        & > .timeline--axis { color: $text-muted; }
        & > .timeline--window { color: $text; background: $secondary-muted; text-style: bold; }
        & > .timeline--status { color: $text; background: $panel; }
        &:focus > .timeline--status { background: $primary-muted; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "w", "zoom_in", "Zoom in", id="timeline.zoom_in", tooltip="Halve the visible time span"
        ),
        Binding(
            "plus",
            "zoom_in",
            "Zoom in",
            show=False,
            id="timeline.zoom_in_alt",
            tooltip="Halve the visible time span",
        ),
        Binding(
            "s",
            "zoom_out",
            "Zoom out",
            id="timeline.zoom_out",
            tooltip="Double the visible time span",
        ),
        Binding(
            "minus",
            "zoom_out",
            "Zoom out",
            show=False,
            id="timeline.zoom_out_alt",
            tooltip="Double the visible time span",
        ),
        Binding(
            "a",
            "pan_left",
            "Pan left",
            id="timeline.pan_left",
            tooltip="Move the view a quarter span earlier",
        ),
        Binding(
            "left",
            "pan_left",
            "Pan left",
            show=False,
            id="timeline.pan_left_alt",
            tooltip="Move the view a quarter span earlier",
        ),
        Binding(
            "d",
            "pan_right",
            "Pan right",
            id="timeline.pan_right",
            tooltip="Move the view a quarter span later",
        ),
        Binding(
            "right",
            "pan_right",
            "Pan right",
            show=False,
            id="timeline.pan_right_alt",
            tooltip="Move the view a quarter span later",
        ),
        Binding(
            "f",
            "fit_selection",
            "Fit",
            id="timeline.fit",
            tooltip="Zoom to the selected ops (or the op under the cursor)",
        ),
        Binding(
            "0",
            "reset_view",
            "Whole graph",
            id="timeline.reset",
            tooltip="Show the whole graph execution",
        ),
        Binding(
            "full_stop",
            "next_op",
            "Next op",
            id="timeline.next_op",
            tooltip="Move the cursor to the next op on this lane",
        ),
        Binding(
            "comma",
            "prev_op",
            "Prev op",
            id="timeline.prev_op",
            tooltip="Move the cursor to the previous op on this lane",
        ),
        Binding(
            "down",
            "lane_down",
            "Lane down",
            show=False,
            id="timeline.lane_down",
            tooltip="Move the cursor to the lane below, keeping the time",
        ),
        Binding(
            "j",
            "lane_down",
            "Lane down",
            show=False,
            id="timeline.lane_down_vim",
            tooltip="Move the cursor to the lane below, keeping the time",
        ),
        Binding(
            "up",
            "lane_up",
            "Lane up",
            show=False,
            id="timeline.lane_up",
            tooltip="Move the cursor to the lane above, keeping the time",
        ),
        Binding(
            "k",
            "lane_up",
            "Lane up",
            show=False,
            id="timeline.lane_up_vim",
            tooltip="Move the cursor to the lane above, keeping the time",
        ),
        Binding(
            "enter",
            "choose",
            "Select op",
            show=False,
            id="timeline.choose",
            tooltip="Select the op under the cursor everywhere",
        ),
        Binding(
            "v",
            "toggle_vtcm",
            "VTCM",
            id="timeline.toggle_vtcm",
            tooltip="Show or hide the VTCM allocation row",
        ),
        Binding(
            "g",
            "view_start",
            "Start",
            show=False,
            id="timeline.start",
            tooltip="Move the view to the start of the graph",
        ),
        Binding(
            "home",
            "view_start",
            "Start",
            show=False,
            id="timeline.start_alt",
            tooltip="Move the view to the start of the graph",
        ),
        Binding(
            "G",
            "view_end",
            "End",
            show=False,
            id="timeline.end",
            tooltip="Move the view to the end of the graph",
        ),
        Binding(
            "end",
            "view_end",
            "End",
            show=False,
            id="timeline.end_alt",
            tooltip="Move the view to the end of the graph",
        ),
    ]

    BINDINGS += [  # noqa: RUF005 - appended where the window feature lives
        Binding(
            "m",
            "mark_window",
            "Mark",
            id="timeline.mark",
            tooltip="Window: m on one op marks its start, m on another its end (stats in Window tab)",
        ),
        Binding(
            "W",
            "window_view",
            "Window=view",
            show=False,
            id="timeline.window_view",
            tooltip="Make the visible range the window",
        ),
        Binding(
            "M",
            "clear_window",
            "Clear window",
            show=False,
            id="timeline.clear_window",
            tooltip="Clear the window",
        ),
    ]

    BINDINGS += [  # noqa: RUF005
        Binding(
            "J",
            "scroll_rows(1)",
            "Rows down",
            show=False,
            id="timeline.rows_down",
            tooltip="Scroll the timeline's rows down one (boundary, dom.path, VTCM on short screens)",
        ),
        Binding(
            "K",
            "scroll_rows(-1)",
            "Rows up",
            show=False,
            id="timeline.rows_up",
            tooltip="Scroll the timeline's rows up one",
        ),
    ]

    class WindowChanged(Message):
        """The marked time window changed (``window`` None = cleared), in trace cycles [lo, hi)."""

        def __init__(self, timeline: Timeline, window: tuple[int, int] | None) -> None:
            self.timeline = timeline
            self.window = window
            super().__init__()

        @property
        def control(self) -> Timeline:
            """The timeline that posted this message."""
            return self.timeline

    class OpSelected(Message):
        """The op cursor moved to (or re-chose) ``op_index``."""

        def __init__(self, timeline: Timeline, op_index: int) -> None:
            self.timeline = timeline
            self.op_index = op_index
            super().__init__()

        @property
        def control(self) -> Timeline:
            """The timeline that posted this message."""
            return self.timeline

    show_vtcm: reactive[bool] = reactive(False)
    status_text: reactive[str] = reactive("", layout=False)

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.opt: Run | None = None
        self.trace: OpTrace | None = None
        self.index: CoverageIndex | None = None
        self.view_lo: float = 0.0
        self.view_hi: float = 1.0
        self.t0: float = 0.0
        self.t1: float = 1.0
        self.selected_ops: np.ndarray = np.zeros(0, dtype=np.int64)
        self.producer_ops: np.ndarray = np.zeros(0, dtype=np.int64)
        self.consumer_ops: np.ndarray = np.zeros(0, dtype=np.int64)
        self.waited_op: int | None = None
        self.window: tuple[int, int] | None = None  # marked [lo, hi) in trace cycles
        self._mark: tuple[int, int] | None = None  # first `m`: that op's [start, end)
        self._drag_t: float | None = None
        self.primary: int | None = None
        self.cursor_op: int | None = None
        self.cursor_lane: int | None = None
        self.filter_mask: np.ndarray | None = None
        self._filter_index: CoverageIndex | None = None
        self._filter_gen = 0
        self._selection_gen = 0
        self._lane_selection: dict[int, int] = {}  # lane -> signature of its selected ops
        # lane -> (its selected ops in ts order, their longest duration): a row draws only the
        # selected ops in view, found by binary search, not by a pass over the whole selection
        self._lane_sel_ops: dict[int, tuple[np.ndarray, int]] = {}
        self._lane_deps: dict[int, int] = {}  # lane -> signature of its producer/consumer marks
        self._init_line_cache(1024)
        self._rows: list[TimelineRow] = []
        self._lane_rows: list[int] = []  # row positions of lane rows, top to bottom
        self._label_width = 8
        self._clock_ghz: float | None = None
        self._path: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self._vtcm: tuple[np.ndarray, np.ndarray, float] | None = None

    # ------------------------------------------------------------------ data in

    def load(
        self,
        opt: Run,
        index: CoverageIndex | None = None,
        clock_ghz: float | None = None,
    ) -> None:
        """Show a loaded run (UI thread); pass ``index`` and ``clock_ghz`` if a worker found them."""
        self.opt = opt
        self.trace = opt.trace
        trace = self.trace
        if trace is None or len(trace) == 0:
            self.index = None
            self._rows = []
            self._lane_rows = []
            self._update_size()
            self.refresh()
            return
        self.index = index if index is not None else CoverageIndex(trace)
        self.t0 = float(trace.ts.min())
        self.t1 = float(trace.end.max())
        if self.t1 <= self.t0:
            self.t1 = self.t0 + 1
        self.view_lo, self.view_hi = self.t0, self.t1
        self._clock_ghz = clock_ghz
        if clock_ghz is None and opt.runtrace is not None:  # the runtrace's first execute
            if len(trace) > CLOCK_WORKER_THRESHOLD and self.is_mounted:
                self._find_clock(opt)
            else:
                self._clock_ghz = _trace_clock(opt)
        self._build_rows(opt, trace)
        self.selected_ops = np.zeros(0, dtype=np.int64)
        self._lane_sel_ops = {}
        self.producer_ops = np.zeros(0, dtype=np.int64)
        self.consumer_ops = np.zeros(0, dtype=np.int64)
        self.waited_op = None
        self.window = None
        self._mark = None
        self.primary = None
        self.filter_mask = None
        self._filter_index = None
        self._filter_gen += 1
        self._selection_gen += 1
        first = self._lane_rows[0] if self._lane_rows else None
        self.cursor_lane = self._rows[first].lane if first is not None else None
        self.cursor_op = (
            self._first_op_on(self.cursor_lane) if self.cursor_lane is not None else None
        )
        self._cache.clear()
        self._update_size()
        self._update_status()
        self.refresh()

    def stretch_to(self, t_end: float, view: tuple[float, float] | None = None) -> None:
        """Extend the time axis to ``t_end`` (a trace still loading) and show ``view`` or all."""
        self.t1 = max(self.t1, float(t_end))
        self.view_lo, self.view_hi = view if view is not None else (self.t0, self.t1)
        self._cache.clear()
        self._update_status()
        self.refresh()

    def _build_rows(self, opt: Run, trace: OpTrace) -> None:
        """Work out the row layout: lanes grouped per core, then that core's boundary and path rows."""
        rows: list[TimelineRow] = []
        self._path = {}
        rebase = trace.rebase
        cores = sorted({ln.core for ln in trace.lanes})
        for core in cores:
            lanes = sorted(
                (ln for ln in trace.lanes if ln.core == core),
                key=lambda ln: (UNIT_ORDER.get(ln.unit, 9), ln.tid),
            )
            for ln in lanes:
                rows.append(TimelineRow("lane", ln.label, core, ln.index))
            prefix = f"c{core} " if core else ""
            rows.append(TimelineRow("boundary", f"{prefix}boundary", core))
            if opt.qhas is not None and rebase is not None:
                path = opt.qhas.path_sorted(core)
                if path:
                    starts = np.array([r.start_cycle - rebase for r in path], dtype=np.int64)
                    ends = np.array([r.end_cycle - rebase for r in path], dtype=np.int64)
                    idle = np.array([r.is_idle for r in path], dtype=bool)
                    durs = np.maximum(ends - starts, 0)
                    self._path[core] = (starts[~idle], durs[~idle], starts[idle], durs[idle])
                    rows.append(TimelineRow("dom", f"{prefix}dom.path", core))
        counter = trace.counters.get(VTCM_COUNTER)
        self._vtcm = None
        if counter is not None and counter.ts.size:
            order = np.argsort(counter.ts, kind="stable")
            peak = float(np.max(counter.value)) if counter.value.size else 0.0
            self._vtcm = (counter.ts[order], counter.value[order], peak)
            rows.append(TimelineRow("vtcm", "VTCM", cores[0] if cores else 0))
        self._rows = rows
        self._lane_rows = [i for i, r in enumerate(rows) if r.kind == "lane"]
        self._label_width = max((len(r.label) for r in rows), default=6) + 1

    @property
    def index_ready(self) -> bool:
        """Whether a run is loaded and drawable."""
        return self.index is not None and self.trace is not None

    def select(
        self, op_indices: Sequence[int], primary: int | None = None, scroll: bool = True
    ) -> None:
        """Highlight these ops (e.g. all instances of a QNN op) and bring ``primary`` into view."""
        ops = ops_array(op_indices)  # an OpSelection's own array: no conversion, no sort
        self.selected_ops = ops
        if primary is None and ops.size:
            primary = int(ops[0])
        self.primary = primary
        self._selection_gen += 1
        self._lane_selection = {}
        self._lane_sel_ops = {}
        index = self.index
        if (
            self.trace is not None
            and index is not None
            and ops.size * BIG_SELECTION > len(self.trace)
        ):
            self._split_big_selection(ops, index)
        elif self.trace is not None and ops.size:
            # per-lane signature of the selection: rows of lanes it does not touch keep their strips
            lanes = self.trace.lane[ops]
            # small integer keys sort by radix (O(n)): a 300k-op selection in ~1 ms, not ~12
            key = lanes.astype(np.uint16) if len(self.trace.lanes) < 65536 else lanes
            order = np.argsort(key, kind="stable")
            sorted_lanes = lanes[order]
            cuts = np.flatnonzero(np.r_[True, sorted_lanes[1:] != sorted_lanes[:-1]])
            bounds = np.r_[cuts, sorted_lanes.size]
            for k, start in enumerate(cuts.tolist()):
                on_lane = ops[order[start : bounds[k + 1]]]  # ascending op index = ts order
                lane_id = int(sorted_lanes[start])
                self._lane_selection[lane_id] = hash(on_lane.tobytes())
                self._lane_sel_ops[lane_id] = (on_lane, int(self.trace.dur[on_lane].max()))
        if primary is not None and self.trace is not None:
            self.cursor_op = int(primary)
            self.cursor_lane = int(self.trace.lane[primary])
            if scroll:
                self._ensure_visible(int(primary))
                self._scroll_to_cursor_lane()
        self._after_change()

    def _split_big_selection(self, ops: np.ndarray, index: CoverageIndex) -> None:
        """The selection per lane, read off the coverage index's lane tracks (each lane's ops in
        index order, as the sort by lane would leave them): a folded node or the structure root
        selects most of a trace, where this is a mask pass instead of a sort of every op."""
        assert self.trace is not None
        whole = ops.size == len(self.trace)  # sorted and unique: every op
        chosen = None
        if not whole:
            chosen = np.zeros(len(self.trace), dtype=bool)
            chosen[ops] = True
        for lane_id, track in index.lane_tracks.items():
            if chosen is None:
                on_lane, durs = track.index, track.durs
            else:
                keep = chosen[track.index]
                on_lane, durs = track.index[keep], track.durs[keep]
            if not on_lane.size:
                continue
            on_lane = on_lane.astype(np.int64, copy=False)
            self._lane_selection[int(lane_id)] = hash(on_lane.tobytes())
            self._lane_sel_ops[int(lane_id)] = (on_lane, int(durs.max()))

    def set_deps(
        self, producers: np.ndarray | None, consumers: np.ndarray | None, waited: int | None
    ) -> None:
        """Mark the selected op's producers (``<``; the one it waited for ``«``) and consumers (``>``)."""
        empty = np.zeros(0, dtype=np.int64)
        self.producer_ops = empty if producers is None else np.asarray(producers, dtype=np.int64)
        self.consumer_ops = empty if consumers is None else np.asarray(consumers, dtype=np.int64)
        self.waited_op = waited
        # per-lane signature of the marks, so rows of lanes without any keep their cached strips
        sig: dict[int, int] = {}
        if self.trace is not None:
            for tag, ops in ((1, self.producer_ops), (2, self.consumer_ops)):
                if not ops.size:
                    continue
                lanes = self.trace.lane[ops]
                for ln in np.unique(lanes).tolist():
                    on = ops[lanes == ln]
                    sig[int(ln)] = hash((sig.get(int(ln)), tag, on.tobytes(), waited))
        self._lane_deps = sig
        self.refresh()

    def set_filter(self, mask: np.ndarray | None, index: CoverageIndex | None = None) -> None:
        """Dim the ops outside ``mask`` (None shows every op normally); ``index`` if prebuilt."""
        self.filter_mask = mask
        self._filter_index = None
        self._filter_gen += 1
        if mask is None or self.trace is None or self.index is None:
            self._after_change()
            return
        if index is not None:
            self._filter_index = index
            self._cache.clear()
            self._after_change()
            return
        if len(self.trace) > FILTER_WORKER_THRESHOLD and self.is_mounted:
            self._build_filter_index(mask, self._filter_gen)
        else:
            self._filter_index = CoverageIndex(self.trace, kinds=self.index.kinds, mask=mask)
        self._after_change()

    @work(thread=True, exclusive=True, group="timeline-clock", exit_on_error=False)
    def _find_clock(self, opt: Run) -> None:
        """Work out the trace clock off the UI thread (it summarises the whole trace)."""
        clock = _trace_clock(opt)
        self.app.call_from_thread(self._clock_ready, opt, clock)

    def _clock_ready(self, opt: Run, clock: float | None) -> None:
        """Install the clock found by the worker, unless another run was loaded meanwhile."""
        if opt is not self.opt:
            return
        self._clock_ghz = clock
        self._cache.clear()
        self._after_change()

    @work(thread=True, exclusive=True, group="timeline-filter", exit_on_error=False)
    def _build_filter_index(self, mask: np.ndarray, generation: int) -> None:
        """Build the filtered coverage index off the UI thread and hand it back."""
        assert self.trace is not None and self.index is not None
        index = CoverageIndex(self.trace, kinds=self.index.kinds, mask=mask)
        self.app.call_from_thread(self._filter_index_ready, index, generation)

    def _filter_index_ready(self, index: CoverageIndex, generation: int) -> None:
        """Install a filtered index built by the worker, unless a newer filter replaced it."""
        if generation != self._filter_gen:
            return
        self._filter_index = index
        self._filter_gen += 1
        self._cache.clear()
        self.refresh()

    def ops_in_view(self) -> np.ndarray:
        """Trace op indices that overlap the visible time window, in trace order."""
        t = self.trace
        if t is None or not len(t):
            return np.zeros(0, dtype=np.int64)
        lo, hi = self.view_lo, self.view_hi
        return np.flatnonzero((t.ts < hi) & (t.end > lo))

    def export_table(self) -> tuple[list[str], list[list[object]]]:
        """The ops in view: IDs, kernel, QNN op, lane, ts, duration, DPC, cycles/packet, kind."""
        from htptui.present.columns import OP_COLUMNS
        from htptui.present.tables import export_rows, op_records

        if self.opt is None:
            return [], []
        return export_rows(OP_COLUMNS, op_records(analysis_of(self.opt), self.ops_in_view()))

    # ------------------------------------------------------------------ geometry

    @property
    def plot_width(self) -> int:
        """Cells available for the time plot (widget width minus the label column)."""
        return max(self.size.width - self._label_width, 1)

    @property
    def span(self) -> float:
        """Visible cycles."""
        return self.view_hi - self.view_lo

    def _min_span(self) -> float:
        """Narrowest window: about one cycle per cell."""
        return float(max(self.plot_width, 8))

    def _set_view(self, lo: float, hi: float) -> None:
        """Set the visible window, clamped to the graph and to the zoom limits."""
        full = self.t1 - self.t0
        span = min(max(hi - lo, self._min_span()), full)
        lo = min(max(lo, self.t0), self.t1 - span)
        self.view_lo, self.view_hi = lo, lo + span

    def _update_size(self) -> None:
        """Keep the virtual size in step with the number of visible rows."""
        self.virtual_size = Size(self.size.width, len(self._visible_rows()) + 2)

    def _visible_rows(self) -> list[int]:
        """Row positions drawn, honouring the VTCM toggle."""
        return [i for i, r in enumerate(self._rows) if r.kind != "vtcm" or self.show_vtcm]

    def _ensure_visible(self, op: int) -> None:
        """Pan (and zoom out if needed) so op ``op`` is inside the window."""
        assert self.trace is not None
        ts = float(self.trace.ts[op])
        end = ts + float(self.trace.dur[op])
        span = self.span
        if end - ts > span * 0.9:
            margin = (end - ts) * 0.05 + 1
            self._set_view(ts - margin, end + margin)
        elif ts < self.view_lo or end > self.view_hi:
            mid = (ts + end) / 2
            self._set_view(mid - span / 2, mid + span / 2)

    def _after_change(self) -> None:
        """Refresh after a state change (the cache keys take care of invalidation)."""
        self._update_status()
        self.refresh()

    def watch_show_vtcm(self) -> None:
        """Resize when the VTCM row appears or disappears."""
        self._update_size()
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        """Re-clamp the window to the new width."""
        if self.index_ready:
            self._set_view(self.view_lo, self.view_hi)
        self._update_size()

    # ------------------------------------------------------------------ cursor helpers

    def _first_op_on(self, lane: int | None) -> int | None:
        """First op of a lane."""
        if lane is None or self.index is None:
            return None
        track = self.index.lane_tracks.get(lane)
        if track is None or track.index.size == 0:
            return None
        return int(track.index[0])

    def _op_near(self, lane: int, t: float) -> int | None:
        """The op of ``lane`` covering time ``t``, else the one nearest to it."""
        if self.index is None:
            return None
        track = self.index.lane_tracks.get(lane)
        if track is None or track.index.size == 0:
            return None
        p = int(search_sorted(track.starts, t, side="right")) - 1
        best: tuple[float, int] | None = None
        for q in (p, p + 1):
            if 0 <= q < track.index.size:
                s = float(track.starts[q])
                e = s + float(track.durs[q])
                dist = 0.0 if s <= t < e else min(abs(t - s), abs(t - e))
                if best is None or dist < best[0]:
                    best = (dist, q)
        return int(track.index[best[1]]) if best is not None else None

    def _cursor_time(self) -> float:
        """Time the cursor stands at: its op's midpoint, or the view centre."""
        if self.cursor_op is not None and self.trace is not None:
            return float(self.trace.ts[self.cursor_op]) + float(self.trace.dur[self.cursor_op]) / 2
        return (self.view_lo + self.view_hi) / 2

    def _move_cursor(self, op: int | None, lane: int | None = None) -> None:
        """Put the cursor on ``op`` (and its lane), keep it visible and tell listeners."""
        if lane is not None:
            self.cursor_lane = lane
        if op is None:
            if lane is not None:
                self.cursor_op = None
            self._scroll_to_cursor_lane()
            self._after_change()
            return
        assert self.trace is not None
        self.cursor_op = int(op)
        self.cursor_lane = int(self.trace.lane[op])
        self._ensure_visible(int(op))
        self._scroll_to_cursor_lane()
        self._after_change()
        self.post_message(self.OpSelected(self, int(op)))

    def _scroll_to_cursor_lane(self) -> None:
        """Scroll vertically so the cursor lane's row is on screen (many lanes, short terminal)."""
        rows = self._visible_rows()
        pos = next(
            (
                p
                for p, r in enumerate(rows)
                if self._rows[r].lane == self.cursor_lane and self._rows[r].kind == "lane"
            ),
            None,
        )
        if pos is None or not self.is_mounted:
            return
        room = max(self.size.height - 2, 1)
        top = int(self.scroll_offset.y)
        if pos < top:
            self.scroll_to(y=pos, animate=False, immediate=True)
        elif pos >= top + room:
            self.scroll_to(y=pos - room + 1, animate=False, immediate=True)

    # ------------------------------------------------------------------ actions

    def action_zoom_in(self) -> None:
        """Halve the span around the cursor op (if visible) or the view centre."""
        if not self.index_ready:
            return
        t = self._cursor_time()
        if not self.view_lo <= t <= self.view_hi:
            t = (self.view_lo + self.view_hi) / 2
        span = self.span / ZOOM_FACTOR
        frac = (t - self.view_lo) / self.span if self.span else 0.5
        self._set_view(t - span * frac, t + span * (1 - frac))
        self._after_change()

    def action_zoom_out(self) -> None:
        """Double the span around the view centre."""
        if not self.index_ready:
            return
        mid = (self.view_lo + self.view_hi) / 2
        span = self.span * ZOOM_FACTOR
        self._set_view(mid - span / 2, mid + span / 2)
        self._after_change()

    def action_pan_left(self) -> None:
        """Move the view a quarter span earlier."""
        if self.index_ready:
            shift = self.span * PAN_FRACTION
            self._set_view(self.view_lo - shift, self.view_hi - shift)
            self._after_change()

    def action_pan_right(self) -> None:
        """Move the view a quarter span later."""
        if self.index_ready:
            shift = self.span * PAN_FRACTION
            self._set_view(self.view_lo + shift, self.view_hi + shift)
            self._after_change()

    def action_view_start(self) -> None:
        """Move the view to the start of the graph, keeping the span."""
        if self.index_ready:
            self._set_view(self.t0, self.t0 + self.span)
            self._after_change()

    def action_view_end(self) -> None:
        """Move the view to the end of the graph, keeping the span."""
        if self.index_ready:
            self._set_view(self.t1 - self.span, self.t1)
            self._after_change()

    def action_reset_view(self) -> None:
        """Show the whole graph."""
        if self.index_ready:
            self._set_view(self.t0, self.t1)
            self._after_change()

    def action_fit_selection(self) -> None:
        """Zoom to span the selected ops, or the cursor op when nothing is selected."""
        if not self.index_ready:
            return
        assert self.trace is not None
        ops = self.selected_ops
        if ops.size == 0 and self.cursor_op is not None:
            ops = np.array([self.cursor_op])
        if ops.size == 0:
            return
        lo = float(self.trace.ts[ops].min())
        hi = float((self.trace.ts[ops] + self.trace.dur[ops]).max())
        margin = max((hi - lo) * 0.05, 1.0)
        self._set_view(lo - margin, hi + margin)
        self._after_change()

    def action_next_op(self) -> None:
        """Cursor to the next op on the current lane."""
        self._step_op(+1)

    def action_prev_op(self) -> None:
        """Cursor to the previous op on the current lane."""
        self._step_op(-1)

    def _step_op(self, step: int) -> None:
        """Walk the cursor along its lane in time order."""
        if not self.index_ready or self.cursor_lane is None:
            return
        assert self.index is not None
        if self.cursor_op is None:
            nxt = self._op_near(self.cursor_lane, self.view_lo if step > 0 else self.view_hi)
        else:
            nxt = self.index.neighbour(self.cursor_lane, self.cursor_op, step)
        if nxt is not None:
            self._move_cursor(nxt)

    def action_lane_down(self) -> None:
        """Cursor to the lane below, on the op nearest the current time."""
        self._step_lane(+1)

    def action_lane_up(self) -> None:
        """Cursor to the lane above, on the op nearest the current time."""
        self._step_lane(-1)

    def _step_lane(self, step: int) -> None:
        """Change lane keeping the time."""
        if not self.index_ready or not self._lane_rows:
            return
        lanes = [self._rows[i].lane for i in self._lane_rows]
        pos = lanes.index(self.cursor_lane) if self.cursor_lane in lanes else 0
        new = min(max(pos + step, 0), len(lanes) - 1)
        if new == pos and self.cursor_lane is not None:
            return
        t = self._cursor_time()
        lane = lanes[new]
        self._move_cursor(self._op_near(lane, t), lane)

    def action_choose(self) -> None:
        """Re-post the op under the cursor."""
        if self.cursor_op is not None:
            self.post_message(self.OpSelected(self, self.cursor_op))

    def set_window(self, window: tuple[int, int] | None) -> None:
        """Mark ``window`` (clamped to the graph; None clears it) and tell listeners."""
        if window is not None:
            lo = max(int(window[0]), int(self.t0))
            hi = min(int(window[1]), int(np.ceil(self.t1)))
            window = (lo, hi) if hi > lo else None
        self._mark = None
        self.window = window
        self._after_change()
        self.post_message(self.WindowChanged(self, window))

    def action_mark_window(self) -> None:
        """First `m`: the cursor op starts the window; second `m`: the cursor op ends it."""
        if not self.index_ready or self.trace is None:
            return
        if self.cursor_op is not None:
            s = int(self.trace.ts[self.cursor_op])
            here = (s, s + int(self.trace.dur[self.cursor_op]))
        else:
            t = int(self._cursor_time())
            here = (t, t + 1)
        if self._mark is None:
            self._mark = here
            self._after_change()
            return
        first = self._mark
        self.set_window((min(first[0], here[0]), max(first[1], here[1])))

    def action_window_view(self) -> None:
        """The visible range becomes the window."""
        if self.index_ready:
            self.set_window((int(np.floor(self.view_lo)), int(np.ceil(self.view_hi))))

    def action_clear_window(self) -> None:
        """Forget the window (and a pending first mark)."""
        if self.window is not None or self._mark is not None:
            self.set_window(None)

    def _time_at(self, x: int) -> float | None:
        """Trace time under screen column ``x`` (None left of the plot)."""
        px = x - self._label_width
        if px < 0 or not self.index_ready:
            return None
        return self.view_lo + (px + 0.5) * self.span / max(self.plot_width, 1)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        """Remember where a drag starts."""
        self._drag_t = self._time_at(event.x)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        """A drag of two cells or more marks that range as the window."""
        start, self._drag_t = self._drag_t, None
        end = self._time_at(event.x)
        if start is None or end is None:
            return
        cell = self.span / max(self.plot_width, 1)
        if abs(end - start) >= 2 * cell:
            self.set_window((int(min(start, end)), int(np.ceil(max(start, end)))))

    def action_scroll_rows(self, step: int) -> None:
        """Scroll the data rows by ``step`` (every row, lanes or not, is reachable by keyboard)."""
        room = max(self.size.height - 2, 1)
        top = int(self.scroll_offset.y)
        last = max(len(self._visible_rows()) - room, 0)
        new = min(max(top + step, 0), last)
        if new != top:
            self.scroll_to(y=new, animate=False, immediate=True)
            self.refresh()

    def action_toggle_vtcm(self) -> None:
        """Show or hide the VTCM allocation row."""
        self.show_vtcm = not self.show_vtcm

    def on_click(self, event: events.Click) -> None:
        """Put the cursor on the op under the mouse."""
        if not self.index_ready:
            return
        rows = self._visible_rows()
        data_y = event.y - 1 + int(self.scroll_offset.y)
        if not 0 <= event.y - 1 < self.size.height - 2 or not 0 <= data_y < len(rows):
            return
        row = self._rows[rows[data_y]]
        x = event.x - self._label_width
        if row.kind != "lane" or x < 0:
            return
        cell = self.span / self.plot_width
        t = self.view_lo + (x + 0.5) * cell
        op = self._op_near(row.lane, t)
        if op is not None and self.trace is not None:
            s = float(self.trace.ts[op])
            e = s + float(self.trace.dur[op])
            if t < s - cell * 2 or t > e + cell * 2:
                op = None
        self._move_cursor(op, row.lane)

    # ------------------------------------------------------------------ status

    def _update_status(self) -> None:
        """Describe the op under the cursor (kernel, QNN op, lane, ts, dur, DPC) and the view."""
        trace = self.trace
        view = ""
        if self.index_ready:
            view = f"  [{_fmt_cycles(self.view_lo)}–{_fmt_cycles(self.view_hi)} cyc]"
        if trace is None or self.cursor_op is None:
            self.status_text = (
                ("no op under the cursor" if trace is not None else "no trace")
                + view
                + self._window_status()
            )
            return
        i = self.cursor_op
        dpc = int(trace.dpc[i])
        parts = [
            trace.kernel_name(i),
            trace.qnn_op_name(i),
            trace.lane_of(i).label,
            f"ts {fmt_int(int(trace.ts[i]))}",
            f"dur {fmt_int(int(trace.dur[i]))}",
            f"DPC {fmt_int(dpc)}" if dpc >= 0 else "DPC –",
        ]
        src = int(trace.dpc_source[i])
        if src == DPC_OP_LEVEL:
            parts[-1] += " (op-level, tiled: per-tile split unknown)"
        elif src == DPC_SPLIT_UNKNOWN:
            parts[-1] = "DPC unknown (tile of a tiled op)"
        if self._clock_ghz:
            parts[4] += f" ({_fmt_us(int(trace.dur[i]) / self._clock_ghz / 1000.0)})"
        self.status_text = " │ ".join(parts) + view + self._window_status()

    def _window_status(self) -> str:
        if self._mark is not None:
            return f"  window from {fmt_int(self._mark[0])}: m on the last op"
        if self.window is not None:
            return f"  window [{fmt_int(self.window[0])}–{fmt_int(self.window[1])})"
        return ""

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        """Draw row ``y``: the axis on top, the status at the bottom, data rows in between."""
        width = self.size.width
        height = self.size.height
        if y == 0:
            return self._axis_strip(width)
        if y == height - 1:
            return self._status_strip(width)
        rows = self._visible_rows()
        pos = y - 1 + int(self.scroll_offset.y)
        if not self.index_ready or not 0 <= pos < len(rows):
            return Strip.blank(width, self._base_style())
        row = self._rows[rows[pos]]
        return self._row_strip(row, width)

    def _row_key(self, row: TimelineRow, width: int) -> tuple[Hashable, ...]:
        """Everything that changes how a row looks."""
        base: tuple[Hashable, ...] = (
            row.kind,
            row.lane,
            row.core,
            self.view_lo,
            self.view_hi,
            width,
            self._style_gen,
        )
        if row.kind == "lane":
            on = self.cursor_lane == row.lane
            return (
                *base,
                self._lane_selection.get(row.lane),
                self._lane_deps.get(row.lane),
                self._filter_gen,
                on,
                self.cursor_op if on else None,
            )
        if row.kind == "boundary":
            return (*base, self._filter_gen)
        return base

    def _row_strip(self, row: TimelineRow, width: int) -> Strip:
        """A cached strip for one data row."""
        key = self._row_key(row, width)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._draw_row(row, width)
            self._cache[key] = strip
        return strip

    def _label(self, row: TimelineRow) -> Segment:
        """The left label cell of a row."""
        name = "timeline--label"
        if row.kind == "lane" and row.lane == self.cursor_lane:
            name = "timeline--label-cursor"
        text = row.label[: self._label_width - 1].ljust(self._label_width - 1) + " "
        return Segment(text, self._style(name))

    def _draw_row(self, row: TimelineRow, width: int) -> Strip:
        """Draw one data row from scratch."""
        plot_w = max(width - self._label_width, 0)
        if row.kind == "lane":
            cells = self._lane_cells(row.lane, plot_w)
        elif row.kind == "boundary":
            cells = self._boundary_cells(row.core, plot_w)
        elif row.kind == "dom":
            cells = self._path_cells(row.core, plot_w)
        else:
            cells = self._vtcm_cells(plot_w)
        segments = [self._label(row), *self._runs(cells)]
        return Strip(segments, width).adjust_cell_length(width, self._base_style())

    @staticmethod
    def _runs(cells: list[tuple[str, Style]]) -> list[Segment]:
        """Merge neighbouring cells of the same style into segments."""
        out: list[Segment] = []
        if not cells:
            return out
        run_text: list[str] = []
        run_style: Style | None = None
        for text, style_obj in cells:
            if style_obj is run_style:
                run_text.append(text)
            else:
                if run_style is not None:
                    out.append(Segment("".join(run_text), run_style))
                run_text, run_style = [text], style_obj
        if run_style is not None:
            out.append(Segment("".join(run_text), run_style))
        return out

    def _kind_cells(
        self, kind: np.ndarray, frac: np.ndarray, dim: np.ndarray | None = None
    ) -> list[tuple[str, Style]]:
        """Glyph and style per bucket from the dominant kind and busy fraction."""
        gap_style = self._style("timeline--gap")
        dim_style = self._style("timeline--dim")
        styles = {k: self._style(c) for k, c in KIND_CLASSES.items()}
        cells: list[tuple[str, Style]] = []
        append = cells.append
        dims = dim.tolist() if dim is not None else [False] * len(kind)
        for k, f, d in zip(kind.tolist(), frac.tolist(), dims, strict=True):
            if k < 0:
                append((GAP, gap_style))
                continue
            full, part = KIND_GLYPHS.get(k, KIND_GLYPHS[KIND_OTHER])
            append((full if f >= FULL_FRACTION else part, dim_style if d else styles[k]))
        return cells

    def _lane_cells(self, lane: int, plot_w: int) -> list[tuple[str, Style]]:
        """Cells of one unit lane: the cached base (coverage colours, kernel names) under the
        selection, dependency and cursor marks, which alone change when the selection moves."""
        cells = list(self._lane_base(lane, plot_w))
        self._overlay_ops(cells, lane, self.view_lo, self.view_hi, plot_w)
        return cells

    def _lane_base(self, lane: int, plot_w: int) -> tuple[tuple[str, Style], ...]:
        """Coverage colours and kernel names of one lane for the current view (cached: a new
        selection redraws a row's marks, not its coverage)."""
        lo, hi = self.view_lo, self.view_hi
        key = ("lane-base", lane, lo, hi, plot_w, self._style_gen, self._filter_gen)
        cached = self._cache.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        assert self.index is not None and self.trace is not None
        bucket = (hi - lo) / max(plot_w, 1)
        cov = self.index.coverage(lane, lo, hi, plot_w)
        dim = None
        if self.filter_mask is not None:
            if self._filter_index is None:
                kind, frac = dominant_kind(cov, bucket)
                dim = np.ones(plot_w, dtype=bool)
            else:
                fcov = self._filter_index.coverage(lane, lo, hi, plot_w)
                fkind, ffrac = dominant_kind(fcov, bucket)
                kind, frac = dominant_kind(cov, bucket)
                lit = fkind >= 0
                dim = ~lit
                kind = np.where(lit, fkind, kind)
                frac = np.where(lit, ffrac, frac)
        else:
            kind, frac = dominant_kind(cov, bucket)
        cells = self._kind_cells(kind, frac, dim)
        self._kernel_names(cells, lane, lo, hi, plot_w)
        base = tuple(cells)
        self._cache[key] = base  # type: ignore[assignment]
        return base

    def _cell_range(self, op: int, lo: float, bucket: float, plot_w: int) -> tuple[int, int]:
        """The plot cells [c0, c1) that op ``op`` covers (at least one)."""
        assert self.trace is not None
        s = float(self.trace.ts[op])
        e = s + float(self.trace.dur[op])
        c0 = int(np.floor((s - lo) / bucket))
        c1 = max(int(np.ceil((e - lo) / bucket)), c0 + 1)
        return max(c0, 0), min(c1, plot_w)

    def _kernel_names(
        self, cells: list[tuple[str, Style]], lane: int, lo: float, hi: float, plot_w: int
    ) -> None:
        """Write kernel names into the cells when few enough ops are visible to span several."""
        assert self.index is not None and self.trace is not None
        trace = self.trace
        bucket = (hi - lo) / max(plot_w, 1)
        track = self.index.lane_tracks.get(lane)
        if track is None or not track.starts.size:
            return
        a = max(int(search_sorted(track.starts, lo, side="right")) - 1, 0)
        b = int(search_sorted(track.starts, hi, side="left"))
        if not 0 < b - a <= plot_w // MIN_CELLS_FOR_NAME:
            return
        for op in self.index.ops_in(lane, lo, hi).tolist():
            c0, c1 = self._cell_range(op, lo, bucket, plot_w)
            if c1 - c0 < MIN_CELLS_FOR_NAME:
                continue
            name = trace.kernel_name(op)
            room = c1 - c0 - 1
            text = name if len(name) <= room else name[: max(room - 1, 0)] + "…"
            style = cells[c0 + 1][1] + Style(reverse=True) if c0 + 1 < plot_w else None
            if style is None:
                continue
            for j, ch in enumerate(text):
                cells[c0 + 1 + j] = (ch, style)
            for j in range(c0 + 1 + len(text), c1):
                cells[j] = (" ", style)

    def _overlay_ops(
        self, cells: list[tuple[str, Style]], lane: int, lo: float, hi: float, plot_w: int
    ) -> None:
        """Mark selected ops, the selected op's producers and consumers, and the cursor op."""
        assert self.index is not None and self.trace is not None
        trace = self.trace
        bucket = (hi - lo) / max(plot_w, 1)

        def cell_range(op: int) -> tuple[int, int]:
            return self._cell_range(op, lo, bucket, plot_w)

        # selection
        lane_sel = self._lane_sel_ops.get(lane)
        if lane_sel is not None:
            on_lane = self._visible_of(lane_sel, lo, hi)
            if on_lane.size:
                s = trace.ts[on_lane]
                e = s + trace.dur[on_lane]
                keep = (e > lo) & (s < hi)
                sel_style = self._style("timeline--selected")
                if keep.any():
                    # cells covered by any visible selected op, in one vectorised pass
                    sv = s[keep].astype(np.float64)
                    ev = e[keep].astype(np.float64)
                    c0 = np.floor((sv - lo) / bucket).astype(np.int64)
                    c1 = np.maximum(np.ceil((ev - lo) / bucket).astype(np.int64), c0 + 1)
                    c0 = np.clip(c0, 0, plot_w)
                    c1 = np.clip(c1, 0, plot_w)
                    marks = np.zeros(plot_w + 1, dtype=np.int64)
                    np.add.at(marks, c0, 1)
                    np.add.at(marks, c1, -1)
                    for j in np.flatnonzero(np.cumsum(marks[:plot_w]) > 0).tolist():
                        ch = cells[j][0]
                        cells[j] = (ch if ch not in (GAP, " ") else "█", sel_style)
        # producers and consumers of the selected op: distinct glyphs, readable without colour
        for ops, glyph, cls in (
            (self.producer_ops, DEP_GLYPHS["producer"], "timeline--producer"),
            (self.consumer_ops, DEP_GLYPHS["consumer"], "timeline--consumer"),
        ):
            if not ops.size:
                continue
            on_lane = ops[trace.lane[ops] == lane]
            if not on_lane.size:
                continue
            s = trace.ts[on_lane]
            e = s + trace.dur[on_lane]
            dep_style = self._style(cls)
            waited_style = self._style("timeline--waited")
            for op in on_lane[(e > lo) & (s < hi)].tolist():
                c0, c1 = cell_range(op)
                waited = op == self.waited_op and cls == "timeline--producer"
                g, st = (DEP_GLYPHS["waited"], waited_style) if waited else (glyph, dep_style)
                for j in range(c0, c1):
                    cells[j] = (g, st)
        # cursor
        cur = self.cursor_op
        if cur is not None and int(trace.lane[cur]) == lane:
            s = float(trace.ts[cur])
            e = s + float(trace.dur[cur])
            if e > lo and s < hi:
                c0, c1 = cell_range(cur)
                cur_style = self._style("timeline--cursor")
                for j in range(c0, c1):
                    ch = cells[j][0]
                    cells[j] = (ch if ch != GAP else "█", cur_style)

    def _visible_of(self, lane_sel: tuple[np.ndarray, int], lo: float, hi: float) -> np.ndarray:
        """The selected ops of one lane that may overlap [lo, hi): starts in [lo − longest, hi).

        The trace is sorted by ts, so op indices are in ts order: two binary searches over the
        trace's ts find the index bounds, two over the lane's sorted selection the slice."""
        assert self.trace is not None
        ops, longest = lane_sel
        ts = self.trace.ts
        first = int(search_sorted(ts, lo - longest, side="left"))
        last = int(search_sorted(ts, hi, side="left"))
        return ops[int(np.searchsorted(ops, first)) : int(np.searchsorted(ops, last))]

    def _boundary_cells(self, core: int, plot_w: int) -> list[tuple[str, Style]]:
        """Boundary-op coverage summed over the lanes of one core."""
        assert self.index is not None and self.trace is not None
        lo, hi = self.view_lo, self.view_hi
        bucket = (hi - lo) / max(plot_w, 1)
        busy = np.zeros(plot_w)
        lit = np.zeros(plot_w)
        for ln in self.trace.lanes:
            if ln.core != core:
                continue
            busy += kind_coverage(self.index, ln.index, KIND_BOUNDARY, lo, hi, plot_w)
            if self._filter_index is not None:
                lit += kind_coverage(self._filter_index, ln.index, KIND_BOUNDARY, lo, hi, plot_w)
        kind = np.where(busy > 0, KIND_BOUNDARY, -1)
        frac = np.clip(busy / bucket, 0, 1) if bucket > 0 else np.zeros(plot_w)
        dim = None
        if self.filter_mask is not None:
            dim = lit <= 0
        return self._kind_cells(kind, frac, dim)

    def _path_cells(self, core: int, plot_w: int) -> list[tuple[str, Style]]:
        """Dominant path: op segments (solid) against accumulated-idle gaps (light)."""
        op_s, op_d, idle_s, idle_d = self._path[core]
        lo, hi = self.view_lo, self.view_hi
        bucket = (hi - lo) / max(plot_w, 1)
        ops = interval_coverage(op_s, op_d, lo, hi, plot_w)
        idle = interval_coverage(idle_s, idle_d, lo, hi, plot_w)
        path_style = self._style("timeline--path")
        idle_style = self._style("timeline--idle")
        gap_style = self._style("timeline--gap")
        cells: list[tuple[str, Style]] = []
        for o, i in zip(ops.tolist(), idle.tolist(), strict=True):
            if o <= 0 and i <= 0:
                cells.append((GAP, gap_style))
            elif o >= i:
                cells.append(("━" if o / bucket >= FULL_FRACTION else "╸", path_style))
            else:
                cells.append(("╌", idle_style))
        return cells

    def _vtcm_cells(self, plot_w: int) -> list[tuple[str, Style]]:
        """VTCM allocation as a sparkline, scaled to the run's peak."""
        if self._vtcm is None:
            return [(GAP, self._style("timeline--gap"))] * plot_w
        ts, values, peak = self._vtcm
        peaks = step_max(ts, values, self.view_lo, self.view_hi, plot_w)
        style = self._style("timeline--vtcm")
        gap_style = self._style("timeline--gap")
        cells: list[tuple[str, Style]] = []
        top = len(SPARK) - 1
        for v in peaks.tolist():
            if v <= 0 or peak <= 0:
                cells.append((GAP, gap_style))
            else:
                cells.append((SPARK[min(int(round(v / peak * top)), top)], style))
        return cells

    def _axis_strip(self, width: int) -> Strip:
        """Tick labels in cycles (with µs when the clock is known)."""
        key = ("axis", self.view_lo, self.view_hi, width, self._style_gen, self._label_width,
               self.window)  # fmt: skip
        strip = self._cache.get(key)
        if strip is not None:
            return strip
        style = self._style("timeline--axis")
        plot_w = max(width - self._label_width, 0)
        unit = "cyc/µs" if self._clock_ghz else "cycles"
        label = unit[: self._label_width - 1].ljust(self._label_width)
        line = [" "] * plot_w
        if self.index_ready and plot_w > 0:
            lo, hi = self.view_lo, self.view_hi
            tick_w = 16 if self._clock_ghz else 9
            step = _nice_step((hi - lo) * tick_w / plot_w)
            t = np.ceil(lo / step) * step
            while t < hi:
                c = int((t - lo) / (hi - lo) * plot_w)
                text = "┊" + _fmt_cycles(t)
                if self._clock_ghz:
                    text += "/" + _fmt_us(t / self._clock_ghz / 1000.0)
                if c + len(text) <= plot_w:
                    line[c : c + len(text)] = list(text)
                t += step
        segs = [Segment(label, style)]
        w = self.window
        if (
            w is not None
            and self.index_ready
            and plot_w > 0
            and w[1] > self.view_lo
            and w[0] < self.view_hi
        ):
            lo, hi = self.view_lo, self.view_hi
            c0 = max(int((w[0] - lo) / (hi - lo) * plot_w), 0)
            c1 = min(max(int(np.ceil((w[1] - lo) / (hi - lo) * plot_w)), c0 + 1), plot_w)
            for k in range(c0, c1):
                if line[k] == " ":
                    line[k] = WINDOW_GLYPH
            wstyle = self._style("timeline--window")
            segs += [Segment("".join(line[:c0]), style), Segment("".join(line[c0:c1]), wstyle),
                     Segment("".join(line[c1:]), style)]  # fmt: skip
        else:
            segs.append(Segment("".join(line), style))
        strip = Strip(segs, width)
        strip = strip.adjust_cell_length(width, self._base_style())
        self._cache[key] = strip
        return strip

    def _status_strip(self, width: int) -> Strip:
        """The status line describing the op under the cursor."""
        text = self.status_text[:width].ljust(width)
        return Strip([Segment(text, self._style("timeline--status"))], width)
