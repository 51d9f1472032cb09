"""Helpers shared by the pane widgets: the greyed missing sentence, a Static updated only on change."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def missing_text(sentence: str) -> Text:
    """The greyed sentence shown in place of a pane whose artifact is absent (plain text, no markup)."""
    return Text(sentence, style="italic")


def update_static(static: Static, content: str | Text, layout: bool = True) -> bool:
    """``static.update(content, layout=layout)`` unless it already shows exactly that (an update
    lays the screen out again, or at least repaints, so a pane refreshed to the same text must not
    pay for one); True if updated.
    """
    last = getattr(static, "_htptui_shown", None)
    if last is not None and type(last) is type(content) and last == content:
        return False
    static.update(content, layout=layout)
    static._htptui_shown = content  # type: ignore[attr-defined]
    return True
