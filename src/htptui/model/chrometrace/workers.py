"""Decoding chunks into partial columns: in this process, or by worker processes for big plain files
(one per core), each posting back its chunk's columns.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from htptui.errors import InputError
from htptui.model._io import clean_text, describe_decode_error, parse_id
from htptui.model.chrometrace.chunking import (
    CHUNK_BYTES,
    _array_region,
    _first_byte,
    _iter_chunks,
    _strip_chunk,
)
from htptui.model.chrometrace.columns import _PROCESS_CORE_RE, _Chunk
from htptui.model.chrometrace.wire import (
    _EMPTY_ARGS,
    _EMPTY_FAST_ARGS,
    _FAST_ARGS_DECODER,
    _FAST_DECODER,
    _LIST_DECODER,
    _OBJECT_DECODER,
    _RAW_ARGS_DECODER,
    _as_int,
    _Event,
    _flag_bits_of,
    _hex_ids,
)

MAX_WORKERS = min(8, os.cpu_count() or 1)  # one decode worker per core (2 on the dev VM), capped


ProgressFn = Callable[[float, str], None]


class _ChunkError(Exception):
    """A chunk did not decode on its own (a boundary inside an event, or bad JSON)."""


def _extract(
    events: list[Any], fast: bool, keep_pids: frozenset[int] | None = None, raw_args: bool = False
) -> _Chunk:
    """Turn decoded events into columns (list comprehensions; no per-event Python loop body).

    With ``keep_pids`` (the Core Overview pids, found up front), X events of other pids — the
    per-QNN-op duplicates — are dropped before any per-field work. With ``raw_args`` the events'
    args are still undecoded bytes and only the kept events' args are parsed.
    """
    decode_args = _FAST_ARGS_DECODER.decode

    def args_of(e: Any) -> Any:
        return decode_args(e.args) if raw_args else e.args

    if keep_pids is not None and fast:
        x_index = [k for k, e in enumerate(events) if e.ph == "X" and e.pid in keep_pids]
        skipped = sum(1 for e in events if e.ph == "X") - len(x_index)
    else:
        x_index = [k for k, e in enumerate(events) if e.ph == "X"]
        skipped = 0
    xs = [events[k] for k in x_index]
    n = len(xs)
    empty = _EMPTY_FAST_ARGS if fast else _EMPTY_ARGS
    ar = [decode_args(e.args) for e in xs] if raw_args else [e.args or empty for e in xs]
    local: dict[str, int] = {"": 0}
    kernel = [
        local.setdefault(a.htp_op_type or e.name, len(local)) for e, a in zip(xs, ar, strict=True)
    ]
    qnn = [local.setdefault(a.qnn_op_name or "", len(local)) for a in ar]
    qtype = [local.setdefault(a.qnn_op_type or "", len(local)) for a in ar]
    ids, bad = _hex_ids([a.ID for a in ar])
    if fast:
        cache: dict[Any, int] = {}
        flags = [
            cache[f] if f in cache else cache.setdefault(f, _flag_bits_of(f))
            for f in (a.flags for a in ar)
        ]
    else:
        flags = [_flag_bits_of(a.flags) for a in ar]
    if fast:
        pid = np.fromiter((e.pid for e in xs), np.int64, n)
        tid = np.fromiter((e.tid for e in xs), np.int64, n)
        ts = np.fromiter((e.ts for e in xs), np.int64, n)
        dur = np.fromiter((e.dur for e in xs), np.int64, n)
    else:
        pid = np.array([_as_int(e.pid) for e in xs], dtype=np.int64)
        tid = np.array([_as_int(e.tid) for e in xs], dtype=np.int64)
        ts = np.array([int(e.ts) for e in xs], dtype=np.int64)
        dur = np.array([int(e.dur) for e in xs], dtype=np.int64)
    x = {
        "pid": pid,
        "tid": tid,
        "ts": ts,
        "dur": dur,
        "kernel": np.array(kernel, dtype=np.int32),
        "qnn": np.array(qnn, dtype=np.int32),
        "qtype": np.array(qtype, dtype=np.int32),
        "op_id": np.array(ids, dtype=np.uint64),
        "flags": np.array(flags, dtype=np.uint16),
        "dpc": np.array([int(a.dpc) if a.dpc is not None else -1 for a in ar], dtype=np.int64),
        "cpp": np.array([a.cpp if a.cpp is not None else np.nan for a in ar], dtype=np.float32),
        "start": np.array(
            [int(a.start_cycle) if a.start_cycle is not None else -1 for a in ar], dtype=np.int64
        ),
        "ordinal": np.array(x_index, dtype=np.int64),
    }
    counters: dict[tuple[int, str], tuple[list[int], list[float]]] = {}
    for e in events:
        if e.ph != "C":
            continue
        a = args_of(e)
        if a is not None and a.counter is not None:
            series = counters.setdefault((_as_int(e.pid), e.name), ([], []))
            series[0].append(int(e.ts))
            series[1].append(float(a.counter))
    fl = [e for e in events if e.ph in ("s", "f")]
    fids = []
    for e in fl:
        fid = parse_id(e.id) if e.id is not None else None
        fids.append(fid if fid is not None else -1)
    flows = (
        np.array(fids, dtype=np.int64),
        np.array([e.ph == "s" for e in fl], dtype=bool),
        np.array([int(e.ts) for e in fl], dtype=np.int64),
        np.array([_as_int(e.tid) for e in fl], dtype=np.int64),
        [e.cat for e in fl],
    )
    thread_names: dict[tuple[int, int], str] = {}
    process_names: dict[int, str] = {}
    process_opids: dict[int, int] = {}
    for e in events:
        if e.ph != "M":
            continue
        a = args_of(e)
        if a is None or a.name is None:
            continue
        p = _as_int(e.pid)
        if e.name == "thread_name":
            thread_names[(p, _as_int(e.tid))] = clean_text(a.name)
        elif e.name == "process_name":
            process_names[p] = clean_text(a.name)
            opid = parse_id(a.opid) if a.opid is not None else None
            if opid is not None:
                process_opids[p] = opid
    known = {"X", "C", "M", "s", "f"}
    return _Chunk(
        n_events=len(events),
        strings=list(local),
        x=x,
        counters={
            k: (np.array(v[0], dtype=np.int64), np.array(v[1], dtype=np.float64))
            for k, v in counters.items()
        },
        flows=flows,
        thread_names=thread_names,
        process_names=process_names,
        process_opids=process_opids,
        other_ph=sum(1 for e in events if e.ph not in known),
        bad_ids=bad,
        skipped=skipped,
    )


def _process_blob(blob: bytes, keep_pids: frozenset[int] | None = None) -> _Chunk:
    """Decode one chunk of events (fast typed decoder, tolerant one as fallback) into columns."""
    body = b"[" + blob + b"]"
    if keep_pids is not None:
        try:  # fastest: args decoded only for the kept (Core Overview) copies
            return _extract(
                _RAW_ARGS_DECODER.decode(body), fast=True, keep_pids=keep_pids, raw_args=True
            )
        except (msgspec.ValidationError, RecursionError, OverflowError, ValueError, TypeError):
            pass
        except msgspec.DecodeError as exc:
            raise _ChunkError(str(exc)) from None
    try:
        return _extract(_FAST_DECODER.decode(body), fast=True, keep_pids=keep_pids)
    except (msgspec.ValidationError, RecursionError, OverflowError, ValueError, TypeError):
        pass
    except msgspec.DecodeError as exc:
        raise _ChunkError(str(exc)) from None
    try:
        return _extract(_LIST_DECODER.decode(body), fast=False)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _ChunkError(str(exc)) from None
    except RecursionError:
        raise _ChunkError("JSON nested too deeply") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise _ChunkError(f"unexpected value in an event ({exc})") from None


def _process_range(
    path: str, start: int, end: int, keep_pids: frozenset[int] | None = None
) -> _Chunk:
    """Worker entry: read one byte range of the file and decode it."""
    import gc

    gc.disable()
    with open(path, "rb") as fh:
        fh.seek(start)
        blob = fh.read(end - start)
    return _process_blob(_strip_chunk(blob), keep_pids)


def _scan_overview_pids(path: str) -> frozenset[int] | None:
    """Find the "Core N Overview" pids by scanning the file for process_name metadata lines.

    Reads the file in blocks (C-speed ``find``), so it costs a fraction of a decode and keeps no
    pages mapped. Returns None when the layout is unusual (then every X event is kept and the
    duplicates are dropped after decoding).
    """
    needle = b'"process_name"'
    block = 16 * 1024 * 1024
    pids: set[int] = set()
    with open(path, "rb") as fh:
        carry = b""
        while True:
            data = fh.read(block)
            buf = carry + data
            if not data:  # end of file: the last partial line is a line too
                body, carry = buf + b"\n", b""
            else:
                last_nl = buf.rfind(b"\n")
                if last_nl < 0:
                    carry = buf
                    continue
                body, carry = buf[: last_nl + 1], buf[last_nl + 1 :]
            pos = body.find(needle)
            while pos != -1:
                start = body.rfind(b"\n", 0, pos) + 1
                end = body.find(b"\n", pos)
                try:
                    ev = msgspec.json.decode(_strip_chunk(body[start:end]), type=_Event)
                except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
                    return None  # not one event per line: keep everything, de-duplicate later
                name = ev.args.name if ev.args is not None else None
                if name and _PROCESS_CORE_RE.match(name.strip()):
                    pids.add(_as_int(ev.pid))
                pos = body.find(needle, end)
            if not data:
                break
    return frozenset(pids) or None


_WORKER_CODE = "from htptui.model.chrometrace.workers import _worker_main; _worker_main()"


def _worker_main() -> None:
    """Decode worker (a ``python -c`` subprocess): read (path, ranges, keep) from stdin, stream results."""
    import gc
    import pickle

    gc.disable()
    path, ranges, keep = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    for a, b in ranges:
        try:
            result: Any = _process_range(path, a, b, keep)
        except _ChunkError as exc:
            result = ("chunk-error", str(exc))
        pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


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
    region = _array_region(data) if len(data) > CHUNK_BYTES else None
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


def _chunks_serial(
    path: str,
    ranges: list[tuple[int, int]],
    progress: ProgressFn | None,
    keep_pids: frozenset[int] | None,
    done: int = 0,
) -> list[_Chunk]:
    out = []
    for a, b in ranges:
        out.append(_process_range(path, a, b, keep_pids))
        done += 1
        if progress:
            progress(done / (done + len(ranges) - len(out)) * 0.85, "decoding events")
    return out


def _chunks_parallel(
    path: str,
    ranges: list[tuple[int, int]],
    progress: ProgressFn | None,
    keep_pids: frozenset[int] | None = None,
    scan: bool = False,
) -> list[_Chunk]:
    """Decode chunks in worker subprocesses (chunk k on worker k mod n), results read back in order.

    Plain ``python -c`` subprocesses rather than multiprocessing: they never re-import the caller's
    ``__main__`` and work from threads. If a worker fails, the rest is decoded in this process.
    """
    import pickle
    import subprocess

    workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1, len(ranges)))
    if workers == 1:
        if scan:
            keep_pids = _scan_overview_pids(path)
        return _chunks_serial(path, ranges, progress, keep_pids)
    import htptui

    env = dict(os.environ)
    src_root = str(Path(htptui.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = src_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    procs: list[subprocess.Popen[bytes]] = []
    out: list[_Chunk] = []
    try:
        for _ in range(workers):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", _WORKER_CODE],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            )
        if scan:  # while the workers import numpy and msgspec
            keep_pids = _scan_overview_pids(path)
        for w, proc in enumerate(procs):
            assert proc.stdin is not None
            pickle.dump((path, ranges[w::workers], keep_pids), proc.stdin)
            proc.stdin.close()
        for k in range(len(ranges)):
            proc = procs[k % workers]
            try:
                result = pickle.load(proc.stdout)  # type: ignore[arg-type]
            except (EOFError, pickle.UnpicklingError, OSError):
                # a worker died (no memory, killed, broken environment): finish here, serially
                return out + _chunks_serial(path, ranges[k:], progress, keep_pids, done=k)
            if isinstance(result, tuple):
                raise _ChunkError(str(result[1]))
            out.append(result)
            if progress:
                progress((k + 1) / len(ranges) * 0.85, "decoding events")
        return out
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
