"""Preflight: what a run needs against what this machine has, checked before anything is downloaded.

Two halves. :func:`observe` probes the machine (GPU and free memory, RAM, free disk, the Hub and access to each
repository, the local caches, TeX) with short timeouts, and only what the config needs: a CPU config never
imports torch for the GPU probe, an offline config never touches the network. :func:`evaluate` is pure: from
the config and a :class:`MachineState` it derives, per model x corpus, the memory, disk and time the run needs
(:mod:`emotion_vectors.estimates`) and turns every shortfall into a blocker with a fix. Tests plant machine
states; the CLI (``emotion-vectors preflight``) prints the report and exits non-zero on a blocker.

A token is reported as present or absent, never read out.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from emotion_vectors import estimates as est
from emotion_vectors.config import CorpusConfig, ExperimentConfig, ModelConfig
from emotion_vectors.machine import Gpu, HubStatus
from emotion_vectors.registry import MODELS

Status = Literal["ok", "note", "blocker"]
PACKAGE_PREFIX = "package:"
CORPUS_DOWNLOAD_BYTES = 3_000_000  # a published corpus is about 1,539 x 150 words; Parquet or JSONL, a few MB
NEUTRAL_WORDS = 94 * 40  # the authors' 40 neutral paragraphs (data/published_corpora.json)
_OFFLINE_TIER = "./reproduce.sh --profile demo (offline, the bundled corpus)"
_CPU_TIER = "./reproduce.sh --profile corpus-cpu (the published corpora read by a small encoder on the CPU)"


@dataclass(frozen=True)
class Check:
    """One line of the preflight: ``status`` ``ok``, ``note`` (worth knowing) or ``blocker`` (the run would fail)."""

    topic: str
    subject: str
    status: Status
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class RunNeed:
    """What one extraction (model x corpus, or model x the neutral texts) needs.

    ``tokens_measured`` is False when the corpus was not at hand and its size is the published design.
    ``store_bytes`` and ``seconds`` are ``None`` for a model the registry does not describe.
    """

    model: str
    corpus: str
    device: str
    dtype: str
    n_stories: int
    tokens: int
    tokens_measured: bool
    store_bytes: int | None
    seconds: float | None


@dataclass(frozen=True)
class Download:
    """Something the run fetches: model weights, a Hub corpus or the pinned neutral texts."""

    kind: Literal["weights", "corpus", "neutral"]
    name: str
    source: str
    bytes: int | None
    cached: bool


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


@dataclass(frozen=True)
class PreflightReport:
    """The whole preflight: checks, per-run needs, downloads and the estimated time of each stage."""

    profile: str
    description: str
    checks: tuple[Check, ...]
    needs: tuple[RunNeed, ...]
    downloads: tuple[Download, ...]
    stage_seconds: tuple[tuple[str, float], ...]

    @property
    def blockers(self) -> tuple[Check, ...]:
        """The checks that would make the run fail."""
        return tuple(c for c in self.checks if c.status == "blocker")

    @property
    def ok(self) -> bool:
        """True when nothing blocks the run."""
        return not self.blockers

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``--json``)."""
        return {**dataclasses.asdict(self), "ok": self.ok, "n_blockers": len(self.blockers)}

    def format(self) -> str:
        """The human-readable report (what ``emotion-vectors preflight`` prints)."""
        lines = [f"preflight: profile {self.profile} ({self.description})"]
        lines.append("runs (model x corpus):")
        for need in self.needs:
            basis = "" if need.tokens_measured else " (published design)"
            time = est.human_seconds(need.seconds) if need.seconds is not None else "unknown"
            lines.append(
                f"  {need.model} x {need.corpus}: {need.n_stories} stories{basis}, ~{need.tokens:,} tokens, "
                f"store {est.human_bytes(need.store_bytes)}, extraction ~{time} on {need.device} {need.dtype}"
            )
        if self.downloads:
            lines.append("downloads:")
            for item in self.downloads:
                state = "cached" if item.cached else f"to download, {est.human_bytes(item.bytes)}"
                lines.append(f"  {item.kind:<8} {item.name}: {item.source} ({state})")
        lines.append("checks:")
        for check in self.checks:
            subject = f" {check.subject}" if check.subject else ""
            lines.append(f"  {check.status.upper():<7} {check.topic}{subject}: {check.detail}")
            if check.fix and check.status != "ok":
                lines.append(f"          fix: {check.fix}")
        total = sum(seconds for _, seconds in self.stage_seconds)
        stages = ", ".join(f"{name} ~{est.human_seconds(s)}" for name, s in self.stage_seconds)
        lines.append(f"estimated time per stage (from measured throughput; see estimates.py): {stages}")
        lines.append(f"estimated total: ~{est.human_seconds(total)}")
        if self.blockers:
            lines.append(f"{len(self.blockers)} blocker(s): fix them before running")
        else:
            lines.append("nothing blocks this run")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- what is needed


