"""Big streaming traces for the benchmarks (``bench/make_traces.py``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from htptui.synth.build import _llm_plan
from htptui.synth.emit_trace import _counter_line, _flow_lines, _proc_lines, _thread_line
from htptui.synth.model import _js
from htptui.synth.spec import (
    _DESC_BIAS,
    _DESC_CONV,
    _DESC_SET,
    _DESC_WAIT,
    _FIRST_TS,
    _PCYCLE_BASE,
    _TRACE_HEADER,
    SynthSpec,
)

_ACT8 = ("QUInt8", "0.00787402", 128)


_BIG_HMX_KERNELS = [
    # (kernel, flag, description or None, dims text or None, (dtype, step, zero))
    ("q::ConvLayer.opt.weights_to_vtcm", "dma", None, "[1,1,256,256]", ("QInt8", "0.00787402", 0)),
    ("q::ConvLayer.opt.bias_to_vtcm", "dma", _DESC_BIAS, "[1,8,1,64]", ("Int32", "1", 0)),
    ("DmaCheckpointSet", "dma_set", _DESC_SET, None, ("", "0", 0)),
    ("q::ConvLayer.opt.weights_to_vtcm", "dma_wait", _DESC_WAIT, None, ("", "0", 0)),
    ("q::ConvLayer_s1.opt", "uses_hmx", _DESC_CONV, "[1,8,32,256]", _ACT8),
    ("q::ConvLayer_s1.opt", "uses_hmx", None, "[1,8,32,256]", _ACT8),
]


_BIG_HMX_P = [0.3, 0.15, 0.1, 0.1, 0.1, 0.25]


_BIG_HVX_KERNELS = [
    ("q::QuantizedAdd_8x8to8", "uses_hvx", None, "[1,2,32,256]", _ACT8),
    ("q::QuantizedSoftmax_8", "uses_hvx", None, "[1,2,32,256]", ("QUInt8", "0.00390625", 0)),
    ("q::QuantizedMul_8x8to8", "uses_hvx", None, "[1,2,32,256]", _ACT8),
    ("q::ForceFormat_Crouton", "uses_hvx", None, "[1,8,32,256]", _ACT8),
]


# Duration range (cycles) per kernel row, HMX-lane rows first.
_BIG_DUR = (
    [(130, 1400), (120, 400), (20, 60), (30, 600), (1100, 4200), (1100, 4200)]
    + [(400, 3200)] * 3
    + [(2000, 9000)]
)


_BIG_QNN = [
    ("FullyConnected", "MatMul"),
    ("Conv2d", "Conv"),
    ("ElementWiseAdd", "Add"),
    ("Softmax", "Softmax"),
]


_BIG_LLM_DMA_KERNELS = _BIG_HMX_KERNELS[:4]
_BIG_LLM_DMA_P = [0.45, 0.2, 0.15, 0.2]
_BIG_LLM_HMX_KERNELS = _BIG_HMX_KERNELS[4:]
_BIG_LLM_HMX_P = [0.3, 0.7]


def _big_llm_qnn(layers: int = 28, heads: int = 16) -> list[tuple[str, str]]:
    """(QNN type, QNN op name) of a 28-layer, 16-head decoder in underscore form, program order."""
    spec = SynthSpec(llm_layers=layers, llm_heads=heads, llm_names="underscore")
    return [(qtype, name) for _u, qtype, name, _k, _s, _n in _llm_plan(spec)]


def write_big_trace(
    path: Path,
    n_events: int,
    seed: int = 0,
    hvx_lanes: int = 4,
    counter_share: float | None = None,
    shape: str = "generic",
) -> dict[str, Any]:
    """Stream a large, realistic op trace with exactly ``n_events`` trace events.

    Mix: about 2/3 duplicated executed X events (pid 0 + per-QNN-op pid, full args), flows,
    non-executed tensors, metadata, and counters (counters absorb the remainder so the count is
    exact).  Ops never overlap on a lane.  No QHAS is written.  ``counter_share`` (e.g. 0.85, the
    share of counter events in real SDK traces) scales the other events down to leave that share.

    ``shape="generic"``: v2.45 layout (tid 256 = HMX carrying the DMA ops), four QNN op types.
    ``shape="llm"``: the v2.47 layout (tid 256 = DMA, HVX 512…, tid 768 = HMX) and the QNN ops of a
    28-layer, 16-head Qwen3/Llama-like decoder (``_model_layers_17_self_attn_q_proj_3`` …), each
    QNN op spread over many HTP ops; the HVX ops of every ``RoPE`` op are in the real tiled form
    (§1.4b): one ID per group of concurrent tiles, the group's ``Duration (cycles)`` and ``Dominant
    Path Cycles`` copied onto every tile.
    """
    if n_events < 1000:
        raise ValueError("n_events must be at least 1000")
    if shape not in ("generic", "llm"):
        raise ValueError(f"shape must be 'generic' or 'llm', not {shape!r}")
    llm = shape == "llm"
    t_start = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    # lanes: generic = [HMX(+DMA) 256, HVX...]; llm = [DMA 256, HMX 768, HVX...]
    n_fixed = 2 if llm else 1
    n_lanes = hvx_lanes + n_fixed
    fixed_tids = [256, 768] if llm else [256]
    tids = np.array(fixed_tids + [512 + j for j in range(hvx_lanes)], dtype=np.int64)
    units = (["DMA", "HMX"] if llm else ["HMX"]) + ["HVX"] * hvx_lanes

    scale = 1.0
    if counter_share is not None:
        if not 0.0 <= counter_share < 1.0:
            raise ValueError("counter_share must be in [0, 1)")
        # the default mix leaves ~15 % counters; metadata adds ~3 % of the ops' share
        scale = (1.0 - counter_share) / 0.85
    n_ops = int(n_events * 0.32 * scale)
    qnn_list = _big_llm_qnn() if llm else None
    per_q = max(24, -(-n_ops // len(qnn_list))) if qnn_list is not None else 24
    n_q = -(-n_ops // per_q)
    n_tens = int(n_events * 0.02 * scale)
    n_io = int(n_events * 0.045 * scale)
    n_seq = int(n_events * 0.005 * scale)

    # ---- ops: QNN op, lane, kernel, duration; placed with a barrier per QNN op -----------------
    q = np.repeat(np.arange(n_q, dtype=np.int64), per_q)[:n_ops]
    if llm:
        u = rng.random(n_ops)
        lane = np.where(u < 0.25, 0, np.where(u < 0.45, 1, rng.integers(n_fixed, n_lanes, n_ops)))
    else:
        lane = np.where(rng.random(n_ops) < 0.4, 0, rng.integers(1, n_lanes, n_ops))
    order = np.lexsort((lane, q))
    q, lane = q[order], lane[order]
    if llm:
        # kernel rows: DMA kinds, HMX kinds, then the HVX kinds; _BIG_DUR is indexed the same way
        kernels = _BIG_LLM_DMA_KERNELS + _BIG_LLM_HMX_KERNELS + _BIG_HVX_KERNELS
        kind = np.where(
            lane == 0,
            rng.choice(4, n_ops, p=_BIG_LLM_DMA_P),
            np.where(
                lane == 1,
                4 + rng.choice(2, n_ops, p=_BIG_LLM_HMX_P),
                len(_BIG_HMX_KERNELS) + rng.integers(0, len(_BIG_HVX_KERNELS), n_ops),
            ),
        )
    else:
        kernels = _BIG_HMX_KERNELS + _BIG_HVX_KERNELS
        kind = np.where(
            lane == 0,
            rng.choice(len(_BIG_HMX_KERNELS), n_ops, p=_BIG_HMX_P),
            len(_BIG_HMX_KERNELS) + rng.integers(0, len(_BIG_HVX_KERNELS), n_ops),
        )
    lo = np.array([d[0] for d in _BIG_DUR], dtype=np.int64)[kind]
    hi = np.array([d[1] for d in _BIG_DUR], dtype=np.int64)[kind]
    dur = lo + (rng.random(n_ops) * (hi - lo)).astype(np.int64)
    gap = rng.integers(13, 61, n_ops).astype(np.int64)
    span = gap + dur
    key = q * n_lanes + lane
    cs = np.cumsum(span)
    grp_first = np.ones(n_ops, dtype=bool)
    grp_first[1:] = key[1:] != key[:-1]
    grp_start_idx = np.maximum.accumulate(np.where(grp_first, np.arange(n_ops), 0))
    before = cs[grp_start_idx] - span[grp_start_idx]
    within = cs - span - before
    tot = np.bincount(key, weights=span, minlength=n_q * n_lanes).reshape(n_q, n_lanes).max(axis=1)
    block = np.concatenate([[0], np.cumsum(tot.astype(np.int64) + 40)])[:-1]
    ts = _FIRST_TS + block[q] + within + gap
    end = ts + dur
    base = _PCYCLE_BASE + seed * 1_000_003_117 - _FIRST_TS
    dpc = np.where(rng.random(n_ops) < 0.35, dur, np.where(rng.random(n_ops) < 0.2, dur // 3, 0))
    cpp = dur / rng.integers(1, 120, n_ops)
    his = 0x1100 + np.arange(n_ops, dtype=np.int64)
    opid = 0x12 + 4 * q
    ev_dur = dur.copy()
    if qnn_list is not None:
        # tiled RoPE ops: the k-th op of every HVX lane in one QNN op is one tile of one HTP op
        rope = np.array([t == "RoPE" for t, _n in qnn_list], dtype=bool)[q % len(qnn_list)]
        tiled = rope & (lane >= n_fixed)
        k_in_lane = np.arange(n_ops) - grp_start_idx
        gkey = np.where(tiled, q * per_q + k_in_lane, -1 - np.arange(n_ops))
        _u, first_of, inv = np.unique(gkey, return_index=True, return_inverse=True)
        his = 0x1100 + inv.astype(np.int64)
        ev_dur = np.where(tiled, dur[first_of[inv]], dur)
        dpc = np.where(tiled, dpc[first_of[inv]], dpc)
    uids = (his << 32) | opid
    pid_of_q = q + 2

    heads = []
    for kname, flag, desc, dims, (dtype, step, zero) in kernels:
        head = f'"HTP Op Type": "{kname}",'
        if desc:
            head += f'"Description": {_js(desc)},'
        if dims:
            head += f'"Dims": {dims},'
        rank = 4 if dims else 0
        head += f'"Data Type": "{dtype}","Rank": {rank},"Step Size": {step},"Zero Offset": {zero},'
        heads.append((kname, flag, head))
    qtypes = [(t, b) for t, b in _BIG_QNN]

    def qnn_of(qi: int) -> tuple[str, str]:
        """(QNN type, QNN op name) of QNN op ``qi``."""
        if qnn_list is not None:
            t, nm = qnn_list[qi % len(qnn_list)]
            rep = qi // len(qnn_list)
            return t, nm if rep == 0 else f"{nm}_{rep}"
        t, b = qtypes[qi % len(qtypes)]
        return t, f"{b}_{qi}"

    # ---- event budget --------------------------------------------------------------------------
    pid_lane_first = np.ones(n_ops, dtype=bool)
    pid_lane_first[1:] = key[1:] != key[:-1]
    lane_first = np.zeros(n_ops, dtype=bool)
    for li in range(n_lanes):
        hit = np.flatnonzero(lane == li)
        if hit.size:
            lane_first[hit[0]] = True
    n_meta = int(pid_lane_first.sum()) + int(lane_first.sum()) + 2 * n_q + 2 + (1 if n_tens else 0)
    n_counters = n_events - (2 * n_ops + n_meta + n_tens + 2 * (n_tens + n_io + n_seq))
    if n_counters < 0:
        raise ValueError("n_events too small for the event mix")

    written = 0
    t_list = ts.tolist()
    d_list = dur.tolist()
    ed_list = ev_dur.tolist()
    e_list = end.tolist()
    tid_list = tids[lane].tolist()
    lane_list = lane.tolist()
    pid_list = pid_of_q.tolist()
    hex_ids = [f"0x{u:016x}" for u in uids.tolist()]
    dpc_list = dpc.tolist()
    cpp_list = [f"{x:g}" for x in cpp.tolist()]
    kind_list = kind.tolist()
    q_list = q.tolist()
    plf = pid_lane_first.tolist()
    lf = lane_first.tolist()
    n_inputs = rng.integers(0, 4, n_ops).tolist()
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(_TRACE_HEADER % "OP_TRACE")
        first_line = [True]

        def flush(buf: list[str]) -> None:
            """Write the buffered event lines, comma-separated."""
            nonlocal written
            if not buf:
                return
            text = ",\n".join(buf)
            if first_line[0]:
                fh.write(text)
                first_line[0] = False
            else:
                fh.write(",\n" + text)
            written += len(buf)
            buf.clear()

        buf: list[str] = []
        x_tpl = '{ "name": "%s", "ph": "X", "tid": %d, "pid": %d, "ts": %d, "dur": %d, "args": %s }'
        for i in range(n_ops):
            kname, flag, head = heads[kind_list[i]]
            qi = q_list[i]
            qt, qname = qnn_of(qi)
            ni = n_inputs[i] if flag not in ("dma_set", "dma_wait") else 0
            inputs = ""
            if ni and i >= ni:
                inputs = (
                    '"Inputs Ops": ["' + '","'.join(hex_ids[i - k - 1] for k in range(ni)) + '"],'
                )
            args = (
                f'{{ "ID": "{hex_ids[i]}",{head}{inputs}"Flags": ["{flag}"],'
                f'"Cycles per Packet": {cpp_list[i]},"QNN Op Type": "{qt}","QNN Op Name": "{qname}",'
                f'"Start Cycle": {base + t_list[i]},"Duration (cycles)": {ed_list[i]},'
                f'"Dominant Path Cycles": {dpc_list[i]}}}'
            )
            tid = tid_list[i]
            buf.append(x_tpl % (kname, tid, 0, t_list[i], d_list[i], args))
            if lf[i]:
                unit = units[lane_list[i]]
                buf.append(_thread_line(0, tid, f"Type: {unit}"))
            pid = pid_list[i]
            buf.append(x_tpl % (kname, tid, pid, t_list[i], d_list[i], args))
            if plf[i]:
                unit = units[lane_list[i]]
                buf.append(_thread_line(pid, tid, f"Core:0 Type: {unit} Tid: {tid}"))
            if len(buf) >= 20000:
                flush(buf)
        flush(buf)

        # Non-executed tensors, each with its flow to a consumer on the DMA/HMX lane.
        fid = 0
        cons = rng.integers(1, n_ops, max(1, n_tens)).tolist()
        for k in range(n_tens):
            c = cons[k]
            tts = max(0, t_list[c] - 10)
            tid_hex = f"0x{(0x1000 + k % 0xFFF) << 32 | (0x10000000 + k):016x}"
            buf.append(
                f'{{ "name": "$Const", "ph": "X", "tid": 1, "pid": 0, "ts": {tts}, "dur": 5, '
                f'"args": {{ "ID": "{tid_hex}","HTP Op Type": "$Const","Dims": [1,1,256,256],'
                f'"Data Type": "QInt8","Rank": 4,"Step Size": 0.00787402,"Zero Offset": 0}} }}'
            )
            buf += _flow_lines("input_output", fid, 1, tts + 5, tid_list[c], t_list[c], 0)
            fid += 1
            if len(buf) >= 20000:
                flush(buf)
        cons = rng.integers(1, n_ops, max(1, n_io + n_seq)).tolist()
        for k in range(n_io + n_seq):
            c = cons[k]
            p = c - 1
            cat = "input_output" if k < n_io else "sequencer"
            buf += _flow_lines(cat, fid, tid_list[p], e_list[p], tid_list[c], t_list[c], 0)
            fid += 1
            if len(buf) >= 20000:
                flush(buf)
        if n_tens:
            buf.append(_thread_line(0, 1, "Non Executed Tensors"))
        for qi in range(n_q):
            _qt, qname = qnn_of(qi)
            buf += _proc_lines(qi + 2, f"QNN::{qname}", 0x12 + 4 * qi, 0x12 + 4 * qi)
            if len(buf) >= 20000:
                flush(buf)
        flush(buf)

        # Counters: a VTCM alloc step series, then read/write groups at op starts.
        n_alloc = n_counters // 5
        n_rw = n_counters - n_alloc
        idx = np.sort(rng.integers(0, n_ops, max(1, n_alloc)))
        alloc_ts = ts[idx].tolist()
        alloc_v = (rng.integers(1, 512, max(1, n_alloc)) * 2048).tolist()
        for k in range(n_alloc):
            buf.append(_counter_line("VTCM alloc", 0, alloc_ts[k], alloc_v[k]))
            if len(buf) >= 20000:
                flush(buf)
        names = ("VTCM read", "VTCM write", "DRAM read", "DRAM write")
        idx = np.sort(rng.integers(0, n_ops, max(1, n_rw // 4 + 1)))
        rw_ts = ts[idx].tolist()
        rw_v = (rng.integers(0, 33, (len(rw_ts), 4)) * 2048).tolist()
        for k in range(n_rw):
            g = k // 4
            # Even groups are an op's start (its bytes), odd groups its end (zeros).
            buf.append(_counter_line(names[k % 4], 0, rw_ts[g], 0 if g % 2 else rw_v[g][k % 4]))
            if len(buf) >= 20000:
                flush(buf)
        buf += _proc_lines(0, "Core 0 Overview", 1, None)
        flush(buf)
        fh.write("\n]}\n")
    size = path.stat().st_size
    return {
        "path": str(path),
        "events": written,
        "executed_ops": n_ops,
        "qnn_ops": n_q,
        "bytes": size,
        "seconds": round(time.perf_counter() - t_start, 3),
    }
