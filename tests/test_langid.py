"""Transcripts without a language label get it from their text (py3langid, its model in
its wheel): detected on real caption fragments of the corpus, recorded with its confidence
on the fetch result and in the manifest's video entry, and used by the run (an unnamed
English transcript translated into Portuguese)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.glossary import Glossary
from pipeline.langid import (
    Detected,
    Detector,
    detect_language,
    in_main_script,
    label_transcript,
    likelihood,
    note_language,
    sample_text,
    script,
    script_counts,
)
from pipeline.model import Segment, Transcript
from pipeline.notes import parse_note
from pipeline.run import RunContext, compose, fetch_video, transcript_tracks
from pipeline.settings import RunSettings
from pipeline.transcripts import FetchRequest, LocalSource, fetch_many, parse_srt
from pipeline.translate import TranslationMemory

VID = "abcDEF_1234"
EN = ["When I first learned about Taylor series, I did not appreciate them.",
      "They come up in math, physics and many fields of engineering.",
      "Because they are one of the most powerful tools for approximating functions."]
RU = ["Профессор рассказал об истории специальной военной операции.",
      "Херсон и Запорожье обсуждались во второй части видео."]


def youtube_json(lines: list[str]) -> str:
    return json.dumps([{"text": t, "start": 4.0 * i, "duration": 3.5}
                       for i, t in enumerate(lines)])


def test_languages_of_plain_sentences() -> None:
    assert detect_language(" ".join(EN)).lang == "en"  # type: ignore[union-attr]
    found = detect_language(" ".join(RU))
    assert found is not None and found.lang == "ru" and 0.5 < found.confidence <= 1.0
    assert detect_language("12:30 -- 45 !!") is None  # no letters: nothing to judge


def test_a_note_is_in_the_script_most_of_its_letters_are_in() -> None:
    """An English index page quoting Russian video titles (the corpus's bonus_professor.md):
    py3langid took the whole text for Russian (0.97); judged on its Latin-script blocks,
    English. A Russian note quoting English stays Russian."""
    titles = "".join(f"### [{t}](https://www.youtube.com/watch?v=eW_KlByc5Yc)\n" for t in RU[:3])
    items = "".join(f"- [[topic_{i} | {t}]]\n" for i, t in enumerate(EN))
    page = parse_note(f"---\ntitle: bonus_professor\n---\n{titles}{items}", Path("c/c.md"))
    assert note_language(page, "pt").lang == "en"
    russian = parse_note("---\ntitle: t\n---\n" + " ".join(RU) + "\n\n> " + EN[0] + "\n",
                         Path("c/r.md"))
    assert note_language(russian, "en").lang == "ru"
    assert in_main_script(["Путин мертв", "one two three", "12:30", "four"]) == [
        "one two three", "12:30", "four"]


def test_likelihood_of_quoted_titles() -> None:
    assert likelihood("Kuran ne zaman yazıldı?", "en") < 0.05
    assert likelihood("But what is a neural network?", "en") > 0.05
    assert likelihood("12:30 !!", "en") == 1.0


def test_an_unlabelled_transcript_is_labelled_and_a_labelled_one_is_not() -> None:
    segs = tuple(Segment(i * 4000, i * 4000 + 3500, t, "und") for i, t in enumerate(RU))
    labelled, found = label_transcript(Transcript(VID, "und", segs))
    assert found is not None and found.lang == "ru"
    assert labelled.language == "ru" and {s.language for s in labelled.segments} == {"ru"}
    known = Transcript(VID, "uk", segs)
    assert label_transcript(known) == (known, None)  # a given label is never overridden
    noise = Transcript(VID, "und", (Segment(0, 1000, "[музыка] ♪ 123", "und"),))
    kept, guess = label_transcript(noise)
    assert kept.language == "und" or (guess is not None and guess.confidence >= 0.5)


def test_a_detector_keeps_its_answers_by_the_text(tmp_path: Path) -> None:
    """The answer for a text is kept on disk and read back (no model), for any process;
    an unreadable answer is found again and kept anew."""
    detect = Detector(tmp_path / "langid")
    text = " ".join(RU)
    assert detect(text) == detect_language(text)
    assert detect("12:30 -- 45 !!") is None
    kept = sorted((tmp_path / "langid").rglob("*.json"))
    assert len(kept) == 2
    ru = next(p for p in kept if p.read_text() != "null")
    ru.write_text('["xx", 0.5]')  # what a later run reads is what was kept, not the model's
    assert Detector(tmp_path / "langid")(text) == Detected("xx", 0.5)
    assert detect(" ".join(EN)).lang == "en"  # type: ignore[union-attr]  # another text
    ru.write_text("[tor")
    assert detect(text) == detect_language(text) and json.loads(ru.read_text())[0] == "ru"


def test_sample_spreads_over_a_long_text() -> None:
    texts = [f"start {i}" for i in range(5000)] + ["ending"] * 5000
    sample = sample_text(texts, limit=2000)
    assert len(sample) <= 2000 and "start 0" in sample and "ending" in sample
    assert sample_text(["a", "b"]) == "a b"


def test_fetch_result_and_track_say_what_was_detected(tmp_path: Path) -> None:
    (tmp_path / f"{VID}.json").write_text(youtube_json(EN), encoding="utf-8")
    (tmp_path / "zzzzzzzzzzz.json").write_text(youtube_json(["12 34", "56"]), encoding="utf-8")
    got, given, nothing = fetch_many(
        [FetchRequest(VID), FetchRequest(VID.upper(), original="en"),
         FetchRequest("zzzzzzzzzzz")], LocalSource(tmp_path))
    assert got.transcript is not None and got.transcript.language == "en"
    assert got.detected is not None and got.detected.lang == "en"
    assert got.detected.confidence > 0.9 and got.track.startswith("en (file) detected ")
    assert given.error and given.detected is None  # (no such file: nothing detected)
    assert nothing.transcript is not None and nothing.transcript.language == "und"
    assert nothing.detected is None and nothing.track == "und (file)"


# --------------------------------------------------------------------------- the run


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[RunContext]:
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / f"{VID}.json").write_text(youtube_json(EN), encoding="utf-8")
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=("pt",),
                           transcripts=folder, offline=True, cache_dir=tmp_path / "cache")
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        yield compose(settings, glossary=Glossary([]), memory=memory)


def test_an_unnamed_english_transcript_gets_a_portuguese_track(ctx: RunContext) -> None:
    """Before: `und` -> every track and quote failed with "no translation model for
    und->pt". Now the transcript is English and Bergamot en->pt makes the track."""
    fetched = fetch_video(FetchRequest(VID), ctx)
    assert not fetched.failures
    transcript = fetched.value.transcript
    assert transcript is not None and transcript.language == "en"
    assert list((ctx.settings.cache_dir / "langid").rglob("*.json"))  # kept for the next run
    tracks = transcript_tracks(VID, transcript, ctx)
    assert not tracks.failures and not tracks.warnings
    assert [o.lang for o in tracks.outputs] == ["en", "pt"]
    vtt = ctx.layout.transcript_track(VID, "pt").read_text(encoding="utf-8")
    assert "ferramentas mais poderosas" in " ".join(vtt.split())


# --------------------------------------------------------------------------- corpus


@pytest.mark.corpus
def test_caption_fragments_of_the_corpus(corpus: Path) -> None:
    """Every whole caption file, and nine in ten single cues (a few words each), per
    language; bench/bench_langid.py reports the full comparison."""
    rng = random.Random(5)
    for lang in ("en", "ru", "uk", "de", "es", "fr", "pt"):
        name = "captions.srt" if lang == "en" else "community.srt"
        files = sorted((corpus / "transcripts").glob(f"*/{lang}/{name}"))[:12]
        assert files, lang
        cues: list[str] = []
        for f in files:
            segs = parse_srt(f.read_text(encoding="utf-8"), video_id="x", where=str(f),
                             language="und").segments
            labelled, found = label_transcript(Transcript("x", "und", segs))
            assert found is not None and labelled.language == lang, (f, found)
            cues += [s.text for s in segs]
        sample = rng.sample(cues, min(150, len(cues)))
        right = sum((detect_language(c) or detect_language("x")).lang == lang  # type: ignore[union-attr]
                    for c in sample)
        assert right >= 0.9 * len(sample), (lang, right, len(sample))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZé ß1,.\nЖжѣΩωআ中かカ한\u0301\u02b0ǅ"), max_size=60))
def test_script_counts_count_each_letter_by_its_unicode_name(text: str) -> None:
    """Each letter counted under the first word of its Unicode name, nothing else counted."""
    import unicodedata
    from collections import Counter

    want = Counter(unicodedata.name(ch, "?").split()[0] for ch in text if ch.isalpha())
    assert script_counts(text) == want
    assert script(text) == (want.most_common(1)[0][0] if want else None)
