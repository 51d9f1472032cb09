"""Helpers shared by the pane widgets: the greyed missing sentence."""

from __future__ import annotations

from rich.text import Text


def missing_text(sentence: str) -> Text:
    """The greyed sentence shown in place of a pane whose artifact is absent (plain text, no markup)."""
    return Text(sentence, style="italic")
