"""Whether TeX is installed, and how to install it (kept apart from the report so checking is cheap)."""

from __future__ import annotations

import shutil

TEX_PROGRAMS = ("latexmk", "pdflatex")
TEX_FIX = (
    "install TeX Live and latexmk (`make tex` on Debian/Ubuntu: apt-get install latexmk texlive-latex-recommended "
    "texlive-latex-extra texlive-fonts-recommended lmodern), or build inside the project's Docker image"
)


def missing_tex() -> list[str]:
    """The TeX programs the PDF build needs that are not on PATH (empty when TeX is usable)."""
    return [name for name in TEX_PROGRAMS if shutil.which(name) is None]
