"""Progressive first paint: a big trace shows its first decoded ops (header, lanes at the whole
trace's time scale, a progress bar) while the rest decodes, and keys work meanwhile."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import ProgressBar

from htptui.model import chrometrace
from htptui.synth import write_big_trace
from htptui.tui.app import HtpApp
from tests.test_tui_app import SIZE, loaded, text_of


@pytest.fixture
def big_trace(tmp_path, monkeypatch):
    """A synthetic trace that takes the chunked worker path, and a gate that holds the decode."""
    path = tmp_path / "run" / "chrometrace.json"
    write_big_trace(path, 30_000, seed=9)
    monkeypatch.setenv("HTPTUI_NO_CACHE", "1")
    monkeypatch.setattr(chrometrace, "PARALLEL_ABOVE", 0)
    monkeypatch.setattr(chrometrace, "CHUNK_BYTES", 256 * 1024)
    monkeypatch.setattr(chrometrace, "MAX_WORKERS", 2)
    gate = threading.Event()
    chunks = chrometrace._BigLoad.chunks

    def held(self, progress):  # type: ignore[no-untyped-def]
        for k, ch in enumerate(chunks(self, progress)):
            if k == 2:
                assert gate.wait(30)  # hold the rest of the decode until the test has looked
            yield ch

    monkeypatch.setattr(chrometrace._BigLoad, "chunks", held)
    return path, gate


async def test_first_chunks_paint_before_the_whole_trace(big_trace) -> None:
    path, gate = big_trace
    app = HtpApp(str(path.parent), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(400):
            await pilot.pause(0.02)
            if app._partial_ops:
                break
        await pilot.pause()
        try:
            assert app._partial_ops and not app.ready
            header = text_of(app, "#header-line")
            assert "loading" in header and "ops so far" in header
            assert 0 < app.query_one("#partial-bar", ProgressBar).progress < 1
            tl = app.timeline
            assert tl.index_ready and 0 < len(tl.trace) < 30_000
            # lanes at the whole trace's scale: the axis reaches far past the ops decoded so far
            assert tl.t1 > 2 * float(tl.trace.end.max())
            span = tl.view_hi - tl.view_lo
            await pilot.press("w")  # keys work while the rest decodes
            await pilot.pause()
            assert tl.view_hi - tl.view_lo < span
        finally:
            gate.set()
        await loaded(pilot, app)
        assert app.ready and app.opt is not None and app.opt.trace is not None
        assert not app.query("#partial-bar")
        assert "ops so far" not in text_of(app, "#header-line")
        assert len(app.timeline.trace) == len(app.opt.trace) > 0
