"""Synthetic, internally consistent QNN HTP optrace generator (op trace, HTP graph, QHAS, runtrace, profile.txt).

Everything written here is made up, but shaped after the real v2.45 files described in
``docs/optrace-format.md`` (the bundled ``sample_data/chain8_matmul`` sample): the same keys,
the same header blocks and the same event layout.  The QHAS summary is *derived* from the
generated events exactly the way the spec says the SDK derives it, so every cross-file
identity the explorer relies on holds by construction.

``python -m htptui.synth OUT_DIR`` regenerates the bundled ``synthetic_*`` sample directories.
"""

from __future__ import annotations

import argparse
import gzip as _gzip
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "SAMPLE_SPECS",
    "SynthSpec",
    "build_optrace",
    "main",
    "write_big_trace",
    "write_optrace",
    "write_samples",
]

TICKS_PER_US = 19.2
"""Runtrace ``ts``/``dur`` unit: 19.2 MHz QTimer ticks per microsecond."""

_PCYCLE_BASE = 7_997_466_066_654
_TICK_BASE = 31_091_395_371_990
_FIRST_TS = 22

_DTYPE_CODES = {
    "Int8": 8,
    "UInt8": 264,
    "Int32": 50,
    "Float16": 534,
    "Float32": 562,
    "QInt8": 776,
    "QUInt8": 1032,
    "QInt32": 818,
    "QUInt16": 1046,
}
_DTYPE_BYTES = {"QUInt8": 1, "QInt8": 1, "UInt8": 1, "Int8": 1, "QUInt16": 2, "Float16": 2}

_STEP_ACT = 0.00787402
_STEP_SOFTMAX = 0.00390625

_DESC_CONV = (
    "Conv2d with strides=(1,1) but there's an extra CTRL input that controls whether we do a "
    "depthwise/grouped conv or use the 4/8/16bit kernels."
)
_DESC_BIAS = "Memory movement operation transfering a bias input for conv into VTCM memory"
_DESC_SET = (
    "Records a previous DMA operation's completion tag in a table, so that DmaCheckpointWait can "
    "wait for it. Some Ops, such as SpillOp and FillOp, can record their own tag, and don't need this."
)
_DESC_WAIT = "Waits for a previously started DMA to complete before proceeding"
_DESC_SPILL = "Spills a VTCM resident tensor out to DDR so that its VTCM space can be reused"
_DESC_FILL = "Fills a previously spilled tensor back from DDR into VTCM"
_DESC_CUSTOM = "Custom op package kernel (HMX matrix multiply, K-major B operand)"
_DESC_TILED = "Custom op package kernel split by the central tiler (one ID on every tile)"

_TRACE_HEADER = (
    '{\n  "header": {\n    "header_version": {\n      "major": 1,\n      "minor": 0,\n'
    '      "patch": 0\n    },\n    "version": {\n      "major": 1,\n      "minor": 1,\n'
    '      "patch": 0\n    },\n    "artifact_type": "%s"\n  },\n"traceEvents": [\n'
)
_HTP_HEADER = (
    '{\n "header": {\n      "header_version": {\n          "major": 1,\n         "minor": 0,\n'
    '          "patch": 0\n      },\n       "version": {\n           "major": 1,\n'
    '           "minor": 0,\n           "patch": 0\n       },\n      "artifact_type": "HTP_GRAPH"\n'
    '   },\n  "model.cpp": "htp_graph",\n  "graph": {\n    "tensors": {\n'
)
_HEADER_OBJ = {"header_version": {"major": 1, "minor": 0, "patch": 0}}


# --------------------------------------------------------------------------------------------
# Spec
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SynthSpec:
    """Knobs describing one synthetic optrace directory."""

    name: str = "synthetic"
    seed: int = 0
    n_qnn_ops: int = 6
    hvx_lanes: int = 4
    layout: str = "v245"
    cores: int = 1
    custom_op: bool = False
    boundary_ops: bool = False
    # a custom HVX op in the real tiled form (spec §1.4b): groups of hvx_lanes concurrent tiles
    # sharing one ID, with the per-op Duration/Dominant Path Cycles copied onto every tile
    tiled_op: bool = False
    tile_groups: int = 4
    bare_list: bool = False
    gzip: bool = False
    stem: str = "chrometrace"
    graph_name: str = "model_encoded"
    n_executes: int = 3
    flows: bool = True
    counters: bool = True
    write_htp_graph: bool = True
    write_qhas: bool = True
    write_runtrace: bool = True
    write_profile_txt: bool = True
    sdk_version: str = "v2.45.0.260326154327"

    def validate(self) -> None:
        """Raise ValueError when a knob is outside the supported range."""
        if self.layout not in ("v245", "v247"):
            raise ValueError(f"layout must be 'v245' or 'v247', not {self.layout!r}")
        if self.hvx_lanes not in (4, 6, 8):
            raise ValueError(f"hvx_lanes must be 4, 6 or 8, not {self.hvx_lanes}")
        if self.cores not in (1, 2):
            raise ValueError(f"cores must be 1 or 2, not {self.cores}")
        if self.n_qnn_ops < 2:
            raise ValueError("n_qnn_ops must be at least 2")
        if self.boundary_ops and self.n_qnn_ops < 4:
            raise ValueError("boundary_ops needs n_qnn_ops >= 4")
        if self.n_executes < 1:
            raise ValueError("n_executes must be at least 1")
        if self.tiled_op and (self.n_qnn_ops < 4 or self.tile_groups < 2):
            raise ValueError("tiled_op needs n_qnn_ops >= 4 and tile_groups >= 2")


# --------------------------------------------------------------------------------------------
# In-memory model
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Graph construction
# --------------------------------------------------------------------------------------------

_HVX_KINDS = [
    ("ElementWiseAdd", "Add", "q::QuantizedAdd_8x8to8"),
    ("Softmax", "Softmax", "q::QuantizedSoftmax_8"),
    ("ElementWiseMultiply", "Mul", "q::QuantizedMul_8x8to8"),
]
_HMX_KINDS = [("FullyConnected", "MatMul"), ("Conv2d", "Conv")]


class _Builder:
    """Builds the op list of one synthetic graph in program order."""

    def __init__(self, spec: SynthSpec) -> None:
        """Set up the random stream and counters for one spec."""
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        self.ops: list[_Op] = []
        self.tensors: list[_Tensor] = []
        self.hi = 0x1111
        self.act = [1, 24, 32, 256]
        self.act_bytes = int(np.prod(self.act))

    def r(self, lo: int, hi: int) -> int:
        """Draw an integer in [lo, hi]."""
        return int(self.rng.integers(lo, hi + 1))

    def u(self, lo: float, hi: float) -> float:
        """Draw a float in [lo, hi)."""
        return float(self.rng.uniform(lo, hi))

    def new_uid(self, qnn_id: int) -> int:
        """Allocate a fresh HTP node number and combine it with a QNN op id."""
        self.hi += self.r(1, 5)
        return (self.hi << 32) | qnn_id

    def gap(self) -> int:
        """Draw the idle gap a lane leaves before its next op."""
        if self.rng.random() < 0.08:
            return self.r(180, 300)
        return self.r(13, 60)

    def add(
        self,
        kernel: str,
        flag: str,
        qnn: _Qnn,
        lane: str,
        dur: int,
        *,
        deps: list[_Op] | None = None,
        inputs: list[int] | None = None,
        dims: list[int] | None = None,
        dtype: str = "",
        step: float = 0.0,
        zero: int = 0,
        desc: str | None = None,
        mem: tuple[int, int, int, int] = (0, 0, 0, 0),
        node: bool = True,
        core: int | None = None,
        cpp: float | None = None,
        uid: int | None = None,
    ) -> _Op:
        """Append one executed op in program order and return it (``uid``: share a tile's ID)."""
        if cpp is None:
            cpp = dur / max(1, round(dur / self.u(2.5, 70.0)))
        op = _Op(
            kernel=kernel,
            flag=flag,
            qnn=qnn,
            core=qnn.core if core is None else core,
            lane=lane,
            dur=max(1, int(dur)),
            uid=self.new_uid(qnn.opid) if uid is None else uid,
            deps=list(deps or []),
            inputs=list(inputs or []),
            dims=dims,
            dtype=dtype,
            step=_f32(step),
            zero=zero,
            desc=desc,
            mem=mem,
            node=node,
            cpp=_f32(cpp),
            gap=self.gap(),
        )
        self.ops.append(op)
        return op

    def tensor(
        self,
        kind: str,
        dims: list[int],
        dtype: str,
        step: float,
        zero: int,
        qnn_id: int,
        *,
        ttype: int = 4,
        rank: int | None = None,
        show_dims: bool = True,
        uid: int | None = None,
        event: bool = True,
        core: int = 0,
    ) -> _Tensor:
        """Create a non-executed tensor ($Const, $Shape, graph I/O)."""
        t = _Tensor(
            kind=kind,
            uid=self.new_uid(qnn_id) if uid is None else uid,
            dims=dims,
            dtype=dtype,
            rank=len(dims) if rank is None else rank,
            step=_f32(step),
            zero=zero,
            ttype=ttype,
            core=core,
            show_dims=show_dims,
            event=event,
        )
        self.tensors.append(t)
        return t


