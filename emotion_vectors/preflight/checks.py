"""How the preflight judges a config on a machine (pure): every shortfall becomes a blocker with a fix."""

from __future__ import annotations

from typing import Any

from emotion_vectors import estimates as est
from emotion_vectors.config import ExperimentConfig, ModelConfig
from emotion_vectors.preflight.needs import Download, RunNeed, downloads, hub_repositories, run_needs, stage_seconds
from emotion_vectors.preflight.observation import MachineState, RepoAccess
from emotion_vectors.preflight.report import Check, PreflightReport
from emotion_vectors.registry import MODELS

_OFFLINE_TIER = "./reproduce.sh --profile demo (offline, the bundled corpus)"
_CPU_TIER = "./reproduce.sh --profile corpus-cpu (the published corpora read by a small encoder on the CPU)"


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
