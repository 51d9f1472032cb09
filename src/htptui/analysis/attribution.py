"""Critical-path attribution by resource: every instance's Dominant Path Cycles go to one resource.

The resource of an instance comes from its ``Flags`` alone (spec §1.4: classify by flags, never by
kernel name — a ``q::*InputSlice`` with ``dma_wait`` is a wait, not a slice), in this order, the
first that applies:

1. ``dma_wait``               → DMA wait   (waiting for a transfer started earlier)
2. ``sync``                   → sync
3. ``uses_hmx``               → HMX compute
4. ``uses_hvx``               → HVX compute
5. ``dma`` or ``dma_set``     → DMA transfer (a transfer, or the set-up that starts one)
6. none of these              → other       (no recognised flag; the lane is not consulted)

Real ops carry exactly one flag (§1.4), so the order only decides the odd multi-flag op, and it
matches :func:`htptui.analysis.summary.op_kinds` (waits and syncs first, then HMX, HVX, DMA).

The DPC split is the resolved per-instance ``OpTrace.dpc`` (htptui.model.dpc), never the event arg:
on a tiled op with QHAS each tile brings its own DPC; without QHAS the op-level value sits on the
op's first tile (its other tiles carry 0), so it is attributed once, to that tile's resource, and
the row is marked as not exact by the ranking. An instance with *unknown* DPC (−1) adds 0 to its
row's DPC and 0 to every part; its count is kept separately (``Ranking.dpc_absent``) and shown, so
the parts always sum to the row's DPC exactly and the unknown ones are never hidden inside a part.
"""

from __future__ import annotations

import numpy as np

from htptui.model.chrometrace import (
    FLAG_DMA,
    FLAG_DMA_SET,
    FLAG_DMA_WAIT,
    FLAG_HMX,
    FLAG_HVX,
    FLAG_SYNC,
    OpTrace,
)

#: the parts, in column order: (key, label)
RESOURCES: tuple[tuple[str, str], ...] = (
    ("hmx", "HMX"),
    ("hvx", "HVX"),
    ("dma", "DMA"),
    ("dma_wait", "DMA wait"),
    ("sync", "sync"),
    ("other", "other"),
)
RESOURCE_KEYS = tuple(k for k, _ in RESOURCES)
RESOURCE_LONG = {
    "hmx": "HMX compute",
    "hvx": "HVX compute",
    "dma": "DMA transfer",
    "dma_wait": "DMA wait",
    "sync": "sync",
    "other": "other (no flag)",
}
N_RESOURCES = len(RESOURCES)
R_HMX, R_HVX, R_DMA, R_DMA_WAIT, R_SYNC, R_OTHER = range(N_RESOURCES)


def resource_of_flags(flags: np.ndarray) -> np.ndarray:
    """Resource index (``R_*``) of every op from its flag bits, by the order in the module doc."""
    f = np.asarray(flags)
    out = np.full(f.shape[0], R_OTHER, dtype=np.int8)
    # lowest priority first, so a later (higher-priority) assignment wins
    out[(f & (FLAG_DMA | FLAG_DMA_SET)) != 0] = R_DMA
    out[(f & FLAG_HVX) != 0] = R_HVX
    out[(f & FLAG_HMX) != 0] = R_HMX
    out[(f & FLAG_SYNC) != 0] = R_SYNC
    out[(f & FLAG_DMA_WAIT) != 0] = R_DMA_WAIT
    return out


def op_resources(trace: OpTrace) -> np.ndarray:
    """Resource index of every executed op of a trace."""
    return resource_of_flags(trace.flags)


def group_split(inverse: np.ndarray, dpc: np.ndarray, resource: np.ndarray, n: int) -> np.ndarray:
    """(n, N_RESOURCES) int64: Σ DPC per (group, resource); ``dpc`` already clamped at 0.

    The same arithmetic as the ranking's own Σ DPC (bincount over integer cycle counts, exact below
    2**53 cycles), so the parts of a group add up to the group's DPC exactly.
    """
    if not inverse.size:
        return np.zeros((n, N_RESOURCES), dtype=np.int64)
    key = inverse.astype(np.int64) * N_RESOURCES + resource
    out = np.bincount(key, weights=dpc, minlength=n * N_RESOURCES).astype(np.int64)
    return out.reshape(n, N_RESOURCES)
