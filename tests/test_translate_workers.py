"""Bergamot on several worker processes (`engines.workers`): the same outputs as the native
thread, order kept, empty texts not sent, a stuck text stopped, the worker count setting."""

from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any

import pytest

from pipeline.errors import ConfigError, TranslationError
from pipeline.translate import BergamotEngine
from pipeline.translate.engines import bergamot
from pipeline.translate.engines.workers import (
    WORKERS_ENV,
    BergamotPool,
    in_background,
    worker_count,
)

SENTENCES = [
    "The vector is scaled by two.", "A line stays a line.", "Grid lines remain parallel.",
    "The origin does not move.", "Today we talk about matrices.", "The glass is on the table.",
    "However, the army did not retreat.", "The determinant measures how areas change.",
    "Each column tells you where a basis vector lands.", "Rotation keeps every length.",
    "A shear slides the grid to one side.", "The inverse undoes the transformation.",
    "Multiplying matrices composes their transformations.", "The kernel is squashed to zero.",
    "Eigenvectors stay on their own span.", "The trace is the sum of the diagonal.",
    "Negotiators met in the capital on Tuesday.", "The offer was passed on by an intermediary.",
]


@pytest.fixture(scope="module")
def one() -> BergamotEngine:
    return BergamotEngine(workers=1)


def test_two_workers_give_one_workers_outputs_in_order(one: BergamotEngine) -> None:
    texts = [*SENTENCES[:5], "", "  ", *SENTENCES[5:]]
    two = BergamotEngine(workers=2)
    assert len([t for t in texts if t.strip()]) >= bergamot.POOL_MIN_TEXTS  # the pool ran
    got = two.translate(texts, "en", "pt")
    assert got == one.translate(texts, "en", "pt")
    assert got[5] == got[6] == ""
    assert "matriz" in got[4].lower()
    assert two.translate(texts[::-1], "en", "pt") == got[::-1]  # the workers again, reused


def test_once_the_workers_run_small_batches_go_to_them_too(
        one: BergamotEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch under POOL_MIN_TEXTS stays on the native thread only while no worker runs
    (the quotes of a run come a few at a time, from several threads)."""
    monkeypatch.setattr(bergamot, "_POOLS", {})
    small = SENTENCES[:3]
    expected = one.translate(small, "en", "pt")
    native: list[str] = []
    real = bergamot.on_native_thread

    def recorded(fn: Any, *args: Any) -> Any:
        if getattr(fn, "func", None) is bergamot._translate:
            native.append(fn.args[-1])
        return real(fn, *args)

    monkeypatch.setattr(bergamot, "on_native_thread", recorded)
    two = BergamotEngine(workers=2)
    assert len(small) < bergamot.POOL_MIN_TEXTS
    first = two.translate(small, "en", "pt")
    assert native == small  # no workers yet: the native thread
    native.clear()
    two.translate(SENTENCES, "en", "pt")  # starts the workers
    assert native == []
    assert two.translate(small, "en", "pt") == first == expected
    assert native == []  # on the workers
    for pool in bergamot._POOLS.values():
        pool.close(kill=True)
    assert two.translate(small[:1], "en", "pt") == first[:1]
    assert native == small[:1]  # stopped: the native thread again


def test_a_text_past_its_time_limit_stops_the_workers(one: BergamotEngine) -> None:
    pool = BergamotPool(2)
    long_text = " ".join(SENTENCES * 40)  # seconds of native work, against a 0.01 s limit
    with pytest.raises(Exception, match="did not finish within 0.01 s"):
        pool.translate([long_text, *SENTENCES], "en-pt", 0.01)
    assert pool._executor is None  # killed; the next batch starts new workers
    assert pool.translate(SENTENCES[:3], "en-pt", 60) == one.translate(SENTENCES[:3], "en", "pt")
    pool.close()


def test_waiting_behind_other_batches_does_not_count_against_the_limit(
        one: BergamotEngine) -> None:
    """A run's task threads share the workers: a text queued behind another batch's
    texts for longer than its limit is not stopped (only its own running time counts)."""
    pool = BergamotPool(1)
    text = " ".join(SENTENCES * 3)
    began = time.monotonic()
    pool.translate([text], "en-pt", None)
    alone = time.monotonic() - began
    limit = 2 * alone + 1  # the ahead batch takes about 6 * alone: more than that
    ahead = threading.Thread(target=pool.translate, args=([text] * 6, "en-pt", None))
    ahead.start()
    deadline = time.monotonic() + 30
    while pool.pending() < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    waited = time.monotonic()
    assert pool.translate(SENTENCES[:1], "en-pt", limit) == one.translate(
        SENTENCES[:1], "en", "pt")
    assert time.monotonic() - waited > limit  # it did wait longer than its limit
    ahead.join()
    assert pool.running
    pool.close()


def test_a_background_batch_gives_way_to_the_others(one: BergamotEngine) -> None:
    """The tracks' texts (in_background) are fed a few at a time, so another batch is
    queued behind those few, not behind the whole background batch; the outputs are the
    same."""
    pool = BergamotPool(1)
    text = " ".join(SENTENCES * 3)
    pool.translate(SENTENCES[:1], "en-pt", None)  # the worker started
    began = time.monotonic()
    alone = pool.translate([text], "en-pt", None)
    one_text = time.monotonic() - began
    got: list[list[str]] = []

    def background() -> None:
        with in_background():
            got.append(pool.translate([text] * 8, "en-pt", 60))

    behind = threading.Thread(target=background)
    behind.start()
    deadline = time.monotonic() + 30
    while pool.pending() < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.pending() == 2  # 2 * n of its texts given to the worker, no more
    began = time.monotonic()
    assert pool.translate(SENTENCES[:2], "en-pt", 60) == one.translate(
        SENTENCES[:2], "en", "pt")
    assert time.monotonic() - began < 5 * one_text  # behind 2 texts, not 8
    assert not got  # the background batch is not done
    behind.join()
    assert got == [alone * 8]
    pool.close()


def test_the_engine_reports_a_stuck_batch_as_a_translation_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = BergamotEngine(workers=2, timeout_s=0.01)
    monkeypatch.setattr(bergamot, "_POOLS", {})
    with pytest.raises(TranslationError, match="did not finish") as err:
        engine.translate([" ".join(SENTENCES * 40), *SENTENCES], "en", "pt")
    assert (err.value.source, err.value.target) == ("en", "pt")
    for pool in bergamot._POOLS.values():
        pool.close(kill=True)


def test_worker_count_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert worker_count() == 3 and BergamotEngine().workers == 3
    monkeypatch.setenv(WORKERS_ENV, "0")
    assert worker_count() == 1
    monkeypatch.setenv(WORKERS_ENV, "many")
    with pytest.raises(ConfigError, match=WORKERS_ENV):
        worker_count()
    monkeypatch.delenv(WORKERS_ENV)
    assert worker_count() == (multiprocessing.cpu_count() or 1)
