"""A browsing index of the compiled graph at one level (HTP node or QNN op), built once.

Nodes get positions ``0..n-1`` in graph order; producers and consumers are CSR slices of positions
(each edge with the tensors that make it), every node's Σ DPC is one vectorised pass over the
analysis's op-id index (node level) or the QNN-op ranking's members (QNN-op level), and names are
searched by substring (case-insensitive) in one joined string. Every step is iterative and linear
in nodes + edges + ops, so a 100k-node graph is indexed in a worker and then browsed in O(1) per
row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis
    from htptui.model.htp_graph import HtpGraph

Node = int | str
EMPTY = np.zeros(0, dtype=np.int64)
LEVELS = ("node", "qnn")


@dataclass(slots=True)
class DagIndex:
    """One level of the graph: positions, labels, producer/consumer CSR, per-node DPC, search."""

    level: str
    nodes: list[Node]  # node id (node level) or QNN op name, in graph order
    labels: list[str]  # the full name searched and exported: "kernel · QNN op" or the QNN op
    kernels: list[str]  # the HTP kernel of each node ("" at the QNN-op level)
    names: list[str]  # the QNN op of each node
    pos: dict[Node, int]
    pred_ptr: np.ndarray  # producers of position i: pred_idx[pred_ptr[i]:pred_ptr[i + 1]]
    pred_idx: np.ndarray
    pred_eid: np.ndarray  # the edge of each producer slot (into ``edge_tensors``)
    succ_ptr: np.ndarray
    succ_idx: np.ndarray
    succ_eid: np.ndarray
    edge_tensors: list[tuple[int, ...]]  # the tensors of each edge, in first-seen order
    dpc: np.ndarray  # Σ DPC of each node's ops (int64, unreported DPC counts 0)
    edge_ntensors: np.ndarray  # len(edge_tensors[e]) for every edge e
    _folded: list[str] = field(default_factory=list, repr=False)

    def __len__(self) -> int:
        return len(self.nodes)

    def producers(self, p: int) -> np.ndarray:
        """Positions producing an input of position ``p`` (input order)."""
        return self.pred_idx[self.pred_ptr[p] : self.pred_ptr[p + 1]]

    def consumers(self, p: int) -> np.ndarray:
        """Positions consuming an output of position ``p`` (graph order)."""
        return self.succ_idx[self.succ_ptr[p] : self.succ_ptr[p + 1]]

    def producer_edges(self, p: int) -> np.ndarray:
        """Edge ids of the producer slots of ``p`` (aligned with :meth:`producers`)."""
        return self.pred_eid[self.pred_ptr[p] : self.pred_ptr[p + 1]]

    def consumer_edges(self, p: int) -> np.ndarray:
        """Edge ids of the consumer slots of ``p`` (aligned with :meth:`consumers`)."""
        return self.succ_eid[self.succ_ptr[p] : self.succ_ptr[p + 1]]

    def heaviest(self, positions: np.ndarray) -> int | None:
        """The position with the most DPC among ``positions`` (the first on ties), None if empty."""
        if not positions.size:
            return None
        return int(positions[int(np.argmax(self.dpc[positions]))])

    def search(self, query: str) -> np.ndarray:
        """Sorted positions whose label contains ``query`` (case-insensitive substring)."""
        q = query.strip().casefold()
        if not q or not self.nodes:
            return EMPTY
        folded = self.folded()
        return np.fromiter((i for i, s in enumerate(folded) if q in s), dtype=np.int64)

    def folded(self) -> list[str]:
        """The labels case-folded for search (built once; :func:`build_index` builds it)."""
        if len(self._folded) != len(self.labels):
            self._folded = [label.casefold() for label in self.labels]
        return self._folded


def _csr(n: int, key: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges grouped by ``key`` (stable: edge order kept inside a group): ptr, neighbours, edge ids."""
    order = np.argsort(key, kind="stable").astype(np.int64)
    counts = np.bincount(key, minlength=n) if key.size else np.zeros(n, dtype=np.int64)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr, other[order].astype(np.int64), order


