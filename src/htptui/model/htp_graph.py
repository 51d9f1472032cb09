"""Loader for the compiled HTP op graph (`*_htp.json`, artifact_type HTP_GRAPH).

Nodes are keyed by their output tensor ID (the same 16-hex-digit ID as chrometrace ``args.ID``);
only tensor-producing nodes are listed, so trace ops such as DmaCheckpointSet have no node.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from htptui.errors import InputError
from htptui.model._io import (
    check_artifact_type,
    clean_text,
    decode_json,
    fmt_id,
    parse_id,
    read_bytes,
)

TENSOR_TYPES = {
    0: "APP_WRITE",
    1: "APP_READ",
    2: "APP_READWRITE",
    3: "NATIVE",
    4: "STATIC",
    5: "NULL",
}

DATA_TYPES = {
    0x0008: "int8", 0x0016: "int16", 0x0032: "int32", 0x0064: "int64",
    0x0108: "uint8", 0x0116: "uint16", 0x0132: "uint32", 0x0164: "uint64",
    0x0216: "float16", 0x0232: "float32",
    0x0304: "qint4", 0x0308: "qint8", 0x0316: "qint16", 0x0332: "qint32",
    0x0404: "quint4", 0x0408: "quint8", 0x0416: "quint16", 0x0432: "quint32",
    0x0508: "bool", 0x0608: "string", 0x7FFFFFFF: "undefined",
}  # fmt: skip

_ELEMENT_BYTES = {"int8": 1, "uint8": 1, "qint8": 1, "quint8": 1, "bool": 1, "int16": 2, "uint16": 2,
                  "qint16": 2, "quint16": 2, "float16": 2, "int32": 4, "uint32": 4, "qint32": 4,
                  "quint32": 4, "float32": 4, "int64": 8, "uint64": 8}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Tensor:
    """A tensor of the compiled graph."""

    id: int
    key: str  # the ID as written in the file
    index: int
    type: int
    data_type: int
    dims: tuple[int, ...]

    @property
    def type_name(self) -> str:
        """QNN tensor type name (STATIC, NATIVE, APP_WRITE, ...)."""
        return TENSOR_TYPES.get(self.type, str(self.type))

    @property
    def dtype_name(self) -> str:
        """QNN data type name (uint8, qint8, int32, ...)."""
        return DATA_TYPES.get(self.data_type, f"0x{self.data_type:04x}")

    @property
    def elements(self) -> int:
        """Number of elements (0 when a dim is 0, as in shape tensors)."""
        n = 1
        for d in self.dims:
            n *= d
        return n

    @property
    def nbytes(self) -> int | None:
        """Size in bytes when the element size is known."""
        size = _ELEMENT_BYTES.get(self.dtype_name)
        return None if size is None else size * self.elements

    @property
    def is_static(self) -> bool:
        """Whether this is a STATIC (constant / weights) tensor."""
        return self.type == 4


@dataclass(frozen=True, slots=True)
class Node:
    """A compiled HTP node (one kernel instance that produces a tensor)."""

    id: int
    key: str
    type: str  # HTP kernel
    grouping: str  # owning QNN op name
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    params: dict[str, Any]

    @property
    def qnn_op_id(self) -> int:
        """The QNN op id (low 32 bits of the node ID)."""
        return self.id & 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class HtpGraph:
    """The compiled graph: tensors, nodes and the producer map."""

    path: str
    tensors: dict[int, Tensor]
    nodes: dict[int, Node]
    op_types: tuple[str, ...]
    producer: dict[int, int]  # tensor id -> node id

    def predecessors(self, node_id: int) -> list[int]:
        """Node IDs producing this node's inputs (unique, in input order)."""
        node = self.nodes.get(node_id)
        if node is None:
            return []
        seen: list[int] = []
        for t in node.inputs:
            p = self.producer.get(t)
            if p is not None and p != node_id and p not in seen:
                seen.append(p)
        return seen

    def consumers(self) -> dict[int, list[int]]:
        """Map tensor id -> node IDs that consume it (unique, in node order)."""
        out: dict[int, list[int]] = {}
        for node in self.nodes.values():
            for t in dict.fromkeys(node.inputs):
                out.setdefault(t, []).append(node.id)
        return out

    def successors(self) -> dict[int, list[int]]:
        """Map node id -> node IDs that consume one of its outputs."""
        succ: dict[int, list[int]] = {nid: [] for nid in self.nodes}
        for node in self.nodes.values():
            for p in self.predecessors(node.id):
                succ.setdefault(p, []).append(node.id)
        return succ

    def qnn_ops(self) -> list[str]:
        """QNN op names (groupings) in first-appearance order."""
        return list(dict.fromkeys(n.grouping for n in self.nodes.values()))


