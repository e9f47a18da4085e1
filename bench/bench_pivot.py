"""Portuguese through the pivot against direct en->pt, on the corpus (chrF, sacrebleu).

For every corpus sentence that has both a Russian and a Portuguese translation
(`VIDEO/ru|pt/sentence_translations.json`, matched on the English `input`):
- direct: the English sentence through Bergamot en->pt;
- pivot: the Russian translation through the run's own engine choice (`Engines.get("ru",
  "pt")`: argos ru->en, then Bergamot en->pt), as a Russian transcript's quotes and track
  are translated;
both scored against the Portuguese translation (chrF, corpus level; also on the sentences
a person reviewed, `n_reviews` > 0, when there are any).

The pivot needs an installed ru->en argos model (`interlinear models install ru en`, or
`--file translate-ru_en.argosmodel`); without one it is reported as not measured, with the
command. Usage: .venv/bin/python bench/bench_pivot.py [--sentences 400] [--corpus DIR]
Writes bench/results/bench_pivot.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from pipeline.errors import ModelMissingError  # noqa: E402
from pipeline.glossary import Glossary  # noqa: E402
from pipeline.run import Engines  # noqa: E402
from pipeline.settings import RunSettings  # noqa: E402
from pipeline.translate import TranslationMemory  # noqa: E402


def triples(corpus: Path, limit: int) -> list[tuple[str, str, str, bool]]:
    """(English, Russian, Portuguese, reviewed) for sentences with both translations."""
    found: list[tuple[str, str, str, bool]] = []
    for pt_file in sorted((corpus / "transcripts").glob("*/pt/sentence_translations.json")):
        ru_file = pt_file.parents[1] / "ru" / "sentence_translations.json"
        if not ru_file.is_file():
            continue
        ru = {r["input"]: r for r in json.loads(ru_file.read_text(encoding="utf-8"))}
        for p in json.loads(pt_file.read_text(encoding="utf-8")):
            r = ru.get(p["input"])
            if r and p["input"].strip() and r["translatedText"].strip() and (
                    p["translatedText"].strip()):
                found.append((p["input"], r["translatedText"], p["translatedText"],
                              bool(p.get("n_reviews")) or bool(r.get("n_reviews"))))
            if len(found) >= limit:
                return found
    return found


def chrf(hyps: list[str], refs: list[str]) -> float:
    from sacrebleu.metrics import CHRF

    return round(CHRF().corpus_score(hyps, [refs]).score, 2)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=400)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args()
    if not (args.corpus / "transcripts").is_dir():
        print(f"no corpus at {args.corpus}")
        return 1
    rows = triples(args.corpus, args.sentences)
    en, ru, pt = ([r[i] for r in rows] for i in range(3))
    reviewed = [i for i, r in enumerate(rows) if r[3]]
    settings = RunSettings(vault=ROOT, out=ROOT / "output", languages=("pt",))
    engines = Engines(settings, TranslationMemory(":memory:"), Glossary([]))
    result: dict[str, object] = {"sentences": len(rows), "reviewed": len(reviewed)}
    for name, source, texts in (("direct en->pt", "en", en), ("pivot ru->en->pt", "ru", ru)):
        try:
            engine = engines.get(source, "pt")
        except ModelMissingError as exc:
            result[name] = {"measured": False, "why": exc.reason}
            print(f"{name}: not measured: {exc.reason}")
            continue
        began = time.perf_counter()
        out = engine.translate(texts, source, "pt")
        row = {"measured": True, "model": engine.model_id(source, "pt"),
               "chrF": chrf(out, pt), "seconds": round(time.perf_counter() - began, 1)}
        if reviewed:
            row["chrF_reviewed"] = chrf([out[i] for i in reviewed], [pt[i] for i in reviewed])
        result[name] = row
        print(f"{name}: chrF {row['chrF']} on {len(rows)} sentences "
              f"({row['seconds']} s; {row['model']})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_pivot.json").write_text(json.dumps(result, ensure_ascii=False, indent=1)
                                              + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
