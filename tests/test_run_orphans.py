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


def test_only_a_run_over_the_same_vault_removes(tmp_path: Path) -> None:
    """An unedited output of a note gone is removed by a run over the vault the last run
    was over; a run over another folder (here the whole vault, then one channel) into the
    same OUT leaves it alone and reports nothing."""
    import hashlib
    import json

    from pipeline.run import context
    from pipeline.run.orphans import sweep
    from pipeline.settings import RunSettings
    from pipeline.vault import scan_vault

    vault, out = tmp_path / "vault", tmp_path / "out"
    (vault / "ch").mkdir(parents=True)
    rel = "notes/pt/other/gone.md"
    settings = RunSettings(vault=vault / "ch", out=out, languages=("pt",),
                           cache_dir=tmp_path / "cache")
    ctx = context(settings)
    for last, removed in ((vault, ()), (vault / "ch", (rel,))):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("x\n", encoding="utf-8")
        (out / "manifest.json").write_text(json.dumps({
            "interlinear": "x", "vault": str(last), "outputs": [
                {"path": rel, "sha256": hashlib.sha256(b"x\n").hexdigest()}]}), "utf-8")
        swept = sweep(scan_vault(vault / "ch"), ctx, ())
        assert swept.removed == removed and swept.kept == ()
        assert (out / rel).exists() == (not removed)
    assert not (out / "notes" / "pt" / "other").exists()  # the emptied folder went too
