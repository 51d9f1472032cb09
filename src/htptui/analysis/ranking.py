"""Rank ops by Dominant Path Cycles per instance, per QNN op or per HTP kernel (columnar).

A tiled op runs as several instances, often on several lanes at once; a group row shows its instance
count, busy cycles (work volume) against its span (first start to last end) and the maximum number of
instances running at once.

DPC is the resolved per-instance figure ``OpTrace.dpc`` (htptui.model.dpc): on a tiled op it comes
from the QHAS join, never from the per-op value copied onto every tile. "% path" always divides by the
graph's path (Σ DPC over every executed op), also when the ranking is built over a filtered subset;
the share of the filtered set is the separate :meth:`Ranking.filtered_pct`. A group's cycles per
packet is Σ cycles ÷ Σ packets (packets of an instance = dur / cpp where cpp > 0), not a mean of
per-instance ratios.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from htptui.analysis import attribution
from htptui.analysis.intervals import grouped_max_concurrency
from htptui.model.chrometrace import FLAG_DMA, FLAG_DMA_SET, FLAG_DMA_WAIT, OpTrace
from htptui.model.dpc import DPC_OP_LEVEL, DPC_SPLIT_UNKNOWN, known_mask

LEVELS = ("instance", "qnn_op", "kernel")  # the flat levels (every report carries their tables)
#: every level, in the order the explorer's `r` cycles (structure: analysis/structure.py)
ALL_LEVELS = (*LEVELS, "structure")
LEVEL_LABELS = {
    "instance": "instances",
    "qnn_op": "QNN ops",
    "kernel": "HTP kernels",
    "structure": "structure",
}
UNIT_BITS = {"HMX": 1, "HVX": 2, "DMA": 4, "?": 8}


SORT_BELOW = 4096  # fewer op indices than this: a sort is cheap
MASK_SHARE = 64  # more, covering ≥ 1/this of [0, max]: one mask, O(n), no sort


def sorted_unique(ops: np.ndarray) -> np.ndarray:
    """``np.unique(ops)`` for op indices: ``ops`` itself when already sorted and unique, and by
    marking one mask over ``[0, max]`` when they are many and dense (a folded node or a selection
    of most of the trace: 16 → 1 ms for 320k ops)."""
    if ops.size < 2 or bool((ops[1:] > ops[:-1]).all()):
        return ops
    if ops.size < SORT_BELOW or int(ops.min()) < 0:
        return np.unique(ops)
    span = int(ops.max()) + 1
    if ops.size * MASK_SHARE < span:
        return np.unique(ops)
    seen = np.zeros(span, dtype=bool)
    seen[ops] = True
    return np.flatnonzero(seen).astype(np.int64, copy=False)


def units_text(mask: int) -> str:
    """Render a unit bitmask as ``HMX+HVX``."""
    return "+".join(u for u, b in UNIT_BITS.items() if mask & b) or "-"


@dataclass(eq=False)
class Ranking:
    """Rows sorted by DPC descending; columns are numpy arrays of equal length."""

    level: str
    names: list[str]  # row label (kernel for instances, QNN op name, or kernel name)
    dpc: np.ndarray
    busy: np.ndarray
    instances: np.ndarray
    span: np.ndarray
    concurrency: np.ndarray
    cpp: np.ndarray  # Σ cycles ÷ Σ packets over instances that report a rate (nan if none)
    units: np.ndarray  # bitmask of UNIT_BITS (DMA for DMA ops, whatever lane they ride)
    first_ts: np.ndarray
    dpc_total: int  # the graph's path: Σ DPC over every executed op (not only the filtered ones)
    # members: trace op indices of row r are member_order[member_start[r]:member_start[r+1]]
    member_order: np.ndarray
    member_start: np.ndarray
    dpc_filtered_total: int = 0  # Σ DPC over the ops this ranking was built from (the filter)
    dpc_exact: np.ndarray | None = None  # per row: every member's DPC is a per-instance figure
    # DPC by resource (analysis/attribution.py): (rows, N_RESOURCES) for group rows, or for
    # instance rows the resource index of each row (the matrix is then built only when asked)
    res_dpc: np.ndarray | None = None
    res_of_row: np.ndarray | None = None
    dpc_absent: np.ndarray | None = None  # per row: instances whose DPC is unknown (-1)

    def __len__(self) -> int:
        return len(self.names)

    def members(self, row: int) -> np.ndarray:
        """Trace op indices belonging to a row."""
        return self.member_order[self.member_start[row] : self.member_start[row + 1]]

    def member_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Every row's ``member_order`` range ``[lo, hi)``."""
        return self.member_start[:-1], self.member_start[1:]

    def op_level_rows(self, dpc_source: np.ndarray) -> np.ndarray:
        """Per row: some member's DPC is an op-level figure of a tiled op (its per-tile split
        unknown), from the trace's ``dpc_source`` column; one pass over the members, cached."""
        cached = self.__dict__.get("_op_level_rows")
        if cached is not None and cached[0] is dpc_source:
            return cached[1]  # type: ignore[no-any-return]
        tiled = np.isin(dpc_source[self.member_order], (DPC_OP_LEVEL, DPC_SPLIT_UNKNOWN))
        before = np.zeros(len(tiled) + 1, dtype=np.int64)
        np.cumsum(tiled, out=before[1:])
        lo, hi = self.member_bounds()
        out = before[hi] > before[lo]
        self.__dict__["_op_level_rows"] = (dpc_source, out)
        return out

    def dpc_pct(self, row: int) -> float:
        """Row DPC as a percentage of the graph's path (Σ DPC over all executed ops, QHAS convention)."""
        return 100.0 * float(self.dpc[row]) / self.dpc_total if self.dpc_total else 0.0

    def filtered_pct(self, row: int) -> float:
        """Row DPC as a percentage of the filtered set's Σ DPC (a separate, labelled share)."""
        tot = self.dpc_filtered_total
        return 100.0 * float(self.dpc[row]) / tot if tot else 0.0

    def row_dpc_exact(self, row: int) -> bool:
        """Whether the row's DPC is a sum of true per-instance figures (False: op-level, tiled)."""
        return True if self.dpc_exact is None else bool(self.dpc_exact[row])

    def resource_parts(self, row: int) -> tuple[int, ...]:
        """The row's DPC split by resource (RESOURCE_KEYS order); the parts sum to its DPC."""
        if self.res_dpc is not None:
            return tuple(int(v) for v in self.res_dpc[row])
        parts = [0] * attribution.N_RESOURCES
        if self.res_of_row is not None:
            parts[int(self.res_of_row[row])] = int(self.dpc[row])
        else:
            parts[attribution.R_OTHER] = int(self.dpc[row])
        return tuple(parts)

    def resource_column(self, k: int) -> np.ndarray:
        """DPC of resource ``k`` for every row (sorting, exports)."""
        if self.res_dpc is not None:
            return self.res_dpc[:, k]
        if self.res_of_row is None:
            return self.dpc if k == attribution.R_OTHER else np.zeros_like(self.dpc)
        return np.where(self.res_of_row == k, self.dpc, 0)

    def absent(self, row: int) -> int:
        """Instances of the row with unknown DPC (in no part, counted 0 in the row's DPC)."""
        return 0 if self.dpc_absent is None else int(self.dpc_absent[row])

    @property
    def parallelism(self) -> np.ndarray:
        """busy / span per row (1.0 = serial; >1 = instances overlapped)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.span > 0, self.busy / np.maximum(self.span, 1), 0.0)

    @cached_property
    def op_rows(self) -> np.ndarray:
        """Row of every trace op (-1 for ops outside the ranking), indexed by op."""
        n = int(self.member_order.max()) + 1 if self.member_order.size else 0
        rows = np.full(n, -1, dtype=np.int64)
        counts = np.diff(self.member_start)
        rows[self.member_order] = np.repeat(np.arange(len(self), dtype=np.int64), counts)
        return rows

    @cached_property
    def row_of_name(self) -> dict[str, int]:
        """Row of each name (the first row, for instance-level names that repeat)."""
        out: dict[str, int] = {}
        for r, name in enumerate(self.names):
            out.setdefault(name, r)
        return out

    def row_of_op(self, op_index: int) -> int | None:
        """The row containing trace op ``op_index`` (O(1) after the first call)."""
        rows = self.op_rows
        if not 0 <= op_index < rows.size or rows[op_index] < 0:
            return None
        return int(rows[op_index])

    def members_of_name(self, name: str) -> np.ndarray:
        """Trace op indices of the row called ``name`` (empty when there is none)."""
        r = self.row_of_name.get(name)
        return self.members(r) if r is not None else np.zeros(0, dtype=np.int64)

    def sorted_by(self, key: str, descending: bool = True) -> np.ndarray:
        """Row order for a sort key (dpc, busy, instances, span, parallelism, cpp, name, first),
        computed once per (key, direction) and read-only (a level switch back, a re-sort, a filter
        cleared: no new argsort of a million-row instance ranking)."""
        cache = self.__dict__.setdefault("_sort_orders", {})
        ck = (key, descending)
        order = cache.get(ck)
        if order is None:
            order = self._sorted_by(key, descending)
            order.setflags(write=False)
            cache[ck] = order
        return order  # type: ignore[no-any-return]

    def _sorted_by(self, key: str, descending: bool) -> np.ndarray:
        if key == "name":
            order = np.array(sorted(range(len(self)), key=lambda r: self.names[r]), dtype=np.int64)
            return order[::-1] if descending else order
        col = {
            "dpc": self.dpc,
            "busy": self.busy,
            "instances": self.instances,
            "span": self.span,
            "parallelism": self.parallelism,
            "cpp": np.nan_to_num(self.cpp, nan=-1.0),
            "first": self.first_ts,
        }.get(key)
        if col is None and key.startswith("res_") and key[4:] in attribution.RESOURCE_KEYS:
            col = self.resource_column(attribution.RESOURCE_KEYS.index(key[4:]))
        if col is None:
            raise KeyError(key)
        order = np.argsort(col, kind="stable")
        return order[::-1] if descending else order


def rank(trace: OpTrace, level: str = "qnn_op", mask: np.ndarray | None = None) -> Ranking:
    """Build a :class:`Ranking` of the executed ops (optionally only those in ``mask``)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS} (structure: analysis.structure.rank)")
    idx = np.arange(len(trace)) if mask is None else np.flatnonzero(mask)
    dpc_all, graph_path, known, units_all, res_all = op_figures(trace)
    if level == "instance":
        order = idx[np.lexsort((trace.ts[idx], -dpc_all[idx]))]
        cpp = trace.cpp[order].astype(np.float64)
        return Ranking(
            level=level,
            names=[trace.strings.names[k] for k in trace.kernel[order].tolist()],
            dpc=dpc_all[order],
            busy=trace.dur[order].copy(),
            instances=np.ones(order.size, dtype=np.int64),
            span=trace.dur[order].copy(),
            concurrency=np.ones(order.size, dtype=np.int64),
            cpp=cpp,
            units=units_all[order],
            first_ts=trace.ts[order].copy(),
            dpc_total=graph_path,
            member_order=order,
            member_start=np.arange(order.size + 1, dtype=np.int64),
            dpc_filtered_total=int(dpc_all[idx].sum()),
            dpc_exact=known[order],
            res_of_row=res_all[order],
            dpc_absent=(trace.dpc[order] < 0).astype(np.int64),
        )

    # every op (no mask): read the columns as they are, no gather through an arange
    def take(col: np.ndarray) -> np.ndarray:
        return col if mask is None else col[idx]

    all_keys, all_groups = level_groups(trace, level)
    if mask is None:
        uniq, inverse = all_keys, all_groups
        count = np.bincount(inverse, minlength=uniq.size).astype(np.int64)
    else:  # the groups the filtered ops fall in, renumbered 0..n-1 in key order (as np.unique)
        groups = all_groups[idx]
        count = np.bincount(groups, minlength=all_keys.size)
        present = count > 0
        renumber = np.cumsum(present) - 1
        uniq, inverse, count = all_keys[present], renumber[groups], count[present].astype(np.int64)
    n = uniq.size
    ts, end, dur, d_idx = take(trace.ts), take(trace.end), take(trace.dur), take(dpc_all)
    dpc = np.bincount(inverse, weights=d_idx, minlength=n).astype(np.int64)
    busy = np.bincount(inverse, weights=dur, minlength=n).astype(np.int64)
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, inverse, ts)
    np.maximum.at(last, inverse, end)
    cpp = group_cpp(take(trace.cpp), dur, inverse, n)
    units = np.zeros(n, dtype=np.int64)
    if idx.size:
        np.bitwise_or.at(units, inverse, take(units_all))
    unknown = np.bincount(inverse, weights=~take(known), minlength=n)
    conc = grouped_max_concurrency(inverse, ts, end, n)
    res = attribution.group_split(inverse, d_idx, take(res_all), n)
    absent = np.bincount(inverse, weights=take(trace.dpc) < 0, minlength=n).astype(np.int64)
    row_order = np.lexsort((first, -dpc))
    table = trace.strings.names
    # members grouped by row, in time order inside a row
    rank_of_group = np.empty(n, dtype=np.int64)
    rank_of_group[row_order] = np.arange(n)
    member_rows = rank_of_group[inverse]
    if ts.size < 2 or bool(np.all(ts[1:] >= ts[:-1])):
        # ops in time order (the loader sorts them so): a stable sort by row keeps it inside
        # each row, as the lexsort below; rows fit int16 on most levels, where numpy radix-sorts
        morder = np.argsort(member_rows.astype(np.int16) if n < 1 << 15 else member_rows,
                            kind="stable")  # fmt: skip
    else:
        morder = np.lexsort((ts, member_rows))
    member_order = morder if mask is None else idx[morder]
    member_start = np.concatenate([[0], np.cumsum(count[row_order])]).astype(np.int64)
    return Ranking(
        level=level,
        names=[table[k] or "(none)" for k in uniq[row_order].tolist()],
        dpc=dpc[row_order],
        busy=busy[row_order],
        instances=count[row_order],
        span=(last - first)[row_order],
        concurrency=conc[row_order],
        cpp=cpp[row_order],
        units=units[row_order],
        first_ts=first[row_order],
        dpc_total=graph_path,
        member_order=member_order,
        member_start=member_start,
        dpc_filtered_total=graph_path if mask is None else int(d_idx.sum()),
        dpc_exact=(unknown == 0)[row_order],
        res_dpc=res[row_order],
        dpc_absent=absent[row_order],
    )


