"""The layer rule over every module: model/, analysis/, present/ and output/ never import textual or
rich, directly or transitively (each module imported alone in a fresh interpreter, lazily imported
section modules included, and every import statement in those packages parsed)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "htptui"
HEADLESS = ("model", "analysis", "present", "output")
FORBIDDEN = ("textual", "rich")


def _modules(pkg: str) -> list[str]:
    out = []
    for path in sorted((SRC / pkg).rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append(".".join(parts))
    return out


ALL_HEADLESS = [m for pkg in HEADLESS for m in _modules(pkg)]


def test_every_module_is_listed() -> None:
    assert len(ALL_HEADLESS) > 30 and "htptui.output.sections.graph_diff" in ALL_HEADLESS


def test_no_forbidden_import_statement() -> None:
    """Not even a lazy ``import rich`` inside a function body."""
    bad = []
    for pkg in HEADLESS:
        for path in (SRC / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names = [node.module]
                    if node.module == "htptui":
                        names += [f"htptui.{a.name}" for a in node.names]
                for name in names:
                    top = name.split(".")[0]
                    if top in FORBIDDEN or name.startswith(("htptui.tui", "htptui.commands")):
                        bad.append(f"{path.relative_to(SRC)}:{node.lineno} imports {name}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("pkg", HEADLESS)
def test_no_module_pulls_in_textual_or_rich(pkg: str) -> None:
    """Import each module alone in a fresh interpreter and look at sys.modules."""
    probe = "import importlib, sys; importlib.import_module(sys.argv[1]); " + (
        f"print(','.join(x for x in {FORBIDDEN!r} if x in sys.modules))"
    )
    bad = []
    for mod in _modules(pkg):
        out = subprocess.run(
            [sys.executable, "-c", probe, mod], capture_output=True, text=True, timeout=120
        )
        if out.returncode or out.stdout.strip():
            bad.append(f"{mod}: {out.stdout.strip() or out.stderr.strip()[-300:]}")
    assert not bad, "\n".join(bad)
