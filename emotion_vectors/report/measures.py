"""Measurements on one run of ``results.json``: peaks within a layer window, window means, interval arithmetic.

Pure functions of result dicts, shared by the claims check and the report. Per-layer statistics may be
``null`` (JSON) or NaN where undefined; such layers are skipped, never fatal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from emotion_vectors.errors import DataError
from emotion_vectors.registry import MODELS

Window = tuple[int, int]
#: Bootstrap schemes whose per-layer CIs are used, in order of preference (story resampling first).
DEFAULT_CI_SCHEMES: tuple[str, ...] = ("story", "emotion")


def paper_layer_range(alias: str, layers: Sequence[int]) -> tuple[int, int]:
    """The inclusive layer range the paper analyses for ``alias`` (all of ``layers`` for other models)."""
    entry = MODELS.get(alias)
    if entry is not None and entry.paper_layers is not None:
        return entry.paper_layers
    return min(layers), max(layers)


def layer_ci(run: dict[str, Any], metric: str, schemes: Sequence[str]) -> tuple[str | None, list[list[float]] | None]:
    """Per-layer ``[lo, hi]`` of ``metric`` from the first scheme in ``schemes`` that ``run`` has."""
    ci = run.get("ci") or {}
    for scheme in schemes:
        bounds = (ci.get(scheme) or {}).get(metric)
        if bounds:
            return scheme, bounds
    return None, None


def run_peak(
    run: dict[str, Any], which: str, schemes: Sequence[str] = DEFAULT_CI_SCHEMES, window: Window | None = None
) -> dict[str, Any]:
    """Peak of ``pc1_valence_r`` (``which="valence"``) or ``pc2_arousal_r`` within ``window``.

    ``window`` defaults to the paper's layer range of the model. The analysis stage's own peak (and its bootstrap
    CIs of r and layer) is used when its layer lies in the window; otherwise the best layer inside the window is
    taken, with that layer's CI and no layer CI.
    """
    metric = "pc1_valence_r" if which == "valence" else "pc2_arousal_r"
    layers = list(run["layers"])
    first, last = window or paper_layer_range(run["model"], layers)
    stored = (run.get("peak") or {}).get(which)
    if stored is not None and first <= stored["layer"] <= last:
        return {
            "layer": int(stored["layer"]),
            "r": float(stored["r"]),
            "r_ci": as_pair(stored.get("r_ci")),
            "layer_ci": as_pair(stored.get("layer_ci")),
        }
    inside = [i for i, layer in enumerate(layers) if first <= layer <= last]
    if not inside:
        raise DataError(f"run {run['model']}/{run['corpus']}: no layer in {first}-{last}")
    best = max(inside, key=lambda i: finite_or(run[metric][i], -math.inf))
    _, bounds = layer_ci(run, metric, schemes)
    return {
        "layer": layers[best],
        "r": as_float(run[metric][best]),
        "r_ci": as_pair(bounds[best]) if bounds else None,
        "layer_ci": None,
    }


def window_mean(
    run: dict[str, Any], metric: str, window: Window, schemes: Sequence[str] = DEFAULT_CI_SCHEMES
) -> dict[str, Any]:
    """Mean of ``metric`` over the layers of ``run`` inside ``window`` (inclusive), with a conservative CI."""
    layers = list(run["layers"])
    idx = [i for i, layer in enumerate(layers) if window[0] <= layer <= window[1]]
    if not idx:
        raise DataError(f"run {run['model']}/{run['corpus']}: no layer in {window[0]}-{window[1]}")
    idx = [i for i in idx if math.isfinite(as_float(run[metric][i]))]
    if not idx:
        raise DataError(f"run {run['model']}/{run['corpus']}: no finite {metric} in layers {window[0]}-{window[1]}")
    values = [as_float(run[metric][i]) for i in idx]
    mean = sum(values) / len(values)
    _, bounds = layer_ci(run, metric, schemes)
    ci = None
    if bounds and all(as_pair(bounds[i]) is not None for i in idx):
        low = sum(values[k] - float(bounds[i][0]) for k, i in enumerate(idx)) / len(idx)
        high = sum(float(bounds[i][1]) - values[k] for k, i in enumerate(idx)) / len(idx)
        ci = (mean - low, mean + high)
    return {"mean": mean, "ci": ci, "n_layers": len(idx), "window": window}


def difference_ci(
    a: float, a_ci: tuple[float, float] | None, b: float, b_ci: tuple[float, float] | None
) -> tuple[float, float] | None:
    """CI of ``a - b`` from the CIs of ``a`` and ``b``, half-widths combined in quadrature (side by side)."""
    if a_ci is None or b_ci is None:
        return None
    low = math.hypot(a - a_ci[0], b_ci[1] - b)
    high = math.hypot(a_ci[1] - a, b - b_ci[0])
    return (a - b - low, a - b + high)


def run_context(run: dict[str, Any], schemes: Sequence[str] = DEFAULT_CI_SCHEMES) -> dict[str, Any]:
    """This profile's own analogous measurements for one run (no verdict)."""
    layers = list(run["layers"])
    window = (min(layers), max(layers))
    valence = run_peak(run, "valence", schemes, window)
    arousal = run_peak(run, "arousal", schemes, window)
    half = layers[(len(layers) - 1) // 2]
    context: dict[str, Any] = {
        "model": run["model"],
        "corpus": run["corpus"],
        "n_layers": len(layers),
        "peak_valence": valence,
        "peak_arousal": arousal,
        "peak_valence_depth": valence["layer"] / run["n_blocks"],
    }
    if len(layers) >= 2:
        early = window_mean(run, "pc1_valence_r", (layers[0], half), schemes)
        late = window_mean(run, "pc1_valence_r", (layers[layers.index(half) + 1], layers[-1]), schemes)
        context["late_minus_early_valence"] = {
            "early_layers": [layers[0], half],
            "late_layers": [layers[layers.index(half) + 1], layers[-1]],
            "value": late["mean"] - early["mean"],
            "ci": difference_ci(late["mean"], late["ci"], early["mean"], early["ci"]),
        }
    return context


def as_float(x: Any) -> float:
    """A per-layer statistic as a float; ``None`` (JSON null) becomes NaN."""
    return math.nan if x is None else float(x)


def finite_or(x: Any, default: float) -> float:
    """``x`` as a float, or ``default`` when it is null or not finite."""
    number = as_float(x)
    return number if math.isfinite(number) else default


def as_pair(bounds: Any) -> tuple[float, float] | None:
    """``[lo, hi]`` as floats, or ``None`` when absent or not finite."""
    if bounds is None:
        return None
    lo, hi = (as_float(v) for v in bounds)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    return (lo, hi)


__all__ = [
    "DEFAULT_CI_SCHEMES",
    "Window",
    "as_float",
    "as_pair",
    "difference_ci",
    "finite_or",
    "layer_ci",
    "paper_layer_range",
    "run_context",
    "run_peak",
    "window_mean",
]
