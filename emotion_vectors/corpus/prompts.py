"""What to ask the model: prompt templates, topic lists, the prompt plan, per-prompt seeds, reply parsing.

The paper's method: for each emotion, a few topics are sampled (seeded) from a topic list and the model is
asked, once per (emotion, topic), for several stories separated by ``[story k]`` markers. The wording of the
prompts (``data/story_prompt.txt``, ``data/neutral_prompt.txt``) and the topic list (``data/story_topics.txt``)
are this project's own. ``--prompts-from`` instead reuses the exact (emotion, topic, prompt) triples of a
published corpus (:func:`plan_from_rows`).

Seeds: every prompt's seed is derived from the run seed and the prompt's (kind, emotion, topic) by SHA-256
(:func:`derive_seed`), and a retry after a failed parse uses the next attempt number; so a prompt's seed never
depends on the order or grouping in which prompts are run. Topic samples are derived the same way, per emotion.
"""

from __future__ import annotations

import hashlib
import random
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from emotion_vectors.corpus.layout import PromptRow
from emotion_vectors.errors import CorpusError, DataError
from emotion_vectors.resources import NEUTRAL_PROMPT, STORY_PROMPT, STORY_TOPICS, data_path

STORY_MARKER = re.compile(r"\[story\s*\d+\]", re.IGNORECASE)
STORY_FIELDS = frozenset({"n_stories", "emotion", "topic"})
NEUTRAL_FIELDS = frozenset({"n_stories", "topic"})
DEFAULT_SEED = 42
_EDGE_MARKUP = "*#"  # markdown emphasis or heading marks models put around a marker


@dataclass(frozen=True)
class PromptSpec:
    """One prompt of a generation run.

    Attributes:
        prompt_id: Stable id, ``"<emotion>/p<nn>"`` or ``"neutral/p<nnn>"``.
        kind: ``"emotion"`` or ``"neutral"``.
        emotion: The emotion (``None`` for neutral prompts).
        topic: The premise or subject.
        prompt: The user message sent through the chat template.
        n_stories: Stories (or paragraphs) the reply must contain.
        occurrence: 0, or ``n`` for the ``n``-th repeat of the same (kind, emotion, topic) in a plan.
    """

    prompt_id: str
    kind: str
    emotion: str | None
    topic: str
    prompt: str
    n_stories: int
    occurrence: int = 0

    def seed(self, run_seed: int, attempt: int = 0) -> int:
        """The sampling seed of attempt ``attempt`` (0-based) of this prompt."""
        return derive_seed(
            run_seed, "generate", self.kind, self.emotion or "", self.topic, str(self.occurrence), str(attempt)
        )


@dataclass(frozen=True)
class ParsedReply:
    """The stories found in a reply; ``ok`` when there are exactly the expected number, none empty."""

    stories: tuple[str, ...]
    ok: bool


def derive_seed(run_seed: int, *parts: str) -> int:
    """A 63-bit seed from SHA-256 over the run seed and ``parts`` (joined with the unit separator)."""
    material = "\x1f".join([str(int(run_seed)), *parts]).encode("utf-8")
    return int.from_bytes(hashlib.sha256(material).digest()[:8], "big") & (2**63 - 1)


def load_template(kind: str = "emotion", path: str | Path | None = None) -> str:
    """The prompt template for ``kind`` (``"emotion"`` stories or ``"neutral"`` paragraphs), checked.

    Placeholders are ``{n_stories}``, ``{topic}`` and, for stories, ``{emotion}``; literal braces are doubled.
    """
    fields = STORY_FIELDS if kind == "emotion" else NEUTRAL_FIELDS
    source = Path(path) if path is not None else data_path(STORY_PROMPT if kind == "emotion" else NEUTRAL_PROMPT)
    text = source.read_text(encoding="utf-8").strip()
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise DataError(f"{source}: not a valid prompt template ({exc})", fix="double literal braces: {{ }}") from None
    if used != fields:
        raise DataError(
            f"{source}: placeholders {sorted(used)} differ from the required {sorted(fields)}",
            fix="use exactly " + ", ".join("{" + f + "}" for f in sorted(fields)),
        )
    return text


