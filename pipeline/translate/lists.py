"""Distinct texts in one engine call (`Batch`), and short texts in `;`-lists.

Labels, leads and windows to translate back are short: Bergamot translates a list of them
("peace offer; derivative; ledger") item by item, and a lone word worse than in a list
("onda" came back "Wave Wave"). A list's items come back a little differently beside other
items, so a list never mixes texts of two notes: each note's texts are packed on their
own (`groups`), and what a note's translation holds is a function of that note alone, as
its cache key says (`run.stages.translation_key`). All notes' lists of a round still go to
the engine in one call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..glossary.enforce import TermResult
from .batch import translate_safely
from .engines.base import TranslationEngine
from .markup.inline import choose_prefix

PACK_LABELS, PACK_WORDS, PACK_BACK = 16, 48, 16


@dataclass
class Seg:
    """A distinct engine-level text and its translation."""

    source: str
    prefix: str
    checks: list[Callable[[str], bool]] = field(default_factory=list)  # for any output
    common: frozenset[str] = frozenset()  # its notes' common words (`titles`)
    output: str | None = None
    results: list[TermResult] = field(default_factory=list)


class Batch:
    """Distinct texts to translate in one engine call."""

    def __init__(self) -> None:
        self.segs: dict[str, Seg] = {}

    def add(self, text: str, prefix: str, check: Callable[[str], bool] | None = None,
            common: frozenset[str] = frozenset()) -> Seg:
        seg = self.segs.get(text)
        if seg is None:
            seg = self.segs[text] = Seg(text, prefix)
        if check is not None:
            seg.checks.append(check)
        seg.common |= common
        return seg

    def run(self, engine: TranslationEngine, source: str, target: str) -> None:
        todo = [s for s in self.segs.values() if s.output is None]
        if not todo:
            return
        result = translate_safely(engine, [s.source for s in todo], source, target,
                                  common=[s.common for s in todo])
        for seg, out in zip(todo, result.outputs, strict=True):
            seg.output = " ".join(out.split()) if out is not None else None


def translate_labels(groups: Sequence[Sequence[str]], engine: TranslationEngine,
                     source: str, target: str) -> list[dict[str, Seg]]:
    """Per group (a note's labels, or its leads): each label's own translation. Labels
    travel in lists (one engine text for up to `PACK_LABELS` labels and `PACK_WORDS`
    words; see `in_lists`); the labels still without one are then translated alone. A
    label with the same translation in two groups has one `Seg` (the glossary repairs it
    once)."""
    listed = in_lists([[x for x in g if ";" not in x] for g in groups], engine, source,
                      target, rounds=max((len(g) for g in groups), default=0), whole=True,
                      words=PACK_WORDS)
    alone = Batch()
    for group, got in zip(groups, listed, strict=True):
        for label in group:
            if label not in got:
                alone.add(label, choose_prefix(label))
    alone.run(engine, source, target)  # the labels still without a translation, alone
    shared: dict[tuple[str, str], Seg] = {}
    out = []
    for group, got in zip(groups, listed, strict=True):
        mine = {}
        for label in group:
            if label in got:
                seg = shared.get((label, got[label]))
                if seg is None:
                    seg = shared[label, got[label]] = Seg(label, choose_prefix(label),
                                                          output=got[label])
                mine[label] = seg
            else:
                mine[label] = alone.segs[label]
        out.append(mine)
    return out


def translate_back(groups: Sequence[Sequence[str]], engine: TranslationEngine, source: str,
                   target: str) -> list[dict[str, str]]:
    """Per group: windows of translations back into the language of their source, in
    lists of up to `PACK_BACK` (most windows are one word), two rounds (`in_lists`); the
    windows left are not aligned."""
    return in_lists(groups, engine, source, target, rounds=2, whole=False, most=PACK_BACK)


def in_lists(groups: Sequence[Sequence[str]], engine: TranslationEngine, source: str,
             target: str, *, rounds: int, whole: bool, words: int | None = None,
             most: int = PACK_LABELS) -> list[dict[str, str]]:
    """Per group: its texts translated in `;`-lists of its own texts (`_packs`), one engine
    text per list, for at most `rounds` rounds. A list that comes back with as many items
    gives each text its item (`whole`: only when none is empty, and lists of one are then
    never sent: the caller translates those alone), but two neighbours alike for different
    texts are a shift ("este; lado; direito" -> "this side; right; right"): neither is
    taken. A list with one item too many taken once its one pair of neighbours alike is one
    ("veremos; nós; nós" for "see; we'll"). A group's texts not taken go again, together,
    in a new order (each with other neighbours), in lists of `most`, then halved each
    round."""
    out: list[dict[str, str]] = [{} for _ in groups]
    todo = [list(g) for g in groups]
    for turn in range(rounds):
        size = max(2, most >> max(0, turn - 1))
        packs = [[p for p in _packs(t, size, words) if len(p) > 1 or not whole] for t in todo]
        if not any(packs):
            break
        packed = Batch()
        for pack in (p for ps in packs for p in ps):
            packed.add("; ".join(pack), "")
        packed.run(engine, source, target)
        for k, mine in enumerate(packs):
            todo[k] = []
            for pack in mine:
                got = _items(pack, packed.segs["; ".join(pack)].output or "", whole)
                out[k].update((w, x) for w, x in zip(pack, got, strict=True) if x)
                todo[k].extend(w for w, x in zip(pack, got, strict=True) if x is None)
            todo[k] = todo[k][::2] + todo[k][1::2]
    return out


def _packs(texts: list[str], most: int, words: int | None) -> list[list[str]]:
    """`texts` in order, in lists of up to `most` texts (and `words` words)."""
    packs: list[list[str]] = [[]]
    for text in texts:
        size = sum(len(x.split()) for x in packs[-1]) + len(text.split())
        if packs[-1] and (len(packs[-1]) >= most or words is not None and size > words):
            packs.append([])
        packs[-1].append(text)
    return [p for p in packs if p]


def _items(pack: list[str], output: str, whole: bool) -> list[str | None]:
    """Per text of `pack`: its item of the list `output`, "" when it came back empty
    (`whole`: never taken), None when it is not to be trusted (see `in_lists`)."""
    items = [x.strip() for x in output.split(";")]
    alike = [k for k in range(len(items) - 1) if items[k] and _alike(items[k], items[k + 1])]
    if len(items) == len(pack) + 1 and len(alike) == 1:
        del items[alike[0] + 1]
        alike = []
    if len(items) != len(pack) or whole and not all(items):
        return [None] * len(pack)
    got: list[str | None] = list(items)
    for k in alike:
        if not _alike(pack[k], pack[k + 1]):
            got[k] = got[k + 1] = None
    return got


def _alike(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
