"""Where corpora come from: the Hugging Face Hub, local files, a pinned URL, the bundled demo data.

Every loader returns a :class:`~emotion_vectors.corpus.schema.Corpus` (the ``*_loaded`` variants also return
what the source said about its rows, for validation). Row layouts are handled by
:mod:`emotion_vectors.corpus.layout`; the pinned download by :mod:`emotion_vectors.corpus.download`.

- Hub: ``datasets.load_dataset(dataset_id, revision=...)``; the requested revision is first resolved to a
  commit sha (recorded as :attr:`Corpus.revision`) and the dataset is then loaded at that sha. A local
  dataset directory given as ``dataset_id`` goes through the same ``load_dataset`` call (no sha to resolve).
- Local file: JSONL (one JSON object per line) or Parquet, either layout; ``revision`` is the file's sha256.
- Bundled: ``emotion_vectors/data/demo_stories.jsonl`` and ``demo_neutral.jsonl`` (story-per-row records).
- Neutral texts: bundled, a pinned URL (downloaded once, sha256-verified, cached) or a local file: a text file
  with one paragraph per line (blank lines ignored) or a JSONL/Parquet corpus of neutral records.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emotion_vectors.config import CorpusConfig, NeutralConfig
from emotion_vectors.corpus.download import fetch_pinned, sha256_file
from emotion_vectors.corpus.layout import LabelledRow, LoadedCorpus, rows_to_corpus
from emotion_vectors.corpus.schema import Corpus, Story
from emotion_vectors.errors import CorpusError, DataError, OfflineError
from emotion_vectors.registry import CORPORA
from emotion_vectors.resources import DEMO_NEUTRAL, DEMO_STORIES, data_path

TABLE_SUFFIXES: tuple[str, ...] = (".jsonl", ".parquet")
BUNDLED_SOURCE = "bundled-demo"
_OFFLINE_FIX = (
    "download the dataset on a networked machine and set source = 'local' with path = the JSONL or Parquet "
    "file (or pass that file to `emotion-vectors corpus validate`), or use the bundled demo corpus "
    "(configs/demo.toml)"
)


def load_corpus(cfg: CorpusConfig, *, cache_dir: str | Path | None = None) -> Corpus:
    """The emotion-story corpus a config names (see :func:`load_corpus_loaded`)."""
    return load_corpus_loaded(cfg, cache_dir=cache_dir).corpus


def load_corpus_loaded(cfg: CorpusConfig, *, cache_dir: str | Path | None = None) -> LoadedCorpus:
    """Load the corpus of ``cfg`` with its row information; check its fingerprint when one is configured.

    Raises:
        CorpusError: malformed rows, or a fingerprint mismatch.
        OfflineError: a Hub corpus that cannot be reached.
    """
    entry = CORPORA.get(cfg.name)
    generator = entry.generator if entry is not None else None
    if cfg.source == "bundled":
        loaded = _bundled(DEMO_STORIES, cfg.name)
    elif cfg.source == "hub":
        loaded = load_hub_dataset(
            cfg.dataset_id or "", cfg.revision, name=cfg.name, cache_dir=cache_dir, generator=generator
        )
    else:
        loaded = load_file(cfg.path or "", name=cfg.name, generator=generator)
    if cfg.fingerprint is not None and loaded.corpus.fingerprint != cfg.fingerprint:
        raise CorpusError(
            f"corpus {cfg.name!r} from {loaded.corpus.source} (revision {loaded.corpus.revision}): fingerprint "
            f"{loaded.corpus.fingerprint} does not match the configured {cfg.fingerprint}",
            fix="check the revision (the texts changed), or remove `fingerprint` from the config if you mean "
            "to use a different corpus",
        )
    return loaded


def open_source(spec: str, *, revision: str | None = None, cache_dir: str | Path | None = None) -> LoadedCorpus:
    """A corpus named on the command line: a registered corpus name (``demo``, ``gemma``, ``apertus``), a
    local JSONL/Parquet file, or a local dataset directory (read like a Hub dataset).

    ``revision`` applies to Hub corpora. Registered Hub corpora are checked against their known fingerprint.
    """
    path = Path(spec).expanduser()
    if spec in CORPORA:
        return load_corpus_loaded(CorpusConfig(name=spec, revision=revision), cache_dir=cache_dir)
    if path.is_file():
        return load_file(path)
    if path.is_dir():
        return load_hub_dataset(str(path), name=path.name, cache_dir=cache_dir)
    raise CorpusError(
        f"unknown corpus source {spec!r}: not a registered corpus, file or directory",
        fix=f"pass one of {sorted(CORPORA)}, a .jsonl/.parquet file, or a dataset directory",
    )


def load_bundled_demo() -> Corpus:
    """The bundled demo corpus of emotion stories."""
    return _bundled(DEMO_STORIES, "demo").corpus


def load_bundled_neutral() -> Corpus:
    """The project's own bundled neutral paragraphs."""
    return _bundled(DEMO_NEUTRAL, "neutral").corpus


