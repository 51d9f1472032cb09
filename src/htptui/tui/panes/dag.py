"""The op DAG pane: a virtual list over the compiled graph, with DPC heat per node.

Two views of one :class:`~htptui.analysis.dag_index.DagIndex` (HTP-node or QNN-op level, `l`):
the selected node with its producers above and consumers below (each edge's tensors between),
and the whole graph in graph order (`a`). Only the rows on screen are formatted
(:class:`~htptui.tui.widgets.nodelist.NodeList`), their names shortened together in the middle
(the full name is in Details). `f` searches node names, `n`/`N` step through the matches, `u`/`d`
walk to a producer/consumer, Backspace walks back, Enter selects the node's ops everywhere.

The index is built once per level (iterative, linear in nodes + edges + ops) from the analysis's
op-id index and QNN-op DAG; graphs above ``SYNC_INDEX_NODES`` nodes are indexed in a thread worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from htptui.analysis.dag_index import DagIndex, build_index
from htptui.present.columns import DAG_NODE_COLUMNS
from htptui.present.format import (
    elide_middle,
    elide_names,
    fmt_float,
    fmt_int,
    heat_bar,
    max_cell_width,
)
from htptui.present.tables import export_rows
from htptui.tui.messages import request_selection
from htptui.tui.panes._common import missing_text
from htptui.tui.selection import OpSelection
from htptui.tui.widgets.nodelist import NodeList, Part

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis
    from htptui.model.htp_graph import HtpGraph

ExportTable = tuple[list[str], list[list[Any]]]
EMPTY = np.zeros(0, dtype=np.int64)
Node = int | str
SYNC_INDEX_NODES = 5_000  # bigger graphs are indexed in a thread worker
HISTORY_LIMIT = 1_000
BAR_WIDTH = 8
NAME_AND_KERNEL = 28  # fewer cells than this for the name, and the kernel is left out
MIN_NAME = 40  # narrower than this for the name, and the heat bar is left out


def _bind(key: str, action: str, desc: str, bid: str, tip: str, show: bool = False) -> Binding:
    return Binding(key, action, desc, show=show, id=bid, tooltip=tip)


class DagSearch(Input):
    """The `f` search field: Enter searches, Esc closes."""

    DEFAULT_CSS = """
    DagSearch { height: 1; border: none; padding: 0 1; background: $boost; }
    DagSearch:focus { border: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        _bind("escape", "close", "Close", "dag.search_close", "Close the DAG search")
    ]

    def action_close(self) -> None:
        """Esc: close without searching."""
        pane = next((a for a in self.ancestors if isinstance(a, DagPane)), None)
        if pane is not None:
            pane.close_search()

    def on_blur(self) -> None:
        """Focus went elsewhere (Tab, a click): the field closes, the last search stays."""
        pane = next((a for a in self.ancestors if isinstance(a, DagPane)), None)
        if pane is not None and self.display:
            pane.close_search(refocus=False)


class IndexReady(Message):
    """The worker built a level's index."""

    def __init__(self, level: str, index: DagIndex | None, graph: object) -> None:
        super().__init__()
        self.level = level
        self.index = index
        self.graph = graph


