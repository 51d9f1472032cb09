"""Column cache for big op traces, in the user cache directory (never the trace directory).

A decoded :class:`OpTrace` is saved as one ``.npy`` file per column plus a small msgpack file of the
rest (names, lanes, counters, flows). Reloading reads the columns into plain read-only arrays (a few
hundred MB/s; no memmap indexing on the UI path). The cache wraps the decoder from above
(:func:`load_or_decode`); it imports only the loader's column types. Entries are keyed by the trace's resolved path, size,
modification time and a hash of its first, middle and last 64 KiB (an in-place edit that keeps size
and mtime still changes the key), and every loaded entry is validated (column lengths and dtypes,
lane and string ids in range, types of every field): an inconsistent entry is deleted and rebuilt,
never trusted. Set ``HTPTUI_NO_CACHE=1`` to disable it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from htptui import __version__

CACHE_FORMAT = 4  # 2: the raw DPC column is "dpc_event"; 3: int32 lane, validated, content key;
# 4: flow categories as codes into a list of distinct names
CACHE_ABOVE = 32 * 1024 * 1024  # traces smaller than this decode fast enough without a cache
MAX_ENTRIES = 6

#: column -> dtype every entry must have
_DTYPES = {
    "ts": np.int64,
    "dur": np.int64,
    "lane": np.int32,
    "kernel": np.int32,
    "qnn_op": np.int32,
    "qnn_type": np.int32,
    "op_id": np.uint64,
    "flags": np.uint16,
    "dpc_event": np.int64,  # the event's own DPC arg (OpTrace.dpc is resolved from it)
    "cpp": np.float32,
    "start_cycle": np.int64,
    "ordinal": np.int64,
}
_COLUMNS = tuple(_DTYPES)


# the entry each trace was loaded from or saved to, and the background saves still running: what
# the figures cache of the analysis layer (htptui.analysis.warm_cache) stores its figures beside
_ENTRY_OF: weakref.WeakKeyDictionary[Any, Path] = weakref.WeakKeyDictionary()
_SAVING: weakref.WeakKeyDictionary[Any, threading.Thread] = weakref.WeakKeyDictionary()


def entry_of(trace: Any, wait: bool = True) -> Path | None:
    """The cache entry directory holding exactly this trace's columns (None when there is none).

    Only the trace object that was loaded from or saved to an entry has one (a trace derived from
    it, a window or a partial trace, has none). With ``wait`` a background save still writing
    the entry is waited for first.
    """
    saving = _SAVING.get(trace)
    if saving is not None and wait:
        saving.join()
    d = _ENTRY_OF.get(trace)
    return d if d is not None and (d / "meta.msgpack").is_file() else None


def has_entry(trace: Any) -> bool:
    """Whether this trace has a cache entry, or one is being written for it."""
    return trace in _SAVING or trace in _ENTRY_OF


class _Invalid(Exception):
    """A cache entry that decodes but does not describe a consistent trace."""


def enabled() -> bool:
    """Whether the cache may be used (``HTPTUI_NO_CACHE`` unset or 0)."""
    return os.environ.get("HTPTUI_NO_CACHE", "0") in ("", "0")


def cache_root() -> Path:
    """The htptui cache directory (platformdirs; honours XDG_CACHE_HOME)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("htptui", appauthor=False)) / "traces"


def _key(path: Path) -> str | None:
    from htptui.errors import InputError
    from htptui.model._io import content_digest

    try:
        st = path.stat()
        digest = content_digest(path)
    except (OSError, InputError):
        return None
    ident = (
        f"{os.path.realpath(path)}|{st.st_size}|{st.st_mtime_ns}|{digest}|{CACHE_FORMAT}|"
        f"{__version__}"
    )
    return hashlib.sha256(ident.encode()).hexdigest()[:32]


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise _Invalid(what)


def _is_list_of(v: Any, typ: type) -> bool:
    """A list whose items are all exactly ``typ`` (msgpack decodes exact str/int; bool is not int).

    One C-speed pass (``map(type)`` into a set): entries hold tens of thousands of names."""
    return type(v) is list and set(map(type, v)) <= {typ}


