"""The review page in a real browser (headless Chromium, opened from disk).

Asserts that no script from note or transcript content runs (with and without the page's
Content-Security-Policy, so that escaping alone is shown to hold), that the page's own
script does run, and saves screenshots under `output/` for people to look at.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from html import unescape
from pathlib import Path

import pytest

from pipeline.render import relative_href, review_entry, review_index, review_page_parts

from .test_render_hostile import SCRIPT
from .test_render_review import hostile_pages, sample_index, sample_page

pytestmark = pytest.mark.slow

OUTPUT = Path(__file__).resolve().parents[1] / "output"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--mute-audio",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None and Path("/usr/bin/chromium").exists():
        exe = "/usr/bin/chromium"
    if exe is None:
        pytest.skip("Chromium not installed (Debian: apt-get install -y chromium)")
    return exe


def run(chromium: str, tmp: Path, page: Path, *extra: str) -> str:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    res = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


def dom_title(dom: str) -> str:
    m = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert m, dom[:500]
    return unescape(m.group(1))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_control_page_does_run_injected_script(chromium: str, tmp_path: Path) -> None:
    """The detector works: unescaped markup in a page does change the title."""
    page = write(tmp_path / "control.html",
                 "<!doctype html><title>clean</title><body><img src=x "
                 "onerror=\"document.title='pwned'\"></body>")
    dom = run(chromium, tmp_path, page, "--dump-dom", "--virtual-time-budget=3000")
    assert dom_title(dom) == "pwned"


@pytest.mark.parametrize("keep_csp", [True, False], ids=["with-csp", "escaping-only"])
def test_hostile_review_page_runs_no_content_script(
    chromium: str, tmp_path: Path, keep_csp: bool,
) -> None:
    pages = hostile_pages()
    html = pages["page"]
    if not keep_csp:
        html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
        assert "Content-Security-Policy" not in html
    page = write(tmp_path / "review" / "pt" / "ch" / "note.html", html)
    index = write(tmp_path / "review" / "index.html", pages["index"])
    dom = run(chromium, tmp_path, page, "--dump-dom", "--virtual-time-budget=3000")
    assert dom_title(dom) == f"{SCRIPT} · PT · review"
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
    assert "<img" not in dom and "<iframe" not in dom and "<svg" not in dom
    # the page's own script ran: it set the header height on <body>
    assert re.search(r'<body style="--top-h: \d+px;?"', dom), dom[:2000]
    dom = run(chromium, tmp_path, index, "--dump-dom", "--virtual-time-budget=3000")
    assert dom_title(dom) == "Interlinear review"
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_screenshots(chromium: str, tmp_path: Path) -> None:
    """Screenshots of a note page, the index and the hostile page, for people to look at."""
    root = tmp_path / "review"
    page = write(root / "pt" / "bonus_professor" / "kherson.html", sample_page())
    index = write(root / "index.html", sample_index())
    hostile = write(root / "pt" / "ch" / "hostile.html", hostile_pages()["page"])
    OUTPUT.mkdir(exist_ok=True)
    shots = {"review.png": (page, "1400,1000"), "review_index.png": (index, "1400,700"),
             "review_hostile.png": (hostile, "1400,1000"), "review_narrow.png": (page, "600,1000")}
    for name, (src, size) in shots.items():
        out = OUTPUT / name
        out.unlink(missing_ok=True)
        run(chromium, tmp_path, src, f"--screenshot={out}", f"--window-size={size}",
            "--hide-scrollbars")
        assert out.stat().st_size > 20_000, name
        assert png_size(out) == tuple(int(x) for x in size.split(",")), name


def test_only_problems_filter(chromium: str, tmp_path: Path) -> None:
    """`#only-problems` in the address ticks the filter: the script sets the body's class
    and the rows without problems are hidden (screenshot `output/review_problems.png`)."""
    page = write(tmp_path / "review" / "pt" / "c" / "kherson.html", sample_page())
    dom = run(chromium, tmp_path, page, "--dump-dom")
    assert '<body class="only-problems"' not in dom
    url_page = page.resolve().as_uri() + "#only-problems"
    out = OUTPUT / "review_problems.png"
    out.unlink(missing_ok=True)
    profile = tmp_path / "profile-filter"
    for extra in (["--dump-dom"], [f"--screenshot={out}", "--window-size=1400,1000"]):
        res = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url_page],
                             capture_output=True, text=True, timeout=120, check=False)
        assert res.returncode == 0, res.stderr[-2000:]
        if extra == ["--dump-dom"]:
            assert re.search(r'<body class="only-problems"', res.stdout), res.stdout[:1500]
    assert out.stat().st_size > 20_000


def test_index_links_open_note_pages(chromium: str, tmp_path: Path) -> None:
    """The index's relative links resolve to the written pages (file://, no server)."""
    from .test_render_sample import sample_alignment, sample_note, sample_translation

    note = sample_note()
    parts = review_page_parts("pt", note.channel, note.slug)
    rel = "/".join(parts)
    root = tmp_path / "review"
    write(root.joinpath(*parts), sample_page(index_href=relative_href(rel, "index.html")))
    entry = review_entry(note, sample_translation(note), sample_alignment(note),
                         relative_href("index.html", rel))
    index = write(root / "index.html", review_index([entry]))
    dom = run(chromium, tmp_path, index, "--dump-dom")
    hrefs = re.findall(r'<a href="([^"]+\.html)"', dom)
    assert hrefs == [rel]
    target = (index.parent / hrefs[0]).resolve()
    assert target.exists()
    dom = run(chromium, tmp_path, target, "--dump-dom")
    back = re.search(r'<a href="([^"]+)">← All notes', dom)
    assert back and (target.parent / back.group(1)).resolve() == index.resolve()
