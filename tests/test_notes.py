from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import InterlinearError, NoteError
from pipeline.notes import check_video_id, discover_notes, load_note, parse_note, problems

from .conftest import CORPUS, SEEDS, examples

A = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'
NOTE = f"""---
title: Kherson
videoId: chIqmlJA2i0
---

From: [[bonus_professor]] <br/>{" "}

The withdrawal from Kherson is the main event {A.format("00:01:21")}. The initiative passed \
to Ukraine {A.format("00:02:10")}, {A.format("00:02:12")}.

## Broader [[Russia Ukraine Conflict | Russia-Ukraine Conflict]]

*   **Crimea:** a special status for seven years {A.format("00:05:52")}.
    Continued line.
*   An anchor alone follows.
{A.format("00:06:00")}

{A.format("00:07:00")}
"""


def test_structure_of_a_note() -> None:
    note = parse_note(NOTE, Path("vault/bonus_professor/kherson.md"))
    assert note.render() == NOTE
    assert (note.title, note.video_id, note.channel, note.slug) == (
        "Kherson", "chIqmlJA2i0", "bonus_professor", "kherson")
    kinds = [b.kind for b in note.blocks]
    assert kinds[0] == "front_matter" and "heading" in kinds and kinds.count("list_item") == 2
    texts = [c.text for c in note.claims]
    assert texts[0] == "The withdrawal from Kherson is the main event"
    assert texts[1] == "The initiative passed to Ukraine"
    assert [c.written for c in note.claims[1].citations] == ["00:02:10", "00:02:12"]
    assert texts[2] == "Crimea: a special status for seven years"
    # the lone anchors belong to the claim before them
    assert texts[3] == "An anchor alone follows."
    assert [c.written for c in note.claims[3].citations] == ["00:06:00", "00:07:00"]
    assert [c.index for c in note.citations] == list(range(6))
    assert note.citations[0].ms == 81_000 and note.citations[0].line == 8
    assert note.blocks[note.claims[2].block].kind == "list_item"
    links = [link for b in note.blocks for link in b.links]
    assert [(link.target, link.label) for link in links] == [
        ("bonus_professor", None), ("Russia Ukraine Conflict", "Russia-Ukraine Conflict")]


def test_display_math_over_lines_is_kept_as_code_is() -> None:
    """`$$` opening a formula over several lines (3blue1brown's matrix notes) is one block
    kept as written: translated line by line, `\\times` came back "-times" and
    `\\begin{pmatrix}` "-begin-pmatrix". `$$ ... $$` within a line stays inline, with the
    citation after it."""
    text = (f"---\ntitle: M\nvideoId: chIqmlJA2i0\n---\n\nThe product is {A.format('00:05:18')}:\n"
            "$$\n\\begin{pmatrix} (-1 \\times 2) \\\\ 1 \\end{pmatrix}\n$$\n\n"
            f"$$ E = mc^2 $$ {A.format('00:06:00')}\n")
    note = parse_note(text, Path("v/3blue1brown/m.md"))
    assert note.render() == text
    assert [(b.kind, b.text.count("\n")) for b in note.blocks[1:]] == [
        ("blank", 1), ("paragraph", 1), ("code", 3), ("blank", 1), ("paragraph", 1)]
    assert [c.written for c in note.citations] == ["00:05:18", "00:06:00"]
    unclosed = parse_note("A line.\n$$\nx = 1\n", Path("v/c/u.md"))
    assert [b.kind for b in unclosed.blocks] == ["paragraph", "code"]


def test_anchor_before_any_claim_makes_an_empty_claim() -> None:
    note = parse_note(f"---\ntitle: t\n---\n{A.format('00:00:05')}\n", Path("c/n.md"))
    assert [(c.text, len(c.citations)) for c in note.claims] == [("", 1)]


def test_problems_name_file_and_line() -> None:
    text = ("---\ntitle: t\nvideoId: chIqmlJA2i0\n---\nA claim " + A.format("1:2")
            + "\nB <a class=\"yt-timestamp\" data-t=\"00:01:00\"></a>\n")
    found = problems(parse_note(text, Path("c/n.md")))
    assert sorted((p.line, "not a time" in p.message) for p in found) == [(5, False), (6, False)]
    assert all(str(p).startswith("c/n.md:") for p in found)


