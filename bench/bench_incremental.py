"""Incremental runs: a first run, a re-run with nothing changed, a run after editing one note.

The `bonus_professor` and `3blue1brown` notes of `../shared/corpus` are copied into a
temporary vault; the 3blue1brown videos have local transcripts (`corpus/transcripts`, read
by the local source), the bonus_professor ones have none (offline: `no transcript`
failures, the notes are still translated). Target language Portuguese (Bergamot, offline).
Each run is a fresh `interlinear run` process (what a scheduled run is) against one Prefect
server started for the bench (`prefect server start --host 127.0.0.1`, SQLite in the
temporary folder), with a temporary output folder and cache, so the first run starts cold.

Reported per run: wall time of the process, time inside the flow, the tasks that ran and
those reused (from `manifest.tasks`), and the ratios to the first run. Checks: the
unchanged re-run takes at most 5% of the first run's time, and after the edit only the
edited note's tasks run (plus its video's claims track, which holds the note's claims).
Written to bench/results/bench_incremental.{json,md} and printed.

usage: .venv/bin/python bench/bench_incremental.py [--corpus DIR] [--subset N] [--to pt]
       [--keep]

`--subset N` takes the first N notes (by name) of each channel, for a quicker run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.flows_support import prefect_server  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CHANNELS = ("bonus_professor", "3blue1brown")
EDITED_CHANNEL = "3blue1brown"
NOTE_TASKS = ("align", "translate", "render")


def copy_vault(corpus: Path, vault: Path, subset: int | None) -> int:
    n = 0
    for channel in CHANNELS:
        notes = sorted((corpus / "notes" / channel).glob("*.md"))
        for src in notes[:subset] if subset else notes:
            dst = vault / channel / src.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            n += 1
    return n


def edit_one_note(vault: Path, transcripts: Path) -> Path:
    """Reword one claim of the first 3blue1brown note that has a transcript here."""
    for path in sorted((vault / EDITED_CHANNEL).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        vid = next((line.split(":", 1)[1].strip().strip("'\"") for line in text.splitlines()
                    if line.startswith("videoId:")), "")
        anchor = '<a class="yt-timestamp"'
        if vid and (transcripts / vid).is_dir() and anchor in text:
            at = text.index(anchor)
            path.write_text(text[:at] + "(as the video shows, step by step) " + text[at:],
                            encoding="utf-8")
            return path
    raise SystemExit("no 3blue1brown note with a local transcript to edit")


def run(vault: Path, out: Path, cache: Path, transcripts: Path, langs: str,
        env: dict[str, str]) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "flows.cli", "run", str(vault), "--to", langs, "--out",
           str(out), "--transcripts", str(transcripts), "--cache-dir", str(cache), "--offline"]
    began = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"run failed with exit status {proc.returncode}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    tasks = manifest["tasks"]
    began_at = datetime.fromisoformat(manifest["started_at"])
    flow_s = (datetime.fromisoformat(manifest["finished_at"]) - began_at).total_seconds()
    counts = Counter(f"{t['task']}:{t['status']}" for t in tasks)
    return {
        "wall_s": round(wall, 2),
        "flow_s": flow_s,
        "exit_status": proc.returncode,
        "tasks": dict(sorted(counts.items())),
        "ran": sorted(f"{t['task']} {t['item']}" for t in tasks if t["status"] == "ran"),
        "notes": manifest["summary"]["notes"],
        "outputs": manifest["summary"]["outputs"],
        "failures": manifest["summary"]["failures"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--subset", type=int, default=None)
    ap.add_argument("--to", default="pt")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    if not (args.corpus / "notes").is_dir():
        print(f"corpus not found at {args.corpus}: skipped")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="bench_incremental_"))
    try:
        vault, out, cache = tmp / "vault", tmp / "out", tmp / "cache"
        transcripts = args.corpus / "transcripts"
        notes = copy_vault(args.corpus, vault, args.subset)
        with prefect_server(tmp / "prefect") as (_, env):
            env["INTERLINEAR_CACHE"] = str(cache)
            return measure(args, vault, out, cache, transcripts, notes, env)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(args: argparse.Namespace, vault: Path, out: Path, cache: Path, transcripts: Path,
            notes: int, env: dict[str, str]) -> int:
    runs: dict[str, dict[str, Any]] = {}
    for name in ("first", "unchanged", "one_note_edited"):
        if name == "one_note_edited":
            edited = edit_one_note(vault, transcripts)
        runs[name] = run(vault, out, cache, transcripts, args.to, env)
        runs[name]["load_average_1min"] = round(os.getloadavg()[0], 2)
        print(f"{name}: {runs[name]['wall_s']} s, {runs[name]['tasks']}", flush=True)
    base = float(runs["first"]["wall_s"])
    ran_after_edit = runs["one_note_edited"].pop("ran")
    ran_unchanged = runs["unchanged"].pop("ran")
    runs["first"].pop("ran")
    redone = {r.split(" ", 1)[1].removesuffix(f" [{args.to}]") for r in ran_after_edit
              if r.split(" ", 1)[0] in NOTE_TASKS}
    results: dict[str, Any] = {
        "notes": notes, "subset": args.subset, "to": args.to, "cpus": os.cpu_count(),
        **runs, "edited_note": str(edited),
        "ratio_unchanged": round(float(runs["unchanged"]["wall_s"]) / base, 4),
        "ratio_one_note": round(float(runs["one_note_edited"]["wall_s"]) / base, 4),
        "unchanged_ran": ran_unchanged, "one_note_ran": ran_after_edit,
    }
    results["check_unchanged_at_most_5pct"] = results["ratio_unchanged"] <= 0.05
    results["check_unchanged_ran_nothing"] = all(r.startswith("fetch ") for r in ran_unchanged)
    results["check_only_edited_note_redone"] = redone == {str(edited)}
    write(results)
    return 0 if all(v for k, v in results.items() if k.startswith("check_")) else 1


def write(results: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_incremental.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Incremental runs", "",
        f"{results['notes']} notes ({', '.join(CHANNELS)}), target {results['to']}, "
        f"{results['cpus']} CPUs" + (f", subset {results['subset']} per channel"
                                      if results["subset"] else ""), "",
        "| run | wall s | flow s | ratio to first | load avg | tasks |",
        "|---|---|---|---|---|---|",
    ]
    for key, ratio in (("first", 1.0), ("unchanged", results["ratio_unchanged"]),
                       ("one_note_edited", results["ratio_one_note"])):
        r = results[key]
        assert isinstance(r, dict)
        tasks = ", ".join(f"{k} {v}" for k, v in r["tasks"].items())
        lines.append(f"| {key} | {r['wall_s']} | {r['flow_s']} | {ratio} | "
                     f"{r['load_average_1min']} | {tasks} |")
    lines += ["", f"edited note: `{results['edited_note']}`", "",
              "after the edit, ran (besides reading the local transcript files again): "
              + ("; ".join(r for r in results["one_note_ran"] if not r.startswith("fetch "))
                 or "nothing"), ""]
    lines += [f"- {k}: {results[k]}" for k in results if str(k).startswith("check_")]
    text = "\n".join(lines) + "\n"
    (RESULTS / "bench_incremental.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    sys.exit(main())
