"""Language identification on short caption text of the corpus: which library labels
a transcript that arrives without a language.

Text: the corpus's human caption files, `VIDEO/LANG/community.srt` (ru, uk, de, es, fr, pt)
and `VIDEO/en/captions.srt`, cut into cues as the pipeline reads them. Scored per language:
- `cue`: one cue (a caption fragment, typically 3-10 words), up to --cues per language;
- `10 cues`: ten consecutive cues joined (about a sentence or two);
- `file`: a whole caption file (what the pipeline detects: one transcript), every file.
Candidates (each where importable; all ship their model inside the package): py3langid
(BSD-3-Clause, a maintained fork of langid.py), lingua-language-detector (Apache-2.0),
langdetect (Apache-2.0), pycld2 (Apache-2.0). Each is asked with all its languages (an
unlabelled transcript can be in any language). Load time is the import plus the model's
load, in a fresh process; speed is per cue.

The corpus has no Turkish captions: Turkish is not scored here.

Usage: .venv/bin/python bench/bench_langid.py [--cues 400] [--corpus DIR] [--only NAME]
Writes bench/results/bench_langid.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "bench" / "results"
LANGS = ("en", "ru", "uk", "de", "es", "fr", "pt")
sys.path.insert(0, str(ROOT))

Detect = Callable[[str], tuple[str, float]]

# each candidate: its licence, and code that loads it and defines detect(text) -> (code, p)
CANDIDATES: dict[str, tuple[str, str]] = {
    "py3langid": ("BSD-3-Clause", """
from py3langid.langid import MODEL_FILE, LanguageIdentifier
_ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
def detect(text):
    lang, p = _ident.classify(text)
    return lang, float(p)
"""),
    "lingua": ("Apache-2.0", """
from lingua import LanguageDetectorBuilder
_det = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()
def detect(text):
    values = _det.compute_language_confidence_values(text)
    if not values:
        return "", 0.0
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), float(best.value)
"""),
    "langdetect": ("Apache-2.0", """
from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException
DetectorFactory.seed = 0
detect_langs("warm up the profiles")
def detect(text):
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return "", 0.0
    return best.lang.split("-")[0], float(best.prob)
"""),
    "pycld2": ("Apache-2.0", """
import pycld2
def detect(text):
    try:
        reliable, _, details = pycld2.detect(text)
    except pycld2.error:
        return "", 0.0
    code = details[0][1]
    return ("" if code == "un" else code.split("-")[0]), details[0][2] / 100.0
