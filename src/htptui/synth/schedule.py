"""Scheduling the ops on lanes, the dominant path, VTCM use and the runtrace clock."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from htptui.synth.model import _Exec, _g, _lane_tid, _qid
from htptui.synth.spec import _FIRST_TS, _PCYCLE_BASE, _TICK_BASE, TICKS_PER_US

if TYPE_CHECKING:
    from htptui.synth.build import _Builder
    from htptui.synth.model import _Model, _Op


def _schedule(model: _Model, b: _Builder) -> None:
    """Place every op in time (list scheduling, one op at a time per lane) and derive the rest."""
    spec = model.spec
    start0 = _PCYCLE_BASE + spec.seed * 1_000_003_117
    lane_free: dict[tuple[int, int], int] = {}
    for op in model.ops:
        op.tid = _lane_tid(spec.layout, op.lane)
        key = (op.core, op.tid)
        ready = max([d.end for d in op.deps], default=start0)
        free = lane_free.get(key, start0)
        op.start = max(ready, free) + op.gap
        lane_free[key] = op.end
    first = min(op.start for op in model.ops)
    # Non-executed tensors sit before their first consumer; the earliest lands at ts 0.
    model.rebase = first - _FIRST_TS
    consumers: dict[int, list[_Op]] = {}
    for op in model.ops:
        for uid in dict.fromkeys(op.inputs):
            consumers.setdefault(uid, []).append(op)
    slot: dict[int, int] = {}
    for t in model.tensors:
        if not t.event:
            continue
        cons = consumers.get(t.uid, [])
        if not cons:
            continue
        c = min(cons, key=lambda o: (o.start, o.tid))
        k = slot.get(id(c), 0)
        slot[id(c)] = k + 1
        t.core = c.core
        t.ts = max(0, c.start - model.rebase - 10 - 12 * k)
    for core in range(spec.cores):
        mine = [op for op in model.ops if op.core == core]
        model.paths[core] = _dominant_path(mine)
        model.vtcm[core] = _vtcm_series(mine, model)
    model.execs = _runtrace_model(model, b)


_PRIO = {"uses_hmx": 0, "uses_hvx": 1, "dma": 2, "dma_set": 3, "dma_wait": 3, "sync": 4}


def _dominant_path(ops: list[_Op]) -> list[dict[str, Any]]:
    """Compute the dominant-path rows (op rows by time, then idle rows) and set each op's DPC.

    Greedy interval cover: the path follows the op that keeps the graph busy longest; when
    another op outlasts the current one it takes over (the current row becomes ``partial``);
    true gaps (no lane busy) become "Accumulated Idle" rows.
    """
    for op in ops:
        op.dpc = 0
    if not ops:
        return []
    srt = sorted(ops, key=lambda o: (o.start, -o.end, _PRIO.get(o.flag, 5), o.tid))
    rows: list[dict[str, Any]] = []
    idle: list[dict[str, Any]] = []

    def op_row(op: _Op, end: int) -> None:
        """Record one op row of the path and set that op's DPC."""
        op.dpc = end - op.start
        rows.append(
            {
                "op_id": _qid(op.uid),
                "htp_op": op.kernel,
                "qnn_op": op.qnn.name,
                "start_cycle": op.start,
                "end_cycle": end,
                "partial": end < op.end,
                "dp_cycles": end - op.start,
                "cycles": op.dur,
            }
        )

    cur_i = 0
    nxt = 1
    while True:
        cur = srt[cur_i]
        best_i = -1
        k = nxt
        while k < len(srt) and srt[k].start <= cur.end:
            if (
                srt[k].start > cur.start
                and srt[k].end > cur.end
                and (best_i < 0 or srt[k].end > srt[best_i].end)
            ):
                best_i = k
            k += 1
        if best_i >= 0:
            op_row(cur, srt[best_i].start)
            cur_i, nxt = best_i, best_i + 1
            continue
        op_row(cur, cur.end)
        if k >= len(srt):
            break
        gap_end = srt[k].start
        idle.append(
            {
                "op_id": "0x0",
                "htp_op": "Accumulated Idle",
                "qnn_op": "Accumulated Idle",
                "start_cycle": cur.end,
                "end_cycle": gap_end,
                "partial": False,
                "dp_cycles": gap_end - cur.end,
                "cycles": gap_end - cur.end,
            }
        )
        cur_i, nxt = k, k + 1
    return rows + idle