def _unwrap_param(value: Any) -> Any:
    """Scalar params are written ``{"<dtype code>": value}``; return the value."""
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value.values()))
    return value


def parse_obj(obj: Any, label: str) -> HtpGraph:
    """Build an :class:`HtpGraph` from decoded JSON."""
    if not isinstance(obj, dict):
        raise InputError(label, "expected a JSON object (HTP graph)")
    check_artifact_type(obj, "HTP_GRAPH", label)
    graph = obj.get("graph")
    if not isinstance(graph, dict):
        raise InputError(label, "HTP graph has no 'graph' object")
    raw_tensors = graph.get("tensors", {})
    raw_nodes = graph.get("nodes", {})
    if not isinstance(raw_tensors, dict) or not isinstance(raw_nodes, dict):
        raise InputError(label, "HTP graph 'tensors' and 'nodes' must be objects keyed by ID")
    tensors: dict[int, Tensor] = {}
    for key, t in raw_tensors.items():
        tid = parse_id(key)
        if tid is None or not isinstance(t, dict):
            continue
        dims = t.get("dims") if isinstance(t.get("dims"), list) else []
        tensors[tid] = Tensor(
            id=tid,
            key=key,
            index=int(t.get("id", -1)) if isinstance(t.get("id"), int) else -1,
            type=int(t.get("type", -1)) if isinstance(t.get("type"), int) else -1,
            data_type=int(t.get("data_type", 0)) if isinstance(t.get("data_type"), int) else 0,
            dims=tuple(int(d) for d in dims if isinstance(d, int | float)),
        )
    nodes: dict[int, Node] = {}
    producer: dict[int, int] = {}
    for key, n in raw_nodes.items():
        nid = parse_id(key)
        if nid is None or not isinstance(n, dict):
            continue
        ins = n.get("input_names") if isinstance(n.get("input_names"), list) else []
        outs = n.get("output_names") if isinstance(n.get("output_names"), list) else []
        params = n.get("scalar_params") if isinstance(n.get("scalar_params"), dict) else {}
        node = Node(
            id=nid,
            key=key,
            type=clean_text(str(n.get("type", ""))),
            grouping=clean_text(str(n.get("grouping", ""))),
            inputs=tuple(i for i in (parse_id(x) for x in ins) if i is not None),
            outputs=tuple(i for i in (parse_id(x) for x in outs) if i is not None) or (nid,),
            params={k: _unwrap_param(v) for k, v in params.items()},
        )
        nodes[nid] = node
        for t in node.outputs:
            producer[t] = nid
    op_types = obj.get("op_types") if isinstance(obj.get("op_types"), list) else []
    return HtpGraph(
        path=label,
        tensors=tensors,
        nodes=nodes,
        op_types=tuple(str(x) for x in op_types),
        producer=producer,
    )


def load(path: str | Path) -> HtpGraph:
    """Load an HTP graph JSON (plain or gzip)."""
    label = str(path)
    return parse_obj(decode_json(read_bytes(path, "htp_graph"), label), label)


__all__ = ["HtpGraph", "Node", "Tensor", "load", "parse_obj", "fmt_id"]