class _AroundRows:
    """The centre node with its producers above and its consumers below (tensors between).

    Rows are not materialised: a producer slot is its node row then one row per tensor, a
    consumer slot its tensor rows then its node row; row → (kind, position, tensor) is a binary
    search in the slots' cumulative row counts (numpy, built in O(degree)).
    """

    def __init__(self, pane: DagPane, idx: DagIndex, centre: int) -> None:
        self.pane = pane
        self.idx = idx
        self.centre = centre
        self.preds = idx.producers(centre)
        self.pred_edges = idx.producer_edges(centre)
        self.succs = idx.consumers(centre)
        self.succ_edges = idx.consumer_edges(centre)
        ntensors = idx.edge_ntensors
        self.pred_start = np.concatenate(([0], np.cumsum(1 + ntensors[self.pred_edges])))
        self.centre_row = int(self.pred_start[-1])
        self.succ_start = (
            self.centre_row + 1 + np.concatenate(([0], np.cumsum(1 + ntensors[self.succ_edges])))
        )
        self.n = int(self.succ_start[-1])
        self.note = not self.preds.size and not self.succs.size
        if self.note:
            self.n += 1

    def row(self, r: int) -> tuple[str, int, int]:
        """(kind, node position, tensor id or -1) of row ``r``."""
        if r < self.centre_row:
            k = int(np.searchsorted(self.pred_start, r, side="right")) - 1
            off = r - int(self.pred_start[k])
            p, e = int(self.preds[k]), int(self.pred_edges[k])
            return (
                ("pred", p, -1) if off == 0 else ("ptensor", p, self.idx.edge_tensors[e][off - 1])
            )
        if r == self.centre_row:
            return ("centre", self.centre, -1)
        if self.note:
            return ("note", -1, -1)
        k = int(np.searchsorted(self.succ_start, r, side="right")) - 1
        off = r - int(self.succ_start[k])
        s, e = int(self.succs[k]), int(self.succ_edges[k])
        tensors = self.idx.edge_tensors[e]
        return ("succ", s, -1) if off == len(tensors) else ("stensor", s, tensors[off])

    def count(self) -> int:
        return self.n

    def selectable(self, row: int) -> bool:
        return self.row(row)[0] in ("pred", "centre", "succ")

    def position(self, row: int) -> int | None:
        kind, p, _ = self.row(row)
        return p if kind in ("pred", "centre", "succ") else None

    def row_of(self, pos: int) -> int | None:
        if pos == self.centre:
            return self.centre_row
        hit = np.flatnonzero(self.preds == pos)
        if hit.size:
            return int(self.pred_start[hit[0]])
        hit = np.flatnonzero(self.succs == pos)
        if hit.size:
            return int(self.succ_start[hit[0] + 1]) - 1
        return None

    def render(self, start: int, stop: int, width: int) -> list[list[Part]]:
        chunk = [self.row(r) for r in range(start, stop)]
        node_rows = [p for k, p, _ in chunk if k in ("pred", "centre", "succ")]
        names = iter(self.pane.short_names(node_rows, width, 4))
        out: list[list[Part]] = []
        for kind, p, extra in chunk:
            if kind == "note":
                out.append([("  (no graph neighbours)", "empty")])
            elif kind in ("ptensor", "stensor"):
                corner = "└─" if kind == "ptensor" else "┌─"
                out.append([(f"      {corner} {self.pane.tensor_text(extra)} ─▶", "tensor")])
            else:
                arrow = {"pred": "  ↑ ", "centre": "  ● ", "succ": "  ↓ "}[kind]
                out.append(self.pane.node_parts(arrow, p, next(names), width, kind == "centre"))
        return out


class _AllRows:
    """Every node of the level, in graph order (the centre marked ●)."""

    def __init__(self, pane: DagPane, idx: DagIndex, centre: int | None) -> None:
        self.pane = pane
        self.idx = idx
        self.centre = centre

    def count(self) -> int:
        return len(self.idx)

    def selectable(self, row: int) -> bool:
        return True

    def position(self, row: int) -> int | None:
        return row if 0 <= row < len(self.idx) else None

    def row_of(self, pos: int) -> int | None:
        return pos

    def render(self, start: int, stop: int, width: int) -> list[list[Part]]:
        names = self.pane.short_names(list(range(start, stop)), width, 2)
        return [
            self.pane.node_parts(
                "● " if p == self.centre else "  ", p, name, width, p == self.centre
            )
            for p, name in zip(range(start, stop), names, strict=True)
        ]


