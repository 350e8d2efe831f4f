"""What this machine has: CUDA GPUs and their free memory, free disk, the Hugging Face Hub, a token, TeX.

Each probe is quick and never hangs on the network: a probe that needs it runs in a worker thread that is
abandoned after ``timeout`` seconds (a DNS lookup is not covered by a socket timeout). Nothing here raises for
a missing resource; a probe returns what it found and why.

Two environment variables replace detection, for machines where it is wrong and for scripted checks:
``EMOTION_VECTORS_ASSUME_GPU`` and ``EMOTION_VECTORS_ASSUME_HUB`` (``1`` = present, ``0`` = absent). An assumed
GPU has no name or memory; it only tells tier selection that one is there.
"""

from __future__ import annotations

import os
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ASSUME_GPU_ENV = "EMOTION_VECTORS_ASSUME_GPU"
ASSUME_HUB_ENV = "EMOTION_VECTORS_ASSUME_HUB"
HUB_TIMEOUT_S = 3.0
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")

T = TypeVar("T")


@dataclass(frozen=True)
class Gpu:
    """One CUDA device. ``free_bytes``/``total_bytes`` are ``None`` when only assumed (not measured)."""

    index: int
    name: str
    free_bytes: int | None
    total_bytes: int | None


@dataclass(frozen=True)
class HubStatus:
    """Whether the Hugging Face Hub answered, at which endpoint, and why not when it did not."""

    reachable: bool
    endpoint: str
    detail: str


def assumed(env: str) -> bool | None:
    """The value of an ``EMOTION_VECTORS_ASSUME_*`` variable: ``True``, ``False``, or ``None`` when unset."""
    value = os.environ.get(env)
    if value is None:
        return None
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def cuda_gpus() -> list[Gpu]:
    """The CUDA devices torch can use, with their free and total memory (bytes); empty without any.

    Without an NVIDIA driver on the machine (no ``nvidia-smi``, no ``/proc/driver/nvidia``) torch is not even
    imported, so a CPU-only machine answers at once.
    """
    forced = assumed(ASSUME_GPU_ENV)
    if forced is not None:
        return [Gpu(0, "assumed by " + ASSUME_GPU_ENV, None, None)] if forced else []
    if shutil.which("nvidia-smi") is None and not Path("/proc/driver/nvidia").exists():
        return []
    try:
        import torch

        if not torch.cuda.is_available():
            return []
        found = []
        for index in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(index)
            found.append(Gpu(index, torch.cuda.get_device_name(index), int(free), int(total)))
        return found
    except Exception:  # noqa: BLE001 - a broken CUDA setup means no usable GPU, which is what we report
        return []


def hub_endpoint() -> str:
    """The Hub endpoint ``huggingface_hub`` uses (``$HF_ENDPOINT`` or https://huggingface.co)."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_offline_by_env() -> bool:
    """True when ``HF_HUB_OFFLINE`` is set to a true value (``huggingface_hub`` then refuses every call)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def hub_status(timeout: float = HUB_TIMEOUT_S) -> HubStatus:
    """Whether the Hub answers an HTTP request within ``timeout`` seconds (any HTTP status counts as an answer)."""
    endpoint = hub_endpoint()
    forced = assumed(ASSUME_HUB_ENV)
    if forced is not None:
        return HubStatus(forced, endpoint, f"assumed by {ASSUME_HUB_ENV}")
    if hub_offline_by_env():
        return HubStatus(False, endpoint, "HF_HUB_OFFLINE is set")

    why = unreachable_reason(endpoint, timeout)
    return HubStatus(why is None, endpoint, why or "answered")


def unreachable_reason(url: str, timeout: float = HUB_TIMEOUT_S) -> str | None:
    """``None`` when ``url``'s server answers an HTTP HEAD within ``timeout`` seconds (any status), else why not.

    With ``HF_HUB_OFFLINE`` set the machine is declared offline and nothing is probed.
    """
    if hub_offline_by_env():
        return "HF_HUB_OFFLINE is set: not probed"

    def probe() -> str:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
                return ""
        except urllib.error.HTTPError:
            return ""  # the server answered
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return str(getattr(exc, "reason", exc))

    outcome = with_deadline(probe, timeout + 0.5)
    if outcome is None:
        return f"no answer within {timeout:.0f} s"
    return outcome or None


def available_memory_bytes() -> int | None:
    """``MemAvailable`` from ``/proc/meminfo`` (bytes), or ``None`` where there is no such file."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def hf_token_present() -> bool:
    """Whether a Hugging Face token is configured (``HF_TOKEN`` or a stored login). The token is never read out."""
    if os.environ.get("HF_TOKEN"):
        return True
    try:
        from huggingface_hub import get_token

        return get_token() is not None
    except Exception:  # noqa: BLE001 - an unreadable token file counts as no token
        return False


def free_disk_bytes(path: str | Path) -> int:
    """Free bytes on the filesystem that holds ``path`` (or its nearest existing parent)."""
    return shutil.disk_usage(nearest_existing(path)).free


def filesystem_of(path: str | Path) -> int:
    """The device id of the filesystem that holds ``path`` (or its nearest existing parent)."""
    return nearest_existing(path).stat().st_dev


def nearest_existing(path: str | Path) -> Path:
    """``path`` itself when it exists, else its nearest existing parent (a folder a run would create)."""
    probe = Path(path).expanduser().resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def hf_cache_dir() -> Path:
    """Where ``huggingface_hub`` keeps downloads (``$HF_HUB_CACHE``, ``$HF_HOME/hub``, or the default)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or str(Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "huggingface")
    return Path(home).expanduser() / "hub"


def with_deadline(fn: Callable[[], T], seconds: float) -> T | None:
    """``fn()`` run in a daemon thread; ``None`` when it has not returned after ``seconds`` (it is abandoned)."""
    box: list[T] = []
    worker = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    worker.start()
    worker.join(seconds)
    return box[0] if box else None


__all__ = [
    "ASSUME_GPU_ENV",
    "ASSUME_HUB_ENV",
    "Gpu",
    "HubStatus",
    "cuda_gpus",
    "free_disk_bytes",
    "hf_cache_dir",
    "hf_token_present",
    "hub_status",
    "unreachable_reason",
    "available_memory_bytes",
    "with_deadline",
]
