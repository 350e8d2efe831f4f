"""reproduce.sh --dry-run in each of the three situations (facts assumed through the documented variables)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(tmp_path: Path, gpu: str, hub: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHON": sys.executable,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",  # no test reaches the network, whatever tier it simulates
        "EMOTION_VECTORS_CACHE": str(tmp_path / "cache"),
        "EMOTION_VECTORS_ASSUME_GPU": gpu,
        "EMOTION_VECTORS_ASSUME_HUB": hub,
    }
    cmd = ["bash", str(ROOT / "reproduce.sh"), "--dry-run", "--out", str(tmp_path / "out"), *extra]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("gpu", "hub", "tier", "stage"),
    [
        ("1", "1", "paper", "extract.apertus-8b.gemma"),
        ("0", "1", "corpus-cpu", "extract.minilm.apertus"),
        ("0", "0", "demo", "extract.minilm.demo"),
    ],
)
def test_dry_run_names_the_tier_and_plans_without_running(
    tmp_path: Path, gpu: str, hub: str, tier: str, stage: str
) -> None:
    done = _dry_run(tmp_path, gpu, hub)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"tier: {tier} (")
    assert f"preflight: profile {tier}" in done.stdout and "plan for" in done.stdout and f"  {stage} " in done.stdout
    assert not (tmp_path / "out").exists()  # nothing ran, nothing was written


def test_profile_overrides_detection(tmp_path: Path) -> None:
    done = _dry_run(tmp_path, "1", "1", "--profile", "demo")
    assert done.returncode == 0 and done.stdout.startswith("tier: demo (chosen with --profile")


def test_unknown_profile_is_refused(tmp_path: Path) -> None:
    done = _dry_run(tmp_path, "0", "0", "--profile", "gpu")
    assert done.returncode == 2 and "invalid choice" in done.stderr
