"""Incremental runs: each stage's result stored under the hash of what it depends on.

A key is the SHA-256 of the package version, the stage name and the stage's inputs
(note text, transcript content, engine and model, the glossary terms that matter,
settings, output folder). A run looks a key up before doing the work and stores the
result after; an unchanged input finds its result and does nothing. Results are pickled
into `ROOT/STAGE/ab/KEY.pkl` with an atomic write, so a run killed at any moment leaves
each entry whole or absent; an unreadable entry is moved aside and counts as absent.

Outputs written to disk are recorded with their SHA-256; a stored result whose files
are gone or changed is not reused (`outputs_intact`).

The keys of stage results (`stage_key`) also hold a fingerprint of the pipeline's own
code (`code_fingerprint`: its Python files and templates): a result made by other code,
before an upgrade or a fix, is made again rather than served. Recomputing is cheap where
it matters: translations come back from the translation memory (keyed by engine text)
and transcript vectors from the embedding cache. Keys that tie a person's work to its
inputs (`transcript_hash` for citation decisions, what a run wrote) leave the code out.

Translation keys hold only the glossary terms a note contains (`glossary_terms_key`),
so a glossary change re-translates exactly the notes that contain the changed terms.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import pickle
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..fileio import atomic_write_bytes
from ..glossary import Glossary, Term
from ..model import Transcript
from ..signature import Signature

log = logging.getLogger(__name__)

SCHEME = "interlinear-results-v1"
_KEY = re.compile(r"[0-9a-f]{64}")
_STAGE = re.compile(r"[a-z][a-z0-9_-]{0,39}")
# markup that can sit between the words of a term: `**Vladimir** Putin`, `[[Putin]]`
_MARKUP = re.compile(r"<[^>]*>|[*_`~\[\]|#>]+")


def content_key(stage: str, *parts: object) -> str:
    """The key of a stage's result: a hash of the version, the stage and its inputs
    (values a `Signature` holds: text, numbers, None, paths, signatures, lists, dicts)."""
    return Signature(stage, {"scheme": SCHEME, "parts": list(parts)}).key


@functools.cache
def code_fingerprint() -> str:
    """The first 16 hex digits of the SHA-256 of the `pipeline` package's own files (Python
    sources and templates, by path and content)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if (path.suffix in {".py", ".css", ".js", ".html", ".txt"} and path.is_file()
                and "__pycache__" not in path.parts):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def stage_key(stage: str, *parts: object) -> str:
    """The key of a stage's result: `content_key` of its inputs and the code that makes it."""
    return content_key(stage, {"code": code_fingerprint()}, *parts)


def transcript_hash(transcript: Transcript | None) -> str:
    """The content of a transcript (language and timed segments), not where it came from."""
    if transcript is None:
        return "none"
    rows = [[s.start_ms, s.end_ms, s.text, s.language] for s in transcript.segments]
    return content_key("transcript", transcript.video_id, transcript.language,
                       transcript.generated, rows)


def _term_row(term: Term, lang: str) -> list[object]:
    return [term.source, term.case_sensitive, list(term.expected(lang))]


def glossary_terms(glossary: Glossary, text: str, lang: str) -> list[Term]:
    """The glossary terms with a rule for `lang` that `text` contains (sorted by source).

    Found as the translation finds them (longest term first), in the text as written and
    with markup removed, so that a term split by markup is counted too: a term counted
    that the translation would not use only costs a re-translation, never a stale one.
    """
    gl = glossary.for_lang(lang)
    found = {*gl.terms_in(text), *gl.terms_in(_MARKUP.sub(" ", text))}
    return sorted(found, key=lambda t: (t.source, t.case_sensitive))


def glossary_terms_key(glossary: Glossary, text: str, lang: str) -> str:
    """A hash of the renderings in `lang` of the glossary terms `text` contains.

    Unchanged when the glossary changes only in terms the text does not contain, or in
    other languages.
    """
    return content_key("glossary-terms", lang,
                       [_term_row(t, lang) for t in glossary_terms(glossary, text, lang)])


def glossary_names_key(glossary: Glossary, langs: Iterable[str]) -> str:
    """A hash of the glossary's names as written in each of `langs` (subtitle line breaks)."""
    return content_key("glossary-names", {
        lang: sorted({(t.expected(lang) or (t.source,))[0] for t in glossary.terms})
        for lang in sorted(set(langs))})


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def digests(out: Path, relpaths: Iterable[str]) -> dict[str, str]:
    """SHA-256 of each output (relative to `out`), for `outputs_intact` on a later run."""
    found = {}
    for rel in relpaths:
        digest = file_digest(out / rel)
        if digest is not None:
            found[rel] = digest
    return found


def outputs_intact(out: Path, recorded: Mapping[str, str]) -> bool:
    """Whether every recorded output is still on disk exactly as it was written."""
    return all(file_digest(out / rel) == digest for rel, digest in recorded.items())


class ResultStore:
    """Results of stages on disk, keyed by `content_key`. Safe to share between processes
    and machines (entries are written whole, by rename; the same key means the same value).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, stage: str, key: str) -> Path:
        if not _STAGE.fullmatch(stage) or not _KEY.fullmatch(key):
            raise ValueError(f"bad result-store entry {stage}/{key}")
        return self.root / stage / key[:2] / f"{key}.pkl"

    def get(self, stage: str, key: str) -> Any | None:
        """The stored result, or None when absent or unreadable (moved aside then)."""
        path = self._path(stage, key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("result store: cannot read %s: %s", path, exc)
            return None
        try:
            return pickle.loads(data)  # noqa: S301 - our own cache folder
        except Exception as exc:  # noqa: BLE001 - a damaged or outdated entry is a miss
            log.warning("result store: damaged entry %s (%s): moved aside", path, exc)
            with contextlib.suppress(OSError):
                os.replace(path, path.with_suffix(".damaged"))
            return None

    def put(self, stage: str, key: str, value: object) -> None:
        atomic_write_bytes(self._path(stage, key), pickle.dumps(value, protocol=5))

    def __contains__(self, entry: tuple[str, str]) -> bool:
        return self._path(*entry).is_file()

