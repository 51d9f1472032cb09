"""Structure folding (analysis/structure.py) and DPC by resource (analysis/attribution.py).

Hand-written names in both spellings, names that do not fold, user rules and config files, hostile
names, thousands of ops, and the closure of the resource split (the parts sum to every row's DPC)
on every bundled sample, every graph of the multi-graph samples and the real sample, at every level.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from htptui.analysis import attribution, structure
from htptui.analysis import ranking as ranking_mod
from htptui.analysis.attribution import RESOURCE_KEYS, resource_of_flags
from htptui.analysis.ranking import ALL_LEVELS, Ranking
from htptui.analysis.run import RunAnalysis, Scope, analysis_of
from htptui.analysis.structure import (
    StructureRuleError,
    compile_rules,
    fold_paths,
    load_rules,
)
from htptui.model.chrometrace import (
    FLAG_DMA,
    FLAG_DMA_SET,
    FLAG_DMA_WAIT,
    FLAG_HMX,
    FLAG_HVX,
    FLAG_SYNC,
    OpTrace,
)
from htptui.model.discover import discover_graphs
from htptui.model.dpc import DPC_OP_LEVEL, DPC_SPLIT_UNKNOWN
from htptui.model.run import load_run
from htptui.output.document import build_report
from htptui.output.report import render
from htptui.present.tables import DPC_ABSENT_NOTE, DPC_OP_LEVEL_NOTE, ranking_record
from tests.conftest import (
    ROOT,
    meta_process,
    meta_thread,
    multi_graph_dirs,
    real_dirs,
    sample_dirs,
    write_trace,
    x_event,
)

LLM = ROOT / "sample_data" / "synthetic_llm_decoder"
Q_PROJ = ("model", "layers.*", "self_attn", "q_proj.*")


# --- names → paths -------------------------------------------------------------------------------

DOTTED = [
    "model.embed_tokens", "model.layers.0.self_attn.q_proj.0", "model.layers.0.self_attn.q_proj.1",
    "model.layers.17.self_attn.q_proj.3", "model.layers.0.self_attn.k_proj",
    "model.layers.0.self_attn.attn_output.MatMul", "model.layers.0.input_layernorm",
    "model.layers.0.post_attention_layernorm", "model.layers.0.mlp.gate_proj",
    "model.layers.0.mlp.down_proj", "model.layers.0.mlp.act_fn", "model.layers.1.Add",
    "model.layers.1.Add_1", "model.norm", "lm_head", "Input",
]  # fmt: skip


def _sanitised(name: str) -> str:
    return "_" + name.replace(".", "_") if "." in name else name


def test_both_spellings_fold_to_the_same_tree() -> None:
    under = [_sanitised(n) for n in DOTTED]
    assert under[3] == "_model_layers_17_self_attn_q_proj_3"
    assert fold_paths(DOTTED) == fold_paths(under)
    paths = dict(zip(under, fold_paths(under), strict=True))
    assert paths["_model_layers_17_self_attn_q_proj_3"] == Q_PROJ
    assert paths["_model_layers_0_self_attn_q_proj_1"] == Q_PROJ
    assert paths["_model_layers_0_post_attention_layernorm"] == (
        "model", "layers.*", "post_attention_layernorm")  # fmt: skip
    assert paths["_model_layers_0_self_attn_attn_output_MatMul"][-2:] == ("attn_output", "MatMul")
    assert paths["_model_layers_0_mlp_act_fn"] == ("model", "layers.*", "mlp", "act_fn")
    # Add and Add_1 of one layer: the un-numbered first one joins its numbered siblings
    assert paths["_model_layers_1_Add"] == paths["_model_layers_1_Add_1"] == (
        "model", "layers.*", "Add.*")  # fmt: skip
    assert paths["_model_norm"] == ("model", "norm")
    assert paths["lm_head"] == ("lm_head",) and paths["Input"] == ("Input",)


def test_slash_names_and_onnx_style() -> None:
    names = ["/model/layers.0/self_attn/q_proj/MatMul", "/model/layers.11/self_attn/q_proj/MatMul"]
    assert fold_paths(names) == [("model", "layers.*", "self_attn", "q_proj", "MatMul")] * 2


def test_names_that_do_not_fold() -> None:
    names = ["Input", "Output", "Conv", "Relu_final", "MatMul_0", "MatMul_1", "MatMul", "3_x", ""]
    paths = fold_paths(names)
    assert paths[:3] == [("Input",), ("Output",), ("Conv",)]
    assert paths[3] == ("Relu", "final")  # a CamelCase op type never joins a word
    assert paths[4] == paths[5] == paths[6] == ("MatMul.*",)
    assert paths[7] == ("*", "x")
    assert paths[8] == ("(none)",)
    # digits inside a word are not an index (a documented limit)
    assert fold_paths(["conv2d_relu", "layer1.fc"]) == [("conv2d_relu",), ("layer1", "fc")]


def test_sanitised_words_without_the_builtin_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(structure, "BUILTIN_WORDS", ())
    names = ["_m_lm_head", "_m_norm", "_m_blk_0_x_proj", "_m_blk_1_y_proj"]
    paths = fold_paths(names)
    assert paths[0] == ("m", "lm_head")  # lm only before head, head only after lm
    assert paths[1] == ("m", "norm")  # m has several successors: its own component
    assert paths[2] == ("m", "blk.*", "x", "proj")  # proj follows x and y: not one word
    # the same trace's dotted names teach the compound words
    paths = fold_paths([*names, "m.blk.0.x_proj", "m.blk.0.y_proj"])
    assert paths[2] == ("m", "blk.*", "x_proj") and paths[3] == ("m", "blk.*", "y_proj")
    # and so do the user's words
    rules = compile_rules([], "cfg", ["x_proj"])
    assert fold_paths(names, rules)[2] == ("m", "blk.*", "x_proj")


def test_deep_and_long_names_stay_bounded() -> None:
    deep = ".".join(f"a{k}" for k in range(500))
    (path,) = fold_paths([deep])
    assert len(path) == structure.MAX_DEPTH and path[-1].startswith("a23.a24")


def test_user_rules() -> None:
    rules = compile_rules([r"layers\.(?P<layer>\d+)\.(?P<block>\w+)"], "--group")
    paths = fold_paths(["model.layers.17.self_attn.q_proj.3", "model.norm"], rules)
    assert paths[0] == ("layer=17", "block=self_attn", "model.layers.17.self_attn.q_proj.3")
    assert paths[1] == ("model", "norm")  # no rule matches: the automatic fold
    # the first matching rule wins; a named group that did not take part adds no level
    rules = compile_rules([r"(?P<head>q_proj)(?:_(?P<n>\d+))?$", r"(?P<any>.)"], "--group")
    assert fold_paths(["_a_q_proj", "_a_q_proj_2", "zz"], rules) == [
        ("head=q_proj", "_a_q_proj"), ("head=q_proj", "n=2", "_a_q_proj_2"), ("any=z", "zz")]  # fmt: skip


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("x(", "not a valid regex"), ("layers", "no named group"), (3, "must be a string")],
)
def test_bad_rules_raise_one_clear_error(pattern: object, message: str) -> None:
    with pytest.raises(StructureRuleError, match=message) as exc:
        compile_rules([pattern], "--group")
    assert str(exc.value).startswith("--group: ") and "\n" not in str(exc.value)


def test_config_file_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config.toml"
    monkeypatch.setenv("HTPTUI_CONFIG", str(cfg))
    assert load_rules().rules == ()  # no file: no rules
    cfg.write_text('[structure]\nrules = ["layers_(?P<layer>\\\\d+)"]\nwords = ["attn_output"]\n')
    rules = load_rules([r"(?P<first>^Input$)"])
    assert [r.pattern for r in rules.rules] == [r"(?P<first>^Input$)", r"layers_(?P<layer>\d+)"]
    assert rules.words == ("attn_output",) and str(cfg) in rules.rules[1].source
    for text, message in [
        ("[structure\n", "not valid TOML"),
        ("structure = 3\n", "must be a table"),
        ("[structure]\nrule = []\n", "unknown key"),
        ("[structure]\nrules = 'x'\n", "list of strings"),
        ('[structure]\nrules = ["(?P<a>"]\n', "not a valid regex"),
        ('[structure]\nwords = ["nounderscore"]\n', "compound word"),
    ]:
        cfg.write_text(text)
        with pytest.raises(StructureRuleError if "regex" in message or "compound" in message
                           else Exception, match=message) as exc:  # fmt: skip
            load_rules()
        assert str(cfg) in str(exc.value)
    cfg.write_bytes(b"\xff\xfe[structure]")
    with pytest.raises(Exception, match="UTF-8"):
        load_rules()


def _htptui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "htptui", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_cli_bad_rule_and_bad_config_exit_2_one_line(tmp_path: Path) -> None:
    sample = str(ROOT / "sample_data" / "synthetic_hvx4")
    r = _htptui("report", sample, "--group", "x(")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "--group" in r.stderr and "Traceback" not in r.stderr
    cfg = tmp_path / "config.toml"
    cfg.write_text("[structure]\nrules = [1]\n")
    r = _htptui("report", sample, env={"HTPTUI_CONFIG": str(cfg)})
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and str(cfg) in r.stderr
    r = _htptui("open", sample, "--group", "nogroup")
    assert r.returncode == 2 and "no named group" in r.stderr and "Traceback" not in r.stderr


def test_cli_report_structure_section() -> None:
    r = _htptui("report", str(LLM), "--graph", "qwen3-synth-s1", "--format", "json",
                "--group", r"layers_(?P<layer>\d+)_(?P<block>self_attn|mlp)")  # fmt: skip
    assert r.returncode == 0, r.stderr
    sec = json.loads(r.stdout)["structure"]
    assert sec["user_rules"] == [r"--group: layers_(?P<layer>\d+)_(?P<block>self_attn|mlp)"]
    top = [row["label"] for row in sec["rows"] if row["depth"] == 0]
    assert "layer=0" in top and "layer=1" in top
    r = _htptui("report", str(LLM), "--graph", "qwen3-synth-s32", "--format", "md",
                "--structure-depth", "4")  # fmt: skip
    assert r.returncode == 0 and "Structure: QNN ops folded" in r.stdout
    assert "q_proj.*" in r.stdout and "4 levels shown" in r.stdout
    r = _htptui("report", str(LLM), "--graph", "qwen3-synth-s32", "--structure-depth", "0")
    assert r.returncode == 0 and "Structure:" not in r.stdout


# --- the structure ranking -----------------------------------------------------------------------


def _llm(graph: str) -> RunAnalysis:
    g = next(g for g in discover_graphs(LLM) if g.name == graph)
    return analysis_of(load_run(LLM, artifacts=g.artifacts))


def test_llm_sample_tree_in_both_spellings() -> None:
    for graph in ("qwen3-synth-s1", "qwen3-synth-s32"):
        an = _llm(graph)
        rk = an.structure()
        assert "model/layers.*/self_attn/q_proj.*" in rk.row_of_name
        qp = rk.row_of_name["model/layers.*/self_attn/q_proj.*"]
        q = an.ranking("qnn_op")
        t = an.trace
        assert t is not None
        want = [r for r in range(len(q)) if "q_proj" in q.names[r]]
        assert len(want) > 2  # several layers × heads fold into one node
        assert int(rk.dpc[qp]) == sum(int(q.dpc[r]) for r in want)
        assert int(rk.instances[qp]) == sum(int(q.instances[r]) for r in want)
        assert int(rk.busy[qp]) == sum(int(q.busy[r]) for r in want)
        members = np.sort(rk.members(qp))
        assert np.array_equal(members, np.sort(np.concatenate([q.members(r) for r in want])))
        # a node is the Σ of its children and the ops at it
        for r in range(len(rk)):
            kids = np.flatnonzero(rk.parent == r)
            direct = int(rk.member_start[r + 1] - rk.member_start[r])
            assert int(rk.instances[r]) == direct + int(rk.instances[kids].sum())
        assert int(rk.dpc[rk.roots].sum()) == rk.dpc_total == int(np.maximum(t.dpc, 0).sum())
        assert rk.dpc_pct(qp) == pytest.approx(100.0 * int(rk.dpc[qp]) / rk.dpc_total)
        for ranking in (rk, q):
            _assert_op_level_rows(ranking, t)


@pytest.mark.parametrize("share", [1, 64, 10**9])  # every node sorted / the default / all masked
def test_folded_members_in_time_order(share: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A node's members (the selection it makes) are its subtree's ops in trace order, each once,
    whether they are sorted or read back from a mask (big nodes)."""
    monkeypatch.setattr(ranking_mod, "MASK_SHARE", share)
    monkeypatch.setattr(ranking_mod, "SORT_BELOW", 2)  # the sample's nodes are small
    rk = _llm("qwen3-synth-s32").structure()
    for r in range(len(rk)):
        lo, hi = int(rk.member_start[r]), int(rk.member_end[r])
        want = np.sort(rk.member_order[lo:hi])
        got = rk.members(r)
        assert got.dtype == np.int64 and (int(rk.size[r]) == 1 or not got.flags.writeable)
        assert np.array_equal(got, want)
        assert np.array_equal(rk.members(r), want)  # cached


