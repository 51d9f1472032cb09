"""A synthetic decoder graph of 10,000+ HTP nodes (op trace + compiled graph) for the DAG pane tests.

``layers`` decoder layers of 28 nodes each (norms, per-head q projections, k/v, attention with a
second ForceFormat node of the same QNN op, o projection, MLP gate/up/mul/down, residual add), an
embedding in front, an LM head behind, and one hub: the rotary embedding, consumed by every
layer's q heads and k projection. Every node executes once, with DPC = its duration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import meta_process, meta_thread, write_trace, x_event

HEADS = 16
HEADER = {"header_version": {"major": 1, "minor": 0, "patch": 0},
          "version": {"major": 1, "minor": 1, "patch": 0}}  # fmt: skip


@dataclass
class BigGraph:
    """What was written: node keys in graph order, their QNN op names, kernels and edges."""

    path: Path
    keys: list[str] = field(default_factory=list)
    qnn: list[str] = field(default_factory=list)
    kernel: list[str] = field(default_factory=list)
    inputs: list[list[int]] = field(default_factory=list)  # producer node positions
    dur: list[int] = field(default_factory=list)

    def consumers_of(self, k: int) -> list[int]:
        """Positions of the nodes that read node ``k``'s output, in graph order."""
        return [c for c, ins in enumerate(self.inputs) if k in ins]

    def pos_of_qnn(self, name: str) -> int:
        """The first node position of a QNN op."""
        return self.qnn.index(name)


def _build(layers: int) -> BigGraph:
    g = BigGraph(Path())
    qnn_ids: dict[str, int] = {}

    def add(qnn: str, kernel: str, inputs: list[int]) -> int:
        qid = qnn_ids.setdefault(qnn, 16 + 4 * len(qnn_ids))
        k = len(g.keys)
        g.keys.append(f"0x{((0x2000 + k) << 32) | qid:016x}")
        g.qnn.append(qnn)
        g.kernel.append(kernel)
        g.inputs.append(inputs)
        g.dur.append(10 + (k * 7) % 23)
        return k

    x = add("model.embed_tokens", "q::Gather", [])
    rotary = add("model.rotary_emb", "q::Sin_Cos", [x])
    for i in range(layers):
        p = f"model.layers.{i}"
        n1 = add(f"{p}.input_layernorm", "q::RmsNorm", [x])
        qs = [add(f"{p}.self_attn.q_proj.{h}", "q::ConvLayer_s1.opt", [n1, rotary])
              for h in range(HEADS)]  # fmt: skip
        k = add(f"{p}.self_attn.k_proj", "q::ConvLayer_s1.opt", [n1, rotary])
        v = add(f"{p}.self_attn.v_proj", "q::ConvLayer_s1.opt", [n1])
        att = add(f"{p}.self_attn.attn", "q::Softmax", [*qs, k, v])
        att2 = add(f"{p}.self_attn.attn", "q::ForceFormat_Crouton", [att])
        o = add(f"{p}.self_attn.o_proj", "q::ConvLayer_s1.opt", [att2])
        n2 = add(f"{p}.post_attention_layernorm", "q::RmsNorm", [o, x])
        gate = add(f"{p}.mlp.gate_proj", "q::ConvLayer_s1.opt", [n2])
        up = add(f"{p}.mlp.up_proj", "q::ConvLayer_s1.opt", [n2])
        mul = add(f"{p}.mlp.act_mul", "q::Mul", [gate, up])
        down = add(f"{p}.mlp.down_proj", "q::ConvLayer_s1.opt", [mul])
        x = add(f"{p}.residual_add", "q::Add", [down, n2])
    add("lm_head", "q::ConvLayer_s1.opt", [x])
    return g


def write_big_graph_run(d: Path, layers: int = 360) -> BigGraph:
    """Write the run (op trace and compiled graph) into ``d``; 360 layers = 10,083 nodes."""
    d.mkdir(parents=True, exist_ok=True)
    g = _build(layers)
    g.path = d
    ev = [meta_process(0, "Core 0 Overview"), meta_thread(0, 256, "Type: HMX"),
          meta_thread(0, 512, "Type: HVX")]  # fmt: skip
    ts = 0
    for k, key in enumerate(g.keys):
        hmx = g.kernel[k].startswith("q::ConvLayer")
        ev.append(x_event(g.kernel[k], 256 if hmx else 512, ts, g.dur[k], op_id=int(key, 16),
                          qnn=g.qnn[k], flags=["uses_hmx" if hmx else "uses_hvx"]))  # fmt: skip
        ts += g.dur[k]
    write_trace(d / "chrometrace.json", ev)
    tensors = {"0x0000100200000001": {"id": 0, "type": 0, "data_type": 0x0408, "dims": [1, 64]}}
    nodes = {}
    for k, key in enumerate(g.keys):
        ins = [g.keys[p] for p in g.inputs[k]] or ["0x0000100200000001"]
        nodes[key] = {"type": g.kernel[k], "grouping": g.qnn[k], "input_names": ins,
                      "output_names": [key], "scalar_params": {}, "tensor_params": {}}  # fmt: skip
        tensors[key] = {"id": k + 1, "type": 3, "data_type": 0x0408, "dims": [1, 64]}
    doc = {"header": {**HEADER, "artifact_type": "HTP_GRAPH"},
           "graph": {"tensors": tensors, "nodes": nodes}, "op_types": []}  # fmt: skip
    (d / "chrometrace_htp.json").write_text(json.dumps(doc))
    return g
