"""What a synthetic run looks like (:class:`SynthSpec`) and the constants every writer shares."""

from __future__ import annotations

from dataclasses import dataclass

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
    # profile text file name (prefixed per graph when several graphs share one directory)
    profile_name: str = "profile.txt"
    # LLM-shaped decoder (``_llm_plan``): 0 = the generic chain above; N = embedding, N decoder
    # layers (per-head q_proj and attention, k/v/o, a tiled custom RoPE, RmsNorms, gated MLP),
    # model.norm and lm_head, named as a QNN converter names a Qwen3/Llama-like model
    llm_layers: int = 0
    llm_heads: int = 2
    llm_seq: int = 1
    # "dotted" (model.layers.0.self_attn.q_proj.1) or "underscore" (_model_layers_0_..._q_proj_1)
    llm_names: str = "dotted"
    # HVX tiles per elementwise op (0: one per HVX thread); decode-sized tensors use fewer
    llm_hvx_tiles: int = 0

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
        if self.llm_layers < 0 or self.llm_heads < 1 or self.llm_seq < 1:
            raise ValueError("llm_layers must be >= 0, llm_heads and llm_seq >= 1")
        if self.llm_layers and (self.custom_op or self.boundary_ops or self.tiled_op):
            raise ValueError("llm_layers builds its own op list: no custom/boundary/tiled knobs")
        if self.llm_layers and self.tile_groups < 2:
            raise ValueError("llm_layers needs tile_groups >= 2 (its RoPE op is tiled)")
        if self.llm_names not in ("dotted", "underscore"):
            raise ValueError(f"llm_names must be 'dotted' or 'underscore', not {self.llm_names!r}")
        if not 0 <= self.llm_hvx_tiles <= self.hvx_lanes:
            raise ValueError("llm_hvx_tiles must be between 0 and hvx_lanes")
