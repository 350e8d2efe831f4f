"""Experiment configuration: TOML files -> frozen dataclasses, validated at load.

A config names the models, the corpora, the neutral baseline and the parameters of each stage. Building a
config does no I/O beyond reading the TOML file; unknown keys, wrong types and bad values raise
:class:`~emotion_vectors.errors.ConfigError` naming the file and the key.

Layout of a config file (see ``configs/demo.toml`` and ``configs/paper.toml``)::

    profile = "demo"            # label printed on every artifact
    output_dir = "outputs/demo" # relative to the config file's directory's parent (the project root)
    [[models]]                  # one or more
    alias = "minilm"
    [[corpora]]                 # one or more
    name = "demo"
    [neutral]
    source = "bundled"
    [extraction]
    [analysis]
    [report]
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from emotion_vectors.errors import ConfigError
from emotion_vectors.options import (
    BootstrapScheme,
    CIMethod,
    CorpusSource,
    Device,
    Dtype,
    NeutralSource,
    PadSide,
    Pooling,
    Projection,
    RatingSource,
    ReportedLayers,
    ShortStoryPolicy,
    UnratedEmotions,
)
from emotion_vectors.registry import CORPORA, MODELS, corpus_entry, is_model_reference, model_entry


@dataclass(frozen=True)
class ModelConfig:
    """One model to extract from.

    ``alias`` is a registered alias (``minilm``, ``apertus-8b``, ``gemma-4-e4b``), a Hub id or a local path.
    ``layers`` is ``"all"``, ``"paper"`` (the block range the paper reports for this model), an inclusive
    range ``"A-B"`` of 0-based block indices, or a list of block indices. ``dtype = "auto"`` means bfloat16
    when ``device = "cuda"`` and float32 otherwise (derived from the config, never from the machine). ``block_path`` overrides the automatic search for the block list
    (dotted attribute path, e.g. ``"model.layers"``).
    """

    alias: str
    revision: str | None = None
    dtype: Dtype = "float32"
    device: Device = "cpu"
    layers: str | tuple[int, ...] = "all"
    block_path: str | None = None

    def __post_init__(self) -> None:
        if not is_model_reference(self.alias):
            model_entry(self.alias)
        if isinstance(self.layers, str):
            parse_layers(self.layers)


@dataclass(frozen=True)
class CorpusConfig:
    """One emotion-story corpus.

    ``source = "bundled"``: the demo corpus shipped in the package. ``"hub"``: ``dataset_id`` at
    ``revision`` (defaults from the registry for ``gemma``/``apertus``). ``"local"``: a JSONL or Parquet
    file at ``path`` in either published layout. ``fingerprint``, when set, must match the loaded texts.
    ``unrated_emotions``: a story labelled with an emotion outside the 171 rated concepts is an error
    (``"error"``, checked before any model is loaded) or is left out with a warning (``"exclude"``).
    """

    name: str
    source: CorpusSource | None = None
    dataset_id: str | None = None
    revision: str | None = None
    path: str | None = None
    fingerprint: str | None = None
    unrated_emotions: UnratedEmotions = "error"

    def __post_init__(self) -> None:
        if self.source is None:
            entry = corpus_entry(self.name)
            object.__setattr__(self, "source", entry.source)
        if self.source == "hub" and self.dataset_id is None:
            entry = CORPORA.get(self.name)
            if entry is None or entry.dataset_id is None:
                raise ConfigError(f"corpus {self.name!r}: source 'hub' needs dataset_id")
            object.__setattr__(self, "dataset_id", entry.dataset_id)
            if self.fingerprint is None:
                object.__setattr__(self, "fingerprint", entry.fingerprint)
        if self.source == "local" and not self.path:
            raise ConfigError(f"corpus {self.name!r}: source 'local' needs path")


@dataclass(frozen=True)
class NeutralConfig:
    """The neutral baseline texts whose top principal components are projected out.

    ``bundled``: the project's own paragraphs. ``url``: downloaded once from ``url``, verified against
    ``sha256`` and cached. ``local``: a text file with one paragraph per line, or a JSONL corpus, at ``path``
    (verified against ``sha256`` when given).
    """

    source: NeutralSource = "bundled"
    url: str | None = None
    path: str | None = None
    sha256: str | None = None

    def __post_init__(self) -> None:
        if self.source == "url" and not (self.url and self.sha256):
            raise ConfigError("neutral source 'url' needs both url and sha256")
        if self.source == "local" and not self.path:
            raise ConfigError("neutral source 'local' needs path")


@dataclass(frozen=True)
class ExtractionConfig:
    """Parameters of the extraction stage.

    ``token_offset``: real tokens skipped at the start of each story before pooling (counted from the first
    real token). ``max_length``: truncation length in tokens (special tokens included). ``batch_tokens``:
    budget of padded tokens per forward batch. ``short_story_policy``: what to do with stories that have no
    token left after the offset. ``pad_side = "left-as-authors"`` restores the original code's behaviour,
    where the offset was counted from the start of the left-padded row.
    """

    token_offset: int = 50
    max_length: int = 512
    batch_tokens: int = 16384
    short_story_policy: ShortStoryPolicy = "error"
    pad_side: PadSide = "right"

    def __post_init__(self) -> None:
        if self.token_offset < 0:
            raise ConfigError(f"extraction.token_offset must be >= 0, got {self.token_offset}")
        if self.max_length <= self.token_offset:
            raise ConfigError(
                f"extraction.max_length ({self.max_length}) must exceed token_offset ({self.token_offset})"
            )
        if self.batch_tokens < self.max_length:
            raise ConfigError(
                f"extraction.batch_tokens ({self.batch_tokens}) must be >= max_length ({self.max_length})"
            )


@dataclass(frozen=True)
class AnalysisConfig:
    """Parameters of the analysis stage (see ``emotion_vectors.analysis``).

    ``layers``: ``"all"`` analyses every extracted block; ``"paper"`` only the block range the paper reports for
    each registered model (Apertus 1-31, Gemma 1-40; all blocks for models without one).
    """

    layers: ReportedLayers = "all"
    neutral_variance: float = 0.5
    pca_components: int = 10
    rating_source: RatingSource = "nrc"
    pooling: Pooling = "token_weighted"
    projection: Projection = "neutral"
    bootstrap_resamples: int = 2000
    bootstrap_schemes: tuple[BootstrapScheme, ...] = ("emotion", "story")
    ci_method: CIMethod = "inverted"
    confidence: float = 0.95
    permutations: int = 1000
    cka_permutations: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.neutral_variance < 1.0:
            raise ConfigError(f"analysis.neutral_variance must be in (0, 1), got {self.neutral_variance}")
        if self.pca_components < 2:
            raise ConfigError(f"analysis.pca_components must be >= 2, got {self.pca_components}")
        if not 0.5 < self.confidence < 1.0:
            raise ConfigError(f"analysis.confidence must be in (0.5, 1), got {self.confidence}")
        if self.bootstrap_resamples < 0 or self.permutations < 0 or self.cka_permutations < 0:
            raise ConfigError(
                "analysis.bootstrap_resamples, analysis.permutations and analysis.cka_permutations must be >= 0"
            )


@dataclass(frozen=True)
class ReportConfig:
    """Parameters of the report and paper stages."""

    build_pdf: bool = True
    claims_strict: bool = False


@dataclass(frozen=True)
class ExperimentConfig:
    """A whole experiment: which models read which corpora, and how every stage is parameterised."""

    profile: str
    output_dir: str
    models: tuple[ModelConfig, ...]
    corpora: tuple[CorpusConfig, ...]
    neutral: NeutralConfig = field(default_factory=NeutralConfig)
    extraction: ExtractionConfig = field(default_factory=ExtractionConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    description: str = ""

    def __post_init__(self) -> None:
        if not self.models:
            raise ConfigError("at least one [[models]] entry is required")
        if not self.corpora:
            raise ConfigError("at least one [[corpora]] entry is required")
        for what, names in (
            ("model alias", [m.alias for m in self.models]),
            ("corpus name", [c.name for c in self.corpora]),
        ):
            if len(set(names)) != len(names):
                raise ConfigError(f"duplicate {what} in {names}")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML/JSON-ready; ``None`` values dropped) that :func:`from_dict` turns back into an equal config."""
        return _drop_none(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "<dict>") -> ExperimentConfig:
        """Build and validate a config from a dict; ``origin`` names the file in error messages."""
        return _build(cls, data, origin, prefix="")


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate a TOML experiment config."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"config file not found: {path}", fix="pass an existing file, e.g. configs/demo.toml"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return ExperimentConfig.from_dict(data, origin=str(path))


