"""One exception hierarchy for the whole library.

Every error the pipeline raises on bad input or a failed external call is an
`InterlinearError`; subclasses carry what the message is about (a note path and line, a
video id, a language pair), so the run summary can list what failed and why.

Errors cross process boundaries (Dask workers, Prefect results pickle them): every
`InterlinearError`, in this module or elsewhere, survives `pickle` and `copy` with its
`args`, its message and every field its constructor set.
"""

from __future__ import annotations

import copyreg
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class InterlinearError(Exception):
    """Base of every error the pipeline raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def reason(self) -> str:
        """One line, for the run summary."""
        return " ".join(self.message.split())

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own reduce calls `type(self)(*self.args)`, which fails for subclasses
        # whose constructor takes other arguments than the message. Rebuild without the
        # constructor instead: `cls.__new__(cls, *args)`, then the fields (`__dict__`).
        return copyreg.__newobj__, (type(self), *self.args), self.__dict__  # type: ignore[attr-defined]


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


@dataclass(frozen=True)
class Failure:
    """One item of the run that could not be produced, and why (one line)."""

    stage: str  # notes / fetch / align / translate / render / models
    item: str  # a note path, a video id, `note [lang]`, a language...
    reason: str
    transient: bool = False  # may clear on a later run (a network failure)

    @classmethod
    def of(cls, stage: str, item: str, exc: BaseException) -> Failure:
        """The failure of `item` from any error: ours keep their one-line reason, anything
        else (a bug) is an internal error naming its type."""
        if isinstance(exc, InterlinearError):
            return cls(stage, item, exc.reason, bool(getattr(exc, "transient", False)))
        return cls(stage, item, f"internal error: {type(exc).__name__}: {exc}")

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"stage": self.stage, "item": self.item,
                                    "reason": self.reason}
        if self.transient:
            found["transient"] = True
        return found


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
