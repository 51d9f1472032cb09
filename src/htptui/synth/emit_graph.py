"""Writing the compiled HTP graph (``*_htp.json``) of a synthetic run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from htptui.synth.model import _g, _hid, _js
from htptui.synth.spec import _DTYPE_CODES, _HTP_HEADER

if TYPE_CHECKING:
    from htptui.synth.model import _Model, _Qnn


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
