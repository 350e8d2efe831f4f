"""The stage graph: corpus -> extract (model x corpus, model x neutral) -> analyze -> report -> paper -> claims.

Every stage has a content key: the sha256 of the config sections it depends on, the corpus fingerprints, the
keys of the stages upstream of it and the package version. A finished stage records its key, wall time and
outputs in ``<output_dir>/pipeline/<stage>.json``; a later run skips a stage whose key is unchanged and whose
outputs still exist. Extraction resumes from its last completed shard (see :func:`extract.extract_to_store`).
Each run appends to ``<output_dir>/pipeline/run.log`` and writes ``<output_dir>/results/run_metadata.json``
(:mod:`emotion_vectors.run_metadata`). What each stage does: :mod:`emotion_vectors.stages`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emotion_vectors import __version__, stages
from emotion_vectors.config import ExperimentConfig
from emotion_vectors.errors import ConfigError, IntegrityError, StoreError
from emotion_vectors.outdir import output_lock, remove_leftovers
from emotion_vectors.resources import package_source_hash, project_root
from emotion_vectors.stages import RunContext

log = logging.getLogger(__name__)

PIPELINE_DIR = "pipeline"
RUN_LOG = "run.log"
CORPUS_SUMMARY = "corpora.summary.json"
STAGE_KINDS: tuple[str, ...] = ("corpus", "extract", "analyze", "report", "paper", "claims")
PDF_BUILT = "PDF built"
SOURCES_ONLY = "LaTeX sources only (no TeX)"


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
    key: str | None  # None only in a dry run, when an input's fingerprint needs a download
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

    A run holds the output folder's lock throughout (a second run into it fails at once with
    :class:`~emotion_vectors.errors.BusyError`), removes what killed runs left behind, and checks everything
    it can (labels, components, model limits, short stories, disk) before the first forward pass. Raises the
    stage's error after logging it to ``run.log``; completed stages stay recorded.
    """
    output_dir = Path(output_dir).resolve()
    ctx = RunContext(config, output_dir, config_path, progress, shard_size, planning=dry_run)
    if dry_run:
        graph = build_stages(ctx, paper)
        forced = expand_force(force, [s.name for s in graph])
        return PipelineRun(output_dir, plan=[_plan_entry(ctx, s, forced) for s in graph])
    with output_lock(output_dir):
        remove_leftovers(output_dir)
        try:
            return _run_locked(ctx, force, paper)
        except IntegrityError as exc:
            raise IntegrityError(exc.message, fix=_rebuild_command(ctx, exc.path), path=exc.path) from None


def _run_locked(ctx: RunContext, force: Iterable[str], paper: bool) -> PipelineRun:
    started = time.perf_counter()
    output_dir = ctx.output_dir
    graph = build_stages(ctx, paper)  # loads the corpora: their labels are checked here
    forced = expand_force(force, [s.name for s in graph])
    _preflight(ctx, graph, forced)
    result = PipelineRun(output_dir)
    (output_dir / PIPELINE_DIR).mkdir(parents=True, exist_ok=True)
    _log_line(output_dir, f"run start profile={ctx.config.profile} force={sorted(forced)} version={__version__}")
    try:
        for stage in graph:
            result.stages.append(_execute(ctx, stage, stage.name in forced))
        write_metadata(ctx)  # final: every stage's wall time and the paper's outcome
    finally:
        result.total_seconds = time.perf_counter() - started
        if any(s.status == "failed" for s in result.stages) or len(result.stages) < len(graph):
            _log_line(output_dir, f"run failed after {result.total_seconds:.1f}s")
        else:
            _log_line(output_dir, f"run done in {result.total_seconds:.1f}s")
    return result


def build_stages(ctx: RunContext, with_paper: bool) -> list[_Stage]:
    """The stages of one run, in order, each with its content key: the whole graph on one screen."""
    from emotion_vectors.report import build, paper

    config, out = ctx.config, ctx.output_dir
    corpus = _corpus_node(ctx)
    extracts = _extract_nodes(ctx)
    analyze = _analyze_node(ctx, [s.key for s in extracts])
    report_key = _unless_unresolved(
        [analyze.key], "report", analyze.key, config.profile, config.description, dataclasses.asdict(config.extraction)
    )
    claims_outputs = [out / build.CLAIMS_MD, out / build.CLAIMS_JSON]
    numbers = out / paper.GENERATED_DIR / paper.NUMBERS_FILE
    report = _Stage("report", "report", report_key, [numbers, *claims_outputs], lambda f: stages.report_stage(ctx))
    paper_dir = project_root(ctx.config_path) / "paper"
    paper_key = _unless_unresolved(
        [report_key], "paper", report_key, _tree_hash(paper_dir, exclude=("build", paper.GENERATED_DIR))
    )
    skip = None if config.report.build_pdf else "report.build_pdf = false"
    skip = skip if with_paper else "--no-paper"
    # Without TeX only the sources are promised, so installing TeX later reruns just this stage for the PDF.
    paper_outputs = [out / paper.PAPER_SOURCES_DIR / "main.tex"]
    if not paper.missing_tex():
        paper_outputs.append(out / paper.PAPER_PDF)
    paper_action = lambda f: stages.paper_stage(ctx, paper_dir)  # noqa: E731
    paper_stage = _Stage("paper", "paper", paper_key, paper_outputs, paper_action, {"skip": skip})
    claims_key = _unless_unresolved([report_key], "claims", report_key, dataclasses.asdict(config.report))
    claims = _Stage("claims", "claims", claims_key, claims_outputs, lambda f: stages.claims_stage(ctx))
    return [corpus, *extracts, analyze, report, paper_stage, claims]


