"""Corpus validation: counts, emotion-word leaks, duplicates, short texts, unknown emotions, parse failures.

:func:`validate_corpus` is pure: it reads a corpus (and, optionally, the prompt rows its source reported) and
returns a :class:`ValidationReport`; nothing is printed or written.

What counts as a leak (a story naming its own emotion), see :func:`emotion_pattern`:

- the emotion word as a whole word, case-insensitive: ``afraid`` matches "Afraid," and "un-afraid" but not
  "afraidness"; only that exact form counts (``hope`` does not match "hopes" or "hopeful", ``sad`` not
  "sadness"); synonyms are not detected;
- a multi-word emotion (``worn out``, ``at ease``, ``on edge``) as the phrase, its words separated by any
  whitespace, a hyphen or dash, or nothing ("worn out", "worn-out", "Worn  out", "wornout");
- a hyphenated emotion (``grief-stricken``, ``self-conscious``) likewise: "grief-stricken", "grief stricken",
  "griefstricken", "grief–stricken" (en dash);
- a word that is also an ordinary word ("the content of the letter", "a kind of") still counts: the check is
  lexical and errs on the side of reporting.

Emotion checks apply to ``kind == "emotion"`` stories only; duplicate and length checks apply to every text.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from emotion_vectors.corpus.dedup import near_duplicate_pairs
from emotion_vectors.corpus.layout import PromptRow
from emotion_vectors.corpus.schema import Corpus, Story
from emotion_vectors.ratings import emotions as canonical_emotions

DEFAULT_MIN_WORDS = 30
DEFAULT_NEAR_THRESHOLD = 0.9
DEFAULT_STORIES_PER_PROMPT = 3
_SEPARATOR = r"(?:\s+|\s*[-\u2010\u2011\u2012\u2013]\s*)?"  # whitespace, a hyphen or dash, or nothing


@dataclass(frozen=True)
class Leak:
    """A story that contains its own emotion word."""

    story_id: str
    emotion: str
    match: str
    context: str


@dataclass(frozen=True)
class NearDuplicate:
    """Two different texts whose 3-word-shingle Jaccard similarity is at or above the threshold."""

    story_a: str
    story_b: str
    jaccard: float


@dataclass(frozen=True)
class ShortText:
    """A text with fewer words than the minimum (an empty text has 0)."""

    story_id: str
    n_words: int


@dataclass(frozen=True)
class ParseFailure:
    """A prompt row whose stories list does not have the expected length (or contradicts its own count)."""

    where: str
    prompt_id: str
    emotion: str | None
    n_stories: int
    n_declared: int | None
    expected: int | None


@dataclass(frozen=True)
class ValidationReport:
    """Everything :func:`validate_corpus` found. Each finding list is empty for a clean corpus.

    Attributes:
        corpus: Corpus name; ``source``: where it came from; ``fingerprint``: its content fingerprint.
        n_texts: All records; ``n_emotion_stories``: those of kind ``emotion``.
        words: ``{"mean", "min", "max"}`` words per text (whitespace-separated), or ``{}`` if empty.
        counts: ``(emotion, n_stories)`` for every known emotion in canonical order, then unknown ones.
        expected_per_emotion: The count every emotion should have (given, or the most common one).
        missing_emotions: Known emotions without any story (only when the corpus has emotion stories).
        count_mismatches: ``(emotion, n)`` for present emotions whose count differs from the expected one.
        unknown_emotions: ``(story_id, emotion)`` for stories whose emotion is not a known one.
        leaks, exact_duplicates (groups of ids sharing one stripped text), near_duplicates, short_texts,
        parse_failures: see the classes above.
    """

    corpus: str
    source: str
    fingerprint: str
    n_texts: int
    n_emotion_stories: int
    words: dict[str, float] = field(default_factory=dict)
    min_words: int = DEFAULT_MIN_WORDS
    near_threshold: float = DEFAULT_NEAR_THRESHOLD
    counts: tuple[tuple[str, int], ...] = ()
    expected_per_emotion: int | None = None
    missing_emotions: tuple[str, ...] = ()
    count_mismatches: tuple[tuple[str, int], ...] = ()
    unknown_emotions: tuple[tuple[str, str], ...] = ()
    leaks: tuple[Leak, ...] = ()
    exact_duplicates: tuple[tuple[str, ...], ...] = ()
    near_duplicates: tuple[NearDuplicate, ...] = ()
    short_texts: tuple[ShortText, ...] = ()
    parse_failures: tuple[ParseFailure, ...] = ()

    @property
    def findings(self) -> dict[str, int]:
        """Number of findings per check, in the order of the printed table."""
        return {
            "unknown_emotions": len(self.unknown_emotions),
            "missing_emotions": len(self.missing_emotions),
            "count_mismatches": len(self.count_mismatches),
            "leaks": len(self.leaks),
            "exact_duplicates": len(self.exact_duplicates),
            "near_duplicates": len(self.near_duplicates),
            "short_texts": len(self.short_texts),
            "parse_failures": len(self.parse_failures),
        }

    @property
    def ok(self) -> bool:
        """True when no check found anything."""
        return not any(self.findings.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the summary, the per-check counts (``findings``) and every finding."""
        data = asdict(self)
        data["counts"] = dict(self.counts)
        data["count_mismatches"] = dict(self.count_mismatches)
        data["unknown_emotions"] = [{"story_id": s, "emotion": e} for s, e in self.unknown_emotions]
        data["exact_duplicates"] = [list(group) for group in self.exact_duplicates]
        data["findings"] = self.findings
        data["ok"] = self.ok
        return data

    def format_table(self, examples: int = 3) -> str:
        """A plain-text summary table with up to ``examples`` examples per check."""
        lines = [
            f"corpus {self.corpus!r} ({self.source}): {self.n_texts} texts, {self.n_emotion_stories} emotion stories"
        ]
        lines.append(f"fingerprint {self.fingerprint}")
        if self.words:
            w = self.words
            lines.append(f"words per text: mean {w['mean']:.1f}, min {w['min']:.0f}, max {w['max']:.0f}")
        if self.n_emotion_stories:
            present = [n for _, n in self.counts if n]
            lines.append(
                f"stories per emotion: {len(present)} emotions, min {min(present)}, max {max(present)}"
                f" (expected {self.expected_per_emotion})"
            )
        rows = [
            ("unknown emotions", [f"{s} ({e})" for s, e in self.unknown_emotions]),
            ("missing emotions", list(self.missing_emotions)),
            ("per-emotion count off", [f"{e}: {n}" for e, n in self.count_mismatches]),
            ("names its own emotion", [f'{x.story_id} ("{x.match}")' for x in self.leaks]),
            ("exact duplicates", [" = ".join(group) for group in self.exact_duplicates]),
            (
                f"near duplicates (J >= {self.near_threshold:g})",
                [f"{x.story_a} ~ {x.story_b} ({x.jaccard:.2f})" for x in self.near_duplicates],
            ),
            (f"short texts (< {self.min_words} words)", [f"{x.story_id} ({x.n_words})" for x in self.short_texts]),
            (
                "parse failures",
                [
                    f"{x.where} {x.prompt_id}: {x.n_stories} stories (expected {x.expected})"
                    for x in self.parse_failures
                ],
            ),
        ]
        width = max(len(label) for label, _ in rows)
        lines.append(f"{'check':<{width}}  findings  examples")
        for label, items in rows:
            shown = "; ".join(items[:examples]) + (" ..." if len(items) > examples else "")
            lines.append(f"{label:<{width}}  {len(items):>8}  {shown}".rstrip())
        lines.append("OK: no findings" if self.ok else f"{sum(self.findings.values())} finding(s)")
        return "\n".join(lines)


