"""The example vault (`examples/`) and the glossary data (`glossary/*.csv`).

These are data the demo and the other tests rely on: the checks here say what they must
look like, and that the example notes' citations are said in the sample transcripts
(except for the citations that are wrong on purpose, see examples/README.md).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from pipeline.glossary import CASE_VALUES, LANGS, Glossary, validate_file
from pipeline.model import Citation, Note
from pipeline.notes import load_note, problems
from pipeline.transcripts.local import LocalSource

from .conftest import CORPUS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
VAULT = EXAMPLES / "vault"
TRANSCRIPTS = EXAMPLES / "transcripts"
GLOSSARY = ROOT / "glossary"

HEADER = ["en", *LANGS, "case", "note"]
VIDEOS = {"chIqmlJA2i0", "AWZr7BhFSyE"}
ANCHOR = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'
# The deliberate defects of the example vault.
MMSS_NOTE, MMSS_WRITTEN, MMSS_WORD = "kherson_withdrawal_and_the_elite.md", "04:10:00", "неудачник"
WRONG_NOTE, WRONG_WRITTEN, WRONG_TRUE_S = "peace_terms_after_kherson.md", "00:12:40", 645
# the summary claim citing the moment it is said (00:11:40) and one where it is not
# (00:06:40, where the offer is only introduced); it is said in the segment at 11:34
OPEN_NOTE, OPEN_RIGHT, OPEN_WRONG, OPEN_TRUE_S = ("peace_terms_after_kherson.md", "00:11:40",
                                                  "00:06:40", 694)
OPEN_WORDS = "открытый вопрос"
# What the transcript says (a Russian stem) near the claims that name no glossary term,
# keyed by note and the claim's first citation.
SAID = {
    ("kherson_withdrawal_and_the_elite.md", "00:01:40"): "левый берег",
    ("kherson_withdrawal_and_the_elite.md", "00:02:55"): "военной катастрофой",
    ("kherson_withdrawal_and_the_elite.md", "00:03:48"): "вера в победу",
    ("kherson_withdrawal_and_the_elite.md", "00:04:35"): "ток-шоу",
    ("kherson_withdrawal_and_the_elite.md", "00:05:05"): "цензур",
    ("kherson_withdrawal_and_the_elite.md", "00:13:40"): "виноватых",
    ("kherson_withdrawal_and_the_elite.md", "00:17:10"): "дорого заплатить",
    ("kherson_withdrawal_and_the_elite.md", "00:00:58"): "несправедлив",
    ("kremlins_answer_to_the_peace_offer.md", "00:00:23"): "мирное предложение",
    ("kremlins_answer_to_the_peace_offer.md", "00:02:29"): "эскалаци",
    ("kremlins_answer_to_the_peace_offer.md", "00:03:16"): "большей дальности",
    ("kremlins_answer_to_the_peace_offer.md", "00:05:13"): "повестки",
    ("kremlins_answer_to_the_peace_offer.md", "00:05:36"): "второй этап мобилизации",
    ("kremlins_answer_to_the_peace_offer.md", "00:06:47"): "комендантский час",
    ("kremlins_answer_to_the_peace_offer.md", "00:07:17"): "изымать имущество",
    ("kremlins_answer_to_the_peace_offer.md", "00:09:04"): "политический кризис",
    ("kremlins_answer_to_the_peace_offer.md", "00:11:08"): "финансовым",
    ("kremlins_answer_to_the_peace_offer.md", "00:11:28"): "тёмные времена",
    ("kremlins_answer_to_the_peace_offer.md", "00:11:51"): "русско-японская",
    ("peace_terms_after_kherson.md", "00:09:24"): "не подлежат",
    ("peace_terms_after_kherson.md", "00:10:33"): "ядерного оружия",
    ("peace_terms_after_kherson.md", "00:06:40"): "мирн",
}


def glossary_files() -> list[Path]:
    return sorted(GLOSSARY.glob("*.csv"))


def note_files() -> list[Path]:
    return sorted(VAULT.rglob("*.md"))


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, strict=True))


def segments(video_id: str) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(
        (TRANSCRIPTS / f"{video_id}.ru.json").read_text(encoding="utf-8"))
    return data


def end_s(segs: list[dict[str, object]]) -> float:
    last = segs[-1]
    return float(last["start"]) + float(last["duration"])  # type: ignore[arg-type]


def seconds(cit: Citation, duration_s: float) -> float:
    """The time a citation means: as written, or read as MM:SS:00 when beyond the end."""
    assert cit.ms is not None
    if cit.ms / 1000 <= duration_s:
        return cit.ms / 1000
    minutes, secs, _ = cit.written.split(":")
    return int(minutes) * 60 + int(secs)


def window(segs: list[dict[str, object]], t: float, before: float = 5, after: float = 25) -> str:
    """The transcript text around `t`: what a claim citing `t` is about."""
    return " ".join(
        str(s["text"]) for s in segs
        if float(s["start"]) < t + after  # type: ignore[arg-type]
        and float(s["start"]) + float(s["duration"]) > t - before  # type: ignore[arg-type]
    ).lower()


def said(alternatives: tuple[str, ...], text: str) -> bool:
    """One of the renderings starts a word of `text` (the rule of check_translation.py)."""
    return any(re.search(r"(?<!\w)" + re.escape(a.lower()), text) for a in alternatives)


# --------------------------------------------------------------------------- glossary


@pytest.mark.parametrize("path", glossary_files(), ids=lambda p: p.name)
def test_glossary_file_shape(path: Path) -> None:
    table = rows(path)
    assert table[0] == HEADER
    assert len(table) > 1
    for lineno, row in enumerate(table[1:], start=2):
        where = f"{path.name}:{lineno}"
        assert len(row) == len(HEADER), where
        cells = dict(zip(HEADER, row, strict=True))
        en = cells["en"]
        assert en and en == en.strip() and "|" not in en and "  " not in en, where
        assert cells["case"] in CASE_VALUES, where
        if cells["case"] == "sensitive":
            assert any(ch.isupper() for ch in en), f"{where}: case-sensitive lower-case term"
        assert cells["note"] == cells["note"].strip(), where
        for lang in LANGS:
            alts = cells[lang].split("|")
            assert cells[lang], f"{where}: {en!r} has no {lang} rendering"
            assert all(a and a == a.strip() and "  " not in a for a in alts), \
                f"{where}: bad alternative syntax in {lang}: {cells[lang]!r}"
            assert len(set(alts)) == len(alts), f"{where}: repeated {lang} alternative"
            assert not any(ch in a for a in alts for ch in "\n\t,;"), where


def test_glossary_source_terms_are_unique_across_files() -> None:
    seen: dict[str, str] = {}
    for path in glossary_files():
        for lineno, row in enumerate(rows(path)[1:], start=2):
            key = row[0].casefold()
            assert key not in seen, f"{path.name}:{lineno}: {row[0]!r} also at {seen[key]}"
            seen[key] = f"{path.name}:{lineno}"
    assert len(seen) >= 100


def test_glossary_loads_without_issues() -> None:
    for path in glossary_files():
        assert validate_file(path) == []
    glossary = Glossary.load(GLOSSARY)
    assert glossary.issues == ()
    assert len(glossary) >= 100
    assert all(len(t.targets) == len(LANGS) for t in glossary.terms)
    # Terms the brief names, with the renderings each language's press uses.
    kherson = {t.source: t for t in glossary.terms}["Kherson"]
    assert [kherson.expected(lang)[0] for lang in LANGS] == [
        "Херсон", "Херсон", "Cherson", "Jersón", "Kherson", "Kherson"]
    for source in ("Turbo Patriots", "Politburo 2.0", "special military operation",
                   "Zelensky", "Kremlin", "NATO", "Crimea", "Erdogan", "Strelkov", "Dugin"):
        assert glossary.find(f"a {source}."), source
    smo = {t.source: t for t in glossary.terms}["special military operation"]
    assert smo.expected("pt")[0] == "operação militar especial"


def test_glossary_matches_whole_words_only() -> None:
    glossary = Glossary.load(GLOSSARY)
    assert [h.term.source for h in glossary.find("Russian Kremlinology in Ukrainians")] == []
    hits = glossary.find("Putin's Kremlin met the EU; the Politburo 2.0 decided.")
    assert [h.term.source for h in hits] == ["Putin", "Kremlin", "EU", "Politburo 2.0"]


def test_russian_inflections_are_covered() -> None:
    """The ru cells accept the declined forms a correct translation writes."""
    by = {t.source: t for t in Glossary.load(GLOSSARY).terms}
    cases = {
        "Kremlin": "решение кремля", "Kherson": "из херсона", "Crimea": "в крыму",
        "Zelensky": "с зеленским", "Moscow": "в москве", "Ukraine": "на украине",
        "special military operation": "в ходе специальной военной операции",
        "Turbo Patriots": "турбопатриотов", "martial law": "военного положения",
        "Security Council": "секретарь совета безопасности",
    }
    for source, text in cases.items():
        assert said(by[source].expected("ru"), text), source


@pytest.mark.corpus
def test_glossary_covers_the_bonus_professor_notes() -> None:
    notes = CORPUS / "notes" / "bonus_professor"
    if not notes.is_dir():
        pytest.skip(f"corpus not found at {notes}")
    glossary = Glossary.load(GLOSSARY)
    found: dict[str, int] = {}
    for path in sorted(notes.glob("*.md")):
        text = re.sub(r"<[^>]+>|\[\[[^|\]]*\|?", " ", path.read_text(encoding="utf-8"))
        for hit in glossary.find(text):
            found[hit.term.source] = found.get(hit.term.source, 0) + 1
    assert sum(found.values()) >= 1500
    assert len(found) >= 80
    for source in ("Putin", "Kremlin", "special military operation", "Politburo 2.0",
                   "Turbo Patriots", "toxic loser", "Strelkov", "Dugin", "Kherson"):
        assert found.get(source), source


# --------------------------------------------------------------------------- transcripts


@pytest.mark.parametrize("video_id", sorted(VIDEOS))
def test_transcript_shape(video_id: str) -> None:
    segs = segments(video_id)
    assert segs[0]["start"] == 0
    assert end_s(segs) >= 18 * 60
    for a, b in zip(segs, segs[1:], strict=False):
        assert abs(float(a["start"]) + float(a["duration"]) - float(b["start"])) < 0.002  # type: ignore[arg-type]
    for s in segs:
        assert set(s) == {"text", "start", "duration"}
        text = s["text"]
        assert isinstance(text, str) and text == text.strip() and text
        assert "-->" not in text and "\n" not in text
        assert 2.0 <= float(s["duration"]) <= 8.0, s  # type: ignore[arg-type]
        letters = [ch for ch in text if ch.isalpha()]
        assert sum("а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in letters) / len(letters) > 0.9


@pytest.mark.parametrize("video_id", sorted(VIDEOS))
def test_transcript_reads_through_the_local_source(video_id: str) -> None:
    transcript = LocalSource(TRANSCRIPTS).fetch(video_id, languages=("ru",))
    assert transcript.language == "ru"
    assert len(transcript.segments) == len(segments(video_id))
    assert transcript.duration_ms == round(end_s(segments(video_id)) * 1000)


def test_readmes_mark_the_transcripts_as_samples() -> None:
    for readme in (EXAMPLES / "README.md", TRANSCRIPTS / "README.md"):
        text = " ".join(readme.read_text(encoding="utf-8").replace("*", "").split())
        assert "samples" in text and "not the real YouTube transcripts" in text


# --------------------------------------------------------------------------- notes


def notes() -> list[Note]:
    return [load_note(p) for p in note_files()]


def test_notes_parse_and_round_trip() -> None:
    paths = note_files()
    assert 2 <= len(paths) <= 3
    for path, note in zip(paths, notes(), strict=True):
        assert note.render() == path.read_text(encoding="utf-8")
        assert problems(note) == []
        assert note.video_id in VIDEOS and note.channel == "bonus_professor" and note.title
        assert 15 <= len(note.claims) <= 32, (path.name, len(note.claims))
    assert {n.video_id for n in notes()} == VIDEOS
    assert sorted(n.video_id or "" for n in notes()).count("chIqmlJA2i0") == 2
    assert [n.lang for n in notes()].count("ru") == 1


@pytest.mark.parametrize("path", note_files(), ids=lambda p: p.name)
def test_note_format_is_the_channels(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    note = load_note(path)
    assert re.match(r"---\ntitle: .+\nvideoId: [\w-]{11}\n(lang: ru\n)?---\n\nFrom: "
                    r"\[\[bonus_professor\]\] <br/> \n\n", text)
    assert "\n## " in text and "\n*   " in text and re.search(r"\*\*[^*]+\*\*", text)
    assert any(link.label for block in note.blocks for link in block.links)
    for cit in note.citations:
        assert cit.raw == ANCHOR.format(cit.written)
        assert re.fullmatch(r"\d\d:\d\d:\d\d", cit.written)


def test_notes_cover_the_citation_shapes() -> None:
    all_notes = notes()
    claims = [c for n in all_notes for c in n.claims]
    assert any(len(c.citations) >= 2 for c in claims)
    assert any(c.kind == "heading" for c in claims)
    assert any(c.kind == "list_item" for c in claims)
    alone = [b for n in all_notes for b in n.blocks
             if b.kind == "paragraph" and len(b.citations) == 1
             and b.text.strip() == b.citations[0].raw]
    assert alone, "an anchor standing alone in a paragraph"
    assert any(len(n.citations) != len({c.written for c in n.citations}) for n in all_notes)


def test_only_the_mmss_citation_lies_beyond_the_video() -> None:
    beyond = []
    for note in notes():
        segs = segments(note.video_id or "")
        duration = end_s(segs)
        for cit in note.citations:
            assert cit.ms is not None
            if cit.ms / 1000 > duration:
                beyond.append((note.path.name, cit.written))
                t = seconds(cit, duration)
                assert t < duration
                assert MMSS_WORD in window(segs, t, before=0, after=1)
    assert beyond == [(MMSS_NOTE, MMSS_WRITTEN)]


def test_claims_are_said_where_they_cite() -> None:
    """Every glossary term of a claim is said in Russian near one of its cited times,
    except in the one claim whose citation points at the wrong moment."""
    glossary = Glossary.load(GLOSSARY)
    unsupported = []
    keyed = set()
    for note in notes():
        segs = segments(note.video_id or "")
        duration = end_s(segs)
        for claim in note.claims:
            near = " ".join(window(segs, seconds(c, duration)) for c in claim.citations)
            terms = glossary.terms_in(claim.text)
            if not terms:
                key = (note.path.name, claim.citations[0].written)
                assert key in SAID, f"no glossary term and no SAID entry: {key} {claim.text}"
                assert SAID[key] in near, (key, claim.text)
                keyed.add(key)
                continue
            missing = [t.source for t in terms if not said(t.expected("ru"), near)]
            if missing:
                unsupported.append((note.path.name, tuple(c.written for c in claim.citations),
                                    claim.text, missing))
    assert keyed == set(SAID)
    assert [(name, cites) for name, cites, _, _ in unsupported] == \
        [(WRONG_NOTE, (WRONG_WRITTEN,))]
    _, _, text, missing = unsupported[0]
    assert "Erdogan" in missing
    # ...and the claim is said at its true moment.
    segs = segments("chIqmlJA2i0")
    at_true = window(segs, WRONG_TRUE_S)
    assert all(said(t.expected("ru"), at_true) for t in glossary.terms_in(text))


def test_the_open_question_is_said_at_one_of_its_two_citations() -> None:
    note = next(n for n in notes() if n.path.name == OPEN_NOTE)
    claim = next(c for c in note.claims if "open question" in c.text)
    assert [c.written for c in claim.citations] == [OPEN_WRONG, OPEN_RIGHT]
    segs = segments(note.video_id or "")
    assert OPEN_WORDS in window(segs, 11 * 60 + 40)
    assert OPEN_WORDS not in window(segs, 6 * 60 + 40)
    assert OPEN_WORDS in window(segs, OPEN_TRUE_S, before=0, after=1)


@pytest.mark.slow
def test_the_demo_checks_give_the_statuses_the_readmes_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`interlinear align` on the example vault with the default embedder: every citation
    ok but the three wrong on purpose (examples/README.md's table)."""
    from flows.cli import main

    monkeypatch.setenv("INTERLINEAR_CACHE", str(tmp_path / "cache"))
    report = tmp_path / "alignment.json"
    assert main(["align", str(VAULT), "--transcripts", str(TRANSCRIPTS), "--offline",
                 "--report", str(report)]) == 0
    flagged = {}
    for n in json.loads(report.read_text(encoding="utf-8"))["notes"]:
        for claim in n["claims"]:
            for c in claim["citations"]:
                if c["status"] != "ok":
                    at = c["resolved_ms"] if c["status"] == "repaired" else c["suggested_ms"]
                    flagged[(Path(n["path"]).name, c["written"])] = (c["status"], at // 1000)
    assert flagged == {(MMSS_NOTE, MMSS_WRITTEN): ("repaired", 250),
                       (WRONG_NOTE, WRONG_WRITTEN): ("suspect", WRONG_TRUE_S),
                       (OPEN_NOTE, OPEN_WRONG): ("suspect", OPEN_TRUE_S)}