class DagPane(Vertical, can_focus=True):
    """The compiled graph around the selected op, or all of it, as a virtual list with DPC heat."""

    DEFAULT_CSS = """
    DagPane { height: 1fr; }
    DagPane > #dag-title { height: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        _bind("j,down", "move(1)", "Next node", "dag.next", "Next graph node"),
        _bind("k,up", "move(-1)", "Prev node", "dag.prev", "Previous graph node"),
        _bind("pagedown,space", "page(1)", "Page down", "dag.page_down", "One page down"),
        _bind("pageup,b", "page(-1)", "Page up", "dag.page_up", "One page up"),
        _bind("g,home", "edge(0)", "Top", "dag.top", "First row"),
        _bind("G,end", "edge(1)", "Bottom", "dag.bottom", "Last row"),
        _bind(
            "enter", "pick", "Select node", "dag.pick", "Select this node's ops everywhere", True
        ),
        _bind(
            "a",
            "toggle_all",
            "All nodes",
            "dag.all",
            "Whole graph ↔ the selected node's neighbours",
        ),
        _bind("f", "find", "Find", "dag.find", "Find nodes by name (substring, any case)", True),
        _bind(
            "n", "next_match(1)", "Next match", "dag.next_match", "Next node matching the search"
        ),
        _bind("N", "next_match(-1)", "Prev match", "dag.prev_match", "Previous matching node"),
        _bind("u", "walk('up')", "Producer", "dag.up", "Walk up to a producer"),
        _bind("d", "walk('down')", "Consumer", "dag.down", "Walk down to a consumer"),
        _bind("backspace", "back", "Back", "dag.back", "Walk back (the walk history)"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.analysis: RunAnalysis | None = None
        self.level = "node"  # or "qnn"
        self.mode = "around"  # or "all"
        self.centre: Node | None = None  # node id (node level) or QNN op name
        self.filter_mask: np.ndarray | None = None
        self.find_text: str | None = None
        self.matches: np.ndarray = EMPTY
        self._match_set: set[int] = set()
        self.history: dict[str, list[Node]] = {"node": [], "qnn": []}
        self._index: dict[str, DagIndex | None] = {}
        self._building: set[str] = set()
        self._source: _AroundRows | _AllRows | None = None
        self._dpc_total = 0

    def compose(self):  # type: ignore[no-untyped-def]
        """A title line, the virtual list, the missing-artifact sentence and the search field."""
        yield Static("Op DAG", id="dag-title", classes="pane-title", markup=False)
        yield Static("", id="dag-body", markup=False)
        yield NodeList(id="dag-list")
        yield DagSearch(placeholder="find node (substring, any case; Enter finds, Esc closes)",
                        id="dag-search")  # fmt: skip

    def on_mount(self) -> None:
        """The search field is hidden until `f`."""
        self.query_one("#dag-search", DagSearch).display = False
        self.query_one("#dag-body", Static).display = False

    @property
    def nodelist(self) -> NodeList:
        """The virtual list widget."""
        return self.query_one("#dag-list", NodeList)

    # ------------------------------------------------------------ run and index

    def show_run(self, an: RunAnalysis) -> None:
        """Show the loaded run's graph (indexed here when small, else in a worker)."""
        self.analysis = an
        self._index = {}
        self._building = set()
        self.history = {"node": [], "qnn": []}
        self.find_text, self.matches, self._match_set = None, EMPTY, set()
        self._dpc_total = an.ranking("qnn_op").dpc_total if an.has_ops else 0
        body = self.query_one("#dag-body", Static)
        if an.run.graph is None:
            self.add_class("-missing")
            body.display = True
            self.nodelist.display = False
            body.update(missing_text(an.run.missing_sentence("htp_graph")))
            self.query_one("#dag-title", Static).update("Op DAG")
            return
        if self.centre is None and an.run.graph.nodes:
            first = next(iter(an.run.graph.nodes))
            self.centre = first if self.level == "node" else an.run.graph.nodes[first].grouping
        self.refresh_view()

    @property
    def graph(self) -> HtpGraph | None:
        """The compiled graph, if loaded."""
        return self.analysis.run.graph if self.analysis is not None else None

    def index(self, level: str | None = None) -> DagIndex | None:
        """The level's index, or None while a worker builds it (started here if needed)."""
        level = level or self.level
        if level in self._index:
            return self._index[level]
        an, g = self.analysis, self.graph
        if an is None or g is None:
            return None
        if len(g.nodes) <= SYNC_INDEX_NODES:
            self._index[level] = build_index(an, level)
            return self._index[level]
        if level not in self._building:
            self._building.add(level)
            self._index_worker(an, level)
        return None

    @work(thread=True, exit_on_error=False, group="dag-index")
    def _index_worker(self, an: RunAnalysis, level: str) -> None:
        self.post_message(IndexReady(level, build_index(an, level), an.run.graph))

    def on_index_ready(self, message: IndexReady) -> None:
        """Keep a worker's index (unless another run was loaded meanwhile) and draw with it."""
        message.stop()
        if message.graph is not self.graph:
            return
        self._building.discard(message.level)
        self._index[message.level] = message.index
        if message.level == self.level:
            if self.find_text:
                self._run_search(self.find_text, jump=False)
            self.refresh_view()

    # ------------------------------------------------------------ node facts

    def node_list(self) -> list[Node]:
        """Nodes at the current level, in graph order (empty while the index is being built)."""
        idx = self.index()
        return idx.nodes if idx is not None else []

    def ops_of(self, node: Node) -> np.ndarray:
        """Trace op indices of a node (by op ID) or of a QNN op (by name)."""
        an = self.analysis
        if an is None or an.trace is None:
            return EMPTY
        return an.ops_of_qnn_op(node) if isinstance(node, str) else an.ops_of_op_id(node)

    def dpc_of(self, node: Node) -> int:
        """Dominant Path Cycles of a node's ops."""
        idx = self.index(self._level_of(node))
        if idx is not None and node in idx.pos:
            return int(idx.dpc[idx.pos[node]])
        an = self.analysis
        return an.dpc_of_ops(self.ops_of(node)) if an is not None else 0

    @staticmethod
    def _level_of(node: Node) -> str:
        return "qnn" if isinstance(node, str) else "node"

    def label(self, node: Node) -> str:
        """Display name of a node."""
        g = self.graph
        if isinstance(node, str) or g is None:
            return str(node)
        n = g.nodes.get(node)
        return f"{n.type} · {n.grouping}" if n else str(node)

    def neighbours(self, node: Node) -> tuple[list[tuple[Node, list[int]]], ...]:
        """(predecessors, successors), each with the tensors connecting them to ``node``."""
        idx = self.index(self._level_of(node))
        if idx is None or node not in idx.pos:
            return [], []
        p = idx.pos[node]
        preds = [(idx.nodes[q], list(idx.edge_tensors[e]))
                 for q, e in zip(idx.producers(p).tolist(), idx.producer_edges(p).tolist(), strict=True)]  # fmt: skip
        succs = [(idx.nodes[s], list(idx.edge_tensors[e]))
                 for s, e in zip(idx.consumers(p).tolist(), idx.consumer_edges(p).tolist(), strict=True)]  # fmt: skip
        return preds, succs

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
        dpc = self.dpc_of(node)
        frac = dpc / self._dpc_total if self._dpc_total else 0.0
        out = Text()
        out.append(heat_bar(frac), style="bold")
        out.append(f" {fmt_int(dpc):>7} DPC {fmt_float(100 * frac, 1):>5}%")
        return out

    def _dimmed(self, node: Node) -> bool:
        if self.filter_mask is None:
            return False
        ops = self.ops_of(node)
        return not bool(ops.size and self.filter_mask[ops].any())

    # ------------------------------------------------------------ rows (only the visible ones)

    def _fixed_width(self, width: int, prefix: int) -> tuple[bool, int]:
        """(show the heat bar, cells left for the name) at ``width``."""
        figures = 1 + 7 + 5 + 5 + 2  # " 1,234 DPC  12.3% "
        with_bar = width - prefix - BAR_WIDTH - figures
        if with_bar >= MIN_NAME:
            return True, with_bar
        return False, max(width - prefix - figures + 1, 1)

    def short_names(self, positions: list[int], width: int, prefix: int) -> list[str]:
        """The names of visible rows shortened in the middle, together, so that names that differ
        stay different (the QNN op and the kernel each keep their distinguishing tail)."""
        idx = self.index()
        if idx is None:
            return ["" for _ in positions]
        _, room = self._fixed_width(width, prefix)
        names = [idx.names[p] for p in positions]
        kernels = [idx.kernels[p] for p in positions]
        if not any(kernels) or room < NAME_AND_KERNEL:  # narrow: the QNN op name only
            return elide_names(names, room)
        longest_name = max_cell_width(names)
        # the kernel gets what the QNN op names leave, at least a quarter of the room
        kernel_room = min(max_cell_width(kernels), max(8, room // 4, room - 3 - longest_name))
        name_room = max(room - kernel_room - 3, 1)
        short_names = elide_names(names, name_room)
        return [
            f"{elide_middle(k, kernel_room)} · {n}"
            for k, n in zip(kernels, short_names, strict=True)
        ]

    def node_parts(self, prefix: str, p: int, name: str, width: int, bold: bool) -> list[Part]:
        """One node row: marker, heat bar, DPC and share, the (shortened) name."""
        idx = self.index()
        assert idx is not None
        dpc = int(idx.dpc[p])
        frac = dpc / self._dpc_total if self._dpc_total else 0.0
        bar, _ = self._fixed_width(width, len(prefix))
        parts: list[Part] = [(prefix, "arrow")]
        if bar:
            parts.append((heat_bar(frac, BAR_WIDTH), "heat"))
        parts.append((f" {fmt_int(dpc):>7} DPC {fmt_float(100 * frac, 1):>5}% ", ""))
        style = "match" if p in self._match_set else "centre" if bold else ""
        parts.append((name, style))
        if self._dimmed(idx.nodes[p]):
            parts = [(text, "dim") for text, _ in parts]
        return parts

    # ------------------------------------------------------------ drawing

    def refresh_view(self, cursor_pos: int | None = None) -> None:
        """Rebuild the row source for the mode, level and centre; the cursor on ``cursor_pos``
        (a node position; default: the centre)."""
        an = self.analysis
        if an is None or self.graph is None:
            return
        idx = self.index()
        nl = self.nodelist
        self._update_title(idx)
        if idx is None:
            self._source = None
            nl.set_source(None, empty_text=f"indexing the graph ({fmt_int(len(self.graph.nodes))} "
                          "nodes)…")  # fmt: skip
            return
        c = idx.pos.get(self.centre) if self.centre is not None else None
        if self.mode == "all":
            self._source = _AllRows(self, idx, c)
        elif c is None:
            self._source = None
            nl.set_source(None, empty_text="the selected op produces no tensor, so it has no "
                          "graph node · a lists all nodes")  # fmt: skip
            return
        else:
            self._source = _AroundRows(self, idx, c)
        target = cursor_pos if cursor_pos is not None else c
        row = self._source.row_of(target) if target is not None else None
        nl.set_source(self._source, cursor=row if row is not None else 0)

    def _update_title(self, idx: DagIndex | None) -> None:
        lvl = "QNN-op level" if self.level == "qnn" else "HTP-node level"
        n = len(idx) if idx is not None else len(self.graph.nodes) if self.graph is not None else 0
        parts = [f"Op DAG · {lvl} · {fmt_int(n)} nodes"]
        if idx is not None and self.centre in idx.pos:
            c = idx.pos[self.centre]  # type: ignore[index]
            parts.append(f"{fmt_int(idx.producers(c).size)}↑ {fmt_int(idx.consumers(c).size)}↓")
        parts.append("all nodes" if self.mode == "all" else "around the selection")
        if self.find_text:
            parts.append(f"find {self.find_text!r}: {fmt_int(self.matches.size)}")
        parts.append("f find · u/d walk · ⌫ back · a all · Enter selects")
        self.query_one("#dag-title", Static).update(Text(" · ".join(parts)), layout=False)

    # ------------------------------------------------------------ navigation

    def cursor_position(self) -> int | None:
        """The node position under the cursor (None without rows)."""
        src = self._source
        if src is None or not src.count():
            return None
        return src.position(self.nodelist.cursor)

    def cursor_node(self) -> Node | None:
        """The node under the cursor."""
        idx, p = self.index(), self.cursor_position()
        return idx.nodes[p] if idx is not None and p is not None else None

    def set_centre(self, node: Node | None, push: bool = True) -> None:
        """Centre on ``node`` (the old centre onto the walk history when ``push``)."""
        if node == self.centre:
            self.refresh_view()
            return
        hist = self.history[self.level]
        if push and self.centre is not None:
            hist.append(self.centre)
            del hist[:-HISTORY_LIMIT]
        self.centre = node
        self.refresh_view()

    def action_move(self, delta: int) -> None:
        """Next / previous node row."""
        self.nodelist.step(delta)

    def action_page(self, direction: int) -> None:
        """One page down / up."""
        nl = self.nodelist
        nl.step(direction * nl.page_rows)

    def action_edge(self, end: int) -> None:
        """First / last row."""
        nl = self.nodelist
        nl.move_cursor(nl.n_rows - 1 if end else 0, -1 if end else 1)

    def action_toggle_all(self) -> None:
        """`a`: the whole graph ↔ the centre's neighbourhood (the cursor stays on its node)."""
        pos = self.cursor_position()
        self.mode = "around" if self.mode == "all" else "all"
        idx = self.index()
        if self.mode == "around" or idx is None:
            self.refresh_view()
        else:
            self.refresh_view(cursor_pos=pos)

    def action_pick(self) -> None:
        """Enter: centre on the node under the cursor and select its ops everywhere."""
        node = self.cursor_node()
        if node is None:
            return
        self.set_centre(node)
        ops = self.ops_of(node)
        if ops.size:
            request_selection(self, OpSelection(ops), int(ops[0]), origin="dag")
        else:
            self.app.notify("this node has no executed op in the trace", severity="warning")

    def action_walk(self, direction: str) -> None:
        """`u` / `d`: centre on a producer / consumer: the one under the cursor, else the one with
        the most DPC."""
        idx = self.index()
        if idx is None:
            return
        kind = "pred" if direction == "up" else "succ"
        src = self._source
        target: int | None = None
        if (
            isinstance(src, _AroundRows)
            and src.count()
            and src.row(self.nodelist.cursor)[0] == kind
        ):
            target = src.row(self.nodelist.cursor)[1]
        if target is None:
            base = self.cursor_position() if self.mode == "all" else idx.pos.get(self.centre)  # type: ignore[arg-type]
            if base is None:
                return
            nbrs = idx.producers(base) if direction == "up" else idx.consumers(base)
            target = idx.heaviest(nbrs)
        if target is None:
            word = "producer" if direction == "up" else "consumer"
            self.app.notify(f"no {word} in the graph", severity="warning", timeout=2)
            return
        self.set_centre(idx.nodes[target])

    def action_back(self) -> None:
        """Backspace: back to the node walked from."""
        hist = self.history[self.level]
        if not hist:
            self.app.notify("the walk history is empty", severity="warning", timeout=2)
            return
        node = hist.pop()
        self.set_centre(node, push=False)

    # ------------------------------------------------------------ search

    def action_find(self) -> None:
        """`f`: open the search field."""
        field = self.query_one("#dag-search", DagSearch)
        field.display = True
        field.value = self.find_text or ""
        self.screen.set_focus(field)

    def close_search(self, refocus: bool = True) -> None:
        """Hide the search field (and give the keys back to the pane)."""
        self.query_one("#dag-search", DagSearch).display = False
        if refocus:
            self.focus()

    @on(Input.Submitted, "#dag-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close_search()
        self._run_search(event.value, jump=True)

    def search(self, query: str) -> None:
        """Find nodes whose name contains ``query`` (any case) and go to the first from here."""
        self._run_search(query, jump=True)

    def _run_search(self, query: str, jump: bool) -> None:
        q = query.strip()
        self.find_text = q or None
        idx = self.index()
        self.matches = idx.search(q) if idx is not None and q else EMPTY
        self._match_set = set(self.matches.tolist())
        if jump and self.find_text is not None:
            if self.matches.size:
                self._step_match(1, inclusive=True)
            elif idx is not None:
                self.app.notify(f"no node matches {q!r}", severity="warning", timeout=3)
        if not jump:
            return
        self._update_title(idx)
        self.nodelist.redraw()

    def _reference(self) -> int:
        idx = self.index()
        if idx is None:
            return -1
        if self.mode == "all":
            p = self.cursor_position()
            return p if p is not None else -1
        return idx.pos.get(self.centre, -1)  # type: ignore[arg-type]

    def _step_match(self, delta: int, inclusive: bool = False) -> None:
        m = self.matches
        ref = self._reference()
        if delta > 0:
            k = int(np.searchsorted(m, ref, side="left" if inclusive else "right"))
        else:
            k = int(np.searchsorted(m, ref, side="left")) - 1
        target = int(m[k % m.size])
        idx = self.index()
        assert idx is not None
        if self.mode == "all":
            self.nodelist.move_cursor(target, centre=True)
            self._update_title(idx)
        elif target != idx.pos.get(self.centre, -2):  # type: ignore[arg-type]
            self.set_centre(idx.nodes[target])

    def action_next_match(self, delta: int) -> None:
        """`n` / `N`: the next / previous node matching the search (without one: the filter's)."""
        if self.find_text is None:
            raise SkipAction()
        if not self.matches.size:
            self.app.notify(f"no node matches {self.find_text!r}", severity="warning", timeout=2)
            return
        self._step_match(delta)

    # ------------------------------------------------------------ linking

    def on_ops_selected(self, op_indices: Sequence[int], primary: int | None) -> None:
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
        self.set_centre(centre)

    def on_node_list_clicked(self, message: NodeList.Clicked) -> None:
        """A click moved the cursor: keys continue here."""
        message.stop()
        self.focus()

    def on_filter(self, pattern: str | None) -> None:
        """Dim nodes with no op matching the filter."""
        an = self.analysis
        self.filter_mask = an.filter_mask(pattern) if an is not None and pattern else None
        if self.graph is not None:
            self.nodelist.redraw()

    def toggle_level(self) -> None:
        """`l`: HTP-node level ↔ QNN-op level, keeping the centre (and the search)."""
        g = self.graph
        an = self.analysis
        if self.level == "node":
            self.level = "qnn"
            if isinstance(self.centre, int) and g is not None and self.centre in g.nodes:
                self.centre = g.nodes[self.centre].grouping
        else:
            self.level = "node"
            if isinstance(self.centre, str) and an is not None:
                dag = an.qnn_dag()
                ids = dag.nodes_of.get(self.centre) if dag is not None else None
                self.centre = ids[0] if ids else None
        if self.find_text:
            self._run_search(self.find_text, jump=False)
        self.refresh_view()

    def export_table(self) -> ExportTable:
        """Nodes with their DPC and neighbours (node IDs, raw DPC)."""
        idx = self.index()
        if idx is None and self.analysis is not None:  # `e` while the worker indexes: do it now
            idx = build_index(self.analysis, self.level)
        records = []
        if idx is not None:
            for p, node in enumerate(idx.nodes):
                records.append(
                    {
                        "node": str(node) if isinstance(node, str) else f"0x{node:016x}",
                        "label": idx.labels[p],
                        "dpc": int(idx.dpc[p]),
                        "predecessors": " ".join(idx.labels[q] for q in idx.producers(p).tolist()),
                        "successors": " ".join(idx.labels[s] for s in idx.consumers(p).tolist()),
                    }
                )
        return export_rows(DAG_NODE_COLUMNS, records)
