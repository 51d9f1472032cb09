"""Pilot tests of the trace questions: why is this op waiting (p / P, Details, timeline marks)."""

from __future__ import annotations

import pytest

from htptui.tui.app import HtpApp
from htptui.tui.widgets.timeline import DEP_GLYPHS
from tests.test_tui_app import SAMPLE, SIZE, loaded, text_of


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


async def ready(pilot, app: HtpApp) -> None:  # type: ignore[no-untyped-def]
    await loaded(pilot, app)
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def _deepest(app: HtpApp) -> int:
    """The op with the longest waited-for chain in the sample."""
    from htptui.analysis.deps import wait_chain

    an = app.analysis
    assert an is not None and an.trace is not None
    t = an.trace
    d = an.deps()
    return max(range(len(t)), key=lambda i: len(wait_chain(d, t.ts, t.dur, i)))


async def test_p_walks_the_chain_back_and_P_forward() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        an = app.analysis
        assert an is not None and an.cached("deps")
        t = an.trace
        assert t is not None
        from htptui.analysis.deps import wait_chain

        start = _deepest(app)
        chain = wait_chain(an.deps(), t.ts, t.dur, start)
        assert len(chain) >= 3
        app.select_op(start)
        await pilot.pause()
        # Details names the producer it waited for and the gap in cycles and µs
        body = text_of(app, "#details")
        assert "waited for (p)" in body and t.kernel_name(chain[1]) in body
        gap = int(t.ts[start]) - int(t.end[chain[1]])
        assert f"{gap:,} cycles" in body
        if an.trace_clock_ghz():
            assert "µs at" in body
        # the timeline marks producers and consumers of the selection
        tl = app.timeline
        assert chain[1] in tl.producer_ops.tolist() and tl.waited_op == chain[1]
        app.action_focus_region("timeline")
        await pilot.pause()
        for expect in chain[1:]:
            await pilot.press("p")
            await pilot.pause()
            assert app.selection[1] == expect
        await pilot.press("p")  # the chain's first op has no producer: stays
        await pilot.pause()
        assert app.selection[1] == chain[-1]
        for expect in reversed(chain[:-1]):
            await pilot.press("P")
            await pilot.pause()
            assert app.selection[1] == expect
        # selecting elsewhere forgets the walk
        await pilot.press("p")
        await pilot.pause()
        app.select_op(chain[-1])
        await pilot.pause()
        await pilot.press("P")
        await pilot.pause()
        assert app.selection[1] == chain[-1]


async def test_timeline_draws_dependency_glyphs() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        start = _deepest(app)
        app.select_op(start)
        await pilot.pause()
        tl = app.timeline
        lines = "\n".join(tl.render_line(y).text for y in range(tl.size.height))
        assert DEP_GLYPHS["waited"] in lines
        if tl.consumer_ops.size:
            assert DEP_GLYPHS["consumer"] in lines


async def test_every_row_reachable_and_region_resizable_at_80x24() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        app.action_focus_region("timeline")
        await pilot.press("v")  # the VTCM row too
        await pilot.pause()
        tl = app.timeline
        labels = [tl._rows[i].label for i in tl._visible_rows()]
        seen: set[str] = set()
        for _ in range(len(labels) + 1):
            rows_text = " ".join(tl.render_line(y).text for y in range(tl.size.height))
            seen |= {lb for lb in labels if lb in rows_text}
            await pilot.press("J")
            await pilot.pause()
        assert set(labels) <= seen
        await pilot.press("K", "K")
        region = app.query_one("#timeline-region")
        before = region.outer_size.height
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert region.outer_size.height == before + 2
        await pilot.press("less_than_sign", "less_than_sign")
        await pilot.pause()
        assert region.outer_size.height == before - 2


async def test_hostile_names_stay_literal_in_the_new_views(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Kernel/QNN names that look like markup never break p, windows, bookmarks or their text."""
    from tests.conftest import meta_process, meta_thread, write_trace, x_event

    bad = "[/b][red]q::Evil[/"
    ev = [
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 256, "Core:0 Type: HMX"),
        meta_thread(0, 512, "Core:0 Type: HVX thread 0"),
        x_event(bad, 256, 0, 100, op_id=0x10, flags=["uses_hmx"], qnn="[bold]Q0"),
        x_event(
            bad + "2",
            512,
            150,
            50,
            op_id=0x11,
            qnn="[/]Q1",
            **{"Inputs Ops": ["0x0000000000000010"]},
        ),  # fmt: skip
    ]
    d = tmp_path / "run"
    d.mkdir()
    write_trace(d / "chrometrace.json", ev)
    from htptui.tui.panes.window import PANE

    app = HtpApp(str(d), extra_panes=[PANE])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        t = app.analysis.trace  # type: ignore[union-attr]
        second = next(i for i in range(len(t)) if t.kernel_name(i) == bad + "2")
        app.select_op(second)
        await pilot.pause()
        assert bad in text_of(app, "#details")
        app.action_focus_region("timeline")
        await pilot.press("p")  # to the first op
        await pilot.pause()
        assert app.selection[1] != second
        await pilot.press("p")  # no producer: a literal notice, no markup error
        await pilot.press("W", "B", "apostrophe")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.return_code is None  # still running, nothing raised


async def test_p_answers_before_every_op_inputs_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first why-waiting answer needs only the selected op's own args: with the full build
    held back, `p` jumps to the same producer and Details lists producers, consumers pending."""
    from htptui.analysis.deps import build_deps, wait_chain
    from htptui.model.run import load_run
    from htptui.tui.ask import AskMixin

    monkeypatch.setattr(AskMixin, "ask_loaded", lambda self: None)  # no deps worker
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        an = app.analysis
        assert an is not None and an.trace is not None and not an.cached("deps")
        t = an.trace
        ref = load_run(SAMPLE).trace
        assert ref is not None
        full = build_deps(ref, an.run.graph, ref.inputs_ops())
        start = max(range(len(t)), key=lambda i: len(wait_chain(full, t.ts, t.dur, i)))
        chain = wait_chain(full, t.ts, t.dur, start)
        app.select_op(start)
        await app.workers.wait_for_complete()
        await pilot.pause()
        body = text_of(app, "#details")
        assert "waited for (p)" in body and t.kernel_name(chain[1]) in body
        assert "consumers" in body and "computing…" in body
        # the timeline marks the producers at once, from the op's own args; consumers later
        tl = app.timeline
        assert sorted(tl.producer_ops.tolist()) == sorted(full.producers(start)[0].tolist())
        assert tl.waited_op == chain[1] and tl.consumer_ops.size == 0
        assert app.deps_marks_timing is not None and app.deps_marks_timing[::2] == (start, "fast")
        await pilot.press("p")
        await pilot.pause()
        assert app.selection[1] == chain[1]
        await pilot.press("p")
        await pilot.pause()
        assert app.selection[1] == chain[2]
        assert not an.cached("deps")
        # the full build lands: the marks are refined (consumers added) and Details lists them
        from htptui.tui.ask import DepsReady

        an.deps()
        app.post_message(DepsReady(an))
        await pilot.pause()
        await pilot.pause()
        cur = chain[2]
        assert sorted(tl.consumer_ops.tolist()) == sorted(full.consumers(cur)[0].tolist())
        assert sorted(tl.producer_ops.tolist()) == sorted(full.producers(cur)[0].tolist())
        assert app.deps_marks_timing is not None and app.deps_marks_timing[::2] == (cur, "full")
        assert "computing…" not in text_of(app, "#details")
