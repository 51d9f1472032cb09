"""Compare mode (``htptui A B``): Pilot tests and SVG snapshots on the edited chain8 sample."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from textual.widgets import DataTable, Static

from htptui.model.run import load_run
from htptui.output.baseline import document_of, load_document
from htptui.output.json import to_json_bytes
from htptui.tui.compare import CompareApp, DualTimeline, RunLanes


def _fixtures() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_compare_fixtures_tui", Path(__file__).with_name("test_compare.py")
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


FX = _fixtures()


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    root = tmp_path_factory.mktemp("tui_cmp")
    b = FX.make_lane_moved(
        root / "b", FX.make_without_matmul5(root / "c2", FX.make_slower(root / "c1"))
    )
    return document_of(load_run(FX.SAMPLE)), document_of(load_run(b))


def _names(table: DataTable) -> list[str]:
    """The rows' names: the ranking's row keys (names are elided on screen), else the first cell."""
    if table.id == "cmp-ranking":
        return [str(k.value) for k in table.rows]
    return [str(table.get_row_at(i)[0]).strip() for i in range(table.row_count)]


async def test_diff_view_ranks_by_delta_and_links_selection(docs: Any) -> None:
    app = CompareApp(*docs)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        ranking = app.query_one("#cmp-ranking", DataTable)
        assert _names(ranking)[:2] == ["MatMul_3", "MatMul_5"]
        assert [str(c.label).strip() for c in ranking.columns.values()][:5] == [
            "name", "A DPC", "B DPC", "Δ DPC", "Δ %",
        ]  # fmt: skip
        assert app.selected == "MatMul_3"
        assert app.query_one(DualTimeline).selected == "MatMul_3"
        assert "+5,000" in str(app.query_one("#cmp-status", Static).render())
        await pilot.press("down")
        await pilot.pause()
        assert app.selected == "MatMul_5"
        assert "instances 5 → -" in str(app.query_one("#cmp-status", Static).render())
        lanes = app.query_one("#cmp-lanes", DataTable)
        assert {"HVX 513", "HVX 514", "HMX 256"} <= set(_names(lanes))


async def test_g_cycles_views_and_keeps_selection(docs: Any) -> None:
    app = CompareApp(*docs)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        tl = app.query_one(DualTimeline)
        labels = [r[0] for r in tl.rows()]
        assert "A HVX 514" in labels and "B HVX 513" in labels  # A above B
        assert labels.index("A HMX 256") < labels.index("B HMX 256")
        await pilot.press("down")  # select MatMul_5
        await pilot.press("g")
        await pilot.pause()
        assert app.mode == "A" and tl.mode == "A"
        assert all(r[0].startswith("A ") for r in tl.rows())
        ranking = app.query_one("#cmp-ranking", DataTable)
        assert _names(ranking)[0] == "MatMul_0"  # A alone: ranked by A's DPC
        assert app.selected == "MatMul_5"
        assert _names(ranking)[ranking.cursor_row] == "MatMul_5"
        await pilot.press("g")
        await pilot.pause()
        assert app.mode == "B" and "MatMul_5" not in _names(ranking)
        assert all(r[0].startswith("B ") for r in tl.rows())
        await pilot.press("g")
        await pilot.pause()
        assert app.mode == "diff"
        await pilot.press("r")  # the explorer's level key
        await pilot.pause()
        assert _names(ranking)[0] == "q::ConvLayer_s1.opt"


async def test_saved_baseline_opens_like_a_directory(docs: Any, tmp_path: Path) -> None:
    p = tmp_path / "base.json"
    p.write_bytes(to_json_bytes(docs[0]))
    app = CompareApp(load_document(str(p)), docs[1])
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert _names(app.query_one("#cmp-ranking", DataTable))[0] == "MatMul_3"


def test_timeline_coverage_is_exact(docs: Any) -> None:
    run = RunLanes(docs[0])
    lo, hi = run.span
    assert (lo, hi) == (22, 64851)
    hvx514 = run.lanes.index("HVX 514")
    cov = run.coverage(hvx514, lo, hi, 64829)  # one cycle per bucket
    assert int(round(cov.sum())) == 5801


@pytest.mark.parametrize(
    ("size", "press"),
    [
        pytest.param((120, 36), [], id="120x36-diff"),
        pytest.param((120, 36), ["down", "g"], id="120x36-A-selected"),
        pytest.param((160, 50), [], id="160x50-diff"),
        pytest.param((80, 24), [], id="80x24-diff"),
    ],
)
def test_compare_snapshot(snap_compare: Any, docs: Any, size: Any, press: list[str]) -> None:
    a, b = (
        {**d, "source": label} for d, label in zip(docs, ("chain8_matmul", "edited"), strict=True)
    )
    assert snap_compare(CompareApp(a, b), terminal_size=size, press=press)


async def test_explorer_keys_work_in_compare_mode(
    docs: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """`/` filter, `r` level, `s`/`S` sort, zoom/pan, `e`/`E` export and `?` help, on A and B."""
    monkeypatch.setenv("HTPTUI_EXPORT_DIR", str(tmp_path))
    from htptui.tui.compare import DualTimeline
    from htptui.tui.screens import HelpScreen

    app = CompareApp(*docs)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        ranking = app.query_one("#cmp-ranking", DataTable)
        await pilot.press("slash", *"MatMul_[35]", "enter")
        await pilot.pause()
        assert app.pattern == "MatMul_[35]"
        assert set(_names(ranking)) <= {"MatMul_3", "MatMul_5"} and _names(ranking)
        tl = app.query_one(DualTimeline)
        assert tl.pattern is not None
        await pilot.press("g")  # A view keeps the filter
        await pilot.pause()
        assert set(_names(ranking)) <= {"MatMul_3", "MatMul_5"}
        await pilot.press("g", "g", "escape")
        await pilot.pause()
        assert app.pattern is None and len(_names(ranking)) > 2
        await pilot.press("s")  # by name
        await pilot.pause()
        assert _names(ranking) == sorted(_names(ranking))
        await pilot.press("S")
        await pilot.pause()
        assert _names(ranking) == sorted(_names(ranking), reverse=True)
        await pilot.press("1", "w", "w")
        await pilot.pause()
        assert tl.view_hi - tl.view_lo == pytest.approx((tl.hi - tl.lo) / 4)
        await pilot.press("d")
        lo = tl.view_lo
        await pilot.press("a", "a")
        assert tl.view_lo < lo
        await pilot.press("0")
        assert (tl.view_lo, tl.view_hi) == (tl.lo, tl.hi)
        await pilot.press("2")
        await pilot.pause()
        start = ranking.cursor_row
        await pilot.press("n", "n", "N")
        await pilot.pause()
        assert ranking.cursor_row == start + 1 and app.selected == _names(ranking)[start + 1]
        await pilot.press("1", "f")
        await pilot.pause()
        assert tl.view_hi - tl.view_lo < tl.hi - tl.lo
        await pilot.press("2", "e")
        await pilot.pause()
        out = list(tmp_path.glob("htptui-export-compare-*.csv"))
        assert len(out) == 1 and out[0].read_text().splitlines()[0].startswith("name,A_dpc_cycles")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        # the right column is filled: lanes, then every summary figure and phase
        summary = app.query_one("#cmp-summary", DataTable)
        assert summary.row_count >= len(app.cmp.summary) - 3
        units = app.query_one("#cmp-units")
        assert units.region.bottom == app.query_one("#cmp-tables").region.bottom
        assert summary.region.bottom == units.region.bottom


# --- two graphs of one directory, the key audit, no blank area ---------------------------------

LLM = Path(__file__).resolve().parents[1] / "sample_data" / "synthetic_llm_decoder"
S1, S32 = "qwen3-synth-s1", "qwen3-synth-s32"


@pytest.fixture(scope="module")
def llm_docs() -> tuple[dict[str, Any], dict[str, Any]]:
    return load_document(str(LLM), graph=S1), load_document(str(LLM), graph=S32)


def test_spelling_aliases_match_only_unambiguous_pairs() -> None:
    from htptui.analysis.compare import spelling_aliases, spelling_key

    assert spelling_key("model.layers.0.mlp.up_proj") == spelling_key("_model_layers_0_mlp_up_proj")
    a = ["_model_norm", "lm_head", "x.y", "x_y", "_p_q", "same"]
    b = ["model.norm", "lm.head", "x-y", "p.q", "p/q", "same"]
    # lm_head exists as-is nowhere in B but lm.head does: paired; x.y and x_y both want x-y: not
    # paired (ambiguous); _p_q has two B spellings: not paired; `same` is an exact match
    assert spelling_aliases(a, b) == {"_model_norm": "model.norm", "lm_head": "lm.head"}
    assert spelling_aliases(["a.b", "a_b"], ["a_b"]) == {}  # the exact match wins, a.b stays


def test_two_graphs_match_ops_across_spellings(llm_docs: Any) -> None:
    from htptui.analysis.compare import compare

    c = compare(*llm_docs)
    names = {r.name for r in c.qnn_ops}
    assert "model.embed_tokens" in names and "_model_embed_tokens" not in names
    row = c.qnn_op("model.embed_tokens")
    assert row is not None and row.name_a == "_model_embed_tokens" and row.status == "changed"
    assert row.dpc.a is not None and row.dpc.b is not None
    # only the differently numbered system ops stay unmatched
    assert all(n.startswith("SystemService") for n in [*c.ops_added, *c.ops_removed])
    assert any("spellings" in n for n in c.notes)
    assert c.graph is not None and not c.graph.qnn_ops_added and not c.graph.edges_added
    inst = [r for r in c.instances or [] if r.qnn_op == "model.embed_tokens"]
    assert inst and sum(r.status not in ("added", "removed") for r in inst) >= len(inst) - 1


def test_diff_cli_reports_the_matched_spelling() -> None:
    import json

    from click.testing import CliRunner

    from htptui.commands.diff import command

    r = CliRunner().invoke(command, [str(LLM), "--graph", S1, "--graph-b", S32, "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    doc = json.loads(r.output)
    row = next(x for x in doc["qnn_ops"] if x["name"] == "lm_head")
    assert row["name_a"] == "_lm_head" and row["status"] == "changed"


def _bound_keys(*classes: Any) -> set[str]:
    keys: set[str] = set()
    for cls in classes:
        for b in cls.BINDINGS:
            keys |= {k.strip() for k in b.key.split(",")}
    return keys


def test_every_single_run_key_is_bound_in_compare_mode() -> None:
    """The audit: every key of the explorer, its timeline, grid and DAG means something here too
    (it works on A and B, or says why it cannot); exceptions are Textual's own focus and palette."""
    from textual.widgets import DataTable as _DT

    from htptui.tui.app import HtpApp
    from htptui.tui.compare import CmpTable
    from htptui.tui.panes.dag import DagPane
    from htptui.tui.widgets.grid import DataGrid
    from htptui.tui.widgets.timeline import Timeline

    single = _bound_keys(HtpApp, Timeline, DataGrid, DagPane)
    here = _bound_keys(CompareApp, DualTimeline, CmpTable, _DT)
    textual_own = {"tab", "shift+tab"}  # focus chain: Textual's default in compare mode
    assert single - here - textual_own == set()


