"""The paper stage: generated inputs -> a self-contained LaTeX source folder -> (with TeX) the PDF.

Layout under an experiment's output directory::

    generated/        read (written by the report stage)
    paper/            written here: main.tex, sections/, generated/ — complete sources; `latexmk -pdf main.tex`
                      inside it builds the PDF (into paper/build/)
    paper.pdf         copied from paper/build/main.pdf when TeX is installed

Without TeX the sources are still written, so a machine without TeX loses only the compilation, and any
machine with TeX can finish it later; the pipeline records which of the two happened.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from emotion_vectors.errors import ReportError
from emotion_vectors.tex import TEX_FIX, TEX_PROGRAMS, missing_tex  # noqa: F401 - re-exported

GENERATED_DIR = "generated"
NUMBERS_FILE = "numbers.tex"
PAPER_SOURCES_DIR = "paper"
PAPER_PDF = "paper.pdf"
LATEXMK_ARGS = ("-pdf", "-interaction=nonstopmode", "-halt-on-error", "-cd", "-outdir=build")


@dataclass(frozen=True)
class PaperBuild:
    """What the paper stage produced: the LaTeX source folder, and the PDF when TeX was available."""

    sources: Path
    pdf: Path | None

    @property
    def built_pdf(self) -> bool:
        """Whether the PDF was compiled."""
        return self.pdf is not None

    def summary(self) -> str:
        """One line for the console: where the PDF is, or where the sources are and how to compile them."""
        if self.pdf is not None:
            return f"paper: built {self.pdf}"
        return (
            f"paper: no TeX here, so only the LaTeX sources were written, to {self.sources}/; to get the PDF, "
            f"run `latexmk -pdf main.tex` there, or `make tex` (installs TeX on Debian/Ubuntu) and rerun, "
            f"or use the Docker image (`make docker-build`)"
        )


def latexmk_path() -> str:
    """Path of ``latexmk``; raises :class:`ReportError` with the fix when TeX is missing."""
    missing = missing_tex()
    if missing:
        raise ReportError(f"{' and '.join(missing)} not found: the PDF needs a TeX installation", fix=TEX_FIX)
    return str(shutil.which("latexmk"))


def write_sources(generated: str | Path, paper_dir: str | Path, target: str | Path) -> Path:
    """Copy the paper sources (``paper_dir`` without build outputs) plus ``generated/`` into ``target``.

    The folder is assembled in a temporary sibling and swapped in whole, so ``target`` is never a mix of old and
    new files. Returns ``target``.

    Raises:
        ReportError: no generated inputs, or no ``main.tex`` in ``paper_dir``.
    """
    generated, paper_dir, target = Path(generated), Path(paper_dir), Path(target)
    if not (generated / NUMBERS_FILE).is_file():
        raise ReportError(
            f"no generated paper inputs in {generated}", fix="run `emotion-vectors report --config <config>` first"
        )
    if not (paper_dir / "main.tex").is_file():
        raise ReportError(
            f"paper source not found: {paper_dir / 'main.tex'}",
            fix="pass --paper-dir pointing at the repository's paper/",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        shutil.copytree(paper_dir, staging, ignore=shutil.ignore_patterns("build", GENERATED_DIR), dirs_exist_ok=True)
        shutil.copytree(generated, staging / GENERATED_DIR)
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def compile_pdf(sources: str | Path, pdf_out: str | Path, timeout_s: float = 600) -> Path:
    """Run latexmk on ``sources/main.tex`` (output in ``sources/build``) and copy the PDF to ``pdf_out``.

    Raises:
        ReportError: TeX missing, latexmk timed out, or LaTeX failed (with the log's first errors).
    """
    sources, pdf_out = Path(sources), Path(pdf_out)
    command = [latexmk_path(), *LATEXMK_ARGS, str(sources / "main.tex")]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ReportError(
            f"latexmk did not finish within {timeout_s:g} s", fix=f"inspect {sources / 'build' / 'main.log'}"
        ) from None
    built = sources / "build" / "main.pdf"
    if done.returncode != 0 or not built.is_file():
        log = sources / "build" / "main.log"
        raise ReportError(
            f"LaTeX failed (latexmk exit status {done.returncode}):\n{latex_errors(log)}", fix=f"see {log}"
        )
    pdf_out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built, pdf_out)
    return pdf_out


def build_paper(
    generated: str | Path, paper_dir: str | Path, out_dir: str | Path, *, require_pdf: bool = True
) -> PaperBuild:
    """Write ``out_dir/paper/`` and, when TeX is installed, compile it to ``out_dir/paper.pdf``.

    Args:
        generated: The report stage's ``generated/`` folder.
        paper_dir: The hand-written sources (``paper/`` of the repository).
        out_dir: The experiment's output directory.
        require_pdf: Raise when TeX is missing (after writing the sources) instead of returning sources only.

    A stale ``paper.pdf`` from an earlier run is removed before anything is written, so a PDF in ``out_dir``
    always matches its sources.
    """
    out_dir = Path(out_dir)
    pdf = out_dir / PAPER_PDF
    pdf.unlink(missing_ok=True)
    sources = write_sources(generated, paper_dir, out_dir / PAPER_SOURCES_DIR)
    missing = missing_tex()
    if missing and not require_pdf:
        return PaperBuild(sources, None)
    if missing:
        raise ReportError(
            f"{' and '.join(missing)} not found, so no PDF; the LaTeX sources are in {sources}/", fix=TEX_FIX
        )
    return PaperBuild(sources, compile_pdf(sources, pdf))


def latex_errors(log: Path, context: int = 3) -> str:
    """The first few ``!`` error lines of a LaTeX log with ``context`` lines after each (or its tail)."""
    if not log.is_file():
        return "(no log written)"
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    picked = [i for i, line in enumerate(lines) if line.startswith("!")]
    if not picked:
        return "\n".join(lines[-15:])
    out: list[str] = []
    for i in picked[:3]:
        out.extend(lines[i : i + context + 1])
    return "\n".join(out)
