"""Write big synthetic op traces for loader benchmarks and report their size and write time."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from htptui.synth import write_big_trace


def main(argv: list[str] | None = None) -> int:
    """Write one op trace per requested event count (``<out>/<n>/`` or ``<out>/llm-<n>/``)."""
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
    ap.add_argument(
        "--hvx-lanes", type=int, default=None, choices=(4, 6, 8), help="HVX threads (4; llm: 6)"
    )
    ap.add_argument(
        "--shape",
        choices=("generic", "llm"),
        default="generic",
        help=(
            "generic: v2.45 layout, 4 QNN op types; llm: v2.47 layout (DMA 256, HVX, HMX 768) and "
            "the QNN ops of a 28-layer Qwen3/Llama-like decoder with tiled RoPE ops "
            "(written to <out>/llm-<n>/qwen3-synth-s1-chrometrace.json)"
        ),
    )
    ap.add_argument(
        "--counter-heavy",
        action="store_true",
        help="also write <n>-counters/: 85%% counter events, the mix of real SDK traces",
    )
    ns = ap.parse_args(argv)
    lanes = ns.hvx_lanes or (6 if ns.shape == "llm" else 4)
    jobs = [(n, None) for n in ns.events]
    if ns.counter_heavy:
        jobs += [(n, 0.85) for n in ns.events]
    for n, share in jobs:
        suffix = "" if share is None else "-counters"
        if ns.shape == "llm":
            path = ns.out / f"llm-{n}{suffix}" / "qwen3-synth-s1-chrometrace.json"
        else:
            path = ns.out / f"{n}{suffix}" / "chrometrace.json"
        t0 = time.perf_counter()
        info = write_big_trace(
            path, n, seed=ns.seed, hvx_lanes=lanes, counter_share=share, shape=ns.shape
        )
        secs = time.perf_counter() - t0
        print(
            f"{path}: {info['events']:,} events, {info['executed_ops']:,} executed ops, "
            f"{info['qnn_ops']:,} QNN ops, {info['bytes'] / 1e6:,.1f} MB in {secs:.1f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
