"""The static review pages: golden files, content, links, and hostile content shown as text."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from html import unescape
from pathlib import Path

from pipeline.notes import parse_note
from pipeline.render import (
    NoteSource,
    relative_href,
    review_entry,
    review_index,
    review_note_page,
    review_page_parts,
)

from .test_render_hostile import (
    HOSTILE_FLAGS,
    HOSTILE_QUOTES_PT,
    IMG,
    PAGE_TAGS,
    SCRIPT,
    YOUTUBE,
    Tags,
    hostile_alignment,
    hostile_note,
    hostile_translation,
)
from .test_render_markdown import UNTRANSLATED, golden
from .test_render_sample import (
    FLAGS,
    PROVENANCE,
    QUOTE_PT,
    sample_alignment,
    sample_note,
    sample_translation,
)

SOURCE = NoteSource("vault", "bonus_professor/kherson.md",
                    "file:///home/ana/vault/bonus_professor/kherson.md")


def sample_page(**kw: object) -> str:
    note = sample_note()
    args: dict = dict(note=note, translated=sample_translation(note),
                      alignment=sample_alignment(note), quote_translations=QUOTE_PT, terms=None,
                      flags=FLAGS, provenance=PROVENANCE)
    args.update(kw)
    return review_note_page(**args)


def sample_index() -> str:
    note = sample_note()
    page = "/".join(review_page_parts("pt", note.channel, note.slug))
    entry = review_entry(note, sample_translation(note), sample_alignment(note),
                         relative_href("index.html", page), flags=FLAGS, source=SOURCE,
                         reviewed=(1, 6, 1))
    other = review_entry(note, None, None, relative_href("index.html", "ru/x/y.html"), lang="ru")
    return review_index([entry, replace(other, counts={"ok": 8})],
                        [("notes/bad.md", "front matter is not valid YAML (line 3)")], PROVENANCE)


def parsed(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    tags.close()
    return tags


def rows(page: str) -> dict[str, str]:
    """Each block row's class attribute, keyed by the start of its source text."""
    out = {}
    for m in re.finditer(r'<section class="([^"]*)" id="b\d+">(?:<div class="where">.*?</div>)?'
                         r'<div class="pair"><div class="src"'
                         r'[^>]*>(.*?)</div><div class="tgt"', page):
        text = re.sub(r"<[^>]+>", " ", m.group(2))
        text = " ".join(text.split())
        out[unescape(text)[:20]] = m.group(1)
    return out


# --------------------------------------------------------------------------- golden


def test_golden_review_page() -> None:
    golden("kherson.pt.html", sample_page(source=SOURCE, reviewed=(1, 6, 1)))


def test_golden_review_page_says_what_is_not_translated() -> None:
    page = sample_page(provenance=UNTRANSLATED)
    golden("kherson.untranslated.pt.html", page)
    assert page.count("not translated into PT</span>") == 1  # [00:05:52]


def test_golden_review_index() -> None:
    golden("index.html", sample_index())


# --------------------------------------------------------------------------- content


def test_page_shows_blocks_side_by_side_with_claims_and_quotes() -> None:
    page = sample_page()
    text = unescape("".join(parsed(page).text))
    assert "Russian troop withdrawal from Kherson" in text
    assert "Retirada das tropas russas de Kherson" in text
    assert "A retirada de Kherson é o principal acontecimento da semana" in text
    # quote (transcript language) and its translation, with the link to the moment
    assert '<span class="orig" lang="ru">«Главное событие недели — это отход из Херсона.»' in page
    assert "«O principal acontecimento da semana é a retirada de Kherson.»" in page
    assert 'href="https://www.youtube.com/watch?v=chIqmlJA2i0&amp;t=81s"' in page
    # repaired: the link goes to the resolved time, the written one is shown
    assert 'href="https://www.youtube.com/watch?v=chIqmlJA2i0&amp;t=379s"' in page
    assert "00:06:00 ↻</a> → 00:06:19" in page
    # suspect: the reason and where the transcript supports the claim
    assert "the words at 00:02:12 do not support the claim · supported at" in text
    # out of range: no link at all for it
    assert "t=99" not in page and '<span class="ts s-out_of_range"' in page
    for status, n in {"ok": 5, "repaired": 1, "suspect": 1, "out of range": 1}.items():
        assert f"{n} {status}</span>" in page
    assert "1 subtitle cues too fast" in text and "23.4 chars/s (limit 20)" in text


