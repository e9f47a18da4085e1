"""Translation memory: an SQLite cache of translations, and an engine wrapper that uses it.

Each entry is keyed by a `Signature` of (engine, model id, glossary hash, output-changing
options, language pair, request kind, source text) and records those parts in clear for
provenance (the options as their signature's key). The database runs in WAL mode and
every batch of new entries is written in one transaction, so a process killed mid-run
leaves the memory as it was before the batch or with the whole batch; a re-run over
unchanged text sends nothing to the engine. A damaged memory or entry is reported and set
aside, never used (see `TranslationMemory`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from ... import __version__
from ...errors import ConfigError, TranslationError
from ...fileio import sha256_text
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
    created REAL NOT NULL,
    checksum TEXT NOT NULL DEFAULT ''
)
"""
_DAMAGED = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB: the file itself is damaged
_BUSY = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
log = logging.getLogger(__name__)
T = TypeVar("T")


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


def _checksum(digest: str, output: str) -> str:
    return sha256_text("tm1", digest, output)


class TranslationMemory:
    """A translation cache in one SQLite file (a setting: may be shared across machines).

    It is only a cache, so nothing wrong in it stops a run or reaches an output:
    - a damaged file ("file is not a database", "database disk image is malformed"),
      found when it is opened or by any later query, is moved aside as `NAME.damaged`
      (its WAL as `NAME.damaged-wal`) and a new, empty memory is started;
    - each entry carries a checksum of its key and output; an entry that does not match is
      a miss (translated again and stored over it); entries written before checksums are
      misses too, not reported (they are not damaged);
    - any other failure (locked longer than `timeout_s`, disk full, read-only) leaves the
      translations made and returned, just not kept (or not looked up).
    Each problem is reported: a line in the log and in `take_warnings()`. When several processes
    share a memory that is damaged, the first to notice sets it aside; the others, on their
    next failing query, see that the file was replaced and use the new one. (SQLite warns
    that a file renamed while others have it open may be damaged again when they close it:
    then it is set aside again; the entries' checksums keep a wrong output from being used.)
    """

    def __init__(self, path: Path | str, *, timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self._in_memory = str(path) == ":memory:"
        self._lock = threading.Lock()
        self._warnings: list[str] = []
        self._warn_lock = threading.Lock()
        self._file_id: tuple[int, int] | None = None  # (device, inode) of the file opened
        try:
            try:
                self._db = self._connect()
            except sqlite3.DatabaseError as exc:
                if not _is_damaged(exc):
                    raise
                self._set_aside(exc)
                self._db = self._connect()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the translation memory {path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        """Open the file, waiting up to `timeout_s` while another process holds it: SQLite
        does not call its busy handler when two connections switch a new file to WAL at
        the same moment (one of them gets "database is locked" at once)."""
        deadline = time.monotonic() + self.timeout_s
        pause = 0.01
        while True:
            try:
                return self._connect_once()
            except sqlite3.OperationalError as exc:
                code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
                if code not in _BUSY or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def _connect_once(self) -> sqlite3.Connection:
        if not self._in_memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file_id = _file_id(self.path)
        db = sqlite3.connect(":memory:" if self._in_memory else str(self.path),
                             timeout=self.timeout_s, check_same_thread=False,
                             isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(tm)")}
            if "checksum" not in columns:  # a memory of an older version
                with contextlib.suppress(sqlite3.OperationalError):  # added meanwhile
                    db.execute("ALTER TABLE tm ADD COLUMN checksum TEXT NOT NULL DEFAULT ''")
            if self._file_id is None and not self._in_memory:
                self._file_id = _file_id(self.path)
        except BaseException:
            db.close()
            raise
        return db

    def _set_aside(self, exc: sqlite3.Error) -> None:
        """Move the damaged file and its WAL aside, unless another process already did
        (then the file there now is a new memory, and is kept)."""
        if self._in_memory:
            return
        aside = self.path.with_name(self.path.name + ".damaged")
        if self._file_id is not None and _file_id(self.path) == self._file_id:
            os.replace(self.path, aside)
            for suffix, moved in (("-wal", "-wal"), ("-shm", None)):
                extra = self.path.with_name(self.path.name + suffix)
                with contextlib.suppress(FileNotFoundError):
                    if moved:
                        os.replace(extra, aside.with_name(aside.name + moved))
                    else:
                        extra.unlink()
            self._warn(f"damaged translation memory {self.path} ({exc}): moved aside as "
                       f"{aside.name}; a new memory is started (it is only a cache)")
        self._file_id = None

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        with self._warn_lock:
            self._warnings.append(message)

    def take_warnings(self) -> tuple[str, ...]:
        """What went wrong with the memory since the last call, one line each."""
        with self._warn_lock:
            taken, self._warnings = tuple(self._warnings), []
        return taken

    def _run(self, fn: Callable[[sqlite3.Connection], T], doing: str, default: T) -> T:
        """`fn(db)` under the lock. A damaged memory is set aside and `fn` tried again on a
        new one; any other failure of SQLite is a warning and gives `default`."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    return fn(self._db)
                except sqlite3.ProgrammingError:
                    raise  # a bug (a closed memory...), not the file
                except sqlite3.DatabaseError as exc:
                    with contextlib.suppress(sqlite3.Error):
                        if self._db.in_transaction:
                            self._db.execute("ROLLBACK")
                    if attempt == 1 and _is_damaged(exc) and self._replace(exc):
                        continue
                    self._warn(f"translation memory {self.path}: could not {doing} ({exc})")
                    return default
        return default  # not reached

    def _replace(self, exc: sqlite3.Error) -> bool:
        """The damaged memory set aside and a new one open; False if that failed."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        try:
            self._set_aside(exc)
            self._db = self._connect()
        except (OSError, sqlite3.Error) as err:
            self._warn(f"translation memory {self.path}: cannot start a new memory ({err}); "
                       "this run's translations are not kept")
            self._in_memory, self._file_id = True, None
            self._db = self._connect()
            return False
        return True

    def get_many(self, key: MemoryKey, texts: Iterable[str]) -> dict[str, str]:
        """The cached outputs of those texts that have a sound entry."""
        wanted = {key.digest(t): t for t in dict.fromkeys(texts)}
        digests = list(wanted)

        def select(db: sqlite3.Connection) -> dict[str, str]:
            found: dict[str, str] = {}
            damaged = 0
            for start in range(0, len(digests), 500):
                chunk = digests[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(f"SELECT key, output, checksum FROM tm WHERE key IN ({marks})",
                                  chunk).fetchall()
                for k, output, check in rows:
                    if k in wanted and isinstance(output, str) and \
                            check == _checksum(k, output):
                        found[wanted[k]] = output
                    elif check:  # (entries without one are from an older version)
                        damaged += 1
            if damaged:
                self._warn(f"translation memory {self.path}: {damaged} damaged entries "
                           "(checksum mismatch) not used; translated again")
            return found

        return self._run(select, "read", {})

    def put_many(self, key: MemoryKey, pairs: Iterable[tuple[str, str]]) -> int:
        """Store (source, output) pairs in one transaction; how many were written."""
        now = time.time()
        rows = []
        for src, out in pairs:
            digest = key.digest(src)
            rows.append((digest, key.engine, key.model, key.glossary, key.options,
                         key.source_lang, key.target_lang, key.kind, src, out, __version__, now,
                         _checksum(digest, out)))

        def insert(db: sqlite3.Connection) -> int:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR REPLACE INTO tm (key, engine, model, glossary, "
                               "options, source_lang, target_lang, kind, source, output, "
                               "version, created, checksum) VALUES "
                               "(?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            return len(rows)

        return self._run(insert, f"store {len(rows)} translations", 0) if rows else 0

    def __len__(self) -> int:
        return self._run(lambda db: int(db.execute("SELECT COUNT(*) FROM tm").fetchone()[0]),
                         "count its entries", 0)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> TranslationMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_damaged(exc: sqlite3.Error) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _DAMAGED


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


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
