"""Loader for `<stem>_runtrace.json` (artifact_type RUN_TRACE): runtime phases of each execute.

Each execute is a "QNN DSP Execute" X event followed by the phases nested in it ("VTCM Acquire",
"Resource Power On", "Graph Execute"; other names are kept too). `ts`/`dur` are 19.2 MHz QTimer
ticks, `stat_*_cycles` are absolute HTP PCYCLE counts, and the HTP clock differs per phase and per
execute, so every phase carries its own frequency. The `process_name`/`thread_name` metadata repeat
after every execute; they only name the graph ("<graph> Runtraces") and the yields process
("<graph> Yields").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from htptui.errors import InputError
from htptui.model._io import check_artifact_type, clean_text, decode_json, read_bytes

ARTIFACT_TYPE = "RUN_TRACE"
TICKS_PER_US = 19.2
"""QTimer ticks per microsecond: runtrace `ts`/`dur` run on the 19.2 MHz always-on timer."""

DSP_EXECUTE = "QNN DSP Execute"
VTCM_ACQUIRE = "VTCM Acquire"
POWER_ON = "Resource Power On"
GRAPH_EXECUTE = "Graph Execute"
KNOWN_PHASES = (DSP_EXECUTE, VTCM_ACQUIRE, POWER_ON, GRAPH_EXECUTE)

_RUNTRACES_SUFFIX = " Runtraces"
_INT_LIMIT = 1 << 64  # larger JSON integers are not counters; treat them as missing
_YIELDS_SUFFIX = " Yields"


@dataclass(frozen=True, slots=True)
class RunPhase:
    """One runtime phase (an X event): ticks on the 19.2 MHz timer plus absolute HTP cycles."""

    name: str
    ts_ticks: float  # ticks since the first event's stat_start_ticks
    dur_ticks: float  # == end_ticks - start_ticks
    start_ticks: int | None
    end_ticks: int | None
    start_cycles: int | None
    end_cycles: int | None
    freq_ghz: float | None  # summary_htp_frequency_ghz, or cycles / time_us / 1000
    time_us: float | None  # summary_time_us, or dur_ticks / 19.2
    graph_name: str | None
    pid: int | str | None = 0
    tid: int | str | None = 0

    @property
    def cycles(self) -> int | None:
        """HTP cycles spent in the phase (end_cycles - start_cycles), or None when unknown."""
        if self.start_cycles is None or self.end_cycles is None:
            return None
        return self.end_cycles - self.start_cycles

    @property
    def end_ts_ticks(self) -> float:
        """The phase end on the `ts` axis (ts_ticks + dur_ticks)."""
        return self.ts_ticks + self.dur_ticks

    @property
    def inf_per_s(self) -> float | None:
        """Inferences per second this phase's duration would allow (1e6 / time_us)."""
        return 1e6 / self.time_us if self.time_us else None


@dataclass(frozen=True, slots=True)
class RunExecute:
    """One execute (inference): its phases in file order, "QNN DSP Execute" first."""

    index: int  # 1-based, like profile.txt "Execute Stat N"
    phases: tuple[RunPhase, ...]

    def phase(self, name: str) -> RunPhase | None:
        """The first phase with this name, or None."""
        return next((p for p in self.phases if p.name == name), None)

    @property
    def dsp_execute(self) -> RunPhase | None:
        """The whole execution ("QNN DSP Execute")."""
        return self.phase(DSP_EXECUTE)

    @property
    def vtcm_acquire(self) -> RunPhase | None:
        """The "VTCM Acquire" phase."""
        return self.phase(VTCM_ACQUIRE)

    @property
    def power_on(self) -> RunPhase | None:
        """The "Resource Power On" phase."""
        return self.phase(POWER_ON)

    @property
    def graph_execute(self) -> RunPhase | None:
        """The "Graph Execute" phase (the graph itself, without acquire and power-on)."""
        return self.phase(GRAPH_EXECUTE)


@dataclass(frozen=True, slots=True)
class Runtrace:
    """A parsed runtrace: the graph name, the executes and any yield events."""

    path: str
    graph_name: str | None
    executes: tuple[RunExecute, ...]
    yields: tuple[RunPhase, ...] = ()

    @property
    def first_execute(self) -> RunExecute | None:
        """The first (cold) execute, the one the op trace renders, or None."""
        return self.executes[0] if self.executes else None


# --- parsing -----------------------------------------------------------------------------------


