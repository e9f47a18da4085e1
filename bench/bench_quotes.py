"""Transcript quotes translated whole: Bergamot en->pt the old way and through `translate_safely`.

A quote is what the run translates for each citation (`produce.quote_text`): the cited
transcript sentence with the one before and the one after, joined by spaces. Over the 62
English transcripts of `../shared/corpus` (`en/sentence_timings.json`) every such window
is built; a seeded sample of `--sample` windows, half of them over 85 words, is
translated

- the old way: the engine called directly with each whole window, as `translate_safely`
  did up to commit c1bed28;
- the new way: `translate_safely` (sentences, clauses under the word limit, every output
  checked, a suspect one cut smaller or reported).

A translation covers its quote when it has at least as many sentence ends as the quote,
at least `FLOOR` times its words, and no decoder loop (`translate.check.suspect`, which
also refuses under half the words). Reported: the
share of windows over 85 words, coverage before and after (target 100%), failures
reported by the new way, seconds.

usage: .venv/bin/python bench/bench_quotes.py [--corpus DIR] [--sample N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.translate import BergamotEngine, translate_safely  # noqa: E402
from pipeline.translate.check import suspect  # noqa: E402
from pipeline.translate.split import size  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LONG = 85  # words
FLOOR = 0.75  # output words per quote word, at least
_END = re.compile(r"(?<=[\w\"'”’»)\]])[.!?…]+(?=[\"'”’»)\]]*(?:\s|$)|[A-ZÀ-Ý])")


def windows(corpus: Path) -> list[str]:
    out = []
    for path in sorted(corpus.glob("transcripts/*/en/sentence_timings.json")):
        said = [str(row[0]).strip() for row in json.loads(path.read_text(encoding="utf-8"))]
        said = [s for s in said if s]
        out += [" ".join(said[i - 1:i + 2]) for i in range(1, len(said) - 1)]
    return out


class Counted:
    """The engine, counting the pieces it is sent."""

    def __init__(self, engine: BergamotEngine) -> None:
        self.engine, self.name, self.sent = engine, engine.name, list[str]()
        self.calls: list[int] = []  # texts per call: the first call, then retries

    def model_id(self, source: str, target: str) -> str:
        return self.engine.model_id(source, target)

    def supports(self, source: str, target: str) -> bool:
        return self.engine.supports(source, target)

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.sent += texts
        self.calls.append(len(texts))
        return self.engine.translate(texts, source, target)


def ends(text: str) -> int:
    """Sentence ends after a word (Bergamot sometimes glues sentences: "racional.Uma
    vez"; a transcript "sentence" may be a lone ".")."""
    return len(_END.findall(text))


def covers(quote: str, output: str | None) -> bool:
    return bool(output) and ends(output or "") >= ends(quote) and \
        size(output or "") >= FLOOR * size(quote) and suspect(quote, output or "") is None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--seed", type=int, default=19)
    args = ap.parse_args()
    every = windows(args.corpus)
    if not every:
        print(f"no transcripts under {args.corpus}", file=sys.stderr)
        return 2
    long = [w for w in every if len(w.split()) > LONG]
    short = [w for w in every if len(w.split()) <= LONG]
    rng = random.Random(args.seed)
    half = args.sample // 2
    sample = rng.sample(long, min(half, len(long))) + \
        rng.sample(short, min(args.sample - half, len(short)))
    engine = BergamotEngine()
    engine.translate(["Warm up the model."], "en", "pt")

    t0 = time.perf_counter()
    old = engine.translate(sample, "en", "pt")
    t_old = time.perf_counter() - t0
    counted = Counted(engine)
    t0 = time.perf_counter()
    result = translate_safely(counted, sample, "en", "pt")
    t_new = time.perf_counter() - t0

    def share(outs: list[str] | tuple[str | None, ...], subset: set[int]) -> float:
        return round(100 * sum(covers(sample[i], outs[i]) for i in subset) / len(subset), 1)

    every_i = set(range(len(sample)))
    long_i = {i for i in every_i if len(sample[i].split()) > LONG}
    o = {"covered_pct": share(old, every_i), "covered_over_85_pct": share(old, long_i),
         "covered_up_to_85_pct": share(old, every_i - long_i), "seconds": round(t_old, 1)}
    n = {"covered_pct": share(result.outputs, every_i),
         "covered_over_85_pct": share(result.outputs, long_i),
         "covered_up_to_85_pct": share(result.outputs, every_i - long_i),
         "failures": len(result.failures), "seconds": round(t_new, 1),
         "pieces_sent": len(counted.sent), "pieces_retried": sum(counted.calls[1:]),
         "largest_piece_words": max(size(t) for t in counted.sent)}
    over = round(100 * len(long) / len(every), 1)
    results = {
        "windows": len(every), "windows_over_85_words_pct": over, "sample": len(sample),
        "sample_over_85_words": len(long_i), "seed": args.seed, "old": o, "new": n,
        "failures": [f.reason for f in result.failures],
        "uncovered_new": [{"quote": sample[i], "output": result.outputs[i]}
                          for i in sorted(every_i) if not covers(sample[i], result.outputs[i])],
    }
    md = "\n".join([
        f"Quotes (3 transcript sentences) en->pt with Bergamot: {len(every)} windows in the "
        f"corpus, {over}% over {LONG} words; sample of {len(sample)} (seed {args.seed}), "
        f"{len(long_i)} over {LONG} words.", "",
        "| | covered | over 85 words | up to 85 words | failures reported | seconds |",
        "|---|---|---|---|---|---|",
        f"| engine called with the whole quote (c1bed28) | {o['covered_pct']}% | "
        f"{o['covered_over_85_pct']}% | {o['covered_up_to_85_pct']}% | - | {o['seconds']} |",
        f"| `translate_safely` (bounded, checked) | {n['covered_pct']}% | "
        f"{n['covered_over_85_pct']}% | {n['covered_up_to_85_pct']}% | "
        f"{n['failures']} | {n['seconds']} |", "",
        f"Covered: at least the quote's sentence ends, {FLOOR} times its words, no loop. "
        f"The new way sent {n['pieces_sent']} pieces (largest {n['largest_piece_words']} "
        f"words), {n['pieces_retried']} of them again after a suspect output.",
    ])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_quotes.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    (RESULTS / "bench_quotes.md").write_text(md + "\n")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
