"""The figures :meth:`RunAnalysis.warm_first` computes, saved beside the trace's column cache entry.

Reopening a big trace from the column cache still cost its first figures (per-core summaries, op
kinds, the coverage index, the QNN-op ranking, the op-id index, Σ busy per QNN op): about a second
at 3M events. They are pure functions of the cached columns and of the resolved DPC
(``OpTrace.dpc``, ``dpc_source``, ``tiled``: the QHAS join), so :func:`store` writes them into the
entry's directory (``figures.npz``: plain arrays and one msgpack member) and :func:`restore` seeds a
fresh analysis with them, read as plain arrays (no memmap).

Never trusted: the file carries a key over the format, the htptui version, the source of every
module that computes these figures, the entry and the op count, and a digest of the resolved DPC
arrays (another QHAS file gives other figures); every member is type-checked and every index
range-checked, and zip's CRC catches flipped bytes. A stale, corrupt or inconsistent file is
deleted and the figures are computed afresh (then stored again).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import struct
import sys
import threading
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np

from htptui import __version__
from htptui.analysis import attribution
from htptui.analysis.ranking import Ranking
from htptui.analysis.summary import KIND_NAMES, CoreSummary

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis

FIGURES_FORMAT = 1
FILE = "figures.npz"
#: modules whose code computes the stored figures: a change to any of them invalidates every file
_CODE = (
    "htptui.analysis.attribution", "htptui.analysis.buckets", "htptui.analysis.checks",
    "htptui.analysis.intervals", "htptui.analysis.ranking", "htptui.analysis.run",
    "htptui.analysis.summary", "htptui.analysis.warm_cache", "htptui.model.dpc",
)  # fmt: skip
_RANKING_SCALARS = {"level", "names", "dpc_total", "dpc_filtered_total"}
_RANKING_ROW_ARRAYS = ("dpc", "busy", "instances", "span", "concurrency", "cpp", "units",
                       "first_ts", "dpc_exact", "res_of_row", "dpc_absent")  # fmt: skip
_PENDING: list[threading.Thread] = []
_code_digest: str | None = None


class _Invalid(Exception):
    """A figures file that reads but does not describe this trace's figures."""


class _Meta(msgspec.Struct, forbid_unknown_fields=True):
    format: int
    key: str
    n_ops: int
    cores: list[int]
    summaries: list[CoreSummary]
    qnn_op_busy: dict[str, int]
    level: str
    names: list[str]
    dpc_total: int
    dpc_filtered_total: int
    ranking_none: list[str]
    lane_keys: list[int]
    track_keys: list[tuple[int, int]]


def _code() -> str:
    global _code_digest
    if _code_digest is None:
        import importlib

        h = hashlib.blake2b(digest_size=16)
        for name in _CODE:
            mod = sys.modules.get(name) or importlib.import_module(name)
            try:
                h.update(Path(mod.__file__ or "").read_bytes())
            except OSError:
                h.update(f"{name}: unreadable".encode())
        _code_digest = h.hexdigest()
    return _code_digest


def _key(an: RunAnalysis, entry: Path) -> str:
    t = an.trace
    assert t is not None
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{FIGURES_FORMAT}|{__version__}|{_code()}|{entry.name}|{len(t)}".encode())
    for a in (t.dpc, t.dpc_source, t.tiled):
        a = np.ascontiguousarray(a)
        h.update(f"|{a.dtype.str}{a.shape}|".encode())
        h.update(a.data)
    return h.hexdigest()


def _entry(an: RunAnalysis, wait: bool) -> Path | None:
    """The column cache entry of the analysis' own trace (None: nothing to store beside)."""
    from htptui.model import cache

    if an.parent is not None or not an.has_ops or not cache.enabled():
        return None
    return cache.entry_of(an.trace, wait=wait)


# ------------------------------------------------------------------ writing


