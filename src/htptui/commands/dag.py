"""``htptui dag PATH``: the compiled op DAG as ASCII lanes, diffed against an expected graph."""

from __future__ import annotations

import shutil
import sys

import click

from htptui.commands._common import (
    fail,
    format_option,
    graph_option,
    load_or_exit,
    output_option,
    write_output,
)

MIN_WIDTH = 40
DEFAULT_WIDTH = 100


def default_width() -> int:
    """The terminal's width when stdout is a terminal, else 100 (kept within the option's range)."""
    if sys.stdout.isatty():
        return max(MIN_WIDTH, min(1000, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns))
    return DEFAULT_WIDTH


def wrap_blocks(blocks: list, width: int) -> list:  # type: ignore[type-arg]
    """Prose (``Lines`` blocks) wrapped to ``width`` cells, continuation lines indented."""
    import textwrap

    from htptui.output.blocks import Lines

    def wrap(lines: object) -> list[str]:
        out: list[str] = []
        for ln in lines:  # type: ignore[attr-defined]
            parts = textwrap.wrap(ln, width, subsequent_indent="  ", break_on_hyphens=False)
            out += parts or [ln]
        return out

    return [
        Lines(wrap(b.text), None if b.md is None else wrap(b.md)) if isinstance(b, Lines) else b
        for b in blocks
    ]


def fit_lines(text: str, width: int) -> str:
    """Every line of ``text`` middle-elided to ``width`` cells (a last resort for table rows)."""
    from htptui.present.format import cell_width, elide_middle

    lines = text.split("\n")
    return "\n".join(ln if cell_width(ln) <= width else elide_middle(ln, width) for ln in lines)


@click.command("dag")
@click.argument("path")
@graph_option
@click.option(
    "--expected",
    type=click.Path(dir_okay=False),
    default=None,
    help="Expected op graph (.dag text, .dot or .onnx); default: expected.dag beside PATH.",
)
@click.option(
    "--level",
    type=click.Choice(("qnn", "htp")),
    default="qnn",
    show_default=True,
    help="QNN ops (HTP nodes collapsed by grouping) or every HTP node.",
)
@click.option(
    "--width",
    type=click.IntRange(MIN_WIDTH, 1000),
    default=None,
    help=(
        "Widest output line in terminal cells (text and md): long op names are middle-elided and "
        "long producer lists end '… (+N more)'; JSON keeps full names. "
        "Default: the terminal's width when stdout is a terminal, else 100."
    ),
)
@format_option
@output_option
@click.option(
    "--fail-on-false-dependency",
    is_flag=True,
    help=(
        "Exit 1 (after printing the DAG) when a STATIC tensor shared by ops the expected graph "
        "keeps independent suggests a dedup-induced false dependency."
    ),
)
def command(
    path: str,
    graph: str | None,
    expected: str | None,
    level: str,
    width: int | None,
    fmt: str,
    output: str | None,
    fail_on_false_dependency: bool,
) -> None:
    """Print the actual op DAG of PATH, one node per row, with the diff against the expected graph.

    Edges are marked [ok] (expected and present), [MISSING], [UNEXPECTED] or [added] (to or from an
    op the compiler added); STATIC tensors shared across QNN ops are listed after the DAG.
    Every line fits in --width cells: long names are middle-elided and long producer lists are
    cut to '… (+N more)'; JSON output keeps every name in full.
    With --fail-on-false-dependency the exit status is 1 when a dedup-induced false dependency
    is suspected (the reason goes to stderr).
    """
    from htptui.analysis.run import analysis_of
    from htptui.errors import InputError
    from htptui.output import markdown, text
    from htptui.output.blocks import Code, Heading, Lines
    from htptui.output.sections import graph_diff as gd_section
    from htptui.present import ascii_dag

    opt = load_or_exit(path, quiet=True, graph=graph)
    if opt.graph is None:
        fail(opt.missing_sentence("htp_graph"))
    an = analysis_of(opt)
    try:
        diff = an.graph_diff(expected)
    except InputError as exc:
        if expected:
            fail(str(exc))  # asked for explicitly: an error
        # found beside the trace (or in its parent): degrade to a warning
        from htptui.analysis.graph_diff import diff_graphs
        from htptui.commands._common import warn

        warn(f"warning: {exc} (expected graph ignored)")
        diff = diff_graphs(opt.graph, None, opt.trace)
    assert diff is not None
    has_exp = diff.expected_source is not None
    shown = diff if has_exp else None
    rows = (
        ascii_dag.qnn_dag_rows(opt.graph, shown, an.qnn_dag())
        if level == "qnn"
        else ascii_dag.htp_dag_rows(opt.graph, shown)
    )
    if fmt == "json":
        import json

        full = ascii_dag.format_rows([r.triple() for r in rows])
        doc = {"schema": "htptui.dag", "level": level, "source": opt.source, "dag_ascii": full}
        doc |= {"diff": diff.to_dict()}
        write_output(json.dumps(doc, indent=2) + "\n", output, [path])
        _exit_on_false_dependency(diff, fail_on_false_dependency)
        return
    width = width if width is not None else default_width()
    lines = ascii_dag.fit_rows(rows, width)
    dag = an.qnn_dag()
    n_nodes = len(opt.graph.nodes) if level == "htp" else len(dag.ops) if dag else 0
    title = f"{'QNN-op' if level == 'qnn' else 'HTP-node'} DAG of {opt.name} ({n_nodes} nodes)"
    from htptui.present.format import elide_middle

    title = elide_middle(title, width)
    head = [f"expected: {diff.expected_source}"] if has_exp else []
    sec = gd_section.section_of(diff, opt.graph, an)
    sec["dag_ascii"] = []  # already printed above
    blocks = [Heading(title, 1), Lines([*head, ""]), Code(lines), *gd_section.blocks(sec)]
    renderer = markdown if fmt == "md" else text
    blocks = wrap_blocks(blocks, width)
    write_output(fit_lines(renderer.render_blocks(blocks), width), output, [path])
    _exit_on_false_dependency(diff, fail_on_false_dependency)


def _exit_on_false_dependency(diff: object, enabled: bool) -> None:
    """Exit 1 with the reason when asked to and a false dependency is suspected."""
    suspected = diff.shared.suspected if enabled else []  # type: ignore[attr-defined]
    if suspected:
        fail(false_dependency_reason(suspected))


def false_dependency_reason(suspected: list) -> str:  # type: ignore[type-arg]
    """One line naming the shared tensors that suggest a dedup-induced false dependency."""
    parts = [f"{s.tensor.key} shared by {', '.join(s.ops)}" for s in suspected[:3]]
    more = f" (+{len(suspected) - 3} more)" if len(suspected) > 3 else ""
    return (
        f"suspected dedup-induced false dependency: {'; '.join(parts)}{more}, "
        "which the expected graph keeps independent"
    )
