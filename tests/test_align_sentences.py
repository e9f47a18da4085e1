"""Caption fragments joined into sentences before claims are checked against them."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.align import Aligner, AlignSettings
from pipeline.align.sentences import ends_sentence, is_fragmented, join_fragments
from pipeline.errors import ConfigError
from pipeline.model import Segment, Transcript
from pipeline.notes import parse_note
from pipeline.transcripts import LocalSource
from pipeline.transcripts.formats import parse_srt

CORPUS = Path(os.environ.get("INTERLINEAR_SHARED", Path(__file__).parents[2] / "shared")) / "corpus"


def seg(i: int, text: str, gap: int = 0) -> Segment:
    return Segment(i * 3000 + gap, i * 3000 + 2900, text, "en")


CAPTIONS = (
    seg(0, "When I first learned about Taylor series, I definitely"),
    seg(1, "didn't appreciate just how important they are."),
    seg(2, "But time and time again they come up in math, physics,"),
    seg(3, "and many fields of engineering because they're one of the most"),
    seg(4, "powerful tools that math has to offer."),
)


def test_fragments_become_the_sentences_they_make_up() -> None:
    joined = join_fragments(CAPTIONS)
    assert [s.text for s in joined] == [
        "When I first learned about Taylor series, I definitely didn't appreciate just how "
        "important they are.",
        "But time and time again they come up in math, physics, and many fields of "
        "engineering because they're one of the most powerful tools that math has to offer.",
    ]
    assert [(s.start_ms, s.end_ms) for s in joined] == [(0, 5900), (6000, 14900)]


def test_sentences_stay_as_they_are() -> None:
    sentences = tuple(seg(i, f"Sentence number {i} ends here.") for i in range(6))
    assert not is_fragmented(sentences)
    assert join_fragments(sentences) == sentences
    assert join_fragments(()) == ()


def test_pauses_and_length_end_unpunctuated_sentences() -> None:
    bare = [Segment(i * 2000, i * 2000 + 1900, f"word{i} more words", "en") for i in range(6)]
    assert join_fragments(bare) == tuple(bare)  # not punctuated: kept
    bare.append(Segment(12_000, 13_000, "The end.", "en"))
    bare[3] = replace(bare[3], start_ms=bare[3].start_ms + 5000, end_ms=bare[3].end_ms + 5000)
    joined = join_fragments(bare, max_gap_ms=1500)
    assert [s.text.split()[0] for s in joined] == ["word0", "word3"]
    assert joined[-1].text.endswith("word5 more words The end.")
    short = join_fragments(bare, max_chars=40)
    # two fragments a sentence at most, and the pause still ends one
    assert [s.text.split()[0] for s in short] == ["word0", "word2", "word3", "word5"]
    assert all(len(s.text) <= 40 for s in short)


def test_a_sentence_begun_inside_a_fragment_starts_there() -> None:
    """Community subtitles end a sentence mid-cue: the next one starts at its character,
    timed in proportion to the cue's characters ("But" after 27 of 38: 2.842 s of 4)."""
    cues = (Segment(0, 4000, "it is never smooth at all. But Fourier", "en"),
            Segment(4000, 8000, "thought of infinite sums instead. So", "en"),
            Segment(8000, 9000, "we go on.", "en"))
    joined = join_fragments(cues, share=0.6)
    assert [s.text for s in joined] == ["it is never smooth at all.",
                                        "But Fourier thought of infinite sums instead.",
                                        "So we go on."]
    assert [(s.start_ms, s.end_ms) for s in joined] == [
        (0, 2737), (2842, 7667), (7778, 9000)]
    whole = join_fragments(cues, within=False)
    assert [s.text for s in whole] == [" ".join(c.text for c in cues)]
    # punctuation only inside the cues still makes them punctuated captions
    assert is_fragmented([Segment(0, 1000, "one. Two", "en"), Segment(1000, 2000, "three", "en")])


