"""Alignment: resolution, readings of impossible times, statuses, the report, the cache.

These tests use a small bag-of-words embedder (a real `Embedder`, deterministic and
instant); `test_align_e5.py` runs the multilingual model itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.align import (
    Aligner,
    AlignSettings,
    EmbeddingCache,
    TranscriptVectors,
    align_note,
    alignment_report,
    centred,
    context_window,
    evidence,
    is_mmss_form,
    pooled_windows,
    readings,
    segment_index_at,
    segments_near,
    summary_counts,
)
from pipeline.align.use_embed import use_embedder
from pipeline.errors import ConfigError
from pipeline.model import CitationCheck, Segment, Transcript
from pipeline.notes import parse_note
from pipeline.timecode import parse_timestamp


class WordEmbedder:
    """Hashed bag of words: texts sharing words are similar. Counts its calls."""

    model_id = "test-words-v1"

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(256, dtype=np.float32)
        for w in re.findall(r"\w{3,}", text.lower()):
            v[int(hashlib.md5(w.encode()).hexdigest(), 16) % 256] += 1.0
        v[255] += 0.5  # a common direction, like real sentence embeddings have
        return v / np.linalg.norm(v)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, 256))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)


TOPICS = [
    "welcome everyone today we talk about prime numbers",
    "cats sleep sixteen hours each day in warm sunny windows",
    "the volcano erupted sending lava down the mountain slopes",
    "bitcoin mining consumes enormous amounts of electricity",
    "octopus arms contain most of their neurons",
    "violin strings vibrate producing harmonic overtones",
    "glaciers carve valleys slowly over thousands years",
    "penguins huddle together surviving antarctic winter storms",
    "submarine sonar detects objects using sound echoes",
    "tomatoes ripen faster near bananas because ethylene gas",
    "marathon runners replenish glycogen with carbohydrates",
    "thanks for watching and see you next time",
]


def transcript(lang: str = "en") -> Transcript:
    """Twelve 10-second segments, 0..120 s, with gaps of 1 s between them."""
    segs = tuple(Segment(i * 10_000, i * 10_000 + 9_000, t, lang) for i, t in enumerate(TOPICS))
    return Transcript("vid00000001", lang, segs)


def anchor(t: str) -> str:
    return f'<a class="yt-timestamp" data-t="{t}">[{t}]</a>'


def note(*claims: tuple[str, str]) -> str:
    body = "\n".join(f"- {text} {anchor(t)}" for text, t in claims)
    return f"---\ntitle: T\nvideoId: vid00000001\n---\n\n{body}\n"


# --------------------------------------------------------------------------- resolution

SEGS = transcript().segments


@pytest.mark.parametrize(("ms", "index"), [
    (25_000, 2),    # inside segment 2 (20..29 s)
    (20_000, 2),    # at its start
    (29_500, 2),    # in the gap after it: nearest before
    (0, 0),
    (119_000, 11),  # inside the last
    (500_000, 11),  # after the end: the last one
])
def test_segment_index_at(ms: int, index: int) -> None:
    assert segment_index_at(SEGS, ms) == index


def test_before_first_segment_and_empty() -> None:
    late = [Segment(5_000, 8_000, "a", "en"), Segment(9_000, 12_000, "b", "en")]
    assert segment_index_at(late, 1_000) == 0
    assert segment_index_at([], 1_000) is None


def test_context_window_clips() -> None:
    assert [s.start_ms for s in context_window(SEGS, 0, 1, 1)] == [0, 10_000]
    assert [s.start_ms for s in context_window(SEGS, 5, 2, 1)] == [30_000, 40_000, 50_000,
                                                                   60_000]
    assert [s.start_ms for s in context_window(SEGS, 11, 1, 3)] == [100_000, 110_000]
    assert context_window(SEGS, 4, 0, 0) == (SEGS[4],)


def test_segments_near_tolerance() -> None:
    starts = [s.start_ms for s in SEGS]
    ends = [s.end_ms for s in SEGS]
    assert segments_near(starts, ends, 25_000, 0, 0) == [2]
    assert segments_near(starts, ends, 29_500, 0, 1_000) == [2, 3]
    assert segments_near(starts, ends, 30_500, 2_000, 0) == [2, 3]


# --------------------------------------------------------------------------- readings

def _ms(written: str) -> set[int]:
    return {r.ms for r in readings(written)}


def test_readings_of_common_slips() -> None:
    assert readings("00:01:24")[0].ms == 84_000 and readings("00:01:24")[0].rule == "as_written"
    assert 84_000 in _ms("01:24:00") and 5_040_000 in _ms("01:24:00")
    assert next(r for r in readings("01:24:00") if r.ms == 84_000).rule == "mmss_00"
    assert 3_621_000 in _ms("1:00:21:00")
    assert 3_610_000 in _ms("01:00:010")
    assert {3_857_000, 857_000} <= _ms("1:4:17")  # 1:04:17 as written, 14:17 run together
    assert 135_000 in _ms("00:01:75")
    assert is_mmss_form("12:34:00") and not is_mmss_form("12:34:05")
    assert not is_mmss_form("75:00:00")
    assert readings("soon") == () and readings("") == ()


@given(st.text(alphabet="0123456789:. ", max_size=30))
def test_readings_never_raise_and_are_times(written: str) -> None:
    rs = readings(written)
    assert all(r.ms >= 0 and r.cost >= 0 for r in rs)
    assert len({r.ms for r in rs}) == len(rs)
    literal = parse_timestamp(written)
    if literal is not None:
        assert rs[0].ms == literal and rs[0].cost == 0


@given(st.text(max_size=40))
def test_readings_of_any_text(written: str) -> None:
    assert all(r.ms >= 0 for r in readings(written))


@given(st.integers(0, 59), st.integers(0, 59))
def test_mmss_form_always_offers_the_short_reading(m: int, s: int) -> None:
    assert (m * 60 + s) * 1000 in _ms(f"{m:02d}:{s:02d}:00")


# --------------------------------------------------------------------------- statuses

def align(text: str, tr: Transcript | None = None,
          settings: AlignSettings | None = None) -> list[tuple[str, CitationCheck]]:
    n = parse_note(text, Path("vault/chan/slug.md"))
    al = align_note(n, tr if tr is not None else transcript(), settings,
                    WordEmbedder())
    return [(c.status, c) for c in al.checks]


def test_ok_suspect_repaired_out_of_range() -> None:
    text = note(
        ("Cats sleep sixteen hours each day in warm windows", "00:00:10"),   # right
        ("The volcano erupted and lava ran down the slopes", "00:00:22"),     # right
        ("Octopus arms contain most of their neurons", "00:01:30"),         # wrong: 40 s
        ("Violin strings vibrate producing overtones", "00:50:00"),          # MM:SS:00 of 50 s
        ("Glaciers carve valleys slowly", "09:00:00"),                        # hopeless
        ("Penguins huddle together in antarctic winter storms", "00:01:10"),  # right
    )
    got = align(text)
    assert [s for s, _ in got] == ["ok", "ok", "suspect", "repaired", "out_of_range", "ok"]
    suspect = got[2][1]
    assert suspect.suggested_ms == 40_000 and suspect.resolved_ms == 90_000
    assert suspect.segment is not None and suspect.segment.start_ms == 90_000
    repaired = got[3][1]
    assert repaired.resolved_ms == 50_000 and repaired.segment == SEGS[5]
    assert got[4][1].resolved_ms is None and got[4][1].segment is None
    assert got[0][1].context == SEGS[0:3]


def test_tolerance_accepts_a_citation_slightly_early() -> None:
    # the sentence starts at 30 s; a citation 2 s before it is within tolerance
    got = align(note(("Bitcoin mining consumes enormous amounts of electricity", "00:00:28")))
    assert got[0][0] == "ok"
    got = align(note(("Bitcoin mining consumes enormous amounts of electricity", "00:00:28")),
                settings=AlignSettings(tolerance_before_ms=0, tolerance_after_ms=0))
    assert got[0][0] == "suspect" and got[0][1].suggested_ms == 30_000


def test_mmss_form_that_is_also_possible() -> None:
    # 00:01:00 could mean 1 min (segment 6, glaciers) or 1 s: the claim is about segment 0
    got = align(note(("Welcome everyone: today prime numbers", "00:01:00")))
    assert got[0][0] == "repaired" and got[0][1].resolved_ms == 1_000


def test_no_transcript_and_empty_transcript() -> None:
    text = note(("Cats sleep", "00:00:10"), ("Lava", "1:00:21:00"))
    for tr in (None, Transcript("vid00000001", "en", ())):
        n = parse_note(text, Path("vault/chan/slug.md"))
        al = Aligner(embedder=WordEmbedder()).align(n, tr)
        assert [c.status for c in al.checks] == ["no_transcript", "no_transcript"]
        assert [c.resolved_ms for c in al.checks] == [10_000, None]


def test_unreadable_time_is_read_again() -> None:
    got = align(note(("Octopus arms contain most of their neurons", "00:00:40:00")))
    assert got[0][0] == "repaired" and got[0][1].resolved_ms == 40_000


def test_known_duration_decides_what_is_impossible() -> None:
    # the transcript ends at 119 s; without a known duration a little grace is allowed
    n = parse_note(note(("Thanks for watching see you next time", "00:02:05")),
                   Path("vault/chan/slug.md"))
    al = Aligner(embedder=WordEmbedder())
    ok = al.align(n, transcript()).checks[0]
    assert ok.status == "ok" and ok.segment == SEGS[-1]
    # a video known to last 120 s: 2:05 is impossible; its only other reading (00:02 ->
    # 2 s) is not supported, so the citation is suspect and points at the right place
    late = al.align(n, transcript(), duration_ms=120_000)
    assert late.duration_ms == 120_000
    (c,) = late.checks
    assert (c.status, c.resolved_ms, c.suggested_ms) == ("suspect", 2_000, 110_000)


def test_a_transcript_that_stops_before_the_video_does() -> None:
    """The transcript ends at 119 s, the note cites 00:05:10 as written: the video runs at
    least that long, so `04:30:00` is read as 00:04:30 unchecked, not given up."""
    text = note(("Cats sleep sixteen hours each day", "00:00:10"),
                ("Marathon runners eat carbohydrates", "04:30:00"),  # MM:SS:00, past the end
                ("Penguins in winter storms", "00:05:10"),
                ("Violin strings vibrate", "06:00:00"))              # past what the note cites
    got = align(text)
    assert [s for s, _ in got][:2] == ["ok", "repaired"] and got[3][0] == "out_of_range"
    repaired = got[1][1]
    assert repaired.resolved_ms == 270_000 and repaired.suggested_ms is None
    assert repaired.segment is None and repaired.context == ()  # no quote of the last line
    assert "past the transcript's end (00:02:09)" in repaired.reason
    assert "up to 00:05:10" in repaired.reason and "not checked" in repaired.reason
    # a time as written past the transcript but not past the note's reach is the video's:
    # not read as another time (00:05:10 -> 5 s), not checked
    late = got[2][1]
    assert (late.status, late.resolved_ms, late.segment) == ("no_transcript", 310_000, None)
    assert "stops before the video does" in late.reason
    # a known duration is the end: nothing past it is read as a time in the video
    n = parse_note(text, Path("vault/chan/slug.md"))
    known = Aligner(embedder=WordEmbedder()).align(n, transcript(), duration_ms=130_000)
    assert known.checks[1].status == "out_of_range"
    # without the later citation, nothing shows that the video runs on
    alone = align(note(("Marathon runners eat carbohydrates", "04:30:00")))
    assert alone[0][0] == "out_of_range"


def test_a_time_past_the_transcript_out_of_the_notes_order_is_suspect() -> None:
    """Past the transcript's end nothing can be checked, but when the claims right before
    and after it cite trusted times minutes earlier, the claim is inside the transcript:
    flagged, and the reviewer is sent to where it is said."""
    got = align(note(("Cats sleep sixteen hours each day", "00:00:10"),
                     ("Glaciers carve valleys slowly over thousands years", "00:05:10"),
                     ("Submarine sonar detects objects using sound echoes", "00:01:30"),
                     ("Penguins huddle together in winter storms", "00:06:05")))
    assert [s for s, _ in got] == ["ok", "suspect", "ok", "no_transcript"]
    late = got[1][1]
    assert (late.resolved_ms, late.suggested_ms, late.segment) == (310_000, 60_000, None)
    assert "past the transcript's end (00:02:09)" in late.reason
    assert ("the nearest claims around it whose times the transcript confirms cite 00:00:10 "
            "and 00:01:30") in late.reason
    # a later citation close to the transcript's end says nothing about a time just past it,
    # nor one that is not the next claim's (a summary citing the start, after a run of
    # claims past the transcript's end)
    near = align(note(("Cats sleep sixteen hours each day", "00:00:10"),
                      ("Glaciers carve valleys slowly over thousands years", "00:02:30"),
                      ("Thanks for watching and see you next time", "00:01:50"),
                      ("Penguins huddle together in winter storms", "00:03:05")))
    assert [s for s, _ in near] == ["ok", "no_transcript", "ok", "no_transcript"]
    summary = align(note(("Cats sleep sixteen hours each day", "00:00:10"),
                         ("Glaciers carve valleys slowly over thousands years", "00:05:10"),
                         ("Penguins huddle together in winter storms", "00:06:05"),
                         ("Submarine sonar detects objects using sound echoes", "00:01:30")))
    assert [s for s, _ in summary] == ["ok", "no_transcript", "no_transcript", "ok"]


def test_settings_validate_and_sign() -> None:
    with pytest.raises(ConfigError):
        AlignSettings(context_before=-1)
    with pytest.raises(ConfigError):
        AlignSettings(windows=(2, 3))
    assert AlignSettings().signature() != AlignSettings(suspect_margin=0.5).signature()
    assert AlignSettings().signature() == AlignSettings().signature()
    assert dict(AlignSettings().signature().fields)["suspect_margin"] == 0.015


def test_aligner_signature_holds_settings_and_model() -> None:
    sig = Aligner(embedder=WordEmbedder()).identity()
    second = use_embedder()
    assert dict(sig.fields) == {"settings": AlignSettings().signature(), "model": "test-words-v1",
                                "second": second.model_id if second is not None else None,
                                "words": None, "precise": None}
    assert Aligner(embedder=WordEmbedder()).identity().key == sig.key

    class Words:
        model_id = "test-word-vectors"

        def recall(self, claim: str, texts: list[str]) -> None:
            return None

    assert dict(Aligner(embedder=WordEmbedder(), words=Words()).identity().fields)[
        "words"] == "test-word-vectors"
    other = WordEmbedder()
    other.model_id = "test-words-v2"
    assert Aligner(embedder=other).identity() != sig
    assert Aligner(AlignSettings(hub_weight=0.5), WordEmbedder()).identity() != sig


def test_embedding_key_covers_model_kind_and_texts_in_order() -> None:
    key = EmbeddingCache.key("m", "passage", ["a", "b"])
    assert key == EmbeddingCache.key("m", "passage", ("a", "b"))
    assert len({key, EmbeddingCache.key("m2", "passage", ["a", "b"]),
                EmbeddingCache.key("m", "query", ["a", "b"]),
                EmbeddingCache.key("m", "passage", ["b", "a"]),
                EmbeddingCache.key("m", "passage", ["a b"]),
                EmbeddingCache.key("m", "passage", ["a", "b", ""])}) == 6
    # the vectors are the model's: the key does not change with this package's version
    assert EmbeddingCache.signature("m", "passage", ["a"]).version is None


def test_cross_lingual_settings_apply_to_other_languages_only() -> None:
    st = AlignSettings(suspect_margin=0.02, windows=(1,), sentence_chars=0,
                       cross_lingual=(("suspect_margin", 0.05), ("windows", (1, 2))))
    assert st.for_transcript("en") is st and st.for_transcript("en-GB") is st
    ru = st.for_transcript("ru")
    assert ru.suspect_margin == 0.05 and ru.windows == (1, 2) and ru.cross_lingual == ()
    assert st.all_windows() == (1, 2)  # transcript vectors pooled for either
    assert st.signature() != AlignSettings(suspect_margin=0.02, windows=(1,),
                                           sentence_chars=0).signature()
    with pytest.raises(ConfigError, match="cross-lingual"):
        AlignSettings(cross_lingual=(("no_such", 1.0),))


# --------------------------------------------------------------------------- centring


def _vectors(rows: np.ndarray, windows: tuple[int, ...] = (1, 2)) -> TranscriptVectors:
    single = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    n = single.shape[0]
    weights = np.arange(1, n + 1, dtype=np.float64)
    wins = {k: pooled_windows(single.astype(np.float32), weights, k) for k in windows}
    wins[1] = single.astype(np.float32)
    starts = np.arange(n, dtype=np.int64) * 1000
    return TranscriptVectors(starts, starts + 900, wins, weights)


@given(st.lists(st.lists(st.floats(-1, 1), min_size=4, max_size=4), min_size=1, max_size=8))
def test_centred_vectors_are_unit_or_zero_and_windows_pooled_again(rows: list[list[float]]) -> None:
    arr = np.array(rows, dtype=np.float64) + np.array([3.0, 0, 0, 0])  # a shared direction
    tv = centred(_vectors(arr))
    norms = np.linalg.norm(tv.windows[1], axis=1)
    assert np.all((np.abs(norms - 1) < 1e-4) | (norms < 1e-4))
    assert np.allclose(tv.windows[2], pooled_windows(tv.windows[1], tv.weights, 2), atol=1e-5)
    assert np.array_equal(tv.starts, np.arange(len(rows)) * 1000)


def test_centring_spreads_flat_similarities_and_keeps_the_best_sentence() -> None:
    """Every sentence shares a large component (its language); against a claim in another
    language the plain cosines are nearly flat. Centred, they spread about 2.5 times wider
    and the sentence that says the claim is still the best."""
    rng = np.random.default_rng(3)
    topics = rng.normal(size=(12, 32))
    shared = np.zeros(32)
    shared[0] = 12.0
    tv = _vectors(topics + shared)
    claim = topics[5] + 0.5 * rng.normal(size=32)
    claim[1] += 6.0  # its own language's component, not the transcript's
    q = (claim / np.linalg.norm(claim))[None, :].astype(np.float32)
    plain, centre = evidence(q, tv).sims[1][0], evidence(q, tv, centre=True).sims[1][0]
    assert int(plain.argmax()) == int(centre.argmax()) == 5
    assert centre.std() > 2 * plain.std()
    assert np.allclose(centre, (q @ centred(tv).windows[1].T)[0])


def test_windows_reach_about_a_sentence_on_fragments() -> None:
    def cut(n_chars: int) -> tuple[Segment, ...]:
        return tuple(Segment(i * 1000, i * 1000 + 900, "x" * n_chars, "en") for i in range(9))

    st = AlignSettings()  # sentence_chars 120, windows (1,), suggest_windows (1,)
    assert st.for_transcript("en", cut(130)) is st  # sentences: single segments
    for chars, runs in ((60, (1, 2)), (35, (1, 2, 3)), (2, (1, 2, 3, 4))):  # at most 4
        got = st.for_transcript("en", cut(chars))
        assert got.windows == got.suggest_windows == runs
    assert st.for_transcript("en", ()) is st
    assert AlignSettings(sentence_chars=0).for_transcript("en", cut(10)).windows == (1,)
    assert set(range(1, 5)) <= set(st.all_windows())  # every run is pooled once
    ru = st.for_transcript("ru", cut(60))  # cross-lingual windows 1-2 already cover it
    assert ru.windows == ru.suggest_windows == (1, 2)
    assert st.for_transcript("ru", cut(35)).windows == (1, 2, 3)


def test_cross_lingual_defaults_centre_other_languages_only() -> None:
    st = AlignSettings()
    assert not st.centre_transcript and st.for_transcript("ru").centre_transcript
    ru = st.for_transcript("ru")
    assert ru.suspect_margin > st.suspect_margin  # centred similarities spread wider


# --------------------------------------------------------------------------- report

REPORT_NOTE = f"""---
title: T
videoId: vid00000001
---

