"""Signature: the one value provenance and cache keys derive from."""

from __future__ import annotations

import hashlib
import json
import pickle
import re
from pathlib import PurePosixPath
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import __version__
from pipeline.signature import SCHEME, Signature

NAMES = st.text(min_size=1, max_size=8)
SCALARS = (st.none() | st.booleans() | st.integers() | st.text(max_size=8)
           | st.floats(allow_nan=False)
           | st.builds(PurePosixPath, st.text(max_size=8)))
VALUES = st.recursive(
    SCALARS,
    lambda inner: (st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
                   | st.dictionaries(st.text(max_size=4), inner, max_size=3)
                   | st.dictionaries(NAMES, inner, max_size=2).map(
                       lambda f: Signature("inner", f))),
    max_leaves=8,
)
FIELDS = st.dictionaries(NAMES, VALUES, max_size=5)


def strict(value: Any) -> object:
    """Values the key must tell apart compare unequal here (a list is its tuple)."""
    if isinstance(value, Signature):
        return ("signature", value.kind, value.version, strict(dict(value.fields)))
    if isinstance(value, PurePosixPath):
        return ("path", value.as_posix())
    if isinstance(value, list | tuple):
        return ("seq", tuple(strict(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((strict(k), strict(v)) for k, v in value.items()))
    return (type(value).__name__, repr(value))


@given(FIELDS, st.randoms())
def test_same_fields_in_any_order_same_key(fields: dict[str, Any], rnd: Any) -> None:
    pairs = list(fields.items())
    rnd.shuffle(pairs)
    a, b = Signature("k", fields), Signature("k", pairs)
    assert a.key == b.key and a == b and hash(a) == hash(b)
    assert re.fullmatch(r"[0-9a-f]{64}", a.key) and a.short == a.key[:16]


@given(FIELDS, FIELDS)
def test_keys_differ_exactly_when_fields_differ(a: dict[str, Any], b: dict[str, Any]) -> None:
    same = strict(a) == strict(b)
    assert (Signature("k", a).key == Signature("k", b).key) == same
    assert (Signature("k", a) == Signature("k", b)) == same


@given(FIELDS, NAMES, VALUES, st.data())
def test_any_field_change_changes_the_key(fields: dict[str, Any], name: str, value: Any,
                                          data: st.DataObject) -> None:
    base = Signature("k", fields)
    changed = {**fields, name: value}
    assert (Signature("k", changed).key == base.key) == (strict(changed) == strict(fields))
    if fields:
        gone = data.draw(st.sampled_from(sorted(fields)))
        assert Signature("k", {n: v for n, v in fields.items() if n != gone}).key != base.key
        renamed = gone + "x"
        if renamed not in fields:
            moved = {(renamed if n == gone else n): v for n, v in fields.items()}
            assert Signature("k", moved).key != base.key
    assert Signature("kk", fields).key != base.key
    assert Signature("k", fields, version=None).key != base.key
    assert Signature("k", fields, version="9.9").key != base.key


def test_values_of_other_types_are_told_apart() -> None:
    keys = {Signature("k", {"v": v}).key for v in
            (1, 1.0, True, "1", None, "None", "a", PurePosixPath("a"), ["a"], {"a": None},
             {"path": "a"}, {"dict": []}, {}, [], "")}
    assert len(keys) == 15
    inner = Signature("inner", {"x": 1})
    assert Signature("k", {"v": inner}).key != Signature("k", {"v": inner.key}).key
    assert Signature("k", {"v": inner}).key != Signature("k", {"v": {"signature": inner.key}}).key
    # a list and a tuple of the same items are one value
    assert Signature("k", {"v": [1, (2,)]}) == Signature("k", {"v": (1, [2])})


def test_key_is_the_documented_json() -> None:
    sig = Signature("render", {"zeta": "é", "alpha": [1, None]}, version="0.1.0")
    blob = json.dumps([SCHEME, "0.1.0", "render", [["alpha", [1, None]], ["zeta", "é"]]],
                      ensure_ascii=False, separators=(",", ":"))
    assert sig.key == hashlib.sha256(blob.encode("utf-8")).hexdigest()
    assert Signature.of("render", zeta="é", alpha=[1, None]).version == __version__


def test_non_ascii_text_is_safe() -> None:
    keys = {Signature("k", {"v": t}).key for t in ("e", "é", "e\u0301", "Раз", "\ud800", "")}
    assert len(keys) == 6
    assert Signature("k", {"имя": "значение"}).text == "k имя=значение"


def test_nested_signatures() -> None:
    translation = Signature.of("translate", engine="bergamot", model="m1")
    alignment = Signature.of("align", suspect_margin=0.02)
    render = Signature.of("render", translation=translation, alignment=alignment, lang="pt")
    other = Signature.of("render", translation=Signature.of("translate", engine="bergamot",
                                                            model="m2"),
                         alignment=alignment, lang="pt")
    assert render.key != other.key
    assert render == Signature.of("render", lang="pt", alignment=alignment,
                                  translation=Signature.of("translate", model="m1",
                                                           engine="bergamot"))
    prov = render.provenance()
    assert prov["translation"] == translation.short and prov["alignment"] == alignment.short
    deep = Signature.of("deep", parts=[translation, {"a": (alignment,)}])
    assert deep.provenance()["parts"] == [translation.short, {"a": (alignment.short,)}]
    assert deep.text == f'deep parts=["{translation.short}",{{"a":["{alignment.short}"]}}]'


@given(FIELDS)
def test_pickling_keeps_the_signature(fields: dict[str, Any]) -> None:
    sig = Signature("outer", {"inner": Signature("inner", fields), **fields})
    for s in (sig, Signature("plain", fields, version=None)):
        back = pickle.loads(pickle.dumps(s))
        assert back == s and back.key == s.key and back.version == s.version
        assert back.kind == s.kind and [n for n, _ in back.fields] == [n for n, _ in s.fields]


def test_frozen_and_checked() -> None:
    sig = Signature.of("k", a=1)
    with pytest.raises(AttributeError):
        sig.key = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del sig.kind
    with pytest.raises(TypeError, match="set"):
        Signature.of("k", a={1, 2})
    with pytest.raises(ValueError):
        Signature("k", [("a", 1), ("a", 2)])
    with pytest.raises(ValueError):
        Signature("", {})
    with pytest.raises(ValueError, match="signature"):
        Signature.of("k", signature="x").provenance()
    # `kind` and `version` are free field names
    assert dict(Signature.of("output", kind="track", version="v").fields) == {
        "kind": "track", "version": "v"}


# the provenance written into outputs before Signature (pipeline.manifest.provenance)
LEGACY = {"interlinear": "0.1.0", "kind": "transcript track", "video": "chIqmlJA2i0",
          "language": "en", "track": "youtube (manual)", "signature": "0d5fa6e1c3b2a4f7"}


def test_provenance_layout_is_unchanged() -> None:
    parts = {k: v for k, v in LEGACY.items() if k not in ("interlinear", "signature")}
    prov = Signature("output", parts, version="0.1.0").provenance()
    assert list(prov) == list(LEGACY)
    assert {k: v for k, v in prov.items() if k != "signature"} == {
        k: v for k, v in LEGACY.items() if k != "signature"}
    assert re.fullmatch(r"[0-9a-f]{16}", str(prov["signature"]))


@given(st.dictionaries(NAMES.filter(lambda n: n not in ("interlinear", "signature")),
                       VALUES, max_size=5))
def test_provenance_is_version_fields_in_order_then_signature(fields: dict[str, Any]) -> None:
    sig = Signature("output", fields)
    prov = sig.provenance()
    assert list(prov) == ["interlinear", *fields, "signature"]
    assert prov["interlinear"] == __version__ and prov["signature"] == sig.short
    for name, value in fields.items():
        assert strict(prov[name]) == strict(shown(value))


def shown(value: Any) -> object:
    if isinstance(value, Signature):
        return value.short
    if isinstance(value, list | tuple):
        return type(value)(shown(v) for v in value)
    if isinstance(value, dict):
        return {k: shown(v) for k, v in value.items()}
    return value