def _pack(an: RunAnalysis, entry: Path) -> tuple[_Meta, dict[str, np.ndarray]] | None:
    """The warm-first figures of ``an`` as (meta, arrays); None when one does not fit the format."""
    from htptui.analysis.run import ALL

    rk = an.ranking("qnn_op", ALL)
    arrays: dict[str, np.ndarray] = {}
    none: list[str] = []
    for f in dataclasses.fields(rk):
        v = getattr(rk, f.name)
        if f.name in _RANKING_SCALARS:
            continue
        if v is None:
            none.append(f.name)
        elif isinstance(v, np.ndarray):
            arrays[f"rk_{f.name}"] = v
        else:
            return None  # a field this format does not know: leave the figures uncached
    cov = an.coverage()
    lane_keys, lane_flat, track_keys, track_flat = cov.parts()
    cores = an.cores()
    arrays.update(
        kinds=an.kinds(),
        lane_flat=lane_flat,
        track_flat=track_flat,
        op_id_order=an._op_id_index()[2],
    )
    meta = _Meta(
        format=FIGURES_FORMAT,
        key=_key(an, entry),
        n_ops=len(an.trace or ()),
        cores=cores,
        summaries=[an.core_summary(c) for c in (cores or [0])],
        qnn_op_busy=an.qnn_op_busy(),
        level=rk.level,
        names=rk.names,
        dpc_total=rk.dpc_total,
        dpc_filtered_total=rk.dpc_filtered_total,
        ranking_none=none,
        lane_keys=lane_keys,
        track_keys=track_keys,
    )
    return meta, arrays


def _write(an: RunAnalysis) -> Path | None:
    entry = _entry(an, wait=True)
    if entry is None:
        return None
    packed = _pack(an, entry)
    if packed is None:
        return None
    meta, arrays = packed
    arrays["meta"] = np.frombuffer(msgspec.msgpack.encode(meta), dtype=np.uint8)
    tmp = entry / f".{FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        for old in entry.glob(f".{FILE}.*.tmp"):  # left by a writer that was killed
            old.unlink(missing_ok=True)
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, entry / FILE)
    except OSError:
        tmp.unlink(missing_ok=True)
        return None
    return entry / FILE


def store(an: RunAnalysis, background: bool = True) -> None:
    """Save the warm-first figures beside the trace's cache entry (after its columns are saved).

    With ``background`` a (non-daemon) thread writes them; :func:`wait` joins it."""
    from htptui.model import cache

    if an.parent is not None or not an.has_ops or not cache.has_entry(an.trace):
        return
    if not background:
        _write(an)
        return
    th = threading.Thread(target=_write, args=(an,), name="htptui-figures-save")
    _PENDING.append(th)
    th.start()


def wait() -> None:
    """Wait for every background :func:`store` (tests)."""
    while _PENDING:
        _PENDING.pop().join()


# ------------------------------------------------------------------ reading


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise _Invalid(what)


def _array(z: Any, name: str, dtype: Any, n: int | None = None, ndim: int = 1) -> np.ndarray:
    a = z[name]
    _need(isinstance(a, np.ndarray) and a.ndim == ndim, f"{name} shape")
    _need(a.dtype == np.dtype(dtype), f"{name} dtype")
    _need(n is None or a.shape[0] == n, f"{name} length")
    return a


def _in_range(a: np.ndarray, hi: int) -> bool:
    return not a.size or (int(a.min()) >= 0 and int(a.max()) < hi)