def op_figures(trace: OpTrace) -> tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]:
    """The whole-trace per-op inputs of every ranking, computed once per trace (and again only
    when a column they read is replaced): DPC clamped at 0, its sum (the graph's path), whether
    each DPC is known, the unit bits and the resource index of every op."""

    def compute() -> tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]:
        dpc_all = np.maximum(trace.dpc, 0)
        return (dpc_all, int(dpc_all.sum()), known_mask(trace), op_units(trace),
                attribution.op_resources(trace))  # fmt: skip

    inputs = (trace.dpc, trace.dpc_source, trace.flags, trace.lane, trace.lanes)
    return trace.derived("ranking.op_figures", inputs, compute)


def op_units(trace: OpTrace) -> np.ndarray:
    """UNIT_BITS per op: DMA for DMA transfers, sets and waits (on whatever lane), else the lane's unit."""
    lane_units = np.array([UNIT_BITS.get(ln.unit, 8) for ln in trace.lanes] or [8], dtype=np.int64)
    out = lane_units[trace.lane] if len(trace) else np.zeros(0, np.int64)
    dma = (trace.flags & (FLAG_DMA | FLAG_DMA_SET | FLAG_DMA_WAIT)) != 0
    return np.where(dma, UNIT_BITS["DMA"], out)


