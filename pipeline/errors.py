"""One exception hierarchy for the whole library.

Every error the pipeline raises on bad input or a failed external call is an
`InterlinearError`; subclasses carry what the message is about (a note path and line, a
video id, a claim, a language), so the run summary can list what failed and why.
"""

from __future__ import annotations

import os
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


class ModelMissingError(TranslationError):
    """No engine has a model for the language pair."""


class OutputError(InterlinearError):
    """An output that could not be written (unsafe name, lock held, disk error)."""


class WriteError(OutputError):
    """A file the system refused to write (disk full, permission denied, read-only file
    system...): says what happened and where. Inside a run it fails the item being written;
    when it stops a whole command, the command line exits with status 2 (the environment
    must be fixed, as for a configuration error)."""

    def __init__(self, message: str, path: Path | str = "", errno: int | None = None) -> None:
        super().__init__(message)
        self.path = Path(path)
        self.errno = errno

    @classmethod
    def of(cls, path: Path | str, exc: OSError, doing: str = "writing") -> WriteError:
        """"no space left on device while writing OUT/notes/ru/x.md"."""
        return cls(f"{describe_os_error(exc)} while {doing} {path}", path, exc.errno)


def describe_os_error(exc: OSError) -> str:
    """What the system said, in words ("no space left on device"), not an exception name."""
    text = exc.strerror or (os.strerror(exc.errno) if exc.errno else "") or str(exc) \
        or type(exc).__name__
    return text[:1].lower() + text[1:]
