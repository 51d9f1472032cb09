"""Tests for the findings rules: a fixture that fires each rule and one that does not, and every number
of the findings on the real chain8 sample checked against values read straight from its files."""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from htptui.analysis import findings as fnd
from htptui.analysis.findings import Finding, FindingsConfig, run_all
from htptui.model.run import Run, load_run

ROOT = Path(__file__).resolve().parent.parent
CHAIN8 = ROOT / "sample_data" / "chain8_matmul"
BASE = 7_997_466_066_654  # absolute PCYCLE of ts 0
HEADER = {"header_version": {"major": 1, "minor": 0, "patch": 0},
          "version": {"major": 1, "minor": 1, "patch": 0}}  # fmt: skip
TRACE_FLAGS = {"hmx": "uses_hmx", "hvx": "uses_hvx"}  # QHAS booleans -> chrometrace Flags names


# --- fixture builders -----------------------------------------------------------------------------


@dataclass
class Op:
    """One executed op of a hand-written trace."""

    kernel: str
    qnn: str
    tid: int  # 256 = HMX, 512.. = HVX
    ts: int
    dur: int
    flags: tuple[str, ...] = ("hmx",)
    cpp: float = 2.0
    mem: tuple[int, int, int, int] = (0, 0, 0, 0)  # dram read/write, vtcm read/write


def _qnn_ids(ops: list[Op]) -> dict[str, int]:
    return {name: 16 + 4 * k for k, name in enumerate(dict.fromkeys(o.qnn for o in ops))}


def op_key(ops: list[Op], k: int) -> str:
    """The 16-hex-digit ID of the k-th op (unique per op; low 32 bits = its QNN op id)."""
    return f"0x{((0x1100 + k) << 32) | _qnn_ids(ops)[ops[k].qnn]:016x}"


def _path(ops: list[Op]) -> tuple[list[dict], dict[int, int]]:
    """A dominant path: ops in start order, the uncovered time between them as idle rows."""
    rows: list[dict] = []
    dpc: dict[int, int] = {}
    order = sorted(range(len(ops)), key=lambda k: (ops[k].ts, -ops[k].dur))
    cur = ops[order[0]].ts
    for k in order:
        o = ops[k]
        if o.ts > cur:
            rows.append({"op_id": "0x0", "htp_op": "Accumulated Idle", "qnn_op": "Accumulated Idle",
                         "start_cycle": BASE + cur, "end_cycle": BASE + o.ts, "partial": False,
                         "dp_cycles": o.ts - cur, "cycles": o.ts - cur})  # fmt: skip
            cur = o.ts
        end = o.ts + o.dur
        dpc[k] = max(0, end - cur)
        if dpc[k]:
            rows.append({"op_id": "0x" + op_key(ops, k)[2:].lstrip("0"), "htp_op": o.kernel, "qnn_op": o.qnn,
                         "start_cycle": BASE + o.ts, "end_cycle": BASE + end, "partial": dpc[k] < o.dur,
                         "dp_cycles": dpc[k], "cycles": o.dur})  # fmt: skip
            cur = end
    return rows, dpc


