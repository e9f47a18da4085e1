"""Translate whole notes: markup kept, one batch for all notes, glossary enforced.

`translate_notes` cuts every block of every note into units (`markup`) and sends all
unit texts of all notes to the engine in ONE call (sorting by length is the engine's job;
a `CachedEngine` answers what it has seen). A unit with bold or links is sent flat: its
text without the pair markers, exactly what the same sentence without markup sends (atoms,
such as anchors, keep their placeholders). Each unit then ends in one mode:

- `placed`: flat, and each pair's markers put on the words of the translation that render
  its label (`markup.place`: the glossary's renderings, the label as written, the labels
  the flat translation does not hold translated on their own, in `;`-lists of the note's
  own labels, `lists`); `loose` when a label was found by one word of several. A label not
  found is aligned with the words near its place translated back (target -> source, in
  lists too): `aligned`; a label not aligned either is found by the last words of its
  lead's translation (the sentence up to the label's end: its rendering in context, "This
  is a really [[handy]]" -> "... realmente útil"; leads travel in lists too); a label
  found on fewer words than it has grows by a word at its edge whose translation back
  renders one of its words ("eu [[want to take | quero levar]]"); when none renders it,
  the words contextual word vectors align with the label (`alike`): `matched`; else
  `appended` (its own translation, marked, in parentheses at the sentence's end: the only
  words added), and `forced` (the markers around the words at the label's place) only
  when the engine has no way back or the label no translation of its own. The words are
  otherwise the flat translation's;
- `masked`: no pairs (or pairs that nest or hold atoms): placeholders came back exactly
  once and in order: markup restored;
- `pieces`: otherwise (placeholders lost; fewer words than pairs) the text between
  markers is translated piece by piece;
- `kept`: not in the source language (a Russian title in an English note; a web page's
  title, the whole text of a markdown link, that the language model finds unlikely in the
  source language), or one word naming something (`bonus_professor`, a note's own file
  name): as written (`kept`);
  a line the vault uses as metadata (`glossary.lines`: `From: [[channel]]`) is not even
  a unit (`plan_block`);
- `failed`: the engine failed on it (raised, or an output failed the checks of
  `translate_safely`, even in smaller pieces): kept in the source language and listed in
  `TranslatedNote.failures`. A block over `Bounds.max_chars` characters is not sent at
  all: kept as written, listed once (its opening words and its length).

A label-less wiki-link whose target reads as words (`[[United States]]`) is a pair too:
its target stays and its label is the translation's words, `[[United States|Estados
Unidos]]`; on the masked and piece paths it is an atom, kept as written.

Every text reaches the engine through `translate_safely` / `BoundedEngine` (glossary
repair included): cut into sentences and clauses, symbols kept, every output checked.

The glossary is then enforced on every translated segment (`glossary_enforce`), refusing
any repair that would break the unit's markup, and each note's blocks are assembled.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest

from ..glossary import Glossary
from ..glossary.enforce import TermResult, enforce, needs_of
from ..glossary.morph import count
from ..model import Note, TermCheck, TranslatedNote
from .batch import BoundedEngine
from .engines.base import TranslationEngine
from .kept import kept_units, plan_block
from .lists import Batch, Seg, translate_back, translate_labels
from .markup.fallback import flat, labels
from .markup.inline import choose_prefix
from .markup.place import WordSimilarity, atomized, place, room
from .markup.segment import Unit
from .titles import common_words


@dataclass
class TranslationStats:
    """What one `translate_notes` call did (for the run summary and the benchmarks)."""

    notes: int = 0
    units: int = 0
    engine_texts: int = 0  # distinct unit texts sent in the main batch
    modes: Counter[str] = field(default_factory=Counter)  # masked/aligned/pieces/failed
    unit_modes: list[tuple[str, str]] = field(default_factory=list)  # (unit source, mode)
    term_occurrences: int = 0
    compliant_before: int = 0
    compliant_after: int = 0
    repaired_by: Counter[str] = field(default_factory=Counter)
    seconds_translate: float = 0.0
    seconds_enforce: float = 0.0

    def as_dict(self) -> dict[str, object]:
        d = dict(self.__dict__)
        d["modes"] = dict(self.modes)
        d.pop("unit_modes")
        d["repaired_by"] = dict(self.repaired_by)
        return d


def translate_notes(
    notes: Sequence[Note],
    target: str,
    engine: TranslationEngine,
    glossary: Glossary,
    *,
    source: str = "en",
    strategies: Sequence[str] | None = None,
    alike: WordSimilarity | None = None,
) -> list[TranslatedNote]:
    """Each note translated into `target`, in order (see `translate_notes_with_stats`)."""
    return translate_notes_with_stats(notes, target, engine, glossary, source=source,
                                      strategies=strategies, alike=alike)[0]


def translate_notes_with_stats(
    notes: Sequence[Note],
    target: str,
    engine: TranslationEngine,
    glossary: Glossary,
    *,
    source: str = "en",
    strategies: Sequence[str] | None = None,
    alike: WordSimilarity | None = None,
) -> tuple[list[TranslatedNote], TranslationStats]:
    """`alike`: word similarities of a sentence and its translation (`E5WordVectors`), for
    the labels no lexical match places (`markup.place`: "matched")."""
    engine = bounded = BoundedEngine(engine)  # glossary repair's re-translations too
    stats = TranslationStats(notes=len(notes))
    limit = bounded.bounds.max_chars
    plans = [[plan_block(b, limit, glossary.lines) for b in n.blocks] for n in notes]
    units = list(dict.fromkeys(u for plan in plans for t in plan for u in t.units))
    # the words each unit's notes write as common words: a title's own note decides how
    # it is cased again (`titles`), whatever notes share the run
    common: dict[Unit, frozenset[str]] = {}
    for note, plan in zip(notes, plans, strict=True):
        words = common_words(b.text for b in note.blocks)
        for u in (u for t in plan for u in t.units):
            common[u] = common.get(u, words) | words
    stats.units = sum(len(t.units) for plan in plans for t in plan)
    t0 = time.perf_counter()

    # 1. one batch: every distinct unit text of every note; a unit with bold or links is
    # sent flat (without its pair markers), the others with placeholders
    gl = glossary.for_lang(target)
    main = Batch()
    mode: dict[Unit, str] = dict.fromkeys(kept_units(notes, plans, source), "kept")
    flats: dict[Unit, Unit] = {}
    work: dict[Unit, Unit] = {}  # what the placeholder and piece paths see
    for u in units:
        if u in mode:
            continue
        f = flat(u)
        if f is not None:
            flats[u] = f
            main.add(f.text, f.prefix, _restores(f), common[u])
        work[u] = atomized(u)
        if f is None:
            main.add(work[u].text, work[u].prefix, _restores(work[u]), common[u])
    stats.engine_texts = len(main.segs)
    main.run(engine, source, target)
    for u in units:
        if u in mode:
            continue
        f = flats.get(u)
        w = f or work[u]
        out = main.segs[w.text].output
        said = f.restore(out) if f is not None and out is not None else None
        mode[u] = ("failed" if out is None
                   else "placed" if said is not None and room(u, said)
                   else "masked" if f is None and w.restore(out) is not None
                   else "pieces")

    # 2. labels the flat translation does not hold as written, and not glossary terms:
    # translated on their own, to be found in the sentence (`markup.place`); each note's
    # in lists of its own (`lists`), so that its translation depends on it alone
    says = {u: f.restore(main.segs[f.text].output or "") or ""
            for u, f in flats.items() if mode[u] == "placed"}
    mine = [[u for u in dict.fromkeys(u for t in plan for u in t.units) if u in says]
            for plan in plans]
    second = translate_labels(
        [list(dict.fromkeys(label for u in us for label in labels(u).values()
                            if not _as_written(label, says[u])
                            and not _term_renderings(label, gl, target))) for us in mine],
        engine, source, target)

    # 2b. labels not found: the words near their place translated back (in lists, like
    # the labels) to align them with what the engine says; never used as text. One window
    # of each sentence in turn: a list's neighbours never overlap ("bordas deste; deste
    # triângulo" came back as one item)
    asked: list[list[str]] = [[] for _ in notes]
    if engine.supports(target, source):
        for k, (us, own) in enumerate(zip(mine, second, strict=True)):
            asks = [place(u, says[u], _candidates(u, own, gl, target), target).ask for u in us]
            asked[k] = list(dict.fromkeys(w for turn in zip_longest(*asks) for w in turn
                                          if w is not None))
    back = translate_back(asked, engine, target, source)

    # 2c. labels not aligned even so: the sentence up to the label's end translated (its
    # lead), for its last words: the label's rendering in context ("This is a really
    # [[handy]]" -> "Este é um realmente útil"); in lists, like the labels; its text is
    # never used
    leads: list[dict[Unit, dict[int, str]]] = []
    for us, own, got, ws in zip(mine, second, back, asked, strict=True):
        leads.append({})
        for u in us:
            ways = place(u, says[u], _candidates(u, own, gl, target), target, None,
                         got if ws else None, _alone(u, own, gl, target), source).how
            opens = [t.pair for t in u.toks if t.kind == "open"]
            leads[-1][u] = {p: _lead(u, p) for p, w in zip(opens, ways, strict=True)
                            if w in ("forced", "appended")}
    led = translate_labels([list(dict.fromkeys(x for ps in ls.values() for x in ps.values()))
                            for ls in leads], engine, source, target)
    hints = [{u: {p: _tail(lt[x].output or "", labels(u)[p]) for p, x in ps.items()}
              for u, ps in ls.items() if ps} for ls, lt in zip(leads, led, strict=True)]

    # 3. the rest piece by piece
    pieces = Batch()
    for u in units:
        if mode[u] == "pieces":
            for piece in work[u].pieces():
                pieces.add(piece, choose_prefix(piece), common=common[u])
    pieces.run(engine, source, target)
    stats.seconds_translate = time.perf_counter() - t0

    # 4. the glossary, on every segment whose translation is used
    t1 = time.perf_counter()
    used = _used_segments(units, mode, main, second, flats, work, pieces)
    if len(gl) and used:
        outs, results = enforce(
            [s.source for s in used], [s.output or "" for s in used], engine, gl,
            source, target, prefixes=[s.prefix for s in used],
            valid=lambda i, text: all(check(text) for check in used[i].checks),
            strategies=strategies,
        )
        for seg, out, res in zip(used, outs, results, strict=True):
            seg.output, seg.results = out, res
    stats.seconds_enforce = time.perf_counter() - t1

    # 5. each note
    name = getattr(engine, "name", type(engine).__name__)
    model = engine.model_id(source, target)
    translated = []
    for note, plan, own, hint, got in zip(notes, plans, second, hints, back, strict=True):
        blocks, failures, terms, title = [], [], _Terms(), note.title
        matched = False
        for block, template in zip(note.blocks, plan, strict=True):
            if len(block.text) > limit:  # kept as written, never sent
                failures.append(f"{excerpt(block.text)} (a block of {len(block.text):,} "
                                f"characters: too long to translate, the limit is {limit:,})")
            rendered = []
            for unit in template.units:
                how, text, failed, segs, by_words = _render(
                    unit, mode[unit], main, own, hint, got, flats, work, pieces, gl, target,
                    source, alike)
                matched = matched or by_words
                stats.modes[how] += 1
                stats.unit_modes.append((unit.original, how))
                rendered.append(text)
                failures.extend(failed)
                for seg in segs:
                    terms.add(seg.results)
                for kept in failed:  # terms of text left in the source language count too
                    terms.add(untranslated_terms(kept, gl, target))
                if unit.yaml:
                    title = " ".join(text.split())
            blocks.append(template.render(rendered))
        for n, before, after in terms.rows.values():
            stats.term_occurrences += n
            stats.compliant_before += before
            stats.compliant_after += after
        stats.repaired_by.update(terms.strategies)
        translated.append(TranslatedNote(
            note=note, lang=target, blocks=tuple(blocks), title=title, engine=name,
            model=model, glossary_hash=glossary.hash, terms=terms.checks(),
            failures=tuple(dict.fromkeys(failures)),
            placed_by=alike.model_id if matched and alike is not None else "",
        ))
    return translated, stats


def untranslated_terms(text: str, glossary: Glossary, lang: str) -> list[TermResult]:
    """The glossary terms of `text` checked against `text` itself (no translation)."""
    results = []
    for need in needs_of(text, glossary, lang):
        k = min(need.count, count(text, need.expected, lang))
        results.append(TermResult(need.term, need.expected, need.count, k, k,
                                  "found" if k >= need.count else "missing"))
    return results


def excerpt(text: str, n: int = 80) -> str:
    """The start of `text` on one line, at most `n` characters (cut with "…")."""
    text = " ".join(text[:n * 2].split())
    return text if len(text) <= n else text[:n - 1] + "…"


def _restores(unit: Unit) -> Callable[[str], bool]:
    return lambda text: unit.restore(text) is not None


def _lead(unit: Unit, pair: int) -> str:
    """The unit's words up to the end of `pair`'s label."""
    close = next(i for i, t in enumerate(unit.toks) if t.kind == "close" and t.pair == pair)
    return " ".join("".join(t.raw if t.kind == "text" else " "
                            for t in unit.toks[:close]).split())


def _tail(said: str, label: str) -> str:
    """The last words of `said` (a lead's translation), as many as `label` has."""
    return " ".join(re.findall(r"[^\W_]+(?:[-'’][^\W_]+)*", said)[-max(1, len(label.split())):])


def _as_written(label: str, text: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(label) + r"(?!\w)", text, re.I) is not None


def _term_renderings(label: str, gl: Glossary, lang: str) -> tuple[str, ...]:
    """The glossary's renderings when `label` is a glossary term (articles and other
    short words around it aside), else ()."""
    needs = needs_of(label, gl, lang)
    if len(needs) != 1:
        return ()
    rest = label
    for a, b in sorted(needs[0].spans, reverse=True):
        rest = rest[:a] + " " + rest[b:]
    if any(len(w) > 3 for w in re.findall(r"[^\W_]+", rest)):
        return ()
    return needs[0].expected


def _candidates(unit: Unit, second: dict[str, Seg], gl: Glossary, lang: str
                ) -> dict[int, list[str]]:
    """Per pair: the glossary's renderings, the label as written, its own translation."""
    out = {}
    for pair, label in labels(unit).items():
        seg = second.get(label)
        own = [seg.output] if seg is not None and seg.output else []
        out[pair] = [*_term_renderings(label, gl, lang), label, *own]
    return out


def _alone(unit: Unit, second: dict[str, Seg], gl: Glossary, lang: str,
           hint: dict[int, str] | None = None) -> dict[int, str]:
    """Per pair: the label's rendering on its own (the glossary's, else its translation),
    for a label that cannot be placed on the sentence's words; a translation that left it
    as written ("plug") gives way to its rendering in context (`hint`: "plugue") when
    that has a word of 3 letters or more."""
    out = {}
    for pair, label in labels(unit).items():
        seg = second.get(label)
        terms = _term_renderings(label, gl, lang)
        said = terms[0] if terms else seg.output if seg is not None else None
        near = (hint or {}).get(pair, "")
        if not terms and (said or "").casefold().strip() == label.casefold() \
                and near.casefold() != label.casefold() and re.search(r"[^\W\d_]{3}", near):
            said = near
        if said and said.strip():
            out[pair] = said.strip()
    return out


def _used_segments(units: list[Unit], mode: dict[Unit, str], main: Batch,
                   second: list[dict[str, Seg]],
                   flats: dict[Unit, Unit], work: dict[Unit, Unit],
                   pieces: Batch) -> list[Seg]:
    used: dict[int, Seg] = {id(s): s for own in second for s in own.values()
                            if s.output is not None}
    for u in units:
        segs: list[Seg] = []
        if mode[u] == "masked":
            segs = [main.segs[work[u].text]]
        elif mode[u] == "placed":
            segs = [main.segs[flats[u].text]]
        elif mode[u] == "pieces":
            segs = [pieces.segs[p] for p in work[u].pieces()]
        for s in segs:
            if s.output is not None:
                used[id(s)] = s
    return list(used.values())


def _render(unit: Unit, how: str, main: Batch, second: dict[str, Seg],
            hint: dict[Unit, dict[int, str]], back: dict[str, str], flats: dict[Unit, Unit],
            work: dict[Unit, Unit], pieces: Batch, gl: Glossary, lang: str,
            source: str, alike: WordSimilarity | None = None
            ) -> tuple[str, str, list[str], list[Seg], bool]:
    """How the unit ended, its translated text, the source texts kept untranslated, the
    segments used, and whether `alike` placed a pair."""
    if how == "kept":
        return how, unit.original, [], [], False
    if how == "failed":
        return how, unit.original, [unit.original], [], False
    if how == "masked":
        seg = main.segs[work[unit].text]
        return how, work[unit].restore(seg.output or "") or unit.original, [], [seg], False
    if how == "placed":
        seg = main.segs[flats[unit].text]
        said = flats[unit].restore(seg.output or "") or ""
        placed = place(unit, said, _candidates(unit, second, gl, lang), lang, hint.get(unit),
                       back, _alone(unit, second, gl, lang, hint.get(unit)), source, alike)
        worst = next((h for h in ("forced", "appended", "matched", "loose", "aligned")
                      if h in placed.how),
                     how)
        return worst, placed.text, [], [seg], "matched" in placed.how
    outs, failures, used = [], [], []
    for piece in work[unit].pieces():
        p = pieces.segs[piece]
        if p.output is None:
            outs.append(piece)
            failures.append(piece)
        else:
            outs.append(p.output)
            used.append(p)
    return how, work[unit].assemble(outs), failures, used, False


class _Terms:
    """Per-note totals per term: occurrences, compliant before and after repair."""

    def __init__(self) -> None:
        self.rows: dict[str, list[int]] = {}
        self.expected: dict[str, tuple[str, ...]] = {}
        self.strategies: Counter[str] = Counter()

    def add(self, results: list[TermResult]) -> None:
        for r in results:
            row = self.rows.setdefault(r.term.source, [0, 0, 0])
            row[0] += r.count
            row[1] += r.found_before
            row[2] += r.found_after
            self.expected[r.term.source] = r.expected
            if r.strategy:
                self.strategies[r.strategy] += 1

    def checks(self) -> tuple[TermCheck, ...]:
        out = []
        for term, (n, before, after) in self.rows.items():
            status = "found" if before >= n else "repaired" if after >= n else "missing"
            out.append(TermCheck(term, self.expected[term], n, status))  # type: ignore[arg-type]
        return tuple(out)
