"""The stage graph: corpus -> extract (model x corpus, model x neutral) -> analyze -> report -> paper -> claims.

Every stage has a content key: the sha256 of the config sections it depends on, the corpus fingerprints, the
keys of the stages upstream of it and the package version. A finished stage records its key, wall time and
outputs in ``<output_dir>/pipeline/<stage>.json``; a later run skips a stage whose key is unchanged and whose
outputs still exist. Extraction resumes from its last completed shard (see :func:`extract.extract_to_store`).
Each run appends to ``<output_dir>/pipeline/run.log`` and writes ``<output_dir>/results/run_metadata.json``
(the keys :mod:`emotion_vectors.report.build` documents).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import logging
import os
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emotion_vectors import __version__
from emotion_vectors.config import ExperimentConfig
from emotion_vectors.errors import ReportError
from emotion_vectors.fileio import atomic_write_text

log = logging.getLogger(__name__)

PIPELINE_DIR = "pipeline"
RUN_LOG = "run.log"
STAGE_KINDS: tuple[str, ...] = ("corpus", "extract", "analyze", "report", "paper", "claims")
PDF_BUILT = "PDF built"
SOURCES_ONLY = "LaTeX sources only (no TeX)"
TOKENS_PER_WORD = 1.3
# Rough forward throughput (real tokens per second) used only by the dry-run time estimate.
_RATE_CPU = 3000.0
_RATE_GPU = 20000.0
_PACKAGES = ("torch", "transformers", "datasets", "numpy", "scipy", "emotion_vectors")


@dataclass
class StageResult:
    """What happened to one stage in a run: ``status`` is ``ran``, ``cached``, ``skipped`` or ``failed``."""

    name: str
    status: str
    seconds: float = 0.0
    note: str = ""


@dataclass
class PipelineRun:
    """The outcome of :func:`run_pipeline` (or the plan of a dry run)."""

    output_dir: Path
    stages: list[StageResult] = field(default_factory=list)
    plan: list[dict[str, Any]] = field(default_factory=list)
    total_seconds: float = 0.0

    def status(self, name: str) -> str:
        """Status of stage ``name``."""
        return next(s.status for s in self.stages if s.name == name)


@dataclass
class _Stage:
    name: str
    kind: str
    key: str
    outputs: list[Path]
    action: Callable[[bool], str | None]  # returns an optional note for the summary
    info: dict[str, Any] = field(default_factory=dict)


def content_key(*parts: Any) -> str:
    """sha256 over the canonical JSON of ``parts`` plus the package version."""
    text = json.dumps([__version__, *parts], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stage_record_path(output_dir: str | Path, name: str) -> Path:
    """``<output_dir>/pipeline/<name>.json``."""
    return Path(output_dir) / PIPELINE_DIR / f"{name}.json"


def read_record(output_dir: str | Path, name: str) -> dict[str, Any] | None:
    """The completion record of stage ``name``, or ``None``."""
    path = stage_record_path(output_dir, name)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def expand_force(force: Iterable[str], names: Iterable[str]) -> set[str]:
    """Stage names selected by ``--force`` values: ``all``, a stage kind (``extract``) or an exact stage name."""
    names = list(names)
    chosen: set[str] = set()
    for item in force:
        if item == "all":
            chosen.update(names)
            continue
        matched = [n for n in names if n == item or n.split(".")[0] == item]
        if not matched:
            from emotion_vectors.errors import ConfigError

            raise ConfigError(
                f"--force {item!r} names no stage", fix=f"use 'all', {', '.join(STAGE_KINDS)} or one of {names}"
            )
        chosen.update(matched)
    return chosen


def run_pipeline(
    config: ExperimentConfig,
    output_dir: str | Path,
    *,
    config_path: str | Path | None = None,
    force: Iterable[str] = (),
    dry_run: bool = False,
    paper: bool = True,
    progress: bool = True,
    shard_size: int | None = None,
) -> PipelineRun:
    """Run (or, with ``dry_run``, plan) every stage of ``config`` into ``output_dir``.

    Raises the stage's error after logging it to ``run.log``; completed stages stay recorded.
    """
    output_dir = Path(output_dir).resolve()
    started = time.perf_counter()
    ctx = _Context(config, output_dir, config_path, progress, shard_size)
    stages = _build_stages(ctx, paper)
    forced = expand_force(force, [s.name for s in stages])
    result = PipelineRun(output_dir)
    if dry_run:
        result.plan = [_plan_entry(ctx, s, forced) for s in stages]
        return result
    (output_dir / PIPELINE_DIR).mkdir(parents=True, exist_ok=True)
    _log_line(output_dir, f"run start profile={config.profile} force={sorted(forced)} version={__version__}")
    try:
        for stage in stages:
            result.stages.append(_execute(ctx, stage, stage.name in forced))
        _write_metadata(ctx)  # final: every stage's wall time and the paper's outcome
    finally:
        result.total_seconds = time.perf_counter() - started
        if any(s.status == "failed" for s in result.stages) or len(result.stages) < len(stages):
            _log_line(output_dir, f"run failed after {result.total_seconds:.1f}s")
        else:
            _log_line(output_dir, f"run done in {result.total_seconds:.1f}s")
    return result


# ---------------------------------------------------------------------------------------------- internals


class _Context:
    """Lazily loaded corpora and models shared by the stages of one run."""

    def __init__(
        self,
        config: ExperimentConfig,
        output_dir: Path,
        config_path: str | Path | None,
        progress: bool,
        shard_size: int | None,
    ) -> None:
        self.config = config
        self.output_dir = output_dir
        self.config_path = config_path
        self.progress = progress
        self.shard_size = shard_size
        self._corpora: dict[str, Any] = {}
        self._loaded: dict[str, Any] = {}
        self._models: dict[str, Any] = {}
        self.keys: dict[str, str] = {}

    def corpus(self, name: str) -> Any:
        from emotion_vectors.corpus.sources import load_corpus_loaded, load_neutral
        from emotion_vectors.store import NEUTRAL_CORPUS

        if name not in self._corpora:
            if name == NEUTRAL_CORPUS:
                self._corpora[name] = load_neutral(self.config.neutral)
            else:
                cfg = next(c for c in self.config.corpora if c.name == name)
                self._loaded[name] = load_corpus_loaded(cfg)
                self._corpora[name] = self._loaded[name].corpus
        return self._corpora[name]

    def generator(self, name: str) -> str | None:
        loaded = self._loaded.get(name)
        return getattr(loaded, "generator", None) if loaded is not None else None

    def model(self, alias: str) -> Any:
        from emotion_vectors.models import load_model

        if alias not in self._models:
            self._models.clear()  # one model in memory at a time
            cfg = next(m for m in self.config.models if m.alias == alias)
            self._models[alias] = load_model(cfg)
        return self._models[alias]


def _corpus_names(config: ExperimentConfig) -> list[str]:
    from emotion_vectors.store import NEUTRAL_CORPUS

    return [c.name for c in config.corpora] + [NEUTRAL_CORPUS]


def _build_stages(ctx: _Context, with_paper: bool) -> list[_Stage]:
    from emotion_vectors import analyze
    from emotion_vectors.report import build, paper
    from emotion_vectors.store import MANIFEST_FILE, NEUTRAL_CORPUS, store_dir

    config, out = ctx.config, ctx.output_dir
    fingerprints = {name: ctx.corpus(name).fingerprint for name in _corpus_names(config)}
    corpus_key = content_key(
        "corpus", [dataclasses.asdict(c) for c in config.corpora], dataclasses.asdict(config.neutral), fingerprints
    )
    summary_path = out / PIPELINE_DIR / "corpora.summary.json"
    stages = [_Stage("corpus", "corpus", corpus_key, [summary_path], lambda f: _corpus_stage(ctx, summary_path))]
    extract_keys = []
    for model in config.models:
        for name in _corpus_names(config):
            path = store_dir(out, model.alias, name)
            key = content_key(
                "extract",
                dataclasses.asdict(model),
                dataclasses.asdict(config.extraction),
                fingerprints[name],
                ctx.shard_size,
            )
            extract_keys.append(key)
            ctx.keys[f"extract.{model.alias}.{name}"] = key
            stages.append(
                _Stage(
                    f"extract.{model.alias}.{name}",
                    "extract",
                    key,
                    [path / MANIFEST_FILE],
                    lambda f, m=model.alias, n=name, p=path: _extract_stage(ctx, m, n, p, f),
                    {"model": model, "corpus": name},
                )
            )
    if config.analysis.projection != "neutral":
        stages = [s for s in stages if s.info.get("corpus") != NEUTRAL_CORPUS]
        extract_keys = [s.key for s in stages if s.kind == "extract"]
    results_dir = out / analyze.RESULTS_DIR
    analyze_key = content_key("analyze", dataclasses.asdict(config.analysis), extract_keys)
    stages.append(
        _Stage(
            "analyze",
            "analyze",
            analyze_key,
            [results_dir / analyze.RESULTS_FILE, results_dir / analyze.PER_LAYER_FILE],
            lambda f: _analyze_stage(ctx),
        )
    )
    report_key = content_key(
        "report", analyze_key, config.profile, config.description, dataclasses.asdict(config.extraction)
    )
    stages.append(
        _Stage(
            "report",
            "report",
            report_key,
            [out / build.GENERATED_DIR / build.NUMBERS_FILE, out / build.CLAIMS_MD, out / build.CLAIMS_JSON],
            lambda f: _report_stage(ctx),
        )
    )
    paper_dir = _project_root(ctx) / "paper"
    paper_key = content_key("paper", report_key, _tree_hash(paper_dir, exclude=("build", paper.GENERATED_DIR)))
    skip = (
        None
        if (with_paper and config.report.build_pdf)
        else ("--no-paper" if not with_paper else "report.build_pdf = false")
    )
    # Without TeX only the sources are promised, so installing TeX later reruns just this stage for the PDF.
    paper_outputs = [out / paper.PAPER_SOURCES_DIR / "main.tex"]
    if not paper.missing_tex():
        paper_outputs.append(out / paper.PAPER_PDF)
    stages.append(
        _Stage("paper", "paper", paper_key, paper_outputs, lambda f: _paper_stage(ctx, paper_dir), {"skip": skip})
    )
    claims_key = content_key("claims", report_key, dataclasses.asdict(config.report))
    stages.append(
        _Stage(
            "claims",
            "claims",
            claims_key,
            [out / build.CLAIMS_MD, out / build.CLAIMS_JSON],
            lambda f: _claims_stage(ctx),
        )
    )
    return stages


def _is_cached(ctx: _Context, stage: _Stage) -> bool:
    record = read_record(ctx.output_dir, stage.name)
    return bool(record and record.get("key") == stage.key and all(p.exists() for p in stage.outputs))


def _execute(ctx: _Context, stage: _Stage, forced: bool) -> StageResult:
    out = ctx.output_dir
    if stage.info.get("skip"):
        log.warning("paper: skipped (%s); no PDF is built", stage.info["skip"])
        _log_line(out, f"{stage.name} skipped ({stage.info['skip']})")
        return StageResult(stage.name, "skipped", note=stage.info["skip"])
    if not forced and _is_cached(ctx, stage):
        _log_line(out, f"{stage.name} cached key={stage.key[:12]}")
        record = read_record(out, stage.name) or {}
        return StageResult(stage.name, "cached", record.get("seconds", 0.0), record.get("note", ""))
    _log_line(out, f"{stage.name} start key={stage.key[:12]}{' (forced)' if forced else ''}")
    started = time.perf_counter()
    try:
        note = stage.action(forced) or ""
    except BaseException as exc:
        seconds = time.perf_counter() - started
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        _log_line(out, f"{stage.name} FAILED after {seconds:.1f}s: {message}")
        raise
    seconds = time.perf_counter() - started
    record = {
        "stage": stage.name,
        "key": stage.key,
        "seconds": round(seconds, 3),
        "outputs": [str(p) for p in stage.outputs],
        "finished": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "note": note,
    }
    _write_json(stage_record_path(out, stage.name), record)
    _log_line(out, f"{stage.name} done in {seconds:.1f}s")
    if stage.kind == "analyze":
        _write_metadata(ctx)
    return StageResult(stage.name, "ran", seconds, note)


def _corpus_stage(ctx: _Context, summary_path: Path) -> None:
    from emotion_vectors.corpus.validate import validate_corpus

    summary = {}
    for corpus_cfg in ctx.config.corpora:
        corpus = ctx.corpus(corpus_cfg.name)
        report = validate_corpus(corpus)
        words = report.words or {}
        summary[corpus_cfg.name] = {
            "name": corpus_cfg.name,
            "fingerprint": corpus.fingerprint,
            "source": corpus.source,
            "revision": corpus.revision,
            "generator": ctx.generator(corpus_cfg.name),
            "n_stories": len(corpus),
            "words_mean": words.get("mean"),
            "words_min": words.get("min"),
            "words_max": words.get("max"),
            "n_leaks": len(report.leaks),
        }
        if report.leaks:
            log.warning("corpus %s: %d emotion-word leak(s)", corpus_cfg.name, len(report.leaks))
    _write_json(summary_path, summary)


def _extract_stage(ctx: _Context, alias: str, corpus_name: str, path: Path, forced: bool) -> None:
    from emotion_vectors import extract
    from emotion_vectors.config import resolve_layers
    from emotion_vectors.registry import MODELS

    handle = ctx.model(alias)
    model_cfg = next(m for m in ctx.config.models if m.alias == alias)
    entry = MODELS.get(alias)
    layers = resolve_layers(model_cfg.layers, handle.n_blocks, entry.paper_layers if entry is not None else None)
    settings = ctx.config.extraction
    kwargs: dict[str, Any] = {}
    if ctx.shard_size is not None:
        kwargs["shard_size"] = ctx.shard_size
    extract.extract_to_store(
        handle,
        ctx.corpus(corpus_name),
        path,
        layers=layers,
        **dataclasses.asdict(settings),
        progress=ctx.progress,
        # inputs changed since the recorded run: the old store is stale, replace it
        force=forced or _stale(ctx, f"extract.{alias}.{corpus_name}"),
        **kwargs,
    )


def _stale(ctx: _Context, name: str) -> bool:
    record = read_record(ctx.output_dir, name)
    return record is not None and record.get("key") != ctx.keys.get(name)


def _analyze_stage(ctx: _Context) -> None:
    from emotion_vectors import analyze

    analyze.analyze_experiment(ctx.config, ctx.output_dir, progress=ctx.progress)


def _report_stage(ctx: _Context) -> None:
    from emotion_vectors.report.build import build_report, load_metadata, load_results, locate, make_context

    _write_metadata(ctx)
    where = locate(None, None, ctx.output_dir)
    results = load_results(where.results)
    context = make_context(results, load_metadata(where.metadata), ctx.config, source=str(where.results))
    build_report(results, ctx.output_dir, context)


def _paper_stage(ctx: _Context, paper_dir: Path) -> str:
    from emotion_vectors.report.paper import GENERATED_DIR, build_paper

    built = build_paper(ctx.output_dir / GENERATED_DIR, paper_dir, ctx.output_dir, require_pdf=False)
    if not built.built_pdf:
        log.warning("%s", built.summary())
    return PDF_BUILT if built.built_pdf else SOURCES_ONLY


def _claims_stage(ctx: _Context) -> None:
    from emotion_vectors.report.build import CLAIMS_JSON, CLAIMS_MD, load_metadata, load_results, locate, make_context
    from emotion_vectors.report.claims import evaluate_claims
    from emotion_vectors.report.markdown import to_markdown

    where = locate(None, None, ctx.output_dir)
    results = load_results(where.results)
    context = make_context(results, load_metadata(where.metadata), ctx.config, source=str(where.results))
    report = evaluate_claims(results, profile=context.profile, description=context.description)
    atomic_write_text(ctx.output_dir / CLAIMS_MD, to_markdown(report))
    atomic_write_text(ctx.output_dir / CLAIMS_JSON, json.dumps(report.to_dict(), indent=1) + "\n")
    failures = report.failures()
    if ctx.config.report.claims_strict and failures:
        raise ReportError(
            f"{len(failures)} evaluable claim(s) not supported: {', '.join(c.id for c in failures)}",
            fix="see claims.md; set report.claims_strict = false to report without failing",
        )


# ---------------------------------------------------------------------------------------------- metadata


def build_metadata(ctx: _Context) -> dict[str, Any]:
    """The ``run_metadata.json`` content for this run (key names as documented in report/build.py)."""
    from emotion_vectors.store import MANIFEST_FILE, NEUTRAL_CORPUS, store_dir

    config, out = ctx.config, ctx.output_dir
    models = []
    for model in config.models:
        manifest = _read_json(store_dir(out, model.alias, config.corpora[0].name) / MANIFEST_FILE) or {}
        described = manifest.get("model", {})
        models.append(
            {
                "alias": model.alias,
                "hub_id": described.get("id"),
                "revision": model.revision or described.get("revision"),
                "resolved_revision": described.get("resolved_revision"),
                "commit": described.get("resolved_revision"),
                "dtype": described.get("dtype"),
                "device": described.get("device"),
                "layers": manifest.get("layers"),
            }
        )
    summary = _read_json(out / PIPELINE_DIR / "corpora.summary.json") or {}
    corpora = []
    for corpus in config.corpora:
        entry = dict(summary.get(corpus.name, {"name": corpus.name}))
        manifest = _read_json(store_dir(out, config.models[0].alias, corpus.name) / MANIFEST_FILE) or {}
        counts = _token_counts(store_dir(out, config.models[0].alias, corpus.name))
        if counts is not None and len(counts):
            entry.update(
                mean_tokens=round(float(counts.mean()), 2), min_tokens=int(counts.min()), max_tokens=int(counts.max())
            )  # pooled (kept) tokens per story, i.e. after token_offset
        entry["n_short"] = len(manifest.get("short_stories", {}).get("ids", [])) if manifest else None
        corpora.append(entry)
    wall = {}
    for name in _stage_names(config):
        record = read_record(out, name)
        if record is not None:
            wall[name] = record.get("seconds")
    return {
        "profile": config.profile,
        "description": config.description,
        "extraction": {
            "token_offset": config.extraction.token_offset,
            "max_length": config.extraction.max_length,
            "pad_side": config.extraction.pad_side,
        },
        "models": models,
        "corpora": corpora,
        "neutral": {"source": config.neutral.source, "n_texts": len(ctx.corpus(NEUTRAL_CORPUS))},
        "packages": package_versions(),
        "hardware": hardware(),
        "wall_time_s": wall,
        "paper": _paper_outcome(out),
    }


def _paper_outcome(out: Path) -> dict[str, Any]:
    """Whether the last paper stage built the PDF or only its LaTeX sources, and where they are."""
    from emotion_vectors.report.paper import PAPER_PDF, PAPER_SOURCES_DIR

    record = read_record(out, "paper")
    if record is None:
        return {"status": "not run", "pdf": None, "sources": None}
    built = record.get("note") == PDF_BUILT
    return {
        "status": "pdf" if built else "sources",
        "pdf": str(out / PAPER_PDF) if built else None,
        "sources": str(out / PAPER_SOURCES_DIR),
    }


def _stage_names(config: ExperimentConfig) -> list[str]:
    names = ["corpus"]
    names += [f"extract.{m.alias}.{n}" for m in config.models for n in _corpus_names(config)]
    return names + ["analyze", "report", "paper", "claims"]


def _write_metadata(ctx: _Context) -> Path:
    from emotion_vectors.report.build import METADATA_FILE, RESULTS_DIR

    path = ctx.output_dir / RESULTS_DIR / METADATA_FILE
    _write_json(path, build_metadata(ctx))
    return path


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that determine the numbers."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = version(name.replace("_", "-"))
        except PackageNotFoundError:
            versions[name] = __version__ if name == "emotion_vectors" else "not installed"
    return versions


def hardware() -> dict[str, Any]:
    """Platform, CPU count and CUDA device (or ``none``)."""
    try:
        import torch

        cuda = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except Exception:  # noqa: BLE001 - a broken CUDA setup is reported, not raised
        cuda = "none"
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cuda": cuda,
    }


# ---------------------------------------------------------------------------------------------- dry run


def _plan_entry(ctx: _Context, stage: _Stage, forced: set[str]) -> dict[str, Any]:
    if stage.info.get("skip"):
        action = f"skip ({stage.info['skip']})"
    elif stage.name in forced:
        action = "run (forced)"
    else:
        action = "cached" if _is_cached(ctx, stage) else "run"
    entry: dict[str, Any] = {"stage": stage.name, "action": action, "key": stage.key[:12]}
    if stage.kind == "extract":
        corpus = ctx.corpus(stage.info["corpus"])
        words = sum(len(t.split()) for t in corpus.texts)
        cap = ctx.config.extraction.max_length
        tokens = int(sum(min(len(t.split()) * TOKENS_PER_WORD, cap) for t in corpus.texts))
        model = stage.info["model"]
        rate = _RATE_GPU if model.device == "cuda" else _RATE_CPU
        entry.update(stories=len(corpus), words=words, tokens_estimate=tokens, estimate_s=round(tokens / rate, 1))
    return entry


# ---------------------------------------------------------------------------------------------- helpers


def _project_root(ctx: _Context) -> Path:
    if ctx.config_path is not None:
        return Path(ctx.config_path).resolve().parent.parent
    return Path(__file__).resolve().parent.parent


def _tree_hash(folder: Path, exclude: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    if not folder.is_dir():
        return "absent"
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in exclude or not path.is_file():
            continue
        digest.update(str(rel).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _token_counts(path: Path) -> Any:
    import numpy as np

    from emotion_vectors.store import COUNTS_FILE

    try:
        return np.load(path / COUNTS_FILE)
    except (FileNotFoundError, ValueError):
        return None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")


def _log_line(output_dir: Path, message: str) -> None:
    path = output_dir / PIPELINE_DIR / RUN_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {message}\n")
    log.info(message)
