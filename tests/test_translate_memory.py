"""Translation memory, CachedEngine and failure isolation."""

from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import astuple, fields, replace
from pathlib import Path

import pytest

from pipeline.errors import ConfigError, ModelMissingError, TranslationError
from pipeline.translate import (
    BergamotEngine,
    CachedEngine,
    EngineOptions,
    MemoryKey,
    TranslationMemory,
    translate_safely,
)

ROOT = Path(__file__).resolve().parents[1]


class Reverser:
    """A deterministic engine that records every text it is sent."""

    name = "reverser"

    def __init__(self, options: EngineOptions | None = None, fail_on: str = "",
                 empty_on: str = "", fail_in_batch_only: bool = False) -> None:
        self.options = options or EngineOptions()
        self.sent: list[list[str]] = []
        self.fail_on, self.empty_on = fail_on, empty_on
        self.fail_in_batch_only = fail_in_batch_only

    def model_id(self, source: str, target: str) -> str:
        return f"reverser:{source}-{target}"

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.sent.append(list(texts))
        if self.fail_on and any(self.fail_on in t for t in texts) and (
            not self.fail_in_batch_only or len(texts) > 1
        ):
            raise TranslationError("engine crashed")
        return ["" if self.empty_on and self.empty_on in t else t[::-1] for t in texts]


def test_second_run_sends_nothing(tmp_path: Path) -> None:
    texts = ["one", "two", "one", "three"]
    eng = Reverser()
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        first = CachedEngine(eng, tm, "g1")
        assert first.translate(texts, "en", "ru") == ["eno", "owt", "eno", "eerht"]
        assert eng.sent == [["one", "two", "three"]]  # duplicates sent once
        s = first.stats()
        assert (s.hits, s.misses, s.sent, s.stored) == (0, 4, 3, 3)
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:  # a new process would see the same
        second = CachedEngine(eng, tm, "g1")
        assert second.translate(texts, "en", "ru") == ["eno", "owt", "eno", "eerht"]
        assert len(eng.sent) == 1
        assert second.stats().hits == 4 and second.stats().sent == 0


def test_key_covers_glossary_options_pair_and_model(tmp_path: Path) -> None:
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        eng = Reverser()
        CachedEngine(eng, tm, "g1").translate(["abc"], "en", "ru")
        CachedEngine(eng, tm, "g2").translate(["abc"], "en", "ru")
        CachedEngine(eng, tm, "g1").translate(["abc"], "en", "pt")
        CachedEngine(Reverser(EngineOptions(beam_size=1)), tm, "g1").translate(["abc"], "en", "ru")
        assert len(eng.sent) == 3 and len(tm) == 4
        # threads do not change a translation: same key
        other = Reverser(EngineOptions(inter_threads=2))
        CachedEngine(other, tm, "g1").translate(["abc"], "en", "ru")
        assert other.sent == []
        row = sqlite3.connect(tmp_path / "tm.sqlite").execute(
            "SELECT engine, model, glossary, version FROM tm LIMIT 1").fetchone()
        assert row[0] == "reverser" and row[1] == "reverser:en-ru" and row[2] == "g1" and row[3]


def test_memory_key_digest_covers_every_part() -> None:
    key = MemoryKey("e", "m", "g", "o", "en", "ru")
    keys = [key, *(replace(key, **{f.name: "x"}) for f in fields(MemoryKey))]
    digests = {k.digest("text") for k in keys} | {key.digest("text "), key.digest("")}
    assert len(digests) == len(keys) + 2
    assert pickle.loads(pickle.dumps(key)).digest("text") == key.digest("text")
    # shared across machines and versions: the key leaves this package's version out
    assert key.signature.version is None and key.signature == MemoryKey(*astuple(key)).signature


def test_empty_outputs_are_not_stored(tmp_path: Path) -> None:
    eng = Reverser(empty_on="bad")
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        cached = CachedEngine(eng, tm)
        assert cached.translate(["good", "bad"], "en", "ru") == ["doog", ""]
        cached.translate(["good", "bad"], "en", "ru")
        assert eng.sent == [["good", "bad"], ["bad"]]


def test_wal_mode(tmp_path: Path) -> None:
    with TranslationMemory(tmp_path / "tm.sqlite"):
        mode = sqlite3.connect(tmp_path / "tm.sqlite").execute("PRAGMA journal_mode").fetchone()
        assert mode[0] == "wal"


