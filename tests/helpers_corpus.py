"""Builders for the corpus tests: small corpus files in both layouts, a local Hub-style dataset directory,
a chat tokenizer with templates shaped like the real models', tiny random Apertus and Gemma-4 models, and a
scripted fake generation backend."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from emotion_vectors.corpus.backends import RenderedPrompt, SamplingParams

# Three texts whose fingerprint was computed outside Python:
#   printf 'A calm lake at dawn.\nHe slammed the door.\nShe laughed until she cried.' | sha256sum
KNOWN_TEXTS = ("She laughed until she cried.", "  He slammed the door.", "A calm lake at dawn.\n")
KNOWN_FINGERPRINT = "53662eb8f3e989178671998f800340fbf4f94bf5b5ffb4487905ff90d3790894"

# Apertus-like: a default system prompt with today's date when none is given, as the real template does.
APERTUS_LIKE_TEMPLATE = (
    "{{ bos_token }}"
    "{% if messages[0]['role'] == 'system' %}{% set rest = messages[1:] %}"
    "<|system|>{{ messages[0]['content'] }}<|end|>"
    "{% else %}{% set rest = messages %}"
    "<|system|>You are a helpful assistant. Today is {{ strftime_now('%Y-%m-%d') }}.<|end|>"
    "{% endif %}"
    "{% for m in rest %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
# Gemma-like: turns with a model role, no system prompt.
GEMMA_LIKE_TEMPLATE = (
    "{{ bos_token }}"
    "{% for m in messages %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' else m['role'] }}\n"
    "{{ m['content'] }}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_parquet(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(list(rows)), path)
    return path


def story_text(emotion: str, topic: str, k: int, n_words: int = 40) -> str:
    """A distinct, leak-free filler story (made of ``w<number>`` words; deterministic)."""
    rng = random.Random(f"{emotion}|{topic}|{k}")
    words = [f"w{rng.randrange(100_000)}" for _ in range(n_words)]
    return f"Story {k}: " + " ".join(words) + "."


def prompt_rows(spec: dict[str, list[str]], per_prompt: int = 3) -> list[dict[str, Any]]:
    """Authors'-layout rows: for each emotion, one row per topic with ``per_prompt`` stories."""
    rows = []
    for emotion, topics in spec.items():
        for topic in topics:
            stories = [story_text(emotion, topic, k) for k in range(per_prompt)]
            rows.append(
                {
                    "emotion": emotion,
                    "topic": topic,
                    "prompt": f"Write {per_prompt} stories about {topic}.",
                    "raw_response": "".join(f"[story {k + 1}]\n{s}\n" for k, s in enumerate(stories)),
                    "stories": stories,
                    "n_stories_parsed": per_prompt,
                    "timestamp": "2026-01-01T00:00:00",
                }
            )
    return rows


def story_rows_from(rows: Sequence[dict[str, Any]], text_column: str = "text") -> list[dict[str, Any]]:
    """The same stories, one per row."""
    return [
        {"emotion": row["emotion"], "topic": row["topic"], text_column: story}
        for row in rows
        for story in row["stories"]
    ]


def hub_dataset_dir(root: Path, rows: Sequence[dict[str, Any]], fmt: str = "jsonl") -> Path:
    """A directory laid out like a Hub dataset repo (``data/train-00000-of-00001.<fmt>`` + README)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("# test corpus\n", encoding="utf-8")
    target = root / "data" / f"train-00000-of-00001.{fmt}"
    (write_jsonl if fmt == "jsonl" else write_parquet)(target, rows)
    return root


# ------------------------------------------------------------------------------------------ generation


CHAT_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>", "<|end|>", "<start_of_turn>", "<end_of_turn>")
SPECIAL_TOKENS = ("<pad>", "<bos>", "<eos>", "<unk>")


def chat_tokenizer(template: str):
    """A small word-level tokenizer (the packaged prompts' words) with a BOS, chat control tokens and a template.

    Like the real models' tokenizers, its plain call prepends ``<bos>`` and the template writes one too, so
    rendering with ``tokenize=False`` and then tokenizing with special tokens would double the BOS.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    from emotion_vectors.resources import NEUTRAL_PROMPT, STORY_PROMPT, data_path

    text = " ".join(data_path(name).read_text(encoding="utf-8") for name in (STORY_PROMPT, NEUTRAL_PROMPT))
    words = sorted(set(re.findall(r"\w+|[^\w\s]", (text + " afraid calm worn out premise number hello").lower())))
    vocab = {token: i for i, token in enumerate((*SPECIAL_TOKENS, *CHAT_TOKENS, *words))}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 1)])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<bos>",
        eos_token="<eos>",
        pad_token="<pad>",
        unk_token="<unk>",
        additional_special_tokens=list(CHAT_TOKENS),
    )
    tokenizer.chat_template = template
    return tokenizer


