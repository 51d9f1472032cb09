"""The report document: one JSON-able dict built from a run's analysis, the source of every format.

The dict is what ``--format json`` writes and what saved baselines (``check --baseline``) hold, so it
carries a ``schema_version``. Builders here only read :class:`~htptui.analysis.run.RunAnalysis`; the
renderers (``text``, ``markdown``, ``json``) only format. Nothing exits the process.
"""

from __future__ import annotations

from typing import Any

from htptui import __version__
from htptui.analysis.ranking import LEVELS
from htptui.analysis.run import RunAnalysis, analysis_of
from htptui.model.run import Run
from htptui.present import ascii_timeline
from htptui.present.format import fmt_int
from htptui.present.format import round_or_none as _f
from htptui.present.tables import SHOWN_DECIMALS, lane_records, ranking_records

SCHEMA_VERSION = 1
SCHEMA_NAME = "htptui.report"
DOC_LANE_KEYS = ("label", "unit", "core", "tid", "thread_name", "ops", "busy", "start", "end",
                 "span", "utilization_pct")  # fmt: skip


def _analysis(run: Run | RunAnalysis) -> RunAnalysis:
    return run if isinstance(run, RunAnalysis) else analysis_of(run)


def _cores(an: RunAnalysis) -> list[dict[str, Any]]:
    lanes_by_core: dict[int, list[dict[str, Any]]] = {}
    for rec in lane_records(an):
        lanes_by_core.setdefault(rec["core"], []).append({k: rec[k] for k in DOC_LANE_KEYS})
    cores = []
    for cs in an.core_summaries():
        b = cs.boundary
        cores.append(
            {
                "core": cs.core,
                "graph_wall_cycles": cs.wall,
                "executed_ops": cs.executed_ops,
                "busy_sum_cycles": cs.busy_sum,
                "busy_sum_note": "summed over parallel lanes: work volume, not wall time",
                "parallelism": _f(cs.parallelism, SHOWN_DECIMALS),
                "dpc_sum": cs.dpc_sum,
                "dpc_consistent": cs.dpc_consistent,
                "dpc_exact": cs.dpc_exact,
                "accumulated_idle_cycles": cs.idle,
                "accumulated_idle_pct": _f(cs.idle_pct, SHOWN_DECIMALS),
                "accumulated_idle_note": cs.idle_note or None,
                "unit_busy": dict(cs.unit_busy),
                "domain_unit": cs.domain_unit,
                "domain_cycles": cs.domain_cycles,
                "domain_note": "max(HMX thread busy, busiest HVX thread busy); DMA is never a domain",
                "hmx_thread_busy_cycles": cs.hmx_thread_busy,
                "hmx_compute_cycles": cs.hmx_compute,
                "dma_on_hmx_thread": cs.dma_on_hmx_thread,
                "hvx_hmx_overlap_cycles": cs.hvx_hmx_overlap,
                "hvx_hmx_overlap_pct": _f(cs.overlap_pct, SHOWN_DECIMALS),
                "lanes": lanes_by_core.get(cs.core, []),
                "boundary_tax": {
                    "by_category": {
                        k: {"ops": v[0], "busy": v[1], "dpc": v[2]}
                        for k, v in b.by_category.items()
                    },
                    "dma_wait": {
                        "ops": b.dma_wait_ops,
                        "busy": b.dma_wait_busy,
                        "dpc": b.dma_wait_dpc,
                    },
                    "total_busy": b.total_busy,
                    "total_busy_note": "summed over lanes: work volume, not a share of wall",
                    "total_busy_pct_of_work_volume": _f(
                        100.0 * b.total_busy / cs.busy_sum if cs.busy_sum else 0.0,
                        SHOWN_DECIMALS,
                    ),
                    "total_dpc": b.total_dpc,
                    "total_dpc_pct_of_wall": _f(b.pct(b.total_dpc), SHOWN_DECIMALS),
                },
            }
        )
    return cores