@lru_cache(maxsize=512)
def emotion_pattern(emotion: str) -> re.Pattern[str]:
    """The case-insensitive regex that finds ``emotion`` as a whole word or phrase (see the module docstring)."""
    parts = [re.escape(part) for part in re.split(r"[\s\-]+", emotion.strip()) if part]
    return re.compile(r"(?<!\w)" + _SEPARATOR.join(parts) + r"(?!\w)", re.IGNORECASE)


def find_leaks(text: str, emotion: str) -> list[str]:
    """Every occurrence of ``emotion`` in ``text`` under the leak rule, as matched."""
    return [m.group(0) for m in emotion_pattern(emotion).finditer(text)]


def validate_corpus(
    corpus: Corpus,
    emotions: Sequence[str] | None = None,
    *,
    prompt_rows: Sequence[PromptRow] = (),
    stories_per_prompt: int | None = DEFAULT_STORIES_PER_PROMPT,
    expected_per_emotion: int | None = None,
    min_words: int = DEFAULT_MIN_WORDS,
    near_threshold: float = DEFAULT_NEAR_THRESHOLD,
) -> ValidationReport:
    """Run every check on ``corpus``.

    Args:
        corpus: The corpus to check.
        emotions: The known emotions (default: the 171 of :func:`emotion_vectors.ratings.emotions`).
        prompt_rows: The source's prompt rows (from :class:`~emotion_vectors.corpus.layout.LoadedCorpus`), for
            the parse-failure check; empty for story-per-row sources.
        stories_per_prompt: Stories each prompt row must have; ``None`` checks only rows against their own
            ``n_stories_parsed``.
        expected_per_emotion: Stories each emotion must have; ``None`` takes the most common count.
        min_words: Texts with fewer words are reported as short.
        near_threshold: Jaccard threshold for near duplicates.
    """
    known = tuple(emotions) if emotions is not None else canonical_emotions()
    known_set = set(known)
    stories = corpus.stories
    emotion_stories = [s for s in stories if s.kind == "emotion"]
    per_emotion = Counter(s.emotion for s in emotion_stories)
    counts = _emotion_counts(per_emotion, known)
    expected = expected_per_emotion
    if expected is None:
        expected = _most_common_count(counts, known_set)
    word_counts = [len(s.text.split()) for s in stories]
    return ValidationReport(
        corpus=corpus.name,
        source=corpus.source,
        fingerprint=corpus.fingerprint,
        n_texts=len(stories),
        n_emotion_stories=len(emotion_stories),
        words=_word_summary(word_counts),
        min_words=min_words,
        near_threshold=near_threshold,
        counts=counts,
        expected_per_emotion=expected,
        missing_emotions=tuple(e for e in known if emotion_stories and not per_emotion.get(e)),
        count_mismatches=tuple((e, n) for e, n in counts if n and e in known_set and n != expected),
        unknown_emotions=tuple((s.story_id, s.emotion) for s in emotion_stories if s.emotion not in known_set),
        leaks=tuple(_leaks(emotion_stories)),
        exact_duplicates=exact_duplicates(corpus),
        near_duplicates=_near_duplicates(stories, near_threshold),
        short_texts=tuple(ShortText(s.story_id, n) for s, n in zip(stories, word_counts, strict=True) if n < min_words),
        parse_failures=tuple(_parse_failures(prompt_rows, stories_per_prompt)),
    )


