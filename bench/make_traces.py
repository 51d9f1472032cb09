"""Write big synthetic op traces for loader benchmarks and report their size and write time."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from htptui.synth import write_big_trace


def main(argv: list[str] | None = None) -> int:
    """Write one ``<out>/<n>/chrometrace.json`` per requested event count."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--events",
        type=int,
        nargs="+",
        default=[1_000_000, 3_000_000],
        help="event counts to write (default: 1000000 3000000)",
    )
    ap.add_argument("--out", type=Path, default=Path("bench/out"), help="output directory")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    ap.add_argument("--hvx-lanes", type=int, default=4, choices=(4, 6, 8), help="HVX threads")
    ap.add_argument(
        "--counter-heavy",
        action="store_true",
        help="also write <n>-counters/: 85%% counter events, the mix of real SDK traces",
    )
    ns = ap.parse_args(argv)
    jobs = [(n, None) for n in ns.events]
    if ns.counter_heavy:
        jobs += [(n, 0.85) for n in ns.events]
    for n, share in jobs:
        path = ns.out / (f"{n}" if share is None else f"{n}-counters") / "chrometrace.json"
        t0 = time.perf_counter()
        info = write_big_trace(path, n, seed=ns.seed, hvx_lanes=ns.hvx_lanes, counter_share=share)
        secs = time.perf_counter() - t0
        print(
            f"{path}: {info['events']:,} events, {info['executed_ops']:,} executed ops, "
            f"{info['qnn_ops']:,} QNN ops, {info['bytes'] / 1e6:,.1f} MB in {secs:.1f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