def write_run(
    d: Path,
    ops: list[Op],
    *,
    graph: dict | None = None,
    profile: str | None = None,
    runtrace_ghz: list[float] | None = None,
    heap: str | None = None,
    qhas: bool = True,
) -> Path:
    """Write a minimal optrace directory (chrometrace, QHAS, optional graph/profile/runtrace/heap)."""
    d.mkdir(parents=True, exist_ok=True)
    qids = _qnn_ids(ops)
    path_rows, dpc = _path(ops)
    tids = sorted({o.tid for o in ops})
    ev: list[dict] = [
        {"ph": "M", "pid": 0, "name": "process_name", "args": {"name": "Core 0 Overview"}}
    ]
    for tid in tids:
        unit = "HMX" if tid < 512 else "HVX"
        ev.append(
            {
                "ph": "M",
                "pid": 0,
                "tid": tid,
                "name": "thread_name",
                "args": {"name": f"Type: {unit}"},
            }
        )
    for name, qid in qids.items():
        ev.append({"ph": "M", "pid": qid, "name": "process_name",
                   "args": {"name": f"QNN::{name}", "opid": f"0x{qid:016x}"}})  # fmt: skip
    insts = []
    for k, o in enumerate(ops):
        args = {"ID": op_key(ops, k), "HTP Op Type": o.kernel, "Flags": [TRACE_FLAGS.get(f, f) for f in o.flags],
                "Cycles per Packet": o.cpp, "QNN Op Type": "Op", "QNN Op Name": o.qnn,
                "Start Cycle": BASE + o.ts, "Duration (cycles)": o.dur,
                "Dominant Path Cycles": dpc[k]}  # fmt: skip
        ev.append(
            {
                "name": o.kernel,
                "ph": "X",
                "pid": 0,
                "tid": o.tid,
                "ts": o.ts,
                "dur": o.dur,
                "args": args,
            }
        )
        inst = {"htp": 0, "tid": o.tid, "op_id": "0x" + op_key(ops, k)[2:].lstrip("0"), "htp_op": o.kernel,
                "qnn_op": o.qnn, "qnn_op_type": "Op", "dtype": "", "rank": 0, "dims": [],
                "input_nodes": [], "start_cycle": BASE + o.ts, "cycles": o.dur,
                "num_dominant_path_cycles": dpc[k], "percent_dominant_path_cycles": 0.0,
                "cycles_per_packet": o.cpp, "dram_read": o.mem[0], "dram_write": o.mem[1],
                "vtcm_read": o.mem[2], "vtcm_write": o.mem[3]}  # fmt: skip
        for flag in ("hmx", "hvx", "dma", "dma_set", "dma_wait", "sync", "fmt_change", "ref_op"):
            inst[flag] = flag in o.flags
        insts.append(inst)
    trace = {"header": {**HEADER, "artifact_type": "OP_TRACE"}, "traceEvents": ev}
    (d / "chrometrace.json").write_text(json.dumps(trace))
    if qhas:
        start = min(o.ts for o in ops)
        end = max(o.ts + o.dur for o in ops)
        q = {"header": {**HEADER, "artifact_type": "QHAS"}, "model_id": "fixture",
             "data": {"htp_overall_summary": {"data": [{"htp": 0, "timeline_cycles": end - start,
                                                        "htp_resources": {"data": []}}]},
                      "qnn_op_types": {"data": []}, "qnn_op_instances_nodes": {"data": []},
                      "htp_op_types": {"data": []}, "htp_op_instances": {"data": insts},
                      "dominant_path_htp_0": {"data": path_rows}}}  # fmt: skip
        (d / "chrometrace_qnn_htp_analysis_summary.json").write_text(json.dumps(q))
    if graph is not None:
        g = {"header": {**HEADER, "artifact_type": "HTP_GRAPH"}, "graph": graph, "op_types": []}
        (d / "chrometrace_htp.json").write_text(json.dumps(g))
    if profile is not None:
        (d / "profile.txt").write_text(profile)
    if runtrace_ghz is not None:
        rev, ts = [], 0
        for ghz in runtrace_ghz:
            for name, us in (("QNN DSP Execute", 100.0), ("Graph Execute", 50.0)):
                cyc = int(us * ghz * 1000)
                rev.append({"name": name, "ph": "X", "tid": 0, "pid": 0, "ts": ts, "dur": int(us * 19.2),
                            "args": {"graph_name": "fixture", "stat_start_ticks": 1000 + ts,
                                     "stat_end_ticks": 1000 + ts + int(us * 19.2),
                                     "stat_start_cycles": BASE + ts * 100,
                                     "stat_end_cycles": BASE + ts * 100 + cyc,
                                     "summary_htp_frequency_ghz": ghz, "summary_time_us": us}})  # fmt: skip
            ts += 10_000
        rt = {"header": {**HEADER, "artifact_type": "RUN_TRACE"}, "traceEvents": rev}
        (d / "chrometrace_runtrace.json").write_text(json.dumps(rt))
    if heap is not None:
        (d / "heap_profile.txt").write_text(heap)
    return d


def profile_text(
    qnn_acc_us: int, acc_us: int, acc_cycles: int = 1000, excl_wait_us: int = 50
) -> str:
    """A one-execute detailed profile.txt."""
    return (
        "Log File Created: Tue Apr 28 00:38:19 2026\nTime Scale: 1e-06\n"
        "qnn-profile-viewer: v2.45.0.260326154327\n\nExecute Stats: \n\nExecute Stat 1\n\n"
        "Number of HVX threads used : 4  count\n"
        f"QNN accelerator (execute) time : {qnn_acc_us}  us\n"
        f"Accelerator (execute) time (cycles) : {acc_cycles}  cycles\n"
        f"    A:OpId_16 (cycles) : {acc_cycles}  cycles\n"
        f"Accelerator (execute) time : {acc_us}  us\n"
        f"Accelerator (execute excluding wait) time : {excl_wait_us}  us\n"
    )


def rules(found: list[Finding], rule: str) -> list[Finding]:
    """The findings of one rule."""
    return [f for f in found if f.rule == rule]


def load(d: Path) -> Run:
    """Load a fixture directory, insisting every artifact was readable."""
    opt = load_run(d)
    assert not opt.errors, opt.errors
    return opt


def hmx(qnn: str, ts: int, dur: int, kernel: str = "q::ConvLayer_s1.opt", **kw: object) -> Op:
    """An HMX compute op."""
    return Op(kernel, qnn, 256, ts, dur, ("hmx",), **kw)  # type: ignore[arg-type]


def hvx(qnn: str, ts: int, dur: int, kernel: str = "q::Add", tid: int = 512, **kw: object) -> Op:
    """An HVX compute op."""
    return Op(kernel, qnn, tid, ts, dur, ("hvx",), **kw)  # type: ignore[arg-type]


# --- serialisation --------------------------------------------------------------------------------


