"""``benchmarks/world_levels.py`` (the choice of the inversion's world levels) and ``--variants`` parsing."""

from __future__ import annotations

import argparse

import pytest

from emotion_vectors.analysis.inverted_intervals import WorldLevels
from tests.helpers_benchmarks import load_benchmark


def _study(seed: int, coverages: dict[str, tuple[float, float]]) -> dict:
    """A study of one cell whose rows cover as given (PC1-valence, PC2-arousal)."""
    rows = {
        row: {name: {"coverage": value} for name, value in zip(("pc1_valence_r", "pc2_arousal_r"), pair, strict=True)}
        for row, pair in coverages.items()
    }
    cell = {"design": "story", "n_stories": 3, "summary": {"story": rows}}
    return {"seed": seed, "confidence": 0.95, "cells": [cell]}


def test_the_rule_counts_cells_in_the_band_then_distance_then_ratios() -> None:
    """Planted coverages: the variant with more cells in the band wins over one closer to nominal on average; among
    equals the smaller squared distance wins, then the smaller ratios."""
    levels = load_benchmark("world_levels")
    studies = [
        _study(0, {"inverted_1_1_1": (0.99, 0.95), "inverted_2_2_2": (0.96, 0.93), "inverted_1.5_1_1": (0.96, 0.93)}),
        _study(1, {"inverted_1_1_1": (0.95, 0.95), "inverted_2_2_2": (0.94, 0.97), "inverted_1.5_1_1": (0.94, 0.97)}),
    ]
    ranked = levels.choose(studies, (0.93, 0.97), 0.95)
    assert [row for row, *_ in ranked] == ["inverted_1.5_1_1", "inverted_2_2_2", "inverted_1_1_1"]
    assert ranked[0][1] == 4 and ranked[-1][1] == 3
    studies[1]["cells"][0]["summary"]["story"]["inverted_1.5_1_1"]["pc1_valence_r"]["coverage"] = 0.945
    assert levels.choose(studies, (0.93, 0.97), 0.95)[0][0] == "inverted_1.5_1_1"  # closer to 0.95 now
    studies[1]["cells"][0]["summary"]["story"]["inverted_2_2_2"]["pc1_valence_r"]["coverage"] = 0.95
    assert levels.choose(studies, (0.93, 0.97), 0.95)[0][0] == "inverted_2_2_2"


def test_a_study_without_a_variants_row_is_an_error_not_another_row() -> None:
    levels = load_benchmark("world_levels")
    studies = [_study(0, {"inverted": (0.95, 0.95), "inverted_1_1_1": (0.95, 0.95), "inverted_2_2_2": (0.95, 0.95)})]
    studies.append(_study(3, {"inverted": (0.95, 0.95), "inverted_1_1_1": (0.95, 0.95)}))
    with pytest.raises(SystemExit, match="seed 3, 3 stories, story design has no row inverted_2_2_2"):
        levels.choose(studies, (0.93, 0.97), 0.95)


def test_variants_parse_three_ratios_of_at_least_one() -> None:
    parse = load_benchmark("inverted_coverage").world_levels
    assert parse("1.8,2.4,2") == WorldLevels(1.8, 2.4, 2.0)
    for bad in ("1.8,2.4", "1,1,1,1", "1,x,1", "0.5,1,1"):
        with pytest.raises(argparse.ArgumentTypeError, match="want P,U,E"):
            parse(bad)
    with pytest.raises(ValueError, match="at least 1"):
        WorldLevels(union_eigenvalue=0.9)
