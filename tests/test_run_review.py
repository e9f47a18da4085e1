"""The review loop through real runs of `pipeline.run`'s stages (real Bergamot en->pt, the
example vault): a reviewer's edits of the translated and the bilingual note are kept and
applied in every output, outlive OUT, give way (with a hint) when the source changes, and
an edit that cannot be read back is kept with the new version beside it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pipeline.glossary import Glossary
from pipeline.model import Note
from pipeline.run import Outcome, RunContext, align_video, compose, render_note, translate_language
from pipeline.settings import RunSettings
from pipeline.vault import scan_vault

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "vault"
SLUG = "peace_terms_after_kherson"
BUFFER = ('*   **Zona de amortecimento:** uma faixa desmilitarizada de 100 km, revista '
          '<a class="yt-timestamp" data-t="00:08:11">[00:08:11]</a>.')
STRIKE = 'REVISTO: tal ataque significaria um "não" '


@pytest.fixture(scope="module")
def memory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A translation memory warmed by one run over the example vault (shared, copied)."""
    base = tmp_path_factory.mktemp("warm")
    run_all(settings(base))
    return base / "cache" / "translation-memory.sqlite3"


def settings(base: Path, **extra: object) -> RunSettings:
    if not (base / "vault").exists():
        shutil.copytree(EXAMPLES, base / "vault")
    return RunSettings(vault=base / "vault", out=base / "out", languages=("pt",),
                       cache_dir=base / "cache", engine="bergamot", offline=True,
                       reviewer="ana", **extra)  # type: ignore[arg-type]


def run_all(s: RunSettings, glossary: Glossary | None = None
            ) -> tuple[RunContext, Note, list[Outcome[None]]]:
    ctx = compose(s, glossary=glossary)
    scan = scan_vault(s.vault, skip=(s.out,))
    tr = translate_language(list(scan.notes), "pt", ctx)
    assert not tr.failures
    done = []
    for notes in scan.by_video.values():
        aligned = align_video(notes, None, ctx)
        done += [render_note(n, aligned.value[str(n.path)], tr.value[str(n.path)], None, (),
                             ctx) for n in notes]
    note = next(n for n in scan.notes if n.slug == SLUG)
    return ctx, note, done


@pytest.fixture
def base(tmp_path: Path, memory: Path) -> Path:
    (tmp_path / "cache").mkdir()
    shutil.copyfile(memory, tmp_path / "cache" / memory.name)
    return tmp_path


def outputs(ctx: RunContext, note: Note) -> dict[str, str]:
    return {kind: path.read_text(encoding="utf-8") for kind, path in (
        ("translated", ctx.layout.translated_note(note, "pt")),
        ("bilingual", ctx.layout.bilingual_note(note, "pt")),
        ("page", ctx.layout.review_page(note, "pt")))}


def edit(ctx: RunContext, note: Note) -> None:
    """A reviewer's two edits: a list item in the translated note, another list item's
    translation in the bilingual note's callout (its citation link left as it is)."""
    tpath = ctx.layout.translated_note(note, "pt")
    lines = tpath.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if 'data-t="00:08:11"' in line)
    tpath.write_text("\n".join(lines[:at] + [BUFFER] + lines[at + 1:]), encoding="utf-8")
    bpath = ctx.layout.bilingual_note(note, "pt")
    text, n = re.subn(r"(> \[!translation\]-? )[^\n]*?(\[00:11:10\]\()", rf"\g<1>{STRIKE}\g<2>",
                      bpath.read_text(encoding="utf-8"))
    assert n == 1
    bpath.write_text(text, encoding="utf-8")


def conflicts(done: list[Outcome[None]]) -> list[str]:
    return [c.item for o in done for c in o.conflicts]


