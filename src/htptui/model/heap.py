"""Loader for an optional DSP heap profile: text lines ``identifier, value`` (bytes).

The QNN HTP backend reports total DSP heap usage as profile events named
``DSP:before_context_created`` (first context created) and ``DSP:after_context_freed`` (last
context freed); tools that dump those events write one ``identifier, value`` line each.  Blank
lines and ``#`` / ``//`` / ``;`` comments are skipped; other unparsable lines are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from htptui.errors import InputError
from htptui.model._io import read_bytes
from htptui.model.profile_text import decode_text

BEFORE_CONTEXT_CREATED = "DSP:before_context_created"
AFTER_CONTEXT_FREED = "DSP:after_context_freed"

_LINE_RE = re.compile(
    r"^(?P<id>[^,=\s]+?)(?:\s*(?:[,=]|:(?=\s))\s*|\s+)(?P<v>[-+]?\d{1,30})\s*(?:bytes|B)?$"
)
_SNIFF_RE = re.compile(r"^\s*DSP:\w+\s*(?:[,=]|:(?=\s)|\s)\s*[-+]?\d+", re.MULTILINE)
_COMMENTS = ("#", "//", ";")
_MAX_LINE = 4096


@dataclass(frozen=True, slots=True)
class HeapProfile:
    """DSP heap usage values by event identifier (bytes), in file order."""

    path: str
    values: dict[str, int] = field(default_factory=dict, hash=False)

    def value(self, identifier: str) -> int | None:
        """The value recorded for an identifier, or None."""
        return self.values.get(identifier)

    @property
    def before_context_created(self) -> int | None:
        """Total DSP heap usage before any context was created."""
        return self.value(BEFORE_CONTEXT_CREATED)

    @property
    def after_context_freed(self) -> int | None:
        """Total DSP heap usage after all contexts were freed."""
        return self.value(AFTER_CONTEXT_FREED)

    @property
    def delta(self) -> int | None:
        """Heap left behind: after_context_freed - before_context_created, or None if one is missing."""
        before, after = self.before_context_created, self.after_context_freed
        if before is None or after is None:
            return None
        return after - before


def sniff(text_head: str) -> bool:
    """Tell whether the start of a text file looks like a DSP heap profile."""
    return bool(_SNIFF_RE.search(text_head.replace("\x00", "")))


def parse_text(text: str, label: str = "<heap>") -> HeapProfile:
    """Parse ``identifier, value`` lines; raise InputError naming ``label`` if there are none."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputError(label, "empty file")
    values: dict[str, int] = {}
    for raw in text.splitlines():
        s = raw.strip()
        if not s or len(s) > _MAX_LINE or s.startswith(_COMMENTS):
            continue
        m = _LINE_RE.match(s)
        if m:
            values[m.group("id").strip()] = int(m.group("v"))  # a repeated id: the last one wins
    if not values:
        raise InputError(label, "no 'identifier, value' lines: not a DSP heap profile")
    return HeapProfile(path=label, values=values)


def parse_bytes(data: bytes, label: str = "<heap>") -> HeapProfile:
    """Decode already-decompressed bytes and parse them as a DSP heap profile."""
    return parse_text(decode_text(data, label), label)


def load(path: str | Path) -> HeapProfile:
    """Read (gzip-aware) and parse a DSP heap profile text file."""
    return parse_bytes(read_bytes(path, "heap"), str(path))
