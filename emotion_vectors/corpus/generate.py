"""Run a prompt plan through a backend into a checkpointed, resumable corpus file.

The output is a JSONL file in the prompt-per-row layout (loadable by :mod:`emotion_vectors.corpus.sources`),
one row per prompt, in plan order, with the fields of :data:`ROW_FIELDS`: the authors' row schema (without its
wall-clock ``timestamp``) plus the prompt id, the exact chat-template text and token ids sent to the model,
the parse outcome, the number of attempts and the seed of the kept attempt, and the generator.

Checkpointing: each finished row is appended and fsynced. Beside the output, ``<out>.manifest.json`` holds the
run's settings (backend, model and revision, sampling, seed, a hash of the plan) and times. Running again with
the same output resumes: rows already there are kept and their prompts skipped; an incomplete last line (a
crash mid-write) is dropped and redone; different settings are refused. Because every prompt has its own seed
and rows are written in plan order, an interrupted and resumed run writes the same bytes as an uninterrupted
one, whatever the batch size.

A reply whose ``[story k]`` markers do not yield the expected number of stories is retried with the next
derived seed, up to ``max_attempts`` times; the last reply is kept with ``parse_ok = false``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from emotion_vectors.corpus.backends import Backend, RenderedPrompt, SamplingParams
from emotion_vectors.corpus.prompts import DEFAULT_SEED, PromptSpec, parse_stories
from emotion_vectors.errors import ConfigError, CorpusError
from emotion_vectors.fileio import atomic_write_bytes

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = 1
ROW_FIELDS: tuple[str, ...] = (
    "prompt_id",
    "kind",
    "emotion",
    "topic",
    "prompt",
    "chat_prompt",
    "prompt_token_ids",
    "raw_response",
    "stories",
    "n_stories_parsed",
    "parse_ok",
    "attempts",
    "seed",
    "generator",
    "generator_revision",
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerationSettings:
    """How a plan is run. ``batch_size`` changes speed only, never the output."""

    seed: int = DEFAULT_SEED
    batch_size: int = 8
    max_attempts: int = 3
    sampling: SamplingParams = field(default_factory=SamplingParams)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.max_attempts < 1:
            raise ConfigError(f"max_attempts must be >= 1, got {self.max_attempts}")


@dataclass(frozen=True)
class GenerationSummary:
    """What a call to :func:`generate_corpus` did."""

    out: Path
    n_prompts: int
    n_resumed: int
    n_generated: int
    n_parse_failures: int
    n_retried: int


def manifest_path(out: str | Path) -> Path:
    """The manifest file beside a generated corpus file."""
    out = Path(out)
    return out.with_name(out.name + MANIFEST_SUFFIX)


def plan_digest(plan: Sequence[PromptSpec]) -> str:
    """SHA-256 over the plan's prompt ids, kinds, emotions, topics, prompts and story counts, in order."""
    items = [[p.prompt_id, p.kind, p.emotion, p.topic, p.prompt, p.n_stories, p.occurrence] for p in plan]
    return hashlib.sha256(json.dumps(items, ensure_ascii=False).encode("utf-8")).hexdigest()


def run_key(plan: Sequence[PromptSpec], backend: Backend, settings: GenerationSettings) -> dict[str, Any]:
    """The settings that determine the output; a resumed run must match them exactly."""
    return {
        "format": MANIFEST_FORMAT,
        "backend": backend.describe(),
        "sampling": {**settings.sampling.to_dict(), "effective_top_k": backend.top_k(settings.sampling)},
        "seed": settings.seed,
        "max_attempts": settings.max_attempts,
        "n_prompts": len(plan),
        "plan_sha256": plan_digest(plan),
    }


def generate_corpus(
    plan: Sequence[PromptSpec],
    backend: Backend,
    out: str | Path,
    *,
    settings: GenerationSettings = GenerationSettings(),
    info: dict[str, Any] | None = None,
    progress: bool = True,
) -> GenerationSummary:
    """Generate every prompt of ``plan`` not yet in ``out`` and append its row (see the module docstring).

    Args:
        plan: The prompts, in output order; prompt ids must be unique.
        backend: The generation backend.
        out: The output JSONL file (created, or resumed when it exists with a matching manifest).
        settings: Seed, batch size, attempts and sampling parameters.
        info: Extra JSON-ready facts recorded in the manifest (e.g. the command line); not compared on resume.
        progress: Show a progress bar.
    """
    out = Path(out)
    ids = [p.prompt_id for p in plan]
    if len(set(ids)) != len(ids):
        raise CorpusError("the prompt plan has repeated prompt ids", fix="give every prompt a unique prompt_id")
    key = run_key(plan, backend, settings)
    manifest = _open_manifest(out, key, info or {})
    done = _read_checkpoint(out, set(ids))
    todo = [p for p in plan if p.prompt_id not in done]
    failures = retried = 0
    bar = tqdm(total=len(plan), initial=len(done), unit="prompt", desc=f"generate {out.name}", disable=not progress)
    with out.open("a", encoding="utf-8") as handle:
        for start in range(0, len(todo), settings.batch_size):
            rows = _run_chunk(todo[start : start + settings.batch_size], backend, settings)
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
                failures += not row["parse_ok"]
                retried += row["attempts"] > 1
            bar.update(len(rows))
    bar.close()
    manifest.update(complete=True, finished=_now())
    _write_json(manifest_path(out), manifest)
    return GenerationSummary(out, len(plan), len(done), len(todo), failures, retried)


