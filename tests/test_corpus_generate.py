"""Generation end to end: retries and parsing with a scripted backend; checkpoint and resume; the real
transformers backend on tiny random Apertus and Gemma-4 models (chat-template prompts, per-row seeds that make
the output independent of batch size, resume equal to an uninterrupted run); the sampler itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import torch
from helpers_corpus import (
    APERTUS_LIKE_TEMPLATE,
    GEMMA_LIKE_TEMPLATE,
    ScriptedBackend,
    chat_tokenizer,
    tiny_apertus,
    tiny_gemma4,
)

from emotion_vectors.config import NeutralConfig
from emotion_vectors.corpus import prompts, sources
from emotion_vectors.corpus.backends import SamplingParams, SeededSampler, TransformersBackend, VllmBackend
from emotion_vectors.corpus.generate import GenerationSettings, generate_corpus, manifest_path
from emotion_vectors.errors import CorpusError, ModelError

TOPICS = [f"premise number {i}" for i in range(10)]


def _plan(emotions: tuple[str, ...] = ("afraid", "calm", "worn out"), per_emotion: int = 2) -> tuple:
    template = prompts.load_template("emotion")
    return prompts.plan_stories(emotions, TOPICS, template=template, topics_per_emotion=per_emotion, seed=1)


def _three_stories(prompt: str, seed: int) -> str:
    return f"Here you go.\n[story 1]\nA {seed % 97}.\n[story 2]\nB {len(prompt)}.\n[story 3]\nC.\n"


# ------------------------------------------------------------------------------------------ scripted backend


def test_rows_follow_the_plan_and_load_as_a_corpus(tmp_path: Path) -> None:
    plan = _plan()
    out = tmp_path / "gen.jsonl"
    summary = generate_corpus(plan, ScriptedBackend(_three_stories), out, progress=False)
    assert (summary.n_prompts, summary.n_generated, summary.n_parse_failures) == (6, 6, 0)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["prompt_id"] for r in rows] == [p.prompt_id for p in plan]
    assert rows[0]["stories"][1] == f"B {len(rows[0]['chat_prompt'])}." and rows[0]["attempts"] == 1
    assert rows[0]["seed"] == plan[0].seed(42) and rows[0]["chat_prompt"] == f"<user>{plan[0].prompt}<assistant>"
    loaded = sources.load_file(out)
    assert len(loaded.corpus) == 18 and loaded.corpus.story_ids[:2] == ["afraid/000", "afraid/001"]
    assert {s.generator for s in loaded.corpus} == {"scripted/fake"}
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    assert manifest["complete"] is True and manifest["key"]["n_prompts"] == 6


def test_failed_parse_is_retried_with_the_next_derived_seed(tmp_path: Path) -> None:
    plan = _plan(("afraid",), per_emotion=1)
    failing_seed = plan[0].seed(42, 0)

    def reply(prompt: str, seed: int) -> str:
        return "[story 1] only one" if seed == failing_seed else _three_stories(prompt, seed)

    backend = ScriptedBackend(reply)
    out = tmp_path / "retry.jsonl"
    summary = generate_corpus(plan, backend, out, progress=False)
    row = json.loads(out.read_text(encoding="utf-8"))
    assert [seed for _, seed in backend.calls] == [plan[0].seed(42, 0), plan[0].seed(42, 1)]
    assert row["attempts"] == 2 and row["seed"] == plan[0].seed(42, 1) and row["parse_ok"] is True
    assert summary.n_retried == 1 and summary.n_parse_failures == 0


def test_attempts_are_bounded_and_the_failure_is_recorded(tmp_path: Path) -> None:
    plan = _plan(("afraid",), per_emotion=1)
    backend = ScriptedBackend(lambda prompt, seed: "no markers")
    out = tmp_path / "fail.jsonl"
    settings = GenerationSettings(max_attempts=3)
    summary = generate_corpus(plan, backend, out, settings=settings, progress=False)
    row = json.loads(out.read_text(encoding="utf-8"))
    assert len(backend.calls) == 3 and row["attempts"] == 3 and row["parse_ok"] is False
    assert row["stories"] == [] and row["n_stories_parsed"] == 0 and summary.n_parse_failures == 1


def test_batch_size_does_not_change_the_output(tmp_path: Path) -> None:
    plan = _plan()
    files = []
    for batch_size in (1, 4):
        out = tmp_path / f"b{batch_size}.jsonl"
        generate_corpus(
            plan,
            ScriptedBackend(_three_stories),
            out,
            settings=GenerationSettings(batch_size=batch_size),
            progress=False,
        )
        files.append(out.read_bytes())
    assert files[0] == files[1]


def test_interrupted_run_resumes_to_the_same_bytes(tmp_path: Path) -> None:
    plan = _plan()
    settings = GenerationSettings(batch_size=2)
    whole = tmp_path / "whole.jsonl"
    generate_corpus(plan, ScriptedBackend(_three_stories), whole, settings=settings, progress=False)

    out = tmp_path / "resumed.jsonl"
    with pytest.raises(KeyboardInterrupt):
        generate_corpus(plan, ScriptedBackend(_three_stories, fail_after=3), out, settings=settings, progress=False)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2  # the first batch was flushed
    with out.open("a", encoding="utf-8") as handle:
        handle.write('{"prompt_id": "calm/p00", "trunc')  # a line cut short by a crash
    backend = ScriptedBackend(_three_stories)
    summary = generate_corpus(plan, backend, out, settings=GenerationSettings(batch_size=3), progress=False)
    assert out.read_bytes() == whole.read_bytes()
    assert (summary.n_resumed, summary.n_generated, len(backend.calls)) == (2, 4, 4)
    again = ScriptedBackend(_three_stories)
    assert generate_corpus(plan, again, out, progress=False).n_generated == 0 and again.calls == []
    assert len(json.loads(manifest_path(out).read_text(encoding="utf-8"))["resumed"]) == 2


def test_resume_with_other_settings_is_refused(tmp_path: Path) -> None:
    plan = _plan()
    out = tmp_path / "g.jsonl"
    generate_corpus(plan, ScriptedBackend(_three_stories), out, progress=False)
    with pytest.raises(CorpusError, match="differ: seed"):
        generate_corpus(plan, ScriptedBackend(_three_stories), out, settings=GenerationSettings(seed=1), progress=False)
    with pytest.raises(CorpusError, match="plan_sha256"):
        generate_corpus(plan[:3], ScriptedBackend(_three_stories), out, progress=False)


def test_an_unknown_existing_file_is_never_appended_to(tmp_path: Path) -> None:
    out = tmp_path / "mine.jsonl"
    out.write_text('{"something": "else"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="refusing to append"):
        generate_corpus(_plan(), ScriptedBackend(_three_stories), out, progress=False)
    assert out.read_text(encoding="utf-8") == '{"something": "else"}\n'


def test_neutral_generation_loads_as_a_neutral_baseline(tmp_path: Path) -> None:
    plan = prompts.plan_neutral(["Basalt", "Tides"], template=prompts.load_template("neutral"))
    out = tmp_path / "neutral.jsonl"
    generate_corpus(plan, ScriptedBackend(_three_stories), out, progress=False)
    corpus = sources.load_neutral(NeutralConfig(source="local", path=str(out)))
    assert len(corpus) == 6 and {s.kind for s in corpus} == {"neutral"}
    assert corpus.story_ids[:2] == ["neutral/000", "neutral/001"]


# ------------------------------------------------------------------------------------------ real backends

MODELS: dict[str, tuple[Callable, str]] = {
    "apertus": (tiny_apertus, APERTUS_LIKE_TEMPLATE),
    "gemma4": (tiny_gemma4, GEMMA_LIKE_TEMPLATE),
}
SMALL = GenerationSettings(batch_size=3, max_attempts=2, sampling=SamplingParams(max_new_tokens=5))


@pytest.fixture(params=sorted(MODELS))
def real_backend(request: pytest.FixtureRequest) -> TransformersBackend:
    build, template = MODELS[request.param]
    tokenizer = chat_tokenizer(template)
    model = build(len(tokenizer), tokenizer.eos_token_id)
    return TransformersBackend(model, tokenizer, model_id=f"tiny/{request.param}", revision=None)


def test_prompt_is_built_through_the_chat_template(real_backend: TransformersBackend, tmp_path: Path) -> None:
    plan = _plan(("afraid",), per_emotion=1)
    out = tmp_path / "g.jsonl"
    generate_corpus(plan, real_backend, out, settings=SMALL, progress=False)
    row = json.loads(out.read_text(encoding="utf-8"))
    tokenizer = real_backend.tokenizer
    expected = tokenizer.apply_chat_template(
        [{"role": "user", "content": plan[0].prompt}], tokenize=False, add_generation_prompt=True
    )
    assert row["chat_prompt"] == expected and plan[0].prompt in expected
    assert "system" not in expected or "Today is" in expected  # only the template's own default system prompt
    assert row["prompt_token_ids"] == tokenizer(expected, add_special_tokens=False)["input_ids"]
    bos = tokenizer.bos_token_id
    assert row["prompt_token_ids"][0] == bos and row["prompt_token_ids"][1] != bos  # one BOS, not two
    assert tokenizer(expected)["input_ids"][:2] == [bos, bos]  # what the naive call would have sent
    assert row["attempts"] == 2 and row["parse_ok"] is False  # a random model writes no markers: retried, kept
    assert row["raw_response"] and row["generator"] == real_backend.model_id


def test_apertus_like_template_date_is_recorded(tmp_path: Path) -> None:
    tokenizer = chat_tokenizer(APERTUS_LIKE_TEMPLATE)
    backend = TransformersBackend(tiny_apertus(len(tokenizer), tokenizer.eos_token_id), tokenizer, model_id="tiny/a")
    rendered = backend.render("hello")
    assert f"Today is {datetime.now().strftime('%Y-%m')}" in rendered.text


def test_same_seed_same_output_whatever_the_batch_size(real_backend: TransformersBackend, tmp_path: Path) -> None:
    plan = _plan(("afraid", "calm"), per_emotion=2)
    outputs = []
    for batch_size in (1, 3):
        out = tmp_path / f"b{batch_size}.jsonl"
        settings = GenerationSettings(batch_size=batch_size, max_attempts=1, sampling=SMALL.sampling)
        generate_corpus(plan, real_backend, out, settings=settings, progress=False)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    rows = [json.loads(line) for line in outputs[0].decode().splitlines()]
    replies = [row["raw_response"] for row in rows]
    assert len(set(replies)) == len(replies)  # different prompts and seeds really give different text
    # the same prompt with another seed gives another reply
    other = real_backend.generate([real_backend.render(plan[0].prompt)], [plan[0].seed(7)], SMALL.sampling)
    assert other[0] != replies[0]


def test_real_backend_resume_equals_uninterrupted(real_backend: TransformersBackend, tmp_path: Path) -> None:
    plan = _plan(("afraid", "calm"), per_emotion=2)
    whole = tmp_path / "whole.jsonl"
    generate_corpus(plan, real_backend, whole, settings=SMALL, progress=False)

    class Interrupting:
        """The real backend, interrupted on its second batch."""

        def __init__(self) -> None:
            self.batches = 0

        def __getattr__(self, name: str):
            return getattr(real_backend, name)

        def generate(self, *args, **kwargs):
            self.batches += 1
            if self.batches == 3:  # batch 1 = attempt 1 + retry of 3 prompts; batch 2 starts here
                raise KeyboardInterrupt
            return real_backend.generate(*args, **kwargs)

    out = tmp_path / "resumed.jsonl"
    with pytest.raises(KeyboardInterrupt):
        generate_corpus(plan, Interrupting(), out, settings=SMALL, progress=False)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    generate_corpus(plan, real_backend, out, settings=SMALL, progress=False)
    assert out.read_bytes() == whole.read_bytes()


# ------------------------------------------------------------------------------------------ sampler


def _draw(logits: list[float], seeds: range, **kwargs) -> torch.Tensor:
    sampler = SeededSampler(list(seeds), device="cpu", **{"temperature": 1.0, "top_k": 0, "top_p": 1.0, **kwargs})
    scores = torch.tensor([logits] * len(seeds))
    out = sampler(torch.zeros((len(seeds), 1), dtype=torch.long), scores)
    assert bool((out.max(dim=-1).values == 0).all()) and bool(torch.isinf(out).sum(dim=-1).eq(len(logits) - 1).all())
    return out.argmax(dim=-1)


def test_sampler_draws_from_the_softmax() -> None:
    logits = [0.0, 1.0, 2.0]
    tokens = _draw(logits, range(6000))
    frequencies = torch.bincount(tokens, minlength=3).double() / 6000
    expected = torch.tensor(logits).double().softmax(-1)  # 0.090, 0.245, 0.665
    assert torch.allclose(frequencies, expected, atol=0.025)
    cooled = torch.bincount(_draw(logits, range(6000), temperature=0.5), minlength=3).double() / 6000
    assert torch.allclose(cooled, (torch.tensor(logits).double() / 0.5).softmax(-1), atol=0.025)


def test_sampler_top_k_and_top_p() -> None:
    logits = [0.0, 1.0, 2.0, 0.5]
    assert set(_draw(logits, range(500), top_k=2).tolist()) == {1, 2}
    # softmax = [0.078, 0.213, 0.579, 0.129]: the smallest set with mass >= top_p is kept
    assert set(_draw(logits, range(500), top_p=0.75).tolist()) == {1, 2}  # 0.579 + 0.213 = 0.792
    assert set(_draw(logits, range(500), top_p=0.8).tolist()) == {1, 2, 3}  # 0.792 + 0.129 = 0.921
    assert set(_draw(logits, range(50), top_p=0.5).tolist()) == {2}


def test_sampler_rows_depend_only_on_their_seed() -> None:
    logits = [[0.1 * i for i in range(50)]] * 3
    a = SeededSampler([5, 6, 7], temperature=1.0, top_k=0, top_p=1.0, device="cpu")
    b = SeededSampler([7], temperature=1.0, top_k=0, top_p=1.0, device="cpu")
    for _ in range(5):
        row_a = a(torch.zeros((3, 1), dtype=torch.long), torch.tensor(logits)).argmax(-1)[2]
        row_b = b(torch.zeros((1, 1), dtype=torch.long), torch.tensor(logits[:1])).argmax(-1)[0]
        assert row_a == row_b


def test_top_k_default_follows_the_model_generation_config(real_backend: TransformersBackend) -> None:
    real_backend.model.generation_config.top_k = None
    assert real_backend.top_k(SamplingParams()) == 50
    real_backend.model.generation_config.top_k = 64
    assert real_backend.top_k(SamplingParams()) == 64
    assert real_backend.top_k(SamplingParams(top_k=0)) == 0


def test_vllm_backend_without_vllm_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_vllm(name, *args, **kwargs):
        if name == "vllm":
            raise ImportError("No module named 'vllm'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_vllm)
    with pytest.raises(ModelError) as info:
        VllmBackend("apertus-8b", revision=None, dtype="auto")
    assert "emotion-vectors[vllm]" in info.value.fix
