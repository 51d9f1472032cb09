"""The "Findings" pane: what is wrong with the run, most severe first, with the evidence and advice of the
highlighted finding; selecting one selects its ops in every pane."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from htptui.present.format import fmt_int, fmt_value
from htptui.tui.messages import request_selection
from htptui.tui.panes import PaneSpec
from htptui.tui.panes._common import update_static

if TYPE_CHECKING:
    from htptui.analysis.findings import Finding
    from htptui.analysis.run import RunAnalysis

SEVERITY_STYLE = {"high": "bold red", "medium": "bold yellow", "low": "cyan", "info": "dim"}


def detail_text(f: Finding, trace: object = None) -> Text:
    """One finding as plain styled text (names are data, never markup): title, advice, evidence, ops."""
    style = SEVERITY_STYLE.get(f.severity, "")
    out = Text()
    out.append(f.severity.upper(), style=style)
    out.append(" ")
    out.append(f.title, style="bold")
    out.append("\nrule", style="dim")
    out.append(f" {f.rule}\n\n")
    out.append("advice", style="bold")
    out.append(f" {f.advice}\n\n")
    width = max((len(k) for k in f.evidence), default=0)
    out.append("\n".join(f"  {k.ljust(width)}  {fmt_value(v)}" for k, v in f.evidence.items()))
    if f.qnn_ops:
        out.append("\n\n")
        out.append("QNN ops", style="bold")
        out.append(" " + ", ".join(f.qnn_ops[:12]))
    if f.ops:
        refs = f.op_refs(trace, 8)  # type: ignore[arg-type]
        out.append("\n")
        out.append("ops", style="bold")
        out.append(f" ({len(f.ops)})  ")
        out.append("enter: select them", style="dim")
        for r in refs:
            out.append(f"\n  {r['id']} {r['kernel']} ({r['qnn_op']}, {r['lane']})")
        if len(f.ops) > len(refs) and refs:
            out.append(f"\n  ... and {fmt_int(len(f.ops) - len(refs))} more")
    return out


class FindingsPane(Vertical):
    """A list of findings (most severe first) above the evidence of the highlighted one."""

    DEFAULT_CSS = """
    FindingsPane { height: 1fr; }
    FindingsPane > DataTable { height: 2fr; }
    FindingsPane > VerticalScroll { height: 3fr; border-top: solid $primary; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._all: list[Finding] = []
        self._shown: list[Finding] = []
        self._selected: Sequence[int] = ()
        self._filled = False  # the table shows self._shown
        self.analysis: RunAnalysis | None = None

    def compose(self) -> ComposeResult:
        """A findings table and a detail area."""
        table: DataTable[str] = DataTable(
            cursor_type="row", zebra_stripes=True, id="findings-table"
        )
        table.add_columns("severity", "rule", "finding")
        yield table
        with VerticalScroll(id="findings-detail-scroll"):
            yield Static("no findings loaded", id="findings-detail")

    @property
    def findings(self) -> list[Finding]:
        """The findings currently listed."""
        return list(self._shown)

    def set_findings(self, findings: list[Finding]) -> None:
        """Show these findings (already sorted most severe first)."""
        self._all = list(findings)
        self._show(self._all)

    #: above this many ops the rules run in a thread worker so the UI never stalls
    WORKER_ABOVE_OPS = 100_000

    def show_run(self, an: RunAnalysis) -> None:
        """List the run's findings (cached by the analysis; computed off the UI thread when big)."""
        self.analysis = an
        self._filled = False
        if (
            an.cached(("findings", None, None))
            or an.trace is None
            or len(an.trace) <= self.WORKER_ABOVE_OPS
        ):
            self.set_findings(an.findings())
            return
        self.query_one("#findings-detail", Static).update("running the rules…")

        def work() -> None:
            findings = an.findings()
            self.app.call_from_thread(self.set_findings, findings)

        self.run_worker(work, thread=True, exclusive=True, group="findings", exit_on_error=False)

    def _show(self, findings: list[Finding]) -> None:
        if (
            self._filled
            and len(findings) == len(self._shown)
            and all(a is b for a, b in zip(findings, self._shown, strict=True))
        ):
            return  # a filter that keeps the same findings: nothing to repaint
        self._filled = True
        self._shown = findings
        table = self.query_one(DataTable)
        table.clear()
        for k, f in enumerate(findings):
            sev = f"[{SEVERITY_STYLE.get(f.severity, '')}]{f.severity}[/]"
            table.add_row(sev, Text(f.rule), Text(f.title), key=str(k))
        self._update_detail(0 if findings else None)

    def _update_detail(self, row: int | None) -> None:
        detail = self.query_one("#findings-detail", Static)
        if row is None or not (0 <= row < len(self._shown)):
            update_static(detail, "nothing to report: no rule fired" if not self._shown else "")
            return
        an = self.analysis
        update_static(detail, detail_text(self._shown[row], an.trace if an is not None else None))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the evidence and advice of the highlighted finding."""
        event.stop()
        self._update_detail(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Select the finding's ops in every pane."""
        event.stop()
        if not (0 <= event.cursor_row < len(self._shown)):
            return
        f = self._shown[event.cursor_row]
        if f.ops:
            request_selection(self, tuple(f.ops), f.ops[0], origin="findings")

    def on_ops_selected(self, op_indices: Sequence[int], primary: int | None) -> None:
        """Move the cursor to the first finding that concerns the primary selected op."""
        self._selected = op_indices
        if primary is None:
            return
        for k, f in enumerate(self._shown):
            if primary in f.ops:
                self.query_one(DataTable).move_cursor(row=k)
                return

    def on_filter(self, pattern: str | None) -> None:
        """Keep the findings that concern a filtered op (findings about no op always stay)."""
        import numpy as np

        if pattern is None or self.analysis is None:
            self._show(self._all)
            return
        mask = self.analysis.filter_mask(pattern)
        n = len(mask)
        keep = []
        for f in self._all:
            ops = np.asarray(f.ops, dtype=np.int64)
            ops = ops[ops < n]
            if not f.ops or bool(mask[ops].any()):
                keep.append(f)
        self._show(keep)

    def export_table(self) -> tuple[list[str], list[list[object]]]:
        """The findings listed (raw impact, evidence, QNN ops and op indices)."""
        from htptui.present.columns import FINDING_COLUMNS
        from htptui.present.tables import export_rows, finding_records

        return export_rows(FINDING_COLUMNS, finding_records(self._shown))


PANE = PaneSpec(
    id="findings",
    title="Findings",
    factory=lambda: FindingsPane(id="findings-pane"),
    key="F",
    requires=("op_trace",),
    order=10,
)
