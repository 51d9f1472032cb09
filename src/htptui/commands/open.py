"""``htptui open PATH`` (also plain ``htptui PATH``): the interactive explorer."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from htptui.commands._common import fail
from htptui.errors import ExitCode, InputError

if TYPE_CHECKING:
    from htptui.model.discover import Artifacts, Graph


def _reattach_tty() -> None:
    """After reading stdin fully, point fd 0 at the terminal so keys reach the TUI."""
    try:
        tty = os.open("/dev/tty", os.O_RDONLY)
    except OSError as exc:
        fail(f"stdin was read as the trace, but no terminal is available for keys: {exc.strerror}")
    os.dup2(tty, 0)
    os.close(tty)


def _choose_graph(path: str, graph: str | None) -> tuple[Artifacts | None, list[Graph]]:
    """The graph to open (None: let the picker ask) and every graph of ``path``.

    Exits 2 listing the graphs when ``graph`` names none of them, 1 on unreadable input.
    """
    from htptui.commands._common import fail_graph_choice
    from htptui.model.discover import GraphChoiceError, discover_graphs, find_graph

    try:
        graphs = discover_graphs(path)
    except InputError as exc:
        fail(str(exc))
    if graph is None:
        return (graphs[0].artifacts if len(graphs) == 1 else None), graphs
    found = find_graph(graphs, graph)
    if found is None:
        fail_graph_choice(GraphChoiceError(path, graphs, asked=graph))
    return found.artifacts, graphs


def _start_decode(artifacts: Artifacts | None) -> None:
    """Start decoding the chosen graph's big op trace now, before Textual is imported.

    The decode runs in worker subprocesses (htptui.model.chrometrace.prefetch); the app's load
    picks it up. Any problem here is left for the app to report the usual way.
    """
    if artifacts is not None and artifacts.op_trace is not None:
        from htptui.model import chrometrace

        chrometrace.prefetch(artifacts.op_trace)


@click.command("open")
@click.argument("path")
@click.argument("path_b", required=False, default=None)
@click.option(
    "--no-mouse", is_flag=True, help="Leave the mouse to the terminal (native selection)."
)
@click.option(
    "--graph",
    default=None,
    metavar="NAME",
    help="Graph to open when PATH holds several (else a picker lists them; o switches later).",
)
@click.option(
    "--compare",
    "compare_graph",
    default=None,
    metavar="NAME",
    help="Compare mode on two graphs of PATH: --graph A against --compare B, "
    "e.g. `htptui DIR --graph m-s1 --compare m-s32`.",
)
@click.option(
    "--theme",
    default=None,
    metavar="NAME",
    help="Textual theme, e.g. textual-dark, textual-light, nord (default: $TEXTUAL_THEME or dark).",
)
@click.option(
    "--export-dir",
    type=click.Path(file_okay=False),
    default=None,
    envvar="HTPTUI_EXPORT_DIR",
    help="Where e/E write exports (default: the current directory; never the trace directory).",
)
def command(
    path: str,
    path_b: str | None,
    no_mouse: bool,
    graph: str | None,
    compare_graph: str | None,
    theme: str | None,
    export_dir: str | None,
) -> None:
    """Open the explorer on PATH: an optrace directory, a chrometrace file (.gz too), or - (stdin).

    \b
    Panes: timeline, DPC ranking, QHAS units, op DAG (+ graph diff) and details, all linked.
    With two paths (PATH PATH_B; each a run or a saved `report --format json`), compare mode:
    A, B and delta columns, A above B on one timeline scale; g cycles A / B / diff views.
    \b
    A directory holding several graphs (<model>-s1-chrometrace.json, <model>-s32-…) opens a picker
    (or the graph named by --graph); o switches graph later. Compare two graphs of one directory
    with `htptui DIR --graph A --compare B`; --graph also picks the graph of both PATH and PATH_B.
    Press ? inside for every key; q quits.
    """
    if path_b is not None or compare_graph is not None:
        if path_b is None:
            path_b = path
        for p in (path, path_b):
            if p == "-" or not Path(p).exists():
                fail(f"{p}: no such file or directory (compare mode takes two paths)")
        from htptui.commands._common import resolve_or_exit

        # several graphs and none named: exit 2 with the list before starting the TUI
        for p, g in ((path, graph), (path_b, compare_graph or graph)):
            if Path(p).is_dir():
                resolve_or_exit(p, g)
        from htptui.tui.compare import run_compare

        sys.exit(
            run_compare(
                path, path_b, mouse=not no_mouse, graph_a=graph, graph_b=compare_graph or graph
            )
        )
    artifacts = None
    graphs: list[Graph] = []
    if path == "-":
        from htptui.model.discover import discover

        if sys.stdin.isatty():
            fail("- reads the trace from stdin, but stdin is a terminal (pipe a trace in)")
        try:
            artifacts = discover("-")
        except InputError as exc:
            fail(str(exc))
        _reattach_tty()
    elif not Path(path).exists():
        fail(f"{path}: no such file or directory")
    else:
        artifacts, graphs = _choose_graph(path, graph)
        _start_decode(artifacts)

    from htptui.tui.app import HtpApp  # Textual loads while the decode workers run

    if theme is not None:
        from textual.theme import BUILTIN_THEMES

        if theme not in BUILTIN_THEMES:
            names = ", ".join(sorted(BUILTIN_THEMES))
            fail(f"unknown theme {theme!r} (choose from {names})", ExitCode.USAGE)
    if export_dir is not None and not Path(export_dir).is_dir():
        fail(f"{export_dir}: --export-dir is not a directory", ExitCode.USAGE)
    while True:
        app = HtpApp(path, artifacts=artifacts, theme=theme, graphs=graphs, export_dir=export_dir)
        code = app.run(mouse=not no_mouse)
        if app.switch_graph is None or app.load_error is not None:
            break
        # `o` picked another graph: open it afresh (only its files are read)
        artifacts = next(g.artifacts for g in graphs if g.name == app.switch_graph)
        _start_decode(artifacts)
        theme = app.theme
    if app.load_error is not None:
        fail(app.load_error)  # one clean line (escapes visible), exit 1
    if code:
        sys.exit(int(code))
