"""Build real (tiny or Transformer-base) argos packages, and serve them from 127.0.0.1.

A package is made as argos packages are: a SentencePiece model trained on text, a
CTranslate2 Transformer (`TransformerSpec.from_config`, random weights) whose vocabulary
is the SentencePiece vocabulary, a `metadata.json`, all in one top folder zipped into a
`.argosmodel`. The weights are random: translations are garbage, but everything from
install to `translate_batch` runs for real.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import json
import threading
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FIXTURE_TEXT = [
    "The determinant measures how a linear transformation scales areas.",
    "A matrix is a grid of numbers that describes a linear map.",
    "Eigenvectors stay on their own span during the transformation.",
    "The professor explained the history of the special military operation.",
    "Kherson and Zaporizhzhia were discussed in the second part of the video.",
    "Turbo Patriots criticised the Politburo for its slow decisions.",
    "Every vector can be written as a combination of basis vectors.",
    "The Fourier series decomposes a function into pure frequencies.",
    "Probability is the study of uncertainty with numbers.",
    "He said that the sanctions did not work as intended.",
    "Определитель показывает, как преобразование меняет площади.",
    "Профессор рассказал об истории специальной военной операции.",
    "Херсон и Запорожье обсуждались во второй части видео.",
    "Турбо-патриоты критиковали Политбюро за медленные решения.",
    "Матрица описывает линейное отображение.",
    "Санкции не сработали так, как было задумано.",
]


@dataclass(frozen=True)
class ModelShape:
    layers: int = 2
    d_model: int = 64
    heads: int = 4
    ffn: int = 128
    vocab_size: int = 400
    # With `eos_at`, the model itself ends every translation after that many tokens: a
    # learned position table (`positions` rows) carries a direction that only positions
    # >= eos_at have, nothing else writes into it, and only </s> reads it. This bounds the
    # decoding length of callers that cannot pass max_decoding_length (argostranslate).
    eos_at: int | None = None
    positions: int = 1024


TINY = ModelShape()
BASE = ModelShape(layers=6, d_model=512, heads=8, ffn=2048, vocab_size=32000, eos_at=63)


def train_sentencepiece(lines: Sequence[str], vocab_size: int, out: Path) -> Path:
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, vocab_size=vocab_size,
        model_type="unigram", character_coverage=1.0, hard_vocab_limit=False,
        minloglevel=2, num_threads=2,
    )
    out.write_bytes(model.getvalue())
    return out


def sp_vocabulary(sp_model: Path) -> list[str]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(sp_model))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def build_ct2_model(out_dir: Path, vocab: list[str], shape: ModelShape, seed: int = 0) -> Path:
    """A CTranslate2 Transformer with random weights and a shared vocabulary."""
    from ctranslate2.specs import transformer_spec

    rng = np.random.default_rng(seed)
    d, ff, v = shape.d_model, shape.ffn, len(vocab)

    def dense(*dims: int) -> np.ndarray:
        return (rng.standard_normal(dims) * (1.0 / np.sqrt(dims[-1]))).astype(np.float32)

    def lin(spec: object, n_out: int, n_in: int) -> None:
        spec.weight = dense(n_out, n_in)  # type: ignore[attr-defined]
        spec.bias = np.zeros(n_out, np.float32)  # type: ignore[attr-defined]

    def norm(spec: object) -> None:
        spec.gamma = np.ones(d, np.float32)  # type: ignore[attr-defined]
        spec.beta = np.zeros(d, np.float32)  # type: ignore[attr-defined]

    def ffn(spec: object) -> None:
        norm(spec.layer_norm)  # type: ignore[attr-defined]
        lin(spec.linear_0, ff, d)  # type: ignore[attr-defined]
        lin(spec.linear_1, d, ff)  # type: ignore[attr-defined]

    spec = transformer_spec.TransformerSpec.from_config(shape.layers, shape.heads)
    enc, dec = spec.encoder, spec.decoder
    enc.embeddings[0].weight = dense(v, d)
    dec.embeddings.weight = dense(v, d)
    norm(enc.layer_norm)
    norm(dec.layer_norm)
    lin(dec.projection, v, d)
    for layer in enc.layer:
        norm(layer.self_attention.layer_norm)
        lin(layer.self_attention.linear[0], 3 * d, d)
        lin(layer.self_attention.linear[1], d, d)
        ffn(layer.ffn)
    for layer in dec.layer:
        norm(layer.self_attention.layer_norm)
        lin(layer.self_attention.linear[0], 3 * d, d)
        lin(layer.self_attention.linear[1], d, d)
        norm(layer.attention.layer_norm)
        lin(layer.attention.linear[0], d, d)
        lin(layer.attention.linear[1], 2 * d, d)
        lin(layer.attention.linear[2], d, d)
        ffn(layer.ffn)
    if shape.eos_at is not None:
        _end_after(spec, vocab.index("</s>"), shape, rng)
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.validate()
    out_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(out_dir))
    return out_dir


def _end_after(spec: object, eos: int, shape: ModelShape, rng: np.random.Generator) -> None:
    """Make the decoder emit </s> exactly once `shape.eos_at` tokens are out (see ModelShape)."""
    d = shape.d_model
    u = rng.standard_normal(d)
    u -= u.mean()  # zero-mean: layer norm keeps the u component, only rescales it
    u /= np.linalg.norm(u)
    proj = np.eye(d) - np.outer(u, u)

    def off_u(m: np.ndarray) -> np.ndarray:  # rows (or a vector) with no u component
        return (m @ proj if m.shape[-1] == d else m).astype(np.float32)

    def out_off_u(lin: object) -> None:  # a sublayer that writes into the residual stream
        lin.weight = (proj @ lin.weight).astype(np.float32)  # type: ignore[attr-defined]
        lin.bias = off_u(lin.bias)  # type: ignore[attr-defined]

    enc, dec = spec.encoder, spec.decoder  # type: ignore[attr-defined]
    table = rng.standard_normal((shape.positions, d)) * 0.1
    enc.position_encodings.encodings = table.astype(np.float32)
    dec_table = off_u(table.copy())
    dec_table[shape.eos_at:] = 1000.0 * u
    dec.position_encodings.encodings = dec_table.astype(np.float32)
    dec.embeddings.weight = off_u(dec.embeddings.weight)
    for layer in dec.layer:
        out_off_u(layer.self_attention.linear[1])
        out_off_u(layer.attention.linear[2])
        out_off_u(layer.ffn.linear_1)
    w = off_u(dec.projection.weight)
    w[eos] = 20.0 * u
    dec.projection.weight = w.astype(np.float32)
    dec.projection.bias[eos] = -2.0


def build_argos_package(
    work: Path,
    *,
    source: str = "en",
    target: str = "ru",
    shape: ModelShape = TINY,
    lines: Sequence[str] = FIXTURE_TEXT,
    version: str = "1.0",
    target_prefix: str = "",
    seed: int = 0,
    extra_dirs: dict[str, Path] | None = None,
) -> Path:
    """Build `translate-SRC_TGT-VERSION.argosmodel` in `work`; its path."""
    name = f"translate-{source}_{target}-{version.replace('.', '_')}"
    root = work / name
    (root / "model").mkdir(parents=True, exist_ok=True)
    sp_path = train_sentencepiece(lines, shape.vocab_size, root / "sentencepiece.model")
    vocab = sp_vocabulary(sp_path)
    if target_prefix and target_prefix not in vocab:
        vocab.append(target_prefix)
    build_ct2_model(root / "model", vocab, shape, seed)
    meta = {
        "package_version": version, "argos_version": "1.11", "from_code": source,
        "from_name": source, "to_code": target, "to_name": target, "type": "translate",
        "links": [],
    }
    if target_prefix:
        meta["target_prefix"] = target_prefix
    (root / "metadata.json").write_text(json.dumps(meta, indent=2))
    (root / "README.md").write_text("Random-weight test package built by tests/argos_fixture.py\n")
    for rel, src in (extra_dirs or {}).items():
        dest = root / rel
        dest.mkdir(parents=True, exist_ok=True)
        for f in src.iterdir():
            (dest / f.name).write_bytes(f.read_bytes())
    archive = work / f"{name}.argosmodel"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for f in sorted(root.rglob("*")):
            zf.write(f, f.relative_to(work).as_posix())
    return archive


def index_entry(archive: Path, base_url: str) -> dict[str, object]:
    """The argospm index entry for a built package, with its link under `base_url`."""
    with zipfile.ZipFile(archive) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith("/metadata.json"))
        meta = json.loads(zf.read(meta_name))
    meta["links"] = [f"{base_url}{archive.name}"]
    return dict(meta)


@contextlib.contextmanager
def serve_directory(root: Path, *, lifetime_s: float = 900.0) -> Iterator[str]:
    """Serve `root` over HTTP on 127.0.0.1 (a free port); yields the base URL ("/"-ended).
    Stops on exit, or by itself after `lifetime_s`."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    timer = threading.Timer(lifetime_s, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        timer.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass
