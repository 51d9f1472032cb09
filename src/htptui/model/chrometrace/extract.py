"""Decoded events of one chunk to columns: the lean path (one pass, args for kept ops only) and the
previous path (kept for odd inputs and for the equality tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np

from htptui.model._io import (
    clean_text,
    parse_id,
)
from htptui.model.chrometrace import eventlines
from htptui.model.chrometrace.chunking import (
    _read_range_into,
    _strip_chunk,
    read_buffer,
)
from htptui.model.chrometrace.columns import (
    FLAG_BITS,
    FLAG_OTHER,
)
from htptui.model.chrometrace.wire import (
    _EMPTY_ARGS,
    _EMPTY_FAST_ARGS,
    _FAST_ARGS_DECODER,
    _FAST_DECODER,
    _FLAGS_DECODER,
    _GET_ARGS,
    _GET_COUNTER,
    _GET_CPP,
    _GET_DPC,
    _GET_DUR,
    _GET_FLAGS,
    _GET_HTP,
    _GET_ID,
    _GET_NAME,
    _GET_PID,
    _GET_QNN,
    _GET_QTYPE,
    _GET_START,
    _GET_TID,
    _GET_TS,
    _LIST_DECODER,
    _RAW_ARGS_DECODER,
    _TAGGED_DECODER,
    _UNIT_RE,
    _as_int,
    _CEv,
    _FEv,
    _MEv,
    _SEv,
    _XEv,
)


class _ChunkError(Exception):
    """A chunk did not decode on its own (a boundary inside an event, or bad JSON)."""


@dataclass(eq=False)
class _Chunk:
    """Columns extracted from one batch of events, with chunk-local string ids."""

    n_events: int
    strings: list[str]
    x: dict[str, np.ndarray]
    counters: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]
    flows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]
    thread_names: dict[tuple[int, int], str]
    process_names: dict[int, str]
    process_opids: dict[int, int]
    other_ph: int
    bad_ids: int
    skipped: int = 0  # per-op duplicate X events dropped before extraction


def _flag_bits_of(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, msgspec.Raw):
        try:
            value = _FLAGS_DECODER.decode(value)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return FLAG_OTHER
    if isinstance(value, str):
        value = [value]
    bits = 0
    for f in value or ():
        bits |= FLAG_BITS.get(f, FLAG_OTHER) if isinstance(f, str) else FLAG_OTHER
    return bits


def _hex_ids(raw_ids: list[Any]) -> tuple[list[int], int]:
    try:
        return [int(v, 16) if v else 0 for v in raw_ids], 0
    except (ValueError, TypeError):
        out, bad = [], 0
        for v in raw_ids:
            i = parse_id(v)
            if i is None or i < 0 or i >= 1 << 64:
                bad += v is not None
                i = 0
            out.append(i)
        return out, bad


_HEX_DIGIT = np.full(256, 255, dtype=np.uint8)
for _k, _c in enumerate(b"0123456789abcdef"):
    _HEX_DIGIT[_c] = _k
for _k, _c in enumerate(b"ABCDEF"):
    _HEX_DIGIT[_c] = 10 + _k


def _hex_id_column(raw_ids: list[Any]) -> tuple[np.ndarray, int]:
    """:func:`_hex_ids` as a uint64 column: vectorised when every ID is written the SDK's way (a
    string ``0x`` + 1-16 hex digits, all of one length), else :func:`_hex_ids` itself."""
    n = len(raw_ids)
    width = len(raw_ids[0]) if n and type(raw_ids[0]) is str else 0
    if 3 <= width <= 18 and None not in raw_ids:
        lengths = np.fromiter(map(len, raw_ids), np.intp, n)
        if (lengths == width).all():
            text = "".join(raw_ids)
            if text.isascii():
                m = np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(n, width)
                digits = _HEX_DIGIT[m[:, 2:]]
                if (m[:, 0] == 0x30).all() and (m[:, 1] == 0x78).all() and (digits < 16).all():
                    value = np.zeros(n, dtype=np.uint64)
                    four = np.uint64(4)
                    for k in range(width - 2):
                        value <<= four
                        value |= digits[:, k]
                    return value, 0
    ids, bad = _hex_ids(raw_ids)
    return np.array(ids, dtype=np.uint64), bad


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
    """Read one byte range of the file and decode it (the previous loader's way)."""
    import gc

    gc.disable()
    with open(path, "rb") as fh:
        fh.seek(start)
        blob = fh.read(end - start)
    return _process_blob(_strip_chunk(blob), keep_pids)


def _process_range_lean(
    path: str, start: int, end: int, keep_pids: frozenset[int] | None = None
) -> _Chunk:
    """Read one byte range of the file into a buffer and decode it the lean way."""
    with open(path, "rb", buffering=0) as fh:
        return _process_view(_read_range_into(fh, read_buffer(end - start), start, end), keep_pids)


def _int_column(values: list[int | None]) -> np.ndarray:
    """int64 column with -1 for None."""
    if None in values:
        return np.fromiter((-1 if v is None else v for v in values), np.int64, len(values))
    return np.array(values, dtype=np.int64)


_GET_EVENT_ID = attrgetter("id")
_GET_CAT = attrgetter("cat")


_PH_CODE = {_XEv: 0, _CEv: 1, _MEv: 2, _SEv: 3, _FEv: 4}


def _counter_columns(
    cs: list[Any],
) -> dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]:
    """Counter series of a chunk's C events, grouped by (pid, name) in order of first appearance,
    each in event order (events without a value are left out)."""
    m = len(cs)
    if not m:
        return {}
    # JSON has no NaN, so a NaN here is exactly a counter without a value (None -> nan)
    cval = np.array(list(map(_GET_COUNTER, cs)), dtype=np.float64)
    have = ~np.isnan(cval)
    cts = np.fromiter(map(_GET_TS, cs), np.int64, m)
    pids = list(map(_GET_PID, cs))
    names = list(map(_GET_NAME, cs))
    if not have.all():
        sel = np.flatnonzero(have)
        cval, cts = cval[sel], cts[sel]
        keep_list = have.tolist()
        pids = list(compress(pids, keep_list))
        names = list(compress(names, keep_list))
        m = len(names)
        if not m:
            return {}
    if pids.count(pids[0]) == m:  # one pid (the usual case): key by name alone
        order = dict.fromkeys(names)
        keys = [(pids[0], nm) for nm in order]
    else:
        names = list(zip(pids, names, strict=True))
        order = dict.fromkeys(names)
        keys = list(order)
    if len(keys) == 1:
        return {keys[0]: (cts, cval)}
    codes = {key: k for k, key in enumerate(order)}
    code = np.fromiter(map(codes.__getitem__, names), np.int32, m)
    out: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}
    if len(keys) <= 16:  # a few series: one compare per series beats a stable sort
        for k, key in enumerate(keys):
            sel = np.flatnonzero(code == k)
            out[key] = (cts[sel], cval[sel])
        return out
    srt = np.argsort(code, kind="stable")
    bounds = np.cumsum(np.bincount(code, minlength=len(keys))).tolist()
    lo = 0
    for key, hi in zip(keys, bounds, strict=True):
        sel = srt[lo:hi]
        out[key] = (cts[sel], cval[sel])
        lo = hi
    return out


