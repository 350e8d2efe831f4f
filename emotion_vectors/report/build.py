"""The report stage (results -> paper inputs) and the paper stage (paper inputs -> PDF).

Layout under an experiment's output directory::

    results/results.json       read (written by the analysis stage)
    results/run_metadata.json  read when present (written by the pipeline)
    generated/                 written here: numbers.tex, results_body.tex, claims_body.tex,
                               tables/*.tex, figures/*.pdf
    claims.md, claims.json     written here
    paper/, paper.pdf          written by the paper stage (:mod:`emotion_vectors.report.paper`)

``run_metadata.json`` is optional; every key the report reads is optional too (absent -> ``n/a``):
``profile``, ``description``, ``extraction`` {``token_offset``, ``max_length``, ``pad_side``} (used when no config
is given); ``models`` [{``alias``, ``hub_id``, ``revision`` or ``commit``}]; ``corpora`` [{``name``,
``generator``, ``mean_tokens``, ``min_tokens``, ``max_tokens``, ``n_short``, ``n_leaks``, ``fingerprint``}]
(a list, or a dict keyed by alias/name); ``packages`` {name: version}; ``hardware`` {key: value} or a string;
``wall_time_s`` {stage: seconds}.

``generated/`` is built in a temporary sibling and swapped in whole, so a failed build never leaves a mix of
old and new files. :mod:`emotion_vectors.report.body` decides which figures and tables the paper includes, so
``paper/main.tex`` never refers to a file that was not generated.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from emotion_vectors.analysis.records import RunSummary
from emotion_vectors.config import ExperimentConfig, load_config
from emotion_vectors.errors import ConfigError, ReportError
from emotion_vectors.fileio import atomic_write_text
from emotion_vectors.report import figures, tables
from emotion_vectors.report.body import FigureFile, claims_body, results_body
from emotion_vectors.report.claims import ClaimRules, ClaimsReport, evaluate_claims
from emotion_vectors.report.coverage import coverage_table, load_coverage
from emotion_vectors.report.markdown import to_markdown
from emotion_vectors.report.numbers import ReportContext, collect_numbers, render_numbers, run_tag
from emotion_vectors.report.paper import GENERATED_DIR, NUMBERS_FILE
from emotion_vectors.resources import project_root, resolve_output_dir
from emotion_vectors.results import RESULTS_DIR, RESULTS_FILE, Results, load_results

METADATA_FILE = "run_metadata.json"
FIGURES_DIR = "figures"
TABLES_DIR = "tables"
CLAIMS_MD = "claims.md"
CLAIMS_JSON = "claims.json"


@dataclass(frozen=True)
class ReportOutputs:
    """What :func:`build_report` wrote."""

    generated: Path
    claims_md: Path
    claims_json: Path
    claims: ClaimsReport
    figures: tuple[str, ...]
    tables: tuple[str, ...]


# ------------------------------------------------------------------------------------------ inputs


def output_dir_of(config: ExperimentConfig, config_path: str | Path) -> Path:
    """The experiment's output directory: ``output_dir`` relative to the config directory's parent."""
    return resolve_output_dir(config.output_dir, config_path)


#: The keys of ``run_metadata.json`` the report reads (written by :mod:`emotion_vectors.run_metadata`).
METADATA_KEYS = ("profile", "description", "extraction", "models", "corpora", "packages", "hardware", "wall_time_s")


def load_metadata(path: str | Path) -> dict[str, Any] | None:
    """``run_metadata.json`` when present (``None`` otherwise: a report from a results file alone).

    Raises:
        ReportError: The file is not JSON or lacks one of :data:`METADATA_KEYS` (named).
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not valid JSON ({exc})", fix="rerun the pipeline or delete the file") from None
    missing = [key for key in METADATA_KEYS if key not in metadata]
    if missing:
        raise ReportError(
            f"{path} lacks {', '.join(repr(k) for k in missing)}",
            fix="rerun the pipeline (it rewrites the file), or delete the file",
        )
    return metadata


def make_context(
    metadata: dict[str, Any] | None, config: ExperimentConfig | None = None, source: str = RESULTS_FILE
) -> ReportContext:
    """Profile name, description and extraction parameters: from the config, else from the run metadata the
    pipeline wrote (read by :func:`load_metadata`), else unnamed with no extraction parameters."""
    if config is not None:
        extraction = {
            "token_offset": config.extraction.token_offset,
            "max_length": config.extraction.max_length,
            "pad_side": config.extraction.pad_side,
        }
        return ReportContext(config.profile, config.description, extraction, metadata, source)
    if metadata is None:
        return ReportContext("unnamed", "", {}, None, source)
    return ReportContext(metadata["profile"], metadata["description"], dict(metadata["extraction"]), metadata, source)


@dataclass(frozen=True)
class Locations:
    """Where the report, claims and paper stages read and write."""

    config: ExperimentConfig | None
    results: Path
    metadata: Path
    out_dir: Path
    paper_dir: Path


