"""Findings: rules that tell the engineer what is wrong with a run, each with the numbers behind it.

Every rule is a pure function ``rule(opt, config) -> Iterator[Finding]`` over a loaded
:class:`~htptui.model.run.Run`; :func:`run_all` runs them all and sorts the result most severe
first, then by impact (cycles of graph wall at stake). Conventions follow the profiling guide: the
graph wall is the span of the executed ops, a unit's real time is its busiest lane (domain = max, never
the sum), summed busy cycles are work volume, and a single cold trace is read for structure only.

Severity of a rule with a measurable cost is its impact as a share of the graph wall:
``high`` ≥ :attr:`FindingsConfig.high_share`, ``medium`` ≥ :attr:`FindingsConfig.medium_share`,
``low`` below; ``info`` marks caveats that cost nothing by themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from htptui.analysis import intervals, summary
from htptui.analysis.reach import Reachability
from htptui.analysis.run import analysis_of
from htptui.model.chrometrace import (
    FLAG_DMA_SET,
    FLAG_DMA_WAIT,
    FLAG_HMX,
    FLAG_HVX,
    FLAG_SYNC,
    OpTrace,
)
from htptui.model.htp_graph import HtpGraph
from htptui.model.run import Run

SEVERITIES = ("high", "medium", "low", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
Evidence = dict[str, float | int | str]
CONTROL_FLAGS = FLAG_DMA_SET | FLAG_DMA_WAIT | FLAG_SYNC  # waits, checkpoints, syncs: no real work


@dataclass(frozen=True)
class Finding:
    """One problem found in a run: what, how bad, what to do, and the numbers that show it."""

    rule: str
    severity: str  # "high" | "medium" | "low" | "info"
    title: str
    advice: str  # one sentence
    evidence: Evidence = field(default_factory=dict)
    ops: tuple[int, ...] = ()  # trace op indices concerned
    qnn_ops: tuple[str, ...] = ()
    # cycles of graph wall at stake (0 when not measurable); orders findings within a severity
    impact: float = 0.0

    def op_refs(self, trace: OpTrace | None, limit: int | None = None) -> list[dict[str, Any]]:
        """The ops concerned, named by ID, kernel and QNN op (never only an internal index)."""
        if trace is None:
            return []
        ops = self.ops if limit is None else self.ops[:limit]
        return [
            {
                "id": trace.op_id_str(i),
                "kernel": trace.kernel_name(i),
                "qnn_op": trace.qnn_op_name(i),
                "lane": trace.lane_of(i).label,
                "ts": int(trace.ts[i]),
            }
            for i in ops
            if 0 <= i < len(trace)
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of this finding."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "title": self.title,
            "advice": self.advice,
            "evidence": dict(self.evidence),
            "ops": list(self.ops),
            "qnn_ops": list(self.qnn_ops),
            "impact": self.impact,
        }


@dataclass(frozen=True)
class FindingsConfig:
    """Thresholds of the rules (defaults are documented beside each field)."""

    high_share: float = 0.20  # impact ≥ 20 % of the graph wall → high
    medium_share: float = 0.05  # impact ≥ 5 % of the graph wall → medium, else low
    overlap_max_pct: float = (
        10.0  # HVX∥HMX (or branch) overlap below 10 % of the smaller side = serial
    )
    serial_min_share: float = (
        0.01  # ignore serialisations whose hideable cycles are < 1 % of the wall
    )
    branch_max_ops: int = 200  # branch check looks at the busiest 200 QNN ops only
    boundary_share: float = 0.10  # boundary ops + DMA waits on the dominant path ≥ 10 % of the wall
    unit_bound_ratio: float = (
        1.0  # HVX glue domain > 1.0 × HMX domain within one HMX op → HVX-bound
    )
    unit_bound_min_share: float = 0.01  # ... and the excess is ≥ 1 % of the wall
    packet_factor: float = 3.0  # cycles/packet ≥ 3 × the reference median → inefficient
    packet_min_cycles: int = 200  # only instances of ≥ 200 cycles are judged
    packet_min_group: int = 3  # a median needs ≥ 3 instances
    packet_max_kernels: int = 5  # one finding per kernel, for the 5 kernels with most excess cycles
    packet_max_ops: int = 1000  # instances attached to a finding (worst first) for selection
    dispatch_ratio: float = 2.0  # QNN accelerator µs ≥ 2 × Accelerator µs → dispatch overhead
    idle_share: float = 0.05  # accumulated idle on the dominant path ≥ 5 % of the wall
    idle_top: int = 3  # name the 3 longest bubbles
    # a QNN op moving ≥ 16 DRAM bytes per busy cycle (≈ 22 GB/s at 1.4 GHz, the order of the HTP's
    # DDR share) or ≥ 256 VTCM bytes per cycle (two 128-byte HVX vector accesses every cycle) is
    # memory-bound; below both it is compute-bound
    dram_bytes_per_cycle: float = 16.0
    vtcm_bytes_per_cycle: float = 256.0
    memory_min_cycles: int = 100  # QNN ops with < 100 working cycles get no verdict
    warm_clock_factor: float = 1.2  # warm clock ≥ 1.2 × the trace's clock → cold-trace finding
    shape_max_elements: int = (
        16  # static tensors this small (or with a 0 dim) are shape/scalar constants
    )
    max_listed: int = 8  # names listed in one finding's evidence


# --- helpers -------------------------------------------------------------------------------------


def _r(x: float, nd: int = 2) -> float:
    return round(float(x), nd)


def _severity(impact: float, wall: float, cfg: FindingsConfig) -> str:
    share = impact / wall if wall else 0.0
    if share >= cfg.high_share:
        return "high"
    if share >= cfg.medium_share:
        return "medium"
    return "low"


def _pct(part: float, whole: float) -> float:
    return _r(100.0 * part / whole) if whole else 0.0


def _on_unit(trace: OpTrace, unit: str) -> np.ndarray:
    """Whether each op ran on a lane of ``unit`` (compared once per lane, not once per op)."""

    def compute() -> np.ndarray:
        lane_is = np.array([ln.unit == unit for ln in trace.lanes] or [False])
        return lane_is[trace.lane] if len(trace) else np.zeros(0, dtype=bool)

    return trace.derived(f"findings.on_unit.{unit}", (trace.lane, trace.lanes), compute)


def _qnn_groups(
    trace: OpTrace, mask: np.ndarray, only: set[str] | None = None
) -> dict[str, np.ndarray]:
    """Op indices per QNN op name among the masked ops, in first-start order (only the names in
    ``only``, when given: the rules' vectorised prefilters leave a few of thousands)."""
    if only is not None and not only:
        return {}
    idx = np.flatnonzero(mask)
    if not idx.size:
        return {}
    keys = trace.qnn_op[idx]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    bounds = np.r_[starts, sorted_keys.size]
    firsts = idx[order[starts]]  # stable sort: a group's first member is its first occurrence
    names = trace.strings.names
    out: dict[str, np.ndarray] = {}
    for g in np.argsort(firsts, kind="stable").tolist():
        name = names[int(sorted_keys[starts[g]])]
        if only is None or name in only:
            out[name] = idx[order[bounds[g] : bounds[g + 1]]]
    return out


def _serial_candidates(
    trace: OpTrace, mask: np.ndarray, wall: int, cfg: FindingsConfig
) -> set[str]:
    """QNN ops whose HVX and HMX-compute work might be serialised (one vectorised pass; the rule
    then checks each candidate exactly)."""
    idx = np.flatnonzero(mask)
    if not idx.size or not wall:
        return set()
    uniq, inv = np.unique(trace.qnn_op[idx], return_inverse=True)
    n = uniq.size
    hv = _on_unit(trace, "HVX")[idx]
    hm = _on_unit(trace, "HMX")[idx] & ((trace.flags[idx] & FLAG_HMX) != 0)
    ts, end = trace.ts[idx], trace.end[idx]
    both = hv | hm
    uv = intervals.grouped_union_length(inv[hv], ts[hv], end[hv], n)
    um = intervals.grouped_union_length(inv[hm], ts[hm], end[hm], n)
    ua = intervals.grouped_union_length(inv[both], ts[both], end[both], n)
    ov = uv + um - ua
    small = np.minimum(uv, um)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(small > 0, 100.0 * ov / np.maximum(small, 1), 0.0)
    has = (np.bincount(inv[hv], minlength=n) > 0) & (np.bincount(inv[hm], minlength=n) > 0)
    keep = has & (pct < cfg.overlap_max_pct) & ((small - ov) / wall >= cfg.serial_min_share)
    names = trace.strings.names
    return {names[int(k)] for k in uniq[keep]}


def _unit_bound_candidates(
    trace: OpTrace, mask: np.ndarray, wall: int, cfg: FindingsConfig
) -> set[str]:
    """QNN ops whose busiest HVX lane may exceed their HMX lane (vectorised prefilter)."""
    idx = np.flatnonzero(mask)
    if not idx.size or not wall:
        return set()
    uniq, inv = np.unique(trace.qnn_op[idx], return_inverse=True)
    n, nl = uniq.size, max(len(trace.lanes), 1)
    cell = inv.astype(np.int64) * nl + trace.lane[idx].astype(np.int64)
    busy = np.bincount(cell, weights=trace.dur[idx], minlength=n * nl).reshape(n, nl)
    count = np.bincount(cell, minlength=n * nl).reshape(n, nl)
    lane_unit = np.array([ln.unit for ln in trace.lanes] or ["?"])
    hvx_l, hmx_l = lane_unit == "HVX", lane_unit == "HMX"
    hv = busy[:, hvx_l].max(axis=1) if hvx_l.any() else np.zeros(n)
    hm = busy[:, hmx_l].max(axis=1) if hmx_l.any() else np.zeros(n)
    has = (
        (np.bincount(inv, weights=(trace.flags[idx] & FLAG_HMX) != 0, minlength=n) > 0)
        & (count[:, hvx_l].sum(axis=1) > 0)
        & (count[:, hmx_l].sum(axis=1) > 0)
    )
    keep = has & ~(hv <= cfg.unit_bound_ratio * hm) & ((hv - hm) / wall >= cfg.unit_bound_min_share)
    names = trace.strings.names
    return {names[int(k)] for k in uniq[keep]}


def _names(ops: Iterable[int], trace: OpTrace) -> tuple[str, ...]:
    """QNN op names of some ops, unique, in the order the ops are given."""
    idx = np.fromiter(ops, dtype=np.int64) if not isinstance(ops, np.ndarray) else ops
    if not idx.size:
        return ()
    ids, first = np.unique(trace.qnn_op[idx], return_index=True)
    names = trace.strings.names
    return tuple(names[int(ids[k])] for k in np.argsort(first, kind="stable"))


def _span_end(trace: OpTrace, idx: np.ndarray) -> tuple[int, int]:
    return int(trace.ts[idx].min()), int(trace.end[idx].max())


def _cores(trace: OpTrace) -> list[int]:
    return summary.cores(trace) or [0]


# --- rules ---------------------------------------------------------------------------------------


def serialisation(opt: Run, cfg: FindingsConfig) -> Iterator[Finding]:
    """HVX and HMX (per core and within each QNN op), or independent branches, that ran back to back."""
    t = opt.trace
    if t is None or not len(t):
        return
    end = t.end
    for core in _cores(t):
        cs = analysis_of(opt).core_summary(core)
        wall = cs.wall
        cm = summary.core_mask(t, core)
        hvx = cm & _on_unit(t, "HVX")
        hmx_c = cm & _on_unit(t, "HMX") & ((t.flags & FLAG_HMX) != 0)
        if cs.hvx_union and cs.hmx_union and cs.overlap_pct < cfg.overlap_max_pct:
            hideable = min(cs.hvx_union, cs.hmx_union) - cs.hvx_hmx_overlap
            if wall and hideable / wall >= cfg.serial_min_share:
                ops = tuple(np.flatnonzero(hvx | hmx_c).tolist())
                yield Finding(
                    rule="serialisation",
                    severity=_severity(hideable, wall, cfg),
                    title=(
                        f"HVX and HMX ran back to back on core {core}: "
                        f"{cs.overlap_pct:.2f} % overlap"
                    ),
                    advice=(
                        "Pipeline the HVX work (format changes, glue) against HMX compute, e.g. by "
                        "tiling the op so one tile's HVX runs while another's HMX does."
                    ),
                    evidence={
                        "core": core,
                        "graph wall (cycles)": wall,
                        "HVX busy union (cycles)": cs.hvx_union,
                        "HMX compute busy union (cycles)": cs.hmx_union,
                        "HVX∥HMX overlap (cycles)": cs.hvx_hmx_overlap,
                        "overlap % of the smaller unit": _r(cs.overlap_pct),
                        "hideable cycles (smaller unit − overlap)": hideable,
                        "hideable % of wall": _pct(hideable, wall),
                    },
                    ops=ops,
                    qnn_ops=_names(np.flatnonzero(hvx), t),
                    impact=float(hideable),
                )
        candidates = _serial_candidates(t, hvx | hmx_c, wall, cfg)
        for name, idx in _qnn_groups(t, hvx | hmx_c, candidates).items():
            hv = idx[_on_unit(t, "HVX")[idx]]
            hm = idx[_on_unit(t, "HMX")[idx] & ((t.flags[idx] & FLAG_HMX) != 0)]
            if not hv.size or not hm.size:
                continue
            uv = intervals.union_length(t.ts[hv], end[hv])
            um = intervals.union_length(t.ts[hm], end[hm])
            ov = intervals.intersection_length(t.ts[hv], end[hv], t.ts[hm], end[hm])
            pct = 100.0 * ov / min(uv, um) if min(uv, um) else 0.0
            hideable = min(uv, um) - ov
            if pct >= cfg.overlap_max_pct or not wall or hideable / wall < cfg.serial_min_share:
                continue
            v0, v1 = _span_end(t, hv)
            m0, m1 = _span_end(t, hm)
            if v1 <= m0:
                order, gap = "all HVX work finished before HMX started", m0 - v1
            elif m1 <= v0:
                order, gap = "all HMX work finished before HVX started", v0 - m1
            else:
                order, gap = "HVX and HMX alternated without overlapping", 0
            yield Finding(
                rule="serialisation",
                severity=_severity(hideable, wall, cfg),
                title=f"{name}: {order} ({pct:.2f} % overlap, gap {gap:,} cycles)",
                advice=(
                    "Split the op into tiles so its HVX stage of one tile overlaps the HMX stage of "
                    "the next, or move the HVX format change out of the critical path."
                ),
                evidence={
                    "QNN op": name,
                    "HVX busy union (cycles)": uv,
                    "HMX compute busy union (cycles)": um,
                    "overlap (cycles)": ov,
                    "overlap % of the smaller unit": _r(pct),
                    "gap between them (cycles)": gap,
                    "hideable cycles": hideable,
                    "hideable % of wall": _pct(hideable, wall),
                },
                ops=tuple(np.sort(np.concatenate([hv, hm])).tolist()),
                qnn_ops=(name,),
                impact=float(hideable),
            )
        yield from _serial_branches(opt, cfg, core, cm, wall)


def _qnn_reachability(opt: Run, names: list[str]) -> dict[str, set[str]] | None:
    """QNN op → the QNN ops of ``names`` it (transitively) depends on, from the compiled graph
    (its QNN-op edges come from the run's one QNN-op DAG)."""
    dag = analysis_of(opt).qnn_dag()
    if dag is None:
        return None
    return Reachability(list(dag.edges), names).ancestors_among(names)


def _closure(direct: Mapping[str, Iterable[str]]) -> Reachability:
    """Reachability of a dependency map (node → what it depends on); iterative, tolerates cycles."""
    return Reachability((p, n) for n, ps in direct.items() for p in ps)


def _serial_branches(
    opt: Run, cfg: FindingsConfig, core: int, cm: np.ndarray, wall: int
) -> Iterator[Finding]:
    """Independent QNN ops (no path between them in the compiled graph) whose busy times never overlap."""
    t = opt.trace
    if t is None or opt.graph is None or not wall:
        return
    work = cm & ((t.flags & CONTROL_FLAGS) == 0)
    groups = _qnn_groups(t, work)
    in_graph = {n.grouping for n in opt.graph.nodes.values()}
    busy = {k: int(t.dur[v].sum()) for k, v in groups.items() if k in in_graph}
    names = sorted(busy, key=lambda k: -busy[k])[: cfg.branch_max_ops]
    reach = _qnn_reachability(opt, names) or {}
    pairs: list[tuple[int, str, str, int]] = []
    n_indep = 0
    for a_i, a in enumerate(names):
        ia = groups[a]
        for b in names[a_i + 1 :]:
            if b in reach.get(a, ()) or a in reach.get(b, ()):
                continue
            n_indep += 1
            ib = groups[b]
            ua = intervals.union_length(t.ts[ia], t.end[ia])
            ub = intervals.union_length(t.ts[ib], t.end[ib])
            ov = intervals.intersection_length(t.ts[ia], t.end[ia], t.ts[ib], t.end[ib])
            small = min(ua, ub)
            if small and 100.0 * ov / small < cfg.overlap_max_pct:
                pairs.append((small - ov, a, b, ov))
    if not pairs:
        return
    pairs.sort(reverse=True)
    hideable = pairs[0][0]
    if hideable / wall < cfg.serial_min_share:
        return
    ev: Evidence = {
        "core": core,
        "independent QNN-op pairs": n_indep,
        "pairs that never overlapped": len(pairs),
    }
    for k, (h, a, b, _ov) in enumerate(pairs[: cfg.max_listed], 1):
        ev[f"pair {k}"] = f"{a} / {b}"
        ev[f"pair {k} hideable cycles"] = h
    _, a, b, _ = pairs[0]
    ops = tuple(np.sort(np.concatenate([groups[a], groups[b]])).tolist())
    yield Finding(
        rule="serialisation",
        severity=_severity(hideable, wall, cfg),
        title=f"{len(pairs)} independent branch pair(s) ran back to back, e.g. {a} and {b}",
        advice=(
            "These QNN ops share no data path yet never overlapped: look for a false dependency "
            "(a deduplicated shared constant or scratch buffer) or a resource both need."
        ),
        evidence=ev,
        ops=ops,
        qnn_ops=tuple(dict.fromkeys(x for p in pairs[: cfg.max_listed] for x in p[1:3])),
        impact=float(hideable),
    )


def boundary_tax(opt: Run, cfg: FindingsConfig) -> Iterator[Finding]:
    """Spill/Fill/Concat/ForceFormat and DMA-wait cycles on the dominant path above a share of the wall."""
    t = opt.trace
    if t is None or not len(t):
        return
    bmask = summary.boundary_kernel_mask(t)[t.kernel]
    wait = (t.flags & FLAG_DMA_WAIT) != 0
    for core in _cores(t):
        cs = analysis_of(opt).core_summary(core)
        b = cs.boundary
        if not cs.wall or b.total_dpc / cs.wall < cfg.boundary_share:
            continue
        ev: Evidence = {
            "core": core,
            "graph wall (cycles)": cs.wall,
            "on the dominant path (cycles)": b.total_dpc,
            "on the dominant path % of wall": _r(b.pct(b.total_dpc)),
            "busy, work volume summed over lanes (cycles)": b.total_busy,
            "busy % of Σ busy": _pct(b.total_busy, cs.busy_sum),
        }
        for cat, (n, _busy, dpc) in sorted(b.by_category.items(), key=lambda kv: -kv[1][2]):
            ev[f"{cat} ops"] = n
            ev[f"{cat} on path (cycles)"] = dpc
        if b.dma_wait_ops:
            ev["DMA wait ops"] = b.dma_wait_ops
            ev["DMA wait on path (cycles)"] = b.dma_wait_dpc
        idx = np.flatnonzero(summary.core_mask(t, core) & (bmask | wait))
        top = (
            max(b.by_category.items(), key=lambda kv: kv[1][2])[0] if b.by_category else "DMA wait"
        )
        yield Finding(
            rule="boundary_tax",
            severity=_severity(b.total_dpc, cs.wall, cfg),
            title=(
                f"Boundary tax: {b.pct(b.total_dpc):.2f} % of the wall is format changes, "
                f"spills/fills and DMA waits (mostly {top})"
            ),
            advice=(
                "Keep tensors in one layout and resident in VTCM across op boundaries (fuse ops, "
                "choose formats the next op consumes, shrink batched handoffs that spill to DDR)."
            ),
            evidence=ev,
            ops=tuple(np.asarray(idx).tolist()),
            qnn_ops=_names(idx, t),
            impact=float(b.total_dpc),
        )


def unit_bound(opt: Run, cfg: FindingsConfig) -> Iterator[Finding]:
    """HMX ops whose HVX glue domain (busiest HVX lane within the op) exceeds their HMX domain."""
    t = opt.trace
    if t is None or not len(t):
        return
    for core in _cores(t):
        cm = summary.core_mask(t, core)
        wall = analysis_of(opt).core_summary(core).wall
        candidates = _unit_bound_candidates(t, cm, wall, cfg)
        for name, idx in _qnn_groups(t, cm, candidates).items():
            if not ((t.flags[idx] & FLAG_HMX) != 0).any():
                continue
            lanes_of, inverse = np.unique(t.lane[idx], return_inverse=True)
            sums = np.bincount(inverse, weights=t.dur[idx]).astype(np.int64)
            busy_by_lane = dict(zip(lanes_of.tolist(), sums.tolist(), strict=True))
            hvx = {ln: b for ln, b in busy_by_lane.items() if t.lanes[ln].unit == "HVX"}
            hmx = {ln: b for ln, b in busy_by_lane.items() if t.lanes[ln].unit == "HMX"}
            if not hvx or not hmx:
                continue
            hv_lane, hv = max(hvx.items(), key=lambda kv: kv[1])
            hm_lane, hm = max(hmx.items(), key=lambda kv: kv[1])
            # HMX thread busy includes the DMA ops riding the HMX thread (v2.45); HMX compute
            # counts uses_hmx ops only (trap 20: two named figures, never one for the other)
            hm_compute = int(
                t.dur[idx[(t.lane[idx] == hm_lane) & ((t.flags[idx] & FLAG_HMX) != 0)]].sum()
            )
            excess = hv - hm
            if (
                hv <= cfg.unit_bound_ratio * hm
                or not wall
                or excess / wall < cfg.unit_bound_min_share
            ):
                continue
            sel = idx[_on_unit(t, "HVX")[idx]]
            yield Finding(
                rule="unit_bound",
                severity=_severity(excess, wall, cfg),
                title=(
                    f"{name} is HVX-bound: HVX glue domain {hv:,} cycles vs HMX thread busy {hm:,} "
                    f"({hv / hm:.2f}×)"
                ),
                advice=(
                    "Cut the HVX glue (format changes, quantise/requantise, layout shuffles) or spread "
                    "it over more HVX threads: overlapping it with HMX saves nothing while it is the "
                    "longer domain."
                ),
                evidence={
                    "QNN op": name,
                    "HVX domain (busiest HVX lane, cycles)": hv,
                    "busiest HVX lane": t.lanes[hv_lane].label,
                    "HVX lanes used": len(hvx),
                    "HMX thread busy (cycles, incl. DMA on the HMX thread)": hm,
                    "HMX compute (uses_hmx ops, cycles)": hm_compute,
                    "HVX ÷ HMX thread busy": _r(hv / hm),
                    "excess over HMX (cycles)": excess,
                    "excess % of wall": _pct(excess, wall),
                },
                ops=tuple(np.asarray(sel).tolist()),
                qnn_ops=(name,),
                impact=float(excess),
            )


def packet_efficiency(opt: Run, cfg: FindingsConfig) -> Iterator[Finding]:
    """Kernels with instances whose cycles per packet are far above the kernel's (or native) median.

    One finding per kernel (the worst instance's numbers, plus how many instances and how many
    cycles are at stake), for the ``packet_max_kernels`` kernels with the most excess cycles.
    """
    t = opt.trace
    if t is None or not len(t):
        return
    cpp = t.cpp.astype(np.float64)
    eligible = np.isfinite(cpp) & (cpp > 0) & ((t.flags & CONTROL_FLAGS) == 0)
    compute = (t.flags & (FLAG_HMX | FLAG_HVX)) != 0
    names = t.strings.names
    native_name = np.fromiter((n.startswith("q::") for n in names), dtype=bool, count=len(names))
    native = native_name[t.kernel]
    kernels_e = t.kernel[eligible]
    order = np.argsort(kernels_e, kind="stable")
    uniq, starts, counts = np.unique(kernels_e[order], return_index=True, return_counts=True)
    vals_sorted = cpp[eligible][order]
    # per kernel id, then spread to the ops by one lookup (not one full-trace pass per kernel)
    k_ref = np.full(len(names) or 1, np.nan)
    k_n = np.zeros(len(names) or 1, dtype=np.int64)
    for k, a0, n in zip(uniq.tolist(), starts.tolist(), counts.tolist(), strict=True):
        if n >= cfg.packet_min_group:
            k_ref[k] = float(np.median(vals_sorted[a0 : a0 + n]))
            k_n[k] = n
    ref = k_ref[t.kernel]
    ref_n = k_n[t.kernel]
    # 1 = own kernel's median, 2 = native unit median
    ref_kind = (ref_n > 0).astype(np.int8)
    for unit in ("HMX", "HVX"):
        on_unit = _on_unit(t, unit)
        pool = eligible & compute & native & on_unit
        if int(pool.sum()) >= cfg.packet_min_group:
            fill = compute & on_unit & (ref_kind == 0)
            ref[fill] = float(np.median(cpp[pool]))
            ref_n[fill] = int(pool.sum())
            ref_kind[fill] = 2
    with np.errstate(invalid="ignore"):
        outlier = (
            eligible
            & (t.dur >= cfg.packet_min_cycles)
            & (ref > 0)
            & (cpp >= cfg.packet_factor * ref)
        )
    idx = np.flatnonzero(outlier)
    if not idx.size:
        return
    excess = t.dur[idx] * (1.0 - ref[idx] / cpp[idx])
    wall = summary.graph_wall(t)
    groups: dict[int, np.ndarray] = {}
    for k in np.unique(t.kernel[idx]).tolist():
        groups[k] = np.flatnonzero(t.kernel[idx] == k)
    ranked = sorted(groups.items(), key=lambda kv: -float(excess[kv[1]].sum()))[
        : cfg.packet_max_kernels
    ]
    for k, members in ranked:
        members = members[np.argsort(-excess[members], kind="stable")]
        worst = int(idx[members[0]])
        med, n = float(ref[worst]), int(ref_n[worst])
        basis = (
            f"median of {n} {names[k]} instances"
            if ref_kind[worst] == 1
            else f"median of {n} native {t.lanes[int(t.lane[worst])].unit} compute instances"
        )
        ratio = cpp[worst] / med
        total = float(excess[members].sum())
        qnn = t.qnn_op_name(worst)
        count = int(members.size)
        if count == 1:
            title = f"{names[k]} in {qnn} ran at {cpp[worst]:.2f} cycles/packet, {ratio:.2f}× the {basis}"
        else:
            title = (
                f"{count} {names[k]} instances ran ≥ {cfg.packet_factor:g}× the {basis} in cycles/packet "
                f"(worst {cpp[worst]:.2f} in {qnn}, {ratio:.2f}×)"
            )
        ops = tuple(idx[members[: cfg.packet_max_ops]].tolist())
        yield Finding(
            rule="packet_efficiency",
            severity=_severity(total, wall, cfg),
            title=title,
            advice=(
                "Find what stalls these instances (cold DMA or cache, scalar code, accumulator chains, "
                "a poor tile shape): at the median rate they would take far fewer cycles."
            ),
            evidence={
                "kernel": names[k],
                "QNN op": qnn,
                "lane": t.lane_of(worst).label,
                "cycles per packet": _r(cpp[worst]),
                "reference median cycles per packet": _r(med),
                "reference": basis,
                "ratio": _r(ratio),
                "cycles": int(t.dur[worst]),
                "excess cycles at the median rate": int(round(float(excess[members[0]]))),
                "outlier instances": count,
                "total excess cycles": int(round(total)),
            },
            ops=ops,
            qnn_ops=tuple(dict.fromkeys(t.qnn_op_name(i) for i in ops[: cfg.max_listed])),
            impact=_r(total, 1),
        )


def dispatch_overhead(opt: Run, cfg: FindingsConfig) -> Iterator[Finding]:
    """Full-graph wall (QNN accelerator µs) far above compute (Accelerator µs): per-op dispatch overhead."""
    prof = opt.profile
    ex = prof.first_execute if prof is not None else None
    if ex is None:
        return
    wall_us, comp_us = ex.qnn_accelerator_us, ex.accelerator_us
    if not wall_us or not comp_us or wall_us < cfg.dispatch_ratio * comp_us:
        return
    over = wall_us - comp_us
    ev: Evidence = {
        "QNN accelerator (execute) µs [wall]": _r(wall_us),
        "Accelerator (execute) µs [compute]": _r(comp_us),
        "overhead µs": _r(over),
        "wall ÷ compute": _r(wall_us / comp_us),
        "overhead % of wall": _pct(over, wall_us),
    }
    if ex.accelerator_excl_wait_us is not None:
        ev["Accelerator (excluding wait) µs"] = _r(ex.accelerator_excl_wait_us)
    n_ops = 0
    if opt.trace is not None and len(opt.trace):
        n_ops = len(np.unique(opt.trace.qnn_op))
        ev["QNN ops executed"] = n_ops
        ev["overhead per QNN op µs"] = _r(over / n_ops)
    share = over / wall_us
    yield Finding(
        rule="dispatch_overhead",
        severity="high" if share >= 0.5 else "medium",
        title=(
            f"Dispatch overhead: the graph wall ({wall_us:,.0f} µs) is {wall_us / comp_us:.2f}× "
            f"its compute ({comp_us:,.0f} µs)"
        ),
        advice=(
            "Collapse many tiny ops into fewer, bigger ones (fusion or one custom op): per-op "
            "dispatch and scheduling, not compute, dominates the latency."
        ),
        evidence=ev,
        impact=float(share * (summary.graph_wall(opt.trace) if opt.trace is not None else 0)),
    )


def _trace_index_by_key(t: OpTrace) -> dict[tuple[int, int], int]:
    return {(int(t.op_id[i]), int(t.start_cycle[i])): i for i in range(len(t))}


def idle_bubbles(opt: Run, cfg: FindingsConfig) -> Iterator[Finding]:
    """Accumulated idle on the dominant path above a share of the wall, naming the longest bubbles."""
    t, q = opt.trace, opt.qhas
    if q is None:
        return
    keyed = _trace_index_by_key(t) if t is not None else {}
    for core in sorted(q.dominant_path):
        rows = q.path_sorted(core)
        if not rows:
            continue
        wall = rows[-1].end_cycle - rows[0].start_cycle
        idle_total = sum(r.dp_cycles for r in rows if r.is_idle)
        if not wall or idle_total / wall < cfg.idle_share:
            continue
        bubbles = sorted(
            (k for k, r in enumerate(rows) if r.is_idle), key=lambda k: -rows[k].dp_cycles
        )[: cfg.idle_top]
        ev: Evidence = {
            "core": core,
            "graph wall (cycles)": wall,
            "accumulated idle (cycles)": idle_total,
            "idle % of wall": _pct(idle_total, wall),
            "bubbles": sum(1 for r in rows if r.is_idle),
        }
        ops: list[int] = []
        names: list[str] = []
        for n, k in enumerate(bubbles, 1):
            before = next((rows[j] for j in range(k - 1, -1, -1) if not rows[j].is_idle), None)
            after = next((rows[j] for j in range(k + 1, len(rows)) if not rows[j].is_idle), None)
            ev[f"bubble {n} (cycles)"] = rows[k].dp_cycles
            ev[f"bubble {n} after"] = f"{before.htp_op} ({before.qnn_op})" if before else "-"
            ev[f"bubble {n} before"] = f"{after.htp_op} ({after.qnn_op})" if after else "-"
            for r in (before, after):
                if r is None:
                    continue
                names.append(r.qnn_op)
                i = keyed.get((r.op_id, r.start_cycle))
                if i is not None:
                    ops.append(int(i))
        top = rows[bubbles[0]] if bubbles else None
        yield Finding(
            rule="idle_bubbles",
            severity=_severity(idle_total, wall, cfg),
            title=(
                f"{_pct(idle_total, wall):.2f} % of the wall is idle on the dominant path"
                + (f"; the longest bubble is {top.dp_cycles:,} cycles" if top else "")
            ),
            advice=(
                "Look at what the ops around each bubble wait for (a DMA, a sync, the scheduler) "
                "and prefetch or reorder so the path never stalls."
            ),
            evidence=ev,
            ops=tuple(dict.fromkeys(ops)),
            qnn_ops=tuple(dict.fromkeys(names)),
            impact=float(idle_total),
        )


@dataclass(frozen=True)
class MemoryVerdict:
    """Bytes moved per working cycle by one QNN op, and whether that makes it memory-bound."""

    qnn_op: str
    cycles: int  # busy cycles of its working (non-wait) instances
    dpc: int
    dram_bytes: int
    vtcm_bytes: int
    dram_per_cycle: float
    vtcm_per_cycle: float
    memory_bound: bool
    ops: tuple[int, ...]


def memory_verdicts(opt: Run, cfg: FindingsConfig | None = None) -> list[MemoryVerdict]:
    """Memory- vs compute-bound verdict per QNN op from QHAS DRAM/VTCM bytes against working cycles."""
    cfg = cfg or FindingsConfig()
    t = opt.trace
    if t is None or opt.qhas is None or not len(t):
        return []
    work = (t.flags & CONTROL_FLAGS) == 0
    out = []
    for name, idx in _qnn_groups(t, np.ones(len(t), dtype=bool)).items():
        dram = vtcm = 0
        joined = False
        for i in idx:
            inst = opt.qhas_instance(int(i))
            if inst is None:
                continue
            joined = True
            dram += inst.dram_read + inst.dram_write
            vtcm += inst.vtcm_read + inst.vtcm_write
        cycles = int(t.dur[idx[work[idx]]].sum())
        if not joined or cycles < cfg.memory_min_cycles:
            continue
        dpc_ = int(np.maximum(t.dpc[idx], 0).sum())
        d, v = dram / cycles, vtcm / cycles
        out.append(
            MemoryVerdict(
                qnn_op=name,
                cycles=cycles,
                dpc=dpc_,
                dram_bytes=dram,
                vtcm_bytes=vtcm,
                dram_per_cycle=d,
                vtcm_per_cycle=v,
                memory_bound=d >= cfg.dram_bytes_per_cycle or v >= cfg.vtcm_bytes_per_cycle,
                ops=tuple(np.asarray(idx).tolist()),
            )
        )
    return out


def memory_bound(opt: Run, cfg: FindingsConfig) -> Iterator[Finding]:
    """QNN ops moving more DRAM/VTCM bytes per working cycle than the documented thresholds."""
    verdicts = memory_verdicts(opt, cfg)
    mem = sorted((v for v in verdicts if v.memory_bound), key=lambda v: -v.dram_per_cycle)
    if not mem or opt.trace is None:
        return
    wall = summary.graph_wall(opt.trace)
    dpc = sum(v.dpc for v in mem)
    ev: Evidence = {
        "memory-bound QNN ops": len(mem),
        "compute-bound QNN ops": len(verdicts) - len(mem),
        "DRAM threshold (bytes/cycle)": cfg.dram_bytes_per_cycle,
        "VTCM threshold (bytes/cycle)": cfg.vtcm_bytes_per_cycle,
        "their Σ DPC (cycles)": dpc,
        "their Σ DPC % of wall": _pct(dpc, wall),
    }
    for v in mem[: cfg.max_listed]:
        ev[f"{v.qnn_op} DRAM bytes/cycle"] = _r(v.dram_per_cycle)
        ev[f"{v.qnn_op} VTCM bytes/cycle"] = _r(v.vtcm_per_cycle)
    shown = ", ".join(v.qnn_op for v in mem[:4]) + (", ..." if len(mem) > 4 else "")
    yield Finding(
        rule="memory_bound",
        severity="low",
        title=f"{len(mem)} of {len(verdicts)} QNN ops are memory-bound ({shown})",
        advice=(
            "For these ops more compute per byte pays (bigger tiles, weight reuse across calls, "
            "keeping operands in VTCM); for the compute-bound rest, packing more work per packet does."
        ),
        evidence=ev,
        ops=tuple(sorted(i for v in mem for i in v.ops)),
        qnn_ops=tuple(v.qnn_op for v in mem),
        impact=float(dpc),
    )


def clock_traps(opt: Run, cfg: FindingsConfig) -> Iterator[Finding]:
    """Aggregate cycle figures read as wall, the cold first execute, and single-rep traces."""
    tm = analysis_of(opt).timing()
    for c in tm.rate_checks:
        if not c.aggregate:
            continue
        yield Finding(
            rule="clock_traps",
            severity="medium",
            title=(
                f"{c.label} = {c.ghz:.2f} GHz, above the {c.clock_ghz:.2f} GHz clock: "
                "that cycle figure is summed over lanes, not wall"
            ),
            advice=(
                "Quote the graph wall (span of executed ops) or Dominant Path Cycles for time, and "
                "use summed cycles only as work volume."
            ),
            evidence={
                "cycles": _r(c.cycles),
                "µs": _r(c.us),
                "implied GHz": _r(c.ghz, 3),
                "core clock GHz": _r(c.clock_ghz, 3),
                "clock source": c.clock_source,
                "≈ lanes summed": _r(c.ghz / c.clock_ghz),
            },
        )
    n_exec = len(tm.executes) or (len(opt.profile.executes) if opt.profile is not None else 0)
    if opt.trace is None:
        return
    if (
        n_exec > 1
        and tm.trace_clock_ghz
        and tm.warm_clock_ghz
        and tm.warm_clock_ghz >= cfg.warm_clock_factor * tm.trace_clock_ghz
    ):
        yield Finding(
            rule="clock_traps",
            severity="low",
            title=(
                f"The op trace is the cold first of {n_exec} executes: {tm.trace_clock_ghz:.2f} GHz "
                f"against {tm.warm_clock_ghz:.2f} GHz warm"
            ),
            advice=(
                "Read this trace for structure (mix, order, relative spans) and take latency from "
                "the warm executes' wall µs."
            ),
            evidence={
                "executes": n_exec,
                "trace execute Graph Execute GHz": _r(tm.trace_clock_ghz, 3),
                "warm Graph Execute GHz (median)": _r(tm.warm_clock_ghz, 3),
                "warm ÷ cold clock": _r(tm.warm_clock_ghz / tm.trace_clock_ghz),
            },
        )
    elif n_exec <= 1:
        yield Finding(
            rule="clock_traps",
            severity="info",
            title="Single-rep trace: structure only, not an absolute utilisation",
            advice=(
                "Profile several executes and take wall and utilisation from the steady-state ones; "
                "a single profiled rep is perturbed by the profiling itself."
            ),
            evidence={"executes": n_exec},
        )


def shared_static_tensors(
    opt: Run, cfg: FindingsConfig | None = None
) -> list[tuple[int, tuple[str, ...], tuple[int, ...]]]:
    """STATIC tensors (not shape/scalar constants) consumed by nodes of ≥ 2 QNN ops: (tensor, QNN ops, nodes).

    Delegates to :func:`htptui.analysis.graph_diff.shared_static_tensors` when that module is present,
    and falls back to the same basic check here otherwise.
    """
    cfg = cfg or FindingsConfig()
    g = opt.graph
    if g is None:
        return []
    try:
        from htptui.analysis import graph_diff
    except ImportError:
        graph_diff = None  # type: ignore[assignment]
    if graph_diff is not None and hasattr(graph_diff, "shared_static_tensors"):
        node_id = {n.key: n.id for n in g.nodes.values()}
        check = graph_diff.shared_static_tensors(g, max_trivial_elements=cfg.shape_max_elements)
        return [
            (
                s.tensor.id,
                tuple(s.ops),
                tuple(node_id[k] for k, _op in s.tensor.consumers if k in node_id),
            )
            for s in check.significant
        ]
    return _shared_static_tensors_basic(g, cfg)


def _shared_static_tensors_basic(
    g: HtpGraph, cfg: FindingsConfig
) -> list[tuple[int, tuple[str, ...], tuple[int, ...]]]:
    """The basic shared-STATIC-tensor check (used when graph_diff is unavailable)."""
    out = []
    for tid, nodes in g.consumers().items():
        ten = g.tensors.get(tid)
        if ten is None or not ten.is_static:
            continue
        if any(d == 0 for d in ten.dims) or ten.elements <= cfg.shape_max_elements:
            continue
        groups = tuple(dict.fromkeys(g.nodes[n].grouping for n in nodes))
        if len(groups) >= 2:
            out.append((tid, groups, tuple(nodes)))
    return out


def shared_constants(
    opt: Run,
    cfg: FindingsConfig,
    expected: Mapping[str, Iterable[str]] | None = None,
) -> Iterator[Finding]:
    """Constants shared across QNN ops; with an expected graph, the shares that imply a false dependency."""
    g = opt.graph
    if g is None:
        return
    reach = _closure({k: list(v) for k, v in expected.items()}) if expected is not None else None
    t = opt.trace
    trace_idx: dict[int, list[int]] = {}
    if t is not None:
        for i in range(len(t)):
            trace_idx.setdefault(int(t.op_id[i]), []).append(i)
    for tid, groups, nodes in shared_static_tensors(opt, cfg):
        ten = g.tensors[tid]
        ops = tuple(i for n in nodes for i in trace_idx.get(n, ()))
        false_pairs: list[str] = []
        if reach is not None and not reach.all_connected(groups):
            for a_i, a in enumerate(groups):
                for b in groups[a_i + 1 :]:
                    if not reach.connected(a, b):
                        false_pairs.append(f"{a} / {b}")
                if len(false_pairs) >= cfg.max_listed:
                    break
        ev: Evidence = {
            "tensor": ten.key,
            "dims": "x".join(str(d) for d in ten.dims),
            "data type": ten.dtype_name,
            "elements": ten.elements,
            "QNN ops sharing it": len(groups),
            "consumers": ", ".join(groups[: cfg.max_listed]),
        }
        if ten.nbytes is not None:
            ev["bytes"] = ten.nbytes
        if false_pairs:
            ev["independent in the expected graph"] = "; ".join(false_pairs[: cfg.max_listed])
            yield Finding(
                rule="shared_constants",
                severity="high",
                title=(
                    f"Suspected false dependency: constant {ten.key} is shared by "
                    f"{', '.join(groups[:4])}, which the expected graph keeps independent"
                ),
                advice=(
                    "Make the per-branch constants non-dedupable (distinct content, or graph inputs) "
                    "so the compiler stops merging them into one buffer that serialises the branches."
                ),
                evidence=ev,
                ops=ops,
                qnn_ops=groups,
            )
        else:
            yield Finding(
                rule="shared_constants",
                severity="low" if reach is None else "info",
                title=f"Constant {ten.key} ({ev['dims']} {ten.dtype_name}) is shared by {len(groups)} QNN ops",
                advice=(
                    "Check against your expected graph that these ops were meant to share it: a "
                    "deduplicated scratch buffer creates a false dependency that serialises branches."
                ),
                evidence=ev,
                ops=ops,
                qnn_ops=groups,
            )


def _suspected_false_dependencies(opt: Run, expected_path: Any = None) -> list[Any]:
    """graph_diff's shared STATIC tensors that join ops the expected graph keeps independent."""
    if opt.graph is None:
        return []
    from htptui.analysis import graph_diff
    from htptui.errors import InputError

    try:
        diff = graph_diff.diff_run(opt, expected_path)
    except InputError:
        return []  # a bad expected graph is reported (exit 1) by the graph-diff section and `dag`
    if diff is None or diff.expected_source is None:
        return []
    return [(diff, s) for s in diff.shared.suspected]


def false_dependency(opt: Run, cfg: FindingsConfig, expected_path: Any = None) -> Iterator[Finding]:
    """A constant deduplicated across ops the expected graph keeps independent: always HIGH.

    Uses the expected graph given (``--expected``) or ``expected.dag`` beside the trace.
    """
    an = analysis_of(opt)  # op ID -> ops comes from the analysis's index, only when a rule fires
    node_id = {n.key: n.id for n in opt.graph.nodes.values()} if opt.graph is not None else {}
    for diff, sh in _suspected_false_dependencies(opt, expected_path):
        ten = sh.tensor
        nodes = [node_id[c[0]] for c in ten.consumers if c[0] in node_id]
        ops = tuple(i for n in nodes for i in sorted(an.ops_of_op_id(n).tolist()))
        ev: Evidence = {
            "tensor": ten.key,
            "dims": "x".join(str(d) for d in ten.dims),
            "data type": ten.dtype,
            "QNN ops sharing it": ", ".join(sh.ops[: cfg.max_listed]),
            "independent in the expected graph": "; ".join(
                f"{a} / {b}" for a, b in sh.independent_pairs[: cfg.max_listed]
            ),
            "expected graph": str(diff.expected_source),
        }
        if ten.nbytes is not None:
            ev["bytes"] = ten.nbytes
        for a, b in sh.independent_pairs[: cfg.max_listed]:
            ov = diff.overlap(a, b)
            if ov is not None and ov.pct is not None:
                ev[f"{a} / {b} overlap %"] = _r(ov.pct)
        yield Finding(
            rule="false_dependency",
            severity="high",
            title=(
                f"Suspected dedup-induced false dependency: constant {ten.key} is shared by "
                f"{', '.join(sh.ops[:4])}, which the expected graph keeps independent"
            ),
            advice=(
                "Make the per-branch constants non-dedupable (distinct content, or graph inputs) "
                "so the compiler stops merging them into one buffer that serialises the branches."
            ),
            evidence=ev,
            ops=ops,
            qnn_ops=tuple(sh.ops),
        )


def dsp_heap(opt: Run, cfg: FindingsConfig) -> Iterator[Finding]:
    """The DSP heap left behind between context creation and free, when a heap profile is present."""
    h = opt.heap
    if h is None or h.delta is None:
        return
    ev: Evidence = {
        "DSP:before_context_created (bytes)": int(h.before_context_created),
        "DSP:after_context_freed (bytes)": int(h.after_context_freed),
        "delta (bytes)": int(h.delta),
    }
    leaked = h.delta > 0
    yield Finding(
        rule="dsp_heap",
        severity="low" if leaked else "info",
        title=(
            f"DSP heap grew by {h.delta:,} bytes from context creation to free"
            if leaked
            else f"DSP heap delta over the context lifetime: {h.delta:,} bytes"
        ),
        advice=(
            "Memory not returned after the context is freed points to a leak in an op package or "
            "in the app's QNN usage; repeat create/free cycles to confirm it grows."
            if leaked
            else "Nothing to do: the context returned the heap it took."
        ),
        evidence=ev,
    )


RuleFn = Callable[[Run, FindingsConfig], Iterator[Finding]]
RULES: dict[str, RuleFn] = {
    "serialisation": serialisation,
    "boundary_tax": boundary_tax,
    "unit_bound": unit_bound,
    "packet_efficiency": packet_efficiency,
    "dispatch_overhead": dispatch_overhead,
    "idle_bubbles": idle_bubbles,
    "memory_bound": memory_bound,
    "clock_traps": clock_traps,
    "shared_constants": shared_constants,
    "false_dependency": false_dependency,
    "dsp_heap": dsp_heap,
}


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by impact (largest first), then by rule and title."""
    return sorted(
        findings,
        key=lambda f: (SEVERITY_RANK.get(f.severity, 9), -f.impact, f.rule, f.title),
    )


def at_least(findings: Iterable[Finding], min_severity: str) -> list[Finding]:
    """Keep the findings at least as severe as ``min_severity``."""
    limit = SEVERITY_RANK[min_severity]
    return [f for f in findings if SEVERITY_RANK.get(f.severity, 9) <= limit]


def run_all(
    opt: Run,
    config: FindingsConfig | None = None,
    expected: Mapping[str, Iterable[str]] | None = None,
    expected_path: Any = None,
) -> list[Finding]:
    """Run every rule.

    ``expected`` maps QNN op → its expected predecessors (for false dependencies);
    ``expected_path`` is an expected-graph file (default: ``expected.dag`` beside the trace).
    """
    cfg = config or FindingsConfig()
    out: list[Finding] = []
    false_dep = list(false_dependency(opt, cfg, expected_path))
    reported = {str(f.evidence.get("tensor")) for f in false_dep}
    for name, rule in RULES.items():
        if name == "shared_constants":
            out.extend(
                f
                for f in shared_constants(opt, cfg, expected)
                if str(f.evidence.get("tensor")) not in reported
            )
        elif name == "false_dependency":
            out.extend(false_dep)
        else:
            out.extend(rule(opt, cfg))
    return sort_findings(out)


__all__ = [
    "Finding",
    "FindingsConfig",
    "MemoryVerdict",
    "RULES",
    "SEVERITIES",
    "at_least",
    "memory_verdicts",
    "run_all",
    "shared_static_tensors",
    "sort_findings",
]
