"""pipeline.review.decisions: checkboxes under the citations of the bilingual note, ticks
read back into decisions, kept in the vault's review store, applied while the claim, the
written time and the transcript are unchanged."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from pipeline.model import NoteAlignment
from pipeline.render import bilingual_note
from pipeline.review import default_store as store_path
from pipeline.review.decisions import (
    Decision,
    apply_decisions,
    contradictory_ticks,
    current,
    decisions_from_ticks,
    load_decisions,
    read_ticks,
    record,
)
from tests.test_render_markdown import golden
from tests.test_render_sample import (
    PROVENANCE,
    QUOTE_PT,
    SEGMENTS,
    sample_alignment,
    sample_note,
    sample_translation,
)

WHEN = "2026-11-28T08:00:00+00:00"
KEY = "bonus_professor/kherson.md"
THASH = "t1"


def with_suggestion(al: NoteAlignment) -> NoteAlignment:
    """The suspect 00:02:12's suggestion with the sentence said there."""
    return replace(al, checks=tuple(
        replace(c, suggestion=(SEGMENTS[1],)) if c.status == "suspect" else c
        for c in al.checks))


def render(al: NoteAlignment) -> str:
    note = sample_note()
    return bilingual_note(note, sample_translation(note), al, QUOTE_PT, PROVENANCE)


def boxes(text: str) -> str:
    """The citation lines that carry decisions, and their checkboxes."""
    lines = text.splitlines()
    keep = [i for i, line in enumerate(lines) if "- [ ]" in line or "- [x]" in line]
    shown = sorted({j for i in keep for j in (i - 2, i - 1, i)
                    if "- [" in lines[j] or "](https" in lines[j]})
    return "\n".join(lines[j] for j in shown) + "\n"


def tick(text: str, action: str) -> str:
    out, n = [], 0
    for line in text.splitlines(keepends=True):
        if f"-{action}\n" in line and "- [ ]" in line and not n:
            line, n = line.replace("- [ ]", "- [x]", 1), 1
        out.append(line)
    assert n, action
    return "".join(out)


def decide(text: str, al: NoteAlignment, held: dict[int, Decision] | None = None
           ) -> tuple[list[Decision], NoteAlignment]:
    note = sample_note()
    as_held = apply_decisions(al, note, held or {}, THASH, SEGMENTS)
    made = decisions_from_ticks(read_ticks(text), as_held, note, KEY, THASH, "ana", WHEN)
    return made, apply_decisions(al, note, {d.citation: d for d in made}, THASH, SEGMENTS)


def test_golden_checkbox_block_open_and_decided() -> None:
    """Open: accept (with the suggested time and the words said there) and dismiss under
    the suspect and the repaired citations; decided: the choice ticked, and reopen."""
    al = with_suggestion(sample_alignment(sample_note()))
    first = render(al)
    dismissed = tick(first, "dismiss")  # the first dismiss: the suspect 00:02:12
    made, decided = decide(dismissed, al)
    assert [(d.citation, d.decision, d.written) for d in made] == [(2, "dismiss", "00:02:12")]
    accepted = tick(first.replace("accept 00:06:19", "accept 00:06:18"), "accept")
    # the first accept is the suspect's; the reviewer's time in the repaired one's label
    made2, _ = decide(accepted, al)
    assert [(d.citation, d.decision, d.ms) for d in made2] == [(2, "accept", 129_000)]
    golden("checkboxes.pt.md", "## open\n" + boxes(first) + "## dismissed\n"
           + boxes(render(decided)))


def test_dismissed_is_ok_and_reopen_undoes_it(tmp_path: Path) -> None:
    al = with_suggestion(sample_alignment(sample_note()))
    made, decided = decide(tick(render(al), "dismiss"), al)
    check = next(c for c in decided.checks if c.citation.index == 2)
    assert (check.status, check.decision) == ("ok", "dismissed")
    assert check.reason.startswith("dismissed by ana, 2026-11-28")
    again = render(decided)
    assert "- [x] dismiss ^i2-" in again and "- [ ] reopen ^i2-" in again
    # the same ticks read again make no new decision; reopen makes an "open" one
    assert decide(again, al, {d.citation: d for d in made})[0] == []
    reopened, after = decide(tick(again, "reopen"), al, {d.citation: d for d in made})
    assert [d.decision for d in reopened] == ["open"]
    path = store_path(tmp_path)
    record(path, [*made, *reopened])
    assert current(load_decisions(path), KEY) == {}


