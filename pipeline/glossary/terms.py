"""The glossary: fixed renderings of names and terms, loaded from `glossary/*.csv`.

A glossary file is CSV with a header row of language codes. The first column is `en`,
the English source term; then any of `ru, uk, de, es, fr, pt`, and optionally `case`
(`sensitive` / `insensitive`, default insensitive) and `note`. A cell may list
alternatives `a|b`, the first preferred; a target equal to the source means "keep as is";
an empty target cell means "no rule for that language". Several files are merged in name
order; a term defined twice with different renderings is a `GlossaryIssue` (the first
definition wins), never a fatal error.

Source terms are found with one compiled regex: longest term first, whole words only,
case rules per term, any run of whitespace matching the spaces of a term.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

LANGS = ("ru", "uk", "de", "es", "fr", "pt")
EXTRA_COLUMNS = ("case", "note")
CASE_VALUES = ("sensitive", "insensitive")
HASH_SCHEME = "interlinear-glossary-v1"


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


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
    """A problem in a glossary file: reported, never fatal."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class TermHit:
    """One occurrence of a term in a text."""

    term: Term
    start: int
    end: int
    text: str  # as written in the text


# --------------------------------------------------------------------------- reading


def _parse(text: str, name: str) -> tuple[list[Term], list[GlossaryIssue]]:
    """Terms and problems of one file's text (pure)."""
    issues: list[GlossaryIssue] = []

    def bad(line: int, msg: str) -> None:
        issues.append(GlossaryIssue(name, line, msg))

    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        bad(0, f"not valid CSV: {exc}")
        return [], issues
    if not rows:
        bad(1, "empty file (expected a header row: en,ru,uk,de,es,fr,pt[,case][,note])")
        return [], issues
    header = [h.strip().lower() for h in rows[0]]
    if not header or header[0] != "en":
        bad(1, f"header must start with 'en', found {rows[0][:1]!r}")
        return [], issues
    known = {"en", *LANGS, *EXTRA_COLUMNS}
    header_ok = True
    for col in header:
        if col not in known:
            bad(1, f"unknown column {col!r} (allowed: en, {', '.join(LANGS)}, case, note)")
            header_ok = False
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        bad(1, f"duplicate column(s) {', '.join(dupes)}")
        header_ok = False
    if not any(c in LANGS for c in header):
        bad(1, "no target language column")
        header_ok = False
    if not header_ok:
        return [], issues
    terms: list[Term] = []
    seen: dict[tuple[str, bool], int] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            bad(lineno, f"{len(row)} fields, the header has {len(header)}")
            continue
        cells = dict(zip(header, row, strict=True))
        source = _norm(cells["en"])
        if not source:
            bad(lineno, "empty source term (column en)")
            continue
        if cells["en"] != cells["en"].strip():
            bad(lineno, f"source term {cells['en']!r} has spaces around it")
        case = cells.get("case", "").strip().lower() or "insensitive"
        if case not in CASE_VALUES:
            bad(lineno, f"case must be 'sensitive' or 'insensitive', not {cells['case']!r}")
            case = "insensitive"
        targets: dict[str, tuple[str, ...]] = {}
        for lang in LANGS:
            if lang not in cells:
                continue
            raw = cells[lang]
            if not raw.strip():
                bad(lineno, f"{source!r}: empty {lang} cell")
                continue
            alts = [_norm(a) for a in raw.split("|")]
            if any(not a for a in alts):
                bad(lineno, f"{source!r}: empty alternative in {lang} cell {raw!r}")
            alts = list(dict.fromkeys(a for a in alts if a))
            if alts:
                targets[lang] = tuple(alts)
        term = Term(source, targets, case == "sensitive", _norm(cells.get("note", "")),
                    f"{name}:{lineno}")
        if term.key in seen:
            bad(lineno, f"{source!r} already defined on line {seen[term.key]}")
            continue
        seen[term.key] = lineno
        terms.append(term)
    return terms, issues