def test_only_problem_rows_carry_the_problem_class() -> None:
    r = rows(sample_page())
    assert "problem" in r["The withdrawal from "]  # a suspect citation
    assert "problem" in r["• The front line mov"]  # repaired, and a missing term
    assert "problem" in r["The speaker predicts"]  # out of range
    assert "problem" not in r["• Mobilization : a s"]
    assert "problem" not in r["Military counteroffe"]
    page = sample_page()
    assert '<input type="checkbox" id="only-problems">' in page
    assert "body:has(#only-problems:checked) .row:not(.problem)" in page


def test_glossary_terms_highlighted_and_missing_flagged() -> None:
    page = sample_page()
    assert re.search(r'<mark class="term" title="glossary: counteroffensive → contraofensiva">'
                     r"counteroffensive</mark>", page)
    assert re.search(r'<mark class="term"[^>]*>Contraofensiva</mark>', page)
    assert re.search(r'<mark class="term" [^>]*>Mobilização</mark>', page)
    # the source term whose rendering is missing from this block's translation
    assert re.search(r'<mark class="term missing" [^>]*>front line</mark>', page)
    assert "missing from the translation: front line" in page
    assert '<span class="term-chip missing"' in page


def test_page_without_translation_or_alignment() -> None:
    note = sample_note()
    page = review_note_page(note, None, None, {}, lang="ru")
    assert page.count("no translation") >= 5
    assert "not checked" in page and 'lang="ru"' in page
    assert 'href="https://www.youtube.com/watch?v=chIqmlJA2i0&amp;t=81s"' in page


def test_index_counts_and_failures() -> None:
    page = sample_index()
    text = unescape("".join(parsed(page).text))
    assert 'href="pt/bonus_professor/kherson.html"' in page
    assert "front matter is not valid YAML (line 3)" in text
    assert "1 failed" in text and "13 ok" in text
    assert "no model" in text
    assert page.count('<tr class="note problem">') == 2  # suspect etc.; no translation


def test_page_paths_and_relative_links() -> None:
    assert review_page_parts("pt", "bonus_professor", "kherson") == (
        "pt", "bonus_professor", "kherson.html")
    lang, channel, name = review_page_parts("pt", "../..", "a/b#c?")
    assert "/" not in channel + name and not channel.startswith(".") and name.endswith(".html")
    assert review_page_parts("pt", "", "n") == ("pt", "n.html")  # a note at the vault's root
    assert relative_href("index.html", "pt/ch/n.html") == "pt/ch/n.html"
    assert relative_href("pt/ch/n.html", "index.html") == "../../index.html"
    assert relative_href("pt/ch/n.html", "ru/ch/n.html") == "../../ru/ch/n.html"
    assert relative_href("index.html", "pt/c h/n#1.html") == "pt/c%20h/n%231.html"


