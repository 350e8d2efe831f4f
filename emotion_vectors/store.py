"""The activation store on disk: per-layer pooled means, token counts and a manifest, per model x corpus.

Layout of one store (``store_dir(output_dir, model_alias, corpus_name)``)::

    layer_00.npy    float32 [n_stories, d_model]  mean over each story's kept tokens of the output of block 0
    layer_01.npy    ...                            (one file per extracted block; L = block index)
    counts.npy      int64   [n_stories]           kept-token counts (0 for skipped stories)
    manifest.json   model id + revision, layers, corpus fingerprint, story order, offset, ... (written last),
                    and ``sha256``: the hash of every array file above, taken as it was written
    .verified.json  (size, mtime, sha256) of each array file when last hashed: a cache that spares rehashing

Rows follow the corpus order (``manifest["story_ids"]``). Rows of skipped stories (count 0) are NaN, so a
skipped story can never be used by accident. ``manifest.json`` is written last: a directory without it is an
unfinished extraction. While a run is in progress, completed shards live in ``.shards/`` (``shard_XXXXX.npy``
float32 ``[n_layers, n_rows, d_model]`` + ``shard_XXXXX.json``, the JSON written last) next to ``plan.json``;
the next run with the same inputs computes only the missing shards. Every file is written to a temporary
sibling and moved into place with ``os.replace``, so a kill at any moment leaves either the old or the new file.

Integrity: :func:`open_store` (and :func:`verify_store`) checks every array file against the manifest's sha256
before anything is read. Hashing is skipped for a file whose size and modification time match the last
verified hash (``.verified.json``); a write into a file changes its modification time, so it is rehashed.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from emotion_vectors.errors import StoreError
from emotion_vectors.fileio import TMP_MARK, atomic_write
from emotion_vectors.integrity import VERIFIED_FILE, remember, save_hashed, verify_files

SCHEMA_VERSION = 1
ACTIVATIONS_DIR = "activations"
LAYER_FILE = "layer_{:02d}.npy"
COUNTS_FILE = "counts.npy"
MANIFEST_FILE = "manifest.json"
SHARD_DIR = ".shards"
PLAN_FILE = "plan.json"
SHARD_DATA_FILE = "shard_{:05d}.npy"
SHARD_META_FILE = "shard_{:05d}.json"
NEUTRAL_CORPUS = "neutral"

_LAYER_PATTERN = re.compile(r"^layer_\d+\.npy$")
#: The generic rebuild advice; the pipeline and the CLI replace it with the exact command for their store.
REBUILD_FIX = "rebuild the store: rerun the extract (or run) command that made it with --force"


def store_dir(output_dir: str | Path, model_alias: str, corpus_name: str) -> Path:
    """``<output_dir>/activations/<model_alias>__<corpus_name>``; use ``corpus_name = "neutral"`` for the neutral texts.

    Characters outside ``[A-Za-z0-9._-]`` in either name (e.g. the ``/`` of a Hub id) become ``-``.
    """
    return Path(output_dir) / ACTIVATIONS_DIR / f"{_safe(model_alias)}__{_safe(corpus_name)}"


def layer_file(layer: int) -> str:
    """File name of block ``layer``'s pooled means."""
    return LAYER_FILE.format(layer)


class _ManifestView:
    """The row labels and layer list every store reads from its ``manifest``."""

    manifest: dict[str, Any]

    @property
    def layers(self) -> tuple[int, ...]:
        """Extracted block indices (0-based; layer L is the output of block L = ``hidden_states[L+1]``)."""
        return tuple(self.manifest["layers"])

    @property
    def story_ids(self) -> tuple[str, ...]:
        return tuple(self.manifest["story_ids"])

    @property
    def emotions(self) -> tuple[str | None, ...]:
        """Per-row emotion labels (``None`` for neutral texts), aligned with :attr:`story_ids`."""
        return tuple(self.manifest["emotions"])

    @property
    def d_model(self) -> int:
        return int(self.manifest["model"]["d_model"])