"""),
}


def load(name: str) -> Detect:
    scope: dict[str, object] = {}
    exec(CANDIDATES[name][1], scope)  # noqa: S102 - the bench's own code, above
    return scope["detect"]  # type: ignore[return-value]


def caption_files(corpus: Path) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for lang in LANGS:
        name = "captions.srt" if lang == "en" else "community.srt"
        files[lang] = sorted((corpus / "transcripts").glob(f"*/{lang}/{name}"))
    return files


def cues_of(path: Path) -> list[str]:
    from pipeline.transcripts.formats import parse_srt

    segs = parse_srt(path.read_text(encoding="utf-8", errors="replace"), video_id="x",
                     where=str(path), language="und").segments
    return [" ".join(s.text.split()) for s in segs if s.text.strip()]


def samples(corpus: Path, per_lang: int, seed: int = 7) -> dict[str, dict[str, list[str]]]:
    """Per language: `cue` (random cues), `10 cues` (random runs of ten), `file`."""
    rng = random.Random(seed)
    out: dict[str, dict[str, list[str]]] = {}
    for lang, files in caption_files(corpus).items():
        per_file = [cues_of(f) for f in files]
        cues = [c for cs in per_file for c in cs]
        runs = [" ".join(cs[i:i + 10]) for cs in per_file for i in range(0, len(cs) - 9, 10)]
        out[lang] = {"cue": rng.sample(cues, min(per_lang, len(cues))),
                     "10 cues": rng.sample(runs, min(per_lang, len(runs))),
                     "file": [" ".join(cs) for cs in per_file if cs]}
    return out


def load_seconds(name: str) -> float:
    """Import and model load, in a fresh interpreter (nothing cached)."""
    code = (f"import sys, time; sys.path.insert(0, {str(ROOT)!r}); t = time.perf_counter(); "
            f"import bench.bench_langid as b; b.load({name!r}); "
            "print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, check=True)
    return round(float(done.stdout.split()[-1]), 2)


def score(detect: Detect, data: dict[str, dict[str, list[str]]]) -> dict[str, object]:
    per: dict[str, dict[str, float]] = {}
    wrong: dict[str, dict[str, int]] = {}
    began = time.perf_counter()
    n_cues = 0
    for lang, kinds in data.items():
        per[lang] = {}
        for kind, texts in kinds.items():
            got = [detect(t)[0] for t in texts]
            if kind == "cue":
                n_cues += len(texts)
            per[lang][kind] = round(100.0 * sum(g == lang for g in got) / max(1, len(got)), 1)
            for g in got:
                if g != lang and kind == "cue":
                    wrong.setdefault(lang, {})
                    wrong[lang][g or "none"] = wrong[lang].get(g or "none", 0) + 1
    seconds = time.perf_counter() - began
    mean = {kind: round(sum(per[lang][kind] for lang in per) / len(per), 1)
            for kind in ("cue", "10 cues", "file")}
    top_wrong = {lang: dict(sorted(w.items(), key=lambda kv: -kv[1])[:3])
                 for lang, w in wrong.items()}
    return {"accuracy": per, "mean": mean, "confusions (cue)": top_wrong,
            "ms_per_text": round(1000 * seconds / max(1, sum(
                len(t) for k in data.values() for t in k.values())), 3),
            "cues": n_cues}


def markdown(results: dict[str, dict[str, object]], sizes: dict[str, int]) -> str:
    lines = ["| library | licence | load s | ms/text | " + " | ".join(
        f"{lang} cue/10/file" for lang in LANGS) + " | mean cue / 10 cues / file |",
        "|---" * (5 + len(LANGS)) + "|"]
    for name, r in results.items():
        acc = r["accuracy"]
        assert isinstance(acc, dict)
        mean = r["mean"]
        assert isinstance(mean, dict)
        cells = [f"{acc[lang]['cue']}/{acc[lang]['10 cues']}/{acc[lang]['file']}"
                 for lang in LANGS]
        lines.append(f"| {name} | {r['licence']} | {r['load_s']} | {r['ms_per_text']} | "
                     + " | ".join(cells)
                     + f" | {mean['cue']} / {mean['10 cues']} / {mean['file']} |")
    lines.append("")
    lines.append("Texts per language (cue / 10 cues / file): " + ", ".join(
        f"{lang} {sizes[lang + ' cue']}/{sizes[lang + ' 10 cues']}/{sizes[lang + ' file']}"
        for lang in LANGS))
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cues", type=int, default=400, help="cues and 10-cue runs per language")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--only", choices=sorted(CANDIDATES))
    args = ap.parse_args()
    if not (args.corpus / "transcripts").is_dir():
        print(f"no corpus at {args.corpus}")
        return 1
    data = samples(args.corpus, args.cues)
    sizes = {f"{lang} {kind}": len(texts) for lang, kinds in data.items()
             for kind, texts in kinds.items()}
    results: dict[str, dict[str, object]] = {}
    for name in [args.only] if args.only else list(CANDIDATES):
        try:
            detect = load(name)
        except ImportError as exc:
            print(f"{name}: not installed ({exc})")
            continue
        row: dict[str, object] = {"licence": CANDIDATES[name][0],
                                  "load_s": load_seconds(name)}
        row.update(score(detect, data))
        results[name] = row
        print(f"{name}: mean accuracy cue/10 cues/file {row['mean']}, load {row['load_s']} s, "
              f"{row['ms_per_text']} ms per text")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_langid.json").write_text(json.dumps(
        {"sizes": sizes, "results": results}, ensure_ascii=False, indent=1) + "\n")
    (RESULTS / "bench_langid.md").write_text(markdown(results, sizes))
    print(markdown(results, sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
