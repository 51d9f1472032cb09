"""`htptui report`: one JSON-able document built from analysis/, rendered as JSON, text or Markdown.

The dict is the single source for every output format and for saved baselines (`check --baseline`),
so it carries a ``schema_version``. Renderers only format; they never compute.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from htptui import __version__
from htptui.analysis import checks as checks_mod
from htptui.analysis import ranking, summary, timing
from htptui.model.optrace import Optrace

SCHEMA_VERSION = 1
SCHEMA_NAME = "htptui.report"

# extra sections other features contribute: name -> fn(opt, options) -> dict | None
SECTION_BUILDERS: dict[str, Callable[[Optrace, dict[str, Any]], dict[str, Any] | None]] = {}
SECTION_RENDERERS: dict[str, Callable[[dict[str, Any], bool], list[str]]] = {}


# feature modules that register sections when imported (imported lazily: they import this module)
SECTION_MODULES = ("htptui.findings_report", "htptui.graph_diff_report", "htptui.compare_report")
SECTIONS_AT_TOP = ("findings",)  # rendered right after the header, where an engineer looks first
# sections appear in this order whatever order their modules were imported in (deterministic output)
SECTION_ORDER = ("findings", "graph_diff", "compare_basis")


def _ordered(names: Any) -> list[str]:
    rank = {n: i for i, n in enumerate(SECTION_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def _ensure_sections() -> None:
    """Import the feature modules so their sections are registered."""
    import importlib

    for module in SECTION_MODULES:
        importlib.import_module(module)


def register_section(
    name: str,
    build: Callable[[Optrace, dict[str, Any]], dict[str, Any] | None],
    render: Callable[[dict[str, Any], bool], list[str]],
) -> None:
    """Let a feature (findings, graph diff, ...) add a section to every report format."""
    SECTION_BUILDERS[name] = build
    SECTION_RENDERERS[name] = render


def _f(x: float, nd: int = 4) -> float | None:
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return None
    return round(float(x), nd)


# Every displayed fraction is rounded ONCE, here, to the digits the text/md/TUI show (2 decimals),
# so every format prints the same digits.
SHOWN_DECIMALS = 2
DPC_OP_LEVEL_NOTE = (
    "op-level DPC of a tiled op, counted once per ID: its per-tile split is unknown without QHAS"
)
DPC_ABSENT_NOTE = "some instances carry no Dominant Path Cycles (counted as 0)"


def ranking_rows(r: ranking.Ranking, trace: Any, top: int | None) -> list[dict[str, Any]]:
    """Top rows of a ranking as plain dicts ("dpc_pct": share of the graph's path)."""
    from htptui.model import dpc as dpc_mod

    rows = []
    n = len(r) if top is None else min(top, len(r))
    par = r.parallelism
    nd = SHOWN_DECIMALS
    for i in range(n):
        row: dict[str, Any] = {
            "name": r.names[i],
            "dpc": int(r.dpc[i]),
            "dpc_pct": _f(r.dpc_pct(i), nd),
            "dpc_exact": r.row_dpc_exact(i),
            "busy": int(r.busy[i]),
            "instances": int(r.instances[i]),
            "span": int(r.span[i]),
            "busy_over_span": _f(par[i], nd),
            "max_concurrency": int(r.concurrency[i]),
            "cycles_per_packet": _f(r.cpp[i], nd),
            "units": ranking.units_text(int(r.units[i])),
        }
        if not row["dpc_exact"]:
            src = trace.dpc_source[r.members(i)]
            tiled = bool(np.isin(src, (dpc_mod.DPC_OP_LEVEL, dpc_mod.DPC_SPLIT_UNKNOWN)).any())
            row["dpc_note"] = DPC_OP_LEVEL_NOTE if tiled else DPC_ABSENT_NOTE
        if r.level == "instance":
            op = int(r.members(i)[0])
            row["op_id"] = trace.op_id_str(op)
            row["qnn_op"] = trace.qnn_op_name(op)
            row["lane"] = trace.lane_of(op).label
            row["ts"] = int(trace.ts[op])
            row["dpc_source"] = dpc_mod.SHORT_LABELS.get(int(trace.dpc_source[op]), "?")
        rows.append(row)
    return rows


def build_report(
    opt: Optrace, top: int = 15, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build the report document for one run."""
    options = dict(options or {})
    _ensure_sections()
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
        cores = []
        for cs in summary.core_summaries(t):
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
                    "lanes": [
                        {
                            "label": ls.lane.label,
                            "unit": ls.lane.unit,
                            "core": ls.lane.core,
                            "tid": ls.lane.tid,
                            "thread_name": ls.lane.thread_name,
                            "ops": ls.ops,
                            "busy": ls.busy,
                            "start": ls.start,
                            "end": ls.end,
                            "span": ls.span,
                            "utilization_pct": _f(ls.utilization, SHOWN_DECIMALS),
                        }
                        for ls in cs.lanes
                    ],
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
        doc["cores"] = cores
        for core in cores:
            if core["dpc_exact"] and not core["dpc_consistent"]:
                doc["warnings"].append(
                    f"core {core['core']}: Σ Dominant Path Cycles ({core['dpc_sum']:,}) exceeds the graph wall "
                    f"({core['graph_wall_cycles']:,}); the trace's DPC values are not a dominant-path split, "
                    "so accumulated idle cannot be derived"
                )
        doc["ranking"] = {lv: ranking_rows(ranking.rank(t, lv), t, top) for lv in ranking.LEVELS}
        from htptui import ascii_timeline

        doc["timeline_ascii"] = {
            str(c): ascii_timeline.render(t, width=int(options.get("width", 100)), core=c)
            for c in summary.cores(t)
        }
    q = opt.qhas
    if q is not None:
        doc["qhas"] = {
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
    tm = timing.timing(opt)
    doc["timing"] = {
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
    if opt.profile is not None:
        ex = opt.profile.first_execute
        doc["profile"] = {
            "format": opt.profile.format,
            "sdk_version": opt.profile.sdk_version,
            "executes": len(opt.profile.executes),
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
        }
    if opt.heap is not None:
        doc["heap"] = {"values": dict(opt.heap.values), "delta": opt.heap.delta}
    cks = checks_mod.cross_checks(opt)
    doc["checks"] = [
        {
            "name": c.name,
            "derived": c.derived,
            "reported": c.reported,
            "source": c.source,
            "ok": c.ok,
            **({"note": c.note} if c.note else {}),
        }
        for c in cks
    ]
    doc["checks_ok"] = all(c.ok for c in cks)
    doc["checks_failed"] = sum(1 for c in cks if not c.ok)
    for name in _ordered(SECTION_BUILDERS):
        build = SECTION_BUILDERS[name]
        section = build(opt, options)
        if section is not None:
            doc[name] = section
    return doc


# --- rendering ---------------------------------------------------------------------------------


def _num(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if v.is_integer() and abs(v) >= 1000:
            return f"{int(v):,}"
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _table(headers: list[str], rows: list[list[Any]], md: bool) -> list[str]:
    cells = [[_num(c) for c in r] for r in rows]
    if md:
        out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in cells]
        return out
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    out = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    out.append("  ".join("-" * w for w in widths))
    for r in cells:
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return out


def _heading(text: str, md: bool, level: int = 2) -> list[str]:
    if md:
        return ["", "#" * level + " " + text, ""]
    return ["", text, "=" * len(text) if level <= 2 else "-" * len(text)]


def render(doc: dict[str, Any], fmt: str = "text") -> str:
    """Render a report document as ``text`` or ``md``."""
    md = fmt == "md"
    _ensure_sections()
    out: list[str] = []
    title = f"htptui report: {doc.get('name', '')}"
    out += [f"# {title}" if md else title, "" if md else "=" * len(title)]
    out.append(f"source: {doc.get('source')}")
    arts = doc.get("artifacts", {})
    out.append("artifacts found: " + ", ".join(sorted(arts.get("found", {}))))
    if arts.get("missing"):
        out.append("missing: " + ", ".join(arts["missing"]))
    for kind, problem in arts.get("errors", {}).items():
        out.append(f"unreadable {kind}: {problem}")
    out += disagreement_banner(doc)
    for name in SECTIONS_AT_TOP:
        if name in doc and name in SECTION_RENDERERS:
            out += SECTION_RENDERERS[name](doc[name], md)
    for core in doc.get("cores", []):
        c = core["core"]
        out += _heading(f"Core {c} summary", md)
        bt = core["boundary_tax"]
        rows = [
            ["graph wall (cycles, span of executed ops)", core["graph_wall_cycles"]],
            ["executed op instances", core["executed_ops"]],
            [
                "domain (max of HMX thread busy, busiest HVX thread; never DMA)",
                f"{core['domain_unit']} {core['domain_cycles']:,}",
            ],
        ]
        if core.get("hmx_thread_busy_cycles"):
            rows.append(
                [
                    "HMX thread busy (= QHAS HMX cycles_used"
                    + (
                        ", incl. DMA ops on the HMX thread)"
                        if core.get("dma_on_hmx_thread")
                        else ")"
                    ),
                    core["hmx_thread_busy_cycles"],
                ]
            )
            rows.append(["HMX compute (uses_hmx ops only)", core["hmx_compute_cycles"]])
        rows += [
            [
                "Σ Dominant Path Cycles"
                + (
                    ""
                    if core.get("dpc_exact", True)
                    else " (op-level DPC of tiled ops once per ID)"
                ),
                core["dpc_sum"],
            ],
            [
                "accumulated idle (wall − Σ DPC)",
                f"{core['accumulated_idle_cycles']:,} ({_num(core['accumulated_idle_pct'])} %)"
                if core.get("accumulated_idle_cycles") is not None
                else f"n/a ({core.get('accumulated_idle_note') or 'cannot be derived'})",
            ],
            ["Σ busy over lanes (work volume, NOT wall)", core["busy_sum_cycles"]],
            ["average lanes busy (Σ busy / wall)", core["parallelism"]],
            [
                "HVX∥HMX-compute overlap (cycles, % of smaller unit)",
                f"{core['hvx_hmx_overlap_cycles']:,} ({_num(core['hvx_hmx_overlap_pct'])} %)",
            ],
            [
                "boundary tax busy, work volume (Spill/Fill/Concat/ForceFormat/flat_from_vtcm + DMA waits)",
                f"{bt['total_busy']:,} ({_num(bt['total_busy_pct_of_work_volume'])} % of Σ busy)",
            ],
            [
                "boundary tax on the dominant path",
                f"{bt['total_dpc']:,} ({_num(bt['total_dpc_pct_of_wall'])} % of wall)",
            ],
        ]
        out += _table(["figure", "value"], rows, md)
        out += _heading(f"Core {c} lanes", md, 3)
        out += _table(
            ["lane", "ops", "busy", "span", "util % of wall", "start", "end"],
            [
                [
                    ln["label"],
                    ln["ops"],
                    ln["busy"],
                    ln["span"],
                    ln["utilization_pct"],
                    ln["start"],
                    ln["end"],
                ]
                for ln in core["lanes"]
            ],
            md,
        )
        ascii_rows = doc.get("timeline_ascii", {}).get(str(c))
        if ascii_rows:
            out += _heading(f"Core {c} timeline (time → in cycles; one row per lane)", md, 3)
            from htptui.ascii_timeline import legend

            block = [*ascii_rows, "", legend()]
            out += ["```", *block, "```"] if md else block
    rk = doc.get("ranking")
    if rk:
        labels = {"instance": "instances", "qnn_op": "QNN ops", "kernel": "HTP kernels"}
        for lv in ("qnn_op", "kernel", "instance"):
            rows = rk.get(lv, [])
            if not rows:
                continue
            out += _heading(f"Top {len(rows)} {labels[lv]} by Dominant Path Cycles", md, 3)
            headers = [
                "name",
                "DPC",
                "% path",
                "busy",
                "inst",
                "span",
                "busy/span",
                "max conc",
                "cyc/pkt",
                "unit",
            ]
            body = [
                [
                    r["name"],
                    _dpc_cell(r),
                    r["dpc_pct"],
                    r["busy"],
                    r["instances"],
                    r["span"],
                    r["busy_over_span"],
                    r["max_concurrency"],
                    r["cycles_per_packet"],
                    r["units"],
                ]
                for r in rows
            ]
            if lv == "instance":
                headers = ["kernel", "QNN op", "lane", "DPC", "% path", "cycles", "cyc/pkt", "ts"]
                body = [
                    [
                        r["name"],
                        r["qnn_op"],
                        r["lane"],
                        _dpc_cell(r),
                        r["dpc_pct"],
                        r["busy"],
                        r["cycles_per_packet"],
                        r["ts"],
                    ]
                    for r in rows
                ]
            out += _table(headers, body, md)
            for note in dict.fromkeys(r["dpc_note"] for r in rows if r.get("dpc_note")):
                out.append(f"* {note}")
    tm = doc.get("timing")
    if tm and (tm.get("executes") or tm.get("coarse")):
        out += _heading("Coarse (µs) beside fine (cycles)", md)
        rows = [[k, v] for k, v in tm.get("coarse", {}).items()]
        if tm.get("graph_wall_cycles") is not None:
            rows.append(["graph wall (cycles)", tm["graph_wall_cycles"]])
        if tm.get("graph_wall_us_at_trace_clock"):
            rows.append(
                [
                    f"graph wall at the trace execute's {tm['trace_execute_clock_ghz']} GHz (µs)",
                    tm["graph_wall_us_at_trace_clock"],
                ]
            )
        if tm.get("dpc_sum") is not None:
            exact = all(c.get("dpc_exact", True) for c in doc.get("cores", []))
            label = (
                "Σ DPC (cycles)" if exact else "Σ DPC (cycles; tiled ops' op-level DPC once per ID)"
            )
            rows.append([label, tm["dpc_sum"]])
        out += _table(["figure", "value"], rows, md)
        if tm.get("rate_checks"):
            out += _heading("Clock sanity (cycles ÷ µs against the core clock)", md, 3)
            out += _table(
                ["ratio", "GHz", "clock GHz", "verdict"],
                [
                    [
                        c["label"],
                        c["ghz"],
                        c["clock_ghz"],
                        "AGGREGATE, not wall" if c["aggregate"] else "plausible wall",
                    ]
                    for c in tm["rate_checks"]
                ],
                md,
            )
        if tm.get("executes"):
            out += _heading("Runtrace phases per execute (µs at each phase's own clock)", md, 3)
            rows = []
            for e in tm["executes"]:
                for p in e["phases"]:
                    rows.append(
                        [f"execute {e['index']}", p["name"], p["us"], p["ghz"], p["cycles"]]
                    )
            out += _table(["execute", "phase", "µs", "GHz", "cycles"], rows, md)
        for n in tm.get("notes", []):
            out.append(f"note: {n}")
    cks = doc.get("checks")
    if cks:
        bad = [c for c in cks if not c["ok"]]
        out += _heading(
            f"Cross-checks against the SDK's figures: {len(cks) - len(bad)}/{len(cks)} agree", md
        )
        out += _table(
            ["check", "htptui", "SDK", "source", "ok"],
            [
                [
                    c["name"],
                    c["derived"] if c["derived"] is not None else "n/a",
                    c["reported"],
                    c["source"],
                    "yes" if c["ok"] else "MISMATCH",
                ]
                for c in cks
            ],
            md,
        )
        for c in cks:
            if c.get("note"):
                out.append(f"note: {c['name']}: {c['note']}")
    for name in _ordered(SECTION_RENDERERS):
        render_section = SECTION_RENDERERS[name]
        if name in doc and name not in SECTIONS_AT_TOP:
            out += render_section(doc[name], md)
    if doc.get("warnings"):
        out += _heading("Warnings", md, 3)
        out += [f"- {w}" for w in doc["warnings"]]
    return "\n".join(out) + "\n"


def _dpc_cell(row: dict[str, Any]) -> str:
    """A ranking DPC cell; op-level (tiled, no QHAS) values carry a '*' pointing at the note."""
    text = _num(row["dpc"])
    return text if row.get("dpc_exact", True) else text + "*"


def disagreement_banner(doc: dict[str, Any]) -> list[str]:
    """The loud line at the top of a report when the trace and the SDK's figures disagree."""
    cks = doc.get("checks") or []
    bad = [c for c in cks if not c.get("ok")]
    if not bad:
        return []
    names = "; ".join(c["name"] for c in bad[:5]) + (" ..." if len(bad) > 5 else "")
    return [
        "",
        f"WARNING: the trace and the SDK's own figures DISAGREE: {len(bad)} of {len(cks)} "
        f"cross-checks fail ({names}). Figures below may be wrong; see the cross-checks section.",
    ]


def to_json_bytes(doc: dict[str, Any]) -> bytes:
    """Encode a report document as indented JSON."""
    import msgspec

    def enc_hook(obj: Any) -> Any:
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.floating):
            return float(obj)
        raise TypeError(type(obj).__name__)

    return msgspec.json.format(msgspec.json.encode(doc, enc_hook=enc_hook), indent=2) + b"\n"