def _segment_sums(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Σ values[bounds[k]:bounds[k + 1]] for every k (empty segments give 0)."""
    cs = np.zeros(values.size + 1, dtype=np.int64)
    np.cumsum(values, out=cs[1:])
    return cs[bounds[1:]] - cs[bounds[:-1]]


def _node_dpc(an: RunAnalysis, nodes: list[int]) -> np.ndarray:
    out = np.zeros(len(nodes), dtype=np.int64)
    t = an.trace
    if t is None or not an.has_ops or not nodes:
        return out
    uniq, bounds, order = an._op_id_index()  # the analysis's one op-id index
    sums = _segment_sums(np.maximum(t.dpc[order], 0).astype(np.int64), bounds)
    ids = np.array(nodes, dtype=np.uint64)
    k = np.searchsorted(uniq, ids)
    ok = k < uniq.size
    ok[ok] = uniq[k[ok]] == ids[ok]
    out[ok] = sums[k[ok]]
    return out


def _qnn_dpc(an: RunAnalysis, names: list[str]) -> np.ndarray:
    out = np.zeros(len(names), dtype=np.int64)
    t = an.trace
    if t is None or not an.has_ops or not names:
        return out
    rk = an.ranking("qnn_op")
    sums = _segment_sums(
        np.maximum(t.dpc[rk.member_order], 0).astype(np.int64), rk.member_start.astype(np.int64)
    )
    rows = rk.row_of_name
    for i, name in enumerate(names):
        r = rows.get(name)
        if r is not None:
            out[i] = sums[r]
    return out


def build_node_index(an: RunAnalysis, graph: HtpGraph) -> DagIndex:
    """The HTP-node level: one position per compiled node, edges through the producer map."""
    ids = list(graph.nodes)
    pos: dict[Node, int] = {nid: i for i, nid in enumerate(ids)}
    producer = graph.producer
    src: list[int] = []
    dst: list[int] = []
    tensors: list[tuple[int, ...]] = []
    kernels: list[str] = []
    names: list[str] = []
    for i, nid in enumerate(ids):
        node = graph.nodes[nid]
        kernels.append(node.type)
        names.append(node.grouping)
        mine: dict[int, list[int]] = {}
        for t in node.inputs:
            p = producer.get(t)
            if p is None or p == nid:
                continue
            ts = mine.setdefault(pos[p], [])  # type: ignore[index]
            if t not in ts:
                ts.append(t)
        for pp, ts in mine.items():
            src.append(pp)
            dst.append(i)
            tensors.append(tuple(ts))
    labels = [f"{k} · {n}" for k, n in zip(kernels, names, strict=True)]
    dpc = _node_dpc(an, ids)
    return _finish("node", ids, (labels, kernels, names), pos, src, dst, tensors, dpc)  # type: ignore[arg-type]


def build_qnn_index(an: RunAnalysis) -> DagIndex | None:
    """The QNN-op level, from the analysis's one QNN-op DAG."""
    dag = an.qnn_dag()
    if dag is None:
        return None
    names = list(dag.ops)
    pos: dict[Node, int] = {name: i for i, name in enumerate(names)}
    src: list[int] = []
    dst: list[int] = []
    tensors: list[tuple[int, ...]] = []
    for (a, b), ts in dag.edges.items():
        if a in pos and b in pos:
            src.append(pos[a])
            dst.append(pos[b])
            tensors.append(tuple(ts))
    text = (list(names), [""] * len(names), list(names))
    return _finish("qnn", names, text, pos, src, dst, tensors, _qnn_dpc(an, names))  # type: ignore[arg-type]


def _finish(
    level: str,
    nodes: list[Node],
    text: tuple[list[str], list[str], list[str]],
    pos: dict[Node, int],
    src: list[int],
    dst: list[int],
    tensors: list[tuple[int, ...]],
    dpc: np.ndarray,
) -> DagIndex:
    n = len(nodes)
    s = np.asarray(src, dtype=np.int64)
    d = np.asarray(dst, dtype=np.int64)
    pred_ptr, pred_idx, pred_eid = _csr(n, d, s)
    succ_ptr, succ_idx, succ_eid = _csr(n, s, d)
    ntensors = np.fromiter(map(len, tensors), dtype=np.int64, count=len(tensors))
    return DagIndex(level, nodes, *text, pos, pred_ptr, pred_idx, pred_eid, succ_ptr, succ_idx,
                    succ_eid, tensors, dpc, ntensors)  # fmt: skip


def build_index(an: RunAnalysis, level: str) -> DagIndex | None:
    """The index of ``level`` ("node" or "qnn"), None without a graph."""
    graph = an.run.graph
    if graph is None:
        return None
    idx = build_qnn_index(an) if level == "qnn" else build_node_index(an, graph)
    if idx is not None:
        idx.folded()  # the search's case-folded names, here rather than on the first `f`
    return idx
