"""Extraction throughput against a bare forward pass, padding fraction, and peak memory vs corpus size.

    python benchmarks/extract_throughput.py                      # MiniLM on CPU, the demo corpus
    python benchmarks/extract_throughput.py --model apertus-8b --device cuda --dtype bfloat16 --peak-tflops 989

What it measures, on the same stories and the same length-bucketed batches:

- extraction tokens/s: ``extract_to_store`` end to end (tokenize, hooked forwards pooling every block, shard
  and store writes), real (non-padding) tokens per second of wall time;
- bare forward tokens/s: the model's own forward on the same padded batches, no hooks, no pooling, nothing
  copied off the device; their ratio (target >= 0.9);
- padding fraction: padding positions / all processed positions (target <= 10% on the demo corpus);
- peak resident memory (ru_maxrss) of a fresh process extracting the corpus, and the same corpus repeated
  4 times (target: no growth with corpus size), with glibc's default malloc and with a fixed mmap threshold
  (glibc's default heap fragments under many differently-shaped CPU batches and keeps the pages);
- on CUDA: model FLOP/s as 2 x (non-embedding parameters) x tokens / s, and MFU given --peak-tflops.

The corpus is the bundled demo corpus when it is installed; otherwise the hand-written draft stories in
``corpus_drafts/`` of a source checkout; otherwise synthetic stories. The script prints which one it used.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MMAP_THRESHOLD = 65536  # bytes


def load_stories() -> tuple[str, list[str]]:
    """(description, texts) of the benchmark corpus."""
    try:
        from emotion_vectors.corpus.sources import load_bundled_demo

        corpus = load_bundled_demo()
        return f"bundled demo corpus ({len(corpus)} stories)", corpus.texts
    except Exception:  # the demo corpus is not bundled in this checkout yet
        pass
    drafts = sorted((ROOT / "corpus_drafts").glob("stories_*.jsonl"))
    texts = [json.loads(line)["text"] for path in drafts for line in path.read_text().splitlines() if line.strip()]
    if texts:
        return f"draft stories in corpus_drafts/ ({len(texts)} stories; demo corpus not bundled yet)", texts
    rng = random.Random(0)
    words = [
        "the",
        "a",
        "she",
        "he",
        "they",
        "walked",
        "said",
        "looked",
        "felt",
        "door",
        "rain",
        "letter",
        "morning",
        "quietly",
        "again",
        "never",
        "home",
    ]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(80, 220))) + "." for _ in range(300)]
    return "synthetic stories (300; no demo corpus or drafts found)", texts


def make_corpus(texts: list[str], repeat: int):
    from emotion_vectors.corpus.schema import Corpus, Story

    stories = tuple(
        Story(story_id=f"s{r}-{i:05d}", kind="emotion", emotion="calm", topic=None, text=text + " " * r, source="bench")
        for r in range(repeat)
        for i, text in enumerate(texts)
    )
    return Corpus(name=f"bench-x{repeat}", stories=stories, source="benchmark")


def timed_extraction(handle, corpus, settings: dict) -> tuple[float, dict]:
    from emotion_vectors.extract import extract_to_store
    from emotion_vectors.store import MANIFEST_FILE

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        path = extract_to_store(handle, corpus, Path(tmp) / "store", progress=False, **settings)
        seconds = time.perf_counter() - start
        manifest = json.loads((path / MANIFEST_FILE).read_text())
    return seconds, manifest["timings"]


def timed_bare_forward(handle, corpus, settings: dict) -> float:
    """Seconds for the model's own forward over the same batches (inputs prepared beforehand, not timed)."""
    import torch

    from emotion_vectors.extract import make_batch, pad_token_id, plan_batches, tokenize

    tokenized = tokenize(handle.tokenizer, corpus.texts, settings["max_length"])
    eligible = [i for i, n in enumerate(tokenized.lengths) if n > settings["token_offset"]]
    lengths = tokenized.lengths[eligible]
    device = torch.device(handle.device)
    batches = []
    for positions in plan_batches(lengths, settings["batch_tokens"]):
        rows = [tokenized.token_ids[eligible[p]] for p in positions]
        batch = make_batch(
            rows, token_offset=settings["token_offset"], pad_side="right", pad_id=pad_token_id(handle.tokenizer)
        )
        batches.append({"input_ids": batch.input_ids.to(device), "attention_mask": batch.attention_mask.to(device)})
    _sync(device)
    start = time.perf_counter()
    with torch.inference_mode():
        for inputs in batches:
            handle.model(**inputs)
    _sync(device)
    return time.perf_counter() - start


