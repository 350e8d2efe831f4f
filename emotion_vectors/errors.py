"""The project's exception hierarchy.

Every error a user can cause carries a ``fix``: one sentence that says what to do. The CLI prints
``error: <message>`` and ``fix: <fix>`` without a traceback and exits non-zero.
"""

from __future__ import annotations


class EmotionVectorsError(Exception):
    """Base class of every user-facing error.

    Args:
        message: What went wrong, naming the file, row, key or value involved.
        fix: What the user should do about it.
    """

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return self.message if not self.fix else f"{self.message}\n  fix: {self.fix}"

    def __reduce__(self) -> tuple[type, tuple[str, str | None]]:
        # keeps ``fix`` when the error crosses a process boundary (parallel layer analysis)
        return (self.__class__, (self.message, self.fix))


class ConfigError(EmotionVectorsError, ValueError):
    """An experiment config file (TOML) or a CLI option is invalid."""


class DataError(EmotionVectorsError, ValueError):
    """An input file (corpus, lexicon, neutral texts) is malformed or does not match its checksum."""


class CorpusError(DataError):
    """A story corpus cannot be loaded or fails validation."""


class ModelError(EmotionVectorsError):
    """A model cannot be loaded or its transformer blocks cannot be located."""


class StoreError(EmotionVectorsError):
    """An activation store is missing, incomplete, or was made from different inputs."""


class IntegrityError(StoreError):
    """A store's array file no longer matches the sha256 its writer recorded (``path`` names the file)."""

    def __init__(self, message: str, fix: str | None = None, path: str = "") -> None:
        super().__init__(message, fix)
        self.path = path

    def __reduce__(self) -> tuple[type, tuple[str, str | None, str]]:  # type: ignore[override]
        return (self.__class__, (self.message, self.fix, self.path))


class ExtractionError(EmotionVectorsError):
    """Extraction cannot proceed (e.g. stories shorter than the token offset under the 'error' policy)."""


class AnalysisError(EmotionVectorsError, ValueError):
    """Analysis inputs are inconsistent (shapes, missing emotions, missing neutral baseline)."""


class OfflineError(EmotionVectorsError):
    """A resource needs the network (the Hugging Face Hub, a pinned URL) and it cannot be reached."""


class ReportError(EmotionVectorsError):
    """The report or paper stage cannot proceed (no results, no TeX installation, LaTeX failed)."""


class BusyError(EmotionVectorsError):
    """Another run holds the output folder's lock."""