def hub_model_id(model: ModelConfig) -> str | None:
    """The Hub repository a model is downloaded from, or ``None`` (shipped in a package, or a local path)."""
    entry = MODELS.get(model.alias)
    hub_id = entry.hub_id if entry is not None else model.alias
    if hub_id.startswith(PACKAGE_PREFIX) or Path(hub_id).expanduser().exists() or hub_id.startswith("."):
        return None
    return hub_id


def hub_corpus_id(corpus: CorpusConfig) -> str | None:
    """The Hub dataset a corpus is downloaded from, or ``None`` (bundled, a local file or a local directory)."""
    if corpus.source != "hub" or not corpus.dataset_id or Path(corpus.dataset_id).expanduser().is_dir():
        return None
    return corpus.dataset_id


def hub_repositories(config: ExperimentConfig) -> list[tuple[str, str]]:
    """``(repo_type, repo_id)`` of every Hub repository the config downloads from, models first."""
    repos = [("model", r) for r in (hub_model_id(m) for m in config.models) if r]
    repos += [("dataset", r) for r in (hub_corpus_id(c) for c in config.corpora) if r]
    return list(dict.fromkeys(repos))


def corpus_sizes(config: ExperimentConfig) -> dict[str, est.CorpusSize]:
    """Stories and tokens of every corpus (and ``neutral``): counted where the texts are local or cached,
    else the published design. Reads no network (:func:`emotion_vectors.dryrun.known_corpus`)."""
    from emotion_vectors.dryrun import known_corpus
    from emotion_vectors.store import NEUTRAL_CORPUS

    names = [c.name for c in config.corpora] + [NEUTRAL_CORPUS]
    return {name: known_corpus(config, name).size for name in names}


def run_needs(config: ExperimentConfig, sizes: dict[str, est.CorpusSize]) -> list[RunNeed]:
    """One :class:`RunNeed` per model x corpus (and model x neutral texts when the projection needs them)."""
    from emotion_vectors.config import resolve_layers
    from emotion_vectors.store import NEUTRAL_CORPUS

    names = [c.name for c in config.corpora]
    if config.analysis.projection == "neutral":
        names.append(NEUTRAL_CORPUS)
    needs = []
    for model in config.models:
        entry = MODELS.get(model.alias)
        dtype = est.resolve_dtype(model.dtype, model.device)
        for name in names:
            size = sizes[name]
            store = seconds = None
            if entry is not None:
                n_layers = len(resolve_layers(model.layers, entry.n_blocks, entry.paper_layers))
                store = est.store_bytes(size.n_stories, n_layers, entry.d_model)
                seconds = est.extraction_seconds(size.tokens, entry.n_blocks, entry.d_model, model.device, dtype)
            needs.append(
                RunNeed(
                    model.alias, name, model.device, dtype, size.n_stories, size.tokens, size.measured, store, seconds
                )
            )
    return needs


def downloads(config: ExperimentConfig, cached: frozenset[str]) -> list[Download]:
    """Everything the run fetches, with its size where known and whether the local cache already has it."""
    items = []
    for model in config.models:
        repo = hub_model_id(model)
        if repo is None:
            continue
        entry = MODELS.get(model.alias)
        size = entry.n_params * est.HUB_CHECKPOINT_BYTES if entry is not None and entry.n_params else None
        items.append(Download("weights", model.alias, repo, size, repo in cached))
    for corpus in config.corpora:
        repo = hub_corpus_id(corpus)
        if repo is not None:
            items.append(Download("corpus", corpus.name, repo, CORPUS_DOWNLOAD_BYTES, repo in cached))
    if config.neutral.source == "url":
        url = config.neutral.url or ""
        items.append(Download("neutral", "neutral", url, NEUTRAL_WORDS * 7, url in cached))
    return items


def stage_seconds(config: ExperimentConfig, needs: list[RunNeed]) -> list[tuple[str, float]]:
    """Estimated wall seconds of every stage, in pipeline order (unknown extraction times count as zero)."""
    from emotion_vectors.config import resolve_layers

    stages = [("corpus", 5.0)]
    stages += [(f"extract.{n.model}.{n.corpus}", n.seconds or 0.0) for n in needs]
    analysis = 0.0
    schemes = len(config.analysis.bootstrap_schemes)
    for model in config.models:
        entry = MODELS.get(model.alias)
        if entry is None:
            continue
        layers = resolve_layers(model.layers, entry.n_blocks, entry.paper_layers)
        for _ in config.corpora:
            analysis += est.analysis_seconds(config.analysis.bootstrap_resamples, len(layers), entry.d_model, schemes)
    stages.append(("analyze", analysis))
    stages += list(est.DOWNSTREAM_SECONDS.items())
    return stages


