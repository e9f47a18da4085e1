"""pipeline.review.fix: only the anchors involved change, byte for byte; a note changed
since it was aligned is refused; `interlinear fix` over real notes and transcripts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.model import CitationCheck, Note, NoteAlignment
from pipeline.notes import ANCHOR, load_note, parse_note
from pipeline.review import default_store
from pipeline.review.decisions import load_decisions
from pipeline.review.fix import (
    NoteChanged,
    anchor_edits,
    apply_edits,
    rewrite_anchor,
    unified_diff,
    write_fixed,
)
from tests.flows_support import (
    EXAMPLES,
    ROOT,
    copy_caches,
    copy_examples,
    example_params,
    warm_cache_slot,
)

A = '<a class="yt-timestamp" data-t="{0}">[{1}]</a>'
NOTE = (
    "---\ntitle: T\nvideoId: chIqmlJA2i0\n---\n\n"
    "First claim, said early " + A.format("04:10:00", "04:10:00") + ".\r\n"
    "* A list item " + A.format("00:01:02", "00:01:02") + " and more\n\n"
    "Second claim  " + A.format("12:40:00", "12:40") + A.format("00:05:00", "5 min") + "\n"
)


def note_of(text: str = NOTE) -> Note:
    return parse_note(text, Path("v/c/n.md"))


def alignment(note: Note, **by_written: dict[str, object]) -> NoteAlignment:
    checks = []
    for c in note.citations:
        claim = next(cl.index for cl in note.claims if c in cl.citations)
        check = CitationCheck(c, claim, "ok", c.ms, None, 0.8, None)
        checks.append(replace(check, **by_written.get(c.written, {})))  # type: ignore[arg-type]
    return NoteAlignment(note.path, note.video_id, 2_000_000, "ru", tuple(checks))


_TIMES = re.compile(r'(data-t=")[^"<>]*(")|(>\[)[^\]<>\n]*(\]</a>)$')


def changed_outside_anchors(old: str, new: str) -> list[str]:
    """What differs between the two texts other than anchors' `data-t` values and bracketed
    times: the text between anchors compared byte for byte, and each anchor with those two
    values blanked. Empty when only they changed."""
    def parts(text: str) -> tuple[list[str], list[str]]:
        anchors = [_TIMES.sub(lambda m: (m.group(1) or m.group(3)) + (m.group(2) or m.group(4)),
                              m.group(0)) for m in ANCHOR.finditer(text)]
        cuts = [0, *(x for m in ANCHOR.finditer(text) for x in m.span()), len(text)]
        return [text[a:b] for a, b in zip(cuts[::2], cuts[1::2], strict=True)], anchors

    (old_text, old_anchors), (new_text, new_anchors) = parts(old), parts(new)
    bad = [f"text {i}: {a!r} -> {b!r}" for i, (a, b) in
           enumerate(zip(old_text, new_text, strict=False)) if a != b]
    bad += [f"anchor {i}: {a!r} -> {b!r}" for i, (a, b) in
            enumerate(zip(old_anchors, new_anchors, strict=False)) if a != b]
    if len(old_text) != len(new_text) or len(old_anchors) != len(new_anchors):
        bad.append("a different number of anchors")
    return bad


def claims_of(note: Note) -> list[tuple[object, ...]]:
    """The claims as claims: text, kind, block and citations (not character offsets, which
    move when an anchor's time is written with more or fewer characters)."""
    return [(c.index, c.text, c.kind, c.block, [x.index for x in c.citations])
            for c in note.claims]


def test_repaired_mmss_and_accepted_rewritten_nothing_else() -> None:
    note = note_of()
    al = alignment(note, **{
        "04:10:00": {"status": "repaired", "resolved_ms": 250_000},
        "12:40:00": {"status": "repaired", "decision": "accepted", "resolved_ms": 645_000},
        "00:05:00": {"status": "suspect", "suggested_ms": 1000},  # not accepted: kept
    })
    edits = anchor_edits(al)
    assert [(e.citation.written, e.written, e.why) for e in edits] == [
        ("04:10:00", "00:04:10", "repaired MM:SS:00"), ("12:40:00", "00:10:45", "accepted")]
    new = apply_edits(note, edits)
    assert new == NOTE.replace(A.format("04:10:00", "04:10:00"), A.format("00:04:10", "00:04:10")
                               ).replace(A.format("12:40:00", "12:40"),
                                         A.format("00:10:45", "00:10:45"))
    assert "\r\n" in new and changed_outside_anchors(NOTE, new) == []
    assert claims_of(note_of(new)) == claims_of(note)


def test_dismissed_or_other_repairs_not_written() -> None:
    note = note_of()
    al = alignment(note, **{
        "04:10:00": {"status": "ok", "decision": "dismissed", "resolved_ms": 250_000},
        "12:40:00": {"status": "repaired", "resolved_ms": 12_000},  # not its MM:SS reading
    })
    assert anchor_edits(al) == []


def test_label_that_is_not_a_time_is_kept() -> None:
    raw = A.format("00:05:00", "5 min")
    assert rewrite_anchor(raw, "00:04:59") == A.format("00:04:59", "5 min")
    assert rewrite_anchor(A.format("1:2:3", "1:2:3"), "01:02:03") == A.format("01:02:03",
                                                                             "01:02:03")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
       st.text(alphabet="abc \n*#>|", max_size=20))
