"""The DAG pane on a 10,000+-node graph: the index, f/n/N search, u/d/Backspace walks, Enter, the
level switch, following other panes, and a count of the work each key costs (one screen at most)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from textual.app import App, ComposeResult

from htptui.analysis.dag_index import build_index
from htptui.analysis.run import analysis_of
from htptui.model.run import load_run
from htptui.present.format import cell_width
from htptui.tui.app import HtpApp
from htptui.tui.panes.dag import SYNC_INDEX_NODES, DagPane
from tests.dag_fixture import BigGraph, write_big_graph_run

SIZE = (160, 50)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> BigGraph:
    return write_big_graph_run(tmp_path_factory.mktemp("dag") / "decoder10k")


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", False, raising=False)


def nid(g: BigGraph, k: int) -> int:
    return int(g.keys[k], 16)


def expected_dpc(g: BigGraph, name: str) -> int:
    return sum(d for d, q in zip(g.dur, g.qnn, strict=True) if q == name)


# ------------------------------------------------------------------ the index


def test_index_matches_the_written_graph(big: BigGraph) -> None:
    an = analysis_of(load_run(big.path))
    assert len(big.keys) > SYNC_INDEX_NODES and len(big.keys) >= 10_000
    idx = build_index(an, "node")
    assert idx is not None and len(idx) == len(big.keys)
    assert [idx.pos[nid(big, k)] for k in range(len(big.keys))] == list(range(len(big.keys)))
    consumers: list[list[int]] = [[] for _ in big.keys]
    for k, ins in enumerate(big.inputs):
        assert idx.producers(k).tolist() == ins  # input order
        for p in ins:
            consumers[p].append(k)
    for k in range(len(big.keys)):
        assert idx.consumers(k).tolist() == consumers[k]  # graph order
        assert [idx.edge_tensors[e] for e in idx.producer_edges(k).tolist()] == [
            (nid(big, p),) for p in big.inputs[k]
        ]
    assert idx.dpc.tolist() == big.dur  # every node ran once with DPC = its duration
    assert idx.consumers(1).size == 360 * 17  # the rotary hub
    # search: case-insensitive substring, the same as a brute-force scan of the labels
    for q in ("Q_PROJ.3", "layers.17.", "forceformat", "  mlp.Down ", "no such node"):
        want = [k for k in range(len(big.keys))
                if q.strip().lower() in f"{big.kernel[k]} · {big.qnn[k]}".lower()]  # fmt: skip
        assert idx.search(q).tolist() == want, q
    assert idx.search("").size == 0


def test_qnn_index_uses_the_analysis_dag(big: BigGraph) -> None:
    an = analysis_of(load_run(big.path))
    idx = build_index(an, "qnn")
    dag = an.qnn_dag()
    assert idx is not None and dag is not None
    assert idx.nodes == dag.ops and len(idx) == len(dict.fromkeys(big.qnn)) < len(big.keys)
    edges = {(idx.nodes[s], idx.nodes[d]) for d in range(len(idx)) for s in idx.producers(d)}
    assert edges == set(dag.edges)
    attn = idx.pos["model.layers.5.self_attn.attn"]
    assert int(idx.dpc[attn]) == expected_dpc(big, "model.layers.5.self_attn.attn")
    assert int(idx.dpc[attn]) == an.dpc_of_ops(an.ops_of_qnn_op("model.layers.5.self_attn.attn"))


# ------------------------------------------------------------------ the explorer, keys


async def loaded(pilot: Any, app: HtpApp) -> None:
    await app.workers.wait_for_complete()
    for _ in range(40):
        await pilot.pause()
        if app.ready or app.load_error is not None:
            break
    await app.workers.wait_for_complete()  # the DAG pane's index worker
    await pilot.pause()
    assert app.ready and app.dag.index() is not None


def row_text(pane: DagPane, y: int) -> str:
    return "".join(s.text for s in pane.nodelist.render_line(y))


async def test_search_walk_back_and_enter(big: BigGraph) -> None:
    app = HtpApp(str(big.path), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        dag = app.dag
        idx = dag.index()
        assert idx is not None
        await pilot.press("4")
        await pilot.pause()
        assert app.focused is dag
        # follow a selection made elsewhere: the ops of layer 3's q_proj.0 (from the ranking's API)
        start = big.pos_of_qnn("model.layers.3.self_attn.q_proj.0")
        app.select_ops(tuple(app.analysis.ops_of_op_id(nid(big, start)).tolist()),  # type: ignore[union-attr]
                       int(app.analysis.ops_of_op_id(nid(big, start))[0]))  # type: ignore[union-attr]  # fmt: skip
        await pilot.pause()
        assert dag.centre == nid(big, start)
        # f: search; the first match from the centre on
        await pilot.press("f", *"Q_PROJ.7", "enter")
        await pilot.pause()
        assert app.focused is dag and dag.find_text == "Q_PROJ.7"
        hits = [k for k, q in enumerate(big.qnn) if q.endswith("q_proj.7")]
        assert dag.matches.tolist() == hits and len(hits) == 360
        assert dag.centre == nid(big, hits[3])  # layer 3's q_proj.7 comes after its q_proj.0
        await pilot.press("n", "n")
        assert dag.centre == nid(big, hits[5])
        await pilot.press("N")
        assert dag.centre == nid(big, hits[4])
        # u: up to the heaviest producer (the layer norm or the rotary hub)
        here = hits[4]
        ins = big.inputs[here]
        heaviest = max(ins, key=lambda p: (big.dur[p], -ins.index(p)))
        await pilot.press("u")
        assert dag.centre == nid(big, heaviest)
        # d with the cursor on a consumer row: that consumer
        src = dag._source
        assert src is not None
        rows = [r for r in range(src.count()) if src.row(r)[0] == "succ"]  # type: ignore[union-attr]
        await pilot.press(*["j"] * 3)
        assert dag.nodelist.cursor == rows[2]
        chosen = src.row(rows[2])[1]  # type: ignore[union-attr]
        await pilot.press("d")
        assert dag.centre == nid(big, big.consumers_of(heaviest)[2]) == idx.nodes[chosen]
        # Backspace: back along the walk, step by step
        await pilot.press("backspace")
        assert dag.centre == nid(big, heaviest)
        await pilot.press("backspace")
        assert dag.centre == nid(big, hits[4])
        # Enter on a producer row: its ops are selected everywhere, the DAG centres on it
        await pilot.press("g")
        cursor_node = dag.cursor_node()
        assert cursor_node == nid(big, big.inputs[hits[4]][0])
        await pilot.press("enter")
        await pilot.pause()
        ops, primary = app.selection
        want = app.analysis.ops_of_op_id(cursor_node).tolist()  # type: ignore[union-attr, arg-type]
        assert list(ops) == want and primary == want[0]
        assert app.opt.graph_node(primary).id == cursor_node  # type: ignore[union-attr]
        assert dag.centre == cursor_node
        # without a search, n/N are the filter's again
        dag.find_text = None
        app.apply_filter(r"lm_head")
        await pilot.pause()
        await pilot.press("4", "n")
        await pilot.pause()
        assert app.opt.trace.qnn_op_name(app.selection[1]) == "lm_head"  # type: ignore[union-attr, arg-type]


async def test_whole_graph_mode_level_switch_and_escape(big: BigGraph) -> None:
    app = HtpApp(str(big.path), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        dag = app.dag
        await pilot.press("4", "a")
        assert dag.mode == "all" and dag.nodelist.n_rows == len(big.keys)
        await pilot.press("G")
        assert dag.cursor_node() == nid(big, len(big.keys) - 1)
        assert "lm_head" in row_text(dag, dag.nodelist.cursor - int(dag.nodelist.scroll_y))
        await pilot.press("g", "j", "j")
        assert dag.cursor_node() == nid(big, 2)
        # n/N move the cursor through the matches in list mode
        await pilot.press("f", *"residual", "enter")
        adds = [k for k, q in enumerate(big.qnn) if q.endswith("residual_add")]
        assert dag.cursor_position() == adds[0]
        await pilot.press("N")
        assert dag.cursor_position() == adds[-1]
        # Esc in the search field closes it, keeping the last search
        await pilot.press("f", "x", "escape")
        assert app.focused is dag and dag.find_text == "residual"
        # l: QNN-op level keeps the centre's op and the search
        await pilot.press("enter")
        centre = dag.centre
        assert isinstance(centre, int)
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        qidx = dag.index()
        assert dag.level == "qnn" and qidx is not None
        assert dag.centre == app.opt.graph.nodes[centre].grouping  # type: ignore[union-attr]
        assert dag.cursor_node() == dag.centre
        assert dag.matches.size == 360 and dag.nodelist.n_rows == len(qidx)
        await pilot.press("l")
        assert dag.level == "node" and dag.centre == centre


async def test_names_are_elided_in_the_middle_and_fit(big: BigGraph) -> None:
    app = HtpApp(str(big.path), extra_panes=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        dag = app.dag
        await pilot.press("4", "a", "f", *"layers.123.self_attn.q_proj.1", "enter")
        await pilot.pause()
        width = dag.nodelist.scrollable_content_region.width
        lines = [row_text(dag, y) for y in range(dag.nodelist.page_rows)]
        assert all(cell_width(ln) == width for ln in lines)
        # the heads of layer 123 around the match: the layer and the head index both on screen
        heads = [ln for ln in lines if "q_proj" in ln]
        assert len(heads) >= 5 and len(set(heads)) == len(heads)
        assert all("layers.123" in ln and ln.rstrip()[-2:].lstrip(".").isdigit() for ln in heads)
        # narrower: shortened in the middle, still telling every head apart, the tails kept
        positions = [k for k, q in enumerate(big.qnn) if ".layers.123.self_attn.q_proj." in q]
        for width in (60, 40, 30):
            short = dag.short_names(positions, width, 2)
            assert all("…" in s for s in short) and len(set(short)) == len(short), width
            assert all(re.search(rf"\D{h}$", s) for h, s in enumerate(short)), width


# ------------------------------------------------------------------ the work each key costs


async def test_each_key_formats_at_most_one_screen(big: BigGraph) -> None:
    app = HtpApp(str(big.path), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        dag = app.dag
        nl = dag.nodelist
        tensors = 0
        real = dag.tensor_text

        def counting(tid: int) -> str:
            nonlocal tensors
            tensors += 1
            return real(tid)

        dag.tensor_text = counting  # type: ignore[method-assign]
        await pilot.press("4")
        await pilot.pause()
        page = nl.page_rows
        # centre on the hub: 6,120 consumers, 12,240 rows; one screen of them is formatted
        keys = ["f", *"rotary", "enter", "j", "j", "pagedown", "G", "k", "backspace", "a", "j",
                "pagedown", "G", "n", "a", "u", "d", "backspace"]  # fmt: skip
        typing = set(range(1, 7))  # the letters typed into the search field
        for k, key in enumerate(keys):
            built, tensors = nl.rows_built, 0
            await pilot.press(key)
            await pilot.pause()
            if k in typing:
                continue
            assert nl.rows_built - built <= page, (key, nl.rows_built - built, page)
            assert tensors <= page, key
            if key == "enter" and k == 7:
                assert nl.n_rows == 1 + 2 * 6120 + 2 * 1  # the hub and its rows, listed virtually
        assert nl.rows_built > 0


# ------------------------------------------------------------------ snapshots


class DagSnapshotApp(App[None]):
    """One focused DAG pane on the 10k-node graph, centred on layer 7's attention."""

    def __init__(self, path: Path, centre: int) -> None:
        super().__init__()
        self.path = path
        self.centre = centre

    def compose(self) -> ComposeResult:
        yield DagPane(id="dag")

    def on_mount(self) -> None:
        an = analysis_of(load_run(self.path))
        an.warm_first()
        pane = self.query_one(DagPane)
        pane.show_run(an)
        pane.on_ops_selected((), int(an.ops_of_op_id(self.centre)[0]))
        pane.focus()


