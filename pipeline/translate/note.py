"""Translate whole notes: markup kept, one batch for all notes, glossary enforced.

`translate_notes` cuts every block of every note into units (`markup`) and sends all
unit texts of all notes to the engine in ONE call (sorting by length is the engine's job;
a `CachedEngine` answers what it has seen). A unit with bold or links is sent flat: its
text without the pair markers, exactly what the same sentence without markup sends (atoms,
such as anchors, keep their placeholders). Each unit then ends in one mode:

- `placed`: flat, and each pair's markers put on the words of the translation that render
  its label (`markup.place`: the glossary's renderings, the label as written, the labels
  the flat translation does not hold translated on their own, in lists, one engine text per
  `PACK_LABELS`); `loose` when a label was found by one word of several. A label not
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
from .batch import BoundedEngine, translate_safely
from .engines.base import TranslationEngine
from .kept import kept_units, plan_block
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


@dataclass
class _Seg:
    """A distinct engine-level text and its translation."""

    source: str
    prefix: str
    checks: list[Callable[[str], bool]] = field(default_factory=list)  # for any output
    common: frozenset[str] = frozenset()  # its notes' common words (`titles`)
    output: str | None = None
    results: list[TermResult] = field(default_factory=list)


class _Batch:
    """Distinct texts to translate in one engine call."""

    def __init__(self) -> None:
        self.segs: dict[str, _Seg] = {}

    def add(self, text: str, prefix: str, check: Callable[[str], bool] | None = None,
            common: frozenset[str] = frozenset()) -> _Seg:
        seg = self.segs.get(text)
        if seg is None:
            seg = self.segs[text] = _Seg(text, prefix)
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
    main = _Batch()
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
    # translated on their own, to be found in the sentence (`markup.place`)
    wanted: dict[str, None] = {}
    for u, f in flats.items():
        if mode[u] == "placed":
            said = f.restore(main.segs[f.text].output or "") or ""
            for label in labels(u).values():
                if not _as_written(label, said) and not _term_renderings(label, gl, target):
                    wanted[label] = None
    second = _translate_labels(list(wanted), engine, source, target)

    # 2b. labels not found: the words near their place translated back (in lists, like
    # the labels) to align them with what the engine says; never used as text
    asks: list[tuple[str, ...]] = []
    for u, f in flats.items():
        if mode[u] == "placed" and engine.supports(target, source):
            said = f.restore(main.segs[f.text].output or "") or ""
            asks.append(place(u, said, _candidates(u, second, gl, target), target).ask)
    # one window of each sentence in turn: a list's neighbours never overlap ("bordas
    # deste; deste triângulo" came back as one item)
    asked = dict.fromkeys(w for turn in zip_longest(*asks) for w in turn if w is not None)
    back = _translate_back(list(asked), engine, target, source)

    # 2c. labels not aligned even so: the sentence up to the label's end translated (its
    # lead), for its last words: the label's rendering in context ("This is a really
    # [[handy]]" -> "Este é um realmente útil"); in lists, like the labels; its text is
    # never used
    leads: dict[Unit, dict[int, str]] = {}
    for u, f in flats.items():
        if mode[u] == "placed":
            said = f.restore(main.segs[f.text].output or "") or ""
            ways = place(u, said, _candidates(u, second, gl, target), target, None,
                         back if asked else None, _alone(u, second, gl, target), source).how
            opens = [t.pair for t in u.toks if t.kind == "open"]
            leads[u] = {p: _lead(u, p) for p, w in zip(opens, ways, strict=True)
                        if w in ("forced", "appended")}
    led = _translate_labels(list(dict.fromkeys(x for ps in leads.values() for x in ps.values())),
                            engine, source, target)
    hint = {u: {p: _tail(led.segs[x].output or "", labels(u)[p]) for p, x in ps.items()}
            for u, ps in leads.items() if ps}

    # 3. the rest piece by piece
    pieces = _Batch()
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
    for note, plan in zip(notes, plans, strict=True):
        blocks, failures, terms, title = [], [], _Terms(), note.title
        matched = False
        for block, template in zip(note.blocks, plan, strict=True):
            if len(block.text) > limit:  # kept as written, never sent
                failures.append(f"{excerpt(block.text)} (a block of {len(block.text):,} "
                                f"characters: too long to translate, the limit is {limit:,})")
            rendered = []
            for unit in template.units:
                how, text, failed, segs, by_words = _render(
                    unit, mode[unit], main, second, hint, back, flats, work, pieces, gl, target,
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


PACK_LABELS, PACK_WORDS, PACK_BACK = 16, 48, 16


def _translate_labels(labels: list[str], engine: TranslationEngine, source: str,
                      target: str) -> _Batch:
    """Each label's own translation (or each lead's, `translate_notes` 2c). Labels travel
    in lists ("peace offer; derivative; ledger": one engine text for up to `PACK_LABELS`
    labels and `PACK_WORDS` words, which Bergamot translates item by item; see
    `_in_lists`); the labels still without one are then translated alone."""
    batch = _Batch()
    for label in labels:
        batch.add(label, choose_prefix(label))
    listed = _in_lists([x for x in labels if ";" not in x], engine, source, target,
                       rounds=len(labels), whole=True, words=PACK_WORDS)
    for label, item in listed.items():
        batch.segs[label].output = item
    batch.run(engine, source, target)  # the labels still without a translation, alone
    return batch


def _packs(texts: list[str], most: int, words: int | None) -> list[list[str]]:
    """`texts` in order, in lists of up to `most` texts (and `words` words)."""
    packs: list[list[str]] = [[]]
    for text in texts:
        size = sum(len(x.split()) for x in packs[-1]) + len(text.split())
        if packs[-1] and (len(packs[-1]) >= most or words is not None and size > words):
            packs.append([])
        packs[-1].append(text)
    return [p for p in packs if p]


def _in_lists(texts: list[str], engine: TranslationEngine, source: str, target: str, *,
              rounds: int, whole: bool, words: int | None = None,
              most: int = PACK_LABELS) -> dict[str, str]:
    """Texts translated in `;`-lists (`_packs`), one engine text per list, for at most
    `rounds` rounds. A list that comes back with as many items gives each text its item
    (`whole`: only when none is empty, and lists of one are then never sent: the caller
    translates those alone), but two neighbours alike for different texts are a shift
    ("este; lado; direito" -> "this side; right; right"): neither is taken. A list with
    one item too many taken once its one pair of neighbours alike is one ("veremos; nós;
    nós" for "see; we'll"). The texts not taken go again, together, in a new order (each
    with other neighbours), in lists of `most`, then halved each round."""
    out: dict[str, str] = {}
    todo = list(texts)
    for turn in range(rounds):
        packs = [p for p in _packs(todo, max(2, most >> max(0, turn - 1)), words)
                 if len(p) > 1 or not whole]
        if not packs:
            break
        packed = _Batch()
        for pack in packs:
            packed.add("; ".join(pack), "")
        packed.run(engine, source, target)
        todo = []
        for pack in packs:
            got = _items(pack, packed.segs["; ".join(pack)].output or "", whole)
            out.update((w, x) for w, x in zip(pack, got, strict=True) if x)
            todo.extend(w for w, x in zip(pack, got, strict=True) if x is None)
        todo = todo[::2] + todo[1::2]
    return out


def _items(pack: list[str], output: str, whole: bool) -> list[str | None]:
    """Per text of `pack`: its item of the list `output`, "" when it came back empty
    (`whole`: never taken), None when it is not to be trusted (see `_in_lists`)."""
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


def _translate_back(windows: list[str], engine: TranslationEngine, source: str,
                    target: str) -> dict[str, str]:
    """Windows of translations back into the language of their source, in lists of up to
    `PACK_BACK` (a lone word comes back worse than in a list: "onda" as "Wave Wave"; most
    windows are one word), two rounds (`_in_lists`); the windows left are not aligned."""
    return _in_lists(windows, engine, source, target, rounds=2, whole=False, most=PACK_BACK)


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


def _candidates(unit: Unit, second: _Batch, gl: Glossary, lang: str) -> dict[int, list[str]]:
    """Per pair: the glossary's renderings, the label as written, its own translation."""
    out = {}
    for pair, label in labels(unit).items():
        seg = second.segs.get(label)
        own = [seg.output] if seg is not None and seg.output else []
        out[pair] = [*_term_renderings(label, gl, lang), label, *own]
    return out


