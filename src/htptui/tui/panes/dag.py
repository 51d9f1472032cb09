"""The op DAG pane: the selected op's neighbourhood in the compiled graph, with DPC heat per node.

Node → ops comes from the analysis's op-id index and QNN-op edges from its one QNN-op DAG, so moving
the selection costs a dict lookup per neighbour, not a scan of the trace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Group, RenderableType
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from htptui.present.columns import DAG_NODE_COLUMNS
from htptui.present.format import fmt_float, fmt_int, heat_bar
from htptui.present.tables import export_rows
from htptui.tui.messages import SelectOps
from htptui.tui.panes._common import missing_text

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis
    from htptui.model.htp_graph import HtpGraph

ExportTable = tuple[list[str], list[list[Any]]]
DAG_WHOLE_LIMIT = 60
EMPTY = np.zeros(0, dtype=np.int64)
Node = int | str


class DagPane(VerticalScroll, can_focus=True):
    """Text neighbourhood of the selected op in the compiled graph, with DPC heat per node."""

    BINDINGS = [
        Binding("j", "move(1)", "Next node", show=False, id="dag.next", tooltip="Next graph node"),
        Binding("k", "move(-1)", "Prev node", show=False, id="dag.prev", tooltip="Previous node"),
        Binding("enter", "pick", "Select node", id="dag.pick", tooltip="Select this node's ops"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.analysis: RunAnalysis | None = None
        self.level = "node"  # or "qnn"
        self.centre: Node | None = None  # node id (node level) or QNN op name
        self.cursor = 0
        self.filter_mask: np.ndarray | None = None
        self._dpc_cache: dict[Node, int] = {}
        self._succ: dict[int, list[int]] | None = None
        self._node_lists: dict[str, list[Node]] = {}

    def compose(self):  # type: ignore[no-untyped-def]
        """A title line and the rendered neighbourhood."""
        yield Static("Op DAG", id="dag-title", classes="pane-title", markup=False)
        yield Static("", id="dag-body", markup=False)

    def show_run(self, an: RunAnalysis) -> None:
        """Show the loaded run's graph (the indexes were built in the load worker)."""
        self.analysis = an
        self._dpc_cache = {}
        self._succ = None
        self._node_lists = {}
        if an.run.graph is None:
            self.add_class("-missing")
        nodes = self.node_list()
        if nodes and self.centre is None:
            self.centre = nodes[0]
        self.render_body()

    # --- graph views

    @property
    def graph(self) -> HtpGraph | None:
        """The compiled graph, if loaded."""
        return self.analysis.run.graph if self.analysis is not None else None

    def node_list(self) -> list[Node]:
        """Nodes at the current level, in graph (topological) order."""
        g = self.graph
        if g is None or self.analysis is None:
            return []
        if self.level not in self._node_lists:
            if self.level == "qnn":
                dag = self.analysis.qnn_dag()
                self._node_lists["qnn"] = list(dag.ops) if dag is not None else []
            else:
                self._node_lists["node"] = list(g.nodes)
        return self._node_lists[self.level]

    def ops_of(self, node: Node) -> np.ndarray:
        """Trace op indices of a node (by op ID) or of a QNN op (by name)."""
        an = self.analysis
        if an is None or an.trace is None:
            return EMPTY
        return an.ops_of_qnn_op(node) if isinstance(node, str) else an.ops_of_op_id(node)

    def dpc_of(self, node: Node) -> int:
        """Dominant Path Cycles of a node's ops."""
        if node not in self._dpc_cache:
            an = self.analysis
            self._dpc_cache[node] = an.dpc_of_ops(self.ops_of(node)) if an is not None else 0
        return self._dpc_cache[node]

    def neighbours(self, node: Node) -> tuple[list[tuple[Node, list[int]]], ...]:
        """(predecessors, successors), each with the tensors connecting them to ``node``."""
        g = self.graph
        if g is None or self.analysis is None:
            return [], []
        if isinstance(node, int):
            n = g.nodes.get(node)
            if n is None:
                return [], []
            preds: dict[Node, list[int]] = {}
            for t in n.inputs:
                p = g.producer.get(t)
                if p is not None and p != node:
                    preds.setdefault(p, []).append(t)
            if self._succ is None:
                self._succ = g.successors()
            outs = set(n.outputs)
            succs: dict[Node, list[int]] = {}
            for other_id in self._succ.get(node, []):
                other = g.nodes[other_id]
                for t in other.inputs:
                    if t in outs:
                        succs.setdefault(other_id, []).append(t)
            return list(preds.items()), list(succs.items())
        dag = self.analysis.qnn_dag()
        if dag is None:
            return [], []
        preds_q = [(p, list(dag.edges[(p, node)])) for p in dag.predecessors(node)]
        succs_q = [(s, list(dag.edges[(node, s)])) for s in dag.successors(node)]
        return preds_q, succs_q  # type: ignore[return-value]

    def label(self, node: Node) -> str:
        """Display name of a node."""
        g = self.graph
        if isinstance(node, str) or g is None:
            return str(node)
        n = g.nodes.get(node)
        return f"{n.type} · {n.grouping}" if n else str(node)

    def tensor_text(self, tid: int) -> str:
        """ID, type, dims and dtype of a tensor."""
        g = self.graph
        t = g.tensors.get(tid) if g is not None else None
        if t is None:
            return f"0x{tid:016x}"
        dims = "×".join(str(d) for d in t.dims) or "scalar"
        return f"{t.key} {t.type_name} [{dims}] {t.dtype_name}"

    def heat(self, node: Node) -> Text:
        """Heat bar and DPC of a node against the whole path."""
        an = self.analysis
        total = an.ranking("qnn_op").dpc_total if an is not None and an.has_ops else 0
        dpc = self.dpc_of(node)
        frac = dpc / total if total else 0.0
        out = Text()
        out.append(heat_bar(frac), style="bold")
        out.append(f" {fmt_int(dpc):>7} DPC {fmt_float(100 * frac, 1):>5}%")
        return out

    def _dimmed(self, node: Node) -> bool:
        if self.filter_mask is None:
            return False
        ops = self.ops_of(node)
        return not bool(ops.size and self.filter_mask[ops].any())

    def render_body(self) -> None:
        """Rebuild the neighbourhood (and whole graph when small)."""
        title = self.query_one("#dag-title", Static)
        body = self.query_one("#dag-body", Static)
        an = self.analysis
        if an is None:
            return
        if an.run.graph is None:
            title.update("Op DAG")
            body.update(missing_text(an.run.missing_sentence("htp_graph")))
            return
        nodes = self.node_list()
        lvl = "QNN-op level" if self.level == "qnn" else "HTP-node level"
        title.update(
            f"Op DAG · {lvl} ({len(nodes)} nodes) · l toggles · j/k move · Enter selects",
            layout=False,
        )
        lines: list[RenderableType] = []
        centre = self.centre
        if centre is None or centre not in set(nodes):
            lines.append(Text("the selected op produces no tensor, so it has no graph node"))
        else:
            preds, succs = self.neighbours(centre)
            for node, tensors in preds:
                lines.append(self._node_line("  ↑ ", node))
                for t in tensors:
                    lines.append(
                        Text(f"      └─ {self.tensor_text(t)} ─▶", style="dim", no_wrap=True)
                    )
            lines.append(self._node_line("  ● ", centre, bold=True))
            for node, tensors in succs:
                for t in tensors:
                    lines.append(
                        Text(f"      ┌─ {self.tensor_text(t)} ─▶", style="dim", no_wrap=True)
                    )
                lines.append(self._node_line("  ↓ ", node))
            if not preds and not succs:
                lines.append(Text("  (no graph neighbours)", style="dim"))
        if len(nodes) <= DAG_WHOLE_LIMIT:
            lines.append(Text(f"\nwhole graph ({len(nodes)} nodes, graph order)", style="bold"))
            for pos, node in enumerate(nodes):
                prefix = "► " if pos == self.cursor else "  "
                mark = "● " if node == centre else "  "
                lines.append(self._node_line(prefix + mark, node, bold=node == centre))
        body.update(Group(*lines))

    def _node_line(self, prefix: str, node: Node, bold: bool = False) -> Text:
        out = Text(prefix, no_wrap=True, overflow="ellipsis")
        out.append_text(self.heat(node))
        out.append(" " + self.label(node), style="bold" if bold else "")
        if self._dimmed(node):
            out.stylize("dim")
        return out

    # --- linking

    def on_ops_selected(self, op_indices: tuple[int, ...], primary: int | None) -> None:
        """Centre on the primary op's node (or its QNN op)."""
        an = self.analysis
        if an is None or an.trace is None or primary is None or an.run.graph is None:
            return
        if self.level == "qnn":
            centre: Node | None = an.trace.qnn_op_name(primary)
        else:
            node = an.run.graph_node(primary)
            centre = node.id if node is not None else None
        if centre == self.centre:
            return
        self.centre = centre
        nodes = self.node_list()
        if self.centre in nodes:
            self.cursor = nodes.index(self.centre)
        self.render_body()

    def on_filter(self, pattern: str | None) -> None:
        """Dim nodes with no op matching the filter."""
        an = self.analysis
        self.filter_mask = an.filter_mask(pattern) if an is not None and pattern else None
        self.render_body()

    def toggle_level(self) -> None:
        """`l`: HTP-node level ↔ QNN-op level, keeping the centre."""
        g = self.graph
        if self.level == "node":
            self.level = "qnn"
            if isinstance(self.centre, int) and g is not None and self.centre in g.nodes:
                self.centre = g.nodes[self.centre].grouping
        else:
            self.level = "node"
            if isinstance(self.centre, str) and g is not None:
                self.centre = next((n.id for n in g.nodes.values() if n.grouping == self.centre),
                                   None)  # fmt: skip
        nodes = self.node_list()
        self.cursor = nodes.index(self.centre) if self.centre in nodes else 0
        self.render_body()

    def action_move(self, delta: int) -> None:
        """Move the node cursor in the whole-graph list."""
        nodes = self.node_list()
        if not nodes:
            return
        self.cursor = max(0, min(len(nodes) - 1, self.cursor + delta))
        self.render_body()

    def action_pick(self) -> None:
        """Select the ops of the node under the cursor everywhere."""
        nodes = self.node_list()
        if not nodes:
            return
        ops = self.ops_of(nodes[self.cursor])
        if ops.size:
            self.post_message(SelectOps(tuple(ops.tolist()), int(ops[0]), origin="dag"))

    def export_table(self) -> ExportTable:
        """Nodes with their DPC and neighbours (node IDs, raw DPC)."""
        records = []
        for node in self.node_list():
            preds, succs = self.neighbours(node)
            records.append(
                {
                    "node": str(node) if isinstance(node, str) else f"0x{node:016x}",
                    "label": self.label(node),
                    "dpc": self.dpc_of(node),
                    "predecessors": " ".join(self.label(p) for p, _ in preds),
                    "successors": " ".join(self.label(s) for s, _ in succs),
                }
            )
        return export_rows(DAG_NODE_COLUMNS, records)