def load_neutral(cfg: NeutralConfig, *, cache_dir: str | Path | None = None) -> Corpus:
    """The neutral baseline texts a config names; every record has ``kind == "neutral"``.

    Raises:
        DataError: checksum mismatch, a malformed file, or records that are not neutral.
        OfflineError: the pinned URL cannot be reached and the file is not cached.
    """
    if cfg.source == "bundled":
        corpus = load_bundled_neutral()
    elif cfg.source == "url":
        path = fetch_pinned(cfg.url or "", cfg.sha256 or "", cache_dir=cache_dir)
        corpus = read_paragraphs(path, name="neutral", source=cfg.url or "", revision=(cfg.sha256 or "").lower())
    else:
        path = Path(cfg.path or "").expanduser()
        if not path.is_file():
            raise DataError(f"neutral texts file not found: {path}", fix="check [neutral] path in the config")
        actual = sha256_file(path)
        if cfg.sha256 is not None and actual != cfg.sha256.lower():
            raise DataError(
                f"{path}: sha256 mismatch (expected {cfg.sha256.lower()}, got {actual})",
                fix="use the file the config was written for, or update [neutral] sha256",
            )
        if path.suffix.lower() in TABLE_SUFFIXES:
            corpus = load_file(path, name="neutral").corpus
        else:
            corpus = read_paragraphs(path, name="neutral", source=str(path), revision=actual)
    not_neutral = [story.story_id for story in corpus if story.kind != "neutral"]
    if not_neutral:
        raise DataError(
            f"neutral texts from {corpus.source}: {len(not_neutral)} record(s) are not neutral, e.g. {not_neutral[:3]}",
            fix="a neutral baseline must contain only kind = 'neutral' records (emotion null)",
        )
    return corpus


def read_paragraphs(path: str | Path, *, name: str, source: str, revision: str | None) -> Corpus:
    """A text file with one paragraph per line (blank lines ignored) as neutral records ``neutral/<nnn>``."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc})", fix="save the file as UTF-8") from None
    paragraphs = [line.strip() for line in lines if line.strip()]
    if not paragraphs:
        raise DataError(f"{path}: no paragraphs", fix="put one paragraph per line")
    stories = tuple(
        Story(story_id=f"neutral/{i:03d}", kind="neutral", emotion=None, topic=None, text=text, source=source)
        for i, text in enumerate(paragraphs)
    )
    return Corpus(name=name, stories=stories, source=source, revision=revision)


def load_file(path: str | Path, *, name: str | None = None, generator: str | None = None) -> LoadedCorpus:
    """A local JSONL or Parquet corpus file in either layout; ``revision`` is the file's sha256."""
    path = Path(path).expanduser()
    rows = read_rows(path)
    return rows_to_corpus(
        rows,
        name=name or path.stem,
        origin=str(path),
        source=str(path),
        revision=sha256_file(path),
        generator=generator,
    )


