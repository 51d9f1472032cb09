"""Table records built from a :class:`~htptui.analysis.run.RunAnalysis`, for every front end.

Each builder returns plain dicts of raw values keyed by the column keys of
:mod:`htptui.present.columns`; the report document, the TUI tables and the exports all use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from htptui.analysis.attribution import RESOURCE_KEYS
from htptui.analysis.ranking import Ranking, units_text
from htptui.analysis.summary import KIND_NAMES
from htptui.present.columns import Column, Record
from htptui.present.format import fmt_cycles_us, fmt_int, fmt_pct, round_or_none

if TYPE_CHECKING:
    from htptui.analysis.findings import Finding
    from htptui.analysis.run import RunAnalysis
    from htptui.analysis.summary import CoreSummary
    from htptui.model.chrometrace import OpTrace


# --- ranking -------------------------------------------------------------------------------------


# Every displayed fraction is rounded ONCE, here, to the digits the text/md/TUI show (2 decimals),
# so every format prints the same digits.
SHOWN_DECIMALS = 2
DPC_OP_LEVEL_NOTE = (
    "op-level DPC of a tiled op, counted once per ID: its per-tile split is unknown without QHAS"
)
DPC_ABSENT_NOTE = "some instances carry no Dominant Path Cycles (counted as 0)"


def ranking_record(rk: Ranking, r: int, trace: OpTrace) -> dict[str, Any]:
    """One ranking row as raw values ("dpc_pct": share of the graph's path; instance rows also
    carry op ID, QNN op, lane, ts and where their DPC comes from)."""
    from htptui.model import dpc as dpc_mod

    nd = SHOWN_DECIMALS
    span = int(rk.span[r])
    rec: dict[str, Any] = {
        "name": rk.names[r],
        "dpc": int(rk.dpc[r]),
        "dpc_pct": round_or_none(rk.dpc_pct(r), nd),
        "dpc_exact": rk.row_dpc_exact(r),
        "busy": int(rk.busy[r]),
        "instances": int(rk.instances[r]),
        "span": span,
        "busy_over_span": round_or_none(int(rk.busy[r]) / span if span > 0 else 0.0, nd),
        "max_concurrency": int(rk.concurrency[r]),
        "cycles_per_packet": round_or_none(float(rk.cpp[r]), nd),
        "units": units_text(int(rk.units[r])),
    }
    for key, part in zip(RESOURCE_KEYS, rk.resource_parts(r), strict=True):
        rec[f"dpc_{key}"] = part
    rec["dpc_unknown"] = rk.absent(r)
    if rk.level == "structure":
        from htptui.analysis.structure import StructureRanking

        assert isinstance(rk, StructureRanking)
        rec["depth"] = int(rk.depth[r])
        rec["label"] = rk.labels[r]
    if not rec["dpc_exact"]:
        tiled = bool(rk.op_level_rows(trace.dpc_source)[r])
        rec["dpc_note"] = DPC_OP_LEVEL_NOTE if tiled else DPC_ABSENT_NOTE
    if rk.level == "instance":
        op = int(rk.members(r)[0])
        rec["op_id"] = trace.op_id_str(op)
        rec["qnn_op"] = trace.qnn_op_name(op)
        rec["lane"] = trace.lane_of(op).label
        rec["ts"] = int(trace.ts[op])
        rec["dpc_source"] = dpc_mod.SHORT_LABELS.get(int(trace.dpc_source[op]), "?")
    return rec


def resource_rows(rec: Record) -> list[tuple[str, str]]:
    """(key, value) lines of a ranking record's DPC split by resource, each with its share."""
    from htptui.analysis.attribution import RESOURCE_LONG

    dpc = int(rec.get("dpc") or 0)
    out = []
    for key in RESOURCE_KEYS:
        v = int(rec.get(f"dpc_{key}") or 0)
        share = f" ({fmt_pct(100.0 * v / dpc)})" if dpc else ""
        out.append((RESOURCE_LONG[key], f"{fmt_int(v)}{share}"))
    unknown = int(rec.get("dpc_unknown") or 0)
    if unknown:
        out.append(("DPC unknown", f"{fmt_int(unknown)} instance(s): no DPC, in no part"))
    return out