def test_serialisation_fires_when_hvx_finishes_before_hmx(tmp_path: Path) -> None:
    opt = load(write_run(tmp_path, [hvx("A", 0, 1000), hmx("A", 1100, 1000)]))
    found = rules(run_all(opt), "serialisation")
    core = next(f for f in found if "core 0" in f.title)
    assert core.evidence["HVX∥HMX overlap (cycles)"] == 0
    assert core.evidence["overlap % of the smaller unit"] == 0.0
    assert core.evidence["hideable cycles (smaller unit − overlap)"] == 1000
    per_op = next(f for f in found if "QNN op" in f.evidence)
    assert per_op.evidence["gap between them (cycles)"] == 100
    assert "all HVX work finished before HMX started" in per_op.title
    assert per_op.ops == (0, 1)


def test_serialisation_silent_when_units_overlap(tmp_path: Path) -> None:
    opt = load(write_run(tmp_path, [hvx("A", 0, 1000), hmx("A", 100, 1000)]))
    assert rules(run_all(opt), "serialisation") == []


def _branch_graph(ops: list[Op], edge: bool) -> dict:
    """Graph of ops: one node per op; optionally C consumes B's output."""
    tensors = {"0x0000100200000001": {"id": 0, "type": 0, "data_type": 1032, "dims": [1, 64]}}
    nodes = {}
    for k, o in enumerate(ops):
        inputs = ["0x0000100200000001"]
        if edge and o.qnn == "C":
            inputs = [op_key(ops, 0)]
        nodes[op_key(ops, k)] = {"type": o.kernel, "grouping": o.qnn, "input_names": inputs,
                                 "output_names": [op_key(ops, k)], "scalar_params": {}, "tensor_params": {}}  # fmt: skip
        tensors[op_key(ops, k)] = {"id": k + 1, "type": 3, "data_type": 1032, "dims": [1, 64]}
    return {"tensors": tensors, "nodes": nodes}


def test_serialisation_flags_independent_branches_run_back_to_back(tmp_path: Path) -> None:
    ops = [hmx("B", 0, 1000), hmx("C", 1000, 1000)]
    opt = load(write_run(tmp_path, ops, graph=_branch_graph(ops, edge=False)))
    found = [f for f in rules(run_all(opt), "serialisation") if "branch" in f.title]
    assert len(found) == 1
    assert found[0].evidence["pair 1"] == "B / C"
    assert found[0].evidence["pair 1 hideable cycles"] == 1000
    assert found[0].qnn_ops == ("B", "C")


def test_serialisation_ignores_dependent_branches(tmp_path: Path) -> None:
    ops = [hmx("B", 0, 1000), hmx("C", 1000, 1000)]
    opt = load(write_run(tmp_path, ops, graph=_branch_graph(ops, edge=True)))
    assert rules(run_all(opt), "serialisation") == []


# --- boundary tax ---------------------------------------------------------------------------------


def test_boundary_tax_fires(tmp_path: Path) -> None:
    ops = [hvx("A", 0, 600, kernel="q::ForceFormat_Crouton"), hmx("A", 600, 400)]
    found = rules(run_all(load(write_run(tmp_path, ops))), "boundary_tax")
    assert len(found) == 1
    f = found[0]
    assert f.evidence["on the dominant path (cycles)"] == 600
    assert f.evidence["on the dominant path % of wall"] == 60.0
    assert f.evidence["ForceFormat ops"] == 1
    assert f.severity == "high" and f.ops == (0,)


def test_boundary_tax_silent_without_boundary_ops(tmp_path: Path) -> None:
    found = run_all(load(write_run(tmp_path, [hvx("A", 0, 600), hmx("A", 600, 400)])))
    assert rules(found, "boundary_tax") == []


# --- unit-bound -----------------------------------------------------------------------------------


def test_unit_bound_fires_when_hvx_glue_exceeds_hmx(tmp_path: Path) -> None:
    ops = [hvx("A", 0, 3000), hvx("A", 0, 1000, tid=513), hmx("A", 0, 1000)]
    f = rules(run_all(load(write_run(tmp_path, ops))), "unit_bound")[0]
    assert f.evidence["HVX domain (busiest HVX lane, cycles)"] == 3000
    assert f.evidence["HMX thread busy (cycles, incl. DMA on the HMX thread)"] == 1000
    assert f.evidence["HMX compute (uses_hmx ops, cycles)"] == 1000
    assert f.evidence["HVX ÷ HMX thread busy"] == 3.0
    assert f.evidence["HVX lanes used"] == 2
    assert f.evidence["excess over HMX (cycles)"] == 2000


def test_unit_bound_silent_when_hmx_dominates(tmp_path: Path) -> None:
    ops = [hvx("A", 0, 500), hmx("A", 0, 1000)]
    assert rules(run_all(load(write_run(tmp_path, ops))), "unit_bound") == []


# --- packet efficiency ----------------------------------------------------------------------------


def test_packet_efficiency_fires_on_outlier(tmp_path: Path) -> None:
    ops = [hmx("A", k * 1000, 500, cpp=c) for k, c in enumerate((3.0, 3.0, 3.0, 12.0))]
    found = rules(run_all(load(write_run(tmp_path, ops))), "packet_efficiency")
    assert [f.ops for f in found] == [(3,)]
    ev = found[0].evidence
    assert ev["cycles per packet"] == 12.0 and ev["reference median cycles per packet"] == 3.0
    assert ev["ratio"] == 4.0 and ev["excess cycles at the median rate"] == 375


