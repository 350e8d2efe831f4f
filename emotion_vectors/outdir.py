"""An output folder's housekeeping: one run at a time (an advisory lock), leftovers removed, room to write.

:func:`output_lock` holds an exclusive ``fcntl.flock`` on ``<folder>/.lock`` for a whole run and writes the
holder's pid, host and start time into it; a second run into the same folder fails at once with
:class:`~emotion_vectors.errors.BusyError` naming that pid. The kernel drops the lock when its process dies
(even under ``kill -9``), so the lock of a dead run is simply taken over; the next holder notes the dead pid.
:func:`remove_leftovers` deletes what only a killed run leaves behind (temporary files, report staging
folders); resumable extraction shards are kept. :func:`check_writable` and :func:`check_free_space` turn a
folder that cannot take the run's outputs into an error before any work is done.
"""

from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import logging
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from emotion_vectors.errors import BusyError, ConfigError
from emotion_vectors.fileio import TMP_MARK

log = logging.getLogger(__name__)

LOCK_FILE = ".lock"
_STAGING_GLOBS = (".generated-*", "generated.old")


@contextmanager
def output_lock(folder: str | Path) -> Iterator[Path]:
    """Hold the exclusive lock of ``folder`` (created if absent) for the block; yields the lock file's path.

    Raises :class:`BusyError` naming the holder's pid if another process holds it.
    """
    folder = ensure_folder(folder)
    path = folder / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the lock file {path}: {exc.strerror}", fix="choose an --out folder you can write to"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = _read_holder(fd)
            raise BusyError(
                f"output folder {folder} is in use by another run ({holder})",
                fix="wait for that run to finish, or pass another --out folder",
            ) from None
        previous = _read_holder(fd)
        if previous and not _alive(previous):
            log.info("taking over the lock of %s left by a process that no longer runs (%s)", folder, previous)
        os.ftruncate(fd, 0)
        stamp = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        os.pwrite(fd, f"pid={os.getpid()} host={socket.gethostname()} started={stamp}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def ensure_folder(folder: str | Path) -> Path:
    """Create ``folder`` (and parents); an existing file in the way or a refused write is a :class:`ConfigError`."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ConfigError(
            f"output folder {folder} is a file (or lies under one)", fix="pass an --out path that is a folder"
        ) from None
    except PermissionError:
        raise ConfigError(
            f"cannot create the output folder {folder}: permission denied",
            fix="choose an --out folder you can write to",
        ) from None
    return folder


def check_writable(folder: str | Path) -> None:
    """Raise :class:`ConfigError` unless a file can be created (and removed) in ``folder``."""
    folder = ensure_folder(folder)
    probe = folder / f".write-probe{TMP_MARK}{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"output folder {folder} is not writable ({exc.strerror})", fix="choose an --out folder you can write to"
        ) from None


def check_free_space(folder: str | Path, needed_bytes: int, what: str) -> None:
    """Raise :class:`ConfigError` if the file system of ``folder`` has less than ``needed_bytes`` free."""
    free = shutil.disk_usage(ensure_folder(folder)).free
    if free < needed_bytes:
        raise ConfigError(
            f"{what} needs about {_size(needed_bytes)} in {folder}, but only {_size(free)} is free",
            fix="free some disk space, or pass an --out folder on a larger disk",
        )


def remove_leftovers(folder: str | Path) -> list[Path]:
    """Delete temporary files and report staging folders that a killed run left under ``folder``; returns them.

    Call only while holding :func:`output_lock`: then no other run is writing there. Resumable shards
    (``.shards/``) are not leftovers and stay.
    """
    folder = Path(folder)
    removed = []
    for pattern in _STAGING_GLOBS:
        for path in folder.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    for path in folder.rglob(f"*{TMP_MARK}*"):
        if path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        log.info("removed %d leftover(s) of an interrupted run under %s", len(removed), folder)
    return removed


def _read_holder(fd: int) -> str:
    return os.pread(fd, 512, 0).decode("utf-8", "replace").strip()


def _alive(holder: str) -> bool:
    try:
        pid = int(holder.split()[0].removeprefix("pid="))
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _size(n_bytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n_bytes < 1024:
            return f"{n_bytes:.0f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.1f} TiB"
