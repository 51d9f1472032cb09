"""Several graphs in one directory (discovery, --graph, listing, diff, compare, picker) and the
LLM-shaped synthetic sample (sample_data/synthetic_llm_decoder) and benchmark trace."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from htptui.analysis import ranking
from htptui.model.discover import (
    GraphChoiceError,
    discover,
    discover_graphs,
    graph_name_of,
    resolve_graph,
)
from htptui.model.run import load_run
from htptui.synth import MULTI_GRAPH_SAMPLES, SynthSpec, build_optrace, write_big_trace
from tests.conftest import SAMPLES, multi_graph_dirs, sample_dirs

LLM = SAMPLES / "synthetic_llm_decoder"
S1, S32 = "qwen3-synth-s1", "qwen3-synth-s32"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "htptui", *args], capture_output=True, text=True, timeout=180
    )


def _write(d: Path, spec: SynthSpec) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for name, data in build_optrace(spec).items():
        (d / name).write_bytes(data)


def _raw_qhas(path: Path) -> dict:
    return json.loads(path.read_text())["data"]


# --- discovery -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stem", "name"),
    [
        ("qwen3-s1-chrometrace", "qwen3-s1"),
        ("qwen3-sm8750-v79-model-chrometrace", "qwen3-sm8750-v79-model"),
        ("Qwen3-0.6B_attn_chromeTrace_opTrace", "Qwen3-0.6B_attn"),
        ("chrometrace", "chrometrace"),
        ("chromeTrace", "chromeTrace"),
        ("optrace_0", "optrace_0"),
    ],
)
def test_graph_names_from_stems(stem: str, name: str) -> None:
    assert graph_name_of(stem) == name


def test_discovery_groups_by_stem_and_never_picks_silently(tmp_path: Path) -> None:
    d = tmp_path / "run"
    base = SynthSpec(n_qnn_ops=4, hvx_lanes=4)
    for i, stem in enumerate(("m-s1-chrometrace", "m-s32-chrometrace", "m_chromeTrace_opTrace")):
        from dataclasses import replace

        _write(d, replace(base, seed=200 + i, stem=stem, profile_name=f"{stem}.profile-tmp"))
    # profile texts: one per graph by prefix (both spellings), one unprefixed (tied to none)
    (d / "m-s1-chrometrace.profile-tmp").rename(d / "m-s1-profile.txt")
    (d / "m-s32-chrometrace.profile-tmp").rename(d / "m-s32-chrometrace_profile.txt")
    (d / "m_chromeTrace_opTrace.profile-tmp").rename(d / "profile.txt")
    graphs = discover_graphs(d)
    assert [g.name for g in graphs] == ["m-s1", "m-s32", "m"]
    by = {g.name: g.artifacts for g in graphs}
    for name, stem in (("m-s1", "m-s1-chrometrace"), ("m-s32", "m-s32-chrometrace"),
                       ("m", "m_chromeTrace_opTrace")):  # fmt: skip
        a = by[name]
        assert a.op_trace is not None and a.op_trace.name == f"{stem}.json"
        assert a.htp_graph is not None and a.htp_graph.name == f"{stem}_htp.json"
        assert a.qhas is not None and a.qhas.name == f"{stem}_qnn_htp_analysis_summary.json"
        assert a.runtrace is not None and a.runtrace.name == f"{stem}_runtrace.json"
        assert a.graph == name
    assert by["m-s1"].profile is not None and by["m-s1"].profile.name == "m-s1-profile.txt"
    assert by["m-s32"].profile is not None
    assert by["m-s32"].profile.name == "m-s32-chrometrace_profile.txt"
    assert by["m"].profile is None  # an unprefixed profile.txt could be any graph's
    assert any("profile.txt: not tied to one of the 3 graphs" in n for n in by["m"].notes)
    with pytest.raises(GraphChoiceError) as err:
        discover(d)
    assert [g.name for g in err.value.graphs] == ["m-s1", "m-s32", "m"]
    with pytest.raises(GraphChoiceError):
        load_run(d)
    assert resolve_graph(d, "m-s32").op_trace == d / "m-s32-chrometrace.json"
    assert resolve_graph(d, "m-s32-chrometrace").op_trace == d / "m-s32-chrometrace.json"
    assert resolve_graph(d, "m-s32-chrometrace.json").op_trace == d / "m-s32-chrometrace.json"
    with pytest.raises(GraphChoiceError, match="no graph named 'x'"):
        resolve_graph(d, "x")
    # a file names its graph; its prefixed profile text comes along
    f = discover(d / "m-s1-chrometrace.json")
    assert f.graph == "m-s1" and f.profile == d / "m-s1-profile.txt"


def test_unprefixed_trace_keeps_plain_profile_and_same_stem_gz(tmp_path: Path) -> None:
    d = tmp_path / "run"
    _write(d, SynthSpec(seed=5, n_qnn_ops=4))  # chrometrace.json + profile.txt
    _write(d, SynthSpec(seed=6, n_qnn_ops=4, stem="other-chrometrace", write_profile_txt=False))
    by = {g.name: g.artifacts for g in discover_graphs(d)}
    assert set(by) == {"chrometrace", "other"}
    assert by["chrometrace"].profile == d / "profile.txt"
    assert by["other"].profile is None
    # x.json and x.json.gz: two graphs told apart by file name, never one picked silently
    e = tmp_path / "gz"
    _write(e, SynthSpec(seed=7, n_qnn_ops=4, write_profile_txt=False))
    _write(e, SynthSpec(seed=8, n_qnn_ops=4, gzip=True, write_profile_txt=False))
    names = [g.name for g in discover_graphs(e)]
    assert names == ["chrometrace.json", "chrometrace.json.gz"]


def test_single_graph_directories_unchanged() -> None:
    for d in sample_dirs():
        graphs = discover_graphs(d)
        assert len(graphs) == 1
        assert discover(d).found() == graphs[0].artifacts.found()
    assert multi_graph_dirs() == [LLM]


# --- headless commands -------------------------------------------------------------------------


def _listing_ok(r: subprocess.CompletedProcess[str]) -> None:
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert "2 graphs" in lines[0] and "--graph NAME" in lines[0]
    assert [ln.split()[0] for ln in lines[1:]] == [S1, S32]
    assert "qwen3-synth-s1-chrometrace.json" in lines[1] and "KB" in lines[1]


@pytest.mark.parametrize(
    "args",
    [
        ("report", str(LLM)),
        ("findings", str(LLM)),
        ("dag", str(LLM)),
        ("diff", str(LLM), str(LLM)),
        ("check", str(LLM), "--baseline", str(LLM)),
    ],
    ids=lambda a: a[0],
)
def test_headless_commands_list_graphs_and_exit_2(args: tuple[str, ...]) -> None:
    _listing_ok(run(*args))


def test_unknown_graph_exits_2_with_the_list() -> None:
    r = run("report", str(LLM), "--graph", "nope")
    assert r.returncode == 2
    assert "no graph named 'nope'" in r.stderr
    assert len(r.stderr.splitlines()) == 3


@pytest.mark.parametrize("graph", [S1, S32])
def test_report_each_graph_every_check_agrees(graph: str) -> None:
    r = run("report", str(LLM), "--graph", graph, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["checks_ok"] is True
    assert len(doc["checks"]) > 100
    found = doc["artifacts"]["found"]
    assert set(found) == {"op_trace", "htp_graph", "qhas", "runtrace", "profile"}
    assert all(Path(p).name.startswith(f"{graph}-") for p in found.values())


def test_other_commands_take_graph() -> None:
    for args in (("findings", "--format", "json"), ("dag", "--format", "json")):
        r = run(args[0], str(LLM), "--graph", S1, *args[1:])
        assert r.returncode == 0, r.stderr
        json.loads(r.stdout)
    r = run("check", str(LLM), "--graph", S32, "--baseline", str(LLM), "--baseline-graph", S1)
    assert r.returncode == 1  # prefill is much slower than decode: a regression
    r = run("check", str(LLM), "--graph", S1, "--baseline", str(LLM))
    assert r.returncode == 0, r.stdout + r.stderr


def test_diff_two_graphs_of_one_directory() -> None:
    r = run("diff", str(LLM), "--graph", S1, "--graph-b", S32, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    text = json.dumps(doc)
    assert "qwen3_synth_s1" in text and "qwen3_synth_s32" in text
    same = run("diff", str(LLM), str(LLM), "--graph", S1, "--format", "json")
    assert same.returncode == 0, same.stderr
    r = run("diff", str(LLM))
    assert r.returncode == 2 and "--graph-b" in r.stderr
    r = run("diff", str(LLM), "--graph-b", S32)  # A's graph not named
    _listing_ok(r)


def test_open_with_unknown_graph_or_compare_lists_graphs() -> None:
    _listing_ok(run(str(LLM), "--compare", S32))
    r = run(str(LLM), "--graph", "nope")
    assert r.returncode == 2 and "no graph named 'nope'" in r.stderr


def test_help_documents_the_forms() -> None:
    r = run("diff", "--help")
    assert "--graph-b" in r.stdout and "htptui diff DIR --graph m-s1 --graph-b m-s32" in r.stdout
    r = run("open", "--help")
    assert "--compare" in r.stdout and "--graph" in r.stdout
    for cmd in ("report", "findings", "dag", "check"):
        assert "--graph" in run(cmd, "--help").stdout


# --- the LLM-shaped sample ---------------------------------------------------------------------


def test_llm_sample_up_to_date_and_small() -> None:
    files: dict[str, bytes] = {}
    for spec in MULTI_GRAPH_SAMPLES["synthetic_llm_decoder"]:
        files.update(build_optrace(spec))
    on_disk = {p.name: p.read_bytes() for p in LLM.iterdir() if p.is_file()}
    assert on_disk.keys() == files.keys()
    for name, data in files.items():
        assert on_disk[name] == data, f"{name} is stale: run python -m htptui.synth sample_data"
    assert sum(len(v) for v in files.values()) < 2_000_000


@pytest.mark.parametrize("graph", [S1, S32])
def test_llm_sample_shape_and_dpc_equal_qhas(graph: str) -> None:
    arts = resolve_graph(LLM, graph)
    opt = load_run(LLM, artifacts=arts)
    t = opt.trace
    assert t is not None and opt.qhas is not None and not opt.errors
    q = _raw_qhas(arts.qhas)  # type: ignore[arg-type]
    # v2.47 lanes: DMA 256, HVX 512-517, HMX 768 (named by thread_name)
    lanes = {(ln.tid, ln.unit) for ln in t.lanes}
    assert lanes == {(256, "DMA"), (768, "HMX"), *((512 + j, "HVX") for j in range(6))}
    # realistic, long QNN op names: per-head projections and attention, norms, MLP, LM head
    names = set(ranking.rank(t, "qnn_op").names)
    underscore = graph == S1
    sep = "_" if underscore else "."

    def n(dotted: str) -> str:
        return "_" + dotted.replace(".", "_") if underscore else dotted

    for layer in range(2):
        p = f"model.layers.{layer}"
        for part in ("self_attn.q_proj.0", "self_attn.q_proj.1", "self_attn.k_proj",
                     "self_attn.v_proj", "self_attn.o_proj", "self_attn.MatMul.0",
                     "self_attn.Softmax", "input_layernorm", "post_attention_layernorm",
                     "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "mlp.act_fn",
                     "self_attn.rotary_emb"):  # fmt: skip
            assert n(f"{p}.{part}") in names
    for top in ("model.embed_tokens", "model.norm", "lm_head"):
        assert n(top) in names
    layer_ops = [x for x in names if x.startswith(n("model.layers."))]
    assert len(layer_ops) == 2 * (18 + 2 * 2)  # 2 layers, 18 ops + 2 per head
    assert sum(len(x) >= 30 for x in layer_ops) >= 20
    assert all(f"layers{sep}" in x for x in layer_ops)
    qtypes = {r["qnn_op_type"] for r in q["qnn_op_instances_nodes"]["data"] if "qnn_op_type" in r}
    if qtypes:
        assert {"Conv2d", "MatMul", "RmsNorm", "Softmax", "ElementWiseMultiply",
                "ElementWiseAdd", "Gather", "Reshape", "Transpose", "FullyConnected"} <= qtypes  # fmt: skip
    # tiled ops in the real form: repeated IDs, resolved per tile from the QHAS join
    assert int(t.tiled.sum()) == 2 * 2 * 6  # 2 layers x 2 groups x 6 tiles
    inst = {(int(r["op_id"], 16), r["start_cycle"]): r for r in q["htp_op_instances"]["data"]}
    for i in range(len(t)):
        r = inst[(int(t.op_id[i]), int(t.start_cycle[i]))]
        assert int(t.dpc[i]) == r["num_dominant_path_cycles"]
    # per-QNN-op and per-kernel DPC = the QHAS figures
    for level, section, key in (
        ("qnn_op", "qnn_op_instances_nodes", "qnn_op"),
        ("kernel", "htp_op_types", "op"),
    ):
        rk = ranking.rank(t, level)
        got = {rk.names[k]: int(rk.dpc[k]) for k in range(len(rk))}
        want = {r[key]: r["num_dominant_path_cycles_htp_0"] for r in q[section]["data"]}
        assert got == want, level


def test_llm_spec_validation() -> None:
    with pytest.raises(ValueError, match="llm_names"):
        SynthSpec(llm_layers=2, llm_names="camel").validate()
    with pytest.raises(ValueError, match="own op list"):
        SynthSpec(llm_layers=2, tiled_op=True).validate()
    with pytest.raises(ValueError, match="llm_hvx_tiles"):
        SynthSpec(llm_layers=2, llm_hvx_tiles=9).validate()


def test_big_llm_trace(tmp_path: Path) -> None:
    path = tmp_path / "qwen3-synth-s1-chrometrace.json"
    info = write_big_trace(path, 40_000, seed=3, hvx_lanes=6, shape="llm")
    assert info["events"] == 40_000
    data = json.loads(path.read_text())
    ev = data["traceEvents"]
    assert len(ev) == 40_000
    threads = {(e["tid"], e["args"]["name"]) for e in ev
               if e.get("ph") == "M" and e.get("name") == "thread_name" and e["pid"] == 0}  # fmt: skip
    assert {(256, "Type: DMA"), (768, "Type: HMX")} <= threads
    assert {(512 + j, "Type: HVX") for j in range(6)} <= threads
    x0 = [e for e in ev if e.get("ph") == "X" and e["pid"] == 0 and e["tid"] != 1]
    names = {e["args"]["QNN Op Name"] for e in x0}
    assert "_model_layers_0_self_attn_q_proj_3" in names
    assert "_model_layers_0_mlp_down_proj" in names
    # tiled RoPE ops: an ID on several HVX tiles with one copied Duration (cycles)
    by_id: dict[str, list[dict]] = {}
    for e in x0:
        by_id.setdefault(e["args"]["ID"], []).append(e)
    tiled = [v for v in by_id.values() if len(v) > 1]
    assert tiled
    for tiles in tiled:
        assert {e["args"]["QNN Op Type"] for e in tiles} == {"RoPE"}
        assert len({e["args"]["Duration (cycles)"] for e in tiles}) == 1
        assert len({e["tid"] for e in tiles}) == len(tiles)
    # lanes never run two ops at once
    for tid in {e["tid"] for e in x0}:
        spans = sorted((e["ts"], e["ts"] + e["dur"]) for e in x0 if e["tid"] == tid)
        starts = np.array([s for s, _ in spans])
        ends = np.array([e for _, e in spans])
        assert (starts[1:] >= ends[:-1]).all()
    opt = load_run(path)
    assert opt.trace is not None and int(opt.trace.tiled.sum()) > 0


# --- TUI: picker, switch, compare ----------------------------------------------------------------


async def _settle(pilot, app) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    for _ in range(20):
        await pilot.pause()
        if app.ready or app.load_error is not None:
            break
    await pilot.pause()


async def test_picker_lists_graphs_then_loads_the_choice_and_o_switches() -> None:
    from textual.widgets import DataTable

    from htptui.tui.app import HtpApp
    from htptui.tui.graph_picker import GraphPickerScreen

    graphs = discover_graphs(LLM)
    app = HtpApp(str(LLM), graphs=graphs, extra_panes=[])
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, GraphPickerScreen)
        assert app.opt is None and not app.ready  # nothing loaded before the choice
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#picker-table", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [str(r[0]) for r in rows] == [S1, S32]
        assert all(re.fullmatch(r"[\d,]+", str(r[3])) for r in rows)  # X events counted
        await pilot.press("down", "enter")
        await _settle(pilot, app)
        assert app.ready and app.load_error is None
        assert app.current_graph == S32
        assert app.opt is not None and app.opt.artifacts.op_trace.name.startswith(S32)
        # o: the picker again, on the current graph; Esc keeps the graph
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, GraphPickerScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, GraphPickerScreen) and app.switch_graph is None
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("up", "enter")
        await pilot.pause()
    assert app.switch_graph == S1  # commands/open.py reopens with only that graph's files


async def test_picker_escape_at_start_quits_without_loading() -> None:
    from htptui.tui.app import HtpApp

    app = HtpApp(str(LLM), graphs=discover_graphs(LLM), extra_panes=[])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.opt is None and app.return_code == 0


async def test_single_graph_has_no_picker_and_o_notifies() -> None:
    from htptui.tui.app import HtpApp
    from htptui.tui.graph_picker import GraphPickerScreen

    d = SAMPLES / "synthetic_hvx4"
    app = HtpApp(str(d), graphs=discover_graphs(d), extra_panes=[])
    async with app.run_test(size=(160, 50)) as pilot:
        await _settle(pilot, app)
        assert app.ready
        await pilot.press("o")
        await pilot.pause()
        assert not isinstance(app.screen, GraphPickerScreen)


async def test_compare_two_graphs_of_one_directory() -> None:
    from htptui.tui.compare import CompareApp

    app = CompareApp.from_paths(str(LLM), str(LLM), S1, S32)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert app.doc_a["name"] != app.doc_b["name"]


def test_count_x_events_plain_and_gz(tmp_path: Path) -> None:
    import gzip

    from htptui.tui.graph_picker import count_x_events

    src = LLM / "qwen3-synth-s1-chrometrace.json"
    want = sum(1 for e in json.loads(src.read_text())["traceEvents"] if e.get("ph") == "X")
    assert count_x_events(src) == want
    gz = tmp_path / "t.json.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    assert count_x_events(gz) == want
    assert count_x_events(tmp_path / "missing.json") is None
    (tmp_path / "bad.json.gz").write_bytes(b"not gzip")
    assert count_x_events(tmp_path / "bad.json.gz") is None


def test_open_reopens_the_switched_graph_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """`o` → another graph: open.py runs a fresh explorer on it, with only its artifacts."""
    from click.testing import CliRunner

    import htptui.tui.app as app_mod
    from htptui.commands.open import command

    runs: list[tuple[str | None, int]] = []

    class FakeApp:
        def __init__(self, path, *, artifacts=None, theme=None, graphs=None, **kw):  # type: ignore[no-untyped-def]
            self.artifacts, self.graphs = artifacts, graphs
            self.theme = theme or "textual-dark"
            self.load_error = None
            self.switch_graph = None

        def run(self, mouse: bool = True) -> int:
            name = self.artifacts.graph if self.artifacts is not None else None
            runs.append((name, len(self.graphs)))
            if len(runs) == 1:
                self.switch_graph = S1
            return 0

    monkeypatch.setattr(app_mod, "HtpApp", FakeApp)
    r = CliRunner().invoke(command, [str(LLM), "--graph", S32])
    assert r.exit_code == 0, r.output
    assert runs == [(S32, 2), (S1, 2)]
    runs.clear()
    r = CliRunner().invoke(command, [str(LLM)])
    assert runs[0] == (None, 2)  # no --graph: the picker chooses


async def test_hostile_graph_names_are_shown_literally(tmp_path: Path) -> None:
    from textual.widgets import DataTable

    from htptui.tui.app import HtpApp
    from htptui.tui.graph_picker import GraphPickerScreen

    d = tmp_path / "run"
    for i, stem in enumerate(("a[red]x-chrometrace", "b\x1b]0;t\x07z-chrometrace")):
        _write(d, SynthSpec(seed=300 + i, n_qnn_ops=4, stem=stem, write_profile_txt=False))
    graphs = discover_graphs(d)
    lines = [g.describe() for g in graphs]
    assert lines[0].startswith("a[red]x  ")
    assert "\x1b" not in lines[1] and "\\x1b" in lines[1] and "\x07" not in lines[1]
    r = run("report", str(d))
    assert r.returncode == 2 and "\x1b" not in r.stderr and len(r.stderr.splitlines()) == 3
    app = HtpApp(str(d), graphs=graphs, extra_panes=[])
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, GraphPickerScreen)
        table = app.screen.query_one("#picker-table", DataTable)
        cells = [str(table.get_row_at(i)[0]) for i in range(2)]
        assert cells[0] == "a[red]x"
        assert "\x1b" not in cells[1] and "\\x1b" in cells[1]
        await pilot.press("q")


def test_sql_and_export_take_graph(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    q = "SELECT count(*) AS n FROM ops"
    _listing_ok(run("sql", str(LLM), q))
    r = run("sql", str(LLM), "--graph", S32, q, "--format", "json")
    assert r.returncode == 0, r.stderr
    n32 = json.loads(r.stdout)
    r = run("sql", str(LLM), "--graph", S1, q, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) != n32  # two different graphs
    _listing_ok(run("export", str(LLM), "-o", str(tmp_path / "x")))
    r = run("export", str(LLM), "--graph", S1, "--format", "csv", "-o", str(tmp_path / "y"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "y" / "ops.csv").is_file()