def test_packet_efficiency_groups_outliers_per_kernel(tmp_path: Path) -> None:
    """Many slow instances of one kernel make one finding (count, worst, total), not a flood."""
    cpps = (3.0,) * 6 + (12.0, 9.0, 15.0)
    ops = [hmx("A", k * 1000, 500, cpp=c) for k, c in enumerate(cpps)]
    found = rules(run_all(load(write_run(tmp_path, ops))), "packet_efficiency")
    assert len(found) == 1
    f = found[0]
    assert f.evidence["outlier instances"] == 3
    assert f.evidence["cycles per packet"] == 15.0  # the worst one
    assert f.ops == (8, 6, 7)  # worst first
    # excess at the median rate: 500 * (1 - 3/15) + 500 * (1 - 3/12) + 500 * (1 - 3/9)
    assert f.evidence["total excess cycles"] == round(400 + 375 + 500 * (1 - 1 / 3))
    assert f.title.startswith("3 q::ConvLayer_s1.opt instances") and "worst 15.00 in A" in f.title


def test_packet_efficiency_silent_when_uniform(tmp_path: Path) -> None:
    ops = [hmx("A", k * 1000, 500, cpp=3.0) for k in range(4)]
    assert rules(run_all(load(write_run(tmp_path, ops))), "packet_efficiency") == []


# --- dispatch overhead ----------------------------------------------------------------------------


def test_dispatch_overhead_fires(tmp_path: Path) -> None:
    opt = load(write_run(tmp_path, [hmx("A", 0, 1000)], profile=profile_text(1000, 200)))
    f = rules(run_all(opt), "dispatch_overhead")[0]
    assert f.evidence["overhead µs"] == 800.0
    assert f.evidence["wall ÷ compute"] == 5.0
    assert f.evidence["overhead % of wall"] == 80.0
    assert f.severity == "high"


def test_dispatch_overhead_silent_when_close(tmp_path: Path) -> None:
    opt = load(write_run(tmp_path, [hmx("A", 0, 1000)], profile=profile_text(300, 200)))
    assert rules(run_all(opt), "dispatch_overhead") == []


# --- idle bubbles ---------------------------------------------------------------------------------


def test_idle_bubbles_fires_and_names_neighbours(tmp_path: Path) -> None:
    ops = [hmx("A", 0, 400, kernel="q::K1"), hmx("B", 700, 300, kernel="q::K2")]
    f = rules(run_all(load(write_run(tmp_path, ops))), "idle_bubbles")[0]
    assert f.evidence["accumulated idle (cycles)"] == 300
    assert f.evidence["idle % of wall"] == 30.0
    assert f.evidence["bubble 1 (cycles)"] == 300
    assert f.evidence["bubble 1 after"] == "q::K1 (A)"
    assert f.evidence["bubble 1 before"] == "q::K2 (B)"
    assert f.ops == (0, 1)


def test_idle_bubbles_silent_when_packed(tmp_path: Path) -> None:
    ops = [hmx("A", 0, 400), hmx("B", 410, 300)]
    assert rules(run_all(load(write_run(tmp_path, ops))), "idle_bubbles") == []


# --- memory-bound ---------------------------------------------------------------------------------


def test_memory_bound_fires(tmp_path: Path) -> None:
    ops = [hmx("A", 0, 1000, mem=(64_000, 0, 0, 0)), hmx("B", 1000, 1000, mem=(1000, 0, 0, 0))]
    opt = load(write_run(tmp_path, ops))
    f = rules(run_all(opt), "memory_bound")[0]
    assert f.qnn_ops == ("A",)
    assert f.evidence["A DRAM bytes/cycle"] == 64.0
    assert f.evidence["compute-bound QNN ops"] == 1
    verdicts = {v.qnn_op: v.memory_bound for v in fnd.memory_verdicts(opt)}
    assert verdicts == {"A": True, "B": False}


def test_memory_bound_silent_for_compute_ops(tmp_path: Path) -> None:
    ops = [hmx("A", 0, 1000, mem=(1000, 0, 2000, 2000))]
    assert rules(run_all(load(write_run(tmp_path, ops))), "memory_bound") == []


# --- clock and measurement traps ------------------------------------------------------------------


def test_clock_trap_aggregate_cycles(tmp_path: Path) -> None:
    prof = profile_text(300, 250, acc_cycles=400_000, excl_wait_us=100)
    opt = load(write_run(tmp_path, [hmx("A", 0, 1000)], profile=prof, runtrace_ghz=[1.0]))
    found = rules(run_all(opt), "clock_traps")
    agg = next(f for f in found if "summed over lanes" in f.title)
    assert agg.evidence["implied GHz"] == 4.0 and agg.evidence["≈ lanes summed"] == 4.0
    single = next(f for f in found if "Single-rep" in f.title)
    assert single.severity == "info" and single.evidence["executes"] == 1


