"""Shared test fixtures: where the real data lives (skipped when absent)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
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