def _seeded(build: Callable[[], torch.nn.Module], seed: int) -> torch.nn.Module:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = build()
    return model.float().eval()


def tiny_apertus(vocab_size: int, eos_id: int) -> torch.nn.Module:
    from transformers import ApertusConfig, ApertusForCausalLM

    config = ApertusConfig(
        vocab_size=vocab_size,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=16384,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=eos_id,
    )
    return _seeded(lambda: ApertusForCausalLM(config), 3)


def tiny_gemma4(vocab_size: int, eos_id: int) -> torch.nn.Module:
    from transformers import Gemma4Config, Gemma4ForConditionalGeneration, Gemma4TextConfig

    text = Gemma4TextConfig(
        vocab_size=vocab_size,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=8,
        vocab_size_per_layer_input=vocab_size,
        hidden_size_per_layer_input=4,
        sliding_window=16,
        layer_types=["sliding_attention", "full_attention"],
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=eos_id,
    )
    config = Gemma4Config(text_config=text, vision_config=None, audio_config=None)
    return _seeded(lambda: Gemma4ForConditionalGeneration(config), 4)


class ScriptedBackend:
    """A fake backend whose reply is ``reply(prompt_text, seed)``; records every call."""

    name = "scripted"
    model_id = "scripted/fake"
    revision = "0" * 40

    def __init__(self, reply: Callable[[str, int], str], fail_after: int | None = None) -> None:
        self.reply = reply
        self.calls: list[tuple[str, int]] = []
        self.fail_after = fail_after

    def render(self, message: str) -> RenderedPrompt:
        from emotion_vectors.corpus.backends import RenderedPrompt

        return RenderedPrompt(text=f"<user>{message}<assistant>", token_ids=(1, 2, 3))

    def top_k(self, params: SamplingParams) -> int:
        return params.top_k or 0

    def generate(self, prompts: Sequence[RenderedPrompt], seeds: Sequence[int], params: SamplingParams) -> list[str]:
        out = []
        for prompt, seed in zip(prompts, seeds, strict=True):
            if self.fail_after is not None and len(self.calls) >= self.fail_after:
                raise KeyboardInterrupt
            self.calls.append((prompt.text, seed))
            out.append(self.reply(prompt.text, seed))
        return out

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model_id, "revision": self.revision}


def demo_subset(n_emotions: int = 12, per_emotion: int = 2) -> list[dict[str, Any]]:
    """The first ``per_emotion`` bundled demo stories of each of the first ``n_emotions`` emotions, as rows."""
    path = Path(__file__).resolve().parents[1] / "emotion_vectors" / "data" / "demo_stories.jsonl"
    kept: dict[str, int] = {}
    subset = []
    for row in (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()):
        if kept.get(row["emotion"], 0) < per_emotion and (row["emotion"] in kept or len(kept) < n_emotions):
            kept[row["emotion"]] = kept.get(row["emotion"], 0) + 1
            subset.append(row)
    return subset


def tiny_demo_config(
    tmp_path: Path,
    rows: Sequence[dict[str, Any]],
    *,
    corpus_extra: str = "",
    max_length: int | None = None,
    pca: int = 5,
    resamples: int = 10,
) -> Path:
    """A small pipeline config: MiniLM blocks 4-5 on ``rows`` (written as ``tiny.jsonl``), a small bootstrap, no
    PDF. ``max_length`` adds an ``[extraction]`` section; ``corpus_extra`` adds keys to the corpus."""
    corpus = write_jsonl(tmp_path / "tiny.jsonl", rows)
    extraction = "" if max_length is None else f"[extraction]\nmax_length = {max_length}\nbatch_tokens = 4096\n"
    config = tmp_path / "configs" / "tiny.toml"
    config.parent.mkdir(exist_ok=True)
    config.write_text(
        f"""
profile = "demo"
output_dir = "out"
[[models]]
alias = "minilm"
layers = "4-5"
[[corpora]]
name = "tiny"
source = "local"
path = "{corpus}"
{corpus_extra}
{extraction}[analysis]
pca_components = {pca}
bootstrap_resamples = {resamples}
permutations = 10
[report]
build_pdf = false
""",
        encoding="utf-8",
    )
    return config


def run_tiny(config: Path, out: Path, **kwargs: Any):
    """:func:`emotion_vectors.pipeline.run_pipeline` on a config file, without progress bars."""
    from emotion_vectors import pipeline
    from emotion_vectors.config import load_config

    return pipeline.run_pipeline(load_config(config), out, config_path=config, progress=False, **kwargs)