@pytest.mark.parametrize("front, message", [
    ("", "no front matter"),
    ("---\ntitle: [unclosed\n---\n", "not valid YAML"),
    ("---\n!!python/object/apply:os.system ['echo pwned']\n---\n", "not valid YAML"),
    ("---\n- a\n- b\n---\n", "must be a mapping"),
    ("---\njust a string\n---\n", "must be a mapping"),
])
def test_unusable_front_matter(tmp_path: Path, front: str, message: str) -> None:
    p = tmp_path / "ch" / "n.md"
    p.parent.mkdir()
    p.write_text(front + "Body\n", encoding="utf-8")
    with pytest.raises(NoteError, match=message) as exc:
        load_note(p)
    assert str(p) in str(exc.value)


@pytest.mark.parametrize("vid, message", [
    (None, "no videoId"), ("''", "empty"), ("../../etc/passwd", "not 11 characters"),
    ("a/b", "not 11 characters"), ("x" * 2000, "not 11 characters"),
])
def test_bad_video_ids(vid: str | None, message: str) -> None:
    front = "---\ntitle: t\n" + (f"videoId: {vid}\n" if vid is not None else "") + "---\nx\n"
    with pytest.raises(NoteError, match=message):
        check_video_id(parse_note(front, Path("c/n.md")))


def test_bad_files(tmp_path: Path) -> None:
    (tmp_path / "latin1.md").write_bytes("---\ntitle: é\n---\n".encode("latin-1"))
    (tmp_path / "nul.md").write_bytes(b"---\ntitle: t\n---\n\x00")
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "big.md").write_bytes(b"---\ntitle: t\n---\n" + b"x" * 2000)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.md"
    outside.write_text("---\ntitle: t\n---\n")
    (tmp_path / "link.md").symlink_to(outside)
    expected = {"latin1.md": "not UTF-8", "nul.md": "NUL", "empty.md": "empty",
                "big.md": "over the 1000-byte limit", "link.md": "outside the vault"}
    for name, message in expected.items():
        with pytest.raises(NoteError, match=message):
            load_note(tmp_path / name, tmp_path, max_bytes=1000)


def test_discover_skips_hidden(tmp_path: Path) -> None:
    for rel in ("a/x.md", ".obsidian/y.md", "b/.trash/z.md", "b/w.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in discover_notes(tmp_path)] == ["a/x.md"]


def _real_notes() -> list[Path]:
    paths = sorted((CORPUS / "notes").rglob("*.md")) + sorted(SEEDS.glob("*.md"))
    return paths


@pytest.mark.corpus
def test_every_real_note_round_trips(corpus: Path, seeds: Path) -> None:
    strict = re.compile(r'<a class="yt-timestamp" data-t="([^"]*)">\[[^\]]*\]</a>')
    paths = _real_notes()
    assert len(paths) >= 461 + 2
    for p in paths:
        text = p.read_text(encoding="utf-8")
        note = parse_note(text, p)
        assert note.render() == text, p
        written = [c.written for c in note.citations]
        assert written == strict.findall(text), p
        assert [c.written for cl in note.claims for c in cl.citations] == written, p


_frag = st.sampled_from([
    "---\n", "title: x\n", "videoId: abc\n", "\n", "## h ", "*   ", "1. ", "| a | b |\n", "> q\n",
    "```\n", "$$\n", "$$ x $$", "[[t | l]]", "[[t]]", "**b**", A.format("00:01:02"),
    A.format("1:2"), ", ", ". ", '<a class="yt-timestamp" data-t="x"></a>', "<br/>", "\r\n",
    "text", "é", "\t",
])


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.one_of(_frag, st.text(max_size=8)), max_size=30))
def test_parser_never_crashes_and_round_trips(parts: list[str]) -> None:
    text = "".join(parts)
    try:
        note = parse_note(text, Path("c/n.md"))
    except InterlinearError:
        return
    assert note.render() == text
    assert sum(len(c.citations) for c in note.claims) == len(note.citations)
    problems(note)