async def test_keys_without_meaning_say_so(llm_docs: Any) -> None:
    from htptui.tui.compare import NOT_HERE

    said: list[str] = []
    app = CompareApp(*llm_docs)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        app.notify = lambda msg, **kw: said.append(str(msg))  # type: ignore[method-assign]
        for key in ["4", "p", "P", "v", "full_stop", "comma", "o"]:
            said.clear()
            await pilot.press(key)
            await pilot.pause()
            assert said and said[0] in NOT_HERE.values(), key
        assert not any(isinstance(s, type(app.screen)) for s in app.screen_stack[1:])


async def test_level_drill_down_and_export_on_two_graphs(
    llm_docs: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """`r` cycles QNN op → kernel → instance like the explorer; Enter drills into a row's instances
    (A beside B), Esc backs out to that row; the instance level exports instance columns."""
    monkeypatch.setenv("HTPTUI_EXPORT_DIR", str(tmp_path))
    app = CompareApp(*llm_docs)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        ranking = app.query_one("#cmp-ranking", DataTable)
        first = app.selected
        assert first is not None and not first.startswith("_")  # B's (dotted) spelling
        tl = app.query_one(DualTimeline)
        for run in (tl.a, tl.b):  # the matched op lights in both runs
            m = run.mask_of("qnn_op", first)
            assert m is not None and m.any()
        assert "(A: _" in str(app.query_one("#cmp-status", Static).render())
        await pilot.press("enter")
        await pilot.pause()
        assert app.view_level == "instance" and app.drill == ("qnn_op", first)
        rows = app._rows()
        assert rows and all(r.qnn_op == first for r in rows)
        assert len(_names(ranking)) == len(rows)
        sel = app.selected
        assert sel is not None
        for run in (tl.a, tl.b):
            m = run.mask_of("instance", sel)
            assert m is not None and int(m.sum()) <= 1
        await pilot.press("E")
        await pilot.pause()
        out = list(tmp_path.glob("htptui-export-compare-*.json"))
        assert len(out) == 1 and '"qnn_op"' in out[0].read_text()
        await pilot.press("escape")
        await pilot.pause()
        assert app.drill is None and app.level == "qnn_op" and app.selected == first
        await pilot.press("r")
        await pilot.pause()
        assert app.level == "kernel" and _names(ranking)[0].startswith(("q::", "RoPE"))
        await pilot.press("r")
        await pilot.pause()
        assert app.level == "instance" and len(_names(ranking)) == len(app.cmp.instances or [])
        await pilot.press("r")
        await pilot.pause()
        assert app.level == "qnn_op"


def _no_blank(app: CompareApp) -> None:
    h = int(app.size.height)
    parts = ["#cmp-header", "#cmp-timeline", "#cmp-tables", "#cmp-status", "Footer"]
    regions = [app.query_one(p).region for p in parts]
    assert regions[0].y == 0 and sum(r.height for r in regions) == h
    for above, below in zip(regions, regions[1:], strict=False):
        assert above.bottom == below.y
    tables = app.query_one("#cmp-tables").region
    assert tables.height >= 5
    ranking = app.query_one("#cmp-ranking", DataTable)
    shown = ranking if ranking.display else app.query_one("#cmp-summary", DataTable)
    assert shown.region.bottom == tables.bottom and shown.region.height >= 3
    assert shown.row_count >= shown.region.height - 2  # filled, not blank rows
    for t in app.query(DataTable):  # every column fits: nothing cut off on the right
        if t.display and t.size.width:
            assert t.virtual_size.width <= t.scrollable_content_region.width, t.id
    tl = app.query_one(DualTimeline)
    lines = str(tl.render()).splitlines()
    assert len(lines) == tl.size.height and all(ln.strip() for ln in lines)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
@pytest.mark.parametrize("pair", ["two-dirs", "two-graphs"])
async def test_no_blank_area_and_every_row_reachable(
    docs: Any, llm_docs: Any, size: tuple[int, int], pair: str
) -> None:
    app = CompareApp(*(docs if pair == "two-dirs" else llm_docs))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        _no_blank(app)
        tl = app.query_one(DualTimeline)
        rows = tl.rows()
        fit = tl.visible_rows()
        if len(rows) > fit:  # J/K scroll every lane row into view
            await pilot.press("1")
            await pilot.pause()
            assert app.focused is tl
            for _ in range(len(rows)):
                await pilot.press("J")
            await pilot.pause()
            assert tl.visible_rows() == fit  # the layout did not move under the keys
            assert tl.row_offset == len(rows) - fit
            await pilot.press("K")
            assert tl.row_offset == len(rows) - fit - 1
        for keys in (["g"], ["g", "g", "g", "r", "r"], ["r"]):  # A view, instances, back
            await pilot.press("2", *keys)
            await pilot.pause()
            _no_blank(app)
        # lanes are aligned: the same lane of A directly above B's
        labels = [r[0] for r in rows]
        for k in range(0, len(labels), 2):
            assert labels[k].startswith("A ") and labels[k + 1] == "B " + labels[k][2:]
        await pilot.press("2")
        if size[0] < 120:  # one table at a time: 3 / 5 show the figures, 2 the ranking
            assert not app.query_one("#cmp-units").display
            await pilot.press("5")
            await pilot.pause()
            assert app.query_one("#cmp-units").display
            assert not app.query_one("#cmp-ranking").display
            _no_blank(app)
            await pilot.press("2")
            await pilot.pause()
            assert app.query_one("#cmp-ranking").display
        else:
            units = app.query_one("#cmp-units")
            ranking = app.query_one("#cmp-ranking")
            assert units.display and ranking.region.right <= units.region.x
            # A, B and Δ of the lanes and the figures tables line up
            lanes, summary = (
                app.query_one("#cmp-lanes", DataTable),
                app.query_one("#cmp-summary", DataTable),
            )
            assert [c.width for c in lanes.columns.values()] == [
                c.width for c in summary.columns.values()
            ]
        before = tl.outer_size.height
        await pilot.press(">")
        await pilot.pause()
        assert tl.outer_size.height == before + 2
        await pilot.press("<", "<")
        await pilot.pause()
        assert tl.outer_size.height == before - 2
        await pilot.press(">")  # back to the fitted split
        await pilot.pause()
        assert tl.outer_size.height == before
        _no_blank(app)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_two_graphs_compare_snapshot(snap_compare: Any, llm_docs: Any, size: Any) -> None:
    a, b = ({**d, "source": "synthetic_llm_decoder"} for d in llm_docs)
    assert snap_compare(CompareApp(a, b), terminal_size=size)


async def test_help_shows_the_compare_section_with_every_key(llm_docs: Any) -> None:
    from htptui.tui.screens import HelpScreen, help_text

    text = help_text("Compare mode")
    assert text.startswith("# htptui keys") and "## Timeline" not in text and "## Notes" in text
    for key in ("`g`", "`r`", "`Enter`", "`Esc`", "`/`", "`s`", "`S`", "`n`", "`1`", "`3`", "`5`",
                "`w`", "`0`", "`f`", "`Home`", "`J`", "`>`", "`e`", "`E`", "`y`", "`p`", "`m`",
                "`B`", "`'`", "`v`", "`.`", "`4`", "`l`", "`[`", "`o`", "`Space`", "`h`", "`W`",
                "`M`", "`x`"):  # fmt: skip
        assert key in text, key
    app = CompareApp(*llm_docs)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.section == "Compare mode"


async def test_reports_without_instance_rows_skip_the_instance_level(docs: Any) -> None:
    """A saved report from an older htptui (no compare_basis): `r` and Enter say there are no
    per-instance rows instead of showing an empty level; the layout still has no blank rows."""
    old = [{k: v for k, v in d.items() if k != "compare_basis"} for d in docs]
    said: list[str] = []
    app = CompareApp(*old)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.notify = lambda msg, **kw: said.append(str(msg))  # type: ignore[method-assign]
        await pilot.press("r", "r")
        await pilot.pause()
        assert app.level == "qnn_op" and any("per-instance" in s for s in said)
        said.clear()
        await pilot.press("enter")
        await pilot.pause()
        assert app.drill is None and any("per-instance" in s for s in said)
        assert app.query_one("#cmp-ranking", DataTable).row_count > 0


async def test_bookmarks_in_compare_mode_are_the_runs_own(
    llm_docs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`B` on the timeline bookmarks the view in both runs, on an instance row that op in each;
    `'` lists both runs' bookmarks, Enter jumps; the single-run explorer sees the same stores."""
    from htptui.model.bookmarks import BookmarkStore, data_dir
    from htptui.tui.bookmarks import BookmarksScreen

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    before = sorted(p.name for p in LLM.iterdir())
    app = CompareApp(*llm_docs)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("1", "w", "w", "B")
        await pilot.pause()
        tl = app.query_one(DualTimeline)
        lo, hi = int(tl.view_lo), int(np.ceil(tl.view_hi))
        await pilot.press("2", "enter")  # instances of the top QNN op
        await pilot.pause()
        inst = app.selected
        assert inst is not None and app.view_level == "instance"
        await pilot.press("B")
        await pilot.pause()
        traces = [d["artifacts"]["found"]["op_trace"] for d in llm_docs]
        a_items, b_items = (BookmarkStore(t).items for t in traces)
        assert [(x.kind, x.lo, x.hi) for x in a_items if x.kind == "window"] == [("window", lo, hi)]
        assert [(x.kind, x.lo, x.hi) for x in b_items if x.kind == "window"] == [("window", lo, hi)]
        ops = [x for x in [*a_items, *b_items] if x.kind == "op"]
        assert len(ops) == 2
        await pilot.press("escape", "apostrophe")
        await pilot.pause()
        assert isinstance(app.screen, BookmarksScreen)
        assert len(app.screen.store.items) == 4
        assert str(app.screen.query_one("#bookmarks-title").render()).startswith("Bookmarks of A ")
        await pilot.press("down", "enter")  # A's op bookmark: its QNN op row is selected
        await pilot.pause()
        assert not isinstance(app.screen, BookmarksScreen)
        q = inst.split("\x00")[0]
        assert app.level == "qnn_op" and app.selected == q
    # the explorer on graph A lists the same op and window
    t = BookmarkStore(traces[0])
    assert {x.kind for x in t.items} == {"op", "window"}
    trace = load_run(traces[0]).trace  # what the explorer's jump checks: the op's ID and start
    assert trace is not None
    for x in t.items:
        if x.kind == "op":
            assert x.op is not None and int(trace.op_id[x.op]) == x.op_id
            assert int(trace.ts[x.op]) == x.ts
    assert sorted(p.name for p in LLM.iterdir()) == before  # nothing in the trace directory
    assert len(list((data_dir() / "bookmarks").iterdir())) == 2
