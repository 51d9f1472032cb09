"""``htptui report PATH``: the headless report (text, Markdown or JSON)."""

from __future__ import annotations

import click

from htptui.commands._common import (
    format_option,
    load_or_exit,
    output_option,
    top_option,
    write_output,
)


@click.command("report")
@click.argument("path")
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
    fmt: str,
    top: int,
    width: int,
    expected: str | None,
    output: str | None,
    strict: bool,
) -> None:
    """Report graph wall, lanes, domain cycles, DPC ranking, timeline and cross-checks for PATH.

    Every figure is derived from the op trace and checked against the SDK's own QHAS and
    profile.txt values (see the cross-checks section). stdout carries only the report.
    """
    from htptui import report

    opt = load_or_exit(path, strict=strict)
    options = {"width": width, "expected": expected}
    doc = report.build_report(opt, top=top, options=options)
    if fmt == "json":
        write_output(report.to_json_bytes(doc), output, [path])
    else:
        write_output(report.render(doc, fmt), output, [path])
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
