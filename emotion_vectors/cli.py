"""``emotion-vectors``: the command-line interface. Thin: it parses and calls the stage modules.

Each subcommand lives in ``emotion_vectors/commands/<name>.py`` and exposes two functions:
``add_parser(subparsers) -> argparse.ArgumentParser`` and ``run(args) -> int`` (the exit status).
User errors (:class:`~emotion_vectors.errors.EmotionVectorsError`) print ``error:``/``fix:`` lines,
no traceback, and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from emotion_vectors import __version__
from emotion_vectors.errors import EmotionVectorsError

# Order is the order of the pipeline; `run` and `ratings` come last.
COMMANDS: tuple[str, ...] = (
    "preflight",
    "corpus",
    "extract",
    "analyze",
    "report",
    "paper",
    "claims",
    "run",
    "ratings",
)

DESCRIPTION = """\
Emotion-vector geometry of open-weight language models, reproducibly.

The pipeline: corpus -> extract -> analyze -> report -> paper, plus claims.
  emotion-vectors run --config configs/demo.toml     the whole pipeline on the embedded default
  emotion-vectors run --config configs/paper.toml    what arXiv 2606.26987 ran (GPU + Hub)
Run `emotion-vectors <command> --help` for each stage.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emotion-vectors",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"emotion_vectors.commands.{name}")
        sub = module.add_parser(subparsers)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except EmotionVectorsError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.fix:
            print(f"fix: {exc.fix}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at interpreter exit
        return 0
    except KeyboardInterrupt:
        print("interrupted; completed shards are kept and the next run resumes from them", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
