"""Column cache for big op traces, in the user cache directory (never the trace directory).

A decoded :class:`OpTrace` is saved as one ``.npy`` file per column plus a small msgpack file of the
rest (names, lanes, counters, flows). Reloading memory-maps the columns, so reopening a
multi-gigabyte trace takes milliseconds. Entries are keyed by the trace's absolute path, size and
modification time, so an edited trace is never served stale. Set ``HTPTUI_NO_CACHE=1`` to disable it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from htptui import __version__

CACHE_FORMAT = 2  # 2: the raw DPC column is "dpc_event" (OpTrace.dpc is resolved)
CACHE_ABOVE = 32 * 1024 * 1024  # traces smaller than this decode fast enough without a cache
MAX_ENTRIES = 6

_COLUMNS = (
    "ts",
    "dur",
    "lane",
    "kernel",
    "qnn_op",
    "qnn_type",
    "op_id",
    "flags",
    "dpc_event",
    "cpp",
    "start_cycle",
    "ordinal",
)


def enabled() -> bool:
    """Whether the cache may be used (``HTPTUI_NO_CACHE`` unset or 0)."""
    return os.environ.get("HTPTUI_NO_CACHE", "0") in ("", "0")


def cache_root() -> Path:
    """The htptui cache directory (platformdirs; honours XDG_CACHE_HOME)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("htptui", appauthor=False)) / "traces"


def _key(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    ident = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{CACHE_FORMAT}|{__version__}"
    return hashlib.sha256(ident.encode()).hexdigest()[:32]


def entry_dir(path: str | Path) -> Path | None:
    """Where the cache entry of a trace lives (whether or not it exists)."""
    key = _key(Path(path))
    return None if key is None else cache_root() / key


def load(path: str | Path) -> Any | None:
    """Return the cached OpTrace of ``path`` or None (missing, stale, unreadable, disabled)."""
    from htptui.model.chrometrace import Counters, Flows, Lane, NonExecuted, OpTrace, StringTable

    if not enabled():
        return None
    d = entry_dir(path)
    if d is None or not (d / "meta.msgpack").is_file():
        return None
    try:
        meta = msgspec.msgpack.decode((d / "meta.msgpack").read_bytes())
        if meta.get("format") != CACHE_FORMAT:
            return None
        cols = {name: np.load(d / f"{name}.npy", mmap_mode="r") for name in _COLUMNS}
        extra = np.load(d / "extra.npz")
        strings = StringTable()
        for s in meta["strings"][1:]:
            strings.intern(s)
        core_counters: dict[int, dict[str, Counters]] = {}
        for k, (core, name) in enumerate(meta["counter_keys"]):
            core_counters.setdefault(int(core), {})[name] = Counters(
                name=name, ts=extra[f"counter_ts_{k}"], value=extra[f"counter_value_{k}"]
            )
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
                category=meta["flow_category"],
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
        return trace
    except (OSError, ValueError, KeyError, TypeError, msgspec.DecodeError):
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
        arrays.update(
            ne_ts=ne.ts, ne_name=ne.name, ne_op_id=ne.op_id, ne_flags=ne.flags,
            flow_id=fl.flow_id, flow_is_start=fl.is_start, flow_ts=fl.ts, flow_tid=fl.tid,
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
            "flow_category": fl.category,
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
