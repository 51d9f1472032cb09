"""App-wide messages: selection linking between panes.

Any pane asks for a selection with :func:`request_selection`; the app broadcasts the new selection
to every pane by calling its ``on_ops_selected`` (see :mod:`htptui.tui.panes`).

The request is a direct call when the app offers ``select_ops`` (the explorer does): the cursor move
that caused it and every linked pane's repaint then land in one frame. A posted :class:`SelectOps`
is handled a loop turn later, after the screen's update timer has already drawn the cursor move
alone, so the linked panes waited a second frame (16-30 ms more per key at 1M events).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from textual.message import Message
from textual.widget import Widget


@dataclass
class SelectOps(Message):
    """Select these trace op indices in every pane (``primary`` is the one to centre on)."""

    op_indices: Sequence[int]  # an OpSelection once the app has it
    primary: int | None = None
    origin: str = ""  # id of the pane that asked, so it need not react to its own request

    def can_replace(self, message: Message) -> bool:
        """Coalesce floods of selection requests (holding a key down)."""
        return isinstance(message, SelectOps)


def request_selection(widget: Widget, ops: Sequence[int], primary: int | None, origin: str) -> None:
    """Select ``ops`` in every pane: at once when the app can (same frame as the caller's own
    repaint), else by posting :class:`SelectOps` (an app without ``select_ops``, e.g. a test host)."""
    select: Any = getattr(widget.app, "select_ops", None)
    if callable(select):
        select(ops, primary, origin=origin)
    else:
        widget.post_message(SelectOps(ops, primary, origin=origin))
