"""Rebuild the packaged valence/arousal table from a user-supplied NRC VAD lexicon file.

The NRC VAD Lexicon may not be redistributed in full, so the package ships only the 171 rated words. A reviewer
who has the lexicon can rebuild the table with the same matching rules and see where it differs:

1. direct match of the emotion word (case-insensitive);
2. multi-word entry: ``at ease``, ``on edge``, ``worn out`` (and hyphenated words) are looked up with spaces,
   hyphens and underscores treated alike;
3. proxy estimate for the emotions absent from the lexicon: the mean rating of the proxy words named in the
   packaged ``nrc_source`` column (``estimate_from_<w1>_<w2>``). The paper's authors made these estimates by
   hand; the mean of the proxies is our documented rule, and the rebuild reports how far it lands from theirs.

Formats: v1 (2018; ``word<TAB or comma>valence<sep>arousal<sep>dominance`` on a [0, 1] scale) and v2
(tab-separated ``term valence arousal dominance`` on [-1, 1]); a header row is optional. The scale is detected
from the values (any negative rating means v2) unless given.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from emotion_vectors.errors import DataError
from emotion_vectors.ratings import rating_table

LexiconScale = Literal["auto", "v1", "v2"]
_PROXY = re.compile(r"^estimate_from_(.+)$")


@dataclass(frozen=True)
class LexiconEntry:
    """Valence and arousal of one lexicon term, on the lexicon's own scale."""

    valence: float
    arousal: float


@dataclass(frozen=True)
class RebuiltRating:
    """One emotion's rating rebuilt from a lexicon, next to the shipped value.

    ``match`` is ``"direct"``, ``"multi_word"``, ``"proxy:<w1>+<w2>"`` or ``"missing"``.
    """

    emotion: str
    match: str
    valence: float | None
    arousal: float | None
    shipped_valence: float | None
    shipped_arousal: float | None

    @property
    def max_abs_difference(self) -> float | None:
        pairs = [(self.valence, self.shipped_valence), (self.arousal, self.shipped_arousal)]
        if any(a is None or b is None for a, b in pairs):
            return None
        return max(abs(a - b) for a, b in pairs)


def _normalise(term: str) -> str:
    return re.sub(r"[\s_\-]+", " ", term.strip().lower())


def read_lexicon(path: str | Path) -> dict[str, LexiconEntry]:
    """Parse an NRC VAD lexicon file into ``{normalised term: entry}``.

    Raises :class:`DataError` naming the file and line of the first malformed row.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"lexicon file not found: {path}", fix="pass the path of your NRC VAD lexicon file") from None
    lines = text.splitlines()
    delimiter = "\t" if any("\t" in line for line in lines[:5]) else ","
    entries: dict[str, LexiconEntry] = {}
    for number, row in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 3:
            raise DataError(
                f"{path}:{number}: expected term, valence, arousal[, dominance], got {row!r}",
                fix="use the NRC VAD v1 (word,valence,arousal,dominance) or v2 (term<TAB>valence<TAB>arousal<TAB>dominance) format",
            )
        try:
            valence, arousal = float(row[1]), float(row[2])
        except ValueError:
            if number == 1:  # header row
                continue
            raise DataError(f"{path}:{number}: valence/arousal are not numbers: {row[1:3]!r}") from None
        entries[_normalise(row[0])] = LexiconEntry(valence, arousal)
    if not entries:
        raise DataError(f"{path}: no lexicon entries found")
    return entries


def detect_scale(entries: dict[str, LexiconEntry]) -> Literal["v1", "v2"]:
    """``"v2"`` ([-1, 1]) if any rating is negative, else ``"v1"`` ([0, 1])."""
    negative = any(e.valence < 0 or e.arousal < 0 for e in entries.values())
    return "v2" if negative else "v1"


def rebuild_ratings(entries: dict[str, LexiconEntry], scale: LexiconScale = "auto") -> list[RebuiltRating]:
    """Rebuild the 171 emotions' ratings from lexicon ``entries``; compare with the shipped column of that scale.

    v1 lexicons are compared with the ``nrc_v1_*`` columns, v2 lexicons with the ``nrc_*`` columns.
    """
    resolved = detect_scale(entries) if scale == "auto" else scale
    prefix = "nrc_v1" if resolved == "v1" else "nrc"
    rebuilt = []
    for row in rating_table():
        emotion = row["emotion"]
        shipped_v = float(row[f"{prefix}_valence"]) if row[f"{prefix}_valence"] else None
        shipped_a = float(row[f"{prefix}_arousal"]) if row[f"{prefix}_arousal"] else None
        key = _normalise(emotion)
        proxy = _PROXY.match(row["nrc_source"])
        if key in entries:
            match = "multi_word" if re.search(r"[\s\-]", emotion) else "direct"
            entry = entries[key]
            valence, arousal = entry.valence, entry.arousal
        elif proxy:
            words = proxy.group(1).split("_")
            found = [entries[w] for w in words if w in entries]
            if found:
                match = "proxy:" + "+".join(w for w in words if w in entries)
                valence = sum(e.valence for e in found) / len(found)
                arousal = sum(e.arousal for e in found) / len(found)
            else:
                match, valence, arousal = "missing", None, None
        else:
            match, valence, arousal = "missing", None, None
        rebuilt.append(RebuiltRating(emotion, match, valence, arousal, shipped_v, shipped_a))
    return rebuilt


def differences(rebuilt: list[RebuiltRating], tolerance: float = 5e-4) -> list[RebuiltRating]:
    """The rebuilt ratings that differ from the shipped ones by more than ``tolerance`` (or exist on one side only)."""
    out = []
    for item in rebuilt:
        diff = item.max_abs_difference
        one_sided = (item.valence is None) != (item.shipped_valence is None)
        if one_sided or (diff is not None and diff > tolerance):
            out.append(item)
    return out
