"""What a preflight run needs, from the config alone: Hub repositories, corpus sizes, per-run needs, downloads, stage times.

Pure apart from :func:`corpus_sizes`, which counts texts that are already local (no network).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from emotion_vectors import estimates as est
from emotion_vectors.config import CorpusConfig, ExperimentConfig, ModelConfig
from emotion_vectors.registry import MODELS

PACKAGE_PREFIX = "package:"
CORPUS_DOWNLOAD_BYTES = 3_000_000  # a published corpus is about 1,539 x 150 words; Parquet or JSONL, a few MB
NEUTRAL_WORDS = 94 * 40  # the authors' 40 neutral paragraphs (data/published_corpora.json)


@dataclass(frozen=True)
class RunNeed:
    """What one extraction (model x corpus, or model x the neutral texts) needs.

    ``tokens_measured`` is False when the corpus was not at hand and its size is the published design.
    ``store_bytes`` and ``seconds`` are ``None`` for a model the registry does not describe.
    """

    model: str
    corpus: str
    device: str
    dtype: str
    n_stories: int
    tokens: int
    tokens_measured: bool
    store_bytes: int | None
    seconds: float | None


@dataclass(frozen=True)
class Download:
    """Something the run fetches: model weights, a Hub corpus or the pinned neutral texts."""

    kind: Literal["weights", "corpus", "neutral"]
    name: str
    source: str
    bytes: int | None
    cached: bool


def hub_model_id(model: ModelConfig) -> str | None:
    """The Hub repository a model is downloaded from, or ``None`` (shipped in a package, or a local path)."""
    entry = MODELS.get(model.alias)
    hub_id = entry.hub_id if entry is not None else model.alias
    if hub_id.startswith(PACKAGE_PREFIX) or Path(hub_id).expanduser().exists() or hub_id.startswith("."):
        return None
    return hub_id


def hub_corpus_id(corpus: CorpusConfig) -> str | None:
    """The Hub dataset a corpus is downloaded from, or ``None`` (bundled, a local file or a local directory)."""
    if corpus.source != "hub" or not corpus.dataset_id or Path(corpus.dataset_id).expanduser().is_dir():
        return None
    return corpus.dataset_id


def hub_repositories(config: ExperimentConfig) -> list[tuple[str, str]]:
    """``(repo_type, repo_id)`` of every Hub repository the config downloads from, models first."""
    repos = [("model", r) for r in (hub_model_id(m) for m in config.models) if r]
    repos += [("dataset", r) for r in (hub_corpus_id(c) for c in config.corpora) if r]
    return list(dict.fromkeys(repos))


def corpus_sizes(config: ExperimentConfig) -> dict[str, est.CorpusSize]:
    """Stories and tokens of every corpus (and ``neutral``): counted where the texts are local or cached,
    else the published design. Reads no network (:func:`emotion_vectors.dryrun.known_corpus`)."""
    from emotion_vectors.dryrun import known_corpus
    from emotion_vectors.store import NEUTRAL_CORPUS

    names = [c.name for c in config.corpora] + [NEUTRAL_CORPUS]
    return {name: known_corpus(config, name).size for name in names}


def run_needs(config: ExperimentConfig, sizes: dict[str, est.CorpusSize]) -> list[RunNeed]:
    """One :class:`RunNeed` per model x corpus (and model x neutral texts when the projection needs them)."""
    from emotion_vectors.config import resolve_layers
    from emotion_vectors.store import NEUTRAL_CORPUS

    names = [c.name for c in config.corpora]
    if config.analysis.projection == "neutral":
        names.append(NEUTRAL_CORPUS)
    needs = []
    for model in config.models:
        entry = MODELS.get(model.alias)
        dtype = est.resolve_dtype(model.dtype, model.device)
        for name in names:
            size = sizes[name]
            store = seconds = None
            if entry is not None:
                n_layers = len(resolve_layers(model.layers, entry.n_blocks, entry.paper_layers))
                store = est.store_bytes(size.n_stories, n_layers, entry.d_model)
                seconds = est.extraction_seconds(size.tokens, entry.n_blocks, entry.d_model, model.device, dtype)
            needs.append(
                RunNeed(
                    model.alias, name, model.device, dtype, size.n_stories, size.tokens, size.measured, store, seconds
                )
            )
    return needs


def downloads(config: ExperimentConfig, cached: frozenset[str]) -> list[Download]:
    """Everything the run fetches, with its size where known and whether the local cache already has it."""
    items = []
    for model in config.models:
        repo = hub_model_id(model)
        if repo is None:
            continue
        entry = MODELS.get(model.alias)
        size = entry.n_params * est.HUB_CHECKPOINT_BYTES if entry is not None and entry.n_params else None
        items.append(Download("weights", model.alias, repo, size, repo in cached))
    for corpus in config.corpora:
        repo = hub_corpus_id(corpus)
        if repo is not None:
            items.append(Download("corpus", corpus.name, repo, CORPUS_DOWNLOAD_BYTES, repo in cached))
    if config.neutral.source == "url":
        url = config.neutral.url or ""
        items.append(Download("neutral", "neutral", url, NEUTRAL_WORDS * 7, url in cached))
    return items


def stage_seconds(config: ExperimentConfig, needs: list[RunNeed]) -> list[tuple[str, float]]:
    """Estimated wall seconds of every stage, in pipeline order (unknown extraction times count as zero)."""
    from emotion_vectors.config import resolve_layers

    stages = [("corpus", 5.0)]
    stages += [(f"extract.{n.model}.{n.corpus}", n.seconds or 0.0) for n in needs]
    analysis = 0.0
    schemes = len(config.analysis.bootstrap_schemes)
    for model in config.models:
        entry = MODELS.get(model.alias)
        if entry is None:
            continue
        layers = resolve_layers(model.layers, entry.n_blocks, entry.paper_layers)
        for _ in config.corpora:
            analysis += est.analysis_seconds(config.analysis.bootstrap_resamples, len(layers), entry.d_model, schemes)
    stages.append(("analyze", analysis))
    stages += list(est.DOWNSTREAM_SECONDS.items())
    return stages
