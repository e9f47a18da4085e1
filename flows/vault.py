"""The vault flow: fetch each video's transcript once, align its notes, translate every
note into every language in large batches, and write the outputs and the manifest.

Tasks only wire `pipeline` functions; a failing note or video fails its own item, and the
run always ends with the summary and the manifest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from pipeline.align import align_note, alignment_report, summary_counts
from pipeline.errors import InterlinearError
from pipeline.fileio import atomic_write_text, exclusive_lock
from pipeline.layout import Layout
from pipeline.manifest import Manifest, provenance
from pipeline.model import Note, NoteAlignment, TranslatedNote
from pipeline.produce import (
    Produced,
    quote_translations,
    translate_language,
    translate_texts,
    video_tracks,
    write_note_outputs,
)
from pipeline.render import review_index
from pipeline.settings import RunSettings, parse_languages
from pipeline.transcripts import FetchRequest, FetchResult, fetch_many
from pipeline.vault import Failure, VaultScan, scan_vault

from .progress import report
from .resources import Resources, glossary_dir, resources


@task(name="scan vault", cache_policy=NONE)
def scan_task(settings: RunSettings) -> VaultScan:
    return scan_vault(settings.vault, max_bytes=settings.max_note_bytes)


@task(name="fetch transcript", cache_policy=NONE, retries=1, retry_delay_seconds=5,
      retry_condition_fn=lambda task, run, state: _transient(state), tags=["youtube"])
def fetch_task(request: FetchRequest, settings: RunSettings) -> FetchResult:
    res = resources(settings)
    result = fetch_many([request], res.source, languages=settings.transcript_langs)[0]
    report("fetch", request.video_id)
    if result.transient and result.error:
        raise _Transient(result)
    return result


class _Transient(Exception):
    def __init__(self, result: FetchResult) -> None:
        super().__init__(result.error)
        self.result = result


def _transient(state: object) -> bool:
    try:
        state.result()  # type: ignore[attr-defined]
    except _Transient:
        return True
    except Exception:
        return False
    return False


@task(name="align notes", cache_policy=NONE)
def align_task(notes: Sequence[Note], fetched: FetchResult, settings: RunSettings
               ) -> list[NoteAlignment]:
    res = resources(settings)
    cache = settings.cache_dir / "embeddings"
    out = [align_note(n, fetched.transcript, res.align, res.embedder, cache) for n in notes]
    report("align", fetched.video_id, len(notes))
    return out


@task(name="translate notes", cache_policy=NONE)
def translate_task(notes: Sequence[Note], lang: str, settings: RunSettings
                   ) -> tuple[list[TranslatedNote], dict[tuple[str, int], str], Produced]:
    """All notes into one language (one batch), and every claim's text in that language."""
    res = resources(settings)
    with res.lock:
        translated, produced = translate_language(notes, lang, settings, res.engines, res.glossary)
        claims = [(str(n.path), c.index, c.text) for n in notes for c in n.claims if c.text]
        try:
            outs = translate_texts([c[2] for c in claims], settings.source_lang, lang, res.engines)
        except InterlinearError:
            outs = []
    report("translate", lang, len(notes))
    texts = {(p, i): o for (p, i, _), o in zip(claims, outs, strict=False) if o}
    return translated, texts, produced


@task(name="video outputs", cache_policy=NONE)
def video_task(video_id: str, notes: Sequence[Note], fetched: FetchResult,
               alignments: Sequence[NoteAlignment],
               translations: dict[str, tuple[list[TranslatedNote], dict[tuple[str, int], str]]],
               settings: RunSettings) -> tuple[Produced, list[object]]:
    """Tracks of one video, and the three outputs of each of its notes per language."""
    res = resources(settings)
    layout = Layout(settings.out)
    produced = Produced()
    claim_texts: dict[str, dict[tuple[str, int], str]] = {
        settings.source_lang: {(str(n.path), c.index): c.text for n in notes for c in n.claims}}
    paths = {str(n.path) for n in notes}
    for lang, (_, texts) in translations.items():
        claim_texts[lang] = {k: v for k, v in texts.items() if k[0] in paths}
    pairs = list(zip(notes, alignments, strict=True))
    transcript = fetched.transcript
    with res.lock:
        produced.merge(video_tracks(video_id, transcript, pairs, claim_texts, settings,
                                    res.engines, layout, res.glossary))
    entries: list[object] = []
    for lang, (translated, _) in translations.items():
        for note, alignment in pairs:
            tr = next((t for t in translated if t.note.path == note.path), None)
            if tr is None:
                continue
            item = f"{note.path} [{lang}]"
            with res.lock:
                quotes = quote_translations(alignment, transcript.language if transcript else None,
                                            lang, res.engines, settings, produced, item)
            prov = provenance(engine=tr.engine, model=tr.model, glossary=tr.glossary_hash,
                              alignment=res.align.signature(), note=note.slug, lang=lang)
            try:
                done, entry = write_note_outputs(note, tr, alignment, quotes, prov, layout)
            except InterlinearError as exc:
                produced.failures.append(Failure("render", item, exc.reason))
                continue
            produced.merge(done)
            entries.append(entry)
    report("render", video_id, len(notes))
    return produced, entries


