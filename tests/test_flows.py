"""The vault flow under `prefect_test_harness` on the example vault: outputs, manifest, and
incremental re-runs (nothing changed, one note edited, one glossary term changed).

The tests run in order over one copy of the vault and one output folder (`first`): each
starts from what the one before left.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import webvtt

from tests.flows_support import (
    EXAMPLES,
    ROOT,
    assert_outputs_whole,
    comparable,
    copy_caches,
    copy_examples,
    example_params,
    output_files,
    tasks_by_status,
    warm_cache_slot,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

NOTES = {
    "kherson_withdrawal_and_the_elite": "chIqmlJA2i0",
    "peace_terms_after_kherson": "chIqmlJA2i0",
    "kremlins_answer_to_the_peace_offer": "AWZr7BhFSyE",
}
CHANNEL = "bonus_professor"


@dataclass(frozen=True)
class Run:
    vault: Path
    out: Path
    cache: Path
    glossary: Path
    manifest: dict[str, Any]

    def again(self) -> dict[str, Any]:
        from flows.vault import vault_flow

        return vault_flow(**example_params(self.vault, self.out, self.cache,  # type: ignore[no-any-return]
                                           glossary=str(self.glossary)))


@pytest.fixture(scope="module")
def first(harness: None, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One run over a copy of the example vault: the session's cold run that warms the
    library caches for the other flow tests, or a run from a copy of those caches."""
    from flows.vault import vault_flow

    base = tmp_path_factory.mktemp("flows")
    vault = copy_examples(base / "vault")
    shutil.copytree(ROOT / "glossary", base / "glossary")
    out = base / "out"
    with warm_cache_slot(tmp_path_factory.getbasetemp()) as (warm, build):
        cache = warm if build else copy_caches(warm, base / "cache")
        manifest = vault_flow(**example_params(vault, out, cache,
                                               glossary=str(base / "glossary")))
    return Run(vault, out, cache, base / "glossary", manifest)


def set_cell(folder: Path, term: str, lang: str, value: str) -> bool:
    """Set one cell of a glossary CSV in `folder`; whether the term was found."""
    for f in sorted(folder.glob("*.csv")):
        rows = list(csv.reader(io.StringIO(f.read_text(encoding="utf-8"), newline="")))
        col = rows[0].index(lang)
        for row in rows[1:]:
            if row and row[0] == term:
                assert row[col] != value
                row[col] = value
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\n").writerows(rows)
                f.write_text(buf.getvalue(), encoding="utf-8")
                return True
    return False


def note_path(vault: Path, slug: str) -> str:
    return str(vault / CHANNEL / f"{slug}.md")


def test_smoke_outputs_and_manifest(first: Run) -> None:
    vault, out, manifest = first.vault, first.out, first.manifest
    on_disk = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["summary"] == manifest["summary"]
    summary = manifest["summary"]
    assert isinstance(summary, dict)
    assert summary["notes"] == 3 and summary["videos"] == 2 and summary["failures"] == 0
    # ru has no model here: a warning naming the install command, never hidden
    assert any(w["item"] == "ru" and "interlinear models install" in w["reason"]
               for w in manifest["warnings"])  # type: ignore[attr-defined]
    for slug, vid in NOTES.items():
        translated = (out / "notes" / "pt" / CHANNEL / f"{slug}.md").read_text(encoding="utf-8")
        assert "yt-timestamp" in translated and "lang: pt" in translated
        bilingual = (out / "bilingual" / "pt" / CHANNEL / f"{slug}.md").read_text(encoding="utf-8")
        assert "[!translation] PT" in bilingual and f"watch?v={vid}" in bilingual
        assert (out / "review" / "pt" / CHANNEL / f"{slug}.html").is_file()
        for track in (f"{vid}.ru.vtt", f"{vid}.claims.en.vtt", f"{vid}.claims.pt.vtt"):
            assert webvtt.read(str(out / "subtitles" / vid / track)).captions
    assert not (out / "notes" / "ru").exists()
    assert_outputs_whole(out)
    # every stage ran once per item, and said so
    status = tasks_by_status(manifest)
    assert not status["cached"]
    for slug, vid in NOTES.items():
        path = note_path(vault, slug)
        assert {("align", path), ("translate", f"{path} [pt]"),
                ("render", f"{path} [pt]")} <= status["ran"]
        assert {("fetch", vid), ("tracks", vid), ("claims_tracks", vid)} <= status["ran"]
    outputs: list[dict[str, str]] = manifest["outputs"]  # type: ignore[assignment]
    listed = {o["path"] for o in outputs} | {o["srt"] for o in outputs if "srt" in o}
    assert listed == {p for p in output_files(out) if p != "manifest.json"}
    # glossary compliance per note, language and term, and the totals per language
    reports = [o["glossary"] for o in outputs if o["kind"] == "translated_note"]
    assert len(reports) == 3
    terms = [t for r in reports for t in r["terms"]]  # type: ignore[attr-defined]
    assert terms and all(t["status"] in ("found", "repaired", "missing") for t in terms)
    assert {"term": "Kherson", "expected": "Kherson"} in [
        {k: t[k] for k in ("term", "expected")} for t in terms]
    totals = summary["glossary_terms"]["pt"]  # type: ignore[index]
    assert sum(totals.values()) == len(terms)
    assert totals["missing"] == sum(r["missing"] for r in reports)  # type: ignore[index]


