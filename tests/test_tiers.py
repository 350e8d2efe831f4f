"""Tier selection: paper with a CUDA GPU and the Hub, corpus-cpu with the Hub only, demo offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from emotion_vectors import machine, tiers
from emotion_vectors.config import load_config
from emotion_vectors.errors import ConfigError
from emotion_vectors.tiers import Facts, choose_tier

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("facts", "tier", "words"),
    [
        (Facts(gpu="NVIDIA H200", hub=True), "paper", ["CUDA GPU NVIDIA H200", "Hub is reachable"]),
        (Facts(gpu=None, hub=True), "corpus-cpu", ["no CUDA GPU", "not the paper's models"]),
        (Facts(gpu=None, hub=False, hub_detail="Name or service not known"), "demo", ["Name or service not known"]),
        (Facts(gpu="NVIDIA H200", hub=False, hub_detail="HF_HUB_OFFLINE is set"), "demo", ["HF_HUB_OFFLINE"]),
    ],
)
def test_each_situation_picks_its_tier_and_says_why(facts: Facts, tier: str, words: list[str]) -> None:
    choice = choose_tier(facts)
    assert choice.tier == tier and choice.config == f"configs/{tier}.toml"
    line = choice.line()
    assert line.startswith(f"tier: {tier} (") and "\n" not in line
    for word in words:
        assert word in line


@pytest.mark.parametrize("tier", tiers.TIERS)
def test_profile_overrides_the_facts_and_every_tier_has_a_config(tier: str) -> None:
    choice = choose_tier(Facts(gpu=None, hub=False), requested=tier)
    assert choice.tier == tier and "--profile" in choice.reason
    assert load_config(ROOT / choice.config).profile == tier


def test_unknown_profile_is_an_error() -> None:
    with pytest.raises(ConfigError, match="unknown profile 'gpu'"):
        choose_tier(Facts(gpu=None, hub=True), requested="gpu")


@pytest.mark.parametrize(
    ("gpu", "hub", "tier"), [("1", "1", "paper"), ("0", "1", "corpus-cpu"), ("0", "0", "demo"), ("1", "0", "demo")]
)
def test_assumed_facts_reach_the_command_line(monkeypatch, capsys, gpu: str, hub: str, tier: str) -> None:
    monkeypatch.setenv(machine.ASSUME_GPU_ENV, gpu)
    monkeypatch.setenv(machine.ASSUME_HUB_ENV, hub)
    assert tiers.main([]) == 0
    config, line = capsys.readouterr().out.splitlines()
    assert config == f"configs/{tier}.toml" and line.startswith(f"tier: {tier} (")


def test_hub_offline_variable_means_no_hub_without_a_probe(monkeypatch) -> None:
    monkeypatch.delenv(machine.ASSUME_HUB_ENV, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(machine, "unreachable_reason", lambda *a, **k: pytest.fail("probed the network"))
    status = machine.hub_status()
    assert not status.reachable and "HF_HUB_OFFLINE" in status.detail


def test_a_probe_that_hangs_is_abandoned() -> None:
    import threading

    gate = threading.Event()
    assert machine.with_deadline(lambda: gate.wait(5) or "late", 0.05) is None
    gate.set()
    assert machine.with_deadline(lambda: "quick", 1.0) == "quick"