def test_edits_are_kept_applied_everywhere_and_outlive_out(base: Path) -> None:
    s = settings(base)
    ctx, note, done = run_all(s)
    edit(ctx, note)
    ctx, note, done = run_all(s)
    assert conflicts(done) == [] and not [f for o in done for f in o.failures]
    for kind, text in outputs(ctx, note).items():
        assert "Zona de amortecimento" in text and "REVISTO: tal ataque" in text, kind
        assert "tampão" not in text, kind
    page = outputs(ctx, note)["page"]
    assert page.count('class="review r-approved"') == 2 and "ana" in page
    store = [json.loads(line) for line in s.review_path.read_text(encoding="utf-8").splitlines()]
    assert {(e["origin"].split("/")[0], e["reviewer"], e["lang"]) for e in store} == {
        ("notes", "ana", "pt"), ("bilingual", "ana", "pt")}
    assert not s.review_path.is_relative_to(s.out)

    shutil.rmtree(s.out)  # OUT deleted: the approvals live in the vault
    ctx, note, done = run_all(s)
    for kind, text in outputs(ctx, note).items():
        assert "Zona de amortecimento" in text and "REVISTO: tal ataque" in text, kind
    assert len(s.review_path.read_text(encoding="utf-8").splitlines()) == 2  # nothing new

    # the source block changes: machine-translated again, marked, the old text a hint
    note.path.write_text(note.path.read_text(encoding="utf-8").replace(
        "a 100-kilometre demilitarized strip", "a 120-kilometre demilitarized strip"),
        encoding="utf-8")
    ctx, note, done = run_all(s)
    got = outputs(ctx, note)
    assert "Zona de amortecimento" not in got["translated"]
    assert "120" in got["translated"] and "REVISTO: tal ataque" in got["translated"]
    assert 'class="review r-stale"' in got["page"]
    assert "previously approved: «*   **Zona de amortecimento:**" in got["page"]


def test_glossary_change_marks_review_again_and_keeps_the_text(base: Path) -> None:
    s = settings(base)
    ctx, note, _ = run_all(s)
    edit(ctx, note)
    run_all(s)
    changed = Glossary.from_csv("en,pt\nBuffer zone,Zona-tampão\n")  # a term of the block
    ctx, note, done = run_all(s, glossary=changed)
    got = outputs(ctx, note)
    assert "Zona de amortecimento" in got["translated"]
    assert 'class="review r-review_again"' in got["page"]


def test_an_edit_that_cannot_be_read_back_is_kept_and_listed(base: Path) -> None:
    s = settings(base)
    ctx, note, _ = run_all(s)
    bpath = ctx.layout.bilingual_note(note, "pt")
    mine = bpath.read_text(encoding="utf-8").replace("## The terms", "## The terms (my note)")
    bpath.write_text(mine, encoding="utf-8")
    ctx, note, done = run_all(s)
    rel = ctx.layout.relative(bpath)
    assert conflicts(done) == [rel]
    (found,) = [c for o in done for c in o.conflicts]
    assert f"the new version is {rel.removesuffix('.md')}.new.md" in found.reason
    assert bpath.read_text(encoding="utf-8") == mine  # byte for byte
    assert bpath.with_name(f"{SLUG}.new.md").is_file()
    ctx, note, done = run_all(s)  # said again on every run until resolved
    assert conflicts(done) == [rel] and bpath.read_text(encoding="utf-8") == mine
    bpath.unlink()  # resolved: the person drops their copy
    ctx, note, done = run_all(s)
    assert conflicts(done) == [] and not bpath.with_name(f"{SLUG}.new.md").exists()


def test_one_block_edited_differently_in_both_notes_is_said(base: Path) -> None:
    """The translated note and the bilingual note give the same block two different
    texts: the bilingual note's (read last) applies everywhere, both are in the store, and
    the run says so in a warning naming the block."""
    s = settings(base)
    ctx, note, done = run_all(s)
    tpath = ctx.layout.translated_note(note, "pt")
    lines = tpath.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if 'data-t="00:11:10"' in line)
    lines[at] = re.sub(r"^\*   .*?(<a )", r"*   OUTRA REVISÃO: \1", lines[at])
    tpath.write_text("\n".join(lines), encoding="utf-8")
    bpath = ctx.layout.bilingual_note(note, "pt")
    text, n = re.subn(r"(> \[!translation\]-? )[^\n]*?(\[00:11:10\]\()", rf"\g<1>{STRIKE}\g<2>",
                      bpath.read_text(encoding="utf-8"))
    assert n == 1
    bpath.write_text(text, encoding="utf-8")
    ctx, note, done = run_all(s)
    warned = [w.reason for o in done for w in o.warnings if w.stage == "review"]
    assert len(warned) == 1 and "edited differently in" in warned[0], warned
    assert "The third sign would be" in warned[0] and "bilingual/pt/" in warned[0]
    assert warned[0].endswith("both edits are kept in the review store")
    for kind, got in outputs(ctx, note).items():
        assert "REVISTO: tal ataque" in got and "OUTRA REVISÃO" not in got, kind
    texts = [json.loads(line)["text"] for line in s.review_path.read_text("utf-8").splitlines()]
    assert len(texts) == 2 and any("OUTRA REVISÃO" in t for t in texts)
    _, _, again = run_all(s)  # said once: the edits are read back once
    assert not [w for o in again for w in o.warnings if w.stage == "review"]
