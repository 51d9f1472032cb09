"""Writing the QHAS summary, derived from the generated events the way the SDK derives it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from htptui.synth.model import _qid, _tid_type
from htptui.synth.schedule import _phase_us
from htptui.synth.spec import _HEADER_OBJ

if TYPE_CHECKING:
    from htptui.synth.model import _Model, _Op


def _qhas(model: _Model) -> dict[str, Any]:
    """Derive the QHAS summary from the generated events exactly as spec §3.2–3.6 describe."""
    spec = model.spec
    cores = list(range(spec.cores))
    ops = model.ops
    first = model.execs[0]
    time_us = int(_phase_us(first, "QNN DSP Execute"))
    ge_us = int(_phase_us(first, "Graph Execute"))
    dpc_total = {c: sum(op.dpc for op in ops if op.core == c) for c in cores}
    total_cycles = sum(op.dur for op in ops)

    def pct(a: float, b: float) -> float:
        """Return a / b as a percentage (0 when b is 0)."""
        return a / b * 100 if b else 0.0

    def mem(group: list[_Op]) -> dict[str, int]:
        """Sum the four memory counters of a group of ops."""
        return {
            "dram_read": sum(o.mem[0] for o in group),
            "dram_write": sum(o.mem[1] for o in group),
            "vtcm_read": sum(o.mem[2] for o in group),
            "vtcm_write": sum(o.mem[3] for o in group),
        }

    def dp_cols(group: list[_Op]) -> dict[str, Any]:
        """Return the per-core dominant-path columns of a group of ops."""
        out: dict[str, Any] = {}
        for c in cores:
            v = sum(o.dpc for o in group if o.core == c)
            out[f"num_dominant_path_cycles_htp_{c}"] = v
            out[f"percent_dominant_path_cycles_htp_{c}"] = pct(v, dpc_total[c])
        return out

    overall = []
    for c in cores:
        mine = [o for o in ops if o.core == c]
        lo = min(o.start for o in mine)
        hi = max(o.end for o in mine)
        tl = hi - lo
        resources = []
        for tid in sorted({o.tid for o in mine}):
            on = [o for o in mine if o.tid == tid]
            s = min(o.start for o in on)
            e = max(o.end for o in on)
            used = sum(o.dur for o in on)
            resources.append(
                {
                    "type": _tid_type(spec.layout, tid),
                    "tid": tid,
                    "start_cycle": s,
                    "end_cycle": e,
                    "timeline_cycles": e - s,
                    "cycles_used": used,
                    "utilization": pct(used, tl),
                    **mem(on),
                }
            )
        idle = sum(r["dp_cycles"] for r in model.paths[c] if r["htp_op"] == "Accumulated Idle")
        m = mem(mine)
        series = model.vtcm[c]
        overall.append(
            {
                "htp_resources": {"data": resources},
                "htp": c,
                "percent_idle": pct(idle, tl),
                "percent_utilization": 100 - pct(idle, tl),
                "time_us": time_us,
                "graph_execute_us": ge_us,
                "inf_per_s": 1e6 / time_us,
                "timeline_cycles": tl,
                "total_dram_read": m["dram_read"],
                "total_dram_write": m["dram_write"],
                "total_dram": m["dram_read"] + m["dram_write"],
                "peak_vtcm_alloc": max((v for _t, v in series), default=0),
                "total_vtcm_read": m["vtcm_read"],
                "total_vtcm_write": m["vtcm_write"],
                "total_vtcm": m["vtcm_read"] + m["vtcm_write"],
                "unique_qnn_ops": len({o.qnn.type for o in mine}),
                "qnn_nodes": len({o.qnn.opid for o in mine}),
                "unique_htp_ops": len({o.kernel for o in mine}),
                "htp_nodes": len(mine),
            }
        )

    def grouped(key: Any) -> list[tuple[Any, list[_Op]]]:
        """Group ops by a key, largest total cycles first."""
        groups: dict[Any, list[_Op]] = {}
        for o in sorted(ops, key=lambda o: o.start):
            groups.setdefault(key(o), []).append(o)
        return sorted(groups.items(), key=lambda kv: (-sum(o.dur for o in kv[1]), str(kv[0])))

    qnn_types = []
    for t, g in grouped(lambda o: o.qnn.type):
        cyc = sum(o.dur for o in g)
        qnn_types.append(
            {
                "op": t,
                "cycles": cyc,
                "percent_active_cycles": pct(cyc, total_cycles),
                **dp_cols(g),
                "num_htp_ops": len(g),
                **mem(g),
            }
        )
    qnn_nodes = []
    for _name, g in grouped(lambda o: o.qnn.name):
        cyc = sum(o.dur for o in g)
        qnn_nodes.append(
            {
                "qnn_op": g[0].qnn.name,
                "qnn_op_type": g[0].qnn.type,
                "cycles": cyc,
                "percent_active_cycles": pct(cyc, total_cycles),
                **dp_cols(g),
                "num_htp_ops": len(g),
                **mem(g),
            }
        )
    htp_types = []
    for k, g in grouped(lambda o: o.kernel):
        cyc = sum(o.dur for o in g)
        htp_types.append(
            {
                "op": k,
                "cycles": cyc,
                "percent_active_cycles": pct(cyc, total_cycles),
                **dp_cols(g),
                "instances": len(g),
                **mem(g),
                "format_change": k.startswith("q::ForceFormat"),
                "reference_op": False,
            }
        )
    instances = []
    for o in sorted(ops, key=lambda o: (o.start, o.core, o.tid)):
        instances.append(
            {
                "htp": o.core,
                "tid": o.tid,
                "op_id": _qid(o.uid),
                "htp_op": o.kernel,
                "qnn_op": o.qnn.name,
                "qnn_op_type": o.qnn.type,
                "dtype": o.dtype,
                "rank": o.rank,
                "step_size": o.step,
                "zero_offset": o.zero,
                "dims": list(o.dims or []),
                "input_nodes": [_qid(u) for u in o.inputs],
                "start_cycle": o.start,
                "cycles": o.dur,
                "num_dominant_path_cycles": o.dpc,
                "percent_dominant_path_cycles": pct(o.dpc, dpc_total[o.core]),
                "cycles_per_packet": o.cpp,
                "fmt_change": o.kernel.startswith("q::ForceFormat"),
                "ref_op": False,
                "hmx": o.flag == "uses_hmx",
                "hvx": o.flag == "uses_hvx",
                "dma_wait": o.flag == "dma_wait",
                "dma_set": o.flag == "dma_set",
                "dma": o.flag == "dma",
                "sync": o.flag == "sync",
                "dram_read": o.mem[0],
                "dram_write": o.mem[1],
                "vtcm_read": o.mem[2],
                "vtcm_write": o.mem[3],
            }
        )
    data: dict[str, Any] = {
        "htp_overall_summary": {"data": overall},
        "qnn_op_types": {"data": qnn_types},
        "qnn_op_instances_nodes": {"data": qnn_nodes},
        "htp_op_types": {"data": htp_types},
        "htp_op_instances": {"data": instances},
    }
    for c in cores:
        data[f"dominant_path_htp_{c}"] = {"data": model.paths[c]}
    return {
        "header": {
            **_HEADER_OBJ,
            "version": {"major": 1, "minor": 0, "patch": 0},
            "artifact_type": "QHAS",
        },
        "model_id": spec.graph_name,
        "data": data,
    }