def locate(
    config_path: str | Path | None,
    results: str | Path | None = None,
    out_dir: str | Path | None = None,
    paper_dir: str | Path | None = None,
) -> Locations:
    """Resolve the stage's paths from a config file and/or explicit overrides.

    With a config: the output directory is its ``output_dir``, the results file lies under it, and the paper
    sources are ``paper/`` of the project root (the config directory's parent). Without one, ``results`` or
    ``out_dir`` must be given; the other defaults to the layout above, and the paper sources to ``./paper``.
    """
    config = None
    if config_path is not None:
        config = load_config(config_path)
        out = Path(out_dir) if out_dir else output_dir_of(config, config_path)
        root = project_root(config_path)
    elif results is not None or out_dir is not None:
        if out_dir:
            out = Path(out_dir)
        else:
            found = Path(results)
            out = found.parent.parent if found.parent.name == RESULTS_DIR else found.parent
        root = Path.cwd()
    else:
        raise ConfigError("no inputs given", fix="pass --config FILE (e.g. configs/demo.toml), or --results FILE")
    results_path = Path(results) if results else out / RESULTS_DIR / RESULTS_FILE
    return Locations(
        config=config,
        results=results_path,
        metadata=results_path.parent / METADATA_FILE,
        out_dir=out,
        paper_dir=Path(paper_dir) if paper_dir else _paper_sources(root),
    )


def _paper_sources(root: Path) -> Path:
    """``paper/`` beside the config's project, else the one of the checkout this package runs from."""
    for candidate in (root / "paper", Path(__file__).resolve().parents[2] / "paper"):
        if (candidate / "main.tex").exists():
            return candidate
    return root / "paper"


# ------------------------------------------------------------------------------------------ report


def build_report(
    results: Results, out_dir: str | Path, context: ReportContext, rules: ClaimRules | None = None
) -> ReportOutputs:
    """Write every paper input plus the claims report for ``results`` under ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    claims = evaluate_claims(results, rules=rules, profile=context.profile, description=context.description)
    target = out_dir / GENERATED_DIR
    staging = Path(tempfile.mkdtemp(prefix=f".{GENERATED_DIR}-", dir=out_dir))
    try:
        written_figures = _write_figures(results, claims, staging / FIGURES_DIR)
        written_tables = _write_tables(results, claims, context, staging / TABLES_DIR)
        numbers = collect_numbers(results, claims, context)
        (staging / NUMBERS_FILE).write_text(render_numbers(numbers, context), encoding="utf-8")
        (staging / "results_body.tex").write_text(results_body(results, written_figures), encoding="utf-8")
        (staging / "claims_body.tex").write_text(claims_body(results, claims), encoding="utf-8")
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    claims_md, claims_json = out_dir / CLAIMS_MD, out_dir / CLAIMS_JSON
    atomic_write_text(claims_md, to_markdown(claims))
    atomic_write_text(claims_json, json.dumps(claims.to_dict(), indent=1) + "\n")
    return ReportOutputs(
        target, claims_md, claims_json, claims, tuple(f.name for f in written_figures), tuple(written_tables)
    )


def _write_figures(results: Results, claims: ClaimsReport, folder: Path) -> list[FigureFile]:
    folder.mkdir(parents=True)
    written: list[FigureFile] = []

    def save(name: str, fig: Figure, family: str, run: RunSummary | None = None) -> None:
        with figures.figure_style():
            fig.savefig(folder / name, format="pdf", metadata={"CreationDate": None, "ModDate": None})
        written.append(FigureFile(name, family, run))

    save("layer-curves.pdf", figures.layer_curves(results, claims.reference), "curves")
    for run in results.runs:
        tag = run_tag(run)
        save(f"pc-plane-{tag}.pdf", figures.pc_plane(run), "pc_plane", run)
        save(f"rating-scatter-{tag}.pdf", figures.rating_scatter(run), "scatter", run)
        save(f"cosine-{tag}.pdf", figures.cosine_by_valence(run), "cosine", run)
        save(f"cka-{tag}.pdf", figures.cka_heatmaps(run), "cka", run)
        save(f"direction-{tag}.pdf", figures.direction_stability(run), "direction", run)
    if results.cross_corpus:
        save("cross-corpus-cka.pdf", figures.cross_corpus_cka(results), "cross_corpus")
    if results.cross_model:
        save("cross-model-cka.pdf", figures.cross_model_cka(results), "cross_model")
    return written


def _write_tables(results: Results, claims: ClaimsReport, context: ReportContext, folder: Path) -> list[str]:
    folder.mkdir(parents=True)
    content = {
        "peaks.tex": tables.peaks_table(results),
        "claims.tex": tables.claims_table(claims),
        "corpus.tex": tables.corpus_table(results, context.metadata),
        "metadata.tex": tables.metadata_table(results, context.metadata),
        "coverage.tex": coverage_table(load_coverage(), results.analysis.ci_method),
    }
    for name, text in content.items():
        (folder / name).write_text(text, encoding="utf-8")
    return list(content)


def _swap_in(staging: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


__all__ = [
    "Locations",
    "ReportOutputs",
    "build_report",
    "load_metadata",
    "load_results",
    "locate",
    "make_context",
    "output_dir_of",
]