def test_a_capitalised_common_word_after_an_open_fragment_starts_a_sentence() -> None:
    """Subtitles that drop a period: "... un oxymore" | "Une variation ..." is cut there,
    as the transcript writes "une" in lower case elsewhere; a name ("Fourier", never in
    lower case) does not cut, nor a capital after a dash."""
    cues = (Segment(0, 3000, "Mais quand on y pense, c'est en fait un oxymore", "fr"),
            Segment(3100, 6000, "Une variation se définit sur une durée", "fr"),
            Segment(6100, 9000, "Fourier pensait autrement.", "fr"),
            Segment(9100, 12000, "Et c'est une idée —", "fr"),
            Segment(12100, 15000, "Vraiment étrange, vraiment.", "fr"))
    joined = join_fragments(cues)
    assert [s.text for s in joined] == [
        "Mais quand on y pense, c'est en fait un oxymore",
        "Une variation se définit sur une durée Fourier pensait autrement.",
        "Et c'est une idée — Vraiment étrange, vraiment."]
    assert [(s.start_ms, s.end_ms) for s in joined] == [(0, 3000), (3100, 9000),
                                                        (9100, 15000)]
    assert len(join_fragments(cues, capitals=False)) == 2
    assert join_fragments(cues, clauses=False) == joined


def test_a_capitalised_common_word_after_a_comma_or_colon_starts_a_sentence() -> None:
    """Community subtitles close a sentence with a comma or a colon ("... умножается на 3,"
    | "Поэтому, глядя на матрицу ..."): a capitalised word the transcript writes in lower
    case elsewhere starts the next sentence there, at a cue's start or inside one; a name
    after a comma ("Фурье") and a lower-case word do not cut."""
    cues = (Segment(0, 3000, "Численно каждый компонент умножается на 3,", "ru"),
            Segment(3000, 6000, "Поэтому, глядя на матрицу, Фурье видит,", "ru"),
            Segment(6000, 9000, "что поэтому всё так: Вот она", "ru"),
            Segment(9000, 12000, "и вот итог.", "ru"))
    joined = join_fragments(cues)
    assert [s.text for s in joined] == [
        "Численно каждый компонент умножается на 3,",
        "Поэтому, глядя на матрицу, Фурье видит, что поэтому всё так:",
        "Вот она и вот итог."]
    assert [(s.start_ms, s.end_ms) for s in joined] == [(0, 3000), (3000, 8143),
                                                        (8250, 12000)]
    assert len(join_fragments(cues, clauses=False)) == 1
    assert len(join_fragments(cues, capitals=False)) == 3


def test_a_sentence_mark_without_its_space_still_ends_a_sentence() -> None:
    """"... числа.Так или иначе ..." (the space after the period dropped) is cut there, as
    "так" is written in lower case elsewhere; "Node.Js" (never in lower case), a decimal
    and an initial are not."""
    cues = (Segment(0, 4000, "Вот и всё про числа.Так или иначе, так", "ru"),
            Segment(4000, 8000, "работает Node.Js и число 3.14, писал А.Пушкин", "ru"),
            Segment(8000, 9000, "в письме.", "ru"))
    assert [s.text for s in join_fragments(cues)] == [
        "Вот и всё про числа.",
        "Так или иначе, так работает Node.Js и число 3.14, писал А.Пушкин в письме."]
    assert len(join_fragments(cues, clauses=False)) == 1


fragments = st.lists(st.tuples(st.text(alphabet="aB .?", min_size=1, max_size=20),
                               st.integers(0, 3000)), min_size=1, max_size=30)


@given(fragments)
def test_joining_keeps_every_word_in_order_and_time(rows: list[tuple[str, int]]) -> None:
    segs, t = [], 0
    for text, gap in rows:
        segs.append(Segment(t + gap, t + gap + 1000, text, "en"))
        t += gap + 1000
    joined = join_fragments(segs, max_chars=50)
    assert " ".join(s.text for s in joined).split() == " ".join(s.text for s in segs).split()
    assert all(a.end_ms <= b.start_ms for a, b in zip(joined, joined[1:], strict=False))
    assert all(s.start_ms <= s.end_ms for s in joined)
    worded = [s for s in segs if s.text.strip()]
    if is_fragmented(segs):
        assert joined[0].start_ms >= worded[0].start_ms
        assert joined[-1].end_ms <= worded[-1].end_ms
    # every sentence starts and ends inside the fragments it is made of
    spans = [(s.start_ms, s.end_ms) for s in segs]
    assert all(any(a <= j.start_ms <= b for a, b in spans) for j in joined)


