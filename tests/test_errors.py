"""Every `InterlinearError` crosses process boundaries whole: Dask workers and Prefect
results pickle them, so each one must come back from `pickle` (every protocol), `copy` and
`deepcopy` as the same type with the same fields, `args`, message and reason."""

from __future__ import annotations

import copy
import importlib
import inspect
import pickle
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline
from pipeline.errors import (
    ConfigError,
    InterlinearError,
    ModelMissingError,
    NoteError,
    OutputError,
    TranscriptError,
    TranslationError,
)
from pipeline.notes import load_note
from pipeline.transcripts import LocalSource

for _mod in pkgutil.walk_packages(pipeline.__path__, "pipeline."):
    importlib.import_module(_mod.name)  # subclasses defined next to their stage count too


def subclasses(cls: type[InterlinearError]) -> Iterator[type[InterlinearError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


ERRORS = sorted({InterlinearError, *subclasses(InterlinearError)}, key=lambda c: c.__qualname__)

# one strategy per constructor argument name; a new argument name needs one here
ARGUMENTS: dict[str, st.SearchStrategy[Any]] = {
    "message": st.text(),
    "path": st.text() | st.builds(Path, st.text()),
    "line": st.none() | st.integers(0, 10**9),
    "video_id": st.text(),
    "transient": st.booleans(),
    "source": st.text(max_size=8),
    "target": st.text(max_size=8),
    "errno": st.none() | st.integers(0, 200),
}

ROUND_TRIPS: dict[str, Callable[[Any], Any]] = {
    **{f"pickle{p}": (lambda e, p=p: pickle.loads(pickle.dumps(e, protocol=p)))
       for p in range(pickle.HIGHEST_PROTOCOL + 1)},
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
}


def parameters(cls: type[InterlinearError]) -> list[inspect.Parameter]:
    return list(inspect.signature(cls).parameters.values())


def assert_same(back: Any, err: InterlinearError) -> None:
    assert type(back) is type(err)
    assert back.args == err.args
    assert vars(back) == vars(err)  # every field: path, line, video_id, transient, ...
    assert str(back) == str(err) and back.message == err.message
    assert back.reason == err.reason and repr(back) == repr(err)


def test_every_stage_error_is_found() -> None:
    """The round trips below cover the errors defined next to their stage, too."""
    names = {c.__qualname__ for c in ERRORS}
    assert {"ConfigError", "NoteError", "TranscriptError", "TranslationError",
            "ModelMissingError", "OutputError", "SubtitleError", "TimecodeError",
            "TranscriptNotFound"} <= names


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__qualname__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_error_round_trips_with_its_fields(cls: type[InterlinearError],
                                                 data: st.DataObject) -> None:
    given_args: dict[str, Any] = {}
    for p in parameters(cls):
        assert p.name in ARGUMENTS, f"{cls.__qualname__}({p.name}=...): add a strategy"
        if p.default is p.empty or data.draw(st.booleans(), label=f"pass {p.name}"):
            given_args[p.name] = data.draw(ARGUMENTS[p.name], label=p.name)
    err = cls(**given_args)
    if data.draw(st.booleans(), label="with a note"):
        err.add_note(data.draw(st.text(), label="note"))  # kept in vars(err)
    for trip in ROUND_TRIPS.values():
        assert_same(trip(err), err)


@settings(max_examples=100, deadline=None)
@given(path=ARGUMENTS["path"], message=st.text(), line=ARGUMENTS["line"])
def test_note_error_keeps_path_and_line(path: str | Path, message: str, line: int | None
                                        ) -> None:
    back = pickle.loads(pickle.dumps(NoteError(path, message, line)))
    assert back.path == Path(path) and back.line == line
    assert str(back) == (f"{Path(path)}:{line}: {message}" if line else
                         f"{Path(path)}: {message}")


@settings(max_examples=100, deadline=None)
@given(video_id=st.text(), message=st.text(), transient=st.booleans())
def test_transcript_error_keeps_video_and_transience(video_id: str, message: str,
                                                     transient: bool) -> None:
    back = pickle.loads(pickle.dumps(TranscriptError(video_id, message, transient=transient)))
    assert (back.video_id, back.transient) == (video_id, transient)
    assert back.message == f"{video_id}: {message}"


@pytest.mark.parametrize("cls", [TranslationError, ModelMissingError])
def test_translation_errors_keep_the_pair(cls: type[TranslationError]) -> None:
    back = copy.copy(pickle.loads(pickle.dumps(cls("no model", source="en", target="pt"))))
    assert type(back) is cls and (back.source, back.target) == ("en", "pt")
    assert back.reason == "no model"


def test_errors_raised_by_the_stages_round_trip(tmp_path: Path) -> None:
    """The errors a broken note and a broken transcript file raise, not hand-made ones."""
    note = tmp_path / "ch" / "broken.md"
    note.parent.mkdir()
    note.write_text("---\ntitle: [unclosed\nvideoId: abcdefghijk\n---\n\nA claim.\n",
                    encoding="utf-8")
    (tmp_path / "abcdefghijk.en.json").write_text("{not json", encoding="utf-8")
    raised: list[InterlinearError] = []
    with pytest.raises(NoteError) as note_err:
        load_note(note, tmp_path)
    raised.append(note_err.value)
    with pytest.raises(TranscriptError) as tr_err:
        LocalSource(tmp_path).fetch("abcdefghijk")
    raised.append(tr_err.value)
    raised += [ConfigError("limits must be positive"), OutputError("lock held")]
    for err in raised:
        for trip in ROUND_TRIPS.values():
            assert_same(trip(err), err)
    assert note_err.value.line == 3 and "not valid YAML" in note_err.value.reason
    assert tr_err.value.video_id == "abcdefghijk" and not tr_err.value.transient
