"""Bergamot throughput with several worker processes against one, on corpus sentences.

    .venv/bin/python bench/bench_translate_workers.py [--corpus DIR] [--sentences 1000]
                                                      [--workers 2] [--chunk 250]

The first N distinct English transcript sentences of the corpus (`en/sentence_timings.json`,
as bench_translate.py takes them), translated en->pt through the pipeline
(`translate_safely(BergamotEngine(workers=k))`, no memory) with one worker (the native
thread, as before workers existed) and with `--workers` worker processes, in chunks taken
in turn (the order alternating), so that the machine's load falls on both alike. Both
engines are warmed up first (the workers' start, about 1 s once per process, is reported
apart). Reports sentences per second (wall) of each, the ratio, whether every output is
identical, the CPU seconds each used (the process's, and its workers'), and the load
average before, between and after. On a machine busier than its cores, the wall ratio says
little: the kernel shares the CPU between sessions (autogroup), so a second worker process
in the same session takes its time from the first.

Writes bench/results/bench_translate_workers.json and .md and prints them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus_text import english_sentences  # noqa: E402
from pipeline.fileio import atomic_write_text  # noqa: E402
from pipeline.translate import BergamotEngine, translate_safely  # noqa: E402
from pipeline.translate.engines import bergamot  # noqa: E402

RESULTS = REPO / "bench" / "results"
SHARED = Path(os.environ.get("INTERLINEAR_SHARED") or REPO.parent / "shared")


def cpu_s() -> float:
    """CPU seconds of this process and of its live worker processes (from /proc)."""
    total = time.process_time()
    tick = os.sysconf("SC_CLK_TCK")
    for pool in bergamot._POOLS.values():
        executor = pool._executor
        for proc in (getattr(executor, "_processes", None) or {}).values():
            try:
                stat = Path(f"/proc/{proc.pid}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=250)
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    sentences = english_sentences(args.corpus, args.sentences)
    engines = {1: BergamotEngine(workers=1), args.workers: BergamotEngine(workers=args.workers)}
    loads = {"before": load()}
    warm = sentences[:32]
    start_s = {}
    for k, engine in engines.items():
        t0 = time.perf_counter()
        translate_safely(engine, warm, "en", "pt")
        start_s[k] = round(time.perf_counter() - t0, 2)
    seconds = dict.fromkeys(engines, 0.0)
    cpu = dict.fromkeys(engines, 0.0)
    outputs: dict[int, list[str | None]] = {k: [] for k in engines}
    chunks = [sentences[i:i + args.chunk] for i in range(0, len(sentences), args.chunk)]
    for c, chunk in enumerate(chunks):
        order = list(engines) if c % 2 == 0 else list(engines)[::-1]
        for k in order:
            t0, c0 = time.perf_counter(), cpu_s()
            res = translate_safely(engines[k], chunk, "en", "pt")
            seconds[k] += time.perf_counter() - t0
            cpu[k] += cpu_s() - c0
            outputs[k].extend(res.outputs)
        if c == len(chunks) // 2 - 1:
            loads["middle"] = load()
    loads["after"] = load()
    n = len(sentences)
    rate = {k: n / s for k, s in seconds.items()}
    one, many = outputs[1], outputs[args.workers]
    results = {
        "sentences": n, "workers": args.workers, "cpu_count": os.cpu_count(),
        "seconds": {str(k): round(s, 2) for k, s in seconds.items()},
        "sentences_per_s": {str(k): round(r, 2) for k, r in rate.items()},
        "cpu_s": {str(k): round(c, 2) for k, c in cpu.items()},
        "ratio": round(rate[args.workers] / rate[1], 2),
        "identical_outputs": sum(a == b for a, b in zip(one, many, strict=True)),
        "failed": sum(o is None for o in many),
        "warm_up_s": {str(k): s for k, s in start_s.items()},
        "load_average": loads,
    }
    md = "\n".join([
        "# Bergamot en->pt: worker processes against one", "",
        f"{n} corpus sentences, {os.cpu_count()} cores, chunks of {args.chunk} in turn.", "",
        "| workers | seconds | sentences/s | CPU seconds |", "|---|---|---|---|",
        *(f"| {k} | {results['seconds'][str(k)]} | {results['sentences_per_s'][str(k)]} | "
          f"{results['cpu_s'][str(k)]} |" for k in engines), "",
        f"Ratio **{results['ratio']}x** (target >= 1.7x); identical outputs "
        f"{results['identical_outputs']}/{n}. Warm-up (first 32 sentences, the workers' "
        f"start included): {start_s}. Load average (1, 5, 15 min): {loads}.", ""])
    RESULTS.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS / "bench_translate_workers.json", json.dumps(results, indent=2))
    atomic_write_text(RESULTS / "bench_translate_workers.md", md)
    print(md)
    print(json.dumps(results, indent=2))
    return 0 if results["identical_outputs"] == n else 1


if __name__ == "__main__":
    sys.exit(main())
