"""Bookmarks of ops and time windows, kept per trace in the user data directory.

A trace is keyed by its op trace file's absolute path, size and a cheap content hash (BLAKE2b of
its first and last MiB), so the bookmarks of a trace come back when the same trace is reopened and
never attach to another file at that path. The store lives in ``platformdirs.user_data_dir``
(``$XDG_DATA_HOME/htptui/bookmarks/<key>.json`` on Linux); nothing is ever written into the trace
directory. A damaged store file is ignored (and replaced on the next save), never fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HASH_BYTES = 1 << 20
SCHEMA = 1


def data_dir() -> Path:
    """The htptui user data directory (platformdirs; honours XDG_DATA_HOME)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("htptui", appauthor=False))


def trace_key(path: str | Path) -> str:
    """Path + size + a hash of the first and last MiB of the file: cheap, and content-aware."""
    p = Path(path).resolve()
    st = p.stat()
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{p}\0{st.st_size}\0".encode())
    with open(p, "rb") as fh:
        h.update(fh.read(HASH_BYTES))
        if st.st_size > 2 * HASH_BYTES:
            fh.seek(st.st_size - HASH_BYTES)
        h.update(fh.read(HASH_BYTES))
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Bookmark:
    """An op (``op`` index with its ID and start, checked on jump) or a window [lo, hi)."""

    kind: str  # "op" | "window"
    label: str
    op: int | None = None
    op_id: int | None = None
    ts: int | None = None
    lo: int | None = None
    hi: int | None = None
    created: float = 0.0

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Bookmark | None:
        """A bookmark from its stored form (None when the entry is malformed)."""
        try:
            kind = str(d["kind"])
            if kind not in ("op", "window"):
                return None

            def opt_int(k: str) -> int | None:
                v = d.get(k)
                return None if v is None else int(v)

            bm = cls(kind, str(d.get("label", "")), opt_int("op"), opt_int("op_id"), opt_int("ts"),
                     opt_int("lo"), opt_int("hi"), float(d.get("created", 0.0)))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return None
        if kind == "op" and bm.op is None:
            return None
        if kind == "window" and (bm.lo is None or bm.hi is None or bm.hi <= bm.lo):
            return None
        return bm


class BookmarkStore:
    """The bookmarks of one trace (loaded on creation, saved atomically on every change)."""

    def __init__(self, trace_path: str | Path, root: Path | None = None) -> None:
        self.trace_path = str(trace_path)
        self.key = trace_key(trace_path)
        self.path = (root or data_dir()) / "bookmarks" / f"{self.key}.json"
        self.items: list[Bookmark] = self._load()

    def _load(self) -> list[Bookmark]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(doc, dict) or not isinstance(doc.get("bookmarks"), list):
            return []
        out = [Bookmark.from_dict(d) for d in doc["bookmarks"] if isinstance(d, dict)]
        return [b for b in out if b is not None]

    def save(self) -> None:
        """Write the store atomically (a temp file renamed over it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"schema": SCHEMA, "trace": self.trace_path,
               "bookmarks": [asdict(b) for b in self.items]}  # fmt: skip
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".bm-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=1)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(self, bm: Bookmark) -> Bookmark:
        """Add (a duplicate of an existing op/window is not added twice) and save."""
        bm = Bookmark(**{**asdict(bm), "created": bm.created or time.time()})
        same = [
            b for b in self.items if (b.kind, b.op, b.lo, b.hi) == (bm.kind, bm.op, bm.lo, bm.hi)
        ]
        if same:
            return same[0]
        self.items.append(bm)
        self.save()
        return bm

    def remove(self, index: int) -> None:
        """Delete one bookmark and save."""
        if 0 <= index < len(self.items):
            del self.items[index]
            self.save()
