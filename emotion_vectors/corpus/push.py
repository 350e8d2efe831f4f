"""Publish a corpus file on the Hugging Face Hub with a rendered, validated dataset card.

The card template is ``dataset_card/README.md.jinja`` (shipped in the package as
``emotion_vectors/data/dataset_card.md.jinja``, a link to that file, so there is one source). Its YAML block is
built with ``huggingface_hub``'s :class:`DatasetCardData`; the rendered card is parsed back with
:class:`DatasetCard` and checked offline (:func:`validate_card`) before anything is written or pushed.

``--dry-run DIR`` writes ``DIR/README.md`` and ``DIR/data/train-00000-of-00001.parquet`` (the Hub's layout, so
``datasets.load_dataset(DIR)`` reads it back) without any network access.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emotion_vectors.corpus.generate import manifest_path
from emotion_vectors.corpus.layout import rows_to_corpus
from emotion_vectors.corpus.sources import _is_network_error, read_rows
from emotion_vectors.errors import CorpusError, OfflineError
from emotion_vectors.fileio import atomic_write, atomic_write_text
from emotion_vectors.resources import DATASET_CARD_TEMPLATE, PAPER_CLAIMS, data_path

REQUIRED_METADATA: tuple[str, ...] = (
    "license",
    "language",
    "task_categories",
    "size_categories",
    "pretty_name",
    "source_model",
    "source_model_revision",
    "generation",
    "fingerprint",
    "citation",
)
SIZE_CATEGORIES: tuple[tuple[int, str], ...] = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
)
DATA_FILE = "data/train-00000-of-00001.parquet"
_TITLES = {"emotion": "Emotion stories", "neutral": "Neutral paragraphs", "mixed": "Emotion stories and neutral texts"}
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class CardInfo:
    """Everything the dataset card says about a corpus file.

    Attributes:
        repo_id: ``org/name`` on the Hub.
        pretty_name: Title of the card.
        license: Hub licence id (e.g. ``cc-by-4.0``).
        n_rows: Rows in the published table; ``n_stories``: texts; ``n_emotions``: distinct emotions.
        layout: ``"prompt-per-row"`` or ``"story-per-row"``.
        kind: ``"emotion"``, ``"neutral"`` or ``"mixed"`` (the kinds of the texts).
        columns: Column names of the table.
        source_model: Model that wrote the texts; ``source_model_revision``: its revision (``"unknown"`` if so).
        generation: Generation settings (from the generation manifest, where there is one).
        fingerprint: Content fingerprint of all texts.
        citation: BibTeX of the paper whose method the corpus follows.
    """

    repo_id: str
    pretty_name: str
    license: str
    n_rows: int
    n_stories: int
    n_emotions: int
    layout: str
    kind: str
    columns: tuple[str, ...]
    source_model: str
    source_model_revision: str
    fingerprint: str
    citation: str
    generation: dict[str, Any] = field(default_factory=dict)


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` bucket for ``n`` rows."""
    for limit, label in SIZE_CATEGORIES:
        if n < limit:
            return label
    return "n>10M"


def paper_citation() -> str:
    """BibTeX of arXiv 2606.26987, built from the packaged ``paper_claims.json``."""
    paper = json.loads(data_path(PAPER_CLAIMS).read_text(encoding="utf-8"))["paper"]
    return (
        "@misc{vanderben2026happiness,\n"
        f"  title = {{{paper['title']}}},\n"
        f"  author = {{{' and '.join(paper['authors'])}}},\n"
        "  year = {2026},\n"
        f"  eprint = {{{paper['arxiv']}}},\n"
        "  archivePrefix = {arXiv}\n"
        "}"
    )


