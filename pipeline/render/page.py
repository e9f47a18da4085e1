"""The shell every review page shares: head, Content-Security-Policy, chips, links, paths.

Every piece of text reaches the page through `html.escape`; the only links out are the
video links `common.video_link` builds, and the only script is the page's own, allowed by
its hash in the page's Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
from collections.abc import Mapping
from functools import cache
from html import escape
from importlib import resources
from urllib.parse import quote

from ..fileio import safe_name
from .common import LABEL, MARK


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
