"""The review loop through real runs of the vault flow on the example vault: tick accept
and dismiss in the bilingual note, run again: the decisions are in the vault's review
store, the statuses changed everywhere (bilingual note, review page, alignment.json,
manifest), the dismissed flag is gone and stays gone; `interlinear fix` writes the accepted
time and the repaired MM:SS:00 back into the source note."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.notes import load_note
from pipeline.review import default_store as store_path
from pipeline.review.decisions import load_decisions
from tests.flows_support import (
    EXAMPLES,
    ROOT,
    copy_caches,
    copy_examples,
    example_params,
    warm_cache_slot,
)

pytestmark = pytest.mark.slow
SLUG = "bonus_professor/peace_terms_after_kherson"
# a summary claim: 00:06:40 (the offer introduced) suspect, 00:11:40 (said there) ok
SUMMARY = "Whether the offer becomes the basis of real talks"


def tick(text: str, marker: str, action: str) -> str:
    lines = text.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines)
            if marker in line and line.rstrip().endswith(f"-{action}") and "- [ ]" in line]
    assert len(hits) == 1, marker
    lines[hits[0]] = lines[hits[0]].replace("- [ ]", "- [x]", 1)
    return "".join(lines)


def statuses(out: Path, claim: str) -> list[tuple[str, str | None]]:
    """The statuses and decisions of a claim's citations in alignment.json."""
    report = json.loads((out / "alignment.json").read_text(encoding="utf-8"))
    note = next(n for n in report["notes"] if n["path"].endswith(SLUG + ".md"))
    found = next(c for c in note["claims"] if c["text"].startswith(claim))
    return [(x["status"], x["decision"]) for x in found["citations"]]


def test_tick_accept_and_dismiss_rerun_then_fix(
        harness: None, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.vault import vault_flow

    monkeypatch.setenv("INTERLINEAR_REVIEWER", "ana")
    vault = copy_examples(tmp_path / "vault")
    out = tmp_path / "out"
    with warm_cache_slot(tmp_path_factory.getbasetemp()) as (warm, build):
        cache = warm if build else copy_caches(warm, tmp_path / "cache")
        first = vault_flow(**example_params(vault, out, cache))
    bilingual = out / "bilingual" / "pt" / f"{SLUG}.md"
    text = bilingual.read_text(encoding="utf-8")
    note = load_note(vault / f"{SLUG}.md", vault)
    summary = next(c for c in note.claims if c.text.startswith(SUMMARY))
    erdogan = next(c for c in note.citations if c.written == "00:12:40")
    # the suggestion points at the start of the sentence that says it, with its words
    assert f"- [ ] accept 00:10:45 ^i{erdogan.index}-" in text
    assert "supported at [00:10:45](https://www.youtube.com/watch?v=chIqmlJA2i0&t=645s) " \
           "«Второй признак — президент Турции Эрдоган объявил," in text
    assert statuses(out, SUMMARY) == [("suspect", None), ("ok", None)]
    flagged = summary.citations[0]  # the reviewer keeps it: the claim sums up both moments

    text = tick(text, f"accept 00:10:45 ^i{erdogan.index}-", "accept")
    text = tick(text, f"^i{flagged.index}-", "dismiss")
    bilingual.write_text(text, encoding="utf-8")
    second = vault_flow(**example_params(vault, out, cache))

    decided = load_decisions(store_path(vault))
    assert sorted((d.citation, d.decision, d.who) for d in decided) == sorted(
        [(erdogan.index, "accept", "ana"), (flagged.index, "dismiss", "ana")])
    assert not (out / ".interlinear").exists()  # the store lives in the vault, not OUT
    assert statuses(out, SUMMARY) == [("ok", "dismissed"), ("ok", None)]
    assert statuses(out, "Turkish President") == [("repaired", "accepted")]
    cites = lambda m: m["summary"]["citations"]  # noqa: E731
    assert cites(second)["suspect"] == cites(first)["suspect"] - 2
    assert cites(second)["ok"] == cites(first)["ok"] + 1
    text = bilingual.read_text(encoding="utf-8")
    assert f"- [x] accept 00:10:45 ^i{erdogan.index}-" in text
    assert text.count("✓ ok (dismissed)") == 1 and "- [ ] reopen" in text
    page = next((out / "review").rglob("peace_terms_after_kherson*.html")).read_text("utf-8")
    assert page.count('class="decision d-dismissed"') == 1
    assert page.count('class="decision d-accepted"') == 1
    assert "1 dismissed" in page and "1 accepted" in page

    third = vault_flow(**example_params(vault, out, cache))  # nothing new: flagged no more
    assert len(load_decisions(store_path(vault))) == len(decided)
    assert cites(third) == cites(second)

    source = vault / f"{SLUG}.md"
    old = source.read_text(encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "fix", str(vault), "--transcripts",
         str(EXAMPLES / "transcripts"), "--offline", "--cache-dir", str(cache),
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-2000:]
    new = source.read_text(encoding="utf-8")
    # the accepted anchor only (the note cites 00:12:40 once more, for another claim)
    assert old.count('data-t="00:12:40"') == 2
    assert new == old.replace('data-t="00:12:40">[00:12:40]', 'data-t="00:10:45">[00:10:45]', 1)
    assert 'data-t="00:04:10">[00:04:10]</a>' in (
        vault / "bonus_professor" / "kherson_withdrawal_and_the_elite.md").read_text("utf-8")
    shutil.rmtree(out)  # deleting OUT loses no decision
    assert len(load_decisions(store_path(vault))) == len(decided)