@flow(name="interlinear-vault", log_prints=True)
def vault_flow(
    vault: str, languages: list[str] | str, out: str = "output",
    transcripts: str | None = None, transcript_langs: list[str] | str | None = None,
    offline: bool = False, refresh: bool = False, engine: str | None = None,
    allow_missing_models: bool = False, cache_dir: str | None = None,
) -> dict[str, object]:
    """Translate and check every note of a vault. Returns the manifest (also written)."""
    kwargs: dict[str, object] = {}
    if cache_dir:
        kwargs["cache_dir"] = Path(cache_dir)
    settings = RunSettings(
        vault=Path(vault), out=Path(out), languages=parse_languages(languages),
        transcripts=Path(transcripts) if transcripts else None,
        transcript_langs=parse_languages(transcript_langs), offline=offline, refresh=refresh,
        engine=engine, allow_missing_models=allow_missing_models, **kwargs,  # type: ignore[arg-type]
    )
    with exclusive_lock(settings.out):
        return run(settings)


def run(settings: RunSettings) -> dict[str, object]:
    layout = Layout(settings.out)
    manifest = Manifest(vault=str(settings.vault), out=str(settings.out),
                        languages=list(settings.languages), settings=settings.public())
    scan = scan_task(settings)
    manifest.failures += scan.failures
    manifest.skipped += scan.skipped
    manifest.problems += [str(p) for p in scan.problems]
    manifest.inputs = [{"path": str(n.path), "video_id": n.video_id, "claims": len(n.claims),
                        "citations": len(n.citations)} for n in scan.notes]
    report("start", "notes", len(scan.notes), total=len(scan.by_video))
    res: Resources = resources(settings)
    manifest.glossary = {"dir": str(glossary_dir(settings)), "hash": res.glossary.hash,
                         "terms": len(res.glossary.terms)}
    fetches = {vid: fetch_task.submit(FetchRequest(vid, _original(notes, settings)), settings)
               for vid, notes in scan.by_video.items()}
    langs = [lang for lang in settings.languages]
    tr_futures = {lang: translate_task.submit(list(scan.notes), lang, settings) for lang in langs}
    translations: dict[str, tuple[list[TranslatedNote], dict[tuple[str, int], str]]] = {}
    for lang, tr_future in tr_futures.items():
        translated, texts, produced = tr_future.result()
        translations[lang] = (translated, texts)
        manifest.failures += produced.failures
        manifest.warnings += produced.warnings
    all_alignments: list[NoteAlignment] = []
    entries: list[object] = []
    for vid, fut in fetches.items():
        notes = scan.by_video[vid]
        fetched = _fetched(fut, vid)
        manifest.videos.append({"video_id": vid, "source": fetched.source, "track": fetched.track,
                                "segments": fetched.segments, "error": fetched.error,
                                "warnings": list(fetched.warnings)})
        if fetched.error:
            manifest.failures.append(Failure("fetch", vid, fetched.error))
        alignments = align_task(notes, fetched, settings)
        all_alignments += alignments
        produced, made = video_task(vid, notes, fetched, alignments, translations, settings)
        manifest.outputs += produced.outputs
        manifest.failures += produced.failures
        manifest.warnings += produced.warnings
        entries += made
    report_json = alignment_report(all_alignments, scan.notes)
    atomic_write_text(layout.alignment, json.dumps(report_json, ensure_ascii=False, indent=1))
    manifest.output("alignment", layout.alignment, settings.out)
    manifest.alignment_counts = dict(summary_counts(all_alignments))
    failures = [(f.item, f.reason) for f in manifest.failures]
    warnings = [(f.item, f.reason) for f in manifest.warnings]
    atomic_write_text(layout.review_index,
                      review_index(entries, failures, warnings=warnings))  # type: ignore[arg-type]
    manifest.output("review_index", layout.review_index, settings.out)
    manifest.engines = res.engines.describe()
    manifest.translation_memory = res.memory.stats() if hasattr(res.memory, "stats") else {}
    manifest.write(layout.manifest)
    return manifest.as_dict()


def _original(notes: Sequence[Note], settings: RunSettings) -> str | None:
    return next((n.lang for n in notes if n.lang), settings.original_lang)


def _fetched(future: object, video_id: str) -> FetchResult:
    try:
        return future.result()  # type: ignore[attr-defined]
    except _Transient as exc:
        return exc.result
    except Exception as exc:  # a task that crashed: still a per-video failure
        return FetchResult(video_id, None, "none", "", 0, error=f"{type(exc).__name__}: {exc}")
