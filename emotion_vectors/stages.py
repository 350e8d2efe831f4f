"""What each pipeline stage does: the actions :mod:`emotion_vectors.pipeline` runs, and the run's shared state.

Every action takes the :class:`RunContext` (config, output folder, lazily loaded corpora and model) and writes
its outputs atomically; the stage graph, content keys and caching live in :mod:`emotion_vectors.pipeline`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from emotion_vectors.config import ExperimentConfig
from emotion_vectors.errors import ReportError
from emotion_vectors.fileio import atomic_write_text

log = logging.getLogger(__name__)


class RunContext:
    """Lazily loaded corpora and models shared by the stages of one run (one model in memory at a time)."""

    def __init__(
        self,
        config: ExperimentConfig,
        output_dir: Path,
        config_path: str | Path | None = None,
        progress: bool = False,
        shard_size: int | None = None,
        planning: bool = False,
    ) -> None:
        self.config = config
        self.planning = planning
        self.output_dir = output_dir
        self.config_path = config_path
        self.progress = progress
        self.shard_size = shard_size
        self._corpora: dict[str, Any] = {}
        self._loaded: dict[str, Any] = {}
        self._models: dict[str, Any] = {}
        self._known: dict[str, Any] = {}

    def corpus_names(self) -> list[str]:
        """The emotion corpora of the config, then the neutral texts (:data:`store.NEUTRAL_CORPUS`)."""
        from emotion_vectors.store import NEUTRAL_CORPUS

        return [c.name for c in self.config.corpora] + [NEUTRAL_CORPUS]

    def corpus(self, name: str) -> Any:
        """The loaded :class:`~emotion_vectors.corpus.schema.Corpus` called ``name`` (or the neutral texts)."""
        from emotion_vectors.corpus.sources import load_corpus_loaded, load_neutral
        from emotion_vectors.input_checks import check_labels
        from emotion_vectors.store import NEUTRAL_CORPUS

        if name not in self._corpora:
            if name == NEUTRAL_CORPUS:
                self._corpora[name] = load_neutral(self.config.neutral)
            else:
                cfg = next(c for c in self.config.corpora if c.name == name)
                self._loaded[name] = load_corpus_loaded(cfg)
                self._corpora[name] = check_labels(self._loaded[name].corpus, cfg.unrated_emotions)
        return self._corpora[name]

    def fingerprint(self, name: str) -> str | None:
        """The fingerprint of corpus ``name``. When planning (a dry run) nothing is downloaded: ``None`` when
        only a download would tell (:func:`emotion_vectors.dryrun.known_corpus`)."""
        if not self.planning:
            return self.corpus(name).fingerprint
        return self.known(name).fingerprint

    def order_keys(self, name: str) -> tuple[str | None, str | None]:
        """``(rows_key, labels_key)`` of corpus ``name`` (:class:`~emotion_vectors.corpus.schema.Corpus`); when
        planning, ``(None, None)`` unless its texts are at hand (a pinned fingerprint does not tell them)."""
        known = self.known(name) if self.planning else None
        if known is not None and known.how != "texts at hand":
            if known.fingerprint is None:
                return None, None
            # pinned: the keys the last run recorded for these texts, else a stand-in derived from the pin
            from emotion_vectors.pipeline import CORPUS_SUMMARY, PIPELINE_DIR

            try:
                recorded = json.loads((self.output_dir / PIPELINE_DIR / CORPUS_SUMMARY).read_text(encoding="utf-8"))
                entry = recorded[name] if recorded[name]["fingerprint"] == known.fingerprint else {}
            except (OSError, ValueError, KeyError, TypeError):
                entry = {}
            return entry.get("rows_key", f"pinned:{known.fingerprint}"), entry.get(
                "labels_key", f"pinned:{known.fingerprint}"
            )
        corpus = self.corpus(name)
        return corpus.rows_key, corpus.labels_key

    def known(self, name: str) -> Any:
        """What is known about corpus ``name`` without the network (:class:`~emotion_vectors.dryrun.KnownCorpus`)."""
        from emotion_vectors.dryrun import known_corpus

        if name not in self._known:
            self._known[name] = known_corpus(self.config, name)
        return self._known[name]

    def generator(self, name: str) -> str | None:
        """The model that generated corpus ``name``, where its source records one."""
        loaded = self._loaded.get(name)
        return getattr(loaded, "generator", None) if loaded is not None else None

    def model(self, alias: str) -> Any:
        """The loaded :class:`~emotion_vectors.models.ModelHandle` of ``alias`` (unloading any other)."""
        from emotion_vectors.models import load_model

        if alias not in self._models:
            self._models.clear()
            cfg = next(m for m in self.config.models if m.alias == alias)
            self._models[alias] = load_model(cfg)
        return self._models[alias]


def corpus_stage(ctx: RunContext, summary_path: Path) -> None:
    """Validate each corpus and write its summary (fingerprint, source, lengths in words, leaks)."""
    from emotion_vectors.corpus.validate import validate_corpus

    summary = {}
    for corpus_cfg in ctx.config.corpora:
        corpus = ctx.corpus(corpus_cfg.name)
        report = validate_corpus(corpus)
        words = report.words or {}
        summary[corpus_cfg.name] = {
            "name": corpus_cfg.name,
            "fingerprint": corpus.fingerprint,
            "fingerprint_pinned": corpus_cfg.fingerprint is not None,
            "rows_key": corpus.rows_key,
            "labels_key": corpus.labels_key,
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
        if corpus_cfg.source == "hub" and corpus_cfg.fingerprint is None:
            log.warning(
                "corpus %s: fingerprint %s (revision %s) is not pinned; it is recorded in run_metadata.json; "
                "to pin it: emotion-vectors corpus fingerprint %s",
                corpus_cfg.name,
                corpus.fingerprint,
                corpus.revision,
                _registered_name(corpus_cfg.name, corpus_cfg.dataset_id) or corpus_cfg.dataset_id,
            )
    write_json(summary_path, summary)


def _registered_name(name: str, dataset_id: str | None) -> str | None:
    """``name`` when it is the registry's corpus of that name at the same dataset id, else ``None``."""
    from emotion_vectors.registry import CORPORA

    entry = CORPORA.get(name)
    return name if entry is not None and entry.dataset_id == dataset_id else None