def corpus_summary(ctx: RunContext) -> dict[str, Any]:
    """The corpus stage's summary of each corpus (an error if the corpus stage has not run)."""
    path = ctx.output_dir / PIPELINE_DIR / CORPUS_SUMMARY
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: unreadable ({exc})", fix="rerun the corpus stage: --force corpus") from None


def write_metadata(ctx: RunContext) -> Path:
    """(Re)write ``results/run_metadata.json`` with every stage's recorded wall time and the paper's outcome."""
    from emotion_vectors.run_metadata import write_metadata as write

    return write(ctx, recorded_seconds(ctx), _paper_outcome(ctx.output_dir))


def recorded_seconds(ctx: RunContext) -> dict[str, Any]:
    """Wall seconds of every stage that has a completion record, by stage name."""
    names = ["corpus", *(f"extract.{m.alias}.{n}" for m in ctx.config.models for n in ctx.corpus_names())]
    names += ["analyze", "report", "paper", "claims"]
    records = {name: read_record(ctx.output_dir, name) for name in names}
    return {name: record.get("seconds") for name, record in records.items() if record is not None}


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


# ---------------------------------------------------------------------------------------------- graph


def _corpus_node(ctx: RunContext) -> _Stage:
    config = ctx.config
    fingerprints = {name: ctx.fingerprint(name) for name in ctx.corpus_names()}
    key = _unless_unresolved(
        list(fingerprints.values()),
        "corpus",
        [dataclasses.asdict(c) for c in config.corpora],
        dataclasses.asdict(config.neutral),
        fingerprints,
    )
    summary = ctx.output_dir / PIPELINE_DIR / CORPUS_SUMMARY
    return _Stage("corpus", "corpus", key, [summary], lambda f: stages.corpus_stage(ctx, summary))


def _extract_nodes(ctx: RunContext) -> list[_Stage]:
    """One stage per model x corpus (and model x neutral texts when the projection needs them)."""
    from emotion_vectors.store import MANIFEST_FILE, NEUTRAL_CORPUS, store_dir

    config = ctx.config
    names = [n for n in ctx.corpus_names() if n != NEUTRAL_CORPUS or config.analysis.projection == "neutral"]
    nodes = []
    for model in config.models:
        for name in names:
            path = store_dir(ctx.output_dir, model.alias, name)
            stage_name = f"extract.{model.alias}.{name}"
            fingerprint, rows = ctx.fingerprint(name), ctx.order_keys(name)[0]
            key = _unless_unresolved(
                [fingerprint, rows],
                "extract",
                dataclasses.asdict(model),
                dataclasses.asdict(config.extraction),
                fingerprint,
                rows,  # the store's rows: story ids and texts in order
                ctx.shard_size,
            )
            # inputs changed since the recorded run: the old store is stale, replace it
            stale = (read_record(ctx.output_dir, stage_name) or {}).get("key", key) != key

            def action(forced: bool, m: str = model.alias, n: str = name, p: Path = path, s: bool = stale) -> None:
                stages.extract_stage(ctx, m, n, p, replace=forced or s)

            info = {"model": model, "corpus": name}
            nodes.append(_Stage(stage_name, "extract", key, [path / MANIFEST_FILE], action, info))
    return nodes


def _analyze_node(ctx: RunContext, extract_keys: list[str | None]) -> _Stage:
    from emotion_vectors import analyze

    labels = {c.name: ctx.order_keys(c.name)[1] for c in ctx.config.corpora}  # analyze reads these labels
    # The CPU stages rerun whenever the package's code or data change (seconds to minutes); extraction does not.
    key = _unless_unresolved(
        [*extract_keys, *labels.values()],
        "analyze",
        dataclasses.asdict(ctx.config.analysis),
        extract_keys,
        labels,
        package_source_hash(),
    )
    results = ctx.output_dir / analyze.RESULTS_DIR
    outputs = [results / analyze.RESULTS_FILE, results / analyze.PER_LAYER_FILE]
    return _Stage("analyze", "analyze", key, outputs, lambda f: stages.analyze_stage(ctx))