def peak_rss_child(args: argparse.Namespace, repeat: int, env: dict[str, str] | None = None) -> float:
    """Peak RSS (MiB) of a fresh process that loads the model and extracts the corpus repeated ``repeat`` times."""
    command = [sys.executable, __file__, "--child-rss", str(repeat), *_model_args(args)]
    result = subprocess.run(command, capture_output=True, text=True, check=True, env={**os.environ, **(env or {})})
    return float(result.stdout.strip().splitlines()[-1])


def _model_args(args: argparse.Namespace) -> list[str]:
    return [
        "--model",
        args.model,
        "--device",
        args.device,
        "--dtype",
        args.dtype,
        "--batch-tokens",
        str(args.batch_tokens),
    ]


def _settings(args: argparse.Namespace) -> dict:
    return {"token_offset": 50, "max_length": 512, "batch_tokens": args.batch_tokens, "short_story_policy": "skip"}


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--batch-tokens", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=3, help="timed repetitions (best is reported)")
    parser.add_argument("--peak-tflops", type=float, help="accelerator peak TFLOP/s for the MFU")
    parser.add_argument("--child-rss", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    import logging

    import torch

    from emotion_vectors.models import load_model

    logging.getLogger("emotion_vectors").setLevel(logging.ERROR)
    handle = load_model(args.model, device=args.device, dtype=args.dtype)
    description, texts = load_stories()
    settings = _settings(args)
    if args.child_rss is not None:
        timed_extraction(handle, make_corpus(texts, args.child_rss), settings)
        print(_peak_rss_mib())
        return 0

    corpus = make_corpus(texts, 1)
    print(
        f"model: {handle.hub_id} ({handle.model_class}, {handle.n_blocks} blocks, d={handle.d_model}, {handle.dtype})"
    )
    print(f"device: {handle.device}; torch threads: {torch.get_num_threads()}")
    print(f"corpus: {description}; token_offset 50, max_length 512, batch_tokens {args.batch_tokens}, all blocks")
    timed_extraction(handle, corpus, settings)  # warm-up
    timed_bare_forward(handle, corpus, settings)
    extraction, bare = [], []
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit both
        seconds, timings = timed_extraction(handle, corpus, settings)
        extraction.append(seconds)
        bare.append(timed_bare_forward(handle, corpus, settings))
    tokens = timings["tokens"]
    extract_rate, bare_rate = tokens / min(extraction), tokens / min(bare)
    print(f"real tokens: {tokens:,}; padded positions: {timings['padded_tokens']:,}; batches: {timings['batches']}")
    print(f"extraction (end to end, store included): {extract_rate:,.0f} tokens/s (best of {args.repeats})")
    print(f"bare forward (no hooks, no pooling):     {bare_rate:,.0f} tokens/s (best of {args.repeats})")
    print(f"ratio extraction / bare forward: {extract_rate / bare_rate:.3f}   (target >= 0.9)")
    print(f"padding fraction: {timings['padding_fraction']:.4f}   (target <= 0.10)")
    if handle.device.startswith("cuda"):
        non_embedding = sum(
            p.numel() for n, p in handle.model.named_parameters() if "embed" not in n and "lm_head" not in n
        )
        achieved = 2 * non_embedding * extract_rate / 1e12
        mfu = f", MFU {achieved / args.peak_tflops:.1%}" if args.peak_tflops else ""
        print(
            f"model FLOP/s (2 x {non_embedding / 1e6:,.0f}M non-embedding params x tokens/s): {achieved:.1f} TFLOP/s{mfu}"
        )
    n = len(texts)
    for label, env in (
        ("glibc malloc defaults", None),
        (f"MALLOC_MMAP_THRESHOLD_={MMAP_THRESHOLD}", {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD)}),
    ):
        small, large = peak_rss_child(args, 1, env), peak_rss_child(args, 4, env)
        print(
            f"peak RSS ({label}): {small:,.0f} MiB for {n} stories, {large:,.0f} MiB for {4 * n} stories; ratio {large / small:.3f}"
        )
    print("(the fixed mmap threshold returns large freed buffers to the OS, so the second line separates the")
    print(" extraction's own memory from glibc heap fragmentation under varying batch shapes; target ratio ~1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
