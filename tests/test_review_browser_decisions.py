"""The review page of a reviewed note in headless Chromium: citation decisions made by
ticking the bilingual note's checkboxes (read back and applied by `pipeline.review`), and
approved translations, shown as the reviewer expects: decision labels, who and when, and
the counts (blocks approved / machine-only / to review again; citations accepted /
dismissed / open) on the page and the index. Screenshots go to `$REVIEW_SHOTS` (default
`output/`) for people to look at."""

from __future__ import annotations

import os
import re
from html import unescape
from pathlib import Path

import pytest

from pipeline.render import relative_href, review_entry, review_index, review_page_parts
from pipeline.review import BlockReview

from .test_render_review import SOURCE, sample_page
from .test_render_sample import SEGMENTS, sample_alignment, sample_note, sample_translation
from .test_review_browser import chromium, png_size, run, write  # noqa: F401 - fixture
from .test_review_decisions import THASH, render, with_suggestion

pytestmark = pytest.mark.slow
SHOTS = Path(os.environ.get("REVIEW_SHOTS") or Path(__file__).resolve().parents[1] / "output")


def tick_for(text: str, written: str, action: str) -> str:
    """`text` with the `action` box under the citation written `written` ticked."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if f"[{written}](" in line and "](https" in line)
    box = next(i for i in range(at + 1, len(lines)) if lines[i].rstrip().endswith(f"-{action}"))
    lines[box] = lines[box].replace("- [ ]", "- [x]", 1)
    return "".join(lines)


def reviewed_pages() -> tuple[str, str, str]:
    """The page and index of the sample note after a review: the suspect 00:02:12's
    suggestion accepted, the repaired 00:06:00 dismissed (ticked in the bilingual note),
    one block approved and one to review again; and the page's path under review/."""
    from pipeline.review.decisions import apply_decisions, decisions_from_ticks, read_ticks

    note = sample_note()
    al = with_suggestion(sample_alignment(note))
    text = tick_for(tick_for(render(al), "00:02:12", "accept"), "00:06:00", "dismiss")
    made = decisions_from_ticks(read_ticks(text), al, note, "bonus_professor/kherson.md",
                                THASH, "ana", "2026-11-28T08:00:00+00:00")
    assert sorted(d.decision for d in made) == ["accept", "dismiss"]
    decided = apply_decisions(al, note, {d.citation: d for d in made}, THASH, SEGMENTS)
    tr = sample_translation(note)
    blocks = [i for i, b in enumerate(note.blocks) if b.kind in ("paragraph", "list_item")]
    reviews = {blocks[0]: BlockReview("approved", tr.blocks[blocks[0]], "ana",
                                      "2026-11-28T08:00:00+00:00"),
               blocks[1]: BlockReview("review_again", tr.blocks[blocks[1]], "rita",
                                      "2026-11-27T18:30:00+00:00")}
    rel = "/".join(review_page_parts("pt", note.channel, note.slug))
    page = sample_page(alignment=decided, reviews=reviews, source=SOURCE, reviewed=(1, 6, 1),
                       index_href=relative_href(rel, "index.html"))
    entry = review_entry(note, tr, decided, relative_href("index.html", rel), source=SOURCE,
                         reviewed=(1, 6, 1))
    return page, review_index([entry]), rel


def chips(dom: str) -> list[str]:
    return [" ".join(unescape(m).split()) for m in
            re.findall(r'<span class="chip [^"]*">([^<]*)</span>', dom)]


def test_review_page_shows_decisions_and_counts(chromium: str, tmp_path: Path) -> None:  # noqa: F811
    page_html, index_html, rel = reviewed_pages()
    root = tmp_path / "review"
    page = write(root / rel, page_html)
    index = write(root / "index.html", index_html)

    dom = run(chromium, tmp_path, page, "--dump-dom", "--virtual-time-budget=3000")
    assert re.search(r'<body style="--top-h: \d+px;?"', dom)  # the page's script ran
    shown = chips(dom)
    for label in ("↻ 1 repaired", "✓ 6 ok", "⚠ 0 suspect", "1 accepted citation",
                  "1 dismissed citation", "0 open citations", "1 blocks approved",
                  "6 machine-only", "1 to review again"):
        assert label in shown, (label, shown)
    assert dom.count('class="decision d-accepted">accepted</span>') == 1
    assert dom.count('class="decision d-dismissed">dismissed</span>') == 1
    assert "00:02:09 accepted by ana, 2026-11-28" in dom
    assert "dismissed by ana, 2026-11-28 (repaired:" in dom
    assert "approved translation · ana, 2026-11-28T08:00:00+00:00" in dom
    assert "approved, review again: the glossary changed for this block · rita" in dom
    assert dom.count('href="obsidian://open?vault=vault&amp;file=bonus_professor%2Fkherson"') > 5

    dom = run(chromium, tmp_path, index, "--dump-dom", "--virtual-time-budget=3000")
    for label in ("1 accepted citation", "1 dismissed citation", "0 open citations",
                  "✓ 1 blocks approved", "⚠ 1 blocks to review again"):
        assert label in chips(dom), (label, chips(dom))
    assert '<td class="n reviewed">1 / 6 / 1</td>' in dom
    assert '<td class="n decided">1 / 1 / 0</td>' in dom

    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, src, size in (("review_decided.png", page, "1400,2600"),
                            ("review_decided_index.png", index, "1400,600")):
        out = SHOTS / name
        out.unlink(missing_ok=True)
        run(chromium, tmp_path, src, f"--screenshot={out}", f"--window-size={size}",
            "--hide-scrollbars")
        assert out.stat().st_size > 20_000, name
        assert png_size(out) == tuple(int(x) for x in size.split(",")), name