def _json_type(value: Any) -> str:
    """Name a decoded JSON value's type the way a user would."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _number(value: Any) -> float | None:
    """A finite JSON number (or numeric string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < _INT_LIMIT else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _integer(value: Any) -> int | None:
    """A JSON integer (or an integral float/string), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) < _INT_LIMIT else None
    if isinstance(value, str):
        try:
            i = int(value.strip(), 0)
        except ValueError:
            pass
        else:
            return i if abs(i) < _INT_LIMIT else None
    f = _number(value)
    return round(f) if f is not None and abs(f) < _INT_LIMIT else None


def _key(value: Any) -> int | str | None:
    """A hashable pid/tid (int or string), else None."""
    if isinstance(value, bool):
        return None
    return value if isinstance(value, int | str) else None


def _phase(ev: dict[str, Any], pid_graph: dict[int | str | None, str]) -> RunPhase:
    """Build a RunPhase from one X event, deriving what the args leave out."""
    args = ev.get("args")
    if not isinstance(args, dict):
        args = {}
    start_t = _integer(args.get("stat_start_ticks"))
    end_t = _integer(args.get("stat_end_ticks"))
    start_c = _integer(args.get("stat_start_cycles"))
    end_c = _integer(args.get("stat_end_cycles"))
    dur = _number(ev.get("dur"))
    if dur is None and start_t is not None and end_t is not None:
        dur = end_t - start_t
    ts = _number(ev.get("ts"))
    time_us = _number(args.get("summary_time_us"))
    if time_us is None and dur is not None:
        time_us = dur / TICKS_PER_US
    freq = _number(args.get("summary_htp_frequency_ghz"))
    if freq is None and start_c is not None and end_c is not None and time_us:
        freq = (end_c - start_c) / time_us / 1000.0
        if not math.isfinite(freq):
            freq = None
    pid = _key(ev.get("pid"))
    graph = args.get("graph_name")
    graph = clean_text(graph) if isinstance(graph, str) else graph
    if not isinstance(graph, str):
        graph = pid_graph.get(pid)
    name = ev.get("name")
    return RunPhase(
        name=clean_text(name if isinstance(name, str) else str(name)),
        ts_ticks=ts if ts is not None else 0,
        dur_ticks=dur if dur is not None else 0,
        start_ticks=start_t,
        end_ticks=end_t,
        start_cycles=start_c,
        end_cycles=end_c,
        freq_ghz=freq,
        time_us=time_us,
        graph_name=graph,
        pid=pid,
        tid=_key(ev.get("tid")),
    )


def _group(phases: list[RunPhase]) -> tuple[RunExecute, ...]:
    """Split phases into executes: a new one at each "QNN DSP Execute" (or at a repeated phase)."""
    groups: list[list[RunPhase]] = []
    names: set[str] = set()  # phase names of the current group (a repeat starts a new run)
    for p in phases:
        if not groups or p.name == DSP_EXECUTE or p.name in names:
            groups.append([p])
            names = {p.name}
        else:
            groups[-1].append(p)
            names.add(p.name)
    return tuple(RunExecute(i, tuple(g)) for i, g in enumerate(groups, start=1))


def parse_obj(obj: Any, label: str = "<runtrace>") -> Runtrace:
    """Build a Runtrace from decoded JSON ({"header","traceEvents"} or a bare event list)."""
    if isinstance(obj, dict):
        check_artifact_type(obj, ARTIFACT_TYPE, label)
        if "traceEvents" not in obj:
            raise InputError(label, "no traceEvents key: not a runtrace")
        events = obj["traceEvents"]
        if not isinstance(events, list):
            raise InputError(label, f"traceEvents is {_json_type(events)}, expected a list")
    elif isinstance(obj, list):
        events = obj
    else:
        raise InputError(label, f"top level is {_json_type(obj)}, expected an object or a list")

    # metadata first: it follows the events it names
    pid_graph: dict[int | str | None, str] = {}
    runtrace_pids: set[int | str | None] = set()
    yield_pids: set[int | str | None] = set()
    graph_name: str | None = None
    for ev in events:
        if not isinstance(ev, dict) or ev.get("ph") != "M" or ev.get("name") != "process_name":
            continue
        args = ev.get("args")
        pname = args.get("name") if isinstance(args, dict) else None
        if not isinstance(pname, str):
            continue
        pid = _key(ev.get("pid"))
        if pname.endswith(_RUNTRACES_SUFFIX):
            runtrace_pids.add(pid)
            pid_graph[pid] = clean_text(pname[: -len(_RUNTRACES_SUFFIX)])
            graph_name = graph_name or pid_graph[pid]
        elif pname.endswith(_YIELDS_SUFFIX):
            yield_pids.add(pid)
            pid_graph.setdefault(pid, clean_text(pname[: -len(_YIELDS_SUFFIX)]))
    yield_pids -= runtrace_pids

    phases: list[RunPhase] = []
    yields: list[RunPhase] = []
    for ev in events:
        if not isinstance(ev, dict) or ev.get("ph") != "X":
            continue
        pid = _key(ev.get("pid"))
        if pid in yield_pids:
            yields.append(_phase(ev, pid_graph))
        elif not runtrace_pids or pid in runtrace_pids:
            phases.append(_phase(ev, pid_graph))

    if phases and not any(p.name in KNOWN_PHASES for p in phases):
        raise InputError(
            label, f"no runtrace phases ({DSP_EXECUTE!r}, {GRAPH_EXECUTE!r}, ...) among X events"
        )
    if graph_name is None:
        graph_name = next((p.graph_name for p in phases if p.graph_name), None)
    return Runtrace(
        path=label, graph_name=graph_name, executes=_group(phases), yields=tuple(yields)
    )


def parse_bytes(data: bytes, label: str = "<runtrace>") -> Runtrace:
    """Decode already-decompressed JSON bytes and parse them as a runtrace."""
    return parse_obj(decode_json(data, label), label)


def load(path: str | Path) -> Runtrace:
    """Read (gzip-aware) and parse a `<stem>_runtrace.json` file."""
    return parse_bytes(read_bytes(path, "runtrace"), str(path))
