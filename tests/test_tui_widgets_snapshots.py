"""SVG snapshots of the Timeline on the real chain8 sample (pytest-textual-snapshot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult

from htptui.model.run import load_run
from htptui.tui.widgets.timeline import Timeline

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "chain8_matmul"


class TimelineSnapshotApp(App[None]):
    """One focused Timeline on the real sample."""

    def compose(self) -> ComposeResult:
        yield Timeline(id="timeline")

    def on_mount(self) -> None:
        timeline = self.query_one(Timeline)
        timeline.load(load_run(SAMPLE))
        timeline.focus()


@pytest.mark.parametrize(
    ("size", "press"),
    [
        pytest.param((80, 24), [], id="80x24-whole-graph"),
        pytest.param((160, 50), [], id="160x50-whole-graph"),
        pytest.param(
            (160, 50), ["v", "w", "w", "full_stop", "full_stop", "j"], id="160x50-zoomed-vtcm"
        ),
    ],
)
def test_timeline_snapshot(snap_compare: Any, size: tuple[int, int], press: list[str]) -> None:
    assert snap_compare(TimelineSnapshotApp(), terminal_size=size, press=press)
