"""Bilingual and translated notes: golden files, structure kept, nothing live from the note."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import InterlinearError, OutputError
from pipeline.model import TranslatedNote
from pipeline.notes import discover_notes, load_note
from pipeline.render import (
    UNTRANSLATED_QUOTES,
    UNTRANSLATED_TRACK,
    bilingual_note,
    translated_note,
)
from pipeline.render.common import escape_tags, md_text

from .conftest import SHARED, examples
from .test_render_hostile import (
    HOSTILE_QUOTES_PT,
    hostile_alignment,
    hostile_note,
    hostile_translation,
)
from .test_render_sample import (
    PROVENANCE,
    QUOTE_PT,
    SOURCE,
    sample_alignment,
    sample_note,
    sample_translation,
)

GOLDEN = Path(__file__).parent / "golden" / "render"
TOOLS = SHARED / "tools"

# The checks of /work/shared/tools/check_translation.py, on one pair of texts.
ANCH = re.compile(r'data-t="([^"]+)"')
LINK = re.compile(r"\[\[([^|\]]+)")
HEAD = re.compile(r"^(#+)\s", re.M)
LIST = re.compile(r"^\s*(?:[*+-]|\d+\.)\s", re.M)
# Tags a markdown output may contain: timestamp anchors, line breaks, super/subscripts.
ALLOWED_TAG = re.compile(
    r'<(?:a class="yt-timestamp" data-t="[^"<>]*">(?:\[[^\]<>\n]*\]|[^\[\]<>\n]*)</a>'
    r'|br\s*/?>|/?su[pb]>)', re.I
)

BARE = re.compile(r'<a class="yt-timestamp" data-t="[^"<>]*">[^\[\]<>\n]*</a>')


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/render/NAME; UPDATE_GOLDEN=1 rewrites the file."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_GOLDEN=1 to accept)"


def body(text: str) -> str:
    return text.split("\n---", 1)[-1]


def structure(text: str) -> tuple[list[str], list[str], list[str], int]:
    b = body(text)
    return ANCH.findall(b), sorted(LINK.findall(b)), HEAD.findall(b), len(LIST.findall(b))


def front(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:].split("\n---\n", 1)[0])


def live_tags(text: str) -> list[str]:
    """Every `<` that opens a tag in `text` outside code spans, other than the allowed ones."""
    # a code span stands in the text as a space: `<` before one opens no tag
    text = re.sub(r"(`+)(?:.+?)(?<!`)\1(?!`)", " ", text, flags=re.S)
    out, pos = [], 0
    while (m := re.compile(r"<(?=[A-Za-z/!?])").search(text, pos)) is not None:
        allowed = ALLOWED_TAG.match(text, m.start())
        if allowed is None:
            out.append(text[m.start():m.start() + 40])
        pos = allowed.end() if allowed else m.end()
    return out


# --------------------------------------------------------------------------- golden


def test_golden_translated_note() -> None:
    note = sample_note()
    golden("kherson.pt.md", translated_note(sample_translation(note), PROVENANCE))


def test_golden_bilingual_note() -> None:
    note = sample_note()
    text = bilingual_note(note, sample_translation(note), sample_alignment(note), QUOTE_PT,
                          PROVENANCE)
    golden("kherson.bilingual.pt.md", text)


# A quote the engine failed on, and no model for the transcript track (said in the outputs)
UNTRANSLATED = {**PROVENANCE,
                UNTRANSLATED_QUOTES: "quotes at [00:05:52] not translated: the output repeats "
                                     "itself (a suspect translation)",
                UNTRANSLATED_TRACK: "no translation model for ru->pt, directly or through en "
                                    "(ru->en->pt): install `interlinear models install ru en`"}


def test_golden_bilingual_note_says_what_is_not_translated() -> None:
    note = sample_note()
    text = bilingual_note(note, sample_translation(note), sample_alignment(note), QUOTE_PT,
                          UNTRANSLATED)
    golden("kherson.untranslated.bilingual.pt.md", text)
    assert text.count("*PT: not translated (see the note's header)*") == 1  # [00:05:52]
    # the properties stay short (Obsidian's Properties panel); the header says it all
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["interlinear_untranslated_quotes"] == \
        "quotes at [00:05:52] not translated: the output repeats itself (a…"
    assert meta["interlinear_untranslated_track"] == \
        "no translation model for ru->pt, directly or through en (ru->en->pt)…"
    assert "install `interlinear models install ru en`" in text.split("---\n", 2)[2] \
        .replace("\\`", "`")


# --------------------------------------------------------------------------- translated note


def test_translated_note_keeps_structure_and_front_matter() -> None:
    note = sample_note()
    out = translated_note(sample_translation(note), PROVENANCE)
    assert structure(out) == structure(SOURCE)
    meta = front(out)
    assert meta["title"] == "Retirada das tropas russas de Kherson"
    assert meta["original_title"] == "Russian troop withdrawal from Kherson"
    assert (meta["videoId"], meta["lang"], meta["tags"]) == ("chIqmlJA2i0", "pt", ["war"])
    assert meta["aliases"] == ["Retirada das tropas russas de Kherson"]
    assert meta["source"] == "[[bonus_professor/kherson]]"
    assert '\nsource: "[[bonus_professor/kherson]]"\n' in out  # as Obsidian writes a link
    prov = {k: v for k, v in meta.items() if k.startswith("interlinear")}
    assert prov == {
        "interlinear_version": "0.1.0", "interlinear_engine": "bergamot",
        "interlinear_model": "enpt.student.tiny11", "interlinear_glossary": "3f2a9c1d",
        "interlinear_alignment": "align-v1-window2",
    }
    # a run's provenance names the version, language, note and glossary too: each said
    # once; the note's path in the vault is the source link; the signature comes last
    run = {**PROVENANCE, "interlinear": "0.1.0", "lang": "pt", "glossary": "3f2a9c1d",
           "note": "a/b/kherson", "signature": "abc"}
    again = front(translated_note(sample_translation(note), run))
    assert {k: v for k, v in again.items() if k.startswith("interlinear")} == {
        **prov, "interlinear_signature": "abc"}
    assert list(again)[-1] == "interlinear_signature"
    assert again["source"] == "[[a/b/kherson]]"
    # the blocks follow each other as in the source: same blank lines between them
    assert [len(x) for x in re.findall(r"\n+", body(out))] == \
        [len(x) for x in re.findall(r"\n+", body(SOURCE))]


def test_translated_note_repairs_block_endings_and_empty_blocks() -> None:
    note = sample_note()
    tr = sample_translation(note)
    # the engine lost the newlines of one block and returned nothing for another
    blocks = list(tr.blocks)
    heading = next(i for i, b in enumerate(note.blocks) if b.kind == "heading")
    para = next(i for i, b in enumerate(note.blocks) if b.text.startswith("The speaker"))
    blocks[heading] = blocks[heading].rstrip("\n")
    blocks[para] = "  "
    out = translated_note(replace(tr, blocks=tuple(blocks)), PROVENANCE)
    assert structure(out) == structure(SOURCE)
    assert "## [[Counteroffensive | Contraofensiva]] militar\n\n*   **Mobiliza" in out
    assert note.blocks[para].text in out


def test_block_count_mismatch_is_an_output_error() -> None:
    note = sample_note()
    tr = sample_translation(note)
    bad = replace(tr, blocks=tr.blocks[:-1])
    for render in (lambda: translated_note(bad, {}),
                   lambda: bilingual_note(note, bad, None, {}, {})):
        with pytest.raises(OutputError, match="blocks"):
            render()
    assert issubclass(OutputError, InterlinearError)


@pytest.mark.parametrize("render", ["translated", "bilingual"])
def test_front_matter_is_flat_for_obsidian(render: str) -> None:
    """Every property a text, number or list of texts (what Obsidian's Properties panel
    shows), the provenance short; the note's own aliases and `source` are kept."""
    own = ("---\ntitle: Russian troop withdrawal from Kherson\nvideoId: chIqmlJA2i0\n"
           "aliases: [Kherson pull-out]\nsource: notebook p. 3\ninterlinear: {old: 1}\n"
           "interlinear_engine: stale\n---\n")
    note = sample_note(SOURCE.replace(SOURCE.split("\n---\n", 1)[0] + "\n---\n", own, 1))
    tr = replace(sample_translation(note), failures=("x",), glossary_hash="f" * 64)
    run = {**PROVENANCE, "interlinear": "0.1.0", "glossary": "f" * 64, "signature": "abc",
           "quotes": "ru->pt", "odd": {"a": [1, 2]}}
    out = (translated_note(tr, run) if render == "translated"
           else bilingual_note(note, tr, sample_alignment(note), QUOTE_PT, run))
    meta = front(out)
    for key, value in meta.items():
        assert isinstance(value, str | int | float) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)), key
        if key.startswith("interlinear"):
            assert len(str(value)) <= 64, key
    assert meta["aliases"] == ["Retirada das tropas russas de Kherson", "Kherson pull-out"]
    assert meta["original_source"] == "notebook p. 3"
    assert meta["interlinear_glossary"] == "f" * 16 and meta["interlinear_engine"] == "bergamot"
    assert meta["interlinear_untranslated_segments"] == 1
    assert meta["interlinear_odd"] == '{"a":[1,2]}' and "interlinear" not in meta


