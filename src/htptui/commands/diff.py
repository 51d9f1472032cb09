"""``htptui diff A B``: compare two runs (optrace directories/files or saved JSON reports)."""

from __future__ import annotations

import click

from htptui.commands._common import (
    fail,
    format_option,
    output_option,
    top_option,
    warn,
    write_output,
)


class PercentType(click.ParamType):
    """A percentage written ``5%`` or ``5``, converted to a fraction (0.05)."""

    name = "percent"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        """Parse ``5%`` / ``5`` / ``0.5 %`` into a fraction."""
        if isinstance(value, float):
            return value
        text = str(value).strip().rstrip("%").strip()
        try:
            pct = float(text)
        except ValueError:
            self.fail(f"{value!r} is not a percentage (write 5% or 5)", param, ctx)
        if pct < 0 or pct != pct:
            self.fail(f"{value!r} must be a percentage ≥ 0", param, ctx)
        return pct / 100.0


PERCENT = PercentType()


@click.command("diff")
@click.argument("a")
@click.argument("b", required=False, default=None)
@click.option(
    "--graph",
    "graph_a",
    default=None,
    metavar="NAME",
    help="Graph of A when A holds several (name, stem or op-trace file).",
)
@click.option(
    "--graph-b",
    "graph_b",
    default=None,
    metavar="NAME",
    help="Graph of B (default: the --graph name). Without B, B is A: compare two graphs of one "
    "directory, e.g. `htptui diff DIR --graph m-s1 --graph-b m-s32`.",
)
@format_option
@top_option(20, "Rows per table (lanes, QNN ops, kernels, instances).")
@click.option(
    "--min-delta",
    type=PERCENT,
    default="1%",
    show_default=True,
    help="Hide changes smaller than this share of A (5% or 5).",
)
@click.option(
    "--min-cycles",
    type=click.FloatRange(0, None),
    default=50,
    show_default=True,
    help="Hide cycle changes smaller than this many cycles.",
)
@output_option
def command(
    a: str,
    b: str | None,
    graph_a: str | None,
    graph_b: str | None,
    fmt: str,
    top: int,
    min_delta: float,
    min_cycles: float,
    output: str | None,
) -> None:
    """Compare run A (before) with run B (after).

    A and B are each an optrace directory, a chrometrace file, or a JSON file saved by
    `htptui report --format json`. Shows graph wall, per-lane busy, domain, idle, boundary tax,
    Σ DPC and runtrace phases, then QNN ops, HTP kernels and instances sorted by |Δ|, ops added or
    removed, and compiled-graph changes (nodes per kernel, QNN-op edges). Deltas below both
    --min-delta and --min-cycles are hidden. Exit 0, or 1 when an input cannot be read.

    \b
    Several graphs in one directory (<model>-s1-chrometrace.json, <model>-s32-…):
      htptui diff DIR --graph m-s1 --graph-b m-s32    two graphs of DIR
      htptui diff DIR_A DIR_B --graph m-s1            the same graph of two runs
    A directory with several graphs and none named exits 2 with the list of graphs.
    """
    from htptui.analysis.compare import Noise, compare
    from htptui.commands._common import _StderrProgress, fail_graph_choice
    from htptui.errors import ExitCode, InputError
    from htptui.model.discover import GraphChoiceError
    from htptui.output.baseline import load_document
    from htptui.output.diff import render_diff

    if b is None:
        if graph_b is None:
            fail("diff needs B, or --graph-b NAME to compare two graphs of A", ExitCode.USAGE)
        b = a
    if graph_b is None:
        graph_b = graph_a
    try:
        doc_a = load_document(a, progress=_StderrProgress(), on_warning=warn, graph=graph_a)
        doc_b = load_document(b, progress=_StderrProgress(), on_warning=warn, graph=graph_b)
    except GraphChoiceError as exc:
        fail_graph_choice(exc)
    except InputError as exc:
        fail(str(exc))
    except MemoryError:
        fail("out of memory while loading")
    except RecursionError:
        fail("an input is nested too deeply to read")
    try:
        cmp = compare(doc_a, doc_b)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        fail(f"cannot compare the runs: a field has an unexpected value ({exc})")
    noise = Noise(rel=min_delta, cycles=min_cycles)
    if fmt == "json":
        from htptui.output.json import to_json_bytes

        write_output(to_json_bytes(cmp.to_dict(noise, top)), output, [a, b])
    else:
        write_output(render_diff(cmp, fmt, noise, top), output, [a, b])
