"""Every op's ``args["Inputs Ops"]`` as CSR arrays, from decoded chunks in one vectorised pass.

:meth:`OpTrace.inputs_ops` feeds this the events of each chunk (``_InputsEvent`` structs that hold
only the ``Inputs Ops`` list, or raw events when a chunk does not fit that shape). Per chunk, the
ops' events are picked by ordinal with one ``searchsorted``, their lists flattened, and the IDs
parsed at once: the usual ``0x`` + 16 hex digits form by a numpy digit table over the UTF-32 code
points, any other form (short hex, ints, odd spellings) by :func:`parse_id` one at a time, so the
result is exactly what parsing every entry with :func:`parse_id` gives (entries that are not an ID
in (0, 2**64) dropped, repeats kept).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

import msgspec
import numpy as np

from htptui.model._io import parse_id


class _InputsArgs(msgspec.Struct, gc=False):
    inputs: list[Any] | None = msgspec.field(name="Inputs Ops", default=None)


class _InputsEvent(msgspec.Struct, gc=False):
    args: _InputsArgs | None = None


class _RawInputsArgs(msgspec.Struct, gc=False):
    inputs: msgspec.Raw = msgspec.field(name="Inputs Ops", default=msgspec.Raw(b""))


class _RawInputsEvent(msgspec.Struct, gc=False):
    args: _RawInputsArgs | None = None


INPUTS_DECODER = msgspec.json.Decoder(_InputsEvent)
# a chunk's events with each `Inputs Ops` kept as its raw JSON bytes (parsed below, vectorised)
INPUTS_LIST_DECODER = msgspec.json.Decoder(list[_RawInputsEvent])
_ENTRY = 21  # `"0x` + 16 hex digits + `"` and the `,` (or the closing `]`) after it

_EMPTY_IDS = np.zeros(0, dtype=np.uint64)
_ID_CHARS = 18  # "0x" + 16 hex digits: how chrometrace writes IDs
_SHIFTS = np.arange(60, -1, -4, dtype=np.uint64)
_HEX = np.full(128, -1, dtype=np.int64)
_HEX[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_HEX[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16)
_HEX[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)


def _entries(ev: Any) -> list[Any]:
    """The raw ``Inputs Ops`` list of one decoded (or raw) event; [] when it has none."""
    if isinstance(ev, _RawInputsEvent):
        raw = ev.args.inputs if ev.args is not None else None
        if not raw:
            return []
        try:
            value = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            return []
        return value if isinstance(value, list) and value else []
    if isinstance(ev, msgspec.Raw):
        try:
            ev = INPUTS_DECODER.decode(ev)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return []
    if ev.args is None or not ev.args.inputs:
        return []
    return ev.args.inputs


def _slow_id(v: Any) -> int | None:
    i = parse_id(v) if isinstance(v, str | int) and not isinstance(v, bool) else None
    return i if i is not None and 0 < i < 1 << 64 else None


def parse_ids(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(uint64 IDs, readable mask) of ``values``: ``parse_id`` of each, vectorised for the usual form."""
    n = len(values)
    out = np.zeros(n, dtype=np.uint64)
    ok = np.zeros(n, dtype=bool)
    if not n:
        return out, ok
    fast = np.fromiter((type(v) is str and len(v) == _ID_CHARS for v in values), bool, count=n)
    done = np.zeros(n, dtype=bool)
    if fast.any():
        idx = np.flatnonzero(fast)
        picked = values if idx.size == n else [values[i] for i in idx.tolist()]
        try:
            blob = "".join(picked).encode("utf-32-le")
        except UnicodeEncodeError:  # a lone surrogate: every entry the slow way
            blob = b""
            idx = idx[:0]
        cps = np.frombuffer(blob, dtype=np.uint32).reshape(-1, _ID_CHARS)
        head = (cps[:, 0] == ord("0")) & (cps[:, 1] == ord("x"))
        body = cps[:, 2:]
        digit = _HEX[np.minimum(body, 127).astype(np.int64)]
        digit[body > 127] = -1
        good = head & (digit >= 0).all(axis=1)
        vals = np.bitwise_or.reduce(np.maximum(digit, 0).astype(np.uint64) << _SHIFTS, axis=1)
        gi = idx[good]
        out[gi] = vals[good]
        ok[gi] = vals[good] != 0
        done[gi] = True
    for i in np.flatnonzero(~done).tolist():
        v = _slow_id(values[i])
        if v is not None:
            out[i], ok[i] = v, True
    return out, ok