def test_source_link_only_where_obsidian_can_resolve_it() -> None:
    from pipeline.render.markdown import source_link

    note = sample_note()
    assert source_link(note, {}) == "[[bonus_professor/kherson]]"
    assert source_link(note, {"note": "x/y z/kherson"}) == "[[x/y z/kherson]]"
    assert source_link(note, {"note": "/abs/path/kherson"}) == "[[bonus_professor/kherson]]"
    assert source_link(note, {"note": "a/b#c"}) is None
    assert source_link(sample_note(path="kherson.md"), {}) == "[[kherson]]"


def test_hostile_title_cannot_break_front_matter() -> None:
    note = sample_note()
    title = "x\n---\nvideoId: evil\n<script>alert(1)</script>: [a]"
    out = translated_note(replace(sample_translation(note), title=title), {})
    meta = front(out)
    assert meta["title"] == title and meta["videoId"] == "chIqmlJA2i0"
    assert structure(out) == structure(SOURCE)


# --------------------------------------------------------------------------- bilingual note


def test_bilingual_note_links_every_citation_at_its_resolved_time() -> None:
    note = sample_note()
    al = sample_alignment(note)
    out = bilingual_note(note, sample_translation(note), al, QUOTE_PT, PROVENANCE)
    assert "yt-timestamp" not in out
    for check in al.checks:
        if check.status == "out_of_range":
            # no link to a time the video does not have: the written time shows as text
            assert "\\[99:99:99\\] ✗" in out and "t=99" not in out
            continue
        url = f"https://www.youtube.com/watch?v=chIqmlJA2i0&t={check.resolved_ms // 1000}s"
        assert f"[{check.citation.written}" in out and url in out
    assert "[00:06:00 ↻](https://www.youtube.com/watch?v=chIqmlJA2i0&t=379s" in out
    assert "[00:02:12 ⚠](https://www.youtube.com/watch?v=chIqmlJA2i0&t=132s)" in out
    # the suspect citation says where the transcript supports the claim
    assert "supported at [00:02:09](https://www.youtube.com/watch?v=chIqmlJA2i0&t=129s)" in out


