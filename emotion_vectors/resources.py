"""Paths to the data files shipped inside the package (``emotion_vectors/data``).

File names are constants here so readers never spell them.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path

EMOTION_RATINGS = "emotion_ratings.csv"
PAPER_CLAIMS = "paper_claims.json"
PUBLISHED_CORPORA = "published_corpora.json"
DEMO_STORIES = "demo_stories.jsonl"
DEMO_NEUTRAL = "demo_neutral.jsonl"
STORY_TOPICS = "story_topics.txt"
STORY_PROMPT = "story_prompt.txt"
NEUTRAL_PROMPT = "neutral_prompt.txt"
DATASET_CARD_TEMPLATE = "dataset_card.md.jinja"  # a link to dataset_card/README.md.jinja, the single source
MATPLOTLIBRC = "matplotlibrc"
#: Results of benchmarks/interval_coverage.py (the coverage table of the paper's appendix).
INTERVAL_COVERAGE = "interval_coverage.json"


def data_path(name: str) -> Path:
    """Absolute path of a packaged data file; raises ``FileNotFoundError`` naming it if absent."""
    path = Path(str(resources.files("emotion_vectors") / "data" / name))
    if not path.exists():
        raise FileNotFoundError(f"packaged data file missing: {path} (reinstall the package)")
    return path


def project_root(config_path: str | Path | None = None) -> Path:
    """The project root: the parent of the config file's directory (``<root>/configs/x.toml``), or, without a
    config file, the directory that holds the package (the source checkout's root)."""
    if config_path is not None:
        return Path(config_path).resolve().parent.parent
    return Path(str(resources.files("emotion_vectors"))).resolve().parent


def resolve_output_dir(output_dir: str | Path, config_path: str | Path) -> Path:
    """A config's ``output_dir``: absolute as given, else relative to :func:`project_root` of the config file."""
    path = Path(output_dir)
    return path if path.is_absolute() else project_root(config_path) / path


@functools.cache
def package_source_hash() -> str:
    """SHA-256 over the package's own files (code and data, not bytecode): changes with any edit or upgrade."""
    root = Path(__file__).resolve().parent  # the package folder
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