def test_unchanged_rerun_reuses_everything(first: Run) -> None:
    vault, out, manifest = first.vault, first.out, first.manifest
    before = output_files(out)
    again = first.again()
    status = tasks_by_status(again)
    assert {t for t, _ in status["ran"]} <= {"fetch"}  # local transcript files are read again
    assert len(status["cached"]) == len(tasks_by_status(manifest)["ran"]) - 2
    assert comparable(output_files(out)) == comparable(before)
    # an output deleted is written again; one changed by hand is a person's work: kept as
    # it is, the new version written beside it, the conflict listed; the rest stays reused
    rel = f"bilingual/pt/{CHANNEL}/peace_terms_after_kherson.md"
    victim = out / rel
    victim.write_text("damaged", encoding="utf-8")
    (out / "subtitles" / "AWZr7BhFSyE" / "AWZr7BhFSyE.claims.pt.vtt").unlink()
    third = first.again()
    status = tasks_by_status(third)
    path = note_path(vault, "peace_terms_after_kherson")
    assert {x for x in status["ran"] if x[0] != "fetch"} == {
        ("render", f"{path} [pt]"), ("claims_tracks", "AWZr7BhFSyE")}
    assert [c["item"] for c in third["conflicts"]] == [rel]  # type: ignore[union-attr]
    expected = dict(before)
    expected[rel], expected[rel.removesuffix(".md") + ".new.md"] = b"damaged", before[rel]
    got, want = comparable(output_files(out)), comparable(expected)
    for key in ("manifest.json", "review/index.html"):  # these list the conflict
        got.pop(key), want.pop(key)
    assert got == want
    victim.unlink()  # resolved: the person's copy dropped, the run's version back in place
    first.again()
    assert comparable(output_files(out)) == comparable(before)


def test_one_note_edited_redoes_only_that_note(first: Run) -> None:
    vault, out = first.vault, first.out
    note = vault / CHANNEL / "kremlins_answer_to_the_peace_offer.md"
    text = note.read_text(encoding="utf-8")
    anchor = text.index('<a class="yt-timestamp"')
    note.write_text(text[:anchor] + "(an edit) " + text[anchor:], encoding="utf-8")
    manifest = first.again()
    ran = {x for x in tasks_by_status(manifest)["ran"] if x[0] != "fetch"}
    path = str(note)
    assert ran == {("align", path), ("translate", f"{path} [pt]"), ("render", f"{path} [pt]"),
                   ("claims_tracks", "AWZr7BhFSyE")}
    bilingual = (out / "bilingual" / "pt" / CHANNEL / note.name).read_text(encoding="utf-8")
    assert "(an edit)" in bilingual
    assert_outputs_whole(out)


def test_glossary_change_retranslates_only_notes_with_the_term(first: Run) -> None:
    """Erdogan occurs in one note: its new Portuguese rendering re-translates that note
    only; a new Russian rendering of Putin (in every note) changes nothing in Portuguese."""
    vault, out = first.vault, first.out
    assert set_cell(first.glossary, "Erdogan", "pt", "Erdoğan|Erdogan")
    assert set_cell(first.glossary, "Putin", "ru", "Путин|Путина")
    manifest = first.again()
    status = tasks_by_status(manifest)
    path = note_path(vault, "peace_terms_after_kherson")
    assert {x for x in status["ran"] if x[0] in ("align", "translate", "render")} == {
        ("translate", f"{path} [pt]"), ("render", f"{path} [pt]")}
    assert len([x for x in status["cached"] if x[0] == "translate"]) == 2
    # provenance: the re-translated note names the new glossary, the others the old one
    new_hash = manifest["glossary"]["hash"]  # type: ignore[index]
    for slug in NOTES:
        text = (out / "notes" / "pt" / CHANNEL / f"{slug}.md").read_text(encoding="utf-8")
        assert (f"interlinear_glossary: {new_hash[:16]}\n" in text) == (
            slug == "peace_terms_after_kherson")


