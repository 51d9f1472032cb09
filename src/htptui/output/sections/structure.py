"""The ``structure`` section: QNN ops folded at their numeric indices into the model's tree.

Rows come from :meth:`RunAnalysis.structure` (analysis/structure.py) in tree order, siblings by DPC,
down to ``structure_depth`` levels; a node's children beyond ``top`` are summed into one
``(N more)`` row, so every level still adds up to its parent. Each row carries the DPC split by
resource (the parts sum to its DPC).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from htptui.analysis.attribution import RESOURCE_KEYS
from htptui.output.blocks import Block, Heading, Lines, Table
from htptui.present.columns import RANKING_COLUMNS, STRUCTURE_REPORT_VIEW, select
from htptui.present.format import round_or_none
from htptui.present.tables import SHOWN_DECIMALS, ranking_record

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis
    from htptui.analysis.structure import StructureRanking

SECTION = "structure"
DEFAULT_DEPTH = 3
RULE_TEXT = (
    "numeric indices fold into the component before them (layers.17 -> layers.*); '.' and '/' "
    "separate components, '_' only around indices, known compound words and always-adjacent "
    "word pairs (so _model_layers_17_self_attn_q_proj_3 folds like model.layers.17.self_attn."
    "q_proj.3); user --group rules first"
)
SUMMED = ("dpc", "busy", "instances", *(f"dpc_{k}" for k in RESOURCE_KEYS), "dpc_unknown")


def build(an: RunAnalysis, options: dict[str, Any]) -> dict[str, Any] | None:
    """The folded tree (None without executed ops, or when the depth option is 0)."""
    depth = int(options.get("structure_depth", DEFAULT_DEPTH))
    if not an.has_ops or depth <= 0:
        return None
    rk = an.structure()
    trace = an.trace
    assert trace is not None
    top = options.get("top", 15)  # None: every child
    return {
        "rule": RULE_TEXT,
        "user_rules": rk.rules.describe(),
        "depth": depth,
        "nodes": len(rk),
        "leaves": int((rk.n_children == 0).sum()) if len(rk) else 0,
        "dpc_total": rk.dpc_total,
        "rows": tree_records(rk, trace, depth, top),
    }


def tree_records(
    rk: StructureRanking, trace: Any, depth: int, top: int | None
) -> list[dict[str, Any]]:
    """Records in tree order (siblings by DPC), ``depth`` levels, ``top`` children per node."""
    order = rk.tree_order("dpc", True)
    children: dict[int, list[int]] = {}
    for r in order.tolist():
        children.setdefault(int(rk.parent[r]), []).append(r)
    out: list[dict[str, Any]] = []
    stack: list[tuple[str, Any]] = [("kids", -1)]
    while stack:
        kind, item = stack.pop()
        if kind == "row":
            r = int(item)
            rec = ranking_record(rk, r, trace)
            rec["path"] = rk.names[r]
            out.append(rec)
            if int(rk.depth[r]) + 1 < depth:
                stack.append(("kids", r))
            continue
        if kind == "more":
            out.append(item)
            continue
        kids = children.get(int(item), [])
        shown, rest = (kids, []) if top is None else (kids[: int(top)], kids[int(top) :])
        if rest:
            stack.append(("more", _more_record(rk, rest)))
        stack.extend(("row", r) for r in reversed(shown))
    return out


def _more_record(rk: StructureRanking, rows: list[int]) -> dict[str, Any]:
    """One row summing siblings left out (so a level still adds up to its parent)."""
    dep = int(rk.depth[rows[0]])
    rec: dict[str, Any] = {"name": f"({len(rows)} more)", "label": f"({len(rows)} more)",
                           "depth": dep, "path": None, "more": len(rows)}  # fmt: skip
    parts = list(zip(*(rk.resource_parts(r) for r in rows), strict=True))
    rec["dpc"] = int(sum(int(rk.dpc[r]) for r in rows))
    rec["busy"] = int(sum(int(rk.busy[r]) for r in rows))
    rec["instances"] = int(sum(int(rk.instances[r]) for r in rows))
    for key, col in zip(RESOURCE_KEYS, parts, strict=True):
        rec[f"dpc_{key}"] = int(sum(col))
    rec["dpc_unknown"] = int(sum(rk.absent(r) for r in rows))
    tot = rk.dpc_total
    rec["dpc_pct"] = round_or_none(100.0 * rec["dpc"] / tot if tot else 0.0, SHOWN_DECIMALS)
    rec["dpc_exact"] = all(rk.row_dpc_exact(r) for r in rows)
    rec["units"] = ""
    return rec


def blocks(sec: dict[str, Any]) -> list[Block]:
    """The tree as one indented table, the rule above it."""
    out: list[Block] = [
        Heading(
            f"Structure: QNN ops folded into the model's tree ({sec['nodes']} nodes, "
            f"{sec['depth']} levels shown; Σ over each subtree; resource parts sum to DPC)"
        )
    ]
    lines = [f"rule: {sec['rule']}"]
    lines += [f"user rule: {r}" for r in sec.get("user_rules", [])]
    out.append(Lines(lines))
    out.append(Table(select(RANKING_COLUMNS, STRUCTURE_REPORT_VIEW), sec["rows"]))
    return out
