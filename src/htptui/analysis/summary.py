"""Graph-level figures from the op trace: wall, per-lane busy, domain cycles, idle, overlap, boundary tax.

Conventions (see docs/optrace-format.md): ``ts``/``dur`` are cycles; the graph wall is the span of the
executed ops (= QHAS ``timeline_cycles``); summed busy cycles are work volume, not wall; a unit's real
time is its busiest lane and the domain cycle count is the max over units, never the sum.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from htptui.analysis import intervals
from htptui.model.chrometrace import (
    FLAG_DMA,
    FLAG_DMA_SET,
    FLAG_DMA_WAIT,
    FLAG_HMX,
    FLAG_HVX,
    FLAG_SYNC,
    Lane,
    OpTrace,
)

BOUNDARY_RE = re.compile(r"spill|fill|concat|forceformat|flat_from_vtcm", re.IGNORECASE)
BOUNDARY_CATEGORIES = (
    ("Spill", re.compile(r"spill", re.I)),
    ("Fill", re.compile(r"fill", re.I)),
    ("Concat", re.compile(r"concat", re.I)),
    ("ForceFormat", re.compile(r"forceformat", re.I)),
    ("flat_from_vtcm", re.compile(r"flat_from_vtcm", re.I)),
)

# op kinds used for colouring and classification
KIND_HMX = 0
KIND_HVX = 1
KIND_DMA = 2
KIND_WAIT = 3
KIND_BOUNDARY = 4
KIND_OTHER = 5
KIND_NAMES = ("HMX compute", "HVX compute", "DMA", "sync/wait", "boundary", "other")


_boundary_last: tuple[list[str], int, np.ndarray] | None = None


def boundary_kernel_mask(trace: OpTrace) -> np.ndarray:
    """Boolean per string id: whether that kernel name is a boundary op (Spill/Fill/Concat/ForceFormat*/flat_from_vtcm).

    The last table's mask is kept (op kinds, the boundary summary and the findings each ask for
    it); a table that grew since is classified again. Treat the result as read-only.
    """
    global _boundary_last
    names = trace.strings.names
    last = _boundary_last
    if last is not None and last[0] is names and last[1] == len(names):
        return last[2]
    mask = np.fromiter((bool(BOUNDARY_RE.search(s)) for s in names), dtype=bool, count=len(names))
    mask.flags.writeable = False
    _boundary_last = (names, len(names), mask)
    return mask


def op_kinds(trace: OpTrace) -> np.ndarray:
    """Classify every op (by Flags, then kernel name for boundary ops) into a KIND_* code."""
    kinds = np.full(len(trace), KIND_OTHER, dtype=np.uint8)
    f = trace.flags
    lane_units = np.array([ln.unit for ln in trace.lanes] or ["?"])
    unit = lane_units[trace.lane] if len(trace) else np.array([], dtype=str)
    kinds[unit == "HVX"] = KIND_HVX
    kinds[(f & (FLAG_DMA | FLAG_DMA_SET)) != 0] = KIND_DMA
    kinds[(f & FLAG_HVX) != 0] = KIND_HVX
    kinds[(f & FLAG_HMX) != 0] = KIND_HMX
    kinds[(f & (FLAG_DMA_WAIT | FLAG_SYNC)) != 0] = KIND_WAIT
    kinds[boundary_kernel_mask(trace)[trace.kernel]] = KIND_BOUNDARY
    return kinds


@dataclass(frozen=True, slots=True)
class LaneStats:
    """Busy time of one unit lane."""

    lane: Lane
    ops: int
    busy: int  # Σ dur on this lane (= QHAS cycles_used)
    start: int
    end: int
    utilization: float  # busy / graph wall × 100 (QHAS convention)

    @property
    def span(self) -> int:
        """First start to last end on this lane (= QHAS resource timeline_cycles)."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class BoundaryTax:
    """Cycles spent in boundary ops and DMA waits."""

    by_category: dict[str, tuple[int, int, int]]  # name -> (ops, busy cycles, DPC)
    dma_wait_ops: int
    dma_wait_busy: int
    dma_wait_dpc: int
    wall: int

    @property
    def boundary_busy(self) -> int:
        """Σ busy cycles of Spill/Fill/Concat/ForceFormat*/flat_from_vtcm ops."""
        return sum(v[1] for v in self.by_category.values())

    @property
    def boundary_dpc(self) -> int:
        """Σ Dominant Path Cycles of boundary ops."""
        return sum(v[2] for v in self.by_category.values())

    @property
    def total_dpc(self) -> int:
        """Boundary-op plus DMA-wait cycles on the dominant path."""
        return self.boundary_dpc + self.dma_wait_dpc

    @property
    def total_busy(self) -> int:
        """Boundary-op plus DMA-wait busy cycles."""
        return self.boundary_busy + self.dma_wait_busy

    def pct(self, cycles: int) -> float:
        """Cycles as a percentage of the graph wall."""
        return 100.0 * cycles / self.wall if self.wall else 0.0


