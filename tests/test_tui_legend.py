"""`L`: the timeline glyph legend, in the explorer and in compare mode (Pilot + snapshots)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from htptui.output.baseline import load_document
from htptui.tui.app import HtpApp
from htptui.tui.compare import CompareApp
from htptui.tui.screens import LegendScreen, help_subsection
from tests.test_tui_snapshots import SAMPLE, _wait_loaded

LLM = Path(__file__).resolve().parents[1] / "sample_data" / "synthetic_llm_decoder"


@pytest.fixture(scope="module")
def llm_docs() -> tuple[dict[str, Any], dict[str, Any]]:
    return (load_document(str(LLM), graph="qwen3-synth-s1"),
            load_document(str(LLM), graph="qwen3-synth-s32"))  # fmt: skip


def test_legend_tables_name_every_glyph_the_timelines_draw() -> None:
    from htptui.tui.widgets.timeline import DEP_GLYPHS, KIND_GLYPHS, WINDOW_GLYPH

    single = help_subsection("Timeline glyphs")
    kinds = [g for pair in KIND_GLYPHS.values() for g in pair]
    for glyph in [*kinds, "·", "━", "╌", WINDOW_GLYPH, *DEP_GLYPHS.values()]:
        assert f"`{glyph}" in single or f" `{glyph}`" in single, glyph
    cmp = help_subsection("Compare timeline glyphs")
    for word in ("█", "▄", "·", "bold yellow", "dim", "shaded", "no such lane"):
        assert word in cmp, word
    with pytest.raises(KeyError):
        help_subsection("no such section")


async def test_l_opens_and_closes_the_legend_in_both_apps(llm_docs: Any) -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait_loaded(pilot)
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, LegendScreen) and app.screen.section == "Timeline glyphs"
        await pilot.press("L")
        await pilot.pause()
        assert not isinstance(app.screen, LegendScreen)
    capp = CompareApp(*llm_docs)
    async with capp.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(capp.screen, LegendScreen)
        assert capp.screen.section == "Compare timeline glyphs"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(capp.screen, LegendScreen)


async def _legend(pilot: Any) -> None:
    await _wait_loaded(pilot)
    await pilot.press("L")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_legend_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(HtpApp(str(SAMPLE), extra_panes=[]), terminal_size=size, run_before=_legend)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_compare_legend_snapshot(snap_compare: Any, llm_docs: Any, size: tuple[int, int]) -> None:
    a, b = ({**d, "source": label} for d, label in zip(llm_docs, ("s1", "s32"), strict=True))
    assert snap_compare(CompareApp(a, b), terminal_size=size, press=["L"])