def test_clock_trap_cold_first_execute(tmp_path: Path) -> None:
    opt = load(write_run(tmp_path, [hmx("A", 0, 1000)], runtrace_ghz=[0.8, 1.9, 1.9]))
    f = rules(run_all(opt), "clock_traps")[0]
    assert "cold first of 3 executes" in f.title
    assert f.evidence["trace execute Graph Execute GHz"] == 0.8
    assert f.evidence["warm Graph Execute GHz (median)"] == 1.9


def test_clock_traps_silent_for_warm_multi_execute(tmp_path: Path) -> None:
    prof = profile_text(300, 250, acc_cycles=1000, excl_wait_us=100)
    opt = load(write_run(tmp_path, [hmx("A", 0, 1000)], profile=prof, runtrace_ghz=[1.9, 1.9, 1.9]))
    assert rules(run_all(opt), "clock_traps") == []


# --- shared constants -----------------------------------------------------------------------------


def _shared_graph(ops: list[Op], dims: list[int]) -> dict:
    const = "0x0000100200000008"
    tensors = {const: {"id": 0, "type": 4, "data_type": 1032, "dims": dims}}
    nodes = {}
    for k, o in enumerate(ops):
        nodes[op_key(ops, k)] = {"type": o.kernel, "grouping": o.qnn, "input_names": [const],
                                 "output_names": [op_key(ops, k)], "scalar_params": {}, "tensor_params": {}}  # fmt: skip
        tensors[op_key(ops, k)] = {"id": k + 1, "type": 3, "data_type": 1032, "dims": [1, 64]}
    return {"tensors": tensors, "nodes": nodes}


def test_shared_constant_fires_and_false_dependency_with_expected_graph(tmp_path: Path) -> None:
    ops = [hmx("B", 0, 1000), hmx("C", 0, 1000, kernel="q::Other")]
    opt = load(write_run(tmp_path, ops, graph=_shared_graph(ops, [1, 1, 64, 64])))
    f = rules(run_all(opt), "shared_constants")[0]
    assert f.severity == "low" and f.qnn_ops == ("B", "C")
    assert f.evidence["elements"] == 4096 and f.evidence["bytes"] == 4096
    assert f.ops == (0, 1)
    f2 = rules(run_all(opt, expected={"B": [], "C": []}), "shared_constants")[0]
    assert f2.severity == "high" and "false dependency" in f2.title
    assert f2.evidence["independent in the expected graph"] == "B / C"
    f3 = rules(run_all(opt, expected={"B": [], "C": ["B"]}), "shared_constants")[0]
    assert f3.severity == "info"


def test_shared_shape_constants_are_ignored(tmp_path: Path) -> None:
    ops = [hmx("B", 0, 1000), hmx("C", 0, 1000, kernel="q::Other")]
    opt = load(write_run(tmp_path, ops, graph=_shared_graph(ops, [1, 1, 1, 2])))
    assert rules(run_all(opt), "shared_constants") == []
    opt = load(write_run(tmp_path / "zero", ops, graph=_shared_graph(ops, [0, 0, 0, 0])))
    assert rules(run_all(opt), "shared_constants") == []


# --- DSP heap -------------------------------------------------------------------------------------


def test_dsp_heap_reports_delta(tmp_path: Path) -> None:
    heap = "DSP:before_context_created, 1843200\nDSP:after_context_freed, 1851392\n"
    opt = load(write_run(tmp_path, [hmx("A", 0, 1000)], heap=heap))
    assert opt.heap is not None
    f = rules(run_all(opt), "dsp_heap")[0]
    assert f.evidence["delta (bytes)"] == 8192 and f.severity == "low"


def test_dsp_heap_absent_reports_nothing(tmp_path: Path) -> None:
    opt = load(write_run(tmp_path, [hmx("A", 0, 1000)]))
    assert rules(run_all(opt), "dsp_heap") == []


# --- ordering, config, CLI, report ----------------------------------------------------------------


def test_sorted_most_severe_then_impact() -> None:
    fs = [Finding("r", "low", "a", "x.", impact=5), Finding("r", "high", "b", "x.", impact=1),
          Finding("r", "low", "c", "x.", impact=50), Finding("r", "info", "d", "x.")]  # fmt: skip
    assert [f.title for f in fnd.sort_findings(fs)] == ["b", "c", "a", "d"]
    assert [f.title for f in fnd.at_least(fnd.sort_findings(fs), "low")] == ["b", "c", "a"]


def test_config_thresholds_apply(tmp_path: Path) -> None:
    opt = load(write_run(tmp_path, [hmx("A", 0, 400), hmx("B", 700, 300)]))
    assert rules(run_all(opt, FindingsConfig(idle_share=0.5)), "idle_bubbles") == []


def test_rules_import_no_ui() -> None:
    src = (ROOT / "src" / "htptui" / "analysis" / "findings.py").read_text()
    assert "textual" not in src and "rich" not in src


