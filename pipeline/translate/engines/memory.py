"""Translation memory: an SQLite cache of translations, and an engine wrapper that uses it.

Each entry is keyed by a `Signature` of (engine, model id, glossary hash, output-changing
options, language pair, request kind, source text) and records those parts in clear for
provenance (the options as their signature's key). The database runs in WAL mode and
every batch of new entries is written in one transaction, so a process killed mid-run
leaves the memory as it was before the batch or with the whole batch; a re-run over
unchanged text sends nothing to the engine.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

from ... import __version__
from ...errors import ConfigError, TranslationError
from ...signature import Signature
from .base import TranslationEngine, capabilities, check_lengths, options_key

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tm (
    key TEXT PRIMARY KEY,
    engine TEXT NOT NULL,
    model TEXT NOT NULL,
    glossary TEXT NOT NULL,
    options TEXT NOT NULL,
    source_lang TEXT NOT NULL,
    target_lang TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    output TEXT NOT NULL,
    version TEXT NOT NULL,
    created REAL NOT NULL
)
"""


@dataclass(frozen=True)
class MemoryKey:
    """What a cached translation depends on, apart from the source text."""

    engine: str
    model: str
    glossary: str
    options: str
    source_lang: str
    target_lang: str
    kind: str = "translate"  # or "nbest:N", "constrained:<constraints>"

    @cached_property
    def signature(self) -> Signature:
        """These parts (independent of this package's version: the memory is shared)."""
        return Signature("translation-memory", asdict(self), version=None)

    def digest(self, text: str) -> str:
        """The key of `text`'s entry."""
        return Signature("translation", {"memory": self.signature, "source": text},
                         version=None).key


class TranslationMemory:
    """A translation cache in one SQLite file (a setting: may be shared across machines)."""

    def __init__(self, path: Path | str, *, timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), timeout=timeout_s, check_same_thread=False,
                                       isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the translation memory {path}: {exc}") from exc
        self._lock = threading.Lock()

    def get_many(self, key: MemoryKey, texts: Iterable[str]) -> dict[str, str]:
        """The cached outputs of those texts that have one."""
        wanted = {key.digest(t): t for t in dict.fromkeys(texts)}
        found: dict[str, str] = {}
        digests = list(wanted)
        with self._lock:
            for start in range(0, len(digests), 500):
                chunk = digests[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, output FROM tm WHERE key IN ({marks})", chunk).fetchall()
                for k, output in rows:
                    found[wanted[k]] = output
        return found

    def put_many(self, key: MemoryKey, pairs: Iterable[tuple[str, str]]) -> int:
        """Store (source, output) pairs in one transaction; how many were written."""
        now = time.time()
        count = 0

        def rows() -> Iterator[tuple[object, ...]]:
            nonlocal count
            for src, out in pairs:
                count += 1
                yield (key.digest(src), key.engine, key.model, key.glossary, key.options,
                       key.source_lang, key.target_lang, key.kind, src, out, __version__, now)

        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT OR REPLACE INTO tm VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows())
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise TranslationError(
                        f"cannot write the translation memory {self.path}: {exc}") from exc
                raise
        return count

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM tm").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> TranslationMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class MemoryStats:
    """For the manifest: texts answered from the memory, and texts sent to the engine."""

    hits: int
    misses: int
    sent: int  # texts (deduplicated misses) sent to the wrapped engine
    stored: int