def test_bilingual_note_quotes_and_structure() -> None:
    note = sample_note()
    out = bilingual_note(note, sample_translation(note), sample_alignment(note), QUOTE_PT,
                         PROVENANCE)
    b = body(out)
    # headings stay headings, one per source heading; the list stays one list
    assert HEAD.findall(b) == HEAD.findall(body(SOURCE))
    assert len(LIST.findall(b)) == len(LIST.findall(body(SOURCE)))
    assert "*   The front line" in b.split("*   **Mobilization", 1)[1].split("\n\n", 1)[0]
    # every wiki-link target of the source is there, in the source and the translation
    for target in LINK.findall(body(SOURCE)):
        assert b.count(f"[[{target}") >= 2
    # each quote in the transcript's language, then its translation, with its status
    assert "✓ ok — «Главное событие недели — это отход из Херсона.»" in b
    assert "*PT: «O principal acontecimento da semana é a retirada de Kherson.»*" in b
    assert "↻ repaired — «Линия фронта переместится к Днепру.»" in b
    assert "> [!translation] PT\n> A retirada de [[Kherson]]" in b
    meta = front(out)
    assert (meta["title"], meta["translated_title"]) == (
        "Russian troop withdrawal from Kherson", "Retirada das tropas russas de Kherson")
    assert (meta["lang"], meta["transcript_lang"], meta["videoId"]) == (
        "pt", "ru", "chIqmlJA2i0")
    assert meta["interlinear_engine"] == "bergamot"
    assert meta["aliases"] == ["Retirada das tropas russas de Kherson"]
    assert meta["source"] == "[[bonus_professor/kherson]]"


def test_bilingual_note_without_alignment_links_written_times() -> None:
    note = sample_note()
    out = bilingual_note(note, sample_translation(note), None, {}, {})
    assert "[00:01:21](https://www.youtube.com/watch?v=chIqmlJA2i0&t=81s)" in out
    assert "not checked" in out and "transcript_lang" not in out


def test_bilingual_note_with_bad_video_id_has_no_links() -> None:
    text = SOURCE.replace("videoId: chIqmlJA2i0", 'videoId: "javascript:alert(1)//"')
    note = sample_note(text)
    out = bilingual_note(note, sample_translation(note), None, {}, {})
    assert "](" not in body(out) and "youtube" not in out


