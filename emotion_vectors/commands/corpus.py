"""``emotion-vectors corpus``: validate, generate and publish story corpora."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from emotion_vectors.commands._common import add_command

DESCRIPTION = """\
Story corpora: check one, write a new one with a local model, or publish one on the Hugging Face Hub.

  fingerprint SOURCE  the corpus's fingerprint and commit, and the lines that pin them (registry, config)
  validate SOURCE     per-emotion counts, stories naming their own emotion, duplicates, short texts,
                      unknown emotions, rows whose story parsing failed; prints a table, --json writes it all
  generate            the paper's method with this project's prompts and topics (or --prompts-from a
                      published corpus); checkpointed: run the same command again to resume
  push CORPUS_FILE    publish with a rendered, validated dataset card (--dry-run DIR writes it locally)

SOURCE is `demo` (bundled), `gemma` or `apertus` (the published corpora on the Hub), a local
.jsonl/.parquet file in either row layout, or a local dataset directory.

examples:
  emotion-vectors corpus fingerprint apertus
  emotion-vectors corpus validate demo
  emotion-vectors corpus validate gemma --json gemma-validation.json --strict
  emotion-vectors corpus generate --model apertus-8b --device cuda --out apertus_stories.jsonl
  emotion-vectors corpus generate --model gemma-4-e4b --device cuda --prompts-from gemma --out regen.jsonl
  emotion-vectors corpus push apertus_stories.jsonl --repo-id my-org/emotion-stories --dry-run card/
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "corpus", "validate, generate or publish a story corpus", DESCRIPTION)
    actions = parser.add_subparsers(dest="corpus_command", metavar="<action>", required=True)
    _add_fingerprint(actions)
    _add_validate(actions)
    _add_generate(actions)
    _add_push(actions)
    return parser


def run(args: argparse.Namespace) -> int:
    actions = {"fingerprint": _fingerprint, "validate": _validate, "generate": _generate, "push": _push}
    return actions[args.corpus_command](args)


# ---------------------------------------------------------------------------------------------- fingerprint


_FINGERPRINT_DESCRIPTION = (
    "Load a corpus and print its fingerprint (sha256 over its sorted, stripped texts), the commit read,\n"
    "and the lines that pin it in emotion_vectors/registry.py or an experiment config. A pinned\n"
    "fingerprint is checked on every load and lets a dry run plan without the download."
)


def _add_fingerprint(actions: argparse._SubParsersAction) -> None:
    p = add_command(actions, "fingerprint", "print a corpus's fingerprint and how to pin it", _FINGERPRINT_DESCRIPTION)
    p.add_argument("source", metavar="SOURCE", help="demo | gemma | apertus | FILE.jsonl | FILE.parquet | DIR")
    p.add_argument("--revision", help="Hub revision of a registered corpus (default: main)")
    p.add_argument("--cache-dir", help="cache for Hub downloads (default: the Hugging Face cache)")


def _fingerprint(args: argparse.Namespace) -> int:
    from emotion_vectors.corpus.pin import pin_lines
    from emotion_vectors.corpus.sources import open_source
    from emotion_vectors.registry import CORPORA

    loaded = open_source(args.source, revision=args.revision, cache_dir=args.cache_dir)
    name = args.source if args.source in CORPORA else loaded.corpus.name
    print("\n".join(pin_lines(name, loaded.corpus)))
    return 0


# ---------------------------------------------------------------------------------------------- validate


def _add_validate(actions: argparse._SubParsersAction) -> None:
    from emotion_vectors.corpus.validate import DEFAULT_MIN_WORDS, DEFAULT_NEAR_THRESHOLD, DEFAULT_STORIES_PER_PROMPT

    p = add_command(actions, "validate", "check a corpus", "Check a corpus and report findings.")
    p.add_argument("source", metavar="SOURCE", help="demo | gemma | apertus | FILE.jsonl | FILE.parquet | DIR")
    p.add_argument("--json", metavar="OUT", help="write the full report as JSON")
    p.add_argument("--strict", action="store_true", help="exit with status 1 on any finding")
    p.add_argument("--revision", help="Hub revision of a registered corpus (default: main)")
    p.add_argument(
        "--min-words",
        type=int,
        default=DEFAULT_MIN_WORDS,
        help=f"shorter texts are reported (default {DEFAULT_MIN_WORDS})",
    )
    p.add_argument(
        "--near-threshold",
        type=float,
        default=DEFAULT_NEAR_THRESHOLD,
        help=f"word-3-shingle Jaccard of near duplicates (default {DEFAULT_NEAR_THRESHOLD})",
    )
    p.add_argument(
        "--stories-per-prompt",
        type=int,
        default=DEFAULT_STORIES_PER_PROMPT,
        help=f"stories each prompt row must have (default {DEFAULT_STORIES_PER_PROMPT})",
    )
    p.add_argument("--per-emotion", type=int, help="stories each emotion must have (default: the most common count)")
    p.add_argument("--cache-dir", help="cache for Hub downloads (default: the Hugging Face cache)")


