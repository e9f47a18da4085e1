"""Shared test fixtures: where the real data lives (skipped when absent), and the Prefect
harness of the in-process flow runs."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]
# The real data beside the checkout (../shared); INTERLINEAR_SHARED names it elsewhere
# (a worktree that does not sit beside it).
SHARED = Path(os.environ.get("INTERLINEAR_SHARED") or REPO.parent / "shared")
CORPUS = SHARED / "corpus"
SEEDS = SHARED / "seeds"
EXAMPLES = REPO / "examples"

# argostranslate takes its folders from XDG_* (and creates them) when it is imported:
# keep the tests out of the user's home, and blind to the models the user has installed
# (the example run must report the missing en->ru model on every machine).
_XDG = Path(tempfile.mkdtemp(prefix="interlinear-tests-xdg-"))
atexit.register(shutil.rmtree, _XDG, ignore_errors=True)
for _var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = str(_XDG / _var.lower())
for _var in ("ARGOS_PACKAGES_DIR", "ARGOS_PACKAGE_INDEX"):
    os.environ.pop(_var, None)

# A run keeps Prefect's temporary server for the next runs (flows.kept_server): not in
# tests, whose runs each have a server of their own, stopped with them (tests of the kept
# server say otherwise).
os.environ.setdefault("INTERLINEAR_SERVER_IDLE_S", "0")

# Hypothesis: the `fast` profile (`make test-fast`: --hypothesis-profile=fast) runs every
# property test on a fifth of its examples, `examples(n)` below scaling the tests' own counts.
settings.register_profile("fast", max_examples=20)


def examples(n: int) -> int:
    """A property test's number of examples: `n`, scaled as the loaded Hypothesis profile
    scales Hypothesis's default of 100 (a fifth under `fast`), and at least 10."""
    return max(10, n * settings.default.max_examples // 100)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that reads ../shared through a fixture is a `corpus` test (the fast tier,
    `-m "not corpus"`, leaves it out even where the corpus is present)."""
    for item in items:
        if {"corpus", "seeds"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.corpus)


@pytest.fixture
def corpus() -> Path:
    if not (CORPUS / "notes").is_dir():
        pytest.skip(f"real corpus not present at {CORPUS}")
    return CORPUS


@pytest.fixture
def seeds() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed notes not present at {SEEDS}")
    return SEEDS



def forget_prefect_services() -> None:
    """Stop Prefect's process-wide services (the events worker, the tag concurrency slots
    a task run takes...): each keeps a client bound to the API it started with, and
    outlives it. A flow run in this process against a later server then has its tasks
    left Pending on connection errors (CI: `test_flows_server`'s module server, then
    `test_review_loop`'s harness). `prefect_test_harness` drains only on its own exit."""
    from prefect._internal.concurrency.services import _QueueServiceBase

    _QueueServiceBase.drain_all(timeout=30)


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    """`prefect_test_harness` for a module's in-process flow runs, with no Prefect service
    left bound to a server of an earlier module."""
    from prefect.testing.utilities import prefect_test_harness

    forget_prefect_services()
    with prefect_test_harness(server_startup_timeout=240):
        yield
    forget_prefect_services()
