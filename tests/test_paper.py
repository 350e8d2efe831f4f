"""The paper compiles with latexmk from synthetic results shaped like the demo and the paper profiles."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers_report import built_report

from emotion_vectors.report.paper import build_paper

PAPER_DIR = Path(__file__).resolve().parent.parent / "paper"

pytestmark = [
    pytest.mark.tex,
    pytest.mark.skipif(
        shutil.which("latexmk") is None or shutil.which("pdflatex") is None,
        reason="latexmk/pdflatex not installed (install TeX Live + latexmk; CI does)",
    ),
]


def copy_sources(target: Path) -> Path:
    """A copy of paper/ without any generated or build files, so the test never touches the checkout."""
    shutil.copytree(PAPER_DIR, target, ignore=shutil.ignore_patterns("generated", "build"))
    return target


@pytest.mark.parametrize(("kind", "label"), [("demo", "Demo profile"), ("paper", "Paper profile")])
def test_paper_compiles(tmp_path, kind, label):
    results, outputs = built_report(kind)
    paper = copy_sources(tmp_path / "paper")
    built = build_paper(outputs.generated, paper, tmp_path / "out")
    pdf = built.pdf
    assert pdf == tmp_path / "out" / "paper.pdf" and pdf.read_bytes().startswith(b"%PDF")
    log = (built.sources / "build" / "main.log").read_text(errors="replace")
    assert not re.search(r"(Reference|Citation) `[^']+' on page \d+ undefined", log)
    assert "There were undefined references" not in log
    figures = sorted((built.sources / "generated" / "figures").glob("*.pdf"))
    assert len(figures) == len(outputs.figures)
    for figure in figures:
        assert f"generated/figures/{figure.name}" in log or figure.name in log, f"{figure.name} not included"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
        assert label in text
