"""The ``analyze`` stage: activation stores in, ``results.json`` and ``per_layer.csv`` out.

For every model x corpus run it reads the emotion store (and, under ``projection = "neutral"``, the model's
neutral store), builds the contrast vectors of each analysed layer (:mod:`emotion_vectors.vectors`), and calls
the pure analyses (:mod:`emotion_vectors.analysis`); across runs it adds CKA between the two corpora of a model
and between models at matched fractional depth. Layers analysed: those in the store, or the ``layers`` given
(e.g. the paper's reported range), which must all be in the store. Fractional depth is ``layer / n_blocks``.

Randomness: each run draws from generators seeded by ``SeedSequence([seed, hash(model, corpus, purpose)])``
(:func:`run_rng`), so a run's replicates do not depend on which other runs are analysed or in what order; the
story and emotion resamples are drawn once per run and shared by all its layers (so the peak layer has a
bootstrap distribution). Same stores, config and seed give a byte-identical ``results.json``.

The output files and their schema: :mod:`emotion_vectors.results`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from emotion_vectors.analysis import bootstrap, cka, direction, geometry, stats
from emotion_vectors.config import AnalysisConfig, ExperimentConfig
from emotion_vectors.errors import AnalysisError, StoreError
from emotion_vectors.ratings import emotions as canonical_emotions
from emotion_vectors.ratings import load_ratings
from emotion_vectors.registry import MODELS
from emotion_vectors.results import (
    PER_LAYER_FILE,
    RESULTS_DIR,
    RESULTS_FILE,
    SCHEMA_VERSION,
    Results,
    RunResult,
    cross_corpus_entries,
    cross_model_entries,
    per_layer_rows,
    results_json,
    run_record,
    write_results,
)
from emotion_vectors.vectors import emotion_vectors, project_out

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


def analyze_run(
    store: ActivationStoreLike,
    neutral_store: ActivationStoreLike | None,
    config: AnalysisConfig,
    *,
    layers: Sequence[int] | None = None,
    progress: bool = False,
    workers: int = 1,
) -> RunResult:
    """Analyse one model x corpus run.

    Args:
        store: The emotion-story activation store.
        neutral_store: The same model's neutral-text store; required when ``config.projection == "neutral"``.
        config: Analysis parameters.
        layers: Block indices to analyse (default: every layer in the store).
        progress: Show a progress bar over layers.
        workers: Layers analysed in parallel threads (results do not depend on it).
    """
    identity = _identity(store)
    model, corpus = identity["model"], identity["corpus"]
    chosen = _choose_layers(store, layers, f"{model}/{corpus}")
    row_emotions = list(store.emotions)
    emotions = _emotion_order(row_emotions, f"{model}/{corpus}")
    counts = np.asarray(store.counts)
    ratings = load_ratings(config.rating_source)
    rating_of = {e: (v, a) for e, v, a in zip(ratings.emotions, ratings.valence, ratings.arousal, strict=True)}
    rated_index = np.array([i for i, e in enumerate(emotions) if e in rating_of], dtype=np.int64)
    if rated_index.size < 3:
        raise AnalysisError(f"{model}/{corpus}: only {rated_index.size} emotions are rated by {config.rating_source!r}")
    valence = np.array([rating_of[emotions[i]][0] for i in rated_index])
    arousal = np.array([rating_of[emotions[i]][1] for i in rated_index])
    neutral = _check_neutral(store, neutral_store, config, chosen, identity)
    layout = bootstrap.story_layout(counts, row_emotions, emotions, config.pooling)

    n_boot = config.bootstrap_resamples
    schemes = tuple(s for s in ("emotion", "story") if s in config.bootstrap_schemes and n_boot > 0)
    draws: dict[str, np.ndarray] = {}
    if "story" in schemes:
        draws["story"] = bootstrap.story_resample_weights(layout, n_boot, run_rng(config.seed, model, corpus, "story"))
    if "emotion" in schemes:
        draws["emotion"] = bootstrap.emotion_resample_indices(
            len(emotions), n_boot, run_rng(config.seed, model, corpus, "emotion")
        )
    bca = config.ci_method == "bca"
    jack = {}
    if bca and "story" in schemes:
        jack["story"] = bootstrap.story_jackknife_weights(layout)
    if bca and "emotion" in schemes:
        jack["emotion"] = bootstrap.emotion_jackknife_indices(len(emotions))

    def one_layer(layer: int) -> dict[str, Any]:
        return _analyze_layer(
            store,
            neutral,
            layer,
            config,
            row_emotions,
            emotions,
            counts,
            layout,
            valence,
            arousal,
            rated_index,
            draws,
            jack,
        )

    outputs = _map_layers(one_layer, chosen, progress, workers, f"{model}/{corpus}")
    record = run_record(identity, config, chosen, emotions, counts, rated_index, valence, arousal, outputs, schemes)
    perm_scores = np.stack([out["geometry"].scores[rated_index, 0] for out in outputs])
    if config.permutations > 0:
        test = stats.permutation_test(
            perm_scores, valence, config.permutations, run_rng(config.seed, model, corpus, "permutation")
        )
        record["permutation"] = {
            "n_permutations": test.n_permutations,
            "pc1_valence_p": test.p.tolist(),
            "pc1_valence_p_fwer": test.p_fwer.tolist(),
            "q_bh_method": "fdr_bh",
            "pc1_valence_q_bh": test.q_bh.tolist(),
        }
    else:
        nan = [None] * len(chosen)
        record["permutation"] = {
            "n_permutations": 0,
            "pc1_valence_p": nan,
            "pc1_valence_p_fwer": nan,
            "pc1_valence_q_bh": nan,
            "q_bh_method": "fdr_bh",
        }
    grams = np.stack([out["gram"] for out in outputs])
    record["cka"] = {"linear": cka.cka_matrix(grams).tolist(), "debiased": cka.cka_matrix(grams, True).tolist()}
    return RunResult(
        model=model,
        corpus=corpus,
        n_blocks=identity["n_blocks"],
        layers=tuple(chosen),
        emotions=tuple(emotions),
        record=record,
        grams=grams,
    )


def analyze_runs(
    runs: Sequence[tuple[ActivationStoreLike, ActivationStoreLike | None]],
    config: AnalysisConfig,
    *,
    layers: Mapping[str, Sequence[int]] | None = None,
    progress: bool = False,
    workers: int | None = None,
) -> Results:
    """Analyse several model x corpus runs and compare them with CKA.

    Args:
        runs: ``(emotion store, neutral store or None)`` per run.
        config: Analysis parameters.
        layers: Block indices to analyse per model alias (models not listed: every layer in the store).
        progress: Show progress bars.
        workers: Parallel layer threads per run (default: up to 2, the CPU count).
    """
    if not runs:
        raise AnalysisError("no runs to analyse", fix="pass at least one activation store")
    workers = workers or max(1, min(2, os.cpu_count() or 1))
    results = []
    seen = set()
    for store, neutral in tqdm(runs, desc="runs", unit="run", disable=not progress or len(runs) == 1):
        identity = _identity(store)
        key = (identity["model"], identity["corpus"])
        if key in seen:
            raise AnalysisError(f"run {key[0]}/{key[1]} is given twice")
        seen.add(key)
        chosen = None if layers is None else layers.get(identity["model"])
        results.append(analyze_run(store, neutral, config, layers=chosen, progress=progress, workers=workers))
    return Results(
        analysis=config,
        runs=tuple(results),
        cross_corpus=tuple(cross_corpus_entries(results)),
        cross_model=tuple(cross_model_entries(results)),
    )


def reported_layers(aliases: Sequence[str]) -> dict[str, list[int]]:
    """The block range the paper reports for each registered model alias that has one (registry data)."""
    chosen = {}
    for alias in aliases:
        entry = MODELS.get(alias)
        if entry is not None and entry.paper_layers is not None:
            first, last = entry.paper_layers
            chosen[alias] = list(range(first, last + 1))
    return chosen


def experiment_stores(
    config: ExperimentConfig, output_dir: str | Path
) -> list[tuple[ActivationStoreLike, ActivationStoreLike | None]]:
    """Open the stores of every model x corpus of ``config`` under ``output_dir`` (and each model's neutral store
    when the projection needs it); a missing store is an error naming the extract command to run."""
    from emotion_vectors.store import NEUTRAL_CORPUS, open_store, store_dir

    pairs = []
    for model in config.models:
        neutral = None
        if config.analysis.projection == "neutral":
            path = store_dir(output_dir, model.alias, NEUTRAL_CORPUS)
            try:
                neutral = open_store(path)
            except StoreError as exc:
                raise AnalysisError(
                    f"projection 'neutral' needs the neutral store of {model.alias}: {exc.message}",
                    fix="run `emotion-vectors extract` with this config (it extracts the neutral texts too), "
                    "or set analysis.projection = 'raw'",
                ) from None
        for corpus in config.corpora:
            pairs.append((open_store(store_dir(output_dir, model.alias, corpus.name)), neutral))
    return pairs


def analyze_experiment(
    config: ExperimentConfig,
    output_dir: str | Path,
    *,
    layers: Mapping[str, Sequence[int]] | None = None,
    progress: bool = True,
    workers: int | None = None,
) -> tuple[Results, Path, Path]:
    """Analyse every run of ``config`` from the stores under ``output_dir``; write ``<output_dir>/results/``.

    Returns ``(results, results.json path, per_layer.csv path)``.
    """
    if layers is None and config.analysis.layers == "paper":
        layers = reported_layers([model.alias for model in config.models])
    results = analyze_runs(
        experiment_stores(config, output_dir), config.analysis, layers=layers, progress=progress, workers=workers
    )
    json_path, csv_path = write_results(results, Path(output_dir) / RESULTS_DIR)
    return results, json_path, csv_path


# ---------------------------------------------------------------------------------------------- per layer


def _analyze_layer(
    store: ActivationStoreLike,
    neutral: ActivationStoreLike | None,
    layer: int,
    config: AnalysisConfig,
    row_emotions: list[str | None],
    emotions: list[str],
    counts: np.ndarray,
    layout: bootstrap.StoryLayout,
    valence: np.ndarray,
    arousal: np.ndarray,
    rated_index: np.ndarray,
    draws: dict[str, np.ndarray],
    jack: dict[str, np.ndarray],
) -> dict[str, Any]:
    story_means = np.asarray(store.layer_means(layer))
    neutral_vectors = None
    if neutral is not None:
        neutral_vectors = np.asarray(neutral.layer_means(layer))[np.asarray(neutral.counts) > 0]
    vecs = emotion_vectors(
        story_means,
        counts,
        row_emotions,
        emotions,
        pooling=config.pooling,
        projection=config.projection,
        neutral_vectors=neutral_vectors,
        neutral_variance=config.neutral_variance,
    )
    gram = vecs.vectors @ vecs.vectors.T
    geo = geometry.layer_geometry(gram, valence, arousal, rated_index, config.pca_components)
    out: dict[str, Any] = {
        "geometry": geo,
        "gram": gram,
        "k_neutral": vecs.k_neutral,
        "neutral_variance": vecs.neutral_variance_explained,
        "direction": direction.valence_direction(vecs.vectors, valence, rated_index),
        "loo_r": direction.loo_valence_r(gram, valence, rated_index),
        "boot": {},
        "jack": {},
    }
    scores = geo.scores[:, :2]
    if "emotion" in draws:
        args = (gram, scores, valence, arousal, rated_index)
        out["boot"]["emotion"] = bootstrap.emotion_bootstrap_layer(*args, draws["emotion"])
        if "emotion" in jack:
            out["jack"]["emotion"] = bootstrap.emotion_bootstrap_layer(*args, jack["emotion"])
    if "story" in draws:
        kept = np.flatnonzero(counts > 0)
        shifted = np.full(story_means.shape, np.nan)
        shifted[kept] = story_means[kept].astype(np.float64) - vecs.centre
        if vecs.neutral is not None:
            shifted[kept] = project_out(shifted[kept], vecs.neutral.components)
        story_gram = bootstrap.padded_story_gram(layout, shifted)
        args = (story_gram, layout, gram, scores, valence, arousal, rated_index)
        out["boot"]["story"] = bootstrap.story_bootstrap_layer(*args, draws["story"])
        if "story" in jack:
            out["jack"]["story"] = bootstrap.story_bootstrap_layer(*args, jack["story"])
    return out


def _map_layers(
    function: Callable[[int], dict[str, Any]], layers: Sequence[int], progress: bool, workers: int, label: str
) -> list[dict[str, Any]]:
    """``[function(layer) for layer in layers]``, in threads with single-threaded BLAS (small-matrix LAPACK
    calls are much slower with a multi-threaded BLAS, and layers are independent)."""
    bar = tqdm(total=len(layers), desc=label, unit="layer", disable=not progress)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            if workers <= 1:
                results = []
                for layer in layers:
                    results.append(function(layer))
                    bar.update()
                return results
            with ThreadPoolExecutor(max_workers=workers) as pool:
                futures = [pool.submit(function, layer) for layer in layers]
                results = []
                for future in futures:
                    results.append(future.result())
                    bar.update()
                return results
    finally:
        bar.close()


# ---------------------------------------------------------------------------------------------- records


# ---------------------------------------------------------------------------------------------- checks


def _identity(store: ActivationStoreLike) -> dict[str, Any]:
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
    neutral_identity = _identity(neutral)
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


__all__ = [
    "ActivationStoreLike",
    "PER_LAYER_FILE",
    "RESULTS_DIR",
    "RESULTS_FILE",
    "Results",
    "RunResult",
    "SCHEMA_VERSION",
    "analyze_experiment",
    "analyze_run",
    "analyze_runs",
    "experiment_stores",
    "per_layer_rows",
    "reported_layers",
    "results_json",
    "run_rng",
    "write_results",
]