def test_opening_waits_while_another_process_switches_the_file(tmp_path: Path) -> None:
    """Two runs starting at once on a new memory: SQLite answers the second one's switch
    to WAL with "database is locked" at once, without its busy handler (CI saw it);
    opening waits for the other, within the memory's timeout."""
    db = tmp_path / "tm.sqlite"
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN IMMEDIATE")  # in rollback-journal mode, as a new file is
    release = threading.Timer(0.4, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        with TranslationMemory(db, timeout_s=10) as tm:
            cached = CachedEngine(Reverser(), tm, "g")
            assert cached.translate(["after"], "en", "ru") == ["retfa"]
            assert tm.take_warnings() == ()
    finally:
        release.join()
        holder.close()


def test_opening_a_memory_held_past_its_timeout_names_the_file(tmp_path: Path) -> None:
    db = tmp_path / "tm.sqlite"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ConfigError, match=r"cannot open the translation memory .*tm"
                                             r"\.sqlite: database is locked"):
            TranslationMemory(db, timeout_s=0.3)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_killed_mid_write_keeps_earlier_batches_only(tmp_path: Path) -> None:
    db = tmp_path / "tm.sqlite"
    child = textwrap.dedent(f"""
        import os, signal
        from pipeline.translate import MemoryKey, TranslationMemory
        tm = TranslationMemory({str(db)!r})
        key = MemoryKey("e", "m", "g", "o", "en", "ru")
        tm.put_many(key, [(f"a{{i}}", f"A{{i}}") for i in range(100)])
        def pairs():
            for i in range(100):
                if i == 50:
                    os.kill(os.getpid(), signal.SIGKILL)
                yield (f"b{{i}}", f"B{{i}}")
        tm.put_many(key, pairs())
    """)
    proc = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    with TranslationMemory(db) as tm:
        assert len(tm) == 100
        check = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]
        assert check == "ok"


def test_failure_isolation_keeps_the_other_segments() -> None:
    eng = Reverser(fail_on="BOOM")
    res = translate_safely(eng, ["alpha", "BOOM here", "", "gamma"], "en", "ru")
    assert res.outputs == ("ahpla", None, "", "ammag")
    assert [(f.index, f.text) for f in res.failures] == [(1, "BOOM here")]
    assert "engine crashed" in res.failures[0].reason and not res.ok


def test_failure_in_batch_only_is_recovered_alone() -> None:
    eng = Reverser(fail_on="BOOM", fail_in_batch_only=True)
    res = translate_safely(eng, ["alpha", "BOOM"], "en", "ru")
    assert res.ok and res.outputs == ("ahpla", "MOOB")


def test_empty_output_is_retried_then_reported() -> None:
    eng = Reverser(empty_on="void")
    res = translate_safely(eng, ["alpha", "void"], "en", "ru")
    assert res.outputs == ("ahpla", None)
    assert res.failures[0].reason.endswith("empty output")
    assert eng.sent == [["alpha", "void"], ["void"]]


def test_missing_model_is_not_a_segment_failure() -> None:
    with pytest.raises(ModelMissingError):
        translate_safely(BergamotEngine(), ["hello"], "en", "ru")


def test_bergamot_through_the_memory(tmp_path: Path) -> None:
    engine = BergamotEngine()
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        cached = CachedEngine(engine, tm, "g")
        first = cached.translate(["The table is red."], "en", "pt")
        assert "mesa" in first[0].lower()
        assert cached.translate(["The table is red."], "en", "pt") == first
        assert cached.stats().sent == 1 and cached.stats().hits == 1


# --------------------------------------------------------------------------- damage

