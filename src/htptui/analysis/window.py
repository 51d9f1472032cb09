"""Scope a run to a time window [lo, hi) and/or a filter: the same figures, by the same code.

:func:`clip_trace` returns the ops overlapping the window, each clipped to it, as an ordinary
:class:`OpTrace` (every per-op column sliced, ``ts``/``dur``/``start_cycle`` clipped) plus the
op-index map back to the full trace. The window's summary, ranking and findings are then the
whole-graph functions run on that trace, with the window (clamped to each core's span) as the wall.
When the window is the whole graph nothing is clipped and every figure is the whole-graph one.

Dominant Path Cycles inside a window (the rule):

- an op wholly inside keeps its DPC;
- an op cut by a window edge gets the part of the dominant path that lies inside the window: the Σ
  of its QHAS ``dominant_path_htp_<core>`` rows (matched on op ID, inside the op's interval) each
  clipped to the window, when QHAS has path rows for it;
- otherwise (no QHAS, or no path row for that op) its DPC scaled by the fraction of its duration
  inside the window, rounded down;
- an op without DPC (−1) stays without.

Idle inside a window is then window − Σ DPC, like the whole graph's wall − Σ DPC.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from htptui.model.chrometrace import OpTrace
    from htptui.model.qhas import Qhas

DPC_RULE = (
    "ops cut by a window edge: DPC = their QHAS dominant-path rows clipped to the window, else "
    "DPC × the fraction of their duration inside it; ops wholly inside keep their DPC"
)

MAX_BOUND = 2**62  # cycles; int64 arithmetic on the trace's columns stays exact below this
_BOUND_RE = re.compile(r"^\s*([+-]?\d+(?:\.\d*)?(?:e[+-]?\d+)?)\s*(us|µs|cyc|cycles)?\s*$", re.I)


def parse_bound(text: str, clock_ghz: float | None) -> int:
    """A window bound: cycles on the timeline's axis (``12000``), or µs with a ``us`` suffix
    (``6.5us``, converted at the trace clock). Raises ValueError with a one-line reason."""
    m = _BOUND_RE.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a number of cycles or a time like '6.5us'")
    value = float(m.group(1))
    unit = (m.group(2) or "").lower()
    if unit in ("us", "µs"):
        if not clock_ghz:
            raise ValueError(
                f"{text!r}: µs needs the trace clock, which is unknown (no runtrace); give cycles"
            )
        cycles = value * clock_ghz * 1000.0
    else:
        cycles = value
    if not cycles >= 0:
        raise ValueError(f"{text!r} is before the trace's start (bounds are 0 or more)")
    if cycles > MAX_BOUND:
        raise ValueError(f"{text!r} is beyond any trace ({cycles:.3g} cycles)")
    return int(round(cycles))


def _path_rows(qhas: Qhas | None, rebase: int | None) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """op ID → (rebased starts, rebased ends) of its dominant-path rows, over every core."""
    out: dict[int, tuple[list[int], list[int]]] = {}
    if qhas is None or rebase is None:
        return {}
    for rows in qhas.dominant_path.values():
        for r in rows:
            if r.is_idle:
                continue
            s, e = out.setdefault(int(r.op_id), ([], []))
            s.append(int(r.start_cycle) - rebase)
            e.append(int(r.end_cycle) - rebase)
    return {
        k: (np.array(s, dtype=np.int64), np.array(e, dtype=np.int64)) for k, (s, e) in out.items()
    }


def clip_trace(
    trace: OpTrace,
    lo: int | None,
    hi: int | None,
    mask: np.ndarray | None = None,
    qhas: Qhas | None = None,
) -> tuple[OpTrace, np.ndarray]:
    """The ops overlapping [lo, hi) (and in ``mask``), clipped to it; and their full-trace indices."""
    n = len(trace)
    ts, end = trace.ts, trace.ts + trace.dur
    lo_ = int(ts.min()) if lo is None and n else (lo if lo is not None else 0)
    hi_ = int(end.max()) if hi is None and n else (hi if hi is not None else 0)
    sel = ((end > lo_) & (ts < hi_)) | ((trace.dur == 0) & (ts >= lo_) & (ts <= hi_))
    if mask is not None:
        sel &= mask
    ops = np.flatnonzero(sel).astype(np.int64)
    cols: dict[str, np.ndarray] = {}
    derived: dict[str, np.ndarray] = {}  # init=False columns (resolved DPC, its source, tiling)
    for f in dataclasses.fields(trace):
        v = getattr(trace, f.name, None)
        if isinstance(v, np.ndarray) and v.ndim == 1 and v.shape[0] == n:
            (cols if f.init else derived)[f.name] = v[ops].copy()
    new_ts = np.maximum(ts[ops], lo_)
    new_end = np.minimum(end[ops], hi_)
    new_dur = np.maximum(new_end - new_ts, 0)
    cut = (new_ts != ts[ops]) | (new_end != end[ops])
    dpc = trace.dpc[ops].copy()
    if cut.any():
        rows = _path_rows(qhas, trace.rebase)
        for k in np.flatnonzero(cut & (dpc >= 0)).tolist():
            i = int(ops[k])
            pr = rows.get(int(trace.op_id[i]))
            if pr is not None:
                rs, re_ = pr
                inside = (rs >= ts[i]) & (re_ <= end[i])
                if inside.any():
                    a = np.maximum(rs[inside], new_ts[k])
                    b = np.minimum(re_[inside], new_end[k])
                    dpc[k] = int(np.maximum(b - a, 0).sum())
                    continue
            full = int(trace.dur[i])
            dpc[k] = int(dpc[k]) * int(new_dur[k]) // full if full > 0 else 0
    cols["ts"] = new_ts
    cols["dur"] = new_dur
    if "start_cycle" in cols:
        sc = cols["start_cycle"]
        cols["start_cycle"] = np.where(sc >= 0, sc + (new_ts - ts[ops]), sc)
    sub = dataclasses.replace(trace, **cols)
    # the full trace's resolved per-instance figures, sliced (never re-derived from the subset)
    for name, v in derived.items():
        object.__setattr__(sub, name, v)
    sub.dpc = dpc
    return sub, ops
