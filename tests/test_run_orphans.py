"""pipeline.run.orphans: which notes count as present (their outputs are never orphans)."""

from __future__ import annotations

from pathlib import Path

from pipeline.run.orphans import _note_place, present_notes


def test_present_notes_count_unreadable_notes_and_skip_outputs(tmp_path: Path) -> None:
    vault = tmp_path / "My Vault"
    (vault / "Chan").mkdir(parents=True)
    (vault / "top.md").write_text("# top\n", encoding="utf-8")
    (vault / "Chan" / "Broken Note.md").write_text("---\n: [\n---\nx\n", encoding="utf-8")
    out = vault / "_interlinear"
    (out / "notes" / "pt" / "Chan").mkdir(parents=True)
    (out / "notes" / "pt" / "Chan" / "Ghost.md").write_text("x\n", encoding="utf-8")
    other = vault / "old-run"
    other.mkdir()
    (other / "manifest.json").write_text('{"interlinear": "0.1"}', encoding="utf-8")
    (other / "stale.md").write_text("x\n", encoding="utf-8")
    assert present_notes(vault, (out,)) == {("top",), ("chan", "broken note")}
    assert present_notes(vault / "top.md", ()) == {("top",)}


def test_note_place_of_outputs() -> None:
    assert _note_place(("notes", "pt", "Chan", "Broken Note.md")) == ("chan", "broken note")
    assert _note_place(("bilingual", "pt", "Chan", "a.new.md")) == ("chan", "a")
    assert _note_place(("review", "pt-BR", "a.html")) == ("a",)
