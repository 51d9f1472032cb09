"""Pilot tests and snapshots of the structure level in the explorer (the LLM-shaped sample)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from htptui.analysis.attribution import RESOURCE_KEYS
from htptui.analysis.structure import compile_rules
from htptui.model.discover import discover_graphs
from htptui.tui.app import HtpApp

LLM = Path(__file__).resolve().parent.parent / "sample_data" / "synthetic_llm_decoder"


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", False, raising=False)


def _app(graph: str = "qwen3-synth-s1", **kw: Any) -> HtpApp:
    art = next(g.artifacts for g in discover_graphs(LLM) if g.name == graph)
    return HtpApp(str(LLM), artifacts=art, extra_panes=[], **kw)


async def _loaded(pilot: Any) -> None:
    app = pilot.app
    await app.workers.wait_for_complete()
    for _ in range(20):
        await pilot.pause()
        if app.ready or app.load_error is not None:
            break
    await pilot.pause()


async def _to_structure(pilot: Any) -> None:
    await _loaded(pilot)
    await pilot.press("2", "r", "r")  # QNN op → kernel → structure
    await pilot.pause()
    assert pilot.app.ranking.level == "structure"


def _names(app: HtpApp) -> list[str]:
    rp = app.ranking
    return [rp.cell(r, "name").strip() for r in range(rp.grid.n_rows)]


def _row_of(app: HtpApp, label: str) -> int:
    return next(i for i, n in enumerate(_names(app)) if n.split(" ", 1)[-1] == label)


async def test_expand_collapse_and_keys() -> None:
    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        await _to_structure(pilot)
        rp = app.ranking
        names = _names(app)
        assert names[0] == "▾ model" and "▸ layers.*" in names  # roots open, the rest closed
        assert "q_proj.*" not in " ".join(names)
        rp.grid.move_cursor(_row_of(app, "layers.*"))
        await pilot.press("plus")
        await pilot.pause()
        assert "▾ layers.*" in _names(app) and "▸ self_attn" in _names(app)
        rp.grid.move_cursor(_row_of(app, "self_attn"))
        await pilot.press("enter")  # Enter toggles a node
        await pilot.pause()
        assert "· q_proj.*" in _names(app)
        await pilot.press("space")  # and so does space
        await pilot.pause()
        assert "▸ self_attn" in _names(app) and "· q_proj.*" not in _names(app)
        await pilot.press("space", "down")  # open again, onto its first child
        await pilot.pause()
        child = rp.cursor_node()
        assert child is not None and rp.tree is not None
        assert rp.tree.labels[int(rp.tree.parent[child])] == "self_attn"
        await pilot.press("minus")  # on a leaf: closes its parent, cursor onto it
        await pilot.pause()
        node = rp.cursor_node()
        assert node is not None and rp.tree.labels[node] == "self_attn"
        assert "▸ self_attn" in _names(app)
        # Enter on a leaf drills into its instances; Esc comes back to the node
        rp.grid.move_cursor(_row_of(app, "embed_tokens"))
        await pilot.press("enter")
        await pilot.pause()
        assert rp.level == "instance" and rp.drill[-1] == ("structure", "model/embed_tokens")
        await pilot.press("escape")
        await pilot.pause()
        assert rp.level == "structure" and _names(app)[rp.grid.cursor_row] == "· embed_tokens"
        # s sorts siblings (the tree stays a tree)
        await pilot.press("s")
        await pilot.pause()
        assert rp.sort_key != "dpc" and _names(app)[0].endswith(("model", "Input", "Output",
                                                                 "lm_head", "SystemService"))  # fmt: skip
        # r goes on to the instances, then back to QNN ops
        await pilot.press("r")
        assert rp.level == "instance"
        await pilot.press("r")
        assert rp.level == "qnn_op"


async def test_selecting_a_folded_node_selects_all_its_ops() -> None:
    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        await _to_structure(pilot)
        rp = app.ranking
        rp.grid.move_cursor(_row_of(app, "layers.*"))
        await pilot.press("plus", "down")
        await pilot.pause()
        await pilot.press("plus")
        await pilot.pause()
        rp.grid.move_cursor(_row_of(app, "q_proj.*"))
        await pilot.pause()
        tree = rp.tree
        assert tree is not None
        node = tree.row_of_name["model/layers.*/self_attn/q_proj.*"]
        members = np.sort(tree.members(node))
        t = app.opt.trace  # type: ignore[union-attr]
        assert t is not None
        want = np.flatnonzero(["q_proj" in t.qnn_op_name(i) for i in range(len(t))])
        assert np.array_equal(members, want) and want.size > 4  # several layers and heads
        assert np.array_equal(app.timeline.selected_ops, members)  # the timeline highlights all
        assert sorted(app.selection[0]) == members.tolist()
        rows = {(s, k): v for s, k, v in app.details.rows}
        assert rows[("selected structure row", "name")] == "model/layers.*/self_attn/q_proj.*"
        assert rows[("selected structure row", "instances")] == f"{want.size:,}"
        dpc = int(np.maximum(t.dpc[want], 0).sum())
        assert rows[("selected structure row", "Σ DPC")] == f"{dpc:,}"
        parts = [rows[("DPC by resource (flags)", k)] for k in
                 ("HMX compute", "HVX compute", "DMA transfer", "DMA wait", "sync",
                  "other (no flag)")]  # fmt: skip
        assert sum(int(p.split(" ")[0].replace(",", "")) for p in parts) == dpc
        # a selection from another pane opens the tree down to the op's node
        await pilot.press("g")
        await pilot.press("enter")  # close model
        await pilot.pause()
        assert "q_proj.*" not in " ".join(_names(app))
        op = int(want[-1])
        app.select_op(op, origin="timeline")
        await pilot.pause()
        cur = rp.cursor_node()
        assert cur is not None and tree.names[cur] == "model/layers.*/self_attn/q_proj.*"
        assert sorted(app.selection[0]) == members.tolist()


async def test_filter_rescopes_the_tree() -> None:
    app = _app("qwen3-synth-s32")
    async with app.run_test(size=(160, 50)) as pilot:
        await _to_structure(pilot)
        await pilot.press("slash", *"mlp", "enter")
        await pilot.pause()
        await pilot.pause()
        rp = app.ranking
        tree = rp.tree
        assert tree is not None and rp.scope.pattern == "mlp"
        assert all("mlp" in n or "/" not in n or n.count("/") < 2 for n in tree.names)
        assert set(tree.labels) >= {"model", "layers.*", "mlp", "gate_proj"}
        assert "self_attn" not in tree.labels
        mask = app.analysis.filter_mask("mlp")  # type: ignore[union-attr]
        assert int(tree.instances[tree.roots].sum()) == int(mask.sum())
        title = str(rp.query_one("#ranking-title").content)
        assert "structure" in title and "filtered" in title
        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        await pilot.pause()
        assert rp.tree is not None and "self_attn" in rp.tree.labels


async def test_user_rules_and_export(tmp_path: Path) -> None:
    rules = compile_rules([r"layers_(?P<layer>\d+)"], "--group")
    app = _app(structure_rules=rules, export_dir=tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await _to_structure(pilot)
        names = _names(app)
        assert any(n.endswith("layer=0") for n in names)
        assert any(n.endswith("layer=1") for n in names)
        path = app.action_export("csv")
        assert path is not None
        rows = list(csv.DictReader(path.open()))
        assert {"name", "depth", "dpc_cycles", *(f"dpc_{k}_cycles" for k in RESOURCE_KEYS)} <= set(
            rows[0]
        )
        for row in rows:
            parts = sum(int(row[f"dpc_{k}_cycles"]) for k in RESOURCE_KEYS)
            assert parts == int(row["dpc_cycles"])


async def test_resource_columns_drop_first_and_together() -> None:
    for width, shown in ((160, False), (300, True)):
        app = _app()
        async with app.run_test(size=(width, 50)) as pilot:
            await _to_structure(pilot)
            every = [c.key for c in app.ranking.grid.columns]
            keys = every[: app.ranking.first_columns]  # the columns shown before scrolling
            assert "dpc" in keys and "name" in keys
            got = [k for k in keys if k.startswith("dpc_") and k != "dpc_pct"]
            assert got == ([f"dpc_{k}" for k in RESOURCE_KEYS] if shown else []), (width, keys)
            # the split is never dropped: side by side, after the first columns when they are full
            split = [f"dpc_{k}" for k in RESOURCE_KEYS]
            at = every.index(split[0])
            assert every[at : at + len(split)] == split


async def _structure_view(pilot: Any) -> None:
    await _to_structure(pilot)
    rp = pilot.app.ranking
    rp.grid.move_cursor(_row_of(pilot.app, "layers.*"))
    await pilot.press("plus")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (240, 60)], ids=["80x24", "240x60"])
def test_structure_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(_app(), terminal_size=size, run_before=_structure_view)


async def test_the_name_cell_is_the_records_display_name_at_every_level() -> None:
    """The name column reads the ranking directly (the grid asks for blocks of names): the same
    text the row's full record gives, at every level (instances: ``kernel · QNN op``)."""
    from htptui.present.tables import ranking_display_name

    app = _app()
    async with app.run_test(size=(160, 50)) as pilot:
        await _loaded(pilot)
        await pilot.press("2")
        seen = set()
        for _ in range(4):
            rp = app.ranking
            seen.add(rp.level)
            for r in range(rp.grid.n_rows):
                rec = rp.record(r)
                assert rec is not None
                if rp.level == "structure":
                    mark = rp.cell(r, "name").strip().split(" ", 1)
                    assert mark[-1] == str(rec["label"])
                else:
                    assert rp.cell(r, "name") == ranking_display_name(rec)
            await pilot.press("r")
            await pilot.pause()
        assert seen == {"instance", "qnn_op", "kernel", "structure"}
