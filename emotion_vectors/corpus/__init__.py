"""Story corpora: the schema, sources, validation and generation."""

from emotion_vectors.corpus.schema import Corpus, Story, fingerprint

__all__ = ["Corpus", "Story", "fingerprint"]