def _read(an: RunAnalysis, path: Path, entry: Path) -> dict[Any, Any]:
    """The memo entries of the file (raises on anything that does not fit this trace)."""
    from htptui.analysis.buckets import CoverageIndex
    from htptui.analysis.run import ALL

    t = an.trace
    assert t is not None
    n = len(t)
    from htptui.model import cache

    z = cache.side_arrays(t, FILE)  # read ahead with the columns (the CLI's prefetch), else now
    if z is None:
        z = cache.read_npz(path)
    meta = msgspec.msgpack.decode(_array(z, "meta", np.uint8).tobytes(), type=_Meta)
    _need(meta.format == FIGURES_FORMAT and meta.n_ops == n, "format")
    _need(meta.key == _key(an, entry), "stale key")
    # the ranking: every array field of the fresh one, with its dtype
    rows = len(meta.names)
    _need(meta.level == "qnn_op", "ranking level")
    kw: dict[str, Any] = {"level": meta.level, "names": meta.names, "dpc_total": meta.dpc_total,
                          "dpc_filtered_total": meta.dpc_filtered_total}  # fmt: skip
    for f in dataclasses.fields(Ranking):
        if f.name in kw:
            continue
        if f.name in meta.ranking_none:
            kw[f.name] = None
            continue
        a = z.get(f"rk_{f.name}")
        _need(isinstance(a, np.ndarray) and a.dtype.kind in "biuf", f"ranking {f.name}")
        kw[f.name] = a
    for name in _RANKING_ROW_ARRAYS:
        _need(kw[name] is None or (kw[name].ndim == 1 and kw[name].shape[0] == rows), name)
    res = kw["res_dpc"]
    _need(res is None or res.shape == (rows, attribution.N_RESOURCES), "res_dpc")
    mo, ms = kw["member_order"], kw["member_start"]
    _need(
        mo.ndim == 1 and mo.dtype == np.int64 and mo.shape[0] == n and _in_range(mo, n), "members"
    )
    _need(ms.ndim == 1 and ms.dtype == np.int64 and ms.shape[0] == rows + 1, "member_start")
    _need(int(ms[0]) == 0 and int(ms[-1]) == n and bool(np.all(np.diff(ms) >= 0)), "member_start")
    ranking = Ranking(**kw)
    # op kinds and the coverage index
    kinds = _array(z, "kinds", np.uint8, n)
    _need(_in_range(kinds, len(KIND_NAMES)), "kinds")
    _need(meta.lane_keys == [ln.index for ln in t.lanes], "lane keys")
    _need(all(0 <= ln < len(t.lanes) and 0 <= k < len(KIND_NAMES) for ln, k in meta.track_keys),
          "track keys")  # fmt: skip
    lane_flat = _array(z, "lane_flat", np.int64)
    _need(lane_flat.shape[0] == len(meta.lane_keys) + n, "lane tracks cover every op once")
    try:
        cov = CoverageIndex.restore(t, kinds, meta.lane_keys, lane_flat, meta.track_keys,
                                    _array(z, "track_flat", np.int64))  # fmt: skip
    except ValueError as exc:
        raise _Invalid(str(exc)) from None
    # the op-id index (keys sorted: else the order is not this trace's)
    order = _array(z, "op_id_order", np.int64, n)
    _need(_in_range(order, n), "op-id order")
    keys = t.op_id[order]
    _need(bool(np.all(keys[1:] >= keys[:-1])), "op-id order not sorted")
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if n else order[:0]
    op_id_index = (keys[starts], np.append(starts, n).astype(np.int64), order)
    # per-core summaries: their lanes are the trace's own Lane objects
    cores = meta.cores
    _need(len(meta.summaries) == len(cores or [0]), "summaries")
    summaries = {}
    for c, cs in zip(cores or [0], meta.summaries, strict=True):
        _need(cs.core == c, "summary core")
        lanes = []
        for ls in cs.lanes:
            k = ls.lane.index
            _need(0 <= k < len(t.lanes) and t.lanes[k] == ls.lane, "summary lane")
            lanes.append(dataclasses.replace(ls, lane=t.lanes[k]))
        summaries[("core_summary", c)] = dataclasses.replace(cs, lanes=tuple(lanes))
    return {
        "cores": cores,
        **summaries,
        "kinds": kinds,
        "coverage": cov,
        ("ranking", "qnn_op", ALL): ranking,
        "op_id_index": op_id_index,
        "qnn_op_busy": meta.qnn_op_busy,
    }


def restore(an: RunAnalysis) -> bool:
    """Seed ``an`` with the stored warm-first figures of its trace; False (and the file deleted
    when it was there but unusable) when they must be computed."""
    entry = _entry(an, wait=False)
    if entry is None:
        return False
    path = entry / FILE
    if not path.is_file():
        return False
    try:
        figures = _read(an, path, entry)
    except (_Invalid, OSError, ValueError, LookupError, TypeError, EOFError, AttributeError,
            ArithmeticError, RecursionError, NotImplementedError, struct.error,
            msgspec.DecodeError, zipfile.BadZipFile):  # fmt: skip
        path.unlink(missing_ok=True)  # stale, corrupt or inconsistent: computed and stored again
        return False
    an._seed(figures)
    return True
