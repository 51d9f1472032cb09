"""msgspec validate-only scan of a file: the per-run baseline every load figure is compared with.

Reads the file into one buffer and runs ``msgspec.json.decode(buf, type=msgspec.Raw)`` (parses and
validates the whole document, builds nothing). Prints JSON: read_s, scan_s, total_s, MB/s.
"""

from __future__ import annotations

import json
import sys
import time

import msgspec


def scan(path: str) -> dict[str, float]:
    """Time reading and validate-only scanning of ``path`` (one core)."""
    t0 = time.perf_counter()
    with open(path, "rb") as fh:
        buf = fh.read()
    t1 = time.perf_counter()
    c1 = time.process_time()
    msgspec.json.decode(buf, type=msgspec.Raw)
    t2 = time.perf_counter()
    c2 = time.process_time()
    mb = len(buf) / 1e6
    return {"read_s": t1 - t0, "scan_s": t2 - t1, "scan_cpu_s": c2 - c1, "total_s": t2 - t0,
            "mb": mb, "mb_per_s": mb / (t2 - t0)}  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(scan(sys.argv[1])))
