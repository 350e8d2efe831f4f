"""The allowed values of every option that takes one of a fixed set: one ``Literal`` per option, written once.

The config loader checks TOML values against these types, the CLI offers :func:`choices` of them, and the
pure functions that take an option (``vectors.emotion_vectors(pooling=...)``) check against the same tuple.
"""

from __future__ import annotations

import typing
from typing import Any, Literal

Dtype = Literal["float32", "bfloat16", "float16", "auto"]
Device = Literal["cpu", "cuda", "mps"]
PadSide = Literal["right", "left-as-authors"]
ShortStoryPolicy = Literal["error", "skip"]
CorpusSource = Literal["bundled", "hub", "local"]
NeutralSource = Literal["bundled", "url", "local"]
Pooling = Literal["token_weighted", "story_mean"]
Projection = Literal["neutral", "raw"]
RatingSource = Literal["nrc", "nrc_v1", "warriner"]
CIMethod = Literal["recentred", "inverted", "bias_corrected", "percentile", "bca"]
BootstrapScheme = Literal["emotion", "story"]
ReportedLayers = Literal["all", "paper"]
UnratedEmotions = Literal["error", "exclude"]


def choices(option: Any) -> tuple[str, ...]:
    """The allowed values of ``option`` (one of the ``Literal`` types above), in their documented order."""
    return typing.get_args(option)


__all__ = [
    "BootstrapScheme",
    "CIMethod",
    "CorpusSource",
    "Device",
    "Dtype",
    "NeutralSource",
    "PadSide",
    "Pooling",
    "Projection",
    "RatingSource",
    "ReportedLayers",
    "ShortStoryPolicy",
    "UnratedEmotions",
    "choices",
]
