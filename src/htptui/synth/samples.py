"""The bundled ``sample_data/synthetic_*`` directories and the ``python -m htptui.synth`` entry."""

from __future__ import annotations

import argparse
from pathlib import Path

from htptui.synth.api import write_optrace
from htptui.synth.spec import SynthSpec

SAMPLE_SPECS: dict[str, SynthSpec] = {
    "synthetic_hvx4": SynthSpec(name="synthetic_hvx4", seed=101, n_qnn_ops=6, hvx_lanes=4),
    "synthetic_hvx8": SynthSpec(
        name="synthetic_hvx8", seed=102, n_qnn_ops=5, hvx_lanes=8, stem="chromeTrace"
    ),
    "synthetic_v247_layout": SynthSpec(
        name="synthetic_v247_layout",
        seed=103,
        n_qnn_ops=5,
        hvx_lanes=8,
        layout="v247",
        stem="qwen3-sm8750-v79-model-chrometrace",
        graph_name="qwen3_sm8750_v79_model",
        sdk_version="v2.47.0.260601000000",
    ),
    "synthetic_two_cores": SynthSpec(
        name="synthetic_two_cores", seed=104, n_qnn_ops=8, hvx_lanes=4, cores=2
    ),
    "synthetic_custom_op": SynthSpec(
        name="synthetic_custom_op", seed=105, n_qnn_ops=5, hvx_lanes=6, custom_op=True
    ),
    "synthetic_gzip": SynthSpec(
        name="synthetic_gzip", seed=106, n_qnn_ops=6, hvx_lanes=4, gzip=True
    ),
    "synthetic_bare_list": SynthSpec(
        name="synthetic_bare_list", seed=107, n_qnn_ops=4, hvx_lanes=4, bare_list=True
    ),
    "synthetic_boundary_ops": SynthSpec(
        name="synthetic_boundary_ops", seed=108, n_qnn_ops=6, hvx_lanes=4, boundary_ops=True
    ),
    "synthetic_tiled_custom_op": SynthSpec(
        name="synthetic_tiled_custom_op", seed=109, n_qnn_ops=4, hvx_lanes=6, tiled_op=True
    ),
}


def llm_graph_spec(
    model: str, seq: int, *, layers: int, heads: int, seed: int, names: str, hvx_tiles: int
) -> SynthSpec:
    """One graph of an LLM-shaped decoder, with the prefixed stems of a results directory.

    Files: ``<model>-s<seq>-chrometrace.json`` (and ``…_htp.json``, ``…_qnn_htp_analysis_summary.json``,
    ``…_runtrace.json``) and ``<model>-s<seq>-profile.txt``; v2.47 lanes (DMA 256, HVX 512–517,
    HMX 768).
    """
    graph = f"{model}-s{seq}"
    return SynthSpec(
        name=graph,
        seed=seed,
        hvx_lanes=6,
        layout="v247",
        stem=f"{graph}-chrometrace",
        graph_name=graph.replace("-", "_").replace(".", "_"),
        profile_name=f"{graph}-profile.txt",
        sdk_version="v2.47.0.260601000000",
        tile_groups=2,
        llm_layers=layers,
        llm_heads=heads,
        llm_seq=seq,
        llm_names=names,
        llm_hvx_tiles=hvx_tiles,
    )


#: directories holding several graphs (one spec per graph, prefixed stems)
MULTI_GRAPH_SAMPLES: dict[str, tuple[SynthSpec, ...]] = {
    # decode (s1, underscore names, 1 HVX tile per elementwise op) and prefill (s32, dotted names,
    # 2 tiles): the two spellings of QNN op names seen in real traces, one per graph
    "synthetic_llm_decoder": (
        llm_graph_spec(
            "qwen3-synth", 1, layers=2, heads=2, seed=111, names="underscore", hvx_tiles=1
        ),
        llm_graph_spec("qwen3-synth", 32, layers=2, heads=2, seed=112, names="dotted", hvx_tiles=2),
    ),
}


def write_samples(out_dir: Path) -> list[Path]:
    """Regenerate every bundled synthetic sample directory under ``out_dir``."""
    out_dir = Path(out_dir)
    written = []
    groups: list[tuple[str, tuple[SynthSpec, ...]]] = [
        (name, (spec,)) for name, spec in SAMPLE_SPECS.items()
    ]
    groups += list(MULTI_GRAPH_SAMPLES.items())
    for dirname, specs in groups:
        d = out_dir / dirname
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():
            if old.is_file():
                old.unlink()
        for spec in specs:
            write_optrace(d, spec)
        written.append(d)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: regenerate the bundled synthetic samples into OUT_DIR."""
    ap = argparse.ArgumentParser(
        prog="python -m htptui.synth",
        description="Regenerate the synthetic optrace sample directories.",
    )
    ap.add_argument(
        "out_dir", type=Path, help="directory to write synthetic_*/ into (e.g. sample_data)"
    )
    ns = ap.parse_args(argv)
    for d in write_samples(ns.out_dir):
        size = sum(f.stat().st_size for f in d.iterdir())
        print(f"{d}  {size / 1024:.1f} KiB")
    return 0
