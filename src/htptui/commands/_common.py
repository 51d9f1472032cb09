"""Helpers shared by the subcommands: loading with one-line errors and stderr progress."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from htptui.errors import ExitCode, InputError
from htptui.model._io import clean_json_bytes, clean_output, clean_text
from htptui.model.paths import inside_trace_dir

if TYPE_CHECKING:
    from htptui.model.discover import Artifacts, GraphChoiceError
    from htptui.model.run import Run

OUTPUT_FORMATS = ("text", "md", "json")

#: ``--format text|md|json``, shared by every headless command (value in ``fmt``)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(OUTPUT_FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
#: ``-o/--output FILE`` (stdout when absent; never inside a trace directory)
output_option = click.option(
    "-o", "--output", default=None, help="Write to this file instead of stdout."
)


#: ``--graph NAME``: which graph of a directory holding several (see model.discover.resolve_graph)
graph_option = click.option(
    "--graph",
    "graph",
    default=None,
    metavar="NAME",
    help=(
        "Graph to use when the directory holds several (<model>-s1-chrometrace.json, "
        "<model>-s32-…): its name, stem or op-trace file. Without it, several graphs exit 2 "
        "with the list."
    ),
)


def top_option(default: int, help: str) -> click.Option:  # noqa: A002 - click's own keyword
    """``--top N`` with a per-command default and help text."""
    return click.option(
        "--top", type=click.IntRange(1, None), default=default, show_default=True, help=help
    )


def one_line(message: str) -> str:
    """A diagnostic made safe for a terminal: one line, every control/bidi character visible."""
    return clean_text(" ".join(str(message).splitlines()), max_chars=8192)


def fail(message: str, code: int = ExitCode.INPUT) -> NoReturn:
    """Print one line to stderr and exit."""
    click.echo(f"htptui: error: {one_line(message)}", err=True)
    sys.exit(int(code))


def warn(message: str) -> None:
    """Print a diagnostic line to stderr (stdout carries only data)."""
    click.echo(f"htptui: {one_line(message)}", err=True)


class _StderrProgress:
    """Progress on stderr for long loads, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < 0.5 or (now - self.last < 0.1 and fraction < 1.0):
            return
        self.last = now
        sys.stderr.write(f"\r\x1b[2Kloading {fraction * 100:5.1f}%  {message}")
        if fraction >= 1.0:
            sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


def fail_graph_choice(exc: GraphChoiceError) -> NoReturn:
    """Several graphs and none (or an unknown one) named: list them, one line each, and exit 2."""
    click.echo(f"htptui: error: {exc}:", err=True)
    for g in exc.graphs:
        click.echo(f"  {g.describe()}", err=True)
    sys.exit(int(ExitCode.USAGE))


def resolve_or_exit(path: str, graph: str | None) -> Artifacts:
    """The artifacts of the chosen graph of ``path`` (exit 2 listing graphs, 1 on bad input)."""
    from htptui.model.discover import GraphChoiceError, resolve_graph

    try:
        return resolve_graph(path, graph)
    except GraphChoiceError as exc:
        fail_graph_choice(exc)
    except InputError as exc:
        fail(str(exc))


def load_or_exit(
    path: str, *, strict: bool = False, quiet: bool = False, graph: str | None = None
) -> Run:
    """Load an optrace (directory, file or -), printing a one-line error and exiting 1 on bad input.

    A directory with several graphs needs ``graph``; without it the graphs are listed (exit 2).
    """
    from htptui.model.run import load_run

    artifacts = resolve_or_exit(path, graph)
    try:
        opt = load_run(path, progress=_StderrProgress(), artifacts=artifacts)
    except InputError as exc:
        fail(str(exc))
    except MemoryError:
        fail(f"{path}: out of memory while loading")
    except RecursionError:
        fail(f"{path}: nested too deeply to read (hostile or corrupt file)")
    if not quiet:
        for note in opt.artifacts.notes:  # files passed over, with the reason
            warn(f"note: {note}")
    for kind, problem in opt.errors.items():
        where = opt.artifacts.get(kind) or path
        if strict:
            fail(f"{where}: {problem}")
        if not quiet:
            warn(f"warning: {where}: {problem} (continuing without it)")
    return opt


def refuse_trace_dir(dest: Path, inputs: list[str]) -> None:
    """Exit 2 if ``dest`` lies inside the directory of any input: htptui never writes there."""
    hit = inside_trace_dir(dest, inputs)
    if hit is not None:
        fail(
            f"{dest}: refusing to write into the trace directory {hit}; choose another path",
            ExitCode.USAGE,
        )


def write_output(text: str | bytes, output: str | None, inputs: list[str] | None = None) -> None:
    """Write the document to stdout or a file (refusing to write into a trace directory)."""
    # text from files is data: no raw control or bidi character reaches a terminal or a file
    text = clean_json_bytes(text) if isinstance(text, bytes) else clean_output(text)
    if output in (None, "-"):
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
            sys.stdout.flush()
        else:
            sys.stdout.write(text)
        return
    dest = Path(output)
    refuse_trace_dir(dest, inputs or [])
    try:
        if isinstance(text, bytes):
            dest.write_bytes(text)
        else:
            dest.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{dest}: cannot write: {exc.strerror or exc}")
    warn(f"wrote {dest}")
