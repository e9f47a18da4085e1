"""How a language pair is reached: by one model, or through English (ru->en, then en->pt),
and, when no installed engine serves a leg, the exact commands that would install it.

The argos index has X->en and en->X models (its only other pairs are es<->pt), so the
advice names only legs that can exist: `interlinear models install ru en`, never
`interlinear models install ru pt`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .engines.argos_packages import INSTALL_FILE_HINT, INSTALL_HINT

PIVOT = "en"
Pair = tuple[str, str]


@dataclass(frozen=True)
class Route:
    """The legs that translate source->target, in order, and those no engine serves."""

    source: str
    target: str
    legs: tuple[Pair, ...]  # empty: the same language, nothing to translate
    missing: tuple[Pair, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.missing

    @property
    def pivot(self) -> str | None:
        """The language between the legs, when there are two."""
        return self.legs[0][1] if len(self.legs) == 2 else None

    def commands(self) -> list[str]:
        """The commands that install the missing legs."""
        return [INSTALL_HINT.format(source=s, target=t) for s, t in self.missing]

    def advice(self) -> str:
        """Why the pair cannot be translated and what would make it work (one line)."""
        if self.ok:
            return ""
        pair = f"{self.source}->{self.target}"
        todo = " and ".join(f"`{c}`" for c in self.commands())
        offline = (f" (on a machine without network: `{INSTALL_FILE_HINT}`, or a Firefox "
                   "Translations model with `interlinear models install --file FOLDER`)")
        if self.pivot is None:
            return f"no translation model for {pair}: install one with {todo}{offline}"
        have = [f"{s}->{t}" for s, t in self.legs if (s, t) not in self.missing]
        there = f"; {have[0]} is installed" if have else ""
        return (f"no translation model for {pair}, directly or through {self.pivot} "
                f"({self.source}->{self.pivot}->{self.target}): install {todo}{offline}"
                f"{there}")


def plan(source: str, target: str, serves: Callable[[str, str], bool],
         pivot: str | None = PIVOT) -> Route:
    """The route for source->target: one leg when an engine serves the pair, else the two
    legs through `pivot`, with the legs no engine serves (pairs that include the pivot,
    or without a pivot, have no other way)."""
    if source == target:
        return Route(source, target, ())
    if serves(source, target):
        return Route(source, target, ((source, target),))
    if pivot is None or pivot in (source, target):
        return Route(source, target, ((source, target),), ((source, target),))
    legs = ((source, pivot), (pivot, target))
    return Route(source, target, legs, tuple(leg for leg in legs if not serves(*leg)))
