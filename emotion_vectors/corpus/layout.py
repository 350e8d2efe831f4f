"""Turn raw rows of a corpus file or dataset into :class:`~emotion_vectors.corpus.schema.Corpus` records.

Two row layouts are accepted, whatever the container (JSONL, Parquet, a Hub dataset):

- **prompt per row** (the authors' JSONL; ``published_corpora.json`` ``row_schema_of_authors_jsonl``): a
  ``stories`` list of strings plus ``emotion``; ``topic``, ``prompt``, ``n_stories_parsed``, ``prompt_id``,
  ``kind`` and ``generator`` are used when present. The files ``emotion-vectors corpus generate`` writes use it.
- **story per row**: a ``text`` (or ``story``) string plus ``emotion``; ``story_id``, ``kind``, ``topic``,
  ``prompt_id``, ``generator`` and ``source`` are used when present (:meth:`Story.to_record` rows round-trip).

The layout is decided from the first row and every row must follow it; anything else is a
:class:`~emotion_vectors.errors.CorpusError` naming the origin, the row and the fix.

Story ids, when the rows do not carry them, are ``"<emotion>/<nnn>"`` (``"neutral/<nnn>"`` for neutral
texts), numbered from 0 in row order within each emotion; prompt ids are ``"<emotion>/p<nn>"`` likewise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from emotion_vectors.corpus.schema import STORY_KINDS, Corpus, Story
from emotion_vectors.errors import CorpusError

Layout = Literal["prompt-per-row", "story-per-row"]
PROMPT_PER_ROW: Layout = "prompt-per-row"
STORY_PER_ROW: Layout = "story-per-row"
TEXT_COLUMNS: tuple[str, ...] = ("text", "story")

# A row as read from its container: a label for error messages ("line 7", "row 7") and the record.
LabelledRow = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True)
class PromptRow:
    """One prompt-per-row record, as loaded (used by validation and by ``--prompts-from``).

    Attributes:
        where: Position in the source, for messages (``"line 7"``, ``"row 7"``).
        prompt_id: The row's ``prompt_id`` column, or ``"<emotion>/p<nn>"`` derived from row order.
        kind: ``"emotion"`` or ``"neutral"``.
        emotion: The emotion (``None`` for neutral rows).
        topic: The premise, where given.
        prompt: The user prompt sent to the model, where given.
        n_stories: Number of stories in the row's ``stories`` list.
        n_declared: The row's ``n_stories_parsed`` value, where given.
    """

    where: str
    prompt_id: str
    kind: str
    emotion: str | None
    topic: str | None
    prompt: str | None
    n_stories: int
    n_declared: int | None


@dataclass(frozen=True)
class LoadedCorpus:
    """A corpus plus what its source said about the rows it came from.

    Attributes:
        corpus: The stories.
        layout: The row layout the source used.
        prompt_rows: One entry per source row for the prompt-per-row layout; empty otherwise.
    """

    corpus: Corpus
    layout: Layout
    prompt_rows: tuple[PromptRow, ...] = ()


def detect_layout(first: Mapping[str, Any], origin: str, where: str) -> Layout:
    """The layout of a source, decided from its first row; raises :class:`CorpusError` on anything else."""
    if "stories" in first:
        return PROMPT_PER_ROW
    if any(column in first for column in TEXT_COLUMNS):
        return STORY_PER_ROW
    raise CorpusError(
        f"{origin}: {where} has columns {sorted(first)}; expected a 'stories' list (one prompt per row) "
        "or a 'text'/'story' column (one story per row)",
        fix="convert the file to one of the two layouts described in emotion_vectors/data/published_corpora.json",
    )


def rows_to_corpus(
    rows: Iterable[LabelledRow],
    *,
    name: str,
    origin: str,
    source: str,
    revision: str | None = None,
    generator: str | None = None,
) -> LoadedCorpus:
    """Build a corpus from labelled rows in either layout.

    Args:
        rows: ``(where, record)`` pairs in source order.
        name: The corpus name.
        origin: The file or dataset named in error messages.
        source: The value of :attr:`Story.source` for rows that do not carry one.
        revision: The resolved revision recorded on the corpus.
        generator: The generator recorded on stories whose row does not name one.
    """
    rows = list(rows)
    if not rows:
        raise CorpusError(f"{origin}: no rows", fix="check the path or dataset id; the source is empty")
    layout = detect_layout(rows[0][1], origin, rows[0][0])
    if layout == PROMPT_PER_ROW:
        stories, prompt_rows = _from_prompt_rows(rows, origin, source, generator)
    else:
        stories, prompt_rows = _from_story_rows(rows, origin, source, generator), ()
    try:
        corpus = Corpus(name=name, stories=tuple(stories), source=origin, revision=revision)
    except ValueError as exc:
        raise CorpusError(
            f"{origin}: {exc}", fix="give every row a unique story_id, or drop the story_id column"
        ) from None
    return LoadedCorpus(corpus=corpus, layout=layout, prompt_rows=tuple(prompt_rows))


# ---------------------------------------------------------------------------------------------- internals


def _from_prompt_rows(
    rows: list[LabelledRow], origin: str, source: str, generator: str | None
) -> tuple[list[Story], list[PromptRow]]:
    story_counter: Counter[str] = Counter()
    prompt_counter: Counter[str] = Counter()
    stories: list[Story] = []
    prompt_rows: list[PromptRow] = []
    for where, row in rows:
        if "stories" not in row:
            raise CorpusError(
                f"{origin}: {where} has no 'stories' column (the first row has one)",
                fix="every row must follow the same layout",
            )
        texts = row["stories"]
        if not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) for t in texts):
            raise CorpusError(
                f"{origin}: {where}: 'stories' must be a list of strings, got {_short(texts)}",
                fix="store each prompt's stories as a JSON list of strings",
            )
        kind, emotion = _kind_and_emotion(row, origin, where)
        topic = _optional_str(row, "topic", origin, where)
        key = emotion if kind == "emotion" else "neutral"
        prompt_id = _optional_str(row, "prompt_id", origin, where) or f"{key}/p{prompt_counter[key]:02d}"
        prompt_counter[key] += 1
        row_generator = _optional_str(row, "generator", origin, where) or generator
        for text in texts:
            stories.append(
                Story(
                    story_id=f"{key}/{story_counter[key]:03d}",
                    kind=kind,
                    emotion=emotion,
                    topic=topic,
                    text=text,
                    source=source,
                    generator=row_generator,
                    prompt_id=prompt_id,
                )
            )
            story_counter[key] += 1
        declared = row.get("n_stories_parsed")
        if declared is not None and (isinstance(declared, bool) or not isinstance(declared, int)):
            raise CorpusError(f"{origin}: {where}: 'n_stories_parsed' must be an integer, got {declared!r}")
        prompt_rows.append(
            PromptRow(
                where=where,
                prompt_id=prompt_id,
                kind=kind,
                emotion=emotion,
                topic=topic,
                prompt=_optional_str(row, "prompt", origin, where),
                n_stories=len(texts),
                n_declared=declared,
            )
        )
    return stories, prompt_rows


def _from_story_rows(rows: list[LabelledRow], origin: str, source: str, generator: str | None) -> list[Story]:
    counter: Counter[str] = Counter()
    stories: list[Story] = []
    for where, row in rows:
        column = next((c for c in TEXT_COLUMNS if c in row), None)
        if column is None:
            raise CorpusError(
                f"{origin}: {where} has no 'text' or 'story' column (the first row has one)",
                fix="every row must follow the same layout",
            )
        text = row[column]
        if not isinstance(text, str):
            raise CorpusError(
                f"{origin}: {where}: '{column}' must be a string, got {_short(text)}",
                fix="remove the row or give it its text",
            )
        kind, emotion = _kind_and_emotion(row, origin, where)
        key = emotion if kind == "emotion" else "neutral"
        story_id = _optional_str(row, "story_id", origin, where) or f"{key}/{counter[key]:03d}"
        counter[key] += 1
        stories.append(
            Story(
                story_id=story_id,
                kind=kind,
                emotion=emotion,
                topic=_optional_str(row, "topic", origin, where),
                text=text,
                source=_optional_str(row, "source", origin, where) or source,
                generator=_optional_str(row, "generator", origin, where) or generator,
                prompt_id=_optional_str(row, "prompt_id", origin, where),
            )
        )
    return stories


def _kind_and_emotion(row: Mapping[str, Any], origin: str, where: str) -> tuple[str, str | None]:
    kind = _optional_str(row, "kind", origin, where) or "emotion"
    if kind not in STORY_KINDS:
        raise CorpusError(f"{origin}: {where}: kind {kind!r} is not one of {STORY_KINDS}")
    emotion = _optional_str(row, "emotion", origin, where)
    if kind == "emotion" and not (emotion and emotion.strip()):
        raise CorpusError(
            f"{origin}: {where}: an emotion story needs a non-empty 'emotion'",
            fix="add the emotion, or set kind = 'neutral' for neutral texts",
        )
    if kind == "neutral" and emotion:
        raise CorpusError(f"{origin}: {where}: a neutral row has emotion {emotion!r}", fix="set emotion to null")
    return kind, (emotion.strip() if kind == "emotion" and emotion else None)


def _optional_str(row: Mapping[str, Any], key: str, origin: str, where: str) -> str | None:
    value = row.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise CorpusError(f"{origin}: {where}: '{key}' must be a string, got {_short(value)}")


def _short(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"
