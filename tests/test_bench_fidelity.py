"""bench_fidelity's label measures: the issue's "shares no word" test and, beside it, the
stem-aware one that takes inflected forms as one word."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
bench = pytest.importorskip("bench_fidelity")


def test_stem_aware_measure_takes_inflections_as_one_word() -> None:
    # the measure: "várias" and "vários", "um" and "uma" share no word
    assert not bench.shares_a_word("vários", "várias entradas")
    assert not bench.shares_a_word("uma", "um")
    # the stem-aware one: a common start of 4 letters, or the same stem once -s and a
    # final vowel are cut (accents and case aside)
    assert bench.shares_a_stem("vários", "várias entradas")
    assert bench.shares_a_stem("uma", "um")
    assert bench.shares_a_stem("Toda", "todo")
    assert bench.shares_a_stem("derivado", "a derivada")
    # what shares nothing still counts as mislabelled
    assert not bench.shares_a_stem("acho", "pensar")
    assert not bench.shares_a_stem("lado", "da mão direita")
    assert not bench.shares_a_stem("de", "da")
