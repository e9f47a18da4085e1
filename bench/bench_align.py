"""Citation checking, measured: ../shared/tools/align_eval.py on our alignment reports.

    .venv/bin/python bench/bench_align.py [--corpus DIR] [--ae DIR] [--langs en,ru]

1. `align_eval.py build CORPUS AE` (into a temp folder, or `--ae DIR`: reused when it
   already holds truth.json): perturbed copies of the 3blue1brown notes (citations moved,
   or rewritten MM:SS:00) and the transcripts as youtube-transcript-api JSON
   (`VIDEO_ID.en.json`, `VIDEO_ID.ru.json`).
2. Per language: align every note of AE/notes against AE/transcripts in that language
   with an EMPTY embedding cache (cold), write the report, run `align_eval.py score`;
   then again with a new aligner on the now-filled cache (warm), check the report is the
   same, and time both. The warm run loads cached vectors and does the rest.
3. The real (unperturbed) notes of the corpus against their English transcripts: how many
   citations of each status, as they stand.

Writes bench/results/bench_align.json and .md and prints them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.align import (  # noqa: E402
    Aligner,
    alignment_report,
    precise_embedder,
    summary_counts,
    word_vectors,
)
from pipeline.align.onnx_e5 import chosen_embedder  # noqa: E402
from pipeline.errors import TranscriptError  # noqa: E402
from pipeline.fileio import atomic_write_text  # noqa: E402
from pipeline.model import Note, NoteAlignment, Transcript  # noqa: E402
from pipeline.notes import discover_notes, load_note  # noqa: E402
from pipeline.transcripts import LocalSource  # noqa: E402

EVAL = REPO.parent / "shared" / "tools" / "align_eval.py"
RESULTS = REPO / "bench" / "results"


def align_folder(notes_dir: Path, transcripts: Path, lang: str, cache: Path
                 ) -> tuple[list[Note], list[NoteAlignment], Aligner]:
    """What `interlinear align NOTES --transcripts DIR --transcript-lang LANG` does."""
    source = LocalSource(transcripts)
    # the run's embedder (`INTERLINEAR_EMBEDDER`, else the default), as `interlinear align`
    embedder = chosen_embedder(cache)
    aligner = Aligner(embedder=embedder, cache_dir=cache, words=word_vectors(cache),
                      precise=precise_embedder(embedder, cache))
    notes, out = [], []
    loaded: dict[str, Transcript | None] = {}
    for path in discover_notes(notes_dir):
        note = load_note(path, notes_dir)
        if not note.video_id:
            continue
        if note.video_id not in loaded:
            try:
                loaded[note.video_id] = source.fetch(note.video_id, original=lang)
            except TranscriptError:
                loaded[note.video_id] = None
        notes.append(note)
        out.append(aligner.align(note, loaded[note.video_id]))
    return notes, out, aligner


def run_eval(*args: str) -> tuple[int, str]:
    p = subprocess.run([sys.executable, str(EVAL), *args], capture_output=True, text=True,
                       check=False)
    return p.returncode, (p.stdout + p.stderr).strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--ae", type=Path, default=None,
                    help="align_eval build folder (built there when it has no truth.json)")
    ap.add_argument("--langs", default="en,ru")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if not (args.corpus / "notes").is_dir() or not EVAL.exists():
        print(f"needs {args.corpus} and {EVAL}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench_align."))
    ae = args.ae or work / "AE"
    result: dict[str, object] = {"ae": str(ae), "seed": args.seed}
    if not (ae / "truth.json").exists():
        t0 = time.perf_counter()
        code, text = run_eval("build", str(args.corpus), str(ae), "--seed", str(args.seed))
        print(text)
        if code:
            return 1
        result["build_s"] = round(time.perf_counter() - t0, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    langs = args.langs.split(",")
    status = 0
    for lang in langs:
        cache = work / f"cache-{lang}"
        shutil.rmtree(cache, ignore_errors=True)
        t0 = time.perf_counter()
        notes, cold, aligner = align_folder(ae / "notes", ae / "transcripts", lang, cache)
        cold_s = time.perf_counter() - t0
        embedded = getattr(aligner.embedder, "texts_embedded", None)
        report = alignment_report(cold, notes)
        rpath = RESULTS / f"align_report_{lang}.json"
        atomic_write_text(rpath, json.dumps(report, ensure_ascii=False, indent=1))
        t0 = time.perf_counter()
        _, warm, warm_aligner = align_folder(ae / "notes", ae / "transcripts", lang, cache)
        warm_s = time.perf_counter() - t0
        warm_embedded = getattr(warm_aligner._embedder, "texts_embedded", 0)
        code, line = run_eval("score", str(ae / "truth.json"), str(rpath), lang)
        print(line)
        status |= code
        result[lang] = {
            "score": line, "pass": code == 0, "notes": len(notes),
            "citations": sum(len(a.checks) for a in cold),
            "counts": summary_counts(cold),
            "cold_s": round(cold_s, 2), "warm_s": round(warm_s, 2),
            "warm_speedup": round(cold_s / warm_s, 1) if warm_s else None,
            "texts_embedded_cold": embedded, "texts_embedded_warm": warm_embedded,
            "warm_same_as_cold": warm == cold,
            "signature": aligner.identity().text, "embedder": aligner.embedder.model_id,
        }
        print(f"{lang}: cold {cold_s:.1f} s ({embedded} texts embedded), warm {warm_s:.2f} s "
              f"({warm_embedded} embedded), {cold_s / warm_s:.0f}x; counts {summary_counts(cold)}")
    # the real notes as they stand, English transcripts (claims are already cached)
    if "en" in langs:
        notes, real, _ = align_folder(args.corpus / "notes" / "3blue1brown",
                                      args.corpus / "transcripts", "en", work / "cache-en")
        result["real_notes_en"] = {"notes": len(notes), "counts": summary_counts(real)}
        print(f"real 3blue1brown notes, en transcripts: {summary_counts(real)}")
    atomic_write_text(RESULTS / "bench_align.json", json.dumps(result, indent=1))
    atomic_write_text(RESULTS / "bench_align.md", _markdown(result, langs))
    print((RESULTS / "bench_align.md").read_text())
    shutil.rmtree(work / "cache-en", ignore_errors=True)
    shutil.rmtree(work / "cache-ru", ignore_errors=True)
    return status


def _markdown(r: dict[str, object], langs: list[str]) -> str:
    lines = ["| transcript | align_eval score | cold s | warm s | warm speedup |",
             "|---|---|---|---|---|"]
    for lang in langs:
        v = r.get(lang)
        if isinstance(v, dict):
            lines.append(f"| {lang} | {v['score']} | {v['cold_s']} | {v['warm_s']} | "
                         f"{v['warm_speedup']}x |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
