"""The ``graph_diff`` section: the compiled graph against the expected one, and shared constants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from htptui.output.blocks import Block, Code, Heading, Lines, table_of
from htptui.present.ascii_dag import format_rows, qnn_dag_lines

if TYPE_CHECKING:
    from htptui.analysis.graph_diff import GraphDiff
    from htptui.analysis.run import RunAnalysis
    from htptui.model.htp_graph import HtpGraph

SECTION = "graph_diff"


def section_of(diff: GraphDiff, graph: HtpGraph, an: RunAnalysis | None = None) -> dict[str, Any]:
    """The JSON-able section: the diff plus the QNN-level ASCII DAG."""
    doc = diff.to_dict()
    dag = an.qnn_dag() if an is not None else None
    doc["dag_ascii"] = format_rows(
        qnn_dag_lines(graph, diff if diff.expected_source else None, dag)
    )
    return doc


def build(an: RunAnalysis, options: dict[str, Any]) -> dict[str, Any] | None:
    """The section (None without an HTP graph or anything to say); a bad expected file raises."""
    from htptui.analysis.graph_diff import diff_graphs
    from htptui.errors import InputError

    graph = an.run.graph
    if graph is None:
        return None
    ignored: list[str] = []
    try:
        diff = an.graph_diff(options.get("expected"))
    except InputError as exc:
        if options.get("expected"):
            raise  # asked for explicitly: an error (the command says so and exits 1)
        # found beside the trace (or in its parent): degrade to a warning, as the TUI does
        ignored.append(f"{exc} (expected graph ignored)")
        diff = diff_graphs(graph, None, an.trace)
    assert diff is not None
    if diff.expected_source is None and not diff.shared.significant and not diff.shared.trivial:
        return {"warnings": ignored} if ignored else None
    sec = section_of(diff, graph, an)
    sec["warnings"] = [*ignored, *sec.get("warnings", [])]
    return sec


def _tensor_row(t: dict[str, Any]) -> list[Any]:
    cons = ", ".join(f"{c['node']} ({c['op']})" for c in t["consumers"])
    return [t["id"], t["type"], f"{t['dtype']} {t['dims']}", t["bytes"], t["producer"] or "-", cons]


def blocks(sec: dict[str, Any]) -> list[Block]:
    """The verdict, the annotated DAG, edge and op differences, violations and shared tensors."""
    out: list[Block] = []
    exp = sec.get("expected")
    title = f"Op graph vs expected ({exp})" if exp else "Shared STATIC tensors (no expected graph)"
    out.append(Heading(title))
    lines: list[str] = []
    if exp:
        c = sec["counts"]
        verdict = "matches" if sec["ok"] else "DIFFERS"
        lines.append(
            f"{verdict}: edges {c['matched']} matched, {c['missing']} missing, "
            f"{c['unexpected']} unexpected, {c['added']} to/from compiler-added ops; ops "
            f"{c['matched_ops']} matched, {c['missing_ops']} missing, {c['added_ops']} added"
        )
    lines += [f"- {f['severity'].upper()}: {f['text']}" for f in sec.get("findings", [])]
    if lines:
        out.append(Lines(lines))
    if exp and sec.get("dag_ascii"):
        out.append(Heading("Actual QNN-op DAG ([ok] matched, [MISSING], [UNEXPECTED], [added])", 3))
        out.append(Code(sec["dag_ascii"]))
    bad = [e for e in sec.get("edges", []) if e["status"] in ("missing", "unexpected")]
    if bad:
        out.append(Heading("Edge differences", 3))
        rows = []
        for e in bad:
            tens = "; ".join(f"{t['id']} {t['type']}" for t in e["tensors"]) or e["note"] or "-"
            rows.append([f"{e['src']} -> {e['dst']}", e["status"], e["line"] or "-", tens])
        out.append(table_of(["edge", "status", "line", "tensors / note"], rows))
    nodes = [n for n in sec.get("nodes", []) if n["status"] != "matched"]
    if nodes:
        out.append(Heading("Ops missing or added", 3))
        out.append(
            table_of(
                ["op", "status", "why"], [[n["name"], n["status"], n["reason"]] for n in nodes]
            )
        )
    if sec.get("violations"):
        out.append(Heading("Independence violations", 3))
        out.append(
            table_of(
                ["assertion", "line", "connected by"],
                [
                    [f"{v['a']} || {v['b']}", v["line"] or "-", " -> ".join(v["path"])]
                    for v in sec["violations"]
                ],
            )
        )
    if sec.get("overlaps"):
        out.append(Heading("Timeline overlap of ops expected independent (0 % = ran serially)", 3))
        out.append(
            table_of(
                ["ops", "busy A", "busy B", "overlap", "overlap %"],
                [
                    [
                        f"{o['a']} / {o['b']}",
                        o["a_busy"],
                        o["b_busy"],
                        o["overlap"],
                        o["overlap_pct"],
                    ]
                    for o in sec["overlaps"]
                ],  # fmt: skip
            )
        )
    shared = sec.get("shared_tensors", {})
    headers = ["tensor", "type", "dtype dims", "bytes", "producer", "consumers"]
    if shared.get("significant"):
        out.append(Heading("STATIC tensors shared by several QNN ops (largest first)", 3))
        out.append(table_of(headers, [_tensor_row(s["tensor"]) for s in shared["significant"]]))
    tail: list[str] = []
    if shared.get("trivial"):
        ops = sorted({op for s in shared["trivial"] for op in s["ops"]})
        tail.append(
            f"({len(shared['trivial'])} shape/scalar constants shared by {len(ops)} ops set apart: "
            + ", ".join(f"{s['tensor']['id']} {s['reason']}" for s in shared["trivial"])
            + ")"
        )
    hops = sec.get("compiler_htp_ops", [])
    if hops:
        kinds: dict[str, int] = {}
        for h in hops:
            kinds[h["kernel"]] = kinds.get(h["kernel"], 0) + 1
        tail.append(
            f"compiler-inserted HTP ops (not errors): {len(hops)} — "
            + ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items()))
        )
    tail += [f"warning: {w}" for w in sec.get("warnings", [])]
    if tail:
        out.append(Lines(tail))
    return out