def _build(spec: SynthSpec) -> _Model:
    """Build the whole synthetic graph (ops in program order, tensors, QNN ops)."""
    b = _Builder(spec)
    n = spec.n_qnn_ops
    act, ab = b.act, b.act_bytes
    lanes = spec.hvx_lanes
    q_ss = _Qnn(f"SystemService_ChunkPreload_{b.r(1000, 1500)}", "SystemService_ChunkPreload", 0)
    q_in = _Qnn("Input", "Input", 2)
    q_out = _Qnn("Output", "Output", 3)

    # ---- chain of QNN ops ------------------------------------------------------------------
    kinds: list[tuple[str, str, str, str]] = []  # (unit, qnn type, name base, kernel)
    hvx_i = 0
    for i in range(n):
        if i % 2 == 0:
            t, base = _HMX_KINDS[(i // 2) % len(_HMX_KINDS)]
            kinds.append(("hmx", t, base, "q::ConvLayer_s1.opt"))
        else:
            t, base, k = _HVX_KINDS[hvx_i % len(_HVX_KINDS)]
            hvx_i += 1
            kinds.append(("hvx", t, base, k))
    if spec.custom_op:
        pos = n // 2 if (n // 2) % 2 == 0 else n // 2 + 1
        pos = min(pos, n - 1)
        kinds[pos] = ("custom", "BbbKMajor", "BbbKMajor", "HmxMatMulPhase3Package::BbbKMajor")
    if spec.boundary_ops:
        pos = 3 if n > 3 else n - 1
        kinds[pos] = ("hvx", "Concat", "Concat", "q::Concat")
    if spec.tiled_op:
        kinds[3] = ("tiled", "GdnSolve", "GdnSolve", "GdnSolvePackage::GdnSolve")
    chain = [
        _Qnn(f"{base}_{i}", t, 0x12 + 4 * i, (i // 2) % spec.cores)
        for i, (_, t, base, _) in enumerate(kinds)
    ]

    # ---- shared tensors ----------------------------------------------------------------------
    app_in = b.tensor("", [1, 1, 768, 256], "QUInt8", _STEP_ACT, 128, 2, ttype=0, event=False)
    shape0 = b.tensor(
        "$Shape", [0, 0, 0, 0], "Int32", 0, 0, 0, uid=(0x1003 << 32) | b.r(1 << 28, 1 << 31)
    )
    shape1 = b.tensor(
        "$Shape", [1, 1, 768, 256], "Int32", 0, 0, 0, uid=(0x1003 << 32) | b.r(1 << 28, 1 << 31)
    )
    ctrl = b.tensor(
        "$Const", [1], "Int32", 0, 0, 8, rank=0, show_dims=False, uid=(0x1002 << 32) | 8
    )
    cshape = b.tensor("$Const", [1, 1, 1, 2], "Int32", 1, 0, chain[0].opid)

    # ---- Input -------------------------------------------------------------------------------
    in_slice = b.add(
        "q::*InputSlice",
        "dma",
        q_in,
        "dma",
        b.r(2600, 3600),
        inputs=[app_in.uid, shape0.uid, shape0.uid, shape1.uid, shape0.uid, shape1.uid, shape1.uid],
        dims=[1, 1, 768, 256],
        dtype="QUInt8",
        step=_STEP_ACT,
        zero=128,
        mem=(ab, 0, 0, ab),
    )
    in_set = b.add(
        "DmaCheckpointSet", "dma_set", q_in, "dma", b.r(900, 1300), deps=[in_slice], desc=_DESC_SET
    )

    # ---- DMA issue for HMX ops (prefetch depth 2) --------------------------------------------
    dma_of: dict[int, tuple[_Op | None, _Op, _Tensor]] = {}
    cold = [True]

    def issue_dma(i: int) -> None:
        """Append the bias/weights DMA (and maybe a checkpoint) that HMX op ``i`` needs."""
        unit = kinds[i][0]
        if unit == "custom":
            w = b.tensor("$Const", [1, 1, 256, 256], "QInt8", _STEP_ACT, 0, chain[i].opid)
            dma_of[i] = (None, in_set, w)
            return
        q = chain[i]
        bias_c = b.tensor("$Const", [1, 8, 1, 64], "Int32", 1, 0, q.opid)
        w_c = b.tensor("$Const", [1, 1, 256, 256], "QInt8", _STEP_ACT, 0, q.opid)
        first = cold[0]
        cold[0] = False
        bias = b.add(
            "q::ConvLayer.opt.bias_to_vtcm",
            "dma",
            q,
            "dma",
            b.r(2800, 3400) if first else b.r(120, 180),
            inputs=[bias_c.uid],
            dims=[1, 8, 1, 64],
            dtype="Int32",
            step=1,
            mem=(2048, 0, 0, 2048),
            desc=_DESC_BIAS,
        )
        wts = b.add(
            "q::ConvLayer.opt.weights_to_vtcm",
            "dma",
            q,
            "dma",
            b.r(1200, 1400) if first else b.r(140, 175),
            inputs=[w_c.uid],
            dims=[1, 1, 256, 256],
            dtype="QInt8",
            step=_STEP_ACT,
            mem=(65536, 0, 0, 65536),
        )
        if b.rng.random() < 0.6:
            b.add("DmaCheckpointSet", "dma_set", q, "dma", b.r(25, 40), deps=[wts], desc=_DESC_SET)
        dma_of[i] = (bias, wts, w_c)

    hmx_idx = [i for i in range(n) if kinds[i][0] in ("hmx", "custom")]
    prefetch = 2
    for i in hmx_idx[:prefetch]:
        issue_dma(i)
    issued = set(hmx_idx[:prefetch])

    in_wait = b.add(
        "q::*InputSlice",
        "dma_wait",
        q_in,
        "dma",
        b.r(2500, 3500),
        deps=[in_slice, in_set],
        desc=_DESC_WAIT,
    )
    reshape_in = b.tensor("q::Reshape", list(act), "QUInt8", _STEP_ACT, 128, chain[0].opid, ttype=3)
    reshape_in.inputs = [in_slice.uid]
    reshape_in.qnn = chain[0]
    crouton = b.add(
        "q::ForceFormat_Crouton",
        "uses_hvx",
        chain[0],
        "hvx0",
        b.r(9000, 16000),
        deps=[in_wait],
        inputs=[reshape_in.uid],
        dims=list(act),
        dtype="QUInt8",
        step=_STEP_ACT,
        zero=128,
        mem=(0, 0, ab, ab),
        core=0,
    )

    # ---- chain -------------------------------------------------------------------------------
    outs: list[list[_Op]] = []
    spill: _Op | None = None
    fill: _Op | None = None
    scale_c: _Tensor | None = None
    first_hmx = [True]
    for i in range(n):
        unit, qtype, _base, kernel = kinds[i]
        q = chain[i]
        core = q.core
        dma_lane = "dma"
        for j in hmx_idx:
            if j > i and j not in issued and len([k for k in issued if k > i]) < prefetch:
                issue_dma(j)
                issued.add(j)
        # Each core runs its own sub-chain (pairs of QNN ops alternate between cores).
        same = [j for j in range(i) if chain[j].core == core]
        prev = outs[same[-1]] if same else [crouton]
        if spec.boundary_ops and i == 2:
            fill = b.add(
                "q::Fill",
                "dma",
                q,
                dma_lane,
                b.r(600, 900),
                deps=[spill] if spill else [],
                inputs=[spill.uid] if spill else [],
                dims=list(act),
                dtype="QUInt8",
                step=_STEP_ACT,
                zero=128,
                desc=_DESC_FILL,
                mem=(ab, 0, 0, ab),
            )
        if unit in ("hmx", "custom"):
            if i not in dma_of:
                issue_dma(i)
            bias, wts, w_c = dma_of[i]
            extra: list[_Op] = [fill] if (fill is not None and i == 2) else []
            if unit == "hmx":
                assert bias is not None
                wait = b.add(
                    "q::ConvLayer.opt.weights_to_vtcm",
                    "dma_wait",
                    q,
                    dma_lane,
                    b.r(85, 130),
                    deps=[wts],
                    desc=_DESC_WAIT,
                )
                dur = b.r(3800, 4300) if first_hmx[0] else b.r(1150, 1210)
                first_hmx[0] = False
                op = b.add(
                    kernel,
                    "uses_hmx",
                    q,
                    "hmx",
                    dur,
                    deps=[*prev, bias, wts, wait, *extra],
                    inputs=[
                        *(p.uid for p in prev),
                        wts.uid,
                        bias.uid,
                        ctrl.uid,
                        cshape.uid,
                        *(e.uid for e in extra),
                    ],
                    dims=list(act),
                    dtype="QUInt8",
                    step=_STEP_ACT,
                    zero=128,
                    desc=_DESC_CONV,
                    mem=(0, 0, ab + 65536 + 2048 + ab * len(extra), ab),
                )
            else:
                op = b.add(
                    kernel,
                    "uses_hmx",
                    q,
                    "hmx",
                    b.r(2000, 2600),
                    deps=[*prev, *extra],
                    inputs=[*(p.uid for p in prev), w_c.uid, *(e.uid for e in extra)],
                    dims=list(act),
                    dtype="QUInt8",
                    step=_STEP_ACT,
                    zero=128,
                    desc=_DESC_CUSTOM,
                    mem=(65536, 0, ab, ab),
                )
            outs.append([op])
        elif unit == "tiled":
            # the central tiler's form: each group = one HTP op = one ID on `lanes` concurrent tiles
            h = max(1, act[1] // lanes)
            tile_dims = [1, h, act[2], act[3] // spec.tile_groups]
            tb = ab // (lanes * spec.tile_groups)
            group_prev = prev
            for _g in range(spec.tile_groups):
                gid = b.new_uid(q.opid)
                base_dur = b.r(700, 1500)
                group = []
                for j in range(lanes):
                    src = [group_prev[j]] if len(group_prev) == lanes else list(group_prev)
                    group.append(
                        b.add(
                            kernel,
                            "uses_hvx",
                            q,
                            f"hvx{j}",
                            int(base_dur * b.u(0.6, 1.4)),
                            deps=src,
                            inputs=list(dict.fromkeys(p.uid for p in src)),
                            dims=list(tile_dims),
                            dtype="QUInt8",
                            step=_STEP_ACT,
                            zero=128,
                            mem=(0, 0, tb * len(src), tb),
                            desc=_DESC_TILED,
                            uid=gid,
                        )
                    )
                group_prev = group
            outs.append(group_prev)
        else:
            h = act[1] // lanes
            tile_dims = [1, h, act[2], act[3]]
            tb = ab // lanes
            step = _STEP_SOFTMAX if qtype == "Softmax" else _STEP_ACT
            zero = 0 if qtype == "Softmax" else 128
            base_dur = b.r(1500, 4000)
            skip = outs[same[-2]] if len(same) >= 2 else None
            if qtype == "ElementWiseMultiply" and scale_c is None:
                scale_c = b.tensor("$Const", [1, 1, 1, 256], "QUInt8", _STEP_ACT, 0, q.opid)
            tiles = []
            for j in range(lanes):
                src = [prev[j]] if len(prev) == lanes else list(prev)
                if qtype in ("ElementWiseAdd", "Concat") and skip is not None:
                    src += [skip[j]] if len(skip) == lanes else list(skip)
                if fill is not None and i == 2:
                    src.append(fill)
                ins = [p.uid for p in src]
                if qtype == "ElementWiseMultiply" and scale_c is not None:
                    ins.append(scale_c.uid)
                tiles.append(
                    b.add(
                        kernel,
                        "uses_hvx",
                        q,
                        f"hvx{j}",
                        int(base_dur * b.u(0.88, 1.12)),
                        deps=src,
                        inputs=ins,
                        dims=list(tile_dims),
                        dtype="QUInt8",
                        step=step,
                        zero=zero,
                        mem=(0, 0, tb * len(src), tb),
                    )
                )
            outs.append(tiles)
        if spec.boundary_ops and i == 0:
            spill = b.add(
                "q::Spill",
                "dma",
                q,
                dma_lane,
                b.r(600, 900),
                deps=list(outs[0]),
                inputs=[p.uid for p in outs[0]],
                dims=list(act),
                dtype="QUInt8",
                step=_STEP_ACT,
                zero=128,
                desc=_DESC_SPILL,
                mem=(0, ab, ab, 0),
            )

    # ---- Output ------------------------------------------------------------------------------
    last: list[_Op] = []
    for c in range(spec.cores):
        mine = [j for j in range(n) if chain[j].core == c]
        if mine:
            last += outs[mine[-1]]
    flat = b.add(
        "q::ForceFormat_Flat",
        "uses_hvx",
        q_out,
        f"hvx{min(2, lanes - 1)}",
        b.r(4000, 6000),
        deps=last,
        inputs=[p.uid for p in last],
        dims=list(act),
        dtype="QUInt8",
        step=_STEP_ACT,
        zero=128,
        mem=(0, 0, ab, ab),
        cpp=0.0,
    )
    src = flat
    if spec.boundary_ops:
        src = b.add(
            "q::flat_from_vtcm",
            "dma",
            q_out,
            "dma",
            b.r(800, 1200),
            deps=[flat],
            inputs=[flat.uid],
            mem=(0, 0, ab, 0),
            node=False,
        )
    reshape_out = b.tensor("q::Reshape", [1, 1, 768, 256], "QUInt8", _STEP_ACT, 128, 3, ttype=3)
    reshape_out.inputs = [flat.uid]
    reshape_out.qnn = q_out
    out_slice = b.add(
        "q::*OutputSlice",
        "dma",
        q_out,
        "dma",
        b.r(2800, 3200),
        deps=[src],
        inputs=[reshape_out.uid, shape1.uid, shape0.uid, shape0.uid],
        mem=(0, ab, ab, 0),
        node=False,
    )
    b.tensor(
        "", [1, 1, 768, 256], "QUInt8", _STEP_ACT, 128, 3, ttype=1, uid=out_slice.uid, event=False
    )
    out_set = b.add(
        "DmaCheckpointSet", "dma_set", q_out, "dma", b.r(20, 30), deps=[out_slice], desc=_DESC_SET
    )
    out_wait = b.add(
        "q::*OutputSlice",
        "dma_wait",
        q_out,
        "dma",
        b.r(2000, 2500),
        deps=[out_set],
        desc=_DESC_WAIT,
    )
    b.add("SyncOp", "sync", q_ss, "hmx", b.r(240, 280), deps=[out_wait], cpp=b.r(240, 280) / 3)

    qnns = [q_ss, q_in, q_out, *chain]
    model = _Model(spec=spec, qnns=qnns, chain=chain, ops=b.ops, tensors=b.tensors)
    model.profile_ids = (
        [("Input", 2, False), (f"{chain[0].name}_pre_reshape", chain[0].opid - 2, True)]
        + [(q.name, q.opid, False) for q in chain]
        + [(f"{chain[-1].name}_post_reshape", chain[-1].opid + 3, True), ("Output", 3, False)]
    )
    _schedule(model, b)
    _copy_per_op_stats(model)
    return model


def _hop_back(rows: list[dict[str, Any]], by_uid: dict[int, list[_Op]]) -> None:
    """Let the path hop into a shorter concurrent tile of the same ID and back, once per ID.

    The tile on the path keeps two partial rows around the hop (as in the real trace, where one
    tile's DPC was 38 + 333 cycles); the dominant path still tiles the graph span exactly.
    """
    done: set[int] = set()
    k = 0
    while k < len(rows):
        r = rows[k]
        k += 1
        if r["htp_op"] == "Accumulated Idle":
            continue
        uid = int(r["op_id"], 16)
        tiles = by_uid.get(uid, [])
        if len(tiles) < 2 or uid in done:
            continue
        owner = next(o for o in tiles if o.start == r["start_cycle"])
        inner = next(
            (
                o
                for o in sorted(tiles, key=lambda o: o.start)
                if o is not owner
                and o.dpc == 0
                and r["start_cycle"] < o.start
                and o.end < r["end_cycle"]
            ),
            None,
        )
        if inner is None:
            continue
        done.add(uid)
        end = r["end_cycle"]
        first = dict(
            r, end_cycle=inner.start, partial=True, dp_cycles=inner.start - r["start_cycle"]
        )
        hop = dict(
            r, start_cycle=inner.start, end_cycle=inner.end, partial=False,
            dp_cycles=inner.dur, cycles=inner.dur,
        )  # fmt: skip
        back = dict(
            r, start_cycle=inner.end, end_cycle=end, partial=end < owner.end,
            dp_cycles=end - inner.end,
        )  # fmt: skip
        rows[k - 1 : k] = [first, hop, back]
        owner.dpc = first["dp_cycles"] + back["dp_cycles"]
        inner.dpc = inner.dur
        k += 2


def _copy_per_op_stats(model: _Model) -> None:
    """Tiles sharing an ID carry per-op figures, as the SDK writes them (spec §1.4b).

    ``Duration (cycles)`` = the first tile's dur, ``Dominant Path Cycles`` = the ``dp_cycles`` of the
    last dominant-path row recorded for that ID, both repeated on every tile; each tile keeps its
    own ``dur`` and its true DPC (the QHAS instance row).
    """
    by_uid: dict[int, list[_Op]] = {}
    for op in model.ops:
        by_uid.setdefault(op.uid, []).append(op)
    for rows in model.paths.values():
        _hop_back(rows, by_uid)
    last_row: dict[str, int] = {}
    for rows in model.paths.values():
        for r in rows:
            if r["htp_op"] != "Accumulated Idle":
                last_row[r["op_id"]] = r["dp_cycles"]
    for uid, tiles in by_uid.items():
        if len(tiles) < 2:
            continue
        first = min(tiles, key=lambda o: (o.start, o.tid))
        for op in tiles:
            op.ev_dur = first.dur
            op.ev_dpc = last_row.get(_qid(uid), 0)


# --------------------------------------------------------------------------------------------
# Scheduling, dominant path, memory
# --------------------------------------------------------------------------------------------


def _schedule(model: _Model, b: _Builder) -> None:
    """Place every op in time (list scheduling, one op at a time per lane) and derive the rest."""
    spec = model.spec
    start0 = _PCYCLE_BASE + spec.seed * 1_000_003_117
    lane_free: dict[tuple[int, int], int] = {}
    for op in model.ops:
        op.tid = _lane_tid(spec.layout, op.lane)
        key = (op.core, op.tid)
        ready = max([d.end for d in op.deps], default=start0)
        free = lane_free.get(key, start0)
        op.start = max(ready, free) + op.gap
        lane_free[key] = op.end
    first = min(op.start for op in model.ops)
    # Non-executed tensors sit before their first consumer; the earliest lands at ts 0.
    model.rebase = first - _FIRST_TS
    consumers: dict[int, list[_Op]] = {}
    for op in model.ops:
        for uid in dict.fromkeys(op.inputs):
            consumers.setdefault(uid, []).append(op)
    slot: dict[int, int] = {}
    for t in model.tensors:
        if not t.event:
            continue
        cons = consumers.get(t.uid, [])
        if not cons:
            continue
        c = min(cons, key=lambda o: (o.start, o.tid))
        k = slot.get(id(c), 0)
        slot[id(c)] = k + 1
        t.core = c.core
        t.ts = max(0, c.start - model.rebase - 10 - 12 * k)
    for core in range(spec.cores):
        mine = [op for op in model.ops if op.core == core]
        model.paths[core] = _dominant_path(mine)
        model.vtcm[core] = _vtcm_series(mine, model)
    model.execs = _runtrace_model(model, b)


_PRIO = {"uses_hmx": 0, "uses_hvx": 1, "dma": 2, "dma_set": 3, "dma_wait": 3, "sync": 4}


def _dominant_path(ops: list[_Op]) -> list[dict[str, Any]]:
    """Compute the dominant-path rows (op rows by time, then idle rows) and set each op's DPC.

    Greedy interval cover: the path follows the op that keeps the graph busy longest; when
    another op outlasts the current one it takes over (the current row becomes ``partial``);
    true gaps (no lane busy) become "Accumulated Idle" rows.
    """
    for op in ops:
        op.dpc = 0
    if not ops:
        return []
    srt = sorted(ops, key=lambda o: (o.start, -o.end, _PRIO.get(o.flag, 5), o.tid))
    rows: list[dict[str, Any]] = []
    idle: list[dict[str, Any]] = []

    def op_row(op: _Op, end: int) -> None:
        """Record one op row of the path and set that op's DPC."""
        op.dpc = end - op.start
        rows.append(
            {
                "op_id": _qid(op.uid),
                "htp_op": op.kernel,
                "qnn_op": op.qnn.name,
                "start_cycle": op.start,
                "end_cycle": end,
                "partial": end < op.end,
                "dp_cycles": end - op.start,
                "cycles": op.dur,
            }
        )

    cur_i = 0
    nxt = 1
    while True:
        cur = srt[cur_i]
        best_i = -1
        k = nxt
        while k < len(srt) and srt[k].start <= cur.end:
            if (
                srt[k].start > cur.start
                and srt[k].end > cur.end
                and (best_i < 0 or srt[k].end > srt[best_i].end)
            ):
                best_i = k
            k += 1
        if best_i >= 0:
            op_row(cur, srt[best_i].start)
            cur_i, nxt = best_i, best_i + 1
            continue
        op_row(cur, cur.end)
        if k >= len(srt):
            break
        gap_end = srt[k].start
        idle.append(
            {
                "op_id": "0x0",
                "htp_op": "Accumulated Idle",
                "qnn_op": "Accumulated Idle",
                "start_cycle": cur.end,
                "end_cycle": gap_end,
                "partial": False,
                "dp_cycles": gap_end - cur.end,
                "cycles": gap_end - cur.end,
            }
        )
        cur_i, nxt = k, k + 1
    return rows + idle


def _vtcm_series(ops: list[_Op], model: _Model) -> list[tuple[int, int]]:
    """Return the "VTCM alloc" step series (abs cycle, bytes) for one core's ops."""
    via: dict[int, list[int]] = {}
    for t in model.tensors:
        if t.kind == "q::Reshape":
            for uid in t.inputs:
                via.setdefault(uid, []).append(t.uid)
    consumers: dict[int, list[_Op]] = {}
    for op in ops:
        for uid in op.inputs:
            consumers.setdefault(uid, []).append(op)
    graph_end = max(op.end for op in ops)
    delta: dict[int, int] = {}
    for op in ops:
        size = op.mem[3]
        if size <= 0:
            continue
        cons = list(consumers.get(op.uid, []))
        for r in via.get(op.uid, []):
            cons += consumers.get(r, [])
        free = max((c.end for c in cons), default=graph_end)
        delta[op.start] = delta.get(op.start, 0) + size
        delta[free] = delta.get(free, 0) - size
    series: list[tuple[int, int]] = []
    level = 0
    for ts in sorted(delta):
        if delta[ts] == 0:
            continue
        level += delta[ts]
        series.append((ts, level))
    return series


def _runtrace_model(model: _Model, b: _Builder) -> list[_Exec]:
    """Build the runtrace executes; the first execute's Graph Execute window holds every op."""
    ops = model.ops
    lo = min(op.start for op in ops)
    hi = max(op.end for op in ops)
    timeline = hi - lo
    tick = _TICK_BASE + model.spec.seed * 7_777_777
    execs: list[_Exec] = []
    prev_end_tick = 0
    prev_end_cyc = 0
    for k in range(model.spec.n_executes):
        cold = k == 0
        if cold:
            ge_s_c = lo - b.r(2000, 3500)
            ge_e_c = hi + b.r(1500, 2500)
            f_ge, f_vt, f_pw, f_gap = b.u(0.79, 0.83), b.u(0.79, 0.81), b.u(0.84, 0.87), 0.83
            vt, pw = b.r(900, 1000), b.r(10500, 12500)
            pre, g1, g2, post = b.r(90, 120), b.r(90, 110), b.r(300, 350), b.r(150, 250)
            t0 = tick
        else:
            t0 = prev_end_tick + b.r(150_000, 200_000)
            f_ge, f_vt, f_pw, f_gap = (b.u(1.86, 1.95) for _ in range(4))
            vt, pw = b.r(60, 200), b.r(8, 35)
            pre, g1, g2, post = b.r(5, 35), b.r(3, 20), b.r(25, 100), b.r(5, 30)
            ge_s_c = (
                prev_end_cyc
                + int((t0 - prev_end_tick) / TICKS_PER_US * 1900)
                + int((pre + vt + g1 + pw + g2) / TICKS_PER_US * 1000 * f_gap)
            )
            ge_e_c = ge_s_c + int(timeline * b.u(0.45, 0.75)) + b.r(1500, 2500)
        ge_ticks = max(1, round((ge_e_c - ge_s_c) / (f_ge * 1000) * TICKS_PER_US))
        vt_s = t0 + pre
        vt_e = vt_s + vt
        pw_s = vt_e + g1
        pw_e = pw_s + pw
        ge_s = pw_e + g2
        ge_e = ge_s + ge_ticks
        dsp_e = ge_e + post

        def cyc(ticks: int, f: float) -> int:
            """Convert ticks at a frequency in GHz to cycles."""
            return round(ticks / TICKS_PER_US * f * 1000)

        pw_e_c = ge_s_c - cyc(g2, f_gap)
        pw_s_c = pw_e_c - cyc(pw, f_pw)
        vt_e_c = pw_s_c - cyc(g1, f_gap)
        vt_s_c = vt_e_c - cyc(vt, f_vt)
        dsp_s_c = vt_s_c - cyc(pre, f_gap)
        dsp_e_c = ge_e_c + cyc(post, f_gap)
        execs.append(
            _Exec(
                [
                    ("QNN DSP Execute", t0, dsp_e, dsp_s_c, dsp_e_c),
                    ("VTCM Acquire", vt_s, vt_e, vt_s_c, vt_e_c),
                    ("Resource Power On", pw_s, pw_e, pw_s_c, pw_e_c),
                    ("Graph Execute", ge_s, ge_e, ge_s_c, ge_e_c),
                ]
            )
        )
        prev_end_tick, prev_end_cyc = dsp_e, dsp_e_c
    return execs


def _phase_us(execute: _Exec, name: str) -> float:
    """Return a phase's printed summary_time_us (the %g value, as a reader sees it)."""
    for ph, s, e, _sc, _ec in execute.phases:
        if ph == name:
            return float(_g((e - s) / TICKS_PER_US))
    raise KeyError(name)


def _phase_ticks(execute: _Exec, name: str) -> int:
    """Return a phase's duration in ticks."""
    for ph, s, e, _sc, _ec in execute.phases:
        if ph == name:
            return e - s
    raise KeyError(name)


# --------------------------------------------------------------------------------------------
# Serialisation: op trace
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Serialisation: HTP graph
# --------------------------------------------------------------------------------------------


def _htp_text(model: _Model) -> str:
    """Serialise ``<stem>_htp.json`` with the SDK's irregular indentation."""
    tensors: dict[int, tuple[int, int, list[int]]] = {}
    nodes: dict[int, str] = {}
    for t in model.tensors:
        tensors[t.uid] = (t.ttype, _DTYPE_CODES[t.dtype], t.dims)

    def params(items: list[tuple[str, str, str]]) -> str:
        """Format the scalar_params body."""
        return ",\n".join(
            f'            "{k}": {{\n              "{code}": {v}\n             }}'
            for k, code, v in items
        )

    def node(
        uid: int, kind: str, qnn: _Qnn, items: list[tuple[str, str, str]], ins: list[int]
    ) -> str:
        """Format one node block."""
        inames = ",\n".join(f'          "{_hid(u)}"' for u in ins)
        return (
            f'      "{_hid(uid)}": {{\n        "type": {_js(kind)}, \n        "grouping": {_js(qnn.name)}, \n'
            f'        "tensor_params": {{}},\n        "scalar_params": {{\n{params(items)}\n        }},\n'
            f'        "input_names": [\n{inames}\n        ],\n        "output_names": ["{_hid(uid)}"]\n      }}'
        )

    for op in sorted(model.ops, key=lambda o: (o.start, o.tid)):
        if not op.node or op.dims is None or op.uid in nodes:
            continue  # tiles share one ID: one node, written from the first tile
        tensors[op.uid] = (3, _DTYPE_CODES[op.dtype], op.dims)
        items = [
            ("output_step_size", "562", _g(op.step)),
            ("output_zero_offset", "50", str(op.zero)),
            ("output_rank", "50", str(op.rank)),
            ("qnn_op_type", "1544", _js(op.qnn.type)),
            ("qnn_op_name", "1544", _js(op.qnn.name)),
            ("mem_dram_read", "100", str(op.mem[0])),
            ("mem_dram_write", "100", str(op.mem[1])),
            ("mem_vtcm_read", "100", str(op.mem[2])),
            ("mem_vtcm_write", "100", str(op.mem[3])),
            ("cycles_start", "100", str(op.start)),
            ("cycles_duration", "100", str(op.dur if op.ev_dur is None else op.ev_dur)),
            ("cycles_dominant", "100", str(op.dpc if op.ev_dpc is None else op.ev_dpc)),
            ("cycles_per_packet", "100", _g(op.cpp)),
            ("op_flags", "1544", _js(op.flag)),
        ]
        nodes[op.uid] = node(op.uid, op.kernel, op.qnn, items, op.inputs)
    for t in model.tensors:
        if t.kind != "q::Reshape" or t.qnn is None:
            continue
        items = [
            ("output_step_size", "562", _g(t.step)),
            ("output_zero_offset", "50", str(t.zero)),
            ("output_rank", "50", str(t.rank)),
            ("qnn_op_type", "1544", _js(t.qnn.type)),
            ("qnn_op_name", "1544", _js(t.qnn.name)),
            ("op_flags", "1544", '"null_exec"'),
        ]
        nodes[t.uid] = node(t.uid, t.kind, t.qnn, items, t.inputs)

    def dims_txt(d: list[int]) -> str:
        """Format dims inline when scalar, one per line otherwise (as the SDK does)."""
        if len(d) == 1:
            return f"[{d[0]}]"
        return "[\n" + ",\n".join(f"          {x}" for x in d) + "\n        ]"

    tparts = []
    for i, uid in enumerate(sorted(tensors)):
        ttype, code, dims = tensors[uid]
        tparts.append(
            f'      "{_hid(uid)}": {{\n        "id": {i},\n        "type": {ttype},\n'
            f'        "data_type": {code},\n        "dims": {dims_txt(dims)}\n\n      }}'
        )
    op_types = sorted(
        {op.kernel for op in model.ops if op.node and op.dims is not None}
        | {t.kind for t in model.tensors if t.kind == "q::Reshape"}
    )
    return (
        _HTP_HEADER
        + ",\n".join(tparts)
        + '\n    },\n    "nodes": {\n'
        + ",\n".join(nodes[k] for k in sorted(nodes))
        + '\n    }\n  },\n  "op_types": [\n'
        + ",\n".join(f"    {_js(t)}" for t in op_types)
        + "\n  ]\n}\n"
    )


# --------------------------------------------------------------------------------------------
# Serialisation: QHAS
# --------------------------------------------------------------------------------------------


def _qhas(model: _Model) -> dict[str, Any]:
    """Derive the QHAS summary from the generated events exactly as spec §3.2–3.6 describe."""
    spec = model.spec
    cores = list(range(spec.cores))
    ops = model.ops
    first = model.execs[0]
    time_us = int(_phase_us(first, "QNN DSP Execute"))
    ge_us = int(_phase_us(first, "Graph Execute"))
    dpc_total = {c: sum(op.dpc for op in ops if op.core == c) for c in cores}
    total_cycles = sum(op.dur for op in ops)

    def pct(a: float, b: float) -> float:
        """Return a / b as a percentage (0 when b is 0)."""
        return a / b * 100 if b else 0.0

    def mem(group: list[_Op]) -> dict[str, int]:
        """Sum the four memory counters of a group of ops."""
        return {
            "dram_read": sum(o.mem[0] for o in group),
            "dram_write": sum(o.mem[1] for o in group),
            "vtcm_read": sum(o.mem[2] for o in group),
            "vtcm_write": sum(o.mem[3] for o in group),
        }

    def dp_cols(group: list[_Op]) -> dict[str, Any]:
        """Return the per-core dominant-path columns of a group of ops."""
        out: dict[str, Any] = {}
        for c in cores:
            v = sum(o.dpc for o in group if o.core == c)
            out[f"num_dominant_path_cycles_htp_{c}"] = v
            out[f"percent_dominant_path_cycles_htp_{c}"] = pct(v, dpc_total[c])
        return out

    overall = []
    for c in cores:
        mine = [o for o in ops if o.core == c]
        lo = min(o.start for o in mine)
        hi = max(o.end for o in mine)
        tl = hi - lo
        resources = []
        for tid in sorted({o.tid for o in mine}):
            on = [o for o in mine if o.tid == tid]
            s = min(o.start for o in on)
            e = max(o.end for o in on)
            used = sum(o.dur for o in on)
            resources.append(
                {
                    "type": _tid_type(spec.layout, tid),
                    "tid": tid,
                    "start_cycle": s,
                    "end_cycle": e,
                    "timeline_cycles": e - s,
                    "cycles_used": used,
                    "utilization": pct(used, tl),
                    **mem(on),
                }
            )
        idle = sum(r["dp_cycles"] for r in model.paths[c] if r["htp_op"] == "Accumulated Idle")
        m = mem(mine)
        series = model.vtcm[c]
        overall.append(
            {
                "htp_resources": {"data": resources},
                "htp": c,
                "percent_idle": pct(idle, tl),
                "percent_utilization": 100 - pct(idle, tl),
                "time_us": time_us,
                "graph_execute_us": ge_us,
                "inf_per_s": 1e6 / time_us,
                "timeline_cycles": tl,
                "total_dram_read": m["dram_read"],
                "total_dram_write": m["dram_write"],
                "total_dram": m["dram_read"] + m["dram_write"],
                "peak_vtcm_alloc": max((v for _t, v in series), default=0),
                "total_vtcm_read": m["vtcm_read"],
                "total_vtcm_write": m["vtcm_write"],
                "total_vtcm": m["vtcm_read"] + m["vtcm_write"],
                "unique_qnn_ops": len({o.qnn.type for o in mine}),
                "qnn_nodes": len({o.qnn.opid for o in mine}),
                "unique_htp_ops": len({o.kernel for o in mine}),
                "htp_nodes": len(mine),
            }
        )

    def grouped(key: Any) -> list[tuple[Any, list[_Op]]]:
        """Group ops by a key, largest total cycles first."""
        groups: dict[Any, list[_Op]] = {}
        for o in sorted(ops, key=lambda o: o.start):
            groups.setdefault(key(o), []).append(o)
        return sorted(groups.items(), key=lambda kv: (-sum(o.dur for o in kv[1]), str(kv[0])))

    qnn_types = []
    for t, g in grouped(lambda o: o.qnn.type):
        cyc = sum(o.dur for o in g)
        qnn_types.append(
            {
                "op": t,
                "cycles": cyc,
                "percent_active_cycles": pct(cyc, total_cycles),
                **dp_cols(g),
                "num_htp_ops": len(g),
                **mem(g),
            }
        )
    qnn_nodes = []
    for _name, g in grouped(lambda o: o.qnn.name):
        cyc = sum(o.dur for o in g)
        qnn_nodes.append(
            {
                "qnn_op": g[0].qnn.name,
                "qnn_op_type": g[0].qnn.type,
                "cycles": cyc,
                "percent_active_cycles": pct(cyc, total_cycles),
                **dp_cols(g),
                "num_htp_ops": len(g),
                **mem(g),
            }
        )
    htp_types = []
    for k, g in grouped(lambda o: o.kernel):
        cyc = sum(o.dur for o in g)
        htp_types.append(
            {
                "op": k,
                "cycles": cyc,
                "percent_active_cycles": pct(cyc, total_cycles),
                **dp_cols(g),
                "instances": len(g),
                **mem(g),
                "format_change": k.startswith("q::ForceFormat"),
                "reference_op": False,
            }
        )
    instances = []
    for o in sorted(ops, key=lambda o: (o.start, o.core, o.tid)):
        instances.append(
            {
                "htp": o.core,
                "tid": o.tid,
                "op_id": _qid(o.uid),
                "htp_op": o.kernel,
                "qnn_op": o.qnn.name,
                "qnn_op_type": o.qnn.type,
                "dtype": o.dtype,
                "rank": o.rank,
                "step_size": o.step,
                "zero_offset": o.zero,
                "dims": list(o.dims or []),
                "input_nodes": [_qid(u) for u in o.inputs],
                "start_cycle": o.start,
                "cycles": o.dur,
                "num_dominant_path_cycles": o.dpc,
                "percent_dominant_path_cycles": pct(o.dpc, dpc_total[o.core]),
                "cycles_per_packet": o.cpp,
                "fmt_change": o.kernel.startswith("q::ForceFormat"),
                "ref_op": False,
                "hmx": o.flag == "uses_hmx",
                "hvx": o.flag == "uses_hvx",
                "dma_wait": o.flag == "dma_wait",
                "dma_set": o.flag == "dma_set",
                "dma": o.flag == "dma",
                "sync": o.flag == "sync",
                "dram_read": o.mem[0],
                "dram_write": o.mem[1],
                "vtcm_read": o.mem[2],
                "vtcm_write": o.mem[3],
            }
        )
    data: dict[str, Any] = {
        "htp_overall_summary": {"data": overall},
        "qnn_op_types": {"data": qnn_types},
        "qnn_op_instances_nodes": {"data": qnn_nodes},
        "htp_op_types": {"data": htp_types},
        "htp_op_instances": {"data": instances},
    }
    for c in cores:
        data[f"dominant_path_htp_{c}"] = {"data": model.paths[c]}
    return {
        "header": {
            **_HEADER_OBJ,
            "version": {"major": 1, "minor": 0, "patch": 0},
            "artifact_type": "QHAS",
        },
        "model_id": spec.graph_name,
        "data": data,
    }


# --------------------------------------------------------------------------------------------
# Serialisation: runtrace and profile.txt
# --------------------------------------------------------------------------------------------


def _runtrace_text(model: _Model) -> str:
    """Serialise ``<stem>_runtrace.json`` (4 X events + 2 metadata per execute)."""
    g = model.spec.graph_name
    t0 = model.execs[0].phases[0][1]
    lines = []
    for ex in model.execs:
        for name, s, e, sc, ec in ex.phases:
            us = (e - s) / TICKS_PER_US
            us_p = float(_g(us))
            lines.append(
                f'{{ "name": "{name}", "ph": "X", "tid": 0, "pid": 0, "ts": {s - t0}, "dur": {e - s}, '
                f'"args": {{"graph_name": {_js(g)}, "stat_start_ticks": {s}, "stat_end_ticks": {e}, '
                f'"stat_start_cycles": {sc}, "stat_end_cycles": {ec}, '
                f'"summary_htp_frequency_ghz": {_g((ec - sc) / us / 1000)}, '
                f'"summary_inf/s": {_g(1e6 / us_p)}, "summary_time_us": {_g(us)}}} }}'
            )
        lines.append(_thread_line(0, 0, "Core 0 Execs"))
        lines.append(
            f'{{ "cat": "__metadata", "pid": 0, "ph": "M", "name": "process_name", '
            f'"args": {{"name": {_js(g + " Runtraces")}}}}}'
        )
    return _TRACE_HEADER % "RUN_TRACE" + ",\n".join(lines) + "\n]}\n"


def _profile_text(model: _Model) -> str:
    """Serialise a detailed-format ``profile.txt`` (only Execute Stat 1 matches the trace)."""
    spec = model.spec
    rng = np.random.default_rng(spec.seed + 7919)

    def r(lo: int, hi: int) -> int:
        """Draw an integer in [lo, hi]."""
        return int(rng.integers(lo, hi + 1))

    per_op = {q.opid: 0 for q in model.qnns}
    for op in model.ops:
        per_op[op.qnn.opid] += op.dur
    v = spec.sdk_version
    epoch = 1_780_423_295_833_671 + spec.seed * 86_400_000_000
    tm = time.gmtime(epoch // 1_000_000)
    created = time.strftime("%a %b ", tm) + f"{tm.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", tm)
    load = r(8000, 12000)
    out = io.StringIO()
    w = out.write
    w(
        f"Input Log File Location: device_out/{spec.name}/qnn-profiling-data_0.log\n"
        f"Log File Created: {created}\nTime Scale: 1e-06\n"
        f"Epoch Timestamp: {epoch} Steady Clock Timestamp: {1_615_942_927_823 + spec.seed * 1000}\n"
        f"Generated using: \nqnn-profile-viewer: {v}\nqnn-net-run: {v}\nBackend: {v}\n\n"
        "Qnn Init/Prepare/Finalize/De-Init/Execute/Lib-Load Statistics:\n"
        "------------------------------------------------------------\n"
        "Init Stats:\n-----------\n"
        f"    NetRun: {load * 2 + 900} us\n"
        f"    Backend (RPC (load binary) time): {load} us\n"
        f"    Backend (QNN accelerator (load binary) time): {load - 275} us\n"
        f"    Backend (Accelerator (load binary) time): {load - 579} us\n"
        f"    Backend (QNN (load binary) time): {load * 2 + 883} us\n\n"
        "Compose Graphs Stats:\n--------------\n    NetRun: 0 us\n\n"
        "De-Init Stats:\n--------------\n"
        "    NetRun: 3449 us\n    Backend (RPC (deinit) time): 910 us\n"
        "    Backend (QNN Accelerator (deinit) time): 796 us\n"
        "    Backend (Accelerator (deinit) time): 775 us\n"
        "    Backend (QNN (deinit) time): 3441 us\n\n\n"
        "Printing All Data Received From Back End\n\n"
        "Create From Binary Stats:\n"
        f"RPC (load binary) time : {load}  us\n"
        f"QNN accelerator (load binary) time : {load - 275}  us\n"
        f"Accelerator (load binary) time : {load - 579}  us\n"
        f"QNN (load binary) time : {load * 2 + 883}  us\n\n\n"
        "Execute Stats: \n"
    )
    for k, ex in enumerate(model.execs):
        dsp = _phase_us(ex, "QNN DSP Execute")
        ge = _phase_us(ex, "Graph Execute")
        accel = int(dsp) + (r(20, 60) if k == 0 else r(2, 6))
        qnn_accel = accel + (r(300, 500) if k == 0 else r(90, 120))
        rpc = qnn_accel + r(2000, 2500)
        vals = []
        for name, opid, reshape in model.profile_ids:
            if reshape:
                val = 0
            elif k == 0:
                val = per_op.get(opid, 0)
            else:
                val = int(per_op.get(opid, 0) * float(rng.uniform(0.4, 1.4)))
            vals.append((name, opid, val))
        w(f"\nExecute Stat {k + 1}\n\n")
        w(f"Number of HVX threads used : {spec.hvx_lanes}  count\n")
        w(f"RPC (execute) time : {rpc}  us\n")
        w(f"QNN accelerator (execute) time : {qnn_accel}  us\n")
        w("Num times yield occured : 0  count\n")
        w(f"Time for initial VTCM acquire : {_phase_ticks(ex, 'VTCM Acquire')}  us\n")
        w(
            f"Time for HVX + HMX power on and acquire : {_phase_ticks(ex, 'Resource Power On')}  us\n"
        )
        w(f"Accelerator (execute) time (cycles) : {sum(x for _n, _o, x in vals)}  cycles\n")
        for name, opid, val in vals:
            label = f"{name} OpId_{opid}" if name in ("Input", "Output") else f"{name}:OpId_{opid}"
            w(f"    {label} (cycles) : {val}  cycles\n")
        w(f"Accelerator (execute) time : {accel}  us\n")
        w(f"Accelerator (execute excluding wait) time : {int(ge)}  us\n")
        w("Unknown event type :   object\n")
        w(f"QNN (execute) time : {rpc + r(100, 140)}  us\n")
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def build_optrace(spec: SynthSpec) -> dict[str, bytes]:
    """Generate every artifact of one spec in memory, as {file name: bytes}."""
    spec.validate()
    model = _build(spec)
    files: dict[str, bytes] = {}
    trace = _trace_text(model).encode()
    if spec.gzip:
        buf = io.BytesIO()
        with _gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
            gz.write(trace)
        files[f"{spec.stem}.json.gz"] = buf.getvalue()
    else:
        files[f"{spec.stem}.json"] = trace
    if spec.write_htp_graph:
        files[f"{spec.stem}_htp.json"] = _htp_text(model).encode()
    if spec.write_qhas:
        files[f"{spec.stem}_qnn_htp_analysis_summary.json"] = (
            json.dumps(_qhas(model), indent=4) + "\n"
        ).encode()
    if spec.write_runtrace:
        files[f"{spec.stem}_runtrace.json"] = _runtrace_text(model).encode()
    if spec.write_profile_txt:
        files["profile.txt"] = _profile_text(model).encode()
    return files


def write_optrace(out_dir: Path, spec: SynthSpec) -> Path:
    """Write a complete synthetic optrace directory and return the op-trace file's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = build_optrace(spec)
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
    trace_name = f"{spec.stem}.json.gz" if spec.gzip else f"{spec.stem}.json"
    return out_dir / trace_name


# --------------------------------------------------------------------------------------------
# Big streaming trace for benchmarks
# --------------------------------------------------------------------------------------------

_ACT8 = ("QUInt8", "0.00787402", 128)
_BIG_HMX_KERNELS = [
    # (kernel, flag, description or None, dims text or None, (dtype, step, zero))
    ("q::ConvLayer.opt.weights_to_vtcm", "dma", None, "[1,1,256,256]", ("QInt8", "0.00787402", 0)),
    ("q::ConvLayer.opt.bias_to_vtcm", "dma", _DESC_BIAS, "[1,8,1,64]", ("Int32", "1", 0)),
    ("DmaCheckpointSet", "dma_set", _DESC_SET, None, ("", "0", 0)),
    ("q::ConvLayer.opt.weights_to_vtcm", "dma_wait", _DESC_WAIT, None, ("", "0", 0)),
    ("q::ConvLayer_s1.opt", "uses_hmx", _DESC_CONV, "[1,8,32,256]", _ACT8),
    ("q::ConvLayer_s1.opt", "uses_hmx", None, "[1,8,32,256]", _ACT8),
]
_BIG_HMX_P = [0.3, 0.15, 0.1, 0.1, 0.1, 0.25]
_BIG_HVX_KERNELS = [
    ("q::QuantizedAdd_8x8to8", "uses_hvx", None, "[1,2,32,256]", _ACT8),
    ("q::QuantizedSoftmax_8", "uses_hvx", None, "[1,2,32,256]", ("QUInt8", "0.00390625", 0)),
    ("q::QuantizedMul_8x8to8", "uses_hvx", None, "[1,2,32,256]", _ACT8),
    ("q::ForceFormat_Crouton", "uses_hvx", None, "[1,8,32,256]", _ACT8),
]
# Duration range (cycles) per kernel row, HMX-lane rows first.
_BIG_DUR = (
    [(130, 1400), (120, 400), (20, 60), (30, 600), (1100, 4200), (1100, 4200)]
    + [(400, 3200)] * 3
    + [(2000, 9000)]
)
_BIG_QNN = [
    ("FullyConnected", "MatMul"),
    ("Conv2d", "Conv"),
    ("ElementWiseAdd", "Add"),
    ("Softmax", "Softmax"),
]


def write_big_trace(path: Path, n_events: int, seed: int = 0, hvx_lanes: int = 4) -> dict[str, Any]:
    """Stream a large, realistic v2.45-style op trace with exactly ``n_events`` trace events.

    Mix: about 2/3 duplicated executed X events (pid 0 + per-QNN-op pid, full args), flows,
    non-executed tensors, metadata, and counters (counters absorb the remainder so the count is
    exact).  Ops never overlap on a lane.  No QHAS is written.
    """
    if n_events < 1000:
        raise ValueError("n_events must be at least 1000")
    t_start = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_lanes = hvx_lanes + 1
    tids = np.array([256] + [512 + j for j in range(hvx_lanes)], dtype=np.int64)

    n_ops = int(n_events * 0.32)
    per_q = 24
    n_q = -(-n_ops // per_q)
    n_tens = int(n_events * 0.02)
    n_io = int(n_events * 0.045)
    n_seq = int(n_events * 0.005)

    # ---- ops: QNN op, lane, kernel, duration; placed with a barrier per QNN op -----------------
    q = np.repeat(np.arange(n_q, dtype=np.int64), per_q)[:n_ops]
    lane = np.where(rng.random(n_ops) < 0.4, 0, rng.integers(1, n_lanes, n_ops))
    order = np.lexsort((lane, q))
    q, lane = q[order], lane[order]
    kernels = _BIG_HMX_KERNELS + _BIG_HVX_KERNELS
    kind = np.where(
        lane == 0,
        rng.choice(len(_BIG_HMX_KERNELS), n_ops, p=_BIG_HMX_P),
        len(_BIG_HMX_KERNELS) + rng.integers(0, len(_BIG_HVX_KERNELS), n_ops),
    )
    lo = np.array([d[0] for d in _BIG_DUR], dtype=np.int64)[kind]
    hi = np.array([d[1] for d in _BIG_DUR], dtype=np.int64)[kind]
    dur = lo + (rng.random(n_ops) * (hi - lo)).astype(np.int64)
    gap = rng.integers(13, 61, n_ops).astype(np.int64)
    span = gap + dur
    key = q * n_lanes + lane
    cs = np.cumsum(span)
    grp_first = np.ones(n_ops, dtype=bool)
    grp_first[1:] = key[1:] != key[:-1]
    grp_start_idx = np.maximum.accumulate(np.where(grp_first, np.arange(n_ops), 0))
    before = cs[grp_start_idx] - span[grp_start_idx]
    within = cs - span - before
    tot = np.bincount(key, weights=span, minlength=n_q * n_lanes).reshape(n_q, n_lanes).max(axis=1)
    block = np.concatenate([[0], np.cumsum(tot.astype(np.int64) + 40)])[:-1]
    ts = _FIRST_TS + block[q] + within + gap
    end = ts + dur
    base = _PCYCLE_BASE + seed * 1_000_003_117 - _FIRST_TS
    dpc = np.where(rng.random(n_ops) < 0.35, dur, np.where(rng.random(n_ops) < 0.2, dur // 3, 0))
    cpp = dur / rng.integers(1, 120, n_ops)
    his = 0x1100 + np.arange(n_ops, dtype=np.int64)
    opid = 0x12 + 4 * q
    uids = (his << 32) | opid
    pid_of_q = q + 2

    heads = []
    for kname, flag, desc, dims, (dtype, step, zero) in kernels:
        head = f'"HTP Op Type": "{kname}",'
        if desc:
            head += f'"Description": {_js(desc)},'
        if dims:
            head += f'"Dims": {dims},'
        rank = 4 if dims else 0
        head += f'"Data Type": "{dtype}","Rank": {rank},"Step Size": {step},"Zero Offset": {zero},'
        heads.append((kname, flag, head))
    qtypes = [(t, b) for t, b in _BIG_QNN]

    # ---- event budget --------------------------------------------------------------------------
    pid_lane_first = np.ones(n_ops, dtype=bool)
    pid_lane_first[1:] = key[1:] != key[:-1]
    lane_first = np.zeros(n_ops, dtype=bool)
    for li in range(n_lanes):
        hit = np.flatnonzero(lane == li)
        if hit.size:
            lane_first[hit[0]] = True
    n_meta = int(pid_lane_first.sum()) + int(lane_first.sum()) + 2 * n_q + 2 + (1 if n_tens else 0)
    n_counters = n_events - (2 * n_ops + n_meta + n_tens + 2 * (n_tens + n_io + n_seq))
    if n_counters < 0:
        raise ValueError("n_events too small for the event mix")

    written = 0
    t_list = ts.tolist()
    d_list = dur.tolist()
    e_list = end.tolist()
    tid_list = tids[lane].tolist()
    pid_list = pid_of_q.tolist()
    hex_ids = [f"0x{u:016x}" for u in uids.tolist()]
    dpc_list = dpc.tolist()
    cpp_list = [f"{x:g}" for x in cpp.tolist()]
    kind_list = kind.tolist()
    q_list = q.tolist()
    plf = pid_lane_first.tolist()
    lf = lane_first.tolist()
    n_inputs = rng.integers(0, 4, n_ops).tolist()
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(_TRACE_HEADER % "OP_TRACE")
        first_line = [True]

        def flush(buf: list[str]) -> None:
            """Write the buffered event lines, comma-separated."""
            nonlocal written
            if not buf:
                return
            text = ",\n".join(buf)
            if first_line[0]:
                fh.write(text)
                first_line[0] = False
            else:
                fh.write(",\n" + text)
            written += len(buf)
            buf.clear()

        buf: list[str] = []
        x_tpl = '{ "name": "%s", "ph": "X", "tid": %d, "pid": %d, "ts": %d, "dur": %d, "args": %s }'
        for i in range(n_ops):
            kname, flag, head = heads[kind_list[i]]
            qi = q_list[i]
            qt, qb = qtypes[qi % len(qtypes)]
            ni = n_inputs[i] if flag not in ("dma_set", "dma_wait") else 0
            inputs = ""
            if ni and i >= ni:
                inputs = (
                    '"Inputs Ops": ["' + '","'.join(hex_ids[i - k - 1] for k in range(ni)) + '"],'
                )
            args = (
                f'{{ "ID": "{hex_ids[i]}",{head}{inputs}"Flags": ["{flag}"],'
                f'"Cycles per Packet": {cpp_list[i]},"QNN Op Type": "{qt}","QNN Op Name": "{qb}_{qi}",'
                f'"Start Cycle": {base + t_list[i]},"Duration (cycles)": {d_list[i]},'
                f'"Dominant Path Cycles": {dpc_list[i]}}}'
            )
            tid = tid_list[i]
            buf.append(x_tpl % (kname, tid, 0, t_list[i], d_list[i], args))
            if lf[i]:
                unit = "HMX" if tid == 256 else "HVX"
                buf.append(_thread_line(0, tid, f"Type: {unit}"))
            pid = pid_list[i]
            buf.append(x_tpl % (kname, tid, pid, t_list[i], d_list[i], args))
            if plf[i]:
                unit = "HMX" if tid == 256 else "HVX"
                buf.append(_thread_line(pid, tid, f"Core:0 Type: {unit} Tid: {tid}"))
            if len(buf) >= 20000:
                flush(buf)
        flush(buf)

        # Non-executed tensors, each with its flow to a consumer on the DMA/HMX lane.
        fid = 0
        cons = rng.integers(1, n_ops, max(1, n_tens)).tolist()
        for k in range(n_tens):
            c = cons[k]
            tts = max(0, t_list[c] - 10)
            tid_hex = f"0x{(0x1000 + k % 0xFFF) << 32 | (0x10000000 + k):016x}"
            buf.append(
                f'{{ "name": "$Const", "ph": "X", "tid": 1, "pid": 0, "ts": {tts}, "dur": 5, '
                f'"args": {{ "ID": "{tid_hex}","HTP Op Type": "$Const","Dims": [1,1,256,256],'
                f'"Data Type": "QInt8","Rank": 4,"Step Size": 0.00787402,"Zero Offset": 0}} }}'
            )
            buf += _flow_lines("input_output", fid, 1, tts + 5, tid_list[c], t_list[c], 0)
            fid += 1
            if len(buf) >= 20000:
                flush(buf)
        cons = rng.integers(1, n_ops, max(1, n_io + n_seq)).tolist()
        for k in range(n_io + n_seq):
            c = cons[k]
            p = c - 1
            cat = "input_output" if k < n_io else "sequencer"
            buf += _flow_lines(cat, fid, tid_list[p], e_list[p], tid_list[c], t_list[c], 0)
            fid += 1
            if len(buf) >= 20000:
                flush(buf)
        if n_tens:
            buf.append(_thread_line(0, 1, "Non Executed Tensors"))
        for qi in range(n_q):
            qt, qb = qtypes[qi % len(qtypes)]
            buf += _proc_lines(qi + 2, f"QNN::{qb}_{qi}", 0x12 + 4 * qi, 0x12 + 4 * qi)
            if len(buf) >= 20000:
                flush(buf)
        flush(buf)

        # Counters: a VTCM alloc step series, then read/write groups at op starts.
        n_alloc = n_counters // 5
        n_rw = n_counters - n_alloc
        idx = np.sort(rng.integers(0, n_ops, max(1, n_alloc)))
        alloc_ts = ts[idx].tolist()
        alloc_v = (rng.integers(1, 512, max(1, n_alloc)) * 2048).tolist()
        for k in range(n_alloc):
            buf.append(_counter_line("VTCM alloc", 0, alloc_ts[k], alloc_v[k]))
            if len(buf) >= 20000:
                flush(buf)
        names = ("VTCM read", "VTCM write", "DRAM read", "DRAM write")
        idx = np.sort(rng.integers(0, n_ops, max(1, n_rw // 4 + 1)))
        rw_ts = ts[idx].tolist()
        rw_v = (rng.integers(0, 33, (len(rw_ts), 4)) * 2048).tolist()
        for k in range(n_rw):
            g = k // 4
            # Even groups are an op's start (its bytes), odd groups its end (zeros).
            buf.append(_counter_line(names[k % 4], 0, rw_ts[g], 0 if g % 2 else rw_v[g][k % 4]))
            if len(buf) >= 20000:
                flush(buf)
        buf += _proc_lines(0, "Core 0 Overview", 1, None)
        flush(buf)
        fh.write("\n]}\n")
    size = path.stat().st_size
    return {
        "path": str(path),
        "events": written,
        "executed_ops": n_ops,
        "qnn_ops": n_q,
        "bytes": size,
        "seconds": round(time.perf_counter() - t_start, 3),
    }


# --------------------------------------------------------------------------------------------
# Bundled samples
# --------------------------------------------------------------------------------------------

SAMPLE_SPECS: dict[str, SynthSpec] = {
    "synthetic_hvx4": SynthSpec(name="synthetic_hvx4", seed=101, n_qnn_ops=6, hvx_lanes=4),
    "synthetic_hvx8": SynthSpec(
        name="synthetic_hvx8", seed=102, n_qnn_ops=5, hvx_lanes=8, stem="chromeTrace"
    ),
    "synthetic_v247_layout": SynthSpec(
        name="synthetic_v247_layout",
        seed=103,
        n_qnn_ops=5,
        hvx_lanes=8,
        layout="v247",
        stem="qwen3-sm8750-v79-model-chrometrace",
        graph_name="qwen3_sm8750_v79_model",
        sdk_version="v2.47.0.260601000000",
    ),
    "synthetic_two_cores": SynthSpec(
        name="synthetic_two_cores", seed=104, n_qnn_ops=8, hvx_lanes=4, cores=2
    ),
    "synthetic_custom_op": SynthSpec(
        name="synthetic_custom_op", seed=105, n_qnn_ops=5, hvx_lanes=6, custom_op=True
    ),
    "synthetic_gzip": SynthSpec(
        name="synthetic_gzip", seed=106, n_qnn_ops=6, hvx_lanes=4, gzip=True
    ),
    "synthetic_bare_list": SynthSpec(
        name="synthetic_bare_list", seed=107, n_qnn_ops=4, hvx_lanes=4, bare_list=True
    ),
    "synthetic_boundary_ops": SynthSpec(
        name="synthetic_boundary_ops", seed=108, n_qnn_ops=6, hvx_lanes=4, boundary_ops=True
    ),
    "synthetic_tiled_custom_op": SynthSpec(
        name="synthetic_tiled_custom_op", seed=109, n_qnn_ops=4, hvx_lanes=6, tiled_op=True
    ),
}


def write_samples(out_dir: Path) -> list[Path]:
    """Regenerate every bundled synthetic sample directory under ``out_dir``."""
    out_dir = Path(out_dir)
    written = []
    for dirname, spec in SAMPLE_SPECS.items():
        d = out_dir / dirname
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():
            if old.is_file():
                old.unlink()
        write_optrace(d, spec)
        written.append(d)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: regenerate the bundled synthetic samples into OUT_DIR."""
    ap = argparse.ArgumentParser(
        prog="python -m htptui.synth",
        description="Regenerate the synthetic optrace sample directories.",
    )
    ap.add_argument(
        "out_dir", type=Path, help="directory to write synthetic_*/ into (e.g. sample_data)"
    )
    ns = ap.parse_args(argv)
    for d in write_samples(ns.out_dir):
        size = sum(f.stat().st_size for f in d.iterdir())
        print(f"{d}  {size / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
