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

import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from emotion_vectors.analysis import bootstrap, confounds, direction, geometry, stats
from emotion_vectors.analysis.comparison import compare_runs
from emotion_vectors.analysis.inverted_intervals import INVERTED_STATISTICS, layer_inverted_intervals
from emotion_vectors.analysis.layer_sample import LayerSample
from emotion_vectors.analysis.layout import padded_story_gram
from emotion_vectors.analysis.rating_axes import rating_axes
from emotion_vectors.analysis.records import IntervalSettings, RunSummary
from emotion_vectors.analysis.story_jackknife import story_jackknife_layer
from emotion_vectors.analysis.story_rescale import rescale_story_gram
from emotion_vectors.analysis.summary import LayerAnalysis, summarise_run
from emotion_vectors.config import AnalysisConfig, ExperimentConfig
from emotion_vectors.errors import AnalysisError, StoreError
from emotion_vectors.registry import MODELS
from emotion_vectors.results import (
    PER_LAYER_FILE,
    RESULTS_DIR,
    RESULTS_FILE,
    SCHEMA_VERSION,
    Results,
    per_layer_rows,
    results_json,
    write_results,
)
from emotion_vectors.run_inputs import ActivationStoreLike, RunInputs, identity_of, prepare_run, run_rng
from emotion_vectors.vectors import emotion_vectors, project_out

log = logging.getLogger(__name__)


def analyze_run(
    store: ActivationStoreLike,
    neutral_store: ActivationStoreLike | None,
    config: AnalysisConfig,
    *,
    layers: Sequence[int] | None = None,
    progress: bool = False,
    workers: int = 1,
) -> RunSummary:
    """Analyse one model x corpus run.

    Args:
        store: The emotion-story activation store.
        neutral_store: The same model's neutral-text store; required when ``config.projection == "neutral"``.
        config: Analysis parameters.
        layers: Block indices to analyse (default: every layer in the store).
        progress: Show a progress bar over layers.
        workers: Layers analysed in parallel (:func:`_map_layers`; results do not depend on it).
    """
    return _analyze_run(store, neutral_store, config, layers, progress, workers)[0]


def _analyze_run(
    store: ActivationStoreLike,
    neutral_store: ActivationStoreLike | None,
    config: AnalysisConfig,
    layers: Sequence[int] | None,
    progress: bool,
    workers: int,
) -> tuple[RunSummary, np.ndarray]:
    """The run's record and its ``[n_layers, n_emotions, n_emotions]`` Gram matrices (for cross-run CKA)."""
    run = prepare_run(store, neutral_store, config, layers)
    label = f"{run.info.model}/{run.info.corpus}"
    outputs = _map_layers(lambda layer: _analyze_layer(run, layer), run.layers, progress, workers, label)
    permutation = None
    if config.permutations > 0:
        scores = np.stack([out.geometry.scores[run.ratings.index, 0] for out in outputs])
        rng = run_rng(config.seed, run.info.model, run.info.corpus, "permutation")
        permutation = stats.permutation_test(scores, run.ratings.valence, config.permutations, rng)
    settings = IntervalSettings(
        run.ci_method, config.confidence, config.bootstrap_resamples if run.schemes else 0, run.schemes
    )
    window = paper_window(run.info.model, run.layers)
    summary = summarise_run(
        run.info,
        outputs,
        run.ratings,
        settings,
        permutation,
        window,
        cka_permutations=config.cka_permutations,
        rng=run_rng(config.seed, run.info.model, run.info.corpus, "cka"),
    )
    return summary, np.stack([out.gram for out in outputs])