# ---------------------------------------------------------------------------------------------- internals


def _emotion_counts(per_emotion: Counter[str], known: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """``(emotion, n_stories)`` for every known emotion in order (0 when absent), then the unknown ones sorted."""
    known_set = set(known)
    unknown_names = sorted(e for e in per_emotion if e not in known_set)
    return tuple((e, per_emotion.get(e, 0)) for e in known) + tuple((e, per_emotion[e]) for e in unknown_names)


def _most_common_count(counts: tuple[tuple[str, int], ...], known: set[str]) -> int | None:
    """The most common non-zero story count of the known emotions (the larger count on a tie); ``None`` if none."""
    present = [n for e, n in counts if n and e in known]
    if not present:
        return None
    return max(Counter(present).items(), key=lambda item: (item[1], item[0]))[0]


def _near_duplicates(stories: Sequence[Story], threshold: float) -> tuple[NearDuplicate, ...]:
    """Pairs of different texts (after stripping) whose shingle Jaccard similarity is at least ``threshold``."""
    near = near_duplicate_pairs([s.text for s in stories], threshold)
    return tuple(
        NearDuplicate(stories[i].story_id, stories[j].story_id, round(similarity, 4))
        for i, j, similarity in near
        if stories[i].text.strip() != stories[j].text.strip()
    )


def _word_summary(word_counts: list[int]) -> dict[str, float]:
    if not word_counts:
        return {}
    return {"mean": round(statistics.fmean(word_counts), 2), "min": min(word_counts), "max": max(word_counts)}


def _leaks(emotion_stories: list) -> list[Leak]:
    leaks = []
    for story in emotion_stories:
        match = emotion_pattern(story.emotion).search(story.text)
        if match:
            start, end = max(0, match.start() - 30), min(len(story.text), match.end() + 30)
            leaks.append(Leak(story.story_id, story.emotion, match.group(0), story.text[start:end]))
    return leaks


def exact_duplicates(corpus: Corpus) -> tuple[tuple[str, ...], ...]:
    """Groups of story ids that share one text (after stripping whitespace), in corpus order."""
    groups: dict[str, list[str]] = defaultdict(list)
    for story in corpus.stories:
        groups[story.text.strip()].append(story.story_id)
    return tuple(tuple(ids) for ids in groups.values() if len(ids) > 1)


def _parse_failures(prompt_rows: Sequence[PromptRow], expected: int | None) -> list[ParseFailure]:
    failures = []
    for row in prompt_rows:
        wrong_count = expected is not None and row.n_stories != expected
        contradicts = row.n_declared is not None and row.n_declared != row.n_stories
        if wrong_count or contradicts:
            failures.append(
                ParseFailure(row.where, row.prompt_id, row.emotion, row.n_stories, row.n_declared, expected)
            )
    return failures