# ---------------------------------------------------------------------------------------------- evaluation


def evaluate(config: ExperimentConfig, state: MachineState, sizes: dict[str, est.CorpusSize]) -> PreflightReport:
    """The preflight report of ``config`` on a machine in ``state`` (pure)."""
    needs = run_needs(config, sizes)
    items = downloads(config, state.cached)
    checks: list[Check] = []
    for model in config.models:
        checks.append(_memory_check(config, model, state))
    checks += _hub_checks(config, state)
    checks += _neutral_checks(config, state)
    checks += _disk_checks(needs, items, state)
    checks.append(_tex_check(state))
    return PreflightReport(
        config.profile,
        config.description,
        tuple(checks),
        tuple(needs),
        tuple(items),
        tuple(stage_seconds(config, needs)),
    )


def _memory_check(config: ExperimentConfig, model: ModelConfig, state: MachineState) -> Check:
    entry = MODELS.get(model.alias)
    dtype = est.resolve_dtype(model.dtype, model.device)
    batch_tokens = config.extraction.batch_tokens
    if model.device == "cuda" and not state.gpus:
        need = ""
        if entry is not None and entry.n_params:
            need = f" with about {_gb(_need(entry, dtype, batch_tokens))} free"
        return Check(
            "gpu",
            model.alias,
            "blocker",
            "device = 'cuda' and no CUDA GPU is usable here (torch sees none)",
            f"run on a machine with a CUDA GPU{need}, or {_CPU_TIER}",
        )
    if entry is None or not entry.n_params:
        return Check("memory", model.alias, "note", "not in the registry: its memory need is unknown")
    weights = est.weights_bytes(entry.n_params, dtype)
    batch = est.batch_bytes(batch_tokens, entry.d_model, dtype)
    if model.device == "cuda":
        gpu = state.gpus[0]
        where, free = f"GPU {gpu.index} ({gpu.name})", gpu.free_bytes
    else:
        where, free = "RAM", state.ram_bytes
    need = f"{_gb(weights)} of {dtype} weights + {_gb(batch)} for a batch of {batch_tokens:,} tokens"
    if free is None:
        return Check("memory", model.alias, "note", f"{where}: free memory not measured; needs {need}")
    if weights + batch <= free * 0.9:
        return Check("memory", model.alias, "ok", f"{where}: {_gb(free)} free >= {need}")
    return Check(
        "memory",
        model.alias,
        "blocker",
        f"{where}: {_gb(free)} free < {need}",
        _memory_fix(config, model, entry, dtype, free),
    )


