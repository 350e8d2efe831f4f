"""What the preflight observes about this machine: the facts (:class:`MachineState`) and the probes that gather them.

:func:`observe` probes only what the config needs (a CPU config never imports torch for the GPU probe, an offline
config never touches the network), each probe under a short timeout. A token is reported as present or absent,
never read out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from emotion_vectors.config import ExperimentConfig
from emotion_vectors.machine import Gpu, HubStatus
from emotion_vectors.preflight.needs import hub_repositories


@dataclass(frozen=True)
class RepoAccess:
    """What the Hub said about one repository (all ``None`` when it was not asked)."""

    found: bool | None = None
    gated: str | None = None  # "no", "auto", "manual"
    allowed: bool | None = None
    detail: str = ""


@dataclass(frozen=True)
class MachineState:
    """The facts :func:`evaluate` needs; built by :func:`observe` or planted by a test.

    Attributes:
        gpus: Usable CUDA devices (empty when none, or when the config needs none and they were not probed).
        ram_bytes: Available RAM, or ``None`` where unknown.
        hub: Hub reachability (``None`` when the config needs no Hub and it was not probed).
        token: Whether a Hugging Face token is configured.
        access: What the Hub said about each repository the config needs, by repository id.
        cached: Repository ids and URLs already in the local caches.
        disk_free: Free bytes by role (``"downloads"``: the Hugging Face cache; ``"outputs"``).
        same_disk: Whether both roles live on one filesystem.
        url_unreachable: Why each pinned URL that is not cached cannot be reached (absent: reachable).
        tex_missing: TeX programs the PDF needs that are missing.
    """

    gpus: tuple[Gpu, ...] = ()
    ram_bytes: int | None = None
    hub: HubStatus | None = None
    token: bool = False
    access: dict[str, RepoAccess] = field(default_factory=dict)
    cached: frozenset[str] = frozenset()
    disk_free: dict[str, int] = field(default_factory=dict)
    same_disk: bool = True
    url_unreachable: dict[str, str] = field(default_factory=dict)
    tex_missing: tuple[str, ...] = ()


def observe(config: ExperimentConfig, output_dir: str | Path, *, timeout: float = 3.0) -> MachineState:
    """Probe what ``config`` needs of this machine, and nothing else; never longer than a few timeouts."""
    from emotion_vectors.machine import (
        available_memory_bytes,
        cuda_gpus,
        filesystem_of,
        free_disk_bytes,
        hf_cache_dir,
        hf_token_present,
        hub_status,
        unreachable_reason,
    )
    from emotion_vectors.tex import missing_tex

    repos = hub_repositories(config)
    gpus = tuple(cuda_gpus()) if any(m.device == "cuda" for m in config.models) else ()
    hub = hub_status(timeout) if repos else None
    cached = set(locally_cached(config))
    unreachable: dict[str, str] = {}
    url = config.neutral.url or ""
    if config.neutral.source == "url" and url not in cached:
        why = unreachable_reason(url, timeout)
        if why is not None:
            unreachable[url] = why
    access = {}
    token = hf_token_present() if repos else False
    if hub is not None and hub.reachable:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(repos)) as pool:  # each answer is bounded by its own deadline
            answers = list(pool.map(lambda r: _repo_access(r[0], r[1], timeout), repos))
        access = {repo: answer for (_, repo), answer in zip(repos, answers, strict=True)}
    out, cache = Path(output_dir), hf_cache_dir()
    disk = {"downloads": free_disk_bytes(cache), "outputs": free_disk_bytes(out)}
    return MachineState(
        gpus=gpus,
        ram_bytes=available_memory_bytes(),
        hub=hub,
        token=token,
        access=access,
        cached=frozenset(cached),
        disk_free=disk,
        same_disk=filesystem_of(cache) == filesystem_of(out),
        url_unreachable=unreachable,
        tex_missing=tuple(missing_tex()),
    )


def locally_cached(config: ExperimentConfig) -> frozenset[str]:
    """The Hub repositories and pinned URLs of ``config`` already in the local caches (no network)."""
    from emotion_vectors.corpus.download import cached_path
    from emotion_vectors.machine import hf_cache_dir

    cache = hf_cache_dir()
    cached = {repo for repo_type, repo in hub_repositories(config) if _in_hf_cache(cache, repo_type, repo)}
    neutral = config.neutral
    if neutral.source == "url" and cached_path(neutral.url or "", neutral.sha256 or "").exists():
        cached.add(neutral.url or "")
    return frozenset(cached)


def _in_hf_cache(cache: Path, repo_type: str, repo: str) -> bool:
    """Whether the Hugging Face cache holds a snapshot of ``repo`` (weights for a model, any file for a dataset)."""
    folder = cache / f"{repo_type}s--{repo.replace('/', '--')}" / "snapshots"
    if not folder.is_dir():
        return False
    pattern = "*/*.safetensors" if repo_type == "model" else "*/**/*"
    return any(folder.glob(pattern))


def _repo_access(repo_type: str, repo: str, timeout: float) -> RepoAccess:
    """Ask the Hub whether ``repo`` exists, whether it is gated, and whether this machine's token may read it."""
    from emotion_vectors.machine import with_deadline

    def ask() -> RepoAccess:
        from huggingface_hub import HfApi, auth_check
        from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

        api = HfApi()
        try:
            info = (api.model_info if repo_type == "model" else api.dataset_info)(repo, timeout=timeout)
        except RepositoryNotFoundError:
            return RepoAccess(found=False, detail="not found, or private without access")
        except Exception as exc:  # noqa: BLE001 - any failure leaves access unknown, reported as a note
            return RepoAccess(detail=_short_error(exc))
        gated = str(getattr(info, "gated", False) or "no").lower()
        gated = "no" if gated == "false" else gated
        if gated == "no":
            return RepoAccess(found=True, gated="no", allowed=True)
        try:
            auth_check(repo, repo_type=repo_type)
            return RepoAccess(found=True, gated=gated, allowed=True)
        except GatedRepoError:
            return RepoAccess(found=True, gated=gated, allowed=False)
        except Exception as exc:  # noqa: BLE001
            return RepoAccess(found=True, gated=gated, detail=_short_error(exc))

    answer = with_deadline(ask, 2 * timeout + 0.5)
    return answer if answer is not None else RepoAccess(detail=f"no answer within {2 * timeout:.0f} s")


def _short_error(exc: BaseException) -> str:
    # first line only, with anything token-like removed
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return re.sub(r"hf_[A-Za-z0-9]{8,}", "hf_***", text)[:160]
