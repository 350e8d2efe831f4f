"""Checksums of array files: sha256 taken while writing, verified before reading, rehashed only when touched.

A writer saves arrays with :func:`save_hashed` and records the digests (the activation store keeps them in its
manifest); a reader calls :func:`verify_files` with them. To keep verification cheap it also keeps
``.verified.json`` beside the files: the size, modification time (ns) and digest of each file when it was last
hashed. A file whose size and modification time still match is not rehashed; writing into a file (even
without changing its size) changes its modification time, so it is rehashed and a changed byte is caught.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from emotion_vectors.errors import IntegrityError
from emotion_vectors.fileio import atomic_write, atomic_write_text

VERIFIED_FILE = ".verified.json"


def verify_files(folder: Path, expected: dict[str, str], fix: str) -> None:
    """Raise :class:`IntegrityError` (naming the file, with ``fix``) unless each ``folder/name`` hashes to
    ``expected[name]``."""
    seen = _remembered(folder)
    fresh: dict[str, str] = {}
    for name, digest in sorted(expected.items()):
        file = folder / name
        try:
            stat = file.stat()
        except FileNotFoundError:
            raise IntegrityError(f"{folder}: {name} is missing", fix=fix, path=str(file)) from None
        if seen.get(name) == [stat.st_size, stat.st_mtime_ns, digest]:
            continue
        actual = sha256_file(file)
        if actual != digest:
            raise IntegrityError(
                f"{file}: sha256 {actual[:16]}... differs from the {digest[:16]}... recorded when it was written "
                "(the file changed afterwards)",
                fix=fix,
                path=str(file),
            )
        fresh[name] = digest
    if fresh:
        remember(folder, fresh, seen)


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class _HashingWriter:
    """A binary file handle that hashes what passes through it."""

    def __init__(self, handle: Any) -> None:
        self.handle, self.digest = handle, hashlib.sha256()

    def write(self, data: Any) -> int:
        self.digest.update(data)
        return self.handle.write(data)


def save_hashed(target: Path, array: np.ndarray) -> str:
    """``np.save`` ``array`` to ``target`` atomically; returns the sha256 of the bytes written."""
    writer: list[_HashingWriter] = []

    def write(handle: Any) -> None:
        writer.append(_HashingWriter(handle))
        np.save(writer[0], array)

    atomic_write(target, write)
    return writer[0].digest.hexdigest()


def _remembered(path: Path) -> dict[str, Any]:
    try:
        data = json.loads((path / VERIFIED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remember(path: Path, hashes: dict[str, str], seen: dict[str, Any] | None = None) -> None:
    """Record (size, mtime, sha256) of freshly hashed files; a read-only store simply is not cached."""
    entries = dict(seen or {})
    for name, digest in hashes.items():
        stat = (path / name).stat()
        entries[name] = [stat.st_size, stat.st_mtime_ns, digest]
    with contextlib.suppress(OSError):
        atomic_write_text(path / VERIFIED_FILE, json.dumps(entries, indent=1, sort_keys=True) + "\n")
