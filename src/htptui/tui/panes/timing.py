"""The "Timing" pane: the runtrace phases per execute (each at its own clock), coarse µs beside fine
cycles, the clock sanity checks, and — when profile.txt is at linting level — its per-op Wait and
Overlap text.

The text is the report's own blocks (``output.report.timing_blocks`` / ``lint_blocks``) over the
same document records, so the pane and ``htptui report`` can never disagree. Plain text: names from
files are never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.widgets import Static

from htptui.tui.panes import PaneSpec

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis


def timing_text(an: RunAnalysis) -> str:
    """Runtrace phases, coarse-vs-fine table, clock checks and linting per-op text, as plain text."""
    from htptui.output import text
    from htptui.output.document import _profile, _timing
    from htptui.output.report import lint_blocks, timing_blocks

    blocks: list[Any] = timing_blocks(_timing(an))
    profile = _profile(an)
    blocks += lint_blocks(profile)
    if profile is not None and profile.get("format") != "linting":
        lines = (
            "profile.txt is at detailed level: per-op Wait/Overlap needs profiling_level linting"
        )
    elif profile is None:
        lines = an.run.missing_sentence("profile")
    else:
        lines = ""
    body = text.render_blocks(blocks) if blocks else "no runtrace or profile.txt timing"
    return body + ("\n\n" + lines if lines else "")


class TimingPane(ScrollableContainer, can_focus=True):
    """Runtrace phases and coarse µs beside fine cycles (and linting per-op wait/overlap)."""

    DEFAULT_CSS = """
    TimingPane { height: 1fr; padding: 0 1; overflow: auto auto; }
    TimingPane > Static { width: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.analysis: RunAnalysis | None = None
        self.text = ""

    def compose(self) -> ComposeResult:
        """One plain-text body."""
        yield Static("", id="timing-body", markup=False)

    def show_run(self, an: RunAnalysis) -> None:
        """Lay out the run's timing (already computed by the load worker)."""
        self.analysis = an
        try:
            self.text = timing_text(an)
        except Exception as exc:  # noqa: BLE001 - a broken artifact must not take the app down
            self.text = f"timing unavailable: {type(exc).__name__}: {exc}"
        self.query_one("#timing-body", Static).update(Text(self.text, no_wrap=True))

    def on_ops_selected(self, op_indices: Sequence[int], primary: int | None) -> None:
        """Timing is per run, not per op."""

    def on_filter(self, pattern: str | None) -> None:
        """Timing is per run, not per filter."""

    def copy_text(self) -> str:
        """The pane's text (for `y`)."""
        return self.text

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        """Runtrace phases per execute (and linting per-op rows when present)."""
        from htptui.output.document import _profile, _timing

        an = self.analysis
        if an is None:
            return ["phase"], []
        tm = _timing(an)
        cols = ["execute", "phase", "us", "ghz", "cycles"]
        rows: list[list[Any]] = [
            [e["index"], p["name"], p["us"], p["ghz"], p["cycles"]]
            for e in tm["executes"]
            for p in e["phases"]
        ]
        prof = _profile(an) or {}
        for o in prof.get("lint_ops") or []:
            rows.append(["linting", o["name"], None, None, o["cycles"]])
        return cols, rows


PANE = PaneSpec(
    id="timing",
    title="Timing",
    factory=lambda: TimingPane(id="timing-pane"),
    requires=(),
    order=20,
)
