"""One column spec per table: name, unit, width priority, numeric value and formatted text.

A table's rows are *records*: dicts of raw values keyed by column key (the same keys the JSON report
uses). The TUI grid shows ``column.text(record)``, the text/Markdown report prints the same, and an
export writes ``column.value(record)`` under ``column.export_name`` (the unit in the name, so a CSV
says ``dpc_cycles`` and carries the number, not ``"DPC": "24,061"``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from htptui.present.format import fmt_bytes, fmt_float, fmt_int, fmt_value

Record = Mapping[str, Any]


@dataclass(frozen=True)
class Column:
    """How one column of a table reads.

    ``unit`` is what the raw value counts (``cycles``, ``pct``, ``bytes``, ``ratio``, ``ops`` or
    ``""`` for text); ``priority`` 0 columns are never dropped, higher ones go first when a pane is
    narrow; ``sort`` names the ranking sort key this column sorts by (None: not sortable).
    """

    key: str
    label: str
    unit: str = ""
    width: int = 8
    priority: int = 1
    align: str = "right"
    fmt: Callable[[Any], str] = field(default=fmt_value)
    sort: str | None = None
    export: bool = True  # False for display-only columns (a read/write pair shown in one cell)
    text_of: Callable[[Record], str] | None = None  # text needing more of the record than its value

    @property
    def export_name(self) -> str:
        """Column name in CSV/JSON exports: the key with its unit (``dpc_cycles``)."""
        if not self.unit or self.unit == "ratio" or self.key.endswith(self.unit):
            return self.key
        return f"{self.key}_{self.unit}"

    def value(self, record: Record) -> Any:
        """The raw value of this column in a record (None when absent)."""
        return record.get(self.key)

    def text(self, record: Record) -> str:
        """The formatted text of this column in a record."""
        if self.text_of is not None:
            return self.text_of(record)
        return self.fmt(record.get(self.key))


def select(columns: Sequence[Column], keys: Iterable[str]) -> tuple[Column, ...]:
    """The columns with these keys, in the order given."""
    by_key = {c.key: c for c in columns}
    return tuple(by_key[k] for k in keys)


def fit(columns: Sequence[Column], width: int, flexible: str | None = None) -> tuple[Column, ...]:
    """Drop the highest-priority-number columns until the rest fit ``width`` cells (1-cell gaps)."""
    cols = list(columns)
    dropped: list[Column] = []
    while len(cols) > 1 and sum(c.width + 1 for c in cols) > width:
        worst = max((c for c in cols if c.priority > 0), key=lambda c: c.priority, default=None)
        if worst is None:
            break
        cols.remove(worst)
        dropped.append(worst)
    # a dropped wide column can leave room for a narrower one dropped before it: put those back
    for c in reversed(dropped):
        if sum(k.width + 1 for k in cols) + c.width + 1 <= width:
            cols.append(c)
    order = {id(c): i for i, c in enumerate(columns)}
    return tuple(sorted(cols, key=lambda c: order[id(c)]))


def arrange(
    columns: Sequence[Column], width: int, together: Iterable[str] = ()
) -> tuple[tuple[Column, ...], int]:
    """Every column, the ones that fit ``width`` first: ``(ordered, n_first)``.

    The first ``n_first`` columns are what :func:`fit` keeps (in table order); the others follow
    in table order, for a table that scrolls sideways to them. The keys in ``together`` show whole
    or not at all among the first ones (a split whose parts only make sense side by side).
    """
    first = fit(columns, width)
    group = set(together)
    if group and not all(any(c.key == k for c in first) for k in group if _has(columns, k)):
        first = tuple(c for c in first if c.key not in group)
    kept = {id(c) for c in first}
    rest = tuple(c for c in columns if id(c) not in kept)
    return first + rest, len(first)


def _has(columns: Sequence[Column], key: str) -> bool:
    return any(c.key == key for c in columns)


def _dpc_text(rec: Record) -> str:
    text = fmt_int(rec.get("dpc"))
    return text if rec.get("dpc_exact", True) else text + "*"


def _pair_bytes(v: Any) -> str:
    return "-" if v is None else f"{fmt_bytes(v[0])}/{fmt_bytes(v[1])}"


def _f2(v: Any) -> str:
    return fmt_float(v, 2)


# --- the DPC ranking (per QNN op, per HTP kernel, per instance) ------------------------------------

RANKING_COLUMNS: tuple[Column, ...] = (
    Column("name", "name", "", 24, 0, "left", str, sort="name"),
    Column("qnn_op", "QNN op", "", 20, 2, "left", str),
    Column("lane", "lane", "", 6, 3, "left", str),
    # '*': op-level DPC of a tiled op without QHAS (per-tile split unknown); the value stays raw
    Column("dpc", "DPC", "cycles", 8, 0, fmt=fmt_int, sort="dpc", text_of=_dpc_text),
    Column("dpc_pct", "% path", "pct", 6, 1, fmt=_f2),
    Column("busy", "busy", "cycles", 8, 1, fmt=fmt_int, sort="busy"),
    Column("instances", "inst", "", 5, 2, fmt=fmt_int, sort="instances"),
    Column("span", "span", "cycles", 8, 4, fmt=fmt_int, sort="span"),
    Column("busy_over_span", "busy/span", "ratio", 9, 3, fmt=_f2, sort="parallelism"),
    Column("max_concurrency", "max conc", "", 8, 4, fmt=fmt_int),
    Column("cycles_per_packet", "cyc/pkt", "ratio", 7, 2, fmt=_f2, sort="cpp"),
    Column("units", "unit", "", 7, 1, "left", str),
    Column("ts", "ts", "cycles", 10, 4, fmt=fmt_int, sort="first"),
    Column("op_id", "op ID", "", 18, 5, "left", str),
    # DPC split by resource (analysis/attribution.py): the parts sum to DPC; dropped first
    Column("dpc_hmx", "HMX", "cycles", 8, 6, fmt=fmt_int, sort="res_hmx"),
    Column("dpc_hvx", "HVX", "cycles", 8, 6, fmt=fmt_int, sort="res_hvx"),
    Column("dpc_dma", "DMA", "cycles", 8, 6, fmt=fmt_int, sort="res_dma"),
    Column("dpc_dma_wait", "DMA wait", "cycles", 8, 6, fmt=fmt_int, sort="res_dma_wait"),
    Column("dpc_sync", "sync", "cycles", 8, 6, fmt=fmt_int, sort="res_sync"),
    Column("dpc_other", "other", "cycles", 8, 6, fmt=fmt_int, sort="res_other"),
    Column("dpc_unknown", "no DPC", "ops", 6, 7, fmt=fmt_int),
    # the structure level's tree
    Column("depth", "depth", "", 5, 7, fmt=fmt_int),
    Column("label", "node", "", 24, 0, "left", str,
           text_of=lambda r: "  " * min(int(r.get("depth") or 0), 12) + str(r.get("label", ""))),
)  # fmt: skip
RESOURCE_VIEW = ("dpc_hmx", "dpc_hvx", "dpc_dma", "dpc_dma_wait", "dpc_sync", "dpc_other")
# what each view shows of it
RANKING_GROUP_VIEW = ("name", "dpc", "dpc_pct", "busy", "instances", "span", "busy_over_span",
                      "max_concurrency", "cycles_per_packet", "units")  # fmt: skip
RANKING_INSTANCE_VIEW = ("name", "qnn_op", "lane", "dpc", "dpc_pct", "busy", "cycles_per_packet",
                         "ts")  # fmt: skip
RANKING_TUI_VIEW = ("name", "dpc", "dpc_pct", "busy", "instances", "busy_over_span",
                    "max_concurrency", "cycles_per_packet", "units", *RESOURCE_VIEW)  # fmt: skip
RANKING_RESOURCE_VIEW = ("name", "dpc", *RESOURCE_VIEW)
STRUCTURE_REPORT_VIEW = ("label", "dpc", "dpc_pct", "busy", "instances", "units",
                         *RESOURCE_VIEW)  # fmt: skip
RANKING_EXPORT = tuple(c.key for c in RANKING_COLUMNS if c.key not in ("depth", "label"))
STRUCTURE_EXPORT = ("name", "depth", "label", "dpc", "dpc_pct", "busy", "instances", "span",
                    "busy_over_span", "max_concurrency", "cycles_per_packet", "units",
                    *RESOURCE_VIEW, "dpc_unknown")  # fmt: skip

# --- per-lane busy and utilisation (with QHAS memory traffic when known) ----------------------------

LANE_COLUMNS: tuple[Column, ...] = (
    Column("core", "core", "", 4, 3, fmt=fmt_int),
    Column("label", "lane", "", 8, 0, "left", str),
    Column("unit", "unit", "", 5, 0, "left", str),
    Column("tid", "tid", "", 4, 2, fmt=str),
    Column("ops", "ops", "", 7, 2, fmt=fmt_int),
    Column("busy", "busy", "cycles", 10, 0, fmt=fmt_int),
    Column("span", "span", "cycles", 10, 1, fmt=fmt_int),
    Column("utilization_pct", "util %", "pct", 6, 0, fmt=_f2),
    Column("start", "start", "cycles", 10, 3, fmt=fmt_int),
    Column("end", "end", "cycles", 10, 3, fmt=fmt_int),
    Column("dram_read", "DRAM rd", "bytes", 6, 2, fmt=fmt_bytes),
    Column("dram_write", "DRAM wr", "bytes", 6, 2, fmt=fmt_bytes),
    Column("vtcm_read", "VTCM rd", "bytes", 6, 2, fmt=fmt_bytes),
    Column("vtcm_write", "VTCM wr", "bytes", 6, 2, fmt=fmt_bytes),
    Column("domain", "domain", "", 6, 1, "left", lambda v: "★" if v else ""),
    Column("dram_rw", "DRAM r/w", "bytes", 9, 2, fmt=_pair_bytes, export=False),
    Column("vtcm_rw", "VTCM r/w", "bytes", 9, 2, fmt=_pair_bytes, export=False),
)
LANE_REPORT_VIEW = ("label", "ops", "busy", "span", "utilization_pct", "start", "end")
LANE_TUI_VIEW = ("unit", "tid", "busy", "span", "utilization_pct")
LANE_TUI_MEMORY = ("dram_rw", "vtcm_rw")
LANE_EXPORT = tuple(c.key for c in LANE_COLUMNS if c.export)

# --- QHAS tables (the SDK's own figures) ---------------------------------------------------------

QHAS_OP_TYPE_COLUMNS: tuple[Column, ...] = (
    Column("name", "HTP op", "", 24, 0, "left", str),
    Column("count", "n", "", 5, 1, fmt=fmt_int),
    Column("cycles", "cycles", "cycles", 10, 0, fmt=fmt_int),
    Column("dpc", "DPC", "cycles", 10, 0, fmt=fmt_int),
    Column("dpc_pct", "% DPC", "pct", 6, 1, fmt=_f2),
    Column("dram_read", "DRAM rd", "bytes", 6, 2, fmt=fmt_bytes),
    Column("dram_write", "DRAM wr", "bytes", 6, 2, fmt=fmt_bytes),
    Column("vtcm_read", "VTCM rd", "bytes", 6, 2, fmt=fmt_bytes),
    Column("vtcm_write", "VTCM wr", "bytes", 6, 2, fmt=fmt_bytes),
    Column("dram_rw", "DRAM r/w", "bytes", 9, 2, fmt=_pair_bytes, export=False),
    Column("vtcm_rw", "VTCM r/w", "bytes", 9, 2, fmt=_pair_bytes, export=False),
)
QHAS_OP_TYPE_TUI_VIEW = ("name", "count", "cycles", "dpc", "dpc_pct", "dram_rw", "vtcm_rw")
QHAS_INSTANCE_COLUMNS: tuple[Column, ...] = (
    Column("htp_op", "HTP op", "", 24, 0, "left", str),
    Column("qnn_op", "QNN op", "", 20, 1, "left", str),
    Column("tid", "tid", "", 4, 3, fmt=str),
    Column("cycles", "cycles", "cycles", 10, 0, fmt=fmt_int),
    Column("dpc", "DPC", "cycles", 10, 0, fmt=fmt_int),
    Column("dpc_pct", "% DPC", "pct", 6, 2, fmt=_f2),
    Column("cycles_per_packet", "cyc/pkt", "ratio", 7, 2, fmt=_f2),
    Column("dram_read", "DRAM rd", "bytes", 6, 3, fmt=fmt_bytes),
    Column("dram_write", "DRAM wr", "bytes", 6, 3, fmt=fmt_bytes),
    Column("vtcm_read", "VTCM rd", "bytes", 6, 3, fmt=fmt_bytes),
    Column("vtcm_write", "VTCM wr", "bytes", 6, 3, fmt=fmt_bytes),
    Column("start_cycle", "start cycle", "cycles", 12, 4, fmt=fmt_int),
    Column("op_id", "op ID", "", 18, 4, "left", str),
    Column("dram_rw", "DRAM r/w", "bytes", 9, 2, fmt=_pair_bytes, export=False),
    Column("vtcm_rw", "VTCM r/w", "bytes", 9, 2, fmt=_pair_bytes, export=False),
)
QHAS_INSTANCE_TUI_VIEW = ("htp_op", "qnn_op", "cycles", "dpc", "cycles_per_packet", "dram_rw",
                          "vtcm_rw")  # fmt: skip

# --- timeline ops in view, findings, graph-diff items, DAG nodes, details ----------------------------

OP_COLUMNS: tuple[Column, ...] = (
    Column("index", "op", "", 7, 0, fmt=str),
    Column("op_id", "op ID", "", 18, 1, "left", str),
    Column("kernel", "kernel", "", 24, 0, "left", str),
    Column("qnn_op", "QNN op", "", 20, 0, "left", str),
    Column("lane", "lane", "", 6, 0, "left", str),
    Column("core", "core", "", 4, 2, fmt=fmt_int),
    Column("ts", "start", "cycles", 10, 0, fmt=fmt_int),
    Column("dur", "duration", "cycles", 8, 0, fmt=fmt_int),
    Column("dpc", "DPC", "cycles", 8, 0, fmt=fmt_int),
    Column("cycles_per_packet", "cyc/pkt", "ratio", 7, 1, fmt=_f2),
    Column("kind", "kind", "", 10, 1, "left", str),
)
FINDING_COLUMNS: tuple[Column, ...] = (
    Column("severity", "severity", "", 8, 0, "left", str),
    Column("rule", "rule", "", 18, 0, "left", str),
    Column("title", "finding", "", 40, 0, "left", str),
    Column("impact", "impact", "cycles", 10, 1, fmt=fmt_int),
    Column("advice", "advice", "", 40, 2, "left", str),
    Column("qnn_ops", "QNN ops", "", 20, 2, "left", lambda v: ", ".join(v or ())),
    Column("ops", "trace ops", "", 20, 3, "left", lambda v: " ".join(str(i) for i in v or ())),
    Column("evidence", "evidence", "", 30, 3, "left",
           lambda v: "; ".join(f"{k}={fmt_value(x)}" for k, x in (v or {}).items())),
)  # fmt: skip
DIFF_ITEM_COLUMNS: tuple[Column, ...] = (
    Column("severity", "severity", "", 8, 0, "left", str),
    Column("text", "item", "", 50, 0, "left", str),
    Column("qnn_ops", "QNN ops", "", 30, 1, "left", lambda v: ", ".join(v or ())),
)
DAG_NODE_COLUMNS: tuple[Column, ...] = (
    Column("node", "node", "", 18, 0, "left", str),
    Column("label", "label", "", 30, 0, "left", str),
    Column("dpc", "DPC", "cycles", 8, 0, fmt=fmt_int),
    Column("predecessors", "predecessors", "", 30, 1, "left", str),
    Column("successors", "successors", "", 30, 1, "left", str),
)
DETAIL_COLUMNS: tuple[Column, ...] = (
    Column("section", "section", "", 14, 0, "left", str),
    Column("key", "key", "", 20, 0, "left", str),
    Column("value", "value", "", 40, 0, "left", str),
)
FIGURE_COLUMNS: tuple[Column, ...] = (
    Column("figure", "figure", "", 40, 0, "left", str),
    Column("value", "value", "", 12, 0, "right", fmt_value),
)
