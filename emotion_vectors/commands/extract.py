"""`emotion-vectors extract`: pooled residual-stream activations of every model x corpus, plus the neutral texts."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from emotion_vectors.commands._common import add_command
from emotion_vectors.errors import ConfigError
from emotion_vectors.options import Device, Dtype, PadSide, ShortStoryPolicy, choices
from emotion_vectors.resources import resolve_output_dir

DESCRIPTION = """\
Run each story through the model once and store, for every requested block L (0-based; layer L is the
output of block L = hidden_states[L+1]), each story's mean activation over its tokens from the
token_offset-th real token on, plus the kept-token counts and a manifest.

Stores are written to <out>/activations/<model>__<corpus>/ and <out>/activations/<model>__neutral/.
An interrupted run resumes from its completed shards; a finished store with the same inputs is skipped;
a store made from other inputs is refused unless --force is given.

examples:
  emotion-vectors extract --config configs/demo.toml
  emotion-vectors extract --model minilm --corpus demo --out outputs/demo
  emotion-vectors extract --config configs/paper.toml --model gemma-4-e4b --corpus gemma --layers 1-40
  emotion-vectors extract --model minilm --corpus stories.jsonl --out outputs/local
  torchrun --standalone --nproc_per_node=4 -m emotion_vectors.cli extract --config configs/paper.toml

