"""Extraction throughput against a bare forward pass, padding fraction, and peak memory vs corpus size.

    python benchmarks/extract_throughput.py                      # exactly what `make demo` extracts
    python benchmarks/extract_throughput.py --config configs/paper.toml --model apertus-8b   # a config's settings
    python benchmarks/extract_throughput.py --model apertus-8b --device cuda --dtype bfloat16 --peak-tflops 989
    python benchmarks/extract_throughput.py --random-architecture apertus --layers 16 --hidden 2048 \
        --device cuda --dtype bfloat16 --peak-tflops 989 --corpus-repeat 4 --no-rss --json apertus.json

By default it reads ``configs/demo.toml``: the same model, dtype, device, corpus and extraction settings
(token offset, max length, batch budget, padding side), hence the same batches as ``make demo``. Flags override.

What it measures, on the same stories and the same length-bucketed batches:

- a machine calibration: the fp32 GFLOP/s of a fixed 1024 x 1024 matmul (one thread and all threads), so a
  tokens/s figure from one machine can be compared with another's (tokens/s per GFLOP/s);
- the extraction rate of the last ``make demo`` on this machine (from its store manifest), when there is one,
  against this run's bare forward: whether the demo ran at the benchmark's speed;

- extraction tokens/s: ``extract_to_store`` end to end (tokenize, hooked forwards pooling every block, shard
  and store writes), real (non-padding) tokens per second of wall time;
- bare forward tokens/s: the model's own forward on the same padded batches, no hooks, no pooling, nothing
  copied off the device; their ratio (target >= 0.9);
- padding fraction: padding positions / all processed positions (target <= 10% on the demo corpus);
- peak resident memory (ru_maxrss) of a fresh process extracting the first ``--rss-stories`` stories, and
  those repeated 4 times (target: no growth with corpus size), with glibc's default malloc and with a fixed mmap threshold
  (glibc's default heap fragments under many differently-shaped CPU batches and keeps the pages);
- on CUDA: model FLOP/s as 2 x (non-embedding parameters) x tokens / s, and MFU given --peak-tflops.

The corpus is the bundled demo corpus when it is installed; otherwise the hand-written draft stories in
``corpus_drafts/`` of a source checkout; otherwise synthetic stories. The script prints which one it used.
``--corpus-repeat N`` times N copies of it (a GPU reads the demo corpus in well under a second).

``--random-architecture apertus|gemma4|bert`` measures a model of that real architecture (``ApertusForCausalLM``,
the text-only ``Gemma4ForCausalLM``, or a ``BertModel`` shaped like all-MiniLM-L6-v2 by default) without
downloading weights: it is built from its config with random weights (``--seed``), sized by ``--layers`` and
``--hidden`` (defaults: about 0.9B non-embedding parameters for the decoders), saved with ``save_pretrained``
into a temporary directory together with a word-level tokenizer over the corpus's words (the config's
vocabulary is that tokenizer's), and then loaded by ``load_model`` like any local model. Throughput does not
depend on the weights' values, so it stands in for the trained model of the same shape.
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
# --random-architecture: default (layers, hidden) per architecture. The decoders have about 0.9B non-embedding
# parameters (Apertus: 16 x 56.6M; Gemma-4: 12 x 78M); "bert" is all-MiniLM-L6-v2's shape.
RANDOM_ARCHITECTURES = {"apertus": (16, 2048), "gemma4": (12, 2304), "bert": (6, 384)}


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


def word_tokenizer(texts: list[str], *, encoder: bool):
    """A word-level tokenizer over the words and punctuation marks of ``texts`` (no unknown tokens on them).

    ``encoder``: BERT-style ``[CLS] ... [SEP]`` around each text; otherwise ``<bos>`` before it, as decoders do.
    Ids: pad 0, unk 1, bos/cls 2, eos/sep 3, then the words in sorted order.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    split = pre_tokenizers.Whitespace()
    words = sorted({word for text in texts for word, _ in split.pre_tokenize_str(text)})
    pad, unk, bos, eos = ("[PAD]", "[UNK]", "[CLS]", "[SEP]") if encoder else ("<pad>", "<unk>", "<bos>", "<eos>")
    vocab = {token: i for i, token in enumerate([pad, unk, bos, eos, *words])}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token=unk))
    backend.pre_tokenizer = split
    single = f"{bos} $A {eos}" if encoder else f"{bos} $A"
    special = [(bos, vocab[bos]), (eos, vocab[eos])] if encoder else [(bos, vocab[bos])]
    backend.post_processor = processors.TemplateProcessing(single=single, special_tokens=special)
    names = {"cls_token": bos, "sep_token": eos} if encoder else {"bos_token": bos, "eos_token": eos}
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token=pad, unk_token=unk, model_max_length=512, **names
    )


