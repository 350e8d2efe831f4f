"""``results.json`` and ``per_layer.csv``: the typed analysis records (:mod:`emotion_vectors.analysis.records`)
written to disk and read back. Nothing here computes a statistic.

``results.json`` (``schema_version`` 4; keys sorted, floats rounded to 10 significant digits, NaN written as
``null``, no timestamps). Each run holds its :class:`~emotion_vectors.analysis.records.RunInfo` fields at the top
level and one list per :class:`~emotion_vectors.analysis.records.LayerStats` field, aligned with ``layers``; a
field is stored under its own name unless :data:`LAYER_PATHS` places it elsewhere. The file is documented field
by field in ``docs/results.md``.

``per_layer.csv`` has one row per run and layer: ``model``, ``corpus``, then one column per scalar
:class:`LayerStats` field in field order (``explained_variance_ratio`` as ``evr_pc1``, ``evr_pc2``; the
intervals of the two r statistics as ``<statistic>_<scheme>_lo`` / ``_hi``; the sign flips are left out).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emotion_vectors.analysis.bootstrap import STATISTICS
from emotion_vectors.analysis.records import (
    AtPeak,
    CrossCKA,
    IntervalSettings,
    LayerStats,
    Peak,
    RunInfo,
    RunSummary,
    SimilarityNull,
    WindowContrast,
)
from emotion_vectors.analysis.stats import BH_METHOD
from emotion_vectors.analysis.summary import SCHEMES
from emotion_vectors.config import AnalysisConfig
from emotion_vectors.errors import ConfigError, ReportError
from emotion_vectors.fileio import atomic_write_text

SCHEMA_VERSION = 4
RESULTS_DIR = "results"
RESULTS_FILE = "results.json"
PER_LAYER_FILE = "per_layer.csv"
SIGNIFICANT_DIGITS = 10

#: Where a :class:`LayerStats` field's per-layer list lives in a run of ``results.json`` (default: its name).
LAYER_PATHS: dict[str, tuple[str, ...]] = {
    "layer": ("layers",),
    "pc1_valence_p": ("permutation", "pc1_valence_p"),
    "pc1_valence_p_fwer": ("permutation", "pc1_valence_p_fwer"),
    "pc1_valence_q_bh": ("permutation", "pc1_valence_q_bh"),
    "arousal_best_pc": ("arousal_best_pc", "pc"),
    "arousal_best_r": ("arousal_best_pc", "r"),
    "loo_valence_r": ("direction", "loo_r"),
    "pc1_sign": ("signs", "pc1"),
    "pc2_sign": ("signs", "pc2"),
    "valence_top3_pc": ("top3", "valence_pc"),
    "valence_top3_r": ("top3", "valence_r"),
    "arousal_top3_pc": ("top3", "arousal_pc"),
    "arousal_top3_r": ("top3", "arousal_r"),
    "loo_arousal_r": ("direction", "loo_arousal_r"),
    "pc1_length_r": ("length", "pc1_r"),
    "pc2_length_r": ("length", "pc2_r"),
    "pc1_valence_partial_r": ("length", "pc1_valence_partial_r"),
    "pc2_arousal_partial_r": ("length", "pc2_arousal_partial_r"),
}
#: :class:`LayerStats` fields with their own JSON layout (see the module docstring) or left out of the CSV.
_SPECIAL = ("intervals", "direction_cosine_previous")
_CSV_OMIT = ("pc1_sign", "pc2_sign")
_CSV_INTERVALS = ("pc1_valence_r", "pc2_arousal_r")
#: The JSON keys of the two kinds of cross-run entry: (key of the shared name, key of the pair).
_CROSS_KEYS = {"corpus": ("model", "corpora"), "model": ("corpus", "models")}


@dataclass(frozen=True)
class Results:
    """Everything the analysis stage computes: the settings, one record per run, and the cross-run CKA."""

    analysis: AnalysisConfig
    runs: tuple[RunSummary, ...]
    cross_corpus: tuple[CrossCKA, ...]
    cross_model: tuple[CrossCKA, ...]

    def run(self, model: str, corpus: str) -> RunSummary | None:
        """The run of ``model`` on ``corpus``, or ``None``."""
        return next((r for r in self.runs if r.model == model and r.corpus == corpus), None)


# ---------------------------------------------------------------------------------------------- writing


def to_dict(results: Results) -> dict[str, Any]:
    """The JSON-ready ``results.json`` content."""
    return {
        "schema_version": SCHEMA_VERSION,
        "analysis": {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(results.analysis).items()
        },
        "runs": [_run_dict(run) for run in results.runs],
        "cross_corpus": [_cross_dict(c) for c in results.cross_corpus],
        "cross_model": [_cross_dict(c) for c in results.cross_model],
    }


def results_json(results: Results) -> str:
    """Deterministic ``results.json`` text (sorted keys, rounded floats, NaN as null, trailing newline)."""
    return json.dumps(_jsonable(to_dict(results)), sort_keys=True, indent=1, allow_nan=False) + "\n"


def per_layer_rows(results: Results) -> list[dict[str, Any]]:
    """The tidy per-layer table: one dict per run and layer (the columns of ``per_layer.csv``)."""
    rows = []
    for run in results.runs:
        for stats in run.layers:
            row: dict[str, Any] = {"model": run.model, "corpus": run.corpus}
            for name in _layer_fields():
                row.update(_csv_cells(name, getattr(stats, name)))
            rows.append(row)
    return rows


def write_results(results: Results, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``results.json`` and ``per_layer.csv`` into ``out_dir`` (atomically); returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / RESULTS_FILE
    csv_path = out_dir / PER_LAYER_FILE
    atomic_write_text(json_path, results_json(results))
    rows = _jsonable(per_layer_rows(results))
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    atomic_write_text(csv_path, buffer.getvalue())
    return json_path, csv_path


def _layer_fields() -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(LayerStats))


def _csv_cells(name: str, value: Any) -> dict[str, Any]:
    if name in _CSV_OMIT:
        return {}
    if name == "explained_variance_ratio":
        return {"evr_pc1": value[0], "evr_pc2": value[1]}
    if name == "intervals":
        return {
            f"{stat}_{scheme}_{end}": value[scheme][stat][k]
            for scheme in SCHEMES
            for stat in _CSV_INTERVALS
            for k, end in enumerate(("lo", "hi"))
        }
    return {name: value}


def _run_dict(run: RunSummary) -> dict[str, Any]:
    out: dict[str, Any] = dataclasses.asdict(run.info)
    for name in _layer_fields():
        if name not in _SPECIAL:
            _put(out, LAYER_PATHS.get(name, (name,)), [getattr(stats, name) for stats in run.layers])
    out["ci"] = {
        "method": run.ci.method,
        "confidence": run.ci.confidence,
        "n_resamples": run.ci.n_resamples,
        "schemes": list(run.ci.schemes),
        "fallbacks": [{"scheme": s, "statistic": n, "layer": layer} for s, n, layer in run.ci.fallbacks],
        **{s: {n: [stats.intervals[s][n] for stats in run.layers] for n in STATISTICS} for s in SCHEMES},
    }
    out["permutation"].update(n_permutations=run.n_permutations, q_bh_method=BH_METHOD)
    out["arousal_best_pc"]["exploratory"] = True
    out["direction"].update(
        adjacent_cosine=[stats.direction_cosine_previous for stats in run.layers[1:]],
        cosine_matrix=run.direction_cosine,
    )
    out["peak"] = {which: dataclasses.asdict(peak) for which, peak in run.peaks.items()}
    trend = run.late_minus_early_valence
    out["windows"] = {"late_minus_early_valence": None if trend is None else dataclasses.asdict(trend)}
    out["cka"] = {"linear": run.cka_linear, "debiased": run.cka_debiased, "null": _null_dict(run.cross_layer)}
    out["at_peak"] = dataclasses.asdict(run.at_peak)
    return out


def _cross_dict(entry: CrossCKA) -> dict[str, Any]:
    shared_key, pair_key = _CROSS_KEYS[entry.kind]
    out = {shared_key: entry.shared, pair_key: list(entry.pair), "depth": entry.depth}
    if entry.kind == "corpus":
        out["layers"] = entry.layers_a
    else:
        out.update(layers_a=entry.layers_a, layers_b=entry.layers_b)
    return {**out, "linear": entry.linear, "debiased": entry.debiased, "null": _null_dict(entry.null)}


def _null_dict(null: SimilarityNull | None) -> dict[str, Any] | None:
    return None if null is None else dataclasses.asdict(null)


def _put(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def _jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars/arrays converted, floats rounded, NaN/inf as None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            return None
        return float(f"{number:.{SIGNIFICANT_DIGITS}g}") + 0.0
    return value


# ---------------------------------------------------------------------------------------------- reading


def load_results(path: str | Path) -> Results:
    """Read ``results.json`` into the typed records, checking it against the schema once.

    Raises:
        ReportError: The file is missing, not JSON, of another schema version, has no runs, or lacks a key or
            has a per-layer list of the wrong length (the message names the key and the run).
    """
    path = Path(path)
    if not path.is_file():
        raise ReportError(
            f"results file not found: {path}",
            fix="run `emotion-vectors analyze --config <config>` first, or pass --results FILE",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not valid JSON ({exc})", fix="rerun the analysis stage") from None
    return from_dict(data, str(path))


def from_dict(data: Mapping[str, Any], source: str = RESULTS_FILE) -> Results:
    """The typed :class:`Results` of a ``results.json`` dict (see :func:`load_results`)."""
    version = data.get("schema_version") if isinstance(data, Mapping) else None
    if version != SCHEMA_VERSION:
        raise ReportError(
            f"{source}: schema_version {version!r}, this version reads {SCHEMA_VERSION}",
            fix="rerun the analysis stage with this version of emotion-vectors",
        )
    read = _Reader(source)
    runs = read(data, "runs")
    if not runs:
        raise ReportError(
            f"{source}: no runs", fix="rerun the analysis stage; it should write one run per model x corpus"
        )
    try:
        analysis = AnalysisConfig(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in read(data, "analysis").items()}
        )
    except (TypeError, ConfigError) as exc:
        raise ReportError(f"{source}: 'analysis' does not match this version's settings ({exc})") from None
    return Results(
        analysis=analysis,
        runs=tuple(_parse_run(read.at(f"runs[{i}]"), run) for i, run in enumerate(runs)),
        cross_corpus=tuple(_parse_cross(read, "corpus", c) for c in read(data, "cross_corpus")),
        cross_model=tuple(_parse_cross(read, "model", c) for c in read(data, "cross_model")),
    )


class _Reader:
    """Looks up keys of the results file; a missing key is a :class:`ReportError` naming it and where."""

    def __init__(self, source: str, where: str = "") -> None:
        self.source, self.where = source, where

    def at(self, where: str) -> _Reader:
        return _Reader(self.source, f"{self.where}.{where}" if self.where else where)

    def __call__(self, tree: Any, *path: str) -> Any:
        for i, key in enumerate(path):
            if not isinstance(tree, Mapping) or key not in tree:
                place = ".".join(filter(None, [self.where, *path[:i]])) or "top level"
                raise ReportError(
                    f"{self.source}: key {key!r} missing at {place}",
                    fix="rerun the analysis stage with this version of emotion-vectors",
                )
            tree = tree[key]
        return tree

    def per_layer(self, tree: Any, path: tuple[str, ...], n: int, skip_first: bool = False) -> list[Any]:
        values = self(tree, *path)
        if not isinstance(values, list) or len(values) != n - skip_first:
            raise ReportError(
                f"{self.source}: {self.where}.{'.'.join(path)} must have one entry per layer ({n - skip_first})"
            )
        return [None, *values] if skip_first else values


def _parse_run(read: _Reader, run: Mapping[str, Any]) -> RunSummary:
    info = RunInfo(**{f.name: read(run, f.name) for f in dataclasses.fields(RunInfo)})
    info = dataclasses.replace(info, emotions=tuple(info.emotions))
    n = len(read(run, "layers"))
    hints = typing.get_type_hints(LayerStats)
    columns: dict[str, list[Any]] = {}
    for name in _layer_fields():
        if name not in _SPECIAL:
            columns[name] = [_as(hints[name], v) for v in read.per_layer(run, LAYER_PATHS.get(name, (name,)), n)]
    columns["direction_cosine_previous"] = [
        _float(v) for v in read.per_layer(run, ("direction", "adjacent_cosine"), n, skip_first=True)
    ]
    ci = read(run, "ci")
    bounds = {s: {m: read.per_layer(ci, (s, m), n) for m in STATISTICS} for s in SCHEMES}
    columns["intervals"] = [{s: {m: _pair(bounds[s][m][i]) for m in STATISTICS} for s in SCHEMES} for i in range(n)]
    layers = tuple(LayerStats(**{name: columns[name][i] for name in _layer_fields()}) for i in range(n))
    fallbacks = tuple((f["scheme"], f["statistic"], int(f["layer"])) for f in read(ci, "fallbacks"))
    method, confidence, n_resamples = (read(ci, key) for key in ("method", "confidence", "n_resamples"))
    settings = IntervalSettings(method, float(confidence), int(n_resamples), tuple(read(ci, "schemes")), fallbacks)
    trend = read(run, "windows", "late_minus_early_valence")
    return RunSummary(
        info=info,
        layers=layers,
        ci=settings,
        n_permutations=int(read(run, "permutation", "n_permutations")),
        peaks={
            which: _parse_peak(read.at(f"peak.{which}"), read(run, "peak", which)) for which in ("valence", "arousal")
        },
        late_minus_early_valence=None if trend is None else _parse_trend(read.at("windows"), trend),
        direction_cosine=_matrix(read(run, "direction", "cosine_matrix")),
        cka_linear=_matrix(read(run, "cka", "linear")),
        cka_debiased=_matrix(read(run, "cka", "debiased")),
        at_peak=_parse_at_peak(read.at("at_peak"), read(run, "at_peak")),
        cross_layer=_parse_null(read.at("cka.null"), read(run, "cka", "null"), _matrix),
    )


def _parse_peak(read: _Reader, peak: Mapping[str, Any]) -> Peak:
    layer_ci = read(peak, "layer_ci")
    return Peak(
        which=read(peak, "which"),
        layer=int(read(peak, "layer")),
        r=_float(read(peak, "r")),
        window=tuple(int(v) for v in read(peak, "window")),
        ci_scheme=read(peak, "ci_scheme"),
        layer_ci=None if layer_ci is None or None in layer_ci else (int(layer_ci[0]), int(layer_ci[1])),
        r_ci_max=_pair(read(peak, "r_ci_max")),
        r_ci_at_layer=_pair(read(peak, "r_ci_at_layer")),
    )


def _parse_trend(read: _Reader, trend: Mapping[str, Any]) -> WindowContrast:
    ci = read(trend, "ci")
    return WindowContrast(
        statistic=read(trend, "statistic"),
        early_layers=tuple(int(v) for v in read(trend, "early_layers")),
        late_layers=tuple(int(v) for v in read(trend, "late_layers")),
        value=_float(read(trend, "value")),
        ci=None if ci is None else _pair(ci),
    )


def _parse_at_peak(read: _Reader, at: Mapping[str, Any]) -> AtPeak:
    arrays = {name: _vector(read(at, name)) for name in ("pc1", "pc2", "valence", "arousal")}
    return AtPeak(layer=int(read(at, "layer")), cosine=_matrix(read(at, "cosine")), **arrays)


def _parse_cross(read: _Reader, kind: str, entry: Mapping[str, Any]) -> CrossCKA:
    shared_key, pair_key = _CROSS_KEYS[kind]
    layers_a = read(entry, "layers" if kind == "corpus" else "layers_a")
    layers_b = layers_a if kind == "corpus" else read(entry, "layers_b")
    return CrossCKA(
        kind=kind,
        shared=read(entry, shared_key),
        pair=tuple(read(entry, pair_key)),
        depth=_vector(read(entry, "depth")),
        layers_a=np.asarray(layers_a, dtype=np.int64),
        layers_b=np.asarray(layers_b, dtype=np.int64),
        linear=_vector(read(entry, "linear")),
        debiased=_vector(read(entry, "debiased")),
        null=_parse_null(read.at(f"cross_{kind}.null"), read(entry, "null"), _vector),
    )


def _parse_null(
    read: _Reader, null: Mapping[str, Any] | None, array: Callable[[Any], np.ndarray]
) -> SimilarityNull | None:
    if null is None:
        return None
    fields = ("linear_p", "debiased_p", "rsa", "rsa_p")
    return SimilarityNull(int(read(null, "n_permutations")), *(array(read(null, name)) for name in fields))


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _pair(value: Any) -> tuple[float, float]:
    return (_float(value[0]), _float(value[1]))


def _vector(values: Any) -> np.ndarray:
    return np.array([_float(v) for v in values], dtype=np.float64)


def _matrix(rows: Any) -> np.ndarray:
    return np.array([[_float(v) for v in row] for row in rows], dtype=np.float64).reshape(len(rows), -1)


def _as(hint: Any, value: Any) -> Any:
    """A per-layer JSON value as the type its :class:`LayerStats` field declares."""
    if hint is int:
        return int(value)
    if hint is float:
        return _float(value)
    if typing.get_origin(hint) is tuple:
        return tuple(_float(v) for v in value)
    return value


__all__ = [
    "LAYER_PATHS",
    "PER_LAYER_FILE",
    "RESULTS_DIR",
    "RESULTS_FILE",
    "SCHEMA_VERSION",
    "Results",
    "from_dict",
    "load_results",
    "per_layer_rows",
    "results_json",
    "to_dict",
    "write_results",
]
