"""App-wide messages: selection linking between panes.

Any pane posts :class:`SelectOps` to select ops everywhere; the app broadcasts the new selection to
every pane by calling its ``on_ops_selected`` (see :mod:`htptui.tui.panes`).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class SelectOps(Message):
    """Select these trace op indices in every pane (``primary`` is the one to centre on)."""

    op_indices: tuple[int, ...]
    primary: int | None = None
    origin: str = ""  # id of the pane that asked, so it need not react to its own request

    def can_replace(self, message: Message) -> bool:
        """Coalesce floods of selection requests (holding a key down)."""
        return isinstance(message, SelectOps)
