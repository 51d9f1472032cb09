"""The report's layout: a document → blocks (core figures, lanes, timeline, rankings, timing,
cross-checks, then the sections), and ``render(doc, "text"|"md")`` through the format renderers."""

from __future__ import annotations

from typing import Any

from htptui.output import markdown, text
from htptui.output.blocks import Block, Code, Heading, Lines, Table, table_of
from htptui.present import ascii_timeline
from htptui.present.columns import (
    FIGURE_COLUMNS,
    LANE_COLUMNS,
    LANE_REPORT_VIEW,
    RANKING_COLUMNS,
    RANKING_GROUP_VIEW,
    RANKING_INSTANCE_VIEW,
    RANKING_RESOURCE_VIEW,
    select,
)
from htptui.present.format import fmt_int, fmt_value

LEVEL_TITLES = {"instance": "instances", "qnn_op": "QNN ops", "kernel": "HTP kernels"}


def _figures(rows: list[list[Any]]) -> Table:
    return Table(FIGURE_COLUMNS, [{"figure": a, "value": b} for a, b in rows])


def core_blocks(core: dict[str, Any], ascii_rows: list[str] | None) -> list[Block]:
    """Summary figures, the lane table and the ASCII timeline of one core."""
    c = core["core"]
    bt = core["boundary_tax"]
    out: list[Block] = [Heading(f"Core {c} summary")]
    rows: list[list[Any]] = [
        ["graph wall (cycles, span of executed ops)", core["graph_wall_cycles"]],
        ["executed op instances", core["executed_ops"]],
        [
            "domain (max of HMX thread busy, busiest HVX thread; never DMA)",
            f"{core['domain_unit']} {fmt_int(core['domain_cycles'])}",
        ],
    ]
    if core.get("hmx_thread_busy_cycles"):
        incl = ", incl. DMA ops on the HMX thread)" if core.get("dma_on_hmx_thread") else ")"
        rows.append(
            ["HMX thread busy (= QHAS HMX cycles_used" + incl, core["hmx_thread_busy_cycles"]]
        )
        rows.append(["HMX compute (uses_hmx ops only)", core["hmx_compute_cycles"]])
    tiled = "" if core.get("dpc_exact", True) else " (op-level DPC of tiled ops once per ID)"
    rows += [
        ["Σ Dominant Path Cycles" + tiled, core["dpc_sum"]],
        [
            "accumulated idle (wall − Σ DPC)",
            f"{fmt_int(core['accumulated_idle_cycles'])} ({fmt_value(core['accumulated_idle_pct'])} %)"
            if core.get("accumulated_idle_cycles") is not None
            else f"n/a ({core.get('accumulated_idle_note') or 'cannot be derived'})",
        ],
        ["Σ busy over lanes (work volume, NOT wall)", core["busy_sum_cycles"]],
        ["average lanes busy (Σ busy / wall)", core["parallelism"]],
        [
            "HVX∥HMX-compute overlap (cycles, % of smaller unit)",
            f"{fmt_int(core['hvx_hmx_overlap_cycles'])} ({fmt_value(core['hvx_hmx_overlap_pct'])} %)",
        ],
        [
            "boundary tax busy, work volume (Spill/Fill/Concat/ForceFormat/flat_from_vtcm + DMA waits)",
            f"{fmt_int(bt['total_busy'])} ({fmt_value(bt['total_busy_pct_of_work_volume'])} % of Σ busy)",
        ],
        [
            "boundary tax on the dominant path",
            f"{fmt_int(bt['total_dpc'])} ({fmt_value(bt['total_dpc_pct_of_wall'])} % of wall)",
        ],
    ]
    out.append(_figures(rows))
    out.append(Heading(f"Core {c} lanes (util % = busy / graph wall)", 3))
    out.append(Table(select(LANE_COLUMNS, LANE_REPORT_VIEW), core["lanes"]))
    if ascii_rows:
        out.append(Heading(f"Core {c} timeline (time → in cycles; one row per lane)", 3))
        out.append(Code([*ascii_rows, "", ascii_timeline.legend()]))
    return out


