"""``emotion-vectors paper``: generated paper inputs -> paper/build/main.pdf -> <output_dir>/paper.pdf."""

from __future__ import annotations

import argparse

from emotion_vectors.commands._common import add_command
from emotion_vectors.commands.report import add_arguments

DESCRIPTION = """\
Build the paper PDF from the report stage's outputs.

Copies <output_dir>/generated/ to paper/generated/ (replacing it), runs
`latexmk -pdf -interaction=nonstopmode -halt-on-error -cd -outdir=build paper/main.tex`
and copies paper/build/main.pdf to <output_dir>/paper.pdf. Needs latexmk and TeX Live
(or the project's Docker image); run `emotion-vectors report` first.

examples:
  emotion-vectors paper --config configs/demo.toml
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "paper", "compile the paper PDF with latexmk", DESCRIPTION)
    add_arguments(parser)
    parser.add_argument("--paper-dir", metavar="DIR", help="paper sources (default: paper/ of the project root)")
    return parser


def run(args: argparse.Namespace) -> int:
    from emotion_vectors.report.build import GENERATED_DIR, PAPER_PDF, build_paper, locate

    where = locate(args.config, args.results, args.out, args.paper_dir)
    pdf = build_paper(where.out_dir / GENERATED_DIR, where.paper_dir, where.out_dir / PAPER_PDF)
    print(f"wrote {pdf}")
    return 0
