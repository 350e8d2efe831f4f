"""Analyses of emotion vectors: rating geometry, bootstrap statistics, CKA and the valence direction.

Pure functions on numpy arrays (no torch, no file I/O); :mod:`emotion_vectors.analyze` is the stage that reads
activation stores and calls them.
"""

from emotion_vectors.analysis.cka import cka_matrix, linear_cka, paired_cka
from emotion_vectors.analysis.direction import cosine_matrix, loo_valence_r, valence_direction
from emotion_vectors.analysis.geometry import LayerGeometry, layer_geometry, pca_from_gram
from emotion_vectors.analysis.stats import confidence_interval, permutation_test

__all__ = [
    "LayerGeometry",
    "cka_matrix",
    "confidence_interval",
    "cosine_matrix",
    "layer_geometry",
    "linear_cka",
    "loo_valence_r",
    "paired_cka",
    "pca_from_gram",
    "permutation_test",
    "valence_direction",
]