def _raw_lists(raws: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(event position per ID, ID, readable) of raw ``Inputs Ops`` JSON values, vectorised for
    the form chrometrace writes (``["0x…","0x…"]``, no spaces); any other value through
    :func:`_entries`' decode and :func:`parse_ids` (the same result)."""
    n = len(raws)
    lens = np.fromiter(map(len, raws), dtype=np.int64, count=n)
    blob = np.frombuffer(b"".join(raws), dtype=np.uint8)
    starts = np.cumsum(lens) - lens
    k, rem = np.divmod(lens - 1, _ENTRY)
    cand = (rem == 0) & (k >= 1)
    cand[cand] &= blob[starts[cand]] == ord("[")
    ce = np.flatnonzero(cand)
    kk = k[ce]
    pos = np.repeat(ce, kk)
    first = np.repeat(starts[ce] + 1, kk)
    j = np.arange(pos.size, dtype=np.int64) - np.repeat(np.cumsum(kk) - kk, kk)
    ent = blob[(first + _ENTRY * j)[:, None] + np.arange(_ENTRY)]
    last = j == np.repeat(kk - 1, kk)
    good = (
        (ent[:, 0] == ord('"'))
        & (ent[:, 1] == ord("0"))
        & (ent[:, 2] == ord("x"))
        & (ent[:, 19] == ord('"'))
        & (ent[:, 20] == np.where(last, ord("]"), ord(",")))
    )
    digit = _HEX[np.minimum(ent[:, 3:19], 127).astype(np.int64)]
    good &= (digit >= 0).all(axis=1)
    vals = np.bitwise_or.reduce(np.maximum(digit, 0).astype(np.uint64) << _SHIFTS, axis=1)
    bad_ev = np.zeros(n, dtype=bool)
    bad_ev[pos[~good]] = True
    keep = ~bad_ev[pos]
    out_pos, out_ids, out_ok = [pos[keep]], [vals[keep]], [vals[keep] != 0]
    empty = lens == 0  # no list, or `[]` (a two-byte value that opens a list)
    two = np.flatnonzero(lens == 2)
    empty[two] = blob[starts[two]] == ord("[")
    slow = np.flatnonzero((~cand | bad_ev) & ~empty)
    for e in slow.tolist():
        try:
            value = msgspec.json.decode(raws[e])
        except msgspec.DecodeError:
            continue
        if isinstance(value, list) and value:
            ids, ok = parse_ids(value)
            out_pos.append(np.full(ids.size, e, dtype=np.int64))
            out_ids.append(ids)
            out_ok.append(ok)
    p, i, o = np.concatenate(out_pos), np.concatenate(out_ids), np.concatenate(out_ok)
    order = np.argsort(p, kind="stable")  # per event, in list order
    return p[order], i[order], o[order]


def inputs_csr(
    ordinal: np.ndarray, chunks: Iterable[tuple[int, list[Any]]]
) -> tuple[np.ndarray, np.ndarray]:
    """CSR ``(ptr, ids)`` over the ops of ``ordinal`` from ``(first ordinal, events)`` chunks.

    An op whose event lies in no chunk has no IDs; an event in two chunks is read from the first.
    """
    n = int(ordinal.size)
    ptr = np.zeros(n + 1, dtype=np.int64)
    if not n:
        return ptr, _EMPTY_IDS
    by_ord = np.argsort(ordinal, kind="stable")
    ords = ordinal[by_ord]
    assigned = np.zeros(n, dtype=bool)
    owners: list[np.ndarray] = []
    parts: list[np.ndarray] = []
    for first, events in chunks:
        lo, hi = np.searchsorted(ords, [first, first + len(events)], side="left").tolist()
        if lo >= hi:
            continue
        ops = by_ord[lo:hi]
        fresh = ~assigned[ops]
        ops, sel = ops[fresh], (ords[lo:hi][fresh] - first).tolist()
        assigned[ops] = True
        if sel and isinstance(events[sel[0]], _RawInputsEvent):
            raws = [b"" if (a := events[j].args) is None else a.inputs for j in sel]
            at, ids, ok = _raw_lists(raws)
            owners.append(ops[at[ok]])
            parts.append(ids[ok])
            continue
        lists = [_entries(events[j]) for j in sel]
        lens = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        if not lens.any():
            continue
        ids, ok = parse_ids(list(chain.from_iterable(lists)))
        owners.append(np.repeat(ops, lens)[ok])
        parts.append(ids[ok])
    if not owners:
        return ptr, _EMPTY_IDS
    owner = np.concatenate(owners)
    ids = np.concatenate(parts)
    ptr[1:] = np.cumsum(np.bincount(owner, minlength=n))
    return ptr, ids[np.argsort(owner, kind="stable")]
