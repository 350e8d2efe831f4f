"""Atomic file writes: a file is either its old self or its complete new self, never half-written.

Every writer in the package goes through :func:`atomic_write`: the bytes go to a temporary sibling (same
directory, so the final ``os.replace`` is a rename on one file system), are flushed and fsynced, then renamed
into place; on any error the temporary file is removed and the target is untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

TMP_MARK = ".tmp-"  # every temporary file's name contains this, so cleaners can recognise leftovers


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Create or replace ``path`` with what ``write(handle)`` writes to a binary handle; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}{TMP_MARK}", suffix=f".{os.getpid()}")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Create or replace ``path`` with ``data``."""
    return atomic_write(path, lambda handle: handle.write(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Create or replace ``path`` with ``text`` encoded as UTF-8."""
    return atomic_write_bytes(path, text.encode("utf-8"))