def test_the_aligner_checks_claims_against_joined_sentences() -> None:
    aligner = Aligner(AlignSettings())
    tr = Transcript("vid", "en", CAPTIONS)
    assert len(aligner.prepared(tr).segments) == 2
    off = Aligner(AlignSettings(join_fragments=False))
    assert off.prepared(tr) is tr
    assert AlignSettings().signature() != AlignSettings(join_fragments=False).signature()


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_corpus_captions_join_at_the_sentences_of_the_transcript() -> None:
    """The published English captions, joined: most sentences start within a second of a
    sentence of the video's own sentence-timed transcript, and those stay unjoined."""
    video = "3d6DsjIBzJ4"
    path = CORPUS / "transcripts" / video / "en" / "captions.srt"
    caps = parse_srt(path.read_text(encoding="utf-8-sig"), video_id=video, where=str(path),
                     language="en").segments
    joined = join_fragments(caps)
    sentences = LocalSource(CORPUS / "transcripts").fetch(video, original="en").segments
    assert is_fragmented(caps) and not is_fragmented(sentences)
    assert join_fragments(sentences) == sentences
    assert len(joined) < 0.7 * len(caps)
    starts = [s.start_ms for s in sentences]
    near = sum(any(abs(j.start_ms - t) <= 1000 for t in starts) for j in joined)
    assert near >= 0.8 * len(joined)
    assert sum(ends_sentence(j.text) for j in joined) >= 0.9 * len(joined)


def test_caption_values_replace_the_others_only_on_joined_captions() -> None:
    st = AlignSettings(captions=(("suspect_margin", 0.05),),
                       cross_lingual_captions=(("suspect_margin", 0.09),))
    assert st.for_transcript("en", CAPTIONS).suspect_margin == AlignSettings().suspect_margin
    assert st.for_transcript("en", CAPTIONS, captions=True).suspect_margin == 0.05
    ru = st.for_transcript("ru", CAPTIONS, captions=True)
    assert ru.suspect_margin == 0.09 and ru.centre_transcript  # after the cross-lingual ones
    assert st.for_transcript("ru", CAPTIONS).suspect_margin == dict(
        AlignSettings().cross_lingual)["suspect_margin"]
    with pytest.raises(ConfigError):
        AlignSettings(captions=(("no_such_setting", 1),))


class Words:
    """Hashed bag of words (deterministic, instant): texts sharing words are similar."""

    model_id = "test-words-sentences"

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 128), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\w{3,}", t.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % 127] += 1.0
            out[i, 127] = 0.5
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts))


TOPICS = ["cats sleep sixteen hours | each day in warm sunny windows",
          "the volcano erupted sending lava | down the mountain slopes",
          "bitcoin mining consumes enormous | amounts of electricity",
          "octopus arms contain | most of their neurons",
          "violin strings vibrate | producing harmonic overtones",
          "glaciers carve valleys | slowly over thousands of years"]


def test_a_suspect_citation_on_captions_points_at_the_start_of_its_sentence() -> None:
    """Each sentence said in two 5 s fragments; the claim's words are in the second one.
    Cited a minute away: suspect, suggested at the sentence's first fragment."""
    frags = [Segment(k * 5000, k * 5000 + 5000, part.strip() + ("." if j else ""), "en")
             for k, (j, part) in enumerate((j, p) for t in TOPICS
                                           for j, p in enumerate(t.split("|")))]
    tr = Transcript("vid00000001", "en", tuple(frags))
    text = ("---\ntitle: T\nvideoId: vid00000001\n---\n\n"
            "- Octopus neurons mostly sit in their arms "
            '<a class="yt-timestamp" data-t="00:00:50">[00:00:50]</a>\n'
            "- Glaciers carve valleys over thousands of years "
            '<a class="yt-timestamp" data-t="00:00:50">[00:00:50]</a>\n')
    checks = Aligner(AlignSettings(), Words()).align(
        parse_note(text, Path("vault/chan/slug.md")), tr).checks
    assert [c.status for c in checks] == ["suspect", "ok"]
    assert checks[0].suggested_ms == 30_000  # "octopus arms contain", not "most of their"
    assert checks[0].suggestion[0].text == "octopus arms contain most of their neurons."