def ranking_blocks(ranking: dict[str, list[dict[str, Any]]]) -> list[Block]:
    """The top rows per QNN op, HTP kernel and instance."""
    out: list[Block] = []
    for lv in ("qnn_op", "kernel", "instance"):
        rows = ranking.get(lv, [])
        if not rows:
            continue
        out.append(Heading(f"Top {len(rows)} {LEVEL_TITLES[lv]} by Dominant Path Cycles", 3))
        view = RANKING_INSTANCE_VIEW if lv == "instance" else RANKING_GROUP_VIEW
        out.append(Table(select(RANKING_COLUMNS, view), rows))
        notes = dict.fromkeys(r["dpc_note"] for r in rows if r.get("dpc_note"))
        if notes:
            out.append(Lines([f"* {note}" for note in notes]))
        if rows and "dpc_hmx" in rows[0]:
            out.append(
                Heading(
                    f"Top {len(rows)} {LEVEL_TITLES[lv]}: DPC by resource "
                    "(cycles, from each instance's flags; the parts sum to DPC)",
                    3,
                )
            )
            out.append(Table(select(RANKING_COLUMNS, RANKING_RESOURCE_VIEW), rows))
    return out


def timing_blocks(tm: dict[str, Any], dpc_exact: bool = True) -> list[Block]:
    """Coarse µs beside fine cycles, the clock sanity checks and the runtrace phases."""
    if not (tm.get("executes") or tm.get("coarse")):
        return []
    out: list[Block] = [Heading("Coarse (µs) beside fine (cycles)")]
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
        label = (
            "Σ DPC (cycles)" if dpc_exact else "Σ DPC (cycles; tiled ops' op-level DPC once per ID)"
        )
        rows.append([label, tm["dpc_sum"]])
    out.append(_figures(rows))
    if tm.get("rate_checks"):
        out.append(Heading("Clock sanity (cycles ÷ µs against the core clock)", 3))
        out.append(
            table_of(
                ["ratio", "GHz", "clock GHz", "verdict"],
                [
                    [
                        c["label"],
                        c["ghz"],
                        c["clock_ghz"],
                        "AGGREGATE, not wall" if c["aggregate"] else "plausible wall",
                    ]
                    for c in tm["rate_checks"]
                ],  # fmt: skip
            )
        )
    if tm.get("executes"):
        out.append(Heading("Runtrace phases per execute (µs at each phase's own clock)", 3))
        phase_rows = [
            [f"execute {e['index']}", p["name"], p["us"], p["ghz"], p["cycles"]]
            for e in tm["executes"]
            for p in e["phases"]
        ]
        out.append(table_of(["execute", "phase", "µs", "GHz", "cycles"], phase_rows))
    notes = [f"note: {n}" for n in tm.get("notes", [])]
    if notes:
        out.append(Lines(notes))
    return out


def lint_blocks(profile: dict[str, Any] | None) -> list[Block]:
    """The linting-level per-op text of profile.txt: main-thread cycles, wait, overlap, resources."""
    ops = (profile or {}).get("lint_ops") or []
    if not ops:
        return []

    def names(v: list[str]) -> str:
        return ", ".join(v) if v else "-"

    return [
        Heading("profile.txt linting: per-op wait and overlap (cycles)", 3),
        table_of(
            [
                "op",
                "OpId",
                "cycles",
                "wait (sched)",
                "overlap",
                "overlap ops",
                "overlap (wait)",
                "overlap (wait) ops",
                "resources",
            ],  # fmt: skip
            [
                [
                    o["name"],
                    f"OpId_{o['op_id']}",
                    o["cycles"],
                    o["wait_scheduler_cycles"],
                    o["overlap_cycles"],
                    names(o["overlap_ops"]),
                    o["overlap_wait_cycles"],
                    names(o["overlap_wait_ops"]),
                    names(o["resources"]),
                ]  # fmt: skip
                for o in ops
            ],
        ),
    ]


