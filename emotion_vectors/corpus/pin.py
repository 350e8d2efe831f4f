"""Pinning a corpus: the fingerprint (and commit) to write into the registry or a config, in the words needed.

A pinned fingerprint makes every load check that the texts are the ones the numbers were made from, and lets a
dry run key the stages that read the corpus without downloading it. The Gemma corpus is pinned in
:mod:`emotion_vectors.registry`; a corpus that is not gets its fingerprint recorded in
``results/run_metadata.json`` (``corpora[].fingerprint``, with ``fingerprint_pinned: false``) on its first
download, and ``emotion-vectors corpus fingerprint <source>`` prints the lines below for it.
"""

from __future__ import annotations

from emotion_vectors.corpus.schema import Corpus
from emotion_vectors.registry import CORPORA


def pin_lines(name: str, corpus: Corpus) -> list[str]:
    """What to write to pin ``corpus`` (known as ``name``): the registry field and the config keys."""
    lines = [
        f"corpus:      {name}",
        f"source:      {corpus.source}",
        f"revision:    {corpus.revision or 'none (a local directory has no commit)'}",
        f"stories:     {len(corpus)}",
        f"fingerprint: {corpus.fingerprint}",
        "",
    ]
    entry = CORPORA.get(name)
    if entry is not None:
        state = "already pinned" if entry.fingerprint == corpus.fingerprint else "to pin it"
        if entry.fingerprint not in (None, corpus.fingerprint):
            state = f"DIFFERS from the registry's {entry.fingerprint}; to re-pin it"
        lines += [
            f"registry ({state}): in emotion_vectors/registry.py, CorpusEntry(name={name!r}, ...):",
            f'    fingerprint="{corpus.fingerprint}",',
            "",
        ]
    lines += ["config: in the [[corpora]] entry of an experiment config:", f'    name = "{name}"']
    if corpus.revision and len(corpus.revision) == 40:
        lines.append(f'    revision = "{corpus.revision}"   # the exact commit read')
    lines.append(f'    fingerprint = "{corpus.fingerprint}"')
    return lines