def extract_stage(ctx: RunContext, alias: str, corpus_name: str, path: Path, replace: bool) -> None:
    """Extract ``corpus_name`` through model ``alias`` into the store ``path`` (``replace``: discard what is there)."""
    from emotion_vectors import extract
    from emotion_vectors.config import resolve_layers
    from emotion_vectors.registry import MODELS

    handle = ctx.model(alias)
    model_cfg = next(m for m in ctx.config.models if m.alias == alias)
    entry = MODELS.get(alias)
    layers = resolve_layers(model_cfg.layers, handle.n_blocks, entry.paper_layers if entry is not None else None)
    kwargs: dict[str, Any] = {}
    if ctx.shard_size is not None:
        kwargs["shard_size"] = ctx.shard_size
    extract.extract_to_store(
        handle,
        ctx.corpus(corpus_name),
        path,
        layers=layers,
        **dataclasses.asdict(ctx.config.extraction),
        progress=ctx.progress,
        force=replace,
        **kwargs,
    )


def analyze_stage(ctx: RunContext) -> None:
    """Analyse every model x corpus store into ``<output_dir>/results/``, with the labels of the corpora."""
    from emotion_vectors import analyze

    config = ctx.config
    layers = analyze.reported_layers([m.alias for m in config.models]) if config.analysis.layers == "paper" else None
    results = analyze.analyze_runs(labelled_stores(ctx), config.analysis, layers=layers, progress=ctx.progress)
    analyze.write_results(results, ctx.output_dir / analyze.RESULTS_DIR)


def labelled_stores(ctx: RunContext) -> list[tuple[Any, Any]]:
    """``(store, neutral store)`` of every model x corpus, each store labelled by the corpus it was made from.

    The emotion labels come from the corpus as loaded now, not from the store's manifest, after checking that
    the store holds the same stories in the same order (a relabelled story needs no new forward pass).
    """
    from emotion_vectors import analyze
    from emotion_vectors.store import with_labels

    pairs = analyze.experiment_stores(ctx.config, ctx.output_dir)
    names = [c.name for _ in ctx.config.models for c in ctx.config.corpora]
    return [(with_labels(s, ctx.corpus(n)), neutral) for (s, neutral), n in zip(pairs, names, strict=True)]


def report_stage(ctx: RunContext) -> None:
    """Tables, figures and ``numbers.tex`` from the results and the run metadata."""
    from emotion_vectors.pipeline import write_metadata
    from emotion_vectors.report.build import build_report, load_metadata, load_results, locate, make_context

    write_metadata(ctx)
    where = locate(None, None, ctx.output_dir)
    results = load_results(where.results)
    context = make_context(load_metadata(where.metadata), ctx.config, source=str(where.results))
    build_report(results, ctx.output_dir, context)


def paper_stage(ctx: RunContext, paper_dir: Path) -> str:
    """The paper's LaTeX sources under ``<output_dir>/paper/`` and, where TeX is installed, its PDF."""
    from emotion_vectors.pipeline import PDF_BUILT, SOURCES_ONLY
    from emotion_vectors.report.paper import GENERATED_DIR, build_paper

    built = build_paper(ctx.output_dir / GENERATED_DIR, paper_dir, ctx.output_dir, require_pdf=False)
    return PDF_BUILT if built.built_pdf else SOURCES_ONLY  # the run's summary says how to get a missing PDF


def claims_stage(ctx: RunContext) -> None:
    """The paper's claims checked against the results (``claims.md``, ``claims.json``)."""
    from emotion_vectors.report.build import CLAIMS_JSON, CLAIMS_MD, load_metadata, load_results, locate, make_context
    from emotion_vectors.report.claims import evaluate_claims
    from emotion_vectors.report.corpus_checks import checks_to_dicts, checks_to_markdown, corpus_checks
    from emotion_vectors.report.markdown import to_markdown

    where = locate(None, None, ctx.output_dir)
    results = load_results(where.results)
    metadata = load_metadata(where.metadata)
    context = make_context(metadata, ctx.config, source=str(where.results))
    report = evaluate_claims(results, profile=context.profile, description=context.description)
    checks = corpus_checks(results, metadata)
    data = {**report.to_dict(), **({"corpus_checks": checks_to_dicts(checks)} if checks else {})}
    atomic_write_text(ctx.output_dir / CLAIMS_MD, to_markdown(report) + checks_to_markdown(checks))
    atomic_write_text(ctx.output_dir / CLAIMS_JSON, json.dumps(data, indent=1) + "\n")
    failures = report.failures()
    if ctx.config.report.claims_strict and failures:
        raise ReportError(
            f"{len(failures)} evaluable claim(s) not supported: {', '.join(c.id for c in failures)}",
            fix="see claims.md; set report.claims_strict = false to report without failing",
        )


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented, key-sorted JSON, atomically."""
    atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")