class CachedEngine:
    """`engine` with a translation memory in front: only texts not in it reach the engine.

    Offers `translate_nbest` / `translate_constrained` (cached too) when `engine` does.
    Empty outputs are returned but never stored, so a failed segment is retried next run.
    """

    def __init__(self, engine: TranslationEngine, memory: TranslationMemory,
                 glossary_hash: str = "") -> None:
        self.engine = engine
        self.memory = memory
        self.glossary_hash = glossary_hash
        self.name = engine.name
        self.options = getattr(engine, "options", None)
        self.capabilities = capabilities(engine)
        self._hits = self._misses = self._sent = self._stored = 0
        self._lock = threading.Lock()

    def supports(self, source: str, target: str) -> bool:
        return self.engine.supports(source, target)

    def model_id(self, source: str, target: str) -> str:
        return self.engine.model_id(source, target)

    def stats(self) -> MemoryStats:
        with self._lock:
            return MemoryStats(self._hits, self._misses, self._sent, self._stored)

    def key(self, source: str, target: str, kind: str = "translate") -> MemoryKey:
        return MemoryKey(self.name, self.engine.model_id(source, target), self.glossary_hash,
                         options_key(self.engine), source, target, kind)

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        key = self.key(source, target)
        return self._cached(key, texts, lambda todo: self.engine.translate(todo, source, target))

    def translate_nbest(
        self, texts: Sequence[str], source: str, target: str, n: int,
        *, prefixes: Sequence[str | None] | None = None,
    ) -> list[list[str]]:
        if "nbest" not in self.capabilities:
            raise TranslationError(f"the {self.name} engine has no n-best decoding")
        check_lengths("prefixes", texts, prefixes)
        fn = self.engine.translate_nbest  # type: ignore[attr-defined]
        out: list[list[str]] = [[] for _ in texts]
        for group in _by_constraint(len(texts), prefixes, None):
            pre = prefixes[group[0]] if prefixes else None
            key = self.key(source, target, f"nbest:{n}:{json.dumps([pre])}")
            sub = [texts[i] for i in group]

            def run(todo: list[str], pre: str | None = pre) -> list[str]:
                hyps = fn(todo, source, target, n, prefixes=[pre] * len(todo) if pre else None)
                return [json.dumps(h, ensure_ascii=False) for h in hyps]

            enc = self._cached(key, sub, run)
            for i, e in zip(group, enc, strict=True):
                out[i] = json.loads(e) if e else []
        return out

    def translate_constrained(
        self, texts: Sequence[str], source: str, target: str,
        *, suppress: Sequence[Sequence[str]] = (), prefixes: Sequence[str | None] | None = None,
    ) -> list[str]:
        if "constrained" not in self.capabilities:
            raise TranslationError(f"the {self.name} engine has no constrained decoding")
        check_lengths("suppress", texts, suppress)
        check_lengths("prefixes", texts, prefixes)
        fn = self.engine.translate_constrained  # type: ignore[attr-defined]
        out = [""] * len(texts)
        for group in _by_constraint(len(texts), prefixes, suppress):
            sup = sorted(set(suppress[group[0]])) if suppress else []
            pre = prefixes[group[0]] if prefixes else None
            key = self.key(source, target, "constrained:" + json.dumps([sup, pre]))
            sub = [texts[i] for i in group]

            def run_c(todo: list[str], sup: list[str] = sup, pre: str | None = pre) -> list[str]:
                return list(fn(todo, source, target, suppress=[sup] * len(todo),
                               prefixes=[pre] * len(todo) if pre else None))

            res = self._cached(key, sub, run_c)
            for i, r in zip(group, res, strict=True):
                out[i] = r
        return out

    def _cached(self, key: MemoryKey, texts: Sequence[str],
                run: Callable[[list[str]], Sequence[str]]) -> list[str]:
        found = self.memory.get_many(key, texts)
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        with self._lock:
            self._hits += sum(1 for t in texts if t in found)
            self._misses += len(texts) - sum(1 for t in texts if t in found)
        if todo:
            outputs = run(todo)
            if len(outputs) != len(todo):
                raise TranslationError(
                    f"{self.name} returned {len(outputs)} outputs for {len(todo)} texts")
            fresh = dict(zip(todo, outputs, strict=True))
            stored = self.memory.put_many(
                key, [(s, o) for s, o in fresh.items() if o.strip() and o != "[]"])
            found.update(fresh)
            with self._lock:
                self._sent += len(todo)
                self._stored += stored
        return [found[t] for t in texts]


def _by_constraint(
    count: int, prefixes: Sequence[str | None] | None,
    suppress: Sequence[Sequence[str]] | None,
) -> list[list[int]]:
    groups: dict[str, list[int]] = {}
    for i in range(count):
        pre = prefixes[i] if prefixes else None
        sup = sorted(set(suppress[i])) if suppress else []
        groups.setdefault(json.dumps([sup, pre]), []).append(i)
    return list(groups.values())