def _validate(args: argparse.Namespace) -> int:
    from emotion_vectors.corpus.sources import open_source
    from emotion_vectors.corpus.validate import validate_corpus
    from emotion_vectors.fileio import atomic_write_bytes

    loaded = open_source(args.source, revision=args.revision, cache_dir=args.cache_dir)
    report = validate_corpus(
        loaded.corpus,
        prompt_rows=loaded.prompt_rows,
        stories_per_prompt=args.stories_per_prompt,
        expected_per_emotion=args.per_emotion,
        min_words=args.min_words,
        near_threshold=args.near_threshold,
    )
    print(report.format_table())
    if args.json:
        data = {**report.to_dict(), "revision": loaded.corpus.revision, "layout": loaded.layout}
        atomic_write_bytes(args.json, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
        print(f"wrote {args.json}")
    return 1 if args.strict and not report.ok else 0


# ---------------------------------------------------------------------------------------------- generate


_GENERATE_DESCRIPTION = (
    "Write a corpus with a local model: one prompt per (emotion, sampled topic), each with its own seed.\n"
    "The output is a JSONL file (one prompt per row) plus OUT.manifest.json; rerun to resume."
)


def _add_generate(actions: argparse._SubParsersAction) -> None:
    p = add_command(actions, "generate", "write a corpus with a local model", _GENERATE_DESCRIPTION)
    p.add_argument("--model", required=True, help="registered alias (apertus-8b, gemma-4-e4b), Hub id or directory")
    p.add_argument("--out", required=True, help="output JSONL file (resumed when it exists)")
    p.add_argument(
        "--mode", choices=("stories", "neutral"), default="stories", help="emotion stories or neutral paragraphs"
    )
    p.add_argument("--backend", choices=("transformers", "vllm"), default="transformers")
    p.add_argument("--revision", help="model revision (default: the registry's, else main)")
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N | mps (default cpu)")
    p.add_argument(
        "--dtype", default="auto", help="auto (bfloat16 on CUDA, else float32) | float32 | bfloat16 | float16"
    )
    p.add_argument("--seed", type=int, default=42, help="run seed; every prompt's seed derives from it (default 42)")
    p.add_argument("--batch-size", type=int, default=8, help="prompts per generate call; never changes the output")
    p.add_argument("--max-attempts", type=int, default=3, help="tries per prompt until its reply parses (default 3)")
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--top-p", type=float, default=0.95)
    p.add_argument("--top-k", type=int, help="default: the model's generation config, else 50 (as the paper); 0 = off")
    p.add_argument("--max-new-tokens", type=int, default=2048)
    p.add_argument(
        "--topics", help="topic list, one per line (default: the packaged list; neutral: the bundled subjects)"
    )
    p.add_argument("--topics-per-emotion", type=int, default=3)
    p.add_argument("--stories-per-prompt", type=int, default=3)
    p.add_argument("--emotions", help="comma-separated subset of the 171 emotions (default: all)")
    p.add_argument("--prompt-template", help="a prompt template file instead of the packaged one")
    p.add_argument(
        "--prompts-from", metavar="SOURCE", help="reuse the (emotion, topic, prompt) rows of a published corpus"
    )
    p.add_argument("--limit", type=int, help="only the first N prompts of the plan (a smoke test)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _generate(args: argparse.Namespace) -> int:
    from emotion_vectors.corpus.backends import SamplingParams, make_backend
    from emotion_vectors.corpus.generate import GenerationSettings, generate_corpus, manifest_path

    plan = _plan(args)
    settings = GenerationSettings(
        seed=args.seed,
        batch_size=args.batch_size,
        max_attempts=args.max_attempts,
        sampling=SamplingParams(
            temperature=args.temperature, top_p=args.top_p, top_k=args.top_k, max_new_tokens=args.max_new_tokens
        ),
    )
    backend = make_backend(args.backend, args.model, revision=args.revision, dtype=args.dtype, device=args.device)
    info = {"argv": sys.argv[1:], "mode": args.mode, "prompts_from": args.prompts_from}
    summary = generate_corpus(plan, backend, args.out, settings=settings, info=info, progress=not args.no_progress)
    print(
        f"{summary.out}: {summary.n_prompts} prompts ({summary.n_resumed} already done, {summary.n_generated} generated; "
        f"{summary.n_retried} needed a retry, {summary.n_parse_failures} still unparsed); settings in "
        f"{manifest_path(summary.out)}"
    )
    print(f"next: emotion-vectors corpus validate {summary.out}")
    return 0


def _plan(args: argparse.Namespace) -> tuple[Any, ...]:
    from emotion_vectors.corpus import prompts
    from emotion_vectors.corpus.sources import load_bundled_neutral, open_source
    from emotion_vectors.errors import ConfigError
    from emotion_vectors.ratings import emotions as all_emotions

    known = all_emotions()
    chosen = known
    if args.emotions:
        chosen = tuple(e.strip() for e in args.emotions.split(",") if e.strip())
        unknown = [e for e in chosen if e not in known]
        if unknown:
            raise ConfigError(
                f"--emotions: unknown emotion(s) {unknown}", fix="use emotions from the packaged list of 171"
            )
    if args.prompts_from:
        loaded = open_source(args.prompts_from)
        plan = prompts.plan_from_rows(
            loaded.prompt_rows, stories_per_prompt=args.stories_per_prompt, origin=args.prompts_from
        )
        if args.emotions:
            plan = tuple(p for p in plan if p.emotion in chosen)
    elif args.mode == "neutral":
        template = prompts.load_template("neutral", args.prompt_template)
        topics = (
            prompts.load_topics(args.topics)
            if args.topics
            else tuple(dict.fromkeys(s.topic for s in load_bundled_neutral() if s.topic))
        )
        plan = prompts.plan_neutral(topics, template=template, paragraphs_per_prompt=args.stories_per_prompt)
    else:
        plan = prompts.plan_stories(
            chosen,
            prompts.load_topics(args.topics),
            template=prompts.load_template("emotion", args.prompt_template),
            topics_per_emotion=args.topics_per_emotion,
            stories_per_prompt=args.stories_per_prompt,
            seed=args.seed,
        )
    return plan[: args.limit] if args.limit else plan


# ---------------------------------------------------------------------------------------------- push


def _add_push(actions: argparse._SubParsersAction) -> None:
    description = "Publish a corpus file on the Hugging Face Hub with a rendered, validated dataset card."
    p = add_command(actions, "push", "publish a corpus file with a dataset card", description)
    p.add_argument("corpus_file", metavar="CORPUS_FILE", help="a .jsonl or .parquet corpus file")
    p.add_argument("--repo-id", required=True, metavar="ORG/NAME")
    p.add_argument("--private", action="store_true")
    p.add_argument("--dry-run", metavar="DIR", help="write README.md and data/*.parquet into DIR instead of pushing")
    p.add_argument("--license", default="cc-by-4.0", help="Hub licence id of the texts (default cc-by-4.0)")
    p.add_argument("--pretty-name", help="title of the dataset card")
    p.add_argument("--source-model", help="the generating model, when the file does not record it")


def _push(args: argparse.Namespace) -> int:
    from emotion_vectors.corpus import push

    info, rows = push.describe_file(
        args.corpus_file,
        repo_id=args.repo_id,
        license=args.license,
        pretty_name=args.pretty_name,
        source_model=args.source_model,
    )
    card_text = push.render_card(info)
    push.validate_card(card_text)
    dataset = push.build_dataset(rows)
    if args.dry_run:
        for path in push.write_dry_run(Path(args.dry_run), dataset, card_text):
            print(f"wrote {path}")
        return 0
    print(f"pushed {info.n_rows} rows to {push.push(dataset, card_text, args.repo_id, private=args.private)}")
    return 0
