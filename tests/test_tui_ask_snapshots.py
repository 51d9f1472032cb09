"""SVG snapshots of the new panes at 80x24 and a wide size (real chain8 sample)."""

from __future__ import annotations

from typing import Any

import pytest

from htptui.tui.app import HtpApp
from htptui.tui.panes.window import PANE as WINDOW_PANE
from tests.test_tui_snapshots import SAMPLE, _wait_loaded


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", False, raising=False)


async def _ready(pilot: Any) -> None:
    await _wait_loaded(pilot)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize(
    ("size", "press"),
    [
        pytest.param((80, 24), ["1", "0", "W", "4"], id="80x24-window"),
        pytest.param(
            (160, 50),
            ["1", "0", "k", "m", "full_stop", "full_stop", "full_stop", "m"],
            id="160x50-window",
        ),  # fmt: skip
        pytest.param((80, 24), ["1", "p", "5"], id="80x24-waits-on"),
        pytest.param((160, 50), ["1", "p", "p"], id="160x50-waits-on"),
    ],
)
def test_new_pane_snapshot(snap_compare: Any, size: tuple[int, int], press: list[str]) -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[WINDOW_PANE])
    assert snap_compare(app, terminal_size=size, press=press, run_before=_ready)


async def _with_bookmarks(pilot: Any) -> None:
    """Three bookmarks (two ops, one window) in this test's own user data dir, then `'`."""
    from htptui.model.bookmarks import Bookmark

    await _ready(pilot)
    app = pilot.app
    t = app.analysis.trace
    store = app.bookmark_store()
    for op in (int(t.dur.argmax()), int(t.ts.argmax())):
        label = f"{t.kernel_name(op)} · {t.qnn_op_name(op)} · {t.lane_of(op).label}"
        store.add(Bookmark("op", label, op=op, op_id=int(t.op_id[op]), ts=int(t.ts[op])))
    store.add(Bookmark("window", "20,000 cycles", lo=10_000, hi=30_000))
    await pilot.press("apostrophe")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_bookmarks_list_snapshot(
    snap_compare: Any, size: tuple[int, int], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from htptui.model.bookmarks import data_dir

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # never the real user dir
    before = sorted(p.name for p in SAMPLE.iterdir())
    app = HtpApp(str(SAMPLE), extra_panes=[])
    assert snap_compare(app, terminal_size=size, run_before=_with_bookmarks)
    assert sorted(p.name for p in SAMPLE.iterdir()) == before  # nothing written into the trace dir
    assert len(list((data_dir() / "bookmarks").iterdir())) == 1
