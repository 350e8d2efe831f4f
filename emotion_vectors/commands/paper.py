"""`emotion-vectors paper` (not built yet)."""

from __future__ import annotations

import argparse

from emotion_vectors.commands._common import add_command, not_built


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    return add_command(subparsers, "paper", "(not built yet)", "This stage is not built yet; it exits non-zero.")


def run(args: argparse.Namespace) -> int:
    return not_built("paper", "the README section \"Status\"")