def test_tree_order_keeps_subtrees_and_sorts_siblings() -> None:
    rk = _llm("qwen3-synth-s1").structure()
    for key in ("dpc", "busy", "instances", "name", "res_hmx"):
        for desc in (True, False):
            order = rk.tree_order(key, desc)
            assert sorted(order.tolist()) == list(range(len(rk)))
            pos = np.empty(len(rk), dtype=np.int64)
            pos[order] = np.arange(len(rk))
            for r in range(len(rk)):  # every subtree contiguous, right after its node
                sub = pos[r : r + int(rk.size[r])]
                assert sub.min() == pos[r] and sub.max() == pos[r] + int(rk.size[r]) - 1
    order = rk.tree_order("dpc", True)
    roots = [r for r in order.tolist() if rk.parent[r] < 0]
    assert [int(rk.dpc[r]) for r in roots] == sorted((int(rk.dpc[r]) for r in roots), reverse=True)
    closed = np.zeros(len(rk), dtype=bool)
    assert rk.visible(order, closed).tolist() == roots


def test_filtered_structure_and_drill() -> None:
    an = _llm("qwen3-synth-s32")
    scope = Scope("mlp")
    rk = an.structure(scope)
    t = an.trace
    assert t is not None
    mask = an.filter_mask("mlp")
    assert int(rk.instances[rk.roots].sum()) == int(mask.sum())
    assert rk.dpc_total == int(np.maximum(t.dpc, 0).sum())  # % path of the whole graph
    row = rk.row_of_name["model/layers.*/mlp"]
    drilled = an.ranking("instance", scope.into("structure", rk.names[row]))
    assert len(drilled) == int(rk.instances[row])