def ranking_records(
    rk: Ranking, trace: OpTrace, top: int | None = None, order: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Rows of a ranking in ``order`` (default: by DPC), the first ``top`` of them."""
    rows = range(len(rk)) if order is None else order
    n = len(rows) if top is None else min(top, len(rows))
    return [ranking_record(rk, int(rows[i]), trace) for i in range(n)]


def ranking_display_name(rec: Record) -> str:
    """The name the TUI shows: instances add their QNN op (``kernel · QNN op``)."""
    if "qnn_op" in rec:
        return f"{rec['name']} · {rec['qnn_op']}"
    return str(rec["name"])


def row_display_name(rk: Ranking, r: int, trace: OpTrace) -> str:
    """:func:`ranking_display_name` of row ``r`` without building its whole record (a table
    shortens names in blocks of hundreds of rows, and asks only for their names)."""
    if rk.level == "instance":
        return f"{rk.names[r]} · {trace.qnn_op_name(int(rk.members(r)[0]))}"
    return rk.names[r]


# --- lanes ---------------------------------------------------------------------------------------


def lane_records(an: RunAnalysis) -> list[dict[str, Any]]:
    """Every lane of every core: busy, span, utilisation, memory traffic (QHAS) and the domain mark."""
    out: list[dict[str, Any]] = []
    qh = an.run.qhas
    for cs in an.core_summaries():
        ov = qh.overall_for(cs.core) if qh is not None else None
        resources = {(r.unit, r.tid): r for r in ov.resources} if ov is not None else {}
        for ls in cs.lanes:
            res = resources.get((ls.lane.unit, ls.lane.tid))
            out.append(
                {
                    "core": cs.core,
                    "label": ls.lane.label,
                    "unit": ls.lane.unit,
                    "tid": ls.lane.tid,
                    "thread_name": ls.lane.thread_name,
                    "ops": ls.ops,
                    "busy": ls.busy,
                    "start": ls.start,
                    "end": ls.end,
                    "span": ls.span,
                    "utilization_pct": round_or_none(ls.utilization, SHOWN_DECIMALS),
                    "dram_read": res.dram_read if res else None,
                    "dram_write": res.dram_write if res else None,
                    "vtcm_read": res.vtcm_read if res else None,
                    "vtcm_write": res.vtcm_write if res else None,
                    "domain": ls.lane.unit == cs.domain_unit
                    and ls.busy == cs.unit_busy.get(ls.lane.unit),
                    "dram_rw": (res.dram_read, res.dram_write) if res else None,
                    "vtcm_rw": (res.vtcm_read, res.vtcm_write) if res else None,
                }
            )
    return out


# --- header and core figures ---------------------------------------------------------------------


def header_parts(an: RunAnalysis) -> list[str]:
    """The explorer's header line: name, wall (µs), idle, domain, op count."""
    parts = [an.run.name]
    failed = [c for c in an.cross_checks() if not c.ok]
    if failed:
        parts.insert(0, f"⚠ {len(failed)} cross-check(s) DISAGREE with the SDK (see report)")
    cs = an.first_core_summary()
    if cs is None or an.trace is None:
        return parts
    ghz = an.trace_clock_ghz()
    idle = (
        f"idle {fmt_pct(cs.idle_pct)}" if cs.idle_pct is not None else f"idle n/a ({cs.idle_note})"
    )
    return parts + [
        "wall " + fmt_cycles_us(cs.wall, ghz),
        idle,
        f"domain {cs.domain_unit} {fmt_int(cs.domain_cycles)} (max, not sum)",
        f"{fmt_int(len(an.trace))} ops",
    ]


def core_line(
    cs: CoreSummary, peak_vtcm: int | None = None, qhas_idle: str = ""
) -> list[tuple[str, str]]:
    """(text, style hint) pieces of the one-line core figure shown under the lane table, each
    figure naming its source (the trace or QHAS)."""
    out = [
        (f"core {cs.core}: ", "bold"),
        (f"★ domain {cs.domain_unit} {fmt_int(cs.domain_cycles)} cycles ", ""),
        ("(domain = max not sum)", "italic"),
    ]
    if cs.idle_pct is not None:
        out.append((f" · idle {fmt_pct(cs.idle_pct)} (trace: wall − Σ DPC)", ""))
    else:
        out.append((f" · idle n/a ({cs.idle_note})", ""))
    out.append((f" · wall {fmt_int(cs.wall)} (trace)", ""))
    if cs.dma_on_hmx_thread:
        out.append(
            (
                f" · HMX thread busy {fmt_int(cs.hmx_thread_busy)} (incl. DMA)"
                f" · HMX compute {fmt_int(cs.hmx_compute)}",
                "",
            )
        )
    if qhas_idle:
        out.append((f" · QHAS idle {qhas_idle}", ""))
    if peak_vtcm is not None:
        out.append((f" · peak VTCM {fmt_int(peak_vtcm)} B", ""))
    return out


def qhas_idle_text(an: RunAnalysis, core: int) -> str:
    """QHAS's own accumulated idle of a core (cycles and %), '' without a QHAS path."""
    qh = an.run.qhas
    if qh is None or core not in qh.dominant_path:
        return ""
    idle = sum(r.dp_cycles for r in qh.dominant_path[core] if r.is_idle)
    ov = qh.overall_for(core)
    pct = f" ({fmt_pct(ov.percent_idle)})" if ov is not None else ""
    return f"{fmt_int(idle)}{pct}"


# --- ops (the timeline's view) -------------------------------------------------------------------


def op_records(an: RunAnalysis, ops: Iterable[int]) -> list[dict[str, Any]]:
    """One record per trace op: IDs, kernel, QNN op, lane, ts, duration, DPC, cycles/packet, kind."""
    t = an.trace
    if t is None:
        return []
    idx = np.asarray(list(ops), dtype=np.int64)
    kinds = an.kinds()
    names = t.strings.names
    labels = [ln.label for ln in t.lanes]
    cores = [ln.core for ln in t.lanes]
    out = []
    for i, k, q, ln, ts, dur, dpc, cpp, kind in zip(
        idx.tolist(), t.kernel[idx].tolist(), t.qnn_op[idx].tolist(), t.lane[idx].tolist(),
        t.ts[idx].tolist(), t.dur[idx].tolist(), t.dpc[idx].tolist(), t.cpp[idx].tolist(),
        kinds[idx].tolist(), strict=True,
    ):  # fmt: skip
        out.append(
            {
                "index": i,
                "op_id": t.op_id_str(i),
                "kernel": names[k],
                "qnn_op": names[q],
                "lane": labels[ln],
                "core": cores[ln],
                "ts": ts,
                "dur": dur,
                "dpc": dpc if dpc >= 0 else None,
                "cycles_per_packet": None if cpp != cpp else round(cpp, 3),
                "kind": KIND_NAMES[kind],
            }
        )
    return out


# --- findings ------------------------------------------------------------------------------------


def finding_records(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """One record per finding (raw evidence, op indices, QNN ops)."""
    return [
        {
            "severity": f.severity,
            "rule": f.rule,
            "title": f.title,
            "impact": f.impact,
            "advice": f.advice,
            "qnn_ops": list(f.qnn_ops),
            "ops": list(f.ops),
            "evidence": dict(f.evidence),
        }
        for f in findings
    ]


# --- exports -------------------------------------------------------------------------------------


def export_rows(
    columns: Sequence[Column], records: Iterable[Record]
) -> tuple[list[str], list[list[Any]]]:
    """(header names with units, rows of raw values) for CSV/JSON exports."""
    columns = [c for c in columns if c.export]
    headers = [c.export_name for c in columns]
    rows = [[_plain(c.value(r)) for c in columns] for r in records]
    return headers, rows


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, tuple):
        return list(v)
    return v
