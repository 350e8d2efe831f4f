"""Generation backends behind one interface: transformers ``generate`` and vLLM (optional extra).

A backend renders a user message through the model's chat template (no system message) and samples one reply
per prompt, each prompt with its own seed, so a prompt's reply does not depend on which other prompts share
its batch or in which order they come.

Prompt rendering (:func:`render_chat`): ``apply_chat_template(tokenize=False, add_generation_prompt=True)``
gives the exact prompt text, which is then tokenized with ``add_special_tokens=False`` (the template already
writes the BOS; a plain tokenizer call would add a second one). Both the text and the token ids are returned
and recorded, because some templates (Apertus) put today's date into a default system prompt.

Seeded sampling in the transformers backend: ``generate`` runs in greedy mode with one extra logits processor,
:class:`SeededSampler`, which applies temperature, top-k and top-p exactly as transformers' sampling warpers do
and then draws the next token of each row with that row's own ``torch.Generator`` (an exponential race, which
samples from the filtered distribution); it returns a one-hot score row, so the greedy step picks the sampled
token. Row ``i``'s random stream therefore depends on its seed alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

import torch
from transformers import LogitsProcessor

from emotion_vectors.errors import ConfigError, ModelError

BackendName = Literal["transformers", "vllm"]
BACKENDS: tuple[str, ...] = ("transformers", "vllm")
TRANSFORMERS_DEFAULT_TOP_K = 50  # transformers' global default, used when the model's generation config has none


@dataclass(frozen=True)
class SamplingParams:
    """Sampling settings (defaults: the paper's).

    ``top_k = None`` means what ``model.generate(do_sample=True, temperature=..., top_p=...)`` does, as the
    paper called it: the model's generation-config ``top_k``, else transformers' default 50. ``0`` disables it.
    """

    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int | None = None
    max_new_tokens: int = 2048

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise ConfigError(f"temperature must be > 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k is not None and self.top_k < 0:
            raise ConfigError(f"top_k must be >= 0, got {self.top_k}")
        if self.max_new_tokens < 1:
            raise ConfigError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RenderedPrompt:
    """A user message as the model sees it: the chat-template text and its token ids (BOS included once)."""

    text: str
    token_ids: tuple[int, ...]


class Backend(Protocol):
    """What :func:`emotion_vectors.corpus.generate.generate_corpus` needs from a generation backend."""

    name: str
    model_id: str
    revision: str | None

    def render(self, message: str) -> RenderedPrompt:
        """The user ``message`` through the chat template (no system message, generation prompt added)."""
        ...

    def top_k(self, params: SamplingParams) -> int:
        """The top-k the backend applies for ``params`` (0: none)."""
        ...

    def generate(self, prompts: Sequence[RenderedPrompt], seeds: Sequence[int], params: SamplingParams) -> list[str]:
        """One sampled reply per prompt; prompt ``i`` is sampled with ``seeds[i]`` only."""
        ...

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for the generation manifest."""
        ...


def render_chat(tokenizer: Any, message: str) -> RenderedPrompt:
    """Render ``message`` as the single user turn of a chat and tokenize it without adding special tokens."""
    if not getattr(tokenizer, "chat_template", None):
        raise ModelError(
            f"tokenizer {type(tokenizer).__name__} has no chat template",
            fix="generate with an instruction-tuned model whose tokenizer ships a chat template",
        )
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": message}], tokenize=False, add_generation_prompt=True
    )
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return RenderedPrompt(text=text, token_ids=tuple(int(i) for i in ids))