def _qhas(an: RunAnalysis) -> dict[str, Any] | None:
    q = an.run.qhas
    if q is None:
        return None
    return {
        "model_id": q.model_id,
        "version": q.version,
        "overall": [
            {
                "core": o.core,
                "timeline_cycles": o.timeline_cycles,
                "percent_idle": _f(o.percent_idle, 6),
                "percent_utilization": _f(o.percent_utilization, 6),
                "time_us": o.time_us,
                "graph_execute_us": o.graph_execute_us,
                "inf_per_s": _f(o.inf_per_s, 3),
                "peak_vtcm_alloc": o.peak_vtcm_alloc,
                "total_dram_read": o.total_dram_read,
                "total_dram_write": o.total_dram_write,
                "total_vtcm_read": o.total_vtcm_read,
                "total_vtcm_write": o.total_vtcm_write,
                "htp_nodes": o.htp_nodes,
                "qnn_nodes": o.qnn_nodes,
                "resources": [
                    {
                        "unit": r.unit,
                        "tid": r.tid,
                        "cycles_used": r.cycles_used,
                        "timeline_cycles": r.timeline_cycles,
                        "utilization_pct": _f(r.utilization, 4),
                        "dram_read": r.dram_read,
                        "dram_write": r.dram_write,
                        "vtcm_read": r.vtcm_read,
                        "vtcm_write": r.vtcm_write,
                    }
                    for r in o.resources
                ],
            }
            for o in q.overall
        ],
        "dominant_path": {
            str(core): [
                {
                    "op_id": f"0x{r.op_id:x}",
                    "htp_op": r.htp_op,
                    "qnn_op": r.qnn_op,
                    "start_cycle": r.start_cycle,
                    "end_cycle": r.end_cycle,
                    "dp_cycles": r.dp_cycles,
                    "cycles": r.cycles,
                    "partial": r.partial,
                    "idle": r.is_idle,
                }
                for r in q.path_sorted(core)
            ]
            for core in sorted(q.dominant_path)
        },
    }


def _timing(an: RunAnalysis) -> dict[str, Any]:
    tm = an.timing()
    return {
        "executes": [
            {
                "index": e.index,
                "phases": [
                    {
                        "name": p.name,
                        "us": _f(p.us, 4),
                        "ghz": _f(p.ghz, 6) if p.ghz else None,
                        "cycles": p.cycles,
                    }
                    for p in e.phases
                ],
            }
            for e in tm.executes
        ],
        "trace_execute_clock_ghz": _f(tm.trace_clock_ghz, 6) if tm.trace_clock_ghz else None,
        "warm_clock_ghz": _f(tm.warm_clock_ghz, 6) if tm.warm_clock_ghz else None,
        "graph_wall_cycles": tm.graph_wall_cycles,
        "graph_wall_us_at_trace_clock": _f(tm.graph_wall_us, 3) if tm.graph_wall_us else None,
        "dpc_sum": tm.dpc_sum,
        "busy_sum_cycles": tm.busy_sum,
        "coarse": {k: _f(v, 4) for k, v in tm.coarse.items()},
        "rate_checks": [
            {
                "label": c.label,
                "cycles": c.cycles,
                "us": c.us,
                "ghz": _f(c.ghz, 4),
                "clock_ghz": _f(c.clock_ghz, 4),
                "clock_source": c.clock_source,
                "aggregate": c.aggregate,
            }
            for c in tm.rate_checks
        ],
        "notes": list(tm.notes),
    }


def _profile(an: RunAnalysis) -> dict[str, Any] | None:
    prof = an.run.profile
    if prof is None:
        return None
    ex = prof.first_execute
    return {
        "format": prof.format,
        "sdk_version": prof.sdk_version,
        "executes": len(prof.executes),
        "first_execute": None
        if ex is None
        else {
            "accelerator_cycles": ex.accelerator_cycles,
            "accelerator_cycles_note": "Σ per-QNN-op busy cycles without SystemService: summed busy, not wall",
            "qnn_accelerator_us": ex.qnn_accelerator_us,
            "accelerator_us": ex.accelerator_us,
            "accelerator_excl_wait_us": ex.accelerator_excl_wait_us,
            "hvx_threads": ex.hvx_threads,
            "vtcm_acquire_ticks": ex.vtcm_acquire_ticks,
            "power_on_ticks": ex.power_on_ticks,
            "ops": [{"name": o.name, "op_id": o.op_id, "cycles": o.cycles} for o in ex.ops],
        },
        # only at linting level (the detailed format has no per-op wait/overlap)
        **(
            {
                "lint_ops": [
                    {
                        "name": o.name,
                        "op_id": o.op_id,
                        "cycles": o.cycles,
                        "wait_scheduler_cycles": o.wait_scheduler_cycles,
                        "overlap_cycles": o.overlap_cycles,
                        "overlap_ops": list(o.overlap_ops),
                        "overlap_wait_cycles": o.overlap_wait_cycles,
                        "overlap_wait_ops": list(o.overlap_wait_ops),
                        "resources": list(o.resources),
                    }
                    for o in getattr(prof, "lint_ops", ())
                ]
            }
            if getattr(prof, "lint_ops", ())
            else {}
        ),
    }


