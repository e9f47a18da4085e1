"""Hardening against hostile content: nothing a note or transcript holds can make the
pipeline write outside the output folder, or run as script in what it writes.

The renderers' own escaping tests (test_render_markdown.py, test_render_review.py) and the
browser test of the review page (test_review_browser.py) feed the render functions directly;
here a hostile note goes the real way: a file in a vault, `scan_vault`, and `pipeline.run`'s
`translate_language`, `write_note_outputs`, `transcript_tracks` and `claims_tracks`, and what
lands on disk is checked, in headless Chromium too (the bilingual note rendered as Obsidian
does: raw HTML allowed).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

import pytest
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pipeline.errors import OutputError
from pipeline.fileio import MAX_NAME_BYTES, inside, safe_name
from pipeline.glossary import Glossary
from pipeline.layout import Layout
from pipeline.model import Note, Segment, Transcript
from pipeline.run import (
    Engines,
    Keyed,
    claims_tracks,
    compose,
    provenance,
    transcript_tracks,
    translate_language,
    write_note_outputs,
)
from pipeline.settings import RunSettings
from pipeline.translate import CachedEngine, TranslationMemory
from pipeline.vault import scan_vault

from .conftest import examples
from .hostile.cases import VID, A, write
from .test_render_hostile import HOSTILE_QUOTE, PWN, SCRIPT, hostile_alignment
from .test_render_markdown import live_tags
from .test_review_browser import FLAGS, dom_title

# --------------------------------------------------------------------------- paths

names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300) | st.sampled_from([
    "..", ".", "../..", "/etc/passwd", "a/../../b", "CON", "nul.txt", "com1", "x.", " ", "",
    "~", "$HOME", "\\..\\..\\windows", "a\x00b", "ю" * 200, "😀" * 100, "LPT¹", ".git",
])


def note_named(channel: str, slug: str) -> Note:
    stem = slug.replace("/", "_").replace("\x00", "_") or "_"
    return Note(path=Path("vault") / f"{stem}.md", title="t", video_id=VID, channel=channel,
                meta={})


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(channel=names, slug=names, video_id=names, lang=names)
def test_no_name_leads_outside_the_output_folder(channel: str, slug: str, video_id: str,
                                                 lang: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        layout = Layout(out)
        note = note_named(channel, slug)
        paths = [layout.translated_note(note, lang), layout.bilingual_note(note, lang),
                 layout.review_page(note, lang), layout.transcript_track(video_id, lang),
                 layout.claims_track(video_id, lang, "srt"), layout.manifest]
        for path in paths:
            rel = path.relative_to(out.resolve())  # raises if outside
            assert path.suffix in (".md", ".html", ".vtt", ".srt", ".json"), rel
            assert ".." not in rel.parts and rel.parts
            for part in rel.parts:
                assert len(part.encode("utf-8")) <= 236 and not part.startswith(".")
            path.parent.mkdir(parents=True, exist_ok=True)  # the file system accepts the name
            path.write_text("x")
        assert sum(1 for p in Path(tmp).rglob("*") if p.is_file()) == len(set(paths))
        assert Path(tmp).iterdir().__next__() == out  # nothing beside OUT


@settings(max_examples=examples(500), deadline=None)
@given(names, names)
def test_safe_name_is_a_fixed_point_and_keeps_names_apart(a: str, b: str) -> None:
    sa = safe_name(a)
    assert safe_name(sa) == sa
    assert len(sa.encode("utf-8")) <= MAX_NAME_BYTES and "/" not in sa and sa not in (".", "..")
    # what `inside` does to a safe name with an extension: nothing
    assert inside(Path("/o"), sa + ".md").name == sa + ".md"
    if sa == safe_name(b):
        import unicodedata

        assert unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)


def test_symlink_inside_the_output_folder_is_not_followed_out(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "notes").symlink_to(elsewhere, target_is_directory=True)
    layout = Layout(out)
    with pytest.raises(OutputError, match="refusing to write outside"):
        layout.translated_note(note_named("ch", "n"), "pt")
    assert not list(elsewhere.iterdir())


# --------------------------------------------------------------------------- the real path

IMG = f'<img src=x onerror="{PWN}">'
HOSTILE_NOTE = f"""---
title: "{SCRIPT}"
videoId: {VID}
---

A claim with {IMG} inside {A.format("00:01:21")}.

## {SCRIPT} heading [[x"><script>{PWN}</script> | label]]

*   <svg onload="{PWN}"> and [click](javascript:{PWN}) {A.format("00:02:10")}
*   <iframe srcdoc="<script>{PWN}</script>"></iframe> {A.format("00:02:15")}