def _validate_meta(meta: Any) -> None:
    """Types of every meta field used below."""
    _need(isinstance(meta, dict), "meta is not a map")
    _need(meta.get("format") == CACHE_FORMAT, "format")
    _need(_is_list_of(meta.get("strings"), str) and bool(meta["strings"]), "strings")
    _need(meta["strings"][0] == "", "strings[0]")
    lanes = meta.get("lanes")
    _need(isinstance(lanes, list), "lanes")
    for k, ln in enumerate(lanes):
        _need(isinstance(ln, dict) and set(ln) == {"index", "core", "tid", "unit", "thread_name"},
              "lane keys")  # fmt: skip
        _need(ln["index"] == k and isinstance(ln["core"], int) and isinstance(ln["tid"], int),
              "lane ints")  # fmt: skip
        _need(isinstance(ln["unit"], str) and isinstance(ln["thread_name"], str), "lane strs")
    keys = meta.get("counter_keys")
    _need(isinstance(keys, list), "counter_keys")
    for ck in keys:
        _need(isinstance(ck, list | tuple) and len(ck) == 2, "counter key")
        _need(isinstance(ck[0], int) and isinstance(ck[1], str), "counter key types")
    _need(_is_list_of(meta.get("flow_categories"), str), "flow_categories")
    pn = meta.get("process_names")
    _need(isinstance(pn, dict) and all(isinstance(v, str) for v in pn.values()), "process_names")
    for k in pn:
        _need(isinstance(k, str) and k.lstrip("-").isdigit() and len(k) < 20, "process key")
    qi = meta.get("qnn_op_ids")
    _need(isinstance(qi, dict), "qnn_op_ids")
    _need(all(isinstance(k, str) and isinstance(v, int) for k, v in qi.items()), "qnn_op_ids")
    _need(meta.get("shape") in ("object", "bare-list"), "shape")
    _need(isinstance(meta.get("gzipped"), bool), "gzipped")
    for k in ("total_events", "duplicate_events"):
        _need(isinstance(meta.get(k), int) and not isinstance(meta.get(k), bool), k)
    _need(_is_list_of(meta.get("warnings"), str), "warnings")
    chunks = meta.get("chunks")
    _need(isinstance(chunks, list), "chunks")
    for c in chunks:
        _need(_is_list_of(c, int) and len(c) == 3, "chunk")


def _validate_columns(cols: dict[str, np.ndarray], n_lanes: int, n_strings: int) -> None:
    n = None
    for name, dtype in _DTYPES.items():
        col = cols[name]
        _need(isinstance(col, np.ndarray) and col.ndim == 1, f"{name} shape")
        _need(col.dtype == np.dtype(dtype), f"{name} dtype")
        n = col.shape[0] if n is None else n
        _need(col.shape[0] == n, f"{name} length")
    if not n:
        return
    for name, hi in (("lane", n_lanes), ("kernel", n_strings), ("qnn_op", n_strings),
                     ("qnn_type", n_strings)):  # fmt: skip
        col = cols[name]
        _need(int(col.min()) >= 0 and int(col.max()) < hi, f"{name} ids out of range")


def _array(extra: Any, key: str, dtype: Any = None, n: int | None = None) -> np.ndarray:
    a = extra[key]
    _need(isinstance(a, np.ndarray) and a.ndim == 1, f"{key} shape")
    _need(a.dtype.kind in "biuf", f"{key} dtype")
    if dtype is not None:
        _need(a.dtype == np.dtype(dtype), f"{key} dtype")
    if n is not None:
        _need(a.shape[0] == n, f"{key} length")
    return a


def load_or_decode(
    decode: Any,
    path: str | Path | None,
    *,
    data: bytes | None = None,
    label: str | None = None,
    progress: Any = None,
    partial: Any = None,
    background_save: bool = False,
) -> Any:
    """The cached columns of a big trace, or ``decode(...)`` of it (then saved for next time).

    This wraps the decoder from above (htptui.model.chrometrace.load calls it with its decoder),
    so the decoder knows nothing of the cache. With ``background_save`` the entry is written by a
    (non-daemon) thread after the trace is returned; the process waits for it before exiting.
    """
    label = label or (str(path) if path is not None else "<stdin>")
    size = 0
    if data is None and path is not None:
        try:
            size = os.path.getsize(path)
        except OSError:
            size = 0
    big = size > CACHE_ABOVE
    if big:
        assert path is not None
        cached = _take_prefetched(path)
        if cached is None:
            cached = load(path)  # the columns of an earlier decode of this exact file
        if cached is not None:
            cached.source = label
            if progress:
                progress(1.0, "loaded from the column cache")
            return cached
    trace = decode(path, data=data, label=label, progress=progress, partial=partial)
    if big:
        assert path is not None
        if background_save:
            th = threading.Thread(target=save, args=(path, trace), name="htptui-cache-save")
            _SAVING[trace] = th
            th.start()
        else:
            if progress:
                progress(1.0, "saving the column cache")
            save(path, trace)
    return trace


