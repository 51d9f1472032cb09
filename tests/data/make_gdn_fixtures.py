"""Write the GdnSolve dedup fixtures (run once; the output is committed).

Two chains ``GdnSolveDiag_i -> GdnMergeHmx_i`` designed independent (expected.dag), joined by a
Concat. In ``gdn_shared_const/`` QNN has de-duplicated the two all-zero scratch constants into one
STATIC tensor consumed by both GdnMergeHmx ops, and the merges ran serially (0 % overlap); in
``gdn_distinct_const/`` each merge has its own scratch and the merges overlap. Files follow the
real v2.45 layout (``chrometrace.json`` + ``chrometrace_htp.json``).

Usage: python tests/data/make_gdn_fixtures.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BASE = 7_997_466_066_654  # Start Cycle - ts, as in the real sample
HDR_TRACE = {"header_version": {"major": 1, "minor": 0, "patch": 0},
             "version": {"major": 1, "minor": 1, "patch": 0}, "artifact_type": "OP_TRACE"}  # fmt: skip
HDR_GRAPH = {"header_version": {"major": 1, "minor": 0, "patch": 0},
             "version": {"major": 1, "minor": 0, "patch": 0}, "artifact_type": "HTP_GRAPH"}  # fmt: skip

# QNN ops: name -> (QNN op type, QNN op id)
OPS = {
    "Input": ("Input", 0x2),
    "Output": ("Output", 0x3),
    "GdnSolveDiag_0": ("GdnSolveDiag", 0x10),
    "GdnMergeHmx_0": ("GdnMergeHmx", 0x11),
    "GdnSolveDiag_1": ("GdnSolveDiag", 0x12),
    "GdnMergeHmx_1": ("GdnMergeHmx", 0x13),
    "Concat_0": ("Concat", 0x14),
}

QUINT8, UINT8, QINT8, INT32 = 1032, 264, 776, 50
DTYPE_TEXT = {QUINT8: "QUInt8", UINT8: "UInt8", QINT8: "QInt8", INT32: "Int32"}

SHAPE = "0x0000100382d28377"
SCALAR = "0x0000100200000008"
W0, W1 = "0x0000104000000010", "0x0000104100000012"
SCRATCH0, SCRATCH1 = "0x0000104400000011", "0x0000104500000013"
ACT = [1, 8, 64, 64]


def _id(node: int, op: str) -> str:
    return f"0x{node:08x}{OPS[op][1]:08x}"


def build(shared: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (htp graph JSON, chrometrace JSON) for one variant."""
    scratch1 = SCRATCH0 if shared else SCRATCH1
    # HTP nodes: key, kernel, op, inputs, flags, tid, ts, dur, dims
    inp = _id(0x1111, "Input")
    d0, d1 = _id(0x1200, "GdnSolveDiag_0"), _id(0x1201, "GdnSolveDiag_1")
    m0, m1 = _id(0x1210, "GdnMergeHmx_0"), _id(0x1211, "GdnMergeHmx_1")
    cat = _id(0x1220, "Concat_0")
    ff = _id(0x1230, "Output")
    m1_ts = 3400 if shared else 2300  # the false dependency serialises the merges
    nodes = [
        (inp, "q::*InputSlice", "Input", [SHAPE, SHAPE], "dma", 256, 22, 900, [1, 1, 512, 64]),
        (d0, "GdnPackage::GdnSolveDiag", "GdnSolveDiag_0", [inp, W0, SCALAR], "uses_hvx", 512, 1000, 1200, ACT),
        (d1, "GdnPackage::GdnSolveDiag", "GdnSolveDiag_1", [inp, W1, SCALAR], "uses_hvx", 513, 1000, 1200, ACT),
        (m0, "GdnPackage::GdnMergeHmx", "GdnMergeHmx_0", [d0, SCRATCH0, SCALAR], "uses_hvx", 512, 2250, 1100, ACT),
        (m1, "GdnPackage::GdnMergeHmx", "GdnMergeHmx_1", [d1, scratch1, SCALAR], "uses_hvx", 513, m1_ts, 1100, ACT),
        (cat, "q::Concat", "Concat_0", [m0, m1], "uses_hvx", 512, m1_ts + 1150, 600, [1, 16, 64, 64]),
        (ff, "q::ForceFormat_Flat", "Output", [cat], "uses_hvx", 512, m1_ts + 1800, 500, [1, 16, 64, 64]),
    ]  # fmt: skip
    tensors: dict[str, dict[str, Any]] = {
        SCALAR: {"type": 4, "data_type": INT32, "dims": [1]},
        SHAPE: {"type": 4, "data_type": INT32, "dims": [0, 0, 0, 0]},
        W0: {"type": 4, "data_type": QINT8, "dims": [1, 1, 64, 64]},
        W1: {"type": 4, "data_type": QINT8, "dims": [1, 1, 64, 64]},
        SCRATCH0: {"type": 4, "data_type": UINT8, "dims": [1, 8, 64, 64]},
    }
    if not shared:
        tensors[SCRATCH1] = {"type": 4, "data_type": UINT8, "dims": [1, 8, 64, 64]}
    for key, _k, _op, _ins, _f, _tid, _ts, _dur, dims in nodes:
        tensors[key] = {"type": 3, "data_type": QUINT8, "dims": dims}
    tensors = {k: {"id": i, **v} for i, (k, v) in enumerate(sorted(tensors.items()))}
    graph_nodes = {}
    for key, kernel, op, ins, flag, _tid, ts, dur, _dims in nodes:
        graph_nodes[key] = {
            "type": kernel,
            "grouping": op,
            "tensor_params": {},
            "scalar_params": {
                "output_step_size": {"562": 0.00787402},
                "output_zero_offset": {"50": 128},
                "output_rank": {"50": 4},
                "qnn_op_type": {"1544": OPS[op][0]},
                "qnn_op_name": {"1544": op},
                "cycles_start": {"100": BASE + ts},
                "cycles_duration": {"100": dur},
                "cycles_dominant": {"100": dur},
                "op_flags": {"1544": flag},
            },
            "input_names": ins,
            "output_names": [key],
        }
    htp = {
        "header": HDR_GRAPH,
        "model.cpp": "htp_graph",
        "graph": {"tensors": tensors, "nodes": graph_nodes},
        "op_types": sorted({n[1] for n in nodes}),
    }
    # chrometrace: every executed op twice (Core Overview pid 0 and its QNN op's pid)
    pids = {op: i + 2 for i, op in enumerate(OPS)}
    events: list[dict[str, Any]] = []
    named: set[tuple[int, int]] = set()
    for key, kernel, op, ins, flag, tid, ts, dur, dims in nodes:
        args = {
            "ID": key, "HTP Op Type": kernel, "Dims": dims, "Data Type": "QUInt8", "Rank": 4,
            "Step Size": 0.00787402, "Zero Offset": 128, "Inputs Ops": ins, "Flags": [flag],
            "Cycles per Packet": 12.5, "QNN Op Type": OPS[op][0], "QNN Op Name": op,
            "Start Cycle": BASE + ts, "Duration (cycles)": dur, "Dominant Path Cycles": dur,
        }  # fmt: skip
        unit = "HMX" if tid == 256 else "HVX"
        for pid in (0, pids[op]):
            events.append({"name": kernel, "ph": "X", "tid": tid, "pid": pid, "ts": ts, "dur": dur,
                           "args": args})  # fmt: skip
            if (pid, tid) not in named:
                named.add((pid, tid))
                tname = f"Type: {unit}" if pid == 0 else f"Core:0 Type: {unit} Tid: {tid}"
                events.append({"cat": "__metadata", "pid": pid, "tid": tid, "ph": "M",
                               "name": "thread_name", "args": {"name": tname}})  # fmt: skip
    for key, ts in ((SCRATCH0, 2240), (scratch1, m1_ts - 10)):
        events.append({"name": "$Const", "ph": "X", "tid": 1, "pid": 0, "ts": ts, "dur": 5,
                       "args": {"ID": key, "HTP Op Type": "$Const", "Dims": [1, 8, 64, 64],
                                "Data Type": "UInt8", "Rank": 4, "Step Size": 0,
                                "Zero Offset": 0}})  # fmt: skip
    events.append({"cat": "__metadata", "pid": 0, "tid": 1, "ph": "M", "name": "thread_name",
                   "args": {"name": "Non Executed Tensors"}})  # fmt: skip
    for op, (_t, opid) in OPS.items():
        events.append({"cat": "__metadata", "pid": pids[op], "ph": "M", "name": "process_name",
                       "args": {"name": f"QNN::{op}", "opid": f"0x{opid:016x}"}})  # fmt: skip
        events.append({"cat": "__metadata", "pid": pids[op], "ph": "M",
                       "name": "process_sort_index", "args": {"sort_index": opid}})  # fmt: skip
    events.append({"cat": "__metadata", "pid": 0, "ph": "M", "name": "process_name",
                   "args": {"name": "Core 0 Overview"}})  # fmt: skip
    events.append({"cat": "__metadata", "pid": 0, "ph": "M", "name": "process_sort_index",
                   "args": {"sort_index": 1}})  # fmt: skip
    return htp, {"header": HDR_TRACE, "traceEvents": events}


EXPECTED = """\
# Designed: two independent GdnSolve chains (one scratch constant each), joined by a Concat.
Input -> GdnSolveDiag_* -> GdnMergeHmx_* -> Concat_0 -> Output
GdnMergeHmx_0 || GdnMergeHmx_1
"""


def _write_trace(path: Path, doc: dict[str, Any]) -> None:
    # like the SDK: header block, then one event per line
    lines = [json.dumps(e) for e in doc["traceEvents"]]
    head = json.dumps({"header": doc["header"]}, indent=2)[:-2]
    path.write_text(head + ',\n"traceEvents": [\n' + ",\n".join(lines) + "\n]}\n")


def main() -> None:
    """Write both fixture directories next to this script."""
    for name, shared in (("gdn_shared_const", True), ("gdn_distinct_const", False)):
        out = HERE / name
        out.mkdir(exist_ok=True)
        htp, trace = build(shared)
        (out / "chrometrace_htp.json").write_text(json.dumps(htp, indent=2) + "\n")
        _write_trace(out / "chrometrace.json", trace)
        (out / "expected.dag").write_text(EXPECTED)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