def _hostile_dir(tmp: Path, n_ops: int = 0) -> Path:
    d = tmp / "hostile"
    d.mkdir()
    names = ["\x1b[31mevil.layers.0.q\u202e", "evil.layers.1.q\x07", "\x00", "a/../b", ".", "_"]
    ev = [meta_process(0, "Core 0 Overview"), meta_thread(0, 512, "Type: HVX")]
    for k, name in enumerate(names):
        ev.append(x_event("q::K", 512, 10 * k, 5, op_id=0x1000_0000_0100 + k, qnn=name))
    write_trace(d / "chrometrace.json", ev)
    return d


def test_hostile_names_are_escaped(tmp_path: Path) -> None:
    an = analysis_of(load_run(_hostile_dir(tmp_path)))
    rk = an.structure()
    text = " ".join(rk.names + rk.labels)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text and "\x00" not in text
    assert "\\x1b[31mevil" in text
    doc = build_report(an)
    assert "\x1b" not in render(doc, "text") and doc["structure"]["rows"]


def test_thousands_of_ops_near_linear(tmp_path: Path) -> None:
    """20k distinct names, 60k ops: the fold and the ranking stay well under a second or two."""
    names = [
        f"_model_layers_{k % 400}_block_{k // 400}_w{k % 7}_proj_{k % 3}" for k in range(20000)
    ]
    t0 = time.perf_counter()
    paths = fold_paths(names)
    assert time.perf_counter() - t0 < 5.0
    assert len(set(paths)) <= 7 * 2 + 10
    d = tmp_path / "big"
    d.mkdir()
    ev = [meta_process(0, "Core 0 Overview"), meta_thread(0, 512, "Type: HVX")]
    for k in range(60000):
        ev.append(x_event("q::K", 512, 3 * k, 2, op_id=0x1000_0000_0000 + k,
                          qnn=names[k % len(names)]))  # fmt: skip
    write_trace(d / "chrometrace.json", ev)
    an = analysis_of(load_run(d))
    t0 = time.perf_counter()
    rk = an.structure()
    assert time.perf_counter() - t0 < 10.0
    assert int(rk.instances[rk.roots].sum()) == 60000
    _assert_closure(an)