DOMAIN_UNITS = ("HMX", "HVX")  # DMA is never a domain (trap 20)

IDLE_NOTE_OVER_WALL = "Σ DPC > wall: the DPC values are not a dominant-path split"
IDLE_NOTE_UNKNOWN_SPLIT = "tiled ops without QHAS: per-tile DPC unknown"
IDLE_NOTE_ABSENT = "some ops carry no Dominant Path Cycles"


@dataclass(frozen=True, slots=True)
class CoreSummary:
    """Figures for one HTP core."""

    core: int
    executed_ops: int
    start: int  # rebased cycles
    end: int
    lanes: tuple[LaneStats, ...]
    unit_busy: dict[str, int]  # per unit: its busiest lane's busy (HVX = max lane, not sum)
    busy_sum: int  # Σ dur across lanes: work volume, NOT wall
    dpc_sum: int  # Σ of the resolved per-instance DPC (OpTrace.dpc) over executed ops
    hvx_hmx_overlap: int  # cycles where some HVX lane and HMX compute are both busy
    boundary: BoundaryTax
    hvx_union: int
    hmx_union: int
    dpc_exact: bool = True  # every op's DPC is a true per-instance figure (htptui.model.dpc)
    # HMX thread busy: Σ dur on the busiest HMX lane (= QHAS HMX cycles_used; on v2.45 it includes
    # the DMA ops that ride the HMX thread). HMX compute: Σ dur of its uses_hmx ops only.
    hmx_thread_busy: int = 0
    hmx_compute: int = 0
    dma_on_hmx_thread: bool = False  # DMA/sync ops ran on an HMX lane (v2.45 layout)
    dpc_unknown_note: str = ""  # why dpc_exact is False

    @property
    def wall(self) -> int:
        """Graph wall in cycles: span of the executed ops (= QHAS timeline_cycles)."""
        return self.end - self.start

    @property
    def domain_busy(self) -> dict[str, int]:
        """Busiest-lane busy of the domain units (HMX, HVX; '?' only when neither is present)."""
        dom = {u: v for u, v in self.unit_busy.items() if u in DOMAIN_UNITS}
        if not dom:
            dom = {u: v for u, v in self.unit_busy.items() if u == "?"}
        return dom

    @property
    def domain_unit(self) -> str:
        """The busiest domain unit: HMX or HVX, never DMA (trap 20)."""
        dom = self.domain_busy
        if not dom:
            return "-"
        return max(dom.items(), key=lambda kv: (kv[1], kv[0] == "HMX"))[0]

    @property
    def domain_cycles(self) -> int:
        """Domain = max(HMX thread cycles_used, max HVX thread cycles_used); never a sum, never DMA."""
        return max(self.domain_busy.values(), default=0)

    @property
    def dpc_consistent(self) -> bool:
        """Whether Σ DPC fits in the wall (always true for SDK output; false means DPC is not a path split)."""
        return self.dpc_sum <= self.wall

    @property
    def idle(self) -> int | None:
        """Accumulated idle on the dominant path: wall − Σ DPC (= QHAS Accumulated Idle).

        None when it cannot be derived (see :attr:`idle_note`); never negative.
        """
        if not self.dpc_exact or not self.dpc_consistent:
            return None
        return self.wall - self.dpc_sum

    @property
    def idle_note(self) -> str:
        """Why :attr:`idle` is None ('' when it is known)."""
        if not self.dpc_exact:
            return self.dpc_unknown_note or IDLE_NOTE_UNKNOWN_SPLIT
        if not self.dpc_consistent:
            return IDLE_NOTE_OVER_WALL
        return ""

    @property
    def idle_pct(self) -> float | None:
        """Idle as a percentage of the wall (= QHAS percent_idle); None when idle is unknown."""
        idle = self.idle
        if idle is None:
            return None
        return 100.0 * idle / self.wall if self.wall else 0.0

    @property
    def overlap_pct(self) -> float:
        """HVX∥HMX overlap as a percentage of the smaller unit's busy union (0 % = fully serial)."""
        base = min(self.hvx_union, self.hmx_union)
        return 100.0 * self.hvx_hmx_overlap / base if base else 0.0

    @property
    def parallelism(self) -> float:
        """Σ busy / wall: how many lanes were busy on average."""
        return self.busy_sum / self.wall if self.wall else 0.0