def test_accepted_suggestion_is_repaired_at_its_time_with_the_words_said_there() -> None:
    al = with_suggestion(sample_alignment(sample_note()))
    text = render(al)
    assert "supported at [00:02:09](https://www.youtube.com/watch?v=chIqmlJA2i0&t=129s) " \
           "«Инициатива перешла к украинским вооружённым силам.»" in text
    edited = text.replace("accept 00:02:09", "accept 00:02:10")  # the reviewer's own time
    made, decided = decide(tick(edited, "accept"), al)
    assert [(d.decision, d.ms) for d in made] == [("accept", 130_000)]
    check = next(c for c in decided.checks if c.citation.index == 2)
    assert (check.status, check.decision, check.resolved_ms) == ("repaired", "accepted",
                                                                 130_000)
    assert check.segment == SEGMENTS[1] and check.context == (SEGMENTS[1],)


def test_decisions_lapse_when_claim_time_or_transcript_change(tmp_path: Path) -> None:
    note = sample_note()
    al = with_suggestion(sample_alignment(note))
    made, _ = decide(tick(render(al), "dismiss"), al)
    held = {d.citation: d for d in made}
    assert apply_decisions(al, note, held, "t2", SEGMENTS) == al  # transcript changed
    edited = sample_note(note.render().replace("initiative passed", "initiative went"))
    al2 = sample_alignment(edited)
    assert all(not c.decision for c in apply_decisions(al2, edited, held, THASH).checks)
    # a tick made on the old note is not taken for the edited note's citation
    ticks = read_ticks(tick(render(al), "dismiss"))
    assert decisions_from_ticks(ticks, al2, edited, KEY, THASH, "ana", WHEN) == []


def test_store_is_json_lines_shared_with_other_kinds(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    assert path == tmp_path / ".interlinear" / "review.jsonl"
    path.parent.mkdir()
    path.write_text('{"kind": "translation", "block": "x"}\nnot json\n', encoding="utf-8")
    al = with_suggestion(sample_alignment(sample_note()))
    made, _ = decide(tick(render(al), "dismiss"), al)
    record(path, made)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ['{"kind": "translation", "block": "x"}', "not json"]
    row = json.loads(lines[2])
    assert row["kind"] == "citation" and row["note"] == KEY and row["citation"] == 2
    assert {"written", "claim", "transcript", "decision", "who", "when"} <= set(row)
    assert load_decisions(path) == made


def test_ticked_boxes_are_decisions_not_edits() -> None:
    from pipeline.review.decisions import boxes_as_written

    written = ("> text\n>   - [ ] accept 00:10:45 ^i3-a1b2c3-accept\n"
               ">   - [ ] dismiss ^i3-a1b2c3-dismiss\n> more\n")
    ticked = written.replace("[ ] accept 00:10:45", "[x] accept 00:10:40")
    assert boxes_as_written(ticked, written) == written
    edited = ticked.replace("more", "changed")
    assert boxes_as_written(edited, written) == written.replace("more", "changed")


def test_accept_and_dismiss_both_ticked_record_nothing_and_say_so() -> None:
    al = with_suggestion(sample_alignment(sample_note()))
    both = tick(tick(render(al), "accept"), "dismiss")
    made, decided = decide(both, al)
    assert made == [] and decided == al
    said = contradictory_ticks(read_ticks(both), al, sample_note())
    assert len(said) == 1 and "00:02:12" in said[0] and "both ticked" in said[0], said
    assert contradictory_ticks(read_ticks(tick(render(al), "accept")), al, sample_note()) == []
    # once one of them is in force, ticking the other as well is a change of mind
    held = {d.citation: d for d in decide(tick(render(al), "dismiss"), al)[0]}
    as_held = apply_decisions(al, sample_note(), held, THASH, SEGMENTS)
    assert contradictory_ticks(read_ticks(both), as_held, sample_note()) == []
