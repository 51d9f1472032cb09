"""The figures htptui derives from a real chrometrace equal the SDK's own QHAS and profile.txt values.

Reported values are read here straight from the SDK's files with the stdlib (not through htptui's
loaders), so these tests hold for any real optrace directory, not just chain8.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from htptui.analysis import checks, summary
from htptui.model.run import load_run
from tests.conftest import REAL_SAMPLE, real_dirs


def _qhas_raw(d: Path) -> dict:
    return json.loads(next(d.glob("*_qnn_htp_analysis_summary.json")).read_text())


def _profile_stat1_cycles(d: Path) -> int:
    text = (d / "profile.txt").read_text()
    block = text.split("Execute Stat 1", 1)[1].split("Execute Stat 2", 1)[0]
    return int(re.search(r"Accelerator \(execute\) time \(cycles\) : (\d+)", block).group(1))


@pytest.fixture(scope="module", params=real_dirs(), ids=lambda p: p.name)
def real(request: pytest.FixtureRequest):
    return request.param, load_run(request.param)


def test_graph_wall_equals_qhas_timeline_cycles(real) -> None:
    d, opt = real
    ov = _qhas_raw(d)["data"]["htp_overall_summary"]["data"][0]
    assert summary.core_summary(opt.trace, 0).wall == ov["timeline_cycles"]


def test_lane_busy_equals_qhas_cycles_used(real) -> None:
    d, opt = real
    ov = _qhas_raw(d)["data"]["htp_overall_summary"]["data"][0]
    cs = summary.core_summary(opt.trace, 0)
    busy = {(ls.lane.unit, ls.lane.tid): (ls.busy, ls.utilization) for ls in cs.lanes}
    for res in ov["htp_resources"]["data"]:
        got_busy, got_util = busy[(res["type"], res["tid"])]
        assert got_busy == res["cycles_used"]
        assert got_util == pytest.approx(res["utilization"], abs=1e-9)
    assert len(busy) == len(ov["htp_resources"]["data"])


def test_idle_and_dpc_equal_dominant_path(real) -> None:
    d, opt = real
    raw = _qhas_raw(d)
    path = raw["data"]["dominant_path_htp_0"]["data"]
    idle = sum(r["dp_cycles"] for r in path if r["htp_op"] == "Accumulated Idle")
    on_path = sum(r["dp_cycles"] for r in path if r["htp_op"] != "Accumulated Idle")
    cs = summary.core_summary(opt.trace, 0)
    assert cs.idle == idle
    assert cs.dpc_sum == on_path
    assert cs.idle_pct == pytest.approx(
        raw["data"]["htp_overall_summary"]["data"][0]["percent_idle"], abs=1e-9
    )


def test_executed_instances_equal_htp_nodes(real) -> None:
    d, opt = real
    ov = _qhas_raw(d)["data"]["htp_overall_summary"]["data"][0]
    assert len(opt.trace) == ov["htp_nodes"]
    assert len(opt.trace) == len(_qhas_raw(d)["data"]["htp_op_instances"]["data"])


def test_profile_accelerator_cycles_is_summed_busy_not_wall(real) -> None:
    d, opt = real
    if not (d / "profile.txt").exists():
        pytest.skip("no profile.txt")
    reported = _profile_stat1_cycles(d)
    assert checks.accelerator_cycles(opt) == reported
    assert opt.profile.first_execute.accelerator_cycles == reported
    # it is a busy sum over lanes, so it exceeds the wall whenever lanes overlap or SystemService is small
    assert reported != summary.core_summary(opt.trace, 0).wall


def test_every_cross_check_agrees(real) -> None:
    _, opt = real
    results = checks.cross_checks(opt)
    assert len(results) > 20
    bad = [c for c in results if not c.ok]
    assert not bad, bad


def test_domain_is_max_lane_not_sum(real) -> None:
    _, opt = real
    cs = summary.core_summary(opt.trace, 0)
    assert cs.domain_cycles == max(ls.busy for ls in cs.lanes)
    assert cs.domain_cycles < cs.busy_sum


def test_chain8_headline_numbers() -> None:
    """The figures the issue names for the bundled chain8 sample."""
    opt = load_run(REAL_SAMPLE)
    cs = summary.core_summary(opt.trace, 0)
    assert cs.wall == 64829
    lanes = {ls.lane.label: ls for ls in cs.lanes}
    assert lanes["HMX 256"].busy == 38764
    assert round(lanes["HMX 256"].utilization, 2) == 59.79
    assert lanes["HVX 512"].busy == 24061
    assert lanes["HVX 514"].busy == 5801
    assert cs.idle == 1773
    assert round(cs.idle_pct, 2) == 2.73
    assert cs.dpc_sum == 63056
    assert cs.executed_ops == 45
    assert checks.accelerator_cycles(opt) == 68365
    assert cs.domain_unit == "HMX" and cs.domain_cycles == 38764
    # trap 20: the HMX thread also carries the DMA ops (v2.45): two named figures
    assert cs.hmx_thread_busy == 38764 and cs.hmx_compute == 12312 and cs.dma_on_hmx_thread
    results = checks.cross_checks(opt)
    assert len(results) == 61 and all(c.ok for c in results)  # incl. per-QNN-op/kernel DPC
    assert cs.hvx_hmx_overlap == 0  # the ForceFormat on HVX ran serially with the HMX matmuls
    assert opt.trace.duplicate_events == 45
    assert opt.trace.non_executed.ts.size == 22
    assert opt.trace.rebase == 7997466066654


def test_ids_join_trace_graph_qhas_profile() -> None:
    opt = load_run(REAL_SAMPLE)
    t = opt.trace
    i = next(
        k
        for k in range(len(t))
        if t.qnn_op_name(k) == "MatMul_0" and t.kernel_name(k) == "q::ConvLayer_s1.opt"
    )
    assert t.op_id_str(i) == "0x000011ed00000012"
    assert opt.qhas_instance(i).op_id == int(t.op_id[i])  # QHAS writes it as 0x11ed00000012
    assert opt.graph_node(i).grouping == "MatMul_0"
    assert opt.qnn_op_id("MatMul_0") == 18
    assert opt.profile.first_execute.op(18).name == "MatMul_0"
    assert t.event_args(i)["Dims"] == [1, 8, 32, 256]
