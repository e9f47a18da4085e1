"""Two engines as one: source->pivot with the first, then pivot->target with the second
(argos ru->en, then Bergamot en->pt), for pairs that no model translates directly.

The model id names both legs, so provenance and the translation memory's keys change when
either model does. N-best and constrained decoding (glossary repair) act on the target
language, so they are the second leg's: offered when its engine offers them.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import TranslationEngine, capabilities, options_key


class PivotEngine:
    """source->`pivot` with `first`, then `pivot`->target with `second`."""

    def __init__(self, first: TranslationEngine, second: TranslationEngine,
                 pivot: str = "en") -> None:
        self.first, self.second, self.pivot = first, second, pivot
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

    def _middle(self, texts: Sequence[str], source: str) -> list[str]:
        return list(self.first.translate(texts, source, self.pivot))

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
