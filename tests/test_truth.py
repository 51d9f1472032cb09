"""Issue 9: every figure true on real tiled ops, and the same figure everywhere it appears.

Reported values are read from the SDK-shaped files with the stdlib, never through htptui's loaders,
so these checks hold for the form of the files, not for htptui's reading of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from htptui.analysis import checks, ranking, summary
from htptui.analysis.findings import run_all
from htptui.model import chrometrace
from htptui.model import dpc as dpc_mod
from htptui.model.run import load_run
from htptui.output.document import build_report
from htptui.output.json import to_json_bytes
from htptui.output.report import render
from tests.conftest import REAL_SAMPLE, SAMPLES, meta_process, meta_thread, write_trace, x_event

TILED = SAMPLES / "synthetic_tiled_custom_op"
GDN_SHARED = Path(__file__).parent / "data" / "gdn_shared_const"


def _raw_qhas(d: Path) -> dict[str, Any]:
    return json.loads(next(d.glob("*_qnn_htp_analysis_summary.json")).read_text())["data"]


def _raw_trace_events(d: Path) -> list[dict[str, Any]]:
    return json.loads((d / "chrometrace.json").read_text())["traceEvents"]


def _without_qhas(tmp_path: Path) -> Path:
    d = tmp_path / "tiled_no_qhas"
    d.mkdir(parents=True)
    for f in TILED.iterdir():
        if "analysis_summary" not in f.name:
            shutil.copy(f, d / f.name)
    return d


def run_cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "htptui", *args], capture_output=True, timeout=120, check=False
    )


# --- the synthetic sample really has the real tiled form (spec §1.4b) ----------------------------


def test_tiled_sample_has_the_real_form() -> None:
    events = [e for e in _raw_trace_events(TILED) if e.get("ph") == "X" and e["pid"] == 0]
    execd = [e for e in events if e["tid"] != 1]
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in execd:
        by_id[e["args"]["ID"]].append(e)
    tiled = {k: v for k, v in by_id.items() if len(v) > 1}
    assert len(tiled) >= 2 and sum(len(v) for v in tiled.values()) >= 12
    for tiles in tiled.values():
        assert len({t["tid"] for t in tiles}) == len(
            tiles
        )  # concurrent tiles on different HVX tids
        # per-op Duration and DPC copied onto every tile
        assert len({t["args"]["Duration (cycles)"] for t in tiles}) == 1
        assert len({t["args"]["Dominant Path Cycles"] for t in tiles}) == 1
        assert any(t["args"]["Duration (cycles)"] != t["dur"] for t in tiles)
    q = _raw_qhas(TILED)
    inst_ids = [r["op_id"] for r in q["htp_op_instances"]["data"]]
    assert any(inst_ids.count(i) > 1 for i in inst_ids)  # QHAS repeats op_id, one row per tile
    path = q["dominant_path_htp_0"]["data"]
    tl = q["htp_overall_summary"]["data"][0]["timeline_cycles"]
    assert sum(r["dp_cycles"] for r in path) == tl
    kinds = [r["htp_op"] == "Accumulated Idle" for r in path]
    assert kinds == sorted(kinds)  # idle rows appended at the end
    tiled_rows = [r for r in path if int(r["op_id"], 16) in {int(k, 16) for k in tiled}]
    assert sum(r["partial"] for r in tiled_rows) >= 3  # partial rows hop between tiles
    # at least one tile holds two path rows (the path left it and came back)
    starts = {(int(r["op_id"], 16), r["cycles"]) for r in tiled_rows}
    assert len(starts) < len(tiled_rows)
    # the naive Σ of event DPC over tiles is not a path split
    naive = sum(e["args"]["Dominant Path Cycles"] for e in execd)
    true = sum(r["num_dominant_path_cycles"] for r in q["htp_op_instances"]["data"])
    assert naive != true


# --- with QHAS: per-tile DPC from the join, every figure = QHAS ---------------------------------


def test_tiled_with_qhas_every_figure_equals_qhas() -> None:
    opt = load_run(TILED)
    t = opt.trace
    q = _raw_qhas(TILED)
    assert int(t.tiled.sum()) == 24
    # per-instance DPC: the QHAS instance of (ID, Start Cycle)
    inst = {(int(r["op_id"], 16), r["start_cycle"]): r for r in q["htp_op_instances"]["data"]}
    for i in range(len(t)):
        r = inst[(int(t.op_id[i]), int(t.start_cycle[i]))]
        assert int(t.dpc[i]) == r["num_dominant_path_cycles"]
        assert int(t.dur[i]) == r["cycles"] and t.lane_of(i).tid == r["tid"]
        assert opt.qhas_instance(i).tid == r["tid"]
    assert set(np.unique(t.dpc_source).tolist()) <= {dpc_mod.DPC_EVENT, dpc_mod.DPC_QHAS}
    assert (t.dpc_source[t.tiled] == dpc_mod.DPC_QHAS).all()
    # ranking rows per QNN op and per kernel = QHAS num_dominant_path_cycles_htp_0
    for level, section, key in (
        ("qnn_op", "qnn_op_instances_nodes", "qnn_op"),
        ("kernel", "htp_op_types", "op"),
    ):
        rk = ranking.rank(t, level)
        got = {rk.names[k]: int(rk.dpc[k]) for k in range(len(rk))}
        want = {r[key]: r["num_dominant_path_cycles_htp_0"] for r in q[section]["data"]}
        assert got == want, level
        assert all(rk.row_dpc_exact(k) for k in range(len(rk)))
    # idle = QHAS Accumulated Idle
    path = q["dominant_path_htp_0"]["data"]
    idle = sum(r["dp_cycles"] for r in path if r["htp_op"] == "Accumulated Idle")
    cs = summary.core_summary(t, 0)
    assert cs.idle == idle and cs.dpc_sum == sum(
        r["dp_cycles"] for r in path if r["htp_op"] != "Accumulated Idle"
    )
    assert cs.idle_pct == pytest.approx(q["htp_overall_summary"]["data"][0]["percent_idle"])
    # every cross-check agrees, including the tile join and the per-op DPC checks
    results = checks.cross_checks(opt)
    assert results and all(c.ok for c in results), [c for c in results if not c.ok]
    names = " ".join(c.name for c in results)
    assert "tiles whose QHAS instance DPC" in names and "DPC = QHAS num_dominant_path" in names
    # no warning calls the file fake
    doc = build_report(opt)
    text = render(doc, "text")
    assert "not SDK output" not in text and "WARNING" not in text
    assert doc["checks_ok"] and doc["cores"][0]["accumulated_idle_cycles"] == idle


def test_tiled_per_tile_dpc_from_path_rows_when_instances_are_missing(tmp_path: Path) -> None:
    d = tmp_path / "no_instances"
    shutil.copytree(TILED, d)
    qf = next(d.glob("*_qnn_htp_analysis_summary.json"))
    raw = json.loads(qf.read_text())
    want = {
        (int(r["op_id"], 16), r["start_cycle"]): r["num_dominant_path_cycles"]
        for r in raw["data"]["htp_op_instances"]["data"]
    }
    raw["data"]["htp_op_instances"]["data"] = []
    qf.write_text(json.dumps(raw))
    opt = load_run(d)
    t = opt.trace
    tiles = np.flatnonzero(t.tiled)
    assert (t.dpc_source[tiles] == dpc_mod.DPC_PATH).all()
    for i in tiles.tolist():  # Σ of the path rows inside the tile, partial rows included
        assert int(t.dpc[i]) == want[(int(t.op_id[i]), int(t.start_cycle[i]))]
    assert summary.core_summary(t, 0).idle is not None


def test_tiled_without_qhas_dpc_once_per_id_and_idle_na(tmp_path: Path) -> None:
    d = _without_qhas(tmp_path)
    opt = load_run(d)
    t = opt.trace
    events = [e for e in _raw_trace_events(TILED) if e.get("ph") == "X" and e["pid"] == 0]
    per_id: dict[str, int] = {}
    for e in events:
        if e["tid"] != 1:
            per_id.setdefault(e["args"]["ID"], e["args"]["Dominant Path Cycles"])
    tiles = np.flatnonzero(t.tiled)
    ids = np.unique(t.op_id[tiles])
    # the op-level value once per ID (on its first tile), 0 on the others; never Σ over tiles
    for oid in ids.tolist():
        mine = tiles[t.op_id[tiles] == oid]
        src = t.dpc_source[mine]
        assert int((src == dpc_mod.DPC_OP_LEVEL).sum()) == 1
        assert int((src == dpc_mod.DPC_SPLIT_UNKNOWN).sum()) == mine.size - 1
        assert int(np.maximum(t.dpc[mine], 0).sum()) == per_id[f"0x{oid:016x}"]
    rk = ranking.rank(t, "qnn_op")
    row = rk.names.index("GdnSolve_3")
    assert not rk.row_dpc_exact(row)
    assert int(rk.dpc[row]) == sum(per_id[f"0x{oid:016x}"] for oid in ids.tolist())
    cs = summary.core_summary(t, 0)
    assert cs.idle is None and cs.idle_pct is None and "per-tile" in cs.idle_note
    assert not cs.dpc_exact
    doc = build_report(opt)
    core = doc["cores"][0]
    assert core["accumulated_idle_cycles"] is None and core["accumulated_idle_pct"] is None
    assert "per-tile" in core["accumulated_idle_note"]
    js = json.loads(to_json_bytes(doc))
    assert js["cores"][0]["accumulated_idle_cycles"] is None
    text = render(doc, "text")
    assert "n/a (tiled ops without QHAS" in text and "not SDK output" not in text
    assert "per-tile split is unknown without QHAS" in text  # the ranking footnote
    gdn = next(r for r in doc["ranking"]["qnn_op"] if r["name"] == "GdnSolve_3")
    assert f"{gdn['dpc']:,}*" in text
    assert any("tiled op" in w for w in opt.warnings)
    assert all(
        r.get("dpc_exact", True) is False
        for r in doc["ranking"]["qnn_op"]
        if r["name"] == "GdnSolve_3"
    )


def test_trace_only_tiling_detection_by_dpc_above_dur(tmp_path: Path) -> None:
    ev = [
        x_event("Pkg::Op", 512, 0, 100, dpc=150, op_id=0x1111_0000_0012),
        x_event("q::K", 513, 0, 80, op_id=0x1112_0000_0012),
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 512, "Type: HVX"),
        meta_thread(0, 513, "Type: HVX"),
    ]
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    assert t.tiled.tolist() == [True, False]
    assert t.dpc_source.tolist() == [dpc_mod.DPC_OP_LEVEL, dpc_mod.DPC_EVENT]
    cs = summary.core_summary(t, 0)
    assert cs.idle is None and cs.idle_pct is None  # never negative


# --- domain (trap 20) -----------------------------------------------------------------------------


def _v247_events() -> list[dict[str, Any]]:
    """A hand-written v2.47-layout trace: DMA 256, HVX 512/513, HMX 768; DMA is the busiest lane."""
    ops = [
        ("q::*InputSlice", 256, 0, 900, ["dma"], "Input", 0x1111_0000_0002),
        ("q::ConvLayer.opt.weights_to_vtcm", 256, 900, 800, ["dma"], "MatMul_0", 0x1112_0000_0012),
        ("q::ConvLayer_s1.opt", 768, 1000, 300, ["uses_hmx"], "MatMul_0", 0x1113_0000_0012),
        ("q::QuantizedAdd_8x8to8", 512, 1300, 600, ["uses_hvx"], "Add_1", 0x1114_0000_0016),
        ("q::QuantizedAdd_8x8to8", 513, 1300, 500, ["uses_hvx"], "Add_1", 0x1115_0000_0016),
        ("q::*OutputSlice", 256, 1900, 700, ["dma"], "Output", 0x1116_0000_0003),
    ]
    ev = [x_event(n, tid, ts, dur, flags=f, qnn=q, op_id=oid) for n, tid, ts, dur, f, q, oid in ops]
    ev += [
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 256, "Type: DMA"),
        meta_thread(0, 512, "Type: HVX"),
        meta_thread(0, 513, "Type: HVX"),
        meta_thread(0, 768, "Type: HMX"),
    ]
    return ev


def test_v247_domain_never_dma(tmp_path: Path) -> None:
    t = chrometrace.load(write_trace(tmp_path / "t.json", _v247_events()))
    cs = summary.core_summary(t, 0)
    assert cs.unit_busy["DMA"] == 2400 and cs.unit_busy["HVX"] == 600
    assert cs.domain_unit == "HVX" and cs.domain_cycles == 600  # max(HMX 300, HVX 600)
    assert cs.hmx_thread_busy == 300 and cs.hmx_compute == 300 and not cs.dma_on_hmx_thread
    rk = ranking.rank(t, "kernel")
    units = {rk.names[k]: ranking.units_text(int(rk.units[k])) for k in range(len(rk))}
    assert units["q::*InputSlice"] == "DMA" and units["q::ConvLayer_s1.opt"] == "HMX"


def test_v247_sample_domain_is_hvx_not_dma() -> None:
    opt = load_run(SAMPLES / "synthetic_v247_layout")
    cs = summary.core_summary(opt.trace, 0)
    raw = _raw_qhas(SAMPLES / "synthetic_v247_layout")["htp_overall_summary"]["data"][0]
    used = {(r["type"], r["tid"]): r["cycles_used"] for r in raw["htp_resources"]["data"]}
    want = max(v for (u, _tid), v in used.items() if u in ("HMX", "HVX"))
    assert max(v for (u, _), v in used.items() if u == "DMA") > want  # DMA is the busiest lane
    assert cs.domain_cycles == want and cs.domain_unit != "DMA"
    assert "domain DMA" not in render(build_report(opt), "text")


def test_v245_hmx_thread_busy_and_hmx_compute_are_two_named_figures() -> None:
    opt = load_run(REAL_SAMPLE)
    cs = summary.core_summary(opt.trace, 0)
    raw = _raw_qhas(REAL_SAMPLE)
    hmx_used = next(
        r["cycles_used"]
        for r in raw["htp_overall_summary"]["data"][0]["htp_resources"]["data"]
        if r["type"] == "HMX"
    )
    hmx_compute = sum(r["cycles"] for r in raw["htp_op_instances"]["data"] if r["hmx"])
    assert cs.hmx_thread_busy == hmx_used == 38764
    assert cs.hmx_compute == hmx_compute == 12312
    assert cs.dma_on_hmx_thread and cs.domain_cycles == 38764
    text = render(build_report(opt), "text")
    assert "HMX thread busy" in text and "HMX compute (uses_hmx ops only)" in text
    rk = ranking.rank(opt.trace, "kernel")
    units = {rk.names[k]: ranking.units_text(int(rk.units[k])) for k in range(len(rk))}
    assert units["q::ConvLayer.opt.weights_to_vtcm"] == "DMA"  # a DMA kernel on the HMX thread
    assert units["q::ConvLayer_s1.opt"] == "HMX"


# --- aggregates -----------------------------------------------------------------------------------


def test_group_cycles_per_packet_is_ratio_of_sums() -> None:
    opt = load_run(REAL_SAMPLE)
    t = opt.trace
    rk = ranking.rank(t, "qnn_op")
    row = rk.names.index("MatMul_0")
    m = np.array([t.qnn_op_name(i) == "MatMul_0" for i in range(len(t))])
    cpp, dur = t.cpp[m].astype(float), t.dur[m]
    pos = cpp > 0
    want = dur[pos].sum() / (dur[pos] / cpp[pos]).sum()
    assert float(rk.cpp[row]) == pytest.approx(want) and round(float(rk.cpp[row]), 2) == 11.95
    assert round(float(np.mean(cpp[pos])), 2) == 29.72  # the old mean of ratios, not shown


def test_pct_path_uses_the_graph_path_under_a_filter_and_drill() -> None:
    opt = load_run(REAL_SAMPLE)
    t = opt.trace
    full = ranking.rank(t, "qnn_op")
    mask = np.array([t.qnn_op_name(i).startswith("MatMul") for i in range(len(t))])
    sub = ranking.rank(t, "qnn_op", mask)
    assert sub.dpc_total == full.dpc_total == 63056
    for k in range(len(sub)):
        j = full.names.index(sub.names[k])
        assert sub.dpc_pct(k) == pytest.approx(full.dpc_pct(j))
    assert sum(sub.filtered_pct(k) for k in range(len(sub))) == pytest.approx(100.0)


def test_rounded_once_text_and_json_print_the_same_digits() -> None:
    opt = load_run(REAL_SAMPLE)
    doc = build_report(opt)
    js = json.loads(to_json_bytes(doc))
    text = render(doc, "text")
    for row in js["ranking"]["qnn_op"]:
        for key in ("dpc_pct", "cycles_per_packet", "busy_over_span"):
            v = row[key]
            if v is not None:
                assert round(v, 2) == v
                assert f"{v:,.2f}" in text
    for ln in js["cores"][0]["lanes"]:
        assert f"{ln['utilization_pct']:,.2f}" in text
    assert "% of wall)" not in text.split("boundary tax busy")[1].split("\n")[0]


# --- doubled events -------------------------------------------------------------------------------


def test_exact_duplicates_inside_core_overview_are_dropped(tmp_path: Path) -> None:
    ev = _v247_events()
    xs = [e for e in ev if e["ph"] == "X"]
    ev += [dict(e) for e in xs]  # every op doubled inside pid 0
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    assert len(t) == len(xs)
    assert any("exact duplicate" in w for w in t.warnings)
    cs = summary.core_summary(t, 0)
    assert all(ls.utilization <= 100.0 for ls in cs.lanes)
    assert cs.unit_busy["HVX"] == 600


def test_trace_with_only_per_qnn_op_pids_loads(tmp_path: Path) -> None:
    ev = []
    pids = {"Input": 2, "MatMul_0": 3, "Add_1": 4, "Output": 5}
    for e in _v247_events():
        if e["ph"] != "X":
            continue
        q = e["args"]["QNN Op Name"]
        unit = {256: "DMA", 768: "HMX"}.get(e["tid"], "HVX")
        ev.append(dict(e, pid=pids[q]))
        ev.append(meta_thread(pids[q], e["tid"], f"Core:0 Type: {unit} Tid: {e['tid']}"))
    ev += [dict(ev[0])]  # a repeat inside one per-op pid is dropped by (ID, tid, ts, dur)
    ev += [meta_process(p, f"QNN::{q}") for q, p in pids.items()]
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    assert len(t) == 6
    assert {ln.unit for ln in t.lanes} == {"DMA", "HMX", "HVX"}
    assert summary.core_summary(t, 0).domain_unit == "HVX"


# --- findings -------------------------------------------------------------------------------------


def test_gdn_shared_const_no_false_hvx_hmx_serialisation_and_false_dependency_high() -> None:
    opt = load_run(GDN_SHARED)
    found = run_all(opt)
    assert not any("HVX and HMX ran back to back" in f.title for f in found)
    fd = [f for f in found if f.rule == "false_dependency"]
    assert fd and all(f.severity == "high" for f in fd)
    assert found[0].rule == "false_dependency"  # most severe first
    # the LOW shared-constant finding is not repeated for the same tensor
    assert not [
        f
        for f in found
        if f.rule == "shared_constants" and f.evidence.get("tensor") == fd[0].evidence["tensor"]
    ]
    doc = build_report(opt)
    items = doc["findings"]["items"]
    assert items[0]["severity"] == "high" and items[0]["rule"] == "false_dependency"
    assert items[0]["op_refs"][0]["id"].startswith("0x") and items[0]["op_refs"][0]["qnn_op"]
    text = render(doc, "text")
    assert "trace ops:" not in text  # evidence names ops by ID and name, not internal indices


def test_dag_and_check_fail_on_false_dependency() -> None:
    r = run_cli("dag", str(GDN_SHARED), "--fail-on-false-dependency")
    assert r.returncode == 1 and b"false dependency" in r.stderr
    assert run_cli("dag", str(GDN_SHARED)).returncode == 0
    clean = Path(__file__).parent / "data" / "gdn_distinct_const"
    assert run_cli("dag", str(clean), "--fail-on-false-dependency").returncode == 0
    r = run_cli("check", str(GDN_SHARED), "-b", str(GDN_SHARED), "--fail-on-false-dependency")
    assert r.returncode == 1 and b"FALSE DEPENDENCY" in r.stdout
    assert run_cli("check", str(GDN_SHARED), "-b", str(GDN_SHARED)).returncode == 0


# --- disagreement is loud -------------------------------------------------------------------------


def _disagreeing(tmp_path: Path) -> Path:
    d = tmp_path / "disagree"
    shutil.copytree(REAL_SAMPLE, d)
    qf = next(d.glob("*_qnn_htp_analysis_summary.json"))
    raw = json.loads(qf.read_text())
    raw["data"]["htp_overall_summary"]["data"][0]["timeline_cycles"] += 1000
    qf.write_text(json.dumps(raw))
    return d


def test_disagreement_is_at_the_top_and_strict_exits_1(tmp_path: Path) -> None:
    d = _disagreeing(tmp_path)
    r = run_cli("report", str(d))
    assert r.returncode == 0
    head = r.stdout.decode().split("\n")[:8]
    assert any("DISAGREE" in line for line in head)
    r = run_cli("report", str(d), "--strict")
    assert r.returncode == 1 and b"cross-check" in r.stderr
    assert run_cli("report", str(REAL_SAMPLE), "--strict").returncode == 0


async def test_tui_header_warns_on_disagreement(tmp_path: Path) -> None:
    from textual.widgets import Static

    from htptui.tui.app import HtpApp

    app = HtpApp(str(_disagreeing(tmp_path)))
    async with app.run_test(size=(160, 50)) as pilot:
        await app.workers.wait_for_complete()
        for _ in range(20):
            await pilot.pause()
            if app.ready:
                break
        header = str(app.query_one("#header-line", Static).render())
        assert "DISAGREE" in header


def test_tiles_starting_on_the_same_cycle_join_their_own_qhas_rows(tmp_path: Path) -> None:
    oid = 0x1111_0000_001E
    rebase = 1_000_000
    ev = [
        x_event("Pkg::Tile", 512, 0, 100, op_id=oid, dpc=60),
        x_event("Pkg::Tile", 513, 0, 60, op_id=oid, dpc=60),
        meta_process(0, "Core 0 Overview"),
        meta_thread(0, 512, "Type: HVX"),
        meta_thread(0, 513, "Type: HVX"),
    ]
    d = tmp_path / "run"
    d.mkdir()
    write_trace(d / "chrometrace.json", ev)

    def inst(tid: int, cycles: int, dpc: int) -> dict[str, Any]:
        return {"htp": 0, "tid": tid, "op_id": hex(oid), "htp_op": "Pkg::Tile", "qnn_op": "Op_0",
                "start_cycle": rebase, "cycles": cycles, "num_dominant_path_cycles": dpc}  # fmt: skip

    qhas = {
        "header": {"version": {"major": 1, "minor": 0, "patch": 0}, "artifact_type": "QHAS"},
        "model_id": "m",
        "data": {
            "htp_op_instances": {"data": [inst(513, 60, 0), inst(512, 100, 100)]},
            "dominant_path_htp_0": {"data": []},
        },
    }
    (d / "chrometrace_qnn_htp_analysis_summary.json").write_text(json.dumps(qhas))
    opt = load_run(d)
    t = opt.trace
    by_tid = {t.lane_of(i).tid: i for i in range(len(t))}
    assert opt.qhas_instance(by_tid[512]).tid == 512 and opt.qhas_instance(by_tid[513]).tid == 513
    assert int(t.dpc[by_tid[512]]) == 100 and int(t.dpc[by_tid[513]]) == 0


def test_tui_ranking_cells_print_the_report_digits() -> None:
    from htptui.present.format import fmt_float

    opt = load_run(REAL_SAMPLE)
    rk = ranking.rank(opt.trace, "qnn_op")
    rows = {r["name"]: r for r in build_report(opt, top=None)["ranking"]["qnn_op"]}
    for k in range(len(rk)):
        r = rows[rk.names[k]]
        assert fmt_float(rk.cpp[k]) == f"{r['cycles_per_packet']:,.2f}"
        assert fmt_float(rk.dpc_pct(k)) == f"{r['dpc_pct']:,.2f}"
        assert fmt_float(rk.parallelism[k]) == f"{r['busy_over_span']:,.2f}"


def test_diff_shows_na_idle_with_the_reason(tmp_path: Path) -> None:
    r = run_cli("diff", str(TILED), str(_without_qhas(tmp_path)))
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.decode().splitlines() if x.startswith("accumulated idle"))
    cells = line.split("(cycles)", 1)[1]
    assert "n/a (tiled ops without QHAS" in cells and "removed" not in cells and "−" not in cells
    r = run_cli("diff", str(TILED), str(_without_qhas(tmp_path / "j")), "--format", "json")
    doc = json.loads(r.stdout)
    ch = next(c for c in doc["summary"] if c["name"].startswith("accumulated idle"))
    assert ch["status"] == "n/a" and ch["b"] is None and "per-tile" in ch["na_reason_b"]


def test_absent_dpc_gives_na_idle_with_its_own_reason(tmp_path: Path) -> None:
    ev = [x_event("q::K", 512, 0, 100, op_id=0x1111_0000_0012)]
    del ev[0]["args"]["Dominant Path Cycles"]
    ev += [meta_process(0, "Core 0 Overview"), meta_thread(0, 512, "Type: HVX")]
    t = chrometrace.load(write_trace(tmp_path / "t.json", ev))
    assert t.dpc_source.tolist() == [dpc_mod.DPC_ABSENT] and int(t.dpc[0]) == -1
    cs = summary.core_summary(t, 0)
    assert cs.idle is None and cs.idle_note == summary.IDLE_NOTE_ABSENT