def test_cli_findings_exit_codes(tmp_path: Path) -> None:
    from htptui.cli import main

    runner = CliRunner()
    res = runner.invoke(main, ["findings", str(CHAIN8)])
    assert res.exit_code == 0 and "Boundary tax" in res.output
    res = runner.invoke(
        main, ["findings", str(CHAIN8), "--format", "json", "--min-severity", "high"]
    )
    doc = json.loads(res.output)
    assert res.exit_code == 0 and {i["severity"] for i in doc["items"]} == {"high"}
    res = runner.invoke(main, ["findings", str(CHAIN8), "--format", "md"])
    assert res.exit_code == 0 and "### 1. [HIGH]" in res.output
    res = runner.invoke(main, ["findings", str(tmp_path / "missing")])
    assert res.exit_code == 1
    quiet = write_run(tmp_path / "quiet", [hmx("A", 0, 1000)], runtrace_ghz=[1.9, 1.9])
    res = runner.invoke(main, ["findings", str(quiet)])
    assert res.exit_code == 0 and "no rule fired" in res.output


def test_report_section_all_formats() -> None:
    from htptui.output.document import build_report
    from htptui.output.json import to_json_bytes
    from htptui.output.report import render

    doc = build_report(load_run(CHAIN8), top=5, options={})
    assert doc["findings"]["count"] == len(run_all(load_run(CHAIN8)))
    assert "Findings: 9" in render(doc, "text")
    assert "### 1. [HIGH]" in render(doc, "md")
    assert json.loads(to_json_bytes(doc))["findings"]["items"][0]["rule"] == "boundary_tax"


# --- the real chain8 sample: every number checked against its files -------------------------------

BOUNDARY_RE = re.compile(r"spill|fill|concat|forceformat|flat_from_vtcm", re.I)


@pytest.fixture(scope="module")
def chain8() -> tuple[list[Finding], dict]:
    """Findings on chain8, and its QHAS, profile.txt and runtrace read with json/re only."""
    qhas = json.loads((CHAIN8 / "chrometrace_qnn_htp_analysis_summary.json").read_text())["data"]
    rt = json.loads((CHAIN8 / "chrometrace_runtrace.json").read_text())["traceEvents"]
    prof = (CHAIN8 / "profile.txt").read_text()
    graph = json.loads((CHAIN8 / "chrometrace_htp.json").read_text())["graph"]
    raw = {"qhas": qhas, "runtrace": rt, "profile": prof, "graph": graph}
    return run_all(load_run(CHAIN8)), raw


def _insts(raw: dict) -> list[dict]:
    return raw["qhas"]["htp_op_instances"]["data"]


def _wall(raw: dict) -> int:
    return raw["qhas"]["htp_overall_summary"]["data"][0]["timeline_cycles"]


