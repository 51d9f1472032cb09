"""The details pane: everything known about the primary selected op (trace args, QHAS row, graph node,
memory), as section/key/value rows that `y` copies and `e` exports.

A Line-API widget: one logical line per fact, wrapped to the pane's width under a hanging indent
(long QNN op names and dependency lists are shown whole, never cut), each display line's strip
cached by its text, and the scrollable height set without a layout pass, so a new selection
repaints this pane alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from rich.segment import Segment
from textual import work
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from htptui.model.dpc import SOURCE_LABELS
from htptui.present.columns import DETAIL_COLUMNS
from htptui.present.format import cell_width, fmt_float, fmt_int, wrap_cells
from htptui.present.tables import export_rows
from htptui.tui.widgets._cached_lines import CachedLinesMixin, set_virtual_size

if TYPE_CHECKING:
    from htptui.analysis.run import RunAnalysis
    from htptui.model.htp_graph import HtpGraph

ExportTable = tuple[list[str], list[list[Any]]]
ARGS_WORKER_ABOVE_OPS = 100_000  # above this many ops an op's raw args are read in a worker


EMPTY_TEXT = "select an op (timeline, ranking or DAG)"
KEY_WIDTH = 20
FACT_INDENT = 2 + KEY_WIDTH + 1  # where a fact's value starts, and where its wrapped lines do
MIN_WRAP = 12  # narrower than this for the value: cut with an ellipsis instead of wrapping


class DetailsPane(CachedLinesMixin, ScrollView, can_focus=True):
    """Everything known about the primary selected op: trace args, QHAS row, graph node, memory."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"details--title", "details--section", "details--key"}

    DEFAULT_CSS = """
    DetailsPane {
        overflow-x: hidden;
        & > .details--title { color: $text-accent; text-style: bold; }
        & > .details--section { text-style: bold underline; }
        & > .details--key { text-style: bold; }
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._init_line_cache(512)
        self.analysis: RunAnalysis | None = None
        self.primary: int | None = None
        self.count = 0
        self.rows: list[tuple[str, str, str]] = []  # (section, key, value)
        self._args: dict[str, Any] | None = None  # the primary op's decoded args, once read
        # the lines on show: (kind, text...) with kind title / section / fact / text / blank
        self._lines: list[tuple[str, ...]] = [("title", "Details"), ("text", EMPTY_TEXT)]
        # the display lines for the current width: (index into _lines, wrapped part)
        self._rows_at: list[tuple[int, int]] = []
        self._rows_width = -1
        self._parts: dict[tuple[tuple[str, ...], int], list[str]] = {}
        self.repaints = 0  # times the body changed (tests count the work a key causes)

    def show_run(self, an: RunAnalysis) -> None:
        """Remember the run."""
        self.analysis = an

    def on_filter(self, pattern: str | None) -> None:
        """Details follow the selection, not the filter."""

    def on_ops_selected(self, op_indices: Sequence[int], primary: int | None) -> None:
        """Describe the primary op of the selection (big traces: its raw args come from a worker)."""
        self.primary = primary
        self.count = len(op_indices)
        an = self.analysis
        lazy = (
            an is not None
            and an.trace is not None
            and len(an.trace) > ARGS_WORKER_ABOVE_OPS
            and self.is_mounted
            and primary is not None
            and not an.trace.event_args_ready(primary)
        )
        if lazy:
            self.rows = self.collect(args={"": "reading the op's args…"})
            self.render_body()
            self._read_args(primary)  # type: ignore[arg-type]
            return
        self.rows = self.collect()
        self.render_body()

    @work(thread=True, exclusive=True, group="details-args", exit_on_error=False)
    def _read_args(self, op: int) -> None:
        """Decode one op's full args off the UI thread (it re-reads the op's chunk of the file)."""
        an = self.analysis
        if an is None or an.trace is None:
            return
        try:
            args = an.trace.event_args(op)
        except Exception as exc:  # noqa: BLE001 - args are best effort
            args = {"(args unavailable)": str(exc)}
        self.post_message(self.ArgsRead(op, args))

    class ArgsRead(Message):
        """The worker decoded the args of one op."""

        def __init__(self, op: int, args: dict[str, Any]) -> None:
            super().__init__()
            self.op = op
            self.args = args

    def on_details_pane_args_read(self, message: ArgsRead) -> None:
        """Show the args, unless the selection moved on meanwhile."""
        message.stop()
        if message.op != self.primary:
            return
        self.rows = self.collect(args=message.args)
        self.render_body(keep_scroll=True)

    def deps_ready(self) -> None:
        """The run's dependencies arrived: add the producers/consumers section."""
        if self.primary is None:
            return
        self.rows = self.collect(args=self._args)
        self.render_body(keep_scroll=True)

    def collect(self, args: dict[str, Any] | None = None) -> list[tuple[str, str, str]]:
        """Gather every known fact about the primary op (``args``: already decoded trace args)."""
        an, i = self.analysis, self.primary
        opt = an.run if an is not None else None
        if opt is None or opt.trace is None or i is None:
            return []
        t = opt.trace
        lane = t.lane_of(i)
        qnn = t.qnn_op_name(i)
        qnn_id = opt.qnn_op_id(qnn)
        rows: list[tuple[str, str, str]] = [
            ("op", "kernel", t.kernel_name(i)),
            ("op", "QNN op", qnn),
            ("op", "QNN op type", t.strings[int(t.qnn_type[i])]),
            ("op", "OpId_N", f"OpId_{qnn_id}" if qnn_id is not None else "-"),
            ("op", "op ID", t.op_id_str(i)),
            ("op", "lane", f"{lane.label} (core {lane.core}, {lane.thread_name})"),
            ("op", "start (cycles)", fmt_int(t.ts[i])),
            ("op", "duration (cycles)", fmt_int(t.dur[i])),
            ("op", "end (cycles)", fmt_int(t.end[i])),
            ("op", "DPC", fmt_int(t.dpc[i]) if t.dpc[i] >= 0 else "-"),
            ("op", "DPC source", SOURCE_LABELS.get(int(t.dpc_source[i]), "?")),
            ("op", "cycles/packet", fmt_float(t.cpp[i])),
            ("op", "selection", f"{self.count} op(s)"),
        ]
        rows += self._group_rows()
        if args is None:
            try:
                args = t.event_args(i)
            except Exception as exc:  # noqa: BLE001 - args are best effort
                args = {"(args unavailable)": str(exc)}
        self._args = args
        if an is not None:
            rows += dependency_rows(an, i, args)
        for k, v in args.items():
            rows.append(("trace args", str(k), _short(v)))
        inst = opt.qhas_instance(i)
        if inst is not None:
            for k in ("htp_op", "qnn_op", "qnn_op_type", "dtype", "dims", "cycles", "dpc",
                      "percent_dpc", "cycles_per_packet", "flags"):  # fmt: skip
                rows.append(("QHAS instance", k, _short(getattr(inst, k))))
            rows.append(("memory", "DRAM read / write", f"{fmt_int(inst.dram_read)} / "
                         f"{fmt_int(inst.dram_write)} B"))  # fmt: skip
            rows.append(("memory", "VTCM read / write", f"{fmt_int(inst.vtcm_read)} / "
                         f"{fmt_int(inst.vtcm_write)} B"))  # fmt: skip
        elif opt.qhas is None:
            rows.append(("QHAS instance", "", opt.missing_sentence("qhas")))
        else:
            rows.append(("QHAS instance", "", "no QHAS row for this instance"))
        node = opt.graph_node(i)
        if node is not None and opt.graph is not None:
            g = opt.graph
            rows.append(("graph node", "id", node.key))
            rows.append(("graph node", "kernel", node.type))
            rows.append(("graph node", "QNN op (grouping)", node.grouping))
            for tid in node.inputs:
                rows.append(("graph node", "input", _tensor(g, tid)))
            for tid in node.outputs:
                rows.append(("graph node", "output", _tensor(g, tid)))
            for k, v in node.params.items():
                rows.append(("graph params", str(k), _short(v)))
        elif opt.graph is None:
            rows.append(("graph node", "", opt.missing_sentence("htp_graph")))
        else:
            rows.append(("graph node", "", "this op produces no tensor, so it has no graph node"))
        return rows

    def _group_rows(self) -> list[tuple[str, str, str]]:
        """The selected ranking row's aggregate (a folded structure node: all its ops) and its DPC
        split by resource, when the selection is that row."""
        from htptui.present.tables import resource_rows

        try:
            pane = self.app.query_one("#ranking")
            rec = pane.record_of_selection(self.count, self.primary)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - no ranking pane (another app): no aggregate
            return []
        if rec is None:
            return []
        sec = f"selected {rec['level']} row"
        name = rec.get("name", "")
        rows = [
            (sec, "name", str(name)),
            (sec, "Σ DPC", fmt_int(rec["dpc"]) + ("" if rec.get("dpc_exact", True) else "*")),
            (sec, "% path", f"{fmt_float(rec.get('dpc_pct'))} %"),
            (sec, "busy (cycles)", fmt_int(rec["busy"])),
            (sec, "instances", fmt_int(rec["instances"])),
        ]
        if rec.get("dpc_note"):
            rows.append((sec, "note", str(rec["dpc_note"])))
        rows += [("DPC by resource (flags)", k, v) for k, v in resource_rows(rec)]
        return rows

    def render_body(self, keep_scroll: bool = False) -> None:
        """Sections with aligned keys: rebuild the line list, repaint only when it changed."""
        lines: list[tuple[str, ...]] = [("title", "Details")]
        if not self.rows:
            lines.append(("text", EMPTY_TEXT))
        section = None
        for sec, key, value in self.rows:
            if sec != section:
                if section is not None:
                    lines.append(("blank",))
                lines.append(("section", sec))
                section = sec
            lines.append(("fact", key, value))
        if not keep_scroll and self.scroll_y:
            self.scroll_to(y=0, animate=False, immediate=True)
        if lines == self._lines:
            return
        self._lines = lines
        self.repaints += 1
        self._rows_width = -1
        self._fit(self.size.width)
        self.refresh()

    def _wrapped(self, line: tuple[str, ...], width: int) -> list[str]:
        """The pieces a fact's value (or a text line) takes at ``width`` (one when it fits)."""
        key = (line, width)
        parts = self._parts.get(key)
        if parts is None:
            kind = line[0]
            if kind == "fact" and width - FACT_INDENT >= MIN_WRAP:
                # a key longer than the key column pushes the first piece right
                first = width - 3 - max(KEY_WIDTH, cell_width(line[1]))
                parts = wrap_cells(line[2], width - FACT_INDENT, first=first)
            elif kind == "text" and width >= MIN_WRAP:
                parts = wrap_cells(line[1], width)
            else:
                parts = [line[-1] if len(line) > 1 else ""]
            if len(self._parts) > 4096:
                self._parts.clear()
            self._parts[key] = parts
        return parts

    def _fit(self, width: int) -> None:
        """Lay the logical lines out at ``width``: which display line shows which piece."""
        if width == self._rows_width:
            return
        rows: list[tuple[int, int]] = []
        for li, line in enumerate(self._lines):
            rows.extend((li, part) for part in range(len(self._wrapped(line, width))))
        self._rows_at = rows
        self._rows_width = width
        set_virtual_size(self, Size(width, len(rows)))

    def plain_text(self) -> str:
        """The pane's lines as plain text (tests, copy of what is on screen)."""
        out = []
        for line in self._lines:
            kind = line[0]
            if kind == "fact":
                out.append(f"  {line[1]:<{KEY_WIDTH}} {line[2]}")
            elif kind == "blank":
                out.append("")
            else:
                out.append(line[1])
        return "\n".join(out)

    def render_line(self, y: int) -> Strip:
        """One line of the pane (the title is line 0 and scrolls with the facts)."""
        width = self.size.width
        self._fit(width)
        pos = y + int(self.scroll_offset.y)
        if not 0 <= pos < len(self._rows_at):
            return Strip.blank(width, self._base_style())
        li, part = self._rows_at[pos]
        line = self._lines[li]
        key = (line, part, width, self._style_gen)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._draw(line, width, part)
            self._cache[key] = strip
        return strip

    def _draw(self, line: tuple[str, ...], width: int, part: int = 0) -> Strip:
        base = self._base_style()
        kind = line[0]
        segs: list[Segment]
        if kind == "fact":
            pieces = self._wrapped(line, width)
            value = pieces[part] if part < len(pieces) else ""
            if part == 0:
                key_text = f"  {line[1]:<{KEY_WIDTH}}"
                segs = [Segment(key_text, base + self._style("details--key")),
                        Segment(f" {value}", base)]  # fmt: skip
            else:  # a wrapped line: under the value, not under the key
                segs = [Segment(" " * FACT_INDENT + value, base)]
        elif kind == "blank":
            segs = []
        elif kind == "text":
            pieces = self._wrapped(line, width)
            segs = [Segment(pieces[part] if part < len(pieces) else "", base)]
        else:
            segs = [Segment(line[1], base + self._style(f"details--{kind}"))]
        strip = Strip(segs)
        if strip.cell_length > width > 0:  # cut with an ellipsis, as the old text body did
            strip = strip.crop(0, width - 1)
            last_style = segs[-1].style if segs else base
            strip = Strip([*strip, Segment("…", last_style)])
        return strip.adjust_cell_length(width, base)

    def on_resize(self) -> None:
        """The width changed: lines are re-wrapped (the strip cache is keyed by width)."""
        self._fit(self.size.width)

    def copy_text(self) -> str:
        """Plain-text description of the selection (for `y`)."""
        return "\n".join(f"{sec}: {key}: {value}" for sec, key, value in self.rows)

    def export_table(self) -> ExportTable:
        """Section/key/value rows."""
        records = [{"section": s, "key": k, "value": v} for s, k, v in self.rows]
        return export_rows(DETAIL_COLUMNS, records)