@dataclass(frozen=True)
class ActivationStore(_ManifestView):
    """A complete store, opened read-only. Build it with :func:`open_store`.

    Attributes:
        path: The store directory.
        manifest: The parsed ``manifest.json``.
        counts: int64 ``[n_stories]`` kept-token counts (read-only; 0 for skipped stories).
    """

    path: Path
    manifest: dict[str, Any]
    counts: np.ndarray

    def layer_means(self, layer: int) -> np.ndarray:
        """float32 ``[n_stories, d_model]`` pooled means of block ``layer``, memory-mapped read-only."""
        if layer not in self.layers:
            raise StoreError(
                f"{self.path}: layer {layer} was not extracted (available: {list(self.layers)})",
                fix="pick an extracted layer, or re-run extract with --layers including it and --force",
            )
        return np.load(self.path / layer_file(layer), mmap_mode="r")


def open_store(path: str | Path) -> ActivationStore:
    """Open a complete store; raises :class:`StoreError` (with a fix) if it is missing, unfinished or inconsistent."""
    path = Path(path)
    rerun = "run `emotion-vectors extract` for this model and corpus"
    if not path.is_dir():
        raise StoreError(f"no activation store at {path}", fix=rerun)
    manifest_path = path / MANIFEST_FILE
    if not manifest_path.is_file():
        if (path / SHARD_DIR).is_dir():
            raise StoreError(
                f"{path}: extraction is unfinished (no {MANIFEST_FILE})",
                fix="re-run the same extract command; it resumes from the completed shards",
            )
        raise StoreError(f"{path}: not an activation store (no {MANIFEST_FILE})", fix=rerun)
    manifest = _read_json(manifest_path)
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise StoreError(
            f"{path}: store schema version {manifest.get('schema_version')!r}, this version reads {SCHEMA_VERSION}",
            fix="re-extract with --force",
        )
    try:
        n_stories = len(manifest["story_ids"])
        d_model = int(manifest["model"]["d_model"])
        layers = [int(layer) for layer in manifest["layers"]]
        emotions = manifest["emotions"]
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"{path}: manifest lacks a required field ({exc})", fix="re-extract with --force") from None
    if len(emotions) != n_stories:
        raise StoreError(
            f"{path}: manifest has {len(emotions)} emotions for {n_stories} stories", fix="re-extract with --force"
        )
    verify_store(path, manifest)
    counts = _load_checked(path / COUNTS_FILE, (n_stories,), np.int64)
    for layer in layers:
        _load_checked(path / layer_file(layer), (n_stories, d_model), np.float32)
    counts = np.array(counts)
    counts.setflags(write=False)
    return ActivationStore(path=path, manifest=manifest, counts=counts)


def with_labels(opened: ActivationStore, corpus: Any) -> ActivationStore:
    """``opened`` with the emotion labels of ``corpus`` (a :class:`~emotion_vectors.corpus.schema.Corpus`).

    Raises :class:`StoreError` unless the store holds the corpus's stories: same ids in the same order and the
    same texts (fingerprint).
    """
    if list(opened.story_ids) != corpus.story_ids or opened.manifest["corpus"].get("fingerprint") != corpus.fingerprint:
        raise StoreError(
            f"{opened.path} was extracted from other stories than corpus {corpus.name!r} now holds "
            "(story ids, their order or their texts differ)",
            fix="re-extract it: emotion-vectors run --config <config> --force extract",
        )
    return dataclasses.replace(opened, manifest={**opened.manifest, "emotions": list(corpus.emotions)})


