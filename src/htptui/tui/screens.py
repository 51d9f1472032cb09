"""Screens: the loading screen (progress, cancel, one-line load errors), the `?` help screen and
the `L` timeline glyph legend."""

from __future__ import annotations

from importlib.resources import files

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, ProgressBar, Static

from htptui.model._io import clean_text


def help_text(section: str | None = None) -> str:
    """The packaged key reference (src/htptui/tui/help.md); with ``section``, its title, that
    ``## section…`` part and the notes only."""
    text = files("htptui.tui").joinpath("help.md").read_text(encoding="utf-8")
    if section is None:
        return text
    parts = text.split("\n## ")
    keep = [parts[0]] + [p for p in parts[1:] if p.startswith((section, "Notes"))]
    return "\n## ".join(keep)


def help_subsection(title: str) -> str:
    """One ``### title`` part of help.md (its heading and table), e.g. the timeline glyphs."""
    text = files("htptui.tui").joinpath("help.md").read_text(encoding="utf-8")
    for part in text.split("\n### ")[1:]:
        if part.startswith(title):
            body = part.split("\n## ")[0]
            return "## " + body.rstrip() + "\n\nPress `Esc`, `q` or `L` to close."
    raise KeyError(title)


class _MarkdownModal(ModalScreen[None]):
    """A modal, scrollable Markdown document from help.md (``markdown()``), focused on open."""

    NAME = "help"  # ids: #NAME-body (the scroll container) and #NAME-md

    def markdown(self) -> str:
        """The document shown."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        """A scrollable Markdown document."""
        from textual.widgets import Markdown  # markdown-it + pygments: only when one opens

        with VerticalScroll(id=f"{self.NAME}-body"):
            yield Markdown(self.markdown(), id=f"{self.NAME}-md")

    def on_mount(self) -> None:
        """Focus the document so arrows scroll it on short screens."""
        self.query_one(f"#{self.NAME}-body").focus()

    async def action_dismiss(self, result: None = None) -> None:
        """Close the screen."""
        self.dismiss(result)


class LegendScreen(_MarkdownModal):
    """The timeline glyph legend (`L`), from the help.md table the help screen shows too."""

    DEFAULT_CSS = """
    LegendScreen { align: center middle; }
    LegendScreen > VerticalScroll { width: 90; max-width: 100%; height: auto; max-height: 100%;
                                    border: round $accent; background: $surface; }
    """
    NAME = "legend"
    BINDINGS = [
        Binding("escape,q,L", "dismiss", "Close legend", id="legend.close", tooltip="Back"),
    ]

    def __init__(self, section: str = "Timeline glyphs") -> None:
        super().__init__()
        self.section = section

    def markdown(self) -> str:
        """The glyph table."""
        return help_subsection(self.section)


class HelpScreen(_MarkdownModal):
    """Every key of the explorer, from the packaged help.md."""

    NAME = "help"
    BINDINGS = [
        Binding(
            "escape,q,question_mark,f1",
            "dismiss",
            "Close help",
            id="help.close",
            tooltip="Back to the explorer",
        ),  # fmt: skip
    ]

    def __init__(self, section: str | None = None) -> None:
        super().__init__()
        self.section = section

    def markdown(self) -> str:
        """The whole help, or one section of it."""
        return help_text(self.section)


class LoadingScreen(Screen[None]):
    """Shown while the load worker runs; becomes the error screen when loading fails."""

    BINDINGS = [
        Binding(
            "escape", "app.cancel_load", "Cancel", id="load.cancel", tooltip="Stop loading and quit"
        ),  # fmt: skip
        Binding("q", "app.quit", "Quit", id="load.quit", tooltip="Quit htptui"),
    ]

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        """Title, progress bar, status line and hint."""
        with Vertical(id="loading-box"):
            yield Label(
                clean_text(f"htptui · loading {self.source}"), id="loading-title", markup=False
            )
            yield ProgressBar(total=1.0, show_eta=False, id="loading-bar")
            yield Static("starting…", id="loading-status", markup=False)
            yield Static("Esc cancels · q quits", id="loading-hint")

    def set_progress(self, fraction: float, message: str) -> None:
        """Advance the bar and show what is being read."""
        self.query_one("#loading-bar", ProgressBar).update(progress=max(0.0, min(1.0, fraction)))
        self.query_one("#loading-status", Static).update(clean_text(message))

    def show_error(self, message: str) -> None:
        """Replace the progress with a one-line error (no traceback)."""
        self.error = message
        self.add_class("-error")
        self.query_one("#loading-title", Label).update("htptui could not open this input")
        self.query_one("#loading-bar", ProgressBar).display = False
        self.query_one("#loading-status", Static).update(clean_text(f"error: {message}"))
        self.query_one("#loading-hint", Static).update("q quits")