DEPS_SHOWN = 12  # producers / consumers listed per op before "… and N more"


def dependency_rows(
    an: RunAnalysis, i: int, args: dict[str, Any] | None = None
) -> list[tuple[str, str, str]]:
    """'waits on' rows: the producer op ``i`` waited for (with the gap), its producers, consumers.

    Before every op's `Inputs Ops` has been read, the producers come from ``args`` (op ``i``'s own,
    already decoded) and the consumers say they are still being read."""
    from htptui.analysis.deps import VIA_LABELS
    from htptui.tui.ask import gap_text

    t = an.trace
    if t is None:
        return []
    sec = "waits on (Inputs Ops + flows)"
    ready = an.cached("deps")
    usable = args is not None and "" not in args and "(args unavailable)" not in args
    if not ready and not usable:
        return [(sec, "", "producers: reading this op's args…; consumers: computing…")]
    rows: list[tuple[str, str, str]] = []
    w = an.waited_for(i, None if ready else args)
    clock = an.trace_clock_ghz()
    if w is not None:
        gap = int(t.ts[i]) - int(t.end[w])
        rows.append((sec, "waited for (p)", _dep_text(t, w, "end")))
        rows.append((sec, "gap", gap_text(gap, clock)))
    prods, pvia = an.producers(i, None if ready else args)
    if not prods.size:
        rows.append((sec, "producers", "none among the executed ops"))
    order = np.argsort(-(t.end[prods]), kind="stable") if prods.size else prods
    for k in order[:DEPS_SHOWN].tolist():
        p = int(prods[k])
        rows.append((sec, "producer", f"{_dep_text(t, p, 'end')} [{VIA_LABELS[int(pvia[k])]}]"))
    if prods.size > DEPS_SHOWN:
        rows.append((sec, "producer", f"… and {prods.size - DEPS_SHOWN} more"))
    if not ready:
        rows.append((sec, "consumers", "computing… (every op's Inputs Ops is being read)"))
        return rows
    deps = an.deps()
    cons, cvia = deps.consumers(i)
    if not cons.size:
        rows.append((sec, "consumers", "none among the executed ops"))
    order = np.argsort(t.ts[cons], kind="stable") if cons.size else cons
    for k in order[:DEPS_SHOWN].tolist():
        c = int(cons[k])
        rows.append((sec, "consumer", f"{_dep_text(t, c, 'start')} [{VIA_LABELS[int(cvia[k])]}]"))
    if cons.size > DEPS_SHOWN:
        rows.append((sec, "consumer", f"… and {cons.size - DEPS_SHOWN} more"))
    for note in deps.notes:
        rows.append((sec, "note", note))
    return rows


def _dep_text(t: Any, op: int, at: str) -> str:
    when = int(t.end[op]) if at == "end" else int(t.ts[op])
    return (
        f"{t.kernel_name(op)} · {t.qnn_op_name(op)} · {t.lane_of(op).label} · {at} {fmt_int(when)}"
    )


def _short(value: Any, limit: int = 120) -> str:
    text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tensor(g: HtpGraph, tid: int) -> str:
    t = g.tensors.get(tid)
    if t is None:
        return f"0x{tid:016x}"
    dims = "×".join(str(d) for d in t.dims) or "scalar"
    size = f" {fmt_int(t.nbytes)} B" if t.nbytes is not None else ""
    producer = g.producer.get(tid)
    src = f" from {g.nodes[producer].type}" if producer is not None and producer in g.nodes else ""
    return f"{t.key} {t.type_name} [{dims}] {t.dtype_name}{size}{src}"