def validate_file(path: Path) -> list[str]:
    """The problems of one glossary file, one line each (empty: the file is valid)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"{path}:0: not UTF-8 (byte offset {exc.start})"]
    except OSError as exc:
        return [f"{path}:0: cannot read: {exc.strerror or exc}"]
    terms, issues = _parse(text, str(path))
    problems = [str(i) for i in issues]
    if not terms and not issues:
        problems.append(f"{path}:1: no terms")
    return problems


def _merge(files: Iterable[tuple[str, list[Term]]]) -> tuple[list[Term], list[GlossaryIssue]]:
    merged: dict[tuple[str, bool], Term] = {}
    issues: list[GlossaryIssue] = []
    for _name, terms in files:
        for term in terms:
            first = merged.get(term.key)
            if first is None:
                merged[term.key] = term
                continue
            targets = dict(first.targets)
            for lang, alts in term.targets.items():
                have = targets.get(lang)
                if have is None:
                    targets[lang] = alts
                elif have[0] != alts[0]:
                    path, _, line = term.origin.rpartition(":")
                    issues.append(GlossaryIssue(
                        path, int(line or 0),
                        f"{term.source!r} {lang}: {alts[0]!r} conflicts with {have[0]!r} "
                        f"({first.origin}); keeping {have[0]!r}"))
                else:
                    targets[lang] = tuple(dict.fromkeys((*have, *alts)))
            merged[term.key] = Term(first.source, targets, first.case_sensitive,
                                    first.note or term.note, first.origin)
    return list(merged.values()), issues


class Glossary:
    """Merged terms of one or more glossary files, with a fast matcher."""

    def __init__(self, terms: Iterable[Term], issues: Iterable[GlossaryIssue] = ()) -> None:
        self.terms: tuple[Term, ...] = tuple(terms)
        self.issues: tuple[GlossaryIssue, ...] = tuple(issues)
        self.hash = _content_hash(self.terms)
        ordered = sorted(self.terms, key=lambda t: (-len(t.source), t.source))
        self._by_group = ordered
        self._regex = _compile(ordered)
        self._by_lang: dict[str, Glossary] = {}

    # -- construction
    @classmethod
    def load(cls, folder: Path) -> Glossary:
        """All `*.csv` files of `folder`, merged in name order. ConfigError if no folder."""
        folder = Path(folder)
        if not folder.is_dir():
            raise ConfigError(f"glossary folder {folder} does not exist")
        files: list[tuple[str, list[Term]]] = []
        issues: list[GlossaryIssue] = []
        for path in sorted(folder.glob("*.csv")):
            try:
                text = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                issues.append(GlossaryIssue(str(path), 0, f"cannot read: {exc}"))
                continue
            terms, found = _parse(text, path.name)
            files.append((path.name, terms))
            issues.extend(found)
        terms, conflicts = _merge(files)
        return cls(terms, [*issues, *conflicts])

    @classmethod
    def from_csv(cls, *texts: str) -> Glossary:
        """A glossary from CSV texts (as if several files), for tests and tools."""
        files, issues = [], []
        for i, text in enumerate(texts):
            terms, found = _parse(text, f"<text{i}>")
            files.append((f"<text{i}>", terms))
            issues.extend(found)
        terms, conflicts = _merge(files)
        return cls(terms, [*issues, *conflicts])

    def for_lang(self, lang: str) -> Glossary:
        """The terms that have a rule for `lang` (same hash: it names the whole glossary)."""
        sub = self._by_lang.get(lang)
        if sub is None:
            sub = Glossary([t for t in self.terms if t.expected(lang)], self.issues)
            sub.hash = self.hash
            self._by_lang[lang] = sub
        return sub

    # -- matching
    def find(self, text: str) -> list[TermHit]:
        """Non-overlapping occurrences, leftmost first, the longest term at each place."""
        if self._regex is None:
            return []
        hits = []
        for m in self._regex.finditer(text):
            group = m.lastgroup
            assert group is not None
            hits.append(TermHit(self._by_group[int(group[1:])], m.start(), m.end(), m.group()))
        return hits

    def terms_in(self, text: str) -> list[Term]:
        """The distinct terms that occur in `text`, in order of first occurrence."""
        return list(dict.fromkeys(h.term for h in self.find(text)))

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


def _content_hash(terms: tuple[Term, ...]) -> str:
    """sha256 of the normalized content: independent of file names, order and spacing."""
    rows = sorted(
        json.dumps([t.source, t.case_sensitive, {k: list(v) for k, v in t.targets.items()}],
                   ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        for t in terms
    )
    blob = json.dumps([HASH_SCHEME, rows], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