# --- DPC by resource ------------------------------------------------------------------------------


def test_resource_of_flags_order() -> None:
    flags = np.array([0, FLAG_HMX, FLAG_HVX, FLAG_DMA, FLAG_DMA_SET, FLAG_DMA_WAIT, FLAG_SYNC,
                      FLAG_DMA | FLAG_DMA_WAIT, FLAG_HMX | FLAG_HVX, FLAG_HVX | FLAG_DMA,
                      FLAG_SYNC | FLAG_HMX])  # fmt: skip
    got = [RESOURCE_KEYS[k] for k in resource_of_flags(flags)]
    assert got == ["other", "hmx", "hvx", "dma", "dma", "dma_wait", "sync", "dma_wait", "hmx",
                   "hvx", "sync"]  # fmt: skip


def _assert_closure(an: RunAnalysis, scopes: tuple[Scope, ...] = (Scope(),)) -> None:
    t = an.trace
    assert t is not None
    res = attribution.op_resources(t)
    for scope in scopes:
        for level in ALL_LEVELS:
            rk = an.ranking(level, scope)
            for r in range(len(rk)):
                parts = rk.resource_parts(r)
                assert sum(parts) == int(rk.dpc[r]), (level, rk.names[r], parts)
                assert all(p >= 0 for p in parts)
            for k in range(len(RESOURCE_KEYS)):
                col = rk.resource_column(k)
                assert col.shape == (len(rk),)
            if level == "structure":
                continue
            # each part is the Σ DPC of the row's instances of that resource, recomputed here
            for r in range(min(len(rk), 50)):
                m = rk.members(r)
                d = np.maximum(t.dpc[m], 0)
                want = [int(d[res[m] == k].sum()) for k in range(len(RESOURCE_KEYS))]
                assert list(rk.resource_parts(r)) == want
                assert rk.absent(r) == int((t.dpc[m] < 0).sum())
        rec = ranking_record(rk, 0, t) if len(rk) else None
        if rec is not None:
            assert sum(rec[f"dpc_{k}"] for k in RESOURCE_KEYS) == rec["dpc"]


