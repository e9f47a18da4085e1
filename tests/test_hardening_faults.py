"""Hardening against faults: the network failing mid-fetch, the process killed mid-write,
two runs on one output folder, a translation engine failing on some segments.

Nothing is lost: a failed fetch leaves the cached transcripts as they were, a killed
write leaves the old file or the new one (never a part), a second run refuses (or waits)
instead of interleaving its writes, and a segment the engine fails on is reported while the
note's other segments are kept.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from pipeline.errors import OutputError
from pipeline.fileio import exclusive_lock
from pipeline.glossary import Glossary
from pipeline.layout import Layout
from pipeline.notes import parse_note
from pipeline.run import Engines, compose, provenance, translate_language, write_note_outputs
from pipeline.settings import RunSettings
from pipeline.transcripts import (
    CachedSource,
    RetryPolicy,
    YouTubeSettings,
    YouTubeSource,
    fetch_many,
)
from pipeline.translate import CachedEngine, TranslationMemory
from tests.fakeyoutube import FakeTrack, FakeVideo, FakeYouTube, route_to

from .hostile.cases import A, front

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
RU = [(0.0, 2.0, "Раз."), (2.0, 2.0, "Два.")]


# --------------------------------------------------------------------------- network


@pytest.fixture
def fake() -> Iterator[FakeYouTube]:
    videos = [
        FakeVideo("goodVideo01", [FakeTrack("ru", RU)]),
        FakeVideo("cachedVid01", [FakeTrack("ru", RU)]),
        FakeVideo("cachedVid02", [FakeTrack("ru", RU)]),
        FakeVideo("resetBody01", [FakeTrack("ru", RU)], reset="caption"),
        FakeVideo("slowVideo01", [FakeTrack("ru", RU)], delay_s=1.5),
        FakeVideo("tooMany0001", [FakeTrack("ru", RU)], fail_first=1000),
        FakeVideo("blocked0001", behaviour="bot"),
        FakeVideo("server50001", [FakeTrack("ru", RU)], fail_first=1000, fail_status=503),
    ]
    with FakeYouTube(videos, lifetime_s=120) as server:
        yield server


def youtube(port: int, attempts: int = 3) -> YouTubeSource:
    settings = YouTubeSettings(min_interval_s=0, connect_timeout_s=1.0, read_timeout_s=0.5,
                               retry=RetryPolicy(attempts=attempts, connect_attempts=2,
                                                 base_delay_s=0.01, max_delay_s=0.02),
                               give_up_after=100, proxy=None)
    return YouTubeSource(settings, session_hook=route_to(port), sleep=lambda s: None)


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_network_failures_are_per_video_after_bounded_retries_and_keep_the_cache(
    fake: FakeYouTube, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = fetch_many(["cachedVid01", "cachedVid02"], CachedSource(youtube(fake.port), cache))
    assert all(r.ok for r in first)
    before = snapshot(cache)
    assert len(before) == 2
    # YouTube now blocks the cached videos; a refresh must not damage what is cached
    fake.videos["cachedVid01"].behaviour = "bot"
    fake.videos["cachedVid02"].reset = "player"
    ids = ["goodVideo01", "cachedVid01", "cachedVid02", "resetBody01", "slowVideo01",
           "tooMany0001", "blocked0001", "server50001"]
    began = time.monotonic()
    results = {r.video_id: r for r in fetch_many(
        ids, CachedSource(youtube(fake.port), cache, refresh=True), concurrency=2)}
    elapsed = time.monotonic() - began
    assert elapsed < 30, f"{elapsed:.1f} s"
    assert results["goodVideo01"].ok and results["goodVideo01"].source == "network"
    for vid in ("cachedVid01", "cachedVid02"):  # stale but intact, with a warning
        assert results[vid].ok and results[vid].source == "cache", results[vid]
        assert any("could not refresh" in w for w in results[vid].warnings)
    expected = {"resetBody01": "connection broke off", "slowVideo01": "timeout",
                "tooMany0001": "429", "blocked0001": "RequestBlocked", "server50001": "503"}
    for vid, fragment in expected.items():
        r = results[vid]
        assert not r.ok and r.error and fragment in r.error, (vid, r.error)
        assert "\n" not in r.error
        assert fake.count("watch", vid) <= 3, vid  # bounded: `attempts` tries at most
    after = snapshot(cache)
    for name, digest in before.items():  # the cached entries are byte for byte as they were
        assert after[name] == digest, name
    assert not any(vid in name for name in after for vid in expected)  # no partial entries


def test_connection_refused_keeps_the_cache(tmp_path: Path, fake: FakeYouTube) -> None:
    cache = tmp_path / "cache"
    (ok,) = fetch_many(["cachedVid01"], CachedSource(youtube(fake.port), cache))
    assert ok.ok
    before = snapshot(cache)
    dead = free_port()
    began = time.monotonic()
    results = fetch_many(["cachedVid01", "goodVideo01"],
                         CachedSource(youtube(dead), cache, refresh=True))
    assert time.monotonic() - began < 15
    cached, missing = results
    assert cached.ok and cached.source == "cache"
    assert not missing.ok and "connection refused" in (missing.error or "")
    assert snapshot(cache) == before


# --------------------------------------------------------------------------- killed mid-write

WRITER = textwrap.dedent("""
    import hashlib, sys
    from pathlib import Path
    from pipeline.fileio import atomic_write_text
    out, mode, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    texts = []
    for i in range(40):  # made before the loop: the loop's time is spent writing
        payload = (f"file {i} " * 300_000)[: 1_000_000 + i * 1000]
        digest = hashlib.sha256(payload.encode()).hexdigest()
        texts.append(f"{digest}\\n{payload}\\nEND\\n")
    print("ready", flush=True)
    for r in range(rounds):
        for i, text in enumerate(texts):
            path = out / f"d{i % 4}" / f"file{i}.md"
            if mode == "atomic":
                atomic_write_text(path, text)
            else:  # the naive way, for the control: truncates, then writes
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
""")


def complete(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    digest, _, rest = text.partition("\n")
    if not rest.endswith("\nEND\n"):
        return False
    return hashlib.sha256(rest[: -len("\nEND\n")].encode()).hexdigest() == digest


def kill_writer(out: Path, mode: str, rng: random.Random) -> None:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(out), mode, "1000"], cwd=ROOT,
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(rng.uniform(0.05, 0.6))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def outputs(out: Path) -> list[Path]:
    return [p for p in out.rglob("*.md") if not p.name.startswith(".")]


def test_sigkill_during_atomic_writes_leaves_no_partial_output(tmp_path: Path) -> None:
    rng = random.Random(8)
    out = tmp_path / "out"
    seen = left = 0
    for _ in range(6):
        kill_writer(out, "atomic", rng)
        for path in outputs(out):
            assert complete(path), path
            seen += 1
        left += len(list(out.rglob("*.tmp")))
    assert seen > 0
    assert left > 0  # some kills did land in the middle of a write
    # the killed writers left temporary files at most; the next run's lock sweeps them
    with exclusive_lock(out):
        assert not list(out.rglob("*.tmp"))
    # and the next run completes
    proc = subprocess.run([sys.executable, "-c", WRITER, str(out), "atomic", "1"], cwd=ROOT,
                          env=ENV, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert len(outputs(out)) == 40 and all(complete(p) for p in outputs(out))


def test_lock_sweeps_only_temporary_files_of_atomic_writes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    keep = ["notes/pt/ch/n.md", "notes/.x.md.tmp", "notes/y.tmp", ".z.abc.tmp",
            "review/.n.html.abcdefghi.tmp"]
    gone = ["notes/pt/ch/.n.md.k2j_9x0a.tmp", "subtitles/v/.v.ru.vtt.abcdefgh.tmp"]
    for rel in keep + gone:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("x")
    with exclusive_lock(out):
        pass
    assert all((out / rel).exists() for rel in keep)
    assert not any((out / rel).exists() for rel in gone)


def test_abandoned_writes_leave_the_old_file_and_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run stopped by a signal (`abandon_writes`) removes the temporary file of a write
    under way in another thread: the target keeps its old content; later writes refuse."""
    from pipeline import fileio

    monkeypatch.setattr(fileio, "_writes", fileio._Writes())
    under_way, go_on = threading.Event(), threading.Event()
    fsync = os.fsync

    def paused_fsync(fd: int) -> None:  # the write holds here until the test goes on
        under_way.set()
        go_on.wait(30)
        fsync(fd)

    monkeypatch.setattr(os, "fsync", paused_fsync)
    target = tmp_path / "note.md"
    target.write_text("old", encoding="utf-8")
    raised: list[BaseException] = []

    def write() -> None:
        try:
            fileio.atomic_write_text(target, "new")
        except OutputError as exc:
            raised.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    assert under_way.wait(30)
    temporary = list(tmp_path.glob(".note.md.*.tmp"))
    assert len(temporary) == 1
    assert fileio.abandon_writes() == [str(temporary[0])]
    go_on.set()
    writer.join(30)
    assert target.read_text(encoding="utf-8") == "old"
    # its rename found nothing: a WriteError saying so
    assert [(type(e).__name__, getattr(e, "errno", None)) for e in raised] == [
        ("WriteError", errno.ENOENT)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.md"]
    with pytest.raises(OutputError, match="stopping"):
        fileio.atomic_write_text(tmp_path / "later.md", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.md"]


def test_control_naive_writes_do_leave_partial_files(tmp_path: Path) -> None:
    """The check above can fail: the same kill against plain writes finds truncated files."""
    rng = random.Random(3)
    out = tmp_path / "out"
    for _ in range(10):
        kill_writer(out, "plain", rng)
        if not all(complete(p) for p in outputs(out)):
            return
    pytest.fail("ten kills of naive writes left no partial file")


MEMORY_WRITER = textwrap.dedent("""
    import sys
    from pipeline.translate import MemoryKey, TranslationMemory
    tm = TranslationMemory(sys.argv[1])
    key = MemoryKey("e", "m", "g", "o", "en", "ru")
    print("ready", flush=True)
    for batch in range(100000):
        tm.put_many(key, [(f"b{batch}-{i}", f"B{batch}-{i}" * 50) for i in range(200)])
""")


def test_sigkill_during_memory_writes_keeps_whole_batches(tmp_path: Path) -> None:
    """See also test_translate_memory.py::test_killed_mid_write_keeps_earlier_batches_only."""
    db = tmp_path / "tm.sqlite3"
    rng = random.Random(5)
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", MEMORY_WRITER, str(db)], cwd=ROOT,
                                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.2, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        with TranslationMemory(db) as tm:
            assert len(tm) % 200 == 0  # whole batches only
    with TranslationMemory(db) as tm:  # the next run writes and reads
        from pipeline.translate import MemoryKey

        key = MemoryKey("e", "m", "g", "o", "en", "pt")
        tm.put_many(key, [("next", "próximo")])
        assert len(tm) % 200 == 1


# --------------------------------------------------------------------------- two runs at once

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from pipeline.fileio import exclusive_lock, atomic_write_text
    out, name, hold, wait = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    try:
        with exclusive_lock(out, wait_s=wait):
            log = out / "log.txt"
            log.touch()  # before saying so: the folder as it is while the lock is held
            print("locked", time.time(), flush=True)
            for i in range(10):
                with open(log, "a") as fh:
                    fh.write(f"{name}{i}\\n")
                time.sleep(hold / 10)
            print("released", time.time(), flush=True)
    except Exception as exc:
        print(f"refused: {exc}", flush=True)
        sys.exit(3)
""")


def holder(out: Path, name: str, hold: float, wait: float) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", HOLDER, str(out), name, str(hold), str(wait)],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_second_run_refuses_or_waits_never_interleaves(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = holder(out, "A", 3.0, 0)
    assert first.stdout is not None and first.stdout.readline().startswith("locked")
    refused = holder(out, "B", 0.1, 0)
    r_out, r_err = refused.communicate(timeout=60)
    assert refused.returncode == 3, r_err
    assert "is in use by another interlinear run" in r_out and str(out) in r_out
    waiting = holder(out, "C", 0.5, 60)
    w_out, w_err = waiting.communicate(timeout=90)
    f_rest, _ = first.communicate(timeout=60)
    assert first.returncode == 0 and waiting.returncode == 0, w_err
    released = float(f_rest.split()[-1])
    locked = float(w_out.split()[1])
    assert locked >= released  # C only started once A had finished
    log = (out / "log.txt").read_text().split()
    assert log == [f"A{i}" for i in range(10)] + [f"C{i}" for i in range(10)]


def test_vault_flow_takes_the_output_lock(tmp_path: Path) -> None:
    """The flow refuses at once, before reading anything, while another run holds OUT."""
    from flows.vault import vault_flow

    out = tmp_path / "out"
    first = holder(out, "A", 20.0, 0)
    assert first.stdout is not None and first.stdout.readline().startswith("locked")
    try:
        before = snapshot(out)
        with pytest.raises(OutputError, match="in use by another interlinear run"):
            vault_flow.fn(vault=str(ROOT / "examples" / "vault"), languages="pt", out=str(out),
                          cache_dir=str(tmp_path / "cache"))
        assert snapshot(out).keys() == before.keys()
        assert not (tmp_path / "cache").exists()
    finally:
        first.kill()
        first.communicate(timeout=30)


def test_lock_is_released_when_its_holder_is_killed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = holder(out, "A", 60.0, 0)
    assert first.stdout is not None and first.stdout.readline().startswith("locked")
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    with exclusive_lock(out):  # no stale lock after a crash
        pass


# --------------------------------------------------------------------------- engine faults


class Faulty:
    """Upper-cases; raises on texts with BOOM, answers nothing for texts with EMPTY."""

    name = "faulty"
    capabilities: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def model_id(self, source: str, target: str) -> str:
        return f"faulty:{source}-{target}"

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.calls.append(list(texts))
        if any("BOOM" in t for t in texts):
            raise RuntimeError("engine crashed")
        return ["" if "EMPTY" in t else t.upper() for t in texts]


class FaultyEngines(Engines):
    def get(self, source: str, target: str) -> CachedEngine:
        return CachedEngine(Faulty(), self.memory, self.glossary.hash)


def test_engine_failure_reports_the_segment_and_keeps_the_rest(tmp_path: Path) -> None:
    text = front("Engine faults") + (
        f"\nThe troops left the city {A.format('00:00:05')}. The BOOM claim fails "
        f"{A.format('00:00:06')}.\n\n"
        f"*   An EMPTY answer for this one {A.format('00:00:07')}.\n"
        f"*   The last claim is fine {A.format('00:00:08')}.\n"
    )
    note = parse_note(text, tmp_path / "vault" / "ch" / "faults.md", "ch")
    other = parse_note(front("Other") + f"\nAll good here {A.format('00:00:09')}.\n",
                       tmp_path / "vault" / "ch" / "other.md", "ch")
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=("pt",),
                           cache_dir=tmp_path / "cache")
    glossary = Glossary([])
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        ctx = compose(settings, glossary=glossary, memory=memory, engines=FaultyEngines)
        produced = translate_language([note, other], "pt", ctx)
    translated = [k.value for k in produced.value.values()]
    assert [t.note.slug for t in translated] == ["faults", "other"]
    failed = {f.item: f.reason for f in produced.failures}
    assert set(failed) == {f"{note.path} [pt]"}
    reasons = [f.reason for f in produced.failures]
    assert any("BOOM" in r for r in reasons) and any("EMPTY" in r for r in reasons)
    assert all(f.stage == "translate" for f in produced.failures)
    mine, theirs = translated
    body = "".join(mine.blocks)
    assert "THE TROOPS LEFT THE CITY" in body and "THE LAST CLAIM IS FINE" in body
    assert "The BOOM claim fails" in body and "An EMPTY answer for this one" in body  # kept
    assert not theirs.failures and "ALL GOOD HERE" in "".join(theirs.blocks)
    # the note's outputs are still written, with every anchor
    layout = Layout(settings.out)
    done = write_note_outputs(note, mine, None, {}, provenance(note=note.slug), (), ctx)
    assert {o.kind for o in done.outputs} == {"translated_note", "bilingual_note",
                                              "review_page"}
    written = layout.translated_note(note, "pt").read_text(encoding="utf-8")
    assert "THE LAST CLAIM IS FINE" in written and "The BOOM claim fails" in written
    for t in ("00:00:05", "00:00:06", "00:00:07", "00:00:08"):
        assert f'data-t="{t}"' in written
    manifest_like = json.dumps([f.as_dict() for f in produced.failures])
    assert "\\n" not in manifest_like

