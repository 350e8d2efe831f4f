"""``emotion-vectors paper``: generated paper inputs -> <output_dir>/paper/ (LaTeX sources) -> <output_dir>/paper.pdf."""

from __future__ import annotations

import argparse

from emotion_vectors.commands._common import add_command
from emotion_vectors.commands.report import add_arguments

DESCRIPTION = """\
Build the paper PDF from the report stage's outputs.

Writes the complete LaTeX sources (paper/main.tex, sections/ and the generated numbers, tables and figures) to
<output_dir>/paper/, runs `latexmk -pdf -interaction=nonstopmode -halt-on-error -cd -outdir=build main.tex`
there and copies paper/build/main.pdf to <output_dir>/paper.pdf. Needs latexmk and TeX Live (`make tex` on
Debian/Ubuntu, or the project's Docker image); without them the sources are written and the command exits 2.
Run `emotion-vectors report` first.

examples:
  emotion-vectors paper --config configs/demo.toml
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "paper", "compile the paper PDF with latexmk", DESCRIPTION)
    add_arguments(parser)
    parser.add_argument("--paper-dir", metavar="DIR", help="paper sources (default: paper/ of the project root)")
    return parser


def run(args: argparse.Namespace) -> int:
    from emotion_vectors.report.build import locate
    from emotion_vectors.report.paper import GENERATED_DIR, build_paper

    where = locate(args.config, args.results, args.out, args.paper_dir)
    print(build_paper(where.out_dir / GENERATED_DIR, where.paper_dir, where.out_dir).summary())
    return 0