def _union(iv: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(iv):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int:
    return sum(max(0, min(e1, e2) - max(s1, s2)) for s1, e1 in _union(a) for s2, e2 in _union(b))


def _span(r: dict) -> tuple[int, int]:
    return r["start_cycle"], r["start_cycle"] + r["cycles"]


def _hvx_tids(raw: dict) -> set[int]:
    res = raw["qhas"]["htp_overall_summary"]["data"][0]["htp_resources"]["data"]
    return {r["tid"] for r in res if r["type"] == "HVX"}


def test_chain8_finding_set(chain8: tuple[list[Finding], dict]) -> None:
    found, raw = chain8
    assert [(f.severity, f.rule) for f in found] == [
        ("high", "boundary_tax"),
        ("high", "unit_bound"),
        ("medium", "serialisation"),
        ("medium", "serialisation"),
        ("low", "memory_bound"),
        ("low", "packet_efficiency"),
        ("low", "packet_efficiency"),
        ("low", "packet_efficiency"),
        ("low", "clock_traps"),
    ]
    # the rules that stay silent, checked against the files: idle 2.73 % < 5 %, wall/compute < 2,
    # only shape/scalar constants shared, no heap profile
    assert raw["qhas"]["htp_overall_summary"]["data"][0]["percent_idle"] < 5.0
    qnn_acc = float(re.search(r"QNN accelerator \(execute\) time : (\d+)", raw["profile"])[1])
    acc = float(re.search(r"\nAccelerator \(execute\) time : (\d+)", raw["profile"])[1])
    assert qnn_acc / acc < 2.0
    users: dict[str, set[str]] = {}
    for node in raw["graph"]["nodes"].values():
        for t in node["input_names"]:
            users.setdefault(t, set()).add(node["grouping"])
    shared = [
        k
        for k, t in raw["graph"]["tensors"].items()
        if t["type"] == 4 and len(users.get(k, ())) > 1
    ]
    for k in shared:
        dims = raw["graph"]["tensors"][k]["dims"]
        n = 1
        for d in dims:
            n *= d
        assert 0 in dims or n <= 16
    assert not list(CHAIN8.glob("*heap*"))


def test_chain8_boundary_tax_numbers(chain8: tuple[list[Finding], dict]) -> None:
    found, raw = chain8
    f = rules(found, "boundary_tax")[0]
    wall = _wall(raw)
    bnd = [r for r in _insts(raw) if BOUNDARY_RE.search(r["htp_op"])]
    waits = [r for r in _insts(raw) if r["dma_wait"] and not BOUNDARY_RE.search(r["htp_op"])]
    on_path = sum(r["num_dominant_path_cycles"] for r in bnd + waits)
    busy = sum(r["cycles"] for r in bnd + waits)
    ff = [r for r in bnd if "forceformat" in r["htp_op"].lower()]
    assert len(ff) == len(bnd)  # chain8 has only ForceFormat boundary ops
    assert f.evidence == {
        "core": 0,
        "graph wall (cycles)": wall,
        "on the dominant path (cycles)": on_path,
        "on the dominant path % of wall": round(100 * on_path / wall, 2),
        "busy, work volume summed over lanes (cycles)": busy,
        "busy % of Σ busy": round(100 * busy / sum(r["cycles"] for r in _insts(raw)), 2),
        "ForceFormat ops": len(ff),
        "ForceFormat on path (cycles)": sum(r["num_dominant_path_cycles"] for r in ff),
        "DMA wait ops": len(waits),
        "DMA wait on path (cycles)": sum(r["num_dominant_path_cycles"] for r in waits),
    }
    assert f"{100 * on_path / wall:.2f} % of the wall" in f.title
    assert f.impact == on_path and len(f.ops) == len(bnd) + len(waits)


def test_chain8_unit_bound_numbers(chain8: tuple[list[Finding], dict]) -> None:
    found, raw = chain8
    f = rules(found, "unit_bound")[0]
    m0 = [r for r in _insts(raw) if r["qnn_op"] == "MatMul_0"]
    hv_tids = _hvx_tids(raw)
    by_tid: dict[int, int] = {}
    for r in m0:
        by_tid[r["tid"]] = by_tid.get(r["tid"], 0) + r["cycles"]
    hv_tid, hv = max(((t, c) for t, c in by_tid.items() if t in hv_tids), key=lambda x: x[1])
    hm = max(c for t, c in by_tid.items() if t not in hv_tids)
    wall = _wall(raw)
    assert f.evidence == {
        "QNN op": "MatMul_0",
        "HVX domain (busiest HVX lane, cycles)": hv,
        "busiest HVX lane": f"HVX {hv_tid}",
        "HVX lanes used": sum(1 for t in by_tid if t in hv_tids),
        "HMX thread busy (cycles, incl. DMA on the HMX thread)": hm,
        "HMX compute (uses_hmx ops, cycles)": sum(r["cycles"] for r in m0 if r["hmx"]),
        "HVX ÷ HMX thread busy": round(hv / hm, 2),
        "excess over HMX (cycles)": hv - hm,
        "excess % of wall": round(100 * (hv - hm) / wall, 2),
    }
    assert f"{hv:,} cycles vs HMX thread busy {hm:,} ({hv / hm:.2f}×)" in f.title
    # one name for one figure: the HMX compute of MatMul_0 (4,095) is the serialisation rule's
    # "HMX compute busy union"; its HMX thread busy (8,646) includes the DMA on the HMX thread
    ser = next(x for x in rules(found, "serialisation") if x.qnn_ops == ("MatMul_0",))
    assert (
        ser.evidence["HMX compute busy union (cycles)"]
        == f.evidence["HMX compute (uses_hmx ops, cycles)"]
    )


def test_chain8_serialisation_numbers(chain8: tuple[list[Finding], dict]) -> None:
    found, raw = chain8
    core, per_op = rules(found, "serialisation")
    hv_tids = _hvx_tids(raw)
    wall = _wall(raw)
    hv = [_span(r) for r in _insts(raw) if r["tid"] in hv_tids]
    hm = [_span(r) for r in _insts(raw) if r["hmx"]]
    uv = sum(e - s for s, e in _union(hv))
    um = sum(e - s for s, e in _union(hm))
    ov = _overlap(hv, hm)
    hide = min(uv, um) - ov
    assert core.evidence == {
        "core": 0,
        "graph wall (cycles)": wall,
        "HVX busy union (cycles)": uv,
        "HMX compute busy union (cycles)": um,
        "HVX∥HMX overlap (cycles)": ov,
        "overlap % of the smaller unit": round(100 * ov / min(uv, um), 2),
        "hideable cycles (smaller unit − overlap)": hide,
        "hideable % of wall": round(100 * hide / wall, 2),
    }
    assert ov == 0 and "0.00 % overlap" in core.title
    m0 = [r for r in _insts(raw) if r["qnn_op"] == "MatMul_0"]
    hv0 = [_span(r) for r in m0 if r["tid"] in hv_tids]
    hm0 = [_span(r) for r in m0 if r["hmx"]]
    uv0, um0 = sum(e - s for s, e in _union(hv0)), sum(e - s for s, e in _union(hm0))
    gap = min(s for s, _ in hm0) - max(e for _, e in hv0)
    assert per_op.evidence == {
        "QNN op": "MatMul_0",
        "HVX busy union (cycles)": uv0,
        "HMX compute busy union (cycles)": um0,
        "overlap (cycles)": _overlap(hv0, hm0),
        "overlap % of the smaller unit": 0.0,
        "gap between them (cycles)": gap,
        "hideable cycles": min(uv0, um0),
        "hideable % of wall": round(100 * min(uv0, um0) / wall, 2),
    }
    assert f"gap {gap:,} cycles" in per_op.title


def test_chain8_memory_numbers(chain8: tuple[list[Finding], dict]) -> None:
    found, raw = chain8
    f = rules(found, "memory_bound")[0]
    wall = _wall(raw)
    per: dict[str, list[int]] = {}
    for r in _insts(raw):
        acc = per.setdefault(r["qnn_op"], [0, 0, 0, 0])
        acc[0] += r["dram_read"] + r["dram_write"]
        acc[1] += r["vtcm_read"] + r["vtcm_write"]
        if not (r["dma_set"] or r["dma_wait"] or r["sync"]):
            acc[2] += r["cycles"]
        acc[3] += r["num_dominant_path_cycles"]
    judged = {k: v for k, v in per.items() if v[2] >= 100}
    mem = {k: v for k, v in judged.items() if v[0] / v[2] >= 16 or v[1] / v[2] >= 256}
    dpc = sum(v[3] for v in mem.values())
    expected: dict = {
        "memory-bound QNN ops": len(mem),
        "compute-bound QNN ops": len(judged) - len(mem),
        "DRAM threshold (bytes/cycle)": 16.0,
        "VTCM threshold (bytes/cycle)": 256.0,
        "their Σ DPC (cycles)": dpc,
        "their Σ DPC % of wall": round(100 * dpc / wall, 2),
    }
    for k, v in sorted(mem.items(), key=lambda kv: -kv[1][0] / kv[1][2]):
        expected[f"{k} DRAM bytes/cycle"] = round(v[0] / v[2], 2)
        expected[f"{k} VTCM bytes/cycle"] = round(v[1] / v[2], 2)
    assert f.evidence == expected
    assert set(f.qnn_ops) == set(mem) and f.title.startswith(f"{len(mem)} of {len(judged)} QNN ops")


def test_chain8_packet_numbers(chain8: tuple[list[Finding], dict]) -> None:
    found, raw = chain8
    work = [r for r in _insts(raw) if not (r["dma_set"] or r["dma_wait"] or r["sync"])]
    work = [r for r in work if r["cycles_per_packet"] > 0]
    by_kernel: dict[str, list[float]] = {}
    for r in work:
        by_kernel.setdefault(r["htp_op"], []).append(r["cycles_per_packet"])
    flagged = []
    for r in work:
        vals = by_kernel[r["htp_op"]]
        if len(vals) >= 3 and r["cycles"] >= 200:
            med = statistics.median(vals)
            if r["cycles_per_packet"] >= 3 * med:
                flagged.append((r, med, len(vals)))
    got = rules(found, "packet_efficiency")
    assert len(got) == len(flagged)
    expect = {(r["htp_op"], r["qnn_op"]): (r, med, n) for r, med, n in flagged}
    for f in got:
        r, med, n = expect[(f.evidence["kernel"], f.evidence["QNN op"])]
        cpp = r["cycles_per_packet"]
        ev = f.evidence
        assert ev["lane"] == f"HMX {r['tid']}"
        assert ev["cycles per packet"] == pytest.approx(cpp, abs=0.006)
        assert ev["reference median cycles per packet"] == pytest.approx(med, abs=0.006)
        assert ev["reference"] == f"median of {n} {r['htp_op']} instances"
        assert ev["ratio"] == pytest.approx(cpp / med, abs=0.006)
        assert ev["cycles"] == r["cycles"]
        assert ev["excess cycles at the median rate"] == pytest.approx(
            r["cycles"] * (1 - med / cpp), abs=1
        )
        assert f"{cpp:.2f} cycles/packet, {cpp / med:.2f}×" in f.title


def test_chain8_cold_clock_numbers(chain8: tuple[list[Finding], dict]) -> None:
    found, raw = chain8
    f = rules(found, "clock_traps")[0]
    ge = [
        e["args"]["summary_htp_frequency_ghz"]
        for e in raw["runtrace"]
        if e["name"] == "Graph Execute"
    ]
    n = sum(1 for e in raw["runtrace"] if e["name"] == "QNN DSP Execute")
    assert n == len(re.findall(r"^Execute Stat \d+", raw["profile"], re.M))
    warm = statistics.median(ge[1:])
    assert f.evidence["executes"] == n
    assert f.evidence["trace execute Graph Execute GHz"] == pytest.approx(ge[0], abs=0.0006)
    assert f.evidence["warm Graph Execute GHz (median)"] == pytest.approx(warm, abs=0.0006)
    assert f.evidence["warm ÷ cold clock"] == pytest.approx(warm / ge[0], abs=0.006)
    assert f"{ge[0]:.2f} GHz against {warm:.2f} GHz warm" in f.title


def test_shared_check_delegation_matches_basic_check(tmp_path: Path) -> None:
    ops = [hmx("B", 0, 1000), hmx("C", 0, 1000, kernel="q::Other")]
    for k, dims in enumerate(([1, 1, 64, 64], [1, 1, 1, 2], [0, 0, 0, 0])):
        opt = load(write_run(tmp_path / str(k), ops, graph=_shared_graph(ops, dims)))
        assert opt.graph is not None
        basic = fnd._shared_static_tensors_basic(opt.graph, FindingsConfig())
        assert fnd.shared_static_tensors(opt) == basic
        assert len(basic) == (1 if k == 0 else 0)
    chain8 = load_run(CHAIN8)
    assert fnd.shared_static_tensors(chain8) == []
