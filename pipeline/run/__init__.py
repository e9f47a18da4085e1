"""The run's one home: its composition, stages, outcomes, stored results and record.

- `context(settings) -> RunContext`: glossary, memory, engines, transcript sources,
  aligner and result store, built once per process; the flow and every CLI command use it.
- Stages, each for one item and with one shape (key -> reuse or make -> write -> store),
  returning an `Outcome` (value, `Output`s, `Failure`s, `TaskRecord`s, review entries,
  too-fast cue flags): `fetch_video`, `align_video`, `translate_language` (`stages`);
  `transcript_tracks`, `claims_tracks`, `render_note`, `render_page` (`outputs`).
- `start` / `finish` (`manifest`): the manifest, `alignment.json` and the review index.
- `store`: the content keys and the on-disk `ResultStore` that make runs incremental.

`flows/` only wires these: submit, gather, retries, concurrency, schedules.
"""

from ..errors import Failure
from .context import (
    GLOSSARY_DIR,
    Engines,
    RunContext,
    check_targets,
    compose,
    context,
    glossary_dir,
)
from .manifest import Manifest, finish, provenance, start
from .outcome import Outcome, Output, TaskRecord
from .outputs import (
    claims_tracks,
    render_note,
    render_page,
    track_missing,
    transcript_tracks,
    write_note_outputs,
)
from .stages import Keyed, align_video, fetch_video, note_item, translate_language
from .store import ResultStore, content_key

__all__ = [
    "GLOSSARY_DIR", "Engines", "Failure", "Keyed", "Manifest", "Outcome", "Output",
    "ResultStore", "RunContext", "TaskRecord", "align_video", "check_targets", "claims_tracks",
    "compose", "content_key", "context", "fetch_video", "finish", "glossary_dir", "note_item",
    "provenance", "render_note", "render_page", "start", "track_missing", "transcript_tracks",
    "translate_language", "write_note_outputs",
]