def test_content_security_policy_allows_only_the_page_script() -> None:
    page = sample_page()
    tags = parsed(page)
    assert len(tags.scripts) == 1
    digest = base64.b64encode(hashlib.sha256(tags.scripts[0].encode()).digest()).decode()
    csp = next(a["content"] for t, a in tags.tags
               if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert f"script-src 'sha256-{digest}'" in (csp or "")
    assert "default-src 'none'" in (csp or "")


# --------------------------------------------------------------------------- hostile content


def hostile_pages() -> dict[str, str]:
    note = hostile_note()
    tr = hostile_translation(note)
    al = hostile_alignment(note)
    page = review_note_page(note, tr, al, HOSTILE_QUOTES_PT, None, HOSTILE_FLAGS,
                            provenance={"version": SCRIPT})
    entry = review_entry(note, tr, al, relative_href("index.html", "/".join(
        review_page_parts("pt", note.channel, note.slug))), flags=HOSTILE_FLAGS)
    index = review_index([entry], [(SCRIPT, IMG)], {"x": SCRIPT})
    return {"page": page, "index": index}


def test_hostile_content_is_text() -> None:
    for name, page in hostile_pages().items():
        tags = parsed(page)
        assert {t for t, _ in tags.tags} <= PAGE_TAGS, name
        assert len(tags.scripts) == 1 and "pwned" not in tags.scripts[0], name
        for tag, attrs in tags.tags:
            assert not any(k.startswith("on") for k in attrs), (name, tag, attrs)
            href = attrs.get("href")
            if href is not None:  # a video link built by the code, or a page-relative link
                assert YOUTUBE.fullmatch(href) or re.fullmatch(r"[\w./%-]+\.html", href), href
            for value in attrs.values():
                assert "javascript:" not in (value or "").lower(), (name, tag, attrs)
        text = "".join(tags.text)
        assert SCRIPT in text and IMG in text, name
    page = hostile_pages()["page"]
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page
    assert "[click](javascript:alert(1))" in unescape(page)  # shown, never a link
    # a markdown link to a video is a link, rebuilt from its id; any other is its text
    assert '<a class="mdlink" href="https://www.youtube.com/watch?v=chIqmlJA2i0" ' in page
    assert '<span class="mdlink" title="https://evil.example/&quot;onmouseover=' in page


# --------------------------------------------------------------------------- source links


def test_note_source_links_file_line_and_obsidian(tmp_path) -> None:  # noqa: ANN001
    """Obsidian names a vault by its folder's name and a note by its vault-relative path,
    `.md` left out, both percent-encoded (`/` as %2F, space as %20)."""
    vault = tmp_path / "My Vault"
    note = vault / "Канал" / "a b&c.md"
    note.parent.mkdir(parents=True)
    note.write_text("x\n", encoding="utf-8")
    src = NoteSource.of(note, vault)
    assert src is not None
    assert src.vault == "My Vault" and src.path == "Канал/a b&c.md"
    assert src.obsidian == ("obsidian://open?vault=My%20Vault&file="
                            "%D0%9A%D0%B0%D0%BD%D0%B0%D0%BB%2Fa%20b%26c")
    assert src.file_url == note.resolve().as_uri() and "%20" in src.file_url
    assert NoteSource.of(note, note) == NoteSource("Канал", "a b&c.md", src.file_url)
    assert NoteSource.of(tmp_path / "elsewhere.md", vault) is None


def test_page_links_each_block_to_its_line_and_obsidian() -> None:
    note = sample_note()
    page = sample_page(source=SOURCE, reviewed=(1, 6, 1))
    shown = [b for b in note.blocks if b.kind not in ("front_matter", "blank")]
    wheres = re.findall(r'<div class="where"><a class="srcfile" href="([^"]+)"[^>]*>([^<]+)</a>'
                        r' · <a class="obsidian" href="([^"]+)"', page)
    assert [w[1] for w in wheres] == [f"bonus_professor/kherson.md:{b.line}" for b in shown]
    assert {w[0] for w in wheres} == {SOURCE.file_url}
    assert {unescape(w[2]) for w in wheres} == {
        "obsidian://open?vault=vault&file=bonus_professor%2Fkherson"}
    assert "Open in Obsidian ↗" in page
    assert "1 blocks approved" in page and "6 machine-only" in page
    assert "1 to review again" in page and "2 open citations" in page
    assert 'class="where"' not in sample_page()  # no source given: no links
    index = sample_index()
    assert 'href="obsidian://open?vault=vault&amp;file=bonus_professor%2Fkherson"' in index
    assert '<td class="n decided">0 / 0 / 2</td>' in index


def test_a_page_of_no_video_counts_no_citations() -> None:
    """An index page (no videoId, no citations): no citation chips, no YouTube link; its
    markdown links to videos are links."""
    text = ("---\ntitle: bonus_professor\n---\n"
            "### [Путин мертв.](https://www.youtube.com/watch?v=eW_KlByc5Yc)\n"
            "- [[rumors | Rumors of his death]]\n")
    note = parse_note(text, Path("vault/bonus_professor/bonus_professor.md"))
    tr = replace(sample_translation(note), blocks=tuple(b.text for b in note.blocks))
    page = review_note_page(note=note, translated=tr, alignment=None, quote_translations={},
                            terms=None, flags=(), provenance=PROVENANCE)
    assert "0 no transcript" not in page and "0 suspect" not in page
    assert "Watch on YouTube" not in page
    assert '<a class="mdlink" href="https://www.youtube.com/watch?v=eW_KlByc5Yc" ' in page


def test_a_note_without_a_transcript_says_so_once_not_at_every_citation() -> None:
    from pipeline.align import align_note

    note = sample_note()
    n = len(note.citations)
    page = review_note_page(note, sample_translation(note), align_note(note, None), {},
                            lang="pt")
    text = unescape(re.sub(r"<[^>]+>", " ", page))
    assert text.count("o transcript could be had for the video") == 1
    assert f"video: none of the note's {n} citations could be checked" in text
    assert "no transcript text here" not in page
    assert page.count('class="cite"') == n  # each citation still there, with its time
    # one citation past the transcript's end among checked ones: said where it is
    al = sample_alignment(note)
    one = replace(al, checks=(replace(al.checks[0], status="no_transcript", reason="past it"),
                              *al.checks[1:]))
    page = review_note_page(note, sample_translation(note), one, {}, lang="pt")
    assert "could be checked" not in page and "past it" in page