def cores(trace: OpTrace) -> list[int]:
    """Core numbers present in the trace, ascending."""
    return sorted({ln.core for ln in trace.lanes})


def core_mask(trace: OpTrace, core: int) -> np.ndarray:
    """Boolean mask of the ops that ran on a core."""
    lane_core = np.array([ln.core for ln in trace.lanes] or [0], dtype=np.int64)
    return lane_core[trace.lane] == core if len(trace) else np.zeros(0, dtype=bool)


def boundary_tax(
    trace: OpTrace, mask: np.ndarray | None = None, wall: int | None = None
) -> BoundaryTax:
    """Boundary-op (Spill/Fill/Concat/ForceFormat*/flat_from_vtcm) and DMA-wait cycles."""
    sel = np.ones(len(trace), dtype=bool) if mask is None else mask
    dpc = np.maximum(trace.dpc, 0)
    by_cat: dict[str, tuple[int, int, int]] = {}
    names = trace.strings.names
    kernels = trace.kernel
    claimed = np.zeros(len(trace), dtype=bool)
    # each category's pattern is one alternative of BOUNDARY_RE: only its matches need the test
    cand = np.flatnonzero(boundary_kernel_mask(trace)).tolist()
    for cat, rx in BOUNDARY_CATEGORIES:
        ids = np.zeros(len(names), dtype=bool)
        ids[[k for k in cand if rx.search(names[k])]] = True
        m = sel & ids[kernels] & ~claimed
        claimed |= m
        if m.any():
            by_cat[cat] = (int(m.sum()), int(trace.dur[m].sum()), int(dpc[m].sum()))
    wait = sel & ((trace.flags & FLAG_DMA_WAIT) != 0) & ~claimed
    if wall is None:
        wall = int(trace.end[sel].max() - trace.ts[sel].min()) if sel.any() else 0
    return BoundaryTax(
        by_category=by_cat,
        dma_wait_ops=int(wait.sum()),
        dma_wait_busy=int(trace.dur[wait].sum()),
        dma_wait_dpc=int(dpc[wait].sum()),
        wall=wall,
    )


def hmx_flagged(trace: OpTrace, core: int = 0) -> bool:
    """Whether any HMX-lane op of ``core`` carries ``uses_hmx`` (else every HMX-lane op is compute)."""
    m = core_mask(trace, core)
    lane_unit = np.array([ln.unit for ln in trace.lanes] or ["?"])
    on_hmx = m & (lane_unit[trace.lane] == "HMX") if len(trace) else m
    return bool(((trace.flags[on_hmx] & FLAG_HMX) != 0).any())


