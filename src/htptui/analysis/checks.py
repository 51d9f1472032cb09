"""Cross-checks: figures derived from the op trace against the SDK's own QHAS and profile.txt values.

Every check is (derived, reported): the derived number comes from htptui's analysis of the
chrometrace; the reported number is read from the SDK's file. A mismatch means the trace and the
summary disagree (or htptui is wrong) and is shown, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from htptui.model import dpc as dpc_mod
from htptui.model.run import Run


@dataclass(frozen=True, slots=True)
class Check:
    """One derived-vs-reported comparison."""

    name: str
    derived: float | None  # None: htptui cannot derive it (the reason is in ``note``)
    reported: float
    source: str  # which file the reported value comes from
    tolerance: float = 0.0  # absolute
    note: str = ""

    @property
    def ok(self) -> bool:
        """Whether derived and reported agree within tolerance (an underivable figure never agrees)."""
        if self.derived is None:
            return False
        return abs(self.derived - self.reported) <= self.tolerance


def _is_system_service(name: str) -> bool:
    return name.startswith("SystemService")


def qnn_op_busy(opt: Run) -> dict[str, int]:
    """Σ busy cycles per QNN op name from the trace (the per-op lines of profile.txt and QHAS)."""
    t = opt.trace
    if t is None or not len(t):
        return {}
    uniq, inv = np.unique(t.qnn_op, return_inverse=True)
    sums = np.bincount(inv, weights=t.dur, minlength=uniq.size)
    return {t.strings[int(u)]: int(s) for u, s in zip(uniq, sums, strict=True)}


def _dpc_by(t, key_col: np.ndarray) -> dict[str, int]:
    """Σ resolved per-instance DPC (OpTrace.dpc) per name of a string-id column."""
    uniq, inv = np.unique(key_col, return_inverse=True)
    sums = np.bincount(inv, weights=np.maximum(t.dpc, 0), minlength=uniq.size)
    return {t.strings[int(u)]: int(s) for u, s in zip(uniq, sums, strict=True)}


def qnn_op_dpc(opt: Run) -> dict[str, int]:
    """Σ per-instance DPC per QNN op name (= QHAS ``num_dominant_path_cycles_htp_<n>``)."""
    t = opt.trace
    return _dpc_by(t, t.qnn_op) if t is not None and len(t) else {}


def kernel_dpc(opt: Run) -> dict[str, int]:
    """Σ per-instance DPC per HTP kernel (= QHAS htp_op_types ``num_dominant_path_cycles_htp_<n>``)."""
    t = opt.trace
    return _dpc_by(t, t.kernel) if t is not None and len(t) else {}


def accelerator_cycles(opt: Run) -> int:
    """profile.txt's ``Accelerator (execute) time (cycles)`` derived from the trace: Σ busy without SystemService."""
    from htptui.analysis.run import analysis_of

    return sum(v for k, v in analysis_of(opt).qnn_op_busy().items() if not _is_system_service(k))