def _memory_fix(config: ExperimentConfig, model: ModelConfig, entry: Any, dtype: str, free: int) -> str:
    """Which batch budget or dtype would fit in ``free`` bytes."""
    cap = config.extraction.max_length
    fitting = est.batch_tokens_fitting(free, est.weights_bytes(entry.n_params, dtype), entry.d_model, dtype)
    if fitting >= cap:
        budget = max(cap, (fitting // cap) * cap)
        return f"set [extraction] batch_tokens = {budget} (smaller batches; the numbers do not change)"
    for smaller in ("bfloat16",):
        if smaller == dtype:
            continue
        fitting = est.batch_tokens_fitting(free, est.weights_bytes(entry.n_params, smaller), entry.d_model, smaller)
        if fitting >= cap:
            budget = min(config.extraction.batch_tokens, (fitting // cap) * cap)
            return (
                f"set dtype = '{smaller}' for {model.alias} (half the memory; the paper extracted in float32, so "
                f"numbers differ slightly) with [extraction] batch_tokens = {budget}, or use a device with "
                f"{_gb(_need(entry, dtype, cap))} free"
            )
    return f"use a device with at least {_gb(_need(entry, dtype, cap))} free (weights + one {cap}-token story)"


def _need(entry: Any, dtype: str, batch_tokens: int) -> int:
    return est.weights_bytes(entry.n_params, dtype) + est.batch_bytes(batch_tokens, entry.d_model, dtype)


def _hub_checks(config: ExperimentConfig, state: MachineState) -> list[Check]:
    repos = hub_repositories(config)
    if not repos:
        return [Check("hub", "", "ok", "not needed (every model and corpus is local or bundled)")]
    names = ", ".join(r for _, r in repos)
    hub = state.hub
    if hub is None or not hub.reachable:
        why = hub.detail if hub is not None else "not probed"
        return [
            Check(
                "hub",
                hub.endpoint if hub is not None else "",
                "blocker",
                f"the Hugging Face Hub is not reachable ({why}); the run downloads {names}",
                "connect this machine to the network (and unset HF_HUB_OFFLINE), or run offline: " + _OFFLINE_TIER,
            )
        ]
    checks = [Check("hub", hub.endpoint, "ok", f"reachable ({hub.detail})")]
    checks.append(
        Check(
            "token", "", "ok" if state.token else "note", f"Hugging Face token {'present' if state.token else 'absent'}"
        )
    )
    for repo_type, repo in repos:
        checks.append(_access_check(repo_type, repo, state.access.get(repo, RepoAccess()), state.token))
    return checks


def _access_check(repo_type: str, repo: str, access: RepoAccess, token: bool) -> Check:
    page = f"https://huggingface.co/{'datasets/' if repo_type == 'dataset' else ''}{repo}"
    if access.found is None:
        gated = any(m.gated and m.hub_id == repo for m in MODELS.values())
        hint = f"accept its terms at {page} and log in (`hf auth login`)" if gated else None
        known = "; the registry lists it as gated" if gated else ""
        return Check("access", repo, "note", f"not checked ({access.detail or 'no answer'}){known}", hint)
    if not access.found:
        return Check("access", repo, "blocker", f"{repo_type} not found on the Hub ({access.detail})", f"check {page}")
    gated = access.gated or "no"
    if gated == "no":
        return Check("access", repo, "ok", "public, not gated")
    if access.allowed:
        return Check("access", repo, "ok", f"gated ({gated}); this token has access")
    fix = f"accept the terms at {page}, then " + ("rerun" if token else "log in: `hf auth login` (or set HF_TOKEN)")
    return Check(
        "access", repo, "blocker", f"gated ({gated}); {'this token has no access' if token else 'no token'}", fix
    )


def _neutral_checks(config: ExperimentConfig, state: MachineState) -> list[Check]:
    neutral = config.neutral
    if neutral.source != "url":
        return []
    from emotion_vectors.corpus.download import cached_path

    url = neutral.url or ""
    target = cached_path(url, neutral.sha256 or "")
    if url in state.cached:
        return [Check("neutral", "", "ok", f"the pinned neutral texts are cached at {target}")]
    why = state.url_unreachable.get(url)
    if why is None:
        return [Check("neutral", "", "ok", f"will download {url} (sha256-pinned)")]
    return [
        Check(
            "neutral",
            "",
            "blocker",
            f"the pinned neutral texts are not cached and {url} is not reachable ({why})",
            f"download that URL on a networked machine and save it as {target}",
        )
    ]


def _disk_checks(needs: list[RunNeed], items: list[Download], state: MachineState) -> list[Check]:
    fetch = sum(d.bytes or 0 for d in items if not d.cached)
    stores = sum(n.store_bytes or 0 for n in needs)
    wanted = {"downloads": fetch, "outputs": stores}
    if state.same_disk:
        wanted = {"downloads": fetch + stores} if "downloads" in state.disk_free else {"outputs": fetch + stores}
    checks = []
    for role, need in wanted.items():
        free = state.disk_free.get(role)
        what = {"downloads": "the Hugging Face cache", "outputs": "the output directory"}[role]
        what = "the Hugging Face cache and the outputs" if state.same_disk else what
        if free is None:
            checks.append(Check("disk", role, "note", f"free space of {what} not measured; needs {_gb(need)}"))
        elif need * 1.1 <= free:
            checks.append(Check("disk", role, "ok", f"{what}: {_gb(free)} free >= {_gb(need)} needed"))
        else:
            checks.append(
                Check(
                    "disk",
                    role,
                    "blocker",
                    f"{what}: {_gb(free)} free < {_gb(need)} needed (weights, corpora, activation stores)",
                    "free some space, or point HF_HOME (downloads) or --out (outputs) at a larger disk",
                )
            )
    return checks


def _tex_check(state: MachineState) -> Check:
    from emotion_vectors.tex import TEX_FIX

    if state.tex_missing:
        missing = " and ".join(state.tex_missing)
        return Check(
            "tex", "", "note", f"{missing} not found: the run writes the paper's LaTeX sources, no PDF", TEX_FIX
        )
    return Check("tex", "", "ok", "latexmk and pdflatex found: the run builds the PDF")


def _gb(n: int) -> str:
    return f"{n / est.GIB:.1f} GiB" if n >= est.GIB // 10 else est.human_bytes(n)


# ---------------------------------------------------------------------------------------------- observation


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


def preflight(config: ExperimentConfig, output_dir: str | Path, *, timeout: float = 3.0) -> PreflightReport:
    """Observe this machine and evaluate ``config`` on it."""
    return evaluate(config, observe(config, output_dir, timeout=timeout), corpus_sizes(config))


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


__all__ = [
    "Check",
    "Download",
    "MachineState",
    "PreflightReport",
    "RepoAccess",
    "RunNeed",
    "corpus_sizes",
    "downloads",
    "evaluate",
    "hub_repositories",
    "locally_cached",
    "observe",
    "preflight",
]
