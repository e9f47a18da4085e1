"""Batches sent to an engine, bounded and checked: no output is passed on unchecked.

`translate_safely(engine, texts, source, target)` (and `BoundedEngine`, the same behind
an engine's `translate`, for callers that need an engine: glossary repair) translates
each text this way:

1. a text over `Bounds.max_chars` characters is reported as too long, never sent;
2. symbols engines drop (`markup.symbols`: emoji, ©, €, ≤, ², a lone π) are kept: at the
   ends of a line they stay outside what is sent; inside, they travel as placeholders
   (`Unit`, as a note's inline atoms do), and if a placeholder does not come back, the
   text between symbols is translated run by run and the symbols are put back in place;
3. each line is cut into sentences, and a sentence over `Bounds.max_words` at clause
   boundaries (`split`); the pieces of all texts go to the engine in one call, and their
   outputs are joined with the source's spacing;
4. each piece's output is checked against the piece (`check.suspect`: length ratio,
   repetition); a suspect one is cut in two and translated again, down to pieces of
   `Bounds.min_words`, and a piece that cannot be cut is sent once more (a whole output
   loses a "(in English)" the engine invented: `check.without_invented_notes`; an English
   Title Case title it left in English is sent once more in sentence case: `titles`). A
   text with a piece still suspect, or a piece the engine fails on (it raises, even
   alone), is a `SegmentFailure` with the reason; its other pieces are not used.

A batch the engine raises on is sent again piece by piece, so one bad text never fails
the others. A missing model (`ModelMissingError`) is not a failure of a text: it
propagates. n-best and constrained decoding (argos, for glossary repair) are passed to
the engine as they are: their prefixes and hypotheses belong to whole texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InterlinearError, ModelMissingError, TranslationError
from .check import suspect, without_invented_notes
from .engines.base import TranslationEngine, capabilities
from .markup.symbols import symbol_tokens
from .markup.unit import Tok, Unit, choose_prefix
from .split import size, split
from .titles import common_words, echoed, left_over, sentence_cased

__all__ = ["BatchResult", "BoundedEngine", "Bounds", "SegmentFailure", "translate_safely"]


@dataclass(frozen=True)
class SegmentFailure:
    index: int  # position in the batch
    text: str
    reason: str


@dataclass(frozen=True)
class BatchResult:
    outputs: tuple[str | None, ...]  # None where the segment failed
    failures: tuple[SegmentFailure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class Bounds:
    """How much of a text an engine is sent at once.

    60 words: single corpus sentences of up to 90 words came back whole from Bergamot,
    three sentences of 98-108 words did not (see `split`).
    """

    max_words: int = 60  # per piece sent to the engine
    min_words: int = 6  # a suspect piece is not cut below this
    max_chars: int = 20_000  # a longer text is reported, not translated

    def __post_init__(self) -> None:
        if not 1 <= self.min_words <= self.max_words or self.max_chars < 1:
            raise ValueError("need 1 <= min_words <= max_words and max_chars >= 1")


def translate_safely(
    engine: TranslationEngine, texts: Sequence[str], source: str, target: str,
    bounds: Bounds | None = None, common: Sequence[frozenset[str]] | None = None,
) -> BatchResult:
    """Each text translated whole, or reported in `failures` (see the module).
    `common`: per text, the words its document shows to be common words (`titles`);
    without it, those of all `texts`."""
    if isinstance(engine, BoundedEngine):
        bounds = bounds or engine.bounds
        engine = engine.engine
    return _Run(engine, source, target, bounds or Bounds()).texts(list(texts), common)


class BoundedEngine:
    """`engine` whose `translate` bounds and checks every text as `translate_safely`
    does; a text that fails comes back as "" (what engines answer when they cannot)."""

    def __init__(self, engine: TranslationEngine, bounds: Bounds | None = None) -> None:
        inner = engine.engine if isinstance(engine, BoundedEngine) else engine
        self.engine: TranslationEngine = inner
        self.bounds: Bounds = bounds or getattr(engine, "bounds", None) or Bounds()
        self.name = engine.name
        self.options = getattr(engine, "options", None)
        self.capabilities = capabilities(engine)

    def supports(self, source: str, target: str) -> bool:
        return self.engine.supports(source, target)

    def model_id(self, source: str, target: str) -> str:
        return self.engine.model_id(source, target)

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        result = translate_safely(self.engine, texts, source, target, self.bounds)
        return [out if out is not None else "" for out in result.outputs]

    def translate_nbest(self, texts: Sequence[str], source: str, target: str, n: int,
                        **kw: object) -> list[list[str]]:
        return self.engine.translate_nbest(texts, source, target, n, **kw)  # type: ignore[attr-defined]

    def translate_constrained(self, texts: Sequence[str], source: str, target: str,
                              **kw: object) -> list[str]:
        return self.engine.translate_constrained(texts, source, target, **kw)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Failed:
    reason: str


@dataclass
class _Line:
    """A line's translatable middle: sent as `text`; `unit` holds its symbols, if any."""

    text: str
    unit: Unit | None = None


