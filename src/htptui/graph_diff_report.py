"""Graph-diff output: the ``graph_diff`` report section and the ASCII lane DAG (``htptui dag``).

Importing this module registers the section with :func:`htptui.report.register_section`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from htptui.report import _heading, _table, register_section

if TYPE_CHECKING:
    import networkx as nx

    from htptui.analysis.graph_diff import GraphDiff
    from htptui.model.htp_graph import HtpGraph
    from htptui.model.optrace import Optrace

EDGE_MARK = {"matched": "ok", "missing": "MISSING", "unexpected": "UNEXPECTED", "added": "added"}


# --- ASCII lanes ---------------------------------------------------------------------------------


def lane_rows(g: nx.DiGraph, order: list[Hashable]) -> list[tuple[str, Hashable | None]]:
    """Rows ``(glyphs, node)`` like ``git log --graph``; connector rows have node None.

    ``*`` is a node, ``|`` a lane carrying an edge down, ``/`` lanes merging into the node below,
    ``\\`` new lanes forking from the node above.
    """
    lanes: list[tuple[Hashable, Hashable] | None] = []
    pos = {n: i for i, n in enumerate(order)}
    rows: list[tuple[str, Hashable | None]] = []

    def glyphs(marks: dict[int, str]) -> str:
        width = max([len(lanes), *(i + 1 for i in marks)]) if (lanes or marks) else 0
        return " ".join(
            marks.get(i, "|" if i < len(lanes) and lanes[i] else " ") for i in range(width)
        )

    for n in order:
        ins = [i for i, ln in enumerate(lanes) if ln is not None and ln[1] == n]
        if ins:
            c = ins[0]
            if len(ins) > 1:
                rows.append((glyphs({i: "/" for i in ins[1:]}).rstrip(), None))
            for i in ins:
                lanes[i] = None
        else:
            c = next((i for i, ln in enumerate(lanes) if ln is None), len(lanes))
        while len(lanes) <= c:
            lanes.append(None)
        rows.append((glyphs({c: "*"}).rstrip(), n))
        succ = sorted((s for s in g.successors(n) if pos.get(s, -1) > pos[n]), key=lambda s: pos[s])
        new: dict[int, str] = {}
        for k, s in enumerate(succ):
            if k == 0:
                lanes[c] = (n, s)
                continue
            j = next((i for i, ln in enumerate(lanes) if ln is None and i != c), len(lanes))
            while len(lanes) <= j:
                lanes.append(None)
            lanes[j] = (n, s)
            new[j] = "\\" if j > c else "/"
        if new:
            rows.append((glyphs(new).rstrip(), None))
        while lanes and lanes[-1] is None:
            lanes.pop()
    return rows


def qnn_dag_lines(graph: HtpGraph, diff: GraphDiff | None) -> list[tuple[str, str, str]]:
    """QNN-level ASCII rows ``(glyphs, label, annotation)`` with the diff marked."""
    from htptui.analysis.dag import qnn_dag, qnn_digraph, topo_order

    dag = qnn_dag(graph)
    g = qnn_digraph(dag)
    order = topo_order(g, dag.ops)
    status = {}
    if diff is not None:
        for e in diff.edges:
            status[(e.src, e.dst)] = e.status
            for a, b in zip((e.src, *e.via), (*e.via, e.dst), strict=True):
                status.setdefault((a, b), e.status)
    node_status = {n.name: n for n in diff.nodes} if diff is not None else {}
    out = []
    for glyph, n in lane_rows(g, order):
        if n is None:
            out.append((glyph, "", ""))
            continue
        ins = []
        for p in dag.predecessors(str(n)):
            st = status.get((p, n))
            ins.append(f"{p} [{EDGE_MARK.get(st, st)}]" if st else p)
        note = ("<- " + ", ".join(ins)) if ins else ""
        nd = node_status.get(str(n))
        if nd is not None and nd.status == "added":
            note = f"[added: {nd.reason}] " + note
        out.append((glyph, str(n), note.strip()))
    return out


def htp_dag_lines(graph: HtpGraph, diff: GraphDiff | None) -> list[tuple[str, str, str]]:
    """HTP-level ASCII rows: each node ``key kernel [op]``; cross-op edges carry the QNN status."""
    from htptui.analysis.dag import htp_digraph, is_compiler_node, topo_order

    g = htp_digraph(graph)
    order = topo_order(g, list(graph.nodes))
    status = {(e.src, e.dst): e.status for e in diff.edges} if diff is not None else {}
    for e in diff.edges if diff is not None else []:
        for a, b in zip((e.src, *e.via), (*e.via, e.dst), strict=True):
            status.setdefault((a, b), e.status)
    out = []
    for glyph, nid in lane_rows(g, order):
        if nid is None:
            out.append((glyph, "", ""))
            continue
        node = graph.nodes[nid]  # type: ignore[index]
        label = f"{node.key} {node.type} [{node.grouping}]"
        marks = []
        if is_compiler_node(node):
            marks.append("compiler")
        for p in g.predecessors(nid):
            src = graph.nodes[p].grouping
            if src != node.grouping:
                st = status.get((src, node.grouping))
                marks.append(f"<- {src} [{EDGE_MARK.get(st, st)}]" if st else f"<- {src}")
        out.append((glyph, label, " ".join(marks)))
    return out


def format_rows(rows: list[tuple[str, str, str]]) -> list[str]:
    """Align glyphs, labels and annotations into text lines."""
    gw = max((len(g) for g, _, _ in rows), default=0)
    lw = max((len(lb) for _, lb, _ in rows), default=0)
    out = []
    for g, lb, note in rows:
        out.append(f"{g.ljust(gw)}  {lb.ljust(lw)}  {note}".rstrip() if lb else g)
    return out


# --- report section ------------------------------------------------------------------------------


def section_of(diff: GraphDiff, graph: HtpGraph) -> dict[str, Any]:
    """The JSON-able section: the diff plus the QNN-level ASCII DAG."""
    doc = diff.to_dict()
    doc["dag_ascii"] = format_rows(qnn_dag_lines(graph, diff if diff.expected_source else None))
    return doc


def build(opt: Optrace, options: dict[str, Any]) -> dict[str, Any] | None:
    """Build the ``graph_diff`` section (None without an HTP graph); bad expected file exits 1."""
    from htptui.analysis.graph_diff import diff_optrace
    from htptui.errors import InputError

    if opt.graph is None:
        return None
    try:
        diff = diff_optrace(opt, options.get("expected"))
    except InputError as exc:
        from htptui.commands._common import fail, warn

        if options.get("expected"):
            fail(str(exc))  # asked for explicitly: an error
        # found beside the trace (or in its parent): degrade to a warning, as the TUI does
        warn(f"warning: {exc} (expected graph ignored)")
        from htptui.analysis.graph_diff import diff_graphs

        diff = diff_graphs(opt.graph, None, opt.trace)
    assert diff is not None
    if diff.expected_source is None and not diff.shared.significant and not diff.shared.trivial:
        return None
    return section_of(diff, opt.graph)


def _tensor_row(t: dict[str, Any]) -> list[Any]:
    cons = ", ".join(f"{c['node']} ({c['op']})" for c in t["consumers"])
    return [t["id"], t["type"], f"{t['dtype']} {t['dims']}", t["bytes"], t["producer"] or "-", cons]


def render(sec: dict[str, Any], md: bool) -> list[str]:
    """Render the ``graph_diff`` section as text or Markdown lines."""
    out: list[str] = []
    exp = sec.get("expected")
    title = f"Op graph vs expected ({exp})" if exp else "Shared STATIC tensors (no expected graph)"
    out += _heading(title, md)
    if exp:
        c = sec["counts"]
        verdict = "matches" if sec["ok"] else "DIFFERS"
        out.append(
            f"{verdict}: edges {c['matched']} matched, {c['missing']} missing, "
            f"{c['unexpected']} unexpected, {c['added']} to/from compiler-added ops; ops "
            f"{c['matched_ops']} matched, {c['missing_ops']} missing, {c['added_ops']} added"
        )
    for f in sec.get("findings", []):
        out.append(f"- {f['severity'].upper()}: {f['text']}")
    if exp and sec.get("dag_ascii"):
        out += _heading("Actual QNN-op DAG ([ok] matched, [MISSING], [UNEXPECTED], [added])", md, 3)
        out += ["```", *sec["dag_ascii"], "```"] if md else sec["dag_ascii"]
    bad = [e for e in sec.get("edges", []) if e["status"] in ("missing", "unexpected")]
    if bad:
        out += _heading("Edge differences", md, 3)
        rows = []
        for e in bad:
            tens = "; ".join(f"{t['id']} {t['type']}" for t in e["tensors"]) or e["note"] or "-"
            rows.append([f"{e['src']} -> {e['dst']}", e["status"], e["line"] or "-", tens])
        out += _table(["edge", "status", "line", "tensors / note"], rows, md)
    nodes = [n for n in sec.get("nodes", []) if n["status"] != "matched"]
    if nodes:
        out += _heading("Ops missing or added", md, 3)
        out += _table(
            ["op", "status", "why"], [[n["name"], n["status"], n["reason"]] for n in nodes], md
        )
    if sec.get("violations"):
        out += _heading("Independence violations", md, 3)
        out += _table(
            ["assertion", "line", "connected by"],
            [
                [f"{v['a']} || {v['b']}", v["line"] or "-", " -> ".join(v["path"])]
                for v in sec["violations"]
            ],
            md,
        )
    if sec.get("overlaps"):
        out += _heading("Timeline overlap of ops expected independent (0 % = ran serially)", md, 3)
        out += _table(
            ["ops", "busy A", "busy B", "overlap", "overlap %"],
            [
                [f"{o['a']} / {o['b']}", o["a_busy"], o["b_busy"], o["overlap"], o["overlap_pct"]]
                for o in sec["overlaps"]
            ],
            md,
        )
    shared = sec.get("shared_tensors", {})
    headers = ["tensor", "type", "dtype dims", "bytes", "producer", "consumers"]
    if shared.get("significant"):
        out += _heading("STATIC tensors shared by several QNN ops (largest first)", md, 3)
        out += _table(headers, [_tensor_row(s["tensor"]) for s in shared["significant"]], md)
    if shared.get("trivial"):
        ops = sorted({op for s in shared["trivial"] for op in s["ops"]})
        out.append(
            f"({len(shared['trivial'])} shape/scalar constants shared by {len(ops)} ops set apart: "
            + ", ".join(f"{s['tensor']['id']} {s['reason']}" for s in shared["trivial"])
            + ")"
        )
    hops = sec.get("compiler_htp_ops", [])
    if hops:
        kinds: dict[str, int] = {}
        for h in hops:
            kinds[h["kernel"]] = kinds.get(h["kernel"], 0) + 1
        out.append(
            f"compiler-inserted HTP ops (not errors): {len(hops)} — "
            + ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items()))
        )
    for w in sec.get("warnings", []):
        out.append(f"warning: {w}")
    return out


register_section("graph_diff", build, render)
