"""A Perfetto-loadable Chrome-JSON trace of one run, with the HTP's units right.

The SDK's op trace puts cycles in the Chrome ``ts``/``dur`` fields (which mean µs), so Perfetto shows
cycles × 1000 as nanoseconds (spec trap 1), and every op twice (trap 2). This writer emits each
executed op once, at real time: ``ts``/``dur`` in µs at the clock of the execute the op trace shows
(the runtrace's first execute). Lanes are named threads of one process per core, the QHAS dominant
path is a track of its own, and the memory counters are counter tracks. Without a runtrace clock
the timestamps stay in cycles, written so that Perfetto's nanoseconds read as cycles (1 cycle =
1 ns), and the trace's ``htptui`` metadata says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from htptui import __version__
from htptui.analysis.tables import Tables

CHUNK = 20_000
#: the tables the trace is drawn from (build only these: findings alone take seconds on big traces)
TABLES = frozenset({"ops", "lanes", "qhas_path", "counters"})


def _scale(ghz: float | None) -> float:
    """Divide cycles by this to get the µs written in the trace."""
    return ghz * 1000.0 if ghz else 1000.0


def _valid(col: np.ndarray) -> np.ndarray:
    if isinstance(col, np.ma.MaskedArray):
        return ~np.ma.getmaskarray(col)
    if col.dtype.kind == "f":
        return ~np.isnan(col)
    if col.dtype == object:
        return np.array([v is not None for v in col], dtype=bool)
    return np.ones(len(col), dtype=bool)


def _us(cycles: np.ndarray, scale: float) -> np.ndarray:
    return np.round(np.asarray(cycles, dtype=np.float64) / scale, 3)


def build_events(ts: Tables) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Metadata and counter/path events (small), plus the trace-level metadata dict."""
    scale = _scale(ts.clock_ghz)
    ops = ts.data["ops"]
    lanes = ts.data["lanes"]
    events: list[dict[str, Any]] = []
    cores = sorted({int(c) for c in ops["core"]} | {int(c) for c in lanes["core"]})
    lane_keys: list[tuple[int, int, str]] = []
    for c, tid, label in zip(lanes["core"], lanes["tid"], lanes["lane"], strict=True):
        lane_keys.append((int(c), int(tid), str(label)))
    seen = {(c, t) for c, t, _ in lane_keys}
    for c, tid, label in zip(ops["core"], ops["tid"], ops["lane"], strict=True):
        if (int(c), int(tid)) not in seen:
            seen.add((int(c), int(tid)))
            lane_keys.append((int(c), int(tid), str(label)))
    max_tid = max((t for _, t, _ in lane_keys), default=0)
    path_tid = max(max_tid + 1, 1_000_000)  # a tid no unit lane uses
    for core in cores:
        events.append(
            {
                "ph": "M",
                "pid": core,
                "tid": 0,
                "name": "process_name",
                "args": {"name": f"Core {core} HTP"},
            }
        )
        events.append(
            {
                "ph": "M",
                "pid": core,
                "tid": 0,
                "name": "process_sort_index",
                "args": {"sort_index": core},
            }
        )
    for k, (core, tid, label) in enumerate(lane_keys):
        events.append(
            {"ph": "M", "pid": core, "tid": tid, "name": "thread_name", "args": {"name": label}}
        )
        events.append(
            {
                "ph": "M",
                "pid": core,
                "tid": tid,
                "name": "thread_sort_index",
                "args": {"sort_index": k + 1},
            }
        )
    path = ts.data["qhas_path"]
    path_cores = sorted({int(c) for c in path["core"]})
    have_path = _valid(path["ts"]) & _valid(path["end_ts"])
    for core in path_cores:
        events.append(
            {
                "ph": "M",
                "pid": core,
                "tid": path_tid,
                "name": "thread_name",
                "args": {"name": "Dominant path (QHAS)"},
            }
        )
        events.append(
            {
                "ph": "M",
                "pid": core,
                "tid": path_tid,
                "name": "thread_sort_index",
                "args": {"sort_index": 0},
            }
        )
    if have_path.any():
        start = _us(np.ma.getdata(path["ts"]), scale)
        end = _us(np.ma.getdata(path["end_ts"]), scale)
        for i in np.flatnonzero(have_path):
            events.append(
                {
                    "ph": "X",
                    "pid": int(path["core"][i]),
                    "tid": path_tid,
                    "name": str(path["htp_op"][i]),
                    "cat": "idle" if bool(path["idle"][i]) else "dominant_path",
                    "ts": float(start[i]),
                    "dur": float(round(end[i] - start[i], 3)),
                    "args": {
                        "QNN Op Name": str(path["qnn_op"][i]),
                        "ID": str(path["op_id"][i]),
                        "dp_cycles": int(path["dp_cycles"][i]),
                        "cycles": int(path["cycles"][i]),
                        "partial": bool(path["partial"][i]),
                    },
                }
            )
    cnt = ts.data["counters"]
    if len(cnt["ts"]):
        cts = _us(cnt["ts"], scale)
        for i in range(len(cts)):
            events.append(
                {
                    "ph": "C",
                    "pid": int(cnt["core"][i]),
                    "tid": 0,
                    "name": f"{cnt['name'][i]} (bytes)",
                    "ts": float(cts[i]),
                    "args": {"bytes": float(cnt["value"][i])},
                }
            )
    meta = {
        "tool": f"htptui {__version__}",
        "run": ts.run,
        "time_unit": "us at the trace execute's clock" if ts.clock_ghz else "cycles shown as ns",
        "clock_ghz": ts.clock_ghz,
        "deduplicated": True,
        "dominant_path_track": bool(have_path.any()),
    }
    return events, meta


