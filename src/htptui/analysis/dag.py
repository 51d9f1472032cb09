"""The actual compiled DAG at QNN-op level (nodes collapsed by ``grouping``) and HTP-node level.

An edge A -> B exists when a node of B consumes a tensor produced by a node of A. networkx is
imported lazily inside the functions that build DiGraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from htptui.model.htp_graph import HtpGraph, Node

if TYPE_CHECKING:
    import networkx as nx

# HTP kernels the compiler inserts around the real work of a QNN op (layout, copies, reshapes).
COMPILER_KERNEL_RE = re.compile(
    r"ForceFormat|Reshape|_to_vtcm|from_vtcm|InputSlice|OutputSlice|SlicePad|Concat|Spill|Fill"
    r"|Convert|DmaCheckpoint|SyncOp|Transpose_inplace|_shape_inplace",
    re.I,
)
# QNN op groupings the compiler adds (never written by the model author).
COMPILER_OP_RE = re.compile(r"(_pre_reshape|_post_reshape)(_\d+)?$|^SystemService", re.I)


@dataclass(slots=True)
class QnnDag:
    """The compiled graph collapsed to QNN ops (node = grouping)."""

    ops: list[str]  # groupings in first-appearance order
    nodes_of: dict[str, list[int]]  # grouping -> HTP node ids
    edges: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # -> tensor ids
    # adjacency built once from ``edges`` (rebuilt when edges are added): O(1) per query
    _adj: tuple[int, dict[str, list[str]], dict[str, list[str]]] | None = field(
        default=None, repr=False, compare=False
    )

    def _adjacency(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        if self._adj is None or self._adj[0] != len(self.edges):
            succ: dict[str, list[str]] = {}
            pred: dict[str, list[str]] = {}
            for a, b in self.edges:
                succ.setdefault(a, []).append(b)
                pred.setdefault(b, []).append(a)
            self._adj = (len(self.edges), succ, pred)
        return self._adj[1], self._adj[2]

    def successors(self, op: str) -> list[str]:
        """Direct successor ops in edge order."""
        return list(self._adjacency()[0].get(op, ()))

    def predecessors(self, op: str) -> list[str]:
        """Direct predecessor ops in edge order."""
        return list(self._adjacency()[1].get(op, ()))


_DAG_CACHE: dict[int, tuple[HtpGraph, QnnDag]] = {}


def qnn_dag(graph: HtpGraph) -> QnnDag:
    """Collapse HTP nodes by grouping; edge A->B with the tensors that create it (memoised per
    graph object: a report asks for it several times, and a 100k-node graph costs seconds)."""
    hit = _DAG_CACHE.get(id(graph))
    if hit is not None and hit[0] is graph:
        return hit[1]
    dag = _qnn_dag(graph)
    if len(_DAG_CACHE) >= 4:
        _DAG_CACHE.pop(next(iter(_DAG_CACHE)))
    _DAG_CACHE[id(graph)] = (graph, dag)
    return dag


def _qnn_dag(graph: HtpGraph) -> QnnDag:
    nodes_of: dict[str, list[int]] = {}
    for node in graph.nodes.values():
        nodes_of.setdefault(node.grouping, []).append(node.id)
    dag = QnnDag(ops=list(nodes_of), nodes_of=nodes_of)
    for node in graph.nodes.values():
        for t in dict.fromkeys(node.inputs):
            p = graph.producer.get(t)
            if p is None:
                continue
            src = graph.nodes[p].grouping
            if src != node.grouping:
                tensors = dag.edges.setdefault((src, node.grouping), [])
                if t not in tensors:
                    tensors.append(t)
    return dag


def qnn_digraph(dag: QnnDag) -> nx.DiGraph:
    """The QNN-op DAG as a networkx DiGraph (edge attribute ``tensors``)."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(dag.ops)
    for (a, b), tensors in dag.edges.items():
        g.add_edge(a, b, tensors=tuple(tensors))
    return g


def htp_digraph(graph: HtpGraph) -> nx.DiGraph:
    """The HTP-node DAG (node = HTP node id, attributes kernel/grouping/key; edge ``tensors``)."""
    import networkx as nx

    g = nx.DiGraph()
    for node in graph.nodes.values():
        g.add_node(node.id, kernel=node.type, grouping=node.grouping, key=node.key)
    for node in graph.nodes.values():
        for t in dict.fromkeys(node.inputs):
            p = graph.producer.get(t)
            if p is not None and p != node.id:
                if g.has_edge(p, node.id):
                    g.edges[p, node.id]["tensors"] += (t,)
                else:
                    g.add_edge(p, node.id, tensors=(t,))
    return g


def is_compiler_kernel(kernel: str) -> bool:
    """Whether an HTP kernel is a compiler-inserted layout/copy/reshape op."""
    return bool(COMPILER_KERNEL_RE.search(kernel))


def is_compiler_node(node: Node) -> bool:
    """Whether an HTP node is compiler-inserted: a layout/copy kernel that is not the op's own kind."""
    if not is_compiler_kernel(node.type):
        return False
    own = {re.sub(r"_\d+$", "", node.grouping), str(node.params.get("qnn_op_type", ""))} - {""}
    kernel = node.type.lower()
    return not any(o.lower() in kernel for o in own)


def is_compiler_op(name: str) -> bool:
    """Whether a QNN op name is one the compiler adds (SystemService, *_pre/post_reshape)."""
    return bool(COMPILER_OP_RE.search(name))


def topo_order(g: nx.DiGraph, first_seen: list | None = None) -> list:
    """Nodes generation by generation (stable by first appearance); cycles fall back to order."""
    import networkx as nx

    rank = {n: i for i, n in enumerate(first_seen if first_seen is not None else list(g.nodes))}
    try:
        gens = list(nx.topological_generations(g))
    except nx.NetworkXUnfeasible:
        return sorted(g.nodes, key=lambda n: rank.get(n, len(rank)))
    out = []
    for gen in gens:
        out += sorted(gen, key=lambda n: rank.get(n, len(rank)))
    return out


__all__ = [
    "QnnDag",
    "htp_digraph",
    "is_compiler_kernel",
    "is_compiler_node",
    "is_compiler_op",
    "qnn_dag",
    "qnn_digraph",
    "topo_order",
]