@dataclass
class _Piece:
    text: str  # as cut, spacing included
    out: str | None = None
    again: bool = False  # sent once more after a suspect output
    sent: str | None = None  # sent instead of the text (a title in sentence case)
    first: str | None = None  # the output of the text as written, when `sent`

    @property
    def core(self) -> str:
        return self.sent or self.text.strip()


class _Run:
    def __init__(self, engine: TranslationEngine, source: str, target: str,
                 bounds: Bounds) -> None:
        self.engine, self.source, self.target, self.bounds = engine, source, target, bounds
        self.titles = source.split("-")[0].lower() == "en"  # Title Case is English's
        self.common: dict[str, frozenset[str]] = {}  # per line sent: its common words

    def texts(self, texts: list[str], common: Sequence[frozenset[str]] | None = None
              ) -> BatchResult:
        plans = [_plan(t, self.source, self.target, self.bounds) for t in texts]
        lines = [p for plan in plans if not isinstance(plan, _Failed) for p in plan
                 if isinstance(p, _Line)]
        if self.titles:
            known = common or [common_words(texts)] * len(texts)
            for plan, words in zip(plans, known, strict=True):
                for line in plan if not isinstance(plan, _Failed) else ():
                    if isinstance(line, _Line):
                        self.common[line.text] = self.common.get(line.text, words) | words
        done = self.strings([line.text for line in lines if line.text])
        outs: dict[int, str | _Failed | None] = {}  # None: put the symbols back run by run
        for line in lines:
            got = done[line.text] if line.text else None
            outs[id(line)] = got if line.unit is None or not isinstance(got, str) \
                else line.unit.restore(got)
        lost = [(id(line), line.unit) for line in lines
                if outs[id(line)] is None and line.unit is not None]
        runs = self.strings([p for _, unit in lost for p in unit.pieces()])
        for key, unit in lost:
            got_runs = [runs[p] for p in unit.pieces()]
            bad = [g for g in got_runs if isinstance(g, _Failed)]
            outs[key] = bad[0] if bad else unit.assemble(
                [g for g in got_runs if isinstance(g, str)])
        outputs: list[str | None] = []
        failures: list[SegmentFailure] = []
        for i, (text, plan) in enumerate(zip(texts, plans, strict=True)):
            parts = [plan] if isinstance(plan, _Failed) else \
                [p if isinstance(p, str) else outs[id(p)] for p in plan]
            bad = [p for p in parts if isinstance(p, _Failed)]
            if bad:
                outputs.append(None)
                failures.append(SegmentFailure(i, text, bad[0].reason))
            else:
                outputs.append("".join(p for p in parts if isinstance(p, str)))
        return BatchResult(tuple(outputs), tuple(failures))

    def strings(self, texts: Sequence[str]) -> dict[str, str | _Failed]:
        """Each text cut into pieces, translated and checked (see the module)."""
        lang, bounds = self.source, self.bounds
        plans = {t: [_Piece(p) for p in split(t, bounds.max_words, lang)]
                 for t in dict.fromkeys(texts)}
        failed: dict[str, _Failed] = {}
        while True:
            todo = list(dict.fromkeys(
                p.core for t, plan in plans.items() if t not in failed
                for p in plan if p.out is None and _wordy(p.core)))
            if not todo:
                break
            outs = self._call(todo)
            for t, plan in plans.items():
                if t not in failed:
                    result = self._check(plan, outs, self.common.get(t, frozenset()))
                    if isinstance(result, _Failed):
                        failed[t] = result
                    else:
                        plans[t] = result
        return {t: failed[t] if t in failed else "".join(_joined(p) for p in plan)
                for t, plan in plans.items()}

    def _check(self, plan: list[_Piece], outs: dict[str, str | _Failed],
               common: frozenset[str]) -> list[_Piece] | _Failed:
        """The plan with this round's outputs taken or suspect pieces cut again."""
        new: list[_Piece] = []
        for piece in plan:
            got = outs.get(piece.core)
            if piece.out is not None or got is None or not _wordy(piece.core):
                new.append(piece)
                continue
            if isinstance(got, _Failed):
                return got
            why = suspect(piece.core, got)
            if why is None:
                out = _ended(piece.core, without_invented_notes(piece.core, got, self.target))
                again = self._titled(piece, out, common)
                new.append(again or self._better(piece, out, common))
                continue
            if piece.first is not None:  # the title as written came back whole
                new.append(self._better(piece, piece.first, common))
                continue
            smaller = _smaller(piece.text, self.bounds.min_words, self.source)
            if smaller:
                new.extend(_Piece(p) for p in smaller)
            elif not piece.again:
                new.append(_Piece(piece.text, again=True))
            else:
                whole = len(plan) == 1
                where = "" if whole else f"the piece {_excerpt(piece.core)!r}: "
                return _Failed(f"{self.engine.name}: {where}{why}")
        return new

    def _titled(self, piece: _Piece, out: str, common: frozenset[str]) -> _Piece | None:
        """The piece to send again in sentence case, if it is a title left in English."""
        if not self.titles or piece.sent is not None or not echoed(piece.core, out, common):
            return None
        cased = sentence_cased(piece.core, common)
        return _Piece(piece.text, sent=cased, first=out) if cased else None

    @staticmethod
    def _better(piece: _Piece, out: str, common: frozenset[str]) -> _Piece:
        """The piece with `out`, or with the first output when that left fewer words."""
        first, source = piece.first, piece.text.strip()
        if first is not None and (left_over(source, first, common)
                                  <= left_over(source, out, common)):
            out = first
        elif first is not None and out[:1].islower() and source[:1].isupper():
            out = out[0].upper() + out[1:]  # the title's capital, lost with its case
        piece.out = out
        return piece

    def _call(self, cores: list[str]) -> dict[str, str | _Failed]:
        """The engine's output per text: one call, or one call per text when it raises."""
        try:
            return dict(zip(cores, self._translate(cores), strict=True))
        except ModelMissingError:
            raise
        except Exception as exc:  # noqa: BLE001 - any engine fault: isolate it below
            if len(cores) == 1:
                return {cores[0]: self._failed(exc)}
        return {c: self._alone(c) for c in cores}

    def _alone(self, core: str) -> str | _Failed:
        try:
            return self._translate([core])[0]
        except ModelMissingError:
            raise
        except Exception as exc:  # noqa: BLE001
            return self._failed(exc)

    def _failed(self, exc: Exception) -> _Failed:
        reason = exc.reason if isinstance(exc, InterlinearError) else repr(exc)
        return _Failed(f"{self.engine.name}: {reason}")

    def _translate(self, cores: list[str]) -> list[str]:
        outs = self.engine.translate(cores, self.source, self.target)
        if len(outs) != len(cores):
            raise TranslationError(f"{len(outs)} outputs for {len(cores)} texts")
        return [o if isinstance(o, str) else "" for o in outs]


