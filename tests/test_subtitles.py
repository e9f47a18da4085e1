"""Cutting transcripts into cues: rules per cue, line breaks, groups, timing, claims."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import InterlinearError
from pipeline.model import Citation, CitationCheck, Cue, NoteAlignment, Segment
from pipeline.subtitles import (
    ClaimItem,
    SubtitleError,
    SubtitleRules,
    check_cues,
    claim_items,
    claims_cues,
    cue_groups,
    cues_from_segments,
    rules_for,
    translated_cues,
)
from pipeline.subtitles.breaks import cut_text

from .conftest import examples

EN = rules_for("en")
RU = rules_for("ru")


def seg(start_s: float, end_s: float, text: str, lang: str = "en") -> Segment:
    return Segment(round(start_s * 1000), round(end_s * 1000), text, lang)


def lines_of(cues: list[str] | list[Cue]) -> list[str]:
    texts = [c if isinstance(c, str) else c.text for c in cues]
    return [line for t in texts for line in t.split("\n")]


def boundaries(pieces: list[str]) -> list[tuple[str, str]]:
    """(word before, word after) for every line break and cue cut."""
    words_lines = [line.split() for line in lines_of(pieces)]
    return [(a[-1], b[0]) for a, b in zip(words_lines, words_lines[1:], strict=False)]


# --------------------------------------------------------------------------- rules


def test_rules_per_language() -> None:
    assert RU.max_chars_per_line == 39 and RU.lang == "ru"
    assert EN.max_chars_per_line == 42 and EN.max_lines == 2
    pt = rules_for("pt-BR")
    assert (pt.lang, pt.max_chars_per_line) == ("pt", 42)
    assert (EN.target_cps, EN.hard_cps, EN.min_duration_ms, EN.max_duration_ms,
            EN.min_gap_ms) == (17, 20, 833, 7000, 83)
    assert "cpl=39" in RU.describe()
    assert RU.signature() != rules_for("uk").signature()
    assert EN.signature() != replace(EN, close_gap_ms=400).signature()
    with pytest.raises(ValueError):
        SubtitleRules(max_lines=3)
    with pytest.raises(ValueError):
        SubtitleRules(min_duration_ms=8000)


# --------------------------------------------------------------------------- line breaks


def test_breaks_after_punctuation_and_before_conjunctions() -> None:
    text = ("When I first learned about Taylor series, I definitely didn't appreciate "
            "just how important they are.")
    assert cut_text(text, EN, 5000) == [
        "When I first learned about Taylor series,",
        "I definitely didn't appreciate\njust how important they are.",
    ]
    pieces = cut_text("We take the derivative of this polynomial and we evaluate it at zero "
                      "because that is where it matters", EN, 6000)
    assert any(after in {"and", "because"} for _, after in boundaries(pieces))


def test_keep_together_name_is_never_split() -> None:
    # the most balanced break would fall inside "Taylor series"
    text = "The approximation by the Taylor series converges nicely everywhere here"
    assert "Taylor\nseries" in cut_text(text, EN, 4000)[0]  # what happens without the list
    pieces = cut_text(text, EN, 4000, keep_together=["Taylor series"])
    assert any("Taylor series" in line for line in lines_of(pieces))
    # inflected forms of a glossary name count too
    ru = "Приближение с помощью ряда Тейлора сходится очень хорошо почти везде"
    pieces = cut_text(ru, RU, 4000, keep_together=["ряд Тейлора"])
    assert any("ряда Тейлора" in line for line in lines_of(pieces))


def test_names_and_adjectives_stay_with_their_noun() -> None:
    text = "This remarkable identity was first written down by Leonhard Euler in 1748"
    for before, after in boundaries(cut_text(text, EN, 4500)):
        assert (before, after) != ("Leonhard", "Euler")
    text = "And that gives us a completely different picture of what is going on"
    for before, after in boundaries(cut_text(text, EN, 4000)):
        assert (before, after) != ("different", "picture")
    ru = "Она написана небрежно и выполнена в крайне низком разрешении 28х28 пикселей"
    for before, after in boundaries(cut_text(ru, RU, 4000)):
        assert (before, after) != ("низком", "разрешении")
        assert before not in {"в", "и"}
    de = "Wir betrachten jetzt die komplexe Exponentialfunktion auf der ganzen Ebene heute"
    for before, after in boundaries(cut_text(de, rules_for("de"), 4000)):
        assert before not in {"die", "der"} and (before, after) != ("komplexe",
                                                                    "Exponentialfunktion")


ARTICLES = ["the", "a", "an", "this", "every"]
NOUNS = ["function", "derivative", "matrix", "vector", "circle", "network", "neuron",
         "polynomial", "series", "space", "value", "point", "sum"]
VERBS = ["is", "becomes", "gives", "shows", "means", "moves", "has", "takes"]


@st.composite
def english_text(draw: st.DrawFn) -> str:
    words: list[str] = []
    for _ in range(draw(st.integers(2, 14))):
        if draw(st.booleans()):
            words.append(draw(st.sampled_from(ARTICLES)))
        words.append(draw(st.sampled_from(NOUNS)) + draw(st.sampled_from(["", "", ","])))
        words.append(draw(st.sampled_from(VERBS)))
    return " ".join(words)


@settings(max_examples=examples(150), deadline=None)
@given(english_text(), st.integers(300, 30_000))
def test_never_breaks_after_an_article(text: str, span: int) -> None:
    pieces = cut_text(text, EN, span)
    assert " ".join(" ".join(lines_of(pieces)).split()) == text
    for line in lines_of(pieces):
        assert len(line) <= EN.max_chars_per_line
        assert line.split()[-1] not in ARTICLES, pieces
    assert all(p.count("\n") <= 1 for p in pieces)


@settings(max_examples=examples(150), deadline=None)
@given(english_text(), english_text(), st.sampled_from(["Taylor series", "Leonhard Euler",
                                                       "Fourier transform", "3Blue1Brown"]))
def test_keep_together_holds_anywhere(left: str, right: str, name: str) -> None:
    text = f"{left} {name} {right}"
    pieces = cut_text(text, EN, len(text) * 60, keep_together=[name])
    assert any(name in line for line in lines_of(pieces)), pieces


RU_WORDS = ["функция", "производная", "ряд", "точка", "значение", "сумма", "матрица"]
RU_SMALL = ["в", "и", "с", "к", "на", "по", "а", "у", "о"]


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.tuples(st.sampled_from(RU_SMALL), st.sampled_from(RU_WORDS)),
                min_size=3, max_size=25))
def test_russian_lines_never_end_with_a_one_letter_word(pairs: list[tuple[str, str]]) -> None:
    text = " ".join(f"{a} {b}" for a, b in pairs)
    for line in lines_of(cut_text(text, RU, len(text) * 60)):
        assert len(line) <= 39
        assert line.split()[-1] not in {"в", "и", "с", "к", "а", "у", "о"}, line


def test_word_longer_than_a_line_is_cut_to_fit() -> None:
    url = "https://example.org/" + "x" * 100
    pieces = cut_text(f"see {url} now", EN, 5000)
    assert all(len(line) <= 42 for line in lines_of(pieces))
    assert "".join("".join(lines_of(pieces)).split()) == f"see{url}now"


# --------------------------------------------------------------------------- groups


def test_cue_groups_repair_and_merge() -> None:
    segments = [
        seg(1.0, 3.0, "First sentence here."),
        seg(3.2, 3.2, "Yeah."),  # zero length, and the next one starts 0.3 s later
        seg(3.5, 6.0, "Second sentence\nwith a line break."),
        seg(6.0, 5.0, "."),  # no letter: dropped
        seg(7.0, 3600.0, "This is genuinely delightful to me."),  # an hour of silence
    ]
    groups = cue_groups(segments, EN)
    assert [g.segments for g in groups] == [(0,), (1, 2), (4,)]
    assert groups[1].text == "Yeah. Second sentence with a line break."
    assert groups[1].start_ms == 3200 and groups[1].end_ms == 6000
    assert groups[2].end_ms - groups[2].start_ms <= 35 * 200 + 1
    cues = cues_from_segments(segments, EN)
    assert check_cues(cues, EN)["ALL"] == 1.0
    assert cues[-1].end_ms - cues[-1].start_ms <= 7000


def test_fast_speech_takes_all_the_time_it_may_and_is_flagged() -> None:
    fast = ("So the general idea here is that you take a polynomial and you match its "
            "derivatives one by one at that point.")  # 111 characters in 2.5 s
    segments = [seg(10.0, 12.5, fast), seg(13.3, 16.0, "Then we move on."),
                seg(30.0, 31.0, "Okay, next.")]
    cues = cues_from_segments(segments, EN)
    first_group = [c for c in cues if c.identifier and c.identifier.startswith("1.")]
    assert all("fast" in c.classes for c in first_group)
    # it stretches into the silence up to the next group, minus the gap, then borrows
    # from the next cue (which starts late by the most a start may move) and starts early
    following = [c for c in cues if c.identifier == "2.1"][0]
    assert following.start_ms == 13300 + EN.max_shift_ms
    assert first_group[-1].end_ms == following.start_ms - 83
    assert first_group[0].start_ms == 10000 - EN.max_shift_ms
    assert "fast" not in following.classes
    slow = [c for c in cues if c.identifier == "3.1"][0]
    assert "fast" not in slow.classes and slow.start_ms == 30000
    assert slow.end_ms >= 31000  # ends no earlier than the speech
    assert check_cues(cues, EN)["ALL"] == 1.0


@st.composite
def segments_strategy(draw: st.DrawFn) -> list[Segment]:
    n = draw(st.integers(0, 25))
    out: list[Segment] = []
    t = draw(st.integers(0, 5000))
    for _ in range(n):
        t += draw(st.integers(0, 6000))
        dur = draw(st.integers(-500, 15_000))
        words = draw(st.lists(st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
            min_size=1, max_size=14), min_size=0, max_size=30))
        out.append(Segment(t, t + dur, " ".join(words), "en"))
    return draw(st.permutations(out))


def _visible(text: str) -> str:
    return "".join(text.split())


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments_strategy(), st.sampled_from(["en", "ru", "de", "tr", "xx"]))
def test_any_transcript_gives_cues_meeting_every_structural_rule(
    segments: list[Segment], lang: str,
) -> None:
    rules = rules_for(lang)
    cues = cues_from_segments(segments, rules)
    shares = check_cues(cues, rules)
    assert shares["ALL"] == 1.0, shares
    groups = cue_groups(segments, rules)
    # no text is lost or invented (control characters become spaces)
    assert _visible("".join(c.text for c in cues)) == _visible("".join(g.text for g in groups))
    for a, b in zip(cues, cues[1:], strict=False):
        assert b.start_ms - a.end_ms >= rules.min_gap_ms


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments_strategy(), st.sampled_from(["en", "ru"]))
def test_borrowed_time_moves_starts_little_and_never_makes_a_cue_fast(
    segments: list[Segment], lang: str,
) -> None:
    rules = rules_for(lang)
    before = cues_from_segments(segments, replace(rules, max_shift_ms=0))
    after = cues_from_segments(segments, rules)
    assert [c.text for c in after] == [c.text for c in before]
    assert check_cues(after, rules)["ALL"] == 1.0
    for old, new in zip(before, after, strict=True):
        assert abs(new.start_ms - old.start_ms) <= rules.max_shift_ms
        assert "fast" in old.classes or "fast" not in new.classes
    assert sum("fast" in c.classes for c in after) <= sum("fast" in c.classes for c in before)


def test_a_fast_cue_borrows_from_slow_neighbours_only_as_far_as_they_stay_readable() -> None:
    segments = [seg(10.0, 13.0, "Short."),  # 6 characters in 3 s: time to spare
                seg(13.0, 14.0, "Twenty-two chars here."),  # needs 1.1 s at 20/s
                seg(14.0, 14.8, "A slow one.")]  # shown for the shortest time already
    before = cues_from_segments(segments, replace(EN, max_shift_ms=0))
    after = cues_from_segments(segments, EN)
    assert "fast" in before[1].classes and "fast" not in after[1].classes
    assert after[1].end_ms - after[1].start_ms >= 22 * 1000 / EN.hard_cps
    assert after[1].start_ms < before[1].start_ms  # the time came from the cue before
    assert after[2].start_ms == before[2].start_ms  # the one after had none to spare
    assert check_cues(after, EN)["ALL"] == 1.0


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.tuples(st.integers(3000, 20_000), st.integers(500, 9000),
                          st.text(alphabet="abcdefgh ,.", max_size=200)),
                min_size=1, max_size=12))
def test_translated_cues_stay_inside_their_group(
    spec: list[tuple[int, int, str]],
) -> None:
    segments, t = [], 0
    for gap, dur, _ in spec:
        t += gap
        segments.append(Segment(t, t + dur, "source words here.", "en"))
        t += dur
    groups = cue_groups(segments, EN)
    texts = [s[2] for s in spec]
    cues = translated_cues(groups, texts, RU)
    assert check_cues(cues, RU)["ALL"] == 1.0
    src = cues_from_segments(segments, EN)
    for k, g in enumerate(groups):
        mine = [c for c in cues if (c.identifier or "").split(".")[0] == str(k + 1)]
        assert bool(mine) == bool(texts[k].strip())
        limit = groups[k + 1].start_ms - RU.min_gap_ms if k + 1 < len(groups) else 10**12
        shift = RU.max_shift_ms  # what a too-fast cue may borrow from its neighbours
        for c in mine:
            assert g.start_ms - shift <= c.start_ms and c.end_ms <= limit + shift
        if mine:  # the translated group starts when the source group does, give or take
            first_src = [c for c in src if c.identifier == f"{k + 1}.1"][0]
            assert abs(mine[0].start_ms - g.start_ms) <= shift
            assert abs(first_src.start_ms - g.start_ms) <= EN.max_shift_ms


def test_translated_cues_one_text_per_group() -> None:
    groups = cue_groups([seg(0, 2, "One."), seg(3, 5, "Two.")], EN)
    with pytest.raises(SubtitleError) as err:
        translated_cues(groups, ["Один."], RU)
    assert isinstance(err.value, InterlinearError)
    cues = translated_cues(groups, ["", "Два."], RU)
    assert [c.text for c in cues] == ["Два."] and cues[0].start_ms == 3000


# --------------------------------------------------------------------------- claims


def test_claims_track() -> None:
    items = [
        ClaimItem(60_000, "Euler's formula links exponentials and rotation.", "ok"),
        ClaimItem(62_000, "The series converges for every complex number.", "suspect"),
        ClaimItem(62_000, "A second claim citing the same moment.", "repaired"),
        ClaimItem(120_000, "word " * 200, "out_of_range"),
        ClaimItem(130_000, "   ", "ok"),  # nothing to show
    ]
    cues = claims_cues(items, EN)
    assert check_cues(cues, EN)["ALL"] == 1.0
    assert cues[0].start_ms == 60_000 and cues[0].end_ms == 62_000 - 83
    assert cues[0].classes == ("ok",)
    same = [c for c in cues if c.classes[0] in {"suspect", "repaired"}]
    assert [c.classes[0] for c in same] == ["suspect", "repaired"]
    assert same[0].start_ms == 62_000 and same[1].start_ms > same[0].end_ms
    long = [c for c in cues if c.classes[0] == "out_of_range"]
    assert long[0].start_ms == 120_000 and long[-1].text.endswith("…")
    assert long[-1].end_ms <= 120_000 + 7000
    assert all(c.end_ms - c.start_ms <= 7000 for c in cues)


def test_claim_items_from_an_alignment() -> None:
    def check(index: int, claim: int, ms: int | None, status: str) -> CitationCheck:
        cit = Citation("00:01:00", ms, "<a>", 1, 0, index)
        return CitationCheck(cit, claim, status, ms, None, None, None)  # type: ignore[arg-type]

    alignment = NoteAlignment(Path("n.md"), "abcdefghijk", 600_000, "en", (
        check(0, 0, 60_000, "ok"), check(1, 0, 60_000, "ok"), check(2, 1, None, "no_transcript"),
        check(3, 1, 90_000, "suspect"),
    ))
    items = claim_items(alignment, {0: "First claim.", 1: "Second claim."})
    assert items == [ClaimItem(60_000, "First claim.", "ok"),
                     ClaimItem(90_000, "Second claim.", "suspect")]


def test_check_cues_counts_each_rule() -> None:
    cues = [
        Cue(0, 500, "too short"),
        Cue(550, 9000, "gap too small, and I last too long"),
        Cue(9100, 10_000, "x" * 43),
        Cue(10_100, 11_000, "one\ntwo\nthree"),
    ]
    shares = check_cues(cues, EN)
    assert shares["gap>=83ms"] == 0.75
    assert shares["833ms<=dur<=7s"] == 0.5
    assert shares["cpl<=42"] == 0.75 and shares["lines<=2"] == 0.75
    assert shares["ALL"] == 0.0
    assert shares["cps<=20"] == 0.75  # 43 characters in 0.9 s
    assert check_cues([], EN)["ALL"] == 1.0
    assert re.fullmatch(r"cpl<=39", [k for k in check_cues(cues, RU) if k.startswith("cpl")][0])