def verify_store(path: str | Path, manifest: dict[str, Any] | None = None) -> None:
    """Check every array file of the store at ``path`` against the sha256 its manifest records.

    Raises :class:`IntegrityError` naming the first file that is missing or differs, and :class:`StoreError`
    for a store written without checksums. Files whose size and modification time match their last verified
    hash are not rehashed.
    """
    path = Path(path)
    manifest = read_manifest(path) if manifest is None else manifest
    expected = manifest.get("sha256")
    if not isinstance(expected, dict) or not expected:
        raise StoreError(f"{path}: the manifest records no sha256 of its array files", fix=REBUILD_FIX)
    verify_files(path, expected, fix=REBUILD_FIX)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of the finished store at ``path`` (without reading its arrays); raises :class:`StoreError`."""
    manifest_path = Path(path) / MANIFEST_FILE
    if not manifest_path.is_file():
        raise StoreError(f"{path}: no {MANIFEST_FILE}", fix="run `emotion-vectors extract` for this model and corpus")
    return _read_json(manifest_path)


# ------------------------------------------------------------------------------------------------ writing


def prepare_store(
    path: str | Path, *, content_key: str, plan_key: str, force: bool = False
) -> Literal["complete", "resume", "fresh"]:
    """Make ``path`` ready to receive shards of the extraction identified by ``content_key``.

    Returns ``"complete"`` if a finished store with the same content key is already there (nothing to do),
    ``"resume"`` if an unfinished run with the same content key and plan left shards, ``"fresh"`` otherwise.
    Shards of a run with the same content key but another plan (batch budget, shard size, library versions)
    are discarded, because mixing them would break byte-identity. Raises :class:`StoreError` if the directory
    holds a store or a run made from other inputs, or files that are not a store; ``force`` first deletes the
    store files (and only those).
    """
    path = Path(path)
    if force:
        remove_store_files(path)
    refuse = "pass --force to overwrite it, or choose another --out directory"
    manifest_path = path / MANIFEST_FILE
    if manifest_path.exists():
        existing = _read_json(manifest_path).get("content_key")
        if existing == content_key:
            _remove_tree(path / SHARD_DIR)
            return "complete"
        raise StoreError(f"{path} holds a store made from other inputs (content key {existing})", fix=refuse)
    plan_path = path / SHARD_DIR / PLAN_FILE
    if plan_path.exists():
        plan = _read_json(plan_path)
        if plan.get("content_key") != content_key:
            raise StoreError(
                f"{path} holds an unfinished extraction of other inputs (content key {plan.get('content_key')})",
                fix=refuse,
            )
        if plan.get("plan_key") == plan_key:
            return "resume"
        _remove_tree(path / SHARD_DIR)
    elif not force and path.exists() and any(path.iterdir()):
        raise StoreError(f"{path} is not empty and is not an activation store", fix=refuse)
    (path / SHARD_DIR).mkdir(parents=True, exist_ok=True)
    _write_json(plan_path, {"content_key": content_key, "plan_key": plan_key})
    return "fresh"


def completed_shards(path: str | Path, plan_key: str) -> dict[int, dict[str, Any]]:
    """Metadata of the shards already written under ``path`` for ``plan_key``, by shard index."""
    shard_dir = Path(path) / SHARD_DIR
    done: dict[int, dict[str, Any]] = {}
    if not shard_dir.is_dir():
        return done
    for meta_path in sorted(shard_dir.glob("shard_*.json")):
        if TMP_MARK in meta_path.name:
            continue
        meta = _read_json(meta_path)
        index = int(meta["index"])
        if meta.get("plan_key") == plan_key and (shard_dir / SHARD_DATA_FILE.format(index)).is_file():
            done[index] = meta
    return done


def write_shard(
    path: str | Path,
    index: int,
    *,
    rows: np.ndarray,
    means: np.ndarray,
    counts: np.ndarray,
    stats: dict[str, Any],
    plan_key: str,
) -> None:
    """Persist one shard: ``means`` float32 ``[n_layers, n_rows, d_model]`` for story ``rows`` (``[n_rows]``).

    The data file is written first and the JSON (``rows``, ``counts``, ``stats``) last, so a shard counts as
    complete only when both are in place.
    """
    rows = np.asarray(rows, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    if means.dtype != np.float32 or means.ndim != 3 or means.shape[1] != rows.shape[0] or counts.shape != rows.shape:
        raise ValueError(f"shard {index}: means {means.shape} {means.dtype} do not match rows {rows.shape}")
    shard_dir = Path(path) / SHARD_DIR
    atomic_write(shard_dir / SHARD_DATA_FILE.format(index), lambda handle: np.save(handle, means))
    meta = {"index": index, "plan_key": plan_key, "rows": rows.tolist(), "counts": counts.tolist(), "stats": stats}
    _write_json(shard_dir / SHARD_META_FILE.format(index), meta)


def finalize_store(
    path: str | Path,
    *,
    n_stories: int,
    layers: Sequence[int],
    d_model: int,
    shard_indices: Sequence[int],
    manifest: dict[str, Any],
) -> Path:
    """Assemble the shards into ``layer_XX.npy`` and ``counts.npy``, write ``manifest.json`` last, drop the shards.

    Rows no shard covers (skipped stories) are NaN with count 0. Deterministic: the same shards give
    byte-identical array files.
    """
    path = Path(path)
    shard_dir = path / SHARD_DIR
    metas = [_read_json(shard_dir / SHARD_META_FILE.format(i)) for i in shard_indices]
    counts = np.zeros(n_stories, dtype=np.int64)
    hashes: dict[str, str] = {}
    for meta in metas:
        counts[np.asarray(meta["rows"], dtype=np.int64)] = np.asarray(meta["counts"], dtype=np.int64)
    for k, layer in enumerate(layers):
        means = np.full((n_stories, d_model), np.nan, dtype=np.float32)
        for i, meta in zip(shard_indices, metas, strict=True):
            shard = np.load(shard_dir / SHARD_DATA_FILE.format(i), mmap_mode="r")
            means[np.asarray(meta["rows"], dtype=np.int64)] = shard[k]
        hashes[layer_file(layer)] = save_hashed(path / layer_file(layer), means)
    hashes[COUNTS_FILE] = save_hashed(path / COUNTS_FILE, counts)
    remember(path, hashes)
    _write_json(path / MANIFEST_FILE, {**manifest, "sha256": hashes, "schema_version": SCHEMA_VERSION})
    _remove_tree(shard_dir)
    return path


def remove_store_files(path: str | Path) -> None:
    """Delete the store's own files (layer arrays, counts, manifest, shards, temporaries) and nothing else."""
    path = Path(path)
    if not path.is_dir():
        return
    _remove_tree(path / SHARD_DIR)
    for child in path.iterdir():
        name = child.name
        is_ours = name in (COUNTS_FILE, MANIFEST_FILE, VERIFIED_FILE) or _LAYER_PATTERN.match(name) or TMP_MARK in name
        if is_ours and child.is_file():
            child.unlink()