def describe_file(
    path: str | Path,
    *,
    repo_id: str,
    license: str = "cc-by-4.0",
    pretty_name: str | None = None,
    source_model: str | None = None,
) -> tuple[CardInfo, list[dict[str, Any]]]:
    """Read a corpus file, check it loads as a corpus with one column set, and describe it for the card.

    The generator and settings come from the generation manifest beside the file when there is one, else
    from the rows' ``generator``/``generator_revision`` columns, else from ``source_model``.
    """
    path = Path(path)
    if not _REPO_ID.match(repo_id):
        raise CorpusError(f"repo id {repo_id!r} is not of the form 'org/name'", fix="pass --repo-id ORG/NAME")
    labelled = read_rows(path)
    loaded = rows_to_corpus(labelled, name=path.stem, origin=str(path), source=str(path))
    columns = tuple(labelled[0][1])
    for where, row in labelled:
        if set(row) != set(columns):
            raise CorpusError(
                f"{path}: {where} has columns {sorted(row)}, the first row {sorted(columns)}",
                fix="give every row the same fields before publishing",
            )
    manifest = _manifest(path)
    key = manifest.get("key", {})
    backend = key.get("backend", {})
    rows = [dict(row) for _, row in labelled]
    model = backend.get("model") or _single(rows, "generator") or source_model
    if not model:
        raise CorpusError(
            f"{path}: no generator recorded (no manifest, no 'generator' column)", fix="pass --source-model MODEL"
        )
    revision = backend.get("revision") or _single(rows, "generator_revision") or "unknown"
    generation = {k: v for k, v in key.items() if k not in ("backend", "format")}
    if backend:
        generation["backend"] = {k: v for k, v in backend.items() if k not in ("model", "revision")}
    corpus = loaded.corpus
    kinds = {story.kind for story in corpus}
    kind = kinds.pop() if len(kinds) == 1 else "mixed"
    info = CardInfo(
        repo_id=repo_id,
        pretty_name=pretty_name or f"{_TITLES[kind]} by {model.split('/')[-1]}",
        license=license,
        n_rows=len(rows),
        n_stories=len(corpus),
        n_emotions=len({s.emotion for s in corpus if s.emotion}),
        layout=loaded.layout,
        kind=kind,
        columns=columns,
        source_model=model,
        source_model_revision=str(revision),
        fingerprint=corpus.fingerprint,
        citation=paper_citation(),
        generation=generation or {"recorded": False},
    )
    return info, rows


def card_data(info: CardInfo) -> Any:
    """The card's YAML metadata as a :class:`huggingface_hub.DatasetCardData`."""
    from huggingface_hub import DatasetCardData

    return DatasetCardData(
        license=info.license,
        language=["en"],
        task_categories=["text-generation", "text-classification"],
        size_categories=[size_category(info.n_rows)],
        pretty_name=info.pretty_name,
        annotations_creators=["machine-generated"],
        language_creators=["machine-generated"],
        multilinguality=["monolingual"],
        source_datasets=["original"],
        tags=["emotion", "synthetic", "interpretability", "emotion-vectors"],
        configs=[{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}],
        source_model=info.source_model,
        source_model_revision=info.source_model_revision,
        generation=info.generation,
        fingerprint=info.fingerprint,
        citation=info.citation,
    )


def template_path() -> Path:
    """The card template: ``dataset_card/README.md.jinja`` in a checkout, else the packaged copy."""
    checkout = Path(__file__).resolve().parents[2] / "dataset_card" / "README.md.jinja"
    return checkout if checkout.is_file() else data_path(DATASET_CARD_TEMPLATE)


def render_card(info: CardInfo, template: str | Path | None = None) -> str:
    """Render the card (YAML front matter + Markdown body); an undefined template variable is an error."""
    import jinja2

    source = Path(template) if template is not None else template_path()
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    try:
        compiled = environment.from_string(source.read_text(encoding="utf-8"))
        return compiled.render(
            card_data=card_data(info).to_yaml(),
            generation_items=_flatten(info.generation),
            **{name: getattr(info, name) for name in info.__dataclass_fields__},
        )
    except jinja2.TemplateError as exc:
        raise CorpusError(f"{source}: cannot render the dataset card ({exc})", fix="fix the template") from None