def random_model_config(
    architecture: str, *, layers: int, hidden: int, heads: int | None, intermediate: int | None, tokenizer
):
    """The ``transformers`` config of a ``--random-architecture`` model, its vocabulary the tokenizer's."""
    from transformers import ApertusConfig, BertConfig, Gemma4TextConfig

    vocab = len(tokenizer)
    ids = {"pad_token_id": tokenizer.pad_token_id}
    if architecture == "apertus":  # Apertus-8B's proportions: head_dim 128, 4 query heads per KV head, MLP 5.25 x d
        heads = heads or max(1, hidden // 128)
        return ApertusConfig(
            vocab_size=vocab,
            hidden_size=hidden,
            intermediate_size=intermediate or int(5.25 * hidden),
            num_hidden_layers=layers,
            num_attention_heads=heads,
            num_key_value_heads=max(1, heads // 4),
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            **ids,
        )
    if architecture == "gemma4":  # Gemma-4's text model: 5 sliding-window layers, then 1 global, repeated
        kwargs = {"num_attention_heads": heads} if heads else {}
        return Gemma4TextConfig(
            vocab_size=vocab,
            vocab_size_per_layer_input=vocab,
            hidden_size=hidden,
            intermediate_size=intermediate or 4 * hidden,
            num_hidden_layers=layers,
            layer_types=["full_attention" if i % 6 == 5 else "sliding_attention" for i in range(layers)],
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            **ids,
            **kwargs,
        )
    if architecture == "bert":  # all-MiniLM-L6-v2's proportions: head_dim 32, MLP 4 x d
        return BertConfig(
            vocab_size=vocab,
            hidden_size=hidden,
            num_hidden_layers=layers,
            num_attention_heads=heads or max(1, hidden // 32),
            intermediate_size=intermediate or 4 * hidden,
            max_position_embeddings=512,
            **ids,
        )
    raise ValueError(f"unknown architecture {architecture!r}; use one of {sorted(RANDOM_ARCHITECTURES)}")


def save_random_model(args: argparse.Namespace, texts: list[str], directory: str) -> dict:
    """Build the ``--random-architecture`` model with random weights, save it and its tokenizer to ``directory``.

    The weights are drawn on ``args.device`` (fast on a GPU) after ``torch.manual_seed(args.seed)``, in the
    benchmark's dtype. Returns a description (architecture, class, config sizes, parameter counts).
    """
    import torch
    import transformers

    from emotion_vectors.models import resolve_dtype

    default_layers, default_hidden = RANDOM_ARCHITECTURES[args.random_architecture]
    layers, hidden = args.layers or default_layers, args.hidden or default_hidden
    encoder = args.random_architecture == "bert"
    tokenizer = word_tokenizer(texts, encoder=encoder)
    config = random_model_config(
        args.random_architecture,
        layers=layers,
        hidden=hidden,
        heads=args.heads,
        intermediate=args.intermediate,
        tokenizer=tokenizer,
    )
    auto = transformers.AutoModel if encoder else transformers.AutoModelForCausalLM
    dtype = getattr(torch, resolve_dtype(args.dtype, args.device))
    torch.manual_seed(args.seed)
    with torch.device(args.device):
        model = auto.from_config(config, dtype=dtype)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    description = {
        "architecture": args.random_architecture,
        "class": type(model).__name__,
        "layers": layers,
        "hidden": hidden,
        "heads": config.num_attention_heads,
        "intermediate": config.intermediate_size,
        "vocab": len(tokenizer),
        "seed": args.seed,
        "parameters": sum(p.numel() for p in model.parameters()),
        "non_embedding_parameters": _non_embedding_parameters(model),
    }
    del model
    if args.device.startswith("cuda"):
        torch.cuda.empty_cache()
    return description


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

    from emotion_vectors.batching import make_batch, pad_token_id, plan_batches, tokenize

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


def _non_embedding_parameters(model) -> int:
    return sum(p.numel() for n, p in model.named_parameters() if "embed" not in n and "lm_head" not in n)


def _model_args(args: argparse.Namespace) -> list[str]:
    return [
        "--model",
        args.model,
        "--device",
        args.device,
        "--dtype",
        args.dtype,
        "--config",
        str(args.config),
        *(["--batch-tokens", str(args.batch_tokens)] if args.batch_tokens is not None else []),
        "--rss-stories",
        str(args.rss_stories),
    ]


def _settings(args: argparse.Namespace) -> dict:
    """The extraction keyword arguments: the config's, with ``--batch-tokens`` overriding its batch budget."""
    import dataclasses

    from emotion_vectors.config import load_config

    settings = dataclasses.asdict(load_config(args.config).extraction)
    if args.batch_tokens is not None:
        settings["batch_tokens"] = args.batch_tokens
    settings["short_story_policy"] = "skip"  # synthetic or repeated corpora may hold short texts
    return settings


def _apply_config(args: argparse.Namespace) -> None:
    """Fill model, device and dtype left unset on the command line from the config's first model."""
    from emotion_vectors.config import load_config

    model = load_config(args.config).models[0]
    args.model = args.model or model.alias
    args.device = args.device or model.device
    args.dtype = args.dtype or model.dtype


def matmul_gflops(threads: int | None = None, n: int = 1024, repeats: int = 5) -> float:
    """fp32 GFLOP/s of an ``n x n`` matmul on the CPU (best of ``repeats``), with ``threads`` torch threads."""
    import torch

    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b  # warm-up
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - start)
    finally:
        torch.set_num_threads(before)
    return 2 * n**3 / best / 1e9


def last_demo_rate(config_path: Path) -> tuple[Path, dict] | None:
    """(manifest path, timings) of the config's last extraction of its first model x first corpus, if any."""
    from emotion_vectors.config import load_config
    from emotion_vectors.report.build import output_dir_of
    from emotion_vectors.store import MANIFEST_FILE, store_dir

    config = load_config(config_path)
    path = store_dir(output_dir_of(config, config_path), config.models[0].alias, config.corpora[0].name) / MANIFEST_FILE
    if not path.is_file():
        return None
    timings = json.loads(path.read_text()).get("timings") or {}
    return (path, timings) if timings.get("tokens_per_second") else None


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "demo.toml", help="settings to measure")
    parser.add_argument("--model", help="model alias, Hub id or directory (default: the config's first model)")
    parser.add_argument("--device", help="default: the config's")
    parser.add_argument("--dtype", help="default: the config's")
    parser.add_argument("--batch-tokens", type=int, help="padded tokens per batch (default: the config's)")
    parser.add_argument("--repeats", type=int, default=2, help="timed repetitions, interleaved (best is reported)")
    parser.add_argument("--rss-stories", type=int, default=100, help="stories in the peak-RSS runs (and x4)")
    parser.add_argument("--peak-tflops", type=float, help="accelerator peak TFLOP/s for the MFU")
    parser.add_argument("--corpus-repeat", type=int, default=1, help="time N copies of the corpus (default 1)")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS child processes")
    parser.add_argument("--json", type=Path, help="also write the measured numbers to this JSON file")
    random_model = parser.add_argument_group("random weights of a real architecture (instead of --model)")
    random_model.add_argument("--random-architecture", choices=sorted(RANDOM_ARCHITECTURES))
    random_model.add_argument("--layers", type=int, help="blocks (default per architecture)")
    random_model.add_argument("--hidden", type=int, help="residual width (default per architecture)")
    random_model.add_argument("--heads", type=int, help="attention heads (default from --hidden)")
    random_model.add_argument("--intermediate", type=int, help="MLP width (default from --hidden)")
    random_model.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    parser.add_argument("--child-rss", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    _apply_config(args)
    if args.random_architecture is None:
        return run(args, random_model=None)
    with tempfile.TemporaryDirectory(prefix="random-model-") as directory:
        _, texts = load_stories()
        random_model = save_random_model(args, texts, directory)
        args.model = directory  # loaded like any local model, here and in the peak-RSS child processes
        return run(args, random_model=random_model)


def run(args: argparse.Namespace, random_model: dict | None) -> int:
    import logging

    import torch

    from emotion_vectors.models import load_model

    logging.getLogger("emotion_vectors").setLevel(logging.ERROR)
    handle = load_model(args.model, device=args.device, dtype=args.dtype)
    description, texts = load_stories()
    settings = _settings(args)
    if args.child_rss is not None:
        timed_extraction(handle, make_corpus(texts[: args.rss_stories], args.child_rss), settings)
        print(_peak_rss_mib())
        return 0

    corpus = make_corpus(texts, args.corpus_repeat)
    if args.corpus_repeat != 1:
        description += f" x {args.corpus_repeat}"
    if random_model is not None:
        print(
            f"random {random_model['architecture']} architecture ({random_model['class']}, seed {random_model['seed']}): "
            f"{random_model['layers']} blocks, d={random_model['hidden']}, {random_model['heads']} heads, "
            f"MLP {random_model['intermediate']}, vocabulary {random_model['vocab']} (word-level over the corpus), "
            f"{random_model['parameters'] / 1e6:,.1f}M parameters"
        )
    print(
        f"model: {handle.hub_id} ({handle.model_class}, {handle.n_blocks} blocks, d={handle.d_model}, {handle.dtype})"
    )
    on_cuda = handle.device.startswith("cuda")
    device_name = torch.cuda.get_device_name(torch.device(handle.device)) if on_cuda else None
    print(f"device: {handle.device}{f' ({device_name})' if on_cuda else ''}; torch threads: {torch.get_num_threads()}")
    print(
        f"corpus: {description}; settings of {args.config.name}: token_offset {settings['token_offset']}, "
        f"max_length {settings['max_length']}, batch_tokens {settings['batch_tokens']}, pad_side "
        f"{settings['pad_side']}, all blocks"
    )
    calibration = {"matmul_gflops_1_thread": matmul_gflops(1), "matmul_gflops_all_threads": matmul_gflops()}
    print(
        f"calibration: fp32 1024x1024 matmul {calibration['matmul_gflops_1_thread']:.1f} GFLOP/s on 1 thread, "
        f"{calibration['matmul_gflops_all_threads']:.1f} GFLOP/s on {torch.get_num_threads()} threads"
    )
    warm_up = make_corpus(texts[:64], 1)
    timed_extraction(handle, warm_up, settings)
    timed_bare_forward(handle, warm_up, settings)
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
    print(
        f"machine-normalised: {extract_rate / calibration['matmul_gflops_all_threads']:.1f} extraction tokens/s "
        "per matmul GFLOP/s"
    )
    demo = last_demo_rate(args.config) if random_model is None and args.corpus_repeat == 1 else None
    if demo is not None:
        path, recorded = demo
        print(
            f"last `make demo` extraction ({path.parent.name}): {recorded['tokens_per_second']:,.0f} tokens/s over "
            f"{recorded['tokens']:,} tokens = {recorded['tokens_per_second'] / bare_rate:.2f} x this run's bare forward"
        )
    results = {
        "model": f"random-{random_model['architecture']}" if random_model else args.model,
        "model_class": handle.model_class,
        "n_blocks": handle.n_blocks,
        "d_model": handle.d_model,
        "dtype": handle.dtype,
        "device": handle.device,
        "device_name": device_name,
        "random_model": random_model,
        "corpus": description,
        "config": str(args.config),
        "settings": settings,
        **calibration,
        "last_demo_timings": demo[1] if demo else None,
        "repeats": args.repeats,
        "tokens": tokens,
        "padded_tokens": timings["padded_tokens"],
        "batches": timings["batches"],
        "extraction_seconds": extraction,
        "bare_forward_seconds": bare,
        "extraction_tokens_per_s": extract_rate,
        "bare_forward_tokens_per_s": bare_rate,
        "ratio": extract_rate / bare_rate,
        "padding_fraction": timings["padding_fraction"],
        "non_embedding_parameters": _non_embedding_parameters(handle.model),
    }
    if on_cuda:
        non_embedding = results["non_embedding_parameters"]
        achieved = 2 * non_embedding * extract_rate / 1e12
        achieved_bare = 2 * non_embedding * bare_rate / 1e12
        mfu = f", MFU {achieved / args.peak_tflops:.1%}" if args.peak_tflops else ""
        mfu_bare = f", MFU {achieved_bare / args.peak_tflops:.1%}" if args.peak_tflops else ""
        print(
            f"model FLOP/s (2 x {non_embedding / 1e6:,.0f}M non-embedding params x tokens/s): {achieved:.1f} TFLOP/s{mfu}"
        )
        print(f"bare forward FLOP/s (same count): {achieved_bare:.1f} TFLOP/s{mfu_bare}")
        peak_memory = torch.cuda.max_memory_allocated(torch.device(handle.device)) / 2**30
        print(f"peak GPU memory allocated: {peak_memory:.2f} GiB")
        results.update(
            extraction_tflops=achieved,
            bare_forward_tflops=achieved_bare,
            peak_tflops=args.peak_tflops,
            mfu=achieved / args.peak_tflops if args.peak_tflops else None,
            bare_forward_mfu=achieved_bare / args.peak_tflops if args.peak_tflops else None,
            peak_gpu_memory_gib=peak_memory,
        )
    if args.json is not None:  # written before the RSS children, so it survives a time limit hit there
        args.json.write_text(json.dumps(results, indent=2))
    if args.no_rss:
        return 0
    n = min(len(texts), args.rss_stories)
    for label, env in (
        ("glibc malloc defaults", None),
        (f"MALLOC_MMAP_THRESHOLD_={MMAP_THRESHOLD}", {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD)}),
    ):
        small, large = peak_rss_child(args, 1, env), peak_rss_child(args, 4, env)
        print(
            f"peak RSS ({label}): {small:,.0f} MiB for {n} stories, {large:,.0f} MiB for {4 * n} stories; ratio {large / small:.3f}"
        )
        results[f"peak_rss_mib ({label})"] = {str(n): small, str(4 * n): large}
    print("(the fixed mmap threshold returns large freed buffers to the OS, so the second line separates the")
    print(" extraction's own memory from glibc heap fragmentation under varying batch shapes; target ratio ~1.0)")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
