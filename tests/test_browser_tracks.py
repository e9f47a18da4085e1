"""Subtitle tracks in a real browser: headless Chromium loads each track served from
127.0.0.1 into a `<video>`'s `<track>`, and reports how many cues it parsed and the first
cue's text (raw, and as rendered HTML text)."""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.model import Cue, Segment
from pipeline.subtitles import (
    ClaimItem,
    claims_cues,
    cue_groups,
    cues_from_segments,
    normalize_text,
    payload,
    rules_for,
    translated_cues,
    write_track,
)

from .conftest import CORPUS

pytestmark = pytest.mark.slow

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--mute-audio", "--autoplay-policy=no-user-gesture-required",
]
SEGMENTS = [
    Segment(500, 3000, "<script>alert(1)</script> & friends --> are escaped, not run.", "en"),
    Segment(3200, 3300, "Yeah.", "en"),
    Segment(3600, 9000, "The Taylor series of a function tells you how it behaves near "
            "a point, and then everywhere else if you are lucky.", "en"),
    Segment(9500, 10_000, "This one is spoken far too fast for anyone to read it all.", "en"),
]
RU = ["<b>Скрипт</b> & друзья --> экранированы.",
      "Да. Ряд Тейлора функции говорит, как она ведёт себя около точки, а если повезёт, "
      "то и везде.", "Это сказано слишком быстро, чтобы кто-то успел прочитать."]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>tracks</title></head><body>
{videos}
<pre id="out">pending</pre>
<script>
const results = {{}};
const videos = [...document.querySelectorAll('video')];
function report() {{
  if (Object.keys(results).length === videos.length)
    document.getElementById('out').textContent = JSON.stringify(results);
}}
for (const v of videos) {{
  const el = v.querySelector('track');
  const tr = el.track;
  tr.mode = 'hidden';
  const done = (ok) => {{
    const cues = tr.cues;
    results[v.id] = {{ok, ready: el.readyState, n: cues ? cues.length : -1,
      first: cues && cues.length ? cues[0].text : null,
      firstHtml: cues && cues.length ? cues[0].getCueAsHTML().textContent : null,
      firstStart: cues && cues.length ? cues[0].startTime : null,
      lastEnd: cues && cues.length ? cues[cues.length - 1].endTime : null}};
    report();
  }};
  if (el.readyState === 2) done(true);
  else {{
    el.addEventListener('load', () => done(true));
    el.addEventListener('error', () => done(false));
  }}
}}
</script></body></html>
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("Chromium not installed (Debian: apt-get install -y chromium)")
    return exe


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".vtt": "text/vtt; charset=utf-8", ".webm": "video/webm"}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet server
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 (a free port) for the test's duration."""
    root = tmp_path / "www"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def tiny_webm(path: Path) -> bool:
    """A 12-second black 16x16 WebM made with ffmpeg, when ffmpeg is installed."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return False
    res = subprocess.run(
        [ffmpeg, "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=16x16:d=12",
         "-c:v", "libvpx", "-b:v", "10k", "-f", "webm", str(path)],
        capture_output=True, timeout=120, check=False,
    )
    return res.returncode == 0 and path.stat().st_size > 0


def tracks() -> dict[str, tuple[list[Cue], str]]:
    en, ru = rules_for("en"), rules_for("ru")
    groups = cue_groups(SEGMENTS, en)
    out = {
        "en": (cues_from_segments(SEGMENTS, en, ["Taylor series"]), "en"),
        "ru": (translated_cues(groups, RU, ru, ["ряд Тейлора"]), "ru"),
        "claims": (claims_cues([
            ClaimItem(1000, "A claim with <markup> & an ampersand.", "suspect"),
            ClaimItem(1000, "Another claim at the same moment.", "ok"),
            ClaimItem(6000, "A repaired citation.", "repaired")], en), "en"),
    }
    timings = CORPUS / "transcripts" / "aircAruvnKk" / "en" / "sentence_timings.json"
    if timings.exists():
        rows = json.loads(timings.read_text(encoding="utf-8"))
        segs = [Segment(round(a * 1000), round(b * 1000), s, "en") for s, a, b in rows]
        out["corpus"] = (cues_from_segments(segs, en), "en")
    return out


def run_page(chromium: str, tmp: Path, url: str) -> dict[str, dict[str, object]]:
    res = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={tmp / 'profile'}", "--dump-dom",
         "--virtual-time-budget=15000", url],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    m = re.search(r'<pre id="out">(.*?)</pre>', res.stdout, re.S)
    assert m and m.group(1) != "pending", res.stdout[-2000:]
    return json.loads(html.unescape(m.group(1)))


@pytest.mark.parametrize("with_video", [False, True], ids=["no-src", "webm-src"])
def test_tracks_load_in_chromium(chromium: str, served: tuple[Path, str], tmp_path: Path,
                                 with_video: bool) -> None:
    root, base = served
    src = ""
    if with_video:
        if not tiny_webm(root / "tiny.webm"):
            pytest.skip("ffmpeg not installed: no video file to play the tracks over")
        src = ' src="tiny.webm"'
    written = tracks()
    videos = []
    for name, (cues, lang) in written.items():
        kind = "claims." if name == "claims" else ""
        write_track(root / f"{name}.{kind}{lang}.vtt", cues, f"browser test: {name}")
        videos.append(f'<video id="{name}" preload="auto" muted{src}><track kind="subtitles" '
                      f'srclang="{lang}" label="{name}" src="{name}.{kind}{lang}.vtt"></video>')
    (root / "index.html").write_text(PAGE.format(videos="\n".join(videos)), encoding="utf-8")
    results = run_page(chromium, tmp_path, f"{base}/index.html")
    assert set(results) == set(written)
    for name, (cues, _lang) in written.items():
        got = results[name]
        assert got["ok"] is True and got["ready"] == 2, (name, got)
        assert got["n"] == len(cues), name
        assert got["first"] == payload(cues[0]), name
        # the browser shows the text as written: markup in the text is text, not tags
        assert got["firstHtml"] == normalize_text(cues[0].text), name
        assert got["firstStart"] == cues[0].start_ms / 1000
        assert got["lastEnd"] == cues[-1].end_ms / 1000
