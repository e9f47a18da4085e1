"""Language tags: the codes a user writes (`pt`, `pt-BR`, `zh-Hant`, `por`), checked against
the IANA language subtag registry that `langcodes` ships, and the language a translation
model is named by (`pt-BR` -> `pt`).

A regional or script variant keeps its full tag in output names and front matter; the
engines, the glossary and the subtitle rules see its language subtag.
"""

from __future__ import annotations

from functools import lru_cache

import langcodes

from .errors import ConfigError

# registered, but not a language anything can be translated into
NOT_LANGUAGES = frozenset({"und", "mul", "mis", "zxx"})


@lru_cache(maxsize=256)
def language_tag(code: str) -> str:
    """The standard form of a language tag (`pt_br` -> `pt-BR`, `iw` -> `he`, `por` ->
    `pt`); ConfigError, in one line, when it names no known language."""
    text = code.strip()
    try:
        valid = bool(text) and langcodes.tag_is_valid(text)
        tag = langcodes.standardize_tag(text) if valid else ""
    except (ValueError, langcodes.LanguageTagError):
        valid, tag = False, ""
    lang = tag.split("-")[0] if tag else ""
    if not valid or not (2 <= len(lang) <= 3 and lang.isalpha()) or lang in NOT_LANGUAGES:
        raise ConfigError(f"not a known language code: {code!r} (use ISO 639 / IETF codes "
                          "such as ru, pt, pt-BR, zh-Hant)")
    return tag


def model_language(tag: str) -> str:
    """The language a model translates (the tag's language subtag): `pt-BR` -> `pt`,
    `zh-Hant` -> `zh`; a code that is no tag (`und`) as it is."""
    try:
        return language_tag(tag).split("-")[0]
    except ConfigError:
        return tag


def is_variant(tag: str) -> bool:
    """Whether the tag says more than its language (a region, a script)."""
    return model_language(tag) != tag