def _every_run() -> list[tuple[str, Path, str | None]]:
    out = [(p.name, p, None) for p in sample_dirs()]
    for d in multi_graph_dirs():
        out += [(f"{d.name}:{g.name}", d, g.name) for g in discover_graphs(d)]
    out += [(f"real:{p.name}", p, None) for p in real_dirs()]
    return out


@pytest.mark.parametrize(("label", "path", "graph"), _every_run(), ids=lambda v: str(v))
def test_resource_split_closes_on_every_sample(label: str, path: Path, graph: str | None) -> None:
    if graph is not None:
        art = next(g.artifacts for g in discover_graphs(path) if g.name == graph)
        run = load_run(path, artifacts=art)
    else:
        run = load_run(path)
    an = analysis_of(run)
    if not an.has_ops:
        pytest.skip("no executed ops")
    _assert_closure(an, (Scope(), Scope("HVX|Input")))
    doc = build_report(an)
    for level, rows in doc["ranking"].items():
        for row in rows:
            assert sum(row[f"dpc_{k}"] for k in RESOURCE_KEYS) == row["dpc"], (level, row)
    for row in doc["structure"]["rows"]:
        assert sum(row[f"dpc_{k}"] for k in RESOURCE_KEYS) == row["dpc"], row
    top = [row for row in doc["structure"]["rows"] if row["depth"] == 0]
    assert sum(row["dpc"] for row in top) == an.ranking("qnn_op").dpc.sum()


