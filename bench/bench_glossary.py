"""Translate all bonus_professor notes to Portuguese with the Bergamot engine and measure
structure kept and glossary compliance (before and after repair).

usage: .venv/bin/python bench/bench_glossary.py [--notes N] [--out DIR] [--no-ablation]

1. All notes (default: the 90 of ../shared/corpus/notes/bonus_professor) in ONE
   `translate_notes` call, through a fresh translation memory (temporary SQLite).
2. Per note, the share of anchors, wiki-link targets, heading levels and list markers
   of the source found in the translation (must be 100%).
3. Glossary-term occurrences compliant before repair (as the engine translated) and after.
4. The same notes again with other repair orders (the memory answers the first pass, so
   only the repairs cost time): none, mask only, substitute only.
5. The translated notes written to OUT/notes/pt/bonus_professor/SLUG.md (front matter +
   translated blocks), then `/work/shared/tools/check_translation.py` run on them.
Results: bench/results/glossary.json and .md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.fileio import atomic_write_text  # noqa: E402
from pipeline.glossary import Glossary  # noqa: E402
from pipeline.glossary.check import _ANCHOR, _HEADING, _LINK, _LIST, _body  # noqa: E402
from pipeline.notes import parse_note  # noqa: E402
from pipeline.translate import (  # noqa: E402
    BergamotEngine,
    CachedEngine,
    EngineOptions,
    TranslationMemory,
)
from pipeline.translate.note import translate_notes_with_stats  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "notes" / "bonus_professor"
CHECK = REPO.parent / "shared" / "tools" / "check_translation.py"
RESULTS = REPO / "bench" / "results"


def kept(src: str, out: str) -> dict[str, tuple[int, int]]:
    """Per element kind: (source elements found in the translation, source elements)."""
    a, b = _body(src), _body(out)
    res = {}
    for name, found in (("anchors", _ANCHOR.findall), ("link targets", _LINK.findall),
                        ("heading levels", _HEADING.findall),
                        ("list markers", lambda t: ["*"] * len(_LIST.findall(t)))):
        sa, sb = Counter(found(a)), Counter(found(b))
        res[name] = (sum((sa & sb).values()), sum(sa.values()))
    if _ANCHOR.findall(a) != _ANCHOR.findall(b) or _HEADING.findall(a) != _HEADING.findall(b):
        res["order"] = (0, 1)
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notes", type=int, default=0, help="only the first N notes")
    ap.add_argument("--out", type=Path, default=RESULTS / "glossary_out")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-ablation", action="store_true")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}")
        return 2
    paths = sorted(CORPUS.glob("*.md"))
    if args.notes:
        paths = paths[: args.notes]
    notes = [parse_note(p.read_text(encoding="utf-8"), p) for p in paths]
    glossary = Glossary.load(REPO / "glossary")
    print(f"{len(notes)} notes, glossary {glossary} ({len(glossary.issues)} issues)")
    bergamot = BergamotEngine(EngineOptions(beam_size=1, inter_threads=args.threads))
    results: dict[str, object] = {"notes": len(notes), "glossary_terms": len(glossary),
                                  "glossary_hash": glossary.hash, "threads": args.threads}
    with tempfile.TemporaryDirectory() as tmp:
        memory = TranslationMemory(Path(tmp) / "tm.sqlite")
        engine = CachedEngine(bergamot, memory, glossary.hash)
        t0 = time.perf_counter()
        translated, stats = translate_notes_with_stats(notes, "pt", engine, glossary)
        elapsed = time.perf_counter() - t0
        results["seconds"] = round(elapsed, 1)
        results["stats"] = stats.as_dict()
        results["units_per_second"] = round(stats.units / elapsed, 2)
        print(f"translated in {elapsed:.1f}s: {stats.as_dict()}")

        totals: dict[str, list[int]] = {}
        broken = []
        out_root = args.out / "notes" / "pt" / "bonus_professor"
        for tn in translated:
            src = tn.note.render()
            out = "".join(tn.blocks)
            for name, (k, n) in kept(src, out).items():
                row = totals.setdefault(name, [0, 0])
                row[0] += k
                row[1] += n
                if k != n:
                    broken.append(f"{tn.note.slug}: {name} {k}/{n}")
            atomic_write_text(out_root / f"{tn.note.slug}.md", out)
        structure = {k: {"kept": v[0], "total": v[1],
                         "share": round(100 * v[0] / v[1], 2) if v[1] else 100.0}
                     for k, v in totals.items()}
        results["structure"] = structure
        results["structure_broken"] = broken[:20]
        occ = stats.term_occurrences
        results["terms"] = {
            "occurrences": occ,
            "compliant_before": stats.compliant_before,
            "compliant_after": stats.compliant_after,
            "share_before": round(100 * stats.compliant_before / occ, 2) if occ else None,
            "share_after": round(100 * stats.compliant_after / occ, 2) if occ else None,
            "missing_after": Counter(t.term for tn in translated for t in tn.terms
                                     if t.status == "missing").most_common(10),
        }
        failures = sum(len(tn.failures) for tn in translated)
        results["failed_segments"] = failures

        if not args.no_ablation:
            ablation = {}
            for label, order in (("no repair", ()), ("mask only", ("mask",)),
                                 ("substitute only", ("substitute",))):
                t1 = time.perf_counter()
                _, st = translate_notes_with_stats(notes, "pt", engine, glossary,
                                                   strategies=order)
                ablation[label] = {
                    "share_after": round(100 * st.compliant_after / st.term_occurrences, 2)
                    if st.term_occurrences else None,
                    "repaired_by": dict(st.repaired_by),
                    "seconds": round(time.perf_counter() - t1, 1),
                }
            results["ablation"] = ablation
        memory.close()

    if CHECK.exists():
        # the checker's SRC must hold exactly the notes translated, under their channel
        with tempfile.TemporaryDirectory() as src_tmp:
            channel = Path(src_tmp) / CORPUS.name
            channel.mkdir()
            for p in paths:
                shutil.copyfile(p, channel / p.name)
            proc = subprocess.run(
                [sys.executable, str(CHECK), src_tmp, str(args.out), "pt",
                 str(REPO / "glossary")], capture_output=True, text=True, check=False)
        results["check_translation"] = {"exit": proc.returncode,
                                        "output": (proc.stdout + proc.stderr).strip()}
        print(proc.stdout.strip())

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "glossary.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    md = [f"# bench_glossary: {len(notes)} bonus_professor notes -> pt (Bergamot)", "",
          f"- time: {results['seconds']} s ({results['units_per_second']} units/s, "
          f"{args.threads} threads); units by mode: {stats.as_dict()['modes']}",
          "", "| kept | share |", "|---|---|"]
    md += [f"| {k} | {v['kept']}/{v['total']} = {v['share']}% |" for k, v in structure.items()]
    t = results["terms"]
    assert isinstance(t, dict)
    md += ["", f"- glossary-term occurrences: {t['occurrences']}; compliant before repair "
               f"{t['share_before']}%, after repair {t['share_after']}%; "
               f"repaired by {dict(stats.repaired_by)}",
           f"- missing after repair: {t['missing_after']}"]
    if "ablation" in results:
        md += ["", "| repair order | compliant after | repaired by |", "|---|---|---|"]
        md += [f"| {k} | {v['share_after']}% | {v['repaired_by']} |"
               for k, v in results["ablation"].items()]  # type: ignore[union-attr]
    if "check_translation" in results:
        md += ["", "check_translation.py: `" + results["check_translation"]["output"] + "`"]  # type: ignore[index]
    (RESULTS / "glossary.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    ok = all(v["kept"] == v["total"] for v in structure.values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
