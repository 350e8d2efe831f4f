"""Compare the emotion geometries of different runs: CKA between corpora of one model and between models.

Pure functions of the runs' typed records and their per-layer Gram matrices (no I/O).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations

import numpy as np

from emotion_vectors.analysis import cka
from emotion_vectors.analysis.records import CrossCKA, RunSummary
from emotion_vectors.analysis.similarity import optional_similarity_null
from emotion_vectors.errors import AnalysisError


def compare_runs(
    runs: Sequence[RunSummary],
    grams: Sequence[np.ndarray],
    *,
    cka_permutations: int = 0,
    rng_of: Callable[[str], np.random.Generator] | None = None,
) -> tuple[tuple[CrossCKA, ...], tuple[CrossCKA, ...]]:
    """CKA between every two corpora of one model (layers both analysed) and between every two models on one
    corpus (at matched fractional depth). ``grams[i]`` is ``[n_layers_i, n_emotions, n_emotions]`` of ``runs[i]``.

    With ``cka_permutations > 0`` each entry also gets permutation p-values and RSA
    (:func:`~emotion_vectors.analysis.similarity.similarity_null`, rows of the second run shuffled), its shuffles
    drawn from ``rng_of("<kind>:<shared>:<first>:<second>")``.

    Returns:
        ``(cross_corpus, cross_model)``.
    """
    if cka_permutations > 0 and rng_of is None:
        raise AnalysisError("CKA permutations need a random generator per comparison (rng_of)")
    if len(runs) != len(grams):
        raise AnalysisError(f"{len(runs)} runs but {len(grams)} Gram stacks")
    paired = list(zip(runs, grams, strict=True))
    cross_corpus = []
    for model in dict.fromkeys(run.model for run in runs):
        for a, b in combinations([p for p in paired if p[0].model == model], 2):
            _same_emotions(a[0], b[0])
            common = [layer for layer in a[0].block_indices if layer in b[0].block_indices]
            if common:
                depth = np.asarray(common, dtype=np.float64) / a[0].info.n_blocks
                cross_corpus.append(
                    _cross(
                        "corpus",
                        model,
                        (a[0].corpus, b[0].corpus),
                        a,
                        b,
                        depth,
                        common,
                        common,
                        cka_permutations,
                        rng_of,
                    )
                )
    cross_model = []
    for corpus in dict.fromkeys(run.corpus for run in runs):
        for a, b in combinations([p for p in paired if p[0].corpus == corpus], 2):
            _same_emotions(a[0], b[0])
            depth, la, lb = cka.match_depth(
                a[0].block_indices, a[0].info.n_blocks, b[0].block_indices, b[0].info.n_blocks
            )
            cross_model.append(
                _cross("model", corpus, (a[0].model, b[0].model), a, b, depth, la, lb, cka_permutations, rng_of)
            )
    return tuple(cross_corpus), tuple(cross_model)


def _same_emotions(a: RunSummary, b: RunSummary) -> None:
    if a.info.emotions != b.info.emotions:
        raise AnalysisError(
            f"runs {a.model}/{a.corpus} and {b.model}/{b.corpus} cover different emotions; CKA needs the same items"
        )


def _cross(
    kind: str,
    shared: str,
    pair: tuple[str, str],
    a: tuple[RunSummary, np.ndarray],
    b: tuple[RunSummary, np.ndarray],
    depth: Sequence[float],
    layers_a: Sequence[int],
    layers_b: Sequence[int],
    cka_permutations: int = 0,
    rng_of: Callable[[str], np.random.Generator] | None = None,
) -> CrossCKA:
    """Linear and debiased CKA between layer ``layers_a[i]`` of run ``a`` and ``layers_b[i]`` of ``b``, per ``i``."""
    ga = a[1][[a[0].block_indices.index(int(layer)) for layer in layers_a]]
    gb = b[1][[b[0].block_indices.index(int(layer)) for layer in layers_b]]
    return CrossCKA(
        kind=kind,
        shared=shared,
        pair=pair,
        depth=np.asarray(depth, dtype=np.float64),
        layers_a=np.asarray(layers_a, dtype=np.int64),
        layers_b=np.asarray(layers_b, dtype=np.int64),
        linear=cka.paired_cka(ga, gb),
        debiased=cka.paired_cka(ga, gb, True),
        null=optional_similarity_null(
            ga, gb, cka_permutations, None if rng_of is None else rng_of(f"{kind}:{shared}:{pair[0]}:{pair[1]}")
        ),
    )
