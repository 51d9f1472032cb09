"""Decoding an op trace (no cache here: see htptui.model.cache): big plain files through the worker
pipeline, with partial traces on the way; others in memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

import htptui.model.chrometrace as _pkg
from htptui.errors import InputError
from htptui.model._io import (
    check_regular,
    clean_text,
    describe_decode_error,
    is_gzip,
    maybe_gunzip,
    open_regular,
    read_limit,
)
from htptui.model.chrometrace.chunking import (
    _array_region,
    _file_chunks,
    _first_byte,
    _iter_chunks,
    _overview_pids_of,
    _scan_overview_pids,
    _strip_chunk,
)
from htptui.model.chrometrace.columns import (
    OpTrace,
    PartialFn,
    ProgressFn,
)
from htptui.model.chrometrace.extract import (
    _Chunk,
    _ChunkError,
    _extract,
    _process_blob,
)
from htptui.model.chrometrace.normalise import (
    _Builder,
    _finish,
)
from htptui.model.chrometrace.wire import (
    _LIST_DECODER,
    _OBJECT_DECODER,
)
from htptui.model.chrometrace.workers import (
    _big_candidate,
    _BigLoad,
    _chunks_parallel,
    _take_prefetched,
)


def _decode_whole(data: bytes, label: str) -> list[Any]:
    """Decode a whole document with the tolerant decoder (or raise a one-line InputError)."""
    _, head = _first_byte(data)
    try:
        if head == b"[":
            return _LIST_DECODER.decode(data)
        if head == b"{":
            return _OBJECT_DECODER.decode(data).traceEvents
        msgspec.json.decode(data)  # not JSON at all: let msgspec produce the error text
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        raise InputError(label, describe_decode_error(exc, data)) from None
    raise InputError(label, "expected a JSON object with traceEvents or a JSON array of events")


def _chunks_in_memory(
    data: bytes, label: str, progress: ProgressFn | None
) -> tuple[list[_Chunk], list[tuple[int, int, int]]]:
    region = _array_region(data) if len(data) > _pkg.CHUNK_BYTES else None
    ranges = list(_iter_chunks(data, *region)) if region is not None else []
    if len(ranges) > 1:
        try:
            out: list[_Chunk] = []
            spans = []
            first = 0
            for k, (a, b) in enumerate(ranges):
                out.append(_process_blob(_strip_chunk(data[a:b])))
                spans.append((first, a, b))
                first += out[-1].n_events
                if progress:
                    progress((k + 1) / len(ranges) * 0.85, "decoding events")
            return out, spans
        except _ChunkError:
            pass  # a boundary fell inside an event (unusual layout): decode the whole document
    events = _decode_whole(data, label)
    try:
        return [_extract(events, fast=False)], [(0, 0, len(data))]
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(label, f"unexpected value in an event ({clean_text(str(exc))})") from None


def decode(
    path: str | Path | None = None,
    *,
    data: bytes | None = None,
    label: str | None = None,
    progress: ProgressFn | None = None,
    partial: PartialFn | None = None,
) -> OpTrace:
    """Decode an op trace from a path (plain or gzip) or from bytes (no cache; see ``load``).

    ``partial(trace, fraction)``, when given, is called from the loading thread with the ops decoded
    so far while a big file is still decoding (first after its first chunk); those partial traces
    carry ``extent_hint``, the time range the whole trace covers, read from the file's tail.
    """
    import gc

    label = label or (str(path) if path is not None else "<stdin>")
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived objects: the cyclic GC only costs time here
    try:
        return _load(path, data, label, progress, partial)
    finally:
        if gc_was_enabled:
            gc.enable()


def _decode_big(
    path: str,
    label: str,
    progress: ProgressFn | None,
    partial: PartialFn | None,
    shape: str,
) -> tuple[_Builder, list[tuple[int, int, int]]] | None:
    """Decode a big plain file with the worker pipeline; None when it is not chunkable."""
    import time

    job = _take_prefetched(path)
    if job is None:
        cand = _big_candidate(path)
        if cand is None:
            return None
        job = _BigLoad(*cand)
    _pkg.LAST_LOAD.clear()
    _pkg.LAST_LOAD["layout"] = job.layout
    for attempt in range(3):
        builder = _Builder()
        spans: list[tuple[int, int, int]] = []
        last_partial = 0.0
        n = len(job.ranges)
        doubt = False
        try:
            for k, ch in enumerate(job.chunks(progress)):
                if k == 0 and job.layout == "tail" and ch.skipped and not ch.x["ts"].size:
                    doubt = True  # the tail's pids explain none of the first chunk's ops
                    break
                spans.append((builder.total, *job.ranges[k]))
                builder.add_chunk(ch)
                del ch
                now = time.perf_counter()
                if (
                    partial is not None
                    and k + 1 < n
                    and (k == 0 or now - last_partial >= _pkg.PARTIAL_EVERY_S)
                ):
                    partial(_partial_trace(builder, job, label, shape), (k + 1) / n)
                    last_partial = time.perf_counter()
        finally:
            job.close()
        if doubt:
            _pkg.LAST_LOAD["layout"] = "tail explained no op of the first chunk: full scan"
            _pkg.LAST_LOAD.setdefault("fallbacks", []).append(_pkg.LAST_LOAD["layout"])
            keep = _scan_overview_pids(job.path)
            job = _BigLoad(job.path, job.size, job.ranges, keep=keep)
            continue
        verified = _overview_pids_of(builder.process_names)
        if verified == job.keep:
            return builder, spans
        # the pid layout read from the tail (or the scan) disagrees with the file's metadata:
        # decode again keeping exactly the pids the metadata names
        _pkg.LAST_LOAD["layout"] = f"{job.layout} disagreed with the metadata: decoded again"
        _pkg.LAST_LOAD.setdefault("fallbacks", []).append(_pkg.LAST_LOAD["layout"])
        if attempt < 2:
            job = _BigLoad(job.path, job.size, job.ranges, keep=verified)
    raise _ChunkError("the Core Overview pids changed between two decodes")


def _partial_trace(builder: _Builder, job: _BigLoad, label: str, shape: str) -> OpTrace:
    """An OpTrace of the chunks decoded so far (the tail's metadata fills in what comes later)."""
    snap = builder.snapshot()
    if job.tail is not None:
        for name in ("process_names", "process_opids", "thread_names"):
            merged = dict(getattr(job.tail, name))
            merged.update(getattr(snap, name))
            setattr(snap, name, merged)
    trace = _finish(snap, label, shape, False)
    if len(trace) and job.tail is not None and job.tail.ts_max is not None:
        trace.extent_hint = (int(trace.ts[0]), max(job.tail.ts_max, int(trace.end.max())))
    return trace


def _load(
    path: str | Path | None,
    data: bytes | None,
    label: str,
    progress: ProgressFn | None,
    partial: PartialFn | None = None,
) -> OpTrace:
    chunks: list[_Chunk] | None = None
    builder: _Builder | None = None
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
        if size > _pkg.PARALLEL_ABOVE and not is_gzip(magic):
            with open_regular(path, label) as fh:
                head = fh.read(4096)
            _check_header(head, label)
            shape = "bare-list" if _first_byte(head)[1] == b"[" else "object"
            if _pkg.LEGACY:
                ranges = _file_chunks(str(path), size)
                if ranges is not None and len(ranges) > 1:
                    try:
                        chunks = _chunks_parallel(str(path), ranges, progress, scan=True)
                        first = 0
                        for (a, b), ch in zip(ranges, chunks, strict=True):
                            spans.append((first, a, b))
                            first += ch.n_events
                    except _ChunkError:
                        chunks = None
                        spans = []
            else:
                try:
                    got = _decode_big(str(path), label, progress, partial, shape)
                except _ChunkError:
                    got = None
                if got is not None:
                    builder, spans = got
        if chunks is None and builder is None:
            try:
                with open_regular(path, label) as fh:
                    data = fh.read()
            except OSError as exc:
                raise InputError(label, f"cannot read: {exc.strerror or exc}") from None
    if chunks is None and builder is None:
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
        if len(data) < _pkg.KEEP_RAW_BELOW:
            keep_raw = data
    if builder is None:
        assert chunks is not None
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
