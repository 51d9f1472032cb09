"""Writing the runtrace and ``profile.txt`` of a synthetic run."""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING

import numpy as np

from htptui.synth.emit_trace import _thread_line
from htptui.synth.model import _g, _js
from htptui.synth.schedule import _phase_ticks, _phase_us
from htptui.synth.spec import _TRACE_HEADER, TICKS_PER_US

if TYPE_CHECKING:
    from htptui.synth.model import _Model


def _runtrace_text(model: _Model) -> str:
    """Serialise ``<stem>_runtrace.json`` (4 X events + 2 metadata per execute)."""
    g = model.spec.graph_name
    t0 = model.execs[0].phases[0][1]
    lines = []
    for ex in model.execs:
        for name, s, e, sc, ec in ex.phases:
            us = (e - s) / TICKS_PER_US
            us_p = float(_g(us))
            lines.append(
                f'{{ "name": "{name}", "ph": "X", "tid": 0, "pid": 0, "ts": {s - t0}, "dur": {e - s}, '
                f'"args": {{"graph_name": {_js(g)}, "stat_start_ticks": {s}, "stat_end_ticks": {e}, '
                f'"stat_start_cycles": {sc}, "stat_end_cycles": {ec}, '
                f'"summary_htp_frequency_ghz": {_g((ec - sc) / us / 1000)}, '
                f'"summary_inf/s": {_g(1e6 / us_p)}, "summary_time_us": {_g(us)}}} }}'
            )
        lines.append(_thread_line(0, 0, "Core 0 Execs"))
        lines.append(
            f'{{ "cat": "__metadata", "pid": 0, "ph": "M", "name": "process_name", '
            f'"args": {{"name": {_js(g + " Runtraces")}}}}}'
        )
    return _TRACE_HEADER % "RUN_TRACE" + ",\n".join(lines) + "\n]}\n"


def _profile_text(model: _Model) -> str:
    """Serialise a detailed-format ``profile.txt`` (only Execute Stat 1 matches the trace)."""
    spec = model.spec
    rng = np.random.default_rng(spec.seed + 7919)

    def r(lo: int, hi: int) -> int:
        """Draw an integer in [lo, hi]."""
        return int(rng.integers(lo, hi + 1))

    per_op = {q.opid: 0 for q in model.qnns}
    for op in model.ops:
        per_op[op.qnn.opid] += op.dur
    v = spec.sdk_version
    epoch = 1_780_423_295_833_671 + spec.seed * 86_400_000_000
    tm = time.gmtime(epoch // 1_000_000)
    created = time.strftime("%a %b ", tm) + f"{tm.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", tm)
    load = r(8000, 12000)
    out = io.StringIO()
    w = out.write
    w(
        f"Input Log File Location: device_out/{spec.name}/qnn-profiling-data_0.log\n"
        f"Log File Created: {created}\nTime Scale: 1e-06\n"
        f"Epoch Timestamp: {epoch} Steady Clock Timestamp: {1_615_942_927_823 + spec.seed * 1000}\n"
        f"Generated using: \nqnn-profile-viewer: {v}\nqnn-net-run: {v}\nBackend: {v}\n\n"
        "Qnn Init/Prepare/Finalize/De-Init/Execute/Lib-Load Statistics:\n"
        "------------------------------------------------------------\n"
        "Init Stats:\n-----------\n"
        f"    NetRun: {load * 2 + 900} us\n"
        f"    Backend (RPC (load binary) time): {load} us\n"
        f"    Backend (QNN accelerator (load binary) time): {load - 275} us\n"
        f"    Backend (Accelerator (load binary) time): {load - 579} us\n"
        f"    Backend (QNN (load binary) time): {load * 2 + 883} us\n\n"
        "Compose Graphs Stats:\n--------------\n    NetRun: 0 us\n\n"
        "De-Init Stats:\n--------------\n"
        "    NetRun: 3449 us\n    Backend (RPC (deinit) time): 910 us\n"
        "    Backend (QNN Accelerator (deinit) time): 796 us\n"
        "    Backend (Accelerator (deinit) time): 775 us\n"
        "    Backend (QNN (deinit) time): 3441 us\n\n\n"
        "Printing All Data Received From Back End\n\n"
        "Create From Binary Stats:\n"
        f"RPC (load binary) time : {load}  us\n"
        f"QNN accelerator (load binary) time : {load - 275}  us\n"
        f"Accelerator (load binary) time : {load - 579}  us\n"
        f"QNN (load binary) time : {load * 2 + 883}  us\n\n\n"
        "Execute Stats: \n"
    )
    for k, ex in enumerate(model.execs):
        dsp = _phase_us(ex, "QNN DSP Execute")
        ge = _phase_us(ex, "Graph Execute")
        accel = int(dsp) + (r(20, 60) if k == 0 else r(2, 6))
        qnn_accel = accel + (r(300, 500) if k == 0 else r(90, 120))
        rpc = qnn_accel + r(2000, 2500)
        vals = []
        for name, opid, reshape in model.profile_ids:
            if reshape:
                val = 0
            elif k == 0:
                val = per_op.get(opid, 0)
            else:
                val = int(per_op.get(opid, 0) * float(rng.uniform(0.4, 1.4)))
            vals.append((name, opid, val))
        w(f"\nExecute Stat {k + 1}\n\n")
        w(f"Number of HVX threads used : {spec.hvx_lanes}  count\n")
        w(f"RPC (execute) time : {rpc}  us\n")
        w(f"QNN accelerator (execute) time : {qnn_accel}  us\n")
        w("Num times yield occured : 0  count\n")
        w(f"Time for initial VTCM acquire : {_phase_ticks(ex, 'VTCM Acquire')}  us\n")
        w(
            f"Time for HVX + HMX power on and acquire : {_phase_ticks(ex, 'Resource Power On')}  us\n"
        )
        w(f"Accelerator (execute) time (cycles) : {sum(x for _n, _o, x in vals)}  cycles\n")
        for name, opid, val in vals:
            label = f"{name} OpId_{opid}" if name in ("Input", "Output") else f"{name}:OpId_{opid}"
            w(f"    {label} (cycles) : {val}  cycles\n")
        w(f"Accelerator (execute) time : {accel}  us\n")
        w(f"Accelerator (execute excluding wait) time : {int(ge)}  us\n")
        w("Unknown event type :   object\n")
        w(f"QNN (execute) time : {rpc + r(100, 140)}  us\n")
    return out.getvalue()