def paper_window(alias: str, layers: Sequence[int]) -> tuple[int, int]:
    """The inclusive block range a model's peaks are searched in: the range the paper reports for a registered
    paper model (registry data), else every analysed layer."""
    entry = MODELS.get(alias)
    if entry is not None and entry.paper_layers is not None:
        return entry.paper_layers
    return min(layers), max(layers)


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
        workers: Layers analysed in parallel per run (default: up to 2, the CPU count).
    """
    if not runs:
        raise AnalysisError("no runs to analyse", fix="pass at least one activation store")
    workers = workers or max(1, min(2, os.cpu_count() or 1))
    results, grams = [], []
    seen = set()
    for store, neutral in tqdm(runs, desc="runs", unit="run", disable=not progress or len(runs) == 1):
        identity = identity_of(store)
        key = (identity["model"], identity["corpus"])
        if key in seen:
            raise AnalysisError(f"run {key[0]}/{key[1]} is given twice")
        seen.add(key)
        chosen = None if layers is None else layers.get(identity["model"])
        summary, gram = _analyze_run(store, neutral, config, chosen, progress, workers)
        results.append(summary)
        grams.append(gram)
    cross_corpus, cross_model = compare_runs(
        results,
        grams,
        cka_permutations=config.cka_permutations,
        rng_of=lambda label: run_rng(config.seed, label, "", "cka"),
    )
    return Results(analysis=config, runs=tuple(results), cross_corpus=cross_corpus, cross_model=cross_model)


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
def _analyze_layer(run: RunInputs, layer: int) -> LayerAnalysis:
    config, ratings = run.config, run.ratings
    story_means = np.asarray(run.store.layer_means(layer))
    neutral_vectors = None
    if run.neutral is not None:
        neutral_vectors = np.asarray(run.neutral.layer_means(layer))[np.asarray(run.neutral.counts) > 0]
    vecs = emotion_vectors(
        story_means,
        run.counts,
        run.row_emotions,
        list(run.info.emotions),
        pooling=config.pooling,
        projection=config.projection,
        neutral_vectors=neutral_vectors,
        neutral_variance=config.neutral_variance,
    )
    gram = vecs.vectors @ vecs.vectors.T
    geo = geometry.layer_geometry(gram, ratings.valence, ratings.arousal, ratings.index, config.pca_components)
    axes = rating_axes(gram, geo.scores, ratings.valence, ratings.arousal, ratings.index)
    boot: dict[str, dict[str, np.ndarray]] = {}
    jack: dict[str, dict[str, np.ndarray]] = {}
    scores = geo.scores[:, :2]
    if "emotion" in run.draws:
        args = (gram, scores, ratings.valence, ratings.arousal, ratings.index)
        boot["emotion"] = bootstrap.emotion_bootstrap_layer(*args, run.draws["emotion"])
        if "emotion" in run.jack:
            jack["emotion"] = bootstrap.emotion_bootstrap_layer(*args, run.jack["emotion"])
    inverted = run.ci_method == "inverted" and bool(run.draws)
    if "story" in run.draws or inverted:
        kept = np.flatnonzero(run.counts > 0)
        shifted = np.full(story_means.shape, np.nan)
        shifted[kept] = story_means[kept].astype(np.float64) - vecs.centre
        if vecs.neutral is not None:
            shifted[kept] = project_out(shifted[kept], vecs.neutral.components)
        padded_gram = padded_story_gram(run.layout, shifted)
        sample = LayerSample.from_rated(
            padded_gram, run.layout, gram, scores, ratings.valence, ratings.arousal, ratings.index
        )
    if "story" in run.draws:
        rescaled = sample.with_story_gram(rescale_story_gram(run.layout, padded_gram))
        boot["story"] = bootstrap.story_bootstrap_layer(rescaled, run.draws["story"])
        if "story" in run.jack:
            jack["story"] = story_jackknife_layer(rescaled)
    return LayerAnalysis(
        layer=layer,
        geometry=geo,
        gram=gram,
        k_neutral=vecs.k_neutral,
        neutral_variance=vecs.neutral_variance_explained,
        direction=direction.valence_direction(vecs.vectors, ratings.valence, ratings.index),
        loo_r=axes.loo_valence_r,
        boot=boot,
        jack=jack,
        axes=axes,
        confound=confounds.length_confound(
            geo.scores, confounds.mean_story_length(run.layout.counts), ratings.valence, ratings.arousal, ratings.index
        ),
        inverted={scheme: _inverted(run, layer, scheme, sample, geo) for scheme in run.draws} if inverted else {},
    )


def _inverted(
    run: RunInputs, layer: int, scheme: str, sample: LayerSample, geo: geometry.LayerGeometry
) -> dict[str, tuple[float, float]]:
    """The test-inversion intervals of one layer under ``scheme`` (a run that can be inverted: :func:`prepare_run`)."""
    estimates = {name: float(getattr(geo, name)) for name in INVERTED_STATISTICS}
    rng = run_rng(run.config.seed, run.info.model, run.info.corpus, f"inversion/{scheme}/{layer}")
    return layer_inverted_intervals(sample, estimates, scheme, run.config.confidence, rng)


#: The layer function forked workers run: set just before :func:`_map_layers` forks them, so they inherit it
#: (with the run's stores) instead of receiving it pickled.
_FORKED_FUNCTION: Callable[[int], LayerAnalysis] | None = None


def _run_forked(layer: int) -> LayerAnalysis:
    assert _FORKED_FUNCTION is not None
    with threadpool_limits(limits=1, user_api="blas"):
        return _FORKED_FUNCTION(layer)


def _map_layers(
    function: Callable[[int], LayerAnalysis], layers: Sequence[int], progress: bool, workers: int, label: str
) -> list[LayerAnalysis]:
    """``[function(layer) for layer in layers]``, with single-threaded BLAS (small-matrix LAPACK calls are much
    slower with a multi-threaded BLAS, and layers are independent).

    With ``workers > 1`` the layers run in forked processes where the platform forks (Linux): they share the
    stores' pages rather than copying them, and unlike threads they do not contend for the interpreter lock,
    which the bootstrap's many small array operations hold often (2 processes analyse about 17 % faster than 2
    threads on 2 cores). Elsewhere they run in threads.
    """
    global _FORKED_FUNCTION
    bar = tqdm(total=len(layers), desc=label, unit="layer", disable=not progress)
    pool: Executor | None = None
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            if workers <= 1:
                results = []
                for layer in layers:
                    results.append(function(layer))
                    bar.update()
                return results
            if sys.platform == "linux":
                _FORKED_FUNCTION = function
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
                futures = [pool.submit(_run_forked, layer) for layer in layers]
            else:
                pool = ThreadPoolExecutor(max_workers=workers)
                futures = [pool.submit(function, layer) for layer in layers]
            results = []
            for future in futures:
                results.append(future.result())
                bar.update()
            return results
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        _FORKED_FUNCTION = None
        bar.close()


__all__ = [
    "ActivationStoreLike",
    "PER_LAYER_FILE",
    "RESULTS_DIR",
    "RESULTS_FILE",
    "Results",
    "RunSummary",
    "SCHEMA_VERSION",
    "analyze_experiment",
    "analyze_run",
    "analyze_runs",
    "experiment_stores",
    "paper_window",
    "per_layer_rows",
    "reported_layers",
    "results_json",
    "run_rng",
    "write_results",
]
