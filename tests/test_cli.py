"""The command-line interface: help texts and error handling."""

from __future__ import annotations

import subprocess
import sys

import pytest

from emotion_vectors.cli import COMMANDS, build_parser, main


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


def test_parser_has_one_subcommand_per_stage() -> None:
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert tuple(choices) == COMMANDS


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
