"""The glossary: fixed renderings of names and terms, loaded from `glossary/*.csv`.

A glossary file is CSV with a header row of language codes. The first column is `en`,
the English source term; then any of `ru, uk, de, es, fr, pt`, and optionally `case`
(`sensitive` / `insensitive`, default insensitive) and `note`. A cell may list
alternatives `a|b`, the first preferred; a target equal to the source means "keep as is";
an empty target cell means "no rule for that language". Several files are merged in name
order (`files.py`). Every problem of the files is a `GlossaryIssue` in `Glossary.issues`,
never a fatal error; an error (a malformed row, a term with two renderings...) means what
it names is not enforced: a term whose definitions disagree is never forced either way.

Source terms are found with one compiled regex: longest term first, whole words only,
case rules per term, any run of whitespace matching the spaces of a term. A second regex,
the terms as a tree of characters (all ignoring case), finds where a term may start; the
first is tried only there (the same matches, 30x faster on notes without terms).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from ..errors import ConfigError
from .lines import VaultLines

LANGS = ("ru", "uk", "de", "es", "fr", "pt")
HASH_SCHEME = "interlinear-glossary-v1"
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Term:
    """One glossary entry: an English term and its renderings per language."""

    source: str
    targets: Mapping[str, tuple[str, ...]] = field(hash=False, compare=False)
    case_sensitive: bool = False
    note: str = ""
    origin: str = ""  # "file.csv:line" of its (first) definition

    def expected(self, lang: str) -> tuple[str, ...]:
        """The accepted renderings in `lang`, the preferred first (empty: no rule)."""
        return self.targets.get(lang, ())

    def keeps(self, lang: str) -> bool:
        """Whether the term stays as written in `lang` ("keep as is")."""
        alts = self.expected(lang)
        return bool(alts) and alts[0] == self.source

    @property
    def key(self) -> tuple[str, bool]:
        return (self.source if self.case_sensitive else self.source.casefold(),
                self.case_sensitive)


@dataclass(frozen=True)
class GlossaryIssue:
    """A problem in a glossary file (see `files.py` for the list). An `error` means the
    glossary cannot be trusted for what it names, which is then not enforced (a term, a
    term in one language, a row or a whole file, as the message says); a `warning` loses
    nothing that was meant."""

    path: str
    line: int  # 0: the whole file
    message: str
    severity: Severity = "error"
    term: str = ""  # the source term it concerns, if any

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class TermHit:
    """One occurrence of a term in a text."""

    term: Term
    start: int
    end: int
    text: str  # as written in the text


TERMS_IN_KEPT = 1024


class Glossary:
    """Merged terms of one or more glossary files, with a fast matcher."""

    def __init__(self, terms: Iterable[Term], issues: Iterable[GlossaryIssue] = (),
                 lines: VaultLines | None = None) -> None:
        self.terms: tuple[Term, ...] = tuple(terms)
        self.issues: tuple[GlossaryIssue, ...] = tuple(issues)
        self.lines = lines if lines is not None else VaultLines()  # kept untranslated
        self.hash = _content_hash(self.terms)
        ordered = sorted(self.terms, key=lambda t: (-len(t.source), t.source))
        self._by_group = ordered
        self._regex = _compile(ordered)
        self._starts = _compile_tree(ordered)
        self._by_lang: dict[str, Glossary] = {}
        self._terms_in: dict[str, list[Term]] = {}  # text -> terms_in(text), recent texts

    # -- construction
    @classmethod
    def load(cls, folder: Path) -> Glossary:
        """All `*.csv` files of `folder`, merged in name order; every problem is in
        `issues` (errors: what they name is not enforced); the vault lines of its
        `vault-lines.txt` (`lines.py`). ConfigError if no folder."""
        from .files import read_glossary

        folder = Path(folder)
        if not folder.is_dir():
            raise ConfigError(f"glossary folder {folder} does not exist")
        paths = sorted(folder.glob("*.csv"))
        terms, issues = read_glossary(paths)
        if not paths:
            issues.append(GlossaryIssue(str(folder), 0, "no glossary files (*.csv): no term "
                                                        "is enforced", "warning"))
        return cls(terms, issues, VaultLines.load(folder))

    @classmethod
    def from_csv(cls, *texts: str) -> Glossary:
        """A glossary from CSV texts (as if several files), for tests and tools."""
        from .files import merge, parse_file

        files = [parse_file(text, f"<text{i}>") for i, text in enumerate(texts)]
        terms, conflicts = merge(files)
        return cls(terms, [*(i for f in files for i in f.issues), *conflicts])

    @property
    def errors(self) -> tuple[GlossaryIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    def for_lang(self, lang: str) -> Glossary:
        """The terms that have a rule for `lang` (same hash: it names the whole glossary)."""
        sub = self._by_lang.get(lang)
        if sub is None:
            sub = Glossary([t for t in self.terms if t.expected(lang)], self.issues,
                           self.lines)
            sub.hash = self.hash
            self._by_lang[lang] = sub
        return sub

    def from_lang(self, lang: str) -> Glossary:
        """The glossary read the other way, for a leg into English (`lang`->en): each of
        a term's renderings in `lang` (its listed forms: `Россия|России|...`) is a
        source term whose rule is its English term (same hash); a form that several
        English terms share accepts any of them (`Zelensky|Zelenskyy`)."""
        sub = self._by_lang.get(f"from:{lang}")
        if sub is None:
            found: dict[tuple[str, bool], Term] = {}
            english: dict[tuple[str, bool], list[str]] = {}
            for t in self.terms:
                for form in t.expected(lang):
                    term = found.setdefault(
                        Term(form, {}, t.case_sensitive).key,
                        Term(form, {}, t.case_sensitive, t.note, t.origin))
                    english.setdefault(term.key, []).append(t.source)
            sub = Glossary([replace(t, targets={"en": tuple(dict.fromkeys(english[k]))})
                            for k, t in found.items()], self.issues, self.lines)
            sub.hash = self.hash
            self._by_lang[f"from:{lang}"] = sub
        return sub

    # -- matching
    def find(self, text: str) -> list[TermHit]:
        """Non-overlapping occurrences, leftmost first, the longest term at each place."""
        if self._regex is None:
            return []
        hits = []
        for m in self._matches(text):
            group = m.lastgroup
            assert group is not None
            hits.append(TermHit(self._by_group[int(group[1:])], m.start(), m.end(), m.group()))
        return hits

    def _matches(self, text: str) -> Iterator[re.Match[str]]:
        """`self._regex.finditer(text)`: the tree finds the leftmost place where some term
        matches ignoring case (a term matches nowhere it does not); the exact regex is
        tried there (its lookbehind sees the text before), and the search goes on after
        its match, or after that place."""
        assert self._regex is not None
        if self._starts is None:
            yield from self._regex.finditer(text)
            return
        pos = 0
        while (cand := self._starts.search(text, pos)) is not None:
            m = self._regex.match(text, cand.start())
            if m is not None:
                yield m
            pos = m.end() if m is not None else cand.start() + 1

    def terms_in(self, text: str) -> list[Term]:
        """The distinct terms that occur in `text`, in order of first occurrence. Kept for
        the last `TERMS_IN_KEPT` texts: a run asks of each note's text at least twice (its
        translation's key and its outputs' provenance)."""
        found = self._terms_in.get(text)
        if found is None:
            found = list(dict.fromkeys(h.term for h in self.find(text)))
            if len(self._terms_in) >= TERMS_IN_KEPT:
                self._terms_in.clear()
            self._terms_in[text] = found
        return list(found)

    def __len__(self) -> int:
        return len(self.terms)

    def __repr__(self) -> str:
        return f"Glossary({len(self.terms)} terms, hash={self.hash[:12]})"


def _compile(ordered: list[Term]) -> re.Pattern[str] | None:
    if not ordered:
        return None
    parts = []
    for i, term in enumerate(ordered):
        body = r"\s+".join(re.escape(w) for w in term.source.split())
        flag = "" if term.case_sensitive else "(?i:"
        parts.append(f"(?P<t{i}>{flag}{body}{')' if flag else ''})")
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")


def _compile_tree(ordered: list[Term]) -> re.Pattern[str] | None:
    """Every term as one tree of characters, ignoring case: it matches at a place
    exactly when some term matches there ignoring case. None if a term is blank."""
    root: dict[str | None, dict] = {}
    for term in ordered:
        words = term.source.split()
        if not words:
            return None
        node = root
        for ch in [*" ".join(words), None]:  # None: a term ends here
            node = node.setdefault(ch, {})

    def emit(node: dict[str | None, dict]) -> str:
        alts = ["" if ch is None else (r"\s+" if ch == " " else re.escape(ch)) + emit(child)
                for ch, child in node.items()]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return re.compile(r"(?i)(?<!\w)" + emit(root) + r"(?!\w)")


def _content_hash(terms: tuple[Term, ...]) -> str:
    """sha256 of the normalized content: independent of file names, order and spacing."""
    rows = sorted(
        json.dumps([t.source, t.case_sensitive, {k: list(v) for k, v in t.targets.items()}],
                   ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        for t in terms
    )
    blob = json.dumps([HASH_SCHEME, rows], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
