"""The shell every review page shares: head, Content-Security-Policy, chips, links, paths.

Every piece of text reaches the page through `html.escape`; the only links out are the
video links `common.video_link` builds and the links to a note's own file and to the note
in Obsidian (`NoteSource`, built from the note's path, never from its text); the only
script is the page's own, allowed by its hash in the page's Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from ..fileio import safe_name
from .common import LABEL, MARK


@dataclass(frozen=True)
class NoteSource:
    """Where a note lives, for the links of its review page: the vault's name (its folder's
    name, as Obsidian names a vault), the note's path inside the vault, and its file's
    absolute `file:` URL."""

    vault: str
    path: str  # posix, relative to the vault
    file_url: str

    @classmethod
    def of(cls, note_path: Path, vault: Path) -> NoteSource | None:
        """The note's source in `vault` (a folder, or the one note file given); None when
        the note lies outside it."""
        try:
            full, root = note_path.resolve(), vault.resolve()
            root = root.parent if root.is_file() else root
            rel = full.relative_to(root).as_posix()
        except (ValueError, OSError):
            return None
        return cls(root.name, rel, full.as_uri())

    @property
    def obsidian(self) -> str:
        """`obsidian://open?vault=NAME&file=PATH` (the path without `.md`, both encoded)."""
        file = self.path.removesuffix(".md")
        return f"obsidian://open?vault={quote(self.vault, safe='')}&file={quote(file, safe='')}"

    def where(self, line: int) -> str:
        """`path/to/note.md:LINE`, linked to the file, and the note in Obsidian."""
        return (f'<a class="srcfile" href="{escape(self.file_url)}" title="the source file">'
                f"{escape(self.path)}:{line}</a> · "
                f'<a class="obsidian" href="{escape(self.obsidian)}" '
                'title="open the note in Obsidian">Obsidian ↗</a>')


def review_page_parts(lang: str, channel: str, slug: str) -> tuple[str, ...]:
    """The page's path under `OUT/review/` as safe names: LANG, CHANNEL (if any), SLUG.html."""
    head = (safe_name(lang), safe_name(channel)) if channel else (safe_name(lang),)
    return (*head, safe_name(slug) + ".html")


def relative_href(from_page: str, to_page: str) -> str:
    """A URL from one page to another, both given relative to one folder (`OUT/review/` or
    `OUT/`, as posix paths), e.g. `relative_href("pt/ch/a.html", "index.html")`."""
    start = posixpath.dirname(from_page) or "."
    return quote(posixpath.relpath(to_page, start), safe="/")


@cache
def asset(name: str) -> str:
    return (resources.files("pipeline") / "templates" / name).read_text(encoding="utf-8")


def page(title: str, header: str, main: str, foot: str, lang: str = "en") -> str:
    """A whole HTML document: the shared style, the page's own script and nothing else."""
    script = asset("review.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    return (
        f'<!doctype html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)}</title>\n<style>\n{asset('review.css')}</style>\n</head>\n"
        f"<body>\n{header}\n<main>\n{main}\n</main>\n{foot}\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


def ext_link(url: str | None, text: str, cls: str = "", tip: str = "") -> str:
    """A link out to YouTube (`url` is always built by `video_link`), or plain text."""
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' title="{escape(tip)}"' if tip else ""
    if url is None:
        return f"<span{attrs}>{escape(text)}</span>"
    return (f'<a{attrs} href="{escape(url)}" target="_blank" rel="noopener noreferrer">'
            f"{escape(text)}</a>")


def chip(status: str, n: int, label: str | None = None) -> str:
    zero = " zero" if n == 0 else ""
    text = f"{MARK.get(status, '')} {n} {label or LABEL.get(status, status)}".strip()
    return f'<span class="chip s-{escape(status)}{zero}">{escape(text)}</span>'


def filter_box(label: str) -> str:
    return (f'<label class="filter"><input type="checkbox" id="only-problems"> '
            f"{escape(label)}</label>")


def footer(provenance: Mapping[str, object]) -> str:
    if not provenance:
        return "<footer></footer>"
    items = " · ".join(f"{escape(str(k))} <code>{escape(str(v))}</code>"
                       for k, v in provenance.items())
    return f"<footer>Made by Interlinear · {items}</footer>"
