"""The result store and the keys of incremental runs (plain library, no Prefect)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.glossary import Glossary
from pipeline.model import Segment, Transcript
from pipeline.run import TaskRecord
from pipeline.run.store import (
    ResultStore,
    content_key,
    digests,
    glossary_names_key,
    glossary_terms,
    glossary_terms_key,
    outputs_intact,
    transcript_hash,
)

HEADER = "en,ru,pt\n"
PUTIN = "Putin,Путин,Putin\n"
KHERSON = "Kherson,Херсон,Kherson\n"
CRIMEA = "Crimea,Крым,Crimeia\n"
NOTE = "Putin said that **Kherson** matters. [[Zaporizhzhia | the plant]] is far.\n"


def glossary(*rows: str) -> Glossary:
    return Glossary.from_csv(HEADER + "".join(rows))


def test_content_key_changes_with_every_part() -> None:
    base = content_key("translate", "note text", "pt", {"engine": "bergamot"})
    assert base == content_key("translate", "note text", "pt", {"engine": "bergamot"})
    assert len(base) == 64
    others = [
        content_key("align", "note text", "pt", {"engine": "bergamot"}),
        content_key("translate", "note text.", "pt", {"engine": "bergamot"}),
        content_key("translate", "note text", "ru", {"engine": "bergamot"}),
        content_key("translate", "note text", "pt", {"engine": "argos"}),
        content_key("translate", "note text", "pt"),
    ]
    assert len({base, *others}) == len(others) + 1


@given(st.lists(st.text(max_size=20), max_size=4), st.lists(st.text(max_size=20), max_size=4))
def test_content_key_is_injective_on_text_lists(a: list[str], b: list[str]) -> None:
    assert (content_key("s", a) == content_key("s", b)) == (a == b)


def test_glossary_terms_key_ignores_terms_the_note_does_not_hold() -> None:
    before = glossary(PUTIN, KHERSON, CRIMEA)
    key = glossary_terms_key(before, NOTE, "pt")
    # a term the note does not contain: added, changed, removed -> same key
    assert glossary_terms_key(glossary(PUTIN, KHERSON), NOTE, "pt") == key
    assert glossary_terms_key(glossary(PUTIN, KHERSON, "Crimea,Крым,Crimeia|Crimea\n"),
                              NOTE, "pt") == key
    assert glossary_terms_key(glossary(PUTIN, KHERSON, CRIMEA, "Odesa,Одесса,Odessa\n"),
                              NOTE, "pt") == key
    # another language's rendering of a term it holds -> same key for pt
    assert glossary_terms_key(glossary("Putin,Путина,Putin\n", KHERSON, CRIMEA),
                              NOTE, "pt") == key
    # its own terms: changed rendering, removed, a longer term over it -> new key
    assert glossary_terms_key(glossary("Putin,Путин,Putine\n", KHERSON, CRIMEA),
                              NOTE, "pt") != key
    assert glossary_terms_key(glossary(KHERSON, CRIMEA), NOTE, "pt") != key
    assert glossary_terms_key(glossary(PUTIN, KHERSON, CRIMEA, "Putin said,Сказал,Disse\n"),
                              NOTE, "pt") != key


def test_glossary_terms_found_across_markup_and_case() -> None:
    g = glossary("Kherson region,Херсонская область,região de Kherson\n",
                 "Zaporizhzhia,Запорожье,Zaporíjia\n")
    text = "The **Kherson** region and [[Zaporizhzhia | the plant]]; KHERSON REGION."
    assert [t.source for t in glossary_terms(g, text, "pt")] == [
        "Kherson region", "Zaporizhzhia"]
    # a term without a rule for the language is not a dependency of that language
    g2 = Glossary.from_csv("en,ru,pt\nKherson region,Херсонская область,\n")
    assert glossary_terms(g2, text, "pt") == []
    assert [t.source for t in glossary_terms(g2, text, "ru")] == ["Kherson region"]


def test_glossary_names_key_follows_renderings_in_its_languages() -> None:
    key = glossary_names_key(glossary(PUTIN, KHERSON), ["ru", "pt"])
    assert key == glossary_names_key(glossary(KHERSON, PUTIN), ["pt", "ru"])
    assert key != glossary_names_key(glossary(PUTIN, "Kherson,Херсон,Quérson\n"), ["ru", "pt"])
    # only the preferred rendering is a name kept on one subtitle line
    assert key == glossary_names_key(glossary(PUTIN, "Kherson,Херсон,Kherson|Quérson\n"),
                                     ["ru", "pt"])


def test_transcript_hash_is_content_not_origin() -> None:
    segs = (Segment(0, 1500, "привет", "ru"), Segment(1500, 3000, "мир", "ru"))
    a = Transcript("vid", "ru", segs, source="local", origin="/a.json")
    b = Transcript("vid", "ru", segs, source="cache", origin="cache")
    c = Transcript("vid", "ru", (segs[0], Segment(1500, 3001, "мир", "ru")))
    assert transcript_hash(a) == transcript_hash(b) != transcript_hash(c)
    assert transcript_hash(None) == "none"


def test_store_round_trip_and_miss(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    key = content_key("align", "x")
    assert store.get("align", key) is None
    value = {"records": [TaskRecord("align", "a.md", "ran")], "n": 3}
    store.put("align", key, value)
    assert store.get("align", key) == value
    assert ("align", key) in store
    assert store.get("render", key) is None
    assert not list(tmp_path.rglob("*.tmp"))


def test_damaged_entry_is_a_miss_and_moved_aside(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    key = content_key("translate", "y")
    store.put("translate", key, [1, 2, 3])
    path = next(tmp_path.rglob("*.pkl"))
    path.write_bytes(pickle.dumps([1, 2, 3])[:5])  # truncated
    assert store.get("translate", key) is None
    assert not path.exists() and path.with_suffix(".damaged").exists()
    store.put("translate", key, "again")
    assert store.get("translate", key) == "again"


@pytest.mark.parametrize("stage,key", [("../x", "a" * 64), ("align", "../../etc"),
                                       ("align", "A" * 64), ("", "a" * 64)])
def test_store_refuses_names_outside_its_folder(tmp_path: Path, stage: str, key: str) -> None:
    with pytest.raises(ValueError):
        ResultStore(tmp_path).put(stage, key, 1)


def test_outputs_intact_detects_missing_and_changed_files(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("one", encoding="utf-8")
    (tmp_path / "b.vtt").write_text("WEBVTT\n", encoding="utf-8")
    recorded = digests(tmp_path, ["notes/a.md", "b.vtt", "absent.md"])
    assert sorted(recorded) == ["b.vtt", "notes/a.md"]
    assert outputs_intact(tmp_path, recorded)
    (tmp_path / "b.vtt").write_text("WEBVTT\n\n", encoding="utf-8")
    assert not outputs_intact(tmp_path, recorded)
    recorded = digests(tmp_path, ["notes/a.md", "b.vtt"])
    os.unlink(tmp_path / "notes" / "a.md")
    assert not outputs_intact(tmp_path, recorded)