def _vtcm_series(ops: list[_Op], model: _Model) -> list[tuple[int, int]]:
    """Return the "VTCM alloc" step series (abs cycle, bytes) for one core's ops."""
    via: dict[int, list[int]] = {}
    for t in model.tensors:
        if t.kind == "q::Reshape":
            for uid in t.inputs:
                via.setdefault(uid, []).append(t.uid)
    consumers: dict[int, list[_Op]] = {}
    for op in ops:
        for uid in op.inputs:
            consumers.setdefault(uid, []).append(op)
    graph_end = max(op.end for op in ops)
    delta: dict[int, int] = {}
    for op in ops:
        size = op.mem[3]
        if size <= 0:
            continue
        cons = list(consumers.get(op.uid, []))
        for r in via.get(op.uid, []):
            cons += consumers.get(r, [])
        free = max((c.end for c in cons), default=graph_end)
        delta[op.start] = delta.get(op.start, 0) + size
        delta[free] = delta.get(free, 0) - size
    series: list[tuple[int, int]] = []
    level = 0
    for ts in sorted(delta):
        if delta[ts] == 0:
            continue
        level += delta[ts]
        series.append((ts, level))
    return series


def _runtrace_model(model: _Model, b: _Builder) -> list[_Exec]:
    """Build the runtrace executes; the first execute's Graph Execute window holds every op."""
    ops = model.ops
    lo = min(op.start for op in ops)
    hi = max(op.end for op in ops)
    timeline = hi - lo
    tick = _TICK_BASE + model.spec.seed * 7_777_777
    execs: list[_Exec] = []
    prev_end_tick = 0
    prev_end_cyc = 0
    for k in range(model.spec.n_executes):
        cold = k == 0
        if cold:
            ge_s_c = lo - b.r(2000, 3500)
            ge_e_c = hi + b.r(1500, 2500)
            f_ge, f_vt, f_pw, f_gap = b.u(0.79, 0.83), b.u(0.79, 0.81), b.u(0.84, 0.87), 0.83
            vt, pw = b.r(900, 1000), b.r(10500, 12500)
            pre, g1, g2, post = b.r(90, 120), b.r(90, 110), b.r(300, 350), b.r(150, 250)
            t0 = tick
        else:
            t0 = prev_end_tick + b.r(150_000, 200_000)
            f_ge, f_vt, f_pw, f_gap = (b.u(1.86, 1.95) for _ in range(4))
            vt, pw = b.r(60, 200), b.r(8, 35)
            pre, g1, g2, post = b.r(5, 35), b.r(3, 20), b.r(25, 100), b.r(5, 30)
            ge_s_c = (
                prev_end_cyc
                + int((t0 - prev_end_tick) / TICKS_PER_US * 1900)
                + int((pre + vt + g1 + pw + g2) / TICKS_PER_US * 1000 * f_gap)
            )
            ge_e_c = ge_s_c + int(timeline * b.u(0.45, 0.75)) + b.r(1500, 2500)
        ge_ticks = max(1, round((ge_e_c - ge_s_c) / (f_ge * 1000) * TICKS_PER_US))
        vt_s = t0 + pre
        vt_e = vt_s + vt
        pw_s = vt_e + g1
        pw_e = pw_s + pw
        ge_s = pw_e + g2
        ge_e = ge_s + ge_ticks
        dsp_e = ge_e + post

        def cyc(ticks: int, f: float) -> int:
            """Convert ticks at a frequency in GHz to cycles."""
            return round(ticks / TICKS_PER_US * f * 1000)

        pw_e_c = ge_s_c - cyc(g2, f_gap)
        pw_s_c = pw_e_c - cyc(pw, f_pw)
        vt_e_c = pw_s_c - cyc(g1, f_gap)
        vt_s_c = vt_e_c - cyc(vt, f_vt)
        dsp_s_c = vt_s_c - cyc(pre, f_gap)
        dsp_e_c = ge_e_c + cyc(post, f_gap)
        execs.append(
            _Exec(
                [
                    ("QNN DSP Execute", t0, dsp_e, dsp_s_c, dsp_e_c),
                    ("VTCM Acquire", vt_s, vt_e, vt_s_c, vt_e_c),
                    ("Resource Power On", pw_s, pw_e, pw_s_c, pw_e_c),
                    ("Graph Execute", ge_s, ge_e, ge_s_c, ge_e_c),
                ]
            )
        )
        prev_end_tick, prev_end_cyc = dsp_e, dsp_e_c
    return execs


def _phase_us(execute: _Exec, name: str) -> float:
    """Return a phase's printed summary_time_us (the %g value, as a reader sees it)."""
    for ph, s, e, _sc, _ec in execute.phases:
        if ph == name:
            return float(_g((e - s) / TICKS_PER_US))
    raise KeyError(name)


def _phase_ticks(execute: _Exec, name: str) -> int:
    """Return a phase's duration in ticks."""
    for ph, s, e, _sc, _ec in execute.phases:
        if ph == name:
            return e - s
    raise KeyError(name)