| a | b |
| - | - |
| {IMG} | {A.format("00:03:00")} |
"""
FILE_NAME = '"><img src=x onerror=alert(1)>'


class Identity:
    name = "identity"
    capabilities: frozenset[str] = frozenset()

    def model_id(self, source: str, target: str) -> str:
        return "identity"

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        return list(texts)


class IdentityEngines(Engines):
    def get(self, source: str, target: str) -> CachedEngine:
        return CachedEngine(Identity(), self.memory, self.glossary.hash)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A hostile note and transcript through scan, translation, note outputs and tracks."""
    tmp = tmp_path_factory.mktemp("hostile")
    write(tmp / "vault" / f'ch"><script>{PWN}<' / f"{FILE_NAME}.md", HOSTILE_NOTE)
    scan = scan_vault(tmp / "vault")
    assert not scan.failures, scan.failures
    (note,) = scan.notes
    settings_ = RunSettings(vault=tmp / "vault", out=tmp / "out", languages=("pt",),
                            cache_dir=tmp / "cache")
    glossary = Glossary([])
    alignment = hostile_alignment(note)
    with TranslationMemory(tmp / "tm.sqlite3") as memory:
        ctx = compose(settings_, glossary=glossary, memory=memory, engines=IdentityEngines)
        got = translate_language([note], "pt", ctx)
        assert not got.failures
        translated = got.value[str(note.path)].value
        done = write_note_outputs(note, translated, alignment, {0: IMG, 1: SCRIPT},
                                  provenance(note=note.slug), (), ctx)
        segments = (Segment(80_000, 84_000, HOSTILE_QUOTE, "ru"),
                    Segment(84_000, 90_000, f"{IMG} --> {SCRIPT}", "ru"))
        tracks = transcript_tracks(VID, Transcript(VID, "ru", segments), ctx)
        claims = claims_tracks(VID, {str(note.path): Keyed(alignment, "key")}, [note], {}, ctx)
    paths = {o.kind: settings_.out / o.path
             for o in [*done.outputs, *tracks.outputs, *claims.outputs]}
    assert set(paths) >= {"translated_note", "bilingual_note", "review_page",
                          "transcript_track", "claims_track"}
    files = [p for p in tmp.rglob("*") if p.is_file()]
    assert all(p.is_relative_to(settings_.out) or p.is_relative_to(tmp / "vault")
               or p.is_relative_to(settings_.cache_dir)
               or p.name.startswith("tm.sqlite3") for p in files)
    return paths


def md_body(text: str) -> str:
    return text.split("\n---\n", 1)[1]


@pytest.mark.parametrize("kind", ["translated_note", "bilingual_note"])
def test_written_notes_hold_no_live_html(written: dict[str, Path], kind: str) -> None:
    text = written[kind].read_text(encoding="utf-8")
    body = md_body(text)
    assert live_tags(body) == []
    assert not re.search(r"\]\((?!https://www\.youtube\.com/watch\?v=)", body)  # no js: links
    assert "&lt;script>" in body or "&lt;script&gt;" in body  # shown as text
    html = MarkdownIt("commonmark", {"html": True}).render(body)
    found = Tags()
    found.feed(html)
    assert found.scripts == [] and not found.handlers, (found.scripts, found.handlers)
    assert {t for t, _ in found.tags} <= {"p", "h2", "ul", "li", "a", "strong", "em", "code",
                                         "br", "table", "thead", "tbody", "tr", "th", "td",
                                         "blockquote", "hr"}


def test_review_page_written_holds_only_its_own_script(written: dict[str, Path]) -> None:
    html = written["review_page"].read_text(encoding="utf-8")
    found = Tags()
    found.feed(html)
    assert len(found.scripts) == 1 and PWN not in found.scripts[0]
    assert not found.handlers
    assert "&lt;script&gt;" in html


def test_tracks_written_escape_hostile_text(written: dict[str, Path]) -> None:
    for kind in ("transcript_track", "claims_track"):
        path = written[kind]
        for cap in webvtt.read(str(path)).captions:
            assert "<script" not in cap.raw_text and "<img" not in cap.raw_text
            assert "-->" not in cap.raw_text
        assert "&lt;" in path.read_text(encoding="utf-8") or kind == "claims_track"


class Tags(HTMLParser):
    """Tags, script bodies and event-handler attributes of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        self.handlers += [(tag, k) for k, _ in attrs if k.lower().startswith("on")]
        self.handlers += [(tag, str(v)) for k, v in attrs
                          if k in ("href", "src") and v and v.strip().lower().startswith(
                              ("javascript:", "data:"))]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


# --------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def chromium() -> str:
    import shutil

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("Chromium not installed (Debian: apt-get install -y chromium)")
    return exe


def dump_dom(chromium: str, tmp: Path, page: Path) -> str:
    import subprocess

    res = subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp / 'profile'}", "--dump-dom",
                          "--virtual-time-budget=3000", page.resolve().as_uri()],
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


@pytest.mark.slow
def test_no_script_runs_from_the_written_outputs(chromium: str, written: dict[str, Path],
                                                 tmp_path: Path) -> None:
    """The review page as written (its CSP removed: escaping alone must hold) and the
    bilingual note rendered to HTML with raw HTML allowed, as Obsidian would show it."""
    review = written["review_page"].read_text(encoding="utf-8")
    review = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", review)
    bilingual = MarkdownIt("commonmark", {"html": True}).render(
        md_body(written["bilingual_note"].read_text(encoding="utf-8")))
    pages = {
        "review.html": review,
        "bilingual.html": f"<!doctype html><title>clean</title><body>{bilingual}</body>",
    }
    titles = {"review.html": f"{SCRIPT} · PT · review", "bilingual.html": "clean"}
    for name, html in pages.items():
        page = write(tmp_path / name, html)
        dom = dump_dom(chromium, tmp_path, page)
        assert dom_title(dom) == titles[name], name  # `pwned` if any script had run
        assert not re.search(r"<(img|svg|iframe)\b", dom), name
        assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom, name
