"""translate_safely / BoundedEngine: texts cut into bounded pieces, outputs checked, failures
reported, symbols kept. Deterministic engines here; real Bergamot in test_translate_bergamot."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.translate import BoundedEngine, Bounds, capabilities, translate_safely
from pipeline.translate.split import size


class Upper:
    """Upper-cases each text; answers "" for a text over `refuse_over` words (an engine
    whose input is bounded) and loops on texts holding "loop"."""

    name = "upper"

    def __init__(self, refuse_over: int = 10**9) -> None:
        self.refuse_over = refuse_over
        self.sent: list[str] = []

    def model_id(self, source: str, target: str) -> str:
        return "upper"

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.sent += texts
        return ["" if size(t) > self.refuse_over
                else t.upper() + " LA LA LA LA LA" if "loop" in t else t.upper() for t in texts]


class Reverser(Upper):
    name = "reverser"

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.sent += texts
        return [t[::-1] for t in texts]


LONG = ("When you work that out, it comes out to be proportional to one minus the cosine "
        "of the angle between the pendulum and the vertical; the specifics of the problem "
        "are beyond the point here, but this cosine function made the problem awkward, and "
        "it made it less clear how pendulums relate to other oscillating phenomena.")


def test_pieces_under_the_limit_joined_with_the_source_spacing() -> None:
    engine = Upper()
    texts = [f"First one.  {LONG}\nSecond line here.\n\n  Third, after a blank line. ",
             "Short.", "", "   ", "— ...", LONG]
    res = translate_safely(engine, texts, "en", "pt", Bounds(max_words=12))
    assert res.ok
    assert res.outputs == tuple(t.upper() for t in texts)
    assert engine.sent and max(size(t) for t in engine.sent) <= 12
    assert all(t == t.strip() for t in engine.sent)


def test_a_suspect_output_is_cut_smaller_until_the_text_is_whole() -> None:
    engine = Upper(refuse_over=8)
    res = translate_safely(engine, [LONG], "en", "pt", Bounds(max_words=60))
    assert res.ok and res.outputs == (LONG.upper(),)
    sizes = [size(t) for t in engine.sent]
    assert sizes[0] == size(LONG) and max(sizes[-3:]) <= 8  # whole, then smaller pieces


def test_a_piece_that_stays_suspect_fails_its_text_only_with_the_reason() -> None:
    engine = Upper(refuse_over=3)
    texts = ["A loop here.", "Fine.", LONG]
    res = translate_safely(engine, texts, "en", "pt", Bounds(max_words=60, min_words=6))
    assert res.outputs[1] == "FINE."
    assert res.outputs[0] is None and res.outputs[2] is None
    reasons = {f.index: f.reason for f in res.failures}
    assert reasons[0] == "upper: output repeats 'la' 5 times"
    assert reasons[2].startswith("upper: the piece '") and reasons[2].endswith(": empty output")
    assert engine.sent.count("A loop here.") == 2  # sent once more, then reported


def test_a_text_too_long_is_reported_and_never_sent() -> None:
    engine = Upper()
    huge = "A sentence of a paragraph that goes on. " * 7_500  # 300 KB on one line
    res = translate_safely(engine, [huge, "Kept."], "en", "pt")
    assert res.outputs == (None, "KEPT.")
    assert "too long to translate: 300,000 characters" in res.failures[0].reason
    assert engine.sent == ["Kept."]


def test_symbols_stay_in_place_even_when_the_engine_loses_the_placeholders() -> None:
    engine = Reverser()
    texts = ["✅ Done: the build passed 🎉", "My family 👨‍👩‍👧 lives in 🇵🇹 now.",
             "Thumbs up 👍🏽 for that.", "So 2π is x² ≈ ½, and θ too."]
    res = translate_safely(engine, texts, "en", "pt")
    assert res.ok
    assert res.outputs[0] == "✅ " + "Done: the build passed"[::-1] + " 🎉"
    # (a sentence whose output ends without its full stop gets the source's)
    assert res.outputs[1] == "ylimaf yM 👨‍👩‍👧 ni sevil 🇵🇹 .won."
    assert res.outputs[2] == "pu sbmuhT 👍🏽 .taht rof."
    assert res.outputs[3] == "oS 2π x si² ≈ ½dna , θ .oot."  # each run reversed
    assert not any(ch in "".join(engine.sent) for ch in "✅🎉👨🇵👍π²≈½θ")


def test_bounded_engine_answers_empty_for_a_failure_and_keeps_the_capabilities() -> None:
    engine = BoundedEngine(Upper(), Bounds(max_chars=10))
    assert engine.translate(["Short.", "Far too long here."], "en", "pt") == ["SHORT.", ""]
    assert BoundedEngine(engine).engine is engine.engine  # never wrapped twice
    assert engine.name == "upper" and capabilities(engine) == frozenset()
    assert translate_safely(engine, ["Far too long here."], "en", "pt").failures


class Noting(Upper):
    """Answers as Bergamot en->pt does for a text it leaves partly in English."""

    name = "noting"

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.sent += texts
        return [t.replace("Click", "Clique em").rstrip(".") + " (em inglês)." for t in texts]


def test_an_invented_in_english_note_is_taken_off() -> None:
    texts = ['Click "Next".', "Click the title (in English) here."]
    res = translate_safely(Noting(), texts, "en", "pt")
    # the source names no language: the note is the engine's; else it may be a translation
    assert res.outputs == ('Clique em "Next".',
                           "Clique em the title (in English) here (em inglês).")
    assert translate_safely(Noting(), texts[:1], "en", "de").outputs == (
        'Clique em "Next" (em inglês).',)  # another target's words are not touched


def test_names_in_letters_neither_language_writes_travel_as_atoms() -> None:
    from pipeline.translate.markup.symbols import symbol_tokens

    def atoms(text: str, source: str, target: str | None) -> list[str]:
        return [t.raw for t in symbol_tokens(text, source, target) if t.kind == "atom"]

    text = "Erdoğan met Müller and Poincaré in São Paulo and İzmir."
    assert atoms(text, "en", "pt") == ["Erdoğan", "Müller", "İzmir"]
    assert atoms(text, "en", "de") == ["Erdoğan", "Poincaré", "São", "İzmir"]  # not ü
    assert atoms(text, "en", "tr") == ["Poincaré", "São"]  # Turkish writes ğ, ü, İ
    assert atoms(text, "pt", "en") == ["Erdoğan", "Müller", "İzmir"]  # ã, é: the source's
    assert atoms(text, "en", "ru") == atoms(text, "en", None) == []  # written its own way
    assert atoms("Não é possível.", "pt", "en") == []
    res = translate_safely(Reverser(), [text], "en", "pt")
    assert all(name in (res.outputs[0] or "") for name in ("Erdoğan", "Müller", "İzmir"))
