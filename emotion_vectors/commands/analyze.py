"""`emotion-vectors analyze`: emotion vectors, rating geometry, bootstrap CIs, CKA and valence direction."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from emotion_vectors.commands._common import add_command
from emotion_vectors.errors import ConfigError
from emotion_vectors.options import CIMethod, Pooling, Projection, RatingSource, choices
from emotion_vectors.resources import resolve_output_dir

DESCRIPTION = """\
Read the activation stores of one or more model x corpus runs and write results.json (schema version 4) and
per_layer.csv: per layer, the PCA of the 171 contrast vectors (neutral PCs explaining 50% of the neutral
variance projected out), PC1-valence and PC2-arousal Pearson/Spearman r with bootstrap CIs (emotion- and
story-level resampling), a permutation test with family-wise and BH adjustment, the valence direction and its
stability, and CKA within a run, across corpora and across models.

With --config the stores are <output_dir>/activations/<model>__<corpus>/ (and <model>__neutral/) and the
results go to <output_dir>/results/. With --store, name the stores (and --neutral-store) and --out yourself.

examples:
  emotion-vectors analyze --config configs/demo.toml
  emotion-vectors analyze --config configs/paper.toml --reported-layers
  emotion-vectors analyze --store out/activations/minilm__demo --neutral-store out/activations/minilm__neutral \\
      --out out/results
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "analyze", "emotion-vector geometry, CIs, CKA from activation stores", DESCRIPTION)
    parser.add_argument("--config", help="experiment config (TOML): stores, output directory and [analysis]")
    parser.add_argument("--store", action="append", default=[], metavar="DIR", help="an emotion-story store (repeat)")
    parser.add_argument(
        "--neutral-store", action="append", default=[], metavar="DIR", help="a model's neutral store (repeat per model)"
    )
    parser.add_argument("--out", help="results directory (default with --config: <output_dir>/results)")
    parser.add_argument(
        "--layers", help="'all', 'paper', an inclusive range 'A-B' or a comma list of block indices, for every store"
    )
    parser.add_argument(
        "--reported-layers", action="store_true", help="only the block range the paper reports for registered models"
    )
    parser.add_argument("--workers", type=int, help="layers analysed in parallel (default: up to 2)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    overrides = parser.add_argument_group("analysis overrides (default: the config's [analysis], else the defaults)")
    overrides.add_argument("--projection", choices=choices(Projection))
    overrides.add_argument("--pooling", choices=choices(Pooling))
    overrides.add_argument("--rating-source", choices=choices(RatingSource))
    overrides.add_argument(
        "--ci-method",
        choices=choices(CIMethod),
        help="interval method (default inverted: PC1-valence and PC2-arousal r by test inversion, the rest "
        "recentred; docs/intervals.md)",
    )
    overrides.add_argument("--resamples", type=int, help="bootstrap resamples per scheme")
    overrides.add_argument("--permutations", type=int)
    overrides.add_argument("--seed", type=int)
    return parser


def run(args: argparse.Namespace) -> int:
    from emotion_vectors import analyze
    from emotion_vectors.config import AnalysisConfig, load_config
    from emotion_vectors.outdir import output_lock
    from emotion_vectors.stages import RunContext, labelled_stores
    from emotion_vectors.store import open_store

    config = load_config(args.config) if args.config else None
    analysis = _override(config.analysis if config else AnalysisConfig(), args)
    progress = not args.no_progress
    if args.store:
        stores = [open_store(path) for path in args.store]
        neutrals = {}
        for path in args.neutral_store:
            neutral = open_store(path)
            neutrals[neutral.manifest["model"]["alias"]] = neutral
        runs = [(s, neutrals.get(s.manifest["model"]["alias"])) for s in stores]
        if not args.out:
            raise ConfigError("--store needs --out (the results directory)", fix="e.g. --out outputs/results")
        layers = _layers(args, [s.manifest["model"]["alias"] for s in stores])
        results = analyze.analyze_runs(runs, analysis, layers=layers, progress=progress, workers=args.workers)
        paths = analyze.write_results(results, args.out)
    elif config is not None:
        config = dataclasses.replace(config, analysis=analysis)
        output_dir = str(resolve_output_dir(config.output_dir, args.config))
        layers = _layers(args, [m.alias for m in config.models])
        if layers is None and analysis.layers == "paper":
            layers = analyze.reported_layers([m.alias for m in config.models])
        with output_lock(output_dir):  # labels come from the corpora, checked against each store
            pairs = labelled_stores(RunContext(config, Path(output_dir)))
            results = analyze.analyze_runs(pairs, analysis, layers=layers, progress=progress, workers=args.workers)
            paths = analyze.write_results(results, args.out or Path(output_dir) / analyze.RESULTS_DIR)
    else:
        raise ConfigError("analyze needs --config or at least one --store", fix="e.g. --config configs/demo.toml")
    for path in paths:
        print(path)
    return 0


def _override(analysis: Any, args: argparse.Namespace) -> Any:
    changes = {
        "projection": args.projection,
        "pooling": args.pooling,
        "rating_source": args.rating_source,
        "ci_method": args.ci_method,
        "bootstrap_resamples": args.resamples,
        "permutations": args.permutations,
        "seed": args.seed,
    }
    return dataclasses.replace(analysis, **{k: v for k, v in changes.items() if v is not None})


def _layers(args: argparse.Namespace, aliases: list[str]) -> dict[str, list[int]] | None:
    from emotion_vectors import analyze
    from emotion_vectors.config import parse_layers

    if args.layers and args.reported_layers:
        raise ConfigError("give --layers or --reported-layers, not both")
    if args.reported_layers:
        return analyze.reported_layers(aliases)
    spec = parse_layers(args.layers) if args.layers else "all"
    if spec == "paper":
        return analyze.reported_layers(aliases)
    if spec == "all":
        return None
    return {alias: list(spec) for alias in aliases}