Cats sleep sixteen hours {anchor("00:00:10")}, {anchor("00:00:12")}. Lava flows \
{anchor("00:00:20")}.

{anchor("00:00:25")}

## Heading [[link | label]] {anchor("00:00:40")}

| a | b |
|---|---|
| Violin strings {anchor("00:50:00")} | x |
"""


def test_report_lists_every_anchor_once_in_order() -> None:
    n = parse_note(REPORT_NOTE, Path("/vault/chan/slug.md"))
    al = Aligner(embedder=WordEmbedder()).align(n, transcript())
    rep = alignment_report([al], [n])
    json.dumps(rep)
    (entry,) = rep["notes"]
    assert set(entry) == {"path", "video_id", "duration_ms", "claims"}
    assert entry["path"].endswith("chan/slug.md") and entry["video_id"] == "vid00000001"
    assert entry["duration_ms"] == 119_000
    written = [c["written"] for cl in sorted(entry["claims"], key=lambda c: c["index"])
               for c in cl["citations"]]
    assert written == re.findall(r'data-t="([^"]+)"', REPORT_NOTE)
    assert [cl["index"] for cl in entry["claims"]] == sorted(cl["index"] for cl in entry["claims"])
    assert entry["claims"][0]["text"].startswith("Cats sleep")
    for cl in entry["claims"]:
        assert set(cl) == {"index", "text", "citations"}
        for c in cl["citations"]:
            assert set(c) == {"written", "cited_ms", "status", "resolved_ms", "suggested_ms",
                              "suggested_text", "decision", "score", "segment"}
            assert c["segment"] is None or set(c["segment"]) == {"start_ms", "end_ms", "text"}
    counts = summary_counts([al])
    assert sum(counts.values()) == 6 and set(counts) == {
        "ok", "repaired", "suspect", "out_of_range", "no_transcript"}


# --------------------------------------------------------------------------- cache

def test_cache_reuse_and_damage(tmp_path: Path) -> None:
    text = note(("Cats sleep sixteen hours each day", "00:00:10"),
                ("Volcano lava", "00:00:20"))
    n = parse_note(text, Path("vault/chan/slug.md"))
    first = WordEmbedder()
    a1 = Aligner(embedder=first, cache_dir=tmp_path).align(n, transcript())
    assert first.calls == 2  # the transcript once, the claims once
    second = WordEmbedder()
    a2 = Aligner(embedder=second, cache_dir=tmp_path).align(n, transcript())
    assert second.calls == 0 and a1 == a2
    files = sorted(p.suffix for p in tmp_path.rglob("*") if p.is_file())
    assert files == [".vec", ".vec"]
    # another transcript text is another entry
    other = Transcript("vid00000001", "en", transcript().segments[:5])
    Aligner(embedder=second, cache_dir=tmp_path).align(n, other)
    assert second.calls == 1
    cache = EmbeddingCache(tmp_path)
    assert cache.load(EmbeddingCache.key("test-words-v1", "query", ["x"]), 1) is None
    assert cache.misses == 1 and cache.take_warnings() == ()  # absent: not damaged


def _flip_vectors(data: bytes) -> bytes:
    """The entry with its vectors moved to other segments: the right number of bytes
    behind an intact header line, as bytes overwritten in place would give."""
    head, _, body = data.partition(b"\n")
    shape = json.loads(head)["shape"]
    arr = np.frombuffer(body, dtype="<f4").reshape(shape)
    return head + b"\n" + np.roll(arr, len(arr) // 2, axis=0).tobytes()


@pytest.mark.parametrize("damage", ["overwritten", "truncated", "garbage", "empty"])
def test_a_damaged_entry_is_set_aside_reported_and_recomputed(tmp_path: Path,
                                                              damage: str) -> None:
    n = parse_note(note(("Cats sleep sixteen hours each day", "00:00:10"),
                        ("Volcano lava", "00:00:20")), Path("vault/chan/slug.md"))
    a1 = Aligner(embedder=WordEmbedder(), cache_dir=tmp_path).align(n, transcript())
    assert {c.status for c in a1.checks} == {"ok"}
    (entry,) = [p for p in tmp_path.rglob("*.vec") if p.stat().st_size > 10_000]  # transcript
    data = entry.read_bytes()
    entry.write_bytes({"overwritten": _flip_vectors(data), "truncated": data[:len(data) // 2],
                       "garbage": b'{"format": 2}\ngarbage', "empty": b""}[damage])
    third = WordEmbedder()
    aligner = Aligner(embedder=third, cache_dir=tmp_path)
    assert aligner.align(n, transcript()) == a1  # not every citation suspect
    assert third.calls == 1  # the transcript again; the claims' entry was sound
    assert aligner.cache is not None
    (warning,) = aligner.cache.take_warnings()
    assert warning.startswith(f"damaged embedding cache entry {entry} (") and \
        warning.endswith("); computed again")
    assert aligner.cache.take_warnings() == ()
    assert entry.with_name(entry.name + ".damaged").read_bytes() != entry.read_bytes()
    fourth = WordEmbedder()  # written again, whole
    assert Aligner(embedder=fourth, cache_dir=tmp_path).align(n, transcript()) == a1
    assert fourth.calls == 0


def test_control_overwritten_vectors_do_change_the_alignment(tmp_path: Path) -> None:
    """The damage above is one that matters: the moved vectors, used as they are (no
    checksum), make every citation suspect, with exit status 0."""

    class Unchecked(EmbeddingCache):
        def load(self, key: str, count: int) -> np.ndarray | None:
            path = self.path(key)
            if not path.exists():
                return None
            head, _, body = path.read_bytes().partition(b"\n")
            return np.frombuffer(body, dtype="<f4").reshape(json.loads(head)["shape"])

    n = parse_note(note(("Cats sleep sixteen hours each day", "00:00:10"),
                        ("Volcano lava", "00:00:20")), Path("vault/chan/slug.md"))
    a1 = Aligner(embedder=WordEmbedder(), cache_dir=tmp_path).align(n, transcript())
    (entry,) = [p for p in tmp_path.rglob("*.vec") if p.stat().st_size > 10_000]
    entry.write_bytes(_flip_vectors(entry.read_bytes()))
    aligner = Aligner(embedder=WordEmbedder(), cache_dir=tmp_path)
    aligner.cache = Unchecked(tmp_path)
    damaged = aligner.align(n, transcript())
    assert {c.status for c in a1.checks} == {"ok"}
    assert {c.status for c in damaged.checks} == {"suspect"}


def test_suggestion_starts_its_sentence_on_caption_fragments() -> None:
    """The demo's caption fragments, not joined: from the middle of the Erdogan sentence
    (00:10:49.9) back to its start (00:10:45) and on to its end; no sentence end within
    reach: the segment itself. Joined, the fragments are that sentence already."""
    from pipeline.align.decide import sentence_at

    rows = json.loads((Path(__file__).parents[1] / "examples" / "transcripts"
                        / "chIqmlJA2i0.ru.json").read_text(encoding="utf-8"))
    segs = [Segment(round(r["start"] * 1000), round((r["start"] + r["duration"]) * 1000),
                    r["text"], "ru") for r in rows]
    apart = AlignSettings(join_fragments=False)
    mid = next(i for i, s in enumerate(segs) if s.start_ms == 649_915)
    said = sentence_at(segs, mid, apart)
    assert said[0].start_ms == 645_000 and said[0].text.startswith("Второй признак")
    assert said[-1].text.endswith("с Зеленским.") and len(said) == 3
    joined = AlignSettings().sentences(segs)
    (erdogan,) = [i for i, s in enumerate(joined) if s.text.startswith("Второй признак")]
    assert sentence_at(joined, erdogan, AlignSettings()) == (joined[erdogan],)
    assert joined[erdogan].start_ms == 645_000 and joined[erdogan].text.endswith("Зеленским.")
    bare = [Segment(i * 1000, i * 1000 + 900, f"word{i}", "en") for i in range(20)]
    assert sentence_at(bare, 15, apart)[0] == bare[15]
    assert sentence_at(bare, 3, apart)[0] == bare[3]  # not punctuated: kept
    dotted = [*bare[:2], replace(bare[2], text="word2."), *bare[3:]]
    assert sentence_at(dotted, 1, apart)[0] == bare[0]  # the first sentence
    assert sentence_at(dotted, 1, AlignSettings()) == (bare[1],)