def _extract_lean(events: list[Any], keep_pids: frozenset[int] | None) -> _Chunk:
    """Columns of one chunk decoded by ``_TAGGED_DECODER``: the same result as :func:`_extract`.

    One pass over the events codes them by phase; X events of other pids than ``keep_pids`` are
    counted and dropped before any args work, and only the kept X events' raw args are decoded.
    Raises msgspec.ValidationError when an args object does not fit the strict types (the caller
    then uses the previous path).
    """
    n_all = len(events)
    types = list(map(type, events))
    n_x = types.count(_XEv)
    cs: list[Any] = []
    ms: list[Any] = []
    fl: list[Any] = []
    if n_x == n_all:
        x_all = events
        x_pos = np.arange(n_all, dtype=np.int64)
    elif n_x == 0 and types.count(_CEv) == n_all:  # a run of counters (most of a real trace)
        x_all = []
        x_pos = np.zeros(0, dtype=np.int64)
        cs = events
    else:  # each phase picked by a C-speed compress over a phase-code mask
        code = np.fromiter(map(_PH_CODE.__getitem__, types), np.int8, n_all)
        is_x = code == 0
        x_pos = np.flatnonzero(is_x)
        x_all = list(compress(events, is_x.tolist())) if n_x else []
        cs = list(compress(events, (code == 1).tolist()))
        if n_x + len(cs) < n_all:
            ms = list(compress(events, (code == 2).tolist()))
            fl = list(compress(events, (code >= 3).tolist()))
    del types
    if keep_pids is None:
        xs, x_index = x_all, x_pos
    else:
        pids = np.fromiter(map(_GET_PID, x_all), np.int64, n_x)
        if len(keep_pids) == 1:
            kept = pids == next(iter(keep_pids))
        else:
            kept = np.isin(pids, np.fromiter(keep_pids, np.int64, len(keep_pids)))
        xs = x_all if kept.all() else list(compress(x_all, kept.tolist()))
        x_index = x_pos[kept]
    del x_all
    n = len(xs)
    ar = list(map(_FAST_ARGS_DECODER.decode, map(_GET_ARGS, xs)))
    htp = list(map(_GET_HTP, ar))
    if None in htp or "" in htp:
        htp = [a.htp_op_type or e.name for e, a in zip(xs, ar, strict=True)]
    qnn_names = list(map(_GET_QNN, ar))
    qnn_types = list(map(_GET_QTYPE, ar))
    local: dict[Any, int] = {"": 0}
    for seq in (htp, qnn_names, qnn_types):  # ids in order of first appearance, as before
        for key in dict.fromkeys(seq):
            if key is not None and key not in local:
                local[key] = len(local)
    strings = list(local)
    local[None] = 0
    lookup = local.__getitem__
    ids, bad = _hex_id_column(list(map(_GET_ID, ar)))
    flag_vals = list(map(_GET_FLAGS, ar))
    bits = {f: _flag_bits_of(f) for f in dict.fromkeys(flag_vals)}
    x = {
        "pid": np.fromiter(map(_GET_PID, xs), np.int64, n),
        "tid": np.fromiter(map(_GET_TID, xs), np.int64, n),
        "ts": np.fromiter(map(_GET_TS, xs), np.int64, n),
        "dur": np.fromiter(map(_GET_DUR, xs), np.int64, n),
        "kernel": np.fromiter(map(lookup, htp), np.int32, n),
        "qnn": np.fromiter(map(lookup, qnn_names), np.int32, n),
        "qtype": np.fromiter(map(lookup, qnn_types), np.int32, n),
        "op_id": ids,
        "flags": np.fromiter(map(bits.__getitem__, flag_vals), np.uint16, n),
        "dpc": _int_column(list(map(_GET_DPC, ar))),
        "cpp": np.array(list(map(_GET_CPP, ar)), dtype=np.float32),  # None -> nan
        "start": _int_column(list(map(_GET_START, ar))),
        "ordinal": np.asarray(x_index, dtype=np.int64),
    }
    del ar, htp, qnn_names, qnn_types, flag_vals
    counters = _counter_columns(cs)
    fids = list(map(_GET_EVENT_ID, fl))  # strict ints (or None): parse_id would return them as is
    if None in fids:
        fids = [-1 if v is None else v for v in fids]
    n_fl = len(fl)
    flows = (
        np.array(fids, dtype=np.int64),
        np.array([type(e) is _SEv for e in fl], dtype=bool),
        np.fromiter(map(_GET_TS, fl), np.int64, n_fl),
        np.fromiter(map(_GET_TID, fl), np.int64, n_fl),
        list(map(_GET_CAT, fl)),
    )
    thread_names: dict[tuple[int, int], str] = {}
    process_names: dict[int, str] = {}
    process_opids: dict[int, int] = {}
    shown: dict[str, str] = {}  # the same thread name repeats in every per-op process
    # A thread of a process that is not kept (the SDK's per-QNN-op copies: one process per op,
    # each naming its threads again) only serves as the lane-name fallback (normalise: the first
    # unit-named thread with the lane's tid), so only the first such per tid is kept: at 3M events
    # that is 197k names fewer to pickle, merge and hold.
    fallback_tids: set[int] = set()
    for e in ms:
        a = e.args
        if a.name is None:
            continue
        if e.name == "thread_name":
            other = keep_pids is not None and e.pid not in keep_pids
            if other and e.tid in fallback_tids:
                continue
            name = shown.get(a.name)
            if name is None:
                name = shown[a.name] = clean_text(a.name)
            if other:
                if _UNIT_RE.search(name) is None:
                    continue
                fallback_tids.add(e.tid)
            thread_names[(e.pid, e.tid)] = name
        elif e.name == "process_name":
            process_names[e.pid] = clean_text(a.name)
            opid = parse_id(a.opid) if a.opid is not None else None
            if opid is not None:
                process_opids[e.pid] = opid
    return _Chunk(
        n_events=n_all,
        strings=strings,
        x=x,
        counters=counters,
        flows=flows,
        thread_names=thread_names,
        process_names=process_names,
        process_opids=process_opids,
        other_ph=0,
        bad_ids=bad,
        skipped=n_x - n if keep_pids is not None else 0,
    )