Under torchrun (WORLD_SIZE > 1) each rank computes its share of the shards (gloo on CPU, nccl with one GPU
per rank) and rank 0 merges them into the same store a single process writes.
"""

DEFAULT_OUT = "outputs/extract"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = add_command(
        subparsers, "extract", "pooled activations per story and layer (GPU for large models)", DESCRIPTION
    )
    parser.add_argument("--config", help="experiment config (TOML); --model/--corpus then pick from it")
    parser.add_argument("--model", help="registered alias (minilm, apertus-8b, gemma-4-e4b), Hub id or local path")
    parser.add_argument(
        "--corpus", help="corpus name (demo, gemma, apertus), a name in the config, or a local .jsonl/.parquet file"
    )
    parser.add_argument("--layers", help="'all', 'paper', an inclusive range 'A-B', or a comma list of block indices")
    parser.add_argument("--out", help=f"output root (default: the config's output_dir, else {DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true", help="overwrite stores made from other inputs")
    parser.add_argument("--skip-neutral", action="store_true", help="do not extract the neutral texts")
    model = parser.add_argument_group("model overrides")
    model.add_argument("--revision", help="Hub revision (commit sha or tag)")
    model.add_argument("--dtype", choices=choices(Dtype), help="default: config, else auto")
    model.add_argument("--device", choices=choices(Device), help="default: config, else cpu")
    model.add_argument("--block-path", help="dotted path of the block list, for layouts the search does not know")
    extraction = parser.add_argument_group("extraction overrides (default: the config's [extraction])")
    extraction.add_argument("--token-offset", type=int, help="real tokens skipped at the start of each story")
    extraction.add_argument("--max-length", type=int, help="truncation length in tokens, special tokens included")
    extraction.add_argument("--batch-tokens", type=int, help="padded-token budget of one forward batch")
    extraction.add_argument("--short-stories", choices=choices(ShortStoryPolicy), help="policy for stories <= offset")
    extraction.add_argument("--pad-side", choices=choices(PadSide), help="'left-as-authors' = original bug")
    extraction.add_argument("--shard-size", type=int, default=256, help="stories per resumable shard (default 256)")
    extraction.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(args: argparse.Namespace) -> int:
    from emotion_vectors import extract
    from emotion_vectors.input_checks import check_labels
    from emotion_vectors.outdir import output_lock

    plan = _plan(args)
    for corpus_config in plan["corpora"]:  # unknown labels fail before any model is loaded
        corpus = check_labels(_load_corpus(corpus_config), corpus_config.unrated_emotions)
        plan.setdefault("loaded", {})[corpus_config.name] = corpus
    devices = [m.device for m in plan["models"]]
    with extract.distributed_from_env("cuda" if any(d.startswith("cuda") for d in devices) else "cpu") as (rank, _):
        if rank != 0:  # rank 0 holds the output folder's lock for all ranks
            _extract_all(args, plan, show=False)
            return 0
        with output_lock(plan["out"]):
            _extract_all(args, plan, show=True)
    return 0


def _extract_all(args: argparse.Namespace, plan: dict[str, Any], *, show: bool) -> None:
    from emotion_vectors import extract, models, store
    from emotion_vectors.config import parse_layers, resolve_layers
    from emotion_vectors.registry import MODELS

    settings = plan["extraction"]
    for model_config in plan["models"]:
        handle = models.load_model(model_config)
        entry = MODELS.get(model_config.alias)
        layers = resolve_layers(
            parse_layers(args.layers) if args.layers else model_config.layers,
            handle.n_blocks,
            entry.paper_layers if entry is not None else None,
        )
        jobs = [(c.name, lambda c=c: plan["loaded"][c.name]) for c in plan["corpora"]]
        if not args.skip_neutral:
            jobs.append((store.NEUTRAL_CORPUS, lambda: _load_neutral(plan["neutral"])))
        for name, load in jobs:
            path = extract.extract_to_store(
                handle,
                load(),
                store.store_dir(plan["out"], handle.alias, name),
                layers=layers,
                **dataclasses.asdict(settings),
                shard_size=args.shard_size,
                progress=not args.no_progress,
                force=args.force,
            )
            if show:
                print(path)


# ---------------------------------------------------------------------------------------------- internals


def _plan(args: argparse.Namespace) -> dict[str, Any]:
    """Models, corpora, neutral config, extraction parameters and output root from the config and the flags."""
    from emotion_vectors.config import CorpusConfig, ExtractionConfig, ModelConfig, NeutralConfig, load_config

    if args.config:
        config = load_config(args.config)
        model_configs = [m for m in config.models if args.model in (None, m.alias)] or (
            [ModelConfig(alias=args.model)] if args.model else []
        )
        corpus_configs = [c for c in config.corpora if args.corpus in (None, c.name)] or (
            [CorpusConfig(name=args.corpus)] if args.corpus else []
        )
        neutral, extraction = config.neutral, config.extraction
        out = args.out or str(resolve_output_dir(config.output_dir, args.config))
    else:
        if not (args.model and args.corpus):
            raise ConfigError(
                "extract needs --config, or both --model and --corpus", fix="e.g. --model minilm --corpus demo"
            )
        model_configs = [ModelConfig(alias=args.model, dtype="auto")]
        corpus_configs = [_corpus_config(args.corpus)]
        neutral, extraction = NeutralConfig(), ExtractionConfig()
        out = args.out or DEFAULT_OUT
    overrides = {
        k: v
        for k, v in (
            ("revision", args.revision),
            ("dtype", args.dtype),
            ("device", args.device),
            ("block_path", args.block_path),
        )
        if v
    }
    model_configs = [dataclasses.replace(m, **overrides) for m in model_configs]
    extraction_overrides = {
        "token_offset": args.token_offset,
        "max_length": args.max_length,
        "batch_tokens": args.batch_tokens,
        "short_story_policy": args.short_stories,
        "pad_side": args.pad_side,
    }
    extraction = dataclasses.replace(extraction, **{k: v for k, v in extraction_overrides.items() if v is not None})
    return {
        "models": model_configs,
        "corpora": corpus_configs,
        "neutral": neutral,
        "extraction": extraction,
        "out": out,
    }


def _corpus_config(spec: str) -> Any:
    """A registered corpus name, or a local .jsonl/.parquet file (named after its stem)."""
    from emotion_vectors.config import CorpusConfig
    from emotion_vectors.registry import CORPORA

    path = Path(spec).expanduser()
    if spec not in CORPORA and path.is_file():
        return CorpusConfig(name=path.stem, source="local", path=str(path))
    return CorpusConfig(name=spec)


def _load_corpus(corpus_config: Any) -> Any:
    from emotion_vectors.corpus.sources import load_corpus

    return load_corpus(corpus_config)


def _load_neutral(neutral_config: Any) -> Any:
    from emotion_vectors.corpus.sources import load_neutral

    return load_neutral(neutral_config)
