"""Command line: ``htptui PATH`` opens the explorer; subcommands run the same analysis headless.

Subcommands live in ``htptui/commands/<name>.py`` (each exposing ``command``) and are imported only
when used, so ``--help`` and ``--version`` never import Textual, numpy or networkx.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from htptui import __version__

EPILOG = """\b
Examples:
  htptui out_s/optrace                      open the explorer on an optrace directory
  htptui report out_s/optrace --format md   headless report (text, md or json)
  htptui findings out_s/optrace             what is wrong, with the evidence
  htptui diff old/optrace new/optrace       compare two runs
  htptui check new --baseline base.json     CI gate: exit 1 on regression
  htptui sql out_s/optrace "SELECT qnn_op, sum(dpc) FROM ops GROUP BY 1"
                                            SQL on the run's tables (the sql extra)
  htptui export out_s/optrace --format perfetto -o /tmp/pf
                                            Perfetto trace at real time (or parquet, csv)

Exit codes: 0 ok, 1 input error (or a regression for `check`), 2 usage error.
"""


def _command_names() -> list[str]:
    import htptui.commands as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


class LazyGroup(click.Group):
    """A group whose subcommands are modules of htptui.commands, and whose default is ``open``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return _command_names()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _command_names():
            return None
        module = importlib.import_module(f"htptui.commands.{cmd_name}")
        return module.command

    def main(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        """Click's main, with its own error messages (usage errors echo argument text, which may be
        a hostile file name) made safe for the terminal: control and bidi characters visible."""
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        import io

        try:
            return super().main(*args, standalone_mode=False, **kwargs) or 0
        except click.exceptions.Exit as exc:  # pragma: no cover - standalone_mode=False returns it
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            from htptui.model._io import clean_output

            buf = io.StringIO()
            exc.show(file=buf)
            sys.stderr.write(clean_output(buf.getvalue()))
            sys.exit(exc.exit_code)
        except click.Abort:
            sys.stderr.write("Aborted!\n")
            sys.exit(1)

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        # `htptui PATH [PATH2]` means `htptui open PATH [PATH2]`
        if (
            args
            and args[0] not in _command_names()
            and not args[0].startswith("-")
            or args
            and args[0] == "-"
        ):
            args.insert(0, "open")
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="htptui")
def main() -> None:
    """htptui: explore Qualcomm Hexagon NPU (HTP) optrace profiles in the terminal.

    PATH is an optrace directory written by qnn-profile-viewer (chrometrace.json,
    chrometrace_htp.json, the QHAS summary, the runtrace, profile.txt), a single
    chrometrace file (plain or .gz), or - for stdin.
    """


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