def _plan(text: str, lang: str, target: str, bounds: Bounds
          ) -> list[str | _Line] | _Failed:
    """Verbatim strings and lines to translate, concatenating to the text."""
    if len(text) > bounds.max_chars:
        return _Failed(f"too long to translate: {len(text):,} characters "
                       f"(the limit is {bounds.max_chars:,})")
    parts: list[str | _Line] = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        toks = symbol_tokens(body, lang, target)
        a, b = 0, len(toks)  # symbols at the ends stay out; a word (a name, πr²) is said
        while a < b and (_mute(toks[a]) or not toks[a].raw.strip()):
            a += 1
        while b > a and (_mute(toks[b - 1]) or not toks[b - 1].raw.strip()):
            b -= 1
        middle = "".join(t.raw for t in toks[a:b])
        core = middle.strip()
        head = "".join(t.raw for t in toks[:a]) + middle[:len(middle) - len(middle.lstrip())]
        tail = middle[len(middle.rstrip()):] + "".join(t.raw for t in toks[b:])
        parts.append(head)
        if not any(t.kind == "text" and _wordy(t.raw) for t in toks[a:b]):
            parts.append(core)  # nothing to translate between its atoms ("Erdoğan", "πr²")
        elif any(t.kind == "atom" for t in toks[a:b]):
            unit = Unit(tuple(_stripped(toks[a:b])), choose_prefix(body))
            parts.append(_Line(unit.text if unit.prefix else "", unit))
        else:
            parts.append(_Line(core))
        parts.append(tail + line[len(body):])
    return [p for p in parts if p != ""]


def _mute(tok: Tok) -> bool:
    """An atom with no letter (an emoji, ©): nothing of the sentence's words."""
    return tok.kind == "atom" and not any(ch.isalpha() for ch in tok.raw)


def _stripped(toks: list[Tok]) -> list[Tok]:
    """The tokens without the whitespace at their two ends."""
    toks = list(toks)
    toks[0] = Tok(toks[0].kind, toks[0].raw.lstrip())
    toks[-1] = Tok(toks[-1].kind, toks[-1].raw.rstrip())
    return toks


def _smaller(text: str, min_words: int, lang: str) -> list[str] | None:
    """The piece cut in pieces of about half its size (not under `min_words`), or None
    when it is that small already."""
    n = size(text.strip())
    if n <= min_words:
        return None
    pieces = split(text, max(n // 2, min_words), lang)
    return pieces if sum(_wordy(p) for p in pieces) >= 2 else None


def _joined(piece: _Piece) -> str:
    if piece.out is None:
        return piece.text
    text = piece.text
    lead, trail = len(text) - len(text.lstrip()), len(text.rstrip())
    return text[:lead] + " ".join(piece.out.split()) + text[trail:]


def _ended(source: str, output: str) -> str:
    """The output with the source's sentence end when the engine dropped it ("... equals
    negative 1." -> "... é igual a 1"), so the joined sentences stay apart."""
    output = output.strip()
    if source[-1:] in ".!?" and output[-1:].isalnum():
        return output + source[-1]
    return output


def _wordy(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _excerpt(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"
