"""Loader for the optrace op timeline (`chrometrace.json`, artifact_type OP_TRACE) into columns.

The file is decoded with msgspec into structs that hold only the fields htptui needs; big files are
decoded in chunks cut at event boundaries so peak memory stays near one chunk plus the columns.
Every executed op appears twice (Core Overview pid and per-QNN-op pid): only the Core Overview copy
is kept. Lanes are classified by `thread_name` (``Type: HMX|HVX|DMA``), never by tid.
"""

from __future__ import annotations

from pathlib import Path

from htptui.errors import InputError
from htptui.model._io import check_regular, is_gzip, maybe_gunzip, open_regular, read_limit
from htptui.model.chrometrace.chunking import (
    CHUNK_BYTES,  # noqa: F401 - the public API
    KEEP_RAW_BELOW,
    _file_chunks,
    _first_byte,
)
from htptui.model.chrometrace.columns import (  # noqa: F401 - the public API
    NON_EXECUTED_LANE,
    UNIT_ORDER,
    Counters,
    Flows,
    Lane,
    NonExecuted,
    OpTrace,
    StringTable,
    _Chunk,
)
from htptui.model.chrometrace.normalise import MAX_CYCLES, MAX_PID_TID, _Builder, _finish  # noqa: F401 - the public API
from htptui.model.chrometrace.wire import (  # noqa: F401 - the public API
    FLAG_BITS,
    FLAG_DMA,
    FLAG_DMA_SET,
    FLAG_DMA_WAIT,
    FLAG_HMX,
    FLAG_HVX,
    FLAG_NULL_EXEC,
    FLAG_OTHER,
    FLAG_SYNC,
    Num,
    flag_names,
)
from htptui.model.chrometrace.workers import (
    MAX_WORKERS,  # noqa: F401 - the public API
    ProgressFn,
    _ChunkError,
    _chunks_in_memory,
    _chunks_parallel,
)

PARALLEL_ABOVE = 96 * 1024 * 1024  # plain files larger than this are decoded by worker processes


def load(
    path: str | Path | None = None,
    *,
    data: bytes | None = None,
    label: str | None = None,
    progress: ProgressFn | None = None,
) -> OpTrace:
    """Decode an op trace from a path (plain or gzip) or from bytes into an :class:`OpTrace`.

    This is the loader itself; :func:`htptui.model.cache.load_op_trace` wraps it with the column
    cache (what :func:`htptui.model.run.load_run` calls).
    """
    import gc

    label = label or (str(path) if path is not None else "<stdin>")
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived objects: the cyclic GC only costs time here
    try:
        return _load(path, data, label, progress)
    finally:
        if gc_was_enabled:
            gc.enable()


def _load(
    path: str | Path | None, data: bytes | None, label: str, progress: ProgressFn | None
) -> OpTrace:
    chunks: list[_Chunk] | None = None
    spans: list[tuple[int, int, int]] = []
    gzipped = False
    keep_raw: bytes | None = None
    if data is None:
        if path is None:
            raise ValueError("load() needs a path or data")
        size = check_regular(path, label).st_size
        limit = read_limit("op_trace")
        if size > limit:
            raise InputError(
                label,
                f"{size:,} bytes is larger than the {limit:,}-byte op trace read limit "
                "(raise it with HTPTUI_MAX_OP_TRACE_BYTES)",
            )
        with open_regular(path, label) as fh:
            try:
                magic = fh.read(2)
            except OSError as exc:
                raise InputError(label, f"cannot read: {exc.strerror or exc}") from None
        if size > PARALLEL_ABOVE and not is_gzip(magic):
            ranges = _file_chunks(str(path), size)
            if ranges is not None and len(ranges) > 1:
                with open(path, "rb") as fh:
                    head = fh.read(4096)
                _check_header(head, label)
                try:
                    chunks = _chunks_parallel(str(path), ranges, progress, scan=True)
                    first = 0
                    for (a, b), ch in zip(ranges, chunks, strict=True):
                        spans.append((first, a, b))
                        first += ch.n_events
                    shape = "bare-list" if _first_byte(head)[1] == b"[" else "object"
                except _ChunkError:
                    chunks = None
                    spans = []
        if chunks is None:
            try:
                with open_regular(path, label) as fh:
                    data = fh.read()
            except OSError as exc:
                raise InputError(label, f"cannot read: {exc.strerror or exc}") from None
    if chunks is None:
        assert data is not None
        gzipped = is_gzip(data)
        if gzipped:
            data = maybe_gunzip(data, label, "op_trace")
        pos, first_byte = _first_byte(data)
        if not first_byte:
            raise InputError(label, "empty file (0 bytes of JSON)")
        shape = "bare-list" if first_byte == b"[" else "object"
        if shape == "object":
            _check_header(data[:4096], label)
        chunks, spans = _chunks_in_memory(data, label, progress)
        if len(data) < KEEP_RAW_BELOW:
            keep_raw = data
    builder = _Builder()
    for ch in chunks:
        builder.add_chunk(ch)
    del chunks
    if progress:
        progress(0.9, "building columns")
    trace = _finish(builder, label, shape, gzipped)
    if keep_raw is not None:
        trace._raw = keep_raw  # small: keep the bytes for on-demand args decoding
    elif path is not None and not gzipped:
        trace._chunks = spans  # big plain file: re-read one chunk on demand
    else:
        trace.warnings.append("large gzip/stdin trace: full op args are not kept for inspection")
    if progress:
        progress(1.0, "done")
    return trace


def _check_header(data: bytes, label: str) -> None:
    from htptui.model._io import sniff_artifact_type

    found = sniff_artifact_type(data[:4096])
    if found is not None and found != "OP_TRACE":
        raise InputError(label, f"artifact_type is {found!r}, expected 'OP_TRACE' (an op trace)")
