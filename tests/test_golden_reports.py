"""Golden reports: `htptui report` in text, md and json for every directory of sample_data/.

Any change to a figure shows up as a diff of a reviewed file under tests/golden/. After an intended
change, regenerate with ``HTPTUI_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden_reports.py``
and review every changed figure by eye before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from htptui import __version__
from htptui.model.run import load_run
from htptui.output.document import build_report
from htptui.output.json import to_json_bytes
from htptui.output.report import render
from tests.conftest import ROOT, sample_dirs

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("HTPTUI_UPDATE_GOLDEN", "") not in ("", "0")
FORMATS = {"text": "txt", "md": "md", "json": "json"}


def _report(sample: Path, fmt: str) -> str:
    """What `htptui report sample_data/<name> --format <fmt>` prints (default options)."""
    opt = load_run(sample.relative_to(ROOT))
    doc = build_report(opt, top=15, options={"width": 100, "expected": None})
    out = to_json_bytes(doc).decode() if fmt == "json" else render(doc, fmt)
    return out.replace(f"htptui {__version__}", "htptui <version>")


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("sample", sample_dirs(), ids=lambda p: p.name)
def test_golden_report(sample: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    got = _report(sample, fmt)
    path = GOLDEN / f"{sample.name}.{FORMATS[fmt]}"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(got)
    assert path.is_file(), f"no golden {path.name}: run with HTPTUI_UPDATE_GOLDEN=1 and review it"
    assert got == path.read_text(), (
        f"{path.name} differs from the reviewed golden; if the change is intended, regenerate "
        "with HTPTUI_UPDATE_GOLDEN=1 and review the diff"
    )


def test_every_golden_has_a_sample() -> None:
    names = {p.name for p in sample_dirs()}
    if not GOLDEN.is_dir():
        pytest.skip("no goldens yet")
    stale = sorted(p.name for p in GOLDEN.iterdir() if p.stem not in names)
    assert not stale, f"goldens without a sample directory: {stale}"
