"""Every pane of the explorer, one per module: ranking, qhas, dag, details, findings, graph_diff.

The app lays out the four core panes (ranking, QHAS units, op DAG, details) itself; any other module
here that exposes ``PANE`` (a :class:`PaneSpec`) is discovered with pkgutil and mounted as a tab of
the DAG region, so a feature adds a pane by adding a module, without editing the app. Every pane
widget implements :class:`LinkedPane` and reads its figures from the run's
:class:`~htptui.analysis.run.RunAnalysis` (computed in the load worker), never computing on its own.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.widget import Widget

    from htptui.analysis.run import RunAnalysis


class LinkedPane(Protocol):
    """What a pane widget offers the app for linking."""

    def show_run(self, an: RunAnalysis) -> None:
        """Receive the loaded run's analysis (called once after loading, on the UI thread)."""

    def on_ops_selected(self, op_indices: Sequence[int], primary: int | None) -> None:
        """Reflect a selection made in another pane. ``op_indices`` is an
        :class:`~htptui.tui.selection.OpSelection`: sorted unique trace op indices with a tuple's
        interface; ``htptui.tui.selection.ops_array(op_indices)`` is its numpy array (no copy)."""

    def on_filter(self, pattern: str | None) -> None:
        """Rescope to the ops matching the `/` regex (None = all ops); ``an.filter_mask(pattern)``."""


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
