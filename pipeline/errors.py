"""One exception hierarchy for the whole library.

Every error the pipeline raises on bad input or a failed external call is an
`InterlinearError`; subclasses carry what the message is about (a note path and line, a
video id, a claim, a language), so the run summary can list what failed and why.
"""

from __future__ import annotations

from pathlib import Path


class InterlinearError(Exception):
    """Base of every error the pipeline raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def reason(self) -> str:
        """One line, for the run summary."""
        return " ".join(self.message.split())


class ConfigError(InterlinearError):
    """A usage or configuration error (exit status 2)."""


class NoteError(InterlinearError):
    """A note that cannot be read or used."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class TranscriptError(InterlinearError):
    """No usable transcript for a video."""

    def __init__(self, video_id: str, message: str, *, transient: bool = False) -> None:
        self.video_id = video_id
        self.transient = transient
        super().__init__(f"{video_id}: {message}")


class AlignmentError(InterlinearError):
    """A claim or citation that could not be aligned."""

    def __init__(self, video_id: str, message: str) -> None:
        self.video_id = video_id
        super().__init__(f"{video_id}: {message}")


class TranslationError(InterlinearError):
    """A translation that could not be made (missing model, engine failure)."""

    def __init__(self, message: str, *, source: str = "", target: str = "") -> None:
        self.source = source
        self.target = target
        super().__init__(message)


class NativeTimeoutError(InterlinearError):
    """A call into a native model (`pipeline.native`) that passed its time limit."""


class ModelMissingError(TranslationError):
    """No engine has a model for the language pair."""


class OutputError(InterlinearError):
    """An output that could not be written (unsafe name, lock held, disk error)."""
