"""Hostile op names (Rich markup, ANSI escapes) are shown verbatim in the TUI and never crash it."""

from __future__ import annotations

from htptui.tui.app import HtpApp
from htptui.tui.widgets.timeline import Timeline
from tests.conftest import meta_process, meta_thread, write_trace, x_event

EVIL_KERNEL = "q::[bold]Evil[/]\x1b[31mRed"
EVIL_QNN = "[/]Op[link=x]"


async def test_markup_and_ansi_names_render_verbatim(tmp_path) -> None:
    d = tmp_path / "evil"
    d.mkdir()
    ev = [
        x_event(EVIL_KERNEL, 512, 0, 100, qnn=EVIL_QNN),
        x_event(
            "q::Norm[/b]", 256, 50, 80, flags=["uses_hmx"], qnn="M[red]a", op_id=0x2000_0000_0017
        ),
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 512, "Type: HVX"),
        meta_thread(0, 256, "Type: HMX"),
    ]
    write_trace(d / "chrometrace.json", ev)
    app = HtpApp(str(d))
    async with app.run_test(size=(160, 50)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        timeline = app.query_one(Timeline)
        timeline.select([0], primary=0)
        await pilot.pause()
        for key in ("tab", "down", "enter", "r", "r", "r"):
            await pilot.press(key)
            await pilot.pause()
        assert "[bold]Evil[/]\\x1b[31mRed" in timeline.status_text  # shown, not executed
        assert EVIL_QNN in timeline.status_text
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "[bold]Evil[/]" in svg.replace("&#160;", " ")
