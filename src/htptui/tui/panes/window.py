"""The "Window" pane: the whole-graph figures of a marked time window (and the `/` filter).

Mark a window on the timeline (`m` on the first op, `m` on the last; `W` takes the visible range;
drag with the mouse; `M` clears). The pane shows, for that window, exactly what ``htptui report
--from/--to [--filter]`` prints: per core the wall, Σ DPC, idle, busy, HVX∥HMX overlap, boundary
tax, per-lane busy and utilisation, then the ops in it ranked. The figures come from
:meth:`RunAnalysis.scoped` (the whole-graph code on the clipped ops) and are laid out by the output
layer's own blocks, computed in a thread worker. Text is plain (file names are never markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.widgets import Static

from htptui.present.format import fmt_int
from htptui.tui.panes import PaneSpec
from htptui.tui.panes._common import update_static

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis

HINT = (
    "No window marked. On the timeline: m on the first op, m on the last op; W takes the visible "
    "range; drag with the mouse; M clears. The `/` filter rescopes the window too."
)
TOP_ROWS = 10


def window_text(child: RunAnalysis, top: int = TOP_ROWS) -> str:
    """The window's report blocks (cores, lanes, rankings), rendered as plain text."""
    from htptui.output import text
    from htptui.output.document import _cores, scope_record
    from htptui.output.report import core_blocks, ranking_blocks
    from htptui.present.tables import ranking_records

    t = child.trace
    assert t is not None
    scope = scope_record(child)
    lo, hi = child.window
    span = (hi - lo) if lo is not None and hi is not None else None
    head = f"window [{_c(lo, 'start')}, {_c(hi, 'end')}) cycles"
    clock = scope.get("clock_ghz")
    if span is not None:
        head += f" = {fmt_int(span)} cycles"
        if clock:
            head += f" ({span / clock / 1000.0:.3f} µs at {clock:.3f} GHz)"
    if child.pattern is not None:
        head += f" · filter /{child.pattern}/"
    head += f" · {fmt_int(scope['ops'])} ops"
    blocks: list[Any] = []
    for core in _cores(child):
        blocks += [_value_first(b) for b in core_blocks(core, None)]
    ranking = {lv: ranking_records(child.ranking(lv), t, top) for lv in ("qnn_op", "instance")}
    blocks += ranking_blocks(ranking)
    rule = f"DPC rule: {scope['dpc_rule']}"
    return "\n".join([head, rule, "", text.render_blocks(blocks)])


def _value_first(block: Any) -> Any:
    """A two-column figure table (long label, value) as value-then-label lines, so the figures
    stay in view on a narrow pane while the labels run off to the right; other blocks as they are."""
    from htptui.output.blocks import Lines, Table

    if not isinstance(block, Table) or len(block.columns) != 2 or block.left != 1:
        return block
    label, value = block.columns
    rows = [(value.text(r), label.text(r)) for r in block.records]
    width = max([len(value.label)] + [len(v) for v, _ in rows])
    head = f"{value.label.rjust(width)}  {label.label}"
    lines = [head, f"{'-' * width}  {'-' * len(label.label)}"]
    lines += [f"{v.rjust(width)}  {lab}" for v, lab in rows]
    return Lines(lines)


def _c(v: int | None, missing: str) -> str:
    return missing if v is None else f"{fmt_int(v)}"


class WindowPane(ScrollableContainer, can_focus=True):
    """Window statistics: the same figures as the whole graph's, for the marked window."""

    DEFAULT_CSS = """
    WindowPane { height: 1fr; padding: 0 1; overflow: auto auto; }
    WindowPane > Static { width: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.analysis: RunAnalysis | None = None
        self.window: tuple[int, int] | None = None
        self.pattern: str | None = None
        self.child: RunAnalysis | None = None
        self.text = HINT

    def compose(self) -> ComposeResult:
        """One plain-text body."""
        yield Static(HINT, id="window-body", markup=False)

    def show_run(self, an: RunAnalysis) -> None:
        """Remember the run (no window yet)."""
        self.analysis = an
        self.window = None
        self.child = None
        self._show(HINT)

    def on_ops_selected(self, op_indices: Sequence[int], primary: int | None) -> None:
        """The window does not follow the selection."""

    def on_filter(self, pattern: str | None) -> None:
        """Rescope the window to the filter."""
        self.pattern = pattern
        self._recompute()

    def set_window(self, window: tuple[int, int] | None) -> None:
        """Show the statistics of ``window`` (None: the hint)."""
        self.window = window
        self._recompute()

    def _recompute(self) -> None:
        an = self.analysis
        if an is None or not an.has_ops:
            return
        if self.window is None:
            self.child = None
            self._show(HINT)
            return
        self._show("computing the window's figures…")
        lo, hi = self.window
        pattern = self.pattern

        def work() -> None:
            try:
                child = an.scoped(lo, hi, pattern)
                body = window_text(child)
            except Exception as exc:  # noqa: BLE001 - a broken window must not take the app down
                self.app.call_from_thread(self._show, f"window failed: {type(exc).__name__}: {exc}")
                return
            self.app.call_from_thread(self._ready, (lo, hi), pattern, child, body)

        self.run_worker(work, thread=True, exclusive=True, group="window", exit_on_error=False)

    def _ready(
        self, window: tuple[int, int], pattern: str | None, child: RunAnalysis, body: str
    ) -> None:
        if window != self.window or pattern != self.pattern:
            return  # the window moved on meanwhile
        self.child = child
        self._show(body)

    def _show(self, body: str) -> None:
        self.text = body
        if self.is_mounted:
            update_static(self.query_one("#window-body", Static), Text(body, no_wrap=True))

    def copy_text(self) -> str:
        """The window's figures as text (for `y`)."""
        return self.text

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        """The window's ranked ops (instances) with full-trace op indices."""
        from htptui.present.tables import op_records

        child = self.child
        if child is None or child.trace is None or child.op_map is None:
            return ["window"], [["no window marked"]]
        rk = child.ranking("instance")
        recs = op_records(child, rk.member_order.tolist())
        m = child.op_map
        for rec, k in zip(recs, rk.member_order.tolist(), strict=True):
            rec["index"] = int(m[k])  # the full trace's op index
        cols = list(recs[0]) if recs else ["index"]
        return cols, [[r.get(c) for c in cols] for r in recs]


PANE = PaneSpec(
    id="window",
    title="Window",
    factory=lambda: WindowPane(id="window-pane"),
    requires=("op_trace",),
    order=15,
)