def _fill(path: Path, n: int = 3000) -> list[str]:
    """A memory of `n` translations by the Reverser, closed (WAL checkpointed)."""
    texts = [f"sentence number {i} of the memory" for i in range(n)]
    with TranslationMemory(path) as tm:
        CachedEngine(Reverser(), tm, "g").translate(texts, "en", "ru")
    assert not path.with_name(path.name + "-wal").exists()
    return texts


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "not a database":
        path.write_bytes(b"this is not an SQLite file\n" * 100)
    elif how == "truncated":
        path.write_bytes(data[:len(data) // 3])
    elif how == "pages overwritten":  # the header and the schema page intact
        with path.open("r+b") as fh:
            fh.seek(4096)
            fh.write(bytes(range(256)) * ((len(data) - 4096) // 256))


@pytest.mark.parametrize("how", ["not a database", "truncated", "pages overwritten"])
def test_a_damaged_memory_is_set_aside_and_a_new_one_started(tmp_path: Path, how: str) -> None:
    db = tmp_path / "tm.sqlite"
    texts = _fill(db)[:50]
    _damage(db, how)
    damaged = db.read_bytes()
    eng = Reverser()
    with TranslationMemory(db) as tm:  # was: ConfigError "file is not a database", exit 2
        cached = CachedEngine(eng, tm, "g")
        assert cached.translate(texts, "en", "ru") == [t[::-1] for t in texts]
        assert eng.sent == [texts]  # nothing usable in the damaged memory
        (warning,) = tm.take_warnings()
        assert warning.startswith(f"damaged translation memory {db} (")
        assert warning.endswith("moved aside as tm.sqlite.damaged; a new memory is started "
                                "(it is only a cache)")
        assert tm.take_warnings() == () and len(tm) == 50
    assert (tmp_path / "tm.sqlite.damaged").read_bytes() == damaged
    with TranslationMemory(db) as tm:  # the new memory serves the next run
        again = CachedEngine(eng, tm, "g")
        again.translate(texts, "en", "ru")
        assert len(eng.sent) == 1 and again.stats().hits == 50 and tm.take_warnings() == ()


def test_damage_found_mid_run_is_set_aside_too(tmp_path: Path) -> None:
    db = tmp_path / "tm.sqlite"
    texts = _fill(db)
    eng = Reverser()
    with TranslationMemory(db) as tm:
        cached = CachedEngine(eng, tm, "g")
        assert cached.translate(texts[:5], "en", "ru") == [t[::-1] for t in texts[:5]]
        assert eng.sent == []
        _damage(db, "pages overwritten")  # while the run goes on
        later = texts[2000:2010]
        assert cached.translate(later, "en", "ru") == [t[::-1] for t in later]
        assert eng.sent == [later]  # the read failed: translated, stored in the new memory
        (warning,) = tm.take_warnings()
        assert "database disk image is malformed" in warning and "moved aside" in warning
        assert len(tm) == 10
    assert (tmp_path / "tm.sqlite.damaged").exists()
    check = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"


def test_a_damaged_entry_is_a_miss_and_rewritten(tmp_path: Path) -> None:
    """A sound SQLite file holding a wrong output (bytes changed behind SQLite's back)."""
    db = tmp_path / "tm.sqlite"
    texts = _fill(db, 3)
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("UPDATE tm SET output = 'WRONG' WHERE source = ?", (texts[1],))
    raw.close()
    eng = Reverser()
    with TranslationMemory(db) as tm:
        cached = CachedEngine(eng, tm, "g")
        assert cached.translate(texts, "en", "ru") == [t[::-1] for t in texts]
        assert eng.sent == [[texts[1]]]
        assert tm.take_warnings() == (
            f"translation memory {db}: 1 damaged entries (checksum mismatch) not used; "
            "translated again",)
        cached.translate(texts, "en", "ru")
        assert len(eng.sent) == 1 and tm.take_warnings() == ()


OLD_SCHEMA = """CREATE TABLE tm (key TEXT PRIMARY KEY, engine TEXT NOT NULL, model TEXT NOT NULL,
    glossary TEXT NOT NULL, options TEXT NOT NULL, source_lang TEXT NOT NULL,
    target_lang TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL, output TEXT NOT NULL,
    version TEXT NOT NULL, created REAL NOT NULL)"""


def test_entries_of_an_older_version_are_misses_without_alarm(tmp_path: Path) -> None:
    db = tmp_path / "tm.sqlite"
    eng = Reverser()
    key = CachedEngine(eng, TranslationMemory(":memory:"), "g").key("en", "ru")
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute(OLD_SCHEMA)
    raw.execute("INSERT INTO tm VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (key.digest("abc"), "reverser", "reverser:en-ru", "g", key.options, "en", "ru",
                 "translate", "abc", "unchecked", "0.0", 0.0))
    raw.close()
    with TranslationMemory(db) as tm:
        cached = CachedEngine(eng, tm, "g")
        assert cached.translate(["abc"], "en", "ru") == ["cba"] and tm.take_warnings() == ()
        assert cached.translate(["abc"], "en", "ru") == ["cba"] and len(eng.sent) == 1


def test_a_locked_memory_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    db = tmp_path / "tm.sqlite"
    _fill(db, 1)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing for a long time
    eng = Reverser()
    try:
        with TranslationMemory(db, timeout_s=0.2) as tm:
            cached = CachedEngine(eng, tm, "g")
            assert cached.translate(["new one"], "en", "ru") == ["eno wen"]
            warnings = tm.take_warnings()
            assert any("could not store 1 translations (database is locked)" in w
                       for w in warnings), warnings
            assert not (tmp_path / "tm.sqlite.damaged").exists()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_two_users_of_a_damaged_memory_keep_one_new_memory(tmp_path: Path) -> None:
    """Two processes (here two connections) share the memory when it is damaged: the first
    to notice sets it aside and starts a new one; the second then uses that new one (it
    does not set aside a sound memory)."""
    db = tmp_path / "tm.sqlite"
    texts = _fill(db)
    a, b = TranslationMemory(db), TranslationMemory(db)
    ea, eb = Reverser(), Reverser()
    _damage(db, "pages overwritten")
    CachedEngine(eb, b, "g").translate(texts[100:110], "en", "ru")
    assert len(b.take_warnings()) == 1 and len(b) == 10
    CachedEngine(ea, a, "g").translate(texts[100:110], "en", "ru")
    assert ea.sent == [] and a.take_warnings() == ()  # b's new entries, already reported
    a.close()
    CachedEngine(eb, b, "g").translate(texts[200:210], "en", "ru")
    b.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == [
        "tm.sqlite.damaged", "tm.sqlite.damaged-wal"]
    with TranslationMemory(db) as tm:
        assert len(tm) == 20 and tm.take_warnings() == ()