def _lines_chunk(
    n_events: int,
    counters: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] | None = None,
    flows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]] | None = None,
) -> _Chunk:
    """The chunk of ``n_events`` counter or flow events (no X, no M), as :func:`_extract_lean`
    gives it."""
    i64 = np.zeros(0, dtype=np.int64)
    i32 = np.zeros(0, dtype=np.int32)
    x = {
        "pid": i64, "tid": i64.copy(), "ts": i64.copy(), "dur": i64.copy(),
        "kernel": i32, "qnn": i32.copy(), "qtype": i32.copy(),
        "op_id": np.zeros(0, dtype=np.uint64), "flags": np.zeros(0, dtype=np.uint16),
        "dpc": i64.copy(), "cpp": np.zeros(0, dtype=np.float32), "start": i64.copy(),
        "ordinal": i64.copy(),
    }  # fmt: skip
    if flows is None:
        flows = (i64.copy(), np.zeros(0, dtype=bool), i64.copy(), i64.copy(), [])
    return _Chunk(
        n_events=n_events,
        strings=[""],
        x=x,
        counters=counters or {},
        flows=flows,
        thread_names={},
        process_names={},
        process_opids={},
        other_ph=0,
        bad_ids=0,
        skipped=0,
    )


def _process_view(view: memoryview, keep_pids: frozenset[int] | None) -> _Chunk:
    """Decode one ``[<events>]`` buffer the lean way, or the old way when it does not fit.

    A chunk of nothing but the SDK's counter lines, or of its flow lines, is read from its bytes
    (``eventlines``; anything else there takes the decoder).
    """
    form = eventlines.form_of(view)
    if form == "C":
        counters = eventlines.read_counter_chunk(view)
        if counters is not None:
            return _lines_chunk(counters[0], counters=counters[1])
    elif form == "flow":
        flows = eventlines.read_flow_chunk(view)
        if flows is not None:
            return _lines_chunk(flows[0], flows=flows[1])
    try:
        return _extract_lean(_TAGGED_DECODER.decode(view), keep_pids)
    except msgspec.DecodeError as exc:  # not JSON (ValidationError, a subclass, is handled below)
        if not isinstance(exc, msgspec.ValidationError):
            raise _ChunkError(str(exc)) from None
    except (RecursionError, OverflowError, ValueError, TypeError):
        pass  # odd values (deep nesting, huge ints): the previous path words the problem
    return _process_blob(_strip_chunk(bytes(view[1:-1])), keep_pids)
