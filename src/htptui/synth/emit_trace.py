"""Writing the op trace (``chrometrace.json``) of a synthetic run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from htptui.synth.model import _g, _hid, _js, _tid_type
from htptui.synth.spec import _TRACE_HEADER

if TYPE_CHECKING:
    from htptui.synth.model import _Model, _Op, _Tensor


def _x_args(op: _Op) -> str:
    """Format the args object of an executed X event the way the SDK prints it."""
    parts = [f'"ID": "{_hid(op.uid)}"', f'"HTP Op Type": {_js(op.kernel)}']
    if op.desc:
        parts.append(f'"Description": {_js(op.desc)}')
    if op.dims is not None:
        parts.append('"Dims": [' + ",".join(map(str, op.dims)) + "]")
    parts += [
        f'"Data Type": "{op.dtype}"',
        f'"Rank": {op.rank}',
        f'"Step Size": {_g(op.step)}',
        f'"Zero Offset": {op.zero}',
    ]
    if op.inputs:
        parts.append('"Inputs Ops": [' + ",".join(f'"{_hid(u)}"' for u in op.inputs) + "]")
    parts += [
        f'"Flags": ["{op.flag}"]',
        f'"Cycles per Packet": {_g(op.cpp)}',
        f'"QNN Op Type": {_js(op.qnn.type)}',
        f'"QNN Op Name": {_js(op.qnn.name)}',
        f'"Start Cycle": {op.start}',
        f'"Duration (cycles)": {op.dur if op.ev_dur is None else op.ev_dur}',
        f'"Dominant Path Cycles": {op.dpc if op.ev_dpc is None else op.ev_dpc}',
    ]
    return "{ " + ",".join(parts) + "}"


def _t_args(t: _Tensor) -> str:
    """Format the args object of a non-executed tensor event."""
    parts = [f'"ID": "{_hid(t.uid)}"', f'"HTP Op Type": {_js(t.kind)}']
    if t.show_dims:
        parts.append('"Dims": [' + ",".join(map(str, t.dims)) + "]")
    parts += [
        f'"Data Type": "{t.dtype}"',
        f'"Rank": {t.rank}',
        f'"Step Size": {_g(t.step)}',
        f'"Zero Offset": {t.zero}',
    ]
    if t.kind == "q::Reshape":
        parts.append('"Inputs Ops": [' + ",".join(f'"{_hid(u)}"' for u in t.inputs) + "]")
        parts.append('"Flags": ["null_exec"]')
    return "{ " + ",".join(parts) + "}"


def _x_line(name: str, tid: int, pid: int, ts: int, dur: int, args: str) -> str:
    """Format one X event line."""
    return (
        f'{{ "name": {_js(name)}, "ph": "X", "tid": {tid}, "pid": {pid}, "ts": {ts}, '
        f'"dur": {dur}, "args": {args} }}'
    )


def _thread_line(pid: int, tid: int, name: str) -> str:
    """Format a thread_name metadata line."""
    return (
        f'{{ "cat": "__metadata", "pid": {pid}, "tid": {tid}, "ph": "M", "name": "thread_name", '
        f'"args": {{"name": {_js(name)}}}}}'
    )


def _proc_lines(pid: int, name: str, sort_index: int, opid: int | None) -> list[str]:
    """Format the process_name + process_sort_index metadata pair."""
    extra = "" if opid is None else f', "opid": "{_hid(opid)}"'
    return [
        f'{{ "cat": "__metadata", "pid": {pid}, "ph": "M", "name": "process_name", '
        f'"args": {{"name": {_js(name)}{extra}}}}}',
        f'{{ "cat": "__metadata", "pid": {pid}, "ph": "M", "name": "process_sort_index", '
        f'"args": {{"sort_index": {sort_index}}}}}',
    ]


def _flow_lines(
    cat: str, fid: int, s_tid: int, s_ts: int, f_tid: int, f_ts: int, pid: int
) -> list[str]:
    """Format an s/f flow pair."""
    name = "InputOutputFlowEvents" if cat == "input_output" else "SequencerFlowEvents"
    return [
        f'{{ "cat": "{cat}", "name": "{name}", "tid": {s_tid}, "pid": {pid}, "ts": {s_ts}, "ph": "s", "id": {fid}}}',
        f'{{ "cat": "{cat}", "name": "{name}", "tid": {f_tid}, "pid": {pid}, "ts": {f_ts}, "ph": "f", "pb": "e", "id": {fid}}}',
    ]


def _counter_line(name: str, pid: int, ts: int, value: int) -> str:
    """Format a counter event (note the SDK's missing spaces and empty args key)."""
    return f'{{ "name": "{name}", "ph": "C", "tid":0, "pid":{pid}, "ts":{ts}, "args": {{"": {value}}}}}'


def _emit_order(model: _Model) -> list[_Op]:
    """Return executed ops in the SDK's emission order (core, lane tid, start)."""
    return sorted(model.ops, key=lambda o: (o.core, o.tid, o.start))


def _trace_events(model: _Model) -> list[str]:
    """Build every op-trace event line (without trailing commas)."""
    spec = model.spec
    R = model.rebase
    lines: list[str] = []
    qpid: dict[int, int] = {}
    seen_threads: set[tuple[int, int]] = set()
    next_pid = 2
    order = _emit_order(model)
    for op in order:
        if op.qnn.opid not in qpid:
            qpid[op.qnn.opid] = next_pid
            next_pid += 1
        pid = qpid[op.qnn.opid]
        ts = op.start - R
        args = _x_args(op)
        unit = _tid_type(spec.layout, op.tid)
        lines.append(_x_line(op.kernel, op.tid, op.core, ts, op.dur, args))
        if (op.core, op.tid) not in seen_threads:
            seen_threads.add((op.core, op.tid))
            lines.append(_thread_line(op.core, op.tid, f"Type: {unit}"))
        lines.append(_x_line(op.kernel, op.tid, pid, ts, op.dur, args))
        if (pid, op.tid) not in seen_threads:
            seen_threads.add((pid, op.tid))
            lines.append(_thread_line(pid, op.tid, f"Core:{op.core} Type: {unit} Tid: {op.tid}"))

    # Non-executed tensors and flows.
    by_uid_op = {op.uid: op for op in model.ops}
    by_uid_t = {t.uid: t for t in model.tensors if t.event and t.ts >= 0}
    fid = 0
    emitted: set[int] = set()
    seq: list[tuple[_Op, _Op]] = []
    for op in order:
        for uid in dict.fromkeys(op.inputs):
            t = by_uid_t.get(uid)
            if t is not None:
                if uid in emitted:
                    continue
                emitted.add(uid)
                lines.append(_x_line(t.kind, 1, t.core, t.ts, 5, _t_args(t)))
                if spec.flows:
                    lines += _flow_lines(
                        "input_output", fid, 1, t.ts + 5, op.tid, op.start - R, op.core
                    )
                    fid += 1
                continue
            p = by_uid_op.get(uid)
            if p is None or not spec.flows or p.core != op.core:
                continue
            lines += _flow_lines(
                "input_output", fid, p.tid, p.end - R, op.tid, op.start - R, op.core
            )
            fid += 1
    if spec.flows:
        # Sequencer flows: control hand-over where a QNN op's first op runs on another lane.
        first_of: dict[int, _Op] = {}
        for op in sorted(model.ops, key=lambda o: o.start):
            first_of.setdefault(op.qnn.opid, op)
        for op in first_of.values():
            for d in op.deps:
                if d.core == op.core and d.tid != op.tid:
                    seq.append((d, op))
                    break
        for p, c in sorted(seq, key=lambda pc: (pc[1].start, pc[0].start)):
            lines += _flow_lines("sequencer", fid, p.tid, p.end - R, c.tid, c.start - R, c.core)
            fid += 1

    for core in range(spec.cores):
        if any(t.core == core and t.event and t.ts >= 0 for t in model.tensors):
            lines.append(_thread_line(core, 1, "Non Executed Tensors"))
    for opid in sorted(qpid):
        q = next(q for q in model.qnns if q.opid == opid)
        pname = "QNN::SystemService_0" if opid == 0 else f"QNN::{q.name}"
        lines += _proc_lines(qpid[opid], pname, opid, opid)

    if spec.counters:
        for core in range(spec.cores):
            for ts, level in model.vtcm[core]:
                lines.append(_counter_line("VTCM alloc", core, ts - R, level))
            evs: list[tuple[int, int, tuple[int, int, int, int]]] = []
            for op in model.ops:
                if op.core != core or not any(op.mem):
                    continue
                evs.append((op.start, 1, op.mem))
                evs.append((op.end, 0, (0, 0, 0, 0)))
            evs.sort(key=lambda e: (e[0], e[1]))
            for ts, _kind, (dr, dw, vr, vw) in evs:
                lines.append(_counter_line("VTCM read", core, ts - R, vr))
                lines.append(_counter_line("VTCM write", core, ts - R, vw))
                lines.append(_counter_line("DRAM read", core, ts - R, dr))
                lines.append(_counter_line("DRAM write", core, ts - R, dw))
    for core in range(spec.cores):
        lines += _proc_lines(core, f"Core {core} Overview", core + 1, None)
    return lines


def _trace_text(model: _Model) -> str:
    """Serialise the op trace (object form with header, or bare list)."""
    lines = _trace_events(model)
    if model.spec.bare_list:
        return "[\n" + ",\n".join(lines) + "\n]\n"
    return _TRACE_HEADER % "OP_TRACE" + ",\n".join(lines) + "\n]}\n"