def validate_card(text: str) -> Any:
    """Parse a rendered card with :class:`huggingface_hub.DatasetCard` and check it offline.

    Checks: the YAML block parses to a mapping; every key of :data:`REQUIRED_METADATA` is present and
    non-empty; ``size_categories`` is a Hub bucket; the fingerprint is 64 hex digits; no template syntax is
    left. Returns the card; raises :class:`CorpusError` listing every problem.
    """
    import yaml
    from huggingface_hub import DatasetCard

    try:
        card = DatasetCard(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CorpusError(f"the dataset card's YAML block does not parse: {exc}", fix="fix the template") from None
    metadata = card.data.to_dict()
    problems = [f"missing or empty '{key}'" for key in REQUIRED_METADATA if not metadata.get(key)]
    buckets = {label for _, label in SIZE_CATEGORIES} | {"n>10M"}
    if not set(_as_list(metadata.get("size_categories"))) <= buckets:
        problems.append(f"size_categories {metadata.get('size_categories')!r} is not a Hub bucket")
    if not re.fullmatch(r"[0-9a-f]{64}", str(metadata.get("fingerprint", ""))):
        problems.append("fingerprint is not a sha256 hex digest")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.+-]*", str(metadata.get("license", ""))):
        problems.append(f"license {metadata.get('license')!r} is not a Hub licence id")
    if re.search(r"\{\{|\{%|\{#", card.text):
        problems.append("unrendered template syntax in the card body")
    if not card.text.strip():
        problems.append("empty card body")
    if problems:
        raise CorpusError("invalid dataset card: " + "; ".join(problems), fix="fix the template or the inputs")
    return card


def build_dataset(rows: list[dict[str, Any]]) -> Any:
    """The rows as a :class:`datasets.Dataset` (one split)."""
    import datasets

    return datasets.Dataset.from_list(rows)


def write_dry_run(directory: str | Path, dataset: Any, card_text: str) -> list[Path]:
    """Write ``README.md`` and the Parquet data file into an empty (or new) ``directory``, each atomically."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise CorpusError(f"{directory} is not empty", fix="pass a new or empty directory to --dry-run")
    data = directory / DATA_FILE
    atomic_write(data, dataset.to_parquet)
    readme = atomic_write_text(directory / "README.md", card_text)
    return [readme, data]


def push(dataset: Any, card_text: str, repo_id: str, *, private: bool = False) -> str:
    """Create the dataset repo, upload the card, then the data; returns the dataset's URL."""
    from huggingface_hub import DatasetCard, HfApi, constants

    fix = "connect to the network and log in (`huggingface-cli login`), or use --dry-run DIR to write locally"
    if constants.is_offline_mode():
        raise OfflineError(f"cannot push {repo_id}: Hugging Face Hub offline mode is enabled (HF_HUB_OFFLINE)", fix=fix)
    try:
        HfApi().create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        DatasetCard(card_text).push_to_hub(repo_id, repo_type="dataset")
        dataset.push_to_hub(repo_id, private=private)
    except Exception as exc:
        if _is_network_error(exc):
            raise OfflineError(f"cannot push {repo_id}: {exc} (offline?)", fix=fix) from None
        raise
    return f"https://huggingface.co/datasets/{repo_id}"


# ---------------------------------------------------------------------------------------------- internals


def _manifest(path: Path) -> dict[str, Any]:
    sidecar = manifest_path(path)
    if not sidecar.is_file():
        return {}
    try:
        return json.loads(sidecar.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{sidecar}: not valid JSON ({exc})", fix="restore or remove the manifest") from None


def _single(rows: list[dict[str, Any]], column: str) -> str | None:
    values = Counter(row.get(column) for row in rows if row.get(column))
    if len(values) > 1:
        raise CorpusError(f"rows name several values of '{column}': {sorted(values)[:3]}")
    return next(iter(values), None)


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            items.extend(_flatten(value, f"{prefix}{key}."))
        else:
            items.append((f"{prefix}{key}", value))
    return items


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
