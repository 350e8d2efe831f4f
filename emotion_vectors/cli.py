"""``emotion-vectors``: the command-line interface. Thin: it parses and calls the stage modules.

Each subcommand lives in ``emotion_vectors/commands/<name>.py`` and exposes two functions:
``add_parser(subparsers) -> argparse.ArgumentParser`` and ``run(args) -> int`` (the exit status).
User errors (:class:`~emotion_vectors.errors.EmotionVectorsError`), and the file-system and text-encoding
errors a user's paths and files cause (``OSError``, ``UnicodeError``), print ``error:``/``fix:`` lines, no
traceback (unless ``--debug``), and exit with status 2.
"""

from __future__ import annotations

import argparse
import errno
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
    parser.add_argument("--debug", action="store_true", help="show the full traceback of any error")
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
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at interpreter exit
        return 0
    except (EmotionVectorsError, OSError, UnicodeError) as exc:
        if args.debug:
            raise
        message, fix = describe_error(exc)
        print(f"error: {message}", file=sys.stderr)
        if fix:
            print(f"fix: {fix}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; completed shards are kept and the next run resumes from them", file=sys.stderr)
        return 130


def describe_error(exc: BaseException) -> tuple[str, str | None]:
    """``(what went wrong, what to do)`` for a user error, an ``OSError`` or a ``UnicodeError``."""
    if isinstance(exc, EmotionVectorsError):
        return exc.message, exc.fix
    if isinstance(exc, UnicodeError):
        return (
            f"a file is not valid UTF-8 text ({exc})",
            "save the input files as UTF-8 (rerun with --debug to see which)",
        )
    if not isinstance(exc, OSError):
        return str(exc), None
    where = exc.filename if exc.filename is not None else "a file"
    message = f"{exc.strerror or exc}: {where}"
    fixes = {
        errno.EACCES: f"check the permissions of {where}, or choose an --out folder you can write to",
        errno.EPERM: f"check the permissions of {where}, or choose an --out folder you can write to",
        errno.ENOTDIR: f"a file is in the way of {where}: pass a folder path (e.g. to --out)",
        errno.EEXIST: f"a file is in the way of {where}: pass a folder path (e.g. to --out)",
        errno.EISDIR: f"{where} is a folder: pass a file path",
        errno.ENOENT: f"check that {where} exists",
        errno.ENOSPC: "free some disk space, or pass an --out folder on a larger disk",
        errno.EROFS: "choose an --out folder on a writable file system",
    }
    return message, fixes.get(exc.errno or 0, "check the path and rerun; --debug shows the traceback")


if __name__ == "__main__":
    sys.exit(main())
