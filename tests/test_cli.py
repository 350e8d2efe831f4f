"""The command-line interface: help texts and error handling."""

from __future__ import annotations

import subprocess
import sys

import pytest

from emotion_vectors.cli import COMMANDS, build_parser, main
from emotion_vectors.pipeline import STAGE_KINDS


def test_top_level_help_lists_every_stage(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in ("corpus", "extract", "analyze", "report", "paper", "claims", "run", "ratings"):
        assert name in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_stage_has_its_own_help(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"emotion-vectors {command}" in out
    assert len(out.splitlines()) > 3


def test_every_pipeline_stage_is_a_command() -> None:
    """The CLI offers each stage kind the pipeline runs (and `run`), so a new stage cannot go unexposed."""
    parser = build_parser()
    offered = next(a for a in parser._actions if a.dest == "command").choices
    assert set(STAGE_KINDS) | {"run"} <= set(offered)


def test_ratings_command_prints_csv(capsys) -> None:
    assert main(["ratings", "--source", "nrc"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "emotion,valence,arousal" and lines[1] == "afraid,-0.977,0.352"
    assert len(lines) == 172


def test_console_script_module_runs_and_user_errors_exit_2(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emotion_vectors.cli", "ratings", "--lexicon", str(tmp_path / "missing.txt")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "error: lexicon file not found" in result.stderr and "fix:" in result.stderr
    assert "Traceback" not in result.stderr