def core_summary(
    trace: OpTrace,
    core: int = 0,
    span: tuple[int, int] | None = None,
    hmx_flags: bool | None = None,
) -> CoreSummary:
    """All graph-level figures for one core.

    ``span`` overrides the wall's [start, end) (a time window: the ops are already clipped to it by
    :func:`htptui.analysis.window.clip_trace`); by default it is the span of the core's ops.
    ``hmx_flags`` says whether the *whole* run flags HMX compute (``uses_hmx``), so a window without
    HMX compute does not fall back to counting every HMX-lane op (default: read from ``trace``).
    """
    m = core_mask(trace, core)
    ts, dur, lane = trace.ts[m], trace.dur[m], trace.lane[m]
    end = ts + dur
    start_c = int(ts.min()) if ts.size else 0
    end_c = int(end.max()) if ts.size else 0
    if span is not None:
        start_c, end_c = int(span[0]), int(span[1])
    wall = end_c - start_c
    lanes = []
    unit_busy: dict[str, int] = {}
    # per-lane figures in one sort (not one full-column mask per lane: traces can have 30k+ lanes)
    by_lane = np.argsort(lane, kind="stable")
    sl = lane[by_lane]
    starts = np.flatnonzero(np.r_[True, sl[1:] != sl[:-1]]) if sl.size else sl
    present = {int(x): k for k, x in enumerate(sl[starts].tolist())}
    if sl.size:
        l_ops = np.diff(np.r_[starts, sl.size])
        l_busy = np.add.reduceat(dur[by_lane], starts)
        l_start = np.minimum.reduceat(ts[by_lane], starts)
        l_end = np.maximum.reduceat(end[by_lane], starts)
    for ln in trace.lanes:
        k = present.get(ln.index)
        if ln.core != core or k is None:
            continue
        busy = int(l_busy[k])
        lanes.append(
            LaneStats(
                lane=ln,
                ops=int(l_ops[k]),
                busy=busy,
                start=int(l_start[k]),
                end=int(l_end[k]),
                utilization=100.0 * busy / wall if wall else 0.0,
            )
        )
        unit_busy[ln.unit] = max(unit_busy.get(ln.unit, 0), busy)
    lane_unit = np.array([ln.unit for ln in trace.lanes] or ["?"])
    unit = lane_unit[lane] if lane.size else np.array([], dtype=str)
    hvx = unit == "HVX"
    hmx = unit == "HMX"
    # HVX∥HMX: compute ops only (DMA transfers that ride the HMX lane in v2.45 are not HMX compute)
    f = trace.flags[m]
    hmx_compute = hmx & ((f & FLAG_HMX) != 0)
    dma_ops = (f & (FLAG_DMA | FLAG_DMA_SET | FLAG_DMA_WAIT)) != 0
    if not (hmx_compute.any() if hmx_flags is None else hmx_flags):
        # no uses_hmx flags at all: every HMX-lane op that is not DMA or a sync counts as compute
        hmx_compute = hmx & ~dma_ops & ((f & FLAG_SYNC) == 0)
    # HMX compute per HMX lane (the busiest one, like cycles_used)
    hmx_compute_busy = 0
    for ls in lanes:
        if ls.lane.unit == "HMX":
            sel = hmx_compute & (lane == ls.lane.index)
            hmx_compute_busy = max(hmx_compute_busy, int(dur[sel].sum()))
    from htptui.model.dpc import DPC_ABSENT, DPC_OP_LEVEL, DPC_SPLIT_UNKNOWN, known_mask

    known = known_mask(trace)[m] if m.any() else np.ones(0, dtype=bool)
    src = trace.dpc_source[m]
    unknown_note = ""
    if ((src == DPC_OP_LEVEL) | (src == DPC_SPLIT_UNKNOWN)).any():
        unknown_note = IDLE_NOTE_UNKNOWN_SPLIT
    elif (src == DPC_ABSENT).any():
        unknown_note = IDLE_NOTE_ABSENT
    overlap = intervals.intersection_length(ts[hvx], end[hvx], ts[hmx_compute], end[hmx_compute])
    return CoreSummary(
        core=core,
        executed_ops=int(m.sum()),
        start=start_c,
        end=end_c,
        lanes=tuple(lanes),
        unit_busy=unit_busy,
        busy_sum=int(dur.sum()),
        dpc_sum=int(np.maximum(trace.dpc[m], 0).sum()),
        hvx_hmx_overlap=overlap,
        boundary=boundary_tax(trace, m, wall),
        hvx_union=intervals.union_length(ts[hvx], end[hvx]),
        hmx_union=intervals.union_length(ts[hmx_compute], end[hmx_compute]),
        dpc_exact=bool(known.all()),
        hmx_thread_busy=unit_busy.get("HMX", 0),
        hmx_compute=hmx_compute_busy,
        dma_on_hmx_thread=bool((hmx & dma_ops).any()),
        dpc_unknown_note=unknown_note,
    )


def core_summaries(trace: OpTrace) -> list[CoreSummary]:
    """A :class:`CoreSummary` per core."""
    return [core_summary(trace, c) for c in cores(trace)] or [core_summary(trace, 0)]


def graph_wall(trace: OpTrace) -> int:
    """Span of all executed ops across cores, in cycles."""
    if not len(trace):
        return 0
    return int(trace.end.max() - trace.ts.min())
