"""Bookmarks: ops and windows per trace in the user data dir, surviving reopening; never in the trace dir."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from htptui.model.bookmarks import Bookmark, BookmarkStore, data_dir, trace_key
from htptui.tui.app import HtpApp
from htptui.tui.bookmarks import BookmarksScreen
from tests.test_tui_app import SAMPLE, SIZE, loaded


def _listing(d: Path) -> dict[str, tuple[int, float]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime) for p in d.iterdir()}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    d = tmp_path / "run"
    shutil.copytree(SAMPLE, d)
    return d


def test_store_roundtrip_and_keying(run_dir: Path, tmp_path: Path) -> None:
    trace = run_dir / "chrometrace.json"
    st = BookmarkStore(trace)
    assert st.path.is_relative_to(data_dir()) and str(data_dir()).startswith(
        os.environ["XDG_DATA_HOME"]
    )
    st.add(Bookmark("op", "q::Op · A · HMX", op=3, op_id=7, ts=100))
    st.add(Bookmark("window", "10 cycles", lo=10, hi=20))
    st.add(Bookmark("window", "10 cycles", lo=10, hi=20))  # a duplicate is not added twice
    again = BookmarkStore(trace)
    assert [(b.kind, b.op, b.lo, b.hi) for b in again.items] == [("op", 3, None, None),
                                                               ("window", None, 10, 20)]  # fmt: skip
    again.remove(0)
    assert [b.kind for b in BookmarkStore(trace).items] == ["window"]
    # another file at the same path (content changed) has other bookmarks
    key = trace_key(trace)
    trace.write_bytes(trace.read_bytes().replace(b'"ts"', b'"ts" ', 1))
    assert trace_key(trace) != key and BookmarkStore(trace).items == []
    # a damaged store is ignored, never fatal
    st.path.write_text("{not json")
    assert BookmarkStore(trace).items == []
    bad = Bookmark.from_dict({"kind": "window", "lo": 5, "hi": 1})
    assert bad is None and Bookmark.from_dict({"kind": "?"}) is None


async def test_bookmarks_survive_reopening_and_jump_back(run_dir: Path) -> None:
    before = _listing(run_dir)
    app = HtpApp(str(run_dir), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        t = app.analysis.trace  # type: ignore[union-attr]
        op = int(t.ts.argmax())
        app.select_op(op)
        await pilot.pause()
        await pilot.press("B")  # the selected op
        app.action_focus_region("timeline")
        await pilot.pause()
        await pilot.press("0", "w", "W", "B")  # the window (timeline focused)
        await pilot.pause()
        window = app.timeline.window
        assert window is not None
    assert _listing(run_dir) == before  # nothing written into the trace directory
    app2 = HtpApp(str(run_dir), extra_panes=[])
    async with app2.run_test(size=SIZE) as pilot:
        await loaded(pilot, app2)
        assert app2.timeline.window is None
        await pilot.press("apostrophe")
        await pilot.pause()
        assert isinstance(app2.screen, BookmarksScreen)
        assert len(app2.screen.store.items) == 2
        await pilot.press("down", "enter")  # the window
        await pilot.pause()
        assert app2.timeline.window == window
        await pilot.press("apostrophe")
        await pilot.pause()
        await pilot.press("enter")  # the op
        await pilot.pause()
        assert app2.selection[1] == op
        await pilot.press("apostrophe")
        await pilot.pause()
        await pilot.press("d", "escape")
        await pilot.pause()
        assert len(BookmarkStore(run_dir / "chrometrace.json").items) == 1
    assert _listing(run_dir) == before
