"""Two engines as one: source->pivot with the first, then pivot->target with the second
(argos ru->en, then Bergamot en->pt), for pairs that no model translates directly.

The model id names both legs, so provenance and the translation memory's keys change when
either model does. Given the glossary, the first leg's output is held to it where its
terms can be seen: the source-language column (`Glossary.from_lang`: "России" must come
out as "Russia"), enforced like any pair's (`glossary.enforce`) with the first engine;
the target column is the second leg's, enforced by the caller. N-best and constrained
decoding (glossary repair) act on the target language, so they are the second leg's:
offered when its engine offers them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ...glossary import Glossary
from ...glossary.enforce import enforce
from ..markup.unit import PREFIXES, choose_prefix
from .base import TranslationEngine, capabilities, options_key

_PLACEHOLDER = re.compile("(?:" + "|".join(PREFIXES) + r")\d+")


class PivotEngine:
    """source->`pivot` with `first`, then `pivot`->target with `second`."""

    def __init__(self, first: TranslationEngine, second: TranslationEngine,
                 pivot: str = "en", glossary: Glossary | None = None) -> None:
        self.first, self.second, self.pivot = first, second, pivot
        self.glossary = glossary  # held on the first leg (source-language column)
        self.name = f"{first.name}+{second.name}"
        self.capabilities = capabilities(second)

    def supports(self, source: str, target: str) -> bool:
        return (source != self.pivot != target and self.first.supports(source, self.pivot)
                and self.second.supports(self.pivot, target))

    def model_id(self, source: str, target: str) -> str:
        """Both legs, each with its output-changing options."""
        legs = ((self.first, source, self.pivot), (self.second, self.pivot, target))
        return " | ".join(f"{s}->{t} {e.model_id(s, t)}" + (f" [{options_key(e)}]"
                                                           if options_key(e) else "")
                          for e, s, t in legs)

    def without_glossary(self) -> PivotEngine:
        return PivotEngine(self.first, self.second, self.pivot)

    def _middle(self, texts: Sequence[str], source: str) -> list[str]:
        middle = list(self.first.translate(texts, source, self.pivot))
        terms = self.glossary.from_lang(source) if self.glossary is not None else None
        if not terms or not any(terms.find(t) for t in texts):
            return middle
        keep = [Counter(_PLACEHOLDER.findall(t)) for t in texts]  # the caller's markup
        return enforce(texts, middle, self.first, terms, source, self.pivot,
                       prefixes=[choose_prefix(t) for t in texts],
                       valid=lambda i, out: Counter(_PLACEHOLDER.findall(out)) == keep[i])[0]

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        middle = self._middle(texts, source)
        return [o if m.strip() else "" for m, o in zip(
            middle, self.second.translate(middle, self.pivot, target), strict=True)]

    def translate_nbest(
        self, texts: Sequence[str], source: str, target: str, n: int,
        *, prefixes: Sequence[str | None] | None = None,
    ) -> list[list[str]]:
        return self.second.translate_nbest(  # type: ignore[attr-defined]
            self._middle(texts, source), self.pivot, target, n, prefixes=prefixes)

    def translate_constrained(
        self, texts: Sequence[str], source: str, target: str,
        *, suppress: Sequence[Sequence[str]] = (), prefixes: Sequence[str | None] | None = None,
    ) -> list[str]:
        return self.second.translate_constrained(  # type: ignore[attr-defined]
            self._middle(texts, source), self.pivot, target, suppress=suppress,
            prefixes=prefixes)