def _op_events(ts: Tables, lo: int, hi: int, scale: float) -> list[dict[str, Any]]:
    ops = ts.data["ops"]
    start = _us(ops["ts"][lo:hi], scale).tolist()
    end = _us(ops["end_ts"][lo:hi], scale).tolist()

    def col(name: str) -> list[Any]:
        return np.asarray(np.ma.getdata(ops[name][lo:hi])).tolist()

    def ok(name: str) -> list[bool]:
        return _valid(ops[name][lo:hi]).tolist()

    usable = (
        _valid(ops["ts"][lo:hi]) & _valid(ops["end_ts"][lo:hi]) & _valid(ops["core"][lo:hi])
        & _valid(ops["tid"][lo:hi])
    ).tolist()  # fmt: skip
    out = []
    for (use, s, e, pid, tid, kernel, kind, qnn, qtype, oid, flags, dur, t0, sc, sc_ok, dpc, dpc_ok,
         per_tile, cpp, cpp_ok) in zip(
        usable, start, end, col("core"), col("tid"), col("kernel"), col("kind"), col("qnn_op"),
        col("qnn_type"), col("op_id"), col("flags"), col("dur"), col("ts"), col("start_cycle"),
        ok("start_cycle"), col("dpc"), ok("dpc"), col("dpc_per_tile"), col("cycles_per_packet"),
        ok("cycles_per_packet"), strict=True,
    ):  # fmt: skip
        if not use:
            continue  # a saved report's row without a time or a lane
        args: dict[str, Any] = {"cycles": dur, "ts (cycles)": t0}
        for key, value in (("QNN Op Name", qnn), ("QNN Op Type", qtype), ("ID", oid),
                           ("Flags", flags)):  # fmt: skip
            if value is not None:
                args[key] = value
        if sc_ok:
            args["Start Cycle"] = sc
        if dpc_ok:
            args["Dominant Path Cycles"] = dpc
            args["dpc_per_tile"] = bool(per_tile)
        if cpp_ok:
            args["Cycles per Packet"] = cpp
        out.append(
            {
                "ph": "X",
                "pid": pid,
                "tid": tid,
                "name": kernel if kernel is not None else "",
                "cat": kind or "op",
                "ts": s,
                "dur": round(e - s, 3),
                "args": args,
            }
        )
    return out


def write(ts: Tables, path: Path) -> int:
    """Write the trace to ``path``; return the number of events written."""
    enc = msgspec.json.Encoder()
    events, meta = build_events(ts)
    scale = _scale(ts.clock_ghz)
    n = ts.rows("ops")
    count = 0
    with path.open("wb") as fh:
        fh.write(b'{"displayTimeUnit":"ns","htptui":')
        fh.write(enc.encode(meta))
        fh.write(b',"traceEvents":[\n')
        first = True

        def emit(batch: list[dict[str, Any]]) -> None:
            nonlocal first, count
            if not batch:
                return
            body = enc.encode(batch)[1:-1]
            if not first:
                fh.write(b",\n")
            fh.write(body)
            first = False
            count += len(batch)

        emit(events)
        for lo in range(0, n, CHUNK):
            emit(_op_events(ts, lo, min(n, lo + CHUNK), scale))
        fh.write(b"\n]}\n")
    return count
