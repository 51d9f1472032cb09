"""The in-memory model of a synthetic run: QNN ops, HTP ops, tensors, executes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from htptui.synth.spec import SynthSpec


@dataclass(eq=False)
class _Qnn:
    """One QNN op (a per-op pid in the trace)."""

    name: str
    type: str
    opid: int
    core: int = 0


@dataclass(eq=False)
class _Op:
    """One executed HTP op instance."""

    kernel: str
    flag: str
    qnn: _Qnn
    core: int
    lane: str
    dur: int
    uid: int
    deps: list[_Op]
    inputs: list[int]
    dims: list[int] | None
    dtype: str
    step: float
    zero: int
    desc: str | None
    mem: tuple[int, int, int, int]
    node: bool
    cpp: float
    gap: int
    start: int = 0
    dpc: int = 0
    tid: int = 0
    # per-op statistics the SDK copies onto every tile of a tiled op (None: untiled, own values)
    ev_dur: int | None = None
    ev_dpc: int | None = None

    @property
    def end(self) -> int:
        """Return the absolute end cycle."""
        return self.start + self.dur

    @property
    def rank(self) -> int:
        """Return the rank shown in the trace (0 for control ops)."""
        return len(self.dims) if self.dims else 0


@dataclass(eq=False)
class _Tensor:
    """A graph tensor that is not an executed op ($Const, $Shape, q::Reshape, graph I/O)."""

    kind: str
    uid: int
    dims: list[int]
    dtype: str
    rank: int
    step: float
    zero: int
    ttype: int
    core: int = 0
    inputs: list[int] = field(default_factory=list)
    qnn: _Qnn | None = None
    show_dims: bool = True
    event: bool = True
    ts: int = -1


@dataclass
class _Exec:
    """One runtrace execute: four phases as (name, start_tick, end_tick, start_cyc, end_cyc)."""

    phases: list[tuple[str, int, int, int, int]]


@dataclass
class _Model:
    """Everything generated for one spec, before serialisation."""

    spec: SynthSpec
    qnns: list[_Qnn]
    chain: list[_Qnn]
    ops: list[_Op]
    tensors: list[_Tensor]
    rebase: int = 0
    paths: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    vtcm: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    execs: list[_Exec] = field(default_factory=list)
    profile_ids: list[tuple[str, int, bool]] = field(default_factory=list)


def _f32(x: float) -> float:
    """Round a value to float32, as the SDK stores step sizes and packet rates."""
    return float(np.float32(x))


def _hid(uid: int) -> str:
    """Format an ID the trace / HTP-graph way (16 hex digits)."""
    return f"0x{uid:016x}"


def _qid(uid: int) -> str:
    """Format an ID the QHAS way (leading zeros stripped)."""
    return hex(uid)


def _g(x: float) -> str:
    """Format a float like C printf %g (6 significant digits)."""
    return f"{x:g}"


def _js(s: str) -> str:
    """Quote a string as JSON."""
    return json.dumps(s)


def _lane_tid(layout: str, lane: str) -> int:
    """Map a logical lane ('dma', 'hmx', 'hvxN') to its tid for the given layout."""
    if lane.startswith("hvx"):
        return 512 + int(lane[3:])
    if lane == "hmx":
        return 256 if layout == "v245" else 768
    return 256


def _tid_type(layout: str, tid: int) -> str:
    """Name the unit of a tid for the given layout (HMX / HVX / DMA)."""
    if tid >= 512 and tid < 768:
        return "HVX"
    if tid == 256 and layout == "v247":
        return "DMA"
    return "HMX"
