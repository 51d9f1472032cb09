"""Loader for the optrace op timeline (`chrometrace.json`, artifact_type OP_TRACE) into columns.

The file is decoded with msgspec into structs that hold only the fields htptui needs; big files are
decoded in chunks cut at event boundaries, by worker subprocesses, so peak memory stays near a few
chunks plus the columns. Every executed op appears twice (Core Overview pid and per-QNN-op pid):
only the Core Overview copy is kept. Lanes are classified by `thread_name` (``Type: HMX|HVX|DMA``),
never by tid.

Modules, bottom up: ``wire`` (msgspec structs), ``chunking`` (byte ranges, the tail's pid layout),
``columns`` (OpTrace and friends), ``extract`` (one chunk to columns), ``normalise`` (merge and
de-duplicate), ``workers`` (subprocesses, prefetch), ``loader`` (decode without the cache). The
column cache (htptui.model.cache) wraps the decoder from above: :func:`load` here is cache, then
decode. The knobs below are read at call time, so tests may patch them on this package.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# At most about this many bytes of events per chunk. 4 MB, not 16: a worker holds fewer decoded
# objects, and they are fewer cache misses away; on the 1.14 GB 3M-event file the CPU of a cold
# load fell 7.1 → 6.0 s (6 loads each, interleaved, a quiet hour) and 7.2 → 6.9 s (3 each, load 2),
# and 2 MB chunks gave the same as 4 MB.
CHUNK_BYTES = 4 * 1024 * 1024
MIN_CHUNK_BYTES = 1024 * 1024  # smaller files get smaller chunks, down to this
CHUNKS_PER_WORKER = 32  # ... so that each decode worker gets about this many (32, not 16: a
# worker holds one chunk's objects, so the counter-heavy 1M open peaks at 0.68x the file in PSS
# rather than 0.79x, the 1M one at 0.40x rather than 0.57x, at the same speed or faster)
KEEP_RAW_BELOW = 64 * 1024 * 1024  # smaller traces keep their bytes for lazy args decoding
PARALLEL_ABOVE = 96 * 1024 * 1024  # plain files larger than this are decoded by worker processes
MAX_WORKERS = min(8, os.cpu_count() or 1)  # one decode worker per core (2 on the dev VM), capped
TAIL_BYTES = 1 << 20  # the pid layout (process_name metadata) and the last counters sit here
LEGACY = False  # True: the previous loader (full-file pid pre-scan); kept for the equality tests
LAST_LOAD: dict[str, Any] = {}  # how the last big load ran: "layout", "workers", "worker_peak_kb"
PARTIAL_EVERY_S = 5.0  # at most one partial trace per this many seconds after the first (each
# costs a normalisation of the ops so far in the parent, which shares the cores with the workers)

from htptui.model.chrometrace.chunking import (  # noqa: E402
    TailLayout,
    _scan_overview_pids,
    read_tail,
)
from htptui.model.chrometrace.columns import (  # noqa: E402
    FLAG_BITS,
    FLAG_DMA,
    FLAG_DMA_SET,
    FLAG_DMA_WAIT,
    FLAG_HMX,
    FLAG_HVX,
    FLAG_NULL_EXEC,
    FLAG_OTHER,
    FLAG_SYNC,
    UNIT_ORDER,
    Counters,
    Flows,
    Lane,
    NonExecuted,
    OpTrace,
    PartialFn,
    ProgressFn,
    StringTable,
    flag_names,
)
from htptui.model.chrometrace.extract import _process_range  # noqa: E402
from htptui.model.chrometrace.loader import decode  # noqa: E402
from htptui.model.chrometrace.wire import MAX_CYCLES, MAX_PID_TID, NON_EXECUTED_LANE  # noqa: E402
from htptui.model.chrometrace.workers import _BigLoad, _worker_main  # noqa: E402


def load(
    path: str | Path | None = None,
    *,
    data: bytes | None = None,
    label: str | None = None,
    progress: ProgressFn | None = None,
    partial: PartialFn | None = None,
    background_save: bool = False,
) -> OpTrace:
    """Load an op trace from a path (plain or gzip) or from bytes: the column cache, else decode.

    See :func:`htptui.model.chrometrace.loader.decode` for ``partial`` and
    :func:`htptui.model.cache.load_or_decode` for ``background_save``.
    """
    from htptui.model import cache

    return cache.load_or_decode(
        decode, path, data=data, label=label, progress=progress, partial=partial,
        background_save=background_save,
    )  # fmt: skip


def prefetch(path: str | Path) -> bool:
    """Start decoding a big plain trace now, for a later :func:`load`; for a cached one, start
    reading its cache entry instead (returns False then: no decode was started).

    The CLI calls this before importing Textual, so the decode (or the read) runs while the UI
    starts.
    """
    from htptui.model import cache
    from htptui.model.chrometrace import workers

    if cache.exists(path):
        cache.prefetch(path)  # read the cached columns ahead instead
        return False
    return workers.prefetch(path)


__all__ = [
    "FLAG_BITS", "FLAG_DMA", "FLAG_DMA_SET", "FLAG_DMA_WAIT", "FLAG_HMX", "FLAG_HVX",
    "FLAG_NULL_EXEC", "FLAG_OTHER", "FLAG_SYNC", "MAX_CYCLES", "MAX_PID_TID", "NON_EXECUTED_LANE", "UNIT_ORDER", "Counters",
    "Flows", "Lane", "NonExecuted", "OpTrace", "PartialFn", "ProgressFn", "StringTable",
    "TailLayout", "_BigLoad", "_process_range", "_scan_overview_pids", "_worker_main", "decode",
    "flag_names", "load", "prefetch", "read_tail",
]  # fmt: skip