# ---------------------------------------------------------------------------------------------- execution


def _unless_unresolved(inputs: list[str | None], *parts: Any) -> str | None:
    """:func:`content_key` of ``parts``, or ``None`` when one of ``inputs`` (fingerprints, upstream keys) is."""
    return None if any(value is None for value in inputs) else content_key(*parts)


def _is_cached(ctx: RunContext, stage: _Stage) -> bool:
    """Whether ``stage`` can be skipped; a cached store is verified against its checksums (IntegrityError)."""
    from emotion_vectors.store import verify_store

    if stage.key is None:
        return False
    record = read_record(ctx.output_dir, stage.name)
    cached = bool(record and record.get("key") == stage.key and all(p.exists() for p in stage.outputs))
    if cached and stage.kind == "extract":
        verify_store(stage.outputs[0].parent)
    return cached


def _preflight(ctx: RunContext, graph: list[_Stage], forced: set[str]) -> None:
    """Everything that can fail before the first forward pass: components, then each pending extraction."""
    from emotion_vectors.input_checks import check_components, check_extractions

    check_components(ctx.config.analysis.pca_components, [ctx.corpus(c.name) for c in ctx.config.corpora])
    pending = [s for s in graph if s.kind == "extract" and (s.name in forced or not _is_cached(ctx, s))]
    if pending:
        check_extractions(ctx, [(s.info["model"], s.info["corpus"]) for s in pending])


def _rebuild_command(ctx: RunContext, path: str) -> str:
    """The command that rebuilds the store holding ``path`` (and everything downstream of it)."""
    from emotion_vectors.store import MANIFEST_FILE

    stage = next(
        (
            s
            for s in build_stages(ctx, False)
            if s.kind == "extract" and Path(path).parent / MANIFEST_FILE == s.outputs[0]
        ),
        None,
    )
    return "rebuild the store: " + _force_command(ctx, stage.name if stage else "extract")


def _force_command(ctx: RunContext, stage_name: str) -> str:
    config = f"--config {ctx.config_path}" if ctx.config_path else "--config <config>"
    return f"emotion-vectors run {config} --out {ctx.output_dir} --force {stage_name}"


def _execute(ctx: RunContext, stage: _Stage, forced: bool) -> StageResult:
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
        if isinstance(exc, StoreError) and not isinstance(exc, IntegrityError) and "--force" in (exc.fix or ""):
            raise StoreError(exc.message, fix="replace it: " + _force_command(ctx, stage.name)) from None
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
    stages.write_json(stage_record_path(out, stage.name), record)
    _log_line(out, f"{stage.name} done in {seconds:.1f}s")
    if stage.kind == "analyze":
        write_metadata(ctx)
    return StageResult(stage.name, "ran", seconds, note)


def _plan_entry(ctx: RunContext, stage: _Stage, forced: set[str]) -> dict[str, Any]:
    """One dry-run line: what would happen to ``stage``, with a rough time estimate for extraction."""
    if stage.info.get("skip"):
        action = f"skip ({stage.info['skip']})"
    elif stage.name in forced:
        action = "run (forced)"
    elif stage.key is None:
        action = "run (unresolved offline)"
    else:
        action = "cached" if _is_cached(ctx, stage) else "run"
    entry: dict[str, Any] = {"stage": stage.name, "action": action, "key": (stage.key or "unresolved")[:12]}
    if stage.kind == "corpus":
        entry["corpora"] = {name: ctx.known(name).how for name in ctx.corpus_names()}
    if stage.kind == "extract":
        known, model = ctx.known(stage.info["corpus"]), stage.info["model"]
        entry.update(stories=known.size.n_stories, tokens_estimate=known.size.tokens, measured=known.size.measured)
        if known.fingerprint is None:
            entry["unresolved"] = known.how
        entry["estimate_s"] = round(_extraction_estimate(model, known.size.tokens), 1)
    return entry


def _extraction_estimate(model: Any, tokens: int) -> float:
    """Seconds to extract ``tokens`` through ``model`` (:mod:`emotion_vectors.estimates`; 0 when unknown)."""
    from emotion_vectors import estimates
    from emotion_vectors.registry import MODELS

    entry = MODELS.get(model.alias)
    if entry is None:
        return 0.0
    dtype = estimates.resolve_dtype(model.dtype, model.device)
    return estimates.extraction_seconds(tokens, entry.n_blocks, entry.d_model, model.device, dtype)


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


def _log_line(output_dir: Path, message: str) -> None:
    path = output_dir / PIPELINE_DIR / RUN_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {message}\n")
    log.info(message)
