"""Renamed and deleted notes through real runs of the vault flow on the example vault:
their outputs (translated and bilingual notes, review pages, tracks of a video no note
cites any more) are removed when the run wrote them and nobody changed them since; an
edited one is kept and reported (summary, manifest.json, review index), run after run.
Also: the citation decisions ticked go to the configured review store, named by
`reviewer`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.review.decisions import load_decisions
from tests.flows_support import copy_caches, copy_examples, example_params, warm_cache_slot
from tests.test_review_loop import tick

pytestmark = pytest.mark.slow
CH = "bonus_professor"
RENAMED = "kherson_withdrawal_and_the_elite"
DELETED = "kremlins_answer_to_the_peace_offer"
KEPT = "peace_terms_after_kherson"
GONE_VIDEO = "AWZr7BhFSyE"  # cited by the deleted note only


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=240):
        yield


def files(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for tree in ("notes", "bilingual", "review",
                                                         "subtitles")
            for p in (out / tree).rglob("*") if p.is_file()}


def test_renamed_and_deleted_notes_leave_no_orphans(
        harness: None, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.vault import vault_flow

    monkeypatch.setenv("INTERLINEAR_REVIEWER", "someone-else")
    vault = copy_examples(tmp_path / "vault")
    out = tmp_path / "out"
    store = tmp_path / "reviews" / "kherson.jsonl"
    with warm_cache_slot(tmp_path_factory.getbasetemp()) as (warm, build):
        cache = warm if build else copy_caches(warm, tmp_path / "cache")
        params = example_params(vault, out, cache, review_store=str(store), reviewer="rita")
        first = vault_flow(**params)
    before = files(out)
    renamed = {f for f in before if f"/{RENAMED}." in f}
    deleted = {f for f in before if f"/{DELETED}." in f or f"/{GONE_VIDEO}/" in f}
    assert len(renamed) >= 3 and any(f.startswith("subtitles/") for f in deleted)
    edited = f"notes/pt/{CH}/{DELETED}.md"
    assert edited in deleted and first["summary"]["removed"] == 0

    # a reviewer edits the deleted note's translation before it goes, and dismisses a
    # false alarm in another note; the renamed note moves, the deleted one goes
    (out / edited).write_text((out / edited).read_text("utf-8") + "\nrevisto por rita\n",
                              encoding="utf-8")
    bilingual = out / "bilingual" / "pt" / CH / f"{KEPT}.md"
    text = bilingual.read_text(encoding="utf-8")
    marker = next(line.split("^")[1].rsplit("-", 1)[0] for line in text.splitlines()
                  if line.rstrip().endswith("-dismiss") and "- [ ]" in line)
    bilingual.write_text(tick(text, f"^{marker}-", "dismiss"), encoding="utf-8")
    (vault / CH / f"{RENAMED}.md").rename(vault / CH / "kherson_withdrawal.md")
    (vault / CH / f"{DELETED}.md").unlink()

    second = vault_flow(**params)
    after = files(out)
    assert after & (renamed | deleted) == {edited}  # the rest of the orphans removed
    assert sorted(second["removed"]) == sorted((renamed | deleted) - {edited})
    assert second["summary"]["removed"] == len((renamed | deleted) - {edited})
    assert not (out / "subtitles" / GONE_VIDEO).exists()  # emptied folders go too
    assert {f.replace(f"/{RENAMED}.", "/kherson_withdrawal.") for f in renamed} <= after
    kept = [c for c in second["conflicts"] if c["stage"] == "orphan"]
    assert [c["item"] for c in kept] == [edited]
    assert "no longer in the vault" in kept[0]["reason"]
    assert "revisto por rita" in (out / edited).read_text("utf-8")
    index = (out / "review" / "index.html").read_text("utf-8")
    assert edited in index and "Removed: outputs of notes no longer in the vault" in index
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["removed"] == second["removed"]

    # (c) the tick is a decision in the configured store, by the reviewer given
    decided = load_decisions(store)
    assert [(d.decision, d.who, d.note) for d in decided] == [
        ("dismiss", "rita", f"{CH}/{KEPT}.md")]
    assert not (vault / ".interlinear").exists()
    page = (out / "review" / "pt" / CH / f"{KEPT}.html").read_text("utf-8")
    assert page.count('class="decision d-dismissed"') == 1
    assert "dismissed by rita, " in page

    third = vault_flow(**params)  # nothing more to remove; the edit still reported
    assert third["removed"] == [] and files(out) == after
    assert [c["item"] for c in third["conflicts"] if c["stage"] == "orphan"] == [edited]