def test_only_anchor_bytes_change(before: str, after: str) -> None:
    text = ("---\nvideoId: chIqmlJA2i0\n---\n" + before.replace("<", "&") + " claim "
            + A.format("03:20:00", "03:20:00") + after + "\n")
    note = note_of(text)
    if note.render() != text or not note.citations:
        return
    al = alignment(note, **{"03:20:00": {"status": "repaired", "resolved_ms": 200_000}})
    new = apply_edits(note, anchor_edits(al))
    assert changed_outside_anchors(text, new) == []
    assert new.replace("00:03:20", "03:20:00") == text
    assert claims_of(note_of(new)) == claims_of(note)


def test_write_refuses_a_note_changed_since_it_was_aligned(tmp_path: Path) -> None:
    path = tmp_path / "c" / "n.md"
    path.parent.mkdir()
    path.write_bytes(("\ufeff" + NOTE).encode())
    note = load_note(path)
    al = alignment(note, **{"04:10:00": {"status": "repaired", "resolved_ms": 250_000}})
    new = apply_edits(note, anchor_edits(al))
    write_fixed(note, new)
    assert path.read_bytes() == ("\ufeff" + new).encode()  # the BOM kept
    path.write_bytes((NOTE + "edited\n").encode())
    with pytest.raises(NoteChanged, match="changed since it was aligned"):
        write_fixed(note, new)
    assert path.read_bytes() == (NOTE + "edited\n").encode()
    assert not list(tmp_path.rglob("*.tmp"))


def test_unified_diff_names_the_note() -> None:
    text = unified_diff("c/n.md", "a\nb\n", "a\nc\n")
    assert text.startswith("--- a/c/n.md\n+++ b/c/n.md\n") and "-b\n+c\n" in text
    last = unified_diff("n.md", "a\nb", "a\nc")  # no newline at the end of the note
    assert last.endswith("-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n")


