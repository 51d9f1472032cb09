"""docs/architecture.md describes every module that exists (issue 10: a layout a newcomer reads).

A module counts as described when the doc names it in backticks, either by its path under
``src/htptui`` (``model/dpc.py``), by its file name (``dpc.py``) or by its bare name inside its
folder's list (``wire``). A new module without a line in the doc fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "htptui"
DOC = ROOT / "docs" / "architecture.md"


def _modules() -> list[Path]:
    return sorted(
        p.relative_to(PKG)
        for p in PKG.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    )


def _named_in_backticks(text: str) -> set[str]:
    names: set[str] = set()
    for span in re.findall(r"`([^`\n]+)`", text):
        for token in re.split(r"[\s,()]+", span):
            token = token.strip("./:")
            if token:
                names.add(token)
    return names


def test_every_module_is_described() -> None:
    names = _named_in_backticks(DOC.read_text(encoding="utf-8"))
    missing = []
    for rel in _modules():
        forms = {rel.as_posix(), rel.name, rel.stem, rel.with_suffix("").as_posix()}
        if not forms & names:
            missing.append(rel.as_posix())
    assert not missing, f"docs/architecture.md does not describe: {missing}"


def test_the_doc_names_no_module_that_is_gone() -> None:
    text = DOC.read_text(encoding="utf-8")
    existing = {rel.as_posix() for rel in _modules()}
    named_paths = set(
        re.findall(r"`((?:model|analysis|present|output|commands|tui|synth)/[\w/]+\.py)`", text)
    )
    gone = sorted(p for p in named_paths if p not in existing)
    assert not gone, f"docs/architecture.md names modules that do not exist: {gone}"