def resolve_layers(spec: str | tuple[int, ...], n_blocks: int, paper_layers: tuple[int, int] | None) -> tuple[int, ...]:
    """Block indices (0-based) selected by a ``layers`` spec for a model with ``n_blocks`` blocks."""
    if spec == "all" or (spec == "paper" and paper_layers is None):
        layers = tuple(range(n_blocks))
    elif spec == "paper":
        layers = tuple(range(paper_layers[0], paper_layers[1] + 1))
    else:
        parsed = parse_layers(spec) if isinstance(spec, str) else tuple(spec)
        layers = tuple(range(n_blocks)) if parsed == "all" else tuple(parsed)
    bad = [layer for layer in layers if not 0 <= layer < n_blocks]
    if bad:
        raise ConfigError(f"layers {bad} out of range for a model with {n_blocks} blocks (valid: 0-{n_blocks - 1})")
    if list(layers) != sorted(set(layers)):
        raise ConfigError(f"layers must be increasing and unique, got {list(layers)}")
    return layers


# ---------------------------------------------------------------------------------------------- internals


def parse_layers(text: str) -> str | tuple[int, ...]:
    """A layer spec as written in a config or on the command line: ``"all"``, ``"paper"``, an inclusive range
    ``"A-B"`` of 0-based block indices, or a comma list ``"0,3,5"``; returns the word or the block indices."""
    spec = text.strip()
    if spec in ("all", "paper"):
        return spec
    try:
        if "-" in spec:
            first, last = (int(part) for part in spec.split("-"))
            if first > last:
                raise ConfigError(f"layers range {spec!r} is empty", fix="write the range as first-last, e.g. 0-5")
            return tuple(range(first, last + 1))
        return tuple(int(part) for part in spec.split(","))
    except ValueError:
        raise ConfigError(
            f"layers {spec!r} is not 'all', 'paper', 'A-B' or a comma list of integers", fix="e.g. all, 0-5 or 1,3,5"
        ) from None


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(v) for v in value]
    return value


