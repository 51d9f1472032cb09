"""Pluggable panes: each module in this package exposes ``PANE`` (a :class:`PaneSpec`).

The app discovers them with pkgutil and mounts each as a tab, so a feature adds a pane by adding a
module here, without editing the app. A pane widget implements :class:`LinkedPane`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    from textual.widget import Widget

    from htptui.model.optrace import Optrace


class LinkedPane(Protocol):
    """What a pane widget offers the app for linking."""

    def show_optrace(self, opt: Optrace) -> None:
        """Receive the loaded run (called once after loading, on the UI thread)."""

    def on_ops_selected(self, op_indices: tuple[int, ...], primary: int | None) -> None:
        """Reflect a selection made in another pane."""

    def on_filter(self, mask: np.ndarray | None) -> None:
        """Rescope to the ops in ``mask`` (None = all ops)."""


@dataclass(frozen=True)
class PaneSpec:
    """A tab the app mounts: its title, a key that focuses it, and what it needs to be useful."""

    id: str
    title: str
    factory: Callable[[], Widget]
    key: str | None = None
    requires: tuple[str, ...] = field(
        default=()
    )  # artifact kinds: "op_trace", "htp_graph", "qhas", ...
    order: int = 100


def discover_panes() -> list[PaneSpec]:
    """Import every module of this package and collect its ``PANE``, sorted by order."""
    specs = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "PANE", None)
        if isinstance(spec, PaneSpec):
            specs.append(spec)
    return sorted(specs, key=lambda s: (s.order, s.id))