def fix(*args: str, cache: Path, out: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`interlinear fix` (OUT: `out`, else a folder no run wrote)."""
    return subprocess.run([sys.executable, "-m", "flows.cli", "fix", *args, "--offline",
                           "--cache-dir", str(cache), "--out", str(out or cache / "no-run")],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800, env=env)


@pytest.mark.slow
def test_fix_the_example_vault(tmp_path: Path) -> None:
    """The demo's 04:10:00 written back: the dry run prints the diff and writes nothing,
    the real one writes it, a third finds nothing to do."""
    vault = tmp_path / "vault"
    shutil.copytree(EXAMPLES / "vault", vault)
    before = {p: p.read_bytes() for p in vault.rglob("*.md")}
    args = [str(vault), "--transcripts", str(EXAMPLES / "transcripts")]
    dry = fix(*args, "--dry-run", cache=tmp_path / "cache")
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert {p: p.read_bytes() for p in vault.rglob("*.md")} == before
    assert "--- a/bonus_professor/kherson_withdrawal_and_the_elite.md" in dry.stdout
    assert '-For that elite' in dry.stdout and 'data-t="00:04:10">[00:04:10]</a>.' in dry.stdout
    assert "1 anchors in 1 notes to rewrite" in " ".join(dry.stderr.split())
    done = fix(*args, cache=tmp_path / "cache")
    assert done.returncode == 0 and done.stdout == dry.stdout
    changed = [p for p in before if p.read_bytes() != before[p]]
    assert [p.name for p in changed] == ["kherson_withdrawal_and_the_elite.md"]
    old, new = before[changed[0]].decode(), changed[0].read_text(encoding="utf-8")
    assert changed_outside_anchors(old, new) == []
    again = fix(*args, "--dry-run", cache=tmp_path / "cache")
    assert again.returncode == 0 and again.stdout == ""


@pytest.mark.slow
def test_fix_records_what_was_ticked_since_the_last_run(
        harness: None, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """Accept ticked in a bilingual note, then `fix` straight away (no run between): the
    dry run shows the accepted time and records nothing; `fix` records the decision in the
    vault's review store and writes the time into the source note."""
    from flows.vault import vault_flow

    vault, out = copy_examples(tmp_path / "vault"), tmp_path / "out"
    with warm_cache_slot(tmp_path_factory.getbasetemp()) as (warm, build):
        cache = warm if build else copy_caches(warm, tmp_path / "cache")
        vault_flow(**example_params(vault, out, cache))
    slug = "bonus_professor/peace_terms_after_kherson"
    bilingual = out / "bilingual" / "pt" / f"{slug}.md"
    text = bilingual.read_text(encoding="utf-8")
    box = next(line for line in text.splitlines() if "- [ ] accept 00:10:45 ^i" in line)
    text = text.replace(box, box.replace("- [ ]", "- [x]", 1))
    # and both boxes of the summary claim's flagged 00:06:40: no decision, a warning
    summary = [line for line in text.splitlines()
               if re.search(r"- \[ \] (accept|dismiss)", line)
               and line.split("^")[-1].split("-")[0] == flagged_id(vault)]
    assert len(summary) == 2
    for line in summary:
        text = text.replace(line, line.replace("- [ ]", "- [x]", 1))
    bilingual.write_text(text, encoding="utf-8")
    source = vault / f"{slug}.md"
    old = source.read_text(encoding="utf-8")
    args = [str(vault), "--transcripts", str(EXAMPLES / "transcripts")]
    env = {**os.environ, "INTERLINEAR_REVIEWER": "ana"}

    dry = fix(*args, "--dry-run", cache=cache, out=out, env=env)
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert f"--- a/{slug}.md" in dry.stdout and 'data-t="00:10:45">[00:10:45]</a>' in dry.stdout
    assert load_decisions(default_store(vault)) == [] and source.read_text("utf-8") == old

    assert "00:06:40 (line 32): accept and dismiss are both ticked" in " ".join(dry.stderr.split())
    done = fix(*args, cache=cache, out=out, env=env)
    assert done.returncode == 0 and done.stdout == dry.stdout
    assert [(d.decision, d.written, d.ms, d.who) for d in load_decisions(default_store(vault))] \
        == [("accept", "00:12:40", 645_000, "ana")]
    assert source.read_text("utf-8") == old.replace(
        'data-t="00:12:40">[00:12:40]', 'data-t="00:10:45">[00:10:45]', 1)


def flagged_id(vault: Path) -> str:
    """The block id prefix (`i<index>`) of the summary claim's first citation (00:06:40)."""
    note = load_note(vault / "bonus_professor" / "peace_terms_after_kherson.md", vault)
    claim = next(c for c in note.claims if c.text.startswith("Whether the offer"))
    return f"i{claim.citations[0].index}"


MMSS = re.compile(r'data-t="(?:0[1-9]|[1-5][0-9]):[0-5][0-9]:00"')  # an MM:SS:00 citation


def corpus_sample(corpus: Path, into: Path, videos: int = 4) -> Path:
    """Every note of the corpus's channels without transcripts (never checked: nothing to
    fix, but every byte read), and the 3blue1brown notes of the first `videos` videos whose
    notes cite in MM:SS:00 form (their transcripts embedded cold: about 20 s a video)."""
    notes = corpus / "notes"
    shutil.copytree(notes, into, ignore=shutil.ignore_patterns("3blue1brown"))
    chosen = 0
    for path in sorted((notes / "3blue1brown").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        vid = re.search(r"(?m)^videoId:\s*(\S+)", text)
        if chosen < videos and vid and MMSS.search(text) and (
                corpus / "transcripts" / vid.group(1) / "en").is_dir():
            (into / "3blue1brown").mkdir(exist_ok=True)
            shutil.copy2(path, into / "3blue1brown" / path.name)
            chosen += 1
    return into


@pytest.mark.slow
@pytest.mark.corpus
def test_fix_dry_run_over_the_corpus(corpus: Path, tmp_path: Path) -> None:
    """`fix --dry-run` over the corpus's notes (all channels; 3blue1brown notes of four
    videos with their transcripts, to keep the cold embedding short: the whole corpus is
    measured in the closing notes): the diff is the one `fix` makes on a copy, it touches
    anchors only (byte by byte), and each fixed copy parses to the same claims."""
    notes = corpus_sample(corpus, tmp_path / "sample")
    cache = tmp_path / "cache"
    args = ["--transcripts", str(corpus / "transcripts")]
    dry = fix(str(notes), *args, "--dry-run", cache=cache)
    assert dry.returncode in (0, 1), dry.stderr[-2000:]  # 1: notes the scan refuses
    diffed = [line for line in dry.stdout.splitlines() if line.startswith("--- a/")]
    assert len(diffed) >= 1
    copy = tmp_path / "notes"
    shutil.copytree(notes, copy)
    done = fix(str(copy), *args, cache=cache)
    assert done.stdout == dry.stdout
    changed = 0
    for path in sorted(copy.rglob("*.md")):
        old = (notes / path.relative_to(copy)).read_bytes()
        new = path.read_bytes()
        if old == new:
            continue
        changed += 1
        assert changed_outside_anchors(old.decode(), new.decode()) == [], path
        assert claims_of(parse_note(new.decode(), path)) == claims_of(
            parse_note(old.decode(), path))
    assert changed == len(diffed)


def test_the_byte_check_sees_a_change_outside_anchors() -> None:
    a = "x " + A.format("04:10:00", "04:10:00") + " y\n"
    assert changed_outside_anchors(a, a.replace("04:10:00", "00:04:10")) == []
    assert changed_outside_anchors(a, a.replace(" y", " z"))
    assert changed_outside_anchors(a, a.replace('class="yt-timestamp" ', 'class="yt-timestamp"  '))