def test_a_failing_video_fails_its_own_task_not_the_run(first: Run) -> None:
    """A note about a video without a transcript (offline): its fetch task ends Failed, the
    run Completed, the manifest names the failure, and the other notes are still done."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.vault import vault_flow

    text = (EXAMPLES / "vault" / CHANNEL / "peace_terms_after_kherson.md").read_text(
        encoding="utf-8")
    (first.vault / CHANNEL / "no_transcript.md").write_text(
        text.replace("videoId: chIqmlJA2i0", "videoId: aaaaaaaaaaa"), encoding="utf-8")
    state = vault_flow(**example_params(first.vault, first.out, first.cache,
                                        glossary=str(first.glossary)), return_state=True)
    assert state.is_completed()
    manifest = state.result()
    fetch_failures = [f for f in manifest["failures"] if f["stage"] == "fetch"]
    assert [f["item"] for f in fetch_failures] == ["aaaaaaaaaaa"]
    assert "fetching is off (offline)" in fetch_failures[0]["reason"]
    assert manifest["summary"]["notes"] == 4 and manifest["summary"]["exit_status"] == 1
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
    fetches = {r.state.type.value for r in runs if r.name.startswith("fetch transcript")
               and r.state is not None}
    assert fetches == {"COMPLETED", "FAILED"}
    assert len([r for r in runs if r.state is not None and r.state.type.value == "FAILED"]) == 1
    assert (first.out / "notes" / "pt" / CHANNEL / "no_transcript.md").is_file()


def test_a_crashed_alignment_keeps_its_videos_tracks_and_the_other_videos(
        first: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in one video's alignment: its part of the "align and tracks" task is recorded
    as a crash and its notes are not rendered; its transcript tracks, made beside it in
    the same task, and the other video's notes still are; the task alone ends Failed."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    import flows.vault as fv

    real = fv.align_video

    def align(notes: Any, transcript: Any, ctx: Any) -> Any:
        if transcript is not None and transcript.video_id == "AWZr7BhFSyE":
            raise RuntimeError("a bug in the aligner")
        return real(notes, transcript, ctx)

    monkeypatch.setattr(fv, "align_video", align)
    state = fv.vault_flow(**example_params(first.vault, first.out, first.cache,
                                           glossary=str(first.glossary)), return_state=True)
    assert state.is_completed()
    manifest = state.result()
    crashes = [(f["stage"], f["item"]) for f in manifest["failures"]
               if "a bug in the aligner" in f["reason"]]
    assert crashes == [("align", "AWZr7BhFSyE")]
    status = tasks_by_status(manifest)
    done = status["ran"] | status["cached"]
    assert ("tracks", "AWZr7BhFSyE") in done
    rendered = {item for task, item in done if task == "render"}
    assert f"{note_path(first.vault, 'peace_terms_after_kherson')} [pt]" in rendered
    assert f"{note_path(first.vault, 'kremlins_answer_to_the_peace_offer')} [pt]" not in rendered
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
    prepared = sorted(r.state.type.value for r in runs
                      if r.name.startswith("align and tracks") and r.state is not None)
    assert prepared == sorted(["FAILED"] + ["COMPLETED"] * (len(manifest["videos"]) - 1))


def test_an_index_page_is_translated_and_never_fetched(first: Run) -> None:
    """A note of no video (a channel's index page: no videoId, no citations) is translated
    and rendered like the others, its Russian video titles and its own name kept; no fetch
    or align task runs for it, and the manifest lists it among the pages."""
    from flows.vault import vault_flow

    (first.vault / CHANNEL / f"{CHANNEL}.md").write_text(
        f"---\ntitle: {CHANNEL}\n---\n"
        "### [Путину предложили сдаться. Выпуск 36.](https://www.youtube.com/watch?v=AMc-kOpw7HI)\n"
        "- [[peace_terms_after_kherson | Peace terms after Kherson]]\n", encoding="utf-8")
    manifest = vault_flow(**example_params(first.vault, first.out, first.cache,
                                           glossary=str(first.glossary)))
    page = str(first.vault / CHANNEL / f"{CHANNEL}.md")
    assert manifest["pages"] == [page] and manifest["summary"]["pages"] == 1
    assert not [t for t in manifest["tasks"] if t["item"].startswith(page)
                and t["task"] in ("fetch", "align")]
    kinds = {o["kind"] for o in manifest["outputs"] if f"/{CHANNEL}/{CHANNEL}." in o["path"]}
    assert kinds == {"translated_note", "bilingual_note", "review_page"}
    text = (first.out / "notes" / "pt" / CHANNEL / f"{CHANNEL}.md").read_text(encoding="utf-8")
    assert f"title: {CHANNEL}\n" in text and "interlinear_alignment:" not in text  # not aligned
    assert "### [Путину предложили сдаться. Выпуск 36.](https://www.youtube.com/watch?v=" in text
    assert "[[peace_terms_after_kherson | " in text and "Peace terms after" not in text
