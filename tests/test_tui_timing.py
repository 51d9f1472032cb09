"""Pilot tests of the Timing pane: runtrace phases per execute, coarse µs beside cycles, linting text."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from htptui.analysis.run import analysis_of
from htptui.model.run import load_run
from htptui.tui.app import HtpApp
from htptui.tui.panes.timing import PANE, TimingPane, timing_text
from tests.test_tui_app import SAMPLE, SIZE, loaded
from tests.test_tui_snapshots import _wait_loaded

LINTING = Path(__file__).parent / "data" / "profile_linting.txt"


@pytest.fixture
def linting_run(tmp_path: Path) -> Path:
    d = tmp_path / "run"
    shutil.copytree(SAMPLE, d)
    shutil.copy(LINTING, d / "profile.txt")
    return d


async def test_timing_pane_shows_phases_per_execute() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[PANE])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        pane = app.query_one(TimingPane)
        an = app.analysis
        assert an is not None
        tm = an.timing()
        assert tm.executes
        for e in tm.executes:
            for p in e.phases:
                assert p.name in pane.text
        assert "Runtrace phases per execute" in pane.text
        assert "Coarse (µs) beside fine (cycles)" in pane.text
        assert "detailed level" in pane.text  # the bundled profile is not linting level
        cols, rows = pane.export_table()
        assert len(rows) == sum(len(e.phases) for e in tm.executes)


async def test_timing_pane_shows_linting_wait_and_overlap(linting_run: Path) -> None:
    an = analysis_of(load_run(linting_run))
    prof = an.run.profile
    assert prof is not None and prof.format == "linting" and prof.lint_ops
    text = timing_text(an)
    assert "per-op wait and overlap" in text
    op = next(o for o in prof.lint_ops if o.overlap_ops)
    line = next(ln for ln in text.splitlines() if ln.startswith(op.name + " "))
    assert f"{op.overlap_cycles:,}" in line and op.overlap_ops[0] in line
    assert f"{op.wait_scheduler_cycles:,}" in line
    app = HtpApp(str(linting_run), extra_panes=[PANE])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert app.query_one(TimingPane).text == text


@pytest.mark.parametrize(
    "size", [pytest.param((80, 24), id="80x24"), pytest.param((160, 50), id="160x50")]
)
def test_timing_pane_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[PANE])

    async def show(pilot: Any) -> None:
        await _wait_loaded(pilot)
        pilot.app.query_one("#dag-region").active = "tab-timing"
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, press=["4"], run_before=show)
