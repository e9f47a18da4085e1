"""What a citation quotes: whole when short, cut around the cited time when long."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.model import Segment
from pipeline.render.common import QUOTE_CHARS, quote_of, quote_text
from pipeline.transcripts.formats import parse_timings
from tests.conftest import examples

WORDS = [f"w{i:03d}" for i in range(1000)]  # every word unique: where a cut falls shows


def _seg(start_s: int, end_s: int, text: str) -> Segment:
    return Segment(start_s * 1000, end_s * 1000, text, "en")


def test_a_short_quote_is_whole() -> None:
    segs = (_seg(0, 5, "One sentence."), _seg(5, 9, "Another\none."))
    assert quote_text(segs, 6_000) == "One sentence. Another\none."


def test_a_long_segment_is_cut_around_the_cited_time() -> None:
    # one 200-second segment of 200 words of 4 characters: word k is said at second k
    seg = _seg(0, 200, " ".join(WORDS[:200]))
    got = quote_text((seg,), 120_000)
    assert got.startswith("… ") and got.endswith(" …")
    words = got[2:-2].split()
    assert len(" ".join(words)) <= QUOTE_CHARS
    assert words == WORDS[int(words[0][1:]):int(words[-1][1:]) + 1]  # whole words, in order
    assert words.index("w120") in range(15, 25)  # a quarter of the quote before the time


def test_a_cut_starts_at_a_sentence_when_one_is_near() -> None:
    text = " ".join(WORDS[:10]) + ". " + " ".join(WORDS[10:200])
    got = quote_text((_seg(0, 200, text),), 30_000)
    assert got.startswith("… w010 ")  # not mid-sentence at w005


def test_the_end_of_a_transcript_shows_its_last_words() -> None:
    seg = _seg(0, 200, " ".join(WORDS[:200]))
    got = quote_text((seg,), 400_000)
    assert got.startswith("… ") and got.endswith(" w199")


def test_a_suggestion_is_quoted_from_its_start() -> None:
    seg = _seg(0, 200, " ".join(WORDS[:200]))
    got = quote_text((seg,), 0)
    assert got.startswith("w000 ") and got.endswith(" …")


@settings(max_examples=examples(200), deadline=None)
@given(texts=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)),
                              max_size=300), min_size=1, max_size=5),
       at=st.integers(-5_000, 60_000), limit=st.integers(20, 500))
def test_a_quote_is_a_piece_of_its_text(texts: list[str], at: int, limit: int) -> None:
    segs = tuple(_seg(10 * i, 10 * i + 10, t) for i, t in enumerate(texts))
    whole = " ".join(texts)
    got = quote_text(segs, at, limit)
    if len(whole) <= limit:
        assert got == whole
        return
    body = got.removeprefix("… ").removesuffix(" …")
    assert body in whole
    assert len(body) <= limit
    assert got.startswith("… ") or whole.lstrip().startswith(body)
    assert got.endswith(" …") or whole.rstrip().endswith(body)


def test_minutes_of_unpunctuated_speech_quote_a_few_lines(corpus: Path) -> None:
    # 3blue1brown "Geometric intuition of pi": one segment of 2,814 characters runs from
    # 0:31 to 3:23; the note cites 00:01:08 for "the vast interconnected web of mathematics"
    path = corpus / "transcripts" / "d-o3eB9sfls" / "en" / "sentence_timings.json"
    segs = parse_timings(path.read_text(encoding="utf-8"), video_id="d-o3eB9sfls",
                         where=str(path), language="en").segments
    at = next(i for i, s in enumerate(segs) if s.start_ms <= 68_000 < s.end_ms)
    assert len(segs[at].text) > 2_000
    got = quote_text(segs[at - 1:at + 2], 68_000)
    assert len(got) <= QUOTE_CHARS + 4 and got.startswith("… ") and got.endswith(" …")
    assert "interconnected web of mathematics" in got


def test_a_cut_ends_at_a_sentence_when_one_is_in_its_second_half() -> None:
    # sentences of 10 words (49 characters); cited at the start of the 200 words
    text = " ".join(" ".join(WORDS[k:k + 10]) + "." for k in range(0, 200, 10))
    got = quote_of((_seg(0, 200, text),), 0)
    assert not got.cut_before and got.cut_after
    assert got.body.endswith(".") and got.body.startswith("w000 ")
    assert QUOTE_CHARS // 2 <= len(got.body) <= QUOTE_CHARS
    assert str(got) == got.body + " …" and got.around("x") == "x …"


def test_a_sentence_end_before_the_cited_time_is_no_end() -> None:
    # one sentence end early in the window, then unpunctuated speech past the cited time
    text = " ".join(WORDS[:30]) + ". " + " ".join(WORDS[30:200])
    got = quote_text((_seg(0, 200, text),), 25_000)
    assert got.endswith(" …") and not got[:-2].rstrip().endswith(".")