def level_groups(trace: OpTrace, level: str) -> tuple[np.ndarray, np.ndarray]:
    """The distinct row keys of ``level`` (``qnn_op`` or ``kernel`` string ids, ascending) and
    every op's position among them, computed once per key column: a filtered ranking takes its
    groups from these instead of sorting its ops again."""
    col = trace.qnn_op if level == "qnn_op" else trace.kernel

    def compute() -> tuple[np.ndarray, np.ndarray]:
        uniq, inverse = np.unique(col, return_inverse=True)
        return uniq, inverse.reshape(-1).astype(np.int64, copy=False)

    return trace.derived(f"ranking.groups.{level}", (col,), compute)


def group_cpp(cpp: np.ndarray, dur: np.ndarray, inverse: np.ndarray, n: int) -> np.ndarray:
    """Cycles per packet of each group: Σ cycles ÷ Σ packets (packets = dur / cpp where cpp > 0).

    Groups whose instances all report 0 cycles/packet get 0; groups with no rate at all get nan.
    """
    vals = cpp.astype(np.float64)
    finite = np.isfinite(vals)
    pos = finite & (vals > 0)
    # zeros where no rate: adding 0.0 leaves every float sum exactly as a gather would
    packets = np.where(pos, dur / np.where(pos, vals, 1.0), 0.0)
    cyc = np.bincount(inverse, weights=np.where(pos, dur, 0).astype(np.float64), minlength=n)
    pk = np.bincount(inverse, weights=packets, minlength=n)
    zero = np.bincount(inverse, weights=finite & (vals == 0), minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(pk > 0, cyc / np.maximum(pk, 1e-300), np.nan)
    return np.where((pk <= 0) & (zero > 0), 0.0, out)