# cache entries being read ahead (prefetch): resolved path -> (thread, its results)
_PREFETCH: dict[str, tuple[threading.Thread, dict[str, Any]]] = {}
_SIDE: weakref.WeakKeyDictionary[Any, dict[str, dict[str, np.ndarray]]] = (
    weakref.WeakKeyDictionary()
)
#: files beside the columns that a prefetch reads too (htptui.analysis.warm_cache writes them)
SIDE_FILES = ("figures.npz",)


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, read now (no pickles; zip's CRC checked on each)."""
    with np.load(path, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def prefetch(path: str | Path) -> bool:
    """Start reading the cache entry of ``path`` in a thread (its columns and :data:`SIDE_FILES`),
    for a later :func:`load_or_decode` of it; False when there is no entry.

    The CLI calls it before importing Textual: the arrays are read while the UI starts."""
    if not exists(path):
        return False
    key = os.path.realpath(path)
    if key in _PREFETCH:
        return True
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            trace = load(path)
        except Exception:  # noqa: BLE001 - the later load_or_decode reads (or decodes) it again
            return
        out["trace"] = trace
        d = _ENTRY_OF.get(trace) if trace is not None else None
        side: dict[str, dict[str, np.ndarray]] = {}
        for name in SIDE_FILES if d is not None else ():
            try:
                side[name] = read_npz(d / name)
            except Exception:  # noqa: BLE001 - unreadable here: its reader meets the problem again
                continue
        if trace is not None:
            _SIDE[trace] = side

    th = threading.Thread(target=run, name="htptui-cache-read", daemon=True)
    _PREFETCH[key] = (th, out)
    th.start()
    return True


def _take_prefetched(path: str | Path) -> Any | None:
    """The trace a :func:`prefetch` read, if it is still the entry of ``path`` now."""
    job = _PREFETCH.pop(os.path.realpath(path), None)
    if job is None:
        return None
    job[0].join()
    trace = job[1].get("trace")
    if trace is None or _ENTRY_OF.get(trace) != entry_dir(path):
        return None  # the file changed meanwhile (or the entry did not load): read it afresh
    return trace


def side_arrays(trace: Any, name: str) -> dict[str, np.ndarray] | None:
    """The arrays of the side file ``name`` a prefetch read for this trace (once; None if none)."""
    side = _SIDE.get(trace)
    return None if side is None else side.pop(name, None)


def exists(path: str | Path) -> bool:
    """Whether a cache entry for this exact file is present (not whether it is readable)."""
    if not enabled():
        return False
    d = entry_dir(path)
    return d is not None and (d / "meta.msgpack").is_file()


def entry_dir(path: str | Path) -> Path | None:
    """Where the cache entry of a trace lives (whether or not it exists)."""
    key = _key(Path(path))
    return None if key is None else cache_root() / key


def load(path: str | Path) -> Any | None:
    """Return the cached OpTrace of ``path`` or None (missing, stale, unreadable, disabled)."""
    from htptui.model.chrometrace.columns import (
        Counters,
        Flows,
        Lane,
        NonExecuted,
        OpTrace,
        StringTable,
    )

    if not enabled():
        return None
    d = entry_dir(path)
    if d is None or not (d / "meta.msgpack").is_file():
        return None
    try:
        meta = msgspec.msgpack.decode((d / "meta.msgpack").read_bytes())
        _validate_meta(meta)
        cols = {name: np.load(d / f"{name}.npy", allow_pickle=False) for name in _COLUMNS}
        _validate_columns(cols, len(meta["lanes"]), len(meta["strings"]))
        for col in cols.values():
            col.flags.writeable = False  # shared by every reader; never mutated in place
        extra = dict(np.load(d / "extra.npz", allow_pickle=False))
        strings = StringTable.from_shown(meta["strings"])
        _need(strings is not None, "strings not clean or not unique")
        core_counters: dict[int, dict[str, Counters]] = {}
        for k, (core, name) in enumerate(meta["counter_keys"]):
            cts = _array(extra, f"counter_ts_{k}", np.int64)
            core_counters.setdefault(int(core), {})[name] = Counters(
                name=name, ts=cts, value=_array(extra, f"counter_value_{k}", np.float64, cts.size)
            )
        ne_ts = _array(extra, "ne_ts", np.int64)
        ne_name = _array(extra, "ne_name", np.int32, ne_ts.size)
        _need(not ne_name.size or (ne_name.min() >= 0 and ne_name.max() < len(strings)), "ne")
        _array(extra, "ne_op_id", np.uint64, ne_ts.size)
        _array(extra, "ne_flags", np.uint16, ne_ts.size)
        fid = _array(extra, "flow_id", np.int64)
        for key, dt in (("flow_is_start", np.bool_), ("flow_ts", np.int64), ("flow_tid", np.int64)):
            _array(extra, key, dt, fid.size)
        cat_code = _array(extra, "flow_cat", np.int32, fid.size)
        cats = meta["flow_categories"]
        _need(not cat_code.size or (cat_code.min() >= 0 and cat_code.max() < len(cats)), "flow cat")
        category = list(map(cats.__getitem__, cat_code.tolist()))
        trace = OpTrace(
            source=str(path),
            strings=strings,
            lanes=tuple(Lane(**ln) for ln in meta["lanes"]),
            non_executed=NonExecuted(
                ts=extra["ne_ts"],
                name=extra["ne_name"],
                op_id=extra["ne_op_id"],
                flags=extra["ne_flags"],
            ),
            counters=core_counters[min(core_counters)] if core_counters else {},
            core_counters=core_counters,
            flows=Flows(
                flow_id=extra["flow_id"],
                is_start=extra["flow_is_start"],
                ts=extra["flow_ts"],
                tid=extra["flow_tid"],
                category=category,
            ),
            process_names={int(k): v for k, v in meta["process_names"].items()},
            qnn_op_ids=dict(meta["qnn_op_ids"]),
            shape=meta["shape"],
            gzipped=meta["gzipped"],
            total_events=meta["total_events"],
            duplicate_events=meta["duplicate_events"],
            warnings=list(meta["warnings"]),
            **cols,
        )
        trace._chunks = [tuple(c) for c in meta["chunks"]]
        os.utime(d, None)  # mark as recently used
        _ENTRY_OF[trace] = d
        return trace
    except (_Invalid, OSError, ValueError, KeyError, TypeError, IndexError, EOFError,
            AttributeError, OverflowError, RecursionError, msgspec.DecodeError,
            msgspec.ValidationError):  # fmt: skip
        shutil.rmtree(d, ignore_errors=True)  # inconsistent or unreadable: rebuild it
        return None


def save(path: str | Path, trace: Any) -> Path | None:
    """Write the cache entry of a trace atomically; return its directory (None if it could not)."""
    if not enabled():
        return None
    d = entry_dir(path)
    if d is None:
        return None
    root = d.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        for name in _COLUMNS:
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(getattr(trace, name)))
        counter_keys = []
        arrays: dict[str, np.ndarray] = {}
        for core, series in trace.core_counters.items():
            for name, c in series.items():
                k = len(counter_keys)
                counter_keys.append((core, name))
                arrays[f"counter_ts_{k}"] = c.ts
                arrays[f"counter_value_{k}"] = c.value
        ne, fl = trace.non_executed, trace.flows
        cat_of = {c: k for k, c in enumerate(dict.fromkeys(fl.category))}
        arrays.update(
            ne_ts=ne.ts, ne_name=ne.name, ne_op_id=ne.op_id, ne_flags=ne.flags,
            flow_id=fl.flow_id, flow_is_start=fl.is_start, flow_ts=fl.ts, flow_tid=fl.tid,
            flow_cat=np.fromiter(map(cat_of.__getitem__, fl.category), np.int32, len(fl.category)),
        )  # fmt: skip
        np.savez(tmp / "extra.npz", **arrays)
        meta = {
            "format": CACHE_FORMAT,
            "strings": trace.strings.names,
            "lanes": [
                {
                    "index": ln.index,
                    "core": ln.core,
                    "tid": ln.tid,
                    "unit": ln.unit,
                    "thread_name": ln.thread_name,
                }
                for ln in trace.lanes
            ],
            "counter_keys": counter_keys,
            "flow_categories": list(cat_of),
            "process_names": {str(k): v for k, v in trace.process_names.items()},
            "qnn_op_ids": trace.qnn_op_ids,
            "shape": trace.shape,
            "gzipped": trace.gzipped,
            "total_events": trace.total_events,
            "duplicate_events": trace.duplicate_events,
            "warnings": trace.warnings,
            "chunks": [list(c) for c in trace._chunks],
            "saved": time.time(),
        }
        (tmp / "meta.msgpack").write_bytes(msgspec.msgpack.encode(meta))
        if d.exists():
            shutil.rmtree(d, ignore_errors=True)
        tmp.rename(d)
        _ENTRY_OF[trace] = d
        _evict(root)
        return d
    except OSError:
        shutil.rmtree(locals().get("tmp", root / ".none"), ignore_errors=True)
        return None


def _evict(root: Path) -> None:
    """Keep only the most recently used MAX_ENTRIES entries."""
    entries = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[MAX_ENTRIES:]:
        shutil.rmtree(old, ignore_errors=True)


def load_op_trace(
    path: str | Path | None = None,
    *,
    data: bytes | None = None,
    label: str | None = None,
    progress: Any = None,
    partial: Any = None,
    background_save: bool = False,
) -> Any:
    """The op trace of ``path``: the column cache when an earlier decode of this exact file is there,
    else decoded by :func:`htptui.model.chrometrace.loader.decode` (and cached when big)."""
    from htptui.model.chrometrace.loader import decode

    return load_or_decode(
        decode, path, data=data, label=label, progress=progress, partial=partial,
        background_save=background_save,
    )  # fmt: skip
