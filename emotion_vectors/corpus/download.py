"""Pinned downloads: fetch a URL once, verify its SHA-256, keep it in a local cache.

The cache directory is ``$EMOTION_VECTORS_CACHE`` when set, else ``~/.cache/emotion-vectors``. A cached file
is named after its expected checksum, so a changed pin never reuses a stale file; it is re-verified on every
use and written atomically (temporary sibling, fsync, ``os.replace``), so an interrupted download leaves
nothing behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from emotion_vectors.errors import DataError, OfflineError
from emotion_vectors.fileio import atomic_write_bytes

CACHE_ENV = "EMOTION_VECTORS_CACHE"
DOWNLOADS = "downloads"

logger = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``$EMOTION_VECTORS_CACHE`` if set, else ``~/.cache/emotion-vectors`` (not created here)."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "emotion-vectors"


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cached_path(url: str, sha256: str, cache_dir: str | Path | None = None) -> Path:
    """Where :func:`fetch_pinned` keeps the file of ``url`` with checksum ``sha256``."""
    name = Path(urllib.parse.urlparse(url).path).name or "download"
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return root / DOWNLOADS / f"{sha256.lower()[:16]}-{name}"


def fetch_pinned(url: str, sha256: str, *, cache_dir: str | Path | None = None, timeout: float = 60.0) -> Path:
    """The local path of ``url``'s content, downloaded once and verified against ``sha256``.

    Raises:
        DataError: the downloaded bytes do not match ``sha256`` (nothing is cached), or the URL does not exist.
        OfflineError: the URL cannot be reached; the message says where to put a manually downloaded copy.
    """
    expected = sha256.lower()
    target = cached_path(url, expected, cache_dir)
    if target.exists():
        actual = sha256_file(target)
        if actual == expected:
            return target
        logger.warning("cached %s has sha256 %s, expected %s; downloading it again", target, actual, expected)
    data = _download(url, target, timeout)
    actual = sha256_bytes(data)
    if actual != expected:
        raise DataError(
            f"{url}: sha256 mismatch (expected {expected}, got {actual}); nothing was cached",
            fix="the file at that URL is not the pinned one: check url and sha256 in the config's [neutral] "
            "table, or place the right file at " + str(target),
        )
    atomic_write_bytes(target, data)
    logger.info("downloaded %s to %s", url, target)
    return target


def _download(url: str, target: Path, timeout: float) -> bytes:
    scheme = urllib.parse.urlparse(url).scheme
    manual = (
        f"download {url} on a machine with network access and save it as {target} "
        "(or set [neutral] source = 'local' with path = that file and the same sha256)"
    )
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the URL is pinned in the config
            return response.read()
    except urllib.error.HTTPError as exc:
        raise DataError(f"{url}: HTTP {exc.code} {exc.reason}", fix="check the url in the config") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if scheme == "file":
            raise DataError(f"{url}: cannot read ({reason})", fix="check the path in the file:// URL") from None
        raise OfflineError(f"cannot download {url}: {reason} (offline?)", fix=manual) from None
