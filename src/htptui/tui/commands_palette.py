"""Command palette (ctrl+p) provider: go to op, filter by unit, export, theme."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from htptui.tui.app import HtpApp


class HtpCommands(Provider):
    """Explorer commands, fuzzy matched."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app: HtpApp = self.app  # type: ignore[assignment]
        out: list[tuple[str, Callable[[], object], str]] = []
        for unit in ("HMX", "HVX", "DMA"):
            out.append(
                (
                    f"filter by unit {unit}",
                    partial(app.apply_filter, rf"^{unit}$"),
                    f"show only ops on {unit} lanes",
                )  # fmt: skip
            )
        out.append(("clear filter", partial(app.apply_filter, None), "show every op"))
        out.append(("export focused table (CSV)", partial(app.action_export, "csv"),
                    "write htptui-export-<pane>-<time>.csv here"))  # fmt: skip
        out.append(("export focused table (JSON)", partial(app.action_export, "json"),
                    "write htptui-export-<pane>-<time>.json here"))  # fmt: skip
        out.append(("theme: dark", partial(setattr, app, "theme", "textual-dark"), "dark theme"))
        out.append(("theme: light", partial(setattr, app, "theme", "textual-light"), "light theme"))
        out.append(("theme: choose…", app.action_change_theme, "pick any built-in theme"))
        if len(app.graphs) > 1:
            out.append(("switch graph…", app.action_switch_graph,
                        "open another graph of this directory (o)"))  # fmt: skip
        for kind, name in app.op_names():
            out.append((f"go to op {name}", partial(app.go_to_op, kind, name), f"{kind}"))
        return out

    async def discover(self) -> Hits:
        """The non-op commands, shown before typing."""
        for text, callback, help_text in self._commands():
            if not text.startswith("go to op"):
                yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        """Fuzzy match over every command, including one 'go to op' per QNN op and kernel."""
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
