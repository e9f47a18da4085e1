"""Shared test fixtures: where the real data lives (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
SEEDS = SHARED / "seeds"
EXAMPLES = REPO / "examples"


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
