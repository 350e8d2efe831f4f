"""``emotion-vectors ratings``: show the packaged ratings, or rebuild them from your own NRC VAD lexicon."""

from __future__ import annotations

import argparse
import csv
import sys

from emotion_vectors.commands._common import add_command
from emotion_vectors.lexicon import detect_scale, differences, read_lexicon, rebuild_ratings
from emotion_vectors.ratings import RATING_SOURCES, load_ratings

DESCRIPTION = """\
Show the valence/arousal ratings of the 171 emotions, or rebuild them from a lexicon file.

Without --lexicon, prints the packaged ratings of one source (nrc, nrc_v1 or warriner) as CSV.
With --lexicon PATH (NRC VAD v1 `word,valence,arousal,dominance` or v2 tab-separated
`term valence arousal dominance`), rebuilds the table with the same matching rules (direct word,
multi-word entry, mean of the documented proxy words for the 7 emotions the lexicon lacks) and
prints every emotion whose rebuilt rating differs from the shipped one.

examples:
  emotion-vectors ratings --source warriner
  emotion-vectors ratings --lexicon NRC-VAD-Lexicon-v2.1.txt --out rebuilt.csv
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "ratings", "show or rebuild the emotions' valence/arousal ratings", DESCRIPTION)
    parser.add_argument(
        "--source", choices=RATING_SOURCES, default="nrc", help="packaged rating source to print (default: nrc)"
    )
    parser.add_argument("--lexicon", metavar="PATH", help="NRC VAD lexicon file to rebuild the table from")
    parser.add_argument(
        "--scale",
        choices=("auto", "v1", "v2"),
        default="auto",
        help="lexicon scale: v1 [0,1] or v2 [-1,1] (default: detect)",
    )
    parser.add_argument(
        "--tolerance", type=float, default=5e-4, help="report differences larger than this (default: 5e-4)"
    )
    parser.add_argument("--out", metavar="CSV", help="write the rebuilt table to this CSV file")
    return parser


def run(args: argparse.Namespace) -> int:
    if args.lexicon is None:
        ratings = load_ratings(args.source)
        writer = csv.writer(sys.stdout)
        writer.writerow(["emotion", "valence", "arousal"])
        for emotion, valence, arousal in zip(ratings.emotions, ratings.valence, ratings.arousal, strict=True):
            writer.writerow([emotion, f"{valence:g}", f"{arousal:g}"])
        return 0

    entries = read_lexicon(args.lexicon)
    scale = detect_scale(entries) if args.scale == "auto" else args.scale
    rebuilt = rebuild_ratings(entries, scale)
    changed = differences(rebuilt, args.tolerance)
    matches = {}
    for item in rebuilt:
        kind = item.match.split(":")[0]
        matches[kind] = matches.get(kind, 0) + 1
    print(
        f"lexicon {args.lexicon}: {len(entries)} terms, scale {scale}; matches: "
        + ", ".join(f"{k} {v}" for k, v in sorted(matches.items()))
    )
    column = "nrc_v1" if scale == "v1" else "nrc"
    if not changed:
        print(f"all 171 rebuilt ratings agree with the shipped '{column}' column within {args.tolerance:g}")
    else:
        print(f"{len(changed)} emotion(s) differ from the shipped '{column}' column (tolerance {args.tolerance:g}):")
        print(f"  {'emotion':<16} {'match':<28} {'valence':>17} {'arousal':>17}")
        for item in changed:
            print(
                f"  {item.emotion:<16} {item.match:<28} {_pair(item.valence, item.shipped_valence):>17} "
                f"{_pair(item.arousal, item.shipped_arousal):>17}"
            )
    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["emotion", "valence", "arousal", "match", "shipped_valence", "shipped_arousal"])
            for item in rebuilt:
                writer.writerow(
                    [
                        item.emotion,
                        _fmt(item.valence),
                        _fmt(item.arousal),
                        item.match,
                        _fmt(item.shipped_valence),
                        _fmt(item.shipped_arousal),
                    ]
                )
        print(f"wrote {args.out}")
    return 0


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _pair(rebuilt: float | None, shipped: float | None) -> str:
    return f"{_fmt(rebuilt) or '-'} vs {_fmt(shipped) or '-'}"