def load_topics(path: str | Path | None = None) -> tuple[str, ...]:
    """Topics, one per line (blank lines and ``#`` comments ignored); default: the packaged topic list."""
    source = Path(path) if path is not None else data_path(STORY_TOPICS)
    if not source.is_file():
        raise DataError(f"topic list not found: {source}", fix="pass an existing file with one topic per line")
    topics = [line.strip() for line in source.read_text(encoding="utf-8").splitlines()]
    topics = [t for t in topics if t and not t.startswith("#")]
    repeated = sorted(t for t, n in Counter(topics).items() if n > 1)
    if repeated:
        raise DataError(f"{source}: repeated topic(s) {repeated[:3]}", fix="list each topic once")
    if not topics:
        raise DataError(f"{source}: no topics", fix="put one topic per line")
    return tuple(topics)


def sample_topics(topics: Sequence[str], emotion: str, k: int, seed: int) -> tuple[str, ...]:
    """``k`` distinct topics for ``emotion``, drawn with a generator seeded from (seed, emotion)."""
    if not 0 < k <= len(topics):
        raise DataError(f"cannot sample {k} topics from a list of {len(topics)}", fix="lower --topics-per-emotion")
    return tuple(random.Random(derive_seed(seed, "topics", emotion)).sample(list(topics), k))


def plan_stories(
    emotions: Sequence[str],
    topics: Sequence[str],
    *,
    template: str,
    topics_per_emotion: int = 3,
    stories_per_prompt: int = 3,
    seed: int = DEFAULT_SEED,
) -> tuple[PromptSpec, ...]:
    """One prompt per (emotion, sampled topic), emotions in the given order."""
    plan = []
    for emotion in emotions:
        for j, topic in enumerate(sample_topics(topics, emotion, topics_per_emotion, seed)):
            prompt = template.format(n_stories=stories_per_prompt, emotion=emotion, topic=topic)
            plan.append(PromptSpec(f"{emotion}/p{j:02d}", "emotion", emotion, topic, prompt, stories_per_prompt))
    return tuple(plan)


def plan_neutral(topics: Sequence[str], *, template: str, paragraphs_per_prompt: int = 3) -> tuple[PromptSpec, ...]:
    """One neutral prompt per topic, in the given order."""
    return tuple(
        PromptSpec(
            f"neutral/p{j:03d}",
            "neutral",
            None,
            topic,
            template.format(n_stories=paragraphs_per_prompt, topic=topic),
            paragraphs_per_prompt,
        )
        for j, topic in enumerate(topics)
    )


def plan_from_rows(rows: Sequence[PromptRow], *, stories_per_prompt: int, origin: str) -> tuple[PromptSpec, ...]:
    """The exact (emotion, topic, prompt) triples of a published prompt-per-row corpus, in its row order."""
    if not rows:
        raise CorpusError(
            f"{origin}: no prompt rows to reuse", fix="--prompts-from needs a file with one prompt per row"
        )
    plan = []
    seen: Counter[tuple[str, str | None, str]] = Counter()
    for row in rows:
        if not row.prompt or row.topic is None:
            raise CorpusError(
                f"{origin}: {row.where} has no {'prompt' if not row.prompt else 'topic'}",
                fix="--prompts-from needs rows with 'emotion', 'topic' and 'prompt'",
            )
        key = (row.kind, row.emotion, row.topic)
        plan.append(
            PromptSpec(row.prompt_id, row.kind, row.emotion, row.topic, row.prompt, stories_per_prompt, seen[key])
        )
        seen[key] += 1
    return tuple(plan)


def parse_stories(reply: str, expected: int) -> ParsedReply:
    """Split a reply on ``[story k]`` markers; text before the first marker is dropped.

    Each story is stripped of surrounding whitespace and of markdown ``*``/``#`` marks left around a marker.
    """
    parts = STORY_MARKER.split(reply)[1:]
    stories = tuple(part.strip().strip(_EDGE_MARKUP).strip() for part in parts)
    return ParsedReply(stories=stories, ok=len(stories) == expected and all(stories))
