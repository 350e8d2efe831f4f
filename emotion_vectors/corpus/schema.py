"""The corpus data contract: one record per story, and a content fingerprint.

Every source (the Hub, a local file, the bundled demo set, a fresh generation) returns a :class:`Corpus`
of :class:`Story` records. Emotion stories and neutral texts use the same record with ``kind`` telling
them apart; an emotion corpus and its neutral baseline are two separate ``Corpus`` objects.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

StoryKind = Literal["emotion", "neutral"]
STORY_KINDS: tuple[str, ...] = ("emotion", "neutral")
RECORD_FIELDS: tuple[str, ...] = (
    "story_id",
    "kind",
    "emotion",
    "topic",
    "text",
    "source",
    "generator",
    "prompt_id",
)


@dataclass(frozen=True)
class Story:
    """One story (or one neutral paragraph).

    Attributes:
        story_id: Unique within its corpus, stable across runs (e.g. ``"afraid/002"``, ``"neutral/017"``).
        kind: ``"emotion"`` for an emotion story, ``"neutral"`` for a neutral baseline text.
        emotion: One of the 171 emotion words for ``kind == "emotion"``; ``None`` for neutral texts.
        topic: The premise the story was written about, where known.
        text: The story itself, as the model will read it (raw text, no chat template).
        source: Where the record came from (a Hub dataset id, a file path, ``"bundled-demo"``).
        generator: The model (or ``"hand-written"``) that wrote the text, where known.
        prompt_id: Identifier of the generation prompt the story came from, where known.
    """

    story_id: str
    kind: StoryKind
    emotion: str | None
    topic: str | None
    text: str
    source: str
    generator: str | None = None
    prompt_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in STORY_KINDS:
            raise ValueError(f"story {self.story_id!r}: kind must be one of {STORY_KINDS}, got {self.kind!r}")
        if self.kind == "emotion" and not self.emotion:
            raise ValueError(f"story {self.story_id!r}: an emotion story needs an emotion")
        if self.kind == "neutral" and self.emotion is not None:
            raise ValueError(f"story {self.story_id!r}: a neutral text has emotion None, got {self.emotion!r}")

    def to_record(self) -> dict[str, Any]:
        """The story as a flat JSON-ready dict with the fields of :data:`RECORD_FIELDS`."""
        return asdict(self)


def fingerprint(texts: Iterable[str]) -> str:
    """SHA-256 of ``"\\n".join(sorted(t.strip() for t in texts))`` encoded as UTF-8 (the published recipe).

    Independent of story order and of leading/trailing whitespace; any change to a text changes it.
    """
    joined = "\n".join(sorted(text.strip() for text in texts))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _json_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Corpus:
    """An ordered, immutable collection of stories with provenance.

    Attributes:
        name: Short label used in file names and reports (e.g. ``"demo"``, ``"gemma"``).
        stories: The records, in a fixed order (the order of the activation store rows).
        source: Human-readable description of where it was loaded from.
        revision: The resolved revision of the source (Hub commit sha, file sha256), where known.
    """

    name: str
    stories: tuple[Story, ...]
    source: str = ""
    revision: str | None = None
    _ids: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = [story.story_id for story in self.stories]
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            duplicates = sorted({i for i in ids if i in seen or seen.add(i)})
            raise ValueError(f"corpus {self.name!r}: duplicate story_id(s) {duplicates[:5]}")
        object.__setattr__(self, "_ids", frozenset(ids))

    def __len__(self) -> int:
        return len(self.stories)

    def __iter__(self) -> Iterator[Story]:
        return iter(self.stories)

    @property
    def texts(self) -> list[str]:
        return [story.text for story in self.stories]

    @property
    def story_ids(self) -> list[str]:
        return [story.story_id for story in self.stories]

    @property
    def emotions(self) -> list[str | None]:
        """Per-story emotion labels, aligned with :attr:`stories` (``None`` for neutral texts)."""
        return [story.emotion for story in self.stories]

    @property
    def fingerprint(self) -> str:
        """Content fingerprint over all texts (see :func:`fingerprint`)."""
        return fingerprint(self.texts)

    @property
    def rows_key(self) -> str:
        """SHA-256 over the story ids and texts in corpus order: what an activation store's rows depend on.

        Unlike :attr:`fingerprint` it changes when stories are reordered or renamed."""
        return _json_hash([[story.story_id, story.text] for story in self.stories])

    @property
    def labels_key(self) -> str:
        """SHA-256 over the story ids, kinds and emotion labels in corpus order: what the analysis groups by."""
        return _json_hash([[story.story_id, story.kind, story.emotion] for story in self.stories])

    def of_kind(self, kind: StoryKind) -> Corpus:
        """The sub-corpus of one kind, order preserved."""
        return Corpus(
            name=self.name,
            stories=tuple(s for s in self.stories if s.kind == kind),
            source=self.source,
            revision=self.revision,
        )