def checks_blocks(cks: list[dict[str, Any]]) -> list[Block]:
    """The derived-vs-SDK cross-check table, then the checks' notes."""
    if not cks:
        return []
    bad = [c for c in cks if not c["ok"]]
    rows = [
        [c["name"], c["derived"] if c["derived"] is not None else "n/a", c["reported"],
         c["source"], "yes" if c["ok"] else "MISMATCH"]
        for c in cks
    ]  # fmt: skip
    out: list[Block] = [
        Heading(f"Cross-checks against the SDK's figures: {len(cks) - len(bad)}/{len(cks)} agree"),
        table_of(["check", "htptui", "SDK", "source", "ok"], rows),
    ]
    notes = [f"note: {c['name']}: {c['note']}" for c in cks if c.get("note")]
    if notes:
        out.append(Lines(notes))
    return out


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


def report_blocks(doc: dict[str, Any]) -> list[Block]:
    """The whole report as blocks, sections included (findings right after the header)."""
    from htptui.output.sections import SECTIONS

    out: list[Block] = [Heading(f"htptui report: {doc.get('name', '')}", 1)]
    head = [f"source: {doc.get('source')}"]
    arts = doc.get("artifacts", {})
    head.append("artifacts found: " + ", ".join(sorted(arts.get("found", {}))))
    if arts.get("missing"):
        head.append("missing: " + ", ".join(arts["missing"]))
    for kind, problem in arts.get("errors", {}).items():
        head.append(f"unreadable {kind}: {problem}")
    scope = doc.get("scope")
    if scope:
        lo = "start" if scope["from_cycles"] is None else f"{fmt_int(scope['from_cycles'])}"
        hi = "end" if scope["to_cycles"] is None else f"{fmt_int(scope['to_cycles'])}"
        line = f"scope: cycles [{lo}, {hi})"
        if scope.get("filter") is not None:
            line += f", filter /{scope['filter']}/"
        head.append(f"{line}, {fmt_int(scope['ops'])} ops")
        head.append(f"scope DPC rule: {scope['dpc_rule']}")
        if scope.get("findings_left_out"):
            left = ", ".join(scope["findings_left_out"])
            head.append(f"findings left out of a scope (they read whole-graph QHAS tables): {left}")
    if doc.get("checks_note"):
        head.append(doc["checks_note"])
    out.append(Lines(head + disagreement_banner(doc)))
    for section in SECTIONS:
        if section.at_top and section.name in doc:
            out += section.blocks(doc[section.name])
    for core in doc.get("cores", []):
        out += core_blocks(core, doc.get("timeline_ascii", {}).get(str(core["core"])))
    out += ranking_blocks(doc.get("ranking") or {})
    for section in SECTIONS:
        if section.after_ranking and section.name in doc:
            out += section.blocks(doc[section.name])
    exact = all(c.get("dpc_exact", True) for c in doc.get("cores", []))
    out += timing_blocks(doc.get("timing") or {}, exact)
    out += lint_blocks(doc.get("profile"))
    out += checks_blocks(doc.get("checks") or [])
    for section in SECTIONS:
        if not section.at_top and not section.after_ranking and section.name in doc:
            out += section.blocks(doc[section.name])
    if doc.get("warnings"):
        out.append(Heading("Warnings", 3))
        out.append(Lines([f"- {w}" for w in doc["warnings"]]))
    return out


def render(doc: dict[str, Any], fmt: str = "text") -> str:
    """Render a report document as ``text`` or ``md``."""
    blocks = report_blocks(doc)
    return markdown.render_blocks(blocks) if fmt == "md" else text.render_blocks(blocks)
