"""The argostranslate engine: installed argos packages, decoded with CTranslate2 directly.

argostranslate's `translate()` splits text into sentences with a model it downloads at run
time (MiniSBD/Stanza/spaCy) and decodes each paragraph's sentences in batches of 32
tokens. Here the caller has already split the text, so the package's own tokenizer
(SentencePiece `sentencepiece.model`, or Moses+BPE `bpe.model`, exactly as
`argostranslate.package.Package` picks it) feeds one `Translator.translate_batch` call
over all texts of a run, sorted by length, with the package's `target_prefix` token (if
its metadata has one) in front of every target and removed from every output.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ModelMissingError, TranslationError
from .argos_packages import (
    INSTALL_HINT,
    ORIGIN,
    ArgosLocation,
    ModelInfo,
    default_location,
    fingerprint,
    install_archive,
    install_pair,
    installed_packages,
    model_info,
    refresh_index,
)
from .base import ARGOS, EngineOptions, check_lengths


@dataclass
class _Loaded:
    package_path: Path
    translator: Any  # ctranslate2.Translator
    tokenizer: Any  # argostranslate.tokenizer.Tokenizer
    target_prefix: str  # the package's own target prefix token, or ""
    model_id: str

    def encode(self, text: str) -> list[str]:
        return list(self.tokenizer.encode(text))

    def decode(self, tokens: Sequence[str]) -> str:
        toks = list(tokens)
        if self.target_prefix and toks[:1] == [self.target_prefix]:
            toks = toks[1:]
        processor = getattr(self.tokenizer, "lazy_processor", None)
        if processor is not None:  # SentencePiece: keep "_" (argostranslate turns it into " ")
            text = processor().decode_pieces(toks).replace("\u2581", " ")
        else:
            text = self.tokenizer.decode(toks)
        return text.strip()


class ArgosEngine:
    """Translate with installed argos packages (any pair argos has a model for).

    `packages_dir`, `index_url` and `cache_dir` default to argostranslate's own settings
    (ARGOS_PACKAGES_DIR, ARGOS_PACKAGE_INDEX, ...).
    """

    name = ARGOS
    capabilities = frozenset({"nbest", "constrained"})

    def __init__(
        self,
        options: EngineOptions | None = None,
        *,
        packages_dir: Path | None = None,
        index_url: str | None = None,
        cache_dir: Path | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.options = options or EngineOptions()
        self.location: ArgosLocation = default_location(packages_dir, index_url, cache_dir)
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._packages: dict[tuple[str, str], Any] | None = None
        self._loaded: dict[tuple[str, str], _Loaded] = {}

    # -- model management ------------------------------------------------------------
    def list_models(self) -> list[ModelInfo]:
        """The installed packages."""
        return [model_info(p) for p in self._scan().values()]

    def available_models(self) -> list[ModelInfo]:
        """The packages of the index (fetched now; ModelMissingError when unreachable)."""
        return [model_info(p) for p in refresh_index(self.location, self.timeout_s)]

    def install(self, source: str, target: str) -> ModelInfo:
        """Download and install the index's package for the pair."""
        path = install_pair(self.location, source, target, self.timeout_s)
        return self._after_install(path, f"argos index: {self.location.remote_index}")

    def install_file(self, path: Path) -> ModelInfo:
        """Install a local `.argosmodel` file (for machines without network)."""
        return self._after_install(install_archive(self.location, Path(path)),
                                   f"user file: {Path(path).resolve()}")

    def _after_install(self, path: Path, origin: str) -> ModelInfo:
        with contextlib.suppress(OSError):  # only `models list` reads it
            (path / ORIGIN).write_text(origin + "\n", encoding="utf-8")
        with self._lock:
            self._packages = None
            self._loaded = {k: v for k, v in self._loaded.items() if v.package_path != path}
        for pkg in self._scan().values():
            if Path(pkg.package_path) == path:
                return model_info(pkg)
        raise TranslationError(f"installed package at {path} cannot be read")

    def _scan(self) -> dict[tuple[str, str], Any]:
        with self._lock:
            if self._packages is None:
                self._packages = {(p.from_code, p.to_code): p
                                  for p in installed_packages(self.location)}
            return self._packages

    # -- TranslationEngine -------------------------------------------------------------
    def supports(self, source: str, target: str) -> bool:
        return (source, target) in self._scan()

    def model_id(self, source: str, target: str) -> str:
        return self._load(source, target).model_id

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        return [h[0] for h in self._decode(texts, source, target, n=1)]

    def translate_nbest(
        self, texts: Sequence[str], source: str, target: str, n: int,
        *, prefixes: Sequence[str | None] | None = None,
    ) -> list[list[str]]:
        if n < 1:
            raise ValueError("n must be >= 1")
        check_lengths("prefixes", texts, prefixes)
        return self._decode(texts, source, target, n=n, prefixes=prefixes or None,
                            alternatives=bool(prefixes))

    def translate_constrained(
        self, texts: Sequence[str], source: str, target: str,
        *, suppress: Sequence[Sequence[str]] = (), prefixes: Sequence[str | None] | None = None,
    ) -> list[str]:
        check_lengths("suppress", texts, suppress)
        check_lengths("prefixes", texts, prefixes)
        groups: dict[tuple[str, ...], list[int]] = {}
        for i in range(len(texts)):
            key = tuple(sorted({s for s in (suppress[i] if suppress else ()) if s.strip()}))
            groups.setdefault(key, []).append(i)
        out: list[str] = [""] * len(texts)
        for key, idx in groups.items():
            sub_prefixes = [prefixes[i] for i in idx] if prefixes else None
            hyps = self._decode([texts[i] for i in idx], source, target, n=1,
                                prefixes=sub_prefixes, suppress=key)
            for i, h in zip(idx, hyps, strict=True):
                out[i] = h[0]
        return out

    # -- decoding ----------------------------------------------------------------------
    def _load(self, source: str, target: str) -> _Loaded:
        with self._lock:
            hit = self._loaded.get((source, target))
        if hit is not None:
            return hit
        pkg = self._scan().get((source, target))
        if pkg is None:
            raise ModelMissingError(
                f"no argos model installed for {source}->{target} in "
                f"{self.location.packages_dir}; install one with "
                f"`{INSTALL_HINT.format(source=source, target=target)}`",
                source=source, target=target,
            )
        tokenizer = getattr(pkg, "tokenizer", None)
        if tokenizer is None:
            raise ModelMissingError(
                f"argos package {pkg.package_path} has neither sentencepiece.model nor "
                "bpe.model", source=source, target=target,
            )
        import ctranslate2

        path = Path(pkg.package_path)
        try:
            translator = ctranslate2.Translator(
                str(path / "model"), device=self.options.device,
                inter_threads=self.options.inter_threads,
                intra_threads=self.options.intra_threads,
                compute_type=self.options.compute_type,
            )
        except (RuntimeError, ValueError) as exc:
            raise TranslationError(f"cannot load the CTranslate2 model in {path}: {exc}",
                                   source=source, target=target) from exc
        version = str(pkg.package_version or "0")
        loaded = _Loaded(path, translator, tokenizer, str(pkg.target_prefix or ""),
                         f"{ARGOS}:{path.name}@{version}#{fingerprint(path)}")
        with self._lock:
            self._loaded[(source, target)] = loaded
        return loaded

    def _decode(
        self, texts: Sequence[str], source: str, target: str, *, n: int,
        prefixes: Sequence[str | None] | None = None, suppress: Sequence[str] = (),
        alternatives: bool = False,
    ) -> list[list[str]]:
        model = self._load(source, target)
        out: list[list[str]] = [[""] for _ in texts]
        todo = [i for i, t in enumerate(texts) if t.strip()]
        if not todo:
            return out
        tokens = {i: model.encode(texts[i]) for i in todo}
        todo.sort(key=lambda i: len(tokens[i]))  # similar lengths share a batch
        base = [model.target_prefix] if model.target_prefix else []
        target_prefix: list[list[str] | None] | None = None
        if base or prefixes:
            target_prefix = []
            for i in todo:
                user = prefixes[i] if prefixes and prefixes[i] else None
                tp = base + (model.encode(user) if user else [])
                target_prefix.append(tp or None)
        opts = self.options
        suppress_seqs = _suppress_sequences(model, suppress)
        try:
            results = model.translator.translate_batch(
                [tokens[i] for i in todo],
                target_prefix=target_prefix,
                max_batch_size=opts.max_batch_size,
                batch_type="tokens",
                beam_size=max(opts.beam_size, n),
                num_hypotheses=n,
                length_penalty=opts.length_penalty,
                max_decoding_length=opts.max_decoding_length,
                replace_unknowns=True,
                suppress_sequences=suppress_seqs or None,
                return_alternatives=alternatives,
            )
        except (RuntimeError, ValueError) as exc:
            raise TranslationError(f"CTranslate2 failed on {len(todo)} texts: {exc}",
                                   source=source, target=target) from exc
        for i, res in zip(todo, results, strict=True):
            hyps = [model.decode(h) for h in res.hypotheses]
            out[i] = list(dict.fromkeys(hyps)) or [""]
        return out


def _suppress_sequences(model: _Loaded, strings: Sequence[str]) -> list[list[str]]:
    """Token sequences of each string, as SentencePiece cuts it after a space, and also as
    it would be cut where the string is glued to what precedes it (sentence start)."""
    processor = getattr(model.tokenizer, "lazy_processor", None)
    seqs: list[list[str]] = []
    for s in strings:
        toks = model.encode(s)
        if not toks:
            continue
        seqs.append(toks)
        head = toks[0]
        if head == "\u2581" and len(toks) > 1:
            seqs.append(toks[1:])
        elif processor is not None and head.startswith("\u2581"):
            sp = processor()
            if sp.piece_to_id(head[1:]) != sp.unk_id():
                seqs.append([head[1:], *toks[1:]])
    return seqs
