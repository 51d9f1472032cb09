"""ASCII DAGs like ``git log --graph``: lanes per edge, one node per row, diff status marked."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, NamedTuple

from htptui.present.format import ELLIPSIS, cell_width, elide_middle, elide_names

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


class DagRow(NamedTuple):
    """One ASCII DAG row: lane glyphs, node label, annotation ``prefix + sep.join(items)``."""

    glyphs: str
    label: str
    prefix: str = ""
    items: tuple[str, ...] = ()
    sep: str = ", "

    def note(self) -> str:
        """The full annotation."""
        return (self.prefix + self.sep.join(self.items)).strip()

    def triple(self) -> tuple[str, str, str]:
        """``(glyphs, label, annotation)``."""
        return (self.glyphs, self.label, self.note())


def qnn_dag_lines(
    graph: HtpGraph, diff: GraphDiff | None, dag: QnnDag | None = None
) -> list[tuple[str, str, str]]:
    """QNN-level ASCII rows ``(glyphs, label, annotation)`` with the diff marked."""
    return [r.triple() for r in qnn_dag_rows(graph, diff, dag)]


def qnn_dag_rows(
    graph: HtpGraph, diff: GraphDiff | None, dag: QnnDag | None = None
) -> list[DagRow]:
    """QNN-level rows with the producers of each op as separate items (see :func:`fit_rows`)."""
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
            out.append(DagRow(glyph, ""))
            continue
        ins = []
        for p in dag.predecessors(str(n)):
            st = status.get((p, n))
            ins.append(f"{p} [{EDGE_MARK.get(st, st)}]" if st else p)
        prefix = "<- " if ins else ""
        nd = node_status.get(str(n))
        if nd is not None and nd.status == "added":
            prefix = f"[added: {nd.reason}] " + prefix
        out.append(DagRow(glyph, str(n), prefix, tuple(ins)))
    return out


def htp_dag_lines(graph: HtpGraph, diff: GraphDiff | None) -> list[tuple[str, str, str]]:
    """HTP-level ASCII rows: each node ``key kernel [op]``; cross-op edges carry the QNN status."""
    return [r.triple() for r in htp_dag_rows(graph, diff)]


def htp_dag_rows(graph: HtpGraph, diff: GraphDiff | None) -> list[DagRow]:
    """HTP-level rows; the compiler mark and each cross-op producer are separate items."""
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
            out.append(DagRow(glyph, ""))
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
        out.append(DagRow(glyph, label, "", tuple(marks), " "))
    return out


def format_rows(rows: list[tuple[str, str, str]]) -> list[str]:
    """Align glyphs, labels and annotations into text lines."""
    gw = max((len(g) for g, _, _ in rows), default=0)
    lw = max((cell_width(lb) for _, lb, _ in rows), default=0)
    out = []
    for g, lb, note in rows:
        pad = " " * (lw - cell_width(lb))
        out.append(f"{g.ljust(gw)}  {lb}{pad}  {note}".rstrip() if lb else g)
    return out


# --- fitting a width -----------------------------------------------------------------------------


def fit_glyphs(glyphs: str, width: int) -> str:
    """Lane glyphs cut to ``width`` cells; a node ``*`` beyond the cut stays visible after "…"."""
    if len(glyphs) <= width:
        return glyphs
    star = glyphs.find("*")
    if star >= width - 1:
        return glyphs[: max(0, width - 3)] + ELLIPSIS + " *"
    return glyphs[: width - 1] + ELLIPSIS


def fit_list(prefix: str, items: list[str] | tuple[str, ...], sep: str, width: int) -> str:
    """``prefix`` and as many ``items`` as fit in ``width`` cells, then ``… (+N more)``.

    Items show whole; when not even the first fits it is middle-elided (if 8 cells allow).
    """
    full = prefix + sep.join(items)
    if cell_width(full) <= width:
        return full
    n = len(items)
    avail = width - cell_width(prefix)

    def more(k: int) -> str:
        return f"{sep if k else ''}{ELLIPSIS} (+{n - k} more)" if k < n else ""

    def take(names: list[str] | tuple[str, ...]) -> list[str]:
        shown: list[str] = []
        used = 0
        for k, it in enumerate(names):
            add = cell_width(it) + (len(sep) if k else 0)
            if used + add + cell_width(more(k + 1)) > avail:
                break
            shown.append(it)
            used += add
        return shown

    shown = take(items)
    if not shown:  # not even the first name fits whole: show it middle-elided
        shown = take([elide_middle(items[0], max(8, avail - cell_width(more(1))))])
    text = prefix + sep.join(shown) + more(len(shown))
    return text if cell_width(text) <= width else elide_middle(text, width)


def fit_rows(rows: list[DagRow], width: int) -> list[str]:
    """Like :func:`format_rows` but every line fits in ``width`` cells.

    Lane glyphs take at most a third of the width, labels are middle-elided to what the widest
    annotation leaves, but no less than half of the rest (and at least 12 cells); when that
    makes distinct labels collide the label column grows and the lanes give way (down to 5
    cells, keeping a third of the width, at least 20 cells, for annotations). Each annotation lists as
    many items as fit, ending ``… (+N more)``. Rows that fit as they are come out as
    :func:`format_rows` would print them.
    """
    plain = format_rows([r.triple() for r in rows])
    if all(cell_width(ln) <= width for ln in plain):
        return plain
    gw_full = max((len(r.glyphs) for r in rows), default=0)
    gw_min = min(gw_full, 5)
    gw = min(gw_full, max(5, width // 3))
    lw_full = max((cell_width(r.label) for r in rows), default=0)
    note_full = max((cell_width(r.note()) for r in rows if r.label), default=0)
    note_min = min(note_full, max(20, width // 3))  # room for "<- a, … (+N more)"
    rest = width - gw - 4
    lw = min(lw_full, max(12, rest // 2, rest - note_full))
    names = [r.label for r in rows]
    n_distinct = len(set(names))
    labels = elide_names(names, lw) if lw < lw_full else names
    # widen the label column (lanes give way first) until distinct labels stay distinct
    widest = min(lw_full, max(lw, width - 4 - gw_min - note_min))
    while len(set(labels)) < n_distinct and lw < widest:
        lw = min(widest, lw + max(4, lw // 4))
        labels = elide_names(names, lw) if lw < lw_full else names
    gw = max(gw_min, min(gw, width - 4 - lw - note_min))
    out = []
    for r, lb in zip(rows, labels, strict=True):
        g = fit_glyphs(r.glyphs, gw)
        if not r.label:
            out.append(g)
            continue
        head = f"{g.ljust(gw)}  {lb}{' ' * (lw - cell_width(lb))}  "
        line = (head + fit_list(r.prefix, r.items, r.sep, width - cell_width(head))).rstrip()
        out.append(line if cell_width(line) <= width else elide_middle(line, width))
    return out
