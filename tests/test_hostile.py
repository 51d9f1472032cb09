"""The hostile-input generator, run class by class: every case keeps every promise.

Each case runs ``python -m htptui`` in a subprocess (two at a time) and must exit 0/1/2 as
documented, print one line naming the file and the cause, show no traceback and no raw control or
bidi character, finish within 20 s of CPU (60 s of wall time: the machine may be shared) and 2 GiB
of RSS, and leave the trace directory untouched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.hostile import generate

#: minimum number of generated cases per class (the generator must not quietly shrink)
MIN_CASES = {
    "silent_drops": 70,
    "deep_json": 20,
    "long_graphs": 20,
    "expected_dag": 25,
    "overflow": 40,
    "saved_reports": 60,
    "writes": 12,
    "escapes": 12,
    "cache": 14,
    "huge": 16,
}


@pytest.mark.parametrize("klass", generate.CLASSES)
def test_hostile_class(klass: str, tmp_path: Path) -> None:
    cases = generate.build(klass, tmp_path)
    assert len(cases) >= MIN_CASES[klass]
    results = generate.run_cases(cases, workers=2)
    report = os.environ.get("HTPTUI_HOSTILE_REPORT")
    if report:  # per-class figures for a human (worst time and memory)
        with open(report, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({
                "class": klass,
                "cases": len(results),
                "pass": sum(not r.problems for r in results),
                "worst_s": round(max(r.seconds for r in results), 2),
                "worst_cpu_s": round(max(r.cpu for r in results), 2),
                "worst_rss_mib": round(max(r.rss for r in results) / 2**20),
            }) + "\n")  # fmt: skip
    failures = [
        f"{r.case.name}: exit {r.code}, {r.seconds:.1f} s ({r.cpu:.1f} s CPU), "
        f"{r.rss / 2**20:.0f} MiB: "
        + "; ".join(r.problems)
        + f"\n    stderr: {r.stderr.strip()[-300:]}"
        for r in results
        if r.problems
    ]
    assert not failures, f"{len(failures)} of {len(results)} {klass} cases broke a promise:\n" + (
        "\n".join(failures)
    )


def test_unsafe_chars_detector() -> None:
    """The checker itself sees every kind of character that must not reach a terminal."""
    found = generate.unsafe_chars(generate.EVIL)
    for cp in ("U+001B", "U+202E", "U+2066", "U+200B", "U+FEFF", "U+0085", "U+2028", "U+00AD"):
        assert cp in found
    assert generate.unsafe_chars("plain µs Δ ∥ 中文\ttab\n") == []


def test_tree_digest_sees_changes(tmp_path: Path) -> None:
    """The unchanged-directory check notices a new, changed or removed file (and skips FIFOs)."""
    d = tmp_path / "t"
    d.mkdir()
    (d / "a.json").write_text("1")
    os.mkfifo(d / "fifo")
    before = generate.tree_digest(d)
    (d / "b.txt").write_text("x")
    assert generate.tree_digest(d) != before
    (d / "b.txt").unlink()
    assert generate.tree_digest(d) == before
    (d / "a.json").write_text("2")
    assert generate.tree_digest(d) != before
