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
    from htptui.model.discover import Artifacts


def _reattach_tty() -> None:
    """After reading stdin fully, point fd 0 at the terminal so keys reach the TUI."""
    try:
        tty = os.open("/dev/tty", os.O_RDONLY)
    except OSError as exc:
        fail(f"stdin was read as the trace, but no terminal is available for keys: {exc.strerror}")
    os.dup2(tty, 0)
    os.close(tty)


def _start_decode(path: str) -> Artifacts | None:
    """Find the run's artifacts and start decoding a big op trace now, before Textual is imported.

    The decode runs in worker subprocesses (htptui.model.chrometrace.prefetch); the app's load
    picks it up. Any problem here is left for the app to report the usual way.
    """
    from htptui.model.discover import discover

    try:
        arts = discover(path)
    except InputError:
        return None
    if arts.op_trace is not None:
        from htptui.model import chrometrace

        chrometrace.prefetch(arts.op_trace)
    return arts


@click.command("open")
@click.argument("path")
@click.argument("path_b", required=False, default=None)
@click.option(
    "--no-mouse", is_flag=True, help="Leave the mouse to the terminal (native selection)."
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
    path: str, path_b: str | None, no_mouse: bool, theme: str | None, export_dir: str | None
) -> None:
    """Open the explorer on PATH: an optrace directory, a chrometrace file (.gz too), or - (stdin).

    \b
    Panes: timeline, DPC ranking, QHAS units, op DAG (+ graph diff) and details, all linked.
    With two paths (PATH PATH_B; each a run or a saved `report --format json`), compare mode:
    A, B and delta columns, A above B on one timeline scale; g cycles A / B / diff views.
    Press ? inside for every key; q quits.
    """
    if path_b is not None:
        for p in (path, path_b):
            if p == "-" or not Path(p).exists():
                fail(f"{p}: no such file or directory (compare mode takes two paths)")
        from htptui.tui.compare import run_compare

        sys.exit(run_compare(path, path_b, mouse=not no_mouse))
    artifacts = None
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
        artifacts = _start_decode(path)

    from htptui.tui.app import HtpApp  # Textual loads while the decode workers run

    if theme is not None:
        from textual.theme import BUILTIN_THEMES

        if theme not in BUILTIN_THEMES:
            names = ", ".join(sorted(BUILTIN_THEMES))
            fail(f"unknown theme {theme!r} (choose from {names})", ExitCode.USAGE)
    if export_dir is not None and not Path(export_dir).is_dir():
        fail(f"{export_dir}: --export-dir is not a directory", ExitCode.USAGE)
    app = HtpApp(path, artifacts=artifacts, theme=theme, export_dir=export_dir)
    code = app.run(mouse=not no_mouse)
    if app.load_error is not None:
        fail(app.load_error)  # one clean line (escapes visible), exit 1
    if code:
        sys.exit(int(code))