def _assert_op_level_rows(rk: Ranking, t: OpTrace) -> list[bool]:
    """Which rows hold a tiled op's op-level DPC (the record's note), from one pass over the
    members, against each row's members tested one by one."""
    want = [
        bool(np.isin(t.dpc_source[rk.members(r)], (DPC_OP_LEVEL, DPC_SPLIT_UNKNOWN)).any())
        for r in range(len(rk))
    ]
    assert rk.op_level_rows(t.dpc_source).tolist() == want
    return want


def test_tiled_without_qhas_and_unknown_dpc(tmp_path: Path) -> None:
    """Real-form tiles without QHAS: the op-level DPC once (first tile), so the parts still close;
    an instance without DPC adds to no part and is counted."""
    d = tmp_path / "tiled"
    d.mkdir()
    ev = [meta_process(0, "Core 0 Overview"), meta_thread(0, 256, "Type: HMX")]
    ev += [meta_thread(0, t, "Type: HVX") for t in (512, 513, 514)]
    for k, tid in enumerate((512, 513, 514)):
        ev.append(x_event("q::Tile", tid, 100 + 10 * k, 200, op_id=0x2000_0000_0021,
                          qnn="model.layers.0.rope", dpc=200))  # fmt: skip
    ev.append(x_event("q::W", 256, 0, 50, op_id=0x3000_0000_0022, flags=["dma_wait"],
                      qnn="model.layers.1.rope"))  # fmt: skip
    nodpc = x_event("q::N", 256, 60, 30, op_id=0x3000_0000_0023, flags=["uses_hmx"],
                    qnn="model.layers.2.rope")  # fmt: skip
    del nodpc["args"]["Dominant Path Cycles"]
    ev.append(nodpc)
    write_trace(d / "chrometrace.json", ev)
    an = analysis_of(load_run(d))
    t = an.trace
    assert t is not None and (t.dpc < 0).sum() == 1
    _assert_closure(an)
    rk = an.structure()
    r = rk.row_of_name["model/layers.*/rope"]
    assert int(rk.dpc[r]) == 200 + 50  # the tiled op's figure once, not 3 × 200
    parts = dict(zip(RESOURCE_KEYS, rk.resource_parts(r), strict=True))
    assert parts["hvx"] == 200 and parts["dma_wait"] == 50 and parts["hmx"] == 0
    assert rk.absent(r) == 1 and not rk.row_dpc_exact(r)
    rec = ranking_record(rk, r, t)
    assert rec["dpc_unknown"] == 1 and rec["dpc_note"] == DPC_OP_LEVEL_NOTE
    assert _assert_op_level_rows(rk, t) == [True, True, True]  # model, layers.*, rope
    # flat: the tiled op's row says op-level, the row without DPC says absent, the rest nothing
    q = an.ranking("qnn_op")
    assert _assert_op_level_rows(q, t).count(True) == 1
    notes = {q.names[i]: ranking_record(q, i, t).get("dpc_note") for i in range(len(q))}
    assert notes == {"model.layers.0.rope": DPC_OP_LEVEL_NOTE,
                     "model.layers.1.rope": None, "model.layers.2.rope": DPC_ABSENT_NOTE}  # fmt: skip


