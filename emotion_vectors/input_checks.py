"""Checks that run before the first forward pass, so that a run fails in seconds rather than after hours.

In order: every story's emotion label is one of the rated concepts (or the config opts in to leaving the
others out), ``analysis.pca_components`` is a number of components the corpus can have, identical texts
under two ids are reported; then, per model with extractions to do (from its config and tokenizer, without
loading weights), ``max_length`` fits the model's positions, no story is at most ``token_offset`` tokens
long under the ``"error"`` policy, and the output folder's disk has room for the stores.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from emotion_vectors.corpus.schema import Corpus
from emotion_vectors.errors import ConfigError, CorpusError, ExtractionError

log = logging.getLogger(__name__)

#: Each store needs its arrays twice at the end of extraction (shards, then layer files), plus headroom.
_DISK_FACTOR = 2.2


def check_labels(corpus: Corpus, unrated: str) -> Corpus:
    """``corpus`` with its labels checked against the rated concepts (:func:`emotion_vectors.ratings.emotions`).

    ``unrated = "error"`` raises :class:`CorpusError` listing the unknown labels; ``"exclude"`` returns the
    corpus without those stories and logs a warning naming them. Also warns about identical texts under two ids.
    """
    from emotion_vectors.ratings import emotions

    rated = set(emotions())
    unknown = sorted({s.emotion for s in corpus if s.kind == "emotion" and s.emotion not in rated})
    if unknown and unrated == "error":
        raise CorpusError(
            f"corpus {corpus.name!r}: {len(unknown)} emotion label(s) are not among the {len(rated)} rated concepts: "
            f"{', '.join(map(repr, unknown[:10]))}{' ...' if len(unknown) > 10 else ''}",
            fix="correct the labels, or set unrated_emotions = 'exclude' in this [[corpora]] entry to leave "
            "those stories out",
        )
    if unknown:
        kept = tuple(s for s in corpus if s.kind != "emotion" or s.emotion in rated)
        log.warning(
            "corpus %r: leaving out %d stories with unrated emotion labels %s",
            corpus.name, len(corpus) - len(kept), unknown[:10],
        )  # fmt: skip
        corpus = Corpus(name=corpus.name, stories=kept, source=corpus.source, revision=corpus.revision)
    _warn_duplicates(corpus)
    return corpus


def check_components(pca_components: int, corpora: Sequence[Corpus]) -> None:
    """Raise :class:`ConfigError` if a corpus has too few emotions for ``pca_components`` components.

    ``n`` emotion vectors centred on their mean span at most ``n - 1`` dimensions.
    """
    for corpus in corpora:
        n = len({s.emotion for s in corpus if s.kind == "emotion"})
        if n and pca_components > n - 1:
            raise ConfigError(
                f"analysis.pca_components = {pca_components}, but corpus {corpus.name!r} has {n} emotions, whose "
                f"centred vectors have at most {n - 1} principal components",
                fix=f"set analysis.pca_components to at most {n - 1}",
            )


def check_extractions(ctx: Any, pending: Sequence[tuple[Any, str]]) -> None:
    """Check the ``(model config, corpus name)`` extractions still to run, from each model's config and tokenizer.

    Raises :class:`~emotion_vectors.errors.ModelError` for a ``max_length`` beyond the model's positions,
    :class:`ExtractionError` for short stories under the ``"error"`` policy, :class:`ConfigError` for too
    little free disk.
    """
    from emotion_vectors.batching import tokenize
    from emotion_vectors.config import resolve_layers
    from emotion_vectors.models import check_max_length, inspect_model
    from emotion_vectors.outdir import check_free_space
    from emotion_vectors.registry import MODELS

    settings = ctx.config.extraction
    needed = 0
    for model in {id(m): m for m, _ in pending}.values():
        shape = inspect_model(model)
        check_max_length(settings.max_length, shape.max_positions, model.alias)
        entry = MODELS.get(model.alias)
        layers = resolve_layers(model.layers, shape.n_blocks, entry.paper_layers if entry is not None else None)
        for corpus_name in [name for m, name in pending if m is model]:
            corpus = ctx.corpus(corpus_name)
            lengths = tokenize(shape.tokenizer, corpus.texts, settings.max_length).lengths
            if settings.short_story_policy == "error":
                _refuse_short(corpus, lengths, settings.token_offset)
            needed += len(corpus) * len(layers) * shape.d_model * 4
    check_free_space(ctx.output_dir, int(needed * _DISK_FACTOR), "extraction")


def _refuse_short(corpus: Corpus, lengths: np.ndarray, token_offset: int) -> None:
    short = np.flatnonzero(lengths <= token_offset)
    if len(short):
        ids = corpus.story_ids
        listing = ", ".join(f"{ids[i]} ({lengths[i]} tokens)" for i in short[:20])
        raise ExtractionError(
            f"{len(short)} of {len(ids)} stories in corpus {corpus.name!r} have no more than token_offset = "
            f"{token_offset} tokens: {listing}{' ...' if len(short) > 20 else ''}",
            fix="set extraction.short_story_policy = 'skip' (they are then listed in the manifest), or lower "
            "token_offset",
        )


def _warn_duplicates(corpus: Corpus) -> None:
    from emotion_vectors.corpus.validate import exact_duplicates

    groups = exact_duplicates(corpus)
    if groups:
        shown = "; ".join(" = ".join(ids) for ids in groups[:5])
        log.warning(
            "corpus %r: %d text(s) appear under more than one story id (%s%s); each copy counts as a separate story",
            corpus.name, len(groups), shown, " ..." if len(groups) > 5 else "",
        )  # fmt: skip
