"""Preflight: planted machines against the paper, corpus-cpu and demo configs (no network, no GPU needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from emotion_vectors import estimates as est
from emotion_vectors import preflight
from emotion_vectors.config import load_config
from emotion_vectors.machine import Gpu, HubStatus
from emotion_vectors.preflight import MachineState, RepoAccess, evaluate

ROOT = Path(__file__).resolve().parent.parent
GIB = 1024**3
PAPER = load_config(ROOT / "configs" / "paper.toml")
CPU = load_config(ROOT / "configs" / "corpus-cpu.toml")
NEUTRAL_URL = PAPER.neutral.url
ONLINE = HubStatus(True, "https://huggingface.co", "answered")
OFFLINE = HubStatus(False, "https://huggingface.co", "Name or service not known")


def _sizes(config):
    return {name: est.published_corpus_size(512) for name in [c.name for c in config.corpora] + ["neutral"]}


def _h200(free_gib: float = 139.0) -> tuple[Gpu, ...]:
    return (Gpu(0, "NVIDIA H200", int(free_gib * GIB), int(141 * GIB)),)


def _public(config) -> dict[str, RepoAccess]:
    return {repo: RepoAccess(found=True, gated="no", allowed=True) for _, repo in preflight.hub_repositories(config)}


def _blockers(report) -> dict[tuple[str, str], str]:
    return {(c.topic, c.subject): c.fix or "" for c in report.blockers}


def test_offline_cpu_machine_blocks_the_paper_config_on_gpu_and_hub_with_fixes() -> None:
    state = MachineState(gpus=(), hub=OFFLINE, disk_free={"downloads": 500 * GIB}, url_unreachable={NEUTRAL_URL: "x"})
    report = evaluate(PAPER, state, _sizes(PAPER))
    blockers = _blockers(report)
    assert set(blockers) == {
        ("gpu", "apertus-8b"),
        ("gpu", "gemma-4-e4b"),
        ("hub", "https://huggingface.co"),
        ("neutral", ""),
    }
    assert "corpus-cpu" in blockers[("gpu", "apertus-8b")] and "--profile demo" in blockers[("hub", OFFLINE.endpoint)]
    assert all(blockers.values())  # every blocker carries a fix
    text = report.format()
    assert "BLOCKER gpu apertus-8b" in text and "fix:" in text and "4 blocker(s)" in text


def test_a_big_gpu_with_the_hub_passes_the_paper_config() -> None:
    state = MachineState(
        gpus=_h200(), hub=ONLINE, token=True, access=_public(PAPER), disk_free={"downloads": 500 * GIB}
    )
    report = evaluate(PAPER, state, _sizes(PAPER))
    assert report.ok, report.format()
    memory = {c.subject: c for c in report.checks if c.topic == "memory"}
    # Apertus: 8.053e9 parameters x 4 bytes of float32 weights
    assert "30.0 GiB of float32 weights" in memory["apertus-8b"].detail


def test_a_small_gpu_is_told_which_batch_budget_or_dtype_fits() -> None:
    # 36 GiB free: the fp32 Apertus weights (30.0 GiB) fit, a 16,384-token batch (4 GiB) does not at 90 % headroom
    batch = next(
        c for c in evaluate(PAPER, MachineState(gpus=_h200(36)), _sizes(PAPER)).blockers if c.topic == "memory"
    )
    budget = int(batch.fix.split("batch_tokens = ")[1].split()[0])
    weights = est.weights_bytes(8_053_000_000, "float32")
    assert budget % 512 == 0 and 512 <= budget < 16384
    assert weights + est.batch_bytes(budget, 4096, "float32") <= 0.9 * 36 * GIB
    # 24 GiB free: float32 weights cannot fit, bfloat16 (15 GiB) can
    dtype = next(
        c for c in evaluate(PAPER, MachineState(gpus=_h200(24)), _sizes(PAPER)).blockers if c.topic == "memory"
    )
    assert "dtype = 'bfloat16'" in dtype.fix and "float32" in dtype.fix
    # 8 GiB free: nothing fits
    none = next(c for c in evaluate(PAPER, MachineState(gpus=_h200(8)), _sizes(PAPER)).blockers if c.topic == "memory")
    assert none.fix.startswith("use a device with at least")


def test_gated_repository_without_a_token_is_a_blocker_and_the_token_is_never_shown(monkeypatch) -> None:
    access = _public(PAPER)
    access["swiss-ai/Apertus-8B-Instruct-2509"] = RepoAccess(found=True, gated="auto", allowed=False)
    state = MachineState(gpus=_h200(), hub=ONLINE, token=False, access=access, disk_free={"downloads": 500 * GIB})
    report = evaluate(PAPER, state, _sizes(PAPER))
    fix = _blockers(report)[("access", "swiss-ai/Apertus-8B-Instruct-2509")]
    assert "https://huggingface.co/swiss-ai/Apertus-8B-Instruct-2509" in fix and "login" in fix
    token_line = next(c for c in report.checks if c.topic == "token")
    assert token_line.detail == "Hugging Face token absent"
    monkeypatch.setenv("HF_TOKEN", "hf_SECRETSECRETSECRET")
    from emotion_vectors.machine import hf_token_present

    assert hf_token_present()
    with_token = evaluate(PAPER, MachineState(**{**state.__dict__, "token": True}), _sizes(PAPER))
    assert "hf_SECRET" not in with_token.format() and "hf_SECRET" not in json.dumps(with_token.to_dict())


def test_disk_shortfall_counts_weights_corpora_and_stores() -> None:
    needs = preflight.run_needs(PAPER, _sizes(PAPER))
    stores = sum(n.store_bytes for n in needs)
    # Apertus x published corpus: 1539 stories x 32 layers x 4096 dims x 4 bytes + counts
    apertus = next(n for n in needs if (n.model, n.corpus) == ("apertus-8b", "gemma"))
    assert apertus.store_bytes == 1539 * 32 * 4096 * 4 + 1539 * 8
    weights = sum(d.bytes for d in preflight.downloads(PAPER, frozenset()) if d.kind == "weights")
    assert weights == (8_053_000_000 + 8_000_000_000) * 2
    state = MachineState(gpus=_h200(), hub=ONLINE, access=_public(PAPER), disk_free={"downloads": 20 * GIB})
    assert ("disk", "downloads") in _blockers(evaluate(PAPER, state, _sizes(PAPER)))
    cached = frozenset(r for _, r in preflight.hub_repositories(PAPER)) | {NEUTRAL_URL}
    roomy = MachineState(**{**state.__dict__, "cached": cached, "disk_free": {"downloads": int(1.2 * stores) + GIB}})
    assert ("disk", "downloads") not in _blockers(evaluate(PAPER, roomy, _sizes(PAPER)))


def test_corpus_cpu_needs_the_hub_but_no_gpu() -> None:
    report = evaluate(CPU, MachineState(ram_bytes=8 * GIB, hub=OFFLINE, disk_free={"downloads": GIB}), _sizes(CPU))
    assert set(_blockers(report)) == {("hub", OFFLINE.endpoint)}
    online = MachineState(ram_bytes=8 * GIB, hub=ONLINE, access=_public(CPU), disk_free={"downloads": GIB})
    assert evaluate(CPU, online, _sizes(CPU)).ok


def test_missing_tex_is_a_note_not_a_blocker() -> None:
    demo = load_config(ROOT / "configs" / "demo.toml")
    report = evaluate(demo, MachineState(ram_bytes=8 * GIB, tex_missing=("latexmk",)), preflight.corpus_sizes(demo))
    tex = next(c for c in report.checks if c.topic == "tex")
    assert report.ok and tex.status == "note" and "LaTeX sources" in tex.detail


def test_cli_on_this_offline_cpu_machine(tmp_path: Path) -> None:
    """The real probes: the paper config is blocked (no GPU, no Hub) within seconds; the demo config passes."""
    env = {"HF_HUB_OFFLINE": "1", "EMOTION_VECTORS_ASSUME_GPU": "0", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "emotion_vectors.cli", "preflight", "--out", str(tmp_path)]
    run = dict(cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # a hang fails, not a slow machine
    paper = subprocess.run([*cmd, "--config", "configs/paper.toml"], **run)
    assert paper.returncode == 1
    assert "BLOCKER gpu apertus-8b" in paper.stdout and "BLOCKER hub" in paper.stdout
    assert paper.stdout.count("fix:") >= 3
    demo = subprocess.run([*cmd, "--config", "configs/demo.toml", "--json", "-"], **run)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    data = json.loads(demo.stdout)
    assert data["ok"] and data["n_blockers"] == 0 and data["needs"][0]["model"] == "minilm"


def test_observe_probes_nothing_a_local_config_does_not_need(monkeypatch, tmp_path: Path) -> None:
    from emotion_vectors import machine

    monkeypatch.setattr(machine, "cuda_gpus", lambda: pytest.fail("probed the GPU"))
    monkeypatch.setattr(machine, "hub_status", lambda *a: pytest.fail("probed the Hub"))
    monkeypatch.setattr(machine, "unreachable_reason", lambda *a: pytest.fail("probed a URL"))
    state = preflight.observe(load_config(ROOT / "configs" / "demo.toml"), tmp_path)
    assert state.hub is None and state.gpus == ()


def test_repository_access_is_asked_of_every_repository_in_parallel(monkeypatch, tmp_path: Path) -> None:
    import threading

    from emotion_vectors import machine
    from emotion_vectors.preflight import observation

    monkeypatch.setattr(machine, "hub_status", lambda *a: ONLINE)
    monkeypatch.setattr(machine, "cuda_gpus", lambda: [])
    monkeypatch.setattr(machine, "unreachable_reason", lambda *a: None)
    repos = preflight.hub_repositories(PAPER)
    barrier = threading.Barrier(len(repos), timeout=5)  # only passes when all four are asked at once

    def ask(repo_type: str, repo: str, timeout: float) -> RepoAccess:
        barrier.wait()
        return RepoAccess(found=True, gated="manual" if repo_type == "model" else "no", allowed=repo_type != "model")

    monkeypatch.setattr(observation, "_repo_access", ask)
    state = preflight.observe(PAPER, tmp_path)
    assert set(state.access) == {r for _, r in repos}
    assert state.access["google/gemma-4-E4B-it"].gated == "manual" and not state.access["google/gemma-4-E4B-it"].allowed


def test_unanswered_access_falls_back_to_what_the_registry_knows() -> None:
    access = {repo: RepoAccess(detail="no answer within 6 s") for _, repo in preflight.hub_repositories(PAPER)}
    state = MachineState(gpus=_h200(), hub=ONLINE, token=True, access=access, disk_free={"downloads": 500 * GIB})
    checks = {c.subject: c for c in evaluate(PAPER, state, _sizes(PAPER)).checks if c.topic == "access"}
    assert all(c.status == "note" for c in checks.values())
    assert "gated" in checks["swiss-ai/Apertus-8B-Instruct-2509"].detail
    assert checks["swiss-ai/Apertus-8B-Instruct-2509"].fix and checks["google/gemma-4-E4B-it"].fix is None
