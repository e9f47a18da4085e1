"""Translation memory, CachedEngine and failure isolation."""

from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import astuple, fields, replace
from pathlib import Path

import pytest

from pipeline.errors import ModelMissingError, TranslationError
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
