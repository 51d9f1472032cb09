"""The per-lane ASCII timeline of the profiling guide: time on X, one row per unit lane, gaps visible."""

from __future__ import annotations

import numpy as np

from htptui.analysis.buckets import CoverageIndex, dominant_kind
from htptui.analysis.summary import KIND_BOUNDARY, KIND_NAMES
from htptui.model.chrometrace import OpTrace
from htptui.present.format import fmt_int

KIND_CHARS = "MVdwBo"  # HMX, HVX, DMA, sync/wait, boundary, other
GAP_CHAR = "."
MAX_LANE_ROWS = 512  # more lanes than that are counted, not drawn


def legend() -> str:
    """One line explaining the characters."""
    parts = [f"{c}={n}" for c, n in zip(KIND_CHARS, KIND_NAMES, strict=True)]
    return "  ".join(parts) + f"  {GAP_CHAR}=idle; lower case = bucket less than half busy"


def render(
    trace: OpTrace, width: int = 100, core: int | None = None, index: CoverageIndex | None = None
) -> list[str]:
    """Render lanes (and a boundary-op row) over the graph span; one string per row."""
    if not len(trace):
        return ["(no executed ops)"]
    lanes = [ln for ln in trace.lanes if core is None or ln.core == core]
    sel = np.isin(trace.lane, [ln.index for ln in lanes])
    lo = int(trace.ts[sel].min())
    hi = int(trace.end[sel].max())
    idx = index or CoverageIndex(trace)
    bucket = (hi - lo) / width
    label_w = max(len(ln.label) for ln in lanes + []) if lanes else 8
    label_w = max(label_w, len("boundary"))
    rows = []
    boundary = np.zeros(width)
    hidden = lanes[MAX_LANE_ROWS:]
    for ln in lanes[:MAX_LANE_ROWS]:
        cov = idx.coverage(ln.index, lo, hi, width)
        boundary += cov[KIND_BOUNDARY]
        kind, frac = dominant_kind(cov, bucket)
        chars = []
        for k, f in zip(kind.tolist(), frac.tolist(), strict=True):
            if k < 0:
                chars.append(GAP_CHAR)
            else:
                c = KIND_CHARS[k]
                chars.append(c if f >= 0.5 else c.lower())
        track = idx.lane_tracks.get(ln.index)
        busy = int(track.prefix[-1]) if track is not None else 0
        rows.append(f"{ln.label:<{label_w}} |{''.join(chars)}| busy {fmt_int(busy)}")
    if hidden:
        rows.append(f"{'':<{label_w}}  ... {fmt_int(len(hidden))} more lanes not drawn")
    b_chars = "".join(
        ("B" if v / bucket >= 0.5 else "b") if v > 0 else " " for v in boundary.tolist()
    )
    rows.append(f"{'boundary':<{label_w}} |{b_chars}|")
    axis = f"{'':<{label_w}}  {lo:<{width // 2}}{hi:>{width - width // 2}}"
    rows.append(axis + "  cycles")
    return rows