def scope_record(an: RunAnalysis) -> dict[str, Any]:
    """What a scoped report covers: the window (cycles on the timeline's axis), filter and rule."""
    from htptui.analysis.window import DPC_RULE

    lo, hi = an.window
    clock = an.parent.trace_clock_ghz() if an.parent is not None else None
    rec: dict[str, Any] = {
        "from_cycles": lo,
        "to_cycles": hi,
        "filter": an.pattern,
        "ops": len(an.trace) if an.trace is not None else 0,
        "walls": {str(c): {"start": a, "end": b} for c, (a, b) in an.spans.items()},
        "clock_ghz": _f(clock, 6) if clock else None,
        "dpc_rule": DPC_RULE,
        "findings_left_out": sorted(an.findings_left_out()),
        "note": (
            "every figure below is the whole-graph computation on the ops inside the window "
            "(clipped to it) matching the filter; the wall is the window clamped to each core's span"
        ),
    }
    return rec


def build_report(
    run: Run | RunAnalysis,
    top: int = 15,
    options: dict[str, Any] | None = None,
    *,
    data_sections: bool = True,
) -> dict[str, Any]:
    """Build the report document of one run.

    ``data_sections=False`` skips sections that no text or Markdown renderer shows (the compare
    basis), for ``--format text|md``. Raises InputError (a bad ``--expected`` file), never exits.
    """
    from htptui.output.sections import SECTIONS

    an = _analysis(run)
    opt = an.run
    options = dict(options or {})
    options.setdefault("top", top)
    doc: dict[str, Any] = {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "tool": f"htptui {__version__}",
        "source": opt.source,
        "name": opt.name,
        "artifacts": {
            "found": opt.artifacts.found(),
            "missing": opt.artifacts.missing(),
            "errors": dict(opt.errors),
        },
        "warnings": list(opt.warnings),
    }
    if an.is_scoped:
        doc["scope"] = scope_record(an)
        if not doc["scope"]["ops"]:
            where = f"matches /{an.pattern}/" if an.pattern is not None else "lies in the window"
            if an.pattern is not None and an.window != (None, None):
                where = f"matches /{an.pattern}/ inside the window"
            doc["warnings"].append(
                f"no executed op {where}: the op figures of this report are empty"
            )
    t = opt.trace
    if t is not None:
        doc["trace"] = {
            "executed_ops": len(t),
            "non_executed_tensors": int(t.non_executed.ts.size),
            "duplicate_events_dropped": t.duplicate_events,
            "events": t.total_events,
            "shape": t.shape,
            "gzipped": t.gzipped,
            "rebase_cycles": t.rebase,
            "lanes": [ln.label for ln in t.lanes],
        }
        cores = _cores(an)
        doc["cores"] = cores
        for core in cores:
            if core["dpc_exact"] and not core["dpc_consistent"]:
                doc["warnings"].append(
                    f"core {core['core']}: Σ Dominant Path Cycles ({fmt_int(core['dpc_sum'])}) exceeds the graph wall "
                    f"({fmt_int(core['graph_wall_cycles'])}); the trace's DPC values are not a dominant-path split, "
                    "so accumulated idle cannot be derived"
                )
        doc["ranking"] = {lv: ranking_records(an.ranking(lv), t, top) for lv in LEVELS}
        index = an.coverage() if len(t) else None
        doc["timeline_ascii"] = {
            str(c): ascii_timeline.render(
                t, width=int(options.get("width", 100)), core=c, index=index
            )
            for c in an.cores()
        }
    qhas = _qhas(an)
    if qhas is not None:
        doc["qhas"] = qhas
    doc["timing"] = _timing(an)
    profile = _profile(an)
    if profile is not None:
        doc["profile"] = profile
    if opt.heap is not None:
        doc["heap"] = {"values": dict(opt.heap.values), "delta": opt.heap.delta}
    # the SDK's figures are whole-graph: a window or filter is never checked against them
    cks = [] if an.is_scoped else an.cross_checks()
    if an.is_scoped:
        doc["checks_note"] = "cross-checks compare whole-graph figures; not run for a window/filter"
    doc["checks"] = [
        {"name": c.name, "derived": c.derived, "reported": c.reported, "source": c.source,
         "ok": c.ok, **({"note": c.note} if c.note else {})}
        for c in cks
    ]  # fmt: skip
    doc["checks_ok"] = all(c.ok for c in cks)
    doc["checks_failed"] = sum(1 for c in cks if not c.ok)
    for section in SECTIONS:
        if section.data_only and not data_sections:
            continue
        built = section.build(an, options)
        if built is not None:
            doc[section.name] = built
    return doc