async def _index_built(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize(
    ("size", "press"),
    [
        pytest.param((80, 24), [], id="80x24-around"),
        pytest.param((160, 50), [], id="160x50-around"),
        pytest.param((80, 24), ["a", "f", *"q_proj.1", "enter"], id="80x24-all-find"),
        pytest.param((160, 50), ["a", "f", *"mlp", "enter", "n"], id="160x50-all-find"),
    ],
)
def test_dag_pane_snapshot(
    snap_compare: Any, big: BigGraph, size: tuple[int, int], press: list[str]
) -> None:
    centre = nid(big, big.pos_of_qnn("model.layers.7.self_attn.attn"))
    app = DagSnapshotApp(big.path, centre)
    assert snap_compare(app, terminal_size=size, press=press, run_before=_index_built)


def test_fixture_consumers_helper(big: BigGraph) -> None:
    assert big.consumers_of(0)[:2] == [1, 2] and np.all(np.diff(big.consumers_of(1)) > 0)


async def test_tab_closes_the_search_and_export_lists_every_node(big: BigGraph) -> None:
    app = HtpApp(str(big.path), extra_panes=[])
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        dag = app.dag
        search = dag.query_one("#dag-search")
        await pilot.press("4", "f")
        assert search.display and app.focused is search
        await pilot.press("tab")
        await pilot.pause()
        assert not search.display and app.current_region == "details"
        headers, rows = dag.export_table()
        assert len(rows) == len(big.keys)
        col = {h: i for i, h in enumerate(headers)}
        hub = rows[1]
        assert (
            hub[col["label"]] == "q::Sin_Cos · model.rotary_emb"
            and hub[col["dpc_cycles"]] == big.dur[1]
        )
        assert len(hub[col["successors"]].split(" q::")) == 360 * 17


def test_around_rows_lay_out_producers_tensors_and_consumers(big: BigGraph) -> None:
    from htptui.tui.panes.dag import _AroundRows

    an = analysis_of(load_run(big.path))
    idx = build_index(an, "node")
    assert idx is not None
    for centre in (big.pos_of_qnn("model.layers.7.self_attn.attn"), 1, 0, len(big.keys) - 1):
        want: list[tuple[str, int, int]] = []
        for p in big.inputs[centre]:
            want += [("pred", p, -1), ("ptensor", p, nid(big, p))]
        want.append(("centre", centre, -1))
        for s in big.consumers_of(centre):
            want += [("stensor", s, nid(big, centre)), ("succ", s, -1)]
        rows = _AroundRows(None, idx, centre)  # type: ignore[arg-type]
        assert [rows.row(r) for r in range(rows.count())] == want
        assert all(rows.row_of(p) == want.index(("pred", p, -1)) for p in big.inputs[centre])
        assert rows.row_of(centre) == want.index(("centre", centre, -1))
