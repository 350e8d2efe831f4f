"""What one analysis run reads, checked before any layer is analysed: the store reader API, the run's
identity, layers, emotion order, ratings, neutral store and bootstrap draws.

Randomness: each run draws from generators seeded by ``SeedSequence([seed, hash(model, corpus, purpose)])``
(:func:`run_rng`), so a run's replicates do not depend on which other runs are analysed or in what order; the
story and emotion resamples are drawn once per run and shared by all its layers.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from emotion_vectors.analysis import bootstrap
from emotion_vectors.analysis.layout import StoryLayout, story_layout
from emotion_vectors.analysis.records import CI_SCHEME_ORDER, RunInfo
from emotion_vectors.analysis.summary import Ratings
from emotion_vectors.config import AnalysisConfig
from emotion_vectors.errors import AnalysisError
from emotion_vectors.ratings import emotions as canonical_emotions
from emotion_vectors.ratings import load_ratings
from emotion_vectors.registry import MODELS

log = logging.getLogger(__name__)


class ActivationStoreLike(Protocol):
    """What the stage reads from an activation store (:class:`emotion_vectors.store.ActivationStore`)."""

    @property
    def layers(self) -> tuple[int, ...]: ...

    @property
    def counts(self) -> np.ndarray: ...

    @property
    def story_ids(self) -> tuple[str, ...]: ...

    @property
    def emotions(self) -> tuple[str | None, ...]: ...

    @property
    def manifest(self) -> dict[str, Any]: ...

    def layer_means(self, layer: int) -> np.ndarray: ...


def run_rng(seed: int, model: str, corpus: str, purpose: str) -> np.random.Generator:
    """Generator for one purpose (``"story"``, ``"emotion"``, ``"permutation"``) of one run."""
    digest = hashlib.sha256(f"{model}\x1f{corpus}\x1f{purpose}".encode()).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([int(seed), *words]))


@dataclass(frozen=True)
class RunInputs:
    """What every layer of one run shares: the stores, the settings, the emotion order and ratings, the story
    layout and the bootstrap draws (``{scheme: draws}``, drawn once per run) and jackknife sets (BCa only).
    ``ci_method``: the interval method of this run: the config's, or ``"recentred"`` where the config asks for
    ``"inverted"`` and the run cannot be inverted (:func:`inversion_refusal`; logged)."""

    store: ActivationStoreLike
    neutral: ActivationStoreLike | None
    config: AnalysisConfig
    info: RunInfo
    layers: list[int]
    row_emotions: list[str | None]
    counts: np.ndarray
    layout: StoryLayout
    ratings: Ratings
    schemes: tuple[str, ...]
    draws: dict[str, np.ndarray]
    jack: dict[str, np.ndarray]
    ci_method: str


def prepare_run(
    store: ActivationStoreLike,
    neutral_store: ActivationStoreLike | None,
    config: AnalysisConfig,
    layers: Sequence[int] | None,
) -> RunInputs:
    identity = identity_of(store)
    model, corpus = identity["model"], identity["corpus"]
    label = f"{model}/{corpus}"
    chosen = _choose_layers(store, layers, label)
    row_emotions = list(store.emotions)
    emotions = _emotion_order(row_emotions, label)
    counts = np.asarray(store.counts)
    ratings = _ratings(emotions, config.rating_source, label)
    neutral = _check_neutral(store, neutral_store, config, chosen, identity)
    layout = story_layout(counts, row_emotions, emotions, config.pooling)
    n_boot = config.bootstrap_resamples
    schemes = tuple(s for s in CI_SCHEME_ORDER if s in config.bootstrap_schemes and n_boot > 0)
    draws: dict[str, np.ndarray] = {}
    if "story" in schemes:
        draws["story"] = bootstrap.story_resample_weights(layout, n_boot, run_rng(config.seed, model, corpus, "story"))
    if "emotion" in schemes:
        draws["emotion"] = bootstrap.emotion_resample_indices(
            len(emotions), n_boot, run_rng(config.seed, model, corpus, "emotion")
        )
    refusal = inversion_refusal(config, ratings, layout, len(emotions)) if schemes else None
    ci_method = config.ci_method if refusal is None else "recentred"
    if refusal is not None:
        log.warning(
            "%s: %s, so every interval of this run is the recentred bootstrap's (analysis.ci_method 'inverted' needs "
            "a rating for every emotion and two or more kept stories for some emotion)",
            label,
            refusal,
        )
    jack = {}
    if config.ci_method == "bca" and "story" in schemes:
        jack["story"] = bootstrap.story_jackknife_weights(layout)
    if config.ci_method == "bca" and "emotion" in schemes:
        jack["emotion"] = bootstrap.emotion_jackknife_indices(len(emotions))
    info = RunInfo(
        model=model,
        model_name=identity["model_name"],
        corpus=corpus,
        n_blocks=identity["n_blocks"],
        d_model=identity["d_model"],
        corpus_fingerprint=identity["corpus_fingerprint"],
        n_stories=int(counts.shape[0]),
        n_skipped_stories=int(np.sum(counts == 0)),
        n_emotions=len(emotions),
        emotions=tuple(emotions),
        rating_source=config.rating_source,
        n_rated=int(ratings.index.size),
        pooling=config.pooling,
        projection=config.projection,
        neutral_threshold=config.neutral_variance if config.projection == "neutral" else None,
    )
    return RunInputs(
        store, neutral, config, info, chosen, row_emotions, counts, layout, ratings, schemes, draws, jack, ci_method
    )


def inversion_refusal(config: AnalysisConfig, ratings: Ratings, layout: StoryLayout, n_emotions: int) -> str | None:
    """Why the test inversion (``analysis.ci_method = "inverted"``) cannot run on this run, or ``None`` (it can, or
    another method was asked for): its worlds turn a component towards a rating of every emotion, and measure the
    story noise from emotions with two or more kept stories."""
    if config.ci_method != "inverted":
        return None
    if ratings.index.size < n_emotions:
        return f"rating source {config.rating_source!r} rates {ratings.index.size} of the run's {n_emotions} emotions"
    if not np.any(layout.n_kept >= 2):
        return "no emotion has two or more kept stories"
    return None


def _ratings(emotions: Sequence[str], source: str, label: str) -> Ratings:
    """The rated emotions of ``emotions`` (rows, valence, arousal) under the rating ``source``."""
    table = load_ratings(source)
    rating_of = {e: (v, a) for e, v, a in zip(table.emotions, table.valence, table.arousal, strict=True)}
    index = np.array([i for i, e in enumerate(emotions) if e in rating_of], dtype=np.int64)
    if index.size < 3:
        raise AnalysisError(f"{label}: only {index.size} emotions are rated by {source!r}")
    valence = np.array([rating_of[emotions[i]][0] for i in index])
    arousal = np.array([rating_of[emotions[i]][1] for i in index])
    return Ratings(index, valence, arousal)


# ---------------------------------------------------------------------------------------------- checks


def identity_of(store: ActivationStoreLike) -> dict[str, Any]:
    manifest = store.manifest
    try:
        model = manifest["model"]
        alias = str(model["alias"])
        n_blocks = int(model["n_blocks"])
        d_model = int(model["d_model"])
        corpus = str(manifest["corpus"]["name"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AnalysisError(f"activation store manifest lacks {exc}", fix="re-extract the store") from None
    entry = MODELS.get(alias)
    name = entry.display_name if entry is not None else str(model.get("display_name") or model.get("id") or alias)
    return {
        "model": alias,
        "model_name": name,
        "n_blocks": n_blocks,
        "d_model": d_model,
        "corpus": corpus,
        "corpus_fingerprint": manifest["corpus"].get("fingerprint"),
    }


def _choose_layers(store: ActivationStoreLike, layers: Sequence[int] | None, label: str) -> list[int]:
    available = [int(layer) for layer in store.layers]
    if layers is None:
        chosen = available
    else:
        chosen = [int(layer) for layer in layers]
        missing = [layer for layer in chosen if layer not in available]
        if missing:
            raise AnalysisError(
                f"{label}: layers {missing} are not in the activation store (it has {available})",
                fix="extract those layers, or analyse only extracted ones",
            )
    if not chosen:
        raise AnalysisError(f"{label}: no layers to analyse")
    if chosen != sorted(set(chosen)):
        raise AnalysisError(f"{label}: layers must be increasing and unique, got {chosen}")
    return chosen


def _emotion_order(row_emotions: Sequence[str | None], label: str) -> list[str]:
    canonical = canonical_emotions()
    present = set(row_emotions)
    if None in present:
        raise AnalysisError(
            f"{label}: the store has rows without an emotion label", fix="pass an emotion-story store here"
        )
    unknown = sorted(present - set(canonical))
    if unknown:
        raise AnalysisError(f"{label}: the store has emotions outside the 171 concepts: {unknown[:5]}")
    order = [e for e in canonical if e in present]
    if len(order) < len(canonical):
        log.warning("%s: %d of %d emotions present", label, len(order), len(canonical))
    return order


def _check_neutral(
    store: ActivationStoreLike,
    neutral: ActivationStoreLike | None,
    config: AnalysisConfig,
    layers: Sequence[int],
    identity: dict[str, Any],
) -> ActivationStoreLike | None:
    label = f"{identity['model']}/{identity['corpus']}"
    if config.projection == "raw":
        return None
    if neutral is None:
        raise AnalysisError(
            f"{label}: projection 'neutral' needs the model's neutral store, and none was given",
            fix="extract the neutral texts for this model (or pass --neutral-store), or set analysis.projection = 'raw'",
        )
    neutral_identity = identity_of(neutral)
    if neutral_identity["model"] != identity["model"] or neutral_identity["d_model"] != identity["d_model"]:
        raise AnalysisError(
            f"{label}: the neutral store was made by {neutral_identity['model']!r}, not {identity['model']!r}"
        )
    missing = [layer for layer in layers if layer not in neutral.layers]
    if missing:
        raise AnalysisError(
            f"{label}: the neutral store lacks layers {missing}", fix="extract them for the neutral texts"
        )
    if int(np.sum(np.asarray(neutral.counts) > 0)) < 2:
        raise AnalysisError(f"{label}: the neutral store has fewer than 2 kept texts")
    return neutral


__all__ = ["ActivationStoreLike", "RunInputs", "identity_of", "prepare_run", "run_rng"]