# ---------------------------------------------------------------------------------------------- internals


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "unnamed"


def _write_json(target: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write(target, lambda handle: handle.write(text.encode("utf-8")))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: unreadable ({exc})", fix="re-extract with --force") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path}: expected a JSON object", fix="re-extract with --force")
    return data


def _load_checked(path: Path, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    if not path.is_file():
        raise StoreError(f"{path.parent}: {path.name} is missing", fix="re-extract with --force")
    try:
        array = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable ({exc})", fix="re-extract with --force") from None
    if array.shape != shape or array.dtype != np.dtype(dtype):
        raise StoreError(
            f"{path}: shape {array.shape} {array.dtype}, the manifest implies {shape} {np.dtype(dtype)}",
            fix="re-extract with --force",
        )
    return array


def _remove_tree(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)


__all__ = [
    "ACTIVATIONS_DIR",
    "COUNTS_FILE",
    "LAYER_FILE",
    "MANIFEST_FILE",
    "NEUTRAL_CORPUS",
    "SCHEMA_VERSION",
    "ActivationStore",
    "completed_shards",
    "finalize_store",
    "layer_file",
    "open_store",
    "prepare_store",
    "read_manifest",
    "remove_store_files",
    "store_dir",
    "verify_store",
    "with_labels",
    "write_shard",
]


@dataclass(frozen=True)
class MemoryStore(_ManifestView):
    """An in-memory activation store with the reader API of :class:`ActivationStore`.

    For analysing arrays that never touched the disk (benchmarks, notebooks, tests). ``means`` maps each block
    index to a ``[n_stories, d_model]`` float array; ``counts`` is ``[n_stories]``; ``manifest`` needs at least
    ``model``, ``corpus``, ``layers``, ``story_ids`` and ``emotions``.
    """

    manifest: dict[str, Any]
    counts: np.ndarray
    means: dict[int, np.ndarray] = field(repr=False)

    def layer_means(self, layer: int) -> np.ndarray:
        view = self.means[layer].view()
        view.setflags(write=False)
        return view
