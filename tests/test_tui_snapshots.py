"""SVG snapshots of the explorer on the real chain8 sample: main screen at 80x24 and 160x50, help."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from htptui.tui.app import HtpApp

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "chain8_matmul"


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """No animations, no cursor blink: stable snapshots."""
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", False, raising=False)


async def _wait_loaded(pilot: Any) -> None:
    """Let the load worker finish and the panes fill (no sleeps)."""
    app = pilot.app
    await app.workers.wait_for_complete()
    for _ in range(20):
        await pilot.pause()
        if app.ready or app.load_error is not None:
            break
    await pilot.pause()


def _app() -> HtpApp:
    # extra panes are left out so other features' panes cannot change these snapshots
    return HtpApp(str(SAMPLE), extra_panes=[])


@pytest.mark.parametrize(
    ("size", "press"),
    [
        pytest.param((80, 24), [], id="80x24-ranking"),
        pytest.param((80, 24), ["4"], id="80x24-dag"),
        pytest.param((160, 50), [], id="160x50-main"),
        pytest.param((160, 50), ["2", "down", "down"], id="160x50-input-selected"),
    ],
)
def test_main_screen_snapshot(snap_compare: Any, size: tuple[int, int], press: list[str]) -> None:
    assert snap_compare(_app(), terminal_size=size, press=press, run_before=_wait_loaded)


def test_help_screen_snapshot(snap_compare: Any) -> None:
    assert snap_compare(
        _app(), terminal_size=(100, 40), press=["question_mark"], run_before=_wait_loaded
    )
