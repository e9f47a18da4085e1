"""pipeline.review: reading a reviewer's edit back block by block, and the review store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.model import TranslatedNote
from pipeline.notes import parse_note
from pipeline.render import (
    Region,
    bilingual_block_text,
    bilingual_note_regions,
    translated_block_text,
    translated_note_regions,
)
from pipeline.review import (
    Approval,
    ReviewStore,
    Unreadable,
    block_reviews,
    edited_regions,
    review_counts,
    source_hash,
)
from pipeline.vault import scan_vault

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "vault"
OLD = "---\ntitle: x\n---\n\n# Head\n\n> [!translation] PT\n> first line\n> second\n\nend\n"


def regions(text: str, *parts: str) -> list[Region]:
    return [Region(i, text.index(p), text.index(p) + len(p)) for i, p in enumerate(parts)]


def test_edit_inside_one_region_is_read_back() -> None:
    regs = regions(OLD, "first line\n> second", "end")
    new = OLD.replace("first line", "primeira linha").replace("end", "fim")
    assert edited_regions(OLD, new, regs) == {0: "primeira linha\n> second", 1: "fim"}
    assert edited_regions(OLD, OLD, regs) == {}


def test_edit_outside_the_regions_is_unreadable() -> None:
    regs = regions(OLD, "first line\n> second")
    with pytest.raises(Unreadable, match="line 5"):
        edited_regions(OLD, OLD.replace("# Head", "# Cabeça"), regs)
    with pytest.raises(Unreadable):  # the callout's title
        edited_regions(OLD, OLD.replace("[!translation] PT", "[!note] PT"), regs)


@given(st.text(alphabet="abc xyz\n>", max_size=30), st.integers(0, 40), st.integers(0, 40))
def test_any_edit_within_a_region_comes_back_whole(put: str, a: int, b: int) -> None:
    text = "fixed head\n" + "the region text, some words\n" + "fixed tail\n"
    reg = Region(7, text.index("the region"), text.index("\nfixed tail"))
    body = text[reg.start:reg.end]
    lo, hi = sorted((min(a, len(body)), min(b, len(body))))
    edited_body = body[:lo] + put + body[hi:]
    new = text[:reg.start] + edited_body + text[reg.end:]
    got = edited_regions(text, new, [reg])
    assert got.get(7, body) == edited_body


def approval(note: str, block: int, source: str, text: str, glossary: str = "g",
             at: str = "2026-01-01T00:00:00+00:00") -> Approval:
    return Approval("translation", note, block, "pt", source_hash(source), source, text,
                    glossary, "ana", at, "notes/pt/a.md")


def test_store_keeps_every_entry_latest_wins_and_says_what_it_cannot_read(
        tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / ".interlinear" / "review.jsonl")
    store.add([approval("a.md", 1, "Hello.", "Olá.")])
    store.add([approval("a.md", 1, "Hello.", "Oi.", at="2026-01-02T00:00:00+00:00")])
    with open(store.path, "a", encoding="utf-8") as f:
        f.write("{not json\n")
    lines = store.path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["text"] == "Olá." and json.loads(lines[0])["reviewer"] == "ana"
    found = store.load()
    assert found.by_source[("pt", source_hash("Hello."))].text == "Oi."
    assert len(found.entries) == 2 and "review.jsonl:3" in store.warnings[0]


def test_block_reviews_approved_review_again_and_stale(tmp_path: Path) -> None:
    text = "---\ntitle: T\n---\n\nHello there.\n\nSecond block.\n\nThird block.\n"
    note = parse_note(text, tmp_path / "a.md", "")
    idx = [i for i, b in enumerate(note.blocks) if b.kind == "paragraph"]
    approvals_store = ReviewStore(tmp_path / "r.jsonl")
    approvals_store.add([
        approval("a.md", idx[0], note.blocks[idx[0]].text, "Olá.\n", glossary="g1"),
        approval("a.md", idx[1], note.blocks[idx[1]].text, "Segundo.\n", glossary="g1"),
        approval("a.md", idx[2], "Third block, as it was.\n", "Terceiro.\n")])
    keys = {note.blocks[idx[0]].text: "g1", note.blocks[idx[1]].text: "g2",
            note.blocks[idx[2]].text: "g1"}
    asked: list[str] = []
    found = block_reviews(note, "a.md", "pt", approvals_store.load(),
                          lambda text: asked.append(text) or keys[text])
    assert found[idx[0]].status == "approved" and found[idx[0]].text == "Olá.\n"
    assert found[idx[1]].status == "review_again" and found[idx[1]].text == "Segundo.\n"
    assert found[idx[2]].status == "stale" and found[idx[2]].text == "Terceiro.\n"
    assert review_counts(note, found) == {"approved": 1, "machine": 0, "review_again": 2}
    assert asked == [note.blocks[idx[0]].text, note.blocks[idx[1]].text]  # approved ones only
    assert block_reviews(note, "a.md", "ru", approvals_store.load(), keys.__getitem__) == {}


def test_every_region_of_the_example_notes_reads_back_as_its_block() -> None:
    """Unchanged, each block's translation region in the bilingual and the translated note
    reads back as the block's text (lines' trailing blanks and a list item's line breaks
    aside), citation links turned back into anchors."""
    def norm(text: str) -> str:
        return " ".join(text.split())

    for note in scan_vault(EXAMPLES).notes:
        tr = TranslatedNote(note, "pt", tuple(b.text for b in note.blocks), note.title,
                            "none", "none", "0")
        text, regions = bilingual_note_regions(note, tr, None, {}, {"signature": "x"})
        assert {r.block for r in regions} == {
            i for i, b in enumerate(note.blocks)
            if b.kind not in ("front_matter", "blank", "code", "rule")}
        for r in regions:
            got = bilingual_block_text(note, tr, None, {}, r.block, text[r.start:r.end])
            assert got is not None and norm(got) == norm(tr.blocks[r.block]), r
        text, regions = translated_note_regions(tr, {"signature": "x"})
        for r in regions:
            got = translated_block_text(tr, r.block, text[r.start:r.end])
            assert norm(got) == norm(tr.blocks[r.block]), r