def read_rows(path: str | Path) -> list[LabelledRow]:
    """The rows of a JSONL (labelled ``line N``) or Parquet (labelled ``row N``) file, 1-based."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CorpusError(f"corpus file not found: {path}", fix="check the path")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return list(_jsonl_rows(path))
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            records = pq.read_table(path).to_pylist()
        except Exception as exc:  # pyarrow raises several unrelated types for a broken file
            raise CorpusError(f"{path}: not a readable Parquet file ({exc})") from None
        return [(f"row {i}", record) for i, record in enumerate(records, start=1)]
    raise CorpusError(f"{path}: unsupported file type {suffix!r}", fix="use a .jsonl or .parquet file")


def load_hub_dataset(
    dataset_id: str,
    revision: str | None = None,
    *,
    name: str | None = None,
    cache_dir: str | Path | None = None,
    generator: str | None = None,
    split: str = "train",
) -> LoadedCorpus:
    """A dataset on the Hub (or a local dataset directory) via ``datasets.load_dataset``, either layout.

    A Hub ``revision`` (branch, tag or sha; default ``main``) is resolved to its commit sha first, and the
    dataset is then loaded at that sha, so :attr:`Corpus.revision` names exactly the data read.
    """
    if not dataset_id:
        raise CorpusError("no dataset id given", fix="set dataset_id in the [[corpora]] entry")
    is_local = Path(dataset_id).expanduser().is_dir()
    resolved = None if is_local else resolve_hub_revision(dataset_id, revision)
    rows = _dataset_rows(dataset_id, resolved if not is_local else None, cache_dir, split)
    return rows_to_corpus(
        rows,
        name=name or Path(dataset_id).name,
        origin=dataset_id,
        source=dataset_id,
        revision=resolved,
        generator=generator,
    )


def resolve_hub_revision(dataset_id: str, revision: str | None) -> str:
    """The commit sha ``revision`` (default ``main``) of Hub dataset ``dataset_id`` points to (a sha is kept)."""
    if revision and re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision  # already a commit: loadable from the local cache without the network
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = HfApi().dataset_info(dataset_id, revision=revision or "main")
    except (RepositoryNotFoundError, RevisionNotFoundError) as exc:
        raise CorpusError(
            f"Hub dataset {dataset_id!r} at revision {revision or 'main'!r} not found ({type(exc).__name__})",
            fix="check dataset_id and revision (a private dataset needs `huggingface-cli login`)",
        ) from None
    except HfHubHTTPError as exc:
        raise CorpusError(f"Hub dataset {dataset_id!r}: {exc}") from None
    except Exception as exc:
        if _is_network_error(exc):
            raise OfflineError(
                f"cannot reach the Hugging Face Hub for dataset {dataset_id!r}: {exc} (offline?)", fix=_OFFLINE_FIX
            ) from None
        raise
    if not info.sha:
        raise CorpusError(f"Hub dataset {dataset_id!r}: the Hub returned no commit sha for {revision or 'main'!r}")
    return info.sha


# ---------------------------------------------------------------------------------------------- internals


def _bundled(file_name: str, name: str) -> LoadedCorpus:
    try:
        path = data_path(file_name)
    except FileNotFoundError as exc:
        raise CorpusError(str(exc), fix="reinstall the package (the bundled demo data ships with it)") from None
    loaded = load_file(path, name=name)
    corpus = loaded.corpus
    bundled = Corpus(name=name, stories=corpus.stories, source=BUNDLED_SOURCE, revision=corpus.revision)
    return LoadedCorpus(corpus=bundled, layout=loaded.layout, prompt_rows=loaded.prompt_rows)


def _jsonl_rows(path: Path) -> Iterator[LabelledRow]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(ord("\n")) + 1
        raise CorpusError(
            f"{path}: line {line} is not UTF-8 text (byte {exc.start}: {exc.reason})",
            fix="save the file as UTF-8",
        ) from None
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(
                f"{path}: line {number} is not valid JSON ({exc.msg} at column {exc.colno})",
                fix="repair or delete that line (each line must be one JSON object)",
            ) from None
        if not isinstance(record, dict):
            raise CorpusError(
                f"{path}: line {number} is a JSON {type(record).__name__}, not an object",
                fix="each line must be one JSON object",
            )
        yield f"line {number}", record


def _dataset_rows(dataset_id: str, revision: str | None, cache_dir: str | Path | None, split: str) -> list[LabelledRow]:
    import datasets

    kwargs: dict[str, Any] = {"revision": revision}
    if cache_dir is not None:
        kwargs["cache_dir"] = str(Path(cache_dir) / "datasets")
    try:
        loaded = datasets.load_dataset(dataset_id, **kwargs)
    except Exception as exc:
        if _is_network_error(exc):
            raise OfflineError(f"cannot load Hub dataset {dataset_id!r}: {exc} (offline?)", fix=_OFFLINE_FIX) from None
        raise CorpusError(f"cannot load dataset {dataset_id!r}: {type(exc).__name__}: {exc}") from None
    splits = list(loaded.keys()) if isinstance(loaded, dict) else None
    if splits is not None:
        if split in loaded:
            loaded = loaded[split]
        elif len(splits) == 1:
            loaded = loaded[splits[0]]
        else:
            raise CorpusError(
                f"dataset {dataset_id!r} has splits {splits} and no {split!r} split",
                fix="publish the corpus as a single 'train' split",
            )
    return [(f"row {i}", record) for i, record in enumerate(loaded, start=1)]


def _is_network_error(exc: BaseException) -> bool:
    """True for connection failures and offline mode (``requests``, ``httpx`` and ``huggingface_hub`` types)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    network = {"ConnectionError", "OfflineModeIsEnabled", "TransportError", "TimeoutException", "NetworkError"}
    return bool(names & network) or isinstance(exc, (ConnectionError, TimeoutError))
