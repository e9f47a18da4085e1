"""pipeline.native: every call runs on one thread, whoever asks; time limits."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipeline.native import NativeTimeoutError, on_native_thread


def test_calls_from_many_threads_run_on_one_thread_one_at_a_time() -> None:
    seen: set[int] = set()
    running = []

    def work(i: int) -> int:
        running.append(i)
        assert len(running) == 1  # never two at once
        seen.add(threading.get_ident())
        running.pop()
        return i * 2

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: on_native_thread(lambda: work(i)), range(200)))
    assert got == [i * 2 for i in range(200)]
    assert len(seen) == 1 and threading.get_ident() not in seen


def test_errors_reach_the_caller_and_nesting_does_not_deadlock() -> None:
    def fail() -> None:
        raise ValueError("native failure")

    with pytest.raises(ValueError, match="native failure"):
        on_native_thread(fail)
    assert on_native_thread(lambda: on_native_thread(lambda: 7)) == 7


def test_a_call_past_its_time_limit_goes_on_and_timed_calls_fail_until_it_ends() -> None:
    release, finished = threading.Event(), threading.Event()

    def stuck() -> str:
        release.wait(30)
        finished.set()
        return "late"

    with pytest.raises(NativeTimeoutError, match="did not finish within 0.05 s"):
        on_native_thread(stuck, 0.05, "the stuck call")
    assert not finished.is_set()  # still running: native code cannot be interrupted
    with pytest.raises(NativeTimeoutError, match="still running the stuck call"):
        on_native_thread(lambda: "next", 5.0, "the next call")
    untimed: list[str] = []
    waiter = threading.Thread(target=lambda: untimed.append(on_native_thread(lambda: "waited")))
    waiter.start()
    release.set()
    waiter.join(30)
    assert untimed == ["waited"] and finished.is_set()
    assert on_native_thread(lambda: "again", 5.0) == "again"  # the thread takes calls again


def test_a_call_still_queued_when_its_time_passes_never_runs() -> None:
    release, started = threading.Event(), threading.Event()
    ran: list[str] = []

    def busy() -> None:
        started.set()
        release.wait(30)

    blocker = threading.Thread(target=lambda: on_native_thread(busy))
    blocker.start()
    assert started.wait(30)
    with pytest.raises(NativeTimeoutError, match="not started within"):
        on_native_thread(lambda: ran.append("queued"), 0.05)
    release.set()
    blocker.join(30)
    assert on_native_thread(lambda: ran.append("after")) is None
    assert ran == ["after"]


def test_the_native_thread_does_not_hold_the_process_at_exit() -> None:
    on_native_thread(lambda: None)
    assert [t for t in threading.enumerate() if t.name == "interlinear-native"][0].daemon
