"""Vault lines (`glossary/vault-lines.txt`): metadata lines kept as written in translations."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import ConfigError
from pipeline.glossary import Glossary
from pipeline.glossary.lines import DEFAULT, FILE_NAME, VaultLines
from pipeline.model import Block
from pipeline.notes import parse_note
from pipeline.translate.kept import plan_block
from pipeline.translate.note import translate_notes

from .test_translate_note import FnEngine

PROJECT_GLOSSARY = Path(__file__).resolve().parents[1] / "glossary"
NOTE = f"""---
title: Kherson
videoId: chIqmlJA2i0
---

From: [[bonus_professor]] <br/>{' '}

The troops left Kherson.
Tags: war
From: [[x]]
"""


def test_patterns_match_whole_lines_with_wildcards() -> None:
    lines = VaultLines.parse("# comment\n\nFrom: [[*]]*\n  Tags: *  \n")
    assert lines.patterns == ("From: [[*]]*", "Tags: *")
    assert lines.kept("From: [[bonus_professor]] <br/> \n")
    assert lines.kept("  From: [[a | b]]")
    assert lines.kept("Tags: war, peace")
    assert not lines.kept("from: [[a]]")  # case-sensitive
    assert not lines.kept("Seen From: [[a]]")  # the whole line
    assert not lines.kept("From: nowhere")  # `[[` is literal, not a character class
    assert not lines.kept("   \n")  # an empty line is never "kept" (nothing to keep)
    assert VaultLines.parse("a.b\n").kept("a.b") and not VaultLines.parse("a.b").kept("axb")


def test_load_default_empty_and_unreadable(tmp_path: Path) -> None:
    assert VaultLines.load(tmp_path).patterns == DEFAULT  # no file: the default
    (tmp_path / FILE_NAME).write_text("# nothing kept: every line translated\n")
    assert VaultLines.load(tmp_path).patterns == ()
    assert Glossary.load(tmp_path).lines.patterns == ()
    (tmp_path / FILE_NAME).write_bytes(b"\xff\xfe bad")
    with pytest.raises(ConfigError, match=FILE_NAME):
        VaultLines.load(tmp_path)
    # the project's own file says what the default says
    assert VaultLines.load(PROJECT_GLOSSARY).patterns == DEFAULT
    assert Glossary.load(PROJECT_GLOSSARY).for_lang("pt").lines.patterns == DEFAULT


@given(st.text(alphabet="From:[] ab*\n\r", max_size=60),
       st.lists(st.text(alphabet="From:[] a*", max_size=8), max_size=3))
def test_runs_concatenate_to_the_text(text: str, patterns: list[str]) -> None:
    lines = VaultLines(tuple(patterns))
    runs = lines.runs(text)
    assert "".join(t for t, _ in runs) == text
    assert all(a[1] != b[1] for a, b in zip(runs, runs[1:], strict=False))
    for chunk, kept in runs:
        assert all(lines.kept(line) == kept for line in chunk.splitlines(keepends=True))


def test_plan_block_keeps_matching_lines_verbatim() -> None:
    block = Block("paragraph", "The troops left.\nFrom: [[x]] <br/>\nThey came back.\n", 1)
    template = plan_block(block, 10_000, VaultLines())
    assert [u.original for u in template.units] == ["The troops left.", "They came back."]
    assert template.render(["A.", "B."]) == "A.\nFrom: [[x]] <br/>\nB.\n"
    assert template.original() == block.text
    assert len(plan_block(block, 10_000, VaultLines(())).units) == 3
    assert plan_block(block, 10, VaultLines()).units == ()  # too long: verbatim


def test_translated_note_keeps_vault_lines_unless_configured() -> None:
    note = parse_note(NOTE, Path("v/bonus_professor/k.md"))
    engine = FnEngine(str.upper)
    (tn,) = translate_notes([note], "pt", engine, Glossary([]))
    text = "".join(tn.blocks)
    assert "\nFrom: [[bonus_professor]] <br/> \n" in text
    assert "THE TROOPS LEFT KHERSON.\nTags: war\nFrom: [[x]]\n" not in text
    assert "THE TROOPS LEFT KHERSON.\nTAGS: WAR\nFrom: [[x]]\n" in text
    assert not any("From" in t for call in engine.calls for t in call)  # never sent
    configured = Glossary([], lines=VaultLines(("From: *", "Tags: *")))
    (tn,) = translate_notes([note], "pt", FnEngine(str.upper), configured)
    assert "THE TROOPS LEFT KHERSON.\nTags: war\nFrom: [[x]]\n" in "".join(tn.blocks)
    (tn,) = translate_notes([note], "pt", FnEngine(str.upper), Glossary([], lines=VaultLines(())))
    assert "\nFROM: [[bonus_professor]] <br/> \n" in "".join(tn.blocks)