class SeededSampler(LogitsProcessor):
    """Logits processor that samples each row with its own generator (see the module docstring).

    Args:
        seeds: One seed per batch row.
        temperature, top_k, top_p: As in transformers' warpers; ``top_k = 0`` disables top-k.
        device: Device of the scores (the generators live there).
    """

    def __init__(self, seeds: Sequence[int], *, temperature: float, top_k: int, top_p: float, device: Any) -> None:
        self.generators = [torch.Generator(device=device).manual_seed(int(seed)) for seed in seeds]
        self.temperature = temperature
        self.top_k = top_k
        self.top_p = top_p

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        logits = scores.float() / self.temperature
        if self.top_k > 0:
            k = min(self.top_k, logits.shape[-1])
            kth = torch.topk(logits, k, dim=-1).values[..., -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        if self.top_p < 1.0:
            sorted_logits, sorted_index = torch.sort(logits, descending=False, dim=-1)
            cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
            remove_sorted = cumulative <= (1 - self.top_p)
            remove_sorted[..., -1:] = False  # always keep the most likely token
            remove = remove_sorted.scatter(-1, sorted_index, remove_sorted)
            logits = logits.masked_fill(remove, float("-inf"))
        probs = logits.softmax(dim=-1)
        noise = torch.stack(
            [torch.empty(probs.shape[-1], device=probs.device).exponential_(generator=g) for g in self.generators]
        )
        choice = (probs / noise).argmax(dim=-1)
        out = torch.full_like(scores, float("-inf"))
        out[torch.arange(out.shape[0], device=out.device), choice] = 0.0
        return out


class TransformersBackend:
    """Batched, left-padded ``model.generate`` with per-row seeds.

    Args:
        model: A causal LM (``ApertusForCausalLM``, ``Gemma4ForConditionalGeneration``, ...) in eval mode.
        tokenizer: Its tokenizer, with a chat template.
        model_id: Hub id or path, recorded in the output.
        revision: Resolved revision (commit sha) of the weights, where known.
    """

    name = "transformers"

    def __init__(self, model: Any, tokenizer: Any, *, model_id: str, revision: str | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.revision = revision
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        if self.pad_id is None:
            raise ModelError(f"{model_id}: the tokenizer has neither a pad nor an EOS token")
        eos = model.generation_config.eos_token_id
        eos = eos if eos is not None else tokenizer.eos_token_id
        self.eos_ids = frozenset([eos] if isinstance(eos, int) else (eos or []))

    @classmethod
    def load(cls, model: str, *, revision: str | None, dtype: str, device: str) -> TransformersBackend:
        """Load a registered alias, Hub id or local directory through :func:`emotion_vectors.models.load_model`."""
        from emotion_vectors.models import load_model

        handle = load_model(model, revision=revision, dtype=dtype, device=device)
        if not hasattr(handle.model, "generate"):
            raise ModelError(f"{model!r} ({handle.model_class}) cannot generate", fix="use a causal language model")
        return cls(handle.model, handle.tokenizer, model_id=handle.hub_id, revision=handle.resolved_revision)

    def top_k(self, params: SamplingParams) -> int:
        """The top-k actually applied (see :class:`SamplingParams`)."""
        if params.top_k is not None:
            return params.top_k
        model_top_k = getattr(self.model.generation_config, "top_k", None)
        return TRANSFORMERS_DEFAULT_TOP_K if model_top_k is None else int(model_top_k)

    def render(self, message: str) -> RenderedPrompt:
        return render_chat(self.tokenizer, message)

    def generate(self, prompts: Sequence[RenderedPrompt], seeds: Sequence[int], params: SamplingParams) -> list[str]:
        from transformers import GenerationConfig, LogitsProcessorList

        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
        if not prompts:
            return []
        device = next(self.model.parameters()).device
        width = max(len(p.token_ids) for p in prompts)
        input_ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, prompt in enumerate(prompts):  # left padding
            n = len(prompt.token_ids)
            input_ids[row, width - n :] = torch.tensor(prompt.token_ids, dtype=torch.long)
            attention_mask[row, width - n :] = 1
        sampler = SeededSampler(
            seeds, temperature=params.temperature, top_k=self.top_k(params), top_p=params.top_p, device=device
        )
        config = GenerationConfig(
            do_sample=False, num_beams=1, max_new_tokens=params.max_new_tokens, pad_token_id=self.pad_id
        )
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention_mask.to(device),
                generation_config=config,
                logits_processor=LogitsProcessorList([sampler]),
            )
        return [self._decode(row[width:].tolist()) for row in output]

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model_id,
            "revision": self.revision,
            "model_class": type(self.model).__name__,
            "dtype": str(next(self.model.parameters()).dtype).removeprefix("torch."),
        }

    def _decode(self, ids: list[int]) -> str:
        for position, token in enumerate(ids):
            if token in self.eos_ids:
                ids = ids[:position]
                break
        return self.tokenizer.decode(ids, skip_special_tokens=True)


class VllmBackend:
    """vLLM offline inference with a per-request seed (``pip install 'emotion-vectors[vllm]'``)."""

    name = "vllm"

    def __init__(self, model: str, *, revision: str | None, dtype: str, seed: int = 0) -> None:
        try:
            import vllm
        except ImportError:
            raise ModelError(
                "the vLLM backend needs the optional 'vllm' package, which is not installed",
                fix="pip install 'emotion-vectors[vllm]' (Linux + CUDA), or use --backend transformers",
            ) from None
        from emotion_vectors.models import resolve_source
        from emotion_vectors.registry import is_model_reference, model_entry

        entry = None if is_model_reference(model) else model_entry(model)
        self.model_id = entry.hub_id if entry is not None else model
        self.revision = revision or (entry.revision if entry is not None else None)
        self._vllm = vllm
        self.llm = vllm.LLM(
            model=resolve_source(self.model_id),
            revision=self.revision,
            dtype="bfloat16" if dtype == "auto" else dtype,
            seed=seed,
        )
        self.tokenizer = self.llm.get_tokenizer()
        generation_config = self.llm.llm_engine.model_config.try_get_generation_config()
        self._model_top_k = generation_config.get("top_k") if isinstance(generation_config, dict) else None

    def top_k(self, params: SamplingParams) -> int:
        if params.top_k is not None:
            return params.top_k
        return TRANSFORMERS_DEFAULT_TOP_K if self._model_top_k is None else int(self._model_top_k)

    def render(self, message: str) -> RenderedPrompt:
        return render_chat(self.tokenizer, message)

    def generate(self, prompts: Sequence[RenderedPrompt], seeds: Sequence[int], params: SamplingParams) -> list[str]:
        top_k = self.top_k(params)
        sampling = [
            self._vllm.SamplingParams(
                temperature=params.temperature,
                top_p=params.top_p,
                top_k=top_k if top_k > 0 else -1,
                max_tokens=params.max_new_tokens,
                seed=int(seed),
            )
            for seed in seeds
        ]
        requests = [{"prompt_token_ids": list(p.token_ids)} for p in prompts]
        outputs = self.llm.generate(requests, sampling_params=sampling, use_tqdm=False)
        return [output.outputs[0].text for output in outputs]

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model_id, "revision": self.revision, "vllm": self._vllm.__version__}


def make_backend(name: str, model: str, *, revision: str | None, dtype: str, device: str) -> Backend:
    """Build the backend ``name`` (``"transformers"`` or ``"vllm"``) for a model alias, Hub id or path."""
    if name == "transformers":
        return TransformersBackend.load(model, revision=revision, dtype=dtype, device=device)
    if name == "vllm":
        return VllmBackend(model, revision=revision, dtype=dtype)
    raise ConfigError(f"unknown backend {name!r}", fix=f"use one of {', '.join(BACKENDS)}")
