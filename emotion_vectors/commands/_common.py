"""Helpers shared by the subcommand modules."""

from __future__ import annotations

import argparse

HELP_FORMATTER = argparse.RawDescriptionHelpFormatter


def add_command(
    subparsers: argparse._SubParsersAction, name: str, summary: str, description: str
) -> argparse.ArgumentParser:
    """Register subcommand ``name`` with a one-line ``summary`` (for the command list) and a longer ``description``."""
    return subparsers.add_parser(name, help=summary, description=description, formatter_class=HELP_FORMATTER)