def _qhas_split(qhas) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Σ QHAS per-instance DPC by resource from QHAS's own flag booleans (the same order)."""
    out = dict.fromkeys(RESOURCE_KEYS, 0)
    for inst in qhas.instances:
        f = set(inst.flags)
        key = ("dma_wait" if "dma_wait" in f else "sync" if "sync" in f else "hmx" if "hmx" in f
               else "hvx" if "hvx" in f else "dma" if f & {"dma", "dma_set"} else "other")  # fmt: skip
        out[key] += max(int(inst.dpc), 0)
    return out


@pytest.mark.parametrize(("label", "path", "graph"), _every_run(), ids=lambda v: str(v))
def test_resource_split_agrees_with_qhas(label: str, path: Path, graph: str | None) -> None:
    """The whole graph's split from the trace's flags = the same split of QHAS htp_op_instances."""
    if graph is not None:
        art = next(g.artifacts for g in discover_graphs(path) if g.name == graph)
        run = load_run(path, artifacts=art)
    else:
        run = load_run(path)
    if run.qhas is None or not run.qhas.instances or run.trace is None:
        pytest.skip("no QHAS instances")
    rk = analysis_of(run).structure()
    ours = dict.fromkeys(RESOURCE_KEYS, 0)
    for r in rk.roots.tolist():
        for k, v in zip(RESOURCE_KEYS, rk.resource_parts(r), strict=True):
            ours[k] += v
    assert ours == _qhas_split(run.qhas)


def test_report_section_top_and_more_rows() -> None:
    an = _llm("qwen3-synth-s1")
    full = build_report(an, top=None, options={"structure_depth": 1})["structure"]["rows"]
    cut = build_report(an, top=2, options={"structure_depth": 1})["structure"]["rows"]
    assert [r["label"] for r in cut[:2]] == [r["label"] for r in full[:2]]
    more = cut[2]
    assert more["label"] == f"({len(full) - 2} more)" and more["depth"] == 0
    for key in ("dpc", "busy", "instances", *(f"dpc_{k}" for k in RESOURCE_KEYS)):
        assert more[key] == sum(r[key] for r in full[2:]), key
    assert sum(r["dpc"] for r in cut) == an.structure().dpc_total
    assert "(3 more)" not in render(build_report(an, top=None), "text")


# ------------------------------------------------------------------ folding each name family once

_TOKENS = st.sampled_from(
    ["model", "layers", "self", "attn", "self_attn", "q", "proj", "mlp", "0", "1", "17", "03",
     "layer1", "ln", "Add", "MatMul", "x", "", "١"]
)  # fmt: skip
_SEPS = st.sampled_from(["_", ".", "/", "__", "._"])


@st.composite
def _names(draw):
    toks = draw(st.lists(_TOKENS, min_size=1, max_size=7))
    seps = draw(st.lists(_SEPS, min_size=len(toks), max_size=len(toks)))
    return "".join(t + s for t, s in zip(toks, seps, strict=True))[: -len(seps[-1]) or None]


@settings(max_examples=300, deadline=None)
@given(st.lists(_names(), min_size=1, max_size=30))
@example(["1."])  # a dotted end makes one word of "1.": no index to fold (found by CI, stop 18)
@example(["1.", "2.", "_3.", "4._a", "a_5."])
def test_fold_once_per_family_equals_name_by_name(names):
    """Names differing only in numeric tokens share a path, so folding one of each is exact."""
    assert fold_paths(names) == fold_paths(names, dedupe=False)


def test_fold_once_per_family_on_every_sample():
    seen = 0
    for d in [*sample_dirs(), *multi_graph_dirs(), *real_dirs()]:
        for g in discover_graphs(d):
            names = list(load_run(d, artifacts=g.artifacts).trace.qnn_op_ids)
            assert fold_paths(names) == fold_paths(names, dedupe=False), g.name
            seen += 1
    assert seen >= 10


def test_numeric_user_word_turns_the_family_fold_off():
    rules = compile_rules([], "test", ["ln_1"])
    names = ["blk_ln_1_x", "blk_ln_2_x"]
    assert fold_paths(names, rules) == fold_paths(names, rules, dedupe=False)
    assert fold_paths(names, rules)[0] != fold_paths(names, rules)[1]
