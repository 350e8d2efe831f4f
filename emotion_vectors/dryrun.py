"""What a dry run can know without the network: corpus fingerprints, sizes and what would be downloaded.

A stage's content key needs the fingerprints of the corpora it reads. A dry run never downloads, so each
fingerprint comes from the first of: the texts at hand (bundled, a local file or dataset directory, the pinned
neutral texts already in the download cache), or the fingerprint pinned in the config or the registry. A Hub
corpus with neither is *unresolved*: the stages that depend on it are planned to run, marked as needing the Hub
to decide whether they are cached. Sizes of corpora not at hand are the published design
(:func:`emotion_vectors.estimates.published_corpus_size`).
"""

from __future__ import annotations

from dataclasses import dataclass

from emotion_vectors import estimates as est
from emotion_vectors.config import ExperimentConfig


@dataclass(frozen=True)
class KnownCorpus:
    """What is known offline about one corpus (or the neutral texts).

    Attributes:
        name: Corpus name (``neutral`` for the neutral texts).
        fingerprint: Its fingerprint, or ``None`` when only a download would tell.
        how: Where the fingerprint comes from (``"texts at hand"``, ``"pinned"``), or what would resolve it.
        size: Stories and tokens (measured from the texts, or the published design).
        texts: The texts when at hand (for the plan's token estimate), else ``None``.
    """

    name: str
    fingerprint: str | None
    how: str
    size: est.CorpusSize
    texts: tuple[str, ...] | None = None


def known_corpus(config: ExperimentConfig, name: str) -> KnownCorpus:
    """What can be known about corpus ``name`` of ``config`` without the network."""
    from emotion_vectors.corpus.download import cached_path
    from emotion_vectors.corpus.sources import load_corpus, load_neutral
    from emotion_vectors.preflight import NEUTRAL_WORDS, hub_corpus_id
    from emotion_vectors.store import NEUTRAL_CORPUS

    cap = config.extraction.max_length
    if name == NEUTRAL_CORPUS:
        neutral = config.neutral
        if neutral.source == "url" and not cached_path(neutral.url or "", neutral.sha256 or "").exists():
            size = est.CorpusSize(40, int(NEUTRAL_WORDS * est.TOKENS_PER_WORD), False)
            return KnownCorpus(name, None, f"needs the download of {neutral.url}", size)
        corpus = load_neutral(neutral)
    else:
        cfg = next(c for c in config.corpora if c.name == name)
        repo = hub_corpus_id(cfg)
        if repo is not None:
            size = est.published_corpus_size(cap)
            if cfg.fingerprint:
                return KnownCorpus(name, cfg.fingerprint, "pinned", size)
            return KnownCorpus(name, None, f"needs {repo} from the Hub (fingerprint not pinned)", size)
        corpus = load_corpus(cfg)
    texts = corpus.texts
    size = est.CorpusSize(len(texts), est.tokens_of_texts(texts, cap), True)
    return KnownCorpus(name, corpus.fingerprint, "texts at hand", size, tuple(texts))


def plan_downloads(config: ExperimentConfig) -> list:
    """Everything the run would fetch (:class:`preflight.Download`), checked against the local caches only."""
    from emotion_vectors.preflight import downloads, locally_cached

    return downloads(config, locally_cached(config))
