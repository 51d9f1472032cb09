"""``htptui report PATH``: the headless report (text, Markdown or JSON)."""

from __future__ import annotations

from typing import Any

import click

from htptui.commands._common import (
    fail,
    format_option,
    graph_option,
    group_option,
    load_or_exit,
    output_option,
    structure_rules_or_exit,
    top_option,
    write_output,
)


@click.command("report")
@click.argument("path")
@graph_option
@format_option
@top_option(15, "Rows per ranking table.")
@click.option(
    "--width",
    type=click.IntRange(20, 1000),
    default=100,
    show_default=True,
    help="Columns of the ASCII timeline.",
)
@click.option(
    "--expected",
    type=click.Path(dir_okay=False),
    default=None,
    help="Expected op graph (DAG text or DOT) to diff against.",
)
@click.option(
    "--from",
    "from_",
    default=None,
    metavar="T",
    help="Window start: cycles on the timeline's axis, or µs with a 'us' suffix (6.5us).",
)
@click.option("--to", "to", default=None, metavar="T", help="Window end (exclusive), as --from.")
@click.option(
    "--filter",
    "filter_",
    default=None,
    metavar="REGEX",
    help="Only ops whose kernel, QNN op or unit matches REGEX (rescopes every section).",
)
@group_option
@click.option(
    "--structure-depth",
    type=click.IntRange(0, 64),
    default=3,
    show_default=True,
    help="Levels of the structure section (QNN ops folded into the model's tree; 0 leaves it out).",
)
@output_option
@click.option(
    "--strict",
    is_flag=True,
    help=(
        "Exit 1 if any artifact is unreadable or any cross-check disagrees with the SDK's "
        "QHAS/profile.txt (the report is still written)."
    ),
)
def command(
    path: str,
    graph: str | None,
    fmt: str,
    top: int,
    width: int,
    expected: str | None,
    from_: str | None,
    to: str | None,
    filter_: str | None,
    groups: tuple[str, ...],
    structure_depth: int,
    output: str | None,
    strict: bool,
) -> None:
    """Report graph wall, lanes, domain cycles, DPC ranking, timeline and cross-checks for PATH.

    Every figure is derived from the op trace and checked against the SDK's own QHAS and
    profile.txt values (see the cross-checks section). stdout carries only the report.
    """
    from htptui.errors import InputError
    from htptui.output.document import build_report
    from htptui.output.json import to_json_bytes
    from htptui.output.report import render

    rules = structure_rules_or_exit(groups)  # a bad rule exits 2 before anything is loaded
    opt = load_or_exit(path, strict=strict, graph=graph)
    options = {"width": width, "expected": expected, "structure_depth": structure_depth}
    from htptui.analysis.run import analysis_of

    analysis_of(opt).set_structure_rules(rules)
    run: Any = opt
    if from_ is not None or to is not None or filter_ is not None:
        run = _scoped(opt, from_, to, filter_)
    try:
        doc = build_report(run, top=top, options=options, data_sections=fmt == "json")
    except InputError as exc:
        fail(str(exc))
    if fmt == "json":
        write_output(to_json_bytes(doc), output, [path])
    else:
        write_output(render(doc, fmt), output, [path])
    scope = doc.get("scope")
    if scope is not None and not scope["ops"]:
        click.echo(f"htptui: warning: {path}: {doc['warnings'][-1]}", err=True)
    if strict and not doc.get("checks_ok", True):
        import sys

        bad = [c["name"] for c in doc.get("checks", []) if not c["ok"]]
        click.echo(
            f"htptui: error: {path}: {len(bad)} cross-check(s) disagree with the SDK's figures: "
            + "; ".join(bad[:5])
            + (" ..." if len(bad) > 5 else ""),
            err=True,
        )
        sys.exit(1)


def _scoped(opt: Any, from_: str | None, to: str | None, pattern: str | None) -> Any:
    """The run's analysis scoped to --from/--to/--filter (one clear line and exit 2 when bad)."""
    import re

    from htptui.analysis.run import analysis_of
    from htptui.analysis.window import parse_bound
    from htptui.errors import ExitCode

    an = analysis_of(opt)
    if not an.has_ops:
        fail(f"{opt.source}: --from/--to/--filter need an op trace with executed ops")
    clock = an.trace_clock_ghz()
    usage = ExitCode.USAGE
    try:
        lo = parse_bound(from_, clock) if from_ is not None else None
        hi = parse_bound(to, clock) if to is not None else None
    except ValueError as exc:
        fail(f"--from/--to: {exc}", usage)
    if lo is not None and hi is not None and hi <= lo:
        fail(f"--from/--to: the window [{lo:,}, {hi:,}) is empty (--to must exceed --from)", usage)
    t = an.trace
    first, last = int(t.ts.min()), int((t.ts + t.dur).max())
    if (lo is not None and lo >= last) or (hi is not None and hi <= first):
        shown = f"[{'start' if lo is None else f'{lo:,}'}, {'end' if hi is None else f'{hi:,}'})"
        fail(f"--from/--to: the window {shown} lies outside the ops, [{first:,}, {last:,})", usage)
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            fail(f"--filter: {pattern!r} is not a valid regex: {exc}", usage)
    return an.scoped(lo, hi, pattern)
