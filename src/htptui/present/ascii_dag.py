"""ASCII DAGs like ``git log --graph``: lanes per edge, one node per row, diff status marked."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

    from htptui.analysis.dag import QnnDag
    from htptui.analysis.graph_diff import GraphDiff
    from htptui.model.htp_graph import HtpGraph

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


def qnn_dag_lines(
    graph: HtpGraph, diff: GraphDiff | None, dag: QnnDag | None = None
) -> list[tuple[str, str, str]]:
    """QNN-level ASCII rows ``(glyphs, label, annotation)`` with the diff marked."""
    from htptui.analysis.dag import qnn_dag, qnn_digraph, topo_order

    dag = dag if dag is not None else qnn_dag(graph)
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