def _alone(unit: Unit, second: _Batch, gl: Glossary, lang: str,
           hint: dict[int, str] | None = None) -> dict[int, str]:
    """Per pair: the label's rendering on its own (the glossary's, else its translation),
    for a label that cannot be placed on the sentence's words; a translation that left it
    as written ("plug") gives way to its rendering in context (`hint`: "plugue") when
    that has a word of 3 letters or more."""
    out = {}
    for pair, label in labels(unit).items():
        seg = second.segs.get(label)
        terms = _term_renderings(label, gl, lang)
        said = terms[0] if terms else seg.output if seg is not None else None
        near = (hint or {}).get(pair, "")
        if not terms and (said or "").casefold().strip() == label.casefold() \
                and near.casefold() != label.casefold() and re.search(r"[^\W\d_]{3}", near):
            said = near
        if said and said.strip():
            out[pair] = said.strip()
    return out


def _used_segments(units: list[Unit], mode: dict[Unit, str], main: _Batch, second: _Batch,
                   flats: dict[Unit, Unit], work: dict[Unit, Unit],
                   pieces: _Batch) -> list[_Seg]:
    used: dict[int, _Seg] = {id(s): s for s in second.segs.values() if s.output is not None}
    for u in units:
        segs: list[_Seg] = []
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


def _render(unit: Unit, how: str, main: _Batch, second: _Batch,
            hint: dict[Unit, dict[int, str]], back: dict[str, str], flats: dict[Unit, Unit],
            work: dict[Unit, Unit], pieces: _Batch, gl: Glossary, lang: str,
            source: str, alike: WordSimilarity | None = None
            ) -> tuple[str, str, list[str], list[_Seg], bool]:
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