# --------------------------------------------------------------------------- hostile content


def test_hostile_note_renders_nothing_live() -> None:
    note = hostile_note()
    tr = hostile_translation(note)
    outputs = {
        "bilingual": bilingual_note(note, tr, hostile_alignment(note), HOSTILE_QUOTES_PT, {}),
        "translated": translated_note(tr, {}),
    }
    for name, out in outputs.items():
        b = body(out)
        assert live_tags(b) == [], name
        assert "onclick" not in b, name  # the anchor is rewritten with class and data-t only
        # markdown link targets: only http(s), never javascript:
        targets = re.findall(r"\]\(([^)\s]*)", b)
        assert all(t.startswith("https://") for t in targets), (name, targets)
        assert "https://evil.example/" in " ".join(targets)  # the note's own link, as written
        assert "&lt;script>document.title='pwned'&lt;/script>" in b, name
    # the anchors keep their times (data-t) though their extra attributes are dropped
    assert structure(outputs["translated"])[0] == structure(note.render())[0]


@settings(max_examples=examples(300), deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/!?`[]()a bcdefimgsrt=\"':\n")), max_size=80))
def test_escape_tags_leaves_no_live_tag(text: str) -> None:
    out = escape_tags(text)
    assert live_tags(out) == []
    # nothing else changes: only `<` escaped and link targets defused with a backslash
    assert re.sub(r"\\(?=[\[(])", "", out.replace("&lt;", "<")) == text


def test_a_timestamp_anchor_without_brackets_is_kept_as_the_note_has_it() -> None:
    """`<a class="yt-timestamp" data-t="00:07:04">00:07:04</a>` (181 in the corpus's
    notes) was shown as tag text in the translations; the same with anything more is."""
    bare = '<a class="yt-timestamp" data-t="00:07:04">00:07:04</a>'
    assert escape_tags(f'Select "Spot Wallet" {bare}.') == f'Select "Spot Wallet" {bare}.'
    for hostile in ('<a class="yt-timestamp" data-t="1" onclick="x">1</a>',
                    '<a class="yt-timestamp" data-t="1"><img src=x onerror=alert(1)></a>',
                    '<a data-t="1" class="yt-timestamp">1</a>'):
        assert escape_tags(hostile).startswith("&lt;a "), hostile
        assert live_tags(escape_tags(hostile)) == []


@given(st.text(max_size=60))
def test_md_text_is_inert_and_on_one_line(text: str) -> None:
    out = md_text(text)
    assert "\n" not in out and "<" not in out and ">" not in out
    assert not re.search(r"(?<!\\)[\[\]`*_]", out)


# --------------------------------------------------------------------------- real notes


def identity(note) -> TranslatedNote:  # type: ignore[no-untyped-def]
    return TranslatedNote(note=note, lang="pt", blocks=tuple(b.text for b in note.blocks),
                          title=note.title, engine="identity", model="-", glossary_hash="-")


@pytest.mark.corpus
def test_corpus_notes_keep_structure(tmp_path: Path, corpus: Path) -> None:
    """Every real note, 'translated' as itself, passes check_translation's structure test."""
    notes_dir = corpus / "notes"
    paths = discover_notes(notes_dir)
    assert len(paths) > 400
    for path in paths:
        note = load_note(path, notes_dir)
        tr = identity(note)
        out = translated_note(tr, PROVENANCE)
        rel = path.relative_to(notes_dir)
        dest = tmp_path / "out" / "notes" / "pt" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(out, encoding="utf-8")
        assert structure(out) == structure(note.render()), rel
        bi = bilingual_note(note, tr, None, {}, PROVENANCE)
        assert HEAD.findall(body(bi)) == HEAD.findall(body(note.render())), rel
        # anchors are links there, but those without brackets, kept as the note has them
        assert "<a " not in BARE.sub("", bi) and live_tags(body(bi)) == [], rel
    tool = TOOLS / "check_translation.py"
    if not tool.exists():
        pytest.skip(f"{tool} not present")
    (tmp_path / "glossary").mkdir()
    (tmp_path / "glossary" / "g.csv").write_text("en,pt\n", encoding="utf-8")
    res = subprocess.run([sys.executable, str(tool), str(notes_dir), str(tmp_path / "out"), "pt",
                          str(tmp_path / "glossary")], capture_output=True, text=True, check=False)
    assert f"notes {len(paths)}/{len(paths)} translated, structure kept 100.0%" in res.stdout, \
        res.stdout + res.stderr
