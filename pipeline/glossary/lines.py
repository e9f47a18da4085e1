"""Vault lines: the lines a vault uses as metadata, kept as written in a translation.

A vault's notes carry lines that are not prose: `From: [[bonus_professor]] <br/>` names
the channel a note belongs to, and an engine turns it into "A partir de: ...". The lines
that match one of the patterns of `vault-lines.txt` in the glossary folder are kept as
they are written; every other line is translated. Without that file the default
(`DEFAULT`) applies: the `From: [[...]]` line. An empty file (or one with only comments)
translates every line.

File format: one pattern a line, matched against the whole line (its line ending and
the spaces at both ends left out); `*` stands for any text (none included), everything
else is literal and case-sensitive; empty lines and lines starting with `#` are ignored.

    # kept as written
    From: [[*]]*
    Tags: *
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

__all__ = ["DEFAULT", "FILE_NAME", "VaultLines"]

FILE_NAME = "vault-lines.txt"
DEFAULT = ("From: [[*]]*",)


@dataclass(frozen=True)
class VaultLines:
    """The patterns of the lines kept untranslated (see the module)."""

    patterns: tuple[str, ...] = DEFAULT
    _regexes: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regexes = tuple(re.compile(".*?".join(map(re.escape, p.split("*"))), re.S)
                        for p in self.patterns)
        object.__setattr__(self, "_regexes", regexes)

    @classmethod
    def parse(cls, text: str) -> VaultLines:
        """The patterns of a `vault-lines.txt` text (comments and empty lines dropped)."""
        lines = (line.strip() for line in text.splitlines())
        return cls(tuple(line for line in lines if line and not line.startswith("#")))

    @classmethod
    def load(cls, folder: Path) -> VaultLines:
        """`folder/vault-lines.txt`, or `DEFAULT` when there is no such file."""
        path = Path(folder) / FILE_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read: {exc}") from None
        return cls.parse(text)

    def kept(self, line: str) -> bool:
        """Whether `line` (with or without its line ending) is kept as written."""
        body = line.strip()
        return bool(body) and any(r.fullmatch(body) for r in self._regexes)

    def runs(self, text: str) -> list[tuple[str, bool]]:
        """`text` cut into runs of whole lines, each with whether it is kept; the runs
        concatenate to `text`."""
        out: list[tuple[str, bool]] = []
        for line in text.splitlines(keepends=True):
            keep = self.kept(line)
            if out and out[-1][1] == keep:
                out[-1] = (out[-1][0] + line, keep)
            else:
                out.append((line, keep))
        return out

    def kept_in(self, texts: Iterable[str]) -> list[str]:
        """The kept lines of `texts`, as written (for a cache key: a change of patterns
        that keeps the same lines of a note changes nothing for it)."""
        return [line for text in texts for line in text.splitlines() if self.kept(line)]