# ---------------------------------------------------------------------------------------------- internals


def _run_chunk(chunk: Sequence[PromptSpec], backend: Backend, settings: GenerationSettings) -> list[dict[str, Any]]:
    """Generate one batch, retrying failed parses with fresh seeds; rows come back in ``chunk`` order."""
    rendered = {spec.prompt_id: backend.render(spec.prompt) for spec in chunk}
    outcome: dict[str, tuple[str, Any, int, int]] = {}
    pending = list(chunk)
    for attempt in range(settings.max_attempts):
        if not pending:
            break
        seeds = [spec.seed(settings.seed, attempt) for spec in pending]
        replies = backend.generate([rendered[s.prompt_id] for s in pending], seeds, settings.sampling)
        if len(replies) != len(pending):
            raise RuntimeError(f"backend returned {len(replies)} replies for {len(pending)} prompts")
        still = []
        for spec, reply, seed in zip(pending, replies, seeds, strict=True):
            parsed = parse_stories(reply, spec.n_stories)
            outcome[spec.prompt_id] = (reply, parsed, attempt + 1, seed)
            if not parsed.ok:
                still.append(spec)
        pending = still
    for spec in pending:
        logger.warning("%s: no parse after %d attempt(s); kept the last reply", spec.prompt_id, settings.max_attempts)
    return [_row(spec, rendered[spec.prompt_id], *outcome[spec.prompt_id], backend) for spec in chunk]


def _row(
    spec: PromptSpec, rendered: RenderedPrompt, reply: str, parsed: Any, attempts: int, seed: int, backend: Backend
) -> dict[str, Any]:
    values = {
        "prompt_id": spec.prompt_id,
        "kind": spec.kind,
        "emotion": spec.emotion,
        "topic": spec.topic,
        "prompt": spec.prompt,
        "chat_prompt": rendered.text,
        "prompt_token_ids": list(rendered.token_ids),
        "raw_response": reply,
        "stories": list(parsed.stories),
        "n_stories_parsed": len(parsed.stories),
        "parse_ok": parsed.ok,
        "attempts": attempts,
        "seed": seed,
        "generator": backend.model_id,
        "generator_revision": backend.revision,
    }
    return {name: values[name] for name in ROW_FIELDS}


def _open_manifest(out: Path, key: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    path = manifest_path(out)
    if path.exists():
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}: not valid JSON ({exc})", fix="restore it, or start a new output file") from None
        if manifest.get("key") != key:
            differ = sorted(k for k in key if manifest.get("key", {}).get(k) != key[k])
            raise CorpusError(
                f"{out} was started with different settings (differ: {', '.join(differ) or 'format'})",
                fix="resume with the same model, revision, seed, sampling and plan, or write to a new output file",
            )
        manifest.setdefault("resumed", []).append(_now())
        manifest["complete"] = False
    else:
        if out.exists() and out.stat().st_size > 0:
            raise CorpusError(
                f"{out} exists but has no {path.name}; refusing to append to a file this command did not start",
                fix="choose a new output path, or move the existing file away",
            )
        manifest = {"key": key, "info": info, "started": _now(), "complete": False}
    _write_json(path, manifest)
    return manifest


def _read_checkpoint(out: Path, plan_ids: set[str]) -> dict[str, dict[str, Any]]:
    """Rows already in ``out``, by prompt id; an incomplete last line is cut off the file."""
    if not out.exists():
        return {}
    data = out.read_bytes()
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        logger.warning("%s: dropping an incomplete last line (%d bytes) left by an interruption", out, len(data) - keep)
        with out.open("r+b") as handle:
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
        data = data[:keep]
    done: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(
                f"{out}: line {number} is not valid JSON ({exc.msg})", fix="delete that line and run again to redo it"
            ) from None
        prompt_id = row.get("prompt_id") if isinstance(row, dict) else None
        if prompt_id not in plan_ids or prompt_id in done:
            raise CorpusError(
                f"{out}: line {number} has prompt_id {prompt_id!r}, which is {'repeated' if prompt_id in done else 'not in the plan'}",
                fix="the file does not belong to this plan; write to a new output file",
            )
        done[prompt_id] = row
    return done


def _write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_bytes(path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