def cross_checks(opt: Run) -> list[Check]:
    """All checks that the loaded artifacts allow."""
    from htptui.analysis.run import analysis_of

    an = analysis_of(opt)
    out: list[Check] = []
    t = opt.trace
    if t is None or not len(t):
        return out
    q = opt.qhas
    if q is not None:
        qsrc = "QHAS"
        for core in an.cores():
            cs = an.core_summary(core)
            ov = q.overall_for(core)
            if ov is None:
                continue
            out.append(
                Check(
                    f"core {core} graph wall (cycles) = timeline_cycles",
                    cs.wall,
                    ov.timeline_cycles,
                    qsrc,
                )
            )
            for res in ov.resources:
                lane = next((ls for ls in cs.lanes if ls.lane.tid == res.tid), None)
                derived = lane.busy if lane else 0
                out.append(
                    Check(
                        f"core {core} {res.unit} {res.tid} busy = cycles_used",
                        derived,
                        res.cycles_used,
                        qsrc,
                    )
                )
                out.append(
                    Check(
                        f"core {core} {res.unit} {res.tid} utilization % (busy / wall)",
                        round(lane.utilization if lane else 0.0, 6),
                        round(res.utilization, 6),
                        qsrc,
                        tolerance=1e-4,
                    )
                )
                if lane is not None:
                    out.append(
                        Check(
                            f"core {core} {res.unit} {res.tid} span = resource timeline_cycles",
                            lane.span,
                            res.timeline_cycles,
                            qsrc,
                        )
                    )
            lanes_with_work = {ls.lane.tid for ls in cs.lanes}
            reported_tids = {r.tid for r in ov.resources}
            out.append(
                Check(
                    f"core {core} lanes with work", len(lanes_with_work), len(reported_tids), qsrc
                )
            )
            path = q.dominant_path.get(core)
            if path:
                idle = sum(r.dp_cycles for r in path if r.is_idle)
                out.append(
                    Check(
                        f"core {core} accumulated idle (wall − Σ DPC)",
                        cs.idle,
                        idle,
                        qsrc + " dominant path",
                        note=cs.idle_note,
                    )
                )
                out.append(
                    Check(
                        f"core {core} Σ DPC over executed ops",
                        cs.dpc_sum,
                        sum(r.dp_cycles for r in path if not r.is_idle),
                        qsrc + " dominant path",
                    )
                )
                out.append(
                    Check(
                        f"core {core} Σ dominant path = wall",
                        cs.wall,
                        sum(r.dp_cycles for r in path),
                        qsrc + " dominant path",
                    )
                )
            out.append(
                Check(
                    f"core {core} idle %",
                    None if cs.idle_pct is None else round(cs.idle_pct, 6),
                    round(ov.percent_idle, 6),
                    qsrc,
                    tolerance=1e-4,
                    note=cs.idle_note,
                )
            )
            out.append(
                Check(
                    f"core {core} executed instances = htp_nodes",
                    cs.executed_ops,
                    ov.htp_nodes,
                    qsrc,
                )
            )
            alloc = t.core_counters.get(core, {}).get("VTCM alloc")
            if alloc is not None and alloc.value.size and ov.peak_vtcm_alloc:
                out.append(
                    Check(
                        f"core {core} peak VTCM alloc (bytes)",
                        float(alloc.value.max()),
                        ov.peak_vtcm_alloc,
                        qsrc,
                    )
                )
        if q.instances:
            matched = sum(1 for i in range(len(t)) if opt.qhas_instance(i) is not None)
            out.append(
                Check("trace ops joined to a QHAS instance", matched, len(q.instances), qsrc)
            )
            mism = 0
            for i in range(len(t)):
                inst = opt.qhas_instance(i)
                if inst is None:
                    continue
                # an untiled op's event DPC is per instance; a tile's is a per-op copy (§1.4b)
                ev = int(t.dpc_event[i])
                if inst.cycles != int(t.dur[i]) or (not t.tiled[i] and ev >= 0 and inst.dpc != ev):
                    mism += 1
            out.append(Check("joined instances with different cycles or DPC", mism, 0, qsrc))
            if t.tiled.any():
                tiles = np.flatnonzero(t.tiled)
                via_path = dpc_mod.path_dpc_per_tile(t, q)
                joined = [i for i in tiles.tolist() if opt.qhas_instance(i) is not None]
                if via_path and joined:
                    bad = sum(
                        1
                        for i in joined
                        if i in via_path and via_path[i] != opt.qhas_instance(i).dpc
                    )
                    out.append(
                        Check(
                            "tiles whose QHAS instance DPC ≠ Σ dominant-path rows in the tile",
                            bad,
                            0,
                            qsrc + " htp_op_instances vs dominant path",
                        )
                    )
        busy = an.qnn_op_busy()
        qdpc = qnn_op_dpc(opt)
        for row in q.qnn_op_nodes:
            if row.name in busy:
                out.append(
                    Check(f"QNN op {row.name} busy = QHAS cycles", busy[row.name], row.cycles, qsrc)
                )
            if row.name in qdpc and row.dpc:
                out.append(
                    Check(
                        f"QNN op {row.name} DPC = QHAS num_dominant_path_cycles",
                        qdpc[row.name],
                        sum(row.dpc.values()),
                        qsrc,
                    )
                )
        kdpc = kernel_dpc(opt)
        for row in q.htp_op_types:
            if row.name in kdpc and row.dpc:
                out.append(
                    Check(
                        f"kernel {row.name} DPC = QHAS num_dominant_path_cycles",
                        kdpc[row.name],
                        sum(row.dpc.values()),
                        qsrc,
                    )
                )
    p = opt.profile
    if p is not None:
        ex = p.first_execute
        if ex is not None and ex.accelerator_cycles is not None:
            out.append(
                Check(
                    "Accelerator (execute) time (cycles) = Σ busy without SystemService",
                    accelerator_cycles(opt),
                    ex.accelerator_cycles,
                    "profile.txt Execute Stat 1",
                )
            )
            busy = an.qnn_op_busy()
            by_id = {v: k for k, v in (t.qnn_op_ids.items())}
            for line in ex.ops:
                name = (
                    line.name
                    if line.name in busy
                    else by_id.get(line.op_id)
                    if line.op_id is not None
                    else None
                )
                if name is None:
                    if line.cycles == 0:
                        continue  # reshape-type ops: 0 cycles, no instances
                    out.append(
                        Check(
                            f"profile op {line.name} busy",
                            0,
                            line.cycles,
                            "profile.txt Execute Stat 1",
                        )
                    )
                    continue
                out.append(
                    Check(
                        f"profile op {line.name} busy",
                        busy.get(name, 0),
                        line.cycles,
                        "profile.txt Execute Stat 1",
                    )
                )
    return out
