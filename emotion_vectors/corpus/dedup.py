"""Near-duplicate detection: word-shingle Jaccard similarity, exact and fast.

Texts are normalised (Unicode NFKC, case-folded, reduced to their word characters) and cut into overlapping
``k``-word shingles (``k = 3``; a text shorter than ``k`` words is one shingle). Two texts are near duplicates
when the Jaccard similarity of their shingle sets is at least ``threshold``.

All pairs above the threshold are found exactly (no sampling, unlike MinHash) with prefix filtering: shingles
are ordered from rarest to most common, and two sets with Jaccard >= t must share a shingle among the first
``|s| - ceil(t |s|) + 1`` of either set; only those candidate pairs, also passing the length filter
``|small| >= t |large|``, are compared in full. For 1,539 stories this takes well under a second.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence

SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+")


def normalised_words(text: str) -> list[str]:
    """The words of ``text`` after NFKC normalisation and case folding (punctuation dropped)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str, k: int = SHINGLE_WORDS) -> frozenset[str]:
    """The set of ``k``-word shingles of the normalised text (empty for a text without words)."""
    words = normalised_words(text)
    if not words:
        return frozenset()
    if len(words) < k:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i : i + k]) for i in range(len(words) - k + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a & b| / |a | b| (0.0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def near_duplicate_pairs(
    texts: Sequence[str], threshold: float = 0.9, k: int = SHINGLE_WORDS
) -> list[tuple[int, int, float]]:
    """Every pair ``(i, j, jaccard)`` with ``i < j`` whose shingle Jaccard is ``>= threshold``, sorted.

    Texts without words are never paired. ``threshold`` must be in (0, 1].
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    sets = [shingles(text, k) for text in texts]
    frequency = Counter(token for s in sets for token in s)
    rank = {token: (count, token) for token, count in frequency.items()}
    ordered = [sorted(s, key=rank.__getitem__) for s in sets]
    order = sorted((i for i in range(len(sets)) if sets[i]), key=lambda i: (len(sets[i]), i))
    index: dict[str, list[int]] = defaultdict(list)
    pairs: list[tuple[int, int, float]] = []
    for x in order:
        size = len(sets[x])
        prefix = ordered[x][: _prefix_length(size, threshold)]
        candidates: set[int] = set()
        for token in prefix:
            for y in index[token]:
                if len(sets[y]) >= threshold * size - 1e-9:
                    candidates.add(y)
        for y in candidates:
            similarity = jaccard(sets[x], sets[y])
            if similarity >= threshold:
                pairs.append((min(x, y), max(x, y), similarity))
        for token in prefix:
            index[token].append(x)
    return sorted(pairs)


def _prefix_length(size: int, threshold: float) -> int:
    # ceil(t * size), nudged down against rounding so the prefix is never too short (longer is always safe)
    return max(1, min(size, size - math.ceil(threshold * size - 1e-9) + 1))