_NESTED = {
    "models": ModelConfig,
    "corpora": CorpusConfig,
    "neutral": NeutralConfig,
    "extraction": ExtractionConfig,
    "analysis": AnalysisConfig,
    "report": ReportConfig,
}


def _build(cls: type, data: Any, origin: str, prefix: str) -> Any:
    where = prefix.rstrip(".") or "top level"
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: {where} must be a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"{origin}: unknown key(s) {', '.join(prefix + k for k in unknown)}",
            fix=f"allowed keys in {where}: {', '.join(sorted(fields))}",
        )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        key = prefix + name
        if name in _NESTED and cls is ExperimentConfig:
            sub = _NESTED[name]
            if name in ("models", "corpora"):
                if not isinstance(value, list):
                    raise ConfigError(f"{origin}: {key} must be an array of tables ([[{name}]])")
                kwargs[name] = tuple(_build(sub, item, origin, f"{key}[{i}].") for i, item in enumerate(value))
            else:
                kwargs[name] = _build(sub, value, origin, key + ".")
        else:
            kwargs[name] = _coerce(value, hints[name], origin, key)
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{origin}: missing required key(s) {', '.join(prefix + m for m in missing)}")
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {where}: {exc.message}", fix=exc.fix) from None


def _coerce(value: Any, hint: Any, origin: str, key: str) -> Any:
    """Check ``value`` against a type hint made of str/int/float/bool/None/Literal/tuple/unions."""
    origin_type = typing.get_origin(hint)
    if origin_type in (typing.Union, types.UnionType):
        errors = []
        for option in typing.get_args(hint):
            try:
                return _coerce(value, option, origin, key)
            except ConfigError as exc:
                errors.append(exc.message)
        reasons = "; ".join(dict.fromkeys(e.removeprefix(f"{origin}: ") for e in errors))
        raise ConfigError(
            f"{origin}: {key} = {value!r} has the wrong type (expected {_describe(hint)}: {reasons})",
            fix=f"set {key} to {_describe(hint)}",
        )
    if hint is type(None):
        if value is None:
            return None
        raise ConfigError(f"{origin}: {key} must be unset")
    if origin_type is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(
                f"{origin}: {key} = {value!r} is not allowed", fix=f"allowed values: {', '.join(map(repr, allowed))}"
            )
        return value
    if origin_type is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{origin}: {key} must be a list, got {value!r}")
        (item_hint, _ellipsis) = typing.get_args(hint)
        return tuple(_coerce(item, item_hint, origin, f"{key}[{i}]") for i, item in enumerate(value))
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (str, int, float, bool):
        if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
            return value
        raise ConfigError(f"{origin}: {key} = {value!r} must be of type {hint.__name__}")
    raise TypeError(f"unsupported config type hint {hint!r} for {key}")


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) is Literal:
        return " | ".join(map(repr, typing.get_args(hint)))
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return f"list of {_describe(typing.get_args(hint)[0])}"
    return getattr(hint, "__name__", str(hint))


__all__ = [
    "AnalysisConfig",
    "CorpusConfig",
    "ExperimentConfig",
    "ExtractionConfig",
    "ModelConfig",
    "NeutralConfig",
    "ReportConfig",
    "load_config",
    "parse_layers",
    "resolve_layers",
    "MODELS",
]
