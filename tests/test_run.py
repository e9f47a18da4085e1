"""pipeline.run: stages that fail never pass source text off as a translation, never store
a result with failures, and reuse a stored result only while its files are intact."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from pipeline.errors import Failure, NoteError, TranscriptError
from pipeline.glossary import Glossary
from pipeline.model import CitationCheck, NoteAlignment, Segment, Transcript
from pipeline.notes import parse_note
from pipeline.run import (
    Engines,
    Keyed,
    Outcome,
    Output,
    RunContext,
    TaskRecord,
    compose,
    render_note,
    transcript_tracks,
    translate_language,
)
from pipeline.settings import RunSettings
from pipeline.translate import CachedEngine, TranslationMemory

VID = "chIqmlJA2i0"
A = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'


class Upper:
    """Upper-cases every text; a text holding BOOM makes the engine raise."""

    name = "upper"
    capabilities: frozenset[str] = frozenset()

    def model_id(self, source: str, target: str) -> str:
        return f"upper:{source}-{target}"

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        if any("BOOM" in t for t in texts):
            raise RuntimeError("engine crashed")
        return [t.upper() for t in texts]


class UpperEngines(Engines):
    def get(self, source: str, target: str) -> CachedEngine:
        return CachedEngine(Upper(), self.memory, self.glossary.hash)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[RunContext]:
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=("pt",),
                           cache_dir=tmp_path / "cache")
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        yield compose(settings, glossary=Glossary([]), memory=memory, engines=UpperEngines)


def transcript(*texts: str) -> Transcript:
    segs = tuple(Segment(i * 4000, i * 4000 + 3500, t, "en") for i, t in enumerate(texts))
    return Transcript(VID, "en", segs)


def test_failed_cue_group_is_a_failure_and_no_track(ctx: RunContext) -> None:
    done = transcript_tracks(VID, transcript("One fine sentence.", "A BOOM sentence.",
                                             "Another fine one."), ctx)
    assert [o.lang for o in done.outputs] == ["en"]  # the English track only
    (failure,) = done.failures
    assert failure.item == f"{VID} transcript track [pt]"
    assert "1 of 3 cue groups not translated" in failure.reason and "track not written" in (
        failure.reason)
    assert not ctx.layout.transcript_track(VID, "pt").exists()
    again = transcript_tracks(VID, transcript("One fine sentence.", "A BOOM sentence.",
                                              "Another fine one."), ctx)
    assert [r.status for r in again.records] == ["ran"]  # never stored as done


def test_tracks_are_reused_while_intact(ctx: RunContext) -> None:
    t = transcript("One fine sentence.", "Another fine one.")
    first = transcript_tracks(VID, t, ctx)
    assert not first.failures and [o.lang for o in first.outputs] == ["en", "pt"]
    assert "ANOTHER FINE ONE." in ctx.layout.transcript_track(VID, "pt").read_text()
    assert [r.status for r in transcript_tracks(VID, t, ctx).records] == ["cached"]
    srt = ctx.layout.transcript_track(VID, "pt").with_suffix(".srt")
    srt.write_text("edited")  # a person's work: kept, the new version beside it, said
    again = transcript_tracks(VID, t, ctx)
    assert [r.status for r in again.records] == ["ran"]
    assert srt.read_text() == "edited"
    assert "ANOTHER FINE ONE." in srt.with_name(f"{VID}.pt.new.srt").read_text()
    assert [(c.stage, c.item) for c in again.conflicts] == [
        ("conflict", f"subtitles/{VID}/{VID}.pt.srt")]
    assert [o.path for o in again.outputs if o.lang == "pt"] == [
        f"subtitles/{VID}/{VID}.pt.new.vtt"]
    assert [len(r.conflicts) for r in [transcript_tracks(VID, t, ctx)]] == [1]  # until resolved
    srt.unlink()
    back = transcript_tracks(VID, t, ctx)
    assert not back.conflicts and "ANOTHER FINE ONE." in srt.read_text()


def note_text(claim: str) -> str:
    return (f"---\ntitle: T\nvideoId: {VID}\n---\n\nA fine claim {A.format('00:00:01')}.\n\n"
            f"{claim} {A.format('00:00:05')}.\n")


def test_failed_claim_is_a_failure_and_not_stored(ctx: RunContext, tmp_path: Path) -> None:
    note = parse_note(note_text("The BOOM claim"), tmp_path / "vault" / "ch" / "a.md", "ch")
    done = translate_language([note], "pt", ctx)
    reasons = [f.reason for f in done.failures]
    assert any(r.startswith("claims 2 not translated") for r in reasons), reasons
    tr = done.value[str(note.path)].value
    claims = dict(tr.claims)
    assert 0 in claims and claims[0].isupper()  # the good claim is translated
    assert 1 not in claims  # the failed one is absent, not its English
    again = translate_language([note], "pt", ctx)
    assert [r.status for r in again.records] == ["ran"]


def test_a_claim_is_its_sentence_and_the_memory_answers_it(tmp_path: Path) -> None:
    """A claim is its note's sentence without the citation and the full stop after it: sent
    as that sentence, through the notes' engine, the translation memory has it already, and
    the stop added is taken off again."""
    sent: list[str] = []

    class Seen(Upper):
        def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
            sent.extend(texts)
            return super().translate(texts, source, target)

    class SeenEngines(Engines):
        def get(self, source: str, target: str) -> CachedEngine:
            return CachedEngine(Seen(), self.memory, self.glossary.hash)

    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=("pt",),
                           cache_dir=tmp_path / "cache")
    note = parse_note(note_text("Is it a second claim?"), tmp_path / "vault" / "ch" / "a.md",
                      "ch")
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        ctx = compose(settings, glossary=Glossary([]), memory=memory, engines=SeenEngines)
        tr = translate_language([note], "pt", ctx).value[str(note.path)].value
    assert dict(tr.claims) == {0: "A FINE CLAIM", 1: "IS IT A SECOND CLAIM?"}
    assert sent.count("A fine claim.") == 1 and "A fine claim" not in sent
    assert "A FINE CLAIM" in "".join(tr.blocks)


def test_claims_carry_the_glossarys_repairs(tmp_path: Path) -> None:
    """An engine that gets a term wrong: the note's sentence is repaired by the glossary,
    and so is its claim, so that the claims track reads as the translated note does."""

    class Palace(Upper):
        def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
            return [t.replace("Kremlin", "Palácio") for t in texts]

    class PalaceEngines(Engines):
        def get(self, source: str, target: str) -> CachedEngine:
            return CachedEngine(Palace(), self.memory, self.glossary.hash)

    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=("pt",),
                           cache_dir=tmp_path / "cache")
    glossary = Glossary.from_csv("en,pt,case,note\nKremlin,Kremlin,insensitive,\n")
    note = parse_note(note_text("The Kremlin answered at once"),
                      tmp_path / "vault" / "ch" / "a.md", "ch")
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        ctx = compose(settings, glossary=glossary, memory=memory, engines=PalaceEngines)
        tr = translate_language([note], "pt", ctx).value[str(note.path)].value
    assert "The Kremlin answered at once" in "".join(tr.blocks)
    assert dict(tr.claims)[1] == "The Kremlin answered at once"


def test_failed_quote_is_a_failure_of_the_note(ctx: RunContext, tmp_path: Path) -> None:
    note = parse_note(note_text("A second claim"), tmp_path / "vault" / "ch" / "a.md", "ch")
    t = transcript("A fine quote.", "The BOOM quote.")
    checks = tuple(
        CitationCheck(citation=c, claim_index=i, status="ok", resolved_ms=t.segments[i].start_ms,
                      suggested_ms=None, score=0.9, segment=t.segments[i])
        for i, c in enumerate(note.citations))
    alignment = NoteAlignment(note.path, VID, None, "en", checks)
    tr = translate_language([note], "pt", ctx)
    assert not tr.failures
    done = render_note(note, Keyed(alignment, "a" * 64), tr.value[str(note.path)], "en", (), ctx)
    (failure,) = done.failures
    assert failure.item == f"{note.path} [pt]" and "quotes at 00:00:05 not translated" in (
        failure.reason)
    bilingual = ctx.layout.bilingual_note(note, "pt").read_text(encoding="utf-8")
    assert "A FINE QUOTE." in bilingual and "THE BOOM QUOTE." not in bilingual
    again = render_note(note, Keyed(alignment, "a" * 64), tr.value[str(note.path)], "en", (),
                        ctx)
    assert [r.status for r in again.records] == ["ran"]  # not stored


def test_outcomes_join_in_order_and_travel() -> None:
    a = Outcome(None, outputs=(Output("claims_track", "x.vtt", lang="en", srt="x.srt", cues=2),),
                records=(TaskRecord("tracks", "v", "ran"),))
    b = Outcome(None, failures=(Failure.of("fetch", "v", TranscriptError("v", "gone",
                                                                          transient=True)),),
                warnings=(Failure.of("notes", "n", NoteError("n.md", "odd", 3)),))
    joined = Outcome.join(1, [a, b])
    assert joined.value == 1 and joined.outputs == a.outputs and joined.failures == b.failures
    assert joined.failures[0].transient and joined.failures[0].as_dict()["transient"] is True
    assert joined.warnings[0].reason == "n.md:3: odd"
    assert Failure.of("x", "y", KeyError("k")).reason == "internal error: KeyError: 'k'"
    assert a.outputs[0].as_dict() == {"kind": "claims_track", "path": "x.vtt", "srt": "x.srt",
                                      "lang": "en", "cues": 2}
    assert a.outputs[0].files == ("x.vtt", "x.srt")
    assert pickle.loads(pickle.dumps(joined)) == joined


def test_stage_times_count_items_and_wall_time() -> None:
    """Work that ran at the same time (tasks in threads; the notes of one batch, each
    with its share of the batch's time) counts once in a stage's `seconds`."""
    from pipeline.run.outcome import stage_times

    records = [TaskRecord("align", "a", "ran", 1.25, ended=101.25),
               TaskRecord("align", "b", "cached", 0.5, ended=101.0),  # within a's time
               TaskRecord("align", "c", "ran", 1.0, ended=103.0),
               TaskRecord("translate", "n1", "ran", 2.0, began=100.0, ended=106.0),
               TaskRecord("translate", "n2", "ran", 4.0, began=100.0, ended=106.0),
               TaskRecord("fetch", "v", "cached", 0.125)]
    assert stage_times(records) == {
        "align": {"items": 3, "ran": 2, "cached": 1, "seconds": 2.25, "task_seconds": 2.75},
        "translate": {"items": 2, "ran": 2, "cached": 0, "seconds": 6.0, "task_seconds": 6.0},
        "fetch": {"items": 1, "ran": 0, "cached": 1, "seconds": 0.125, "task_seconds": 0.125}}
    assert records[0].as_dict() == {"task": "align", "item": "a", "status": "ran",
                                    "seconds": 1.25}


def test_damaged_translation_memory_is_set_aside_and_said(tmp_path: Path) -> None:
    """A run over a damaged memory completes with real Bergamot, says so, and its pt track
    holds translations, not the English lines."""
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=("pt",),
                           cache_dir=tmp_path / "cache", engine="bergamot")
    settings.cache_dir.mkdir()
    (settings.cache_dir / "translation-memory.sqlite3").write_bytes(b"not a database" * 100)
    ctx = compose(settings, glossary=Glossary([]))
    english = ("The army left the city in the night.", "Nobody expected the offer.",
               "The talks begin next week.")
    done = transcript_tracks(VID, transcript(*english), ctx)
    assert not done.failures
    assert any(w.item == "translation memory" and "damaged" in w.reason for w in done.warnings)
    assert (settings.cache_dir / "translation-memory.sqlite3.damaged").exists()
    track = ctx.layout.transcript_track(VID, "pt").read_text(encoding="utf-8")
    assert not any(line in track for line in english)
    assert "cidade" in track


def test_translation_key_follows_the_notes_kept_lines(ctx: RunContext) -> None:
    """A change of `vault-lines.txt` re-translates the notes whose kept lines change only."""
    from dataclasses import replace as dc_replace

    from pipeline.glossary.lines import VaultLines
    from pipeline.run.stages import translation_key

    head = f"---\ntitle: t\nvideoId: {VID}\n---\n\n"
    channel = parse_note(head + "From: [[ch]] <br/>\n\nText.\n", Path("v/ch/a.md"))
    plain = parse_note(head + "Text.\n", Path("v/ch/b.md"))
    tagged = Glossary([], lines=VaultLines(("From: [[*]]*", "Tags: *")))
    none = Glossary([], lines=VaultLines(()))
    keys = {name: (translation_key(channel, "pt", dc_replace(ctx, glossary=g)),
                   translation_key(plain, "pt", dc_replace(ctx, glossary=g)))
            for name, g in (("default", ctx.glossary), ("tags", tagged), ("none", none))}
    assert keys["default"] == keys["tags"]  # the same lines kept: nothing redone
    assert keys["none"][0] != keys["default"][0] and keys["none"][1] == keys["default"][1]


def test_stage_keys_follow_the_code_and_a_persons_keys_do_not(
        ctx: RunContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """A result made by other code (before an upgrade) is made again; what ties a
    reviewer's decisions to a transcript stays the same."""
    from pipeline.run import store
    from pipeline.run.stages import translation_key

    note = parse_note(f"---\ntitle: t\nvideoId: {VID}\n---\n\nText.\n", Path("v/ch/a.md"))
    transcript = Transcript(VID, "en", (Segment(0, 1000, "Text.", "en"),))
    before = (translation_key(note, "pt", ctx), store.transcript_hash(transcript))
    assert len(store.code_fingerprint()) == 16
    monkeypatch.setattr(store, "code_fingerprint", lambda: "another-version")
    after = (translation_key(note, "pt", ctx), store.transcript_hash(transcript))
    assert after[0] != before[0] and after[1] == before[1]
