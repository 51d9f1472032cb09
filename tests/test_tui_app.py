"""Pilot tests of the explorer app on the real chain8 sample: linking, filter, sort, export, help."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Static

from htptui.analysis.ranking import rank
from htptui.model.run import load_run
from htptui.tui.app import HtpApp
from htptui.tui.screens import HelpScreen, LoadingScreen

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "chain8_matmul"
SIZE = (160, 50)


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """No animations, no cursor blink: deterministic tests."""
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", False, raising=False)


async def loaded(pilot, app: HtpApp) -> None:  # type: ignore[no-untyped-def]
    """Wait for the load worker and the Loaded handler (no sleeps)."""
    await app.workers.wait_for_complete()
    for _ in range(20):
        await pilot.pause()
        if app.ready or app.load_error is not None:
            break
    await pilot.pause()


def text_of(app: HtpApp, selector: str) -> str:
    """The plain text of a Static, however its content was built (str, Text or a Rich Group), or of
    a Line-API pane that has ``plain_text`` (Details)."""
    from rich.console import Console

    widget = app.screen.query_one(selector)
    if hasattr(widget, "plain_text"):
        return str(widget.plain_text())
    assert isinstance(widget, Static)
    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=300, record=True, color_system=None, file=io.StringIO())
    console.print(content)
    return console.export_text()


async def test_loads_and_shows_header() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert app.ready and app.load_error is None
        header = text_of(app, "#header-line")
        assert "model_encoded" in header
        assert "wall 64,829 cyc" in header
        assert "domain HMX" in header
        assert "idle 2.73 %" in header
        # the top QNN op (MatMul_0) is selected everywhere on load
        assert app.ranking.ranking is not None
        assert app.ranking.ranking.names[int(app.ranking.order[0])] == "MatMul_0"
        assert len(app.timeline.selected_ops) == 4


async def test_select_in_ranking_links_every_pane() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("2", "down")
        await pilot.pause()
        rk = app.ranking.ranking
        assert rk is not None
        assert rk.names[int(app.ranking.order[1])] == "Output"
        members = set(int(i) for i in rk.members(int(app.ranking.order[1])))
        ops, primary = app.selection
        assert set(ops) == members
        assert set(int(i) for i in app.timeline.selected_ops) == members
        assert app.timeline.primary == primary
        trace = app.opt.trace  # type: ignore[union-attr]
        node = app.opt.graph_node(primary)  # type: ignore[union-attr]
        assert node is not None and app.dag.centre == node.id
        details = text_of(app, "#details")
        assert trace.kernel_name(primary) in details
        assert "Output" in details
        assert "DRAM read / write" in details


async def test_timeline_selection_reaches_ranking_and_details() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("1", "full_stop")
        await pilot.pause()
        ops, primary = app.selection
        trace = app.opt.trace  # type: ignore[union-attr]
        assert primary is not None
        qnn = trace.qnn_op_name(primary)
        rk = app.ranking.ranking
        assert rk is not None
        assert rk.names[int(app.ranking.order[app.ranking.grid.cursor_row])] == qnn
        assert all(trace.qnn_op_name(i) == qnn for i in ops)  # all instances of the QNN op
        assert trace.kernel_name(primary) in text_of(app, "#details")


async def test_filter_rescopes_and_escape_clears() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        full_rows = app.ranking.grid.n_rows
        await pilot.press("slash", *"MatMul_[12]$", "enter")
        await pilot.pause()
        assert app.filter_pattern == "MatMul_[12]$"
        mask = app.timeline.filter_mask
        assert mask is not None and app.filter_mask is not None
        expected = rank(app.opt.trace, "qnn_op", mask)  # type: ignore[arg-type, union-attr]
        assert app.ranking.grid.n_rows == len(expected) == 2 < full_rows
        assert app.dag.filter_mask is mask
        # n / N step through matching ops only
        await pilot.press("n")
        assert app.filter_mask[app.selection[1]]  # type: ignore[index]
        first = app.selection[1]
        await pilot.press("n")
        assert app.selection[1] != first and app.filter_mask[app.selection[1]]  # type: ignore[index]
        await pilot.press("N")
        assert app.selection[1] == first
        await pilot.press("escape")
        await pilot.pause()
        assert app.filter_pattern is None and app.timeline.filter_mask is None
        assert app.ranking.grid.n_rows == full_rows


async def test_bad_regex_keeps_state() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("slash", "(", "enter")
        await pilot.pause()
        assert app.filter_pattern is None


async def test_sort_and_level_and_drill() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("2")
        before = [app.ranking.cell(r, "name") for r in range(app.ranking.grid.n_rows)]
        await pilot.press("s")
        await pilot.pause()
        assert app.ranking.sort_key == "busy"
        busy = [int(app.ranking.cell(r, "busy").replace(",", "")) for r in range(len(before))]
        assert busy == sorted(busy, reverse=True)
        await pilot.press("s")
        await pilot.pause()
        assert app.ranking.sort_key == "instances"
        after = [app.ranking.cell(r, "name") for r in range(app.ranking.grid.n_rows)]
        assert sorted(before) == sorted(after) and before != after
        inst = [int(app.ranking.cell(r, "instances")) for r in range(len(after))]
        assert inst == sorted(inst, reverse=True)
        await pilot.press("S")
        inst = [int(app.ranking.cell(r, "instances")) for r in range(len(after))]
        assert inst == sorted(inst)
        app.ranking.sort_key, app.ranking.descending = "dpc", True
        app.ranking.resort()
        # r cycles QNN op → kernel → structure → instance → QNN op
        await pilot.press("r")
        assert app.ranking.level == "kernel"
        await pilot.press("r")
        assert app.ranking.level == "structure"
        await pilot.press("r")
        assert app.ranking.level == "instance"
        assert app.ranking.grid.n_rows == len(app.opt.trace)  # type: ignore[arg-type, union-attr]
        await pilot.press("r")
        assert app.ranking.level == "qnn_op"
        # Enter drills into a group's instances, Esc backs out
        await pilot.press("g", "enter")
        await pilot.pause()
        assert app.ranking.level == "instance" and app.ranking.drill
        n_members = app.ranking.grid.n_rows
        level, name = app.ranking.drill[-1]
        assert level == "qnn_op"
        assert n_members == len(app.analysis.ranking("qnn_op").members_of_name(name))  # type: ignore[union-attr]
        await pilot.press("escape")
        assert app.ranking.level == "qnn_op" and not app.ranking.drill


async def test_zoom_and_pan_through_app() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("1")
        await pilot.pause()
        span0 = app.timeline.view_hi - app.timeline.view_lo
        await pilot.press("w")
        span1 = app.timeline.view_hi - app.timeline.view_lo
        assert span1 < span0
        lo = app.timeline.view_lo
        await pilot.press("d")
        assert app.timeline.view_lo > lo
        await pilot.press("0")
        assert app.timeline.view_hi - app.timeline.view_lo == pytest.approx(span0)


async def test_tab_cycles_panes() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert app.current_region == "ranking"
        seen = []
        for _ in range(5):
            await pilot.press("tab")
            await pilot.pause()
            seen.append(app.current_region)
        assert seen == ["qhas", "dag", "details", "timeline", "ranking"]
        await pilot.press("shift+tab")
        await pilot.pause()
        assert app.current_region == "timeline"
        assert app.focused is app.timeline


async def test_export_csv_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("2", "e")
        await pilot.pause()
        files = sorted(tmp_path.glob("htptui-export-ranking-*.csv"))
        assert len(files) == 1
        with files[0].open(encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        rk = rank(app.opt.trace, "qnn_op")  # type: ignore[arg-type, union-attr]
        # raw numbers under unit-named columns, not display strings
        assert rows[0][:4] == ["name", "dpc_cycles", "dpc_pct", "busy_cycles"]
        assert [r[0] for r in rows[1:]] == rk.names
        assert [int(r[1]) for r in rows[1:]] == [int(v) for v in rk.dpc]
        await pilot.press("E")
        await pilot.pause()
        js = sorted(tmp_path.glob("htptui-export-ranking-*.json"))
        assert len(js) == 1
        doc = json.loads(js[0].read_text(encoding="utf-8"))
        assert [r["name"] for r in doc["rows"]] == rk.names
        assert [r["dpc_cycles"] for r in doc["rows"]] == [int(v) for v in rk.dpc]
        assert not list(SAMPLE.glob("htptui-export-*"))


async def test_help_screen_lists_every_key() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        from htptui.tui.screens import help_text

        text = help_text()
        for key in ("`?`", "`q`", "`Tab`", "`/`", "`n`", "`Esc`", "`r`", "`l`", "`e`", "`E`",
                    "`y`", "`ctrl+p`", "`w`", "`s`", "`a`", "`d`", "`f`", "`0`", "`.`", "`v`",
                    "`g`", "`G`", "`Enter`", "`S`", "`[`", "`1`", "`j`", "`k`", "`+`", "`-`", "`h`"):  # fmt: skip
            assert key in text, key
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_missing_artifacts_grey_out(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(SAMPLE, run)
    (run / "chrometrace_qnn_htp_analysis_summary.json").unlink()
    (run / "chrometrace_htp.json").unlink()
    opt = load_run(run)
    assert opt.qhas is None and opt.graph is None
    app = HtpApp(str(run), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert app.ready
        qhas_text = text_of(app, "#qhas-body")
        assert opt.missing_sentence("qhas") in qhas_text
        assert "HMX" in qhas_text  # lanes still come from the op trace
        assert opt.missing_sentence("htp_graph") in text_of(app, "#dag-body")
        assert app.query_one("#qhas-region").has_class("-missing")
        details = text_of(app, "#details")
        assert opt.missing_sentence("qhas") in details


async def test_extra_pane_mounted_greyed_and_linked(tmp_path: Path) -> None:
    from textual.widgets import Static as _Static

    from htptui.tui.panes import PaneSpec

    calls: list[str] = []

    class Probe(_Static):
        def show_run(self, an) -> None:  # type: ignore[no-untyped-def]
            calls.append("show")

        def on_ops_selected(self, ops, primary) -> None:  # type: ignore[no-untyped-def]
            calls.append(f"sel {primary}")

        def on_filter(self, pattern) -> None:  # type: ignore[no-untyped-def]
            calls.append("filter")

    specs = [
        PaneSpec("probe", "Probe", Probe, requires=("op_trace",)),
        PaneSpec("needs_before", "Before", Probe, requires=("graph_before",)),
    ]
    app = HtpApp(str(SAMPLE), extra_panes=specs)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert calls[0] == "show" and calls.count("show") == 1
        assert any(c.startswith("sel ") for c in calls)
        await pilot.press("slash", "HVX", "enter")
        await pilot.pause()
        assert "filter" in calls
        sentence = text_of(app, "#missing-needs_before")
        assert sentence == app.opt.missing_sentence("graph_before")  # type: ignore[union-attr]
        assert app.query_one("#tab-needs_before").has_class("-missing")


async def test_corrupt_trace_shows_error_in_app(tmp_path: Path) -> None:
    bad = tmp_path / "chrometrace.json"
    bad.write_text('{"traceEvents": [ {"name": "x", ', encoding="utf-8")
    app = HtpApp(str(bad), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert app.load_error is not None
        assert isinstance(app.screen, LoadingScreen)
        status = text_of(app, "#loading-status")
        assert status.startswith("error: ") and "\n" not in status
        assert "Traceback" not in status
        assert str(bad) in status


async def test_copy_uses_clipboard(monkeypatch: pytest.MonkeyPatch) -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("y")
        assert copied and "kernel" in copied[0] and "MatMul_0" in copied[0]


async def test_palette_go_to_op() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        names = app.op_names()
        assert ("QNN op", "MatMul_3") in names and ("HTP kernel", "SyncOp") in names
        app.go_to_op("QNN op", "MatMul_3")
        await pilot.pause()
        trace = app.opt.trace  # type: ignore[union-attr]
        ops, _primary = app.selection
        assert ops and all(trace.qnn_op_name(i) == "MatMul_3" for i in ops)
        assert app.dag.centre is not None
        app.apply_filter(r"^HMX$")
        await pilot.pause()
        assert app.filter_mask is not None
        lanes = np.array([ln.unit for ln in trace.lanes])[trace.lane]
        assert np.array_equal(app.filter_mask, lanes == "HMX")


async def test_narrow_terminal_reaches_every_pane() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert app.screen.has_class("-narrow")
        for region in ("qhas", "dag", "details", "ranking"):
            await pilot.press({"qhas": "3", "dag": "4", "details": "5", "ranking": "2"}[region])
            await pilot.pause()
            node = app.query_one(f"#{region}-region")
            assert node.display and node.region.height > 3, region


async def test_filter_typed_in_one_terminal_read_reaches_the_input() -> None:
    """Keys that arrive together after `/` (fast typing, a paste) land in the filter, not the pane."""
    from textual import events

    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("2")  # focus the ranking, whose keys (s, S, r, ...) must not fire
        order_before = app.ranking.sort_key, app.ranking.descending
        text = "/MatMul_3/S"  # the regex itself contains `/`; `S` would reverse the ranking sort
        for ch in text:  # all queued before any is handled, as one terminal read delivers them
            app.post_message(events.Key("slash" if ch == "/" else ch, ch))
        app.post_message(events.Key("enter", "\r"))
        await pilot.pause()
        await pilot.pause()
        assert app.filter_pattern == "MatMul_3/S"
        assert (app.ranking.sort_key, app.ranking.descending) == order_before


async def test_slash_over_help_screen_is_harmless() -> None:
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.filter_pattern is None


async def test_export_follows_the_focused_pane_and_the_export_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timeline exports the ops in view (IDs, lane, ts, raw cycles); Findings the findings; the
    export directory comes from the setting or $HTPTUI_EXPORT_DIR, never the trace directory."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "exports"
    out.mkdir()
    app = HtpApp(str(SAMPLE), export_dir=out)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("1")
        await pilot.pause()
        for _ in range(3):
            await pilot.press("w")
        dest = app.action_export("csv")
        assert dest is not None and dest.parent == out.resolve()
        with dest.open(encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        head = rows[0]
        assert {
            "op_id",
            "kernel",
            "qnn_op",
            "lane",
            "ts_cycles",
            "dur_cycles",
            "dpc_cycles",
        } <= set(head)
        t = app.opt.trace  # type: ignore[union-attr]
        in_view = np.flatnonzero((t.ts < app.timeline.view_hi) & (t.end > app.timeline.view_lo))
        assert 0 < len(rows) - 1 == in_view.size < len(t)
        first = dict(zip(head, rows[1], strict=True))
        i = int(first["index"])
        assert first["op_id"] == t.op_id_str(i) and int(first["ts_cycles"]) == int(t.ts[i])
        assert first["lane"] == t.lane_of(i).label and int(first["dur_cycles"]) == int(t.dur[i])
        # the Findings tab exports the findings
        app.query_one("#dag-region").active = "tab-findings"  # type: ignore[attr-defined]
        app.action_focus_region("dag")
        await pilot.pause()
        dest = app.action_export("json")
        assert dest is not None and "findings" in dest.name
        doc = json.loads(dest.read_text(encoding="utf-8"))
        assert doc["rows"] and {"severity", "rule", "impact_cycles"} <= set(doc["rows"][0])
    # a setting inside the trace directory falls back to the current directory
    monkeypatch.setenv("HTPTUI_EXPORT_DIR", str(SAMPLE))
    app = HtpApp(str(SAMPLE), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert app.export_dir() == tmp_path.resolve()
    assert not list(SAMPLE.glob("htptui-export-*"))
