"""The "Graph diff" pane: the compiled QNN-op DAG coloured against the expected graph, and a list of
diff items; selecting an item selects both QNN ops in every pane."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, ListItem, ListView, Static

from htptui.present.format import fmt_int
from htptui.tui.messages import request_selection
from htptui.tui.panes import PaneSpec

if TYPE_CHECKING:
    from htptui.analysis.graph_diff import GraphDiff
    from htptui.analysis.run import RunAnalysis

STYLE = {
    "ok": "green",
    "matched": "green",
    "MISSING": "bold yellow",
    "missing": "bold yellow",
    "UNEXPECTED": "bold red",
    "unexpected": "bold red",
    "added": "cyan",
    "error": "bold red",
    "warning": "yellow",
    "info": "dim",
}
_MARK = re.compile(r"\[(ok|MISSING|UNEXPECTED|added)\]")


@dataclass(frozen=True)
class DiffItem:
    """One row of the item list: what it says, how bad, and the QNN ops it concerns."""

    text: str
    severity: str  # error | warning | info | matched
    ops: tuple[str, ...]


def diff_items(diff: GraphDiff) -> list[DiffItem]:
    """Diff items, the most important first (suspected dedup dependencies lead)."""
    items: list[DiffItem] = []
    for s in diff.shared.suspected:
        t = s.tensor
        ov = [diff.overlap(a, b) for a, b in s.independent_pairs]
        ov_txt = "".join(
            f", overlap {o.pct:.0f} %" for o in ov if o is not None and o.pct is not None
        )
        items.append(
            DiffItem(
                f"dedup false dep? {t.key} ({fmt_int(t.nbytes or 0)} B) shared by "
                f"{' & '.join(s.ops)}{ov_txt}",
                "error",
                s.ops,
            )
        )
    for v in diff.violations:
        if v.kind == "path":
            items.append(
                DiffItem(f"{v.a} || {v.b} broken: {' -> '.join(v.path)}", "error", (v.a, v.b))
            )
    for e in diff.edges_with("unexpected"):
        tens = ", ".join(f"{t.key} {t.type_name}" for t in e.tensors)
        items.append(DiffItem(f"unexpected {e.src} -> {e.dst} ({tens})", "error", (e.src, e.dst)))
    for e in diff.edges_with("missing"):
        items.append(DiffItem(f"missing {e.src} -> {e.dst}", "warning", (e.src, e.dst)))
    for n in diff.nodes_with("missing"):
        items.append(DiffItem(f"missing op {n.name} ({n.reason})", "warning", (n.name,)))
    for n in diff.nodes_with("added"):
        items.append(DiffItem(f"added op {n.name} ({n.reason})", "info", (n.name,)))
    for s in diff.shared.significant:
        if not s.suspected:
            items.append(
                DiffItem(f"shared STATIC {s.tensor.key} by {' & '.join(s.ops)}", "warning", s.ops)
            )
    for e in diff.edges_with("matched"):
        via = f" (via {', '.join(e.via)})" if e.via else ""
        items.append(DiffItem(f"ok {e.src} -> {e.dst}{via}", "matched", (e.src, e.dst)))
    return items


class GraphDiffPane(Horizontal):
    """Coloured actual-vs-expected QNN-op DAG beside a selectable list of diff items."""

    DEFAULT_CSS = """
    GraphDiffPane { height: 1fr; }
    GraphDiffPane #gd-items { width: 1fr; min-width: 30; border: round $primary-darken-2; }
    GraphDiffPane #gd-dag-scroll { width: 1fr; border: round $primary-darken-2; }
    GraphDiffPane #gd-header { height: auto; }
    """

    def __init__(self, expected: str | Path | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.expected: str | Path | None = expected
        self.analysis: RunAnalysis | None = None
        self.diff: GraphDiff | None = None
        self.items: list[DiffItem] = []
        self.selected_ops: Sequence[int] = ()

    def compose(self) -> ComposeResult:
        """Item list on the left, DAG on the right."""
        yield ListView(id="gd-items")
        with VerticalScroll(id="gd-dag-scroll"):
            yield Static(id="gd-header", markup=False)
            yield Static(id="gd-dag", markup=False)

    @property
    def opt(self) -> Any:
        """The loaded run (None before loading)."""
        return self.analysis.run if self.analysis is not None else None

    def show_run(self, an: RunAnalysis) -> None:
        """Diff the run's compiled graph against the expected graph and show it."""
        from htptui.errors import InputError

        self.analysis = an
        opt = an.run
        header = self.query_one("#gd-header", Static)
        if opt.graph is None:
            header.update(Text(opt.missing_sentence("htp_graph"), style="yellow"))
            return
        try:
            self.diff = an.graph_diff(self.expected)
        except InputError as exc:
            self.diff = None
            header.update(Text(f"expected graph: {exc}", style="bold red"))
            return
        self._refresh_view()

    def _refresh_view(self) -> None:
        from htptui.present.ascii_dag import qnn_dag_lines

        diff = self.diff
        assert diff is not None and self.opt is not None and self.opt.graph is not None
        has_exp = diff.expected_source is not None
        head = Text()
        if has_exp:
            src = Path(diff.expected_source)
            head.append(f"expected: {src.parent.name}/{src.name}  ")
            head.append(
                "matches" if diff.ok else "DIFFERS", style="bold green" if diff.ok else "bold red"
            )
        else:
            head.append("no expected graph (write expected.dag beside the trace)", style="dim")
        self.query_one("#gd-header", Static).update(head)
        rows = qnn_dag_lines(
            self.opt.graph,
            diff if has_exp else None,
            self.analysis.qnn_dag() if self.analysis else None,
        )
        node_status = {n.name: n.status for n in diff.nodes}
        gw = max((len(g) for g, _, _ in rows), default=0)
        lw = max((len(lb) for _, lb, _ in rows), default=0)
        text = Text()
        for glyph, label, note in rows:
            text.append(glyph.ljust(gw) + "  ", style="bright_black")
            if label:
                st = node_status.get(label, "")
                text.append(
                    label.ljust(lw), style=STYLE.get(st, "bold") if st != "matched" else "bold"
                )
                text.append("  ")
                pos = 0
                for m in _MARK.finditer(note):
                    chunk_start = note.rfind(", ", 0, m.start())
                    chunk_start = pos if chunk_start < pos else chunk_start + 2
                    text.append(note[pos:chunk_start])
                    text.append(note[chunk_start : m.end()], style=STYLE[m.group(1)])
                    pos = m.end()
                text.append(note[pos:])
            text.append("\n")
        for n in diff.nodes_with("missing"):
            text.append(
                " " * (gw + 2) + f"{n.name}  [missing: {n.reason}]\n", style=STYLE["missing"]
            )
        for e in diff.edges_with("missing"):
            text.append(" " * (gw + 2) + f"{e.src} -> {e.dst}  [MISSING]\n", style=STYLE["missing"])
        self.query_one("#gd-dag", Static).update(text)
        self.items = diff_items(diff)
        lv = self.query_one("#gd-items", ListView)
        lv.clear()
        lv.extend(
            ListItem(Label(Text(it.text, style=STYLE.get(it.severity, ""))), name=str(i))
            for i, it in enumerate(self.items)
        )
        if self.items:
            lv.index = 0

    def op_indices_of(self, ops: tuple[str, ...]) -> tuple[int, ...]:
        """Trace op indices of every instance of these QNN ops."""
        an = self.analysis
        if an is None or an.trace is None:
            return ()
        out: set[int] = set()
        for name in ops:
            out.update(an.ops_of_qnn_op(name).tolist())
        return tuple(sorted(out))

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        """Select both QNN ops of the chosen item in every pane."""
        event.stop()
        if event.item is None or event.item.name is None:
            return
        item = self.items[int(event.item.name)]
        indices = self.op_indices_of(item.ops)
        if not indices:
            return
        first = self.op_indices_of(item.ops[:1])
        request_selection(self, indices, first[0] if first else indices[0], origin="graph-diff")

    def on_ops_selected(self, op_indices: Sequence[int], primary: int | None) -> None:
        """Remember the selection (the DAG is per QNN op, so nothing moves)."""
        self.selected_ops = op_indices

    def on_filter(self, pattern: str | None) -> None:
        """The graph is not filtered by the op filter."""

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        """The diff items: severity, text and the QNN ops each concerns."""
        from htptui.present.columns import DIFF_ITEM_COLUMNS
        from htptui.present.tables import export_rows

        records = [
            {"severity": i.severity, "text": i.text, "qnn_ops": list(i.ops)} for i in self.items
        ]
        return export_rows(DIFF_ITEM_COLUMNS, records)


PANE = PaneSpec(
    id="graph-diff",
    title="Graph diff",
    factory=GraphDiffPane,
    key="D",
    requires=("htp_graph",),
    order=40,
)
